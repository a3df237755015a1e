//! The built page in headless Chromium: it boots the core in the tab and shows what the API lists.
//! Without a browser these skip loudly; under CI=true they fail instead.

use kubeplay_e2e::policy::page_or_skip;
use std::time::Duration;

/// Long enough for a debug-build wasm page to load on a busy 2-core machine.
const LOAD: Duration = Duration::from_secs(60);

#[test]
fn page_renders_the_shell() {
    let Some(page) = page_or_skip("page_renders_the_shell") else {
        return;
    };
    page.open("").unwrap();
    let title = page
        .wait_for(
            "the page header",
            "document.querySelector('header h1')?.textContent",
            LOAD,
        )
        .unwrap();
    page.screenshot().unwrap();
    assert_eq!(title, "Kubeplay");
    let tabs = page
        .execute(
            "return [...document.querySelectorAll('.tabs [data-kind]')].map(t => t.dataset.kind);",
        )
        .unwrap();
    assert_eq!(
        tabs,
        serde_json::json!([
            "pods",
            "deployments",
            "replicasets",
            "services",
            "configmaps"
        ])
    );
}

#[test]
fn page_lists_default_namespaces() {
    let Some(page) = page_or_skip("page_lists_default_namespaces") else {
        return;
    };
    page.open("").unwrap();
    let listed = page.wait_for(
        "the namespace list",
        "(() => { const n = [...document.querySelectorAll('#namespaces [data-namespace]')].map(e => e.dataset.namespace);
                  return n.length ? n : (document.getElementById('error') ? [] : null); })()",
        LOAD,
    );
    let shot = page.screenshot().unwrap();
    let listed = listed.unwrap();
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(
            listed
                .as_array()
                .is_some_and(|names| names.iter().any(|n| n == ns)),
            "namespace {ns} not listed: {listed}; page says: {:?} (screenshot {})",
            page.text().unwrap_or_default(),
            shot.display()
        );
    }
    let selected = page
        .execute(
            "return document.querySelector('#namespaces .selected')?.dataset.namespace ?? null;",
        )
        .unwrap();
    assert_eq!(selected, "default");
}
