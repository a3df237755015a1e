//! A pod on the real Docker engine: its containers share localhost through the infra
//! container, see the env the control plane resolved, answer exec and logs, and stop gracefully.

mod runtime_support;

use kubeplay_agent::runtime::{ExecOutput, LogOptions, Report};
use runtime_support::*;
use serde_json::json;

#[tokio::test]
async fn containers_of_a_pod_share_localhost_see_their_env_and_answer_exec_and_logs() {
    let Some((runtime, mut reports)) = runtime_or_skip("shared-net").await else {
        return;
    };
    let host_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    runtime.adopt().await.expect("adopt");
    let desired = pod(
        "shared-net",
        json!([
            {"name": "server", "image": BUSYBOX, "command": ["sh", "-c",
                "mkdir -p /www && echo hello-from-server > /www/index.html && exec httpd -f -p 8080 -h /www"],
             "ports": [{"containerPort": 8080, "hostPort": host_port}],
             "readinessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 1}},
            {"name": "client", "image": BUSYBOX, "command": ["sh", "-c",
                "trap 'exit 0' TERM; until wget -q -O - http://127.0.0.1:8080/; do sleep 1; done; while true; do sleep 1; done"]},
        ]),
        "Always",
    );
    let desired = with_env(
        desired,
        "client",
        &[("GREETING", "from-a-configmap"), ("PASSWORD", "s3cret")],
    );
    let pod = pod_ref(&desired);
    let _cleanup = Cleanup("shared-net", pod.clone());
    runtime.sync(vec![desired.clone()]).await.expect("sync");

    let (ready, events) = wait_for(&mut reports, &pod, "the pod to be Ready", |r| {
        matches!(r, Report::Status { status, .. } if status["conditions"].as_array().is_some_and(|cs|
            cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True")))
    })
    .await;
    let Report::Status { status, .. } = &ready else {
        unreachable!()
    };
    assert_eq!(status["phase"], "Running");
    assert!(
        status["podIP"].as_str().is_some_and(|ip| !ip.is_empty()),
        "{status:#}"
    );
    let server = container_status(&ready, "server").expect("server status");
    assert!(server["containerID"]
        .as_str()
        .unwrap()
        .starts_with("docker://"));
    assert_eq!(server["restartCount"], 0);
    assert!(events.iter().any(|r| is_event(r, "Started")));
    assert!(events
        .iter()
        .any(|r| matches!(r, Report::Event(e) if e.reason == "Pulled"
        && e.message == format!("Container image \"{BUSYBOX}\" already present on machine"))));

    // The client reached the server on 127.0.0.1: their network namespace is the pod's.
    let mut log = String::new();
    for _ in 0..60 {
        let options = LogOptions {
            follow: false,
            ..Default::default()
        };
        log = collect_logs(
            runtime
                .logs(&pod.uid, "client", options)
                .await
                .expect("logs"),
        )
        .await;
        if log.contains("hello-from-server") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    assert!(log.contains("hello-from-server"), "client log: {log:?}");

    // The server's hostPort is published on this machine.
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", host_port))
        .await
        .expect("hostPort");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    conn.write_all(b"GET / HTTP/1.0\r\n\r\n")
        .await
        .expect("request");
    let mut page = String::new();
    conn.read_to_string(&mut page).await.expect("response");
    assert!(page.contains("hello-from-server"), "{page}");

    // Exec `env`: the values resolved by the control plane are in the container.
    let mut session = runtime
        .exec(&pod.uid, "client", vec!["env".into()], false, false)
        .await
        .expect("exec");
    let mut out = Vec::new();
    use futures_util::StreamExt;
    while let Some(chunk) = session.output.next().await {
        if let ExecOutput::Stdout(b) = chunk.expect("exec output") {
            out.extend(b);
        }
    }
    let env = String::from_utf8_lossy(&out);
    assert!(
        env.contains("GREETING=from-a-configmap") && env.contains("PASSWORD=s3cret"),
        "{env}"
    );
    assert_eq!(
        session.control.exit_code().await.expect("exit code"),
        Some(0)
    );

    // Following a log streams what the container writes later.
    let follow = LogOptions {
        follow: true,
        ..Default::default()
    };
    let mut stream = runtime
        .logs(&pod.uid, "client", follow)
        .await
        .expect("follow");
    let first = tokio::time::timeout(PATIENCE, stream.next())
        .await
        .expect("the log so far");
    assert!(
        first.is_some(),
        "the followed log has the lines written so far"
    );
    let write = vec![
        "sh".into(),
        "-c".into(),
        "echo followed-line > /proc/1/fd/1".into(),
    ];
    let mut writer = runtime
        .exec(&pod.uid, "client", write, false, false)
        .await
        .expect("exec");
    while writer.output.next().await.is_some() {}
    let mut followed = String::new();
    while !followed.contains("followed-line") {
        let chunk = tokio::time::timeout(PATIENCE, stream.next())
            .await
            .expect("a followed line");
        followed.push_str(&String::from_utf8_lossy(
            &chunk.expect("the stream stays open").expect("chunk"),
        ));
    }

    // An interactive shell with a TTY: what is typed runs, the terminal can be resized.
    let mut shell = runtime
        .exec(&pod.uid, "client", vec!["sh".into()], true, true)
        .await
        .expect("exec a shell");
    shell.control.resize(100, 30).await.expect("resize");
    let mut stdin = shell.stdin.take().expect("stdin");
    stdin
        .write_all(b"stty size; echo typed-$((6*7)); exit 7\n")
        .await
        .expect("type");
    let mut screen = Vec::new();
    while let Some(chunk) = tokio::time::timeout(PATIENCE, shell.output.next())
        .await
        .expect("shell output")
    {
        if let ExecOutput::Stdout(b) = chunk.expect("chunk") {
            screen.extend(b);
        }
    }
    let screen = String::from_utf8_lossy(&screen);
    assert!(
        screen.contains("30 100") && screen.contains("typed-42"),
        "{screen}"
    );
    assert_eq!(shell.control.exit_code().await.expect("exit code"), Some(7));

    // Usage of both running containers, from two samples.
    let usage = runtime.stats().await.expect("stats");
    let mine = usage
        .iter()
        .find(|u| u.pod == pod)
        .expect("the pod's usage");
    let mut names: Vec<&str> = mine.containers.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["client", "server"]);
    assert!(
        mine.containers
            .iter()
            .all(|c| c.memory_working_set_bytes > 0),
        "{mine:?}"
    );

    // Deleting the pod stops its containers (SIGTERM, the grace period) and removes everything.
    remove(&runtime, &mut reports, vec![], &pod).await;
    assert_eq!(containers_of(&runtime, &pod).await, 0);
}
