//! How evaluation time grows with the size of what the ACL holds. Every figure is one evaluation
//! of a request of the benign GET corpus (cycling through it; every request is allowed, so every
//! rule runs), through the public `webacl::eval::evaluate`:
//!
//! * `ip_set/reference/N`: the reference ACL with its reputation rule holding N CIDRs. AWS caps
//!   an IP set at 10,000 addresses, so 100,000 is ten sets of 10,000 under one OrStatement, the way
//!   a user must write it; `ip_set/one_rule/N` is the same statement alone in an ACL.
//! * `regex_patterns/N`: one rule, an OrStatement of N/10 regex pattern sets of 10 patterns each
//!   (AWS's maximum per set) on the User-Agent header with LOWERCASE. All of them inspect the
//!   same field with the same transformations, so the compiler puts them into one multi-pattern
//!   regex (src/compile/bank.rs): that is how "1,000 patterns in one pattern set" exists here.
//! * `rules/N`: an ACL of N custom rules cycling through nine statement shapes (byte matches on
//!   the user agent, path, query and cookie; regexes on path and query; geo; label; size).
//!
//! Run: `cargo bench --bench scaling` (add `-- --quick` for a short run).

#[path = "support/mod.rs"]
mod support;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use serde_json::{json, Value};
use std::hint::black_box;
use support::{add_resource, any_of, rule, web_acl};
use webacl::compile::{ActionKind, CompiledAcl};
use webacl::eval::{evaluate, Scratch};
use webacl::inspect::Request;
use webacl::load::Resources;

/// AWS's (and our validator's) most addresses in one IP set.
const ADDRESSES_PER_SET: usize = 10_000;
/// AWS's (and our validator's) most patterns in one regex pattern set.
const PATTERNS_PER_SET: usize = 10;

fn bench_eval(
    g: &mut criterion::BenchmarkGroup<criterion::measurement::WallTime>,
    id: BenchmarkId,
    acl: &CompiledAcl,
    reqs: &[Request],
) {
    support::assert_actions(acl, reqs, ActionKind::Allow, "benign GET");
    let mut scratch = Scratch::new();
    let mut i = 0;
    g.bench_function(id, |b| {
        b.iter(|| {
            i = (i + 1) % reqs.len();
            evaluate(acl, black_box(&reqs[i]), &mut scratch).action()
        })
    });
}

/// IP set references covering `n` CIDRs, their resources added to `res`.
fn ip_sets(n: usize, res: &mut Resources) -> Value {
    let mut refs = Vec::new();
    for (k, start) in (0..n).step_by(ADDRESSES_PER_SET).enumerate() {
        let len = ADDRESSES_PER_SET.min(n - start);
        let (arn, doc) = support::ip_set(
            &format!("scale-{n}-{k}"),
            &support::reputation_cidrs(len, 1_000 + k as u32),
        );
        add_resource(res, doc);
        refs.push(json!({"IPSetReferenceStatement": {"ARN": arn}}));
    }
    any_of(refs)
}

fn ip_set(c: &mut Criterion) {
    let reqs = support::Corpus::by_file("benign-get.jsonl")
        .expect("corpus")
        .requests();
    let mut g = c.benchmark_group("ip_set");
    for n in [100, 10_000, 100_000] {
        let mut res = support::reference_resources();
        let statement = ip_sets(n, &mut res);
        let mut doc = support::document(support::REFERENCE_ACL);
        let rules = doc.value["Rules"].as_array_mut().expect("Rules");
        let rep = rules
            .iter_mut()
            .find(|r| r["Name"] == "BlockIpReputation")
            .expect("the reputation rule");
        rep["Statement"] = statement.clone();
        let acl = support::compile_doc(&doc, &res);
        bench_eval(&mut g, BenchmarkId::new("reference", n), &acl, &reqs);

        let one = web_acl("ip-one-rule", vec![rule("ip", 0, statement)]);
        let acl = support::compile_doc(&one, &res);
        bench_eval(&mut g, BenchmarkId::new("one_rule", n), &acl, &reqs);
    }
    g.finish();
}

fn regex_patterns(c: &mut Criterion) {
    let reqs = support::Corpus::by_file("benign-get.jsonl")
        .expect("corpus")
        .requests();
    let mut g = c.benchmark_group("regex_patterns");
    for n in [10, 100, 1_000] {
        let patterns = support::bot_patterns(n);
        let mut res = Resources::default();
        let mut refs = Vec::new();
        for (k, chunk) in patterns.chunks(PATTERNS_PER_SET).enumerate() {
            let (arn, doc) = support::regex_set(&format!("bots-{n}-{k}"), chunk);
            add_resource(&mut res, doc);
            refs.push(json!({"RegexPatternSetReferenceStatement": {"ARN": arn,
                "FieldToMatch": {"SingleHeader": {"Name": "user-agent"}},
                "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}]}}));
        }
        let doc = web_acl("regex-scale", vec![rule("bots", 0, any_of(refs))]);
        let acl = support::compile_doc(&doc, &res);
        bench_eval(&mut g, BenchmarkId::from_parameter(n), &acl, &reqs);
    }
    g.finish();
}

/// The `i`-th synthetic rule statement: nine shapes, each made distinct by `i` so that nothing
/// is interned away. None matches a benign browser request.
fn synthetic_statement(i: usize) -> Value {
    let w = support::word(i);
    let b64 = |s: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let tt = |t: &str| json!([{"Priority": 0, "Type": t}]);
    let byte = |field: Value, s: String, pos: &str, t: &str| {
        json!({"ByteMatchStatement": {"SearchString": b64(&s), "FieldToMatch": field,
                                      "TextTransformations": tt(t), "PositionalConstraint": pos}})
    };
    let regex = |field: Value, r: String, t: &str| {
        json!({"RegexMatchStatement": {"RegexString": r, "FieldToMatch": field,
                                       "TextTransformations": tt(t)}})
    };
    const COUNTRIES: &[&str] = &["KP", "IR", "SY", "CU", "BY", "VE", "MM", "SD", "AF", "YE"];
    match i % 9 {
        0 => byte(
            json!({"SingleHeader": {"Name": "user-agent"}}),
            format!("{w}bot"),
            "CONTAINS",
            "NONE",
        ),
        1 => byte(
            json!({"UriPath": {}}),
            format!("/{w}/"),
            "STARTS_WITH",
            "NONE",
        ),
        2 => regex(json!({"QueryString": {}}), format!("{w}=[0-9]+"), "NONE"),
        3 => json!({"GeoMatchStatement": {"CountryCodes": [
            COUNTRIES[i % COUNTRIES.len()], COUNTRIES[(i / COUNTRIES.len()) % COUNTRIES.len()]]}}),
        4 => json!({"LabelMatchStatement": {"Scope": "LABEL", "Key": format!("bench:{w}")}}),
        5 => json!({"SizeConstraintStatement": {
            "FieldToMatch": {"SingleHeader": {"Name": format!("x-{w}")}},
            "ComparisonOperator": "GT", "Size": 100, "TextTransformations": tt("NONE")}}),
        6 => byte(
            json!({"SingleHeader": {"Name": "cookie"}}),
            format!("{w}="),
            "CONTAINS",
            "URL_DECODE",
        ),
        7 => regex(json!({"UriPath": {}}), format!("^/api/{w}/"), "LOWERCASE"),
        _ => byte(json!({"QueryString": {}}), w, "EXACTLY", "NONE"),
    }
}

fn rules(c: &mut Criterion) {
    let reqs = support::Corpus::by_file("benign-get.jsonl")
        .expect("corpus")
        .requests();
    let mut g = c.benchmark_group("rules");
    for n in [10, 100, 500] {
        let list = (0..n)
            .map(|i| rule(&format!("r{i}"), i, synthetic_statement(i)))
            .collect();
        let acl = support::compile_doc(&web_acl("rules-scale", list), &Resources::default());
        bench_eval(&mut g, BenchmarkId::from_parameter(n), &acl, &reqs);
    }
    g.finish();
}

criterion_group!(scaling, ip_set, regex_patterns, rules);
criterion_main!(scaling);
