//! The adaptive per-server rate (AIMD) of the engine: [`Pace`] watches the
//! outcomes of the queries sent to one server and slows it down when they
//! look like rate limiting (transient REFUSED, timeouts), then climbs back.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::ServerBackoff;

/// Adaptive backoff: the recent outcomes (replies and timeouts) judged per server.
const WINDOW: u32 = 50;
/// Adaptive backoff: outcomes needed (since the last rate change) before a cut.
const MIN_SAMPLES: u32 = 16;
/// Adaptive backoff: a server is never slowed below this many queries per second.
const FLOOR_QPS: f64 = 10.0;
/// Adaptive backoff: clean operation needed at a rate before it is raised.
const RAISE_AFTER: Duration = Duration::from_millis(250);
/// Adaptive backoff: clean outcomes needed at a rate before it is raised.
const RAISE_SAMPLES: u32 = 8;
/// Adaptive backoff: the period over which a server's send rate is measured.
const EPOCH: Duration = Duration::from_millis(250);

/// The adaptive rate of one server (AIMD): the share of REFUSED answers and
/// timeouts among its last [`WINDOW`] outcomes decides; above 10% its rate is
/// halved (from what it was actually sent, at least [`FLOOR_QPS`]), after
/// clean operation it is raised by an eighth of its ceiling, and once at the
/// ceiling it is free again. Outcomes of queries sent before the last change
/// are not evidence about the new rate and are ignored. No allocation: a few
/// counters and a bit mask.
pub(crate) struct Pace {
    /// Bit `k` set: the outcome `k` places back was bad (REFUSED or timeout).
    history: u64,
    /// Outcomes in `history` (at most [`WINDOW`]).
    seen: u32,
    /// Outcomes and bad ones since the last rate change.
    since: u32,
    since_bad: u32,
    /// When the rate last changed (or the scan started).
    changed: Instant,
    /// The allowed rate in queries per second; 0 when not throttled.
    rate: f64,
    /// `1 / rate`.
    interval: Duration,
    /// The earliest time of the next send while throttled.
    next: Instant,
    /// Where raising stops and the server is free again.
    ceiling: f64,
    /// Send-rate measurement: the current and the previous period.
    epoch_start: Instant,
    epoch_sends: u32,
    prev_start: Instant,
    prev_sends: u32,
    /// For the outcome: cuts and the lowest rate.
    backoffs: u64,
    lowest: f64,
    /// Some reply came from the server in this scan.
    answered: bool,
    /// Some question this server refused was answered later (by it or by
    /// another server), or it refused a name beside one it answered (the same
    /// parent): its refusals are transient, a sign of rate limiting, and count
    /// as bad outcomes. Until then REFUSED is taken for policy (a zone the
    /// server does not serve) and counts as a clean reply, so a scope with
    /// undeployed zones is not slowed down.
    transient_refusals: bool,
    /// Hashes of the parents of names this server answered (bounded: cleared
    /// when full), for telling rate limiting from policy.
    answered_parents: std::collections::HashSet<u64>,
}

impl Pace {
    pub(crate) fn new(now: Instant) -> Self {
        Self {
            history: 0,
            seen: 0,
            since: 0,
            since_bad: 0,
            changed: now,
            rate: 0.0,
            interval: Duration::ZERO,
            next: now,
            ceiling: 0.0,
            epoch_start: now,
            epoch_sends: 0,
            prev_start: now,
            prev_sends: 0,
            backoffs: 0,
            lowest: f64::INFINITY,
            answered: false,
            transient_refusals: false,
            answered_parents: std::collections::HashSet::new(),
        }
    }

    pub(crate) fn throttled(&self) -> bool {
        self.rate > 0.0
    }

    /// `Err(when)` if a send now would exceed the rate.
    pub(crate) fn ready(&self, now: Instant) -> Result<(), Instant> {
        if !self.throttled() || now >= self.next {
            Ok(())
        } else {
            Err(self.next)
        }
    }

    /// Spends the send slot (late wake-ups may catch up one interval).
    pub(crate) fn take(&mut self, now: Instant) {
        if self.throttled() {
            let earliest = now.checked_sub(self.interval).unwrap_or(now);
            self.next = self.next.max(earliest) + self.interval;
        }
    }

    /// Counts a send for the send-rate measurement.
    pub(crate) fn sent(&mut self, now: Instant) {
        self.epoch_sends += 1;
        if now.duration_since(self.epoch_start) >= EPOCH {
            self.prev_start = self.epoch_start;
            self.prev_sends = self.epoch_sends;
            self.epoch_start = now;
            self.epoch_sends = 0;
        }
    }

    /// Queries per second sent over the last one or two periods (over at
    /// least one period: the window filling at the start is not a rate).
    fn send_rate(&self, now: Instant) -> f64 {
        let secs = now.duration_since(self.prev_start).max(EPOCH).as_secs_f64();
        f64::from(self.prev_sends + self.epoch_sends) / secs
    }

    fn set_rate(&mut self, rate: f64, now: Instant) {
        self.rate = rate;
        self.interval = if rate > 0.0 {
            Duration::from_secs_f64(1.0 / rate)
        } else {
            Duration::ZERO
        };
        self.changed = now;
        self.history = 0;
        self.seen = 0;
        self.since = 0;
        self.since_bad = 0;
    }

    /// Records one outcome of a query sent at `sent`; returns the change made,
    /// if any: `Some(true)` a cut, `Some(false)` a raise (the server may be
    /// free again).
    pub(crate) fn observe(
        &mut self,
        bad: bool,
        sent: Instant,
        now: Instant,
        configured: Option<f64>,
    ) -> Option<bool> {
        if sent < self.changed {
            return None;
        }
        self.history = (self.history << 1) | u64::from(bad);
        self.seen = (self.seen + 1).min(WINDOW);
        self.since += 1;
        self.since_bad += u32::from(bad);
        let bads = (self.history & ((1 << WINDOW) - 1)).count_ones();
        if self.seen >= MIN_SAMPLES && bads * 10 > self.seen {
            // Halve what the server actually got (a configured budget the
            // scan never reached says nothing about its load).
            let mut current = if self.throttled() {
                self.rate
            } else {
                configured.unwrap_or(f64::INFINITY)
            };
            let measured = self.send_rate(now);
            if measured > 0.0 {
                current = current.min(measured);
            }
            if !current.is_finite() {
                current = FLOOR_QPS * 2.0;
            }
            if !self.throttled() {
                self.ceiling = configured.unwrap_or(current).max(FLOOR_QPS);
                self.next = now;
            }
            let rate = (current / 2.0).max(FLOOR_QPS);
            let slower = !self.throttled() || rate < self.rate;
            self.set_rate(rate, now);
            if !slower {
                // already at the floor: only the evidence starts over
                return None;
            }
            self.backoffs += 1;
            self.lowest = self.lowest.min(rate);
            return Some(true);
        }
        if self.throttled()
            && self.since >= RAISE_SAMPLES
            && self.since_bad * 50 <= self.since
            && now.duration_since(self.changed) >= RAISE_AFTER
        {
            let rate = self.rate + (self.ceiling / 8.0).max(FLOOR_QPS);
            self.set_rate(if rate >= self.ceiling { 0.0 } else { rate }, now);
            return Some(false);
        }
        None
    }

    /// A REFUSED reply to a question about a name under `parent`: how it
    /// counts. It turns transient when the server answered a name beside it.
    pub(crate) fn refused(&mut self, parent: u64) -> Seen {
        if self.answered_parents.contains(&parent) {
            self.transient_refusals = true;
        }
        if self.transient_refusals {
            Seen::Refused
        } else {
            Seen::Clean
        }
    }

    /// A question this server refused was answered later: its refusals are
    /// transient.
    pub(crate) fn refusal_answered_later(&mut self) {
        self.transient_refusals = true;
    }

    /// The server answered a name under `parent` (remembered, bounded).
    pub(crate) fn answered_under(&mut self, parent: u64) {
        if self.answered_parents.len() >= ANSWERED_PARENTS {
            self.answered_parents.clear();
        }
        self.answered_parents.insert(parent);
    }

    /// Counts one outcome as a sign of life; false when it is a timeout of
    /// a server that never answered (down, not rate-limiting: not evidence).
    pub(crate) fn alive(&mut self, seen: Seen) -> bool {
        match seen {
            Seen::Timeout => self.answered,
            Seen::Refused | Seen::Clean => {
                self.answered = true;
                true
            }
        }
    }

    /// What the scan's outcome says of this server, if it was ever slowed
    /// down.
    pub(crate) fn backoff(&self, server: SocketAddr) -> Option<ServerBackoff> {
        (self.backoffs > 0).then(|| ServerBackoff {
            server,
            backoffs: self.backoffs,
            lowest_qps: self.lowest.round() as u32,
            final_qps: self.throttled().then(|| self.rate.round() as u32),
        })
    }
}

/// What became of a query, for the adaptive rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// A reply other than REFUSED.
    Clean,
    /// REFUSED.
    Refused,
    /// No reply in time.
    Timeout,
}

/// Adaptive backoff: parents of answered names remembered per server.
const ANSWERED_PARENTS: usize = 4096;

/// A hash of the parent of a wire-form name (the name less its first label),
/// case-insensitive: names beside each other share it.
pub(crate) fn parent_key(qname: &[u8]) -> u64 {
    let skip = qname.first().map_or(0, |&len| 1 + usize::from(len));
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in qname.get(skip..).unwrap_or(&[]) {
        hash = (hash ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pace_halves_on_refusals_ignores_stale_outcomes_and_climbs_back() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut pace = Pace::new(t0);
        // 200 queries over the first second: 200 per second
        for i in 0..200 {
            pace.sent(ms(i * 5));
        }
        // clean answers, then one in three refused: cut once the share of
        // the last 50 outcomes passes 10%
        for _ in 0..40 {
            assert_eq!(pace.observe(false, ms(0), ms(1000), None), None);
        }
        let mut cut_after = None;
        for i in 0..30 {
            if pace.observe(i % 3 == 0, ms(0), ms(1000), None) == Some(true) {
                cut_after = Some(i);
                break;
            }
        }
        assert_eq!(cut_after, Some(15), "the sixth refusal in 50 outcomes");
        assert!(pace.throttled());
        let first = pace.rate;
        assert!((80.0..=120.0).contains(&first), "{first}");
        assert_eq!(pace.backoffs, 1);
        // outcomes of queries sent before the cut say nothing about the new rate
        for _ in 0..100 {
            assert_eq!(pace.observe(true, ms(999), ms(1100), None), None);
        }
        // fresh refusals cut again, down to the floor and no further
        for round in 0..10 {
            let at = ms(1200 + round * 100);
            for _ in 0..MIN_SAMPLES {
                pace.observe(true, at, at, None);
            }
        }
        assert_eq!(pace.rate, FLOOR_QPS);
        assert_eq!(pace.lowest, FLOOR_QPS);
        let backoffs = pace.backoffs;
        // a send slot every 1/10 s
        assert!(pace.ready(pace.next).is_ok());
        pace.take(pace.next);
        assert!(pace.ready(pace.next - Duration::from_millis(1)).is_err());
        // clean answers: raised by an eighth of the ceiling every quarter
        // second, then free again
        let mut at = ms(3000);
        let mut raises = 0;
        while pace.throttled() {
            at += RAISE_AFTER;
            for _ in 0..RAISE_SAMPLES {
                if pace.observe(false, at, at, None) == Some(false) {
                    raises += 1;
                }
            }
            assert!(raises < 20, "never free again");
        }
        assert!(raises >= 2, "{raises}");
        assert_eq!(pace.backoffs, backoffs);
    }

    #[test]
    fn pace_halves_from_the_configured_budget_when_it_is_lower() {
        let t0 = Instant::now();
        let mut pace = Pace::new(t0);
        for i in 0..1000 {
            pace.sent(t0 + Duration::from_millis(i / 2));
        }
        let at = t0 + Duration::from_millis(500);
        for _ in 0..MIN_SAMPLES {
            pace.observe(true, t0, at, Some(60.0));
        }
        assert_eq!(pace.rate, 30.0);
        assert_eq!(pace.ceiling, 60.0);
    }
}
