//! `kubectl exec -it` from the page's Terminal into a pod on a real `kubeplay-agent`, in
//! headless Chromium, typed on the real keyboard: the raw terminal view opens with the focus,
//! colours arrive as classed spans, `stty size` shows the size the page measured (and the new
//! one after the window shrinks), ash's Tab completion and history work, and `exit 3` brings
//! back the kubectl prompt with kubectl's exit-code line; `exec -i` without `-t` edits lines in
//! the page. Screenshots: `<target>/e2e/tty-*.png`.

use kubeplay_e2e::agent::binary::agent_binary;
use kubeplay_e2e::agent::{AgentOptions, AgentProcess};
use kubeplay_e2e::page::Page;
use kubeplay_e2e::playground::{Playground, LOAD, SETTLE};
use kubeplay_e2e::policy::{images_or_skip, page_or_skip};
use serde_json::{json, Value};
use std::time::Duration;

const NODE: &str = "e2e-page-tty";
const CONNECT: Duration = Duration::from_secs(60);
const ENTER: &str = "\u{E007}";
const TAB: &str = "\u{E004}";
const UP: &str = "\u{E013}";

const SHELL_POD: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: shell
spec:
  replicas: 1
  selector:
    matchLabels:
      app: shell
  template:
    metadata:
      labels:
        app: shell
    spec:
      containers:
      - name: app
        image: myapp:1.0
";

/// The terminal view's rows as text, top to bottom (scrollback included).
const ROWS_JS: &str = "[...document.querySelectorAll('.vt-screen .vt-row:not(.vt-probe)')].map(r => r.textContent.trimEnd())";

fn wait_rows(page: &Page, what: &str, condition: &str) -> Value {
    page.wait_for(
        what,
        &format!("(() => {{ const rows = {ROWS_JS}; return ({condition}) ? rows : null; }})()"),
        SETTLE,
    )
    .unwrap_or_else(|e| {
        let _ = page.screenshot_as("tty-timeout");
        panic!("{e}")
    })
}

/// The size the view says it sent, checked against its own geometry: as many whole cells as
/// fit the screen area.
fn size(page: &Page) -> (u64, u64) {
    let got = page
        .execute(
            "const vt = document.querySelector('.vt'), screen = vt.querySelector('.vt-screen');
             const cell = vt.querySelector('.vt-probe').getBoundingClientRect();
             const w = cell.width / 10, h = cell.height;
             return [Number(vt.dataset.rows), Number(vt.dataset.cols),
                     Math.floor(screen.clientHeight / h), Math.floor(screen.clientWidth / w)];",
        )
        .unwrap();
    let n = |i: usize| got[i].as_u64().unwrap_or_default();
    assert_eq!(
        (n(0), n(1)),
        (n(2), n(3)),
        "the size sent is the cells that fit: {got}"
    );
    (n(0), n(1))
}

#[test]
fn exec_it_into_a_real_pod_opens_a_terminal_with_colours_size_editing_and_exit_status() {
    let test = "page_tty";
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
        .kubectl("kubectl apply -f shell.yaml", &[("shell.yaml", SHELL_POD)])
        .unwrap();
    assert_eq!((out.as_str(), code), ("deployment.apps/shell created\n", 0));
    play.wait_pods("default/shell-", 1, "Running").unwrap();
    let (_, pod) = play
        .pods_by_node("default/shell-")
        .unwrap()
        .pop()
        .expect("the shell pod");
    let pod = pod.trim_start_matches("default/").to_string();

    // The line becomes a terminal, which takes the keyboard.
    play.run_in_terminal(&format!("kubectl exec -it {pod} -- sh"))
        .unwrap();
    page.wait_for(
        "the terminal view with the focus",
        "document.activeElement?.classList.contains('vt') ? true : null",
        LOAD,
    )
    .unwrap();
    wait_rows(
        &page,
        "the shell's prompt",
        "rows.some(r => r.endsWith('#'))",
    );

    // Colours: printf's escape sequences become a red-classed span.
    page.type_keys(&format!("printf '\\033[31mred\\033[0m\\n'{ENTER}"))
        .unwrap();
    page.wait_for(
        "a red span",
        "[...document.querySelectorAll('.vt-screen span.vt-fg-1')].some(s => s.textContent === 'red') ? true : null",
        SETTLE,
    )
    .unwrap();
    page.screenshot_as("tty-colours").unwrap();

    // The TTY has the size the page measured, and follows the window.
    let (rows, cols) = size(&page);
    page.type_keys(&format!("stty size{ENTER}")).unwrap();
    wait_rows(
        &page,
        "stty's answer",
        &format!("rows.includes('{rows} {cols}')"),
    );
    page.set_window_size(1000, 640).unwrap();
    page.wait_for(
        "a new size",
        &format!("(() => {{ const vt = document.querySelector('.vt'); return vt && vt.dataset.cols !== '{cols}' ? true : null; }})()"),
        SETTLE,
    )
    .unwrap();
    let (rows2, cols2) = size(&page);
    assert_ne!((rows2, cols2), (rows, cols));
    page.type_keys(&format!("stty size{ENTER}")).unwrap();
    wait_rows(
        &page,
        "stty's new answer",
        &format!("rows.includes('{rows2} {cols2}')"),
    );

    // Full-screen programs: ls's colours and top's reverse-video header, then q back to ash.
    page.type_keys(&format!("ls --color=always /{ENTER}"))
        .unwrap();
    page.wait_for(
        "a coloured directory",
        "[...document.querySelectorAll('.vt-screen span.vt-fg-4')].some(s => s.textContent.includes('bin')) ? true : null",
        SETTLE,
    )
    .unwrap();
    page.type_keys(&format!("top{ENTER}")).unwrap();
    page.wait_for(
        "top's header in reverse video",
        "[...document.querySelectorAll('.vt-screen span.vt-bg-fg')].some(s => s.textContent.includes('PID')) ? true : null",
        SETTLE,
    )
    .unwrap();
    page.screenshot_as("tty-top").unwrap();
    page.type_keys("q").unwrap();
    wait_rows(
        &page,
        "the prompt after top",
        "(rows.filter(r => r).pop() ?? '').endsWith('#')",
    );

    // ash's line editing: Tab completes a command, Up recalls the last line.
    page.type_keys(&format!("ech{TAB}")).unwrap();
    wait_rows(
        &page,
        "the completed command",
        "rows.some(r => r.endsWith('# echo'))",
    );
    page.type_keys(&format!("tab-ok{ENTER}")).unwrap();
    wait_rows(
        &page,
        "echo's output",
        "rows.filter(r => r === 'tab-ok').length === 1",
    );
    page.type_keys(&format!("{UP}{ENTER}")).unwrap();
    wait_rows(
        &page,
        "the recalled line's output",
        "rows.filter(r => r === 'tab-ok').length === 2",
    );
    page.screenshot_as("tty-shell").unwrap();

    // Leaving: kubectl's prompt comes back with the exit status, and the keyboard with it.
    page.type_keys(&format!("exit 3{ENTER}")).unwrap();
    page.wait_for(
        "the kubectl prompt back",
        "document.getElementById('terminal-input') && !document.querySelector('.vt') ? true : null",
        SETTLE,
    )
    .unwrap();
    let err = play
        .wait_text("#terminal .term-err", "command terminated with exit code 3")
        .unwrap();
    assert_eq!(err.trim(), "command terminated with exit code 3");
    let focused = page
        .execute("return document.activeElement?.id ?? null;")
        .unwrap();
    assert_eq!(focused, json!("terminal-input"));
    play.wait_text("#terminal .term-out", "tab-ok").unwrap();
    page.screenshot_as("tty-exited").unwrap();

    // Without -t the process gets no TTY: the page echoes and sends whole lines, as a terminal
    // in cooked mode does, and `exit` (status 0) ends it without kubectl's line.
    play.run_in_terminal(&format!("kubectl exec -i {pod} -- sh"))
        .unwrap();
    page.wait_for(
        "the stdin view with the focus",
        "document.activeElement?.classList.contains('vt') ? true : null",
        LOAD,
    )
    .unwrap();
    page.type_keys(&format!("echo plain-$((1+2)){ENTER}"))
        .unwrap();
    wait_rows(
        &page,
        "the line's output",
        "rows.includes('plain-3') && rows.includes('echo plain-$((1+2))')",
    );
    page.type_keys(&format!("exit{ENTER}")).unwrap();
    page.wait_for(
        "the kubectl prompt after exec -i",
        "document.getElementById('terminal-input') && !document.querySelector('.vt') ? true : null",
        SETTLE,
    )
    .unwrap();
    play.wait_text("#terminal .term-out", "plain-3").unwrap();
    let errors = page
        .execute("return document.querySelectorAll('#terminal .term-err').length;")
        .unwrap();
    assert_eq!(errors, json!(1), "only exit 3 printed kubectl's line");
}
