//! `kubectl create namespace|deployment|configmap|secret generic|-f` and
//! `kubectl expose`: objects built as kubectl's generators build them, POSTed,
//! or printed with `--dry-run=client -o yaml` to start a manifest.

use super::apply::{manifest_files, manifest_objects};
use super::client::{CmdError, CmdResult};
use super::command::Cmd;
use super::discovery::ApiResource;
use super::outcome::Outcome;
use super::printer::{print_objects, Output};
use serde_json::{json, Map, Value};

pub fn run(cmd: &mut Cmd) -> CmdResult<Outcome> {
    if !cmd.p.all("filename").is_empty() {
        return create_from_files(cmd);
    }
    let args = cmd.p.args.clone();
    let sub = args.first().map(String::as_str).unwrap_or("");
    let name_at = |i: usize| -> CmdResult<String> {
        args.get(i).cloned().ok_or_else(|| CmdError::usage("exactly one NAME is required, got 0"))
    };
    let (kind_word, obj) = match sub {
        "namespace" | "ns" => ("namespace", json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name_at(1)?}, "spec": {}, "status": {}})),
        "deployment" | "deploy" => ("deployment", deployment(cmd, &name_at(1)?)?),
        "configmap" | "cm" => {
            let data = literals(cmd)?;
            ("configmap", json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name_at(1)?}, "data": data}))
        }
        "secret" => {
            if args.get(1).map(String::as_str) != Some("generic") {
                return Err(CmdError::usage("Create a secret with specified type.\n\nAvailable Commands:\n  generic           Create a secret from a local file, directory, or literal value"));
            }
            let data: Map<String, Value> = literals(cmd)?
                .into_iter()
                .map(|(k, v)| {
                    use base64::Engine as _;
                    (k, json!(base64::engine::general_purpose::STANDARD.encode(v.as_str().unwrap_or(""))))
                })
                .collect();
            let kind = cmd.p.get("type").unwrap_or("Opaque");
            ("secret", json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name_at(2)?}, "type": kind, "data": data}))
        }
        "" => return Err(CmdError::usage("must specify one of -f and -k")),
        other => return Err(CmdError::usage(format!("unknown command \"{other}\" for \"kubectl create\""))),
    };
    let r = cmd.resolve(kind_word)?;
    post(cmd, &r, obj, "created")
}

/// POSTs `obj` (or prints it for `--dry-run=client`), reporting `kind/name verb`.
fn post(cmd: &mut Cmd, r: &ApiResource, mut obj: Value, verb: &str) -> CmdResult<Outcome> {
    let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
    let dry = cmd.p.get("dry-run").unwrap_or("none");
    if dry == "client" {
        if let Some(out) = cmd.p.get("output").filter(|o| *o != "name") {
            let output = Output::parse(Some(out))?;
            if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                m.insert("creationTimestamp".into(), Value::Null);
            }
            return Ok(Outcome::ok(print_objects(vec![obj], true, &[r], &output)?));
        }
        return Ok(Outcome::ok(format!("{}/{name} {verb} (dry run)\n", r.kind_prefix())));
    }
    let mut path = r.collection_path(Some(&cmd.namespace));
    if dry == "server" {
        path.push_str("?dryRun=All");
    }
    let created = cmd.client.post(&path, &obj)?;
    if let Some(out) = cmd.p.get("output").filter(|o| *o != "name") {
        let output = Output::parse(Some(out))?;
        return Ok(Outcome::ok(print_objects(vec![created], true, &[r], &output)?));
    }
    let suffix = if dry == "server" { " (server dry run)" } else { "" };
    Ok(Outcome::ok(format!("{}/{name} {verb}{suffix}\n", r.kind_prefix())))
}

/// `--from-literal=KEY=VALUE`, each key once.
fn literals(cmd: &Cmd) -> CmdResult<Map<String, Value>> {
    let mut data = Map::new();
    for lit in cmd.p.all("from-literal") {
        let Some((k, v)) = lit.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Err(CmdError::usage(format!("invalid literal source {lit}, expected key=value")));
        };
        if data.contains_key(k) {
            return Err(CmdError::usage(format!("cannot add key {k}, another key by that name already exists in Data for ConfigMap \"\"")));
        }
        data.insert(k.to_string(), json!(v));
    }
    Ok(data)
}

/// The container name kubectl derives from an image: `nginx:1.27` → `nginx`.
fn container_name(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    let base = last.split(['@', ':']).next().unwrap_or(last);
    base.to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect()
}

fn deployment(cmd: &Cmd, name: &str) -> CmdResult<Value> {
    let images = cmd.p.all("image");
    if images.is_empty() {
        return Err(CmdError::usage("required flag(s) \"image\" not set"));
    }
    let replicas: i64 = match cmd.p.get("replicas") {
        Some(r) => r.parse().map_err(|_| CmdError::usage(format!("invalid argument \"{r}\" for \"-r, --replicas\" flag: strconv.ParseInt: parsing \"{r}\": invalid syntax")))?,
        None => 1,
    };
    let port = match cmd.p.get("port") {
        Some(p) => Some(p.parse::<i64>().map_err(|_| CmdError::usage(format!("invalid argument \"{p}\" for \"--port\" flag")))?),
        None => None,
    };
    let containers: Vec<Value> = images
        .iter()
        .map(|image| {
            let mut c = json!({"image": image, "name": container_name(image), "resources": {}});
            if let Some(p) = port {
                c["ports"] = json!([{"containerPort": p}]);
            }
            c
        })
        .collect();
    Ok(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": containers}},
        },
        "status": {},
    }))
}

fn create_from_files(cmd: &mut Cmd) -> CmdResult<Outcome> {
    let paths: Vec<String> = cmd.p.all("filename").into_iter().map(str::to_string).collect();
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let sources = manifest_files(cmd.files, &refs, cmd.p.is_set("recursive"))?;
    let namespace = cmd.namespace.clone();
    let mut out = Outcome::default();
    for (file, obj) in manifest_objects(&sources, &namespace)? {
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("").to_string();
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("").to_string();
        let Some(r) = cmd.discovery()?.by_kind(&api_version, &kind).cloned() else {
            out.stderr.push_str(&format!("error: resource mapping not found for name: {:?} namespace: \"\" from {file:?}: no matches for kind {kind:?} in version {api_version:?}\n", obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("")));
            out.exit_code = 1;
            continue;
        };
        let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or(&namespace).to_string();
        let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
        match cmd.client.post(&r.collection_path(Some(&ns)), &obj) {
            Ok(_) => out.stdout.push_str(&format!("{}/{name} created\n", r.kind_prefix())),
            Err(CmdError::Server { reason, message }) if reason != "Invalid" => {
                out.stderr.push_str(&format!("Error from server ({reason}): error when creating \"{}\": {message}\n", super::files::normalize(&file)));
                out.exit_code = 1;
            }
            Err(e) => {
                out.stderr.push_str(&format!("{e}\n"));
                out.exit_code = 1;
            }
        }
    }
    Ok(out)
}

/// `kubectl expose deployment my-api --port=80 --target-port=3000 [--type=NodePort]`.
pub fn run_expose(cmd: &mut Cmd) -> CmdResult<Outcome> {
    let args = cmd.p.args.clone();
    let (kind, name) = match args.as_slice() {
        [one] if one.contains('/') => one.split_once('/').map(|(k, n)| (k.to_string(), n.to_string())).unwrap_or_default(),
        [kind, name] => (kind.clone(), name.clone()),
        _ => return Err(CmdError::usage("You must provide one or more resources by argument or filename.")),
    };
    let r = cmd.resolve(&kind)?;
    let obj = cmd.client.get(&r.object_path(&cmd.namespace, &name))?;
    let (selector, ports_from) = match r.kind.as_str() {
        "Deployment" | "ReplicaSet" => (obj.pointer("/spec/selector/matchLabels").cloned(), obj.pointer("/spec/template/spec/containers").cloned()),
        "Pod" => (obj.pointer("/metadata/labels").cloned(), obj.pointer("/spec/containers").cloned()),
        "Service" => (obj.pointer("/spec/selector").cloned(), None),
        other => return Err(CmdError::usage(format!("cannot expose a {other}"))),
    };
    let Some(selector) = selector.filter(|s| s.as_object().is_some_and(|m| !m.is_empty())) else {
        return Err(CmdError::usage(format!("couldn't retrieve selectors via --selector flag or introspection: the {} has no selector", r.kind)));
    };
    let introspected: Vec<i64> = ports_from
        .as_ref()
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|c| c.get("ports").and_then(Value::as_array).cloned().unwrap_or_default())
        .filter_map(|p| p.get("containerPort").and_then(Value::as_i64))
        .collect();
    let port: i64 = match cmd.p.get("port") {
        Some(p) => p.parse().map_err(|_| CmdError::usage(format!("invalid argument \"{p}\" for \"--port\" flag")))?,
        None => *introspected.first().ok_or_else(|| CmdError::usage("couldn't find port via --port flag or introspection"))?,
    };
    let target: Value = match cmd.p.get("target-port") {
        Some(t) => t.parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(t)),
        None => json!(port),
    };
    let protocol = cmd.p.get("protocol").unwrap_or("TCP");
    let svc_name = cmd.p.get("name").unwrap_or(&name).to_string();
    let mut svc = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": svc_name},
        "spec": {"ports": [{"port": port, "protocol": protocol, "targetPort": target}], "selector": selector},
    });
    if let Some(labels) = obj.pointer("/metadata/labels").filter(|l| l.as_object().is_some_and(|m| !m.is_empty())) {
        svc["metadata"]["labels"] = labels.clone();
    }
    if let Some(t) = cmd.p.get("type") {
        svc["spec"]["type"] = json!(t);
    }
    let services = cmd.resolve("services")?;
    post(cmd, &services, svc, "exposed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_names_come_from_the_image() {
        assert_eq!(container_name("nginx:1.27"), "nginx");
        assert_eq!(container_name("registry.local:5000/team/my_app@sha256:abc"), "my-app");
        assert_eq!(container_name("myapp:1.0"), "myapp");
    }
}
