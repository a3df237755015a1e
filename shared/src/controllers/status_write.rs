//! Writing an object's status subresource, the one write every controller
//! makes the same way: through `/status`, with default options.

use crate::api::Resource;
use crate::apiserver::{ApiServer, WriteOptions};
use crate::store::ObjectName;
use jiff::Timestamp;
use serde_json::Value;

/// Replaces the status of `name` with `updated`'s; true if the API took it
/// (a conflict or a vanished object leaves it to the next pass).
pub(crate) fn write_status(
    api: &mut ApiServer,
    resource: &'static Resource,
    name: &ObjectName,
    updated: Value,
    now: Timestamp,
) -> bool {
    api.update(
        resource,
        &name.namespace,
        &name.name,
        updated,
        Some("status"),
        now,
        WriteOptions::default(),
    )
    .is_ok()
}
