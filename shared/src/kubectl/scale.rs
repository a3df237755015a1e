//! `kubectl scale deployment my-api --replicas=5`: a merge patch of the
//! object's `scale` subresource, with `--current-replicas` as a precondition.

use super::client::{CmdError, CmdResult};
use super::command::Cmd;
use super::get::targets;
use super::outcome::Outcome;
use serde_json::{json, Value};

pub fn run(cmd: &mut Cmd) -> CmdResult<Outcome> {
    let Some(replicas) = cmd.p.get("replicas").map(str::to_string) else {
        return Err(CmdError::usage("required flag(s) \"replicas\" not set"));
    };
    let replicas: i64 = replicas
        .parse()
        .map_err(|_| CmdError::usage(format!("invalid argument \"{replicas}\" for \"--replicas\" flag: strconv.ParseInt: parsing \"{replicas}\": invalid syntax")))?;
    if replicas < 0 {
        return Err(CmdError::usage("The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"));
    }
    let args = cmd.p.args.clone();
    let (targets, _) = targets(cmd, &args, "scale")?;
    let namespace = cmd.namespace.clone();
    let mut out = Outcome::default();
    for t in &targets {
        if t.names.is_empty() {
            return Err(CmdError::usage("resource(s) were provided, but no name was specified"));
        }
        if !["Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"].contains(&t.resource.kind.as_str()) {
            return Err(CmdError::usage(format!("cannot scale a {}", t.resource.kind)));
        }
        for name in &t.names {
            let path = format!("{}/scale", t.resource.object_path(&namespace, name));
            if let Some(current) = cmd.p.get("current-replicas").and_then(|c| c.parse::<i64>().ok()) {
                let scale = cmd.client.get(&path)?;
                let now = scale.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(0);
                if now != current {
                    return Err(CmdError::usage(format!("Expected replicas to be {current}, was {now}")));
                }
            }
            cmd.client.patch(&path, "application/merge-patch+json", &json!({"spec": {"replicas": replicas}}))?;
            out.stdout.push_str(&format!("{}/{name} scaled\n", t.resource.kind_prefix()));
        }
    }
    Ok(out)
}
