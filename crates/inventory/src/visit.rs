//! The order a scan visits the addresses in scope, and the split into shards.
//!
//! A [`Plan`] picks shard `K` of `N` — the scope indices `i` with
//! `i % N == K - 1`, so shards are disjoint, cover the scope, differ in size
//! by at most one address, and depend only on the (address-sorted) scope, never
//! on the order of the inventory files — and visits its addresses either in
//! address order or in a seeded pseudo-random permutation of runs of 64
//! neighbouring addresses, so one reverse zone's servers are not hammered in a
//! burst while others sit idle, yet answer neighbours from warm caches. Both are
//! index arithmetic: nothing is materialised, whatever the scope's size.

use ptr_audit_model::{Shard, Target};

use crate::Inventory;

/// The order in which addresses are visited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Address order.
    Sequential,
    /// A pseudo-random permutation, reproducible from the seed.
    Random {
        /// The permutation's seed.
        seed: u64,
    },
}

/// Which addresses of an inventory a scan visits, and in which order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The shard.
    pub shard: Shard,
    /// The order within the shard.
    pub order: Order,
}

impl Plan {
    /// How many addresses of a scope of `scope_len` this plan visits.
    pub fn len(&self, scope_len: u64) -> u64 {
        let first = self.shard.index - 1;
        if scope_len <= first {
            0
        } else {
            (scope_len - first).div_ceil(self.shard.count)
        }
    }

    /// True when the plan visits the address at scope index `index` (it is
    /// in the plan's shard).
    pub fn visits(&self, index: u64) -> bool {
        index % self.shard.count == self.shard.index - 1
    }

    /// True when the plan visits nothing of a scope of `scope_len`.
    pub fn is_empty(&self, scope_len: u64) -> bool {
        self.len(scope_len) == 0
    }

    /// The scope index of the plan's `position`-th visit (`position < len`).
    /// In random order, `permutation` (made for `len / 64` elements) shuffles
    /// the runs of 64 consecutive positions; a last, shorter run stays last.
    pub fn scope_index(&self, position: u64, len: u64, permutation: &Permutation) -> u64 {
        let j = match self.order {
            Order::Sequential => position,
            Order::Random { .. } => {
                let full = runs(len);
                let run = position / RUN;
                if run < full {
                    permutation.apply(run, full) * RUN + position % RUN
                } else {
                    position
                }
            }
        };
        j * self.shard.count + (self.shard.index - 1)
    }
}

impl Inventory {
    /// The targets `plan` visits, lazily.
    pub fn visit(&self, plan: Plan) -> impl Iterator<Item = Target> + '_ {
        let len = plan.len(self.scope_len());
        let seed = match plan.order {
            Order::Random { seed } => seed,
            Order::Sequential => 0,
        };
        let permutation = Permutation::new(runs(len), seed);
        (0..len).filter_map(move |p| self.target_at(plan.scope_index(p, len, &permutation)))
    }
}

/// Random order visits runs of this many consecutive positions of the shard
/// (a quarter of an IPv4 reverse zone): the runs are shuffled, so the queries
/// in flight spread over several zones and no zone is scanned end to end in
/// one go, while each server still answers neighbouring names in a row, from
/// warm caches. Measured against NSD on a /16 (five interleaved runs): with
/// every name a random jump NSD spent ~25% more CPU and the scan took ~25%
/// longer than with runs of 64; runs of 16 were in between.
pub(crate) const RUN: u64 = 64;

/// How many whole runs of [`RUN`] positions `len` positions hold.
pub(crate) fn runs(len: u64) -> u64 {
    len / RUN
}

/// A keyed bijection on `0..2^bits` (a few rounds of odd multiplication and
/// xor-shift), walked in cycles until it lands below `len`.
#[derive(Clone, Debug)]
pub struct Permutation {
    bits: u32,
    keys: [u64; 4],
}

impl Permutation {
    /// The permutation of `0..len` for `seed`.
    pub fn new(len: u64, seed: u64) -> Self {
        let bits = (64 - len.saturating_sub(1).leading_zeros()).max(1);
        let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Self {
            bits,
            keys: [next() | 1, next(), next() | 1, next()],
        }
    }

    fn mask(&self) -> u64 {
        if self.bits >= 64 {
            u64::MAX
        } else {
            (1u64 << self.bits) - 1
        }
    }

    fn round(&self, mut x: u64) -> u64 {
        let mask = self.mask();
        let shift = (self.bits / 2).max(1);
        for pair in self.keys.chunks(2) {
            x = (x ^ (pair[1] & mask)) & mask;
            x = x.wrapping_mul(pair[0]) & mask;
            x ^= x >> shift;
        }
        x
    }

    /// Where `position` goes (`position < len`; the result is `< len`).
    pub fn apply(&self, position: u64, len: u64) -> u64 {
        let mut x = self.round(position);
        while x >= len {
            x = self.round(x);
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn permutation_is_a_bijection_for_awkward_sizes() {
        for len in [1u64, 2, 3, 7, 255, 256, 1000, 4097] {
            let p = Permutation::new(len, 42);
            let seen: HashSet<u64> = (0..len).map(|i| p.apply(i, len)).collect();
            assert_eq!(seen.len() as u64, len, "len {len}");
            assert!(seen.iter().all(|&x| x < len));
        }
    }

    #[test]
    fn permutation_scatters_and_depends_on_the_seed() {
        let len = 65_536;
        let a = Permutation::new(len, 1);
        let b = Permutation::new(len, 2);
        let first_a: Vec<u64> = (0..16).map(|i| a.apply(i, len)).collect();
        let first_b: Vec<u64> = (0..16).map(|i| b.apply(i, len)).collect();
        assert_ne!(first_a, first_b);
        // Consecutive visits rarely stay within one /24 (256 addresses).
        let same_zone = (0..1000)
            .filter(|&i| a.apply(i, len) / 256 == a.apply(i + 1, len) / 256)
            .count();
        assert!(
            same_zone < 50,
            "{same_zone} of 1000 steps stayed in one /24"
        );
    }

    #[test]
    fn random_order_visits_shuffled_runs_that_spread_over_zones() {
        let scope = 65_536 + 5;
        let plan = Plan {
            shard: Shard::WHOLE,
            order: Order::Random { seed: 3 },
        };
        let len = plan.len(scope);
        let p = Permutation::new(runs(len), 3);
        let order: Vec<u64> = (0..len).map(|i| plan.scope_index(i, len, &p)).collect();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..scope).collect::<Vec<_>>());
        // Within a run: neighbours; the short last run comes last, in order.
        for run in order.chunks(RUN as usize) {
            assert!(run.windows(2).all(|w| w[1] == w[0] + 1), "{run:?}");
        }
        assert_eq!(
            order[order.len() - 5..],
            [65_536, 65_537, 65_538, 65_539, 65_540]
        );
        // 1,024 consecutive visits span many /24s: no zone is scanned in one go.
        for window in order.chunks(1024).take(60) {
            let zones: HashSet<u64> = window.iter().map(|i| i / 256).collect();
            assert!(zones.len() >= 12, "{} zones in a window", zones.len());
        }
    }

    #[test]
    fn shards_are_disjoint_cover_the_scope_and_balance() {
        let scope = 10_007;
        let mut all = Vec::new();
        let mut sizes = Vec::new();
        for k in 1..=7 {
            let plan = Plan {
                shard: Shard { index: k, count: 7 },
                order: Order::Random { seed: 9 },
            };
            let len = plan.len(scope);
            let p = Permutation::new(runs(len), 9);
            sizes.push(len);
            let visited: Vec<u64> = (0..len).map(|i| plan.scope_index(i, len, &p)).collect();
            assert!(visited.iter().all(|&i| plan.visits(i)), "shard {k}");
            let visits = (0..scope).filter(|&i| plan.visits(i)).count() as u64;
            assert_eq!(
                visits, len,
                "shard {k}: `visits` holds for what it visits only"
            );
            all.extend(visited);
        }
        all.sort_unstable();
        assert_eq!(all, (0..scope).collect::<Vec<_>>());
        assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
    }

    #[test]
    fn shard_parse() {
        assert_eq!(Shard::parse("2/7"), Some(Shard { index: 2, count: 7 }));
        assert_eq!(Shard::parse("0/7"), None);
        assert_eq!(Shard::parse("8/7"), None);
        assert_eq!(Shard::parse("x"), None);
    }
}
