//! A container's filesystem as a shell in it sees it: the image's few files, what
//! the kubelet writes (`/etc/hosts`, `/etc/resolv.conf`, `/etc/hostname`), the
//! service account token, and ConfigMap/Secret volumes with their `..data` links.
//!
//! It is rebuilt from the API for every command, so an updated ConfigMap shows up in
//! its volume (as the kubelet's sync does), while an exec's own writes live in the session.

use crate::api::meta;
use crate::apiserver::ApiServer;
use crate::sim::dns;
use crate::sim::env::{pod_volumes, Volume};
use crate::sim::images::{Image, Program};
use base64::Engine;
use serde_json::Value;
use std::collections::BTreeMap;

/// Where Kubernetes mounts the service account's credentials.
pub const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Dir,
    File(String),
    /// A symbolic link to a path relative to its directory (or absolute).
    Link(String),
}

/// Why a path cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsError {
    NotFound,
    IsDirectory,
    NotDirectory,
}

impl FsError {
    pub fn text(self) -> &'static str {
        match self {
            Self::NotFound => "No such file or directory",
            Self::IsDirectory => "Is a directory",
            Self::NotDirectory => "Not a directory",
        }
    }
}

/// A container's files by absolute path.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    nodes: BTreeMap<String, Node>,
}

/// Joins `path` onto `cwd` and removes `.`, `..` and repeated slashes.
pub fn normalize(cwd: &str, path: &str) -> String {
    let joined = if path.starts_with('/') { path.to_string() } else { format!("{cwd}/{path}") };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

impl Tree {
    pub fn new() -> Self {
        let mut t = Self::default();
        t.nodes.insert("/".into(), Node::Dir);
        t
    }

    /// Makes a directory and its parents.
    pub fn dir(&mut self, path: &str) {
        let mut at = String::new();
        for p in path.split('/').filter(|p| !p.is_empty()) {
            at.push('/');
            at.push_str(p);
            self.nodes.entry(at.clone()).or_insert(Node::Dir);
        }
    }

    /// Writes a file, making its directory.
    pub fn file(&mut self, path: &str, content: impl Into<String>) {
        self.dir(parent(path));
        self.nodes.insert(path.to_string(), Node::File(content.into()));
    }

    pub fn link(&mut self, path: &str, target: &str) {
        self.dir(parent(path));
        self.nodes.insert(path.to_string(), Node::Link(target.to_string()));
    }

    /// The node at `path`, not following a final link.
    pub fn node(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// `path` with every link on the way followed (a bounded number of hops, so a loop fails).
    pub fn resolve(&self, path: &str) -> Result<String, FsError> {
        let mut rest: Vec<String> = path.split('/').filter(|p| !p.is_empty()).rev().map(str::to_string).collect();
        let mut at = "/".to_string();
        let mut hops = 0;
        while let Some(part) = rest.pop() {
            let next = normalize(&at, &part);
            match self.nodes.get(&next) {
                Some(Node::Link(target)) => {
                    hops += 1;
                    if hops > 16 {
                        return Err(FsError::NotFound);
                    }
                    let target = normalize(&at, target);
                    rest.extend(target.split('/').filter(|p| !p.is_empty()).rev().map(str::to_string));
                    at = "/".to_string();
                }
                Some(Node::File(_)) if !rest.is_empty() => return Err(FsError::NotDirectory),
                Some(_) => at = next,
                None => return Err(FsError::NotFound),
            }
        }
        Ok(at)
    }

    /// The content of the file at `path`.
    pub fn read(&self, path: &str) -> Result<&str, FsError> {
        match self.nodes.get(&self.resolve(path)?) {
            Some(Node::File(c)) => Ok(c),
            Some(_) => Err(FsError::IsDirectory),
            None => Err(FsError::NotFound),
        }
    }

    pub fn is_dir(&self, path: &str) -> bool {
        self.resolve(path).is_ok_and(|p| self.nodes.get(&p) == Some(&Node::Dir))
    }

    /// Names directly in the directory at `path`, sorted.
    pub fn children(&self, path: &str) -> Result<Vec<(String, &Node)>, FsError> {
        let dir = self.resolve(path)?;
        if self.nodes.get(&dir) != Some(&Node::Dir) {
            return Err(FsError::NotDirectory);
        }
        let prefix = if dir == "/" { "/".to_string() } else { format!("{dir}/") };
        Ok(self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| k.len() > prefix.len() && !k[prefix.len()..].contains('/'))
            .map(|(k, n)| (k[prefix.len()..].to_string(), n))
            .collect())
    }

    /// Writes a file for a shell redirection; the directory must exist.
    pub fn write(&mut self, path: &str, content: &str, append: bool) -> Result<(), FsError> {
        if !self.is_dir(parent(path)) {
            return Err(FsError::NotFound);
        }
        let target = self.resolve(path).unwrap_or_else(|_| path.to_string());
        match self.nodes.get_mut(&target) {
            Some(Node::Dir) => Err(FsError::IsDirectory),
            Some(Node::File(c)) if append => {
                c.push_str(content);
                Ok(())
            }
            _ => {
                self.nodes.insert(target, Node::File(content.to_string()));
                Ok(())
            }
        }
    }
}

/// The container's home and working directories for its image.
pub fn workdir(image: Option<&Image>, container: &Value) -> String {
    if let Some(w) = container.get("workingDir").and_then(Value::as_str).filter(|w| !w.is_empty()) {
        return normalize("/", w);
    }
    match image.map(|i| i.repository) {
        Some("myapp") => "/app".into(),
        _ => "/".into(),
    }
}

/// `/etc/hosts` as the kubelet writes it for a pod on the pod network.
pub fn etc_hosts(pod: &Value) -> String {
    let mut out = String::from(
        "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n\
         fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n",
    );
    let ip = pod.pointer("/status/podIP").and_then(Value::as_str).unwrap_or("");
    let name = meta::name(pod);
    let hostname = pod.pointer("/spec/hostname").and_then(Value::as_str).filter(|h| !h.is_empty()).unwrap_or(name);
    match pod.pointer("/spec/subdomain").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        Some(sub) => out.push_str(&format!(
            "{ip}\t{hostname}.{sub}.{}.svc.{}\t{hostname}\n",
            meta::namespace(pod),
            dns::CLUSTER_DOMAIN
        )),
        None => out.push_str(&format!("{ip}\t{hostname}\n")),
    }
    let aliases = pod.pointer("/spec/hostAliases").and_then(Value::as_array).filter(|a| !a.is_empty());
    if let Some(aliases) = aliases {
        out.push_str("\n# Entries added by HostAliases.\n");
        for a in aliases {
            let names: Vec<&str> = a.get("hostnames").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
            out.push_str(&format!("{}\t{}\n", a.get("ip").and_then(Value::as_str).unwrap_or(""), names.join("\t")));
        }
    }
    out
}

/// A token-shaped stand-in for the projected service account token (it is never checked).
fn token(pod: &Value) -> String {
    let b64 = |s: String| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let sa = pod.pointer("/spec/serviceAccountName").and_then(Value::as_str).unwrap_or("default");
    let header = b64(r#"{"alg":"RS256","kid":"kubeplay"}"#.to_string());
    let claims = b64(format!(
        r#"{{"aud":["https://kubernetes.default.svc.cluster.local"],"iss":"https://kubernetes.default.svc.cluster.local","kubernetes.io":{{"namespace":"{}","pod":{{"name":"{}","uid":"{}"}},"serviceaccount":{{"name":"{sa}"}}}},"sub":"system:serviceaccount:{}:{sa}"}}"#,
        meta::namespace(pod),
        meta::name(pod),
        meta::uid(pod),
        meta::namespace(pod)
    ));
    let signature = b64(crate::sim::images::digest(meta::uid(pod)));
    format!("{header}.{claims}.{signature}")
}

const CA_CRT: &str = "-----BEGIN CERTIFICATE-----\n\
MIIDBTCCAe2gAwIBAgIIKubeplayMA0GCSqGSIb3DQEBCwUAMBUxEzARBgNVBAMT\n\
Cmt1YmVybmV0ZXMwHhcNMjYwMTAxMDAwMDAwWhcNMzYwMTAxMDAwMDAwWjAVMRMw\n\
EQYDVQQDEwprdWJlcm5ldGVzMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKC\n\
-----END CERTIFICATE-----\n";

fn automounts_token(pod: &Value) -> bool {
    pod.pointer("/spec/automountServiceAccountToken").and_then(Value::as_bool).unwrap_or(true)
}

/// The kubelet's name for the directory holding one version of a projected volume.
fn data_dir_name(pod: &Value) -> String {
    let started = pod
        .pointer("/status/startTime")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    format!("..{}", started.strftime("%Y_%m_%d_%H_%M_%S.%N"))
}

/// Lays projected files out as the kubelet's atomic writer does: a timestamped
/// directory, `..data` pointing at it, and one link per key.
fn project(tree: &mut Tree, at: &str, files: &BTreeMap<String, String>, version: &str) {
    tree.dir(at);
    for (name, content) in files {
        tree.file(&format!("{at}/{version}/{name}"), content.clone());
        let top = name.split('/').next().unwrap_or(name);
        tree.link(&format!("{at}/{top}"), &format!("..data/{top}"));
    }
    tree.dir(&format!("{at}/{version}"));
    tree.link(&format!("{at}/..data"), version);
}

fn image_files(tree: &mut Tree, image: Option<&Image>, container: &Value) {
    for d in ["/bin", "/dev", "/etc", "/home", "/proc", "/root", "/run", "/sbin", "/sys", "/tmp", "/usr/bin", "/usr/local/bin", "/var/log", "/var/run"] {
        tree.dir(d);
    }
    tree.file("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
    tree.file("/etc/group", "root:x:0:\nnogroup:x:65534:\n");
    let Some(image) = image else { return };
    match image.repository {
        "nginx" => {
            tree.file("/usr/share/nginx/html/index.html", super::http::NGINX_WELCOME);
            tree.file("/usr/share/nginx/html/50x.html", "<!DOCTYPE html>\n<html>\n<head>\n<title>Error</title>\n</head>\n<body>\n<h1>An error occurred.</h1>\n</body>\n</html>\n");
            tree.file("/etc/nginx/nginx.conf", "user  nginx;\nworker_processes  auto;\n\nevents {\n    worker_connections  1024;\n}\n\nhttp {\n    include       /etc/nginx/mime.types;\n    include /etc/nginx/conf.d/*.conf;\n}\n");
            tree.file("/etc/nginx/conf.d/default.conf", "server {\n    listen       80;\n    server_name  localhost;\n\n    location / {\n        root   /usr/share/nginx/html;\n        index  index.html index.htm;\n    }\n}\n");
        }
        "myapp" => {
            let image_name = container.get("image").and_then(Value::as_str).unwrap_or("");
            let tag = crate::sim::images::Reference::parse(image_name).tag;
            tree.file("/app/package.json", format!("{{\n  \"name\": \"myapp\",\n  \"version\": \"{tag}\",\n  \"scripts\": {{\n    \"start\": \"node server.js\"\n  }}\n}}\n"));
            tree.file("/app/server.js", "const http = require('http');\nconst port = process.env.PORT || 3000;\nhttp.createServer((req, res) => res.end(`Hello from myapp on ${require('os').hostname()}\\n`)).listen(port);\nconsole.log(`Server listening on port ${port}`);\n");
        }
        "postgres" => tree.dir("/var/lib/postgresql/data"),
        "redis" => tree.dir("/data"),
        _ => {}
    }
    if image.program == Program::Shell {
        tree.file("/bin/busybox", "\u{7f}ELF");
    }
}

/// The filesystem of `container` in `pod` as a process in it sees it.
pub fn container_tree(api: &ApiServer, pod: &Value, container: &Value, image: Option<&Image>) -> Tree {
    let mut tree = Tree::new();
    image_files(&mut tree, image, container);
    let hostname = pod.pointer("/spec/hostname").and_then(Value::as_str).filter(|h| !h.is_empty()).unwrap_or_else(|| meta::name(pod));
    tree.file("/etc/hostname", format!("{hostname}\n"));
    tree.file("/etc/hosts", etc_hosts(pod));
    tree.file("/etc/resolv.conf", dns::resolv_conf(meta::namespace(pod)));
    if automounts_token(pod) {
        let version = data_dir_name(pod);
        let files: BTreeMap<String, String> = [
            ("ca.crt".to_string(), CA_CRT.to_string()),
            ("namespace".to_string(), meta::namespace(pod).to_string()),
            ("token".to_string(), token(pod)),
        ]
        .into();
        project(&mut tree, SERVICE_ACCOUNT_DIR, &files, &version);
    }
    let volumes = pod_volumes(api, pod).unwrap_or_default();
    for m in container.get("volumeMounts").and_then(Value::as_array).into_iter().flatten() {
        let at = normalize("/", m.get("mountPath").and_then(Value::as_str).unwrap_or("/"));
        let name = m.get("name").and_then(Value::as_str).unwrap_or("");
        let sub_path = m.get("subPath").and_then(Value::as_str).filter(|s| !s.is_empty());
        let volume = volumes.iter().find(|v| match v {
            Volume::Files { name: n, .. } | Volume::EmptyDir { name: n } | Volume::Claim { name: n, .. } | Volume::Other { name: n } => n == name,
        });
        match (volume, sub_path) {
            (Some(Volume::Files { files, .. }), Some(sub)) => match files.get(sub) {
                Some(content) => tree.file(&at, content.clone()),
                None => tree.dir(&at),
            },
            (Some(Volume::Files { files, .. }), None) => project(&mut tree, &at, files, &data_dir_name(pod)),
            _ => tree.dir(&at),
        }
    }
    tree
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::resources;
    use crate::apiserver::WriteOptions;
    use serde_json::json;

    #[test]
    fn paths_normalize_against_the_working_directory() {
        assert_eq!(normalize("/app", "../etc//hosts"), "/etc/hosts");
        assert_eq!(normalize("/", "."), "/");
        assert_eq!(normalize("/a/b", "/x/./y/.."), "/x");
    }

    #[test]
    fn hosts_files_name_the_pod_and_its_subdomain() {
        let pod = json!({"metadata": {"name": "db-0", "namespace": "shop"},
            "spec": {"hostname": "db-0", "subdomain": "db", "hostAliases": [{"ip": "1.2.3.4", "hostnames": ["foo.local", "bar.local"]}]},
            "status": {"podIP": "10.244.1.9"}});
        let hosts = etc_hosts(&pod);
        assert!(hosts.starts_with("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"));
        assert!(hosts.contains("10.244.1.9\tdb-0.db.shop.svc.cluster.local\tdb-0\n"));
        assert!(hosts.ends_with("# Entries added by HostAliases.\n1.2.3.4\tfoo.local\tbar.local\n"));
    }

    #[test]
    fn config_volumes_appear_as_links_through_data() {
        let t0: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut api = ApiServer::new(1, t0);
        let cms = resources::by_plural("", "v1", "configmaps").unwrap();
        api.create(cms, "default", json!({"metadata": {"name": "cfg"}, "data": {"MODE": "prod", "app.conf": "x=1\n"}}), t0, WriteOptions::default()).unwrap();
        let pod = json!({"metadata": {"name": "web", "namespace": "default", "uid": "u1"},
            "spec": {"volumes": [{"name": "conf", "configMap": {"name": "cfg"}}]},
            "status": {"podIP": "10.244.1.2", "startTime": "2026-01-01T00:00:05Z"}});
        let container = json!({"name": "app", "volumeMounts": [{"name": "conf", "mountPath": "/etc/config/"},
            {"name": "conf", "mountPath": "/etc/app.conf", "subPath": "app.conf"}]});
        let tree = container_tree(&api, &pod, &container, None);
        assert_eq!(tree.read("/etc/config/MODE"), Ok("prod"));
        assert_eq!(tree.node("/etc/config/MODE"), Some(&Node::Link("..data/MODE".into())));
        assert_eq!(tree.node("/etc/config/..data"), Some(&Node::Link("..2026_01_01_00_00_05.000000000".into())));
        assert_eq!(tree.read("/etc/app.conf"), Ok("x=1\n"));
        let names: Vec<String> = tree.children("/etc/config").unwrap().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["..2026_01_01_00_00_05.000000000", "..data", "MODE", "app.conf"]);
        assert_eq!(tree.read(&format!("{SERVICE_ACCOUNT_DIR}/namespace")), Ok("default"));
        assert_eq!(tree.read("/etc/config"), Err(FsError::IsDirectory));
        assert_eq!(tree.read("/etc/nope"), Err(FsError::NotFound));
    }

    #[test]
    fn the_token_can_be_turned_off() {
        let api = ApiServer::new(1, jiff::Timestamp::UNIX_EPOCH);
        let pod = json!({"metadata": {"name": "p", "namespace": "default"}, "spec": {"automountServiceAccountToken": false}});
        let tree = container_tree(&api, &pod, &json!({"name": "c"}), None);
        assert_eq!(tree.read(&format!("{SERVICE_ACCOUNT_DIR}/token")), Err(FsError::NotFound));
        assert_eq!(tree.read("/etc/hostname"), Ok("p\n"));
    }

    #[test]
    fn redirections_write_into_existing_directories() {
        let mut t = Tree::new();
        t.dir("/tmp");
        t.write("/tmp/x", "a\n", false).unwrap();
        t.write("/tmp/x", "b\n", true).unwrap();
        assert_eq!(t.read("/tmp/x"), Ok("a\nb\n"));
        assert_eq!(t.write("/nope/x", "", false), Err(FsError::NotFound));
    }
}
