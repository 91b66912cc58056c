//! Batched UDP I/O: many datagrams per system call with `recvmmsg` and
//! `sendmmsg` on the engine's connected sockets. On loopback a query costs
//! little more than its system calls, so sending and receiving in batches is
//! most of what separates one query per `sendto` from the server's own speed.

use std::io;
use std::io::{IoSlice, IoSliceMut};
use std::os::fd::AsRawFd;

use nix::sys::socket::{ControlMessage, MsgFlags, MultiHeaders, recvmmsg, sendmmsg};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Datagrams per `recvmmsg` call.
const RECV_COUNT: usize = 64;
/// Bytes per received datagram: the largest UDP payload, so that the kernel
/// never cuts a reply (untouched pages of the buffer cost no memory).
const RECV_SIZE: usize = 65_535;
/// Datagrams per `sendmmsg` call (the kernel's UIO_MAXIOV is 1024).
pub(crate) const SEND_COUNT: usize = 64;

/// Buffers for receiving up to [`RECV_COUNT`] datagrams in one call.
pub(crate) struct RecvBatch {
    buf: Vec<u8>,
    lens: [usize; RECV_COUNT],
}

impl RecvBatch {
    pub(crate) fn new() -> Self {
        Self {
            buf: vec![0; RECV_COUNT * RECV_SIZE],
            lens: [0; RECV_COUNT],
        }
    }

    /// A batch without buffers, to stand in while the real one is lent out.
    pub(crate) fn empty() -> Self {
        Self {
            buf: Vec::new(),
            lens: [0; RECV_COUNT],
        }
    }

    /// Reads the datagrams waiting on `sock` (at most [`RECV_COUNT`]) without
    /// blocking; returns how many, `WouldBlock` when there are none.
    pub(crate) fn recv(&mut self, sock: &UdpSocket) -> io::Result<usize> {
        let fd = sock.as_raw_fd();
        let (buf, lens) = (&mut self.buf, &mut self.lens);
        sock.try_io(Interest::READABLE, || {
            let mut headers = MultiHeaders::<()>::preallocate(RECV_COUNT, None);
            let mut slices: Vec<[IoSliceMut<'_>; 1]> = buf
                .chunks_mut(RECV_SIZE)
                .map(|chunk| [IoSliceMut::new(chunk)])
                .collect();
            let got = recvmmsg(
                fd,
                &mut headers,
                slices.iter_mut(),
                MsgFlags::MSG_DONTWAIT,
                None,
            )
            .map_err(io::Error::from)?;
            let mut n = 0;
            for (len, msg) in lens.iter_mut().zip(got) {
                *len = msg.bytes;
                n += 1;
            }
            Ok(n)
        })
    }

    /// The `i`th datagram of the last [`RecvBatch::recv`].
    pub(crate) fn message(&self, i: usize) -> &[u8] {
        &self.buf[i * RECV_SIZE..][..self.lens[i]]
    }
}

/// Queries gathered for one socket, sent together.
#[derive(Default)]
pub(crate) struct SendBatch {
    buf: Vec<u8>,
    ends: Vec<usize>,
}

impl SendBatch {
    pub(crate) fn new() -> Self {
        Self {
            buf: Vec::with_capacity(SEND_COUNT * 128),
            ends: Vec::with_capacity(SEND_COUNT),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Adds one datagram.
    pub(crate) fn push(&mut self, datagram: &[u8]) {
        self.buf.extend_from_slice(datagram);
        self.ends.push(self.buf.len());
    }

    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
    }

    /// Drops the first `n` datagrams (those sent).
    pub(crate) fn drain_front(&mut self, n: usize) {
        let Some(cut) = n.checked_sub(1).map(|i| self.ends[i]) else {
            return;
        };
        self.buf.drain(..cut);
        self.ends.drain(..n);
        for end in &mut self.ends {
            *end -= cut;
        }
    }

    /// Sends datagrams `from..upto`, in order, without blocking; returns how
    /// many the kernel took (`WouldBlock` when none).
    pub(crate) fn send(&self, sock: &UdpSocket, from: usize, upto: usize) -> io::Result<usize> {
        let fd = sock.as_raw_fd();
        let mut at = from.checked_sub(1).map_or(0, |i| self.ends[i]);
        let slices: Vec<[IoSlice<'_>; 1]> = self.ends[from..upto]
            .iter()
            .map(|&end| {
                let slice = [IoSlice::new(&self.buf[at..end])];
                at = end;
                slice
            })
            .collect();
        let addrs = vec![None::<()>; slices.len()];
        let no_cmsgs: [ControlMessage<'_>; 0] = [];
        sock.try_io(Interest::WRITABLE, || {
            let mut headers = MultiHeaders::<()>::preallocate(slices.len(), None);
            let sent = sendmmsg(
                fd,
                &mut headers,
                slices.iter(),
                &addrs,
                no_cmsgs,
                MsgFlags::MSG_DONTWAIT,
            )
            .map_err(io::Error::from)?;
            Ok(sent.count())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two connected loopback sockets.
    async fn pair() -> (UdpSocket, UdpSocket) {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        (a, b)
    }

    /// Reads until `want` datagrams have arrived.
    async fn read(sock: &UdpSocket, recv: &mut RecvBatch, want: usize) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        while got.len() < want {
            sock.readable().await.unwrap();
            match recv.recv(sock) {
                Ok(n) => got.extend((0..n).map(|i| recv.message(i).to_vec())),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("{e}"),
            }
        }
        got
    }

    #[tokio::test]
    async fn datagrams_go_out_in_order_across_partial_sends() {
        let (a, b) = pair().await;
        let mut batch = SendBatch::new();
        let sent: Vec<Vec<u8>> = (0u8..5).map(|i| vec![i; 10 + usize::from(i)]).collect();
        for d in &sent {
            batch.push(d);
        }
        assert_eq!(batch.len(), 5);
        // The first two, as if the socket had then filled up; the rest later.
        a.writable().await.unwrap();
        assert_eq!(batch.send(&a, 0, 2).unwrap(), 2);
        batch.drain_front(2);
        assert_eq!(batch.len(), 3);
        assert_eq!(batch.send(&a, 0, 3).unwrap(), 3);
        batch.clear();
        assert_eq!(batch.len(), 0);

        let mut recv = RecvBatch::new();
        assert_eq!(read(&b, &mut recv, 5).await, sent);
        // Nothing more is waiting.
        let e = recv.recv(&b).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
    }

    #[tokio::test]
    async fn one_call_reads_many_datagrams_and_large_ones_whole() {
        let (a, b) = pair().await;
        let big = vec![7u8; 9000];
        a.send(&big).await.unwrap();
        for i in 0u8..100 {
            a.send(&[i]).await.unwrap();
        }
        let mut recv = RecvBatch::new();
        // Loopback delivers during `send`: all 101 are waiting, one call
        // takes a full batch.
        b.readable().await.unwrap();
        let n = recv.recv(&b).unwrap();
        assert_eq!(n, RECV_COUNT);
        let mut got: Vec<Vec<u8>> = (0..n).map(|i| recv.message(i).to_vec()).collect();
        got.extend(read(&b, &mut recv, 101 - n).await);
        assert_eq!(got[0], big);
        assert_eq!(
            got[1..],
            (0u8..100).map(|i| vec![i]).collect::<Vec<_>>()[..]
        );
    }
}
