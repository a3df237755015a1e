//! The Editor tab in headless Chromium, as a student uses it: the seed page's files in a
//! tree, applied from the editor onto the map; bad input refused at its line and field with
//! nothing changed (not even half a file); the terminal's `kubectl apply -f ./k8s/` reading
//! the edited files; and the files still there after a reload. Screenshots go to `<target>/e2e/`.

use kubeplay_e2e::playground::{Playground, LOAD};
use kubeplay_e2e::policy::page_or_skip;
use serde_json::Value;

const DEPLOYMENTS: &str = "/apis/apps/v1/namespaces/default/deployments";

/// The seed page's deployment.yaml as the editor's tree holds it.
const SEED_DEPLOYMENT: &str = include_str!("../../shared/tests/fixtures/seed/deployment.yaml");

/// Where the gutter marks an error: the line numbers of `[data-error-line]`.
fn marked_lines(play: &Playground) -> Vec<u64> {
    let value = play
        .page
        .execute("return [...document.querySelectorAll('#editor [data-error-line]')].map(e => Number(e.dataset.errorLine));")
        .unwrap();
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

fn error_messages(play: &Playground) -> String {
    let value = play
        .page
        .execute("return [...document.querySelectorAll('#editor .editor-error')].map(e => e.innerText).join('\\n');")
        .unwrap();
    value.as_str().unwrap_or_default().to_string()
}

#[test]
fn the_seed_deployment_applied_from_the_editor_runs_three_pods() {
    let Some(page) = page_or_skip("editor_apply") else {
        return;
    };
    let play = Playground::open(&page).unwrap();
    play.set_speed(20).unwrap();
    play.open_editor().unwrap();
    let folders = page
        .execute("return [...document.querySelectorAll('#editor [data-folder]')].map(e => e.dataset.folder);")
        .unwrap();
    assert_eq!(folders, serde_json::json!(["k8s", "examples"]));
    let text = play.open_file("k8s/deployment.yaml").unwrap();
    assert_eq!(text, SEED_DEPLOYMENT);
    // Ctrl+Enter in the code area applies, as the Apply button does.
    let result = play.apply_in_editor_by(true).unwrap();
    assert!(
        result.contains("deployment.apps/my-api created"),
        "{result}"
    );
    let pods = play.wait_pods("default/my-api-", 3, "Running");
    let shot = page.screenshot_as("editor-apply").unwrap();
    let pods = pods.unwrap_or_else(|e| panic!("{e} (screenshot {})", shot.display()));
    assert_eq!(pods.len(), 3);
    // Applying the same file again changes nothing, and says so as kubectl does.
    let again = play.apply_in_editor().unwrap();
    assert!(
        again.contains("deployment.apps/my-api unchanged"),
        "{again}"
    );
    // Projector mode scales the editor with the rest of the page.
    play.click("#large-text").unwrap();
    page.wait_for(
        "larger text",
        "getComputedStyle(document.getElementById('editor-text')).fontSize === '18px' ? true : null",
        LOAD,
    )
    .unwrap();
    page.screenshot_as("editor-large-text").unwrap();
}

#[test]
fn invalid_yaml_and_an_invalid_field_are_shown_at_their_line_and_change_nothing() {
    let Some(page) = page_or_skip("editor_invalid") else {
        return;
    };
    let play = Playground::open(&page).unwrap();
    play.open_editor().unwrap();
    play.open_file("k8s/deployment.yaml").unwrap();
    let (_, before) = play.api("GET", DEPLOYMENTS, None, "").unwrap();
    // "Larger" gives the editor more of a laptop screen's height.
    let height = || {
        page.execute("return document.getElementById('editor-text').clientHeight;")
            .unwrap()
            .as_u64()
            .unwrap_or_default()
    };
    let small = height();
    play.click("#editor-expand").unwrap();
    page.wait_for(
        "the larger editor",
        &format!("document.getElementById('editor-text').clientHeight > {small} ? true : null"),
        LOAD,
    )
    .unwrap();

    // Bad indentation: `oops` on line 18 is deeper than the `name: api` above it.
    let bad_indent = SEED_DEPLOYMENT.replace(
        "      - name: api\n",
        "      - name: api\n         oops: 1\n",
    );
    play.set_editor_text(&bad_indent).unwrap();
    let result = play.apply_in_editor().unwrap();
    assert!(
        result.contains("not applied: nothing in the cluster changed"),
        "{result}"
    );
    let message = error_messages(&play);
    assert!(
        message.contains(
            "line 18: error parsing k8s/deployment.yaml: error converting YAML to JSON: yaml: line"
        ),
        "{message}"
    );
    assert_eq!(marked_lines(&play), [18]);

    // A field the API refuses: its line is marked and the message names the field.
    let three = SEED_DEPLOYMENT.replace("replicas: 3 #", "replicas: three #");
    play.set_editor_text(&three).unwrap();
    let result = play.apply_in_editor().unwrap();
    let message = error_messages(&play);
    assert!(
        message.contains(
            "line 7: Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string \
             into Go struct field DeploymentSpec.spec.replicas of type int32"
        ),
        "{result}"
    );
    assert_eq!(marked_lines(&play), [7]);
    let bands = page
        .execute("return document.querySelectorAll('#editor .code-band').length;")
        .unwrap();
    assert_eq!(bands, 1, "the line is highlighted");
    let shot = page.screenshot_as("editor-invalid").unwrap();

    // Nothing changed: no deployment, the same resourceVersion.
    let (_, after) = play.api("GET", DEPLOYMENTS, None, "").unwrap();
    assert_eq!(
        after["items"],
        before["items"],
        "screenshot {}",
        shot.display()
    );
    assert_eq!(
        after["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );

    // A file is applied whole or not at all: the app template with a bad Deployment does not
    // create its (valid) ConfigMap either.
    page.execute("document.getElementById('editor-template').value = 'app'; return true;")
        .unwrap();
    play.click("#editor-template-add").unwrap();
    let app = play.open_file("examples/my-api-app.yaml").unwrap();
    assert!(
        app.contains("kind: ConfigMap") && app.contains("kind: Service"),
        "{app}"
    );
    play.set_editor_text(&app.replace("replicas: 3 #", "replicas: -1 #"))
        .unwrap();
    let result = play.apply_in_editor().unwrap();
    assert!(
        result.contains("configmap/app-config not applied: the file has errors"),
        "{result}"
    );
    assert!(
        error_messages(&play).contains("The Deployment \"my-api\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
        "{result}"
    );
    page.screenshot_as("editor-invalid-multi").unwrap();
    let (status, _) = play
        .api(
            "GET",
            "/api/v1/namespaces/default/configmaps/app-config",
            None,
            "",
        )
        .unwrap();
    assert_eq!(status, 404, "nothing half-applied");
    let (_, after) = play.api("GET", DEPLOYMENTS, None, "").unwrap();
    assert_eq!(
        after["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );
}

#[test]
fn the_terminal_applies_the_edited_files_and_a_reload_keeps_them() {
    let Some(page) = page_or_skip("editor_terminal") else {
        return;
    };
    let play = Playground::open(&page).unwrap();
    play.open_editor().unwrap();
    let config = play.open_file("k8s/configmap.yaml").unwrap();
    assert!(config.contains("LOG_LEVEL: \"info\""), "{config}");
    let edited = config.replace("LOG_LEVEL: \"info\"", "LOG_LEVEL: \"debug\"");
    play.set_editor_text(&edited).unwrap();

    // Tab indents by two spaces; Esc then Tab leaves the text alone (focus moves on).
    page.execute("const el = document.getElementById('editor-text'); el.setSelectionRange(0, 0); return true;")
        .unwrap();
    play.press_in_editor("Tab", false, false).unwrap();
    assert_eq!(play.editor_text().unwrap(), format!("  {edited}"));
    play.press_in_editor("Tab", false, true).unwrap();
    assert_eq!(play.editor_text().unwrap(), edited, "Shift+Tab outdents");
    play.press_in_editor("Escape", false, false).unwrap();
    play.press_in_editor("Tab", false, false).unwrap();
    assert_eq!(play.editor_text().unwrap(), edited);

    play.run_in_terminal("kubectl apply -f ./k8s/").unwrap();
    let printed = page.wait_for(
        "kubectl's answer in the terminal",
        "document.getElementById('terminal').innerText.includes('service/my-api-service created') ? true : null",
        LOAD,
    );
    let shot = page.screenshot_as("editor-terminal").unwrap();
    printed.unwrap_or_else(|e| panic!("{e} (screenshot {})", shot.display()));
    let terminal = page
        .execute("return document.getElementById('terminal').innerText;")
        .unwrap();
    assert!(
        terminal
            .as_str()
            .unwrap_or_default()
            .contains("configmap/app-config created"),
        "{terminal}"
    );
    let (status, config) = play
        .api(
            "GET",
            "/api/v1/namespaces/default/configmaps/app-config",
            None,
            "",
        )
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        config["data"]["LOG_LEVEL"], "debug",
        "the terminal read the edited file"
    );

    play.reload().unwrap();
    play.open_editor().unwrap();
    let after = play.open_file("k8s/configmap.yaml").unwrap();
    assert_eq!(after, edited, "the edit survived the reload");
    page.screenshot_as("editor-reload").unwrap();
}

/// The paths the editor's tree lists, in its order.
fn tree_files(play: &Playground) -> Vec<String> {
    let value = play
        .page
        .execute("return [...document.querySelectorAll('#editor [data-file]')].map(e => e.dataset.file);")
        .unwrap();
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Opens the name form with `button`, types `name` and submits it.
fn name_file(play: &Playground, button: &str, name: &str) {
    play.click(button).unwrap();
    play.page
        .wait_for(
            "the name field",
            "document.getElementById('editor-file-name') ? true : null",
            LOAD,
        )
        .unwrap();
    let name = serde_json::to_string(name).unwrap();
    play.page
        .execute(&format!(
            "document.getElementById('editor-file-name').value = {name}; return true;"
        ))
        .unwrap();
    play.click(".tree-name button[type=submit]").unwrap();
}

fn wait_open(play: &Playground, path: &str) {
    let path = serde_json::to_string(path).unwrap();
    play.page
        .wait_for(
            &format!("{path} open in the editor"),
            &format!(
                "document.getElementById('editor-path')?.textContent === {path} ? true : null"
            ),
            LOAD,
        )
        .unwrap();
}

#[test]
fn files_are_created_renamed_deleted_and_restored_from_the_tree() {
    let Some(page) = page_or_skip("editor_files") else {
        return;
    };
    let play = Playground::open(&page).unwrap();
    play.open_editor().unwrap();
    let seeded = tree_files(&play);
    assert_eq!(seeded.len(), 10, "{seeded:?}");

    // New file: a bare name gets .yaml, in the open file's folder by default.
    play.open_file("k8s/service.yaml").unwrap();
    name_file(&play, "#editor-new", "k8s/web");
    wait_open(&play, "k8s/web.yaml");
    assert_eq!(play.editor_text().unwrap(), "");
    play.set_editor_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx\n")
        .unwrap();
    let result = play.apply_in_editor().unwrap();
    assert!(result.contains("pod/web created"), "{result}");

    // Rename into a new folder; the tree follows.
    name_file(&play, "#editor-rename", "apps/web-pod.yaml");
    wait_open(&play, "apps/web-pod.yaml");
    let files = tree_files(&play);
    assert!(
        files.contains(&"apps/web-pod.yaml".to_string())
            && !files.contains(&"k8s/web.yaml".to_string()),
        "{files:?}"
    );
    assert!(play.editor_text().unwrap().contains("name: web"));

    // A name kubectl could not read is refused with the reason.
    name_file(&play, "#editor-new", "my notes.txt");
    let notice = page
        .wait_for(
            "the refusal",
            "document.querySelector('#editor .editor-notice')?.innerText ?? null",
            LOAD,
        )
        .unwrap();
    assert_eq!(notice, "\"my notes.txt\" is not a valid file name: use letters, digits, '.', '-', '_' and '/' between folders");
    assert_eq!(tree_files(&play).len(), 11);

    // Delete asks first.
    play.click("#editor-delete").unwrap();
    page.wait_for(
        "the question",
        "document.getElementById('editor-delete-yes') ? true : null",
        LOAD,
    )
    .unwrap();
    page.screenshot_as("editor-files").unwrap();
    let focused = || {
        page.execute("return document.activeElement?.id ?? null;")
            .unwrap()
    };
    assert_eq!(
        focused(),
        "editor-delete-no",
        "the question has the focus on its safe answer"
    );
    play.click("#editor-delete-yes").unwrap();
    page.wait_for(
        "the file to go",
        "document.querySelector('#editor [data-file=\"apps/web-pod.yaml\"]') ? null : true",
        LOAD,
    )
    .unwrap();
    assert_eq!(focused(), "editor-delete", "the focus is not lost");

    // A seed file deleted comes back with Restore examples; an edit to one is undone.
    play.open_file("k8s/hpa.yaml").unwrap();
    play.click("#editor-delete").unwrap();
    page.wait_for(
        "the question",
        "document.getElementById('editor-delete-yes') ? true : null",
        LOAD,
    )
    .unwrap();
    play.click("#editor-delete-yes").unwrap();
    page.wait_for(
        "hpa.yaml to go",
        "document.querySelector('#editor [data-file=\"k8s/hpa.yaml\"]') ? null : true",
        LOAD,
    )
    .unwrap();
    play.open_file("k8s/deployment.yaml").unwrap();
    play.set_editor_text("kind: Nothing\n").unwrap();
    play.click("#editor-restore").unwrap();
    page.wait_for(
        "hpa.yaml back",
        "document.querySelector('#editor [data-file=\"k8s/hpa.yaml\"]') ? true : null",
        LOAD,
    )
    .unwrap();
    assert_eq!(tree_files(&play), seeded);
    assert_eq!(play.editor_text().unwrap(), SEED_DEPLOYMENT);

    // What the tree holds survives a reload.
    play.reload().unwrap();
    play.open_editor().unwrap();
    assert_eq!(tree_files(&play), seeded);
}
