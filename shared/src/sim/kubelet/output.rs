//! What simulated processes print, written into the API server's log store as a
//! container runtime captures stdout: start-up lines, env printouts, echoes, exits.
//!
//! Postgres' start-up depends on its data volume, which makes persistence visible in `kubectl logs`.

use super::container::{Container, Output};
use crate::apiserver::ApiServer;
use crate::sim::env::Volume;
use crate::sim::images::{self, Program, Reference};
use crate::sim::volumes::{self, VolumeStore};
use jiff::Timestamp;
use serde_json::Value;

/// Postgres' data directory unless `PGDATA` says otherwise.
const PGDATA: &str = "/var/lib/postgresql/data";
/// The file whose presence tells postgres' entrypoint a database exists.
const PG_MARKER: &str = "PG_VERSION";

const INITDB: &[&str] = &[
    "The files belonging to this database system will be owned by user \"postgres\".",
    "This user must also own the server process.",
    "",
    "The database cluster will be initialized with locale \"en_US.utf8\".",
    "The default database encoding has accordingly been set to \"UTF8\".",
    "",
    "fixing permissions on existing directory /var/lib/postgresql/data ... ok",
    "creating subdirectories ... ok",
    "performing post-bootstrap initialization ... ok",
    "syncing data to disk ... ok",
    "",
    "Success. You can now start the database server using:",
    "",
    "waiting for server to start.... done",
    "server started",
    "waiting for server to shut down.... done",
    "server stopped",
    "",
    "PostgreSQL init process complete; ready for start up.",
    "",
];
const PG_EXISTING: &str =
    "PostgreSQL Database directory appears to contain a database; Skipping initialization";

/// Where a pod's containers run: what the printer needs to know about their pod.
pub struct PodView<'a> {
    pub pod: &'a Value,
    pub uid: &'a str,
    pub volumes: &'a [Volume],
}

/// Takes the container's starts and exits since the last sync and appends what they printed.
pub fn print(api: &mut ApiServer, store: &mut VolumeStore, view: &PodView, c: &mut Container) {
    for output in std::mem::take(&mut c.outputs) {
        let (instance, at, lines) = match output {
            Output::Started { instance, at } => (instance, at, started(api, store, view, c)),
            Output::Exited {
                instance,
                at,
                exit_code,
                reason,
            } => (instance, at, exited(c, exit_code, &reason)),
        };
        for line in lines {
            api.logs_mut()
                .append(view.uid, &c.name, instance, at, &line);
        }
    }
}

/// A request-log summary for a server under traffic, one per scrape rather than one per request.
pub fn traffic(
    api: &mut ApiServer,
    uid: &str,
    c: &Container,
    instance: u32,
    now: Timestamp,
    requests: u64,
) {
    let Some(image) = images::lookup(c.image_name(), true) else {
        return;
    };
    if image.program != Program::Server || requests == 0 {
        return;
    }
    let line = match image.repository {
        "postgres" | "redis" => format!(
            "{requests} commands processed in the last {}s",
            crate::sim::metrics::SCRAPE_SECONDS
        ),
        _ => format!(
            "GET / 200 ({requests} requests in the last {}s)",
            crate::sim::metrics::SCRAPE_SECONDS
        ),
    };
    api.logs_mut().append(uid, &c.name, instance, now, &line);
}

fn started(api: &ApiServer, store: &mut VolumeStore, view: &PodView, c: &Container) -> Vec<String> {
    let Some(image) = images::lookup(c.image_name(), true) else {
        return Vec::new();
    };
    if image.program == Program::Shell {
        return echoes(&command(c));
    }
    let tag = Reference::parse(c.image_name()).tag;
    let mut lines: Vec<String> = image
        .logs
        .iter()
        .map(|l| l.replace("{tag}", &tag))
        .collect();
    match image.repository {
        "myapp" => {
            // It prints its environment right after `npm start` announces itself.
            let env = c.env.iter().map(|(k, v)| format!("{k}={v}"));
            let at = lines.len().min(1);
            lines.splice(at..at, env);
        }
        "postgres" => {
            let init = postgres_init(api, store, view, c);
            lines.splice(0..0, init);
        }
        _ => {}
    }
    lines
}

/// Initialises an empty data directory (and remembers it did), or finds the database there.
fn postgres_init(
    api: &ApiServer,
    store: &mut VolumeStore,
    view: &PodView,
    c: &Container,
) -> Vec<String> {
    let pgdata = c
        .env
        .iter()
        .find(|(k, _)| k == "PGDATA")
        .map_or(PGDATA, |(_, v)| v.as_str());
    let key = volumes::mounted_at(api, view.pod, view.volumes, &c.spec, pgdata);
    let initialised = key
        .as_ref()
        .and_then(|k| store.data(k))
        .is_some_and(|d| d.files.contains_key(PG_MARKER));
    if initialised {
        return vec![String::new(), PG_EXISTING.to_string(), String::new()];
    }
    if let Some(k) = key {
        store
            .data_mut(&k)
            .files
            .insert(PG_MARKER.into(), Reference::parse(c.image_name()).tag);
    }
    INITDB.iter().map(|l| l.to_string()).collect()
}

fn exited(c: &Container, exit_code: i32, reason: &str) -> Vec<String> {
    let Some(image) = images::lookup(c.image_name(), true) else {
        return Vec::new();
    };
    if image.program == Program::Shell || reason == "OOMKilled" {
        return Vec::new();
    }
    let line = match (exit_code, image.repository) {
        (0 | 137 | 143, "postgres") => "received fast shutdown request",
        (0 | 137 | 143, "nginx") => "signal 15 (SIGTERM) received, exiting",
        (0 | 137 | 143, "redis") => "Received SIGTERM scheduling shutdown...",
        (0 | 137 | 143, _) => "SIGTERM received, shutting down",
        (_, "myapp") => "Error: simulated crash (kubeplay.dev/fault=crash)",
        _ => "fatal error, exiting",
    };
    vec![line.to_string()]
}

fn command(c: &Container) -> Vec<String> {
    ["command", "args"]
        .iter()
        .filter_map(|f| c.spec.get(*f).and_then(Value::as_array))
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// The output of the `echo`s of a simple shell script (loops print nothing here).
fn echoes(command: &[String]) -> Vec<String> {
    let script = match command {
        [sh, flag, script, ..] if sh.ends_with("sh") && flag == "-c" => script.clone(),
        [echo, rest @ ..] if echo == "echo" => return vec![rest.join(" ")],
        _ => return Vec::new(),
    };
    if script.contains("while ") || script.contains("for ") {
        return Vec::new();
    }
    script
        .split([';', '\n'])
        .flat_map(|s| s.split("&&"))
        .map(str::trim)
        .filter_map(|s| s.strip_prefix("echo "))
        .map(|rest| rest.trim().replace(['"', '\''], ""))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn simple_shell_scripts_print_their_echoes() {
        assert_eq!(
            echoes(&cmd(&["sh", "-c", "echo hi; sleep 5 && echo 'bye now'"])),
            ["hi", "bye now"]
        );
        assert_eq!(echoes(&cmd(&["echo", "hello", "world"])), ["hello world"]);
        assert!(echoes(&cmd(&["sh", "-c", "while true; do echo x; done"])).is_empty());
        assert!(echoes(&cmd(&["sleep", "3600"])).is_empty());
    }
}
