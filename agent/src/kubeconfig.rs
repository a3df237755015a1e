//! `kubeplay-agent kubeconfig`: the kubeconfig with which the real kubectl talks to the agent's
//! Kubernetes API as is: one cluster, user and context named `kubeplay`, the agent's CA as the
//! cluster's certificate authority and the join token as the user's bearer token. The token
//! never goes into the server URL, where shell history, logs and `kubectl config view` would
//! show it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// The kubeconfig text; `server` and `token` are quoted so any value stays one YAML scalar.
pub fn render(server: &str, token: &str, ca_pem: &str) -> String {
    let server = quote(server);
    let token = quote(token);
    let ca = STANDARD.encode(ca_pem);
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: kubeplay
  cluster:
    server: {server}
    certificate-authority-data: {ca}
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

/// A YAML double-quoted scalar (JSON's string syntax is valid YAML).
fn quote(value: &str) -> String {
    serde_json::Value::String(value.to_string()).to_string()
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ServerError {
    #[error(
        "--server {0:?}: the agent serves the Kubernetes API over HTTPS only; write https://{1}"
    )]
    PlainHttp(String, String),
    #[error("--server {0:?} must start with https://, e.g. https://127.0.0.1:7443")]
    NoScheme(String),
    #[error("--server {0:?} names no host")]
    NoHost(String),
    #[error("--server {0:?} carries credentials in its URL; pass the token with --token instead")]
    Userinfo(String),
}

/// `https://host:port` accepted; anything else is explained.
pub fn check_server(server: &str) -> Result<(), ServerError> {
    if let Some(rest) = server.strip_prefix("http://") {
        return Err(ServerError::PlainHttp(server.into(), rest.into()));
    }
    let rest = server
        .strip_prefix("https://")
        .ok_or_else(|| ServerError::NoScheme(server.into()))?;
    let authority = rest.split('/').next().unwrap_or("");
    if authority.is_empty() || rest.contains(char::is_whitespace) {
        return Err(ServerError::NoHost(server.into()));
    }
    if authority.contains('@') {
        return Err(ServerError::Userinfo(server.into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    #[test]
    fn the_token_is_the_bearer_token_and_never_in_the_url() {
        let text = render("https://127.0.0.1:7443", "abc-123", CA);
        assert!(
            text.contains("    server: \"https://127.0.0.1:7443\"\n"),
            "{text}"
        );
        assert!(text.contains("    token: \"abc-123\"\n"), "{text}");
        assert_eq!(text.matches("abc-123").count(), 1, "{text}");
        assert!(text.contains("current-context: kubeplay\n"), "{text}");
    }

    #[test]
    fn the_ca_travels_as_base64_pem() {
        let text = render("https://h:1", "t", CA);
        let line = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("certificate-authority-data: "))
            .unwrap();
        assert_eq!(STANDARD.decode(line).unwrap(), CA.as_bytes());
    }

    #[test]
    fn only_https_servers_without_credentials_are_accepted() {
        assert!(check_server("https://127.0.0.1:7443").is_ok());
        assert_eq!(
            check_server("http://127.0.0.1:7443").unwrap_err(),
            ServerError::PlainHttp("http://127.0.0.1:7443".into(), "127.0.0.1:7443".into())
        );
        assert!(matches!(
            check_server("127.0.0.1:7443"),
            Err(ServerError::NoScheme(_))
        ));
        assert!(matches!(
            check_server("https://"),
            Err(ServerError::NoHost(_))
        ));
        assert!(matches!(
            check_server("https://kubeplay:t@h:1"),
            Err(ServerError::Userinfo(_))
        ));
    }
}
