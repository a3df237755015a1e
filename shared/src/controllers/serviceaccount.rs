//! The service account controller and the root CA publisher: every namespace
//! gets a `default` ServiceAccount and a `kube-root-ca.crt` ConfigMap, as on every cluster.

use super::feed::{ChangeFeed, Changes};
use super::{Controller, Reconciled};
use crate::api::{meta, resources, Resource};
use crate::apiserver::{ApiServer, WriteOptions};
use crate::store::EventType;
use jiff::Timestamp;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The ServiceAccount pods run as when they name none.
pub const DEFAULT_SERVICE_ACCOUNT: &str = "default";
/// The ConfigMap the root-ca-cert-publisher keeps in every namespace.
pub const ROOT_CA_CONFIG_MAP: &str = "kube-root-ca.crt";
/// The key of the CA bundle inside [`ROOT_CA_CONFIG_MAP`].
pub const ROOT_CA_KEY: &str = "ca.crt";
/// The annotation Kubernetes puts on [`ROOT_CA_CONFIG_MAP`].
const ROOT_CA_DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

/// The playground cluster's CA certificate (a self-signed `CN=kubernetes` P-256
/// certificate made once for Kubeplay; its key was thrown away, nothing is signed with it).
pub const PLAYGROUND_CA_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBazCCARKgAwIBAgIBATAKBggqhkjOPQQDAjAVMRMwEQYDVQQDDAprdWJlcm5l
dGVzMB4XDTI2MTEyNDA3NTYwN1oXDTM2MTEyMTA3NTYwN1owFTETMBEGA1UEAwwK
a3ViZXJuZXRlczBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABN0El6xG0CLlpU27
iiQgMkNjazTWHB7McVMgZH4brlv7IKAB/lKHy5qaybduk7xcO+pumOG/lEAB2WRq
pX1QP+ujUzBRMB0GA1UdDgQWBBRdl1qFa8QFabFS/rODUVeKFJyzNjAfBgNVHSME
GDAWgBRdl1qFa8QFabFS/rODUVeKFJyzNjAPBgNVHRMBAf8EBTADAQH/MAoGCCqG
SM49BAMCA0cAMEQCIGjSDYqofD345hZZk0MQpBfliDvdh1LyS00LXQH3ZhaeAiBU
AReW3Mb8+JfXsc+YjB6Oc+/4i0X/c78U0hc7RTibxw==
-----END CERTIFICATE-----
";

/// Keeps `default` and `kube-root-ca.crt` present (and the bundle unchanged) in every live namespace.
#[derive(Default)]
pub struct ServiceAccountController {
    feed: ChangeFeed,
    /// Namespaces to look at on this pass.
    dirty: BTreeSet<String>,
}

fn resource(plural: &str) -> Option<&'static Resource> {
    resources::by_plural("", "v1", plural)
}

impl ServiceAccountController {
    fn observe(&mut self, api: &ApiServer) {
        let Some(namespaces) = resource("namespaces") else {
            return;
        };
        match self.feed.changes(api.store()) {
            Changes::Resync => {
                self.dirty.extend(
                    api.list(namespaces, None)
                        .map(|n| meta::name(n).to_string()),
                );
            }
            Changes::Events(events) => {
                for e in events {
                    let ns = e.key.name.namespace.as_str();
                    match e.key.resource.plural {
                        "namespaces"
                            if e.key.resource.group.is_empty() && e.kind != EventType::Deleted =>
                        {
                            self.dirty.insert(e.key.name.name.clone());
                        }
                        "serviceaccounts"
                            if e.kind == EventType::Deleted
                                && e.key.name.name == DEFAULT_SERVICE_ACCOUNT =>
                        {
                            self.dirty.insert(ns.to_string());
                        }
                        "configmaps"
                            if e.kind != EventType::Added
                                && e.key.name.name == ROOT_CA_CONFIG_MAP =>
                        {
                            self.dirty.insert(ns.to_string());
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    /// Creates what is missing in one namespace; true if it wrote.
    fn sync_namespace(api: &mut ApiServer, ns: &str, now: Timestamp) -> bool {
        let (Some(namespaces), Some(accounts), Some(config_maps)) = (
            resource("namespaces"),
            resource("serviceaccounts"),
            resource("configmaps"),
        ) else {
            return false;
        };
        match api.get(namespaces, "", ns) {
            Ok(n) if !meta::is_terminating(n) => {}
            _ => return false,
        }
        let mut wrote = false;
        if api.get(accounts, ns, DEFAULT_SERVICE_ACCOUNT).is_err() {
            let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": DEFAULT_SERVICE_ACCOUNT}});
            wrote |= api
                .create(accounts, ns, sa, now, WriteOptions::default())
                .is_ok();
        }
        let data = json!({ROOT_CA_KEY: PLAYGROUND_CA_PEM});
        match api.get(config_maps, ns, ROOT_CA_CONFIG_MAP) {
            Err(_) => {
                let cm = json!({
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": ROOT_CA_CONFIG_MAP, "annotations": {"kubernetes.io/description": ROOT_CA_DESCRIPTION}},
                    "data": data,
                });
                wrote |= api
                    .create(config_maps, ns, cm, now, WriteOptions::default())
                    .is_ok();
            }
            Ok(cm) if cm.get("data") != Some(&data) => {
                // Someone edited the bundle: the publisher puts it back, as Kubernetes' does.
                let mut cm = (**cm).clone();
                cm["data"] = data;
                wrote |= api
                    .update(
                        config_maps,
                        ns,
                        ROOT_CA_CONFIG_MAP,
                        cm,
                        None,
                        now,
                        WriteOptions::default(),
                    )
                    .is_ok();
            }
            Ok(_) => {}
        }
        wrote
    }
}

impl Controller for ServiceAccountController {
    fn name(&self) -> &'static str {
        "serviceaccount-controller"
    }

    fn reconcile(&mut self, api: &mut ApiServer, now: Timestamp) -> Reconciled {
        self.observe(api);
        let mut wrote = false;
        for ns in std::mem::take(&mut self.dirty) {
            wrote |= Self::sync_namespace(api, &ns, now);
        }
        Reconciled {
            wrote,
            requeue_at: None,
        }
    }
}

/// The CA bundle a namespace's `kube-root-ca.crt` should hold (for hosts that mount it into pods).
pub fn root_ca_bundle(config_map: &Value) -> Option<&str> {
    config_map.pointer("/data/ca.crt").and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::{DeleteOptions, Request};
    use crate::control_plane::ControlPlane;

    fn t0() -> Timestamp {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn system_namespaces_have_a_default_service_account_and_the_root_ca() {
        let mut cp = ControlPlane::new(1, t0());
        cp.tick(t0());
        let api = cp.api_mut();
        for ns in ["default", "kube-node-lease", "kube-public", "kube-system"] {
            assert_eq!(
                api.handle(
                    &Request::get(&format!("/api/v1/namespaces/{ns}/serviceaccounts/default")),
                    t0()
                )
                .status(),
                200,
                "{ns}"
            );
            let cm = api.handle(
                &Request::get(&format!(
                    "/api/v1/namespaces/{ns}/configmaps/kube-root-ca.crt"
                )),
                t0(),
            );
            assert_eq!(cm.status(), 200, "{ns}");
            assert!(root_ca_bundle(&cm.json_body())
                .is_some_and(|pem| pem.starts_with("-----BEGIN CERTIFICATE-----")));
        }
    }

    #[test]
    fn a_new_namespace_gets_both_as_soon_as_it_is_created() {
        let mut cp = ControlPlane::new(1, t0());
        let resp = cp.handle(
            &Request::post(
                "/api/v1/namespaces",
                json!({"metadata": {"name": "dev"}}).to_string(),
            ),
            t0(),
        );
        assert_eq!(resp.status(), 201);
        let api = cp.api_mut();
        let sa = api
            .handle(
                &Request::get("/api/v1/namespaces/dev/serviceaccounts/default"),
                t0(),
            )
            .json_body();
        assert_eq!(sa["metadata"]["namespace"], "dev");
        let cm = api
            .handle(
                &Request::get("/api/v1/namespaces/dev/configmaps/kube-root-ca.crt"),
                t0(),
            )
            .json_body();
        assert_eq!(cm["data"]["ca.crt"], PLAYGROUND_CA_PEM);
        assert_eq!(
            cm["metadata"]["annotations"]["kubernetes.io/description"],
            ROOT_CA_DESCRIPTION
        );
    }

    #[test]
    fn deleted_default_account_and_edited_bundle_come_back() {
        let mut cp = ControlPlane::new(1, t0());
        cp.tick(t0());
        let api = cp.api_mut();
        let sa = resource("serviceaccounts").unwrap();
        api.delete(sa, "default", "default", &DeleteOptions::default(), t0())
            .unwrap();
        let cms = resource("configmaps").unwrap();
        let mut cm = (**api.get(cms, "default", ROOT_CA_CONFIG_MAP).unwrap()).clone();
        cm["data"] = json!({"ca.crt": "tampered"});
        api.update(
            cms,
            "default",
            ROOT_CA_CONFIG_MAP,
            cm,
            None,
            t0(),
            WriteOptions::default(),
        )
        .unwrap();
        cp.tick(t0());
        let api = cp.api_mut();
        assert!(api.get(sa, "default", "default").is_ok());
        assert_eq!(
            api.get(cms, "default", ROOT_CA_CONFIG_MAP).unwrap()["data"]["ca.crt"],
            PLAYGROUND_CA_PEM
        );
    }
}
