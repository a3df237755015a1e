//! SPDY/3.1, as far as `kubectl port-forward` needs it: the frame codec, header blocks with
//! their zlib contexts, and the port-forward session the kubelet would serve.
//!
//! Both ways kubectl reaches a pod's port end here: a WebSocket whose binary messages carry
//! the SPDY byte stream (`SPDY/3.1+portforward.k8s.io`, kubectl's first choice) and a plain
//! `Upgrade: SPDY/3.1` connection (its fallback).

pub mod frame;
pub mod headers;
pub mod session;

pub use frame::Frame;
pub use session::{serve, Dialer, PROTOCOL};
