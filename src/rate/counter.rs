//! One rate-based rule's counts: a sharded map from aggregation key to a per-second window.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Keys tracked per rule when the configuration says nothing: ten times the 10,000 instances AWS
/// limits per rule, so the instances AWS would limit are always among those tracked.
pub const DEFAULT_MAX_KEYS_PER_RULE: usize = 100_000;
/// Independent locks per rule; requests for different keys rarely contend.
pub const SHARDS: usize = 64;

/// Counts of one key: (second, requests in that second), oldest first, within the window.
#[derive(Debug, Default)]
struct Window {
    seconds: VecDeque<(u64, u32)>,
    total: u64,
    last_second: u64,
}

impl Window {
    /// Drops seconds that left the window ending at `now`.
    fn expire(&mut self, now: u64, window: u64) {
        while let Some(&(s, n)) = self.seconds.front() {
            if s + window > now {
                break;
            }
            self.total -= u64::from(n);
            self.seconds.pop_front();
        }
    }

    fn add(&mut self, second: u64) {
        // Replayed logs may be slightly out of order: keep the deque sorted.
        let pos = self.seconds.iter().rposition(|&(s, _)| s <= second);
        match pos {
            Some(i) if self.seconds[i].0 == second => self.seconds[i].1 = self.seconds[i].1.saturating_add(1),
            Some(i) => self.seconds.insert(i + 1, (second, 1)),
            None => self.seconds.push_front((second, 1)),
        }
        self.total += 1;
        self.last_second = self.last_second.max(second);
    }
}

#[derive(Debug, Default)]
struct Shard {
    keys: HashMap<Box<[u8]>, Window>,
}

/// The counts of one rate-based rule instance.
#[derive(Debug)]
pub struct RuleCounter {
    window_sec: u64,
    max_keys_per_shard: usize,
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
    evictions: AtomicU64,
}

impl RuleCounter {
    pub fn new(window_sec: u64, max_keys: usize) -> RuleCounter {
        RuleCounter {
            window_sec: window_sec.max(1),
            max_keys_per_shard: max_keys.div_ceil(SHARDS).max(1),
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            hasher: RandomState::new(),
            evictions: AtomicU64::new(0),
        }
    }

    /// Counts one request for `key` at `now_ms` and returns the key's count over the window ending
    /// now, this request included.
    pub fn hit(&self, key: &[u8], now_ms: u64) -> u64 {
        let now = now_ms / 1000;
        let shard = &self.shards[(self.hasher.hash_one(key) as usize) % SHARDS];
        // A poisoned lock only means another thread panicked mid-update; the counts stay usable.
        let mut shard = shard.lock().unwrap_or_else(|p| p.into_inner());
        if !shard.keys.contains_key(key) && shard.keys.len() >= self.max_keys_per_shard {
            self.make_room(&mut shard, now);
        }
        let w = match shard.keys.get_mut(key) {
            Some(w) => w,
            None => shard.keys.entry(key.into()).or_default(),
        };
        w.expire(now, self.window_sec);
        if now + self.window_sec > now.max(w.last_second) {
            w.add(now);
        }
        w.total
    }

    /// The key's current count without counting a request (for tests and admin views).
    pub fn count(&self, key: &[u8], now_ms: u64) -> u64 {
        let now = now_ms / 1000;
        let shard = &self.shards[(self.hasher.hash_one(key) as usize) % SHARDS];
        let shard = shard.lock().unwrap_or_else(|p| p.into_inner());
        shard.keys.get(key).map_or(0, |w| w.seconds.iter().filter(|&&(s, _)| s + self.window_sec > now).map(|&(_, n)| u64::from(n)).sum())
    }

    /// A full shard first forgets keys whose window is empty, then, if still full, the stalest
    /// eighth of its keys (by last request). Bulk eviction keeps the cost amortized O(1) per request.
    fn make_room(&self, shard: &mut Shard, now: u64) {
        let window = self.window_sec;
        let before = shard.keys.len();
        shard.keys.retain(|_, w| w.last_second + window > now);
        if shard.keys.len() >= self.max_keys_per_shard {
            let mut ages: Vec<u64> = shard.keys.values().map(|w| w.last_second).collect();
            let cut = (ages.len() / 8).max(1);
            let (_, &mut threshold, _) = ages.select_nth_unstable(cut - 1);
            let mut removed = 0;
            shard.keys.retain(|_, w| {
                let keep = w.last_second > threshold || removed >= cut;
                removed += usize::from(!keep);
                keep
            });
        }
        self.evictions.fetch_add((before - shard.keys.len()) as u64, Ordering::Relaxed);
    }

    /// Keys dropped to respect the bound (live keys only: expired ones are not counted as evicted).
    pub fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    /// Keys currently tracked.
    pub fn tracked_keys(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).keys.len()).sum()
    }

    pub fn window_sec(&self) -> u64 {
        self.window_sec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_over_an_exact_sliding_window() {
        let c = RuleCounter::new(60, 1000);
        for i in 0..10 {
            assert_eq!(c.hit(b"k", 1_000 * i), i + 1);
        }
        // Second 0 leaves the window at second 60; second 9 at second 69.
        assert_eq!(c.count(b"k", 59_999), 10);
        assert_eq!(c.count(b"k", 60_000), 9);
        assert_eq!(c.count(b"k", 69_000), 0);
        assert_eq!(c.hit(b"k", 64_500), 6, "seconds 5..=9 plus this one");
        assert_eq!(c.hit(b"other", 64_500), 1);
    }

    #[test]
    fn out_of_order_timestamps_land_in_their_second() {
        let c = RuleCounter::new(60, 1000);
        c.hit(b"k", 10_000);
        c.hit(b"k", 5_000);
        assert_eq!(c.count(b"k", 64_999), 2);
        assert_eq!(c.count(b"k", 65_000), 1);
    }

    #[test]
    fn keys_are_bounded_and_evictions_counted() {
        let c = RuleCounter::new(300, SHARDS * 4);
        for i in 0..10_000u32 {
            c.hit(&i.to_be_bytes(), u64::from(i));
        }
        assert!(c.tracked_keys() <= SHARDS * 4, "{}", c.tracked_keys());
        assert!(c.evictions() > 0);
        // The most recent key survives.
        assert_eq!(c.count(&9_999u32.to_be_bytes(), 9_999), 1);
    }
}
