//! The seed page's cheat sheet, typed into the in-page kubectl against a real
//! control plane with three simulated nodes on a fake clock. Each test reads
//! like the commands a learner types and checks what kubectl would print.

use jiff::{SignedDuration, Timestamp};
use kubeplay_shared::kubectl::{complete, ExecTarget, Local, Outcome, Session, Shell, ShellOutput, Transport};
use kubeplay_shared::sim::nodes::{add_node, NodeSpec};
use kubeplay_shared::ControlPlane;
use std::collections::BTreeMap;

const FIXTURES: &[(&str, &str)] = &[
    ("k8s/deployment.yaml", include_str!("fixtures/seed/deployment.yaml")),
    ("k8s/service.yaml", include_str!("fixtures/seed/service.yaml")),
    ("k8s/configmap.yaml", include_str!("fixtures/seed/configmap.yaml")),
];

/// A shell that echoes what it was asked to run, so exec's plumbing is visible.
struct EchoShell;

impl Shell for EchoShell {
    fn run(&mut self, _: &mut dyn Transport, target: &ExecTarget, argv: &[String], _: Timestamp) -> ShellOutput {
        match argv.first().map(String::as_str) {
            Some("env") => ShellOutput { stdout: format!("HOSTNAME={}\n", target.pod), ..Default::default() },
            Some("false") => ShellOutput { exit_code: 1, ..Default::default() },
            _ => ShellOutput { stdout: format!("{}:{} {}\n", target.pod, target.container, argv.join(" ")), ..Default::default() },
        }
    }
}

struct Term {
    cp: ControlPlane,
    now: Timestamp,
    session: Session,
    files: BTreeMap<String, String>,
}

impl Term {
    fn new() -> Self {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut cp = ControlPlane::new(7, now);
        for i in 1..=3 {
            let spec = NodeSpec { name: format!("node-{i}"), cpu: "4".into(), memory: "8Gi".into(), pods: 110 };
            add_node(cp.api_mut(), &spec, now).unwrap();
        }
        let files = FIXTURES.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut t = Self { cp, now, session: Session::new(), files };
        t.wait(5);
        t
    }

    fn wait(&mut self, secs: i64) {
        let until = self.now.checked_add(SignedDuration::from_secs(secs)).unwrap();
        self.now = self.cp.run_until(self.now, until, SignedDuration::from_secs(1));
    }

    fn run(&mut self, line: &str) -> Outcome {
        let mut transport = Local::new(&mut self.cp, self.now);
        self.session.run(&mut transport, line, &self.files, &mut EchoShell, self.now)
    }

    /// Runs a command that must succeed and returns its stdout.
    fn ok(&mut self, line: &str) -> String {
        let o = self.run(line);
        assert_eq!(o.exit_code, 0, "{line}\nstdout:\n{}\nstderr:\n{}", o.stdout, o.stderr);
        o.stdout
    }

    fn err(&mut self, line: &str) -> String {
        let o = self.run(line);
        assert_ne!(o.exit_code, 0, "{line} should fail\nstdout:\n{}", o.stdout);
        o.stderr
    }

    fn poll(&mut self, follow: &mut kubeplay_shared::kubectl::Follow) -> kubeplay_shared::kubectl::Polled {
        let mut transport = Local::new(&mut self.cp, self.now);
        follow.poll(&mut transport, self.now)
    }

    fn complete(&mut self, line: &str) -> Vec<String> {
        let mut transport = Local::new(&mut self.cp, self.now);
        complete(&mut self.session, &mut transport, line, line.len(), &self.files)
    }

    fn pod_names(&mut self) -> Vec<String> {
        let out = self.ok("kubectl get pods -l app=my-api -o jsonpath={.items[*].metadata.name}");
        out.split_whitespace().map(str::to_string).collect()
    }

    fn deployed() -> Self {
        let mut t = Self::new();
        t.ok("kubectl apply -f ./k8s/");
        t.wait(60);
        t
    }
}

#[test]
fn explore() {
    let mut t = Term::deployed();
    for line in [
        "kubectl get pods",
        "kubectl get pods -o wide",
        "kubectl get deployments",
        "kubectl get services",
        "kubectl get all",
        "kubectl get namespaces",
        "kubectl get nodes",
    ] {
        let o = t.run(line);
        println!("$ {line}\n{}{}", o.stdout, o.stderr);
    }
    let pod = t.pod_names()[0].clone();
    for line in [format!("kubectl describe pod {pod}"), "kubectl describe deployment my-api".into(), "kubectl describe svc my-api-service".into(), "kubectl describe node node-1".into(), format!("kubectl logs {pod}")] {
        let o = t.run(&line);
        println!("$ {line}\n{}{}", o.stdout, o.stderr);
    }
}
