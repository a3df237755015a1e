//! The viewer's choices as the `kubectl logs` line the worker runs, so the panel shows exactly
//! what the terminal would print for the same flags (and follows the same way).

/// What to show: one container of one pod, and kubectl's flags.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogOptions {
    pub namespace: String,
    pub pod: String,
    /// Empty: kubectl's default container.
    pub container: String,
    /// `-f`: keep printing new lines.
    pub follow: bool,
    /// `--previous`: the container instance before the last restart.
    pub previous: bool,
    /// `--tail`: the last lines only; `None` prints everything.
    pub tail: Option<u32>,
    /// `--timestamps`: each line with the time the runtime received it.
    pub timestamps: bool,
}

/// The tail lengths the viewer offers; `None` is all.
pub const TAILS: [Option<u32>; 4] = [Some(100), Some(500), Some(2000), None];

impl LogOptions {
    /// The kubectl line. A previous instance has ended, so it is printed, never followed.
    pub fn kubectl_line(&self) -> String {
        let mut line = format!("kubectl logs {} -n {}", self.pod, self.namespace);
        if !self.container.is_empty() {
            line.push_str(&format!(" -c {}", self.container));
        }
        if let Some(tail) = self.tail {
            line.push_str(&format!(" --tail={tail}"));
        }
        if self.timestamps {
            line.push_str(" --timestamps");
        }
        if self.previous {
            line.push_str(" --previous");
        } else if self.follow {
            line.push_str(" -f");
        }
        line
    }

    /// Whether a pod is chosen at all.
    pub fn is_complete(&self) -> bool {
        !self.pod.is_empty() && !self.namespace.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> LogOptions {
        LogOptions {
            namespace: "default".into(),
            pod: "web-1".into(),
            ..LogOptions::default()
        }
    }

    #[test]
    fn the_plain_line_names_pod_and_namespace() {
        assert_eq!(options().kubectl_line(), "kubectl logs web-1 -n default");
    }

    #[test]
    fn every_flag_is_kubectls() {
        let o = LogOptions {
            container: "api".into(),
            follow: true,
            tail: Some(100),
            timestamps: true,
            ..options()
        };
        assert_eq!(
            o.kubectl_line(),
            "kubectl logs web-1 -n default -c api --tail=100 --timestamps -f"
        );
    }

    #[test]
    fn previous_logs_are_printed_not_followed() {
        let o = LogOptions {
            follow: true,
            previous: true,
            ..options()
        };
        assert_eq!(o.kubectl_line(), "kubectl logs web-1 -n default --previous");
    }

    #[test]
    fn no_pod_is_incomplete() {
        assert!(!LogOptions::default().is_complete());
        assert!(options().is_complete());
    }
}
