//! HTTP from inside a pod, as `curl` and `wget` see it: the name goes through
//! cluster DNS, a ClusterIP goes through kube-proxy to one ready endpoint, and the
//! simulated app in the chosen pod answers (or the connection is refused).
//!
//! kube-proxy's random pick is made with the seeded RNG from a seed the caller
//! gives, so the same request at the same cluster time always lands on the same pod.

use crate::api::{meta, resources};
use crate::apiserver::ApiServer;
use crate::rng::Rng;
use crate::sim::dns::{self, Resolution};
use crate::sim::images::{self, Faults, Image, Reference, SIMULATE_ANNOTATION};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

/// nginx's default page, served at `/` and kept at `/usr/share/nginx/html/index.html`.
pub const NGINX_WELCOME: &str = "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\nhtml { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\nfont-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed and\nworking. Further configuration is required.</p>\n\n<p>For online documentation and support please refer to\n<a href=\"http://nginx.org/\">nginx.org</a>.<br/>\nCommercial support is available at\n<a href=\"http://nginx.com/\">nginx.com</a>.</p>\n\n<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n";

const NGINX_VERSION: &str = "nginx/1.27.3";

/// A URL as `curl` takes it: scheme optional, port defaulting by scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub scheme: String,
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl Url {
    pub fn parse(text: &str) -> Option<Url> {
        let (scheme, rest) = match text.split_once("://") {
            Some((s, r)) => (s.to_ascii_lowercase(), r),
            None => ("http".to_string(), text),
        };
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].to_string()),
            None => (rest, "/".to_string()),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().ok()?),
            None => (authority, default_port),
        };
        (!host.is_empty()).then(|| Url { scheme, host: host.to_ascii_lowercase(), port, path })
    }
}

/// What happened to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Response(Response),
    /// The name has no address (`curl: (6)`).
    CannotResolve,
    /// Nothing listens there, or a Service has no ready endpoint (`curl: (7)`).
    Refused { ip: String },
    /// Something listens but does not speak HTTP (`curl: (52)`).
    EmptyReply { ip: String },
    /// No host has that address (`curl: (28)`).
    TimedOut { ip: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub ip: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn reason(&self) -> &'static str {
        match self.status {
            200 => "OK",
            403 => "Forbidden",
            404 => "Not Found",
            500 => "Internal Server Error",
            503 => "Service Unavailable",
            _ => "",
        }
    }
}

fn pods_resource() -> Option<&'static resources::Resource> {
    resources::by_plural("", "v1", "pods")
}

/// Sends `GET url` from `from` (a pod) at `now`; `seed` drives kube-proxy's pick.
pub fn get(api: &ApiServer, from: &Value, url: &Url, now: Timestamp, seed: u64) -> Outcome {
    let ip = if url.host.parse::<std::net::Ipv4Addr>().is_ok() {
        url.host.clone()
    } else if url.host == "localhost" {
        "127.0.0.1".to_string()
    } else {
        match dns::resolve(api, meta::namespace(from), &url.host) {
            Resolution::Addresses { addresses, .. } => match addresses.first() {
                Some(a) => a.clone(),
                None => return Outcome::CannotResolve,
            },
            // An ExternalName points outside the cluster, which the playground has no way to.
            Resolution::Cname { .. } | Resolution::NxDomain => return Outcome::CannotResolve,
        }
    };
    if ip == "127.0.0.1" {
        return serve(api, from, &ip, url, now);
    }
    if let Some(svc) = service_with_ip(api, &ip) {
        if meta::name(&svc) == "kubernetes" && meta::namespace(&svc) == "default" {
            return api_server_answer(&ip, url);
        }
        let Some((pod_ip, target_port)) = pick_endpoint(api, &svc, url.port, seed) else {
            return Outcome::Refused { ip };
        };
        let Some(pod) = pod_with_ip(api, &pod_ip) else {
            return Outcome::Refused { ip };
        };
        let forwarded = Url { port: target_port, ..url.clone() };
        return match serve(api, &pod, &pod_ip, &forwarded, now) {
            Outcome::Refused { .. } => Outcome::Refused { ip },
            Outcome::EmptyReply { .. } => Outcome::EmptyReply { ip },
            other => other,
        };
    }
    match pod_with_ip(api, &ip) {
        Some(pod) => serve(api, &pod, &ip, url, now),
        None => Outcome::TimedOut { ip },
    }
}

/// The API server answers an anonymous request as Kubernetes does by default.
fn api_server_answer(ip: &str, url: &Url) -> Outcome {
    let body = serde_json::json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": format!("forbidden: User \"system:anonymous\" cannot get path \"{}\"", url.path),
        "reason": "Forbidden", "details": {}, "code": 403
    });
    let body = serde_json::to_string_pretty(&body).unwrap_or_default() + "\n";
    Outcome::Response(Response { ip: ip.to_string(), status: 403, headers: vec![("Content-Type".into(), "application/json".into())], body })
}

fn service_with_ip(api: &ApiServer, ip: &str) -> Option<Value> {
    let r = resources::by_plural("", "v1", "services")?;
    api.list(r, None)
        .find(|s| s.pointer("/spec/clusterIP").and_then(Value::as_str) == Some(ip))
        .map(|s| (**s).clone())
}

fn pod_with_ip(api: &ApiServer, ip: &str) -> Option<Value> {
    api.list(pods_resource()?, None)
        .find(|p| {
            p.pointer("/status/podIP").and_then(Value::as_str) == Some(ip)
                && !matches!(p.pointer("/status/phase").and_then(Value::as_str), Some("Succeeded" | "Failed"))
        })
        .map(|p| (**p).clone())
}

/// kube-proxy's choice: a ready endpoint of the Service port `port`, and the port it forwards to.
fn pick_endpoint(api: &ApiServer, svc: &Value, port: u16, seed: u64) -> Option<(String, u16)> {
    let sp = svc
        .pointer("/spec/ports")
        .and_then(Value::as_array)?
        .iter()
        .find(|p| p.get("port").and_then(Value::as_u64) == Some(u64::from(port)))?;
    let port_name = sp.get("name").and_then(Value::as_str).unwrap_or("");
    let ep = api.get(resources::by_plural("", "v1", "endpoints")?, meta::namespace(svc), meta::name(svc)).ok()?;
    let mut choices: Vec<(String, u16)> = Vec::new();
    for subset in ep.get("subsets").and_then(Value::as_array).into_iter().flatten() {
        let Some(target) = subset
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|p| p.get("name").and_then(Value::as_str).unwrap_or("") == port_name)
            .and_then(|p| p.get("port").and_then(Value::as_u64))
            .and_then(|p| u16::try_from(p).ok())
        else {
            continue;
        };
        for a in subset.get("addresses").and_then(Value::as_array).into_iter().flatten() {
            if let Some(ip) = a.get("ip").and_then(Value::as_str) {
                choices.push((ip.to_string(), target));
            }
        }
    }
    if choices.is_empty() {
        return None;
    }
    let i = Rng::new(seed).below(choices.len() as u64) as usize;
    choices.into_iter().nth(i)
}

fn started_at(status: &Value) -> Option<Timestamp> {
    status.pointer("/state/running/startedAt").and_then(Value::as_str)?.parse().ok()
}

/// The app of the pod's container that listens on `url.port`, answering `url.path`.
fn serve(api: &ApiServer, pod: &Value, ip: &str, url: &Url, now: Timestamp) -> Outcome {
    let _ = api;
    let simulate = meta::annotation(pod, SIMULATE_ANNOTATION) == Some("true");
    let faults = Faults::of_pod(pod);
    let statuses = pod.pointer("/status/containerStatuses").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    for c in pod.pointer("/spec/containers").and_then(Value::as_array).into_iter().flatten() {
        let name = c.get("name").and_then(Value::as_str).unwrap_or("");
        let image_name = c.get("image").and_then(Value::as_str).unwrap_or("");
        let Some(image) = images::lookup(image_name, simulate) else { continue };
        if !image.ports.contains(&url.port) {
            continue;
        }
        let Some(started) = statuses.iter().find(|s| s.get("name").and_then(Value::as_str) == Some(name)).and_then(started_at) else {
            continue;
        };
        let listening_at = started.checked_add(SignedDuration::from_millis(images::startup_of(image, faults))).unwrap_or(started);
        if now < listening_at {
            continue;
        }
        if image.http_paths.is_empty() {
            return Outcome::EmptyReply { ip: ip.to_string() };
        }
        return Outcome::Response(app_answer(image, &Reference::parse(image_name).tag, pod, faults, ip, &url.path));
    }
    Outcome::Refused { ip: ip.to_string() }
}

/// What each simulated app serves.
fn app_answer(image: &Image, tag: &str, pod: &Value, faults: Faults, ip: &str, path: &str) -> Response {
    let pod_name = meta::name(pod);
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let (status, content_type, body, server) = match image.repository {
        "myapp" => {
            let (status, body) = match path {
                "/" => (200, format!("Hello from myapp {tag} on pod {pod_name}\n")),
                "/health" if faults.liveness => (500, "{\"status\":\"error\"}".to_string()),
                "/health" => (200, "{\"status\":\"ok\"}".to_string()),
                "/ready" if faults.readiness => (503, "{\"status\":\"not ready\"}".to_string()),
                "/ready" => (200, "{\"status\":\"ready\"}".to_string()),
                other => (404, format!("Cannot GET {other}\n")),
            };
            let ct = if body.starts_with('{') { "application/json; charset=utf-8" } else { "text/html; charset=utf-8" };
            (status, ct, body, None)
        }
        "nginx" => match path {
            "/" | "/index.html" => (200, "text/html", NGINX_WELCOME.to_string(), Some(NGINX_VERSION)),
            _ => (
                404,
                "text/html",
                format!("<html>\n<head><title>404 Not Found</title></head>\n<body>\n<center><h1>404 Not Found</h1></center>\n<hr><center>{NGINX_VERSION}</center>\n</body>\n</html>\n"),
                Some(NGINX_VERSION),
            ),
        },
        _ => (200, "text/plain", format!("Hello from {pod_name}\n"), None),
    };
    let mut headers = Vec::new();
    if let Some(s) = server {
        headers.push(("Server".to_string(), s.to_string()));
    } else if image.repository == "myapp" {
        headers.push(("X-Powered-By".to_string(), "Express".to_string()));
    }
    headers.push(("Content-Type".to_string(), content_type.to_string()));
    headers.push(("Content-Length".to_string(), body.len().to_string()));
    Response { ip: ip.to_string(), status, headers, body }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::WriteOptions;
    use serde_json::json;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn create(api: &mut ApiServer, plural: &str, obj: Value) {
        let r = resources::by_plural("", "v1", plural).unwrap();
        let at = t("2026-01-01T00:00:00Z");
        let created = api.create(r, "default", obj.clone(), at, WriteOptions::default()).unwrap();
        if let Some(status) = obj.get("status") {
            let mut with_status = (*created).clone();
            with_status["status"] = status.clone();
            api.update(r, "default", meta::name(&obj), with_status, Some("status"), at, WriteOptions::default()).unwrap();
        }
    }

    fn running_pod(name: &str, ip: &str, image: &str) -> Value {
        json!({"metadata": {"name": name, "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "image": image}]},
            "status": {"phase": "Running", "podIP": ip,
                "containerStatuses": [{"name": "app", "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]}})
    }

    fn cluster() -> ApiServer {
        let mut api = ApiServer::new(3, t("2026-01-01T00:00:00Z"));
        create(&mut api, "pods", running_pod("web-a", "10.244.1.2", "myapp:1.0"));
        create(&mut api, "pods", running_pod("web-b", "10.244.2.2", "myapp:1.0"));
        create(&mut api, "pods", running_pod("front", "10.244.1.3", "nginx"));
        create(&mut api, "pods", running_pod("db", "10.244.1.4", "postgres:16"));
        create(&mut api, "services", json!({"metadata": {"name": "web"}, "spec": {"clusterIP": "10.96.5.5",
            "ports": [{"port": 80, "targetPort": 3000}]}}));
        create(&mut api, "endpoints", json!({"metadata": {"name": "web"}, "subsets": [{
            "addresses": [{"ip": "10.244.1.2"}, {"ip": "10.244.2.2"}], "ports": [{"port": 3000, "protocol": "TCP"}]}]}));
        create(&mut api, "services", json!({"metadata": {"name": "empty"}, "spec": {"clusterIP": "10.96.5.6", "ports": [{"port": 80}]}}));
        api
    }

    fn from(api: &ApiServer) -> Value {
        (**api.get(pods_resource().unwrap(), "default", "front").unwrap()).clone()
    }

    fn body(o: Outcome) -> String {
        match o {
            Outcome::Response(r) => r.body,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn urls_default_their_scheme_and_port() {
        assert_eq!(Url::parse("web").unwrap(), Url { scheme: "http".into(), host: "web".into(), port: 80, path: "/".into() });
        assert_eq!(Url::parse("http://web.default:8080/a?b").unwrap().port, 8080);
        assert_eq!(Url::parse("https://kubernetes").unwrap().port, 443);
        assert_eq!(Url::parse("ftp://x"), None);
        assert_eq!(Url::parse("http://web:port"), None);
    }

    #[test]
    fn a_service_name_reaches_a_ready_pod_through_its_target_port() {
        let api = cluster();
        let now = t("2026-01-01T00:01:00Z");
        let pods: std::collections::BTreeSet<String> =
            (0..40).map(|seed| body(get(&api, &from(&api), &Url::parse("http://web/").unwrap(), now, seed))).collect();
        assert_eq!(
            pods.into_iter().collect::<Vec<_>>(),
            ["Hello from myapp 1.0 on pod web-a\n", "Hello from myapp 1.0 on pod web-b\n"],
            "kube-proxy spreads requests over both endpoints"
        );
        let same = |seed| get(&api, &from(&api), &Url::parse("web.default.svc.cluster.local").unwrap(), now, seed);
        assert_eq!(same(7), same(7), "the same seed picks the same pod");
    }

    #[test]
    fn failures_are_told_apart_like_curl_does() {
        let api = cluster();
        let now = t("2026-01-01T00:01:00Z");
        let me = from(&api);
        let get = |u: &str| get(&api, &me, &Url::parse(u).unwrap(), now, 1);
        assert_eq!(get("http://nosuch/"), Outcome::CannotResolve);
        assert_eq!(get("http://empty/"), Outcome::Refused { ip: "10.96.5.6".into() });
        assert_eq!(get("http://10.244.1.2:8080/"), Outcome::Refused { ip: "10.244.1.2".into() });
        assert_eq!(get("http://10.244.1.4:5432/"), Outcome::EmptyReply { ip: "10.244.1.4".into() });
        assert_eq!(get("http://10.9.9.9/"), Outcome::TimedOut { ip: "10.9.9.9".into() });
        assert_eq!(body(get("http://localhost/")), NGINX_WELCOME);
        match get("http://10.244.1.3/missing") {
            Outcome::Response(r) => assert_eq!((r.status, r.reason()), (404, "Not Found")),
            other => panic!("{other:?}"),
        }
        match get("https://kubernetes.default/") {
            Outcome::Response(r) => assert_eq!(r.status, 403),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_app_still_starting_refuses_connections() {
        let api = cluster();
        let me = from(&api);
        let early = get(&api, &me, &Url::parse("http://10.244.1.2:3000/").unwrap(), t("2026-01-01T00:00:01Z"), 1);
        assert_eq!(early, Outcome::Refused { ip: "10.244.1.2".into() });
    }
}
