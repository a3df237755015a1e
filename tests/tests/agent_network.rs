//! Services on a real agent under the whole control plane: a client pod reaches
//! `my-api-service` by each of its DNS names and gets answers from every replica, a replica
//! that turns unready stops getting connections, and the node port answers on the machine.
//! Services whose pods run on several agents' machines are `agent_lan`'s.
//!
//! Cluster IPs and cluster DNS need the privileges the network module doc lists; the agent
//! logs when it runs without them, and then this test cannot pass.

use kubeplay_e2e::agent::binary::agent_binary;
use kubeplay_e2e::agent::cluster::Cluster;
use kubeplay_e2e::agent::docker::{demo_images_or_skip, engine_or_skip, remove_pods};
use kubeplay_e2e::agent::traffic::{
    answering, answering_at, client, exec, http_get_host, pinned, pod_uids, READY_CHECK,
};
use kubeplay_e2e::agent::{AgentOptions, AgentProcess};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

const START_LIMIT: Duration = Duration::from_secs(180);
const REPLICAS: usize = 3;

/// One test at a time: agents of different clusters on one machine share the cluster DNS
/// address (`SO_REUSEPORT`), so a query could reach the other test's agent, which knows
/// nothing of this test's Services (agents of one cluster all know the same Services).
static ONE_CLUSTER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn my_api_pods(c: &Cluster) -> Vec<Value> {
    c.list("", "v1", "pods", "default")
        .into_iter()
        .filter(|p| {
            p["metadata"]["labels"]["app"] == "my-api"
                && p["metadata"]["deletionTimestamp"].is_null()
        })
        .collect()
}

fn ready(p: &Value) -> bool {
    p["status"]["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

fn name(p: &Value) -> String {
    p["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_pod_reaches_every_ready_replica_by_each_dns_name_and_the_node_port_answers() {
    let test =
        "a_client_pod_reaches_every_ready_replica_by_each_dns_name_and_the_node_port_answers";
    let _alone = ONE_CLUSTER_AT_A_TIME.lock().await;
    let Some(docker) = engine_or_skip(test).await else {
        return;
    };
    if !demo_images_or_skip(&docker, test, &["myapp:1.0"]).await {
        return;
    }
    let agent =
        AgentProcess::start(&agent_binary().unwrap(), &AgentOptions::new("e2e-services")).unwrap();
    let mut cluster = Cluster::connect(&agent.url, &agent.token).await.unwrap();
    cluster
        .create("deployments", json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "my-api", "namespace": "default"},
            "spec": {
                "replicas": REPLICAS,
                "selector": {"matchLabels": {"app": "my-api"}},
                "template": {
                    "metadata": {"labels": {"app": "my-api"}},
                    "spec": {
                        "terminationGracePeriodSeconds": 1,
                        "containers": [{
                            "name": "my-api", "image": "myapp:1.0", "imagePullPolicy": "IfNotPresent",
                            "ports": [{"containerPort": 3000}],
                            // Ready until the test marks a pod unready.
                            "readinessProbe": {"exec": {"command": ["sh", "-c", READY_CHECK]}, "periodSeconds": 1},
                        }],
                    },
                },
            },
        }))
        .unwrap();
    cluster
        .create("services", json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "my-api-service", "namespace": "default"},
            "spec": {"type": "LoadBalancer", "selector": {"app": "my-api"}, "ports": [{"port": 80, "targetPort": 3000}]},
        }))
        .unwrap();
    cluster.create("pods", client("client", None)).unwrap();
    let replicas = cluster
        .wait_for(
            "three ready replicas and a running client",
            START_LIMIT,
            |c| {
                let pods = my_api_pods(c);
                let client_running = c
                    .get("pods", "default", "client")
                    .is_some_and(|p| p["status"]["phase"] == "Running");
                (pods.len() == REPLICAS && pods.iter().all(ready) && client_running)
                    .then(|| pods.iter().map(name).collect::<BTreeSet<_>>())
            },
        )
        .await
        .unwrap();

    for url in [
        "http://my-api-service/",
        "http://my-api-service.default/",
        "http://my-api-service.default.svc.cluster.local/",
    ] {
        assert_eq!(
            answering(&mut cluster, "client", url, 2 * REPLICAS).await,
            replicas,
            "{url}: every replica answers"
        );
    }
    // busybox's own resolver sees the same record.
    let cluster_ip = cluster
        .get("services", "default", "my-api-service")
        .unwrap()["spec"]["clusterIP"]
        .as_str()
        .unwrap()
        .to_string();
    let answer = exec(
        &mut cluster,
        "client",
        "client",
        &[
            "sh",
            "-c",
            "nslookup -type=a my-api-service.default.svc.cluster.local 2>&1; true",
        ],
    )
    .await
    .unwrap();
    assert_eq!(resolved(&answer), [cluster_ip], "{answer}");
    let resolv = exec(
        &mut cluster,
        "client",
        "client",
        &["cat", "/etc/resolv.conf"],
    )
    .await
    .unwrap();
    assert!(resolv.contains("nameserver 10.96.0.10"), "{resolv}");
    assert!(
        resolv.contains("search default.svc.cluster.local svc.cluster.local cluster.local"),
        "{resolv}"
    );
    let missing = exec(
        &mut cluster,
        "client",
        "client",
        &[
            "sh",
            "-c",
            "nslookup -type=a no-such-service.default.svc.cluster.local 2>&1; true",
        ],
    )
    .await
    .unwrap();
    assert!(
        missing.contains("can't find no-such-service.default.svc.cluster.local: NXDOMAIN")
            && resolved(&missing).is_empty(),
        "an unknown Service does not resolve: {missing}"
    );

    // The node port answers on this machine, from every replica.
    let service = cluster
        .get("services", "default", "my-api-service")
        .unwrap();
    let node_port = service["spec"]["ports"][0]["nodePort"].as_u64().unwrap();
    let seen = answering_at(&format!("127.0.0.1:{node_port}"), 2 * REPLICAS).await;
    assert_eq!(seen, replicas, "the node port reaches every replica");

    // This machine allows the LoadBalancer pool, so the external IP answers too, and the Node
    // says so for the UI.
    let node = cluster.get("nodes", "", "e2e-services").unwrap();
    assert_eq!(
        node["metadata"]["labels"]["kubeplay.dev/load-balancer-ips"], "true",
        "{node}"
    );
    let external_ip = cluster
        .wait_for("an external IP", Duration::from_secs(30), |c| {
            let svc = c.get("services", "default", "my-api-service")?;
            svc["status"]["loadBalancer"]["ingress"][0]["ip"]
                .as_str()
                .map(str::to_string)
        })
        .await
        .unwrap();
    cluster
        .wait_for(
            "the agent to get the external IP",
            Duration::from_secs(30),
            |c| {
                let routes = c.services_sent.as_ref()?;
                routes
                    .iter()
                    .any(|r| r.name == "my-api-service" && r.external_ips == [external_ip.clone()])
                    .then_some(())
            },
        )
        .await
        .unwrap();
    let seen = answering_at(&format!("{external_ip}:80"), 2 * REPLICAS).await;
    assert_eq!(seen, replicas, "the external IP reaches every replica");

    // One replica turns unready: once its Endpoints say so, it gets no new connections.
    let leaving = replicas.iter().next().unwrap().clone();
    exec(&mut cluster, &leaving, "my-api", &["touch", "/tmp/unready"])
        .await
        .unwrap();
    cluster
        .wait_for(
            "the replica to leave the Endpoints",
            Duration::from_secs(60),
            |c| {
                let ep = c.get("endpoints", "default", "my-api-service")?;
                let ready: Vec<&str> = ep["subsets"][0]["addresses"]
                    .as_array()?
                    .iter()
                    .filter_map(|a| a["targetRef"]["name"].as_str())
                    .collect();
                (ready.len() == REPLICAS - 1 && !ready.contains(&leaving.as_str())).then_some(())
            },
        )
        .await
        .unwrap();
    // The agent applies a syncServices before any message sent after it, such as the execs below.
    cluster
        .wait_for(
            "the Services without it to go to the agent",
            Duration::from_secs(30),
            |c| {
                let endpoints = c.endpoints_sent("my-api-service")?;
                (endpoints.len() == REPLICAS - 1).then_some(())
            },
        )
        .await
        .unwrap();
    let staying: BTreeSet<String> = replicas
        .iter()
        .filter(|n| **n != leaving)
        .cloned()
        .collect();
    let seen = answering(
        &mut cluster,
        "client",
        "http://my-api-service/",
        3 * REPLICAS,
    )
    .await;
    assert_eq!(seen, staying, "the unready replica gets no new connections");

    let uids = pod_uids(&cluster);
    let refs: Vec<&str> = uids.iter().map(String::as_str).collect();
    drop(agent);
    remove_pods(&docker, &refs).await;
}

/// The addresses in the answer section of busybox `nslookup`'s output (after the server's).
fn resolved(output: &str) -> Vec<String> {
    output
        .split("Name:")
        .skip(1)
        .flat_map(|answer| {
            answer
                .lines()
                .filter_map(|l| l.strip_prefix("Address: "))
                .map(|a| a.trim().to_string())
        })
        .collect()
}

/// The agent as the ingress controller of class `kubeplay`: HTTP on its ingress port is routed
/// by Host and path (Exact before Prefix) to the Services' ready pods, and a request no rule
/// takes gets a 404 from the controller itself.
#[tokio::test(flavor = "multi_thread")]
async fn the_agent_routes_ingress_http_by_host_and_path() {
    let test = "the_agent_routes_ingress_http_by_host_and_path";
    let _alone = ONE_CLUSTER_AT_A_TIME.lock().await;
    let Some(docker) = engine_or_skip(test).await else {
        return;
    };
    if !demo_images_or_skip(&docker, test, &["myapp:1.0", "myapp:2.0"]).await {
        return;
    }
    let node = "e2e-ingress";
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut options = AgentOptions::new(node);
    options.extra_args = vec!["--ingress-port".into(), port.to_string()];
    let agent = AgentProcess::start(&agent_binary().unwrap(), &options).unwrap();
    let mut cluster = Cluster::connect(&agent.url, &agent.token).await.unwrap();
    let mut web = pinned("web", "web", node);
    web["spec"]["containers"][0]["image"] = json!("myapp:2.0");
    cluster
        .create("pods", pinned("my-api", "my-api", node))
        .unwrap();
    cluster.create("pods", web).unwrap();
    for (name, app) in [("my-api-service", "my-api"), ("web-service", "web")] {
        cluster
            .create(
                "services",
                json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"selector": {"app": app}, "ports": [{"port": 80, "targetPort": 3000}]}}),
            )
            .unwrap();
    }
    let backend = |service: &str| json!({"service": {"name": service, "port": {"number": 80}}});
    cluster
        .create("ingresses", json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "myapp", "namespace": "default"},
            "spec": {"ingressClassName": "kubeplay", "rules": [
                {"host": "api.myapp.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend("my-api-service")}]}},
                {"host": "www.myapp.com", "http": {"paths": [
                    {"path": "/version", "pathType": "Exact", "backend": backend("web-service")},
                    {"path": "/", "pathType": "Prefix", "backend": backend("my-api-service")}]}},
            ]},
        }))
        .unwrap();
    cluster
        .wait_for(
            "both Services' pods in the agent's Services",
            START_LIMIT,
            |c| {
                let ready = |name: &str| c.endpoints_sent(name).is_some_and(|e| !e.is_empty());
                (ready("my-api-service") && ready("web-service")).then_some(())
            },
        )
        .await
        .unwrap();

    let address = format!("127.0.0.1:{port}");
    let (status, body) = http_get_host(&address, "api.myapp.com", "/").await;
    assert_eq!(
        (status, body.as_str()),
        (200, "Hello from myapp 1.0 on my-api\n")
    );
    assert_eq!(
        http_get_host(&address, "api.myapp.com", "/version").await,
        (200, "1.0\n".to_string())
    );
    assert_eq!(
        http_get_host(&address, "www.myapp.com", "/version").await,
        (200, "2.0\n".to_string()),
        "Exact takes /version"
    );
    let (status, body) = http_get_host(&address, "www.myapp.com", "/version/").await;
    assert_eq!(status, 404);
    assert!(
        body.starts_with("no route for /version/"),
        "Exact does not take /version/, the Prefix rule's myapp 1.0 answers: {body}"
    );
    assert_eq!(
        http_get_host(&address, "other.com", "/").await,
        (404, "404 page not found\n".to_string()),
        "no rule for the host"
    );

    let uids = pod_uids(&cluster);
    let refs: Vec<&str> = uids.iter().map(String::as_str).collect();
    drop(agent);
    remove_pods(&docker, &refs).await;
}
