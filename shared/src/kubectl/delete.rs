//! `kubectl delete`: by manifest (`-f`), by `type name…`, `type/name`, `-l`
//! or `--all`, printing `deployment.apps "my-api" deleted from default namespace` per object.

use super::apply::{manifest_files, manifest_objects};
use super::client::{encode, CmdError, CmdResult};
use super::command::Cmd;
use super::discovery::ApiResource;
use super::get::{nothing_found, targets};
use super::outcome::Outcome;
use serde_json::{json, Value};

fn delete_body(cmd: &Cmd) -> CmdResult<Option<Value>> {
    let mut body = serde_json::Map::new();
    let grace = match cmd.p.get("grace-period") {
        Some(g) => Some(g.parse::<i64>().map_err(|_| CmdError::usage(format!("invalid argument \"{g}\" for \"--grace-period\" flag")))?),
        None if cmd.p.is_set("now") => Some(1),
        None => None,
    };
    if cmd.p.is_set("force") {
        body.insert("gracePeriodSeconds".into(), json!(grace.unwrap_or(0)));
    } else if let Some(g) = grace.filter(|g| *g >= 0) {
        body.insert("gracePeriodSeconds".into(), json!(g));
    }
    match cmd.p.get("cascade") {
        None | Some("background") | Some("true") => {}
        Some("foreground") => {
            body.insert("propagationPolicy".into(), json!("Foreground"));
        }
        Some("orphan") | Some("false") => {
            body.insert("propagationPolicy".into(), json!("Orphan"));
        }
        Some(other) => return Err(CmdError::usage(format!("invalid cascade value ({other}). Must be \"background\", \"foreground\", or \"orphan\""))),
    }
    if body.is_empty() {
        return Ok(None);
    }
    body.insert("kind".into(), json!("DeleteOptions"));
    body.insert("apiVersion".into(), json!("v1"));
    Ok(Some(Value::Object(body)))
}

pub fn run(cmd: &mut Cmd) -> CmdResult<Outcome> {
    let body = delete_body(cmd)?;
    let mut out = Outcome::default();
    if cmd.p.is_set("force") {
        out.stderr.push_str("Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n");
    }
    let namespace = cmd.namespace.clone();
    let ignore_missing = cmd.p.is_set("ignore-not-found");
    let delete_one = |cmd: &mut Cmd, r: &ApiResource, ns: &str, name: &str, file: Option<&str>, out: &mut Outcome| {
        let path = r.object_path(ns, name);
        match cmd.client.delete(&path, body.as_ref()) {
            Ok(_) if cmd.p.get("output") == Some("name") => out.stdout.push_str(&format!("{}/{name}\n", r.kind_prefix())),
            // kubectl 1.32+ says where a namespaced object was deleted from.
            Ok(_) if r.namespaced => out.stdout.push_str(&format!("{} \"{name}\" deleted from {ns} namespace\n", r.kind_prefix())),
            Ok(_) => out.stdout.push_str(&format!("{} \"{name}\" deleted\n", r.kind_prefix())),
            Err(e) if e.is_not_found() && ignore_missing => {}
            Err(super::client::CmdError::Server { reason, message }) if file.is_some() => {
                out.stderr.push_str(&format!("Error from server ({reason}): error when deleting \"{}\": {message}\n", file.unwrap_or("")));
                out.exit_code = 1;
            }
            Err(e) => {
                out.stderr.push_str(&format!("{e}\n"));
                out.exit_code = 1;
            }
        }
    };

    let paths: Vec<String> = cmd.p.all("filename").into_iter().map(str::to_string).collect();
    if !paths.is_empty() {
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let sources = manifest_files(cmd.files, &refs, cmd.p.is_set("recursive"))?;
        for (file, obj) in manifest_objects(&sources, &namespace)? {
            let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
            let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
            let found = cmd.discovery()?.by_kind(api_version, kind).cloned();
            let Some(r) = found else {
                out.stderr.push_str(&format!("error: resource mapping not found for name: {:?} namespace: {:?} from {:?}: no matches for kind {kind:?} in version {api_version:?}\n",
                    obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or(""), obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or(""), file));
                out.exit_code = 1;
                continue;
            };
            let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or(&namespace).to_string();
            let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
            delete_one(cmd, &r, &ns, &name, Some(&super::files::normalize(&file)), &mut out);
        }
        return Ok(out);
    }

    let args = cmd.p.args.clone();
    if args.is_empty() {
        return Err(CmdError::usage("You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'"));
    }
    let (targets, _) = targets(cmd, &args, "delete")?;
    let selector = cmd.p.get("selector").map(str::to_string);
    let all = cmd.p.is_set("all");
    let all_ns = cmd.p.is_set("all-namespaces");
    for t in &targets {
        if !t.names.is_empty() {
            if selector.is_some() || all {
                return Err(CmdError::usage("name cannot be provided when a selector is specified"));
            }
            for name in &t.names {
                delete_one(cmd, &t.resource, &namespace, name, None, &mut out);
            }
            continue;
        }
        if selector.is_none() && !all {
            return Err(CmdError::usage("resource(s) were provided, but no name was specified"));
        }
        let ns = (t.resource.namespaced && !all_ns).then_some(namespace.as_str());
        let mut path = t.resource.collection_path(ns);
        if let Some(l) = &selector {
            path.push_str(&format!("?labelSelector={}", encode(l)));
        }
        let items = cmd.client.get(&path)?.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
        if items.is_empty() {
            out.stderr.push_str(&nothing_found(ns));
        }
        for item in items {
            let name = item.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
            let item_ns = item.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or(&namespace).to_string();
            delete_one(cmd, &t.resource, &item_ns, &name, None, &mut out);
        }
    }
    Ok(out)
}
