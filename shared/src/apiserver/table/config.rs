//! Tables for ConfigMaps and Secrets: how many keys each holds, never the
//! values, so `kubectl get secrets` leaks nothing.

use super::descriptions as doc;
use super::duration::since;
use super::fields::{map_len, str_at, time};
use super::{Column, Printer, Row, Rows};
use crate::api::meta;
use jiff::Timestamp;
use serde_json::Value;

pub(super) const CONFIG_MAP: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string("Data", doc::CM_DATA),
        Column::age(),
    ],
    rows: Rows::Each(config_map_row),
};

pub(super) const SECRET: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string("Type", doc::SECRET_TYPE),
        Column::string("Data", doc::SECRET_DATA),
        Column::age(),
    ],
    rows: Rows::Each(secret_row),
};

fn config_map_row(cm: &Value, now: Timestamp) -> Row {
    let keys = map_len(cm, "/data") + map_len(cm, "/binaryData");
    Row::new(vec![
        meta::name(cm).into(),
        keys.into(),
        since(time(cm, "/metadata/creationTimestamp"), now).into(),
    ])
}

fn secret_row(secret: &Value, now: Timestamp) -> Row {
    Row::new(vec![
        meta::name(secret).into(),
        str_at(secret, "/type").into(),
        map_len(secret, "/data").into(),
        since(time(secret, "/metadata/creationTimestamp"), now).into(),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use serde_json::json;

    #[test]
    fn config_map_counts_data_and_binary_data() {
        let cm = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "app-config", "creationTimestamp": ago(3600 * 50)},
            "data": {"APP_MODE": "prod", "LOG_LEVEL": "info"},
            "binaryData": {"logo.png": "iVBORw0KGgo="},
        });
        assert_eq!(cells(&cm), json!(["app-config", 3, "2d2h"]));
        assert_eq!(
            headers(&cm),
            expect_headers(&[
                ("Name", "string", 0),
                ("Data", "string", 0),
                ("Age", "string", 0)
            ])
        );
        let empty = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "e", "creationTimestamp": ago(1)}});
        assert_eq!(cells(&empty), json!(["e", 0, "1s"]));
    }

    #[test]
    fn secret_shows_type_and_key_count() {
        let secret = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db-credentials", "creationTimestamp": ago(600)},
            "type": "Opaque",
            "data": {"username": "YWRtaW4=", "password": "czNjcjN0"},
        });
        assert_eq!(
            cells(&secret),
            json!(["db-credentials", "Opaque", 2, "10m"])
        );
        let tls = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls"}, "type": "kubernetes.io/tls",
                         "data": {"tls.crt": "", "tls.key": ""}});
        assert_eq!(
            cells(&tls),
            json!(["tls", "kubernetes.io/tls", 2, "<unknown>"])
        );
    }
}
