//! The PersistentVolume controller: binds claims to volumes, provisions volumes
//! for claims of Kubeplay's class, and reclaims volumes whose claims are gone.
//!
//! Its cache of volumes is fed by the store's changes; claims that could not be
//! bound wait in a pending set and are retried only when volumes or classes change.

pub mod binder;
pub mod provisioner;

use super::events::{EventRecorder, EventType as EventKind};
use super::feed::{ChangeFeed, Changes};
use super::{Controller, Reconciled};
use crate::api::{meta, resources, Resource};
use crate::apiserver::{format_time, ApiServer, DeleteOptions, WriteOptions};
use crate::store::{EventType, ObjectName};
use binder::{BETA_STORAGE_PROVISIONER, BIND_COMPLETED, BOUND_BY_CONTROLLER, STORAGE_PROVISIONER};
use jiff::Timestamp;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

fn resource(plural: &str) -> Option<&'static Resource> {
    resources::by_plural("", "v1", plural)
}

fn storage_classes() -> Option<&'static Resource> {
    resources::by_plural("storage.k8s.io", "v1", "storageclasses")
}

fn phase(obj: &Value) -> &str {
    obj.pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn set_annotation(obj: &mut Value, key: &str, value: &str) {
    if !obj["metadata"]["annotations"].is_object() {
        obj["metadata"]["annotations"] = json!({});
    }
    obj["metadata"]["annotations"][key] = json!(value);
}

pub struct PersistentVolumeController {
    feed: ChangeFeed,
    default_class_ensured: bool,
    /// Every PersistentVolume, as last seen.
    volumes: BTreeMap<String, Arc<Value>>,
    /// Claim uid → the volume whose `claimRef` names it.
    volume_of_claim: HashMap<String, String>,
    /// Claims not yet bound: retried whenever volumes or classes change.
    pending: BTreeSet<ObjectName>,
    dirty_claims: BTreeSet<ObjectName>,
    dirty_volumes: BTreeSet<String>,
    /// (claim uid, reason) already reported, so a waiting claim's Event is not repeated every pass.
    reported: HashSet<(String, &'static str)>,
    recorder: EventRecorder,
    provisioner_recorder: EventRecorder,
}

impl Default for PersistentVolumeController {
    fn default() -> Self {
        Self {
            feed: ChangeFeed::default(),
            default_class_ensured: false,
            volumes: BTreeMap::new(),
            volume_of_claim: HashMap::new(),
            pending: BTreeSet::new(),
            dirty_claims: BTreeSet::new(),
            dirty_volumes: BTreeSet::new(),
            reported: HashSet::new(),
            recorder: EventRecorder::new("persistentvolume-controller"),
            provisioner_recorder: EventRecorder::new(provisioner::PROVISIONER),
        }
    }
}

impl PersistentVolumeController {
    /// Creates the `standard` class on the first pass if the cluster has none by that name.
    fn ensure_default_class(&mut self, api: &mut ApiServer, now: Timestamp) -> bool {
        if std::mem::replace(&mut self.default_class_ensured, true) {
            return false;
        }
        let Some(classes) = storage_classes() else {
            return false;
        };
        if api.get(classes, "", provisioner::DEFAULT_CLASS).is_ok() {
            return false;
        }
        api.create(
            classes,
            "",
            provisioner::default_storage_class(),
            now,
            WriteOptions::default(),
        )
        .is_ok()
    }

    fn observe_volume(&mut self, name: &str, volume: Option<&Arc<Value>>) {
        if let Some(old) = self.volumes.remove(name) {
            self.volume_of_claim.remove(
                old.pointer("/spec/claimRef/uid")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
            );
        }
        if let Some(v) = volume {
            if let Some(uid) = v
                .pointer("/spec/claimRef/uid")
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty())
            {
                self.volume_of_claim
                    .insert(uid.to_string(), name.to_string());
            }
            self.volumes.insert(name.to_string(), v.clone());
            self.dirty_volumes.insert(name.to_string());
        }
        self.dirty_claims.extend(self.pending.iter().cloned());
    }

    fn observe_claim(&mut self, key: &ObjectName, claim: Option<&Value>) {
        match claim {
            Some(c) if phase(c) != "Bound" => {
                self.pending.insert(key.clone());
                self.dirty_claims.insert(key.clone());
            }
            Some(_) => {
                self.pending.remove(key);
                self.dirty_claims.insert(key.clone());
            }
            None => {
                self.pending.remove(key);
            }
        }
    }

    fn catch_up(&mut self, api: &ApiServer) {
        match self.feed.changes(api.store()) {
            Changes::Resync => {
                self.volumes.clear();
                self.volume_of_claim.clear();
                self.pending.clear();
                let (Some(pvs), Some(pvcs)) = (
                    resource("persistentvolumes"),
                    resource("persistentvolumeclaims"),
                ) else {
                    return;
                };
                for v in api.list(pvs, None) {
                    self.observe_volume(meta::name(v), Some(v));
                }
                for c in api.list(pvcs, None) {
                    self.observe_claim(
                        &ObjectName::new(meta::namespace(c), meta::name(c)),
                        Some(c),
                    );
                }
            }
            Changes::Events(events) => {
                for e in events {
                    let deleted = e.kind == EventType::Deleted;
                    match (e.key.resource.group, e.key.resource.plural) {
                        ("", "persistentvolumes") => {
                            self.observe_volume(&e.key.name.name, (!deleted).then_some(&e.object))
                        }
                        ("", "persistentvolumeclaims") => {
                            self.observe_claim(&e.key.name, (!deleted).then_some(&*e.object));
                            if deleted {
                                if let Some(v) = self.volume_of_claim.get(meta::uid(&e.object)) {
                                    self.dirty_volumes.insert(v.clone());
                                }
                            }
                        }
                        ("storage.k8s.io", "storageclasses") if !deleted => {
                            self.dirty_claims.extend(self.pending.iter().cloned());
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    /// Keeps a volume's phase true to its claim; reclaims it when the claim is gone.
    fn sync_volume(&mut self, api: &mut ApiServer, name: &str, now: Timestamp) -> bool {
        let (Some(pvs), Some(pvcs)) = (
            resource("persistentvolumes"),
            resource("persistentvolumeclaims"),
        ) else {
            return false;
        };
        let Ok(volume) = api.get(pvs, "", name) else {
            return false;
        };
        let volume = volume.clone();
        let Some(claim_ref) = volume.pointer("/spec/claimRef").filter(|r| r.is_object()) else {
            return set_volume_phase(api, &volume, "Available", now);
        };
        let ns = claim_ref["namespace"].as_str().unwrap_or("");
        let claim_name = claim_ref["name"].as_str().unwrap_or("");
        let ref_uid = claim_ref.get("uid").and_then(Value::as_str).unwrap_or("");
        match api.get(pvcs, ns, claim_name) {
            Ok(claim) if ref_uid.is_empty() || ref_uid == meta::uid(claim) => {
                let bound_here =
                    claim.pointer("/spec/volumeName").and_then(Value::as_str) == Some(name);
                if bound_here && !ref_uid.is_empty() {
                    return set_volume_phase(api, &volume, "Bound", now);
                }
                // The claim side is not done yet: let the claim finish the binding.
                self.dirty_claims.insert(ObjectName::new(ns, claim_name));
                false
            }
            _ if ref_uid.is_empty() => set_volume_phase(api, &volume, "Available", now),
            _ => self.reclaim(api, pvs, &volume, now),
        }
    }

    /// The claim is gone: delete, keep (Released) or scrub the volume as its policy says.
    fn reclaim(
        &mut self,
        api: &mut ApiServer,
        pvs: &'static Resource,
        volume: &Value,
        now: Timestamp,
    ) -> bool {
        let name = meta::name(volume);
        match volume
            .pointer("/spec/persistentVolumeReclaimPolicy")
            .and_then(Value::as_str)
        {
            Some("Delete") => {
                if meta::is_terminating(volume) {
                    return false;
                }
                api.delete(pvs, "", name, &DeleteOptions::default(), now)
                    .is_ok()
            }
            Some("Recycle") => {
                let mut v = volume.clone();
                if let Some(spec) = v.get_mut("spec").and_then(Value::as_object_mut) {
                    spec.remove("claimRef");
                }
                api.update(pvs, "", name, v, None, now, WriteOptions::default())
                    .is_ok()
            }
            _ if phase(volume) == "Released" || phase(volume) == "Failed" => false,
            _ => set_volume_phase(api, volume, "Released", now),
        }
    }

    /// The class a claim asks for: its own, or the default class for a claim that names none.
    fn claim_class(&mut self, api: &mut ApiServer, claim: &Value, now: Timestamp) -> String {
        if let Some(class) = claim
            .pointer("/spec/storageClassName")
            .and_then(Value::as_str)
        {
            return class.to_string();
        }
        let Some(classes) = storage_classes() else {
            return String::new();
        };
        let Some(default) = api
            .list(classes, None)
            .find(|c| provisioner::is_default_class(c))
            .map(|c| meta::name(c).to_string())
        else {
            return String::new();
        };
        // Kubernetes assigns the default class to class-less claims (retroactively too).
        if let Some(pvcs) = resource("persistentvolumeclaims") {
            let mut c = claim.clone();
            c["spec"]["storageClassName"] = json!(default);
            let _ = api.update(
                pvcs,
                meta::namespace(claim),
                meta::name(claim),
                c,
                None,
                now,
                WriteOptions::default(),
            );
        }
        default
    }

    fn report_once(
        &mut self,
        api: &mut ApiServer,
        claim: &Value,
        kind: EventKind,
        reason: &'static str,
        message: &str,
        now: Timestamp,
    ) {
        if self.reported.insert((meta::uid(claim).to_string(), reason)) {
            self.recorder.record(api, claim, kind, reason, message, now);
        }
    }

    fn sync_claim(&mut self, api: &mut ApiServer, key: &ObjectName, now: Timestamp) -> bool {
        let (Some(pvs), Some(pvcs)) = (
            resource("persistentvolumes"),
            resource("persistentvolumeclaims"),
        ) else {
            return false;
        };
        let claim = match api.get(pvcs, &key.namespace, &key.name) {
            Ok(c) if !meta::is_terminating(c) => (**c).clone(),
            _ => return false,
        };
        let volume_name = claim
            .pointer("/spec/volumeName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if phase(&claim) == "Bound" {
            if !volume_name.is_empty() && api.get(pvs, "", &volume_name).is_err() {
                let mut lost = claim.clone();
                lost["status"]["phase"] = json!("Lost");
                let wrote = api
                    .update(
                        pvcs,
                        &key.namespace,
                        &key.name,
                        lost,
                        Some("status"),
                        now,
                        WriteOptions::default(),
                    )
                    .is_ok();
                let message =
                    "Bound claim has lost its PersistentVolume. Data on the volume is lost!";
                self.report_once(api, &claim, EventKind::Warning, "ClaimLost", message, now);
                return wrote;
            }
            return false;
        }
        if phase(&claim) == "Lost" {
            return false;
        }
        if !volume_name.is_empty() {
            return match api.get(pvs, "", &volume_name) {
                Ok(v)
                    if !v.pointer("/spec/claimRef").is_some_and(Value::is_object)
                        || binder::is_claimed_by(v, &claim) =>
                {
                    let v = (**v).clone();
                    bind(api, claim, v, now)
                }
                _ => false,
            };
        }
        let class = self.claim_class(api, &claim, now);
        if let Some(volume) =
            binder::best_match(&claim, &class, self.volumes.values().map(|v| &**v))
        {
            let volume = volume.clone();
            return bind(api, claim, volume, now);
        }
        self.provision(api, claim, &class, now)
    }

    /// No volume fits: provision one, or say who should.
    fn provision(
        &mut self,
        api: &mut ApiServer,
        mut claim: Value,
        class_name: &str,
        now: Timestamp,
    ) -> bool {
        let (Some(pvs), Some(pvcs), Some(classes)) = (
            resource("persistentvolumes"),
            resource("persistentvolumeclaims"),
            storage_classes(),
        ) else {
            return false;
        };
        if class_name.is_empty() {
            let message =
                "no persistent volumes available for this claim and no storage class is set";
            self.report_once(
                api,
                &claim,
                EventKind::Normal,
                "FailedBinding",
                message,
                now,
            );
            return false;
        }
        let Ok(class) = api.get(classes, "", class_name) else {
            let message = format!("storageclass.storage.k8s.io \"{class_name}\" not found");
            self.report_once(
                api,
                &claim,
                EventKind::Warning,
                "ProvisioningFailed",
                &message,
                now,
            );
            return false;
        };
        let class = (**class).clone();
        let selected_node =
            meta::annotation(&claim, "volume.kubernetes.io/selected-node").is_some();
        if class.get("volumeBindingMode").and_then(Value::as_str) == Some("WaitForFirstConsumer")
            && !selected_node
        {
            let message = "waiting for first consumer to be created before binding";
            self.report_once(
                api,
                &claim,
                EventKind::Normal,
                "WaitForFirstConsumer",
                message,
                now,
            );
            return false;
        }
        let provisioner = class
            .get("provisioner")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let (ns, name) = (
            meta::namespace(&claim).to_string(),
            meta::name(&claim).to_string(),
        );
        let mut wrote = false;
        if meta::annotation(&claim, STORAGE_PROVISIONER).is_none() {
            set_annotation(&mut claim, STORAGE_PROVISIONER, &provisioner);
            set_annotation(&mut claim, BETA_STORAGE_PROVISIONER, &provisioner);
            match api.update(
                pvcs,
                &ns,
                &name,
                claim.clone(),
                None,
                now,
                WriteOptions::default(),
            ) {
                Ok(stored) => {
                    claim = (*stored).clone();
                    wrote = true;
                }
                Err(_) => return false,
            }
        }
        let message = format!(
            "Waiting for a volume to be created either by the external provisioner '{provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."
        );
        self.report_once(
            api,
            &claim,
            EventKind::Normal,
            "ExternalProvisioning",
            &message,
            now,
        );
        if provisioner != provisioner::PROVISIONER {
            return wrote;
        }
        let message =
            format!("External provisioner is provisioning volume for claim \"{ns}/{name}\"");
        self.provisioner_recorder.record(
            api,
            &claim,
            EventKind::Normal,
            "Provisioning",
            &message,
            now,
        );
        let volume = match api.create(
            pvs,
            "",
            provisioner::provision(&claim, &class, now),
            now,
            WriteOptions::default(),
        ) {
            Ok(v) => (*v).clone(),
            Err(e) => {
                let message =
                    format!("failed to provision volume with StorageClass \"{class_name}\": {e}");
                self.provisioner_recorder.record(
                    api,
                    &claim,
                    EventKind::Warning,
                    "ProvisioningFailed",
                    &message,
                    now,
                );
                return wrote;
            }
        };
        let message = format!("Successfully provisioned volume {}", meta::name(&volume));
        self.provisioner_recorder.record(
            api,
            &claim,
            EventKind::Normal,
            "ProvisioningSucceeded",
            &message,
            now,
        );
        bind(api, claim, volume, now);
        true
    }
}

fn set_volume_phase(api: &mut ApiServer, volume: &Value, to: &str, now: Timestamp) -> bool {
    if phase(volume) == to {
        return false;
    }
    let Some(pvs) = resource("persistentvolumes") else {
        return false;
    };
    let mut v = volume.clone();
    v["status"]["phase"] = json!(to);
    v["status"]["lastPhaseTransitionTime"] = json!(format_time(now));
    api.update(
        pvs,
        "",
        meta::name(volume),
        v,
        Some("status"),
        now,
        WriteOptions::default(),
    )
    .is_ok()
}

/// Binds both ways: the volume's `claimRef` and phase, then the claim's `volumeName` and status.
fn bind(api: &mut ApiServer, claim: Value, mut volume: Value, now: Timestamp) -> bool {
    let (Some(pvs), Some(pvcs)) = (
        resource("persistentvolumes"),
        resource("persistentvolumeclaims"),
    ) else {
        return false;
    };
    let volume_name = meta::name(&volume).to_string();
    let has_uid = volume
        .pointer("/spec/claimRef/uid")
        .and_then(Value::as_str)
        .is_some_and(|u| !u.is_empty());
    if !has_uid {
        if !volume
            .pointer("/spec/claimRef")
            .is_some_and(Value::is_object)
        {
            set_annotation(&mut volume, BOUND_BY_CONTROLLER, "yes");
        }
        volume["spec"]["claimRef"] = binder::claim_ref(&claim);
        match api.update(
            pvs,
            "",
            &volume_name,
            volume,
            None,
            now,
            WriteOptions::default(),
        ) {
            Ok(v) => volume = (*v).clone(),
            Err(_) => return false,
        }
    }
    set_volume_phase(api, &volume, "Bound", now);

    let (ns, name) = (
        meta::namespace(&claim).to_string(),
        meta::name(&claim).to_string(),
    );
    let Ok(current) = api.get(pvcs, &ns, &name) else {
        return true;
    };
    let mut c = (**current).clone();
    if c.pointer("/spec/volumeName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        c["spec"]["volumeName"] = json!(volume_name);
        set_annotation(&mut c, BOUND_BY_CONTROLLER, "yes");
    }
    set_annotation(&mut c, BIND_COMPLETED, "yes");
    let Ok(stored) = api.update(pvcs, &ns, &name, c, None, now, WriteOptions::default()) else {
        return true;
    };
    let mut c = (*stored).clone();
    c["status"]["phase"] = json!("Bound");
    c["status"]["accessModes"] = volume["spec"]["accessModes"].clone();
    c["status"]["capacity"] = volume["spec"]["capacity"].clone();
    let _ = api.update(
        pvcs,
        &ns,
        &name,
        c,
        Some("status"),
        now,
        WriteOptions::default(),
    );
    true
}

impl Controller for PersistentVolumeController {
    fn name(&self) -> &'static str {
        "persistentvolume-binder-controller"
    }

    fn reconcile(&mut self, api: &mut ApiServer, now: Timestamp) -> Reconciled {
        let mut wrote = self.ensure_default_class(api, now);
        self.catch_up(api);
        for name in std::mem::take(&mut self.dirty_volumes) {
            wrote |= self.sync_volume(api, &name, now);
        }
        for key in std::mem::take(&mut self.dirty_claims) {
            wrote |= self.sync_claim(api, &key, now);
        }
        Reconciled {
            wrote,
            requeue_at: None,
        }
    }
}

#[cfg(test)]
mod tests;
