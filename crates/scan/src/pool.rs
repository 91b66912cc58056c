//! The scan's UDP sockets: per server, a pool of connected sockets with
//! kernel-chosen source ports, each with its own table of query IDs drawn
//! from a cryptographic generator (ChaCha12 seeded by the operating system).
//! An off-path spoofer must guess the port as well as the ID, and ports do
//! not stay long enough to be learnt: a socket that has carried
//! [`RENEW_AFTER`] queries is retired (it takes no new query, still reads
//! the replies to its queries in flight, and is closed once the last of them
//! is answered or timed out) and a fresh one takes its place.
//!
//! Queries leave in batches (`sendmmsg`): a whole batch goes out on one
//! socket and the next batch on the next socket of the pool, so the pool does
//! not split batches.

use std::io;
use std::net::SocketAddr;

use rand::rngs::{StdRng, SysRng};
use rand::{Rng, SeedableRng};
use tokio::net::UdpSocket;

/// An unused entry of an ID table.
pub(crate) const FREE: u32 = u32::MAX;
/// Queries a socket carries before it is retired.
pub(crate) const RENEW_AFTER: u32 = 2048;

/// One UDP socket of the pool.
struct Sock {
    udp: UdpSocket,
    /// Query ID to slot (`FREE` when unused).
    ids: Vec<u32>,
    /// Queries sent on it and not yet answered, timed out or failed.
    inflight: u32,
    /// Queries it has carried.
    sent: u32,
    /// Takes no new query; closed when `inflight` drops to 0.
    retired: bool,
}

/// Every UDP socket of a scan, by index (stable while the socket lives).
pub(crate) struct Pools {
    socks: Vec<Option<Sock>>,
    free: Vec<u32>,
    /// Indexes of the sockets alive (active or retired), for polling.
    live: Vec<u32>,
    /// Per server: the active sockets, and which takes the next batch.
    active: Vec<Vec<u32>>,
    turn: Vec<usize>,
    servers: Vec<SocketAddr>,
    /// The largest receive buffer the kernel granted, in bytes.
    pub(crate) granted: usize,
    rng: StdRng,
}

/// A non-blocking UDP socket connected to `server` (the kernel then skips the
/// route lookup per packet and drops datagrams from anyone else) on a port
/// the kernel picks, with 4 MiB buffers as far as the kernel allows; returns
/// it with the receive buffer size the kernel granted.
fn udp_socket(server: SocketAddr) -> io::Result<(UdpSocket, usize)> {
    use socket2::{Domain, Protocol, Socket, Type};
    let v6 = server.is_ipv6();
    let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
    let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    if v6 {
        socket.set_only_v6(true)?;
    }
    // Best effort: the kernel caps these at net.core.{r,w}mem_max.
    let _ = socket.set_recv_buffer_size(4 << 20);
    let _ = socket.set_send_buffer_size(4 << 20);
    let granted = socket.recv_buffer_size().unwrap_or(0);
    socket.set_nonblocking(true)?;
    let bind: SocketAddr = if v6 {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    };
    socket.bind(&bind.into())?;
    socket.connect(&server.into())?;
    Ok((UdpSocket::from_std(socket.into())?, granted))
}

impl Pools {
    /// `per_server` sockets for each of `servers` (at least one).
    pub(crate) fn new(servers: &[SocketAddr], per_server: usize) -> io::Result<Self> {
        let rng = StdRng::try_from_rng(&mut SysRng).map_err(io::Error::other)?;
        let mut pools = Self {
            socks: Vec::new(),
            free: Vec::new(),
            live: Vec::new(),
            active: vec![Vec::new(); servers.len()],
            turn: vec![0; servers.len()],
            servers: servers.to_vec(),
            granted: 0,
            rng,
        };
        for server in 0..servers.len() {
            for _ in 0..per_server.max(1) {
                let i = pools.open(server)?;
                pools.active[server].push(i);
            }
        }
        Ok(pools)
    }

    /// Opens a socket to `server` and returns its index.
    fn open(&mut self, server: usize) -> io::Result<u32> {
        let (udp, granted) = udp_socket(self.servers[server])?;
        self.granted = self.granted.max(granted);
        let sock = Sock {
            udp,
            ids: vec![FREE; 65_536],
            inflight: 0,
            sent: 0,
            retired: false,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.socks[i as usize] = Some(sock);
                i
            }
            None => {
                self.socks.push(Some(sock));
                (self.socks.len() - 1) as u32
            }
        };
        self.live.push(i);
        Ok(i)
    }

    fn get(&self, i: u32) -> &Sock {
        self.socks[i as usize].as_ref().expect("socket is live")
    }

    fn get_mut(&mut self, i: u32) -> &mut Sock {
        self.socks[i as usize].as_mut().expect("socket is live")
    }

    /// The socket `i` (live).
    pub(crate) fn udp(&self, i: u32) -> &UdpSocket {
        &self.get(i).udp
    }

    /// True while socket `i` is open.
    pub(crate) fn is_live(&self, i: u32) -> bool {
        self.socks.get(i as usize).is_some_and(Option::is_some)
    }

    /// The indexes of the live sockets.
    pub(crate) fn live(&self) -> &[u32] {
        &self.live
    }

    /// Waits until one of the sockets is readable (no allocation: each socket's
    /// readiness is polled in turn and each keeps the loop's waker).
    pub(crate) async fn readable(&self) {
        std::future::poll_fn(|cx| {
            for &i in self.live() {
                if self.udp(i).poll_recv_ready(cx).is_ready() {
                    return std::task::Poll::Ready(());
                }
            }
            std::task::Poll::Pending
        })
        .await;
    }

    /// Waits until the blocked socket is writable; never, when none is blocked.
    pub(crate) async fn writable(&self, blocked: Option<u32>) {
        match blocked {
            Some(i) => {
                let _ = self.udp(i).writable().await;
            }
            None => std::future::pending().await,
        }
    }

    /// The socket the next batch to `server` goes out on: the next of its
    /// pool, renewed first if it has carried [`RENEW_AFTER`] queries (if a
    /// new socket cannot be opened, the old one goes on).
    pub(crate) fn next_for(&mut self, server: usize) -> u32 {
        let pool_len = self.active[server].len();
        let k = self.turn[server] % pool_len;
        self.turn[server] = (k + 1) % pool_len;
        let i = self.active[server][k];
        if self.get(i).sent < RENEW_AFTER {
            return i;
        }
        match self.open(server) {
            Ok(fresh) => {
                self.active[server][k] = fresh;
                self.get_mut(i).retired = true;
                self.close_if_done(i);
                fresh
            }
            Err(_) => {
                self.get_mut(i).sent = 0;
                i
            }
        }
    }

    /// A random ID that is free on socket `i` (the caller keeps fewer than a
    /// quarter of the IDs in use, so this takes a try or two).
    pub(crate) fn free_id(&mut self, i: u32) -> u16 {
        loop {
            let id = self.random_id();
            if self.get(i).ids[usize::from(id)] == FREE {
                return id;
            }
        }
    }

    /// A random ID (for TCP, where the connection is the question's own).
    pub(crate) fn random_id(&mut self) -> u16 {
        (self.rng.next_u32() >> 16) as u16
    }

    /// Records query `id` of `slot` as sent on socket `i`.
    pub(crate) fn bind_id(&mut self, i: u32, id: u16, slot: u32) {
        let sock = self.get_mut(i);
        sock.ids[usize::from(id)] = slot;
        sock.inflight += 1;
        sock.sent += 1;
    }

    /// The slot waiting for `id` on socket `i`, or [`FREE`].
    pub(crate) fn slot_of(&self, i: u32, id: u16) -> u32 {
        self.get(i).ids[usize::from(id)]
    }

    /// Query `id` on socket `i` is over (answered, timed out or failed); a
    /// retired socket is closed with its last one.
    pub(crate) fn release(&mut self, i: u32, id: u16) {
        let sock = self.get_mut(i);
        if sock.ids[usize::from(id)] != FREE {
            sock.ids[usize::from(id)] = FREE;
            sock.inflight -= 1;
        }
        self.close_if_done(i);
    }

    fn close_if_done(&mut self, i: u32) {
        let sock = self.get(i);
        if sock.retired && sock.inflight == 0 {
            self.socks[i as usize] = None;
            self.free.push(i);
            self.live.retain(|&l| l != i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sockets_take_batches_in_turn_and_are_renewed_after_their_share() {
        let server: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let mut pools = Pools::new(&[server], 3).unwrap();
        let first: Vec<u32> = (0..3).map(|_| pools.next_for(0)).collect();
        assert_eq!(pools.next_for(0), first[0], "the pool goes round");
        let ports: Vec<u16> = first
            .iter()
            .map(|&i| pools.udp(i).local_addr().unwrap().port())
            .collect();
        assert!(ports.iter().all(|&p| p != 0));
        // socket 0 carries its share; one query stays in flight
        let s0 = first[0];
        let mut last = 0;
        for n in 0..RENEW_AFTER {
            let id = pools.free_id(s0);
            pools.bind_id(s0, id, n);
            assert_eq!(pools.slot_of(s0, id), n);
            if n + 1 < RENEW_AFTER {
                pools.release(s0, id);
            } else {
                last = id;
            }
        }
        pools.next_for(0);
        pools.next_for(0);
        let fresh = pools.next_for(0);
        assert_ne!(fresh, s0, "renewed");
        assert_ne!(
            pools.udp(fresh).local_addr().unwrap().port(),
            ports[0],
            "a new port"
        );
        // the retired socket still reads its last query, then closes
        assert!(pools.live().contains(&s0));
        assert_eq!(pools.slot_of(s0, last), RENEW_AFTER - 1);
        pools.release(s0, last);
        assert!(!pools.live().contains(&s0));
        assert_eq!(pools.live().len(), 3);
    }
}
