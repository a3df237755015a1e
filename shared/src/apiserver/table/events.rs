//! The Event table (`LAST SEEN TYPE REASON OBJECT MESSAGE`), for core/v1 and
//! events.k8s.io/v1 Events alike, as Kubernetes serves both from one store.

use super::descriptions as doc;
use super::duration::since;
use super::fields::{int_at, opt_int, str_at, time};
use super::{Column, Printer, Row, Rows};
use crate::api::meta;
use jiff::Timestamp;
use serde_json::Value;

pub(super) const PRINTER: Printer = Printer {
    columns: &[
        Column::string("Last Seen", doc::EV_LASTTIMESTAMP),
        Column::string("Type", doc::EV_TYPE),
        Column::string("Reason", doc::EV_REASON),
        Column::string("Object", doc::EV_INVOLVEDOBJECT),
        Column::string("Subobject", doc::EV_FIELDPATH).wide(),
        Column::string("Source", doc::EV_SOURCE).wide(),
        Column::string("Message", doc::EV_MESSAGE),
        Column::string("First Seen", doc::EV_FIRSTTIMESTAMP).wide(),
        Column::string("Count", doc::EV_COUNT).wide(),
        Column::name().wide(),
    ],
    rows: Rows::Each(row),
};

/// Where each core/v1 field lives in the object's own API version.
struct Layout {
    involved: &'static str,
    message: &'static str,
    first: &'static str,
    last: &'static str,
    count: &'static str,
    source_component: &'static str,
    source_host: &'static str,
    reporting_controller: &'static str,
}

const CORE: Layout = Layout {
    involved: "/involvedObject",
    message: "/message",
    first: "/firstTimestamp",
    last: "/lastTimestamp",
    count: "/count",
    source_component: "/source/component",
    source_host: "/source/host",
    reporting_controller: "/reportingComponent",
};

const EVENTS_V1: Layout = Layout {
    involved: "/regarding",
    message: "/note",
    first: "/deprecatedFirstTimestamp",
    last: "/deprecatedLastTimestamp",
    count: "/deprecatedCount",
    source_component: "/deprecatedSource/component",
    source_host: "/deprecatedSource/host",
    reporting_controller: "/reportingController",
};

fn row(ev: &Value, now: Timestamp) -> Row {
    let f = if meta::api_version(ev) == "events.k8s.io/v1" {
        &EVENTS_V1
    } else {
        &CORE
    };

    let first_seen = match time(ev, f.first) {
        Some(t) => since(Some(t), now),
        None => since(time(ev, "/eventTime"), now),
    };
    let mut last_seen = match time(ev, f.last) {
        Some(t) => since(Some(t), now),
        None => first_seen.clone(),
    };
    let count = if ev.pointer("/series").is_some_and(Value::is_object) {
        last_seen = since(time(ev, "/series/lastObservedTime"), now);
        int_at(ev, "/series/count")
    } else {
        // Singleton events from the new API carry no count.
        opt_int(ev, f.count).filter(|c| *c != 0).unwrap_or(1)
    };

    let kind = str_at(ev, &format!("{}/kind", f.involved)).to_lowercase();
    let target = match str_at(ev, &format!("{}/name", f.involved)) {
        "" => kind,
        name => format!("{kind}/{name}"),
    };

    Row::new(vec![
        last_seen.into(),
        str_at(ev, "/type").into(),
        str_at(ev, "/reason").into(),
        target.into(),
        str_at(ev, &format!("{}/fieldPath", f.involved)).into(),
        source(ev, f).into(),
        str_at(ev, f.message).trim().into(),
        first_seen.into(),
        count.into(),
        meta::name(ev).into(),
    ])
}

/// `kubelet, node-1`: the reporting component, then the host if known.
fn source(ev: &Value, f: &Layout) -> String {
    let first_set = |a: &str, b: &str| {
        let a = str_at(ev, a);
        if a.is_empty() {
            str_at(ev, b).to_string()
        } else {
            a.to_string()
        }
    };
    let component = first_set(f.source_component, f.reporting_controller);
    let instance = first_set(f.source_host, "/reportingInstance");
    if instance.is_empty() {
        component
    } else {
        format!("{component}, {instance}")
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use serde_json::json;

    #[test]
    fn repeated_core_event() {
        let ev = json!({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "web-7d4b9c-x2x9z.17c8a1f0", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "web-7d4b9c-x2x9z", "fieldPath": "spec.containers{app}"},
            "reason": "BackOff", "type": "Warning",
            "message": "Back-off restarting failed container app in pod web-7d4b9c-x2x9z\n",
            "source": {"component": "kubelet", "host": "node-1"},
            "firstTimestamp": ago(300), "lastTimestamp": ago(20), "count": 3,
        });
        assert_eq!(
            cells(&ev),
            json!([
                "20s",
                "Warning",
                "BackOff",
                "pod/web-7d4b9c-x2x9z",
                "spec.containers{app}",
                "kubelet, node-1",
                "Back-off restarting failed container app in pod web-7d4b9c-x2x9z",
                "5m",
                3,
                "web-7d4b9c-x2x9z.17c8a1f0"
            ])
        );
        assert_eq!(
            headers(&ev),
            expect_headers(&[
                ("Last Seen", "string", 0),
                ("Type", "string", 0),
                ("Reason", "string", 0),
                ("Object", "string", 0),
                ("Subobject", "string", 1),
                ("Source", "string", 1),
                ("Message", "string", 0),
                ("First Seen", "string", 1),
                ("Count", "string", 1),
                ("Name", "string", 1),
            ])
        );
    }

    #[test]
    fn event_with_only_event_time_and_series() {
        let ev = json!({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "e1"},
            "involvedObject": {"kind": "Node"},
            "reason": "Rebooted", "type": "Normal", "message": "rebooted",
            "eventTime": "2025-06-01T11:50:00.000000Z",
            "reportingComponent": "kubelet", "reportingInstance": "node-2",
            "series": {"count": 4, "lastObservedTime": "2025-06-01T11:59:00.123456Z"},
        });
        let c = cells(&ev);
        assert_eq!(c[0], "59s");
        assert_eq!(c[3], "node");
        assert_eq!(c[5], "kubelet, node-2");
        assert_eq!(c[7], "10m");
        assert_eq!(c[8], 4);
    }

    #[test]
    fn singleton_event_counts_one_and_reuses_first_seen() {
        let ev = json!({
            "apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"},
            "involvedObject": {"kind": "Deployment", "name": "my-api"},
            "reason": "ScalingReplicaSet", "type": "Normal",
            "message": "Scaled up replica set my-api-5d8f7b9c4 from 0 to 3",
            "source": {"component": "deployment-controller"}, "firstTimestamp": ago(150),
        });
        assert_eq!(
            cells(&ev),
            json!([
                "2m30s",
                "Normal",
                "ScalingReplicaSet",
                "deployment/my-api",
                "",
                "deployment-controller",
                "Scaled up replica set my-api-5d8f7b9c4 from 0 to 3",
                "2m30s",
                1,
                "e"
            ])
        );
    }

}
