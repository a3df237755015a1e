//! Shared pieces of the runtime's Docker tests: a runtime or a loud skip (a failure under
//! `CI=true`), a busybox image built locally from Debian's busybox-static, pod builders and
//! waiting for reports.
#![allow(dead_code)]

use kubeplay_agent::runtime::engine::Engine;
use kubeplay_agent::runtime::tarball::Entry;
use kubeplay_agent::runtime::{PodRef, PodRuntime, Report, Reports, RuntimeConfig};
use kubeplay_shared::node_protocol::{DesiredPod, EnvVar, ResolvedVolume};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

pub const BUSYBOX: &str = "kubeplay-test/busybox:1";
const APPLETS: &[&str] = &[
    "sh", "env", "cat", "echo", "sleep", "httpd", "wget", "mkdir", "ls", "nc", "true", "false",
    "touch", "rm",
];

/// How long a test waits for something the runtime should report before it fails.
pub const PATIENCE: Duration = Duration::from_secs(90);

fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn skip(test: &str, why: &str) -> Option<(PodRuntime, Inbox)> {
    if is_ci() {
        panic!("{test}: CI=true requires the Docker runtime tests to run, but: {why}");
    }
    eprintln!("\n######## SKIPPED Docker runtime test {test}: {why} ########\n");
    None
}

/// Each test is its own node, so parallel tests never see each other's pods as orphans.
pub fn node(test: &str) -> String {
    format!("test-{test}-{}", std::process::id())
}

pub fn config(test: &str) -> RuntimeConfig {
    RuntimeConfig {
        node_name: node(test),
        host_ip: "127.0.0.1".into(),
        state_dir: std::env::temp_dir()
            .join(format!("kubeplay-runtime-{test}-{}", std::process::id())),
        network: Default::default(),
    }
}

/// Whether an ELF64 file asks for a dynamic loader (has a PT_INTERP program header).
fn has_interpreter(elf: &[u8]) -> bool {
    let num = |at: usize, len: usize| {
        elf.get(at..at + len).map_or(0, |b| {
            b.iter().rev().fold(0usize, |n, &x| n << 8 | x as usize)
        })
    };
    let (offset, size, count) = (num(32, 8), num(54, 2), num(56, 2));
    (0..count).any(|i| num(offset + i * size, 4) == 3)
}

/// A connected runtime with the busybox test image present, or `None` after a loud notice when
/// this machine has no Docker engine or no busybox-static (a failure under `CI=true`).
pub async fn runtime_or_skip(test: &str) -> Option<(PodRuntime, Inbox)> {
    let busybox = match std::fs::read("/bin/busybox") {
        Ok(b) => b,
        Err(e) => {
            return skip(
                test,
                &format!("/bin/busybox (apt-get install busybox-static): {e}"),
            )
        }
    };
    // The plain `busybox` package installs a dynamic one there, which cannot run FROM scratch.
    if has_interpreter(&busybox) {
        return skip(
            test,
            "/bin/busybox is dynamically linked (apt-get install busybox-static)",
        );
    }
    let (runtime, reports) = match PodRuntime::connect(config(test)).await {
        Ok(r) => r,
        Err(e) => return skip(test, &e.to_string()),
    };
    let mut context = vec![
        Entry::File {
            path: "Dockerfile".into(),
            mode: 0o644,
            data: b"FROM scratch\nCOPY bin /bin\nENV PATH=/bin\nCMD [\"sh\"]\n".to_vec(),
        },
        Entry::File {
            path: "bin/busybox".into(),
            mode: 0o755,
            data: busybox,
        },
    ];
    for applet in APPLETS {
        context.push(Entry::Symlink {
            path: format!("bin/{applet}"),
            target: "busybox".into(),
        });
    }
    runtime
        .docker()
        .build_image(BUSYBOX, &context)
        .await
        .expect("build the busybox test image");
    Some((runtime, Inbox::new(reports)))
}

/// A unique pod of `containers` in its own namespace.
pub fn pod(test: &str, containers: Value, restart_policy: &str) -> DesiredPod {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let uid = format!("{test}-{n}");
    DesiredPod {
        pod: json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("{test}-pod"), "namespace": format!("ns-{test}"), "uid": uid},
            "spec": {"containers": containers, "restartPolicy": restart_policy, "terminationGracePeriodSeconds": 2},
        }),
        env: BTreeMap::new(),
        volumes: BTreeMap::new(),
    }
}

pub fn with_env(mut d: DesiredPod, container: &str, env: &[(&str, &str)]) -> DesiredPod {
    d.env.insert(
        container.into(),
        env.iter()
            .map(|(n, v)| EnvVar {
                name: n.to_string(),
                value: v.to_string(),
            })
            .collect(),
    );
    d
}

pub fn with_volume(mut d: DesiredPod, name: &str, volume: ResolvedVolume) -> DesiredPod {
    let spec = d.pod["spec"].as_object_mut().expect("spec");
    let list = spec.entry("volumes").or_insert_with(|| json!([]));
    list.as_array_mut()
        .expect("volumes")
        .push(json!({"name": name}));
    d.volumes.insert(name.into(), volume);
    d
}

pub fn pod_ref(d: &DesiredPod) -> PodRef {
    let s = |p: &str| {
        d.pod
            .pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    PodRef {
        uid: s("/metadata/uid"),
        namespace: s("/metadata/namespace"),
        name: s("/metadata/name"),
    }
}

/// Removes a test pod's containers even when the test panics half-way.
pub struct Cleanup(pub &'static str, pub PodRef);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let (uid, node) = (self.1.uid.clone(), node(self.0));
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let Ok(engine) =
                    kubeplay_agent::runtime::docker::DockerEngine::connect(&node).await
                else {
                    return;
                };
                for c in engine.list_managed().await.unwrap_or_default() {
                    if c.labels.get("kubeplay.dev/pod-uid") == Some(&uid) {
                        let _ = engine.remove(&c.id).await;
                    }
                }
            });
        })
        .join();
    }
}

/// The runtime's reports, with those about other pods kept for later, so tests can wait on
/// several pods whose reports interleave.
pub struct Inbox {
    rx: Reports,
    backlog: std::collections::VecDeque<Report>,
}

impl Inbox {
    pub fn new(rx: Reports) -> Self {
        Self {
            rx,
            backlog: Default::default(),
        }
    }

    /// The next report about `pod`, from the backlog first.
    async fn next_for(&mut self, pod: &PodRef, deadline: tokio::time::Instant) -> Option<Report> {
        if let Some(i) = self.backlog.iter().position(|r| about(r) == pod) {
            return self.backlog.remove(i);
        }
        loop {
            let report = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .ok()??;
            if about(&report) == pod {
                return Some(report);
            }
            self.backlog.push_back(report);
        }
    }
}

fn about(report: &Report) -> &PodRef {
    match report {
        Report::Status { pod, .. } | Report::Removed { pod } => pod,
        Report::Event(e) => &e.pod,
    }
}

/// Reads `pod`'s reports until one satisfies `want`; the ones before it are returned too, so
/// tests can look at the events that came first.
pub async fn wait_for(
    inbox: &mut Inbox,
    pod: &PodRef,
    what: &str,
    mut want: impl FnMut(&Report) -> bool,
) -> (Report, Vec<Report>) {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let Some(report) = inbox.next_for(pod, deadline).await else {
            panic!("waited {PATIENCE:?} for {what}; reports so far: {seen:#?}");
        };
        if want(&report) {
            return (report, seen);
        }
        seen.push(report);
    }
}

/// The status of the container `name` in a status report.
pub fn container_status<'a>(report: &'a Report, name: &str) -> Option<&'a Value> {
    let Report::Status { status, .. } = report else {
        return None;
    };
    status["containerStatuses"]
        .as_array()?
        .iter()
        .find(|c| c["name"] == name)
}

pub fn is_event(report: &Report, reason: &str) -> bool {
    matches!(report, Report::Event(e) if e.reason == reason)
}

/// Deletes the pod (sync without it) and waits until it is gone.
pub async fn remove(
    runtime: &PodRuntime,
    reports: &mut Inbox,
    keep: Vec<DesiredPod>,
    pod: &PodRef,
) {
    runtime.sync(keep).await.expect("sync");
    wait_for(reports, pod, "the pod's removal", |r| {
        matches!(r, Report::Removed { .. })
    })
    .await;
}

/// The managed containers of `pod` still on the engine.
pub async fn containers_of(runtime: &PodRuntime, pod: &PodRef) -> usize {
    let all = runtime
        .docker()
        .list_managed()
        .await
        .expect("list containers");
    all.iter()
        .filter(|c| c.labels.get("kubeplay.dev/pod-uid") == Some(&pod.uid))
        .count()
}

/// Collects a log or exec stream into text.
pub async fn collect_logs(mut stream: kubeplay_agent::runtime::LogStream) -> String {
    use futures_util::StreamExt;
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend(chunk.expect("log chunk"));
    }
    String::from_utf8_lossy(&out).into_owned()
}
