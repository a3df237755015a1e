//! The seed page's kubectl cheat sheet, run with the real kubectl v1.35 against
//! `kubeplay-agent run --embedded-control-plane --simulated-nodes 3 --no-local-node`, on the
//! seed's manifests, checking what kubectl prints as a user would see it.
//!
//! Without a cached kubectl (`cargo xtask kubectl`) the tests skip loudly; under `CI=true` they
//! fail.

use kubeplay_e2e::kubectl::{tools_or_skip, Cluster, Output};
use kubeplay_e2e::locate::workspace_root;
use std::path::Path;
use std::time::Duration;

/// Long enough for simulated image pulls, start-ups and rollouts at 1× cluster speed.
const CONVERGE: Duration = Duration::from_secs(120);

fn seed(file: &str) -> String {
    let path = workspace_root()
        .join("shared/tests/fixtures/seed")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(file), text).unwrap();
}

#[track_caller]
fn ok(out: &Output) -> &str {
    assert!(out.ok(), "kubectl failed:\n{out}");
    &out.stdout
}

#[track_caller]
fn until(cluster: &Cluster, args: &[&str], what: &str, done: impl Fn(&str) -> bool) -> String {
    match cluster.kubectl_until(args, CONVERGE, |o| o.ok() && done(&o.stdout)) {
        Ok(out) => out.stdout,
        Err(last) => panic!(
            "kubectl {}: never {what}; last:\n{last}\nagent log:\n{}",
            args.join(" "),
            cluster.log_text()
        ),
    }
}

/// Splits a table into rows of whitespace-separated cells.
fn rows(table: &str) -> Vec<Vec<&str>> {
    table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect()
}

/// The pods of `my-api` that are Running, from `kubectl get pods`.
fn running_pods(table: &str, prefix: &str) -> Vec<String> {
    rows(table)
        .iter()
        .filter(|r| {
            r.first().is_some_and(|n| n.starts_with(prefix)) && r.get(2) == Some(&"Running")
        })
        .map(|r| r[0].to_string())
        .collect()
}

#[test]
fn the_cheat_sheet_works_with_the_real_kubectl() {
    let Some(tools) = tools_or_skip("the_cheat_sheet_works_with_the_real_kubectl") else {
        return;
    };
    let cluster = Cluster::start(tools, "cheatsheet", 3).expect("the agent starts");

    // ===== CONTEXT =====
    let contexts = ok(&cluster.kubectl(&["config", "get-contexts"])).to_string();
    assert_eq!(
        contexts,
        "CURRENT   NAME       CLUSTER    AUTHINFO   NAMESPACE\n*         kubeplay   kubeplay   kubeplay   default\n"
    );
    assert_eq!(
        ok(&cluster.kubectl(&["config", "use-context", "kubeplay"])),
        "Switched to context \"kubeplay\".\n"
    );
    let version = ok(&cluster.kubectl(&["version"])).to_string();
    assert!(version.contains("Client Version: v1.35."), "{version}");
    assert!(version.contains("Server Version: v1.35."), "{version}");
    let nodes = until(&cluster, &["get", "nodes"], "3 Ready nodes", |t| {
        t.lines().filter(|l| l.contains(" Ready ")).count() == 3
    });
    assert!(
        nodes.starts_with("NAME     STATUS   ROLES    AGE   VERSION\n"),
        "{nodes}"
    );
    assert!(nodes.contains("node-1   Ready    <none>"), "{nodes}");

    // ===== APPLYING =====
    let k8s = cluster.home.join("k8s");
    write(&k8s, "deployment.yaml", &seed("deployment.yaml"));
    write(&k8s, "service.yaml", &seed("service.yaml"));
    assert_eq!(
        ok(&cluster.kubectl(&["apply", "-f", "k8s/deployment.yaml"])),
        "deployment.apps/my-api created\n"
    );
    assert_eq!(
        ok(&cluster.kubectl(&["apply", "-f", "k8s/service.yaml"])),
        "service/my-api-service created\n"
    );
    assert_eq!(
        ok(&cluster.kubectl(&["apply", "-f", "k8s/deployment.yaml"])),
        "deployment.apps/my-api unchanged\n"
    );
    let annotated = ok(&cluster.kubectl(&[
        "get",
        "deployment",
        "my-api",
        "-o",
        "jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}",
    ]))
    .to_string();
    let last_applied: serde_json::Value =
        serde_json::from_str(&annotated).expect("last-applied is JSON");
    assert_eq!(last_applied["spec"]["replicas"], 3);
    write(&k8s, "configmap.yaml", &seed("configmap.yaml"));
    write(&k8s, "secret.yaml", &seed("secret.yaml"));
    write(
        &k8s,
        "deployment.yaml",
        &seed("deployment.yaml").replace("replicas: 3", "replicas: 4"),
    );
    assert_eq!(
        ok(&cluster.kubectl(&["apply", "-f", "./k8s/"])),
        "configmap/app-config created\ndeployment.apps/my-api configured\nsecret/db-credentials created\nservice/my-api-service unchanged\n"
    );

    // Server-side apply, as `--server-side` (and helm) send it.
    write(&k8s, "ingress.yaml", &seed("ingress.yaml"));
    for _ in 0..2 {
        assert_eq!(
            ok(&cluster.kubectl(&["apply", "--server-side", "-f", "k8s/ingress.yaml"])),
            "ingress.networking.k8s.io/my-ingress serverside-applied\n"
        );
    }
    std::fs::remove_file(k8s.join("ingress.yaml")).unwrap();

    // ===== EXPLAIN =====
    let explained = ok(&cluster.kubectl(&["explain", "deployment.spec.replicas"])).to_string();
    assert!(
        explained.starts_with("GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\nFIELD: replicas <integer>\n"),
        "{explained}"
    );
    assert!(explained.contains("Number of desired pods."), "{explained}");

    // ===== VIEWING RESOURCES =====
    let pods = until(&cluster, &["get", "pods"], "4 Running my-api pods", |t| {
        running_pods(t, "my-api-").len() == 4
    });
    assert!(pods.starts_with("NAME "), "{pods}");
    assert_eq!(
        rows(&pods)[0],
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
        "{pods}"
    );
    let pod = running_pods(&pods, "my-api-")[0].clone();
    let wide = ok(&cluster.kubectl(&["get", "pods", "-o", "wide"])).to_string();
    assert_eq!(
        rows(&wide)[0],
        [
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE",
            "IP",
            "NODE",
            "NOMINATED",
            "NODE",
            "READINESS",
            "GATES"
        ],
        "{wide}"
    );
    assert!(wide.lines().skip(1).all(|l| l.contains(" node-")), "{wide}");
    let deployments = until(&cluster, &["get", "deployments"], "my-api 4/4", |t| {
        t.contains("my-api   4/4")
    });
    assert_eq!(
        rows(&deployments)[0],
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    );
    let services = ok(&cluster.kubectl(&["get", "services"])).to_string();
    assert_eq!(
        rows(&services)[0],
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE"
        ]
    );
    assert!(
        services.contains("my-api-service   ClusterIP"),
        "{services}"
    );
    assert!(services.contains("80/TCP"), "{services}");
    let all = ok(&cluster.kubectl(&["get", "all"])).to_string();
    for section in [
        "pod/my-api-",
        "service/kubernetes",
        "deployment.apps/my-api",
        "replicaset.apps/my-api-",
    ] {
        assert!(all.contains(section), "get all lacks {section}:\n{all}");
    }
    let labelled =
        ok(&cluster.kubectl(&["get", "pods", "-l", "app=my-api", "-o", "name"])).to_string();
    assert_eq!(labelled.lines().count(), 4, "{labelled}");
    assert!(
        labelled.lines().all(|l| l.starts_with("pod/my-api-")),
        "{labelled}"
    );
    let yaml = ok(&cluster.kubectl(&["get", "deployment", "my-api", "-o", "yaml"])).to_string();
    assert!(
        yaml.starts_with("apiVersion: apps/v1\nkind: Deployment\n"),
        "{yaml}"
    );
    assert!(yaml.contains("  replicas: 4\n"), "{yaml}");
    let json = ok(&cluster.kubectl(&["get", "pod", &pod, "-o", "json"])).to_string();
    let json: serde_json::Value = serde_json::from_str(&json).expect("-o json is JSON");
    assert_eq!(json["kind"], "Pod");
    assert_eq!(json["status"]["phase"], "Running");
    let image = ok(&cluster.kubectl(&[
        "get",
        "deployment",
        "my-api",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].image}",
    ]))
    .to_string();
    assert_eq!(image, "myapp:1.0");
    let everywhere = ok(&cluster.kubectl(&["get", "pods", "-A"])).to_string();
    assert_eq!(
        rows(&everywhere)[0],
        ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    );
    assert!(
        rows(&everywhere)[1..]
            .iter()
            .all(|r| r[0] == "default" && r[1].starts_with("my-api-")),
        "{everywhere}"
    );

    // ===== NAMESPACES =====
    let namespaces = ok(&cluster.kubectl(&["get", "namespaces"])).to_string();
    assert_eq!(rows(&namespaces)[0], ["NAME", "STATUS", "AGE"]);
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(
            namespaces
                .lines()
                .any(|l| l.starts_with(&format!("{ns} ")) && l.contains("Active")),
            "{namespaces}"
        );
    }
    assert_eq!(
        ok(&cluster.kubectl(&["create", "namespace", "production"])),
        "namespace/production created\n"
    );
    let empty = cluster.kubectl(&["-n", "production", "get", "pods"]);
    assert!(empty.ok(), "{empty}");
    assert_eq!(empty.stdout, "");
    assert_eq!(
        empty.stderr,
        "No resources found in production namespace.\n"
    );

    // ===== DETAILED INFO =====
    let described = ok(&cluster.kubectl(&["describe", "deployment", "my-api"])).to_string();
    assert!(
        described.starts_with("Name:                   my-api\nNamespace:              default\n"),
        "{described}"
    );
    assert!(
        described.contains(
            "Replicas:               4 desired | 4 updated | 4 total | 4 available | 0 unavailable"
        ),
        "{described}"
    );
    assert!(
        described.contains("StrategyType:           RollingUpdate"),
        "{described}"
    );
    assert!(
        described.contains("    Image:      myapp:1.0"),
        "{described}"
    );
    assert!(described.contains("ScalingReplicaSet"), "{described}");
    let described = ok(&cluster.kubectl(&["describe", "pod", &pod])).to_string();
    assert!(
        described.starts_with(&format!(
            "Name:             {pod}\nNamespace:        default\n"
        )),
        "{described}"
    );
    assert!(
        described.contains("Status:           Running"),
        "{described}"
    );
    assert!(described.contains("Node:             node-"), "{described}");
    assert!(described.contains("Events:"), "{described}");
    assert!(
        described.contains("Successfully assigned default/"),
        "{described}"
    );
    assert!(described.contains("Started container api"), "{described}");

    // ===== LOGS =====
    let logs = ok(&cluster.kubectl(&["logs", &pod])).to_string();
    assert!(logs.contains("Server listening on port 3000\n"), "{logs}");
    assert_eq!(ok(&cluster.kubectl(&["logs", &pod, "-c", "api"])), logs);
    let wrong = cluster.kubectl(&["logs", &pod, "-c", "nope"]);
    assert_eq!(wrong.code, Some(1), "{wrong}");
    assert_eq!(
        wrong.stderr,
        format!("error: container nope is not valid for pod {pod}\n")
    );
    // Traffic to the Service makes the pods log; a follow prints the new lines as they come.
    let mut follow = cluster.kubectl_streaming(&["logs", "-f", &pod]).unwrap();
    follow
        .wait_for_line(CONVERGE, |l| l.contains("Server listening on port 3000"))
        .expect("logs -f prints what is there");
    ok(&cluster.kubectl(&[
        "annotate",
        "service",
        "my-api-service",
        "kubeplay.dev/traffic-rps=20",
    ]));
    let line = follow
        .wait_for_line(CONVERGE, |l| l.starts_with("GET / 200"))
        .unwrap_or_else(|seen| panic!("no new line followed: {seen:?}"));
    assert!(line.contains("requests in the last"), "{line}");
    assert!(follow.is_running(), "logs -f ended by itself");
    follow.stop();

    // ===== WATCHING =====
    let mut watch = cluster.kubectl_streaming(&["get", "pods", "-w"]).unwrap();
    let header = watch.wait_for_line(CONVERGE, |_| true).unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    );
    watch
        .wait_for_line(CONVERGE, |l| {
            l.starts_with("my-api-") && l.contains("Running")
        })
        .expect("the current pods are listed");

    // ===== SCALING =====
    assert_eq!(
        ok(&cluster.kubectl(&["scale", "deployment", "my-api", "--replicas=5"])),
        "deployment.apps/my-api scaled\n"
    );
    watch
        .wait_for_line(CONVERGE, |l| {
            l.starts_with("my-api-") && l.contains("Pending")
        })
        .expect("the watch shows the new pod");
    assert!(watch.is_running(), "get -w ended by itself");
    watch.stop();
    until(&cluster, &["get", "deployments"], "my-api 5/5", |t| {
        t.contains("my-api   5/5")
    });

    // ===== ROLLOUTS =====
    assert_eq!(
        ok(&cluster.kubectl(&["set", "image", "deployment/my-api", "api=myapp:2.0"])),
        "deployment.apps/my-api image updated\n"
    );
    let status = ok(&cluster.kubectl(&[
        "rollout",
        "status",
        "deployment",
        "my-api",
        "--timeout=120s",
    ]))
    .to_string();
    assert!(
        status.ends_with("deployment \"my-api\" successfully rolled out\n"),
        "{status}"
    );
    let history = ok(&cluster.kubectl(&["rollout", "history", "deployment", "my-api"])).to_string();
    assert_eq!(
        history,
        "deployment.apps/my-api \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    );
    assert_eq!(
        ok(&cluster.kubectl(&["rollout", "undo", "deployment", "my-api"])),
        "deployment.apps/my-api rolled back\n"
    );
    until(
        &cluster,
        &[
            "get",
            "deployment",
            "my-api",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ],
        "back on myapp:1.0",
        |t| t == "myapp:1.0",
    );
    let status = ok(&cluster.kubectl(&[
        "rollout",
        "status",
        "deployment",
        "my-api",
        "--timeout=120s",
    ]))
    .to_string();
    assert!(
        status.ends_with("deployment \"my-api\" successfully rolled out\n"),
        "{status}"
    );

    // ===== AUTOSCALING AND METRICS =====
    assert_eq!(
        ok(&cluster.kubectl(&[
            "autoscale",
            "deployment",
            "my-api",
            "--cpu=70%",
            "--min=2",
            "--max=10"
        ])),
        "horizontalpodautoscaler.autoscaling/my-api autoscaled\n"
    );
    let hpa = ok(&cluster.kubectl(&["get", "hpa"])).to_string();
    assert_eq!(
        rows(&hpa)[0],
        [
            "NAME",
            "REFERENCE",
            "TARGETS",
            "MINPODS",
            "MAXPODS",
            "REPLICAS",
            "AGE"
        ]
    );
    assert!(hpa.contains("my-api   Deployment/my-api"), "{hpa}");
    let top = until(&cluster, &["top", "pods"], "pod metrics", |t| {
        t.contains("my-api-")
    });
    assert_eq!(
        rows(&top)[0],
        ["NAME", "CPU(cores)", "MEMORY(bytes)"],
        "{top}"
    );
    let top = until(&cluster, &["top", "nodes"], "node metrics", |t| {
        t.contains("node-1")
    });
    assert_eq!(
        rows(&top)[0],
        ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"],
        "{top}"
    );

    // ===== DELETING =====
    let standalone = seed("probes.yaml");
    write(&cluster.home, "probes.yaml", &standalone);
    assert_eq!(
        ok(&cluster.kubectl(&["apply", "-f", "probes.yaml"])),
        "pod/api-with-probes created\n"
    );
    until(
        &cluster,
        &["get", "pod", "api-with-probes"],
        "Running",
        |t| t.contains("Running"),
    );
    let deleted = ok(&cluster.kubectl(&["delete", "pod", "api-with-probes"])).to_string();
    assert_eq!(
        deleted,
        "pod \"api-with-probes\" deleted from default namespace\n"
    );
    let gone = cluster.kubectl(&["get", "pod", "api-with-probes"]);
    assert_eq!(gone.code, Some(1));
    assert_eq!(
        gone.stderr,
        "Error from server (NotFound): pods \"api-with-probes\" not found\n"
    );
    let deleted = ok(&cluster.kubectl(&["delete", "-f", "k8s/deployment.yaml"])).to_string();
    assert_eq!(
        deleted,
        "deployment.apps \"my-api\" deleted from default namespace\n"
    );
    until(
        &cluster,
        &["get", "pods", "-l", "app=my-api", "-o", "name"],
        "the pods gone",
        str::is_empty,
    );
}

#[test]
fn an_invalid_manifest_is_refused_with_the_field_path_and_changes_nothing() {
    let Some(tools) =
        tools_or_skip("an_invalid_manifest_is_refused_with_the_field_path_and_changes_nothing")
    else {
        return;
    };
    let cluster = Cluster::start(tools, "invalid", 1).expect("the agent starts");
    let bad = seed("deployment.yaml").replace("replicas: 3", "replicas: -1");
    write(&cluster.home, "bad.yaml", &bad);
    let out = cluster.kubectl(&["apply", "-f", "bad.yaml"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(
        out.stderr,
        "The Deployment \"my-api\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0\n"
    );
    let typo = seed("deployment.yaml").replace("replicas: 3", "replica: 3");
    write(&cluster.home, "typo.yaml", &typo);
    let out = cluster.kubectl(&["apply", "-f", "typo.yaml"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(
        out.stderr,
        "Error from server (BadRequest): error when creating \"typo.yaml\": Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.replica\"\n"
    );
    let out = cluster.kubectl(&["get", "deployments"]);
    assert!(out.ok(), "{out}");
    assert_eq!(out.stderr, "No resources found in default namespace.\n");
}

#[test]
fn a_wrong_token_is_told_to_log_in() {
    let Some(tools) = tools_or_skip("a_wrong_token_is_told_to_log_in") else {
        return;
    };
    let cluster = Cluster::start(tools, "token", 0).expect("the agent starts");
    let kubeconfig = std::fs::read_to_string(&cluster.kubeconfig).unwrap();
    assert!(
        !kubeconfig.contains(&format!(
            "@{}",
            cluster.server.trim_start_matches("https://")
        )) && kubeconfig.contains("certificate-authority-data: "),
        "{kubeconfig}"
    );
    let out = cluster.kubectl(&["--token", "not-the-token-0123456789", "get", "pods"]);
    assert_eq!(out.code, Some(1), "{out}");
    // As with a real cluster and kubectl v1.35: discovery's complaints, then kubectl's verdict
    // (older kubectl said "(Unauthorized)"; v1.35 reports discovery's 401 in its own words).
    assert_eq!(
        out.stderr.lines().last(),
        Some("error: You must be logged in to the server (the server has asked for the client to provide credentials)"),
        "{out}"
    );
    let out = cluster.kubectl(&["get", "pods"]);
    assert!(out.ok(), "the right token still works:\n{out}");
}

#[test]
fn plain_http_is_refused_with_the_way_to_https() {
    let Some(tools) = tools_or_skip("plain_http_is_refused_with_the_way_to_https") else {
        return;
    };
    let cluster = Cluster::start(tools, "plain", 0).expect("the agent starts");
    let plain = cluster.server.replace("https://", "http://");
    let out = cluster.kubectl(&["--server", &plain, "get", "pods"]);
    assert_eq!(out.code, Some(1), "{out}");
    let host = plain.trim_start_matches("http://");
    let message = format!("the kubeplay-agent serves the Kubernetes API over HTTPS only: use https://{host} with the kubeconfig `kubeplay-agent kubeconfig` writes");
    assert_eq!(
        out.stderr.lines().last(),
        Some(format!("Error from server (Forbidden): {message}").as_str()),
        "{out}"
    );
}

#[test]
fn helm_installs_a_local_chart() {
    let Some(tools) = tools_or_skip("helm_installs_a_local_chart") else {
        return;
    };
    let cluster = Cluster::start(tools, "helm", 2).expect("the agent starts");
    let chart = workspace_root().join("tests/fixtures/charts/hello");
    let chart = chart.to_string_lossy();
    let out = cluster.helm(&["install", "hello", &chart]);
    assert!(
        out.ok(),
        "helm install failed:\n{out}\nagent log:\n{}",
        cluster.log_text()
    );
    assert!(out.stdout.starts_with("NAME: hello\n"), "{out}");
    assert!(out.stdout.contains("NAMESPACE: default\n"), "{out}");
    assert!(out.stdout.contains("STATUS: deployed\n"), "{out}");
    assert!(out.stdout.contains("REVISION: 1\n"), "{out}");
    let list = cluster.helm(&["list"]);
    assert!(list.ok(), "{list}");
    let release = list.stdout.lines().nth(1).unwrap_or_default().to_string();
    assert!(release.starts_with("hello"), "{list}");
    assert!(
        release.contains("deployed") && release.contains("hello-0.1.0"),
        "{list}"
    );
    until(
        &cluster,
        &["get", "deployment", "hello"],
        "2/2 ready",
        |t| t.contains("hello   2/2"),
    );
    let greeting = ok(&cluster.kubectl(&[
        "get",
        "configmap",
        "hello-config",
        "-o",
        "jsonpath={.data.GREETING}",
    ]))
    .to_string();
    assert_eq!(greeting, "Hello from Helm");
    let out = cluster.helm(&["uninstall", "hello"]);
    assert!(out.ok(), "{out}");
    assert_eq!(out.stdout, "release \"hello\" uninstalled\n");
    until(
        &cluster,
        &["get", "deployments", "-o", "name"],
        "the release's objects gone",
        str::is_empty,
    );
}
