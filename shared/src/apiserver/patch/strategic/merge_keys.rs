//! Which lists merge, and by which key, at each position of each kind.
//!
//! Kubernetes reads this from `patchStrategy`/`patchMergeKey` struct tags in
//! `k8s.io/api`; we store JSON, so the same facts live here as a small table.
//!
//! Facts recorded (k8s.io/api and apimachinery `metav1`, checked 2026):
//! - `ObjectMeta`: `finalizers` merge (primitives), `ownerReferences` merge by `uid`.
//! - `PodSpec`: `containers`, `initContainers`, `ephemeralContainers`, `volumes`,
//!   `imagePullSecrets`, `schedulingGates`, `resourceClaims`, `evictionResponders`
//!   by `name`; `hostAliases` by `ip`; `topologySpreadConstraints` by
//!   `topologyKey`. `tolerations`, `readinessGates` and everything else: atomic.
//! - `Container` (and ephemeral): `ports` by `containerPort`, `env` by `name`,
//!   `volumeMounts` by `mountPath`, `volumeDevices` by `devicePath`; `envFrom`,
//!   `command`, `args`: atomic.
//! - `PodStatus`: `conditions` by `type`, `podIPs`/`hostIPs` by `ip`,
//!   `resourceClaimStatuses` by `name`, `nodeAllocatableResourceClaimStatuses`
//!   by `resourceClaimName` (whose `mapping`/`overhead` merge by `name`).
//! - `ServiceSpec.ports` by `port`; `NodeSpec.podCIDRs` merge (primitives),
//!   `NodeSpec.taints` atomic; `NodeStatus` `conditions` and `addresses` by
//!   `type`; `ServiceAccount.secrets` by `name` (its `imagePullSecrets` atomic).
//! - `status.conditions` by `type` for Deployment, ReplicaSet, StatefulSet,
//!   DaemonSet, ReplicationController, Job, Service, Namespace,
//!   PersistentVolumeClaim, HorizontalPodAutoscaler, PodDisruptionBudget.
//! - `PodDisruptionBudgetSpec.selector` is replaced, not merged.
//! - Discovery, networking, storage, coordination and events types: no tags.

/// A position in an object whose fields carry strategic-merge metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Nothing below carries metadata: maps merge, lists are replaced.
    Opaque,
    /// The top of an object of a kind with no tagged fields besides metadata.
    PlainObject,
    Pod,
    /// Deployment, ReplicaSet, StatefulSet, DaemonSet, ReplicationController, Job.
    PodTemplateOwner,
    CronJob,
    PodTemplate,
    Service,
    Node,
    ServiceAccount,
    /// Kinds whose only tagged field below metadata is `status.conditions`.
    ConditionsOwner,
    PodDisruptionBudget,
    ObjectMeta,
    PodTemplateSpec,
    PodSpec,
    Container,
    PodStatus,
    NodeAllocatableClaimStatus,
    TemplateOwnerSpec,
    CronJobSpec,
    JobTemplateSpec,
    ServiceSpec,
    NodeSpec,
    NodeStatus,
    ConditionsStatus,
    PodDisruptionBudgetSpec,
}

/// How a field's value combines with the patch's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Maps merge recursively; lists and scalars are replaced.
    Default,
    /// A list that merges: by the named key for lists of maps, as a set for
    /// lists of primitives.
    MergeList(Option<&'static str>),
    /// A map that the patch replaces whole (`patchStrategy:"replace"`).
    ReplaceMap,
}

/// What a field's position says about patching it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldMeta {
    /// The schema of the field's value (of each item, for lists).
    pub schema: Schema,
    pub strategy: Strategy,
}

impl FieldMeta {
    const OPAQUE: Self = Self {
        schema: Schema::Opaque,
        strategy: Strategy::Default,
    };

    const fn nested(schema: Schema) -> Self {
        Self {
            schema,
            strategy: Strategy::Default,
        }
    }

    const fn merge_by(key: &'static str, schema: Schema) -> Self {
        Self {
            schema,
            strategy: Strategy::MergeList(Some(key)),
        }
    }

    const fn merge_primitives() -> Self {
        Self {
            schema: Schema::Opaque,
            strategy: Strategy::MergeList(None),
        }
    }

    /// Whether a list at this position merges instead of being replaced.
    pub fn merges_lists(&self) -> bool {
        matches!(self.strategy, Strategy::MergeList(_))
    }

    /// The merge key of a list of maps at this position.
    pub fn merge_key(&self) -> Option<&'static str> {
        match self.strategy {
            Strategy::MergeList(key) => key,
            _ => None,
        }
    }
}

impl Schema {
    /// The schema at the top of an object of `kind`. Unknown kinds still get
    /// `ObjectMeta`'s rules, since every object has metadata.
    pub fn for_kind(kind: &str) -> Self {
        match kind {
            "Pod" => Self::Pod,
            "Deployment"
            | "ReplicaSet"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicationController"
            | "Job" => Self::PodTemplateOwner,
            "CronJob" => Self::CronJob,
            "PodTemplate" => Self::PodTemplate,
            "Service" => Self::Service,
            "Node" => Self::Node,
            "ServiceAccount" => Self::ServiceAccount,
            "Namespace" | "PersistentVolumeClaim" | "HorizontalPodAutoscaler" => {
                Self::ConditionsOwner
            }
            "PodDisruptionBudget" => Self::PodDisruptionBudget,
            _ => Self::PlainObject,
        }
    }

    /// Metadata for the field `name` of a value at this position.
    pub fn field(self, name: &str) -> FieldMeta {
        use FieldMeta as F;
        use Schema as S;
        match (self, name) {
            (S::Opaque, _) => F::OPAQUE,
            (
                S::PlainObject
                | S::Pod
                | S::PodTemplateOwner
                | S::CronJob
                | S::PodTemplate
                | S::Service
                | S::Node
                | S::ServiceAccount
                | S::ConditionsOwner
                | S::PodDisruptionBudget
                | S::PodTemplateSpec
                | S::JobTemplateSpec,
                "metadata",
            ) => F::nested(S::ObjectMeta),
            (S::Pod, "spec") | (S::PodTemplateSpec, "spec") => F::nested(S::PodSpec),
            (S::Pod, "status") => F::nested(S::PodStatus),
            (S::PodTemplateOwner, "spec") => F::nested(S::TemplateOwnerSpec),
            (S::PodTemplateOwner, "status") => F::nested(S::ConditionsStatus),
            (S::CronJob, "spec") => F::nested(S::CronJobSpec),
            (S::PodTemplate, "template") => F::nested(S::PodTemplateSpec),
            (S::Service, "spec") => F::nested(S::ServiceSpec),
            (S::Service, "status") => F::nested(S::ConditionsStatus),
            (S::Node, "spec") => F::nested(S::NodeSpec),
            (S::Node, "status") => F::nested(S::NodeStatus),
            (S::ServiceAccount, "secrets") => F::merge_by("name", S::Opaque),
            (S::ConditionsOwner, "status") => F::nested(S::ConditionsStatus),
            (S::PodDisruptionBudget, "spec") => F::nested(S::PodDisruptionBudgetSpec),
            (S::PodDisruptionBudget, "status") => F::nested(S::ConditionsStatus),

            (S::ObjectMeta, "finalizers") => F::merge_primitives(),
            (S::ObjectMeta, "ownerReferences") => F::merge_by("uid", S::Opaque),

            (S::TemplateOwnerSpec, "template") => F::nested(S::PodTemplateSpec),
            (S::CronJobSpec, "jobTemplate") => F::nested(S::JobTemplateSpec),
            (S::JobTemplateSpec, "spec") => F::nested(S::TemplateOwnerSpec),

            (S::PodSpec, "containers" | "initContainers" | "ephemeralContainers") => {
                F::merge_by("name", S::Container)
            }
            (
                S::PodSpec,
                "volumes" | "imagePullSecrets" | "schedulingGates" | "resourceClaims"
                | "evictionResponders",
            ) => F::merge_by("name", S::Opaque),
            (S::PodSpec, "hostAliases") => F::merge_by("ip", S::Opaque),
            (S::PodSpec, "topologySpreadConstraints") => F::merge_by("topologyKey", S::Opaque),

            (S::Container, "ports") => F::merge_by("containerPort", S::Opaque),
            (S::Container, "env") => F::merge_by("name", S::Opaque),
            (S::Container, "volumeMounts") => F::merge_by("mountPath", S::Opaque),
            (S::Container, "volumeDevices") => F::merge_by("devicePath", S::Opaque),

            (S::PodStatus, "conditions") => F::merge_by("type", S::Opaque),
            (S::PodStatus, "podIPs" | "hostIPs") => F::merge_by("ip", S::Opaque),
            (S::PodStatus, "resourceClaimStatuses") => F::merge_by("name", S::Opaque),
            (S::PodStatus, "nodeAllocatableResourceClaimStatuses") => {
                F::merge_by("resourceClaimName", S::NodeAllocatableClaimStatus)
            }
            (S::NodeAllocatableClaimStatus, "mapping" | "overhead") => {
                F::merge_by("name", S::Opaque)
            }

            (S::ServiceSpec, "ports") => F::merge_by("port", S::Opaque),
            (S::NodeSpec, "podCIDRs") => F::merge_primitives(),
            (S::NodeStatus | S::ConditionsStatus, "conditions") => F::merge_by("type", S::Opaque),
            (S::NodeStatus, "addresses") => F::merge_by("type", S::Opaque),
            (S::PodDisruptionBudgetSpec, "selector") => FieldMeta {
                schema: S::Opaque,
                strategy: Strategy::ReplaceMap,
            },
            _ => F::OPAQUE,
        }
    }

    /// Follows a path of field names from this position.
    pub fn at(self, path: &[&str]) -> FieldMeta {
        path.iter().fold(FieldMeta::nested(self), |meta, name| {
            meta.schema.field(name)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::RESOURCES;

    fn key_at(kind: &str, path: &[&str]) -> Option<&'static str> {
        Schema::for_kind(kind).at(path).merge_key()
    }

    #[test]
    fn containers_merge_by_name_wherever_a_pod_spec_sits() {
        assert_eq!(key_at("Pod", &["spec", "containers"]), Some("name"));
        for kind in [
            "Deployment",
            "ReplicaSet",
            "StatefulSet",
            "DaemonSet",
            "Job",
        ] {
            assert_eq!(
                key_at(kind, &["spec", "template", "spec", "containers"]),
                Some("name"),
                "{kind}"
            );
            assert_eq!(
                key_at(kind, &["spec", "template", "spec", "initContainers"]),
                Some("name"),
                "{kind}"
            );
        }
        assert_eq!(
            key_at(
                "CronJob",
                &["spec", "jobTemplate", "spec", "template", "spec", "volumes"]
            ),
            Some("name")
        );
        assert_eq!(
            key_at("PodTemplate", &["template", "spec", "imagePullSecrets"]),
            Some("name")
        );
    }

    #[test]
    fn container_lists_merge_by_their_own_keys() {
        let c = ["spec", "template", "spec", "containers"];
        let field = |f: &'static str| {
            let mut p = c.to_vec();
            p.push(f);
            key_at("Deployment", &p)
        };
        assert_eq!(field("ports"), Some("containerPort"));
        assert_eq!(field("env"), Some("name"));
        assert_eq!(field("volumeMounts"), Some("mountPath"));
        assert_eq!(field("volumeDevices"), Some("devicePath"));
        assert!(!Schema::for_kind("Pod")
            .at(&["spec", "containers", "envFrom"])
            .merges_lists());
        assert!(!Schema::for_kind("Pod")
            .at(&["spec", "containers", "args"])
            .merges_lists());
    }

    #[test]
    fn atomic_pod_spec_lists_do_not_merge() {
        for field in ["tolerations", "readinessGates"] {
            assert!(
                !Schema::for_kind("Pod").at(&["spec", field]).merges_lists(),
                "{field}"
            );
        }
        assert!(!Schema::for_kind("Node")
            .at(&["spec", "taints"])
            .merges_lists());
        assert!(!Schema::for_kind("ServiceAccount")
            .at(&["imagePullSecrets"])
            .merges_lists());
        assert!(!Schema::for_kind("Endpoints")
            .at(&["subsets"])
            .merges_lists());
    }

    #[test]
    fn pod_spec_keys_other_than_name() {
        assert_eq!(key_at("Pod", &["spec", "hostAliases"]), Some("ip"));
        assert_eq!(
            key_at("Pod", &["spec", "topologySpreadConstraints"]),
            Some("topologyKey")
        );
        assert_eq!(key_at("Pod", &["spec", "schedulingGates"]), Some("name"));
        assert_eq!(key_at("Pod", &["spec", "resourceClaims"]), Some("name"));
        assert_eq!(key_at("Pod", &["status", "podIPs"]), Some("ip"));
    }

    #[test]
    fn metadata_rules_hold_for_every_served_kind() {
        for r in RESOURCES {
            let meta = Schema::for_kind(r.kind).at(&["metadata", "finalizers"]);
            assert_eq!(meta.strategy, Strategy::MergeList(None), "{}", r.kind);
            assert_eq!(
                key_at(r.kind, &["metadata", "ownerReferences"]),
                Some("uid"),
                "{}",
                r.kind
            );
            assert!(!Schema::for_kind(r.kind)
                .at(&["metadata", "managedFields"])
                .merges_lists());
        }
    }

    #[test]
    fn status_conditions_merge_by_type() {
        for kind in [
            "Pod",
            "Deployment",
            "ReplicaSet",
            "Service",
            "Node",
            "Namespace",
            "HorizontalPodAutoscaler",
        ] {
            assert_eq!(
                key_at(kind, &["status", "conditions"]),
                Some("type"),
                "{kind}"
            );
        }
        assert_eq!(key_at("Node", &["status", "addresses"]), Some("type"));
        assert_eq!(key_at("Lease", &["status", "conditions"]), None);
    }

    #[test]
    fn service_ports_merge_by_port_and_account_secrets_by_name() {
        assert_eq!(key_at("Service", &["spec", "ports"]), Some("port"));
        assert_eq!(key_at("ServiceAccount", &["secrets"]), Some("name"));
        assert_eq!(key_at("Ingress", &["spec", "rules"]), None);
    }

    #[test]
    fn node_pod_cidrs_merge_as_a_set() {
        assert_eq!(
            Schema::for_kind("Node").at(&["spec", "podCIDRs"]).strategy,
            Strategy::MergeList(None)
        );
    }

    #[test]
    fn budget_selector_is_replaced_whole() {
        assert_eq!(
            Schema::for_kind("PodDisruptionBudget")
                .at(&["spec", "selector"])
                .strategy,
            Strategy::ReplaceMap
        );
    }
}
