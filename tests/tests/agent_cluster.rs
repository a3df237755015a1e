//! The agent under a whole Kubeplay control plane (API server, scheduler, controllers and the
//! node link, as the browser tab runs them): the node registers with this machine's facts, a
//! pod created in the API is scheduled onto it, runs in Docker with its ConfigMap and Secret
//! env, and reports Running back into the API.

use kubeplay_e2e::agent::binary::agent_binary;
use kubeplay_e2e::agent::cluster::Cluster;
use kubeplay_e2e::agent::docker::{engine_or_skip, ensure_busybox_image, remove_pods};
use kubeplay_e2e::agent::pods::unique_uid;
use kubeplay_e2e::agent::{AgentOptions, AgentProcess};
use kubeplay_shared::node_protocol::StreamOpen;
use serde_json::json;
use std::time::Duration;

const START_LIMIT: Duration = Duration::from_secs(180);

#[tokio::test(flavor = "multi_thread")]
async fn a_pod_created_in_the_control_plane_runs_on_the_agent_with_its_configmap_and_secret() {
    let Some(docker) = engine_or_skip(
        "a_pod_created_in_the_control_plane_runs_on_the_agent_with_its_configmap_and_secret",
    )
    .await
    else {
        return;
    };
    let image = ensure_busybox_image(&docker).await.unwrap();
    let agent =
        AgentProcess::start(&agent_binary().unwrap(), &AgentOptions::new("e2e-cluster")).unwrap();
    let mut cluster = Cluster::connect(&agent.url, &agent.token).await.unwrap();

    let node = cluster
        .wait_for("the Node to be Ready", Duration::from_secs(30), |c| {
            c.get("nodes", "", "e2e-cluster").filter(|n| {
                n["status"]["conditions"].as_array().is_some_and(|cs| {
                    cs.iter()
                        .any(|c| c["type"] == "Ready" && c["status"] == "True")
                })
            })
        })
        .await
        .unwrap();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let mem_kib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    assert_eq!(node["status"]["capacity"]["memory"], format!("{mem_kib}Ki"));
    assert!(node["status"]["nodeInfo"]["containerRuntimeVersion"]
        .as_str()
        .unwrap()
        .starts_with("docker://"));

    cluster
        .create("configmaps", json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config", "namespace": "default"},
                                     "data": {"GREETING": "hello from the control plane"}}))
        .unwrap();
    cluster
        .create("secrets", json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "web-secret", "namespace": "default"},
                                  "type": "Opaque", "stringData": {"API_KEY": "k3y"}}))
        .unwrap();
    let name = unique_uid("web").replace('_', "-");
    let pod = cluster
        .create("pods", json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {
                "terminationGracePeriodSeconds": 1,
                "containers": [{
                    "name": "web", "image": image, "imagePullPolicy": "IfNotPresent", "command": ["sleep", "3600"],
                    "envFrom": [{"configMapRef": {"name": "web-config"}}],
                    "env": [{"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "web-secret", "key": "API_KEY"}}}],
                }],
            },
        }))
        .unwrap();
    let uid = pod["metadata"]["uid"].as_str().unwrap().to_string();

    let running = cluster
        .wait_for("the pod to be Running in the API", START_LIMIT, |c| {
            c.get("pods", "default", &name)
                .filter(|p| p["status"]["phase"] == "Running")
        })
        .await
        .unwrap();
    assert_eq!(
        running["spec"]["nodeName"], "e2e-cluster",
        "the scheduler bound it to the agent's node"
    );
    assert!(running["status"]["containerStatuses"][0]["containerID"]
        .as_str()
        .unwrap()
        .starts_with("docker://"));

    let exec = StreamOpen::Exec {
        namespace: "default".into(),
        pod: name.clone(),
        container: "web".into(),
        command: vec!["env".into()],
        stdin: false,
        tty: false,
    };
    let id = cluster.open(exec).await.unwrap();
    let output = cluster
        .wait_for("exec env to end", Duration::from_secs(30), |c| {
            c.streams.get(&id).filter(|o| o.closed.is_some()).cloned()
        })
        .await
        .unwrap();
    let env = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.closed.unwrap().exit_code, Some(0));
    for expected in ["GREETING=hello from the control plane", "API_KEY=k3y"] {
        assert!(
            env.lines().any(|l| l == expected),
            "{expected:?} not in:\n{env}"
        );
    }
    remove_pods(&docker, &[&uid]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deployment_becomes_ready_on_the_agent_and_its_pods_go_when_it_is_deleted() {
    let Some(docker) = engine_or_skip(
        "a_deployment_becomes_ready_on_the_agent_and_its_pods_go_when_it_is_deleted",
    )
    .await
    else {
        return;
    };
    let image = ensure_busybox_image(&docker).await.unwrap();
    let agent =
        AgentProcess::start(&agent_binary().unwrap(), &AgentOptions::new("e2e-deploy")).unwrap();
    let mut cluster = Cluster::connect(&agent.url, &agent.token).await.unwrap();
    cluster
        .create("deployments", json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "terminationGracePeriodSeconds": 1,
                        "containers": [{
                            "name": "web", "image": image, "imagePullPolicy": "IfNotPresent",
                            "command": ["sh", "-c", "echo ok > /tmp/index.html && exec httpd -f -p 8080 -h /tmp"],
                            "readinessProbe": {"httpGet": {"path": "/index.html", "port": 8080}, "periodSeconds": 1},
                        }],
                    },
                },
            },
        }))
        .unwrap();
    cluster
        .wait_for("both replicas to be ready", START_LIMIT, |c| {
            c.get_in("apps", "v1", "deployments", "default", "web")
                .filter(|d| d["status"]["readyReplicas"] == 2)
        })
        .await
        .unwrap();
    let uids: Vec<String> = cluster
        .list("", "v1", "pods", "default")
        .iter()
        .filter(|p| p["metadata"]["labels"]["app"] == "web")
        .map(|p| p["metadata"]["uid"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(uids.len(), 2);
    for uid in &uids {
        let containers = kubeplay_e2e::agent::docker::pod_containers(&docker, uid)
            .await
            .unwrap();
        assert_eq!(
            containers.iter().filter(|c| c.running).count(),
            2,
            "infra and app container run for pod {uid}"
        );
    }

    cluster
        .delete("apps", "v1", "deployments", "default", "web")
        .unwrap();
    cluster
        .wait_for(
            "the pods to be gone from the API",
            Duration::from_secs(90),
            |c| {
                c.list("", "v1", "pods", "default")
                    .iter()
                    .all(|p| p["metadata"]["labels"]["app"] != "web")
                    .then_some(())
            },
        )
        .await
        .unwrap();
    for uid in &uids {
        let left = kubeplay_e2e::agent::docker::pod_containers(&docker, uid)
            .await
            .unwrap();
        assert!(
            left.is_empty(),
            "pod {uid} left containers behind: {left:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_reports_pod_and_node_usage_for_kubectl_top() {
    use kubeplay_shared::node_link::LinkConfig;
    let Some(docker) = engine_or_skip("the_agent_reports_pod_and_node_usage_for_kubectl_top").await
    else {
        return;
    };
    let image = ensure_busybox_image(&docker).await.unwrap();
    let agent =
        AgentProcess::start(&agent_binary().unwrap(), &AgentOptions::new("e2e-top")).unwrap();
    let config = LinkConfig {
        metrics_seconds: 1,
        ..LinkConfig::default()
    };
    let mut cluster = Cluster::connect_with(&agent.url, &agent.token, config)
        .await
        .unwrap();
    let pod = cluster
        .create(
            "pods",
            json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "busy", "namespace": "default"},
                "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
                    "name": "spin", "image": image, "imagePullPolicy": "IfNotPresent",
                    "command": ["sh", "-c", "while true; do :; done"],
                }]},
            }),
        )
        .unwrap();
    let uid = pod["metadata"]["uid"].as_str().unwrap().to_string();
    let metrics = cluster
        .wait_for("PodMetrics for the pod", START_LIMIT, |c| {
            c.get_in("metrics.k8s.io", "v1beta1", "pods", "default", "busy")
        })
        .await
        .unwrap();
    assert_eq!(metrics["containers"][0]["name"], "spin");
    assert!(
        metrics["containers"][0]["usage"]["cpu"].is_string(),
        "{metrics}"
    );
    let node = cluster
        .wait_for("NodeMetrics for the node", Duration::from_secs(30), |c| {
            c.get_in("metrics.k8s.io", "v1beta1", "nodes", "", "e2e-top")
        })
        .await
        .unwrap();
    let memory = node["usage"]["memory"].as_str().unwrap_or_default();
    assert!(
        !memory.is_empty() && !memory.starts_with('0'),
        "the machine uses some memory: {node}"
    );
    remove_pods(&docker, &[&uid]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seed_pages_myapp_rolls_from_1_0_to_2_0_on_the_agent() {
    use kubeplay_e2e::agent::docker::demo_images_or_skip;
    let test = "the_seed_pages_myapp_rolls_from_1_0_to_2_0_on_the_agent";
    let Some(docker) = engine_or_skip(test).await else {
        return;
    };
    if !demo_images_or_skip(&docker, test, &["myapp:1.0", "myapp:2.0"]).await {
        return;
    }
    let agent =
        AgentProcess::start(&agent_binary().unwrap(), &AgentOptions::new("e2e-myapp")).unwrap();
    let mut cluster = Cluster::connect(&agent.url, &agent.token).await.unwrap();
    cluster
        .create("deployments", json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "myapp", "namespace": "default"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "myapp"}},
                "template": {
                    "metadata": {"labels": {"app": "myapp"}},
                    "spec": {
                        "terminationGracePeriodSeconds": 5,
                        "containers": [{
                            "name": "myapp", "image": "myapp:1.0", "imagePullPolicy": "IfNotPresent",
                            "ports": [{"containerPort": 3000}],
                            "readinessProbe": {"httpGet": {"path": "/ready", "port": 3000}, "periodSeconds": 1},
                            "livenessProbe": {"httpGet": {"path": "/health", "port": 3000}, "periodSeconds": 5},
                        }],
                    },
                },
            },
        }))
        .unwrap();
    let ready_on = |c: &Cluster, image: &str| {
        let pods: Vec<_> = c
            .list("", "v1", "pods", "default")
            .into_iter()
            .filter(|p| p["metadata"]["labels"]["app"] == "myapp")
            .collect();
        let all_ready = pods.len() == 2
            && pods.iter().all(|p| {
                p["spec"]["containers"][0]["image"] == image
                    && p["status"]["containerStatuses"][0]["ready"] == true
                    && p["metadata"]["deletionTimestamp"].is_null()
            });
        all_ready.then(|| {
            pods[0]["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
    };
    cluster
        .wait_for("two ready myapp:1.0 pods", START_LIMIT, |c| {
            ready_on(c, "myapp:1.0")
        })
        .await
        .unwrap();

    cluster
        .update(("apps", "v1", "deployments"), "default", "myapp", |d| {
            d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("myapp:2.0");
        })
        .unwrap();
    let pod = cluster
        .wait_for(
            "the rollout to two ready myapp:2.0 pods",
            START_LIMIT,
            |c| ready_on(c, "myapp:2.0"),
        )
        .await
        .unwrap();
    let exec = StreamOpen::Exec {
        namespace: "default".into(),
        pod,
        container: "myapp".into(),
        command: ["wget", "-q", "-O-", "http://127.0.0.1:3000/version"]
            .map(String::from)
            .to_vec(),
        stdin: false,
        tty: false,
    };
    let id = cluster.open(exec).await.unwrap();
    let output = cluster
        .wait_for("wget to end", Duration::from_secs(30), |c| {
            c.streams.get(&id).filter(|o| o.closed.is_some()).cloned()
        })
        .await
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "2.0");

    let uids: Vec<String> = cluster
        .list("", "v1", "pods", "default")
        .iter()
        .map(|p| {
            p["metadata"]["uid"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    let refs: Vec<&str> = uids.iter().map(String::as_str).collect();
    remove_pods(&docker, &refs).await;
}
