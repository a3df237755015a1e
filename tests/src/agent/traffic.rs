//! Traffic a test sends through a cluster of real agents, and who answered it: commands run in
//! pods (a client pod's `myapp get`), HTTP requests from this machine, and myapp pods to answer
//! them (myapp's greeting ends with its pod's name).

use super::cluster::Cluster;
use kubeplay_shared::node_protocol::StreamOpen;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long one command in a pod may take.
pub const EXEC_LIMIT: Duration = Duration::from_secs(30);

/// A readiness check: ready once myapp answers, until the test marks the pod unready by
/// creating `/tmp/unready` in it.
pub const READY_CHECK: &str =
    "test ! -f /tmp/unready && wget -q -O /dev/null http://127.0.0.1:3000/ready";

/// Runs `command` in `pod`'s `container`; its stdout, or why it failed.
pub async fn exec(
    cluster: &mut Cluster,
    pod: &str,
    container: &str,
    command: &[&str],
) -> Result<String, String> {
    let open = StreamOpen::Exec {
        namespace: "default".into(),
        pod: pod.into(),
        container: container.into(),
        command: command.iter().map(|s| s.to_string()).collect(),
        stdin: false,
        tty: false,
    };
    let id = cluster.open(open).await.map_err(|e| e.to_string())?;
    let out = cluster
        .wait_for("the exec to end", EXEC_LIMIT, |c| {
            c.streams.get(&id).filter(|o| o.closed.is_some()).cloned()
        })
        .await
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let closed = out.closed.map(|c| (c.error, c.exit_code));
    match closed.unwrap_or((None, None)) {
        (None, Some(0)) => Ok(stdout),
        (error, code) => Err(format!(
            "exit {code:?} {error:?}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        )),
    }
}

/// The pod myapp's greeting names (`Hello from myapp 1.0 on my-api-7d4b`).
pub fn answered_by(body: &str) -> String {
    body.trim()
        .rsplit(" on ")
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The pods that answered `times` requests to `url` from the `client` pod (`myapp get`, which
/// resolves names through the pod's resolv.conf as apps do); each answer must be myapp's.
pub async fn answering(
    cluster: &mut Cluster,
    client: &str,
    url: &str,
    times: usize,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for _ in 0..times {
        let body = exec(cluster, client, client, &["myapp", "get", url])
            .await
            .unwrap_or_else(|e| panic!("myapp get {url}: {e}"));
        assert!(body.starts_with("Hello from myapp "), "{url}: {body}");
        seen.insert(answered_by(&body));
    }
    seen
}

/// The pods that answered `times` `GET /` to `address` from this machine.
pub async fn answering_at(address: &str, times: usize) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for _ in 0..times {
        seen.insert(answered_by(&http_get(address).await));
    }
    seen
}

/// `GET /` on `address` every 50 ms for three seconds, with `event` (an agent killed, say) one
/// second in; the bodies of the requests started after it (`None` for those that failed).
pub async fn gets_across(address: &str, event: impl FnOnce()) -> Vec<Option<String>> {
    let address = address.to_string();
    let traffic = tokio::spawn(async move {
        let mut results = Vec::new();
        for _ in 0..60 {
            let started = std::time::Instant::now();
            let body = tokio::time::timeout(Duration::from_secs(10), try_http_get(&address))
                .await
                .ok()
                .flatten();
            results.push((started, body));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        results
    });
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let at = std::time::Instant::now();
    event();
    let results = traffic.await.unwrap_or_default();
    results
        .into_iter()
        .filter(|(started, _)| *started > at)
        .map(|(_, body)| body)
        .collect()
}

/// `GET /` on `address` from this machine; the body.
pub async fn http_get(address: &str) -> String {
    try_http_get(address)
        .await
        .unwrap_or_else(|| panic!("GET http://{address}/ failed"))
}

/// The body of `GET /` on `address`, `None` when the connection fails.
pub async fn try_http_get(address: &str) -> Option<String> {
    let (_, body) = request(address, "x", "/").await.ok()?;
    Some(body)
}

/// `GET path` with `Host: host` on `address`; the status and body.
pub async fn http_get_host(address: &str, host: &str, path: &str) -> (u16, String) {
    request(address, host, path)
        .await
        .unwrap_or_else(|e| panic!("GET {path} (Host: {host}) on {address}: {e}"))
}

async fn request(address: &str, host: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut socket = tokio::net::TcpStream::connect(address).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await?;
    let mut text = String::new();
    socket.read_to_string(&mut text).await?;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}

/// A myapp pod labelled `app` pinned to `node`, ready as [`READY_CHECK`] says.
pub fn pinned(name: &str, app: &str, node: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": app}},
        "spec": {
            "nodeName": node,
            "terminationGracePeriodSeconds": 1,
            "containers": [{
                "name": "app", "image": "myapp:1.0", "imagePullPolicy": "IfNotPresent",
                "ports": [{"containerPort": 3000}],
                "readinessProbe": {"exec": {"command": ["sh", "-c", READY_CHECK]}, "periodSeconds": 1},
            }],
        },
    })
}

/// A pod named `name` (its container too) that sleeps, to run commands in; on `node` if given.
/// It runs myapp's image: `myapp get` resolves through musl, which follows the search path and
/// ndots:5 as apps do (the images' static-glibc busybox `wget` cannot resolve names at all, and
/// busybox `nslookup` skips the search path for dotted names).
pub fn client(name: &str, node: Option<&str>) -> Value {
    let mut pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"terminationGracePeriodSeconds": 1,
            "containers": [{"name": name, "image": "myapp:1.0", "imagePullPolicy": "IfNotPresent", "command": ["sleep", "3600"]}]},
    });
    if let Some(node) = node {
        pod["spec"]["nodeName"] = json!(node);
    }
    pod
}

/// The uids of every pod in the cluster's API, for removing their containers at the end.
pub fn pod_uids(cluster: &Cluster) -> Vec<String> {
    cluster
        .list("", "v1", "pods", "default")
        .iter()
        .filter_map(|p| p["metadata"]["uid"].as_str().map(str::to_string))
        .collect()
}
