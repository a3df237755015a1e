//! Pods on the real agent and the real Docker engine, driven through the node protocol: a pod's
//! containers share localhost, env comes from ConfigMaps and Secrets, exec and logs stream back.
//!
//! Each test runs its own agent as its own node; agents on one engine leave each other's pods
//! alone, so the tests run side by side.

use kubeplay_e2e::agent::binary::agent_binary;
use kubeplay_e2e::agent::docker::{
    engine_or_skip, ensure_busybox_image, pod_containers, remove_pods,
};
use kubeplay_e2e::agent::pods::{container, desired, desired_from_api, pod, unique_uid};
use kubeplay_e2e::agent::{AgentOptions, AgentProcess, Link};
use kubeplay_shared::api::resources::by_plural;
use kubeplay_shared::apiserver::WriteOptions;
use kubeplay_shared::node_protocol::{StreamOpen, INITIAL_WINDOW};
use kubeplay_shared::{ApiServer, Timestamp};
use serde_json::{json, Value};
use std::time::Duration;

/// The first pod may wait for the infra image to be built.
const START_LIMIT: Duration = Duration::from_secs(180);
const STREAM_LIMIT: Duration = Duration::from_secs(30);

fn running(status: &Value) -> bool {
    status["phase"] == "Running"
        && status["containerStatuses"]
            .as_array()
            .is_some_and(|cs| cs.iter().all(|c| c["state"]["running"].is_object()))
}

async fn connected(node: &str) -> (AgentProcess, Link) {
    let agent = AgentProcess::start(&agent_binary().unwrap(), &AgentOptions::new(node)).unwrap();
    let link = Link::connect(&agent.url, &agent.token).await.unwrap();
    (agent, link)
}

/// Runs `command` in the pod's container and returns (stdout, stderr, exit code).
async fn exec(
    link: &mut Link,
    name: &str,
    container: &str,
    command: &[&str],
) -> (String, String, Option<i32>) {
    let open = StreamOpen::Exec {
        namespace: "default".into(),
        pod: name.into(),
        container: container.into(),
        command: command.iter().map(|s| s.to_string()).collect(),
        stdin: false,
        tty: false,
    };
    let id = link.open(open).await.unwrap();
    let out = link
        .wait_for("the exec to end", STREAM_LIMIT, |l| {
            l.stream(id).closed.map(|_| l.stream(id))
        })
        .await
        .unwrap();
    let closed = out.closed.clone().unwrap();
    assert_eq!(closed.error, None, "exec failed");
    (
        out.stdout_text(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        closed.exit_code,
    )
}

async fn remove_all(link: &mut Link, docker: &bollard::Docker, uids: &[&str]) {
    link.sync(vec![]).await.unwrap();
    let _ = link
        .wait_for("the pods to be removed", Duration::from_secs(60), |l| {
            uids.iter()
                .all(|u| l.removed.iter().any(|r| r.uid == *u))
                .then_some(())
        })
        .await;
    remove_pods(docker, uids).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_containers_of_a_pod_share_localhost() {
    let Some(docker) = engine_or_skip("the_containers_of_a_pod_share_localhost").await else {
        return;
    };
    let image = ensure_busybox_image(&docker).await.unwrap();
    let (_agent, mut link) = connected("e2e-localhost").await;
    let uid = unique_uid("localhost");
    let web = container(
        "web",
        image,
        &[
            "sh",
            "-c",
            "echo hello-from-web > /tmp/index.html && exec httpd -f -p 8080 -h /tmp",
        ],
    );
    let client = container(
        "client",
        image,
        &["sh", "-c", "until wget -q -O- http://127.0.0.1:8080/index.html; do sleep 0.2; done; exec sleep 3600"],
    );
    link.sync(vec![desired(pod(
        "e2e-localhost",
        "web-and-client",
        &uid,
        vec![web, client],
    ))])
    .await
    .unwrap();
    link.wait_for_status(&uid, "the pod to run", START_LIMIT, running)
        .await
        .unwrap();

    let containers = pod_containers(&docker, &uid).await.unwrap();
    let mut names: Vec<&str> = containers.iter().map(|c| c.container.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["POD", "client", "web"],
        "one infra container and the two app containers"
    );
    assert!(containers.iter().all(|c| c.running));

    let logs = StreamOpen::Logs {
        namespace: "default".into(),
        pod: "web-and-client".into(),
        container: "client".into(),
        follow: true,
        tail_lines: None,
        previous: false,
        timestamps: false,
        since_seconds: None,
    };
    let id = link.open(logs).await.unwrap();
    let text = link
        .wait_for(
            "the client to fetch the page over localhost",
            STREAM_LIMIT,
            |l| {
                l.stream(id)
                    .stdout_text()
                    .contains("hello-from-web")
                    .then(|| l.stream(id).stdout_text())
            },
        )
        .await
        .unwrap();
    assert!(text.contains("hello-from-web"));
    remove_all(&mut link, &docker, &[&uid]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn env_from_a_configmap_and_a_secret_reaches_the_container() {
    let Some(docker) =
        engine_or_skip("env_from_a_configmap_and_a_secret_reaches_the_container").await
    else {
        return;
    };
    let image = ensure_busybox_image(&docker).await.unwrap();
    let now = Timestamp::now();
    let mut api = ApiServer::new(1, now);
    let configmap = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app-config", "namespace": "default"},
                           "data": {"GREETING": "hello from a ConfigMap", "LOG_LEVEL": "debug"}});
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "app-secret", "namespace": "default"},
                        "type": "Opaque", "data": {"password": "czNjcjN0IQ=="}});
    api.create(
        by_plural("", "v1", "configmaps").unwrap(),
        "default",
        configmap,
        now,
        WriteOptions::default(),
    )
    .unwrap();
    api.create(
        by_plural("", "v1", "secrets").unwrap(),
        "default",
        secret,
        now,
        WriteOptions::default(),
    )
    .unwrap();

    let uid = unique_uid("env");
    let mut app = container("app", image, &["sleep", "3600"]);
    app["envFrom"] = json!([{"configMapRef": {"name": "app-config"}}]);
    app["env"] = json!([{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "app-secret", "key": "password"}}}]);
    let spec = pod("e2e-env", "configured", &uid, vec![app]);
    let desired_pod = desired_from_api(&api, &spec).unwrap();

    let (_agent, mut link) = connected("e2e-env").await;
    link.sync(vec![desired_pod]).await.unwrap();
    link.wait_for_status(&uid, "the pod to run", START_LIMIT, running)
        .await
        .unwrap();
    let (stdout, _, code) = exec(&mut link, "configured", "app", &["env"]).await;
    assert_eq!(code, Some(0));
    let lines: Vec<&str> = stdout.lines().collect();
    for expected in [
        "GREETING=hello from a ConfigMap",
        "LOG_LEVEL=debug",
        "DB_PASSWORD=s3cr3t!",
    ] {
        assert!(
            lines.contains(&expected),
            "{expected:?} not in env:\n{stdout}"
        );
    }
    remove_all(&mut link, &docker, &[&uid]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_streams_stdout_and_stderr_and_reports_the_exit_code() {
    let Some(docker) =
        engine_or_skip("exec_streams_stdout_and_stderr_and_reports_the_exit_code").await
    else {
        return;
    };
    let image = ensure_busybox_image(&docker).await.unwrap();
    let (_agent, mut link) = connected("e2e-exec").await;
    let uid = unique_uid("exec");
    let mut app = container("app", image, &["sleep", "3600"]);
    app["env"] = json!([{"name": "FROM_SPEC", "value": "yes"}]);
    link.sync(vec![desired(pod("e2e-exec", "shell", &uid, vec![app]))])
        .await
        .unwrap();
    link.wait_for_status(&uid, "the pod to run", START_LIMIT, running)
        .await
        .unwrap();

    let (stdout, _, code) = exec(&mut link, "shell", "app", &["env"]).await;
    assert_eq!(code, Some(0));
    assert!(stdout.lines().any(|l| l == "FROM_SPEC=yes"), "{stdout}");
    let (stdout, stderr, code) = exec(
        &mut link,
        "shell",
        "app",
        &["sh", "-c", "echo out; echo err >&2; exit 3"],
    )
    .await;
    assert_eq!(
        (stdout.as_str(), stderr.as_str(), code),
        ("out\n", "err\n", Some(3))
    );
    remove_all(&mut link, &docker, &[&uid]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn following_logs_delivers_lines_as_the_container_writes_them() {
    let Some(docker) =
        engine_or_skip("following_logs_delivers_lines_as_the_container_writes_them").await
    else {
        return;
    };
    let image = ensure_busybox_image(&docker).await.unwrap();
    let (_agent, mut link) = connected("e2e-logs").await;
    let uid = unique_uid("logs");
    let app = container(
        "counter",
        image,
        &[
            "sh",
            "-c",
            "i=0; while true; do echo line-$i; i=$((i+1)); sleep 0.2; done",
        ],
    );
    link.sync(vec![desired(pod("e2e-logs", "counter", &uid, vec![app]))])
        .await
        .unwrap();
    link.wait_for_status(&uid, "the pod to run", START_LIMIT, running)
        .await
        .unwrap();

    let logs = StreamOpen::Logs {
        namespace: "default".into(),
        pod: "counter".into(),
        container: "counter".into(),
        follow: true,
        tail_lines: Some(1),
        previous: false,
        timestamps: false,
        since_seconds: None,
    };
    let id = link.open(logs).await.unwrap();
    let first = link
        .wait_for("a first line", STREAM_LIMIT, |l| {
            let text = l.stream(id).stdout_text();
            text.lines()
                .next()
                .filter(|_| text.contains('\n'))
                .map(str::to_string)
        })
        .await
        .unwrap();
    let first_n: u64 = first.trim_start_matches("line-").parse().unwrap();
    // Lines written after the stream opened arrive on it, in order, while it stays open.
    let later = format!("line-{}", first_n + 10);
    let text = link
        .wait_for("lines written later", STREAM_LIMIT, |l| {
            l.stream(id)
                .stdout_text()
                .contains(&later)
                .then(|| l.stream(id).stdout_text())
        })
        .await
        .unwrap();
    let numbers: Vec<u64> = text
        .lines()
        .map(|l| l.trim_start_matches("line-").parse().unwrap())
        .collect();
    assert!(
        numbers.windows(2).all(|w| w[1] == w[0] + 1),
        "lines out of order or missing: {numbers:?}"
    );
    assert!(
        link.stream(id).closed.is_none(),
        "a followed log stays open"
    );
    remove_all(&mut link, &docker, &[&uid]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consumer_that_grants_no_credit_gets_no_more_than_the_window() {
    let Some(docker) =
        engine_or_skip("a_consumer_that_grants_no_credit_gets_no_more_than_the_window").await
    else {
        return;
    };
    let image = ensure_busybox_image(&docker).await.unwrap();
    let (_agent, mut link) = connected("e2e-credit").await;
    let uid = unique_uid("credit");
    // Writes far more than one window as fast as it can.
    let app = container(
        "chatty",
        image,
        &[
            "sh",
            "-c",
            "while true; do echo 0123456789abcdef0123456789abcdef0123456789abcdef; done",
        ],
    );
    link.sync(vec![desired(pod("e2e-credit", "chatty", &uid, vec![app]))])
        .await
        .unwrap();
    link.wait_for_status(&uid, "the pod to run", START_LIMIT, running)
        .await
        .unwrap();

    link.auto_credit = false;
    let logs = StreamOpen::Logs {
        namespace: "default".into(),
        pod: "chatty".into(),
        container: "chatty".into(),
        follow: true,
        tail_lines: None,
        previous: false,
        timestamps: false,
        since_seconds: None,
    };
    let id = link.open(logs).await.unwrap();
    let window = INITIAL_WINDOW as usize;
    link.wait_for("a full window", STREAM_LIMIT, |l| {
        (l.stream(id).stdout.len() >= window).then_some(())
    })
    .await
    .unwrap();
    // Without credit nothing more may come, however long the consumer dawdles.
    let _ = link
        .wait_for("more than the window", Duration::from_secs(3), |l| {
            (l.stream(id).stdout.len() > window).then_some(())
        })
        .await;
    assert_eq!(
        link.stream(id).stdout.len(),
        window,
        "the agent sent beyond the credit it was given"
    );
    link.grant(id, 4096).await.unwrap();
    link.wait_for("the granted bytes", STREAM_LIMIT, |l| {
        (l.stream(id).stdout.len() == window + 4096).then_some(())
    })
    .await
    .unwrap();
    link.auto_credit = true;
    remove_all(&mut link, &docker, &[&uid]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_with_stdin_feeds_the_process() {
    use kubeplay_shared::node_protocol::{Channel, StreamData, ToAgent};
    let Some(docker) = engine_or_skip("exec_with_stdin_feeds_the_process").await else {
        return;
    };
    let image = ensure_busybox_image(&docker).await.unwrap();
    let (_agent, mut link) = connected("e2e-stdin").await;
    let uid = unique_uid("stdin");
    link.sync(vec![desired(pod(
        "e2e-stdin",
        "reader",
        &uid,
        vec![container("app", image, &["sleep", "3600"])],
    ))])
    .await
    .unwrap();
    link.wait_for_status(&uid, "the pod to run", START_LIMIT, running)
        .await
        .unwrap();

    let open = StreamOpen::Exec {
        namespace: "default".into(),
        pod: "reader".into(),
        container: "app".into(),
        command: vec!["sh".into(), "-c".into(), "read line; echo got-$line".into()],
        stdin: true,
        tty: false,
    };
    let id = link.open(open).await.unwrap();
    link.send(&ToAgent::Data(StreamData {
        stream: id,
        channel: Channel::Stdin,
        data: b"typed\n".to_vec(),
    }))
    .await
    .unwrap();
    let out = link
        .wait_for("the exec to end", STREAM_LIMIT, |l| {
            l.stream(id).closed.map(|_| l.stream(id))
        })
        .await
        .unwrap();
    assert_eq!(out.stdout_text(), "got-typed\n");
    assert_eq!(out.closed.unwrap().exit_code, Some(0));
    remove_all(&mut link, &docker, &[&uid]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_resize_reaches_an_exec_with_a_tty() {
    use kubeplay_shared::node_protocol::stream::Resize;
    use kubeplay_shared::node_protocol::{Channel, StreamData, ToAgent};
    let Some(docker) = engine_or_skip("a_terminal_resize_reaches_an_exec_with_a_tty").await else {
        return;
    };
    let image = ensure_busybox_image(&docker).await.unwrap();
    let (_agent, mut link) = connected("e2e-tty").await;
    let uid = unique_uid("tty");
    link.sync(vec![desired(pod(
        "e2e-tty",
        "terminal",
        &uid,
        vec![container("app", image, &["sleep", "3600"])],
    ))])
    .await
    .unwrap();
    link.wait_for_status(&uid, "the pod to run", START_LIMIT, running)
        .await
        .unwrap();

    let open = StreamOpen::Exec {
        namespace: "default".into(),
        pod: "terminal".into(),
        container: "app".into(),
        // Waits for a line, so the size is read only after the resize went through.
        command: vec!["sh".into(), "-c".into(), "read go; stty size".into()],
        stdin: true,
        tty: true,
    };
    let id = link.open(open).await.unwrap();
    link.send(&ToAgent::Resize(Resize {
        stream: id,
        cols: 123,
        rows: 45,
    }))
    .await
    .unwrap();
    link.send(&ToAgent::Data(StreamData {
        stream: id,
        channel: Channel::Stdin,
        data: b"go\n".to_vec(),
    }))
    .await
    .unwrap();
    let out = link
        .wait_for("the exec to end", STREAM_LIMIT, |l| {
            l.stream(id).closed.map(|_| l.stream(id))
        })
        .await
        .unwrap();
    assert!(
        out.stdout_text().contains("45 123"),
        "stty size printed {:?}",
        out.stdout_text()
    );
    remove_all(&mut link, &docker, &[&uid]).await;
}
