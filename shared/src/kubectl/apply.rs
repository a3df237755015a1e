//! `kubectl apply -f` (files, folders, `-R`), and the manifest reading that
//! `delete -f` and `create -f` share: the same client-side apply as the page's
//! editor ([`crate::manifest::apply`]), its requests sent through the transport.

use super::client::{CmdError, CmdResult};
use super::command::Cmd;
use super::files::{normalize, Files};
use super::outcome::Outcome;
use crate::manifest::apply::{apply_with, DocumentOutcome};
use crate::manifest::{expand_list, parse_documents};
use serde_json::Value;

/// The manifest files `-f` names, in kubectl's order: each path, and for a
/// folder its `.yaml`/`.yml`/`.json` files (sub-folders too with `-R`).
pub fn manifest_files(files: &dyn Files, paths: &[&str], recursive: bool) -> CmdResult<Vec<(String, String)>> {
    if paths.is_empty() {
        return Err(CmdError::usage("must specify one of -f and -k"));
    }
    let mut out = Vec::new();
    for path in paths {
        if let Some(text) = files.read(path) {
            out.push((path.to_string(), text));
            continue;
        }
        let Some(entries) = files.list(path) else {
            return Err(CmdError::usage(format!("the path \"{path}\" does not exist")));
        };
        collect_folder(files, &entries, recursive, &mut out);
    }
    Ok(out)
}

fn collect_folder(files: &dyn Files, entries: &[String], recursive: bool, out: &mut Vec<(String, String)>) {
    for e in entries {
        if let Some(text) = files.read(e) {
            if [".yaml", ".yml", ".json"].iter().any(|x| e.ends_with(x)) {
                out.push((e.clone(), text));
            }
        } else if recursive {
            if let Some(sub) = files.list(e) {
                collect_folder(files, &sub, recursive, out);
            }
        }
    }
}

/// How kubectl reports one document that failed.
fn failure_line(o: &DocumentOutcome) -> String {
    let Err(f) = &o.result else { return String::new() };
    match &f.status {
        Some(status) => {
            let reason = status.get("reason").and_then(Value::as_str).unwrap_or("");
            if reason == "Invalid" || reason.is_empty() {
                f.message.clone()
            } else {
                format!("Error from server ({reason}): {}", f.message)
            }
        }
        None => format!("error: {}", f.message),
    }
}

pub fn run_apply(cmd: &mut Cmd) -> CmdResult<Outcome> {
    let paths: Vec<String> = cmd.p.all("filename").into_iter().map(str::to_string).collect();
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let sources = manifest_files(cmd.files, &refs, cmd.p.is_set("recursive"))?;
    let namespace = cmd.namespace.clone();
    let mut out = Outcome::default();
    let mut applied = 0;
    for (path, text) in &sources {
        let transport = &mut *cmd.client.transport;
        let results = match apply_with(&mut |req| transport.send(req), text, &namespace) {
            Ok(r) => r,
            Err(e) => {
                out.stderr.push_str(&format!("error: {}\n", e.kubectl_message(&normalize(path))));
                out.exit_code = 1;
                continue;
            }
        };
        for r in &results {
            applied += 1;
            match &r.result {
                Ok(_) if cmd.p.get("output") == Some("name") => out.stdout.push_str(&format!("{}\n", r.object)),
                Ok(_) => out.stdout.push_str(&format!("{}\n", r.summary())),
                Err(_) => {
                    out.stderr.push_str(&format!("{}\n", failure_line(r)));
                    out.exit_code = 1;
                }
            }
        }
    }
    if applied == 0 && out.exit_code == 0 {
        return Err(CmdError::usage("no objects passed to apply"));
    }
    Ok(out)
}

/// Objects named by manifests, for `delete -f`: (apiVersion, kind, namespace, name).
pub fn manifest_objects(sources: &[(String, String)], default_namespace: &str) -> CmdResult<Vec<(String, Value)>> {
    let mut out = Vec::new();
    for (path, text) in sources {
        let docs = parse_documents(text).map_err(|e| CmdError::usage(e.kubectl_message(&normalize(path))))?;
        for doc in &docs {
            for item in expand_list(doc) {
                let mut v = item.value.clone();
                if v.pointer("/metadata/namespace").and_then(Value::as_str).is_none_or(str::is_empty) {
                    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
                        m.insert("namespace".into(), Value::String(default_namespace.to_string()));
                    }
                }
                out.push((path.clone(), v));
            }
        }
    }
    Ok(out)
}
