//! Cluster DNS as CoreDNS answers it inside a Kubernetes cluster: Services by
//! name through the pod's search path, headless Services by their ready pods, ExternalName by CNAME.
//!
//! Answers come from the store alone (Services and their Endpoints), so the page's
//! DNS panel, `nslookup` and `curl` in a simulated pod all agree with `kubectl get`.

use crate::api::{meta, resources};
use crate::apiserver::ApiServer;
use serde::Serialize;
use serde_json::Value;

/// The cluster domain every kubelet is configured with by default.
pub const CLUSTER_DOMAIN: &str = "cluster.local";
/// The `kube-dns` Service's address, the `nameserver` of every pod's resolv.conf.
pub const CLUSTER_DNS_IP: &str = "10.96.0.10";
/// resolv.conf's `ndots`: names with fewer dots go through the search list first.
pub const NDOTS: usize = 5;

/// The search list the kubelet writes into a pod of `namespace` (`dnsPolicy: ClusterFirst`).
pub fn search_list(namespace: &str) -> Vec<String> {
    vec![
        format!("{namespace}.svc.{CLUSTER_DOMAIN}"),
        format!("svc.{CLUSTER_DOMAIN}"),
        CLUSTER_DOMAIN.to_string(),
    ]
}

/// `/etc/resolv.conf` as the kubelet writes it for a pod of `namespace`.
pub fn resolv_conf(namespace: &str) -> String {
    format!(
        "search {}\nnameserver {CLUSTER_DNS_IP}\noptions ndots:{NDOTS}\n",
        search_list(namespace).join(" ")
    )
}

/// What the cluster's DNS server answers for a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Resolution {
    /// A records of the fully qualified `name` the query expanded to.
    Addresses { name: String, addresses: Vec<String> },
    /// An ExternalName Service: `name` is an alias of `target`.
    Cname { name: String, target: String },
    /// No such name anywhere on the search path.
    NxDomain,
}

impl Resolution {
    /// The addresses, if the name resolved to any.
    pub fn addresses(&self) -> &[String] {
        match self {
            Self::Addresses { addresses, .. } => addresses,
            _ => &[],
        }
    }
}

/// The fully qualified names a resolver tries for `query`, in order, as glibc
/// and musl do with `ndots:5`: few dots → search list first, then the name as is.
pub fn candidates(from_namespace: &str, query: &str) -> Vec<String> {
    let query = query.trim().to_ascii_lowercase();
    if query.is_empty() {
        return Vec::new();
    }
    if let Some(absolute) = query.strip_suffix('.') {
        return vec![absolute.to_string()];
    }
    let searched = search_list(from_namespace).into_iter().map(|d| format!("{query}.{d}"));
    if query.matches('.').count() >= NDOTS {
        std::iter::once(query.clone()).chain(searched).collect()
    } else {
        searched.chain(std::iter::once(query.clone())).collect()
    }
}

/// Resolves `query` from a pod in `from_namespace`.
pub fn resolve(api: &ApiServer, from_namespace: &str, query: &str) -> Resolution {
    candidates(from_namespace, query)
        .into_iter()
        .find_map(|name| lookup(api, &name))
        .unwrap_or(Resolution::NxDomain)
}

/// Answers one fully qualified name, or `None` (NXDOMAIN) so the resolver tries the next.
fn lookup(api: &ApiServer, fqdn: &str) -> Option<Resolution> {
    let inside = fqdn.strip_suffix(CLUSTER_DOMAIN)?.strip_suffix('.')?;
    let labels: Vec<&str> = inside.split('.').collect();
    match labels.as_slice() {
        [service, namespace, "svc"] => {
            let svc = service_object(api, namespace, service)?;
            answer(api, &svc, fqdn)
        }
        [host, service, namespace, "svc"] => {
            let svc = service_object(api, namespace, service)?;
            let addresses: Vec<String> = ready_addresses(api, &svc)
                .into_iter()
                .filter(|(_, h)| h.as_deref() == Some(*host))
                .map(|(ip, _)| ip)
                .collect();
            (!addresses.is_empty()).then(|| Resolution::Addresses { name: fqdn.to_string(), addresses })
        }
        // `10-244-1-5.default.pod.cluster.local`: pod A records.
        [dashed, _namespace, "pod"] => {
            let ip = dashed.replace('-', ".");
            let ok = ip.split('.').count() == 4 && ip.split('.').all(|o| o.parse::<u8>().is_ok());
            ok.then(|| Resolution::Addresses { name: fqdn.to_string(), addresses: vec![ip] })
        }
        _ => None,
    }
}

fn service_object(api: &ApiServer, namespace: &str, name: &str) -> Option<Value> {
    let r = resources::by_plural("", "v1", "services")?;
    api.get(r, namespace, name).ok().map(|s| (**s).clone())
}

fn spec_str<'a>(svc: &'a Value, field: &str) -> &'a str {
    svc.pointer(&format!("/spec/{field}")).and_then(Value::as_str).unwrap_or("")
}

/// The record a Service name carries.
fn answer(api: &ApiServer, svc: &Value, fqdn: &str) -> Option<Resolution> {
    if spec_str(svc, "type") == "ExternalName" {
        let target = spec_str(svc, "externalName").trim_end_matches('.').to_string();
        return (!target.is_empty()).then(|| Resolution::Cname { name: fqdn.to_string(), target });
    }
    let addresses: Vec<String> = match spec_str(svc, "clusterIP") {
        "None" => ready_addresses(api, svc).into_iter().map(|(ip, _)| ip).collect(),
        "" => Vec::new(),
        ip => vec![ip.to_string()],
    };
    // CoreDNS has no record for a headless Service without ready endpoints.
    (!addresses.is_empty()).then(|| Resolution::Addresses { name: fqdn.to_string(), addresses })
}

/// Ready endpoint addresses of a Service (ip, hostname), from its Endpoints object.
pub fn ready_addresses(api: &ApiServer, svc: &Value) -> Vec<(String, Option<String>)> {
    let Some(r) = resources::by_plural("", "v1", "endpoints") else {
        return Vec::new();
    };
    let Ok(ep) = api.get(r, meta::namespace(svc), meta::name(svc)) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Option<String>)> = ep
        .get("subsets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|s| s.get("addresses").and_then(Value::as_array).into_iter().flatten())
        .filter_map(|a| {
            let ip = a.get("ip").and_then(Value::as_str)?.to_string();
            Some((ip, a.get("hostname").and_then(Value::as_str).map(str::to_string)))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// One port of a Service, as its SRV records name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServicePortDns {
    pub name: String,
    pub port: i64,
    pub protocol: String,
}

/// How one Service is reachable by name, for the page's DNS panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceDns {
    pub namespace: String,
    pub name: String,
    /// The names that reach it, shortest (same namespace only) to fully qualified.
    pub names: Vec<String>,
    /// What those names answer: the ClusterIP, the ready pod IPs (headless), or the CNAME target.
    pub answers: Vec<String>,
    /// `A` or `CNAME`.
    pub record: &'static str,
    pub ports: Vec<ServicePortDns>,
}

/// Every Service's DNS names and answers, by namespace then name.
pub fn service_names(api: &ApiServer) -> Vec<ServiceDns> {
    let Some(r) = resources::by_plural("", "v1", "services") else {
        return Vec::new();
    };
    api.list(r, None)
        .map(|svc| {
            let (ns, name) = (meta::namespace(svc), meta::name(svc));
            let fqdn = format!("{name}.{ns}.svc.{CLUSTER_DOMAIN}");
            let (record, answers) = match answer(api, svc, &fqdn) {
                Some(Resolution::Cname { target, .. }) => ("CNAME", vec![target]),
                Some(Resolution::Addresses { addresses, .. }) => ("A", addresses),
                _ => ("A", Vec::new()),
            };
            let ports = svc
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| ServicePortDns {
                    name: p.get("name").and_then(Value::as_str).unwrap_or("").to_string(),
                    port: p.get("port").and_then(Value::as_i64).unwrap_or(0),
                    protocol: p.get("protocol").and_then(Value::as_str).unwrap_or("TCP").to_string(),
                })
                .collect();
            ServiceDns {
                namespace: ns.to_string(),
                name: name.to_string(),
                names: vec![name.to_string(), format!("{name}.{ns}"), format!("{name}.{ns}.svc"), fqdn],
                answers,
                record,
                ports,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::WriteOptions;
    use jiff::Timestamp;
    use serde_json::json;

    fn t0() -> Timestamp {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    fn create(api: &mut ApiServer, plural: &str, ns: &str, obj: Value) {
        let r = resources::by_plural("", "v1", plural).unwrap();
        api.create(r, ns, obj, t0(), WriteOptions::default()).unwrap();
    }

    fn cluster() -> ApiServer {
        let mut api = ApiServer::new(7, t0());
        create(&mut api, "namespaces", "", json!({"metadata": {"name": "shop"}}));
        create(&mut api, "services", "default", json!({"metadata": {"name": "web"},
            "spec": {"clusterIP": "10.96.100.1", "selector": {"app": "web"}, "ports": [{"name": "http", "port": 80}]}}));
        create(&mut api, "services", "shop", json!({"metadata": {"name": "db"},
            "spec": {"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 5432}]}}));
        create(&mut api, "endpoints", "shop", json!({"metadata": {"name": "db"}, "subsets": [{
            "addresses": [{"ip": "10.244.2.7", "hostname": "db-1"}, {"ip": "10.244.1.4", "hostname": "db-0"}],
            "notReadyAddresses": [{"ip": "10.244.3.3"}], "ports": [{"port": 5432}]}]}));
        create(&mut api, "services", "shop", json!({"metadata": {"name": "payments"},
            "spec": {"type": "ExternalName", "externalName": "pay.example.com"}}));
        api
    }

    #[test]
    fn a_service_answers_by_every_form_of_its_name_from_its_namespace() {
        let api = cluster();
        for q in ["web", "web.default", "web.default.svc", "web.default.svc.cluster.local", "WEB.default.svc.cluster.local."] {
            assert_eq!(
                resolve(&api, "default", q),
                Resolution::Addresses { name: "web.default.svc.cluster.local".into(), addresses: vec!["10.96.100.1".into()] },
                "{q}"
            );
        }
    }

    #[test]
    fn the_short_name_needs_the_same_namespace() {
        let api = cluster();
        assert_eq!(resolve(&api, "shop", "web"), Resolution::NxDomain);
        assert_eq!(resolve(&api, "shop", "web.default").addresses(), ["10.96.100.1".to_string()]);
        assert_eq!(resolve(&api, "default", "nothere"), Resolution::NxDomain);
        assert_eq!(resolve(&api, "default", "example.com"), Resolution::NxDomain);
    }

    #[test]
    fn a_headless_service_answers_with_its_ready_pods_and_their_hostnames() {
        let api = cluster();
        assert_eq!(
            resolve(&api, "shop", "db"),
            Resolution::Addresses { name: "db.shop.svc.cluster.local".into(), addresses: vec!["10.244.1.4".into(), "10.244.2.7".into()] }
        );
        assert_eq!(resolve(&api, "default", "db-0.db.shop").addresses(), ["10.244.1.4".to_string()]);
        assert_eq!(resolve(&api, "default", "db-9.db.shop"), Resolution::NxDomain);
    }

    #[test]
    fn an_external_name_service_is_a_cname() {
        let api = cluster();
        assert_eq!(
            resolve(&api, "shop", "payments"),
            Resolution::Cname { name: "payments.shop.svc.cluster.local".into(), target: "pay.example.com".into() }
        );
    }

    #[test]
    fn the_search_list_comes_first_below_ndots_and_last_above() {
        assert_eq!(
            candidates("default", "web"),
            ["web.default.svc.cluster.local", "web.svc.cluster.local", "web.cluster.local", "web"]
        );
        assert_eq!(candidates("default", "a.b.c.d.e.f")[0], "a.b.c.d.e.f");
        assert_eq!(candidates("default", "web.default.svc.cluster.local.")[..], ["web.default.svc.cluster.local"]);
        assert_eq!(resolv_conf("shop"), "search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");
    }

    #[test]
    fn pod_records_answer_their_dashed_address() {
        let api = cluster();
        assert_eq!(resolve(&api, "default", "10-244-1-5.default.pod").addresses(), ["10.244.1.5".to_string()]);
        assert_eq!(resolve(&api, "default", "10-244-1.default.pod"), Resolution::NxDomain);
    }

    #[test]
    fn the_dns_panel_lists_every_service_with_names_answers_and_ports() {
        let api = cluster();
        let all = service_names(&api);
        let web = all.iter().find(|s| s.name == "web").unwrap();
        assert_eq!(web.names, ["web", "web.default", "web.default.svc", "web.default.svc.cluster.local"]);
        assert_eq!(web.answers, ["10.96.100.1"]);
        assert_eq!(web.ports, [ServicePortDns { name: "http".into(), port: 80, protocol: "TCP".into() }]);
        let pay = all.iter().find(|s| s.name == "payments").unwrap();
        assert_eq!((pay.record, pay.answers.as_slice()), ("CNAME", &["pay.example.com".to_string()][..]));
        let db = all.iter().find(|s| s.name == "db").unwrap();
        assert_eq!(db.answers.len(), 2);
        assert!(all.iter().any(|s| s.name == "kubernetes" && s.answers == ["10.96.0.1"]));
    }
}
