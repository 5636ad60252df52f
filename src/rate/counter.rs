//! One rate-based rule's counts: a sharded map from aggregation key to a per-second window.
//!
//! The request path locks one shard, updates one key and returns its count. The shared-store
//! task (`rate::redis`) visits the shards in turn to collect unsent requests and to apply what it
//! read; it holds one shard lock at a time and never across network I/O.

use super::window::{second_of, Window};
use foldhash::fast::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Keys tracked per rule when the configuration says nothing: ten times the 10,000 instances AWS
/// limits per rule, so the instances AWS would limit are always among those tracked.
pub const DEFAULT_MAX_KEYS_PER_RULE: usize = 100_000;
/// Independent locks per rule; requests for different keys rarely contend.
pub const SHARDS: usize = 64;

#[derive(Debug, Default)]
struct Shard {
    /// Hashed with foldhash, seeded per map: keys are short (an address, a few header values),
    /// where SipHash costs several times more per request, and a shard holds at most
    /// `max_keys_per_shard` keys, which bounds what colliding keys could cost.
    keys: HashMap<Box<[u8]>, Window, RandomState>,
}

/// The counts of one rate-based rule instance.
#[derive(Debug)]
pub struct RuleCounter {
    window_sec: u64,
    max_keys_per_shard: usize,
    shards: Box<[Mutex<Shard>]>,
    /// Picks a key's shard; randomly seeded, so clients cannot aim their keys at one shard.
    hasher: RandomState,
    evictions: AtomicU64,
    /// The rule's name in the shared store: the same on every instance running the same rule.
    shared_id: Box<str>,
    /// Where the next exchange with the shared store starts, so that a capped exchange resumes.
    next_shard: AtomicUsize,
}

impl RuleCounter {
    pub fn new(window_sec: u64, max_keys: usize) -> RuleCounter {
        RuleCounter::named("", window_sec, max_keys)
    }

    /// A counter whose keys are shared under `identity` (the rule's container, name and
    /// statement) when a shared store is configured.
    pub fn named(identity: &str, window_sec: u64, max_keys: usize) -> RuleCounter {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(identity.as_bytes());
        RuleCounter {
            window_sec: window_sec.max(1),
            max_keys_per_shard: max_keys.div_ceil(SHARDS).max(1),
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            hasher: RandomState::default(),
            evictions: AtomicU64::new(0),
            shared_id: digest[..8].iter().map(|b| format!("{b:02x}")).collect(),
            next_shard: AtomicUsize::new(0),
        }
    }

    fn shard(&self, key: &[u8]) -> MutexGuard<'_, Shard> {
        lock(&self.shards[(self.hasher.hash_one(key) as usize) % SHARDS])
    }

    /// Counts one request for `key` at `now_ms` and returns the key's count over the window ending
    /// now, this request included. With a shared store the count adds what the other instances
    /// counted, as last read; the request path never waits for the store.
    pub fn hit(&self, key: &[u8], now_ms: u64) -> u64 {
        let now = second_of(now_ms);
        let mut shard = self.shard(key);
        if let Some(w) = shard.keys.get_mut(key) {
            return self.add(w, now);
        }
        if shard.keys.len() >= self.max_keys_per_shard {
            self.make_room(&mut shard, now);
        }
        let w = shard.keys.entry(key.into()).or_default();
        self.add(w, now)
    }

    /// Counts one request in `w` at second `now`; returns the window's count.
    fn add(&self, w: &mut Window, now: u32) -> u64 {
        w.expire(now, self.window_sec);
        if u64::from(now) + self.window_sec > u64::from(now.max(w.last_second)) {
            w.add(now);
        }
        w.total()
    }

    /// The key's current count without counting a request (for tests and admin views).
    pub fn count(&self, key: &[u8], now_ms: u64) -> u64 {
        let now = second_of(now_ms);
        self.shard(key)
            .keys
            .get(key)
            .map_or(0, |w| w.count_at(now, self.window_sec))
    }

    /// A full shard first forgets keys whose window is empty, then, if still full, the stalest
    /// eighth of its keys (by last request). Bulk eviction keeps the cost amortized O(1) per request.
    fn make_room(&self, shard: &mut Shard, now: u32) {
        let window = self.window_sec;
        let before = shard.keys.len();
        shard
            .keys
            .retain(|_, w| u64::from(w.last_second) + window > u64::from(now));
        if shard.keys.len() >= self.max_keys_per_shard {
            let mut ages: Vec<u32> = shard.keys.values().map(|w| w.last_second).collect();
            let cut = (ages.len() / 8).max(1);
            let (_, &mut threshold, _) = ages.select_nth_unstable(cut - 1);
            let mut removed = 0;
            shard.keys.retain(|_, w| {
                let keep = w.last_second > threshold || removed >= cut;
                removed += usize::from(!keep);
                keep
            });
        }
        self.evictions
            .fetch_add((before - shard.keys.len()) as u64, Ordering::Relaxed);
    }

    /// Keys dropped to respect the bound (live keys only: expired ones are not counted as evicted).
    pub fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    /// Keys currently tracked.
    pub fn tracked_keys(&self) -> usize {
        self.shards.iter().map(|s| lock(s).keys.len()).sum()
    }

    pub fn window_sec(&self) -> u64 {
        self.window_sec
    }

    pub(super) fn shared_id(&self) -> &str {
        &self.shared_id
    }

    /// Adds to `batch`, for every key counted here in the last `active_sec` seconds or holding
    /// requests the store has not confirmed, what to send and which buckets to read, until
    /// `budget` (store commands) runs out, overdrawing it by at most one key; the next call resumes
    /// in the shard where this one stopped.
    /// Cost: one pass over the keys, each shard locked in turn.
    pub(super) fn collect(
        &self,
        counter: usize,
        now_ms: u64,
        active_sec: u32,
        budget: &mut usize,
        batch: &mut Batch,
    ) {
        let now = second_of(now_ms);
        let start = self.next_shard.load(Ordering::Relaxed);
        for i in 0..SHARDS {
            if *budget == 0 {
                self.next_shard
                    .store((start + i) % SHARDS, Ordering::Relaxed);
                return;
            }
            let mut shard = lock(&self.shards[(start + i) % SHARDS]);
            for (key, w) in shard.keys.iter_mut() {
                w.expire(now, self.window_sec);
                if !w.has_unsent() && w.last_second.saturating_add(active_sec) <= now {
                    continue;
                }
                if *budget == 0 {
                    // Resume in this shard: the keys done here cost only their recent reads then.
                    self.next_shard
                        .store((start + i) % SHARDS, Ordering::Relaxed);
                    return;
                }
                let sends_start = batch.sends.len();
                let (from, to) = w.pending(now, self.window_sec, &mut batch.sends);
                let key_start = batch.key_bytes.len();
                batch.key_bytes.extend_from_slice(key);
                let sends = sends_start..batch.sends.len();
                *budget = budget.saturating_sub(2 * sends.len() + (to - from) as usize + 1);
                batch.items.push(Item {
                    counter,
                    key: key_start..batch.key_bytes.len(),
                    sends,
                    from,
                    to,
                });
            }
        }
        self.next_shard
            .store((start + 1) % SHARDS, Ordering::Relaxed);
    }

    /// Applies the store's answer for one item of a batch this counter collected: the sends are
    /// confirmed and `values` are the buckets `item.from..=item.to`. A key evicted meanwhile is
    /// skipped.
    pub(super) fn confirm(
        &self,
        batch: &Batch,
        item: &Item,
        values: &[u64],
        now_ms: u64,
        settle: u32,
    ) {
        let key = batch.key(item);
        let now = second_of(now_ms);
        if let Some(w) = self.shard(key).keys.get_mut(key) {
            w.expire(now, self.window_sec);
            w.confirm(
                batch.sends(item),
                item.from,
                values,
                now,
                self.window_sec,
                settle,
            );
        }
    }

    /// The store lost its counts: send every counted request again.
    pub(super) fn resend_all(&self) {
        for s in self.shards.iter() {
            for w in lock(s).keys.values_mut() {
                w.resend_all();
            }
        }
    }
}

/// A poisoned lock only means another thread panicked mid-update; the counts stay usable.
fn lock(m: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One exchange with the shared store, for many keys of many counters, in flat buffers.
#[derive(Debug, Default)]
pub(super) struct Batch {
    pub(super) items: Vec<Item>,
    key_bytes: Vec<u8>,
    sends: Vec<(u32, u32)>,
}

/// One key of a [`Batch`]: its counter (an index the caller chose), its key, the (second,
/// requests) to add, and the seconds whose buckets to read.
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub(super) counter: usize,
    key: Range<usize>,
    sends: Range<usize>,
    pub(super) from: u32,
    pub(super) to: u32,
}

impl Batch {
    pub(super) fn key(&self, item: &Item) -> &[u8] {
        &self.key_bytes[item.key.clone()]
    }

    pub(super) fn sends(&self, item: &Item) -> &[(u32, u32)] {
        &self.sends[item.sends.clone()]
    }

    pub(super) fn clear(&mut self) {
        self.items.clear();
        self.key_bytes.clear();
        self.sends.clear();
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

    /// One exchange of `c` with an in-memory stand-in for the shared buckets (the real store is
    /// exercised by tests/rate_redis.rs); returns the keys exchanged.
    fn exchange(
        c: &RuleCounter,
        now_ms: u64,
        budget: usize,
        buckets: &mut HashMap<(Vec<u8>, u32), u64>,
    ) -> usize {
        let mut batch = Batch::default();
        let mut budget = budget;
        c.collect(0, now_ms, 10, &mut budget, &mut batch);
        for item in &batch.items {
            let key = batch.key(item).to_vec();
            for &(s, n) in batch.sends(item) {
                *buckets.entry((key.clone(), s)).or_default() += u64::from(n);
            }
            let values: Vec<u64> = (item.from..=item.to)
                .map(|s| buckets.get(&(key.clone(), s)).copied().unwrap_or(0))
                .collect();
            c.confirm(&batch, item, &values, now_ms, 3);
        }
        batch.items.len()
    }

    #[test]
    fn counters_exchanging_through_shared_buckets_see_each_other() {
        let t = 1_700_000_000_000;
        let (a, b) = (
            RuleCounter::named("acl/r#1", 60, 1000),
            RuleCounter::named("acl/r#1", 60, 1000),
        );
        let mut buckets = HashMap::new();
        for i in 0..5 {
            a.hit(b"k", t + i);
        }
        exchange(&a, t + 100, usize::MAX, &mut buckets);
        assert_eq!(
            b.hit(b"k", t + 200),
            1,
            "a key new here is judged locally until the next exchange"
        );
        exchange(&b, t + 300, usize::MAX, &mut buckets);
        assert_eq!(b.hit(b"k", t + 400), 7, "5 from a, 2 here");
        exchange(&a, t + 500, usize::MAX, &mut buckets);
        assert_eq!(
            a.count(b"k", t + 500),
            6,
            "a has not seen b's second request yet"
        );
        exchange(&b, t + 600, usize::MAX, &mut buckets);
        exchange(&a, t + 700, usize::MAX, &mut buckets);
        assert_eq!(a.count(b"k", t + 700), 7);
        // Everything leaves the window together, shared part included.
        assert_eq!(a.count(b"k", t + 60_000), 0);
        assert_eq!(b.hit(b"k", t + 60_000), 1);
    }

    #[test]
    fn a_capped_exchange_resumes_where_it_stopped() {
        let t = 1_700_000_000_000;
        let c = RuleCounter::named("acl/r#1", 60, 10_000);
        for i in 0..1_000u32 {
            c.hit(&i.to_be_bytes(), t);
        }
        let mut buckets = HashMap::new();
        // A new key costs 2 (one send) + 60 (its window read); a key already exchanged, 3 reads.
        let mut exchanges = 0;
        while buckets.values().sum::<u64>() < 1_000 {
            let n = exchange(&c, t + 100, 620, &mut buckets);
            assert!(n > 0 && n <= 620 / 3 + 1, "{n} keys in one exchange");
            exchanges += 1;
            assert!(exchanges < 500, "no progress");
        }
        assert!(exchanges > 50, "{exchanges}");
        assert_eq!(
            buckets.values().sum::<u64>(),
            1_000,
            "every request sent exactly once"
        );
        assert_eq!(buckets.len(), 1_000);
    }
}
