//! Score plugins: each ranks the feasible nodes 0–100 by one preference; the
//! framework adds them up with Kubernetes' default weights.

pub mod balanced_allocation;
pub mod inter_pod_affinity;
pub mod least_allocated;
pub mod node_affinity;
pub mod spread;
pub mod taint_toleration;
