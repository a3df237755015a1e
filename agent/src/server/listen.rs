//! The accept loop: every TCP connection is sniffed ([`super::transport`]), TLS ones go through
//! the rustls handshake, and both are then served HTTP by hyper with the same warp filters. The
//! request carries a [`Connection`] extension saying which it came on, because what a request may
//! do depends on it (the Kubernetes API is HTTPS-only, the node link is both).

use super::transport::{sniff, Connection, Transport};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tower_service::Service;
use warp::hyper::body::Incoming;
use warp::reply::Response as Reply;

/// How long a connection may take to send its first byte and finish a TLS handshake, so idle
/// sockets do not pile up.
const OPENING_LIMIT: Duration = Duration::from_secs(30);
/// Pause after a failed accept (out of file descriptors, say) before trying again.
const ACCEPT_RETRY: Duration = Duration::from_millis(200);

/// Serves until `shutdown` resolves, then waits for open connections to finish.
pub async fn serve<S>(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    service: S,
    shutdown: impl std::future::Future<Output = ()>,
) where
    S: Service<warp::http::Request<Incoming>, Response = Reply, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (acceptor, service, watcher) = (acceptor.clone(), service.clone(), graceful.watcher());
        tokio::spawn(async move {
            if let Err(reason) = connection(stream, peer, acceptor, service, watcher).await {
                tracing::debug!(%peer, "connection ended before a request: {reason}");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

async fn connection<S>(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: tokio_rustls::TlsAcceptor,
    service: S,
    watcher: Watcher,
) -> Result<(), String>
where
    S: Service<warp::http::Request<Incoming>, Response = Reply, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    // A node link carries keystrokes, credits and the small tail of each burst of stream data:
    // none of them should wait for the peer's ACK as Nagle's algorithm would make them.
    let _ = stream.set_nodelay(true);
    let transport = match tokio::time::timeout(OPENING_LIMIT, sniff(&stream)).await {
        Err(_) => return Err("sent nothing".into()),
        Ok(Err(e)) => return Err(e.to_string()),
        Ok(Ok(None)) => return Ok(()),
        Ok(Ok(Some(transport))) => transport,
    };
    let service = WithConnection {
        inner: service,
        connection: Connection { peer, transport },
    };
    match transport {
        Transport::Plain => http(TokioIo::new(stream), service, watcher).await,
        Transport::Tls => {
            let stream = tokio::time::timeout(OPENING_LIMIT, acceptor.accept(stream))
                .await
                .map_err(|_| "the TLS handshake did not finish".to_string())?
                .map_err(|e| format!("TLS handshake failed: {e}"))?;
            http(TokioIo::new(stream), service, watcher).await
        }
    }
}

async fn http<I, S>(io: I, service: S, watcher: Watcher) -> Result<(), String>
where
    I: warp::hyper::rt::Read + warp::hyper::rt::Write + Unpin + Send + 'static,
    S: Service<warp::http::Request<Incoming>, Response = Reply, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let service = hyper_util::service::TowerToHyperService::new(service);
    let builder = auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection_with_upgrades(io, service);
    watcher
        .watch(conn.into_owned())
        .await
        .map_err(|e| e.to_string())
}

/// Adds the [`Connection`] to every request before the filters see it.
#[derive(Clone)]
struct WithConnection<S> {
    inner: S,
    connection: Connection,
}

impl<S, B> Service<warp::http::Request<B>> for WithConnection<S>
where
    S: Service<warp::http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: warp::http::Request<B>) -> Self::Future {
        request.extensions_mut().insert(self.connection);
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::{identity, server_config};
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, ServerName};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use warp::Filter as _;

    const REQUEST: &[u8] = b"GET /which HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

    /// A server on a free loopback port whose one route names the transport it was reached by;
    /// its certificate comes from a CA made under a different set of names first, so the test
    /// also shows a re-issued certificate chains to the CA kept on disk.
    async fn start() -> (SocketAddr, String, tokio::sync::oneshot::Sender<()>) {
        let state = identity::temp_state_dir();
        identity::load_or_create(&state, &["localhost".to_string()]).unwrap();
        let names = ["localhost".to_string(), "127.0.0.1".to_string()];
        let tls = server_config(identity::load_or_create(&state, &names).unwrap()).unwrap();
        let ca = identity::read_ca(&state).unwrap();
        std::fs::remove_dir_all(&state).unwrap();
        let route = warp::path("which")
            .and(warp::ext::optional::<Connection>())
            .map(|c: Option<Connection>| format!("{:?}", c.map(|c| c.transport)));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let service = warp::service(route.map(warp::reply::Reply::into_response));
        tokio::spawn(serve(listener, tls, service, async {
            let _ = stopped.await;
        }));
        (addr, ca, stop)
    }

    fn client(ca: &str) -> tokio_rustls::TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(ca.as_bytes()).unwrap())
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        tokio_rustls::TlsConnector::from(Arc::new(config))
    }

    async fn exchange<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(mut s: S) -> String {
        s.write_all(REQUEST).await.unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).await.unwrap();
        answer
    }

    #[tokio::test]
    async fn one_port_serves_plain_http_and_tls_and_says_which() {
        let (addr, ca, _stop) = start().await;
        let plain = exchange(TcpStream::connect(addr).await.unwrap()).await;
        assert!(plain.starts_with("HTTP/1.1 200"), "{plain}");
        assert!(plain.ends_with("Some(Plain)"), "{plain}");

        let tcp = TcpStream::connect(addr).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let tls = client(&ca).connect(name, tcp).await.unwrap();
        let secure = exchange(tls).await;
        assert!(secure.starts_with("HTTP/1.1 200"), "{secure}");
        assert!(secure.ends_with("Some(Tls)"), "{secure}");
    }

    #[tokio::test]
    async fn a_client_asking_for_a_name_the_certificate_lacks_is_refused() {
        let (addr, ca, _stop) = start().await;
        let tcp = TcpStream::connect(addr).await.unwrap();
        let name = ServerName::try_from("elsewhere.example").unwrap();
        let err = client(&ca).connect(name, tcp).await.unwrap_err();
        assert!(err.to_string().contains("certificate"), "{err}");
    }
}
