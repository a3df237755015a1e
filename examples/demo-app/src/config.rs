//! The knobs a demo turns through the container's environment (a ConfigMap, `env:` or `docker -e`).
//!
//! Read once at start-up from a plain list of pairs, so parsing is tested without touching the
//! process environment; a malformed knob is an error the process exits on, as real apps do.

use std::time::Duration;

pub const DEFAULT_PORT: u16 = 3000;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `PORT`: where to listen.
    pub port: u16,
    /// `MYAPP_VERSION`: baked into the image, so `myapp:2.0` says 2.0.
    pub version: String,
    /// `GREETING`: the first word of `/`.
    pub greeting: String,
    /// `HOSTNAME`: the pod's name under Kubernetes, the container id under Docker.
    pub hostname: String,
    /// `READY_AFTER_SECONDS`: `/ready` answers 503 until then (a slow start).
    pub ready_after: Duration,
    /// `FAIL_HEALTH_AFTER_SECONDS`: `/health` answers 500 from then on (a liveness failure).
    pub fail_health_after: Option<Duration>,
    /// `STARTUP_DELAY_SECONDS`: time before the port opens at all.
    pub startup_delay: Duration,
    /// `SHUTDOWN_DELAY_SECONDS`: time between SIGTERM and exit, to watch a grace period run out.
    pub shutdown_delay: Duration,
}

#[derive(Debug, PartialEq)]
pub enum ConfigError {
    BadPort { name: &'static str, value: String },
    BadSeconds { name: &'static str, value: String },
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadPort { name, value } => {
                write!(f, "{name}={value:?} is not a port number (1-65535)")
            }
            Self::BadSeconds { name, value } => {
                write!(f, "{name}={value:?} is not a whole number of seconds")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Builds the configuration from environment pairs; `hostname` is the fallback when
    /// `HOSTNAME` is unset (the kernel's host name).
    pub fn from_env<K, V>(
        vars: impl IntoIterator<Item = (K, V)>,
        hostname: &str,
    ) -> Result<Self, ConfigError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let vars: Vec<(String, String)> = vars
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_string(), v.as_ref().to_string()))
            .collect();
        let get = |name: &str| {
            vars.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let port = match get("PORT") {
            None => DEFAULT_PORT,
            Some(value) => match value.parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => {
                    return Err(ConfigError::BadPort {
                        name: "PORT",
                        value,
                    })
                }
            },
        };
        let seconds = |name: &'static str| -> Result<Option<Duration>, ConfigError> {
            get(name)
                .map(|value| {
                    value
                        .parse::<u64>()
                        .map(Duration::from_secs)
                        .map_err(|_| ConfigError::BadSeconds { name, value })
                })
                .transpose()
        };
        Ok(Self {
            port,
            version: get("MYAPP_VERSION").unwrap_or_else(|| "dev".into()),
            greeting: get("GREETING").unwrap_or_else(|| "Hello".into()),
            hostname: get("HOSTNAME").unwrap_or_else(|| hostname.trim().to_string()),
            ready_after: seconds("READY_AFTER_SECONDS")?.unwrap_or_default(),
            fail_health_after: seconds("FAIL_HEALTH_AFTER_SECONDS")?,
            startup_delay: seconds("STARTUP_DELAY_SECONDS")?.unwrap_or_default(),
            shutdown_delay: seconds("SHUTDOWN_DELAY_SECONDS")?.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_env(vars.iter().copied(), "kernel-host\n")
    }

    #[test]
    fn an_empty_environment_listens_on_3000_and_is_ready_at_once() {
        let c = config(&[]).unwrap();
        assert_eq!(c.port, 3000);
        assert_eq!(c.version, "dev");
        assert_eq!(c.greeting, "Hello");
        assert_eq!(c.hostname, "kernel-host");
        assert_eq!(c.ready_after, Duration::ZERO);
        assert_eq!(c.fail_health_after, None);
    }

    #[test]
    fn port_and_knobs_come_from_the_environment() {
        let c = config(&[
            ("PORT", "8080"),
            ("MYAPP_VERSION", "2.0"),
            ("HOSTNAME", "my-api-7c9d8-x2k4z"),
            ("READY_AFTER_SECONDS", "5"),
            ("FAIL_HEALTH_AFTER_SECONDS", "30"),
            ("SHUTDOWN_DELAY_SECONDS", "40"),
        ])
        .unwrap();
        assert_eq!(c.port, 8080);
        assert_eq!(c.version, "2.0");
        assert_eq!(c.hostname, "my-api-7c9d8-x2k4z");
        assert_eq!(c.ready_after, Duration::from_secs(5));
        assert_eq!(c.fail_health_after, Some(Duration::from_secs(30)));
        assert_eq!(c.shutdown_delay, Duration::from_secs(40));
    }

    #[test]
    fn the_last_duplicate_wins_as_in_a_container_env_list() {
        let c = config(&[("GREETING", "Hi"), ("GREETING", "Hola")]).unwrap();
        assert_eq!(c.greeting, "Hola");
    }

    #[test]
    fn a_malformed_knob_is_an_error_naming_it() {
        assert_eq!(
            config(&[("PORT", "http")]).unwrap_err().to_string(),
            "PORT=\"http\" is not a port number (1-65535)"
        );
        assert!(config(&[("PORT", "0")]).is_err());
        assert_eq!(
            config(&[("READY_AFTER_SECONDS", "5s")])
                .unwrap_err()
                .to_string(),
            "READY_AFTER_SECONDS=\"5s\" is not a whole number of seconds"
        );
    }
}
