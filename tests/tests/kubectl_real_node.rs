//! The real kubectl v1.35 against `kubeplay-agent run --embedded-control-plane` with this
//! machine as a real node on Docker (beside a simulated one): the seed's Deployment runs in
//! containers, `kubectl exec` reaches them (env, stdin, exit codes) and the simulated pods,
//! `kubectl logs` (`-f`, `--previous`) reads the real containers' output, `kubectl attach`
//! reaches a container's own process (and detaching leaves it running), and
//! `kubectl port-forward` carries parallel connections to them.
//!
//! Skips loudly without kubectl (`cargo xtask kubectl`), Docker or the demo images
//! (`cargo xtask demo-image`); under `CI=true` those fail. Each test registers its own node
//! name and removes that node's containers at the end (`kubeplay-agent reset`).

use kubeplay_e2e::agent::binary::agent_binary;
use kubeplay_e2e::agent::docker::{demo_images_or_skip, engine_or_skip};
use kubeplay_e2e::kubectl::port_forward::{free_port, parallel_gets, Forward};
use kubeplay_e2e::kubectl::{tools_or_skip, Cluster, Output, Tools};
use kubeplay_e2e::locate::workspace_root;
use std::path::PathBuf;
use std::time::Duration;

/// Long enough for the node to register, containers to start and rollouts to finish.
const CONVERGE: Duration = Duration::from_secs(120);
/// The simulated node beside the real one.
const SIMULATED: &str = "node-1";

/// A cluster whose real node is this machine, removed with its containers when dropped.
struct RealNode {
    /// Taken when dropped: the agent stops before its containers are removed.
    cluster: Option<Cluster>,
    node: String,
    state_dir: PathBuf,
}

impl RealNode {
    /// Starts the agent with node `node` and one simulated node, and waits until both are
    /// Ready; `None` (after a loud notice) when kubectl, Docker or the images are missing.
    fn start(test: &str, node: &str) -> Option<RealNode> {
        let tools: Tools = tools_or_skip(test)?;
        let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
        let images = runtime.block_on(async {
            let docker = engine_or_skip(test).await?;
            demo_images_or_skip(&docker, test, &["myapp:1.0", "busybox:1.36"])
                .await
                .then_some(())
        });
        images?;
        let state_dir = Cluster::state_dir_for(test);
        reset(node, &state_dir);
        let node_args = [
            "--node-name".to_string(),
            node.to_string(),
            "--proxy-port".to_string(),
            "0".to_string(),
        ];
        let cluster = Cluster::start_with_local_node(tools, test, 1, &node_args)
            .unwrap_or_else(|e| panic!("{test}: {e}"));
        let real = RealNode {
            cluster: Some(cluster),
            node: node.to_string(),
            state_dir,
        };
        real.until(&["get", "nodes"], "both nodes Ready", |out| {
            [node, SIMULATED].iter().all(|n| {
                out.lines().any(|l| {
                    let cells: Vec<&str> = l.split_whitespace().collect();
                    cells.first() == Some(n) && cells.get(1) == Some(&"Ready")
                })
            })
        });
        Some(real)
    }

    fn cluster(&self) -> &Cluster {
        self.cluster
            .as_ref()
            .expect("the cluster runs until dropped")
    }

    fn kubectl(&self, args: &[&str]) -> Output {
        self.cluster().kubectl(args)
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.ok(),
            "kubectl {} failed:\n{out}\nagent log:\n{}",
            args.join(" "),
            self.cluster().log_text()
        );
        out.stdout
    }

    #[track_caller]
    fn until(&self, args: &[&str], what: &str, done: impl Fn(&str) -> bool) -> String {
        match self
            .cluster()
            .kubectl_until(args, CONVERGE, |o| o.ok() && done(&o.stdout))
        {
            Ok(out) => out.stdout,
            Err(last) => panic!(
                "kubectl {}: never {what}; last:\n{last}\nagent log:\n{}",
                args.join(" "),
                self.cluster().log_text()
            ),
        }
    }

    /// Runs a pod on one node (busybox, `sh -c script`) and waits until it runs.
    fn run_on(&self, pod: &str, node: &str, script: &str) {
        let overrides = format!(r#"{{"spec":{{"nodeName":"{node}"}}}}"#);
        self.ok(&[
            "run",
            pod,
            "--image=busybox:1.36",
            "--overrides",
            &overrides,
            "--",
            "sh",
            "-c",
            script,
        ]);
        self.until(
            &["get", "pod", pod, "-o", "jsonpath={.status.phase}"],
            "Running",
            |phase| phase == "Running",
        );
    }
}

impl Drop for RealNode {
    fn drop(&mut self) {
        // The agent stops first (its pods keep running), then its containers are removed.
        drop(self.cluster.take());
        reset(&self.node, &self.state_dir);
    }
}

/// `kubeplay-agent reset` for `node`: no containers of an earlier run collide with this one.
fn reset(node: &str, state_dir: &std::path::Path) {
    if let Ok(binary) = agent_binary() {
        kubeplay_e2e::agent::process::reset(&binary, node, state_dir);
    }
}

fn seed(file: &str) -> String {
    workspace_root()
        .join("shared/tests/fixtures/seed")
        .join(file)
        .display()
        .to_string()
}

#[test]
fn kubectl_execs_into_the_seed_deployment_on_the_real_node_and_into_a_simulated_pod() {
    let test = "kubectl_real_node_exec";
    let Some(real) = RealNode::start(test, "kubeplay-e2e-exec") else {
        return;
    };
    // Only the real node takes the Deployment's pods.
    real.ok(&["cordon", SIMULATED]);
    real.ok(&["apply", "-f", &seed("deployment.yaml")]);
    real.ok(&["rollout", "status", "deployment/my-api", "--timeout=120s"]);
    let nodes = real.ok(&[
        "get",
        "pods",
        "-l",
        "app=my-api",
        "-o",
        "jsonpath={.items[*].spec.nodeName}",
    ]);
    assert!(
        nodes.split_whitespace().all(|n| n == real.node),
        "every replica runs on the real node: {nodes}"
    );

    let env = real.ok(&["exec", "deploy/my-api", "--", "env"]);
    assert!(
        env.lines()
            .any(|l| l == "DATABASE_URL=postgres://user:pass@db-service:5432/mydb"),
        "the container's environment:\n{env}"
    );
    assert!(
        env.lines().any(|l| l.starts_with("HOSTNAME=my-api-")),
        "{env}"
    );

    let echoed = real.cluster().kubectl_stdin(
        &["exec", "-i", "deploy/my-api", "--", "sh", "-c", "cat"],
        "hello through stdin\nsecond line\n",
    );
    assert!(echoed.ok(), "{echoed}");
    assert_eq!(echoed.stdout, "hello through stdin\nsecond line\n");

    let failed = real.kubectl(&[
        "exec",
        "deploy/my-api",
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

    let bad = real.kubectl(&["exec", "deploy/my-api", "-c", "nope", "--", "env"]);
    assert_eq!(bad.code, Some(1), "{bad}");
    assert!(
        bad.stderr.contains(
            "Error from server (BadRequest): container nope is not valid for pod my-api-"
        ),
        "{bad}"
    );
    let missing = real.kubectl(&["exec", "no-such-pod", "--", "env"]);
    assert!(
        missing
            .stderr
            .contains(r#"Error from server (NotFound): pods "no-such-pod" not found"#),
        "{missing}"
    );

    // A pod of the simulated node answers from the simulated shell.
    real.run_on("sim", SIMULATED, "sleep 3600");
    let sim_env = real.ok(&["exec", "sim", "--", "env"]);
    assert!(sim_env.lines().any(|l| l == "HOSTNAME=sim"), "{sim_env}");
    let sim_exit = real.kubectl(&["exec", "sim", "--", "sh", "-c", "exit 4"]);
    assert_eq!(sim_exit.code, Some(4), "{sim_exit}");
    assert!(
        sim_exit
            .stderr
            .contains("command terminated with exit code 4"),
        "{sim_exit}"
    );
    let sim_shell = real.cluster().kubectl_stdin(
        &["exec", "-i", "sim", "--", "sh"],
        "echo hi from $HOSTNAME\n",
    );
    assert!(sim_shell.ok(), "{sim_shell}");
    assert_eq!(sim_shell.stdout, "hi from sim\n");
}

#[test]
fn kubectl_logs_follow_and_previous_read_the_real_containers() {
    let test = "kubectl_real_node_logs";
    let Some(real) = RealNode::start(test, "kubeplay-e2e-logs") else {
        return;
    };
    let node = real.node.clone();
    real.run_on(
        "ticker",
        &node,
        "i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done",
    );
    real.until(&["logs", "ticker"], "logged a tick", |out| {
        out.contains("tick 1\n")
    });
    let mut follow = real
        .cluster()
        .kubectl_streaming(&["logs", "-f", "ticker", "--tail=1"])
        .expect("kubectl logs -f starts");
    let first = follow
        .wait_for_line(CONVERGE, |l| l.starts_with("tick "))
        .unwrap_or_else(|seen| panic!("no line from logs -f: {seen:?}"));
    let first_n: u64 = first["tick ".len()..].parse().expect("a counter");
    let later = follow
        .wait_for_line(CONVERGE, |l| {
            l.strip_prefix("tick ")
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|n| n > first_n)
        })
        .unwrap_or_else(|seen| panic!("logs -f streamed no new line: {seen:?}"));
    assert!(follow.is_running(), "a follow keeps going after {later}");
    follow.stop();

    let tail = real.ok(&["logs", "ticker", "--tail=2"]);
    assert_eq!(tail.lines().count(), 2, "{tail}");

    // A container that exits is restarted; --previous reads the instance before.
    real.run_on(
        "crasher",
        &node,
        "echo run at $(cat /proc/uptime); sleep 2; exit 1",
    );
    real.until(
        &[
            "get",
            "pod",
            "crasher",
            "-o",
            "jsonpath={.status.containerStatuses[0].restartCount}",
        ],
        "restarted",
        |n| n.trim().parse::<u32>().is_ok_and(|n| n >= 1),
    );
    let previous = real.until(
        &["logs", "crasher", "--previous"],
        "a previous log",
        |out| out.starts_with("run at "),
    );
    // The instance running now logs its own line, not the previous one's.
    real.until(&["logs", "crasher"], "a log of its own", |out| {
        out.starts_with("run at ") && out != previous
    });
    // A follow ends when its container does, as a kubelet's does.
    let mut follow = real
        .cluster()
        .kubectl_streaming(&["logs", "-f", "crasher"])
        .expect("kubectl logs -f starts");
    let (status, lines) = follow
        .wait_exit(CONVERGE)
        .expect("logs -f ends when the container exits");
    assert!(status.success(), "{status}: {lines:?}");
    assert!(
        lines.first().is_some_and(|l| l.starts_with("run at ")),
        "{lines:?}"
    );
}

#[test]
fn kubectl_port_forward_reaches_the_seed_deployment_on_the_real_node() {
    let test = "kubectl_real_node_port_forward";
    let Some(real) = RealNode::start(test, "kubeplay-e2e-pf") else {
        return;
    };
    real.ok(&["cordon", SIMULATED]);
    real.ok(&["apply", "-f", &seed("deployment.yaml")]);
    real.ok(&["rollout", "status", "deployment/my-api", "--timeout=120s"]);

    let port = free_port();
    let mapping = format!("{port}:3000");
    // kubectl's default transport: SPDY tunnelled in a WebSocket, over the agent's HTTPS.
    let mut forward = Forward::start(
        real.cluster(),
        &["port-forward", "deploy/my-api", &mapping],
        true,
    );
    forward.wait_for("that it forwards", |l| {
        l == format!("Forwarding from 127.0.0.1:{port} -> 3000")
    });
    let answers = parallel_gets(port, 4);
    for answer in &answers {
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(
            answer.contains("1.0"),
            "myapp answers with its version: {answer}"
        );
    }
    forward.wait_for("one connection handled", |l| {
        l == "Handling connection for ".to_string() + &port.to_string()
    });
    assert!(
        forward.child.try_wait().unwrap().is_none(),
        "the forward is still running"
    );
}

#[test]
fn kubectl_attach_reaches_a_real_containers_process_and_detaching_leaves_it_running() {
    let test = "kubectl_real_node_attach";
    let Some(real) = RealNode::start(test, "kubeplay-e2e-attach") else {
        return;
    };
    let node = real.node.clone();
    let shell = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: shell\nspec:\n  nodeName: {node}\n  containers:\n  - name: shell\n    image: busybox:1.36\n    command: [sh]\n    stdin: true\n"
    );
    let applied = real.cluster().kubectl_stdin(&["apply", "-f", "-"], &shell);
    assert!(applied.ok(), "{applied}");
    real.until(
        &["get", "pod", "shell", "-o", "jsonpath={.status.phase}"],
        "Running",
        |phase| phase == "Running",
    );
    // The container's own sh reads what kubectl attach -i sends, and its output comes back.
    let attached = real.cluster().kubectl_stdin(
        &["attach", "-i", "shell"],
        "echo attached-$((40+2))\nexit\n",
    );
    assert!(
        attached.ok(),
        "{attached}\nagent log:\n{}",
        real.cluster().log_text()
    );
    assert!(
        attached.stdout.lines().any(|l| l == "attached-42"),
        "{attached}"
    );

    real.run_on(
        "ticker",
        &node,
        "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.2; done",
    );
    let mut attach = real
        .cluster()
        .kubectl_streaming(&["attach", "ticker"])
        .expect("kubectl attach starts");
    let counter = |l: &str| l.strip_prefix("line ").and_then(|n| n.parse::<u64>().ok());
    let first = attach
        .wait_for_line(CONVERGE, |l| counter(l).is_some())
        .unwrap_or_else(|seen| panic!("no line from attach: {seen:?}"));
    let first_n = counter(&first).expect("a counter");
    let later = attach
        .wait_for_line(CONVERGE, |l| counter(l).is_some_and(|n| n > first_n))
        .unwrap_or_else(|seen| panic!("attach streamed no new line: {seen:?}"));
    assert!(attach.is_running(), "attach keeps going after {later}");
    let last_seen = counter(&later).expect("a counter");
    // Killing kubectl detaches; the container's process goes on, never restarted.
    attach.stop();
    real.until(
        &["logs", "ticker", "--tail=1"],
        "logging on after the detach",
        |out| counter(out.trim()).is_some_and(|n| n > last_seen + 5),
    );
    let state = real.ok(&[
        "get",
        "pod",
        "ticker",
        "-o",
        "jsonpath={.status.phase} {.status.containerStatuses[0].restartCount}",
    ]);
    assert_eq!(state, "Running 0");
}
