//! Claims as a student meets them: a bare claim gets a provisioned volume of
//! its size, a claim of a static class gets the smallest volume that fits, and
//! deleting a claim deletes or releases its volume.

use super::*;
use crate::apiserver::Request;
use crate::control_plane::ControlPlane;

fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn res(plural: &str) -> &'static Resource {
    resource(plural).unwrap()
}

fn cluster() -> ControlPlane {
    let mut cp = ControlPlane::new(1, t0());
    cp.tick(t0());
    cp
}

fn claim(cp: &mut ControlPlane, name: &str, size: &str, class: Option<&str>) -> Value {
    let mut c = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}});
    if let Some(class) = class {
        c["spec"]["storageClassName"] = json!(class);
    }
    let resp = cp.handle(
        &Request::post(
            "/api/v1/namespaces/default/persistentvolumeclaims",
            c.to_string(),
        ),
        t0(),
    );
    assert_eq!(resp.status(), 201);
    get_claim(cp, name)
}

fn get_claim(cp: &ControlPlane, name: &str) -> Value {
    (**cp
        .api()
        .get(res("persistentvolumeclaims"), "default", name)
        .unwrap())
    .clone()
}

fn volume(cp: &mut ControlPlane, name: &str, size: &str, class: &str, policy: &str) {
    let v = json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
        "spec": {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": size}, "storageClassName": class,
                 "persistentVolumeReclaimPolicy": policy, "hostPath": {"path": format!("/data/{name}")}}});
    assert_eq!(
        cp.handle(
            &Request::post("/api/v1/persistentvolumes", v.to_string()),
            t0()
        )
        .status(),
        201
    );
}

fn get_volume(cp: &ControlPlane, name: &str) -> Option<Value> {
    cp.api()
        .get(res("persistentvolumes"), "", name)
        .ok()
        .map(|v| (**v).clone())
}

fn reasons(cp: &ControlPlane) -> Vec<String> {
    let mut r: Vec<String> = cp
        .api()
        .list(res("events"), Some("default"))
        .map(|e| e["reason"].as_str().unwrap().to_string())
        .collect();
    r.sort();
    r
}

#[test]
fn the_standard_class_exists_and_is_the_default() {
    let cp = cluster();
    let sc = cp
        .api()
        .get(storage_classes().unwrap(), "", "standard")
        .unwrap();
    assert_eq!(sc["provisioner"], "kubeplay.dev/hostpath");
    assert_eq!(sc["reclaimPolicy"], "Delete");
    assert_eq!(sc["volumeBindingMode"], "Immediate");
    assert!(provisioner::is_default_class(sc));
}

#[test]
fn a_claim_without_a_class_is_bound_to_a_provisioned_volume_of_its_size() {
    let mut cp = cluster();
    let created = claim(&mut cp, "data", "2Gi", None);
    let c = get_claim(&cp, "data");
    let pv_name = format!("pvc-{}", meta::uid(&created));
    assert_eq!(c["status"]["phase"], "Bound");
    assert_eq!(c["spec"]["volumeName"], pv_name.as_str());
    assert_eq!(c["status"]["capacity"]["storage"], "2Gi");
    assert_eq!(c["status"]["accessModes"], json!(["ReadWriteOnce"]));
    assert_eq!(c["metadata"]["annotations"][BIND_COMPLETED], "yes");
    assert_eq!(
        c["metadata"]["annotations"][STORAGE_PROVISIONER],
        "kubeplay.dev/hostpath"
    );
    let pv = get_volume(&cp, &pv_name).unwrap();
    assert_eq!(pv["status"]["phase"], "Bound");
    assert_eq!(pv["spec"]["storageClassName"], "standard");
    assert_eq!(pv["spec"]["capacity"]["storage"], "2Gi");
    assert_eq!(pv["spec"]["claimRef"]["name"], "data");
    assert_eq!(pv["spec"]["persistentVolumeReclaimPolicy"], "Delete");
    let reasons = reasons(&cp);
    for r in ["ExternalProvisioning", "ProvisioningSucceeded"] {
        assert!(reasons.iter().any(|x| x == r), "{r} in {reasons:?}");
    }
}

#[test]
fn a_static_claim_gets_the_smallest_volume_that_fits() {
    let mut cp = cluster();
    volume(&mut cp, "pv-1g", "1Gi", "manual", "Retain");
    volume(&mut cp, "pv-50g", "50Gi", "manual", "Retain");
    volume(&mut cp, "pv-5g", "5Gi", "manual", "Retain");
    assert_eq!(
        get_volume(&cp, "pv-5g").unwrap()["status"]["phase"],
        "Available"
    );
    claim(&mut cp, "logs", "3Gi", Some("manual"));
    let c = get_claim(&cp, "logs");
    assert_eq!(c["status"]["phase"], "Bound");
    assert_eq!(c["spec"]["volumeName"], "pv-5g");
    assert_eq!(
        c["status"]["capacity"]["storage"], "5Gi",
        "the volume's size, not the request"
    );
    let pv = get_volume(&cp, "pv-5g").unwrap();
    assert_eq!(pv["status"]["phase"], "Bound");
    assert_eq!(pv["metadata"]["annotations"][BOUND_BY_CONTROLLER], "yes");
    assert_eq!(
        get_volume(&cp, "pv-50g").unwrap()["status"]["phase"],
        "Available"
    );
}

#[test]
fn a_claim_waits_until_a_fitting_volume_appears() {
    let mut cp = cluster();
    claim(&mut cp, "logs", "3Gi", Some("manual"));
    assert_eq!(get_claim(&cp, "logs")["status"]["phase"], "Pending");
    assert_eq!(
        reasons(&cp),
        vec!["ProvisioningFailed"],
        "class manual does not exist"
    );
    volume(&mut cp, "pv-5g", "5Gi", "manual", "Retain");
    assert_eq!(get_claim(&cp, "logs")["spec"]["volumeName"], "pv-5g");
}

#[test]
fn deleting_a_claim_deletes_a_delete_volume_and_releases_a_retain_volume() {
    let mut cp = cluster();
    let dynamic = claim(&mut cp, "scratch", "1Gi", None);
    volume(&mut cp, "kept", "1Gi", "manual", "Retain");
    claim(&mut cp, "precious", "1Gi", Some("manual"));
    assert_eq!(get_volume(&cp, "kept").unwrap()["status"]["phase"], "Bound");
    for name in ["scratch", "precious"] {
        let path = format!("/api/v1/namespaces/default/persistentvolumeclaims/{name}");
        assert_eq!(cp.handle(&Request::delete(&path), t0()).status(), 200);
    }
    assert!(get_volume(&cp, &format!("pvc-{}", meta::uid(&dynamic))).is_none());
    let kept = get_volume(&cp, "kept").unwrap();
    assert_eq!(kept["status"]["phase"], "Released");
    assert_eq!(
        kept["spec"]["claimRef"]["name"], "precious",
        "a released volume keeps its claimRef"
    );
    // A new claim of the same name does not get the released volume back.
    claim(&mut cp, "precious", "1Gi", Some("manual"));
    assert_eq!(get_claim(&cp, "precious")["status"]["phase"], "Pending");
}
