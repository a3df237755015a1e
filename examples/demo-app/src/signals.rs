//! Graceful termination: the kubelet (or `docker stop`) sends SIGTERM and waits out the grace
//! period before SIGKILL; myapp logs it and exits 0 at once, or after `SHUTDOWN_DELAY_SECONDS`.
//!
//! As PID 1 a process gets no default SIGTERM action, so the signal is blocked in every thread
//! and one thread takes it with `sigwait`.

use std::io;

/// The termination signals this process answers.
pub struct TermSignals {
    set: libc::sigset_t,
}

impl TermSignals {
    /// Blocks SIGTERM and SIGINT in the calling thread and every thread spawned after; call it
    /// first in `main`.
    pub fn block() -> io::Result<Self> {
        // SAFETY: sigset_t is plain data that sigemptyset initialises before any other use.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGTERM);
            libc::sigaddset(&mut set, libc::SIGINT);
            let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            if rc != 0 {
                return Err(io::Error::from_raw_os_error(rc));
            }
            Ok(Self { set })
        }
    }

    /// Waits for one of the signals and returns its name.
    pub fn wait(&self) -> io::Result<&'static str> {
        let mut signal: libc::c_int = 0;
        // SAFETY: `set` was initialised in `block`; `signal` is a valid out-pointer.
        let rc = unsafe { libc::sigwait(&self.set, &mut signal) };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        Ok(if signal == libc::SIGINT {
            "SIGINT"
        } else {
            "SIGTERM"
        })
    }
}
