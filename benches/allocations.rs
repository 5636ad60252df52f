//! Heap allocations per evaluated request, once warm, counted by a wrapping global allocator.
//!
//! For each ACL (reference, starter, kitchen-sink) and each request corpus: evaluate the corpus
//! a few times to grow the scratch buffers, then count allocations over 1,000 evaluations. The
//! clock advances 1 ms per request, so rate-based windows roll over as they do in service. Where
//! the count is not zero, a second pass captures a backtrace at each allocation and prints the
//! webacl frames it came from, grouped and counted. Last, the SQL injection detector alone on
//! attack payloads (its full analysis), allocations per call.
//!
//! Run: `cargo bench --bench allocations` (it has no timing loop, so `-- --quick` changes nothing).

#[path = "support/mod.rs"]
mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::backtrace::Backtrace;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use webacl::detect::{is_sqli, DetectScratch, Sensitivity};
use webacl::eval::{evaluate, Scratch};
use webacl::inspect::Request;

/// Evaluations counted per (ACL, corpus) once warm.
const MEASURED: usize = 1_000;
/// Passes over the corpus before counting.
const WARM_PASSES: usize = 10;
/// Evaluations traced with backtraces when allocations were found.
const TRACED: usize = 50;
/// webacl frames kept per allocation site.
const FRAMES_PER_SITE: usize = 3;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static TRACING: AtomicBool = AtomicBool::new(false);
static SITES: Mutex<Vec<String>> = Mutex::new(Vec::new());

thread_local! {
    /// Set while the hook itself runs: its own allocations (capturing and formatting the
    /// backtrace) must not be traced again.
    static IN_HOOK: Cell<bool> = const { Cell::new(false) };
}

fn on_allocation() {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    if TRACING.load(Ordering::Relaxed) && !IN_HOOK.with(Cell::get) {
        IN_HOOK.with(|h| h.set(true));
        let site = site(&Backtrace::force_capture());
        if let Ok(mut sites) = SITES.lock() {
            sites.push(site);
        }
        IN_HOOK.with(|h| h.set(false));
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        on_allocation();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        on_allocation();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Where an allocation came from: the innermost frame outside the allocator plumbing (the crate
/// function that allocated, which may be a dependency's) and the innermost webacl frames, one per
/// line, as `function (file:line)`.
fn site(bt: &Backtrace) -> String {
    /// Crates whose frames are allocator plumbing, not the allocating code.
    const PLUMBING: &[&str] = &["std", "core", "alloc"];
    let text = bt.to_string();
    let mut frames = Vec::new();
    let mut webacl_frames = 0;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let name = line.trim_start_matches(|c: char| c == ' ' || c.is_ascii_digit() || c == ':');
        let Some(at) = lines
            .peek()
            .and_then(|next| next.trim().strip_prefix("at "))
        else {
            continue;
        };
        // `<crate dir>/src/<file>:<line>`: ours, a registry crate's or the standard library's.
        let (krate, at) = match at.rfind("/src/") {
            Some(i) => {
                let krate = at[..i].rsplit('/').next().unwrap_or("");
                (krate, format!("{krate}/src/{}", &at[i + 5..]))
            }
            None => ("", at.to_string()),
        };
        let ours = name.starts_with("webacl::") || name.starts_with("<webacl::");
        let plumbing = PLUMBING.contains(&krate) || at.contains("benches/");
        if (frames.is_empty() && !plumbing) || ours {
            frames.push(format!("      {name} ({at})"));
            webacl_frames += usize::from(ours);
            if webacl_frames == FRAMES_PER_SITE {
                break;
            }
        }
    }
    if frames.is_empty() {
        "      (no frame resolved)".into()
    } else {
        frames.join("\n")
    }
}

/// The SQL injection detector alone (`detect::is_sqli` at both sensitivities, matched tokens
/// written out) over the attack payloads of `support::SQLI_PAYLOADS` and the benign values,
/// warm: allocations per call. Returns the count.
fn detector_allocations() -> usize {
    let mut scratch = DetectScratch::default();
    let mut matched = Vec::new();
    let values: Vec<&str> = support::SQLI_PAYLOADS
        .iter()
        .chain(support::BENIGN_VALUES)
        .copied()
        .collect();
    let mut run = |n: usize| {
        for _ in 0..n {
            for v in &values {
                for level in [Sensitivity::Low, Sensitivity::High] {
                    is_sqli(v.as_bytes(), level, &mut scratch, &mut matched);
                }
            }
        }
    };
    run(WARM_PASSES);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    run(MEASURED / values.len().max(1));
    let n = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let calls = (MEASURED / values.len().max(1)) * values.len() * 2;
    println!(
        "  detect::is_sqli, {} attack and {} benign values, Low and High: {:.3} allocations/call ({n} over {calls} calls)",
        support::SQLI_PAYLOADS.len(),
        support::BENIGN_VALUES.len(),
        n as f64 / calls.max(1) as f64
    );
    n
}

fn main() {
    let acls = [
        ("reference", support::reference()),
        (
            "starter",
            support::compile(support::STARTER_ACL, &Default::default()),
        ),
        (
            "kitchen-sink",
            support::compile(support::KITCHEN_SINK_ACL, &Default::default()),
        ),
    ];
    println!("allocations per evaluated request, warm ({MEASURED} evaluations each, clock +1 ms per request)");
    let mut total = 0;
    for (name, acl) in &acls {
        for corpus in support::CORPORA {
            let reqs = corpus.requests();
            let mut scratch = Scratch::new();
            let mut clock = support::T0_MS;
            let mut run = |n: usize, scratch: &mut Scratch| {
                for k in 0..n {
                    let mut r: Request = reqs[k % reqs.len()];
                    clock += 1;
                    r.timestamp_ms = clock;
                    evaluate(acl, &r, scratch);
                }
            };
            run(WARM_PASSES * reqs.len(), &mut scratch);
            let before = ALLOCATIONS.load(Ordering::Relaxed);
            run(MEASURED, &mut scratch);
            let n = ALLOCATIONS.load(Ordering::Relaxed) - before;
            total += n;
            println!(
                "  {name:<13} {:<16} {:>8.3} allocations/request",
                corpus.name,
                n as f64 / MEASURED as f64
            );
            if n > 0 {
                if let Ok(mut s) = SITES.lock() {
                    s.clear();
                }
                TRACING.store(true, Ordering::Relaxed);
                run(TRACED, &mut scratch);
                TRACING.store(false, Ordering::Relaxed);
                let sites = SITES.lock().map(|s| s.clone()).unwrap_or_default();
                let mut by_site: BTreeMap<String, usize> = BTreeMap::new();
                for s in sites {
                    *by_site.entry(s).or_default() += 1;
                }
                let mut by_count: Vec<_> = by_site.into_iter().collect();
                by_count.sort_by_key(|s| std::cmp::Reverse(s.1));
                println!("    where (over {TRACED} more requests):");
                for (site, count) in by_count {
                    println!("    {count} allocation(s) from\n{site}");
                }
            }
        }
    }
    total += detector_allocations();
    println!(
        "{}",
        if total == 0 {
            "no allocation once warm"
        } else {
            "allocations found once warm (sites above)"
        }
    );
}
