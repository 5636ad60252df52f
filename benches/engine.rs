//! The engine's stages over reference ACLs: `load` (JSON → documents), `compile` (validate and
//! build automata), `evaluate` (one request, warm scratch).
//!
//! ACLs: `reference` (rulesets/bench/reference-acl.json, 1,497 WCU: the shape real users run,
//! with a 10,000-CIDR reputation set, a rate-based rule, custom rules and three AWS managed
//! groups; see rulesets/bench/README.md), the starter ACL (3,824 WCU) and the kitchen-sink example
//! (most statement types, fields and transformations). Requests: the corpora of
//! rulesets/bench/requests/ (benign GET, attack GET, 8 KB JSON POST, 64 KB form POST); one
//! iteration evaluates one request, cycling through the corpus, so a figure is the mean time per
//! request of that kind.
//!
//! Run: `cargo bench --bench engine` (add `-- --quick` for a short run, or a filter such as
//! `-- evaluate/reference`).

#[path = "support/mod.rs"]
mod support;

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use support::{Corpus, CORPORA};
use webacl::compile::CompiledAcl;
use webacl::eval::{evaluate, Scratch};
use webacl::load::{self, Resources};
use webacl::validate::Diagnostics;

/// A reference ACL: name, ACL text, resource files as (file name, text).
type NamedAcl = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The reference ACLs. Only the bench reference ACL needs resources.
fn acls() -> Vec<NamedAcl> {
    vec![
        (
            "reference",
            support::REFERENCE_ACL,
            support::REFERENCE_RESOURCES,
        ),
        ("starter", support::STARTER_ACL, &[]),
        ("kitchen-sink", support::KITCHEN_SINK_ACL, &[]),
    ]
}

/// The load stage: the ACL document and every resource document, parsed from text.
fn load_all(text: &str, resources: &[(&str, &str)]) -> (Option<load::Document>, Resources) {
    let mut d = Diagnostics::new("bench");
    let doc = load::web_acl_str(text, "bench", &mut d);
    let mut res = Resources::default();
    for (file, text) in resources {
        load::add_resource_str(&mut res, text, file, &mut d);
    }
    (doc, res)
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("load");
    for (name, text, resources) in acls() {
        g.bench_function(name, |b| {
            b.iter(|| load_all(black_box(text), black_box(resources)))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("compile");
    g.sample_size(10);
    for (name, text, resources) in acls() {
        let (doc, res) = load_all(text, resources);
        let doc = doc.expect("reference ACL parses");
        g.bench_function(name, |b| {
            b.iter(|| support::compile_doc(black_box(&doc), &res))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("evaluate");
    for (name, text, resources) in acls() {
        let (doc, res) = load_all(text, resources);
        let doc = doc.expect("reference ACL parses");
        for corpus in CORPORA {
            // A fresh ACL per bench: its rate counters start at zero.
            let acl = support::compile_doc(&doc, &res);
            evaluate_corpus(&mut g, name, &acl, corpus, name == "reference");
        }
    }
    g.finish();
}

fn evaluate_corpus(
    g: &mut criterion::BenchmarkGroup<criterion::measurement::WallTime>,
    acl_name: &str,
    acl: &CompiledAcl,
    corpus: &Corpus,
    check: bool,
) {
    let reqs = corpus.requests();
    if check {
        support::assert_actions(acl, &reqs, corpus.expect, corpus.file);
    }
    let mut scratch = Scratch::new();
    let mut i = 0;
    g.bench_function(format!("{acl_name}/{}", corpus.name), |b| {
        b.iter(|| {
            i = (i + 1) % reqs.len();
            evaluate(acl, black_box(&reqs[i]), &mut scratch).action()
        })
    });
    if check {
        support::assert_actions(acl, &reqs, corpus.expect, corpus.file);
    }
}

criterion_group!(engine, benches);
criterion_main!(engine);
