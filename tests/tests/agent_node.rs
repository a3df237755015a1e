//! The real `kubeplay-agent` as a node: who may connect (token, Origin), what it registers
//! (this machine's real capacity), one control plane at a time, and its exit without Docker.

use kubeplay_e2e::agent::binary::agent_binary;
use kubeplay_e2e::agent::docker::engine_or_skip;
use kubeplay_e2e::agent::link::handshake_status;
use kubeplay_e2e::agent::{AgentOptions, AgentProcess, Link};
use std::time::Duration;

const ORIGIN: &str = "http://127.0.0.1:8080";

fn start(node: &str, configure: impl FnOnce(&mut AgentOptions)) -> AgentProcess {
    let mut options = AgentOptions::new(node);
    configure(&mut options);
    AgentProcess::start(&agent_binary().unwrap(), &options).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_without_the_right_token_is_refused_with_401() {
    let Some(_docker) =
        engine_or_skip("a_connection_without_the_right_token_is_refused_with_401").await
    else {
        return;
    };
    let agent = start("e2e-token", |_| {});
    assert_eq!(handshake_status(&agent.url, &[]).await.unwrap(), 401);
    let wrong = format!("Bearer {}x", agent.token);
    assert_eq!(
        handshake_status(&agent.url, &[("authorization", &wrong)])
            .await
            .unwrap(),
        401
    );
    let right = format!("Bearer {}", agent.token);
    assert_eq!(
        handshake_status(&agent.url, &[("authorization", &right)])
            .await
            .unwrap(),
        101
    );
    let with_query = format!("{}?token={}", agent.url, agent.token);
    assert_eq!(handshake_status(&with_query, &[]).await.unwrap(), 101);
    assert!(
        agent
            .log_text()
            .contains("refused connection: no token presented"),
        "{}",
        agent.log_text()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_from_an_origin_not_allowed_is_refused_with_403() {
    let Some(_docker) =
        engine_or_skip("a_page_from_an_origin_not_allowed_is_refused_with_403").await
    else {
        return;
    };
    let agent = start("e2e-origin", |o| o.allow_origins = vec![ORIGIN.to_string()]);
    let bearer = format!("Bearer {}", agent.token);
    let evil = [
        ("authorization", bearer.as_str()),
        ("origin", "https://evil.example"),
    ];
    assert_eq!(handshake_status(&agent.url, &evil).await.unwrap(), 403);
    assert!(
        agent
            .log_text()
            .contains("origin https://evil.example is not allowed"),
        "{}",
        agent.log_text()
    );

    // The allowed page presents the token the way a browser can: as a subprotocol.
    let b64 = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        agent.token.as_bytes(),
    );
    let offer = format!("v1.node.kubeplay.dev, base64url.bearer.authorization.k8s.io.{b64}");
    let page = [
        ("origin", ORIGIN),
        ("sec-websocket-protocol", offer.as_str()),
    ];
    assert_eq!(handshake_status(&agent.url, &page).await.unwrap(), 101);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_generated_token_is_printed_and_is_the_one_accepted() {
    let Some(_docker) =
        engine_or_skip("a_generated_token_is_printed_and_is_the_one_accepted").await
    else {
        return;
    };
    let agent = start("e2e-generated", |o| o.token = None);
    assert!(agent.token.len() >= 32, "banner: {}", agent.banner);
    let link = Link::connect(&agent.url, &agent.token).await.unwrap();
    assert_eq!(link.registration.node_name, "e2e-generated");
}

#[tokio::test(flavor = "multi_thread")]
async fn registration_reports_this_machines_real_capacity() {
    let Some(docker) = engine_or_skip("registration_reports_this_machines_real_capacity").await
    else {
        return;
    };
    let agent = start("e2e-capacity", |_| {});
    let link = Link::connect(&agent.url, &agent.token).await.unwrap();
    let r = &link.registration;

    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let mem_kib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    assert_eq!(r.capacity["memory"], format!("{mem_kib}Ki"));
    let cpus = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    assert_eq!(r.capacity["cpu"], cpus.to_string());
    assert_eq!(r.capacity["pods"], "110");
    let engine = docker.version().await.unwrap().version.unwrap();
    assert_eq!(
        r.node_info.container_runtime_version,
        format!("docker://{engine}")
    );
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    assert_eq!(r.node_info.kernel_version, kernel.trim());
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    assert_eq!(r.node_info.architecture, arch);
    assert_eq!(r.labels["kubernetes.io/arch"], arch);
    assert!(
        r.addresses.iter().any(|a| a.kind == "InternalIP"),
        "{:?}",
        r.addresses
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_control_plane_replaces_the_first_and_the_first_is_told_why() {
    let Some(_docker) =
        engine_or_skip("a_second_control_plane_replaces_the_first_and_the_first_is_told_why").await
    else {
        return;
    };
    let agent = start("e2e-replace", |_| {});
    let mut first = Link::connect(&agent.url, &agent.token).await.unwrap();
    let second = Link::connect(&agent.url, &agent.token).await.unwrap();
    let reason = first
        .wait_for("the first link to close", Duration::from_secs(20), |l| {
            l.closed.clone()
        })
        .await
        .unwrap_or_else(|_| first.closed.clone().unwrap_or_default());
    assert!(
        reason.contains("replaced by a newer connection"),
        "close reason: {reason:?}"
    );
    assert_eq!(second.registration.node_name, "e2e-replace");
}

#[test]
fn without_a_docker_engine_the_agent_says_how_to_fix_it_and_exits_non_zero() {
    let output = std::process::Command::new(agent_binary().unwrap())
        .args([
            "run",
            "--listen",
            "127.0.0.1:0",
            "--token",
            "e2e-token-no-docker-0123456789",
        ])
        .env(
            "DOCKER_HOST",
            "unix:///nonexistent/kubeplay-e2e/docker.sock",
        )
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "cannot reach the Docker engine at unix:///nonexistent/kubeplay-e2e/docker.sock"
        ),
        "{stderr}"
    );
    for fix in [
        "systemctl start docker",
        "usermod -aG docker",
        "DOCKER_HOST",
    ] {
        assert!(stderr.contains(fix), "missing {fix:?} in: {stderr}");
    }
    assert!(
        String::from_utf8_lossy(&output.stdout).is_empty(),
        "no URL may be printed without Docker"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_refused_by_the_control_plane_says_why_and_closes_the_link() {
    use kubeplay_e2e::agent::link::{connect_socket, read, write};
    use kubeplay_shared::node_protocol::{FromAgent, Refused, ToAgent};
    let Some(_docker) =
        engine_or_skip("an_agent_refused_by_the_control_plane_says_why_and_closes_the_link").await
    else {
        return;
    };
    let agent = start("e2e-refused", |_| {});
    let mut socket = connect_socket(&agent.url, &agent.token).await.unwrap();
    let hello = read(&mut socket, Duration::from_secs(30)).await.unwrap();
    let Some(FromAgent::Hello(hello)) = hello else {
        panic!("expected hello, got {hello:?}")
    };
    assert!(
        hello.agent_version.starts_with("kubeplay-agent "),
        "{hello:?}"
    );
    let reason = "no common protocol version: this is a test";
    write(
        &mut socket,
        &ToAgent::Refused(Refused {
            reason: reason.into(),
            supported_versions: vec![99],
        }),
    )
    .await
    .unwrap();
    assert!(
        read(&mut socket, Duration::from_secs(30))
            .await
            .unwrap()
            .is_none(),
        "the agent closes the link"
    );
    assert!(agent.log_text().contains(reason), "{}", agent.log_text());
}
