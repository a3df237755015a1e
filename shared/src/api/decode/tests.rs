//! Decoding bodies as the API server does: round trips, strictness and Go-worded errors.

use super::*;
use crate::api::resources::by_kind;
use crate::api::RESOURCES;
use crate::apiserver::Reason;
use serde_json::json;

fn deployments() -> &'static Resource {
    by_kind("Deployment").unwrap()
}

fn seed_deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "my-api"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "my-api"}},
            "template": {
                "metadata": {"labels": {"app": "my-api"}},
                "spec": {"containers": [{
                    "name": "api",
                    "image": "myapp:1.0",
                    "ports": [{"containerPort": 3000}],
                    "env": [{"name": "DATABASE_URL", "value": "postgres://user:pass@db-service:5432/mydb"}],
                    "resources": {
                        "requests": {"memory": "128Mi", "cpu": "100m"},
                        "limits": {"memory": "256Mi", "cpu": "500m"}
                    }
                }]}
            }
        }
    })
}

fn body(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

fn decode_str(
    resource: &Resource,
    text: &str,
    validation: FieldValidation,
) -> Result<Decoded, DecodeError> {
    decode(resource, text.as_bytes(), validation)
}

#[test]
fn seed_deployment_round_trips_unchanged() {
    let d = seed_deployment();
    let decoded = decode(deployments(), &body(&d), FieldValidation::Strict).unwrap();
    assert_eq!(decoded.object, d);
    assert!(decoded.warnings.is_empty());
}

#[test]
fn strict_refuses_a_typo_naming_its_path() {
    let text = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"},
        "spec":{"replica":3,"selector":{},"template":{}}}"#;
    let err = decode_str(deployments(), text, FieldValidation::Strict).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"strict decoding error: unknown field "spec.replica""#
    );
    let status = ApiError::from(err).to_status();
    assert_eq!(status["code"], 400);
    assert_eq!(status["reason"], "BadRequest");
}

#[test]
fn strict_lists_every_unknown_field_in_document_order() {
    let text = r#"{"spec":{"replica":3,"foo":1,"template":{"spec":{"containers":[
        {"name":"a","image":"i"},{"name":"b","imagePullPolcy":"Always"}]}}},"zzz":1,"aaa":2}"#;
    let err = decode_str(deployments(), text, FieldValidation::Strict).unwrap_err();
    assert_eq!(
        err.to_string(),
        concat!(
            r#"strict decoding error: unknown field "spec.replica", unknown field "spec.foo", "#,
            r#"unknown field "spec.template.spec.containers[1].imagePullPolcy", "#,
            r#"unknown field "zzz", unknown field "aaa""#
        )
    );
}

#[test]
fn warn_reports_unknown_fields_and_drops_them() {
    let mut d = seed_deployment();
    d["spec"]["replica"] = json!(3);
    let decoded = decode(deployments(), &body(&d), FieldValidation::Warn).unwrap();
    assert_eq!(decoded.warnings, [r#"unknown field "spec.replica""#]);
    assert_eq!(decoded.object, seed_deployment());
}

#[test]
fn ignore_drops_unknown_fields_silently() {
    let mut d = seed_deployment();
    d["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = json!("Always");
    let decoded = decode(deployments(), &body(&d), FieldValidation::Ignore).unwrap();
    assert!(decoded.warnings.is_empty());
    assert_eq!(decoded.object, seed_deployment());
}

#[test]
fn duplicate_fields_are_strict_errors_and_the_last_value_wins_otherwise() {
    let text = r#"{"metadata":{"name":"x","labels":{"a":"1","a":"2"}},"spec":{"replicas":1,"replicas":2}}"#;
    let err = decode_str(deployments(), text, FieldValidation::Strict).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"strict decoding error: duplicate field "metadata.labels.a", duplicate field "spec.replicas""#
    );
    let decoded = decode_str(deployments(), text, FieldValidation::Warn).unwrap();
    assert_eq!(decoded.warnings.len(), 2);
    assert_eq!(decoded.object["spec"]["replicas"], 2);
    assert_eq!(decoded.object["metadata"]["labels"]["a"], "2");
}

#[test]
fn a_string_for_an_integer_is_refused_naming_the_field() {
    let mut d = seed_deployment();
    d["spec"]["replicas"] = json!("three");
    let err = decode(deployments(), &body(&d), FieldValidation::Strict).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string \
         into Go struct field DeploymentSpec.spec.replicas of type int32"
    );
}

#[test]
fn type_errors_win_over_strict_errors() {
    let text = r#"{"spec":{"foo":1,"replicas":"three"}}"#;
    let err = decode_str(deployments(), text, FieldValidation::Strict).unwrap_err();
    assert!(matches!(err, DecodeError::CannotHandle { .. }), "{err}");
}

#[test]
fn fractions_and_overflow_are_refused_with_the_number() {
    let text = r#"{"spec":{"replicas":3.5}}"#;
    let err = decode_str(deployments(), text, FieldValidation::Strict).unwrap_err();
    assert!(err.to_string().ends_with("cannot unmarshal number 3.5 into Go struct field DeploymentSpec.spec.replicas of type int32"), "{err}");
    let text = r#"{"spec":{"replicas":3000000000}}"#;
    let err = decode_str(deployments(), text, FieldValidation::Strict).unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot unmarshal number 3000000000 into"),
        "{err}"
    );
}

#[test]
fn nested_type_errors_name_the_innermost_struct_and_skip_indices() {
    let mut d = seed_deployment();
    d["spec"]["template"]["spec"]["containers"][0]["image"] = json!(5);
    let err = decode(deployments(), &body(&d), FieldValidation::Strict).unwrap_err();
    assert!(
        err.to_string().ends_with(
            "json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.image of type string"
        ),
        "{err}"
    );
    d["spec"]["template"]["spec"]["containers"] = json!({"name": "api"});
    let err = decode(deployments(), &body(&d), FieldValidation::Strict).unwrap_err();
    assert!(
        err.to_string().ends_with(
            "cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container"
        ),
        "{err}"
    );
}

#[test]
fn map_values_of_the_wrong_type_name_the_map_field() {
    let text = r#"{"metadata":{"name":"x","labels":{"app":7}}}"#;
    let err = decode_str(deployments(), text, FieldValidation::Strict).unwrap_err();
    assert!(
        err.to_string().ends_with("cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"),
        "{err}"
    );
}

#[test]
fn malformed_json_is_unrecognized() {
    let err = decode_str(deployments(), r#"{"spec": "#, FieldValidation::Strict).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the object provided is unrecognized (must be of type Deployment): couldn't get version/kind; \
         json parse error: unexpected end of JSON input ({\"spec\": )"
    );
    let err = decode_str(deployments(), r#"{"spec" 1}"#, FieldValidation::Strict).unwrap_err();
    assert!(
        err.to_string()
            .contains("invalid character '1' after object key"),
        "{err}"
    );
    let err = decode_str(deployments(), "xyz", FieldValidation::Strict).unwrap_err();
    assert!(
        err.to_string()
            .contains("invalid character 'x' looking for beginning of value (78797a)"),
        "{err}"
    );
    let err = decode_str(deployments(), r#"{"spec": nul}"#, FieldValidation::Strict).unwrap_err();
    assert!(
        err.to_string()
            .contains("invalid character '}' in literal null (expecting 'l')"),
        "{err}"
    );
    let err = decode(deployments(), b"", FieldValidation::Strict).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("unexpected end of JSON input (<empty>)"),
        "{err}"
    );
}

#[test]
fn a_body_that_is_not_an_object_is_unrecognized() {
    let err = decode_str(deployments(), "[1]", FieldValidation::Strict).unwrap_err();
    assert!(
        err.to_string()
            .contains("json: cannot unmarshal array into Go value of type struct {"),
        "{err}"
    );
}

#[test]
fn every_served_kind_decodes_a_minimal_object() {
    for r in RESOURCES {
        let v = json!({"apiVersion": r.api_version(), "kind": r.kind, "metadata": {"name": "x"}});
        let decoded = decode(r, &body(&v), FieldValidation::Strict)
            .unwrap_or_else(|e| panic!("{} {}: {e}", r.api_version(), r.kind));
        assert_eq!(decoded.object["kind"], r.kind);
        assert_eq!(decoded.object["apiVersion"], r.api_version());
        assert_eq!(decoded.object["metadata"]["name"], "x");
        // A typed form exists for every kind: an unknown field is caught.
        let mut bad = v.clone();
        bad["bogus"] = json!(1);
        let err = decode(r, &body(&bad), FieldValidation::Strict).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"strict decoding error: unknown field "bogus""#,
            "{}",
            r.kind
        );
    }
}

#[test]
fn missing_api_version_and_kind_are_taken_from_the_endpoint() {
    let decoded = decode_str(
        deployments(),
        r#"{"metadata":{"name":"x"}}"#,
        FieldValidation::Strict,
    )
    .unwrap();
    assert_eq!(decoded.object["apiVersion"], "apps/v1");
    assert_eq!(decoded.object["kind"], "Deployment");
}

#[test]
fn a_body_of_another_kind_is_refused() {
    let pods = by_kind("Pod").unwrap();
    let err = decode_str(
        pods,
        r#"{"apiVersion":"v1","kind":"Service"}"#,
        FieldValidation::Strict,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Service in version \"v1\" cannot be handled as a Pod: converting (v1.Service) to (core.Pod): unknown conversion"
    );
    let err = decode_str(
        deployments(),
        r#"{"apiVersion":"apps/v1beta1","kind":"Deployment"}"#,
        FieldValidation::Strict,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains(r#"no kind "Deployment" is registered for version "apps/v1beta1""#),
        "{err}"
    );
}

#[test]
fn int_or_string_and_quantities_are_kept_as_given() {
    let svc = by_kind("Service").unwrap();
    let v = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
        "spec": {"ports": [{"port": 80, "targetPort": "http"}, {"port": 81, "targetPort": 8081}]}});
    assert_eq!(
        decode(svc, &body(&v), FieldValidation::Strict)
            .unwrap()
            .object,
        v
    );

    let mut d = seed_deployment();
    d["spec"]["strategy"] =
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}});
    d["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = json!("0.5");
    assert_eq!(
        decode(deployments(), &body(&d), FieldValidation::Strict)
            .unwrap()
            .object,
        d
    );
}

#[test]
fn numeric_quantities_become_strings() {
    let mut d = seed_deployment();
    d["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = json!(1);
    let decoded = decode(deployments(), &body(&d), FieldValidation::Strict).unwrap();
    assert_eq!(
        decoded.object["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"],
        "1"
    );
}

#[test]
fn nulls_and_empty_optional_lists_and_maps_are_dropped_as_go_drops_them() {
    let mut d = seed_deployment();
    d["metadata"]["creationTimestamp"] = Value::Null;
    d["metadata"]["annotations"] = json!({});
    d["spec"]["template"]["metadata"]["creationTimestamp"] = Value::Null;
    d["spec"]["template"]["spec"]["containers"][0]["args"] = json!([]);
    d["spec"]["template"]["spec"]["containers"][0]["command"] = Value::Null;
    let decoded = decode(deployments(), &body(&d), FieldValidation::Strict).unwrap();
    assert_eq!(decoded.object, seed_deployment());
}

#[test]
fn empty_structs_and_required_lists_are_kept() {
    let pods = by_kind("Pod").unwrap();
    let v = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [], "securityContext": {}}, "status": {}});
    assert_eq!(
        decode(pods, &body(&v), FieldValidation::Strict)
            .unwrap()
            .object,
        v
    );
}

#[test]
fn endpoint_slice_keeps_an_empty_ports_list() {
    let slices = by_kind("EndpointSlice").unwrap();
    let v = json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "e"},
        "addressType": "IPv4", "endpoints": [], "ports": []});
    assert_eq!(
        decode(slices, &body(&v), FieldValidation::Strict)
            .unwrap()
            .object,
        v
    );
}

#[test]
fn secret_data_must_be_base64() {
    let secrets = by_kind("Secret").unwrap();
    let ok = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "aGVsbG8="}});
    assert_eq!(
        decode(secrets, &body(&ok), FieldValidation::Strict)
            .unwrap()
            .object,
        ok
    );
    let bad = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "he$llo=="}});
    let err = decode(secrets, &body(&bad), FieldValidation::Strict).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 2"
    );
}

#[test]
fn timestamps_are_checked_as_go_checks_them() {
    let text = r#"{"metadata":{"name":"x","creationTimestamp":"yesterday"}}"#;
    let err = decode_str(deployments(), text, FieldValidation::Strict).unwrap_err();
    assert!(err.to_string().ends_with(r#"parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006""#), "{err}");
    let text = r#"{"metadata":{"name":"x","creationTimestamp":"2024-05-01T10:00:00Z"}}"#;
    let decoded = decode_str(deployments(), text, FieldValidation::Strict).unwrap();
    assert_eq!(
        decoded.object["metadata"]["creationTimestamp"],
        "2024-05-01T10:00:00Z"
    );
}

#[test]
fn decode_value_checks_unknown_fields_too() {
    let mut d = seed_deployment();
    d["spec"]["replica"] = json!(3);
    let err = decode_value(deployments(), &d, FieldValidation::Strict).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"strict decoding error: unknown field "spec.replica""#
    );
}

#[test]
fn to_typed_reads_with_go_worded_errors() {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
    let s: LabelSelector = to_typed(&json!({"matchLabels": {"app": "web"}})).unwrap();
    assert_eq!(s.match_labels.unwrap()["app"], "web");
    let err = to_typed::<LabelSelector>(&json!({"matchLabels": ["app"]})).unwrap_err();
    assert!(err.to_string().contains("cannot unmarshal array into Go struct field LabelSelector.matchLabels of type map[string]string"), "{err}");
}

#[test]
fn field_validation_parses_the_query_values() {
    assert_eq!(
        FieldValidation::parse("Strict"),
        Some(FieldValidation::Strict)
    );
    assert_eq!(FieldValidation::parse("Warn"), Some(FieldValidation::Warn));
    assert_eq!(
        FieldValidation::parse("Ignore"),
        Some(FieldValidation::Ignore)
    );
    assert_eq!(FieldValidation::parse(""), Some(FieldValidation::Warn));
    assert_eq!(FieldValidation::parse("strict"), None);
}

#[test]
fn decode_errors_are_bad_requests() {
    let err = ApiError::from(DecodeError::Strict(vec![r#"unknown field "x""#.into()]));
    assert_eq!(err.reason, Reason::BadRequest);
}
