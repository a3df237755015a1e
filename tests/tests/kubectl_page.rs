//! The real kubectl drives the cluster in a browser tab, through the agent connected to it: in
//! headless Chromium the page adds a real `kubeplay-agent` as a node; kubectl, pointed at that
//! agent, lists the page's nodes, applies the seed Deployment (which the page's map then shows),
//! scales it, watches a pod the page creates and waits for the rollout. `kubectl exec`, `attach`
//! and `logs -f` reach a pod on the agent's node (served by the agent on Docker, admitted by the
//! page's API), `logs -f` follows a simulated pod's log in the page. Without a page, and once
//! the tab is closed, kubectl gets the agent's 503 saying so. Screenshots: `<target>/e2e/kubectl-page-*.png`.
//!
//! `kubectl exec` through the tab into pods the agent does not run: on one of the page's
//! simulated nodes (the page's simulated shell answers) and on a second agent connected to the
//! same page (the page relays the bytes between the two agents' links); `kubectl port-forward`
//! through the first agent to a pod on the second, through the second agent's relay.

use kubeplay_e2e::agent::binary::agent_binary;
use kubeplay_e2e::agent::{AgentOptions, AgentProcess};
use kubeplay_e2e::kubectl::port_forward::{free_port, parallel_gets, Forward};
use kubeplay_e2e::kubectl::{tools_or_skip, Cluster, Streaming};
use kubeplay_e2e::playground::{Playground, MY_API};
use kubeplay_e2e::policy::{images_or_skip, page_or_skip};
use std::time::Duration;

const NODE: &str = "e2e-kubectl-page";
const CONNECT: Duration = Duration::from_secs(60);
const NO_PAGE: &str = "no Kubeplay page is connected to this agent";

#[test]
fn the_real_kubectl_drives_the_cluster_in_a_browser_tab_through_the_agent() {
    let test = "kubectl_page";
    let Some(tools) = tools_or_skip(test) else {
        return;
    };
    let Some(page) = page_or_skip(test) else {
        return;
    };
    if !images_or_skip(test, &["myapp:1.0"]) {
        return;
    }
    let binary = agent_binary().unwrap();
    let options = AgentOptions::for_page(NODE, page.origin());
    let agent = AgentProcess::start_fresh(&binary, &options).unwrap();
    let kubectl = Cluster::attach(tools, "page", &agent, &options).unwrap();

    // No page yet: the agent says what is missing.
    let out = kubectl.kubectl(&["get", "nodes"]);
    assert!(!out.ok() && out.stderr.contains(NO_PAGE), "{out}");

    let play = Playground::open(&page).unwrap();
    play.join(&agent.url, &agent.token, NODE, CONNECT).unwrap();

    // The page's simulated nodes and the agent's machine.
    let out = kubectl
        .kubectl_until(&["get", "nodes"], CONNECT, |o| {
            o.ok()
                && o.stdout
                    .lines()
                    .any(|l| l.starts_with(NODE) && l.contains(" Ready "))
        })
        .unwrap_or_else(|o| {
            panic!(
                "the agent's node never showed Ready:\n{o}\n{}",
                agent.log_text()
            )
        });
    for node in ["node-1", "node-2", "node-3", NODE] {
        assert!(
            out.stdout.lines().any(|l| l.starts_with(node)),
            "{node} missing:\n{out}"
        );
    }

    // The seed Deployment, applied by kubectl, shows on the page's map.
    std::fs::write(kubectl.home.join("deployment.yaml"), MY_API).unwrap();
    let out = kubectl.kubectl(&["apply", "-f", "deployment.yaml"]);
    assert_eq!(out.stdout, "deployment.apps/my-api created\n", "{out}");
    play.wait_pods("default/my-api-", 3, "Running").unwrap();
    page.screenshot_as("kubectl-page-applied").unwrap();

    let out = kubectl.kubectl(&["scale", "deployment", "my-api", "--replicas=4"]);
    assert_eq!(out.stdout, "deployment.apps/my-api scaled\n", "{out}");
    play.wait_pods("default/my-api-", 4, "Running").unwrap();

    // A watch sees what the page itself does.
    let mut watch = kubectl.kubectl_streaming(&["get", "pods", "-w"]).unwrap();
    watch
        .wait_for_line(CONNECT, |l| l.starts_with("my-api-"))
        .unwrap_or_else(|seen| panic!("the watch listed no pods: {seen:?}"));
    let report = play
        .apply("apiVersion: v1\nkind: Pod\nmetadata:\n  name: made-in-the-page\nspec:\n  containers:\n  - name: app\n    image: myapp:1.0\n")
        .unwrap();
    assert!(report.to_string().contains("made-in-the-page"), "{report}");
    watch
        .wait_for_line(CONNECT, |l| l.starts_with("made-in-the-page"))
        .unwrap_or_else(|seen| panic!("the watch never saw the page's pod: {seen:?}"));
    assert!(watch.is_running(), "a watch does not end by itself");
    watch.stop();

    let out = kubectl.kubectl(&["rollout", "status", "deployment/my-api", "--timeout=120s"]);
    assert!(
        out.ok()
            && out
                .stdout
                .contains("deployment \"my-api\" successfully rolled out"),
        "{out}"
    );
    page.screenshot_as("kubectl-page-scaled").unwrap();

    streams_reach_the_agents_pod(&kubectl, &agent);
    logs_follow_a_simulated_pod(&kubectl);

    // A figure for the report (no threshold): kubectl's whole round trip through the tab.
    let mut millis: Vec<u128> = (0..5)
        .map(|_| {
            let start = std::time::Instant::now();
            let out = kubectl.kubectl(&["get", "pods"]);
            assert!(out.ok(), "{out}");
            start.elapsed().as_millis()
        })
        .collect();
    millis.sort_unstable();
    eprintln!(
        "kubectl get pods through the tab: median {} ms of {millis:?}",
        millis[2]
    );

    // Closing the tab ends the link: kubectl is told there is no page any more.
    drop(page);
    let out = kubectl
        .kubectl_until(&["get", "nodes"], CONNECT, |o| o.stderr.contains(NO_PAGE))
        .unwrap_or_else(|o| panic!("kubectl never got the 503 after the tab closed:\n{o}"));
    assert!(!out.ok(), "{out}");
}

/// A pod of the agent's node, printing a counter every second, once it runs.
const TICKER: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ticker\nspec:\n  nodeName: e2e-kubectl-page\n  containers:\n  - name: ticker\n    image: busybox:1.36\n    command: [sh, -c, 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done']\n";

/// The counter of a `tick N` line.
fn tick(line: &str) -> Option<u64> {
    line.strip_prefix("tick ")?.parse().ok()
}

/// Waits for a line of `stream` with a counter above the first one it printed: a line printed
/// after kubectl started.
fn sees_a_later_tick(stream: &mut Streaming, what: &str) -> u64 {
    let first = stream
        .wait_for_line(CONNECT, |l| tick(l).is_some())
        .unwrap_or_else(|seen| panic!("{what}: no tick: {seen:?}"));
    let first = tick(&first).expect("a counter");
    let later = stream
        .wait_for_line(CONNECT, |l| tick(l).is_some_and(|n| n > first))
        .unwrap_or_else(|seen| panic!("{what}: no tick after {first}: {seen:?}"));
    assert!(stream.is_running(), "{what} goes on after {later}");
    tick(&later).expect("a counter")
}

/// exec (exit code, stdin, a bad container), attach and logs -f of a pod on the agent's node.
fn streams_reach_the_agents_pod(kubectl: &Cluster, agent: &AgentProcess) {
    std::fs::write(kubectl.home.join("ticker.yaml"), TICKER).unwrap();
    let out = kubectl.kubectl(&["apply", "-f", "ticker.yaml"]);
    assert!(out.ok(), "{out}");
    kubectl
        .kubectl_until(
            &["get", "pod", "ticker", "-o", "jsonpath={.status.phase}"],
            CONNECT,
            |o| o.stdout == "Running",
        )
        .unwrap_or_else(|o| panic!("ticker never ran:\n{o}\n{}", agent.log_text()));

    let out = kubectl.kubectl(&["exec", "ticker", "--", "sh", "-c", "echo hi; exit 3"]);
    assert_eq!((out.code, out.stdout.as_str()), (Some(3), "hi\n"), "{out}");
    assert!(
        out.stderr.contains("command terminated with exit code 3"),
        "{out}"
    );
    let out = kubectl.kubectl_stdin(
        &["exec", "-i", "ticker", "--", "sh", "-c", "cat"],
        "through the tab's agent\nsecond line\n",
    );
    assert!(out.ok(), "{out}\n{}", agent.log_text());
    assert_eq!(out.stdout, "through the tab's agent\nsecond line\n");
    let out = kubectl.kubectl(&["exec", "ticker", "-c", "nope", "--", "env"]);
    assert!(
        !out.ok()
            && out.stderr.contains(
                "Error from server (BadRequest): container nope is not valid for pod ticker"
            ),
        "{out}"
    );

    let mut attach = kubectl.kubectl_streaming(&["attach", "ticker"]).unwrap();
    let last = sees_a_later_tick(&mut attach, "kubectl attach");
    attach.stop();
    // Detaching leaves the container's process running: the log goes on past it.
    let mut follow = kubectl
        .kubectl_streaming(&["logs", "-f", "ticker", "--tail=1"])
        .unwrap();
    let followed = sees_a_later_tick(&mut follow, "kubectl logs -f");
    assert!(followed > last, "{followed} after {last}");
    follow.stop();
}

/// A simulated server under simulated traffic logs a summary per metrics scrape: `logs -f`
/// started with no line shows the next one. An exec there runs in the page's simulated shell.
fn logs_follow_a_simulated_pod(kubectl: &Cluster) {
    let web = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: sim-web\n  labels:\n    app: sim-web\nspec:\n  nodeName: node-1\n  containers:\n  - name: web\n    image: myapp:1.0\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: sim-web\n  annotations:\n    kubeplay.dev/traffic-rps: \"20\"\nspec:\n  selector:\n    app: sim-web\n  ports:\n  - port: 80\n    targetPort: 3000\n";
    std::fs::write(kubectl.home.join("sim-web.yaml"), web).unwrap();
    let out = kubectl.kubectl(&["apply", "-f", "sim-web.yaml"]);
    assert!(out.ok(), "{out}");
    kubectl
        .kubectl_until(
            &["get", "pod", "sim-web", "-o", "jsonpath={.status.phase}"],
            CONNECT,
            |o| o.stdout == "Running",
        )
        .unwrap_or_else(|o| panic!("sim-web never ran:\n{o}"));
    let mut follow = kubectl
        .kubectl_streaming(&["logs", "-f", "sim-web", "--tail=0"])
        .unwrap();
    let line = follow
        .wait_for_line(CONNECT, |l| l.starts_with("GET / 200 ("))
        .unwrap_or_else(|seen| {
            panic!("logs -f of a simulated pod showed no request line: {seen:?}")
        });
    assert!(follow.is_running(), "a follow goes on after {line}");
    follow.stop();

    let out = kubectl.kubectl(&["exec", "sim-web", "--", "env"]);
    assert!(
        out.ok() && out.stdout.lines().any(|l| l == "HOSTNAME=sim-web"),
        "{out}"
    );
}

/// The pods the exec test runs: one on a simulated node, one on the second agent's machine.
fn exec_pods(far_node: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: sim
spec:
  nodeName: node-1
  containers:
  - name: app
    image: myapp:1.0
    env:
    - name: GREETING
      value: hello from the page
---
apiVersion: v1
kind: Pod
metadata:
  name: far
spec:
  nodeName: {far_node}
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: myapp:1.0
    command: [\"sh\", \"-c\", \"sleep 3600\"]
    env:
    - name: GREETING
      value: hello from the far agent
---
apiVersion: v1
kind: Pod
metadata:
  name: far-web
spec:
  nodeName: {far_node}
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: myapp:1.0
    ports:
    - containerPort: 3000
"
    )
}

#[test]
fn kubectl_exec_and_port_forward_through_the_tab_reach_simulated_pods_and_other_agents_pods() {
    let test = "kubectl_page_exec";
    let Some(tools) = tools_or_skip(test) else {
        return;
    };
    let Some(page) = page_or_skip(test) else {
        return;
    };
    if !images_or_skip(test, &["myapp:1.0"]) {
        return;
    }
    let binary = agent_binary().unwrap();
    let (near_node, far_node) = ("e2e-exec-near", "e2e-exec-far");
    let start = |node: &str| {
        let options = AgentOptions::for_page(node, page.origin());
        let agent = AgentProcess::start_fresh(&binary, &options).unwrap();
        (agent, options)
    };
    let (near, options) = start(near_node);
    let (far, _far_options) = start(far_node);
    let kubectl = Cluster::attach(tools, "page-exec", &near, &options).unwrap();

    let play = Playground::open(&page).unwrap();
    play.join(&near.url, &near.token, near_node, CONNECT)
        .unwrap();
    play.join(&far.url, &far.token, far_node, CONNECT).unwrap();

    std::fs::write(kubectl.home.join("pods.yaml"), exec_pods(far_node)).unwrap();
    let out = kubectl.kubectl(&["apply", "-f", "pods.yaml"]);
    assert!(out.ok(), "{out}");
    for pod in ["sim", "far", "far-web"] {
        kubectl
            .kubectl_until(
                &["get", "pod", pod, "-o", "jsonpath={.status.phase}"],
                CONNECT,
                |o| o.stdout == "Running",
            )
            .unwrap_or_else(|o| panic!("{pod} never ran:\n{o}\n{}", far.log_text()));
    }

    // The simulated pod answers from the page's simulated shell.
    let env = kubectl.kubectl(&["exec", "sim", "--", "env"]);
    assert!(env.ok(), "{env}\n{}", near.log_text());
    assert!(
        env.stdout
            .lines()
            .any(|l| l == "GREETING=hello from the page"),
        "{env}"
    );
    assert!(env.stdout.lines().any(|l| l == "HOSTNAME=sim"), "{env}");
    let failed = kubectl.kubectl(&["exec", "sim", "--", "sh", "-c", "exit 4"]);
    assert_eq!(failed.code, Some(4), "{failed}");
    assert!(
        failed
            .stderr
            .contains("command terminated with exit code 4"),
        "{failed}"
    );
    let shell = kubectl.kubectl_stdin(
        &["exec", "-i", "sim", "--", "sh"],
        "echo hi from $HOSTNAME\n",
    );
    assert!(shell.ok(), "{shell}");
    assert_eq!(shell.stdout, "hi from sim\n");

    // The API server's refusals, worded as Kubernetes words them.
    let bad = kubectl.kubectl(&["exec", "sim", "-c", "nope", "--", "env"]);
    assert!(
        bad.stderr
            .contains("Error from server (BadRequest): container nope is not valid for pod sim"),
        "{bad}"
    );
    let missing = kubectl.kubectl(&["exec", "no-such-pod", "--", "env"]);
    assert!(
        missing
            .stderr
            .contains(r#"Error from server (NotFound): pods "no-such-pod" not found"#),
        "{missing}"
    );

    // The pod on the other agent's machine: the page relays between the two links.
    let env = kubectl.kubectl(&["exec", "far", "--", "env"]);
    assert!(env.ok(), "{env}\n{}", near.log_text());
    assert!(
        env.stdout
            .lines()
            .any(|l| l == "GREETING=hello from the far agent"),
        "{env}"
    );
    let failed = kubectl.kubectl(&[
        "exec",
        "far",
        "--",
        "sh",
        "-c",
        "echo to-stderr >&2; exit 3",
    ]);
    assert_eq!(failed.code, Some(3), "{failed}");
    assert!(failed.stderr.contains("to-stderr"), "{failed}");
    assert!(
        failed
            .stderr
            .contains("command terminated with exit code 3"),
        "{failed}"
    );
    let echoed = kubectl.kubectl_stdin(
        &["exec", "-i", "far", "--", "sh", "-c", "cat"],
        "hello through the tab\nsecond line\n",
    );
    assert!(echoed.ok(), "{echoed}");
    assert_eq!(echoed.stdout, "hello through the tab\nsecond line\n");

    // Port-forward through this agent to a pod on the other agent's machine: its relay.
    let port = free_port();
    let mapping = format!("{port}:3000");
    let mut forward = Forward::start(&kubectl, &["port-forward", "pod/far-web", &mapping], true);
    forward.wait_for("that it forwards", |l| {
        l == format!("Forwarding from 127.0.0.1:{port} -> 3000")
    });
    let answers = parallel_gets(port, 3);
    for answer in &answers {
        assert!(
            answer.starts_with("HTTP/1.1 200") && answer.contains("far-web"),
            "{answer}\n{}\n{}",
            near.log_text(),
            far.log_text()
        );
    }
    page.screenshot_as("kubectl-page-exec").unwrap();
}
