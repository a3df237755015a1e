//! `kubectl port-forward` typed in the page, for a pod on a real node: headless Chromium with a
//! real `kubeplay-agent` and the real Docker engine. The agent listens on its machine's
//! loopback, several parallel GETs from here get myapp's answer through it, and Ctrl+C in the
//! terminal closes the listener. Screenshot: `<target>/e2e/port-forward-*.png`.

use kubeplay_e2e::agent::binary::agent_binary;
use kubeplay_e2e::agent::{AgentOptions, AgentProcess};
use kubeplay_e2e::playground::{Playground, LOAD, MY_API, SETTLE};
use kubeplay_e2e::policy::{images_or_skip, page_or_skip};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const NODE: &str = "e2e-page-pf";
const CONNECT: Duration = Duration::from_secs(60);
const PARALLEL: usize = 8;

/// A port nothing listens on right now, for the forward's local side.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `GET /` on 127.0.0.1:`port` over HTTP/1.0: the body, or why not.
fn get(port: u16) -> Result<String, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .map_err(|e| format!("write: {e}"))?;
    let mut reply = String::new();
    s.read_to_string(&mut reply)
        .map_err(|e| format!("read: {e}"))?;
    let (head, body) = reply
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no HTTP answer: {reply:?}"))?;
    if !head.starts_with("HTTP/1.") || !head.contains(" 200 ") {
        return Err(format!("not 200: {head}"));
    }
    Ok(body.to_string())
}

fn terminal_text(page: &kubeplay_e2e::page::Page) -> String {
    page.execute("return document.getElementById('terminal').innerText;")
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[test]
fn port_forward_in_the_page_listens_on_the_agents_machine_until_ctrl_c() {
    let test = "page_port_forward";
    let Some(page) = page_or_skip(test) else {
        return;
    };
    if !images_or_skip(test, &["myapp:1.0"]) {
        return;
    }
    let binary = agent_binary().unwrap();
    let options = AgentOptions::for_page(NODE, page.origin());
    let agent = AgentProcess::start_fresh(&binary, &options).unwrap();

    let play = Playground::open(&page).unwrap();
    play.remove_simulated_nodes().unwrap();
    play.join(&agent.url, &agent.token, NODE, CONNECT).unwrap();
    let (out, code) = play
        .kubectl(
            "kubectl apply -f deployment.yaml",
            &[("deployment.yaml", MY_API)],
        )
        .unwrap();
    assert_eq!(
        (out.as_str(), code),
        ("deployment.apps/my-api created\n", 0)
    );
    play.wait_pods("default/my-api-", 3, "Running").unwrap();

    // A free port, typed as a user would: LOCAL:containerPort of the Deployment's pods.
    let port = free_port();
    play.run_in_terminal(&format!("kubectl port-forward deploy/my-api {port}:3000"))
        .unwrap();
    let forwarding = format!("Forwarding from 127.0.0.1:{port} -> 3000");
    page.wait_for(
        "the Forwarding line in the terminal",
        &format!(
            "document.getElementById('terminal').innerText.includes({}) ? true : null",
            serde_json::to_string(&forwarding).unwrap()
        ),
        LOAD,
    )
    .unwrap_or_else(|e| {
        panic!(
            "{e}\nterminal:\n{}\nagent log:\n{}",
            terminal_text(&page),
            agent.log_text()
        )
    });
    let shown = terminal_text(&page);
    assert!(
        shown.contains(&format!("on the machine of node \"{NODE}\"")),
        "{shown}"
    );

    // Several connections at once, each answered by myapp in one of the Deployment's pods.
    let answers: Vec<Result<String, String>> = std::thread::scope(|s| {
        let gets: Vec<_> = (0..PARALLEL).map(|_| s.spawn(move || get(port))).collect();
        gets.into_iter()
            .map(|g| g.join().unwrap_or_else(|_| Err("panicked".into())))
            .collect()
    });
    for answer in &answers {
        let body = answer
            .as_ref()
            .unwrap_or_else(|e| panic!("a GET through the forward failed: {e}\n{answers:?}"));
        assert!(body.contains("from myapp 1.0 on my-api-"), "{body}");
    }
    page.wait_for(
        "kubectl's line for each connection",
        &format!(
            "document.getElementById('terminal').innerText.split('Handling connection for {port}').length > {PARALLEL} ? true : null"
        ),
        LOAD,
    )
    .unwrap_or_else(|e| panic!("{e}\nterminal:\n{}", terminal_text(&page)));
    page.screenshot_as("port-forward-running").unwrap();

    // Ctrl+C ends the command, and the agent closes the listener.
    page.execute(
        "document.getElementById('terminal-input').dispatchEvent(
           new KeyboardEvent('keydown', { key: 'c', ctrlKey: true, bubbles: true, cancelable: true })); return true;",
    )
    .unwrap();
    page.wait_for(
        "Ctrl+C to end the port-forward",
        "document.getElementById('terminal').innerText.includes('^C')
           && !document.getElementById('terminal-input').readOnly ? true : null",
        LOAD,
    )
    .unwrap();
    let start = Instant::now();
    let refused = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break true,
            _ if start.elapsed() > SETTLE => break false,
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    assert!(
        refused,
        "127.0.0.1:{port} still accepts connections after Ctrl+C\nagent log:\n{}",
        agent.log_text()
    );
    page.screenshot_as("port-forward-stopped").unwrap();
}
