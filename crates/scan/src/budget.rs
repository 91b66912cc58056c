//! The query budgets of a run (governor): [`ScanConfig::qps`] over every
//! query and [`ScanConfig::qps_per_server`] per server address. One
//! [`Budget`] serves every engine pass of an authoritative scan and its zone
//! discovery (and `fix`'s SOA discovery), so that no query of a run escapes
//! it: the engine takes a token before every send, retries included, and
//! discovery waits for one ([`Budget::wait`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::rc::Rc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::ScanConfig;

/// A token bucket of the run.
pub(crate) type Limiter = DefaultDirectRateLimiter;

/// The budgets of a run (see the module docs).
pub(crate) struct Budget {
    /// [`ScanConfig::qps`], `None` when unlimited.
    global: Option<Rc<Limiter>>,
    /// The quota of each server's bucket ([`ScanConfig::qps_per_server`]).
    per_server: Option<Quota>,
    /// Each server's bucket, made when the server is first met.
    servers: RefCell<HashMap<SocketAddr, Rc<Limiter>>>,
}

/// The quota for `qps`, with `burst` or 20 ms worth of queries.
fn quota(qps: NonZeroU32, burst: Option<NonZeroU32>) -> Quota {
    let burst = burst.unwrap_or(NonZeroU32::new(qps.get() / 50).unwrap_or(NonZeroU32::MIN));
    Quota::per_second(qps).allow_burst(burst)
}

impl Budget {
    /// The budgets `cfg` asks for.
    pub(crate) fn new(cfg: &ScanConfig) -> Self {
        Self::with_quotas(
            cfg.qps.map(|q| quota(q, cfg.burst)),
            cfg.qps_per_server.map(|q| quota(q, None)),
        )
    }

    /// Budgets with these quotas (tests use quotas that do not refill).
    pub(crate) fn with_quotas(global: Option<Quota>, per_server: Option<Quota>) -> Self {
        Budget {
            global: global.map(|q| Rc::new(RateLimiter::direct(q))),
            per_server,
            servers: RefCell::new(HashMap::new()),
        }
    }

    /// The global bucket, if the run has one.
    pub(crate) fn global(&self) -> Option<Rc<Limiter>> {
        self.global.clone()
    }

    /// `server`'s bucket, if the run has per-server budgets.
    pub(crate) fn server(&self, server: SocketAddr) -> Option<Rc<Limiter>> {
        let quota = self.per_server?;
        let mut servers = self.servers.borrow_mut();
        let limiter = servers
            .entry(server)
            .or_insert_with(|| Rc::new(RateLimiter::direct(quota)));
        Some(Rc::clone(limiter))
    }

    /// Waits until `server`'s budget, then the global one, allow one query,
    /// and spends it (the order the engine takes its tokens in).
    pub(crate) async fn wait(&self, server: SocketAddr) {
        for limiter in [self.server(server), self.global()].into_iter().flatten() {
            while let Err(not_until) = limiter.check() {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
            }
        }
    }
}
