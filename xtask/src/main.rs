//! Kubeplay's task runner: `cargo xtask setup|test|play|bench|kubectl|demo-image|build-agent`.
//!
//! One entry point that installs what a fresh Debian machine lacks and runs every check, so CI and
//! developers run the same steps; std-only (plus thiserror) so it builds in seconds.

mod bench;
mod build_agent;
mod demo_image;
mod elf;
mod error;
mod kubectl;
mod play;
mod preflight;
mod setup;
mod test;
mod tools;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  setup          install what is missing (Rust targets, trunk, wasm-bindgen-cli, chromium,
                 busybox-static, the aarch64 cross gcc)
  test           run every test: native crates, wasm build, page build, browser tests
  play [ADDR]    setup, then serve the page with trunk (default 127.0.0.1:8080)
  bench          native and in-browser store benchmarks -> target/bench/results.json
  kubectl        fetch the real kubectl v1.35 and helm into ~/.cache/kubeplay/tools
  demo-image     build the Docker images agents run: myapp:1.0, myapp:2.0, busybox
  build-agent [--target TRIPLE] [--release]
                 build kubeplay-agent for another machine (default aarch64-unknown-linux-gnu)

CI=true turns a missing browser or Docker engine into a failure instead of a skip.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run(),
        Some("test") => test::run(),
        Some("play") => play::run(args.get(1).map(String::as_str)),
        Some("bench") => bench::run(),
        Some("demo-image") => demo_image::run(),
        Some("kubectl") => kubectl::run(),
        Some("build-agent") => build_agent::run(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: error: {err}");
            ExitCode::FAILURE
        }
    }
}
