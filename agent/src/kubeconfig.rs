//! `kubeplay-agent kubeconfig`: the kubeconfig with which the real kubectl talks to the agent's
//! Kubernetes API as is: one cluster, user and context named `kubeplay`, the join token as the
//! bearer token.
//!
//! kubectl sends a kubeconfig user's credentials only to HTTPS servers, and the agent serves
//! plain HTTP; Go's HTTP client does send a URL's userinfo as Basic auth, though, so the server
//! URL carries the token as its password (`http://kubeplay:<token>@host:port`), which the agent
//! accepts. The user entry keeps the token as bearer token for a server behind TLS.

/// The kubeconfig text; `server` and `token` are quoted so any value stays one YAML scalar.
pub fn render(server: &str, token: &str) -> String {
    let server = quote(&with_credentials(server, token));
    let token = quote(token);
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: kubeplay
  cluster:
    server: {server}
users:
- name: kubeplay
  user:
    token: {token}
contexts:
- name: kubeplay
  context:
    cluster: kubeplay
    user: kubeplay
    namespace: default
current-context: kubeplay
preferences: {{}}
"
    )
}

/// `http://kubeplay:<token>@host:port/…` for a plain-HTTP server without userinfo.
fn with_credentials(server: &str, token: &str) -> String {
    match server.strip_prefix("http://") {
        Some(rest) if !rest.split('/').next().unwrap_or("").contains('@') => {
            format!("http://kubeplay:{token}@{rest}")
        }
        _ => server.to_string(),
    }
}

/// A YAML double-quoted scalar (JSON's string syntax is valid YAML).
fn quote(value: &str) -> String {
    serde_json::Value::String(value.to_string()).to_string()
}

/// `http://host:port` accepted; anything else is explained.
pub fn check_server(server: &str) -> Result<(), String> {
    let rest = server
        .strip_prefix("http://")
        .or_else(|| server.strip_prefix("https://"))
        .ok_or_else(|| {
            format!("--server {server:?} must start with http:// (the agent serves plain HTTP)")
        })?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(format!("--server {server:?} names no host"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_context_is_kubeplay_with_the_token_as_bearer() {
        let text = render("http://127.0.0.1:7443", "abc-123");
        assert!(
            text.contains("server: \"http://kubeplay:abc-123@127.0.0.1:7443\""),
            "{text}"
        );
        assert!(text.contains("token: \"abc-123\""), "{text}");
        assert!(text.contains("current-context: kubeplay\n"), "{text}");
    }

    #[test]
    fn only_plain_http_servers_get_the_token_in_their_url() {
        assert_eq!(with_credentials("https://h:1", "t"), "https://h:1");
        assert_eq!(with_credentials("http://u:p@h:1", "t"), "http://u:p@h:1");
        assert_eq!(
            with_credentials("http://h:1/x", "t"),
            "http://kubeplay:t@h:1/x"
        );
    }

    #[test]
    fn a_server_without_scheme_is_refused() {
        assert!(check_server("127.0.0.1:7443").is_err());
        assert!(check_server("http://").is_err());
        assert!(check_server("http://127.0.0.1:7443").is_ok());
    }
}
