//! The playground as a student uses it, in headless Chromium: the cluster in the page's
//! worker runs what is applied, shows it on the map, keeps it across a reload, and refuses
//! bad input without changing anything. Screenshots go to `<target>/e2e/`.
//!
//! Steps through the editor and the terminal join these as those panels land (see
//! `kubeplay_e2e::playground`).

use kubeplay_e2e::playground::{Playground, MY_API};
use kubeplay_e2e::policy::page_or_skip;
use serde_json::json;

const DEPLOYMENT: &str = "/apis/apps/v1/namespaces/default/deployments/my-api";

#[test]
fn the_playground_opens_on_three_ready_nodes() {
    let Some(page) = page_or_skip("playground_opens") else {
        return;
    };
    let play = Playground::open(&page).unwrap();
    let nodes = page
        .wait_for(
            "three Ready nodes on the map",
            "(() => { const n = [...document.querySelectorAll('#map [data-node]')].filter(e => e.dataset.node)
                  .map(e => [e.dataset.node, e.querySelector('.node-status')?.textContent]);
               return n.length === 3 && n.every(x => x[1] === 'Ready') ? n.map(x => x[0]) : null; })()",
            kubeplay_e2e::playground::LOAD,
        );
    let shot = page.screenshot().unwrap();
    let nodes = nodes.unwrap_or_else(|e| panic!("{e} (screenshot {})", shot.display()));
    assert_eq!(nodes, json!(["node-1", "node-2", "node-3"]));
    assert_eq!(
        play.speed_badge().unwrap(),
        None,
        "a new cluster runs at 1x"
    );
    let tabs = page
        .execute("return [...document.querySelectorAll('[role=tab][data-dock]')].map(t => t.dataset.dock);")
        .unwrap();
    assert_eq!(
        tabs,
        json!(["editor", "terminal", "objects", "events", "logs", "dns", "chaos"])
    );
    // Projector mode: one switch makes all text larger.
    play.click("#large-text").unwrap();
    let size = page.wait_for(
        "larger text",
        "getComputedStyle(document.documentElement).fontSize === '20px' ? true : null",
        kubeplay_e2e::playground::LOAD,
    );
    page.screenshot_as("playground_large_text").unwrap();
    size.unwrap();
}

#[test]
fn the_speed_badge_shows_whenever_the_cluster_is_not_at_1x() {
    let Some(page) = page_or_skip("playground_speed") else {
        return;
    };
    let play = Playground::open(&page).unwrap();
    play.set_speed(20).unwrap();
    page.screenshot_as("playground_speed_20x").unwrap();
    assert_eq!(
        play.speed_badge().unwrap().as_deref(),
        Some("Cluster runs 20× faster")
    );
    play.set_speed(0).unwrap();
    assert_eq!(
        play.speed_badge().unwrap().as_deref(),
        Some("Cluster paused")
    );
    play.set_speed(1).unwrap();
    assert_eq!(play.speed_badge().unwrap(), None);
}

#[test]
fn an_applied_deployment_runs_on_the_map_and_scales() {
    let Some(page) = page_or_skip("playground_deployment") else {
        return;
    };
    let play = Playground::open(&page).unwrap();
    play.set_speed(20).unwrap();
    let report = play.apply(MY_API).unwrap();
    assert_eq!(
        report["documents"][0]["summary"], "deployment.apps/my-api created",
        "{report}"
    );
    let pods = play.wait_pods("default/my-api-", 3, "Running");
    page.screenshot_as("playground_deployment_3").unwrap();
    assert_eq!(pods.unwrap().len(), 3);
    play.merge_patch(DEPLOYMENT, &json!({"spec": {"replicas": 5}}))
        .unwrap();
    let pods = play.wait_pods("default/my-api-", 5, "Running");
    page.screenshot_as("playground_deployment_5").unwrap();
    assert_eq!(pods.unwrap().len(), 5);
}

#[test]
fn the_terminal_applies_the_deployment_and_kubectl_sees_it() {
    let Some(page) = page_or_skip("playground_terminal") else {
        return;
    };
    let play = Playground::open(&page).unwrap();
    play.set_speed(20).unwrap();
    let (output, code) = play
        .kubectl(
            "kubectl apply -f deployment.yaml",
            &[("deployment.yaml", MY_API)],
        )
        .unwrap();
    assert_eq!(
        (output.as_str(), code),
        ("deployment.apps/my-api created\n", 0)
    );
    play.wait_pods("default/my-api-", 3, "Running").unwrap();
    let (output, code) = play
        .kubectl("kubectl scale deployment my-api --replicas=5", &[])
        .unwrap();
    assert_eq!(
        (output.as_str(), code),
        ("deployment.apps/my-api scaled\n", 0)
    );
    play.wait_pods("default/my-api-", 5, "Running").unwrap();
    // Running comes before Ready (the readiness probe waits 5 s): ask until all five are.
    let start = std::time::Instant::now();
    let output = loop {
        let (output, code) = play.kubectl("kubectl get deployment my-api", &[]).unwrap();
        assert_eq!(code, 0, "{output}");
        if output
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("my-api   5/5"))
        {
            break output;
        }
        assert!(
            start.elapsed() < kubeplay_e2e::playground::SETTLE,
            "never 5/5 ready: {output}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    page.screenshot().unwrap();
    assert!(
        output.starts_with("NAME     READY   UP-TO-DATE   AVAILABLE   AGE\n"),
        "{output}"
    );
    let (output, code) = play.kubectl("kubectl get pod no-such-pod", &[]).unwrap();
    assert_eq!(code, 1);
    assert_eq!(
        output,
        "Error from server (NotFound): pods \"no-such-pod\" not found\n"
    );
}

#[test]
fn a_broken_liveness_probe_restarts_the_container() {
    let Some(page) = page_or_skip("playground_liveness") else {
        return;
    };
    let play = Playground::open(&page).unwrap();
    play.set_speed(20).unwrap();
    play.apply(MY_API).unwrap();
    let pods = play.wait_pods("default/my-api-", 3, "Running").unwrap();
    let victim = pods[0].key.trim_start_matches("default/").to_string();
    play.merge_patch(
        &format!("/api/v1/namespaces/default/pods/{victim}"),
        &json!({"metadata": {"annotations": {"kubeplay.dev/fault": "liveness"}}}),
    )
    .unwrap();
    let restarted = page.wait_for(
        "the broken pod's restart count to rise",
        &format!(
            "(() => {{ const e = document.querySelector('#map [data-pod=\"default/{victim}\"]');
               return e && Number(e.dataset.restarts) > 0 ? Number(e.dataset.restarts) : null; }})()"
        ),
        kubeplay_e2e::playground::SETTLE,
    );
    let shot = page.screenshot().unwrap();
    let restarts = restarted.unwrap_or_else(|e| panic!("{e} (screenshot {})", shot.display()));
    assert!(restarts.as_u64().unwrap_or_default() >= 1);
}

#[test]
fn invalid_yaml_is_refused_with_its_line_and_changes_nothing() {
    let Some(page) = page_or_skip("playground_invalid_yaml") else {
        return;
    };
    let play = Playground::open(&page).unwrap();
    let (_, before) = play
        .api(
            "GET",
            "/apis/apps/v1/namespaces/default/deployments",
            None,
            "",
        )
        .unwrap();
    let broken = MY_API.replace("  replicas: 3\n", "  replicas: 3\n    oops: [\n");
    let report = play.apply(&broken).unwrap();
    let error = &report["syntaxError"];
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("error converting YAML to JSON"),
        "{report}"
    );
    assert!(error["line"].as_u64().unwrap_or_default() >= 6, "{report}");
    assert_eq!(report["documents"], json!([]));
    let (_, after) = play
        .api(
            "GET",
            "/apis/apps/v1/namespaces/default/deployments",
            None,
            "",
        )
        .unwrap();
    assert_eq!(after["items"], before["items"]);
    assert_eq!(
        after["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );
    page.screenshot().unwrap();
}

#[test]
fn a_reload_brings_back_the_cluster_and_it_goes_on() {
    let Some(page) = page_or_skip("playground_reload") else {
        return;
    };
    let play = Playground::open(&page).unwrap();
    play.set_speed(20).unwrap();
    play.apply(MY_API).unwrap();
    play.wait_pods("default/my-api-", 3, "Running").unwrap();
    play.merge_patch(DEPLOYMENT, &json!({"spec": {"replicas": 5}}))
        .unwrap();
    let before = play.wait_pods("default/my-api-", 5, "Running").unwrap();
    play.wait_saved().unwrap();
    play.reload().unwrap();
    let after = play.wait_pods("default/my-api-", 5, "Running");
    let shot = page.screenshot_as("playground_reload_5").unwrap();
    let after = after.unwrap_or_else(|e| panic!("{e} (screenshot {})", shot.display()));
    let names = |pods: &[kubeplay_e2e::playground::MapPod]| {
        let mut keys: Vec<String> = pods.iter().map(|p| p.key.clone()).collect();
        keys.sort();
        keys
    };
    assert_eq!(names(&after), names(&before), "the same pods, not new ones");
    assert_eq!(
        play.speed_badge().unwrap().as_deref(),
        Some("Cluster runs 20× faster"),
        "the speed is kept too"
    );
    // The simulation goes on: a change after the reload is acted on.
    play.merge_patch(DEPLOYMENT, &json!({"spec": {"replicas": 2}}))
        .unwrap();
    play.wait_pods("default/my-api-", 2, "Running").unwrap();
}

#[test]
fn reset_starts_a_fresh_cluster_that_a_reload_keeps() {
    let Some(page) = page_or_skip("playground_reset") else {
        return;
    };
    let play = Playground::open(&page).unwrap();
    play.apply(MY_API).unwrap();
    play.wait_saved().unwrap();
    play.click("#reset").unwrap();
    play.wait_pods("default/my-api-", 0, "Running").unwrap();
    play.wait_saved().unwrap();
    play.reload().unwrap();
    let (status, _) = play.api("GET", DEPLOYMENT, None, "").unwrap();
    assert_eq!(status, 404, "the reset cluster has no my-api");
}

#[test]
fn an_export_imported_into_a_reset_cluster_brings_the_objects_back() {
    let Some(page) = page_or_skip("playground_export_import") else {
        return;
    };
    let play = Playground::open(&page).unwrap();
    play.set_speed(20).unwrap();
    play.apply(MY_API).unwrap();
    play.wait_pods("default/my-api-", 3, "Running").unwrap();
    let exported = play.call(&json!({"call": "export"})).unwrap();
    let yaml = exported["yaml"]
        .as_str()
        .unwrap_or_else(|| panic!("{exported}"))
        .to_string();
    assert!(yaml.contains("name: my-api"), "{yaml}");
    assert_eq!(play.call(&json!({"call": "reset"})).unwrap()["reply"], "ok");
    play.wait_pods("default/my-api-", 0, "Running").unwrap();
    let imported = play.call(&json!({"call": "import", "yaml": yaml})).unwrap();
    let summaries: Vec<&str> = imported["report"]["documents"]
        .as_array()
        .unwrap_or_else(|| panic!("{imported}"))
        .iter()
        .filter_map(|d| d["summary"].as_str())
        .collect();
    assert!(
        summaries.contains(&"deployment.apps/my-api created"),
        "{summaries:?}"
    );
    play.set_speed(20).unwrap();
    play.wait_pods("default/my-api-", 3, "Running").unwrap();
}

/// Types `line` into the terminal panel as a user would and presses Enter.
fn type_in_terminal(page: &kubeplay_e2e::page::Page, line: &str) {
    let line = serde_json::to_string(line).unwrap();
    page.execute(&format!(
        "const el = document.getElementById('terminal-input'); el.focus(); el.value = {line};
         el.dispatchEvent(new InputEvent('input', {{ bubbles: true }})); return true;"
    ))
    .unwrap();
    page.wait_for(
        "the typed line in the terminal",
        &format!("document.getElementById('terminal-input').value === {line} ? true : null"),
        kubeplay_e2e::playground::LOAD,
    )
    .unwrap();
    page.execute(
        "document.getElementById('terminal-input').dispatchEvent(
           new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true })); return true;",
    )
    .unwrap();
}

#[test]
fn the_terminal_panel_applies_the_k8s_folder_and_prints_kubectls_answer() {
    let Some(page) = page_or_skip("playground_terminal_panel") else {
        return;
    };
    let play = Playground::open(&page).unwrap();
    play.set_speed(20).unwrap();
    play.click("[role=tab][data-dock=terminal]").unwrap();
    page.wait_for(
        "the terminal",
        "document.getElementById('terminal-input') ? true : null",
        kubeplay_e2e::playground::LOAD,
    )
    .unwrap();
    type_in_terminal(&page, "kubectl apply -f ./k8s/deployment.yaml");
    let printed = page.wait_for(
        "kubectl's answer in the terminal",
        "document.getElementById('terminal').innerText.includes('deployment.apps/my-api created') ? true : null",
        kubeplay_e2e::playground::LOAD,
    );
    let shot = page.screenshot_as("terminal_panel").unwrap();
    printed.unwrap_or_else(|e| panic!("{e} (screenshot {})", shot.display()));
    play.wait_pods("default/my-api-", 3, "Running").unwrap();
    type_in_terminal(&page, "kubectl get deployment my-apj");
    page.wait_for(
        "the NotFound error in the terminal",
        "document.querySelector('#terminal .term-err')?.innerText.includes('deployments.apps \"my-apj\" not found') ? true : null",
        kubeplay_e2e::playground::LOAD,
    )
    .unwrap();
    page.screenshot_as("terminal_panel_error").unwrap();
    // A watch runs until Ctrl+C, which ends it and gives the prompt back.
    type_in_terminal(&page, "kubectl get pods -w");
    page.wait_for(
        "the watch to hold the prompt",
        "document.getElementById('terminal-input').readOnly ? true : null",
        kubeplay_e2e::playground::LOAD,
    )
    .unwrap();
    page.execute(
        "document.getElementById('terminal-input').dispatchEvent(
           new KeyboardEvent('keydown', { key: 'c', ctrlKey: true, bubbles: true, cancelable: true })); return true;",
    )
    .unwrap();
    page.wait_for(
        "Ctrl+C to end the watch",
        "document.getElementById('terminal').innerText.includes('^C')
           && !document.getElementById('terminal-input').readOnly ? true : null",
        kubeplay_e2e::playground::LOAD,
    )
    .unwrap();
}
