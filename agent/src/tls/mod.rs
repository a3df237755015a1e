//! HTTPS for the agent's Kubernetes API: the certificate authority and serving certificate kept
//! in the state directory ([`identity`]), the names they cover ([`names`]), and the rustls
//! configuration the listener hands TLS connections to. kubectl sends its bearer token only
//! over TLS, so this is what lets the join token travel as one.

pub mod identity;
pub mod names;

use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("{0}")]
    Identity(#[from] identity::IdentityError),
    #[error("the TLS certificate and key do not make a working server configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// The server side of TLS for `identity`, with the ring provider, speaking HTTP/1.1 (the
/// gateway's watches, logs and upgrades are HTTP/1.1 streams).
pub fn server_config(
    identity: identity::Identity,
) -> Result<Arc<rustls::ServerConfig>, TlsSetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(identity.cert_chain, identity.key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
