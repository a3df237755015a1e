//! `kubectl rollout status|history|undo|restart|pause|resume` for Deployments,
//! computed from the Deployment and its ReplicaSets as kubectl does, and
//! carried out with the same patches.

use super::client::{encode, Client, CmdError, CmdResult};
use super::command::Cmd;
use super::describe::template as describe_template;
use super::discovery::ApiResource;
use super::outcome::{Follow, FollowKind, Outcome, Polled};
use super::tabwriter;
use super::transport::Transport;
use jiff::Timestamp;
use serde_json::{json, Value};

const REVISION: &str = "deployment.kubernetes.io/revision";
const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";

pub fn run(cmd: &mut Cmd) -> CmdResult<Outcome> {
    let args = cmd.p.args.clone();
    let Some(sub) = args.first() else {
        return Err(CmdError::usage("Manage the rollout of one or many resources.\n\nAvailable Commands:\n  history       View rollout history\n  pause         Mark the provided resource as paused\n  restart       Restart a resource\n  resume        Resume a paused resource\n  status        Show the status of the rollout\n  undo          Undo a previous rollout"));
    };
    let (resource, name) = target(cmd, &args[1..], sub)?;
    let namespace = cmd.namespace.clone();
    let path = resource.object_path(&namespace, &name);
    let id = format!("{}/{name}", resource.kind_prefix());
    match sub.as_str() {
        "status" => status(cmd, &path, &name),
        "history" => history(cmd, &resource, &path, &id),
        "undo" => undo(cmd, &path, &id),
        "restart" => {
            let d = cmd.client.get(&path)?;
            if d.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
                return Err(CmdError::usage(format!("{} {name:?} can't restart paused deployment (run rollout resume first)", resource.group_resource())));
            }
            let at = cmd.now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
            let patch = json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": at}}}}});
            cmd.client.patch(&path, "application/strategic-merge-patch+json", &patch)?;
            Ok(Outcome::ok(format!("{id} restarted\n")))
        }
        "pause" | "resume" => {
            let pause = sub == "pause";
            let d = cmd.client.get(&path)?;
            let paused = d.pointer("/spec/paused").and_then(Value::as_bool).unwrap_or(false);
            if paused == pause {
                let state = if pause { "already paused" } else { "not paused" };
                return Err(CmdError::usage(format!("{} {name:?} is {state}", resource.group_resource())));
            }
            cmd.client.patch(&path, "application/strategic-merge-patch+json", &json!({"spec": {"paused": pause}}))?;
            Ok(Outcome::ok(format!("{id} {}\n", if pause { "paused" } else { "resumed" })))
        }
        other => Err(CmdError::usage(format!("unknown command \"{other}\" for \"kubectl rollout\""))),
    }
}

/// `deployment my-api` or `deployment/my-api`.
fn target(cmd: &mut Cmd, args: &[String], sub: &str) -> CmdResult<(ApiResource, String)> {
    let (kind, name) = match args {
        [one] if one.contains('/') => one.split_once('/').map(|(k, n)| (k.to_string(), n.to_string())).unwrap_or_default(),
        [kind, name] => (kind.clone(), name.clone()),
        _ => return Err(CmdError::usage(format!("required resource not specified\nSee 'kubectl rollout {sub} -h' for help and examples"))),
    };
    let resource = cmd.resolve(&kind)?;
    if resource.kind != "Deployment" {
        return Err(CmdError::usage(match sub {
            "status" => format!("no status viewer has been implemented for {}", resource.kind),
            "history" => format!("no history viewer has been implemented for {}", resource.kind),
            _ => format!("{} {sub} is not supported for {}", resource.kind_prefix(), resource.kind),
        }));
    }
    Ok((resource, name))
}

/// kubectl's rollout status line, and whether the rollout is done.
pub fn status_line(d: &Value, name: &str) -> Result<(String, bool), CmdError> {
    let int = |p: &str| d.pointer(p).and_then(Value::as_i64).unwrap_or(0);
    let generation = int("/metadata/generation");
    let observed = int("/status/observedGeneration");
    if generation > observed {
        return Ok(("Waiting for deployment spec update to be observed...\n".into(), false));
    }
    let progressing = d
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "Progressing");
    if progressing.is_some_and(|c| c["reason"] == "ProgressDeadlineExceeded") {
        return Err(CmdError::usage(format!("deployment {name:?} exceeded its progress deadline")));
    }
    let desired = d.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
    let updated = int("/status/updatedReplicas");
    let replicas = int("/status/replicas");
    let available = int("/status/availableReplicas");
    if updated < desired {
        return Ok((format!("Waiting for deployment {name:?} rollout to finish: {updated} out of {desired} new replicas have been updated...\n"), false));
    }
    if replicas > updated {
        return Ok((format!("Waiting for deployment {name:?} rollout to finish: {} old replicas are pending termination...\n", replicas - updated), false));
    }
    if available < updated {
        return Ok((format!("Waiting for deployment {name:?} rollout to finish: {available} of {updated} updated replicas are available...\n"), false));
    }
    Ok((format!("deployment {name:?} successfully rolled out\n"), true))
}

fn status(cmd: &mut Cmd, path: &str, name: &str) -> CmdResult<Outcome> {
    let d = cmd.client.get(path)?;
    let (line, done) = status_line(&d, name)?;
    let mut out = Outcome::ok(line.clone());
    let watch = cmd.p.get("watch") != Some("false");
    if !done && watch {
        out.follow = Some(Follow(FollowKind::Rollout(StatusFollow { path: path.to_string(), name: name.to_string(), last: line })));
    }
    Ok(out)
}

/// `rollout status` waiting for the rollout to finish.
#[derive(Debug)]
pub struct StatusFollow {
    path: String,
    name: String,
    last: String,
}

impl StatusFollow {
    pub fn poll(&mut self, transport: &mut dyn Transport, _now: Timestamp) -> Polled {
        let mut polled = Polled::default();
        let d = match Client::new(transport).get(&self.path) {
            Ok(d) => d,
            Err(e) => {
                polled.stderr = format!("{e}\n");
                polled.finished = true;
                polled.exit_code = 1;
                return polled;
            }
        };
        match status_line(&d, &self.name) {
            Ok((line, done)) => {
                if line != self.last {
                    polled.stdout.push_str(&line);
                    self.last = line;
                }
                polled.finished = done;
            }
            Err(e) => {
                polled.stderr = format!("{e}\n");
                polled.finished = true;
                polled.exit_code = 1;
            }
        }
        polled
    }
}

/// The Deployment's ReplicaSets, by revision.
fn revisions(client: &mut Client, d: &Value) -> CmdResult<Vec<(i64, Value)>> {
    let namespace = d.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default");
    let uid = d.pointer("/metadata/uid").and_then(Value::as_str).unwrap_or("");
    let labels: Vec<String> = d
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    let list = client.get(&format!("/apis/apps/v1/namespaces/{namespace}/replicasets?labelSelector={}", encode(&labels.join(","))))?;
    let mut out: Vec<(i64, Value)> = list
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|rs| {
            rs.pointer("/metadata/ownerReferences").and_then(Value::as_array).into_iter().flatten().any(|o| o["uid"] == uid && o["controller"] == true)
        })
        .filter_map(|rs| {
            let rev = rs.pointer("/metadata/annotations").and_then(|a| a.get(REVISION)).and_then(Value::as_str)?.parse().ok()?;
            Some((rev, rs.clone()))
        })
        .collect();
    out.sort_by_key(|(r, _)| *r);
    Ok(out)
}

fn history(cmd: &mut Cmd, resource: &ApiResource, path: &str, id: &str) -> CmdResult<Outcome> {
    let d = cmd.client.get(path)?;
    let revs = revisions(&mut cmd.client, &d)?;
    if let Some(want) = cmd.p.get("revision").filter(|r| *r != "0") {
        let want: i64 = want.parse().map_err(|_| CmdError::usage(format!("invalid argument \"{want}\" for \"--revision\" flag")))?;
        let Some((_, rs)) = revs.iter().find(|(r, _)| *r == want) else {
            return Err(CmdError::usage("unable to find the specified revision"));
        };
        let template = rs.pointer("/spec/template").cloned().unwrap_or(Value::Null);
        let mut text = format!("{id} with revision #{want}\nPod Template:\n");
        text.push_str(&tabwriter::align(&describe_template(&template, 1), tabwriter::DESCRIBE));
        return Ok(Outcome::ok(text));
    }
    let _ = resource;
    let mut t = String::from("REVISION\tCHANGE-CAUSE\n");
    for (rev, rs) in &revs {
        let cause = rs.pointer("/metadata/annotations").and_then(|a| a.get(CHANGE_CAUSE)).and_then(Value::as_str).unwrap_or("<none>");
        t.push_str(&format!("{rev}\t{cause}\n"));
    }
    Ok(Outcome::ok(format!("{id}\n{}\n", tabwriter::align(&t, tabwriter::DESCRIBE))))
}

fn without_hash(mut template: Value) -> Value {
    if let Some(labels) = template.pointer_mut("/metadata/labels").and_then(Value::as_object_mut) {
        labels.remove("pod-template-hash");
    }
    template
}

fn undo(cmd: &mut Cmd, path: &str, id: &str) -> CmdResult<Outcome> {
    let d = cmd.client.get(path)?;
    let name = d.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
    let revs = revisions(&mut cmd.client, &d)?;
    let to: i64 = match cmd.p.get("to-revision") {
        Some(r) => r.parse().map_err(|_| CmdError::usage(format!("invalid argument \"{r}\" for \"--to-revision\" flag")))?,
        None => 0,
    };
    let target = if to == 0 {
        if revs.len() < 2 {
            return Err(CmdError::usage(format!("no rollout history found for deployment {name:?}")));
        }
        &revs[revs.len() - 2].1
    } else {
        match revs.iter().find(|(r, _)| *r == to) {
            Some((_, rs)) => rs,
            None => return Err(CmdError::usage(format!("unable to find specified revision {to} in history"))),
        }
    };
    let template = without_hash(target.pointer("/spec/template").cloned().unwrap_or(Value::Null));
    let current = d.pointer("/spec/template").cloned().unwrap_or(Value::Null);
    if template == current {
        let rev = target.pointer("/metadata/annotations").and_then(|a| a.get(REVISION)).and_then(Value::as_str).unwrap_or("");
        return Ok(Outcome::ok(format!("{id} skipped rollback (current template already matches revision {rev})\n")));
    }
    let patch = json!([{"op": "replace", "path": "/spec/template", "value": template}]);
    cmd.client.patch(path, "application/json-patch+json", &patch)?;
    Ok(Outcome::ok(format!("{id} rolled back\n")))
}
