//! Latency percentiles of one evaluation, which criterion does not report: each evaluation of the
//! reference ACL is timed on its own (`Instant` before and after), warm, cycling through a request
//! corpus, and the bench prints min / median / p90 / p99 / max and p99 ÷ median per corpus, then
//! each request's own median (a corpus mixes requests that stop at different rules).
//!
//! Run:
//!
//! ```text
//! cargo bench --bench latency                    # 50,000 timed evaluations per corpus
//! cargo bench --bench latency -- --quick         # 5,000
//! cargo bench --bench latency -- --acl starter   # the starter ACL instead (also: kitchen-sink)
//! cargo bench --bench latency -- --quick --cold --corpus load-get.jsonl
//! ```
//!
//! `--cold` evicts the L1 caches before each timed evaluation (`support/evict.rs`), as pingora's
//! own work does between two requests in the proxy: what an evaluation costs there, where its
//! code and tables are fetched from L2, rather than warm in a tight loop. `--corpus FILE` times
//! that corpus alone (any file `--profile` takes, `load-get.jsonl` included).
//!
//! For a profiler, `--profile FILE` evaluates only that corpus (`benign-get.jsonl`, ...) in a loop
//! of `--iterations N` (default 20,000) without timing, e.g.
//! `valgrind --tool=callgrind <bench binary> --profile benign-get.jsonl --iterations 2000`.
//! The figure includes the clock read (tens of nanoseconds on Linux's vDSO clock).
//! `--drop-rule NAME` leaves one of the reference ACL's top-level rules out (`--list-rules` names
//! them): `benches/rule-cost.sh` profiles the ACL without each rule in turn to tell what each
//! costs; `--only-rule NAME` keeps that rule alone (`ONLY_RULE=NAME benches/profile.sh`).

#[path = "support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};
use webacl::compile::CompiledAcl;
use webacl::eval::{evaluate, Scratch};

/// Timed evaluations per corpus in a full run, and with `--quick`.
const SAMPLES: usize = 50_000;
const QUICK_SAMPLES: usize = 5_000;
/// Untimed evaluations before timing starts: scratch buffers grown, caches warm.
const WARMUP: usize = 2_000;
/// Default loop length of `--profile`.
const PROFILE_ITERATIONS: usize = 20_000;

/// Passes over the corpus before `--profile` counts anything.
const PROFILE_WARMUP_PASSES: usize = 2;

/// Evaluates `n` requests of the corpus in turn, untimed.
#[inline(never)]
fn evaluate_loop(
    acl: &CompiledAcl,
    reqs: &[webacl::inspect::Request],
    scratch: &mut Scratch,
    n: usize,
) {
    for k in 0..n {
        black_box(evaluate(acl, black_box(&reqs[k % reqs.len()]), scratch).action());
    }
}

/// The `--profile` loop proper; `benches/profile.sh` counts instructions inside this function only
/// (the warm-up calls `evaluate_loop` directly).
#[inline(never)]
fn profiled(acl: &CompiledAcl, reqs: &[webacl::inspect::Request], scratch: &mut Scratch, n: usize) {
    evaluate_loop(acl, reqs, scratch, n);
}

struct Args {
    quick: bool,
    acl: String,
    profile: Option<String>,
    iterations: usize,
    drop_rule: Option<String>,
    only_rule: Option<String>,
    list_rules: bool,
    cold: bool,
    corpus: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        quick: false,
        acl: "reference".into(),
        profile: None,
        iterations: PROFILE_ITERATIONS,
        drop_rule: None,
        only_rule: None,
        list_rules: false,
        cold: false,
        corpus: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => a.quick = true,
            "--acl" => a.acl = it.next().unwrap_or_default(),
            "--profile" => a.profile = it.next(),
            "--drop-rule" => a.drop_rule = it.next(),
            "--only-rule" => a.only_rule = it.next(),
            "--list-rules" => a.list_rules = true,
            "--cold" => a.cold = true,
            "--corpus" => a.corpus = it.next(),
            "--iterations" => {
                a.iterations = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(PROFILE_ITERATIONS)
            }
            // `cargo bench` passes `--bench`; criterion-style filters are ignored.
            _ => {}
        }
    }
    a
}

fn acl(name: &str, drop_rule: Option<&str>, only_rule: Option<&str>) -> CompiledAcl {
    if drop_rule.is_some() || only_rule.is_some() {
        assert_eq!(
            name, "reference",
            "--drop-rule and --only-rule apply to the reference ACL"
        );
    }
    if let Some(rule) = drop_rule {
        return support::reference_without(rule);
    }
    if let Some(rule) = only_rule {
        return support::reference_only(rule);
    }
    match name {
        "starter" => support::compile(support::STARTER_ACL, &Default::default()),
        "kitchen-sink" => support::compile(support::KITCHEN_SINK_ACL, &Default::default()),
        "reference" => support::reference(),
        other => panic!("unknown --acl {other}; expected reference, starter or kitchen-sink"),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn us(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e6)
}

fn main() {
    let args = args();
    if args.list_rules {
        for name in support::reference_rule_names() {
            println!("{name}");
        }
        return;
    }
    let acl = acl(
        &args.acl,
        args.drop_rule.as_deref(),
        args.only_rule.as_deref(),
    );
    let mut scratch = Scratch::new();

    if let Some(file) = &args.profile {
        let corpus = support::Corpus::by_file(file)
            .unwrap_or_else(|| panic!("no corpus {file} in rulesets/bench/requests"));
        let reqs = corpus.requests();
        // Untimed passes first, so that what the profiler counts (inside `profiled`) is the warm
        // cost: scratch buffers, regex caches and rate tables have grown by then.
        evaluate_loop(
            &acl,
            &reqs,
            &mut scratch,
            reqs.len() * PROFILE_WARMUP_PASSES,
        );
        profiled(&acl, &reqs, &mut scratch, args.iterations);
        println!(
            "evaluated {} requests of {file} against the {} ACL",
            args.iterations, args.acl
        );
        return;
    }

    let samples = if args.quick { QUICK_SAMPLES } else { SAMPLES };
    println!(
        "{} ACL: {samples} timed evaluations per corpus after {WARMUP} untimed (µs){}",
        args.acl,
        if args.cold {
            ", each after the L1 caches were evicted (--cold)"
        } else {
            ""
        }
    );
    let corpora: Vec<&support::Corpus> = match &args.corpus {
        Some(file) => vec![support::Corpus::by_file(file)
            .unwrap_or_else(|| panic!("no corpus {file} in rulesets/bench/requests"))],
        None => support::CORPORA.iter().collect(),
    };
    let mut evictor = args.cold.then(support::evict::Evictor::new);
    println!(
        "{:<17} {:>8} {:>8} {:>8} {:>8} {:>9} {:>10}",
        "corpus", "min", "median", "p90", "p99", "max", "p99/median"
    );
    for corpus in corpora {
        let reqs = corpus.requests();
        if args.acl == "reference" && args.drop_rule.is_none() && args.only_rule.is_none() {
            support::assert_actions(&acl, &reqs, corpus.expect, corpus.file);
        }
        for k in 0..WARMUP {
            black_box(evaluate(&acl, &reqs[k % reqs.len()], &mut scratch).action());
        }
        let mut times = Vec::with_capacity(samples);
        let mut per_request = vec![Vec::with_capacity(samples / reqs.len() + 1); reqs.len()];
        for k in 0..samples {
            let r = &reqs[k % reqs.len()];
            if let Some(evictor) = &mut evictor {
                evictor.evict();
            }
            let t = Instant::now();
            black_box(evaluate(&acl, black_box(r), &mut scratch).action());
            let d = t.elapsed();
            times.push(d);
            per_request[k % reqs.len()].push(d);
        }
        times.sort_unstable();
        let median = percentile(&times, 0.5);
        let p99 = percentile(&times, 0.99);
        println!(
            "{:<17} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9.2}x",
            corpus.name,
            us(times[0]),
            us(median),
            us(percentile(&times, 0.9)),
            us(p99),
            us(times[times.len() - 1]),
            p99.as_secs_f64() / median.as_secs_f64().max(1e-12)
        );
        // A corpus mixes requests that stop at different rules; each one's own median shows
        // whether a wide p99 is one slow request or jitter.
        let medians: Vec<String> = per_request
            .iter_mut()
            .map(|t| {
                t.sort_unstable();
                us(percentile(t, 0.5))
            })
            .collect();
        println!("  per request, median: {}", medians.join(" / "));
    }
}
