//! What myapp prints when it starts: the same first lines as the offline cluster's simulated
//! myapp, then its environment, so `kubectl logs` shows what a ConfigMap or Secret injected.
//!
//! Values of secret-looking variables are masked: logs get shipped and read by many.

use crate::config::Config;

/// Name fragments that mark a variable's value as secret.
const SECRET_MARKERS: [&str; 5] = ["PASSWORD", "SECRET", "TOKEN", "KEY", "CREDENTIAL"];

/// The start-up lines, before the port opens.
pub fn start_lines(config: &Config, vars: &[(String, String)]) -> Vec<String> {
    let mut lines = vec![
        format!("> myapp@{} start", config.version),
        format!(
            "myapp {} on {}; environment:",
            config.version, config.hostname
        ),
    ];
    let mut vars: Vec<&(String, String)> = vars.iter().collect();
    vars.sort();
    lines.extend(
        vars.into_iter()
            .map(|(name, value)| format!("  {name}={}", shown_value(name, value))),
    );
    lines
}

fn shown_value(name: &str, value: &str) -> String {
    let upper = name.to_ascii_uppercase();
    if SECRET_MARKERS.iter().any(|m| upper.contains(m)) {
        format!("<redacted, {} bytes>", value.len())
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(vars: &[(&str, &str)]) -> Vec<(String, String)> {
        vars.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn start_lines_match_the_simulated_myapp_then_list_the_environment_sorted() {
        let vars = pairs(&[("LOG_LEVEL", "info"), ("APP_ENV", "production")]);
        let config =
            Config::from_env([("MYAPP_VERSION", "1.0"), ("HOSTNAME", "web-1")], "host").unwrap();
        assert_eq!(
            start_lines(&config, &vars),
            vec![
                "> myapp@1.0 start",
                "myapp 1.0 on web-1; environment:",
                "  APP_ENV=production",
                "  LOG_LEVEL=info",
            ]
        );
    }

    #[test]
    fn secret_looking_values_are_masked_but_their_presence_shown() {
        let vars = pairs(&[("DB_PASSWORD", "supersecret123"), ("api_key", "sk-abc123")]);
        let config = Config::from_env(Vec::<(String, String)>::new(), "h").unwrap();
        let lines = start_lines(&config, &vars);
        assert!(lines.contains(&"  DB_PASSWORD=<redacted, 14 bytes>".to_string()));
        assert!(lines.contains(&"  api_key=<redacted, 9 bytes>".to_string()));
        assert!(!lines.iter().any(|l| l.contains("supersecret123")));
    }
}
