//! The image catalog of the offline cluster: what each image does once it runs
//! (start-up time, ports, health endpoints, CPU per request, memory, logs) and the faults a pod can inject.
//!
//! An image missing here fails to pull, as a typo does on a real cluster, unless
//! the pod asks to be simulated anyway (`kubeplay.dev/simulate: "true"`).

use serde_json::Value;

/// Pod annotation injecting faults: `crash`, `liveness`, `readiness`, `leak`, `slow-start` (comma-separated).
pub const FAULT_ANNOTATION: &str = "kubeplay.dev/fault";
/// Pod annotation that runs an unknown image as a generic server instead of failing its pull.
pub const SIMULATE_ANNOTATION: &str = "kubeplay.dev/simulate";

/// What a container's process does with its command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// A long-running server (nginx, redis, myapp).
    Server,
    /// A shell toolbox that runs the container's command (busybox).
    Shell,
}

/// The simulated behaviour of one image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Image {
    pub repository: &'static str,
    /// Tags that exist; empty means any tag.
    pub tags: &'static [&'static str],
    pub size_bytes: u64,
    pub pull_millis: i64,
    /// Time from process start until it listens.
    pub startup_millis: i64,
    /// How long it takes to exit after SIGTERM.
    pub stop_millis: i64,
    pub cpu_idle_millicores: i64,
    pub cpu_millicores_per_request: f64,
    pub memory_bytes: i64,
    pub ports: &'static [u16],
    /// HTTP paths answering 200; `*` is every path.
    pub http_paths: &'static [&'static str],
    pub program: Program,
    pub logs: &'static [&'static str],
}

const MI: i64 = 1024 * 1024;

const GENERIC: Image = Image {
    repository: "",
    tags: &[],
    size_bytes: 50_000_000,
    pull_millis: 2_000,
    startup_millis: 1_000,
    stop_millis: 500,
    cpu_idle_millicores: 1,
    cpu_millicores_per_request: 1.0,
    memory_bytes: 32 * MI,
    ports: &[80, 8080, 3000],
    http_paths: &["*"],
    program: Program::Server,
    logs: &["starting", "listening"],
};

/// Every image the offline cluster knows.
pub static CATALOG: &[Image] = &[
    Image {
        repository: "myapp",
        tags: &["1.0", "2.0"],
        size_bytes: 48_213_504,
        pull_millis: 1_800,
        startup_millis: 3_000,
        stop_millis: 300,
        cpu_idle_millicores: 2,
        cpu_millicores_per_request: 2.0,
        memory_bytes: 64 * MI,
        ports: &[3000],
        http_paths: &["/", "/health", "/ready"],
        program: Program::Server,
        logs: &[
            "> myapp@{tag} start",
            "Server listening on port 3000",
            "GET /health 200",
        ],
    },
    Image {
        repository: "nginx",
        tags: &[],
        size_bytes: 72_195_292,
        pull_millis: 1_200,
        startup_millis: 200,
        stop_millis: 100,
        cpu_idle_millicores: 1,
        cpu_millicores_per_request: 0.5,
        memory_bytes: 8 * MI,
        ports: &[80],
        http_paths: &["/", "/index.html"],
        program: Program::Server,
        logs: &[
            "/docker-entrypoint.sh: Configuration complete; ready for start up",
            "nginx/1.27.3",
            "start worker processes",
        ],
    },
    Image {
        repository: "postgres",
        tags: &[],
        size_bytes: 158_432_118,
        pull_millis: 4_500,
        startup_millis: 4_000,
        stop_millis: 1_000,
        cpu_idle_millicores: 5,
        cpu_millicores_per_request: 3.0,
        memory_bytes: 48 * MI,
        ports: &[5432],
        http_paths: &[],
        program: Program::Server,
        // Preceded by initdb's output or by finding the database (see the kubelet's output).
        logs: &[
            "LOG:  starting PostgreSQL 16.6 on x86_64-pc-linux-gnu",
            "LOG:  listening on IPv4 address \"0.0.0.0\", port 5432",
            "LOG:  database system is ready to accept connections",
        ],
    },
    Image {
        repository: "redis",
        tags: &[],
        size_bytes: 45_123_789,
        pull_millis: 1_500,
        startup_millis: 300,
        stop_millis: 200,
        cpu_idle_millicores: 2,
        cpu_millicores_per_request: 0.2,
        memory_bytes: 10 * MI,
        ports: &[6379],
        http_paths: &[],
        program: Program::Server,
        logs: &["Server initialized", "Ready to accept connections tcp"],
    },
    Image {
        repository: "busybox",
        tags: &[],
        size_bytes: 2_155_576,
        pull_millis: 700,
        startup_millis: 0,
        // `sleep` ignores SIGTERM as PID 1: it waits out the grace period.
        stop_millis: i64::MAX,
        cpu_idle_millicores: 0,
        cpu_millicores_per_request: 0.0,
        memory_bytes: MI,
        ports: &[],
        http_paths: &[],
        program: Program::Shell,
        logs: &[],
    },
];

/// An image reference split as a registry would: `docker.io/library/nginx:1.27` → (`nginx`, `1.27`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub repository: String,
    pub tag: String,
}

impl Reference {
    pub fn parse(image: &str) -> Self {
        let without_digest = image.split('@').next().unwrap_or(image);
        let (path, tag) = match without_digest.rsplit_once(':') {
            Some((p, t)) if !t.contains('/') => (p, t),
            _ => (without_digest, "latest"),
        };
        let repository = path
            .trim_start_matches("docker.io/")
            .trim_start_matches("library/")
            .to_string();
        Self {
            repository,
            tag: tag.to_string(),
        }
    }

    /// `docker.io/library/nginx:latest`, the name containerd reports.
    pub fn canonical(&self) -> String {
        let path = if self.repository.contains('/') {
            self.repository.clone()
        } else {
            format!("library/{}", self.repository)
        };
        format!("docker.io/{path}:{}", self.tag)
    }
}

/// The catalog entry for `image`; `simulate` turns an unknown image into a generic server.
pub fn lookup(image: &str, simulate: bool) -> Option<&'static Image> {
    let r = Reference::parse(image);
    let found = CATALOG.iter().find(|i| {
        i.repository == r.repository && (i.tags.is_empty() || i.tags.contains(&r.tag.as_str()))
    });
    match found {
        Some(i) => Some(i),
        None if simulate => Some(&GENERIC),
        None => None,
    }
}

/// The message containerd gives for an image that does not exist.
pub fn pull_error(image: &str) -> String {
    let c = Reference::parse(image).canonical();
    format!(
        "failed to pull and unpack image \"{c}\": failed to resolve reference \"{c}\": {c}: not found"
    )
}

/// A stable fake digest for ids (`imageID`, `containerID`), from any seed text.
pub fn digest(seed: &str) -> String {
    let mut out = String::with_capacity(64);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for round in 0..4u64 {
        for b in seed.bytes().chain(round.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

/// Faults injected through [`FAULT_ANNOTATION`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// The process exits with 1 a few seconds after start.
    pub crash: bool,
    /// Liveness endpoints answer 500.
    pub liveness: bool,
    /// Readiness endpoints answer 503.
    pub readiness: bool,
    /// Memory grows by [`LEAK_BYTES_PER_SECOND`] until the limit kills it.
    pub leak: bool,
    /// Start-up takes [`SLOW_START_MILLIS`] instead of the image's time.
    pub slow_start: bool,
}

pub const LEAK_BYTES_PER_SECOND: i64 = MI;
pub const SLOW_START_MILLIS: i64 = 90_000;
/// How long a crashing process runs before it exits.
pub const CRASH_AFTER_MILLIS: i64 = 3_000;

impl Faults {
    pub fn of_pod(pod: &Value) -> Self {
        let mut f = Faults::default();
        let list = crate::api::meta::annotation(pod, FAULT_ANNOTATION).unwrap_or("");
        for item in list.split(',').map(str::trim) {
            match item {
                "crash" => f.crash = true,
                "liveness" => f.liveness = true,
                "readiness" => f.readiness = true,
                "leak" => f.leak = true,
                "slow-start" => f.slow_start = true,
                _ => {}
            }
        }
        f
    }
}

/// How a run of a container ends on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Keeps running until stopped.
    Never,
    /// Exits with `code` after `after_millis`.
    After { after_millis: i64, code: i32 },
}

/// What the container's process does: servers run, busybox runs its command.
pub fn exit_of(image: &Image, command: &[String], faults: Faults) -> Exit {
    if faults.crash {
        return Exit::After {
            after_millis: startup_of(image, faults) + CRASH_AFTER_MILLIS,
            code: 1,
        };
    }
    match image.program {
        Program::Server => Exit::Never,
        Program::Shell => shell_exit(command),
    }
}

pub fn startup_of(image: &Image, faults: Faults) -> i64 {
    if faults.slow_start {
        SLOW_START_MILLIS
    } else {
        image.startup_millis
    }
}

/// Reads a busybox command the way its shell would end: loops and `sleep infinity`
/// run forever, `sleep N` runs N seconds, `exit K` / `false` fail, anything else succeeds.
fn shell_exit(command: &[String]) -> Exit {
    let script = command.join(" ");
    let words: Vec<&str> = script
        .split(|c: char| c.is_whitespace() || c == ';' || c == '\'' || c == '"' || c == '&')
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        // busybox's default command is `sh`, which exits at once without a terminal.
        return Exit::After {
            after_millis: 100,
            code: 0,
        };
    }
    if words
        .iter()
        .any(|w| *w == "while" || *w == "infinity" || *w == "tail")
    {
        return Exit::Never;
    }
    let mut millis = 100;
    let mut code = 0;
    let mut i = 0;
    while i < words.len() {
        match words[i] {
            "sleep" => {
                if let Some(n) = words.get(i + 1).and_then(|n| n.parse::<f64>().ok()) {
                    millis += (n * 1000.0) as i64;
                    i += 1;
                }
            }
            "exit" => {
                code = words
                    .get(i + 1)
                    .and_then(|n| n.parse::<i32>().ok())
                    .unwrap_or(0);
                break;
            }
            "false" => code = 1,
            "true" => code = 0,
            _ => {}
        }
        i += 1;
    }
    Exit::After {
        after_millis: millis,
        code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn references_normalise_like_a_registry() {
        assert_eq!(
            Reference::parse("nginx").canonical(),
            "docker.io/library/nginx:latest"
        );
        assert_eq!(
            Reference::parse("docker.io/library/postgres:16").repository,
            "postgres"
        );
        assert_eq!(Reference::parse("localhost:5000/app").tag, "latest");
    }

    #[test]
    fn only_catalog_tags_exist_for_myapp() {
        assert!(lookup("myapp:1.0", false).is_some());
        assert!(lookup("myapp:2.0", false).is_some());
        assert!(lookup("myapp:3.0", false).is_none());
        assert!(lookup("nginx:1.27", false).is_some());
        assert!(lookup("ngnix", false).is_none());
        assert_eq!(
            lookup("ngnix", true).map(|i| i.program),
            Some(Program::Server)
        );
    }

    #[test]
    fn busybox_runs_its_command() {
        let bb = lookup("busybox", false).unwrap();
        let f = Faults::default();
        assert_eq!(
            exit_of(bb, &cmd(&["sleep", "3600"]), f),
            Exit::After {
                after_millis: 3_600_100,
                code: 0
            }
        );
        assert_eq!(
            exit_of(bb, &cmd(&["sh", "-c", "exit 1"]), f),
            Exit::After {
                after_millis: 100,
                code: 1
            }
        );
        assert_eq!(
            exit_of(
                bb,
                &cmd(&["sh", "-c", "while true; do date; sleep 5; done"]),
                f
            ),
            Exit::Never
        );
        assert_eq!(exit_of(bb, &cmd(&["sleep", "infinity"]), f), Exit::Never);
    }

    #[test]
    fn faults_come_from_the_annotation() {
        let pod =
            serde_json::json!({"metadata": {"annotations": {FAULT_ANNOTATION: "leak, readiness"}}});
        let f = Faults::of_pod(&pod);
        assert!(f.leak && f.readiness && !f.crash);
    }
}
