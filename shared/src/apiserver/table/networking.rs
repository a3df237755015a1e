//! Tables for Ingresses (`CLASS HOSTS ADDRESS PORTS`) and IngressClasses, the
//! HTTP routing objects the seed page teaches.

use super::duration::since;
use super::fields::{list_at, opt_str, str_at, time};
use super::services::load_balancer_addresses;
use super::{Column, Printer, Row, Rows};
use crate::api::meta;
use jiff::Timestamp;
use serde_json::Value;

pub(super) const INGRESS: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string("Class", "The name of the IngressClass resource that should be used for additional configuration"),
        Column::string("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
        Column::string("Address", "Address is a list containing ingress points for the load-balancer"),
        Column::string("Ports", "Ports of TLS configurations that open"),
        Column::age(),
    ],
    rows: Rows::Each(ingress_row),
};

pub(super) const INGRESS_CLASS: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string(
            "Controller",
            "Controller that is responsible for handling this class",
        ),
        Column::string(
            "Parameters",
            "A reference to a resource with additional parameters",
        ),
        Column::age(),
    ],
    rows: Rows::Each(ingress_class_row),
};

/// Hosts listed before `+ N more...`.
const MAX_HOSTS: usize = 3;

fn ingress_row(ing: &Value, now: Timestamp) -> Row {
    let ports = if list_at(ing, "/spec/tls").is_empty() {
        "80"
    } else {
        "80, 443"
    };
    Row::new(vec![
        meta::name(ing).into(),
        opt_str(ing, "/spec/ingressClassName")
            .unwrap_or("<none>")
            .into(),
        hosts(list_at(ing, "/spec/rules")).into(),
        load_balancer_addresses(ing).join(",").into(),
        ports.into(),
        since(time(ing, "/metadata/creationTimestamp"), now).into(),
    ])
}

/// Rule hosts, the first three named ones and `+ N more...` when rules remain
/// after those; `*` when no rule names a host.
fn hosts(rules: &[Value]) -> String {
    let mut named: Vec<&str> = Vec::new();
    let mut more = false;
    for rule in rules {
        if named.len() == MAX_HOSTS {
            more = true;
            break;
        }
        let host = str_at(rule, "/host");
        if !host.is_empty() {
            named.push(host);
        }
    }
    if named.is_empty() {
        return "*".into();
    }
    let joined = named.join(",");
    if more {
        format!("{joined} + {} more...", rules.len() - MAX_HOSTS)
    } else {
        joined
    }
}

fn ingress_class_row(class: &Value, now: Timestamp) -> Row {
    let parameters = match class.pointer("/spec/parameters") {
        Some(p) if p.is_object() => {
            let kind = str_at(p, "/kind");
            let name = str_at(p, "/name");
            match opt_str(p, "/apiGroup") {
                Some(group) => format!("{kind}.{group}/{name}"),
                None => format!("{kind}/{name}"),
            }
        }
        _ => "<none>".into(),
    };
    Row::new(vec![
        meta::name(class).into(),
        str_at(class, "/spec/controller").into(),
        parameters.into(),
        since(time(class, "/metadata/creationTimestamp"), now).into(),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use serde_json::json;

    #[test]
    fn ingress_golden_row() {
        let ing = json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "shop", "namespace": "default", "creationTimestamp": ago(5)},
            "spec": {
                "ingressClassName": "nginx",
                "tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
                "rules": [{"host": "shop.example.com"}, {"host": "api.example.com"}],
            },
            "status": {"loadBalancer": {"ingress": [{"ip": "192.168.49.2"}]}},
        });
        assert_eq!(
            cells(&ing),
            json!([
                "shop",
                "nginx",
                "shop.example.com,api.example.com",
                "192.168.49.2",
                "80, 443",
                "5s"
            ])
        );
        assert!(headers(&ing)
            .iter()
            .all(|(_, t, p)| t == "string" && *p == 0));
    }

    #[test]
    fn ingress_without_class_hosts_or_address() {
        let ing = json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "catch-all", "creationTimestamp": ago(5)},
            "spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}, "rules": [{"http": {}}]},
        });
        assert_eq!(
            cells(&ing),
            json!(["catch-all", "<none>", "*", "", "80", "5s"])
        );
    }

    #[test]
    fn ingress_hosts_beyond_three_are_counted() {
        let rules: Vec<_> = ["a", "b", "", "d", "e"]
            .iter()
            .map(|h| json!({"host": h}))
            .collect();
        let ing = json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "many"}, "spec": {"rules": rules}});
        assert_eq!(cells(&ing)[2], "a,b,d + 2 more...");
    }

    #[test]
    fn ingress_class_golden_row() {
        let class = json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
            "metadata": {"name": "nginx", "creationTimestamp": ago(172800)},
            "spec": {"controller": "k8s.io/ingress-nginx",
                     "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "external-lb"}},
        });
        assert_eq!(
            cells(&class),
            json!([
                "nginx",
                "k8s.io/ingress-nginx",
                "IngressParameters.k8s.example.com/external-lb",
                "2d"
            ])
        );
        let plain = json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "x"}, "spec": {"controller": "c"}});
        assert_eq!(cells(&plain)[2], "<none>");
    }
}
