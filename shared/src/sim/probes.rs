//! Liveness, readiness and startup probes: their timing (initial delay, period,
//! thresholds) as the kubelet's probe workers keep it, and their outcome against
//! a simulated app, worded like the kubelet's `Unhealthy` events.

use super::images::{Faults, Image};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

impl ProbeKind {
    pub fn title(self) -> &'static str {
        match self {
            Self::Liveness => "Liveness",
            Self::Readiness => "Readiness",
            Self::Startup => "Startup",
        }
    }

    fn field(self) -> &'static str {
        match self {
            Self::Liveness => "livenessProbe",
            Self::Readiness => "readinessProbe",
            Self::Startup => "startupProbe",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Http {
        port: Port,
        path: String,
        scheme: String,
    },
    Tcp {
        port: Port,
    },
    Exec {
        command: Vec<String>,
    },
    Grpc {
        port: Port,
    },
}

/// A probe port: a number or the name of a container port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Port {
    Number(u16),
    Named(String),
}

impl Port {
    fn parse(v: Option<&Value>) -> Port {
        match v {
            Some(Value::String(s)) => s
                .parse()
                .map(Port::Number)
                .unwrap_or_else(|_| Port::Named(s.clone())),
            Some(v) => Port::Number(v.as_u64().and_then(|n| u16::try_from(n).ok()).unwrap_or(0)),
            None => Port::Number(0),
        }
    }

    /// The port number, looking a named port up in the container's `ports` (0 when absent).
    pub fn resolve(&self, container: &Value) -> u16 {
        match self {
            Port::Number(n) => *n,
            Port::Named(name) => container
                .get("ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
                .and_then(|p| p.get("containerPort").and_then(Value::as_u64))
                .and_then(|n| u16::try_from(n).ok())
                .unwrap_or(0),
        }
    }
}

/// One probe of a container spec, with Kubernetes' defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub kind: ProbeKind,
    pub action: Action,
    pub initial_delay: i64,
    pub period: i64,
    pub success_threshold: u32,
    pub failure_threshold: u32,
}

impl Probe {
    pub fn of(container: &Value, kind: ProbeKind) -> Option<Probe> {
        let p = container.get(kind.field())?;
        let int = |k: &str, d: i64| p.get(k).and_then(Value::as_i64).unwrap_or(d);
        let action = if let Some(h) = p.get("httpGet") {
            Action::Http {
                port: Port::parse(h.get("port")),
                path: h
                    .get("path")
                    .and_then(Value::as_str)
                    .unwrap_or("/")
                    .to_string(),
                scheme: h
                    .get("scheme")
                    .and_then(Value::as_str)
                    .unwrap_or("HTTP")
                    .to_lowercase(),
            }
        } else if let Some(t) = p.get("tcpSocket") {
            Action::Tcp {
                port: Port::parse(t.get("port")),
            }
        } else if let Some(g) = p.get("grpc") {
            Action::Grpc {
                port: Port::parse(g.get("port")),
            }
        } else {
            let command = p
                .pointer("/exec/command")
                .and_then(Value::as_array)
                .map(|c| {
                    c.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            Action::Exec { command }
        };
        Some(Probe {
            kind,
            action,
            initial_delay: int("initialDelaySeconds", 0).max(0),
            period: int("periodSeconds", 10).max(1),
            success_threshold: u32::try_from(int("successThreshold", 1).max(1)).unwrap_or(1),
            failure_threshold: u32::try_from(int("failureThreshold", 3).max(1)).unwrap_or(3),
        })
    }
}

/// What the simulated app looks like to a probe at one moment.
#[derive(Debug, Clone, Copy)]
pub struct AppView<'a> {
    pub image: &'a Image,
    pub faults: Faults,
    /// Whether the process has finished starting and listens.
    pub listening: bool,
    pub pod_ip: &'a str,
}

/// Runs one probe against the app: `Err` carries the kubelet's failure text.
pub fn run(probe: &Probe, container: &Value, app: AppView) -> Result<(), String> {
    let faulty = match probe.kind {
        ProbeKind::Liveness => app.faults.liveness,
        ProbeKind::Readiness => app.faults.readiness,
        ProbeKind::Startup => false,
    };
    let ip = app.pod_ip;
    let refused = |port: u16| format!("dial tcp {ip}:{port}: connect: connection refused");
    match &probe.action {
        Action::Http { port, path, scheme } => {
            let port = port.resolve(container);
            if !app.listening || !app.image.ports.contains(&port) {
                return Err(format!(
                    "Get \"{scheme}://{ip}:{port}{path}\": {}",
                    refused(port)
                ));
            }
            let status = if faulty {
                if probe.kind == ProbeKind::Liveness {
                    500
                } else {
                    503
                }
            } else if app.image.http_paths.iter().any(|p| *p == "*" || p == path) {
                200
            } else if app.image.http_paths.is_empty() {
                return Err(format!("Get \"{scheme}://{ip}:{port}{path}\": EOF"));
            } else {
                404
            };
            if (200..400).contains(&status) {
                Ok(())
            } else {
                Err(format!("HTTP probe failed with statuscode: {status}"))
            }
        }
        Action::Tcp { port } | Action::Grpc { port } => {
            let port = port.resolve(container);
            if app.listening && app.image.ports.contains(&port) && !faulty {
                Ok(())
            } else {
                Err(refused(port))
            }
        }
        Action::Exec { command } => {
            if faulty || !app.listening {
                Err(format!("command \"{}\" exited with 1", command.join(" ")))
            } else {
                Ok(())
            }
        }
    }
}

/// One probe worker's memory: when it runs next and its run of results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    pub probe: Probe,
    pub next: Timestamp,
    successes: u32,
    failures: u32,
    /// The current verdict: readiness and startup start failed, liveness passed.
    pub passing: bool,
}

/// A change of a probe's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Unchanged,
    NowPassing,
    NowFailing,
}

impl Worker {
    /// A worker for a container started at `started`; the first probe runs after the initial delay.
    pub fn new(probe: Probe, started: Timestamp) -> Self {
        let passing = probe.kind == ProbeKind::Liveness;
        let next = started
            .checked_add(SignedDuration::from_secs(probe.initial_delay))
            .unwrap_or(started);
        Self {
            probe,
            next,
            successes: 0,
            failures: 0,
            passing,
        }
    }

    /// Records one result at `now` and schedules the next run.
    pub fn record(&mut self, ok: bool, now: Timestamp) -> Verdict {
        self.next = now
            .checked_add(SignedDuration::from_secs(self.probe.period))
            .unwrap_or(now);
        if ok {
            self.successes += 1;
            self.failures = 0;
            if !self.passing && self.successes >= self.probe.success_threshold {
                self.passing = true;
                return Verdict::NowPassing;
            }
        } else {
            self.failures += 1;
            self.successes = 0;
            if self.passing && self.failures >= self.probe.failure_threshold {
                self.passing = false;
                return Verdict::NowFailing;
            }
        }
        Verdict::Unchanged
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::images::lookup;
    use serde_json::json;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_767_225_600 + s).unwrap()
    }

    #[test]
    fn liveness_fails_only_after_the_failure_threshold() {
        let c = json!({"livenessProbe": {"httpGet": {"path": "/health", "port": 3000}, "periodSeconds": 5, "failureThreshold": 3}});
        let mut w = Worker::new(Probe::of(&c, ProbeKind::Liveness).unwrap(), t(0));
        assert!(w.passing);
        assert_eq!(w.record(false, t(0)), Verdict::Unchanged);
        assert_eq!(w.record(false, t(5)), Verdict::Unchanged);
        assert_eq!(w.record(false, t(10)), Verdict::NowFailing);
        assert_eq!(w.next, t(15));
    }

    #[test]
    fn readiness_starts_failed_and_waits_its_initial_delay() {
        let c = json!({"readinessProbe": {"tcpSocket": {"port": 80}, "initialDelaySeconds": 5}});
        let mut w = Worker::new(Probe::of(&c, ProbeKind::Readiness).unwrap(), t(0));
        assert!(!w.passing);
        assert_eq!(w.next, t(5));
        assert_eq!(w.record(true, t(5)), Verdict::NowPassing);
    }

    #[test]
    fn outcomes_follow_the_image_and_faults() {
        let app = lookup("myapp:1.0", false).unwrap();
        let c = json!({"livenessProbe": {"httpGet": {"path": "/health", "port": 3000}},
                       "readinessProbe": {"httpGet": {"path": "/missing", "port": 3000}}});
        let live = Probe::of(&c, ProbeKind::Liveness).unwrap();
        let view = AppView {
            image: app,
            faults: Faults::default(),
            listening: true,
            pod_ip: "10.244.1.2",
        };
        assert_eq!(run(&live, &c, view), Ok(()));
        let sick = AppView {
            faults: Faults {
                liveness: true,
                ..Faults::default()
            },
            ..view
        };
        assert_eq!(
            run(&live, &c, sick),
            Err("HTTP probe failed with statuscode: 500".into())
        );
        let ready = Probe::of(&c, ProbeKind::Readiness).unwrap();
        assert_eq!(
            run(&ready, &c, view),
            Err("HTTP probe failed with statuscode: 404".into())
        );
        let starting = AppView {
            listening: false,
            ..view
        };
        assert_eq!(
            run(&live, &c, starting),
            Err("Get \"http://10.244.1.2:3000/health\": dial tcp 10.244.1.2:3000: connect: connection refused".into())
        );
    }
}
