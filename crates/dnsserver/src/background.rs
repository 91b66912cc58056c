//! A loopback UDP+TCP service on a thread of its own with a current-thread
//! tokio runtime, stopped on drop: what [`ZoneServer`](crate::ZoneServer)
//! and [`FaultProxy`](crate::faults::FaultProxy) run on.

use std::future::Future;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::ZoneError;

/// Binds a UDP socket and a TCP listener on the same port of `at` (an
/// ephemeral one when its port is 0).
fn bind_pair(at: SocketAddr) -> std::io::Result<(std::net::UdpSocket, std::net::TcpListener)> {
    let mut last = None;
    for _ in 0..64 {
        let udp = std::net::UdpSocket::bind(at)?;
        match std::net::TcpListener::bind(udp.local_addr()?) {
            Ok(tcp) => {
                udp.set_nonblocking(true)?;
                tcp.set_nonblocking(true)?;
                return Ok((udp, tcp));
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free port pair")))
}

/// A running service; dropping it stops the service and joins its thread.
#[derive(Debug)]
pub(crate) struct Background {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    /// Binds UDP and TCP on one ephemeral port of 127.0.0.1 and runs
    /// `serve(udp, tcp, stop)` on a new thread; `serve` should return soon
    /// after `stop` fires (or its sender is dropped). Returns once bound.
    pub(crate) fn start<F, Fut>(name: &str, serve: F) -> Result<Background, ZoneError>
    where
        F: FnOnce(tokio::net::UdpSocket, tokio::net::TcpListener, oneshot::Receiver<()>) -> Fut
            + Send
            + 'static,
        Fut: Future<Output = ()>,
    {
        Self::start_on(name, SocketAddr::from(([127, 0, 0, 1], 0)), serve)
    }

    /// Like [`Background::start`], bound to `at` (port 0: an ephemeral one).
    pub(crate) fn start_on<F, Fut>(
        name: &str,
        at: SocketAddr,
        serve: F,
    ) -> Result<Background, ZoneError>
    where
        F: FnOnce(tokio::net::UdpSocket, tokio::net::TcpListener, oneshot::Receiver<()>) -> Fut
            + Send
            + 'static,
        Fut: Future<Output = ()>,
    {
        let serve_err = |source| ZoneError::Serve { source };
        let (udp, tcp) = bind_pair(at).map_err(serve_err)?;
        let addr = udp.local_addr().map_err(serve_err)?;
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<std::io::Result<()>>();
        let thread = std::thread::Builder::new()
            .name(format!("{name}-{}", addr.port()))
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let sockets = tokio::net::UdpSocket::from_std(udp).and_then(|udp| {
                        tokio::net::TcpListener::from_std(tcp).map(|tcp| (udp, tcp))
                    });
                    match sockets {
                        Ok((udp, tcp)) => {
                            let _ = ready_tx.send(Ok(()));
                            serve(udp, tcp, stop_rx).await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })
            .map_err(serve_err)?;
        let ready = ready_rx
            .recv()
            .unwrap_or_else(|_| Err(std::io::Error::other("the service thread ended early")));
        if let Err(source) = ready {
            let _ = thread.join();
            return Err(ZoneError::Serve { source });
        }
        Ok(Background {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The address (UDP and TCP) the service listens on.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the service and waits for its thread.
    pub(crate) fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop();
    }
}
