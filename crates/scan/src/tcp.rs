//! The engine's TCP fallback: one query over TCP (after a truncated UDP
//! reply), with its own connection and a deadline.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use ptr_audit_model::FailureReason;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One query over TCP with 2-byte length framing; the reply must carry `id`.
pub(crate) async fn exchange(
    server: SocketAddr,
    query: Vec<u8>,
    id: u16,
    timeout: Duration,
) -> Result<Vec<u8>, FailureReason> {
    let exchange = async {
        let net = |e: io::Error| FailureReason::Network(e.kind().to_string());
        let mut stream = tokio::net::TcpStream::connect(server).await.map_err(net)?;
        let mut framed = Vec::with_capacity(query.len() + 2);
        framed.extend_from_slice(&(query.len() as u16).to_be_bytes());
        framed.extend_from_slice(&query);
        stream.write_all(&framed).await.map_err(net)?;
        // A server may send something else first; read a few messages at most.
        for _ in 0..4 {
            let len = stream.read_u16().await.map_err(net)?;
            let mut reply = vec![0u8; usize::from(len)];
            stream.read_exact(&mut reply).await.map_err(net)?;
            if reply.len() >= 2 && u16::from_be_bytes([reply[0], reply[1]]) == id {
                return Ok(reply);
            }
        }
        Err(FailureReason::Malformed)
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or(Err(FailureReason::Timeout))
}
