//! Which protocol a freshly accepted connection speaks, told from its first byte without
//! consuming it: every TLS connection opens with a handshake record (content type 0x16), while
//! an HTTP request opens with a method name in ASCII. So one port serves the page's `ws://` node
//! link and kubectl's HTTPS side by side.

use std::net::SocketAddr;
use tokio::net::TcpStream;

/// The TLS record content type of a handshake, the first byte a TLS client sends.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tls,
    Plain,
}

impl Transport {
    pub fn from_first_byte(byte: u8) -> Self {
        if byte == TLS_HANDSHAKE_RECORD {
            Transport::Tls
        } else {
            Transport::Plain
        }
    }
}

/// Waits for the first byte and leaves it in the socket for whoever reads next; `None` when the
/// peer closed without sending anything.
pub async fn sniff(stream: &TcpStream) -> std::io::Result<Option<Transport>> {
    let mut first = [0u8; 1];
    let read = stream.peek(&mut first).await?;
    Ok((read == 1).then(|| Transport::from_first_byte(first[0])))
}

/// What a request's filters learn about the connection it came on (a request extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection {
    pub peer: SocketAddr,
    pub transport: Transport,
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    #[test]
    fn a_handshake_record_is_tls_and_a_method_name_is_plain() {
        assert_eq!(Transport::from_first_byte(0x16), Transport::Tls);
        for request in [
            "GET / HTTP/1.1",
            "POST /x",
            "PUT",
            "OPTIONS *",
            "PRI * HTTP/2.0",
        ] {
            assert_eq!(
                Transport::from_first_byte(request.as_bytes()[0]),
                Transport::Plain,
                "{request}"
            );
        }
    }

    /// Sniffing a real socket classifies it and leaves every byte for the reader.
    #[tokio::test]
    async fn sniffing_a_socket_consumes_nothing() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = tokio::spawn(async move {
            let mut c = TcpStream::connect(addr).await.unwrap();
            c.write_all(&[0x16, 0x03, 0x01]).await.unwrap();
            c
        });
        let (mut server, _) = listener.accept().await.unwrap();
        assert_eq!(sniff(&server).await.unwrap(), Some(Transport::Tls));
        let mut bytes = [0u8; 3];
        server.read_exact(&mut bytes).await.unwrap();
        assert_eq!(bytes, [0x16, 0x03, 0x01]);
        drop(client.await.unwrap());
    }

    #[tokio::test]
    async fn a_peer_that_closes_at_once_is_neither() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(TcpStream::connect(addr).await.unwrap());
        let (server, _) = listener.accept().await.unwrap();
        assert_eq!(sniff(&server).await.unwrap(), None);
    }
}
