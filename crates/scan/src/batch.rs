//! Batched UDP I/O: many datagrams per system call with `recvmmsg` and
//! `sendmmsg` on the engine's connected sockets. On loopback a query costs
//! little more than its system calls, so sending and receiving in batches is
//! most of what separates one query per `sendto` from the server's own speed.
//!
//! Those calls exist on Linux only. The portable path (one `send`/`recv`
//! per datagram, same buffers, same results) is what other systems always
//! take; on Linux the `batched` argument selects it at run time
//! ([`ScanConfig::batched_io`](crate::ScanConfig::batched_io)), so the tests
//! run it without a second build.

use std::io;

use tokio::net::UdpSocket;

/// True where `sendmmsg`/`recvmmsg` exist.
const HAVE_MMSG: bool = cfg!(any(target_os = "linux", target_os = "android"));

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
    /// blocking, in one system call when `batched`; returns how many,
    /// `WouldBlock` when there are none.
    pub(crate) fn recv(&mut self, sock: &UdpSocket, batched: bool) -> io::Result<usize> {
        if !(batched && HAVE_MMSG) {
            return self.recv_each(sock);
        }
        self.recv_mmsg(sock)
    }

    /// The portable path: one `recv` per datagram.
    fn recv_each(&mut self, sock: &UdpSocket) -> io::Result<usize> {
        let mut n = 0;
        for (chunk, len) in self.buf.chunks_mut(RECV_SIZE).zip(&mut self.lens) {
            match sock.try_recv(chunk) {
                Ok(got) => {
                    *len = got;
                    n += 1;
                }
                // what was read counts; an error comes again with the next call
                Err(_) if n > 0 => break,
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn recv_mmsg(&mut self, sock: &UdpSocket) -> io::Result<usize> {
        use nix::sys::socket::{MsgFlags, MultiHeaders, recvmmsg};
        use std::io::IoSliceMut;
        use std::os::fd::AsRawFd;
        use tokio::io::Interest;
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

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn recv_mmsg(&mut self, sock: &UdpSocket) -> io::Result<usize> {
        self.recv_each(sock)
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

    /// Sends datagrams `from..upto`, in order, without blocking, in one
    /// system call when `batched`; returns how many the kernel took
    /// (`WouldBlock` when none).
    pub(crate) fn send(
        &self,
        sock: &UdpSocket,
        from: usize,
        upto: usize,
        batched: bool,
    ) -> io::Result<usize> {
        if !(batched && HAVE_MMSG) {
            return self.send_each(sock, from, upto);
        }
        self.send_mmsg(sock, from, upto)
    }

    /// The portable path: one `send` per datagram.
    fn send_each(&self, sock: &UdpSocket, from: usize, upto: usize) -> io::Result<usize> {
        let mut at = from.checked_sub(1).map_or(0, |i| self.ends[i]);
        let mut sent = 0;
        for &end in &self.ends[from..upto] {
            match sock.try_send(&self.buf[at..end]) {
                Ok(_) => sent += 1,
                // what went out counts; the error comes with the next call
                Err(_) if sent > 0 => break,
                Err(e) => return Err(e),
            }
            at = end;
        }
        Ok(sent)
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn send_mmsg(&self, sock: &UdpSocket, from: usize, upto: usize) -> io::Result<usize> {
        self.send_each(sock, from, upto)
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn send_mmsg(&self, sock: &UdpSocket, from: usize, upto: usize) -> io::Result<usize> {
        use nix::sys::socket::{ControlMessage, MsgFlags, MultiHeaders, sendmmsg};
        use std::io::IoSlice;
        use std::os::fd::AsRawFd;
        use tokio::io::Interest;
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
    async fn read(
        sock: &UdpSocket,
        recv: &mut RecvBatch,
        want: usize,
        batched: bool,
    ) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        while got.len() < want {
            sock.readable().await.unwrap();
            match recv.recv(sock, batched) {
                Ok(n) => got.extend((0..n).map(|i| recv.message(i).to_vec())),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("{e}"),
            }
        }
        got
    }

    #[tokio::test]
    async fn datagrams_go_out_in_order_across_partial_sends() {
        for batched in [true, false] {
            in_order_across_partial_sends(batched).await;
        }
    }

    async fn in_order_across_partial_sends(batched: bool) {
        let (a, b) = pair().await;
        let mut batch = SendBatch::new();
        let sent: Vec<Vec<u8>> = (0u8..5).map(|i| vec![i; 10 + usize::from(i)]).collect();
        for d in &sent {
            batch.push(d);
        }
        assert_eq!(batch.len(), 5);
        // The first two, as if the socket had then filled up; the rest later.
        a.writable().await.unwrap();
        assert_eq!(batch.send(&a, 0, 2, batched).unwrap(), 2);
        batch.drain_front(2);
        assert_eq!(batch.len(), 3);
        assert_eq!(batch.send(&a, 0, 3, batched).unwrap(), 3);
        batch.clear();
        assert_eq!(batch.len(), 0);

        let mut recv = RecvBatch::new();
        assert_eq!(read(&b, &mut recv, 5, batched).await, sent);
        // Nothing more is waiting.
        let e = recv.recv(&b, batched).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
    }

    #[tokio::test]
    async fn one_call_reads_many_datagrams_and_large_ones_whole() {
        for batched in [true, false] {
            many_datagrams_and_large_ones_whole(batched).await;
        }
    }

    async fn many_datagrams_and_large_ones_whole(batched: bool) {
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
        let n = recv.recv(&b, batched).unwrap();
        assert_eq!(n, RECV_COUNT);
        let mut got: Vec<Vec<u8>> = (0..n).map(|i| recv.message(i).to_vec()).collect();
        got.extend(read(&b, &mut recv, 101 - n, batched).await);
        assert_eq!(got[0], big);
        assert_eq!(
            got[1..],
            (0u8..100).map(|i| vec![i]).collect::<Vec<_>>()[..]
        );
    }
}
