//! `kubectl label`, `kubectl annotate` (`key=value`, `key-` to remove,
//! `--overwrite`), `kubectl set image` and `kubectl patch`: one PATCH per object.

use super::client::{encode, CmdError, CmdResult};
use super::command::Cmd;
use super::discovery::ApiResource;
use super::get::targets;
use super::outcome::Outcome;
use serde_json::{json, Map, Value};

pub fn run_label(cmd: &mut Cmd) -> CmdResult<Outcome> {
    edit_map(cmd, "labels", "labeled")
}

pub fn run_annotate(cmd: &mut Cmd) -> CmdResult<Outcome> {
    edit_map(cmd, "annotations", "annotated")
}

/// The objects of `type name…`/`type/name…`, or all of a type with `-l`/`--all`.
fn objects(cmd: &mut Cmd, type_args: &[String]) -> CmdResult<Vec<(ApiResource, Value)>> {
    let (targets, _) = targets(cmd, type_args, "label")?;
    let namespace = cmd.namespace.clone();
    let mut out = Vec::new();
    for t in targets {
        if t.names.is_empty() {
            let sel = cmd.p.get("selector").map(str::to_string);
            if sel.is_none() && !cmd.p.is_set("all") {
                return Err(CmdError::usage("resource(s) were provided, but no name was specified"));
            }
            let mut path = t.resource.collection_path(Some(&namespace));
            if let Some(l) = sel {
                path.push_str(&format!("?labelSelector={}", encode(&l)));
            }
            let list = cmd.client.get(&path)?;
            for item in list.get("items").and_then(Value::as_array).into_iter().flatten() {
                out.push((t.resource.clone(), item.clone()));
            }
            continue;
        }
        for name in &t.names {
            let obj = cmd.client.get(&t.resource.object_path(&namespace, name))?;
            out.push((t.resource.clone(), obj));
        }
    }
    Ok(out)
}

fn edit_map(cmd: &mut Cmd, field: &str, verb: &str) -> CmdResult<Outcome> {
    let args = cmd.p.args.clone();
    // As kubectl's GetResourcesAndPairs: `key=value` or `key-` (a prefixed key such as
    // `kubeplay.dev/fault-` too; object names never end in '-').
    let split = args.iter().position(|a| a.contains('=') || (a.ends_with('-') && a.len() > 1));
    let (type_args, changes) = match split {
        Some(i) => (args[..i].to_vec(), args[i..].to_vec()),
        None if cmd.p.is_set("list") => (args.clone(), Vec::new()),
        None => return Err(CmdError::usage(format!("at least one {} update is required", &field[..field.len() - 1]))),
    };
    let objs = objects(cmd, &type_args)?;
    let mut out = Outcome::default();
    for (r, obj) in objs {
        let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
        let current = obj.pointer(&format!("/metadata/{field}")).and_then(Value::as_object).cloned().unwrap_or_default();
        if cmd.p.is_set("list") {
            for (k, v) in &current {
                out.stdout.push_str(&format!("{k}={}\n", v.as_str().unwrap_or("")));
            }
            continue;
        }
        let mut patch = Map::new();
        for c in &changes {
            if let Some(key) = c.strip_suffix('-').filter(|_| !c.contains('=')) {
                patch.insert(key.to_string(), Value::Null);
                continue;
            }
            let Some((k, v)) = c.split_once('=') else {
                return Err(CmdError::usage(format!("invalid {} format: {c}", &field[..field.len() - 1])));
            };
            if let Some(old) = current.get(k).and_then(Value::as_str) {
                if old != v && !cmd.p.is_set("overwrite") {
                    return Err(CmdError::usage(format!("'{k}' already has a value ({old}), and --overwrite is false")));
                }
            }
            patch.insert(k.to_string(), json!(v));
        }
        let unchanged = patch.iter().all(|(k, v)| match v {
            Value::Null => !current.contains_key(k),
            v => current.get(k) == Some(v),
        });
        if unchanged {
            out.stdout.push_str(&format!("{}/{name} not {verb}\n", r.kind_prefix()));
            continue;
        }
        let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or(&cmd.namespace).to_string();
        cmd.client.patch(&r.object_path(&ns, &name), "application/merge-patch+json", &json!({"metadata": {field: patch}}))?;
        let shown = if verb == "labeled" && patch.values().all(Value::is_null) { "unlabeled" } else { verb };
        out.stdout.push_str(&format!("{}/{name} {shown}\n", r.kind_prefix()));
    }
    Ok(out)
}

/// `kubectl set image deployment/my-api api=myapp:2.0`.
pub fn run_set(cmd: &mut Cmd) -> CmdResult<Outcome> {
    let args = cmd.p.args.clone();
    match args.first().map(String::as_str) {
        Some("image") => {}
        Some(other) => return Err(CmdError::usage(format!("unknown command \"{other}\" for \"kubectl set\""))),
        None => return Err(CmdError::usage("Configure application resources.\n\nAvailable Commands:\n  image           Update the image of a pod template")),
    }
    let rest = &args[1..];
    let split = rest.iter().position(|a| a.contains('=')).ok_or_else(|| CmdError::usage("at least one image update is required"))?;
    let (type_args, images) = (&rest[..split], &rest[split..]);
    let objs = objects(cmd, type_args)?;
    let mut out = Outcome::default();
    for (r, obj) in objs {
        let pointer = if r.kind == "Pod" { "/spec/containers" } else { "/spec/template/spec/containers" };
        let containers: Vec<String> = obj
            .pointer(pointer)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
            .collect();
        let mut updates = Vec::new();
        for i in images {
            let (container, image) = i.split_once('=').unwrap_or((i, ""));
            if container == "*" {
                updates.extend(containers.iter().map(|c| json!({"name": c, "image": image})));
            } else if containers.iter().any(|c| c == container) {
                updates.push(json!({"name": container, "image": image}));
            } else {
                return Err(CmdError::usage(format!("unable to find container named \"{container}\"")));
            }
        }
        let patch = if r.kind == "Pod" {
            json!({"spec": {"containers": updates}})
        } else {
            json!({"spec": {"template": {"spec": {"containers": updates}}}})
        };
        let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
        let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or(&cmd.namespace).to_string();
        cmd.client.patch(&r.object_path(&ns, &name), "application/strategic-merge-patch+json", &patch)?;
        out.stdout.push_str(&format!("{}/{name} image updated\n", r.kind_prefix()));
    }
    Ok(out)
}

/// `kubectl patch TYPE NAME -p '{…}' [--type strategic|merge|json]`.
pub fn run_patch(cmd: &mut Cmd) -> CmdResult<Outcome> {
    let Some(body) = cmd.p.get("patch").map(str::to_string) else {
        return Err(CmdError::usage("must specify -p to patch"));
    };
    let patch: Value = serde_json::from_str(&body)
        .or_else(|_| crate::manifest::parse_document(&body).map(|d| d.value).map_err(|e| e.to_string()))
        .map_err(|e| CmdError::usage(format!("unable to parse \"{body}\": {e}")))?;
    let content_type = match cmd.p.get("type").unwrap_or("strategic") {
        "strategic" => "application/strategic-merge-patch+json",
        "merge" => "application/merge-patch+json",
        "json" => "application/json-patch+json",
        other => return Err(CmdError::usage(format!("--type must be one of [json merge strategic], not \"{other}\""))),
    };
    let args = cmd.p.args.clone();
    let objs = objects(cmd, &args)?;
    let mut out = Outcome::default();
    for (r, obj) in objs {
        let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
        let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or(&cmd.namespace).to_string();
        let patched = cmd.client.patch(&r.object_path(&ns, &name), content_type, &patch)?;
        let unchanged = patched.pointer("/metadata/resourceVersion") == obj.pointer("/metadata/resourceVersion");
        let verb = if unchanged { "patched (no change)" } else { "patched" };
        out.stdout.push_str(&format!("{}/{name} {verb}\n", r.kind_prefix()));
    }
    Ok(out)
}
