//! Where the playground's ingress controller sends an HTTP request: Kubernetes'
//! Ingress matching rules as a pure function, and a Service port resolved to
//! the ready pod addresses behind it (for the page's traffic view and agents).
//!
//! Like ingress-nginx, a request first picks the most specific host (exact,
//! then a `*.` wildcard of one label, then rules without host), then the best
//! path among that host's rules: the longest match, Exact before Prefix on a
//! tie. A request no path takes goes to an Ingress's `defaultBackend`.

use super::is_served;
use crate::api::{meta, resources};
use crate::apiserver::ApiServer;
use serde_json::Value;

/// The Service port a backend names: by number or by the port's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendPort {
    Number(i64),
    Name(String),
}

/// The Service a request is routed to, and which Ingress said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    pub namespace: String,
    pub ingress: String,
    pub service: String,
    pub port: BackendPort,
}

/// One ready pod address a Service port leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub ip: String,
    pub port: i64,
    pub pod: Option<String>,
    pub node: Option<String>,
}

/// How specifically a rule's host matched the request's; lower wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum HostMatch {
    Exact,
    Wildcard,
    Any,
}

fn host_match(rule_host: &str, host: &str) -> Option<HostMatch> {
    if rule_host.is_empty() {
        return Some(HostMatch::Any);
    }
    let rule_host = rule_host.to_ascii_lowercase();
    if let Some(suffix) = rule_host.strip_prefix("*.") {
        // `*.foo.com` covers exactly one more label: `bar.foo.com`, not `foo.com` or `a.bar.foo.com`.
        let (label, rest) = host.split_once('.')?;
        return (!label.is_empty() && rest == suffix).then_some(HostMatch::Wildcard);
    }
    (rule_host == host).then_some(HostMatch::Exact)
}

/// The request's host without port, lower-cased.
fn normalize_host(host: &str) -> String {
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// The request's path without query or fragment.
fn normalize_path(path: &str) -> &str {
    let end = path.find(['?', '#']).unwrap_or(path.len());
    match &path[..end] {
        "" => "/",
        p => p,
    }
}

/// How well a rule path matches the request path: `(length, exact)`, larger wins.
fn path_match(path_type: &str, rule_path: &str, path: &str) -> Option<(usize, bool)> {
    let rule_path = if rule_path.is_empty() { "/" } else { rule_path };
    if path_type == "Exact" {
        return (rule_path == path).then_some((rule_path.len(), true));
    }
    // Prefix (and ImplementationSpecific, which we read as Prefix) matches whole
    // path elements: `/foo` takes `/foo` and `/foo/bar`, not `/foobar`.
    let elements = |p: &str| {
        p.split('/')
            .filter(|e| !e.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let (rule, req) = (elements(rule_path), elements(path));
    let matches = rule.len() <= req.len() && rule.iter().zip(&req).all(|(a, b)| a == b);
    matches.then(|| (rule_path.trim_end_matches('/').len(), false))
}

fn backend_of(ingress: &Value, backend: &Value) -> Option<Backend> {
    let service = backend.get("service")?;
    let port = service.get("port")?;
    let port = match (
        port.get("number").and_then(Value::as_i64),
        port.get("name").and_then(Value::as_str),
    ) {
        (Some(n), _) => BackendPort::Number(n),
        (None, Some(name)) => BackendPort::Name(name.to_string()),
        (None, None) => return None,
    };
    Some(Backend {
        namespace: meta::namespace(ingress).to_string(),
        ingress: meta::name(ingress).to_string(),
        service: service.get("name").and_then(Value::as_str)?.to_string(),
        port,
    })
}

fn rules(ingress: &Value) -> &[Value] {
    ingress
        .pointer("/spec/rules")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Routes a request for `host` and `path` through the Ingresses this
/// controller serves (others are ignored). Among equally good matches the
/// oldest Ingress wins, as ingress-nginx resolves conflicts.
pub fn route<'a>(
    ingresses: impl IntoIterator<Item = &'a Value>,
    host: &str,
    path: &str,
) -> Option<Backend> {
    let mut ours: Vec<&Value> = ingresses.into_iter().filter(|i| is_served(i)).collect();
    ours.sort_by(|a, b| {
        let key = |i: &Value| {
            let created = i
                .pointer("/metadata/creationTimestamp")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            (
                created,
                meta::namespace(i).to_string(),
                meta::name(i).to_string(),
            )
        };
        key(a).cmp(&key(b))
    });
    let (host, path) = (normalize_host(host), normalize_path(path));
    let tier = ours
        .iter()
        .flat_map(|i| rules(i))
        .filter(|r| r.get("http").is_some_and(|h| !h.is_null()))
        .filter_map(|r| host_match(r.get("host").and_then(Value::as_str).unwrap_or(""), &host))
        .min();
    let mut best: Option<((usize, bool), Backend)> = None;
    let mut hosting: Vec<&Value> = Vec::new();
    for ingress in &ours {
        for rule in rules(ingress) {
            let rule_host = rule.get("host").and_then(Value::as_str).unwrap_or("");
            if tier.is_none() || host_match(rule_host, &host) != tier {
                continue;
            }
            hosting.push(ingress);
            for p in rule
                .pointer("/http/paths")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let path_type = p
                    .get("pathType")
                    .and_then(Value::as_str)
                    .unwrap_or("ImplementationSpecific");
                let rule_path = p.get("path").and_then(Value::as_str).unwrap_or("/");
                let Some(score) = path_match(path_type, rule_path, path) else {
                    continue;
                };
                if best.as_ref().is_some_and(|(s, _)| *s >= score) {
                    continue;
                }
                if let Some(b) = p.get("backend").and_then(|b| backend_of(ingress, b)) {
                    best = Some((score, b));
                }
            }
        }
    }
    if let Some((_, b)) = best {
        return Some(b);
    }
    // No path took it: the default backend of an Ingress serving this host, else of any.
    hosting
        .into_iter()
        .chain(ours.iter().copied())
        .find_map(|i| {
            i.pointer("/spec/defaultBackend")
                .and_then(|b| backend_of(i, b))
        })
}

/// The ready pod addresses a backend's Service port leads to, from the
/// Service's Endpoints (empty when the Service or its port does not exist).
pub fn ready_destinations(api: &ApiServer, backend: &Backend) -> Vec<Destination> {
    let (Some(services), Some(endpoints)) = (
        resources::by_plural("", "v1", "services"),
        resources::by_plural("", "v1", "endpoints"),
    ) else {
        return Vec::new();
    };
    let Ok(service) = api.get(services, &backend.namespace, &backend.service) else {
        return Vec::new();
    };
    let service_port = service
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|p| match &backend.port {
            BackendPort::Number(n) => p.get("port").and_then(Value::as_i64) == Some(*n),
            BackendPort::Name(name) => p.get("name").and_then(Value::as_str) == Some(name.as_str()),
        });
    let Some(service_port) = service_port else {
        return Vec::new();
    };
    let port_name = service_port
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let Ok(ep) = api.get(endpoints, &backend.namespace, &backend.service) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for subset in ep
        .get("subsets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let port = subset
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|p| p.get("name").and_then(Value::as_str).unwrap_or("") == port_name)
            .and_then(|p| p.get("port").and_then(Value::as_i64));
        let Some(port) = port else { continue };
        for a in subset
            .get("addresses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(ip) = a.get("ip").and_then(Value::as_str) else {
                continue;
            };
            out.push(Destination {
                ip: ip.to_string(),
                port,
                pod: a
                    .pointer("/targetRef/name")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                node: a
                    .get("nodeName")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(p: &str, ty: &str, svc: &str) -> Value {
        json!({"path": p, "pathType": ty, "backend": {"service": {"name": svc, "port": {"number": 80}}}})
    }

    fn ingress(name: &str, created: &str, spec: Value) -> Value {
        json!({"metadata": {"name": name, "namespace": "default", "creationTimestamp": created}, "spec": spec})
    }

    fn single(rules: Value) -> Vec<Value> {
        vec![ingress(
            "shop",
            "2026-01-01T00:00:00Z",
            json!({"rules": rules}),
        )]
    }

    fn to(ings: &[Value], host: &str, p: &str) -> Option<String> {
        route(ings, host, p).map(|b| b.service)
    }

    #[test]
    fn hosts_match_exactly_or_by_one_wildcard_label() {
        let ings = single(json!([
            {"host": "foo.bar.com", "http": {"paths": [path("/", "Prefix", "exact")]}},
            {"host": "*.bar.com", "http": {"paths": [path("/", "Prefix", "wild")]}},
        ]));
        assert_eq!(to(&ings, "foo.bar.com", "/").as_deref(), Some("exact"));
        assert_eq!(to(&ings, "FOO.bar.com:8080", "/").as_deref(), Some("exact"));
        assert_eq!(to(&ings, "baz.bar.com", "/").as_deref(), Some("wild"));
        assert_eq!(
            to(&ings, "a.baz.bar.com", "/"),
            None,
            "a wildcard covers a single label"
        );
        assert_eq!(to(&ings, "bar.com", "/"), None);
    }

    #[test]
    fn rules_without_host_take_every_other_host() {
        let ings = single(json!([
            {"host": "shop.example.com", "http": {"paths": [path("/", "Prefix", "shop")]}},
            {"http": {"paths": [path("/", "Prefix", "catch-all")]}},
        ]));
        assert_eq!(
            to(&ings, "shop.example.com", "/cart").as_deref(),
            Some("shop")
        );
        assert_eq!(to(&ings, "10.0.0.1", "/cart").as_deref(), Some("catch-all"));
    }

    #[test]
    fn prefix_matches_whole_path_elements() {
        let ings = single(
            json!([{"http": {"paths": [path("/foo", "Prefix", "foo"), path("/aaa/bbb/", "Prefix", "ab")]}}]),
        );
        assert_eq!(to(&ings, "x", "/foo").as_deref(), Some("foo"));
        assert_eq!(to(&ings, "x", "/foo/").as_deref(), Some("foo"));
        assert_eq!(to(&ings, "x", "/foo/bar?q=1").as_deref(), Some("foo"));
        assert_eq!(to(&ings, "x", "/foobar"), None);
        assert_eq!(
            to(&ings, "x", "/aaa/bbb").as_deref(),
            Some("ab"),
            "a trailing slash is ignored"
        );
        assert_eq!(to(&ings, "x", "/aaa/bbbxyz"), None);
    }

    #[test]
    fn exact_paths_match_only_themselves_and_beat_prefix_on_a_tie() {
        let ings = single(
            json!([{"http": {"paths": [path("/foo", "Prefix", "prefix"), path("/foo", "Exact", "exact")]}}]),
        );
        assert_eq!(to(&ings, "x", "/foo").as_deref(), Some("exact"));
        assert_eq!(to(&ings, "x", "/foo/").as_deref(), Some("prefix"));
        assert_eq!(to(&ings, "x", "/foo/bar").as_deref(), Some("prefix"));
    }

    #[test]
    fn the_longest_matching_path_wins_across_ingresses() {
        let ings = vec![
            ingress(
                "root",
                "2026-01-01T00:00:00Z",
                json!({"rules": [{"http": {"paths": [path("/", "Prefix", "web")]}}]}),
            ),
            ingress(
                "api",
                "2026-01-01T00:01:00Z",
                json!({"rules": [{"http": {"paths": [path("/api", "ImplementationSpecific", "api"), path("/api/v2", "Prefix", "api-v2")]}}]}),
            ),
        ];
        assert_eq!(to(&ings, "x", "/").as_deref(), Some("web"));
        assert_eq!(to(&ings, "x", "/api/v1/items").as_deref(), Some("api"));
        assert_eq!(to(&ings, "x", "/api/v2/items").as_deref(), Some("api-v2"));
        let b = route(&ings, "x", "/api").unwrap();
        assert_eq!(
            (b.ingress.as_str(), b.namespace.as_str(), b.port),
            ("api", "default", BackendPort::Number(80))
        );
    }

    #[test]
    fn the_oldest_ingress_wins_a_tie() {
        let ings = vec![
            ingress(
                "newer",
                "2026-01-02T00:00:00Z",
                json!({"rules": [{"http": {"paths": [path("/", "Prefix", "b")]}}]}),
            ),
            ingress(
                "older",
                "2026-01-01T00:00:00Z",
                json!({"rules": [{"http": {"paths": [path("/", "Prefix", "a")]}}]}),
            ),
        ];
        assert_eq!(to(&ings, "x", "/").as_deref(), Some("a"));
    }

    #[test]
    fn unmatched_requests_go_to_the_default_backend() {
        let spec = json!({
            "defaultBackend": {"service": {"name": "fallback", "port": {"name": "http"}}},
            "rules": [{"host": "shop.example.com", "http": {"paths": [path("/cart", "Exact", "cart")]}}],
        });
        let ings = vec![ingress("shop", "2026-01-01T00:00:00Z", spec)];
        assert_eq!(
            to(&ings, "shop.example.com", "/cart").as_deref(),
            Some("cart")
        );
        let b = route(&ings, "shop.example.com", "/other").unwrap();
        assert_eq!(
            (b.service.as_str(), b.port),
            ("fallback", BackendPort::Name("http".into()))
        );
        assert_eq!(to(&ings, "elsewhere", "/").as_deref(), Some("fallback"));
        assert_eq!(
            to(&single(json!([])), "x", "/"),
            None,
            "nothing to route to"
        );
    }

    #[test]
    fn ingresses_of_other_classes_are_not_ours() {
        let mut other = ingress(
            "other",
            "2026-01-01T00:00:00Z",
            json!({"ingressClassName": "nginx", "rules": [{"http": {"paths": [path("/", "Prefix", "x")]}}]}),
        );
        assert_eq!(route(std::slice::from_ref(&other), "x", "/"), None);
        other["spec"]["ingressClassName"] = json!("kubeplay");
        assert!(route(std::slice::from_ref(&other), "x", "/").is_some());
    }
}
