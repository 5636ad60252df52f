//! Rate-based counters: `RuleCounter::hit` for one hot key and for 100,000 distinct keys, and the
//! memory one tracked key costs (bytes counted by a wrapping allocator, printed before the
//! timings).
//!
//! Run: `cargo bench --bench rate` (add `-- --quick` for a short run).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use webacl::rate::RuleCounter;

/// Counts live heap bytes, so that a counter's footprint is measured, not guessed.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const KEYS: usize = 100_000;
/// 2023-11-14T22:13:20Z, a realistic wall-clock timestamp.
const T0: u64 = 1_700_000_000_000;

/// Client addresses as the IP aggregation key writes them (`10.1.134.160`).
fn ip_keys(n: usize) -> Vec<Vec<u8>> {
    (0..n as u32)
        .map(|i| format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255).into_bytes())
        .collect()
}

/// Live bytes per key after counting `requests_per_key` requests (one per second) for each of
/// `keys` keys.
fn bytes_per_key(keys: &[Vec<u8>], requests_per_key: u64) -> f64 {
    let before = LIVE.load(Ordering::Relaxed);
    let c = RuleCounter::new(600, keys.len() * 2);
    for s in 0..requests_per_key {
        for k in keys {
            c.hit(k, T0 + s * 1000);
        }
    }
    let after = LIVE.load(Ordering::Relaxed);
    assert_eq!(c.tracked_keys(), keys.len());
    let per_key = (after - before) as f64 / keys.len() as f64;
    drop(c);
    per_key
}

fn memory_note() {
    let keys = ip_keys(KEYS);
    let one = bytes_per_key(&keys, 1);
    let ten = bytes_per_key(&keys, 10);
    let hot = bytes_per_key(&keys[..1_000], 300);
    println!("rate/memory: {one:.0} bytes per tracked key (100k IPv4 keys, 1 request each, counter included)");
    println!("rate/memory: {ten:.0} bytes per tracked key (100k IPv4 keys, 10 requests in 10 distinct seconds)");
    println!("rate/memory: {hot:.0} bytes per tracked key (1k IPv4 keys, 300 requests in 300 distinct seconds)");
}

fn hit(c: &mut Criterion) {
    memory_note();
    let mut g = c.benchmark_group("rate/hit");
    g.throughput(Throughput::Elements(1));

    // One key, 1,000 requests per second of timestamps: the window slides as the bench runs.
    let counter = RuleCounter::new(300, 100_000);
    let mut t = T0;
    g.bench_function("single_key", |b| {
        b.iter(|| {
            t += 1;
            black_box(counter.hit(black_box(b"192.0.2.1"), t))
        })
    });

    // 100k keys in turn: every hit is a different key of a map holding all of them (cap 200k,
    // so nothing is evicted).
    let keys = ip_keys(KEYS);
    let counter = RuleCounter::new(300, 2 * KEYS);
    let mut i = 0usize;
    for k in &keys {
        counter.hit(k, T0);
    }
    g.bench_function("100k_keys", |b| {
        b.iter(|| {
            i += 1;
            // Time advances 1 ms per hit (1,000 requests/s): each key is hit every 100 s, so a
            // key holds a few seconds and the map, not the windows, is what is measured.
            black_box(counter.hit(black_box(&keys[i % KEYS]), T0 + i as u64))
        })
    });

    // The same keys, each new, against a cap of 50k: past the cap, new keys make room first (bulk
    // eviction of the stalest eighth of a shard). Timed per 100k hits.
    g.throughput(Throughput::Elements(KEYS as u64));
    g.bench_function("100k_keys_cap_50k", |b| {
        b.iter_batched_ref(
            || RuleCounter::new(300, KEYS / 2),
            |counter| {
                for (n, k) in keys.iter().enumerate() {
                    black_box(counter.hit(k, T0 + n as u64));
                }
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, hit);
criterion_main!(benches);
