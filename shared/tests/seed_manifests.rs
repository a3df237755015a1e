//! Every manifest of the seed page (the page students learn from) is accepted
//! as written and reads back as a Kubernetes API server would return it.

use kubeplay_shared::api::resources;
use kubeplay_shared::manifest::parse_documents;
use kubeplay_shared::{ApiServer, Request, Timestamp};
use serde_json::Value;
use std::path::PathBuf;

fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Creates every object of a fixture the way `kubectl create -f` does and
/// returns what the API stored.
fn create(api: &mut ApiServer, name: &str) -> Vec<Value> {
    let mut stored = Vec::new();
    for doc in parse_documents(&fixture(name)).unwrap() {
        let api_version = doc.value["apiVersion"].as_str().unwrap();
        let kind = doc.value["kind"].as_str().unwrap();
        let resource = resources::by_api_version_kind(api_version, kind).unwrap_or_else(|| panic!("{kind} not served"));
        let path = format!("{}?fieldValidation=Strict", resource.collection_path(Some("default")));
        let resp = api.handle(&Request::post(&path, doc.value.to_string()), t0());
        assert_eq!(resp.status(), 201, "{name}: {}", resp.json_body());
        let obj_name = doc.value["metadata"]["name"].as_str().unwrap();
        let got = api.handle(&Request::get(&resource.object_path(Some("default"), obj_name)), t0());
        assert_eq!(got.status(), 200);
        stored.push(got.json_body());
    }
    stored
}

#[test]
fn every_seed_manifest_is_created() {
    let mut api = ApiServer::new(1, t0());
    for name in [
        "configmap.yaml", "secret.yaml", "pvc.yaml", "deployment.yaml", "service.yaml", "ingress.yaml",
        "hpa.yaml", "env-from.yaml", "probes.yaml", "postgres-pod.yaml",
    ] {
        assert!(!create(&mut api, name).is_empty(), "{name}");
    }
}

#[test]
fn the_deployment_keeps_what_the_student_wrote() {
    let mut api = ApiServer::new(1, t0());
    let d = &create(&mut api, "deployment.yaml")[0];
    assert_eq!(d["spec"]["replicas"], 3);
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["image"], "myapp:1.0");
    assert_eq!(c["ports"][0]["containerPort"], 3000);
    assert_eq!(c["env"][0]["value"], "postgres://user:pass@db-service:5432/mydb");
    assert_eq!(c["resources"]["requests"]["cpu"], "100m");
    assert_eq!(c["resources"]["limits"]["memory"], "256Mi");
    assert_eq!(d["metadata"]["generation"], 1);
}

#[test]
fn the_service_gets_a_cluster_ip_in_the_service_range() {
    let mut api = ApiServer::new(1, t0());
    let s = &create(&mut api, "service.yaml")[0];
    let ip: std::net::Ipv4Addr = s["spec"]["clusterIP"].as_str().unwrap().parse().unwrap();
    let [a, b, ..] = ip.octets();
    assert!(a == 10 && (96..112).contains(&b), "{ip}");
    assert_eq!(s["spec"]["ports"][0]["targetPort"], 3000);
    assert_eq!(s["spec"]["selector"]["app"], "my-api");
}

#[test]
fn the_hpa_and_ingress_keep_their_rules() {
    let mut api = ApiServer::new(1, t0());
    let hpa = &create(&mut api, "hpa.yaml")[0];
    assert_eq!(hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 70);
    assert_eq!(hpa["spec"]["scaleTargetRef"]["name"], "my-api");
    let ing = &create(&mut api, "ingress.yaml")[0];
    assert_eq!(ing["spec"]["rules"][0]["host"], "api.myapp.com");
    assert_eq!(ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["number"], 80);
}
