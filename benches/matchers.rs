//! Each compiled matcher beside the naive baseline it must beat, over the same input:
//!
//! * `literal`: one slot's byte-match bank (`compile::bank::LiteralBank`, one Aho-Corasick
//!   automaton) vs a loop of `contains` (a prebuilt `memchr::memmem::Finder` per pattern);
//! * `regex`: one slot's regex bank (`compile::bank::RegexBank`, one multi-pattern regex) vs a
//!   `Vec` of compiled regexes, each asked `is_match`;
//! * `ip`: an IP set's merged range table (`compile::ipset::IpTable`, one binary search) vs a
//!   linear scan of (network, mask) pairs;
//! * `detectors`: SQL injection at sensitivity Low (`detect::is_sqli`: prefilter, then our own
//!   libinjection analysis) vs `libinjectionrs::detect_sqli`, the crate whose analysis ours
//!   replaced, over libinjection-style attack payloads (each flagged, so both run their full
//!   analysis) and over typical benign values (where the prefilter answers alone).
//!
//! These are the public types the compiler builds; no engine internals are reached around. The
//! matcher inputs never match (benign traffic is the common case, and a miss makes every matcher read
//! its whole input), so the naive loops cannot stop early either.
//!
//! Run: `cargo bench --bench matchers` (add `-- --quick` for a short run; `-- detectors` for
//! the detectors alone).

#[path = "support/mod.rs"]
mod support;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use memchr::memmem::Finder;
use regex_automata::meta::Regex;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use webacl::compile::bank::{Bits, LiteralBank, RegexBank};
use webacl::compile::ipset::IpTable;
use webacl::detect::{is_sqli, DetectScratch, Sensitivity};
use webacl::model::PositionalConstraint;
use webacl::validate::regex_dialect::syntax_config;

/// What a literal or regex bank scans: the benign GET's header values, lowercased and joined
/// (about 900 bytes: user agent, accept lists, client hints, cookies).
fn haystack() -> Vec<u8> {
    let corpus = support::Corpus::by_file("benign-get.jsonl").expect("corpus");
    let req = corpus.requests()[1];
    let mut out = Vec::new();
    for (_, v) in req.headers {
        out.extend(v.iter().map(u8::to_ascii_lowercase));
        out.push(b'\n');
    }
    out
}

/// Attack-looking search strings, made distinct by a token a browser never sends.
fn literals(n: usize) -> Vec<Vec<u8>> {
    const STEMS: &[&str] = &[
        "union select ",
        "<script",
        "../",
        "${jndi:",
        "/etc/passwd",
        "cmd.exe",
        "<?php",
        "javascript:",
        "onerror=",
        "sleep(",
    ];
    (0..n)
        .map(|i| format!("{}{}", STEMS[i % STEMS.len()], support::word(i)).into_bytes())
        .collect()
}

fn literal(c: &mut Criterion) {
    let hay = haystack();
    let mut g = c.benchmark_group("literal");
    for n in [10, 100, 1_000] {
        let pats = literals(n);
        let specs: Vec<_> = pats
            .iter()
            .enumerate()
            .map(|(i, p)| (p.clone(), PositionalConstraint::Contains, i as u32))
            .collect();
        let bank = LiteralBank::new(&specs).expect("literal bank");
        let mut bits = Bits::default();
        g.bench_with_input(BenchmarkId::new("bank", n), &hay, |b, hay| {
            b.iter(|| {
                bits.reset(n as u32);
                bank.scan(black_box(hay), &mut bits);
                bits.get(0)
            })
        });
        let finders: Vec<Finder> = pats.iter().map(Finder::new).collect();
        g.bench_with_input(
            BenchmarkId::new("naive contains loop", n),
            &hay,
            |b, hay| {
                b.iter(|| {
                    finders
                        .iter()
                        .filter(|f| f.find(black_box(hay)).is_some())
                        .count()
                })
            },
        );
    }
    g.finish();
}

fn regex(c: &mut Criterion) {
    let hay = haystack();
    let mut g = c.benchmark_group("regex");
    for n in [10, 100, 1_000] {
        let pats = support::bot_patterns(n);
        let specs: Vec<_> = pats
            .iter()
            .enumerate()
            .map(|(i, p)| (p.clone(), i as u32))
            .collect();
        let bank = RegexBank::new(&specs).expect("regex bank");
        let mut cache = bank.new_cache();
        let mut bits = Bits::default();
        g.bench_with_input(BenchmarkId::new("bank", n), &hay, |b, hay| {
            b.iter(|| {
                bits.reset(n as u32);
                bank.scan(black_box(hay), &mut cache, &mut bits);
                bits.get(0)
            })
        });
        // The naive engine: each pattern its own regex, same crate and same byte-oriented syntax.
        let res: Vec<Regex> = pats
            .iter()
            .map(|p| {
                Regex::builder()
                    .syntax(syntax_config())
                    .build(p)
                    .expect("pattern")
            })
            .collect();
        g.bench_with_input(
            BenchmarkId::new("naive Vec of regexes", n),
            &hay,
            |b, hay| b.iter(|| res.iter().filter(|r| r.is_match(black_box(hay))).count()),
        );
    }
    g.finish();
}

/// Addresses to look up: 1,024 public addresses outside every generated set.
fn probes(table: &IpTable) -> Vec<IpAddr> {
    let mut rng = support::Lcg::new(7);
    let mut out = Vec::new();
    while out.len() < 1_024 {
        let ip = IpAddr::V4(Ipv4Addr::from(rng.next_u32()));
        if !table.contains(ip) {
            out.push(ip);
        }
    }
    out
}

fn ip(c: &mut Criterion) {
    let mut g = c.benchmark_group("ip");
    for n in [100, 10_000, 100_000] {
        let cidrs = support::reputation_cidrs(n, 42);
        let as_ip: Vec<(IpAddr, u8)> = cidrs.iter().map(|&(a, p)| (IpAddr::V4(a), p)).collect();
        let table = IpTable::new(&as_ip);
        let probes = probes(&table);
        let mut i = 0;
        g.bench_function(BenchmarkId::new("range table", n), |b| {
            b.iter(|| {
                i = (i + 1) % probes.len();
                table.contains(black_box(probes[i]))
            })
        });
        let pairs: Vec<(u32, u32)> = cidrs
            .iter()
            .map(|&(a, p)| {
                let mask = u32::MAX << (32 - u32::from(p));
                (u32::from(a) & mask, mask)
            })
            .collect();
        let mut i = 0;
        g.bench_function(BenchmarkId::new("naive linear scan", n), |b| {
            b.iter(|| {
                i = (i + 1) % probes.len();
                let IpAddr::V4(a) = black_box(probes[i]) else {
                    return false;
                };
                let a = u32::from(a);
                pairs.iter().any(|&(net, mask)| a & mask == net)
            })
        });
    }
    g.finish();
}

fn detectors(c: &mut Criterion) {
    let mut scratch = DetectScratch::default();
    let mut matched = Vec::new();
    for v in support::SQLI_PAYLOADS {
        assert!(
            is_sqli(v.as_bytes(), Sensitivity::Low, &mut scratch, &mut matched)
                && libinjectionrs::detect_sqli(v.as_bytes()).is_injection(),
            "fixture payload not flagged by both detectors: {v}"
        );
    }
    let mut g = c.benchmark_group("detectors");
    for (set, values) in [
        ("attacks", support::SQLI_PAYLOADS),
        ("benign", support::BENIGN_VALUES),
    ] {
        g.throughput(Throughput::Elements(values.len() as u64));
        let mut scratch = DetectScratch::default();
        let mut matched = Vec::new();
        g.bench_function(BenchmarkId::new("sqli low, ours", set), |b| {
            b.iter(|| {
                values
                    .iter()
                    .filter(|v| {
                        is_sqli(
                            black_box(v.as_bytes()),
                            Sensitivity::Low,
                            &mut scratch,
                            &mut matched,
                        )
                    })
                    .count()
            })
        });
        g.bench_function(
            BenchmarkId::new("sqli, libinjectionrs detect_sqli", set),
            |b| {
                b.iter(|| {
                    values
                        .iter()
                        .filter(|v| {
                            libinjectionrs::detect_sqli(black_box(v.as_bytes())).is_injection()
                        })
                        .count()
                })
            },
        );
    }
    g.finish();
}

criterion_group!(matchers, literal, regex, ip, detectors);
criterion_main!(matchers);
