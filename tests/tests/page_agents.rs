//! The page driving real machines, in headless Chromium with two real `kubeplay-agent`s and the
//! real Docker engine: connect both from the page (the Add node dialog and a join link), run the
//! seed page's Deployment as Docker containers on both, watch a killed container restart, scale,
//! exec and read logs through the terminal's kubectl, reload the tab mid-rollout with no pod
//! restarted, and stop one agent to see its pods move. Screenshots: `<target>/e2e/agents-*.png`.

use kubeplay_e2e::agent::binary::agent_binary;
use kubeplay_e2e::agent::process::reset;
use kubeplay_e2e::agent::{AgentOptions, AgentProcess};
use kubeplay_e2e::playground::{Playground, MY_API, SETTLE};
use kubeplay_e2e::policy::{images_or_skip, page_or_skip};
use serde_json::json;
use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

const NODE_A: &str = "e2e-page-a";
const NODE_B: &str = "e2e-page-b";
const CONNECT: Duration = Duration::from_secs(60);

/// `docker` with `args`; its stdout, or why it failed.
fn docker(args: &[&str]) -> Result<String, String> {
    let out = Command::new("docker")
        .args(args)
        .output()
        .map_err(|e| format!("docker: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "docker {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Running app containers (not the infra ones) the agent of `node` made: pod name → container id.
fn app_containers(node: &str) -> BTreeMap<String, String> {
    let out = docker(&[
        "ps",
        "--filter",
        &format!("label=kubeplay.dev/node={node}"),
        "--format",
        "{{.ID}} {{.Label \"kubeplay.dev/pod-name\"}} {{.Label \"kubeplay.dev/container-name\"}}",
    ])
    .unwrap_or_default();
    out.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let (id, pod, container) = (words.next()?, words.next()?, words.next()?);
            (container != "POD").then(|| (pod.to_string(), id.to_string()))
        })
        .collect()
}

/// Waits for `check` to hold, polling; panics with `what` and a screenshot name on timeout.
fn wait(
    page: &kubeplay_e2e::page::Page,
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> bool,
) {
    let start = Instant::now();
    while !check() {
        if start.elapsed() > limit {
            let shot = page
                .screenshot_as("agents-timeout")
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            panic!(
                "timed out after {} s waiting for {what} (screenshot {shot})\npage:\n{}",
                limit.as_secs(),
                page.text().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Pod name → (node, image, restarts, container id) for the Deployment's pods, from the API.
fn pods(play: &Playground) -> BTreeMap<String, (String, String, u64, String, bool)> {
    let (_, list) = play
        .api(
            "GET",
            "/api/v1/namespaces/default/pods?labelSelector=app%3Dmy-api",
            None,
            "",
        )
        .unwrap();
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .map(|p| {
            let status = &p["status"]["containerStatuses"][0];
            (
                p["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                (
                    p["spec"]["nodeName"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    p["spec"]["containers"][0]["image"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    status["restartCount"].as_u64().unwrap_or_default(),
                    status["containerID"]
                        .as_str()
                        .unwrap_or_default()
                        .trim_start_matches("docker://")
                        .to_string(),
                    status["ready"] == true,
                ),
            )
        })
        .collect()
}

#[test]
fn the_page_runs_the_seed_deployment_on_two_real_agents() {
    let test = "page_agents";
    let Some(page) = page_or_skip(test) else {
        return;
    };
    if !images_or_skip(test, &["myapp:1.0", "myapp:2.0"]) {
        return;
    }
    let binary = agent_binary().unwrap();
    let origin = page.origin();
    let options = |node: &str| AgentOptions {
        allow_origins: vec![origin.clone()],
        ..AgentOptions::new(node)
    };
    let (options_a, options_b) = (options(NODE_A), options(NODE_B));
    reset(&binary, &options_a.node_name, &options_a.state_dir);
    reset(&binary, &options_b.node_name, &options_b.state_dir);
    let agent_a = AgentProcess::start(&binary, &options_a).unwrap();
    let mut agent_b = AgentProcess::start(&binary, &options_b).unwrap();

    let play = Playground::open(&page).unwrap();
    // Only the real machines run pods: the simulated nodes go, as with the node controls.
    for name in ["node-1", "node-2", "node-3"] {
        let reply = play
            .call(&json!({"call": "node", "command": {"command": "remove", "name": name}}))
            .unwrap();
        assert_eq!(reply["reply"], "ok", "{reply}");
    }

    // A wrong token is refused with a message naming the likely causes.
    play.add_node(&agent_a.url, "wrong-token-0123456789")
        .unwrap();
    page.wait_for(
        "the refusal to show",
        "document.querySelector('#agents [data-phase=refused] .agent-message')?.textContent || null",
        CONNECT,
    )
    .unwrap();
    page.screenshot_as("agents-refused").unwrap();
    let message = page.execute("return document.querySelector('#agents [data-phase=refused] .agent-message').textContent;").unwrap();
    assert!(message.as_str().unwrap().contains("token"), "{message}");
    assert!(
        agent_a.log_text().contains("refused connection"),
        "the agent logged the refusal:\n{}",
        agent_a.log_text()
    );

    // The right token, through the dialog: the machine joins as a real node.
    play.add_node(&agent_a.url, &agent_a.token).unwrap();
    play.wait_agent(NODE_A, "connected", CONNECT).unwrap();
    page.wait_for(
        "the real node on the map",
        &format!("document.querySelector('#map [data-node=\"{NODE_A}\"][data-real=\"true\"] .real-badge') ? true : null"),
        CONNECT,
    )
    .unwrap();

    // The second one through a join link (opening the page anew); the token does not stay in
    // the address bar.
    play.wait_saved().unwrap();
    // As presenters write it: just ws://host:port, the page adds the agent's path.
    let short_url = agent_b.url.trim_end_matches("/v1/connect").to_string();
    let link = format!(
        "?agent={}&token={}",
        js_encode(&short_url),
        js_encode(&agent_b.token)
    );
    page.open(&link).unwrap();
    page.wait_for(
        "the page to load",
        "document.documentElement.hasAttribute('data-interactive') ? true : null",
        SETTLE,
    )
    .unwrap();
    // The link only fills the dialog: connecting a machine (which gets the pods' Secrets)
    // needs the user's click.
    let url_js = serde_json::to_string(&short_url).unwrap();
    page.wait_for(
        "the dialog filled from the link",
        &format!("document.getElementById('agent-url')?.value === {url_js} ? true : null"),
        CONNECT,
    )
    .unwrap();
    page.screenshot_as("agents-link-dialog").unwrap();
    play.click("#agent-connect").unwrap();
    play.wait_agent(NODE_B, "connected", CONNECT).unwrap();
    play.wait_agent(NODE_A, "connected", CONNECT).unwrap();
    let search = page.execute("return location.search;").unwrap();
    assert_eq!(
        search,
        json!(""),
        "the join link's token is gone from the URL"
    );
    page.screenshot_as("agents-connected").unwrap();
    let (nodes, code) = play.kubectl("kubectl get nodes", &[]).unwrap();
    assert_eq!(code, 0, "{nodes}");
    assert!(
        nodes
            .lines()
            .any(|l| l.starts_with(NODE_A) && l.contains(" Ready ")),
        "{nodes}"
    );
    assert!(
        nodes
            .lines()
            .any(|l| l.starts_with(NODE_B) && l.contains(" Ready ")),
        "{nodes}"
    );

    // The seed Deployment runs as Docker containers on both machines.
    let (out, code) = play
        .kubectl(
            "kubectl apply -f deployment.yaml",
            &[("deployment.yaml", MY_API)],
        )
        .unwrap();
    assert_eq!(
        (out.as_str(), code),
        ("deployment.apps/my-api created\n", 0)
    );
    play.wait_pods("default/my-api-", 3, "Running").unwrap();
    let placed = play.pods_by_node("default/my-api-").unwrap();
    page.screenshot_as("agents-running").unwrap();
    let running: Vec<String> = app_containers(NODE_A)
        .into_keys()
        .chain(app_containers(NODE_B).into_keys())
        .collect();
    for (node, pod) in &placed {
        let name = pod.trim_start_matches("default/");
        assert!(
            running.iter().any(|r| r == name),
            "{pod} on {node} is no running container: {running:?}"
        );
    }
    assert!(
        placed.iter().any(|(n, _)| n == NODE_A) && placed.iter().any(|(n, _)| n == NODE_B),
        "pods on both machines: {placed:?}"
    );

    // A killed container restarts, and the map counts it.
    let (victim, container) = app_containers(NODE_A)
        .into_iter()
        .next()
        .expect("a container on node A");
    docker(&["kill", &container]).unwrap();
    page.wait_for(
        "the killed container's restart on the map",
        &format!("(() => {{ const e = document.querySelector('#map [data-pod=\"default/{victim}\"]');
                  return e && Number(e.dataset.restarts) >= 1 && e.dataset.status === 'Running' ? true : null; }})()"),
        SETTLE,
    )
    .unwrap();

    // Scale to 5.
    let (out, code) = play
        .kubectl("kubectl scale deployment my-api --replicas=5", &[])
        .unwrap();
    assert_eq!((out.as_str(), code), ("deployment.apps/my-api scaled\n", 0));
    play.wait_pods("default/my-api-", 5, "Running").unwrap();
    page.screenshot_as("agents-scaled").unwrap();

    // exec and logs reach the real containers.
    let (out, code) = play
        .kubectl(
            &format!("kubectl exec {victim} -- wget -q -O- http://127.0.0.1:3000/version"),
            &[],
        )
        .unwrap();
    assert_eq!((out.trim(), code), ("1.0", 0));
    let (out, code) = play
        .kubectl(&format!("kubectl exec {victim} -- sh -c 'exit 3'"), &[])
        .unwrap();
    assert_eq!(
        (out.as_str(), code),
        ("command terminated with exit code 3\n", 3)
    );
    // `kubectl exec -it` opens a real terminal in the page: tests/tests/page_tty.rs.
    let other = pods(&play)
        .into_iter()
        .find(|(_, p)| p.0 == NODE_B)
        .map(|(n, _)| n)
        .expect("a pod on node B");
    wait(&page, "the pod's log", SETTLE, || {
        play.kubectl(&format!("kubectl logs {other}"), &[])
            .is_ok_and(|(out, _)| out.contains("Server listening on port 3000"))
    });

    // Wait until all five are ready, then roll to 2.0 and reload the tab mid-rollout.
    wait(&page, "five ready pods", SETTLE, || {
        pods(&play).values().filter(|p| p.4).count() == 5
    });
    let (out, code) = play
        .kubectl("kubectl set image deployment/my-api api=myapp:2.0", &[])
        .unwrap();
    assert_eq!(
        (out.as_str(), code),
        ("deployment.apps/my-api image updated\n", 0)
    );
    wait(&page, "the rollout to start", SETTLE, || {
        pods(&play)
            .values()
            .any(|p| p.1 == "myapp:2.0" && !p.3.is_empty())
    });
    let before = pods(&play);
    play.wait_saved().unwrap();
    play.reload().unwrap();
    play.wait_agent(NODE_A, "connected", CONNECT).unwrap();
    play.wait_agent(NODE_B, "connected", CONNECT).unwrap();
    wait(
        &page,
        "the rollout to finish after the reload",
        SETTLE,
        || {
            let now = pods(&play);
            now.len() == 5 && now.values().all(|p| p.1 == "myapp:2.0" && p.4)
        },
    );
    page.screenshot_as("agents-rollout").unwrap();
    let after = pods(&play);
    for (name, pod) in &after {
        assert_eq!(pod.2, 0, "{name} restarted: {after:?}");
        if let Some(old) = before.get(name).filter(|old| !old.3.is_empty()) {
            assert_eq!(old.3, pod.3, "{name} kept its container across the reload");
        }
    }
    let (out, code) = play
        .kubectl("kubectl rollout status deployment/my-api", &[])
        .unwrap();
    assert_eq!(
        (out.trim_end(), code),
        ("deployment \"my-api\" successfully rolled out", 0)
    );

    // One machine goes away: its node turns NotReady and its pods move to the other one.
    play.set_speed(20).unwrap();
    agent_b.stop();
    play.wait_agent(NODE_B, "lost", CONNECT).unwrap();
    page.wait_for(
        "node B NotReady on the map",
        &format!("document.querySelector('#map [data-node=\"{NODE_B}\"] .node-status')?.textContent.startsWith('NotReady') ? true : null"),
        SETTLE,
    )
    .unwrap();
    wait(&page, "every pod Running on node A", SETTLE, || {
        let now = pods(&play);
        now.len() == 5 && now.values().all(|p| p.0 == NODE_A && p.4)
    });
    page.screenshot_as("agents-rescheduled").unwrap();
    assert_eq!(
        app_containers(NODE_A).len(),
        5,
        "five app containers run on node A"
    );

    // The machine comes back (on a new port: added again, the old entry disconnected): the
    // cluster no longer wants its old pods, so the agent removes them; nothing is duplicated.
    let lost_url = agent_b.url.clone();
    drop(agent_b);
    let agent_b = AgentProcess::start(&binary, &options_b).unwrap();
    page.execute(&format!(
        "document.querySelector('#agents [data-agent=\"{lost_url}\"] .agent-disconnect').click();"
    ))
    .unwrap();
    page.wait_for(
        "the lost entry to go",
        &format!("document.querySelector('#agents [data-agent=\"{lost_url}\"]') ? null : true"),
        CONNECT,
    )
    .unwrap();
    play.add_node(&agent_b.url, &agent_b.token).unwrap();
    play.wait_agent(NODE_B, "connected", CONNECT).unwrap();
    wait(&page, "node B's old containers to go", SETTLE, || {
        app_containers(NODE_B).is_empty()
    });
    wait(&page, "node B Ready", SETTLE, || {
        play.kubectl("kubectl get nodes", &[])
            .is_ok_and(|(out, _)| {
                out.lines()
                    .any(|l| l.starts_with(NODE_B) && l.contains(" Ready "))
            })
    });
    page.screenshot_as("agents-back").unwrap();
    let now = pods(&play);
    assert_eq!(now.len(), 5, "{now:?}");
    assert_eq!(app_containers(NODE_A).len(), 5, "no pod was duplicated");
    drop(agent_b);

    drop(agent_a);
    reset(&binary, &options_a.node_name, &options_a.state_dir);
    reset(&binary, &options_b.node_name, &options_b.state_dir);
}

/// A Deployment that the HPA scales on CPU, on the real node only.
const BUSY_APP: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: busy
spec:
  replicas: 1
  selector:
    matchLabels:
      app: busy
  template:
    metadata:
      labels:
        app: busy
    spec:
      nodeSelector:
        kubeplay.dev/agent: \"true\"
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: myapp:1.0
        resources:
          requests:
            cpu: 100m
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: busy
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: busy
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 50
";

#[test]
fn the_hpa_scales_on_real_cpu_load_in_a_real_container() {
    let test = "page_agents_hpa";
    let Some(page) = page_or_skip(test) else {
        return;
    };
    if !images_or_skip(test, &["myapp:1.0", "myapp:2.0"]) {
        return;
    }
    let binary = agent_binary().unwrap();
    let options = AgentOptions::for_page("e2e-page-hpa", page.origin());
    reset(&binary, &options.node_name, &options.state_dir);
    let agent = AgentProcess::start(&binary, &options).unwrap();
    let play = Playground::open(&page).unwrap();
    // Faster than real time: the link asks the agent for metrics every second.
    play.set_speed(20).unwrap();
    play.add_node(&agent.url, &agent.token).unwrap();
    play.wait_agent("e2e-page-hpa", "connected", CONNECT)
        .unwrap();
    let (out, code) = play
        .kubectl("kubectl apply -f busy.yaml", &[("busy.yaml", BUSY_APP)])
        .unwrap();
    assert_eq!(code, 0, "{out}");
    play.wait_pods("default/busy-", 1, "Running").unwrap();
    let (out, code) = play
        .kubectl(
            "kubectl exec deploy/busy -- sh -c 'yes > /dev/null 2>&1 &'",
            &[],
        )
        .unwrap();
    assert_eq!(code, 0, "{out}");
    wait(&page, "the pod's real CPU in kubectl top", SETTLE, || {
        play.kubectl("kubectl top pods", &[])
            .is_ok_and(|(out, code)| {
                code == 0
                    && out.lines().any(|l| {
                        l.starts_with("busy-")
                            && l.split_whitespace()
                                .nth(1)
                                .and_then(|c| c.strip_suffix('m'))
                                .and_then(|c| c.parse::<u64>().ok())
                                .is_some_and(|m| m > 50)
                    })
            })
    });
    wait(
        &page,
        "the HPA to scale up on the real load",
        SETTLE,
        || pods_of(&play, "busy").len() > 1,
    );
    play.wait_pods("default/busy-", pods_of(&play, "busy").len(), "Running")
        .unwrap();
    page.screenshot_as("agents-hpa").unwrap();
    let (out, _) = play.kubectl("kubectl get hpa busy", &[]).unwrap();
    assert!(out.contains("busy"), "{out}");
    drop(agent);
    reset(&binary, &options.node_name, &options.state_dir);
}

/// Names of `app`'s pods in the API (not terminating).
fn pods_of(play: &Playground, app: &str) -> Vec<String> {
    let (_, list) = play
        .api(
            "GET",
            &format!("/api/v1/namespaces/default/pods?labelSelector=app%3D{app}"),
            None,
            "",
        )
        .unwrap();
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .map(|p| {
            p["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

/// `encodeURIComponent` for the join link.
fn js_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
