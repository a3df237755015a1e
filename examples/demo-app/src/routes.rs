//! What each path answers: the seed page's probes (`/health`, `/ready` on 3000), the version a
//! rollout shows, and the knobs a demo pulls (`/burn` for the HPA, `/leak` for OOMKilled, `/crash`).
//!
//! Pure: the answer and the side effect it asks for are returned, and `server` carries them out.

use crate::config::Config;
use crate::http::{Request, Response};
use std::time::Duration;

/// The longest CPU burn one request may ask for, so a typo cannot wedge a core for an hour.
pub const MAX_BURN_MS: u64 = 10_000;
/// The most memory one request may add.
pub const MAX_LEAK_MB: usize = 1024;
const DEFAULT_BURN_MS: u64 = 100;
const DEFAULT_LEAK_MB: usize = 10;
/// The largest body `/bytes` sends.
pub const MAX_BYTES: u64 = 1 << 34;
const ROUTES: &str =
    "/, /health, /ready, /version, /burn?ms=200, /leak?mb=10, /bytes?n=1048576, /crash";

/// A side effect the server performs around the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    None,
    /// Spin a core for this long before answering.
    Burn(Duration),
    /// Allocate and keep this many more bytes before answering.
    Leak(usize),
    /// Answer with a body of this many bytes instead (a throughput source for benchmarks).
    Bytes(u64),
    /// Exit with status 1 once the answer is sent.
    Crash,
}

/// What the process knows when a request arrives.
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    pub uptime: Duration,
    /// Bytes already held by earlier `/leak` calls.
    pub leaked: usize,
}

pub fn route(req: &Request, config: &Config, now: Moment) -> (Response, Effect) {
    if req.method != "GET" && req.method != "HEAD" {
        return (
            Response::text(405, format!("method {} not allowed", req.method))
                .with_header("Allow", "GET, HEAD"),
            Effect::None,
        );
    }
    match req.path.as_str() {
        "/" => (
            Response::text(
                200,
                format!(
                    "{} from myapp {} on {}",
                    config.greeting, config.version, config.hostname
                ),
            ),
            Effect::None,
        ),
        "/health" => (health(config, now.uptime), Effect::None),
        "/ready" => (ready(config, now.uptime), Effect::None),
        "/version" => (Response::text(200, config.version.as_str()), Effect::None),
        "/burn" => burn(req),
        "/leak" => leak(req, now.leaked),
        "/bytes" => bytes(req),
        "/crash" => (
            Response::text(200, "crashing: exiting with status 1"),
            Effect::Crash,
        ),
        other => (
            Response::text(404, format!("no route for {other}; try {ROUTES}")),
            Effect::None,
        ),
    }
}

fn health(config: &Config, uptime: Duration) -> Response {
    match config.fail_health_after {
        Some(after) if uptime >= after => Response::text(
            500,
            format!(
                "unhealthy: FAIL_HEALTH_AFTER_SECONDS={} has passed",
                after.as_secs()
            ),
        ),
        _ => Response::text(200, "ok"),
    }
}

fn ready(config: &Config, uptime: Duration) -> Response {
    if uptime < config.ready_after {
        Response::text(
            503,
            format!(
                "not ready: READY_AFTER_SECONDS={}, up {}s",
                config.ready_after.as_secs(),
                uptime.as_secs()
            ),
        )
    } else {
        Response::text(200, "ready")
    }
}

fn burn(req: &Request) -> (Response, Effect) {
    let ms = match req.param("ms") {
        None => Some(DEFAULT_BURN_MS),
        Some(value) => value.parse::<u64>().ok().filter(|ms| *ms <= MAX_BURN_MS),
    };
    match ms {
        Some(ms) => (
            Response::text(200, format!("burned {ms}ms of CPU")),
            Effect::Burn(Duration::from_millis(ms)),
        ),
        None => (
            Response::text(
                400,
                format!("ms must be a whole number of milliseconds from 0 to {MAX_BURN_MS}"),
            ),
            Effect::None,
        ),
    }
}

fn leak(req: &Request, leaked: usize) -> (Response, Effect) {
    let mb = match req.param("mb") {
        None => Some(DEFAULT_LEAK_MB),
        Some(value) => value.parse::<usize>().ok().filter(|mb| *mb <= MAX_LEAK_MB),
    };
    match mb {
        Some(mb) => {
            let bytes = mb * 1024 * 1024;
            let total = (leaked + bytes) / (1024 * 1024);
            (
                Response::text(200, format!("leaked {mb}MiB more, holding {total}MiB")),
                Effect::Leak(bytes),
            )
        }
        None => (
            Response::text(
                400,
                format!("mb must be a whole number of MiB from 0 to {MAX_LEAK_MB}"),
            ),
            Effect::None,
        ),
    }
}

fn bytes(req: &Request) -> (Response, Effect) {
    match req
        .param("n")
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|n| *n <= MAX_BYTES)
    {
        Some(n) => (Response::text(200, ""), Effect::Bytes(n)),
        None => (
            Response::text(
                400,
                format!("n must be a whole number of bytes from 0 to {MAX_BYTES}"),
            ),
            Effect::None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::parse_head;

    fn config() -> Config {
        Config::from_env(
            [
                ("MYAPP_VERSION", "2.0"),
                ("HOSTNAME", "my-api-7c9d8-x2k4z"),
                ("READY_AFTER_SECONDS", "5"),
                ("FAIL_HEALTH_AFTER_SECONDS", "30"),
            ],
            "host",
        )
        .unwrap()
    }

    fn get(target: &str, uptime_secs: u64) -> (Response, Effect) {
        let req = parse_head(format!("GET {target} HTTP/1.1").as_bytes()).unwrap();
        let now = Moment {
            uptime: Duration::from_secs(uptime_secs),
            leaked: 0,
        };
        route(&req, &config(), now)
    }

    #[test]
    fn root_greets_with_version_and_pod_name() {
        let (resp, effect) = get("/", 0);
        assert_eq!(resp.status, 200);
        assert_eq!(resp.body, "Hello from myapp 2.0 on my-api-7c9d8-x2k4z\n");
        assert_eq!(effect, Effect::None);
    }

    #[test]
    fn version_reports_the_baked_in_version() {
        assert_eq!(get("/version", 0).0.body, "2.0\n");
    }

    #[test]
    fn ready_answers_503_until_ready_after_seconds() {
        let (before, _) = get("/ready", 4);
        assert_eq!(before.status, 503);
        assert_eq!(before.body, "not ready: READY_AFTER_SECONDS=5, up 4s\n");
        assert_eq!(get("/ready", 5).0.status, 200);
    }

    #[test]
    fn health_fails_from_fail_health_after_seconds_on() {
        assert_eq!(get("/health", 29).0.status, 200);
        let (after, _) = get("/health", 30);
        assert_eq!(after.status, 500);
        assert_eq!(
            after.body,
            "unhealthy: FAIL_HEALTH_AFTER_SECONDS=30 has passed\n"
        );
    }

    #[test]
    fn health_stays_ok_without_the_knob() {
        let plain = Config::from_env([("A", "b")], "host").unwrap();
        let req = parse_head(b"GET /health HTTP/1.1").unwrap();
        let now = Moment {
            uptime: Duration::from_secs(86_400),
            leaked: 0,
        };
        assert_eq!(route(&req, &plain, now).0.status, 200);
    }

    #[test]
    fn burn_asks_for_the_requested_cpu_time() {
        let (resp, effect) = get("/burn?ms=200", 0);
        assert_eq!(resp.body, "burned 200ms of CPU\n");
        assert_eq!(effect, Effect::Burn(Duration::from_millis(200)));
        assert_eq!(get("/burn", 0).1, Effect::Burn(Duration::from_millis(100)));
    }

    #[test]
    fn burn_rejects_a_bad_or_huge_duration_without_burning() {
        for target in ["/burn?ms=abc", "/burn?ms=-5", "/burn?ms=10001"] {
            let (resp, effect) = get(target, 0);
            assert_eq!(resp.status, 400, "{target}");
            assert_eq!(effect, Effect::None, "{target}");
        }
    }

    #[test]
    fn leak_adds_to_what_is_held() {
        let req = parse_head(b"GET /leak?mb=64 HTTP/1.1").unwrap();
        let now = Moment {
            uptime: Duration::ZERO,
            leaked: 10 * 1024 * 1024,
        };
        let (resp, effect) = route(&req, &config(), now);
        assert_eq!(resp.body, "leaked 64MiB more, holding 74MiB\n");
        assert_eq!(effect, Effect::Leak(64 * 1024 * 1024));
        assert_eq!(get("/leak?mb=lots", 0).0.status, 400);
    }

    #[test]
    fn bytes_asks_for_a_body_of_the_requested_size() {
        assert_eq!(get("/bytes?n=1048576", 0).1, Effect::Bytes(1_048_576));
        for target in ["/bytes", "/bytes?n=-1", "/bytes?n=17179869185"] {
            let (resp, effect) = get(target, 0);
            assert_eq!(resp.status, 400, "{target}");
            assert_eq!(effect, Effect::None, "{target}");
        }
    }

    #[test]
    fn crash_answers_then_asks_to_exit() {
        let (resp, effect) = get("/crash", 0);
        assert_eq!(resp.status, 200);
        assert_eq!(effect, Effect::Crash);
    }

    #[test]
    fn unknown_paths_are_404_listing_the_routes() {
        let (resp, _) = get("/nope", 0);
        assert_eq!(resp.status, 404);
        assert!(resp.body.starts_with("no route for /nope; try /, /health"));
    }

    #[test]
    fn other_methods_are_405_with_allow() {
        let req = parse_head(b"POST /crash HTTP/1.1").unwrap();
        let now = Moment {
            uptime: Duration::ZERO,
            leaked: 0,
        };
        let (resp, effect) = route(&req, &config(), now);
        assert_eq!(resp.status, 405);
        assert_eq!(resp.headers, vec![("Allow", "GET, HEAD".to_string())]);
        assert_eq!(effect, Effect::None);
    }
}
