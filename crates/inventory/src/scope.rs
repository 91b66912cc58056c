//! Address sets as arithmetic: [`Segment`]s of evenly spaced runs of
//! addresses, so a /8 or a sampled /32 of IPv6 is counted and indexed without
//! a list of its addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// An address as a number (IPv4 in the low 32 bits).
pub(crate) fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// The address of number `n` in the family of `like`.
pub(crate) fn from_u128(n: u128, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(n))
    } else {
        IpAddr::V4(Ipv4Addr::from(n as u32))
    }
}

/// The first and last address numbers of a network.
pub(crate) fn bounds(net: &IpNet) -> (u128, u128) {
    (to_u128(net.network()), to_u128(net.broadcast()))
}

/// `runs` runs of `run` consecutive addresses, the i-th starting at
/// `start + i * stride` (`stride >= run`). A plain range has `runs == 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    pub start: u128,
    pub stride: u128,
    pub run: u128,
    pub runs: u128,
}

impl Segment {
    /// The consecutive addresses `first..=last`.
    pub fn range(first: u128, last: u128) -> Self {
        let run = last - first + 1;
        Segment {
            start: first,
            stride: run,
            run,
            runs: 1,
        }
    }

    /// How many addresses (may exceed `u64` for unsampled IPv6).
    pub fn len(&self) -> u128 {
        self.run.saturating_mul(self.runs)
    }

    /// The first address.
    pub fn first(&self) -> u128 {
        self.start
    }

    /// The last address.
    pub fn last(&self) -> u128 {
        self.start + (self.runs - 1) * self.stride + self.run - 1
    }

    /// The `i`-th address (`i < len`).
    pub fn nth(&self, i: u128) -> u128 {
        self.start + (i / self.run) * self.stride + i % self.run
    }

    /// True when `x` is one of the addresses.
    pub fn contains(&self, x: u128) -> bool {
        if x < self.start || x > self.last() {
            return false;
        }
        (x - self.start) % self.stride < self.run
    }

    /// The position of `x` among the addresses, if it is one.
    pub fn position(&self, x: u128) -> Option<u128> {
        if !self.contains(x) {
            return None;
        }
        let off = x - self.start;
        Some(off / self.stride * self.run + off % self.stride)
    }

    fn sub_runs(&self, from: u128, to: u128) -> Option<Segment> {
        (from < to).then(|| Segment {
            start: self.start + from * self.stride,
            stride: self.stride,
            run: self.run,
            runs: to - from,
        })
    }

    /// The addresses of `self` outside `lo..=hi`, as disjoint segments in order.
    pub fn subtract(&self, lo: u128, hi: u128) -> Vec<Segment> {
        if hi < self.start || lo > self.last() {
            return vec![*self];
        }
        // The first run that ends at or after `lo`, the last that starts at or before `hi`.
        let first = if lo < self.start + self.run {
            0
        } else {
            (lo - self.start - self.run + 1).div_ceil(self.stride)
        };
        let last = ((hi - self.start) / self.stride).min(self.runs - 1);
        if first > last {
            return vec![*self];
        }
        let mut out = Vec::with_capacity(4);
        out.extend(self.sub_runs(0, first));
        let mut cut = |i: u128| {
            let rs = self.start + i * self.stride;
            let re = rs + self.run - 1;
            if lo > rs {
                out.push(Segment::range(rs, (lo - 1).min(re)));
            }
            if hi < re {
                out.push(Segment::range((hi + 1).max(rs), re));
            }
        };
        cut(first);
        if last != first {
            cut(last);
        }
        out.extend(self.sub_runs(last + 1, self.runs));
        out
    }
}

/// Subtracts sorted ranges from sorted, disjoint segments.
pub(crate) fn subtract_all(mut segments: Vec<Segment>, cuts: &[(u128, u128)]) -> Vec<Segment> {
    for &(lo, hi) in cuts {
        let from = segments.partition_point(|s| s.last() < lo);
        let to = segments.partition_point(|s| s.first() <= hi);
        if from >= to {
            continue;
        }
        let pieces: Vec<Segment> = segments[from..to]
            .iter()
            .flat_map(|s| s.subtract(lo, hi))
            .collect();
        segments.splice(from..to, pieces);
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(segs: &[Segment]) -> Vec<u128> {
        segs.iter()
            .flat_map(|s| (0..s.len()).map(|i| s.nth(i)))
            .collect()
    }

    #[test]
    fn strided_subtraction_matches_brute_force() {
        let seg = Segment {
            start: 100,
            stride: 16,
            run: 5,
            runs: 6,
        };
        let all = members(&[seg]);
        assert_eq!(all.len(), 30);
        for lo in 95..200 {
            for hi in lo..200 {
                let got = members(&seg.subtract(lo, hi));
                let want: Vec<u128> = all.iter().copied().filter(|&x| x < lo || x > hi).collect();
                assert_eq!(got, want, "lo {lo} hi {hi}");
            }
        }
    }

    #[test]
    fn contains_and_position_agree_with_nth() {
        let seg = Segment {
            start: 10,
            stride: 8,
            run: 3,
            runs: 4,
        };
        for i in 0..seg.len() {
            let x = seg.nth(i);
            assert!(seg.contains(x));
            assert_eq!(seg.position(x), Some(i));
        }
        assert!(!seg.contains(13) && !seg.contains(9) && !seg.contains(37));
    }

    #[test]
    fn subtract_all_handles_several_cuts() {
        let segs = vec![Segment::range(0, 99)];
        let out = subtract_all(segs, &[(0, 1), (10, 19), (50, 50), (99, 99)]);
        let m = members(&out);
        assert_eq!(m.len(), 100 - 2 - 10 - 1 - 1);
        assert!(!m.contains(&50) && m.contains(&51) && !m.contains(&99) && m.contains(&2));
    }
}
