//! The page's pod start on a real machine, for `cargo xtask bench` beside the agent-only
//! `pod_start_ms`: the release page in headless Chromium drives a release `kubeplay-agent`, and
//! each sample is timed inside the page from the create request (through the worker's API
//! server, then the scheduler, the node link and the agent) until the API shows it Running.

use super::bench::{percentile, Figures, SAMPLES};
use super::binary::release_binary;
use super::{AgentOptions, AgentProcess};
use crate::locate::output_dir;
use crate::page::Page;
use crate::playground::{Playground, LOAD};
use serde_json::{json, Value};
use std::path::Path;

const NODE: &str = "bench-page-node";

/// One timed pod start in the page: create, then poll the worker every 10 ms until Running.
const TIME_ONE: &str = r#"
const [name, image] = [NAME, IMAGE];
const done = arguments[arguments.length - 1];
const call = c => window.kubeplay.call(JSON.stringify(c)).then(JSON.parse);
const pod = {apiVersion: "v1", kind: "Pod", metadata: {name, namespace: "default"},
  spec: {terminationGracePeriodSeconds: 0, containers: [{name: "app", image, imagePullPolicy: "IfNotPresent", command: ["sleep", "3600"]}]}};
const start = performance.now();
call({call: "api", request: {method: "POST", path: "/api/v1/namespaces/default/pods", body: JSON.stringify(pod),
      headers: [["Content-Type", "application/json"]]}}).then(created => {
  if (created.response.status !== 201) return done({error: created.response.body});
  const poll = () => call({call: "api", request: {method: "GET", path: `/api/v1/namespaces/default/pods/${name}`}}).then(r => {
    const phase = JSON.parse(r.response.body).status?.phase;
    if (phase === "Running") return done({ms: performance.now() - start});
    if (performance.now() - start > 120000) return done({error: `still ${phase} after 120 s`});
    setTimeout(poll, 10);
  });
  poll();
});
"#;

/// `browser_pod_start_ms_p50`/`_p99` with the page built in `dist`.
pub fn measure(dist: &Path, image: &str) -> Result<Figures, String> {
    let page = Page::launch_from("bench_page_agent", dist).map_err(|e| e.to_string())?;
    // The release agent, as the agent-only figures use; `KUBEPLAY_AGENT_BIN` names another.
    let binary = match std::env::var_os("KUBEPLAY_AGENT_BIN").filter(|p| !p.is_empty()) {
        Some(path) => path.into(),
        None => release_binary().map_err(|e| e.to_string())?,
    };
    let mut options = AgentOptions::new(NODE);
    options.state_dir = output_dir().join("bench-page-agent-state");
    options.allow_origins = vec![page.origin()];
    // `reset` captures what it prints: stdout carries only the figures.
    let reset = || super::process::reset(&binary, NODE, &options.state_dir);
    reset();
    let agent = AgentProcess::start(&binary, &options).map_err(|e| e.to_string())?;
    let result = run(&page, &agent, image);
    drop(agent);
    reset();
    result
}

fn run(page: &Page, agent: &AgentProcess, image: &str) -> Result<Figures, String> {
    let play = Playground::open(page).map_err(|e| e.to_string())?;
    play.remove_simulated_nodes().map_err(|e| e.to_string())?;
    let reply = play
        .call(&json!({"call": "connectAgent", "url": agent.url, "token": agent.token}))
        .map_err(|e| e.to_string())?;
    if reply["reply"] != "ok" {
        return Err(format!("connecting the agent: {reply}"));
    }
    play.wait_agent(NODE, "connected", LOAD)
        .map_err(|e| e.to_string())?;
    let time_one = |name: &str| -> Result<f64, String> {
        let script = TIME_ONE
            .replace("NAME", &json!(name).to_string())
            .replace("IMAGE", &json!(image).to_string());
        let answer: Value = page.execute_async(&script).map_err(|e| e.to_string())?;
        answer["ms"]
            .as_f64()
            .ok_or_else(|| format!("pod {name}: {answer}"))
    };
    // One pod first, so building the infra image is not counted as a pod start.
    time_one("bench-warm")?;
    let mut starts = Vec::new();
    for i in 0..SAMPLES {
        starts.push(time_one(&format!("bench-{i}"))?);
    }
    Ok(vec![
        ("browser_pod_start_ms_p50", percentile(&starts, 0.50)),
        ("browser_pod_start_ms_p99", percentile(&starts, 0.99)),
    ])
}
