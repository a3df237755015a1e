//! `myapp`: the seed page's demo app made real, a small static HTTP server on port 3000.
//!
//! It answers `/` with its version and pod name, serves the `/health` and `/ready` probes, burns
//! CPU for HPA demos, and exits 0 promptly on SIGTERM so graceful termination is visible.
//! `myapp get URL` is a small HTTP client instead (see [`client`]).

mod banner;
mod client;
mod config;
mod http;
mod routes;
mod server;
mod signals;

use config::Config;
use server::Server;
use signals::TermSignals;
use std::net::{Ipv4Addr, TcpListener};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [get, url] = args.as_slice() {
        if get == "get" {
            return match client::get(url) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => fail(&err),
            };
        }
    }
    let started = Instant::now();
    // Before any thread exists, so every thread inherits the blocked mask.
    let signals = match TermSignals::block() {
        Ok(signals) => signals,
        Err(err) => return fail(&format!("cannot block SIGTERM: {err}")),
    };
    let vars: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let kernel_hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let config = match Config::from_env(vars.iter().cloned(), &kernel_hostname) {
        Ok(config) => config,
        Err(err) => return fail(&err.to_string()),
    };
    for line in banner::start_lines(&config, &vars) {
        println!("{line}");
    }
    let shutdown_delay = config.shutdown_delay;
    std::thread::spawn(move || match signals.wait() {
        Ok(name) => {
            println!("Received {name}, shutting down");
            if !shutdown_delay.is_zero() {
                println!(
                    "SHUTDOWN_DELAY_SECONDS={}: finishing up first",
                    shutdown_delay.as_secs()
                );
                std::thread::sleep(shutdown_delay);
            }
            println!("Bye");
            std::process::exit(0);
        }
        Err(err) => eprintln!("myapp: cannot wait for SIGTERM: {err}"),
    });
    if !config.startup_delay.is_zero() {
        println!(
            "STARTUP_DELAY_SECONDS={}: waiting before listening",
            config.startup_delay.as_secs()
        );
        std::thread::sleep(config.startup_delay);
    }
    let listener = match TcpListener::bind((Ipv4Addr::UNSPECIFIED, config.port)) {
        Ok(listener) => listener,
        Err(err) => return fail(&format!("cannot listen on port {}: {err}", config.port)),
    };
    let port = listener.local_addr().map_or(config.port, |a| a.port());
    println!("Server listening on port {port}");
    let server = Arc::new(Server::new(config, started));
    match server.serve(listener) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(&format!("accept failed: {err}")),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("myapp: error: {message}");
    ExitCode::FAILURE
}
