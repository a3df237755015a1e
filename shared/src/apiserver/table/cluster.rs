//! Tables for cluster bookkeeping objects: Namespaces, ServiceAccounts and
//! Leases (leader election and node heartbeats).

use super::descriptions as doc;
use super::duration::since;
use super::fields::{list_at, str_at, time};
use super::{Column, Printer, Row, Rows};
use crate::api::meta;
use jiff::Timestamp;
use serde_json::Value;

pub(super) const NAMESPACE: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string("Status", "The status of the namespace"),
        Column::age(),
    ],
    rows: Rows::Each(namespace_row),
};

pub(super) const SERVICE_ACCOUNT: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string("Secrets", doc::SA_SECRETS),
        Column::age(),
    ],
    rows: Rows::Each(service_account_row),
};

pub(super) const LEASE: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string("Holder", doc::LEASE_HOLDERIDENTITY),
        Column::age(),
    ],
    rows: Rows::Each(lease_row),
};

fn namespace_row(ns: &Value, now: Timestamp) -> Row {
    Row::new(vec![
        meta::name(ns).into(),
        str_at(ns, "/status/phase").into(),
        since(time(ns, "/metadata/creationTimestamp"), now).into(),
    ])
}

fn service_account_row(sa: &Value, now: Timestamp) -> Row {
    Row::new(vec![
        meta::name(sa).into(),
        list_at(sa, "/secrets").len().into(),
        since(time(sa, "/metadata/creationTimestamp"), now).into(),
    ])
}

fn lease_row(lease: &Value, now: Timestamp) -> Row {
    Row::new(vec![
        meta::name(lease).into(),
        str_at(lease, "/spec/holderIdentity").into(),
        since(time(lease, "/metadata/creationTimestamp"), now).into(),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use serde_json::json;

    #[test]
    fn namespace_shows_phase() {
        let ns = json!({"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": "kube-system", "creationTimestamp": ago(86400 * 45 + 3600)},
                        "status": {"phase": "Active"}});
        assert_eq!(cells(&ns), json!(["kube-system", "Active", "45d"]));
        let gone = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "old", "creationTimestamp": ago(90)},
                          "status": {"phase": "Terminating"}});
        assert_eq!(cells(&gone), json!(["old", "Terminating", "90s"]));
    }

    #[test]
    fn service_account_counts_secrets() {
        let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "creationTimestamp": ago(30)}});
        assert_eq!(cells(&sa), json!(["default", 0, "30s"]));
        let with = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "ci"}, "secrets": [{"name": "ci-token"}]});
        assert_eq!(cells(&with)[1], 1);
    }

    #[test]
    fn lease_shows_holder() {
        let lease = json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                           "metadata": {"name": "kube-scheduler", "namespace": "kube-system", "creationTimestamp": ago(7200)},
                           "spec": {"holderIdentity": "control-plane_0b5c1c9e", "leaseDurationSeconds": 15}});
        assert_eq!(
            cells(&lease),
            json!(["kube-scheduler", "control-plane_0b5c1c9e", "120m"])
        );
        assert_eq!(
            headers(&lease)[1],
            ("Holder".to_string(), "string".to_string(), 0)
        );
    }
}
