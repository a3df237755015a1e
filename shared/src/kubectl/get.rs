//! `kubectl get`: lists or named objects of one or more types, printed from
//! the server's Tables (or as yaml/json/name/jsonpath), and `-w`, which keeps
//! printing rows as the objects change.

use super::client::{encode, CmdError, CmdResult};
use super::command::Cmd;
use super::discovery::ApiResource;
use super::outcome::{Follow, FollowKind, Outcome, Polled};
use super::printer::{self, from_table, Output, Printed, TableOptions};
use super::transport::{Transport, ACCEPT_TABLE};
use crate::apiserver::{Request, Response, WatchId};
use serde_json::Value;

/// The objects a command line names: each type with the names asked for (none = all).
pub struct Target {
    pub resource: ApiResource,
    pub names: Vec<String>,
}

/// Reads `pods`, `pods,svc x y`, `pod/x svc/y` and `all` into targets.
pub fn targets(cmd: &mut Cmd, args: &[String], verb: &str) -> CmdResult<(Vec<Target>, bool)> {
    if args.is_empty() {
        return Err(CmdError::usage(format!(
            "You must specify the type of resource to {verb}. Use \"kubectl api-resources\" for a complete list of supported resources."
        )));
    }
    let mut out: Vec<Target> = Vec::new();
    let mut used_all = false;
    if args.iter().any(|a| a.contains('/')) {
        for a in args {
            let Some((kind, name)) = a.split_once('/') else {
                return Err(CmdError::usage(format!(
                    "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl {verb} resource/<resource_name>' instead of 'kubectl {verb} resource resource/<resource_name>'"
                )));
            };
            if name.is_empty() {
                return Err(CmdError::usage("arguments in resource/name form must have a single resource and name"));
            }
            let resource = cmd.resolve(kind)?;
            match out.iter_mut().find(|t| t.resource == resource && !t.names.is_empty()) {
                Some(t) => t.names.push(name.to_string()),
                None => out.push(Target { resource, names: vec![name.to_string()] }),
            }
        }
        return Ok((out, false));
    }
    let names: Vec<String> = args[1..].to_vec();
    for word in args[0].split(',').filter(|w| !w.is_empty()) {
        if word == "all" {
            used_all = true;
            for r in cmd.discovery()?.category("all") {
                out.push(Target { resource: r.clone(), names: names.clone() });
            }
            continue;
        }
        let resource = cmd.resolve(word)?;
        out.push(Target { resource, names: names.clone() });
    }
    Ok((out, used_all))
}

/// `?labelSelector=…&fieldSelector=…` from `-l` and `--field-selector`.
pub fn selector_query(cmd: &Cmd, extra_field: Option<String>) -> String {
    let mut q = Vec::new();
    if let Some(l) = cmd.p.get("selector").filter(|l| !l.is_empty()) {
        q.push(format!("labelSelector={}", encode(l)));
    }
    let fields: Vec<String> = cmd.p.get("field-selector").filter(|f| !f.is_empty()).map(str::to_string).into_iter().chain(extra_field).collect();
    if !fields.is_empty() {
        q.push(format!("fieldSelector={}", encode(&fields.join(","))));
    }
    q.join("&")
}

fn with_query(path: String, query: &str) -> String {
    if query.is_empty() { path } else { format!("{path}?{query}") }
}

/// "No resources found in default namespace." or "No resources found".
pub fn nothing_found(namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("No resources found in {ns} namespace.\n"),
        None => "No resources found\n".into(),
    }
}

pub fn run(cmd: &mut Cmd) -> CmdResult<Outcome> {
    let output = Output::parse(cmd.p.get("output"))?;
    let all_namespaces = cmd.p.is_set("all-namespaces");
    let watch = cmd.p.is_set("watch") || cmd.p.is_set("watch-only");
    let args = cmd.p.args.clone();
    let (targets, used_all) = targets(cmd, &args, "get")?;
    if watch && targets.len() != 1 {
        return Err(CmdError::usage(format!(
            "watch is only supported on individual resources and resource collections, but {} resources were found",
            targets.len()
        )));
    }
    let namespace = cmd.namespace.clone();
    let with_kind = targets.len() > 1 || used_all || cmd.p.is_set("show-kind");
    let query = selector_query(cmd, None);
    let mut out = Outcome::default();
    let mut printed_any = false;
    let mut objects: Vec<(Value, ApiResource)> = Vec::new();
    let mut single = true;
    let mut list_rv = String::new();
    let mut columns = Value::Null;

    for target in &targets {
        let r = &target.resource;
        let ns = (r.namespaced && !all_namespaces).then_some(namespace.as_str());
        let opts = TableOptions {
            wide: matches!(output, Output::Table { wide: true }),
            namespace_column: all_namespaces && r.namespaced,
            show_labels: cmd.p.is_set("show-labels"),
            kind_prefix: with_kind.then(|| r.kind_prefix()),
            no_headers: cmd.p.is_set("no-headers"),
        };
        if target.names.is_empty() {
            single = false;
            let path = with_query(r.collection_path(ns), &query);
            if output.is_table() {
                let table = cmd.client.get_table(&path)?;
                list_rv = table.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or("").to_string();
                columns = table.get("columnDefinitions").cloned().unwrap_or(Value::Null);
                let printed = from_table(&table, None, &opts);
                if cmd.p.is_set("watch-only") {
                    continue;
                }
                print_table(&mut out, &printed, &opts, &mut printed_any);
            } else {
                let list = cmd.client.get(&path)?;
                list_rv = list.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or("").to_string();
                for item in list.get("items").and_then(Value::as_array).into_iter().flatten() {
                    objects.push((printer::with_type(item.clone(), r), r.clone()));
                }
            }
            continue;
        }
        if target.names.len() > 1 {
            single = false;
        }
        let mut rows = Printed::default();
        for name in &target.names {
            let path = r.object_path(ns.unwrap_or(&namespace), name);
            let got = if output.is_table() { cmd.client.get_table(&path) } else { cmd.client.get(&path) };
            match got {
                Ok(v) if output.is_table() => {
                    // A named watch starts after the version printed.
                    list_rv = v.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or("").to_string();
                    let p = from_table(&v, None, &opts);
                    columns = v.get("columnDefinitions").cloned().unwrap_or(Value::Null);
                    rows.header = p.header;
                    rows.rows.extend(p.rows);
                }
                Ok(v) => {
                    list_rv = v.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or("").to_string();
                    objects.push((printer::with_type(v, r), r.clone()));
                }
                Err(e) if e.is_not_found() && cmd.p.is_set("ignore-not-found") => {}
                Err(e) => {
                    out.stderr.push_str(&format!("{e}\n"));
                    out.exit_code = 1;
                }
            }
        }
        if !rows.rows.is_empty() {
            print_table(&mut out, &rows, &opts, &mut printed_any);
        }
    }
    if single && targets.len() > 1 {
        single = false;
    }

    if !output.is_table() {
        let watch_only = watch && cmd.p.is_set("watch-only");
        // An empty list still prints as an empty List in json/yaml, but not as names.
        let nothing = objects.is_empty() && (single || matches!(output, Output::Name));
        let (values, resources): (Vec<Value>, Vec<ApiResource>) = objects.into_iter().unzip();
        let refs: Vec<&ApiResource> = resources.iter().collect();
        if !watch_only && !nothing {
            out.stdout.push_str(&printer::print_objects(values, single, &refs, &output)?);
            printed_any = true;
        }
    }

    let listed = targets.iter().any(|t| t.names.is_empty());
    if !printed_any && out.exit_code == 0 && listed && !watch && (output.is_table() || matches!(output, Output::Name)) {
        let cluster_scoped = targets.iter().all(|t| !t.resource.namespaced);
        out.stderr.push_str(&nothing_found((!all_namespaces && !cluster_scoped).then_some(namespace.as_str())));
    }

    if watch {
        let target = &targets[0];
        let r = &target.resource;
        let ns = (r.namespaced && !all_namespaces).then_some(namespace.as_str());
        let name_field = (target.names.len() == 1).then(|| format!("metadata.name={}", target.names[0]));
        let mut query = selector_query(cmd, name_field);
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str("watch=true");
        if !list_rv.is_empty() && !cmd.p.is_set("watch-only") {
            query.push_str(&format!("&resourceVersion={list_rv}"));
        }
        let mut req = Request::get(&format!("{}?{query}", r.collection_path(ns)));
        if output.is_table() {
            req = req.with_header("Accept", ACCEPT_TABLE);
        }
        let resp = cmd.client.send(&req);
        let Response::Watch { id, .. } = resp else {
            return Err(CmdError::from_response(&resp));
        };
        let opts = TableOptions {
            wide: matches!(output, Output::Table { wide: true }),
            namespace_column: all_namespaces && r.namespaced,
            show_labels: cmd.p.is_set("show-labels"),
            kind_prefix: with_kind.then(|| r.kind_prefix()),
            no_headers: cmd.p.is_set("no-headers"),
        };
        let follow = WatchFollow { id, resource: r.clone(), output, opts, columns, header_printed: printed_any, first: !printed_any };
        out.follow = Some(Follow(FollowKind::Watch(Box::new(follow))));
    }
    Ok(out)
}

fn print_table(out: &mut Outcome, printed: &Printed, opts: &TableOptions, printed_any: &mut bool) {
    if printed.rows.is_empty() {
        return;
    }
    if *printed_any {
        out.stdout.push('\n');
    }
    out.stdout.push_str(&printed.render(!opts.no_headers));
    *printed_any = true;
}

/// `get -w` after its first screen: one line per change, as the events arrive.
#[derive(Debug)]
pub struct WatchFollow {
    id: WatchId,
    resource: ApiResource,
    output: Output,
    opts: TableOptions,
    columns: Value,
    header_printed: bool,
    first: bool,
}

impl WatchFollow {
    pub fn poll(&mut self, transport: &mut dyn Transport) -> Polled {
        let mut polled = Polled::default();
        for event in transport.poll_watch(self.id) {
            let object = event.get("object").cloned().unwrap_or(Value::Null);
            match event.get("type").and_then(Value::as_str) {
                Some("ERROR") => {
                    let message = object.get("message").and_then(Value::as_str).unwrap_or("watch closed");
                    polled.stderr.push_str(&format!("error: {message}\n"));
                    polled.finished = true;
                    polled.exit_code = 1;
                    transport.close_watch(self.id);
                    return polled;
                }
                Some("BOOKMARK") | None => continue,
                Some(_) => {}
            }
            if self.output.is_table() {
                if self.columns.is_null() || self.columns.as_array().is_some_and(Vec::is_empty) {
                    self.columns = object.get("columnDefinitions").cloned().unwrap_or(Value::Null);
                }
                let printed = from_table(&object, Some(&self.columns), &self.opts);
                let header = !self.header_printed && !self.opts.no_headers;
                polled.stdout.push_str(&printed.render(header));
                self.header_printed = true;
            } else {
                let obj = printer::with_type(object, &self.resource);
                let text = printer::print_objects(vec![obj], true, &[&self.resource], &self.output).unwrap_or_default();
                if matches!(self.output, Output::Yaml) && !self.first {
                    polled.stdout.push_str("---\n");
                }
                polled.stdout.push_str(&text);
            }
            self.first = false;
        }
        polled
    }

    pub fn close(self, transport: &mut dyn Transport) {
        transport.close_watch(self.id);
    }
}
