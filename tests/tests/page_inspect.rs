//! Looking inside the cluster from the page, in headless Chromium at a laptop's 1366x768: the
//! Logs tab follows a pod's log and shows a crashed container's previous log; the object
//! browser shows a Deployment's YAML, saves an edit (the cluster converges and the diff shows
//! it) and refuses an invalid one with its line and field, changing nothing; the map stays
//! readable from 3 pods to 300. Screenshots go to `<target>/e2e/`.

use kubeplay_e2e::playground::{Playground, SETTLE};
use kubeplay_e2e::policy::page_or_skip;
use serde_json::json;

/// A small server with a Service that sends it simulated traffic, so its log grows.
const HELLO: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
spec:
  replicas: 1
  selector:
    matchLabels:
      app: hello
  template:
    metadata:
      labels:
        app: hello
    spec:
      containers:
      - name: app
        image: myapp:1.0
        ports:
        - containerPort: 3000
---
apiVersion: v1
kind: Service
metadata:
  name: hello
  annotations:
    kubeplay.dev/traffic-rps: \"20\"
spec:
  selector:
    app: hello
  ports:
  - port: 80
    targetPort: 3000
";

/// A pod whose process exits a few seconds after it starts, so it restarts.
const CRASHER: &str = "apiVersion: v1
kind: Pod
metadata:
  name: crasher
  annotations:
    kubeplay.dev/fault: crash
spec:
  containers:
  - name: app
    image: myapp:1.0
";

fn web(replicas: usize) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx
"
    )
}

const WEB: &str = "/apis/apps/v1/namespaces/default/deployments/web";

#[test]
fn the_logs_tab_follows_a_pod_and_shows_the_previous_container() {
    let Some(page) = page_or_skip("inspect_logs") else {
        return;
    };
    let play = Playground::open(&page).unwrap();
    play.set_speed(20).unwrap();
    let report = play.apply(HELLO).unwrap();
    assert_eq!(
        report["documents"][1]["summary"], "service/hello created",
        "{report}"
    );
    let pods = play.wait_pods("default/hello-", 1, "Running").unwrap();
    let pod = pods[0].key.clone();

    // The map's pod menu opens the Logs tab on that pod.
    play.click(&format!("#map [data-pod='{pod}']")).unwrap();
    play.click(".pod-menu .pod-logs").unwrap();
    page.wait_for(
        "the Logs tab",
        "document.querySelector('[role=tab][data-dock=logs]')?.getAttribute('aria-selected') === 'true' ? true : null",
        SETTLE,
    )
    .unwrap();
    let name = pod.trim_start_matches("default/");
    assert_eq!(
        play.text_of("#logs-pod option:checked").unwrap().as_deref(),
        Some(name)
    );
    play.wait_text("#logs-output", "Server listening on port 3000")
        .unwrap();
    assert!(
        play.text_of(".logs-command")
            .unwrap()
            .unwrap_or_default()
            .ends_with(" -f"),
        "follows by default"
    );
    // Following: the Service's traffic adds request lines after the start-up lines.
    let followed = play.wait_text("#logs-output", "GET / 200 (");
    let shot = page.screenshot_as("logs").unwrap();
    followed.unwrap_or_else(|e| panic!("{e} (screenshot {})", shot.display()));

    // A container that never restarted has no previous log: kubectl's error, in red.
    play.click("#logs-previous").unwrap();
    let error = play
        .wait_text("#logs-output .logs-stderr", "previous terminated container")
        .unwrap();
    assert!(
        error.contains(&format!("\"app\" in pod \"{name}\" not found")),
        "{error}"
    );
    play.click("#logs-previous").unwrap();
    play.wait_text("#logs-output", "Server listening on port 3000")
        .unwrap();

    // A crashing pod: after its restart, --previous shows the instance that crashed.
    play.apply(CRASHER).unwrap();
    page.wait_for(
        "the crasher to restart",
        "(() => { const e = document.querySelector(\"#map [data-pod='default/crasher']\");
           return e && Number(e.dataset.restarts) > 0 ? true : null; })()",
        SETTLE,
    )
    .unwrap();
    play.choose("#logs-pod", "crasher").unwrap();
    play.wait_text(".logs-command", "kubectl logs crasher -n default")
        .unwrap();
    play.click("#logs-previous").unwrap();
    play.wait_text(".logs-command", "--previous").unwrap();
    let previous = play
        .wait_text(
            "#logs-output",
            "Error: simulated crash (kubeplay.dev/fault=crash)",
        )
        .unwrap();
    assert!(
        previous.contains("Server listening on port 3000"),
        "the whole earlier run: {previous}"
    );
    assert!(!previous.contains("not found"), "{previous}");
    page.screenshot_as("logs-previous").unwrap();

    // Clear empties the screen.
    play.click("#logs-clear").unwrap();
    page.wait_for(
        "an empty log",
        "document.getElementById('logs-output').innerText.trim() === '' ? true : null",
        SETTLE,
    )
    .unwrap();
}

#[test]
fn an_edited_deployment_converges_and_the_diff_shows_the_change() {
    let Some(page) = page_or_skip("inspect_objects") else {
        return;
    };
    let play = Playground::open(&page).unwrap();
    play.set_speed(20).unwrap();
    play.apply(&web(2)).unwrap();
    play.wait_pods("default/web-", 2, "Running").unwrap();

    play.open_dock("objects").unwrap();
    play.click("[data-kind=deployments]").unwrap();
    page.wait_for(
        "the web Deployment row",
        "document.querySelector('[data-object=\"deployment/default/web\"]') ? true : null",
        SETTLE,
    )
    .unwrap();
    play.click("[data-object=\"deployment/default/web\"]")
        .unwrap();
    let yaml = play.wait_text("#object-yaml", "kind: Deployment").unwrap();
    assert!(
        yaml.starts_with("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"),
        "as kubectl get -o yaml: {yaml}"
    );
    assert!(yaml.contains("\n  replicas: 2\n"), "{yaml}");

    // Edit replicas in the YAML and save: the cluster scales and the diff shows both sides.
    play.click("#object-edit").unwrap();
    let draft = play
        .wait_text("textarea#object-yaml", "kind: Deployment")
        .unwrap();
    play.type_into(
        "textarea#object-yaml",
        &draft.replacen("\n  replicas: 2\n", "\n  replicas: 4\n", 1),
    )
    .unwrap();
    play.click("#object-save").unwrap();
    play.wait_text(".diff-add", "replicas: 4").unwrap();
    play.wait_text(".diff-del", "replicas: 2").unwrap();
    play.wait_text(".object-notice", "deployment.apps/web edited")
        .unwrap();
    play.wait_pods("default/web-", 4, "Running").unwrap();
    // The cluster's own writes (the status catching up) show in the diff as they come.
    play.wait_text(".diff-add", "availableReplicas: 4").unwrap();
    play.wait_text("#object-changed", "Changed since opened")
        .unwrap();
    page.execute(
        "const line = [...document.querySelectorAll('.diff-add')].find(e => e.innerText.includes('replicas: 4'));
         document.getElementById('object-diff').scrollTop = line.offsetTop - 50; return true;",
    )
    .unwrap();
    page.screenshot_as("object-diff").unwrap();
    let (_, saved) = play.api("GET", WEB, None, "").unwrap();
    assert_eq!(saved["spec"]["replicas"], 4);

    // An invalid value: the API's error with its field and line, and nothing changes.
    play.click("#object-edit").unwrap();
    let draft = play
        .wait_text("textarea#object-yaml", "replicas: 4")
        .unwrap();
    let line = draft
        .lines()
        .position(|l| l == "  replicas: 4")
        .map(|i| i + 1)
        .expect("spec.replicas in the YAML");
    play.type_into(
        "textarea#object-yaml",
        &draft.replacen("\n  replicas: 4\n", "\n  replicas: -1\n", 1),
    )
    .unwrap();
    play.click("#object-save").unwrap();
    let error = play
        .wait_text(".object-error", &format!("line {line}: spec.replicas"))
        .unwrap();
    assert_eq!(
        error,
        format!(
            "line {line}: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        )
    );
    play.wait_text(".object-error", "is invalid").unwrap();
    page.screenshot_as("object-invalid").unwrap();
    let (_, after) = play.api("GET", WEB, None, "").unwrap();
    assert_eq!(after["spec"]["replicas"], 4);
    assert_eq!(
        after["metadata"]["generation"], saved["metadata"]["generation"],
        "nothing was applied"
    );

    // Broken YAML is refused before anything is sent, at its line.
    play.type_into(
        "textarea#object-yaml",
        &draft.replacen("\n  replicas: 4\n", "\n  replicas: [4\n", 1),
    )
    .unwrap();
    play.click("#object-save").unwrap();
    let error = play
        .wait_text(".object-error", "error converting YAML to JSON")
        .unwrap();
    assert!(error.starts_with("line "), "{error}");
    let (_, after) = play.api("GET", WEB, None, "").unwrap();
    assert_eq!(
        after["metadata"]["generation"],
        saved["metadata"]["generation"]
    );
}

/// Counts map pods that carry the test contract's attributes.
fn contract_pods(page: &kubeplay_e2e::page::Page) -> serde_json::Value {
    page.execute(
        "return [...document.querySelectorAll('#map [data-pod]')]
             .filter(e => e.dataset.pod.startsWith('default/web-') && e.dataset.status && e.dataset.restarts !== undefined).length;",
    )
    .unwrap()
}

#[test]
fn the_map_stays_readable_from_3_to_300_pods() {
    let Some(page) = page_or_skip("inspect_map") else {
        return;
    };
    page.set_window_size(1366, 768).unwrap();
    let play = Playground::open(&page).unwrap();
    play.set_speed(20).unwrap();
    play.apply(&web(3)).unwrap();
    play.wait_pods("default/web-", 3, "Running").unwrap();
    page.screenshot_as("map-3-pods-1366").unwrap();
    // Three pods: chips with name and status.
    let full = page
        .execute("return [...document.querySelectorAll('#map [data-pod^=\"default/web-\"] .pod-status')].map(e => e.innerText.trim());")
        .unwrap();
    assert_eq!(full, json!(["Running 1/1", "Running 1/1", "Running 1/1"]));

    play.merge_patch(WEB, &json!({"spec": {"replicas": 300}}))
        .unwrap();
    play.wait_pods("default/web-", 300, "Running").unwrap();
    // The nodes sit side by side and each shows all its pods without scrolling the map sideways.
    let layout = page
        .execute(
            "const map = document.getElementById('map');
             const nodes = [...map.querySelectorAll('[data-node]')].filter(e => e.dataset.node);
             const tops = new Set(nodes.map(n => Math.round(n.getBoundingClientRect().top)));
             const dot = map.querySelector('[data-pod^=\"default/web-\"]').getBoundingClientRect();
             return { rows: tops.size, wide: map.scrollWidth > map.clientWidth, dot: [dot.width, dot.height] };",
        )
        .unwrap();
    page.screenshot_as("map-300-pods-1366").unwrap();
    assert_eq!(layout["rows"], 1, "three nodes in one row: {layout}");
    assert_eq!(layout["wide"], false, "{layout}");
    assert_eq!(contract_pods(&page), json!(300));
    // Every dot still says what it is on hover and to screen readers.
    let labelled = page
        .execute("return [...document.querySelectorAll('#map [data-pod^=\"default/web-\"]')].every(e => e.title.includes('Running'));")
        .unwrap();
    assert_eq!(labelled, json!(true));
    // A dot keeps its restart count in view.
    let victim = play.map_pods("default/web-").unwrap()[0]
        .key
        .trim_start_matches("default/")
        .to_string();
    play.merge_patch(
        &format!("/api/v1/namespaces/default/pods/{victim}"),
        &json!({"metadata": {"annotations": {"kubeplay.dev/fault": "crash"}}}),
    )
    .unwrap();
    let shown = page
        .wait_for(
            "the crashing dot to show its restarts",
            &format!(
                "(() => {{ const e = document.querySelector('#map [data-pod=\"default/{victim}\"]');
                   return e && Number(e.dataset.restarts) > 0 ? e.querySelector('.dot-restarts')?.innerText ?? 'none' : null; }})()"
            ),
            SETTLE,
        )
        .unwrap();
    assert!(
        shown
            .as_str()
            .is_some_and(|s| s.chars().next().is_some_and(|c| c.is_ascii_digit())),
        "{shown}"
    );
    page.screenshot_as("map-300-pods-1366").unwrap();

    page.set_window_size(1920, 1080).unwrap();
    page.wait_for(
        "the projector size",
        "window.innerWidth === 1920 ? true : null",
        SETTLE,
    )
    .unwrap();
    page.screenshot_as("map-300-pods-1920").unwrap();
    assert_eq!(contract_pods(&page), json!(300));
}
