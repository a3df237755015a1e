//! A pod's resolv.conf as the kubelet writes it, set on the infra container (app containers
//! share its files): the cluster's DNS and search path for `dnsPolicy: ClusterFirst`, the
//! machine's for `Default`, only `dnsConfig` for `None`; `dnsConfig` adds to the others.

use serde_json::Value;

/// Docker's `Dns`, `DnsSearch` and `DnsOptions`; all empty leaves Docker's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodDns {
    pub nameservers: Vec<String>,
    pub searches: Vec<String>,
    pub options: Vec<String>,
}

/// The settings for `pod` on a node whose cluster DNS is `cluster_dns` (`None` when the
/// agent runs without it: the pod then keeps the machine's resolver, as with `Default`).
pub fn pod_dns(pod: &Value, cluster_dns: Option<&str>) -> PodDns {
    let policy = pod
        .pointer("/spec/dnsPolicy")
        .and_then(Value::as_str)
        .unwrap_or("ClusterFirst");
    let host_network = pod
        .pointer("/spec/hostNetwork")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let namespace = pod
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default");
    let mut dns = PodDns::default();
    let cluster_first =
        policy == "ClusterFirstWithHostNet" || (policy == "ClusterFirst" && !host_network);
    if let (true, Some(server)) = (cluster_first, cluster_dns) {
        dns.nameservers.push(server.to_string());
        dns.searches = vec![
            format!("{namespace}.svc.cluster.local"),
            "svc.cluster.local".into(),
            "cluster.local".into(),
        ];
        dns.options.push("ndots:5".into());
    }
    let config = pod.pointer("/spec/dnsConfig");
    let list = |key: &str| -> Vec<String> {
        config
            .and_then(|c| c.get(key))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    dns.nameservers.extend(list("nameservers"));
    dns.searches.extend(list("searches"));
    for option in config
        .and_then(|c| c.get("options"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = option.get("name").and_then(Value::as_str) else {
            continue;
        };
        let text = match option.get("value").and_then(Value::as_str) {
            Some(value) => format!("{name}:{value}"),
            None => name.to_string(),
        };
        dns.options.retain(|o| o.split(':').next() != Some(name));
        dns.options.push(text);
    }
    dns
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cluster_first_pods_use_the_cluster_dns_with_their_namespace_first_in_the_search_path() {
        let pod = json!({"metadata": {"namespace": "shop"}, "spec": {}});
        assert_eq!(
            pod_dns(&pod, Some("10.96.0.10")),
            PodDns {
                nameservers: vec!["10.96.0.10".into()],
                searches: vec![
                    "shop.svc.cluster.local".into(),
                    "svc.cluster.local".into(),
                    "cluster.local".into()
                ],
                options: vec!["ndots:5".into()],
            }
        );
        assert_eq!(
            pod_dns(&pod, None),
            PodDns::default(),
            "without cluster DNS, Docker's resolver"
        );
    }

    #[test]
    fn default_and_none_policies_and_dns_config() {
        let pod = json!({"metadata": {"namespace": "shop"}, "spec": {"dnsPolicy": "Default"}});
        assert_eq!(pod_dns(&pod, Some("10.96.0.10")), PodDns::default());
        let pod = json!({"metadata": {"namespace": "shop"}, "spec": {"dnsPolicy": "None",
            "dnsConfig": {"nameservers": ["1.1.1.1"], "searches": ["corp"], "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]}}});
        assert_eq!(
            pod_dns(&pod, Some("10.96.0.10")),
            PodDns {
                nameservers: vec!["1.1.1.1".into()],
                searches: vec!["corp".into()],
                options: vec!["ndots:2".into(), "edns0".into()]
            }
        );
        let pod = json!({"metadata": {"namespace": "a"}, "spec": {"dnsConfig": {"options": [{"name": "ndots", "value": "1"}]}}});
        assert_eq!(
            pod_dns(&pod, Some("10.96.0.10")).options,
            ["ndots:1"],
            "dnsConfig overrides the kubelet's option"
        );
    }
}
