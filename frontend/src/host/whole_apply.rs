//! The editor's apply: a file is applied whole or not at all.
//!
//! `kubectl apply -f` sends a file's documents one by one, so a file whose second document
//! is invalid leaves the first one applied. The page promises that nothing is half-applied
//! from its editor, so every document is first sent as a server-side dry run (`dryRun=All`:
//! defaulting, validation and admission, no store write), and only when all pass is the file
//! applied for real, through the same client-side apply as kubectl. One dependency is known
//! ahead: an object in a Namespace that an earlier document of the same file creates cannot
//! pass a dry run (the Namespace is not there yet), so that one `NotFound` counts as passed.
//!
//! Errors point at their line: where the API names a field only in its message (Go's
//! `cannot unmarshal … into Go struct field DeploymentSpec.spec.replicas`), that field is
//! looked up in the source, and a document-level error points at its document's first line.

use crate::protocol::ApplyReport;
use kubeplay_shared::apiserver::request::Method;
use kubeplay_shared::manifest::apply::DocumentOutcome;
use kubeplay_shared::manifest::{self, parse_documents};
use kubeplay_shared::{ApiServer, Request, Timestamp};

/// What a document that passed the dry run says when another one did not.
pub const NOT_APPLIED: &str = "not applied: the file has errors";

/// Checks every document of `source`, then applies them all or none; `file` names the source
/// in kubectl's messages.
pub fn apply(
    api: &mut ApiServer,
    source: &str,
    namespace: &str,
    file: &str,
    now: Timestamp,
) -> ApplyReport {
    let mut dry_run = |req: &Request| api.handle(&as_dry_run(req), now);
    let checked = manifest::apply::apply_with(&mut dry_run, source, namespace);
    let failed = match &checked {
        Err(_) => true,
        Ok(outcomes) => outcomes
            .iter()
            .enumerate()
            .any(|(i, o)| o.result.is_err() && !awaits_own_namespace(o, &outcomes[..i])),
    };
    if !failed {
        let outcome = manifest::apply::apply(api, source, namespace, now);
        return locate(ApplyReport::from_outcome(outcome, file), source);
    }
    let mut report = ApplyReport::from_outcome(checked, file);
    for doc in report.documents.iter_mut().filter(|d| d.error.is_none()) {
        doc.applied = None;
        doc.summary = format!("{} {NOT_APPLIED}", doc.object);
    }
    locate(report, source)
}

/// Whether `outcome` failed only because its Namespace does not exist yet, while an earlier
/// document of the file, which passed, creates it.
fn awaits_own_namespace(outcome: &DocumentOutcome, earlier: &[DocumentOutcome]) -> bool {
    let Err(failure) = &outcome.result else {
        return false;
    };
    let Some(status) = &failure.status else {
        return false;
    };
    let missing = (status["reason"] == "NotFound" && status["details"]["kind"] == "namespaces")
        .then(|| status["details"]["name"].as_str())
        .flatten();
    missing.is_some_and(|name| {
        let namespace = format!("namespace/{name}");
        earlier
            .iter()
            .any(|o| o.result.is_ok() && o.object == namespace)
    })
}

/// The same request as a dry run; reads go as they are.
fn as_dry_run(req: &Request) -> Request {
    let mut req = req.clone();
    if req.method != Method::Get {
        req.query = if req.query.is_empty() {
            "dryRun=All".into()
        } else {
            format!("{}&dryRun=All", req.query)
        };
    }
    req
}

/// Points errors at their field where the API names it only in its message (the core's
/// apply then points at the document), and errors without a place at their document's start.
fn locate(mut report: ApplyReport, source: &str) -> ApplyReport {
    let Ok(documents) = parse_documents(source) else {
        return report;
    };
    for doc_report in &mut report.documents {
        let Some(error) = doc_report.error.as_mut() else {
            continue;
        };
        let Some(doc) = documents.iter().find(|d| d.index == doc_report.document) else {
            continue;
        };
        let position = match go_struct_field(&error.message) {
            Some(field) => doc.position_of(&field),
            None if error.line == 0 => Some(doc.start),
            None => None,
        };
        if let Some(position) = position {
            error.line = position.line;
            error.column = position.column;
        }
    }
    report
}

/// `spec.replicas` from Go's `… into Go struct field DeploymentSpec.spec.replicas of type int32`.
fn go_struct_field(message: &str) -> Option<String> {
    let rest = message.split_once("Go struct field ")?.1;
    let qualified = rest.split_whitespace().next()?;
    qualified
        .split_once('.')
        .map(|(_, field)| field.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Timestamp {
        "2026-01-01T12:00:00Z".parse().unwrap()
    }

    const CONFIGMAP: &str =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n  A: b\n";
    const DEPLOYMENT: &str = include_str!("../../../shared/tests/fixtures/seed/deployment.yaml");

    fn get(api: &mut ApiServer, path: &str) -> u16 {
        api.handle(&Request::get(path), t0()).status()
    }

    #[test]
    fn a_valid_file_is_applied_whole() {
        let mut api = ApiServer::new(1, t0());
        let source = format!("{CONFIGMAP}---\n{DEPLOYMENT}");
        let report = apply(&mut api, &source, "default", "app.yaml", t0());
        assert_eq!(
            report.lines(),
            [
                "configmap/app-config created",
                "deployment.apps/my-api created"
            ]
        );
        assert!(report.all_applied());
        assert_eq!(
            get(&mut api, "/api/v1/namespaces/default/configmaps/app-config"),
            200
        );
        let again = apply(&mut api, &source, "default", "app.yaml", t0());
        assert_eq!(
            again.lines(),
            [
                "configmap/app-config unchanged",
                "deployment.apps/my-api unchanged"
            ]
        );
    }

    #[test]
    fn an_invalid_second_document_leaves_the_first_unapplied() {
        let mut api = ApiServer::new(1, t0());
        let before = api.store().revision();
        let broken = DEPLOYMENT.replace("replicas: 3 #", "replicas: -1 #");
        let source = format!("{CONFIGMAP}---\n{broken}");
        let report = apply(&mut api, &source, "default", "app.yaml", t0());
        assert!(!report.all_applied());
        assert_eq!(
            report.documents[0].summary,
            "configmap/app-config not applied: the file has errors"
        );
        assert_eq!(report.documents[0].applied, None);
        let error = report.documents[1]
            .error
            .clone()
            .expect("the deployment's error");
        assert_eq!(
            error.message,
            "The Deployment \"my-api\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
        // The configmap has 6 lines and the separator one; replicas is the deployment's line 7.
        assert_eq!((error.line, error.column), (14, 3));
        assert_eq!(api.store().revision(), before, "nothing was written");
        assert_eq!(
            get(&mut api, "/api/v1/namespaces/default/configmaps/app-config"),
            404
        );
    }

    #[test]
    fn a_string_for_replicas_points_at_the_replicas_line() {
        let mut api = ApiServer::new(1, t0());
        let source = DEPLOYMENT.replace("replicas: 3 #", "replicas: three #");
        let report = apply(&mut api, &source, "default", "k8s/deployment.yaml", t0());
        let error = report.documents[0].error.clone().expect("an error");
        assert!(
            error
                .message
                .contains("Go struct field DeploymentSpec.spec.replicas of type int32"),
            "{}",
            error.message
        );
        assert_eq!(error.line, 7, "{error:?}");
        assert_eq!(
            get(
                &mut api,
                "/apis/apps/v1/namespaces/default/deployments/my-api"
            ),
            404
        );
    }

    #[test]
    fn a_syntax_error_applies_nothing_and_names_the_file() {
        let mut api = ApiServer::new(1, t0());
        let before = api.store().revision();
        let source = format!(
            "{CONFIGMAP}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: x\n   bad: indent\n"
        );
        let report = apply(&mut api, &source, "default", "k8s/bad.yaml", t0());
        let error = report.syntax_error.expect("a syntax error");
        assert!(
            error.message.starts_with(
                "error parsing k8s/bad.yaml: error converting YAML to JSON: yaml: line"
            ),
            "{}",
            error.message
        );
        assert!(error.line >= 11, "{error:?}");
        assert_eq!(api.store().revision(), before);
    }

    #[test]
    fn a_namespace_and_what_goes_in_it_apply_from_one_file() {
        let mut api = ApiServer::new(1, t0());
        let namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: production\n";
        let config = CONFIGMAP.replace(
            "  name: app-config\n",
            "  name: app-config\n  namespace: production\n",
        );
        let source = format!("{namespace}---\n{config}");
        let report = apply(&mut api, &source, "default", "prod.yaml", t0());
        assert_eq!(
            report.lines(),
            [
                "namespace/production created",
                "configmap/app-config created"
            ]
        );
        assert_eq!(
            get(
                &mut api,
                "/api/v1/namespaces/production/configmaps/app-config"
            ),
            200
        );
        // Without the Namespace document the same ConfigMap is refused, and nothing is written.
        let elsewhere = config.replace("namespace: production", "namespace: staging");
        let report = apply(&mut api, &elsewhere, "default", "staging.yaml", t0());
        let error = report.documents[0].error.clone().expect("an error");
        assert_eq!(error.message, "namespaces \"staging\" not found");
        assert_eq!(
            get(&mut api, "/api/v1/namespaces/staging/configmaps/app-config"),
            404
        );
    }

    #[test]
    fn bad_indentation_points_at_the_line_that_breaks() {
        let mut api = ApiServer::new(1, t0());
        let source = DEPLOYMENT.replace(
            "      - name: api\n",
            "      - name: api\n         oops: 1\n",
        );
        let report = apply(&mut api, &source, "default", "k8s/deployment.yaml", t0());
        let error = report.syntax_error.expect("a syntax error");
        assert_eq!(error.line, 18, "{error:?}");
    }

    #[test]
    fn a_document_level_error_points_at_its_first_line() {
        let mut api = ApiServer::new(1, t0());
        let source =
            format!("{CONFIGMAP}---\napiVersion: v1\nkind: Widget\nmetadata:\n  name: w\n");
        let report = apply(&mut api, &source, "default", "w.yaml", t0());
        let error = report.documents[1].error.clone().expect("an error");
        assert!(
            error.message.contains("no matches for kind \"Widget\""),
            "{}",
            error.message
        );
        assert_eq!(error.line, 9, "{error:?}");
    }

    #[test]
    fn the_worker_answers_apply_whole_calls_from_json() {
        use crate::host::engine::Engine;
        use crate::protocol::{decode, Call, Reply};
        let json = serde_json::json!({
            "call": "applyWhole", "yaml": DEPLOYMENT, "namespace": "default", "file": "k8s/deployment.yaml",
        });
        let call: Call = decode(&json.to_string()).unwrap();
        let mut engine = Engine::new(1, t0());
        let Reply::Applied { report } = engine.handle(call, t0()) else {
            panic!("not an apply report")
        };
        assert_eq!(report.lines(), ["deployment.apps/my-api created"]);
    }

    #[test]
    fn go_field_names_lose_their_struct() {
        let message = "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32";
        assert_eq!(go_struct_field(message).as_deref(), Some("spec.replicas"));
        assert_eq!(go_struct_field("something else"), None);
    }
}
