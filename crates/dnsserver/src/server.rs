//! [`ZoneServer`]: hickory-server on its own thread, serving a [`ZoneSet`]
//! on `127.0.0.1` (UDP and TCP, one ephemeral port), with query accounting
//! and run-time behaviour switches for tests.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hickory_server::Server;
use hickory_server::net::runtime::Time;
use hickory_server::proto::op::{Header, HeaderCounts, Metadata, ResponseCode};
use hickory_server::proto::rr::{LowerName, RecordType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{
    AxfrPolicy, Catalog, MessageResponseBuilder, ZoneHandler, ZoneType,
};

use crate::background::Background;
use crate::zone::display_name;
use crate::zone::rdata::{beside_cname, type_name};
use crate::{ZoneError, ZoneSet};

/// Most query arrival instants kept by [`Stats::arrivals`].
pub const ARRIVAL_LOG_CAP: usize = 1 << 20;

/// How a [`ZoneServer`] treats queries; switch with [`ZoneServer::set_mode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mode {
    /// Answer from the zones.
    #[default]
    Normal,
    /// Drop every query (a dead server); queries are still counted.
    Silent,
    /// Answer SERVFAIL to every query.
    ServFail,
    /// Answer REFUSED to every query.
    Refused,
}

impl Mode {
    fn to_u8(self) -> u8 {
        match self {
            Mode::Normal => 0,
            Mode::Silent => 1,
            Mode::ServFail => 2,
            Mode::Refused => 3,
        }
    }

    fn from_u8(v: u8) -> Self {
        match v {
            1 => Mode::Silent,
            2 => Mode::ServFail,
            3 => Mode::Refused,
            _ => Mode::Normal,
        }
    }
}

/// A snapshot of the queries a [`ZoneServer`] has received.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Queries received (over UDP and TCP, whatever the mode).
    pub total: u64,
    /// Queries received over TCP.
    pub tcp: u64,
    /// Queries per query type (`"PTR"`, `"A"`, `"AAAA"`, ...).
    pub by_qtype: BTreeMap<String, u64>,
    /// Arrival instants, oldest first (the first [`ARRIVAL_LOG_CAP`] only).
    pub arrivals: Vec<Instant>,
    /// Queries that went over the [`RateLimit`] and got its `excess` treatment.
    pub limited: u64,
}

/// A server-side rate limit for tests of polite scanning: at most `queries`
/// queries are answered in each `window` (a window starts at the first
/// query after the previous one ended); the rest get `excess` (e.g.
/// [`Mode::Refused`] or [`Mode::Silent`], as rate-limiting servers do). Set
/// with [`ZoneServer::set_rate_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Queries answered normally per window.
    pub queries: u32,
    /// The window's length.
    pub window: Duration,
    /// What the queries beyond that get.
    pub excess: Mode,
}

impl RateLimit {
    /// `queries` per one-second window, the excess answered REFUSED.
    pub fn per_second(queries: u32) -> Self {
        Self {
            queries,
            window: Duration::from_secs(1),
            excess: Mode::Refused,
        }
    }
}

#[derive(Debug)]
struct Window {
    limit: RateLimit,
    start: Option<Instant>,
    count: u32,
}

impl Stats {
    /// Queries of type `qtype` (`"PTR"`, case-insensitive).
    pub fn qtype(&self, qtype: &str) -> u64 {
        self.by_qtype
            .get(&qtype.to_ascii_uppercase())
            .copied()
            .unwrap_or(0)
    }

    /// The largest number of queries that arrived within any span of
    /// `window` (e.g. one second: the peak rate a rate limit must bound).
    pub fn max_in_window(&self, window: Duration) -> usize {
        let mut best = 0;
        let mut start = 0;
        for (end, &t) in self.arrivals.iter().enumerate() {
            while start <= end && t.duration_since(self.arrivals[start]) >= window {
                start += 1;
            }
            best = best.max(end + 1 - start);
        }
        best
    }
}

#[derive(Debug, Default)]
struct Counters {
    stats: Stats,
    by_name: HashMap<(String, String), u64>,
}

#[derive(Debug, Default)]
struct Shared {
    mode: AtomicU8,
    counters: Mutex<Counters>,
    limit: Mutex<Option<Window>>,
}

impl Shared {
    /// The mode for a query arriving now: the set mode, or the rate limit's
    /// excess treatment when the current window is full.
    fn mode_now(&self) -> Mode {
        let mode = Mode::from_u8(self.mode.load(Ordering::Relaxed));
        if mode != Mode::Normal {
            return mode;
        }
        let mut limit = self.limit.lock().unwrap_or_else(|e| e.into_inner());
        let Some(w) = limit.as_mut() else {
            return mode;
        };
        let now = Instant::now();
        if w.start
            .is_none_or(|s| now.duration_since(s) >= w.limit.window)
        {
            w.start = Some(now);
            w.count = 0;
        }
        w.count += 1;
        if w.count <= w.limit.queries {
            return mode;
        }
        let excess = w.limit.excess;
        drop(limit);
        self.counters().stats.limited += 1;
        excess
    }

    fn counters(&self) -> MutexGuard<'_, Counters> {
        // A panic while holding the lock leaves plain counters: keep going.
        self.counters.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn record(&self, request: &Request) {
        let now = Instant::now();
        let tcp = matches!(request.protocol(), hickory_server::net::xfer::Protocol::Tcp);
        let query = request.queries.queries().first();
        let qtype = query.map_or_else(|| "NONE".to_owned(), |q| q.query_type().to_string());
        let qname = query.map(|q| q.name().to_string().to_ascii_lowercase());
        let mut c = self.counters();
        c.stats.total += 1;
        if tcp {
            c.stats.tcp += 1;
        }
        *c.stats.by_qtype.entry(qtype.clone()).or_default() += 1;
        if c.stats.arrivals.len() < ARRIVAL_LOG_CAP {
            c.stats.arrivals.push(now);
        }
        if let Some(name) = qname {
            *c.by_name.entry((name, qtype)).or_default() += 1;
        }
    }
}

struct Handler {
    catalog: Catalog,
    shared: Arc<Shared>,
    /// The served zones' origins.
    origins: HashSet<LowerName>,
    /// Delegation points (NS records below a zone's apex).
    cuts: HashSet<LowerName>,
}

impl Handler {
    /// True when the nearest enclosing served zone delegates `name` (or an
    /// ancestor of it) to a zone that is not served here.
    fn delegated_away(&self, name: &LowerName) -> bool {
        if self.cuts.is_empty() {
            return false;
        }
        let mut cur = name.clone();
        loop {
            if self.origins.contains(&cur) {
                return false;
            }
            if self.cuts.contains(&cur) {
                return true;
            }
            if cur.is_root() {
                return false;
            }
            cur = cur.base_name();
        }
    }
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        self.shared.record(request);
        let code = match self.shared.mode_now() {
            Mode::Normal
                if request
                    .queries
                    .queries()
                    .first()
                    .is_some_and(|q| self.delegated_away(q.name())) =>
            {
                ResponseCode::Refused
            }
            Mode::Normal => {
                return self
                    .catalog
                    .handle_request::<R, T>(request, response_handle)
                    .await;
            }
            Mode::Silent => {
                let mut metadata = Metadata::response_from_request(&request.metadata);
                metadata.response_code = ResponseCode::ServFail;
                return ResponseInfo::from(Header {
                    metadata,
                    counts: HeaderCounts::default(),
                });
            }
            Mode::ServFail => ResponseCode::ServFail,
            Mode::Refused => ResponseCode::Refused,
        };
        let response = MessageResponseBuilder::from_message_request(request)
            .error_msg(&request.metadata, code);
        match response_handle.send_response(response).await {
            Ok(info) => info,
            Err(_) => {
                let mut metadata = Metadata::response_from_request(&request.metadata);
                metadata.response_code = ResponseCode::ServFail;
                ResponseInfo::from(Header {
                    metadata,
                    counts: HeaderCounts::default(),
                })
            }
        }
    }
}

/// An authoritative DNS server for a [`ZoneSet`] on `127.0.0.1`, UDP and TCP
/// on the same ephemeral port, running on its own thread with a
/// current-thread tokio runtime. Usable from sync and async code alike.
///
/// It stops when dropped (or on [`ZoneServer::shutdown`]). Names outside
/// every zone are answered REFUSED, and so are names that a served zone
/// delegates (NS below its apex) to a zone that is not served: their PTR is
/// unknown here, not missing (a recursive resolver would say SERVFAIL).
pub struct ZoneServer {
    service: Background,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ZoneServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoneServer")
            .field("addr", &self.addr())
            .field("mode", &self.mode())
            .finish_non_exhaustive()
    }
}

fn handler_of(zones: ZoneSet, shared: Arc<Shared>) -> Result<Handler, ZoneError> {
    let mut catalog = Catalog::new();
    let mut origins = HashSet::new();
    let mut cuts = HashSet::new();
    for zone in zones.zones {
        let origin = zone.origin.clone();
        let apex = LowerName::new(&origin);
        let mut handler: InMemoryZoneHandler =
            InMemoryZoneHandler::empty(zone.origin, ZoneType::Primary, AxfrPolicy::Deny);
        // hickory-server without its DNSSEC feature lets nothing share a
        // name with a CNAME, RRSIG and NSEC included: those are left out
        // of the served data there (the audit never reads them).
        let cnames: HashSet<LowerName> = zone
            .records
            .iter()
            .filter(|r| r.record_type() == RecordType::CNAME)
            .map(|r| LowerName::new(&r.name))
            .collect();
        for (record, pos) in zone.records.into_iter().zip(zone.positions) {
            let rtype = record.record_type();
            if rtype == RecordType::NS && record.name != origin {
                cuts.insert(LowerName::new(&record.name));
            }
            if rtype != RecordType::CNAME
                && beside_cname(rtype)
                && cnames.contains(&LowerName::new(&record.name))
            {
                continue;
            }
            // The reader already refused what hickory would (a CNAME beside
            // other data, duplicates), so this does not fail in practice.
            if !handler.upsert_mut(record, zone.serial) {
                return Err(ZoneError::Load {
                    origin: display_name(&origin),
                    path: pos.path.to_path_buf(),
                    line: pos.line,
                    message: format!("hickory-server refused the {} record", type_name(rtype)),
                });
            }
        }
        origins.insert(apex);
        let handler: Arc<dyn ZoneHandler> = Arc::new(handler);
        catalog.upsert(LowerName::new(&origin), vec![handler]);
    }
    Ok(Handler {
        catalog,
        shared,
        origins,
        cuts,
    })
}

impl ZoneServer {
    /// Starts serving `zones` on `127.0.0.1` at an ephemeral port (UDP and
    /// TCP), on a thread of its own. Returns once the sockets are bound.
    pub fn spawn(zones: ZoneSet) -> Result<ZoneServer, ZoneError> {
        Self::spawn_on(zones, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Like [`ZoneServer::spawn`], on `at`: another loopback address
    /// (`127.0.0.11:0`) or a chosen port, e.g. several servers on one port
    /// at different addresses as the authoritative servers of a zone are.
    pub fn spawn_on(zones: ZoneSet, at: SocketAddr) -> Result<ZoneServer, ZoneError> {
        let shared = Arc::new(Shared::default());
        let handler = handler_of(zones, Arc::clone(&shared))?;
        let service = Background::start_on("dnsserver", at, move |udp, tcp, stop| async move {
            let mut server = Server::new(handler);
            server.register_socket(udp);
            server.register_listener(tcp, Duration::from_secs(5), 64);
            // Dropping the sender (the ZoneServer) also stops it.
            let _ = stop.await;
            let _ = server.shutdown_gracefully().await;
        })?;
        Ok(ZoneServer { service, shared })
    }

    /// Loads `dir` with [`ZoneSet::load_dir`] and serves it.
    pub fn serve_dir(dir: &std::path::Path) -> Result<ZoneServer, ZoneError> {
        Self::spawn(ZoneSet::load_dir(dir)?)
    }

    /// The address (UDP and TCP) the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.service.addr()
    }

    /// Switches how queries are treated from now on.
    pub fn set_mode(&self, mode: Mode) {
        self.shared.mode.store(mode.to_u8(), Ordering::Relaxed);
    }

    /// Limits the queries answered per second (`None`: no limit); the
    /// [`Mode`] set with [`ZoneServer::set_mode`] takes precedence.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        *self.shared.limit.lock().unwrap_or_else(|e| e.into_inner()) = limit.map(|limit| Window {
            limit,
            start: None,
            count: 0,
        });
    }

    /// The current mode.
    pub fn mode(&self) -> Mode {
        Mode::from_u8(self.shared.mode.load(Ordering::Relaxed))
    }

    /// A snapshot of the query counters.
    pub fn stats(&self) -> Stats {
        self.shared.counters().stats.clone()
    }

    /// Queries received for `name` (case-insensitive, final dot optional)
    /// with type `qtype` (`"PTR"`, `"A"`, ...).
    pub fn queries_for(&self, name: &str, qtype: &str) -> u64 {
        let mut name = name.to_ascii_lowercase();
        if !name.ends_with('.') {
            name.push('.');
        }
        self.shared
            .counters()
            .by_name
            .get(&(name, qtype.to_ascii_uppercase()))
            .copied()
            .unwrap_or(0)
    }

    /// Clears every counter and the arrival log.
    pub fn reset_stats(&self) {
        *self.shared.counters() = Counters::default();
    }

    /// Stops the server and waits for its thread to end (dropping it does
    /// the same).
    pub fn shutdown(mut self) {
        self.service.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_in_window_finds_the_busiest_span() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let stats = Stats {
            arrivals: [0, 100, 900, 1000, 1050, 1950, 3000]
                .into_iter()
                .map(at)
                .collect(),
            ..Stats::default()
        };
        // [100, 1100) holds 100, 900, 1000 and 1050.
        assert_eq!(stats.max_in_window(Duration::from_secs(1)), 4);
        assert_eq!(stats.max_in_window(Duration::from_millis(1100)), 5);
        assert_eq!(stats.max_in_window(Duration::from_secs(10)), 7);
        assert_eq!(stats.max_in_window(Duration::from_millis(1)), 1);
        assert_eq!(Stats::default().max_in_window(Duration::from_secs(1)), 0);
    }

    #[test]
    fn modes_round_trip_through_the_atomic() {
        for mode in [Mode::Normal, Mode::Silent, Mode::ServFail, Mode::Refused] {
            assert_eq!(Mode::from_u8(mode.to_u8()), mode);
        }
    }
}
