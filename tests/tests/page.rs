//! The built page in headless Chromium: it boots the core in its worker and its Objects tab
//! shows what the API lists.
//! Without a browser these skip loudly; under CI=true they fail instead.

use kubeplay_e2e::playground::Playground;
use kubeplay_e2e::policy::page_or_skip;
use kubeplay_e2e::Page;
use std::time::Duration;

/// Long enough for a debug-build wasm page to load on a busy 2-core machine.
const LOAD: Duration = Duration::from_secs(60);

/// Opens the page on its Objects tab, where the kubectl-style tables are.
fn open_objects(page: &Page) {
    page.open("").unwrap();
    page.wait_for(
        "the Objects tab",
        "(() => { const t = document.querySelector('[data-dock=objects]'); if (!t) return null; t.click(); return true; })()",
        LOAD,
    )
    .unwrap();
}

#[test]
fn page_renders_the_shell() {
    let Some(page) = page_or_skip("page_renders_the_shell") else {
        return;
    };
    open_objects(&page);
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
            "configmaps",
            "nodes"
        ])
    );
}

/// What a user opening the developer tools sees first: a page that loads cleanly logs no error
/// (a wasm panic, a failed fetch, a missing icon would all show here).
#[test]
fn a_fresh_page_logs_no_errors() {
    let Some(page) = page_or_skip("a_fresh_page_logs_no_errors") else {
        return;
    };
    Playground::open(&page).unwrap();
    let console = page.console().unwrap();
    let errors: Vec<&String> = console.iter().filter(|l| l.starts_with("SEVERE")).collect();
    assert!(errors.is_empty(), "errors in the console: {errors:#?}");
}

#[test]
fn page_lists_default_namespaces() {
    let Some(page) = page_or_skip("page_lists_default_namespaces") else {
        return;
    };
    open_objects(&page);
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

#[test]
fn services_tab_shows_the_kubernetes_service_as_kubectl_prints_it() {
    let Some(page) = page_or_skip("services_tab_shows_the_kubernetes_service") else {
        return;
    };
    open_objects(&page);
    page.wait_for(
        "the kind tabs",
        "document.querySelector('.tabs [data-kind=services]') ? true : null",
        LOAD,
    )
    .unwrap();
    page.execute("document.querySelector('.tabs [data-kind=services]').click(); return true;")
        .unwrap();
    let table = page.wait_for(
        "the services table",
        "(() => { const heads = [...document.querySelectorAll('table th')].map(h => h.textContent);
                  const rows = [...document.querySelectorAll('table tbody tr:not(.empty)')]
                      .map(r => [...r.querySelectorAll('td')].map(c => c.textContent));
                  return heads.includes('CLUSTER-IP') && rows.length ? {heads, rows} : null; })()",
        LOAD,
    );
    let shot = page.screenshot().unwrap();
    let table = table.unwrap_or_else(|e| panic!("{e} (screenshot {})", shot.display()));
    assert_eq!(
        table["heads"],
        serde_json::json!([
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE"
        ])
    );
    let row = &table["rows"][0];
    assert_eq!(row[0], "kubernetes");
    assert_eq!(row[1], "ClusterIP");
    assert_eq!(row[2], "10.96.0.1");
    assert_eq!(row[3], "<none>");
    assert_eq!(row[4], "443/TCP");
}

#[test]
fn a_new_playground_has_three_ready_nodes() {
    let Some(page) = page_or_skip("a_new_playground_has_three_ready_nodes") else {
        return;
    };
    open_objects(&page);
    page.wait_for(
        "the kind tabs",
        "document.querySelector('.tabs [data-kind=nodes]') ? true : null",
        LOAD,
    )
    .unwrap();
    page.execute("document.querySelector('.tabs [data-kind=nodes]').click(); return true;")
        .unwrap();
    let rows = page.wait_for(
        "three Ready nodes",
        "(() => { const rows = [...document.querySelectorAll('table tbody tr:not(.empty)')]
                      .map(r => [...r.querySelectorAll('td')].map(c => c.textContent));
                  return rows.length === 3 && rows.every(r => r[1] === 'Ready') ? rows : null; })()",
        LOAD,
    );
    let shot = page.screenshot().unwrap();
    let rows = rows.unwrap_or_else(|e| panic!("{e} (screenshot {})", shot.display()));
    let names: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap())
        .collect();
    assert_eq!(names, ["node-1", "node-2", "node-3"]);
    let heads = page
        .execute("return [...document.querySelectorAll('table th')].map(h => h.textContent);")
        .unwrap();
    assert_eq!(
        heads,
        serde_json::json!(["NAME", "STATUS", "ROLES", "AGE", "VERSION"])
    );
}

#[test]
fn bench_mode_runs_the_store_workload_in_the_worker() {
    let Some(page) = page_or_skip("page_bench_mode") else {
        return;
    };
    page.open("?bench=store&n=50&runs=2").unwrap();
    let text = page
        .wait_for(
            "the benchmark result",
            "document.getElementById('bench-result')?.textContent",
            LOAD,
        )
        .unwrap();
    let result: serde_json::Value = serde_json::from_str(text.as_str().unwrap()).unwrap();
    let runs = kubeplay_e2e::bench::runs_from_page(&result).unwrap_or_else(|| panic!("{result}"));
    assert_eq!(runs.len(), 2, "{result}");
    assert!(runs.iter().all(|r| r.complete && r.count == 50), "{result}");
}
