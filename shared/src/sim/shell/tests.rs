//! The shell against a running offline cluster: the seed's Deployment and Service
//! on simulated nodes, driven on a fake clock, entered the way `kubectl exec` enters pods.

use super::*;
use crate::manifest::apply::apply;
use crate::sim::nodes::{add_node, NodeSpec};
use crate::ControlPlane;
use jiff::SignedDuration;
use serde_json::json;

const SEED_DEPLOYMENT: &str = include_str!("../../../tests/fixtures/seed/deployment.yaml");
const SEED_SERVICE: &str = include_str!("../../../tests/fixtures/seed/service.yaml");

const EXTRAS: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  APP_ENV: production
  LOG_LEVEL: info
---
apiVersion: v1
kind: Pod
metadata:
  name: toolbox
spec:
  containers:
  - name: box
    image: busybox
    command: ["sleep", "infinity"]
    envFrom:
    - configMapRef:
        name: app-config
    volumeMounts:
    - name: config
      mountPath: /etc/config
  volumes:
  - name: config
    configMap:
      name: app-config
---
apiVersion: v1
kind: Pod
metadata:
  name: stuck
spec:
  nodeSelector:
    disk: none
  containers:
  - name: app
    image: nginx
"#;

struct Cluster {
    cp: ControlPlane,
    now: Timestamp,
}

impl Cluster {
    fn new() -> Self {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut cp = ControlPlane::new(5, now);
        for i in 1..=2 {
            let spec = NodeSpec { name: format!("node-{i}"), cpu: "4".into(), memory: "8Gi".into(), pods: 110 };
            add_node(cp.api_mut(), &spec, now).unwrap();
        }
        let mut c = Cluster { cp, now };
        for source in [SEED_SERVICE, SEED_DEPLOYMENT, EXTRAS] {
            for o in apply(c.cp.api_mut(), source, "default", now).unwrap() {
                assert!(o.result.is_ok(), "{}", o.summary());
            }
        }
        c.run(60);
        c
    }

    fn run(&mut self, secs: i64) {
        let until = self.now.checked_add(SignedDuration::from_secs(secs)).unwrap();
        self.now = self.cp.run_until(self.now, until, SignedDuration::from_secs(1));
    }

    fn api(&self) -> &ApiServer {
        self.cp.api()
    }

    fn my_api_pods(&self) -> Vec<String> {
        let r = pods_resource().unwrap();
        self.api()
            .list(r, Some("default"))
            .filter(|p| meta::label(p, "app") == Some("my-api"))
            .map(|p| meta::name(p).to_string())
            .collect()
    }

    fn exec(&self, pod: &str, argv: &[&str]) -> Result<ShellOutput, ExecError> {
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        exec(self.api(), "default", pod, None, &argv, self.now)
    }

    fn sh(&self, pod: &str, program: &str) -> ShellSession {
        ShellSession::open(self.api(), "default", pod, None, program).unwrap()
    }
}

#[test]
fn env_shows_the_spec_variables_and_what_kubernetes_injects() {
    let c = Cluster::new();
    let pod = c.my_api_pods()[0].clone();
    let out = c.exec(&pod, &["env"]).unwrap();
    assert_eq!(out.exit_code, 0);
    for line in [
        format!("HOSTNAME={pod}"),
        "DATABASE_URL=postgres://user:pass@db-service:5432/mydb".to_string(),
        "KUBERNETES_SERVICE_HOST=10.96.0.1".to_string(),
        "KUBERNETES_PORT=tcp://10.96.0.1:443".to_string(),
        "HOME=/root".to_string(),
    ] {
        assert!(out.stdout.lines().any(|l| l == line), "{line} missing from\n{}", out.stdout);
    }
    let ip = c.api().get(resources::by_plural("", "v1", "services").unwrap(), "default", "my-api-service").unwrap()["spec"]["clusterIP"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(out.stdout.contains(&format!("MY_API_SERVICE_SERVICE_HOST={ip}\n")));
    assert!(out.stdout.contains(&format!("MY_API_SERVICE_PORT_80_TCP=tcp://{ip}:80\n")));
    let one = c.exec("toolbox", &["printenv", "APP_ENV"]).unwrap();
    assert_eq!(one.stdout, "production\n");
    assert_eq!(c.exec("toolbox", &["printenv", "NOPE"]).unwrap().exit_code, 1);
}

#[test]
fn a_service_created_after_the_pod_started_is_not_in_its_environment() {
    let mut c = Cluster::new();
    let late = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "late"}, "spec": {"ports": [{"port": 80}]}});
    let now = c.now;
    apply(c.cp.api_mut(), &late.to_string(), "default", now).unwrap();
    c.run(5);
    let env = c.exec("toolbox", &["env"]).unwrap().stdout;
    assert!(!env.contains("LATE_SERVICE_HOST"));
    assert!(c.exec("toolbox", &["nslookup", "late"]).unwrap().stdout.contains("Name:\tlate.default.svc.cluster.local"), "DNS knows it at once");
}

#[test]
fn curl_to_the_service_name_reaches_every_replica_in_turn() {
    let c = Cluster::new();
    let pod = c.my_api_pods()[0].clone();
    let mut sh = c.sh(&pod, "bash");
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..30 {
        let out = sh.run(c.api(), "curl -s http://my-api-service", c.now);
        assert_eq!(out.exit_code, 0, "{}", out.stderr);
        assert!(out.stdout.starts_with("Hello from myapp 1.0 on pod my-api-"), "{}", out.stdout);
        seen.insert(out.stdout);
    }
    assert_eq!(seen.len(), 3, "kube-proxy spreads requests over the three pods: {seen:?}");
    let full = sh.run(c.api(), "curl -i my-api-service.default.svc.cluster.local/health", c.now);
    assert!(full.stdout.starts_with("HTTP/1.1 200 OK\r\n"), "{}", full.stdout);
    assert!(full.stdout.ends_with("{\"status\":\"ok\"}"));
    let missing = sh.run(c.api(), "curl -sf my-api-service/nope", c.now);
    assert_eq!(missing.exit_code, 22);
    let nowhere = sh.run(c.api(), "curl http://db-service:5432", c.now);
    assert_eq!((nowhere.exit_code, nowhere.stderr.as_str()), (6, "curl: (6) Could not resolve host: db-service\n"));
}

#[test]
fn busybox_has_wget_and_nslookup_but_no_curl_or_bash() {
    let c = Cluster::new();
    let mut sh = c.sh("toolbox", "sh");
    let out = sh.run(c.api(), "wget -qO- http://my-api-service", c.now);
    assert!(out.stdout.starts_with("Hello from myapp 1.0 on pod my-api-"), "{out:?}");
    let out = sh.run(c.api(), "curl my-api-service", c.now);
    assert_eq!((out.exit_code, out.stderr.as_str()), (127, "sh: curl: not found\n"));
    let out = sh.run(c.api(), "nslookup my-api-service", c.now);
    assert!(out.stdout.starts_with("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tmy-api-service.default.svc.cluster.local\nAddress: 10.9"), "{}", out.stdout);
    let bash = ShellSession::open(c.api(), "default", "toolbox", None, "bash").unwrap_err();
    assert!(bash.to_string().ends_with("exec: \"bash\": executable file not found in $PATH: unknown"), "{bash}");
    assert!(c.exec("toolbox", &["foo"]).unwrap_err().to_string().contains("exec: \"foo\": executable file not found"));
}

#[test]
fn the_kubelet_written_files_and_mounted_config_are_there() {
    let c = Cluster::new();
    let mut sh = c.sh("toolbox", "sh");
    assert_eq!(
        sh.run(c.api(), "cat /etc/resolv.conf", c.now).stdout,
        "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"
    );
    let hosts = sh.run(c.api(), "cat /etc/hosts", c.now).stdout;
    assert!(hosts.starts_with("# Kubernetes-managed hosts file.\n"));
    assert!(hosts.trim_end().ends_with("\ttoolbox"), "{hosts}");
    assert_eq!(sh.run(c.api(), "ls /etc/config", c.now).stdout, "APP_ENV  LOG_LEVEL\n");
    assert_eq!(sh.run(c.api(), "cat /etc/config/LOG_LEVEL", c.now).stdout, "info");
    let long = sh.run(c.api(), "ls -l /etc/config", c.now).stdout;
    assert!(long.contains("APP_ENV -> ..data/APP_ENV"), "{long}");
    assert_eq!(sh.run(c.api(), "cat /var/run/secrets/kubernetes.io/serviceaccount/namespace", c.now).stdout, "default");
    let token = sh.run(c.api(), "cat /var/run/secrets/kubernetes.io/serviceaccount/token", c.now).stdout;
    assert_eq!(token.split('.').count(), 3, "a JWT-shaped token");
    let out = sh.run(c.api(), "cat /nope", c.now);
    assert_eq!((out.exit_code, out.stderr.as_str()), (1, "cat: can't open '/nope': No such file or directory\n"));
    assert_eq!(sh.run(c.api(), "hostname; whoami; id", c.now).stdout, "toolbox\nroot\nuid=0(root) gid=0(root) groups=0(root)\n");
}

#[test]
fn lines_chain_quote_pipe_and_remember_the_directory() {
    let c = Cluster::new();
    let mut sh = c.sh("toolbox", "sh");
    assert_eq!(sh.prompt(), "/ # ");
    assert_eq!(sh.run(c.api(), "cd /etc/config && pwd; false || echo \"fell back  here\"", c.now).stdout, "/etc/config\nfell back  here\n");
    assert_eq!(sh.prompt(), "/etc/config # ");
    assert_eq!(sh.run(c.api(), "cat LOG_LEVEL; echo; echo '$HOME' $HOME", c.now).stdout, "info\n$HOME /root\n");
    assert_eq!(sh.run(c.api(), "env | grep APP_ | sort", c.now).stdout, "APP_ENV=production\n");
    assert_eq!(sh.run(c.api(), "echo hi > /tmp/x; cat /tmp/x", c.now).stdout, "hi\n");
    assert_eq!(sh.run(c.api(), "cat /tmp/x", c.now).stdout, "hi\n", "the file outlives the line");
    let out = sh.run(c.api(), "foo --bar", c.now);
    assert_eq!((out.exit_code, out.stderr.as_str()), (127, "sh: foo: not found\n"));
    assert_eq!(sh.run(c.api(), "echo $?", c.now).stdout, "127\n");
    let out = sh.run(c.api(), "cd /nope", c.now);
    assert_eq!(out.stderr, "sh: cd: can't cd to /nope: No such file or directory\n");
    assert_eq!(sh.run(c.api(), "echo 'open", c.now).stderr, "sh: syntax error: unterminated quoted string\n");
    let out = sh.run(c.api(), "exit 3", c.now);
    assert_eq!(out.exit_code, 3);
    assert!(sh.is_closed());
}

#[test]
fn sh_dash_c_runs_a_script_in_one_shot_exec() {
    let c = Cluster::new();
    let pod = c.my_api_pods()[0].clone();
    let out = c.exec(&pod, &["sh", "-c", "echo $HOSTNAME && pwd"]).unwrap();
    assert_eq!(out.stdout, format!("{pod}\n/app\n"));
    let out = c.exec(&pod, &["bash", "-c", "nosuch"]).unwrap();
    assert_eq!((out.exit_code, out.stderr.as_str()), (127, "bash: nosuch: command not found\n"));
}

#[test]
fn no_ready_endpoint_means_connection_refused() {
    let mut c = Cluster::new();
    let pods = c.my_api_pods();
    let now = c.now;
    let scale = crate::Request::patch(
        "/apis/apps/v1/namespaces/default/deployments/my-api/scale",
        "application/merge-patch+json",
        json!({"spec": {"replicas": 0}}).to_string(),
    );
    assert_eq!(c.cp.api_mut().handle(&scale, now).status(), 200);
    c.run(60);
    assert!(c.my_api_pods().is_empty(), "{pods:?} are gone");
    let mut sh = c.sh("toolbox", "sh");
    let out = sh.run(c.api(), "wget -qO- my-api-service", c.now);
    assert!(out.stderr.ends_with("): Connection refused\n"), "{out:?}");
    let mut nginx_less = c.exec("toolbox", &["sh", "-c", "wget -q -O - http://my-api-service:80/"]).unwrap();
    nginx_less.stderr.clear();
    assert_eq!(nginx_less.exit_code, 1);
}

#[test]
fn exec_refusals_are_worded_like_kubectl() {
    let c = Cluster::new();
    assert_eq!(c.exec("ghost", &["env"]).unwrap_err().to_string(), "Error from server (NotFound): pods \"ghost\" not found");
    assert_eq!(c.exec("stuck", &["env"]).unwrap_err().to_string(), "error: unable to upgrade connection: pod does not exist");
    let wrong = exec(c.api(), "default", "toolbox", Some("nope"), &["env".to_string()], c.now).unwrap_err();
    assert_eq!(wrong.to_string(), "Error from server (BadRequest): container nope is not valid for pod toolbox");
}

#[test]
fn a_container_that_is_not_running_cannot_be_entered() {
    let mut c = Cluster::new();
    let crash = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "crasher", "annotations": {crate::sim::images::FAULT_ANNOTATION: "crash"}},
        "spec": {"containers": [{"name": "app", "image": "myapp:1.0"}]}});
    let now = c.now;
    apply(c.cp.api_mut(), &crash.to_string(), "default", now).unwrap();
    // Long enough to crash and sit in CrashLoopBackOff.
    c.run(20);
    let waiting = c
        .api()
        .get(pods_resource().unwrap(), "default", "crasher")
        .unwrap()
        .pointer("/status/containerStatuses/0/state/waiting/reason")
        .and_then(Value::as_str)
        .map(str::to_string);
    assert_eq!(waiting.as_deref(), Some("CrashLoopBackOff"));
    assert_eq!(c.exec("crasher", &["env"]).unwrap_err().to_string(), "error: unable to upgrade connection: container not found (\"app\")");
}
