//! The engine's forward cache: forward answers by name, bounded, so
//! addresses sharing a PTR name share one lookup even after it finished.

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use ptr_audit_model::ForwardAnswer;

/// The hasher of the engine's maps: fast, seeded per process (the keys are
/// names from DNS, which a hostile zone chooses).
pub(crate) type Hasher = foldhash::fast::RandomState;

/// A bounded map of forward answers with second-chance (CLOCK) eviction: a
/// name asked again since it was last passed over survives the next round,
/// so names shared by many addresses stay while one-off names are evicted.
pub(crate) struct FwdCache {
    map: HashMap<Rc<[u8]>, (ForwardAnswer, bool), Hasher>,
    order: VecDeque<Rc<[u8]>>,
    cap: usize,
}

impl FwdCache {
    /// An empty cache of at most `cap` names (0: no cache).
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            map: HashMap::default(),
            order: VecDeque::new(),
            cap,
        }
    }

    pub(crate) fn get(&mut self, key: &[u8]) -> Option<&ForwardAnswer> {
        self.map.get_mut(key).map(|(answer, used)| {
            *used = true;
            &*answer
        })
    }

    pub(crate) fn insert(&mut self, key: Rc<[u8]>, answer: ForwardAnswer) {
        if self.cap == 0 || self.map.contains_key(&key) {
            return;
        }
        while self.map.len() >= self.cap {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            match self.map.get_mut(&old) {
                Some((_, used)) if *used => {
                    *used = false;
                    self.order.push_back(old);
                }
                _ => {
                    self.map.remove(&old);
                }
            }
        }
        self.map.insert(key.clone(), (answer, false));
        self.order.push_back(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_cache_is_bounded_and_keeps_names_asked_again() {
        let mut cache = FwdCache::new(4);
        cache.insert(Rc::from(&b"hot"[..]), ForwardAnswer::NoData);
        for i in 0..100u8 {
            assert!(cache.get(b"hot").is_some(), "hot name evicted at {i}");
            cache.insert(Rc::from(&[i][..]), ForwardAnswer::NxDomain);
            assert!(cache.map.len() <= 4);
            assert!(cache.order.len() <= 4);
        }
        assert!(cache.get(&[0]).is_none());
        assert_eq!(cache.get(&[99]), Some(&ForwardAnswer::NxDomain));
    }
}
