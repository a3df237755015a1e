//! Tab completion for the terminal: commands, subcommands, resource types,
//! names of objects in the namespace (asked of the API, as kubectl's
//! `__complete` does), flags, and flag values (namespaces, contexts, formats, files).

use super::client::Client;
use super::command::{find, COMMANDS};
use super::discovery::Discovery;
use super::files::Files;
use super::flags::{Arity, Flag, GLOBAL};
use super::session::Session;
use super::transport::Transport;
use super::words;
use serde_json::Value;

/// Completions for the word at `cursor` (a byte offset in `line`): whole words
/// that start with what is typed there.
pub fn complete(session: &mut Session, transport: &mut dyn Transport, line: &str, cursor: usize, files: &dyn Files) -> Vec<String> {
    let upto = line.get(..cursor.min(line.len())).unwrap_or(line);
    let Ok(mut typed) = words::split(upto) else { return Vec::new() };
    let partial = if upto.is_empty() || upto.ends_with(char::is_whitespace) { String::new() } else { typed.pop().unwrap_or_default() };
    let mut client = Client::new(transport);
    let candidates = candidates(session, &mut client, &typed, &partial, files);
    let mut out: Vec<String> = candidates.into_iter().filter(|c| c.starts_with(&partial)).collect();
    out.sort();
    out.dedup();
    out
}

fn flag_of<'a>(specs: &[&'a [Flag]], word: &str) -> Option<&'a Flag> {
    let all = || specs.iter().flat_map(|s| s.iter());
    if let Some(long) = word.strip_prefix("--") {
        return all().find(|f| f.long == long);
    }
    let short = word.strip_prefix('-')?.chars().last()?;
    all().find(|f| f.short == Some(short))
}

fn candidates(session: &mut Session, client: &mut Client, typed: &[String], partial: &str, files: &dyn Files) -> Vec<String> {
    let Some(first) = typed.first() else {
        return vec!["kubectl".into()];
    };
    if first != "kubectl" && first != "k" {
        return Vec::new();
    }
    // Walk the words: the command, its positionals, and the flag awaiting a value.
    let mut command = None;
    let mut positionals: Vec<String> = Vec::new();
    let mut namespace: Option<String> = None;
    let mut pending: Option<&'static Flag> = None;
    for w in &typed[1..] {
        let specs: Vec<&[Flag]> = match command {
            Some(c) => vec![GLOBAL, find(c).map_or(&[][..], |c| c.flags)],
            None => vec![GLOBAL],
        };
        if let Some(flag) = pending.take() {
            if flag.long == "namespace" {
                namespace = Some(w.clone());
            }
            continue;
        }
        if w.starts_with('-') && w.len() > 1 {
            if let Some(f) = flag_of(&specs, w).filter(|f| f.arity == Arity::Value && !w.contains('=')) {
                let spec_static: Option<&'static Flag> = COMMANDS.iter().flat_map(|c| c.flags.iter()).chain(GLOBAL.iter()).find(|x| x.long == f.long);
                pending = spec_static;
            }
            if let Some(ns) = w.strip_prefix("--namespace=") {
                namespace = Some(ns.to_string());
            }
            continue;
        }
        match command {
            None => command = Some(w.as_str()),
            Some(_) => positionals.push(w.clone()),
        }
    }
    let namespace = namespace.unwrap_or_else(|| session.namespace());
    if let Some(flag) = pending {
        return flag_values(session, client, flag.long, files, partial);
    }
    let Some(command) = command.and_then(find) else {
        return COMMANDS.iter().map(|c| c.name.to_string()).collect();
    };
    if partial.starts_with('-') {
        return GLOBAL.iter().chain(command.flags.iter()).map(|f| format!("--{}", f.long)).collect();
    }
    let discovery = match &session.discovery {
        Some(d) => d.clone(),
        None => match Discovery::load(client) {
            Ok(d) => {
                session.discovery = Some(d.clone());
                d
            }
            Err(_) => Discovery::default(),
        },
    };
    let types = |with_all: bool| -> Vec<String> {
        let mut t: Vec<String> = discovery.resources.iter().filter(|r| r.group != "metrics.k8s.io").map(|r| r.plural.clone()).collect();
        if with_all {
            t.push("all".into());
        }
        t
    };
    let names_of = |client: &mut Client, kind: &str, prefix: &str| -> Vec<String> {
        let Ok(r) = discovery.resolve(kind) else { return Vec::new() };
        let path = r.collection_path(Some(&namespace));
        client
            .get(&path)
            .ok()
            .and_then(|l| l.get("items").and_then(Value::as_array).cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|o| o.pointer("/metadata/name").and_then(Value::as_str))
            .map(|n| format!("{prefix}{n}"))
            .collect()
    };
    let typed_or_names = |client: &mut Client, positional: &[String], with_all: bool| -> Vec<String> {
        if let Some((kind, _)) = partial.split_once('/') {
            return names_of(client, kind, &format!("{kind}/"));
        }
        match positional.first() {
            None => types(with_all),
            Some(kind) if !kind.contains('/') && !kind.contains(',') && kind != "all" => names_of(client, kind, ""),
            _ => Vec::new(),
        }
    };
    match command.name {
        "get" | "describe" | "delete" | "label" | "annotate" | "edit" => typed_or_names(client, &positionals, command.name == "get"),
        "logs" | "exec" | "port-forward" => {
            if positionals.is_empty() {
                if let Some((kind, _)) = partial.split_once('/') {
                    return names_of(client, kind, &format!("{kind}/"));
                }
                names_of(client, "pods", "")
            } else {
                Vec::new()
            }
        }
        "scale" | "expose" => match positionals.first() {
            None if partial.contains('/') => typed_or_names(client, &positionals, false),
            None => vec!["deployment".into(), "replicaset".into()],
            Some(kind) if positionals.len() == 1 && !kind.contains('/') => names_of(client, kind, ""),
            _ => Vec::new(),
        },
        "config" => match positionals.as_slice() {
            [] => command.subcommands.iter().map(|s| s.to_string()).collect(),
            [sub] if sub == "use-context" || sub == "get-contexts" || sub == "set-context" => session.contexts.iter().map(|c| c.name.clone()).collect(),
            _ => Vec::new(),
        },
        "rollout" | "set" => match positionals.as_slice() {
            [] => command.subcommands.iter().map(|s| s.to_string()).collect(),
            [_] if partial.contains('/') => names_of(client, partial.split('/').next().unwrap_or(""), &format!("{}/", partial.split('/').next().unwrap_or(""))),
            [_] => vec!["deployment".into()],
            [_, kind] if !kind.contains('/') => names_of(client, kind, ""),
            _ => Vec::new(),
        },
        "top" => match positionals.as_slice() {
            [] => vec!["node".into(), "pod".into()],
            [kind] => {
                if kind.starts_with("no") {
                    names_of(client, "nodes", "")
                } else {
                    let path = format!("/api/v1/namespaces/{namespace}/pods");
                    client
                        .get(&path)
                        .ok()
                        .and_then(|l| l.get("items").and_then(Value::as_array).cloned())
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|o| o.pointer("/metadata/name").and_then(Value::as_str).map(str::to_string))
                        .collect()
                }
            }
            _ => Vec::new(),
        },
        "create" => match positionals.as_slice() {
            [] => command.subcommands.iter().map(|s| s.to_string()).collect(),
            [s] if s == "secret" => vec!["generic".into()],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn flag_values(session: &Session, client: &mut Client, flag: &str, files: &dyn Files, partial: &str) -> Vec<String> {
    match flag {
        "namespace" => client
            .get("/api/v1/namespaces")
            .ok()
            .and_then(|l| l.get("items").and_then(Value::as_array).cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|o| o.pointer("/metadata/name").and_then(Value::as_str).map(str::to_string))
            .collect(),
        "context" => session.contexts.iter().map(|c| c.name.clone()).collect(),
        "output" => ["json", "yaml", "wide", "name", "jsonpath="].iter().map(|s| s.to_string()).collect(),
        "filename" => {
            let dir = match partial.rfind('/') {
                Some(i) => &partial[..=i],
                None => "",
            };
            let listed = files.list(dir).unwrap_or_default();
            // Keep the user's spelling of the folder (`./k8s/`).
            listed
                .into_iter()
                .map(|p| {
                    let leaf = p.rsplit('/').next().unwrap_or(&p).to_string();
                    let is_dir = files.read(&p).is_none();
                    format!("{dir}{leaf}{}", if is_dir { "/" } else { "" })
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::{ApiServer, Request};
    use crate::kubectl::files::NoFiles;
    use crate::kubectl::transport::Direct;
    use jiff::Timestamp;
    use serde_json::json;

    fn cluster() -> (ApiServer, Timestamp) {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut api = ApiServer::new(1, now);
        for name in ["web", "worker", "db"] {
            let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}});
            assert_eq!(api.handle(&Request::post("/api/v1/namespaces/default/configmaps", cm.to_string()), now).status(), 201);
        }
        (api, now)
    }

    fn complete_line(line: &str) -> Vec<String> {
        let (mut api, now) = cluster();
        let mut t = Direct { api: &mut api, now };
        complete(&mut Session::new(), &mut t, line, line.len(), &NoFiles)
    }

    #[test]
    fn the_first_word_is_kubectl_and_the_second_a_command() {
        assert_eq!(complete_line(""), ["kubectl"]);
        assert_eq!(complete_line("kubectl des"), ["describe"]);
        assert_eq!(complete_line("kubectl co"), ["config"]);
    }

    #[test]
    fn names_come_from_the_objects_of_that_type() {
        assert_eq!(complete_line("kubectl get configmaps w"), ["web", "worker"]);
        assert_eq!(complete_line("kubectl get cm/w"), ["cm/web", "cm/worker"]);
        assert_eq!(complete_line("kubectl -n kube-system get configmaps w"), Vec::<String>::new());
    }

    #[test]
    fn flags_and_their_values() {
        assert_eq!(complete_line("kubectl logs --ta"), ["--tail"]);
        assert_eq!(complete_line("kubectl get cm -o j"), ["json", "jsonpath="]);
        assert_eq!(complete_line("kubectl --context kind"), ["kind-kubeplay"]);
    }

    #[test]
    fn the_cursor_decides_which_word_is_completed() {
        let (mut api, now) = cluster();
        let mut t = Direct { api: &mut api, now };
        let line = "kubectl get configmaps -o yaml";
        assert_eq!(complete(&mut Session::new(), &mut t, line, "kubectl get conf".len(), &NoFiles), ["configmaps"]);
    }
}
