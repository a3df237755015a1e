//! A saved cluster: every stored object with its resourceVersion, the store's
//! counter, the cluster clock, recent container logs and simulated disks' data.
//!
//! The page saves one continuously and restores it on reload, so "the simulation
//! goes on". The cluster clock resumes where it stopped: time the page was closed
//! does not pass in the cluster, so no node misses heartbeats and no pod is evicted
//! for the user's lunch break. Controllers and the scheduler rebuild their caches
//! from the store; simulated kubelets re-adopt the containers the pods' statuses
//! report as running, with their restart counts, IPs and readiness.

use super::{ClusterClock, ControlPlane};
use crate::api::RESOURCES;
use crate::apiserver::logs::LogStore;
use crate::apiserver::ApiServer;
use crate::controllers::ControllerManager;
use crate::store::{Key, Store, DEFAULT_HISTORY};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The snapshot format this build writes and reads.
pub const SNAPSHOT_VERSION: u32 = 1;
/// Log lines kept per container instance in a snapshot (the newest ones).
pub const LOG_LINES_KEPT: usize = 200;

/// Everything a cluster needs to go on after a reload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub version: u32,
    /// Cluster time when it was taken (RFC 3339).
    pub cluster_time: String,
    /// The cluster speed setting.
    pub speed: f64,
    /// The store's resourceVersion counter.
    pub revision: u64,
    /// The seeded randomness' state, so uids and IPs go on without repeating.
    pub rng_state: u64,
    /// Stored objects by resource (`pods`, `deployments.apps`), as stored.
    pub objects: BTreeMap<String, Vec<Value>>,
    /// Recent container logs.
    pub logs: Vec<SavedLog>,
    /// Controllers' own state the store cannot give back, by controller name.
    pub controllers: BTreeMap<String, Value>,
}

/// The newest lines of one container instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedLog {
    pub pod_uid: String,
    pub container: String,
    pub instance: u32,
    /// `[time, text]` pairs, oldest first.
    pub lines: Vec<(String, String)>,
}

/// Why a snapshot cannot be restored; nothing is restored then.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot version {found} is not supported (this build reads version {supported})")]
    UnsupportedVersion { found: u32, supported: u32 },
    #[error("snapshot is not valid JSON: {0}")]
    Json(String),
    #[error("snapshot names an unknown resource {0:?}")]
    UnknownResource(String),
    #[error("snapshot is inconsistent: {0}")]
    Inconsistent(String),
}

/// How a resource is named in a snapshot: `pods`, `deployments.apps`.
fn resource_name(group: &str, plural: &str) -> String {
    if group.is_empty() {
        plural.to_string()
    } else {
        format!("{plural}.{group}")
    }
}

impl Snapshot {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Snapshot, SnapshotError> {
        serde_json::from_str(text).map_err(|e| SnapshotError::Json(e.to_string()))
    }
}

impl ControlPlane {
    /// Saves the whole cluster at host time `host_now`.
    pub fn snapshot(&self, host_now: Timestamp) -> Snapshot {
        let store = self.api.store();
        let mut objects: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for (resource, _, obj) in store.all() {
            objects.entry(resource_name(resource.group, resource.plural)).or_default().push((**obj).clone());
        }
        for list in objects.values_mut() {
            list.sort_by(|a, b| {
                let key = |v: &Value| (crate::api::meta::namespace(v).to_string(), crate::api::meta::name(v).to_string());
                key(a).cmp(&key(b))
            });
        }
        let mut logs: BTreeMap<(String, String, u32), Vec<(String, String)>> = BTreeMap::new();
        for (uid, container, instance, line) in self.api.logs().entries() {
            logs.entry((uid.to_string(), container.to_string(), instance))
                .or_default()
                .push((line.time.to_string(), line.text.clone()));
        }
        let logs = logs
            .into_iter()
            .map(|((pod_uid, container, instance), mut lines)| {
                let drop = lines.len().saturating_sub(LOG_LINES_KEPT);
                lines.drain(..drop);
                SavedLog { pod_uid, container, instance, lines }
            })
            .collect();
        Snapshot {
            version: SNAPSHOT_VERSION,
            cluster_time: self.clock.cluster_time(host_now).to_string(),
            speed: self.clock.speed(),
            revision: store.revision(),
            rng_state: self.api.rng_state(),
            objects,
            logs,
            controllers: self.controllers.save(),
        }
    }

    /// A cluster that goes on from `snapshot`, its clock resuming at the saved
    /// cluster time from host time `host_now` on, with the standard controllers.
    pub fn restore(snapshot: &Snapshot, host_now: Timestamp) -> Result<ControlPlane, SnapshotError> {
        if snapshot.version != SNAPSHOT_VERSION {
            return Err(SnapshotError::UnsupportedVersion { found: snapshot.version, supported: SNAPSHOT_VERSION });
        }
        let cluster_time: Timestamp = snapshot
            .cluster_time
            .parse()
            .map_err(|_| SnapshotError::Inconsistent(format!("invalid cluster time {:?}", snapshot.cluster_time)))?;
        let mut entries = Vec::new();
        for (name, list) in &snapshot.objects {
            let resource = RESOURCES
                .iter()
                .find(|r| resource_name(r.group, r.plural) == *name)
                .ok_or_else(|| SnapshotError::UnknownResource(name.clone()))?;
            for obj in list {
                let (ns, n) = (crate::api::meta::namespace(obj), crate::api::meta::name(obj));
                let rv = crate::store::stored_revision(obj);
                if n.is_empty() || rv == 0 || rv > snapshot.revision {
                    return Err(SnapshotError::Inconsistent(format!(
                        "{name} {ns}/{n} has resourceVersion {:?} beyond the store's {}",
                        crate::api::meta::resource_version(obj),
                        snapshot.revision
                    )));
                }
                entries.push((Key::new(resource, if resource.namespaced { ns } else { "" }, n), obj.clone()));
            }
        }
        let mut logs = LogStore::default();
        for log in &snapshot.logs {
            for (time, text) in &log.lines {
                let time: Timestamp = time
                    .parse()
                    .map_err(|_| SnapshotError::Inconsistent(format!("invalid log time {time:?}")))?;
                logs.append(&log.pod_uid, &log.container, log.instance, time, text);
            }
        }
        let store = Store::restored(entries, snapshot.revision, DEFAULT_HISTORY);
        let api = ApiServer::restored(store, snapshot.rng_state, logs);
        let mut controllers = ControllerManager::standard();
        controllers.restore(&snapshot.controllers);
        let speed = if snapshot.speed.is_finite() { snapshot.speed.max(0.0) } else { 1.0 };
        let clock = ClusterClock { speed, anchor_host: host_now, anchor_cluster: cluster_time };
        Ok(ControlPlane { api, controllers, clock })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_clock_resumes_where_it_stopped_at_the_saved_speed() {
        let start = t("2026-01-01T00:00:00Z");
        let mut cp = ControlPlane::new(1, start);
        cp.set_speed(10.0, start);
        let snap = cp.snapshot(t("2026-01-01T00:00:06Z"));
        assert_eq!(snap.cluster_time, "2026-01-01T00:01:00Z");
        let reopened = t("2026-01-02T09:00:00Z");
        let back = ControlPlane::restore(&Snapshot::from_json(&snap.to_json()).unwrap(), reopened).unwrap();
        assert_eq!(back.clock().cluster_time(reopened), t("2026-01-01T00:01:00Z"));
        assert_eq!(back.clock().cluster_time(t("2026-01-02T09:00:01Z")), t("2026-01-01T00:01:10Z"));
    }

    #[test]
    fn objects_keep_their_resource_versions_and_new_writes_continue_the_counter() {
        let start = t("2026-01-01T00:00:00Z");
        let mut cp = ControlPlane::new(1, start);
        let cm = json!({"metadata": {"name": "app-config"}, "data": {"A": "1"}});
        cp.handle(&crate::Request::post("/api/v1/namespaces/default/configmaps", cm.to_string()), start);
        let snap = cp.snapshot(start);
        let mut back = ControlPlane::restore(&snap, start).unwrap();
        let before = cp.api().get(crate::api::resources::by_plural("", "v1", "configmaps").unwrap(), "default", "app-config").unwrap().clone();
        let after = back.api().get(crate::api::resources::by_plural("", "v1", "configmaps").unwrap(), "default", "app-config").unwrap().clone();
        assert_eq!(before, after);
        assert_eq!(back.api().store().revision(), cp.api().store().revision());
        let cm2 = json!({"metadata": {"name": "other"}});
        back.handle(&crate::Request::post("/api/v1/namespaces/default/configmaps", cm2.to_string()), start);
        assert!(back.api().store().revision() > snap.revision);
        // The restored history starts now: an older watch position relists.
        let watch = back.api_mut().handle(&crate::Request::get("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1"), start);
        assert_eq!(watch.status(), 410);
    }

    #[test]
    fn a_snapshot_from_another_version_or_with_unknown_content_is_refused() {
        let start = t("2026-01-01T00:00:00Z");
        let snap = ControlPlane::new(1, start).snapshot(start);
        let future = Snapshot { version: 99, ..snap.clone() };
        assert_eq!(
            ControlPlane::restore(&future, start).err(),
            Some(SnapshotError::UnsupportedVersion { found: 99, supported: SNAPSHOT_VERSION })
        );
        let mut odd = snap.clone();
        odd.objects.insert("widgets.example.com".into(), vec![]);
        assert_eq!(ControlPlane::restore(&odd, start).err(), Some(SnapshotError::UnknownResource("widgets.example.com".into())));
        let mut behind = snap.clone();
        behind.revision = 1;
        assert!(matches!(ControlPlane::restore(&behind, start), Err(SnapshotError::Inconsistent(_))));
        assert!(matches!(Snapshot::from_json("{"), Err(SnapshotError::Json(_))));
    }
}
