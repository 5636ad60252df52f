//! The engine's stages over reference ACLs: `load` (JSON → documents), `compile` (validate and
//! build automata), `evaluate` (one request, warm scratch). The reference ACLs are the starter ACL
//! (1,402 WCU: custom rules plus the open CommonRuleSet, KnownBadInputs and SQLi groups) and the
//! kitchen-sink example (most statement types, fields and transformations).
//!
//! Run: `cargo bench --bench engine` (add `-- --quick` for a short run).

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use webacl::compile::{build, BuildOptions, CompiledAcl};
use webacl::eval::{evaluate, Scratch};
use webacl::inspect::Request;
use webacl::load::{self, Resources};
use webacl::validate::Diagnostics;

const ACLS: &[(&str, &str)] = &[
    ("starter", include_str!("../rulesets/starter-acl.json")),
    (
        "kitchen-sink",
        include_str!("../rulesets/examples/kitchen-sink-acl.json"),
    ),
];

fn compile(text: &str) -> CompiledAcl {
    let mut d = Diagnostics::new("bench");
    let doc = load::web_acl_str(text, "bench", &mut d).expect("reference ACL parses");
    build(&doc, &Resources::default(), &BuildOptions::default()).expect("reference ACL compiles")
}

const BROWSER_HEADERS: &[(&[u8], &[u8])] = &[
    (b"Host", b"shop.example.com"),
    (b"User-Agent", b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"),
    (b"Accept", b"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"),
    (b"Accept-Language", b"en-US,en;q=0.9"),
    (b"Accept-Encoding", b"gzip, deflate, br"),
    (b"Referer", b"https://shop.example.com/catalog?page=2"),
    (b"Cookie", b"session=9f2c1e7a4b; cart=3; theme=dark; consent=analytics%3Dfalse"),
];

const JSON_HEADERS: &[(&[u8], &[u8])] = &[
    (b"Host", b"api.example.com"),
    (b"User-Agent", b"okhttp/4.12.0"),
    (b"Content-Type", b"application/json"),
];

fn json_body(size: usize) -> Vec<u8> {
    let mut body = b"{\"items\":[".to_vec();
    let mut i = 0;
    while body.len() < size - 64 {
        body.extend_from_slice(
            format!(
                "{{\"id\":{i},\"name\":\"item number {i}\",\"qty\":{}}},",
                i % 7
            )
            .as_bytes(),
        );
        i += 1;
    }
    body.pop();
    body.extend_from_slice(b"],\"note\":\"deliver after 5pm\"}");
    body
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("load");
    for (name, text) in ACLS {
        g.bench_function(*name, |b| {
            b.iter(|| load::web_acl_str(black_box(text), "bench", &mut Diagnostics::new("bench")))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("compile");
    g.sample_size(20);
    for (name, text) in ACLS {
        g.bench_function(*name, |b| b.iter(|| compile(black_box(text))));
    }
    g.finish();

    let body = json_body(8 * 1024);
    let mut g = c.benchmark_group("evaluate");
    for (name, text) in ACLS {
        let acl = compile(text);
        let mut scratch = Scratch::new();
        let mut benign = Request::get(b"/catalog/shoes/running");
        benign.query = b"color=blue&size=42&sort=price_asc";
        benign.headers = BROWSER_HEADERS;
        benign.client_ip = Some("198.51.100.23".parse().unwrap());
        g.bench_function(format!("{name}/benign GET"), |b| {
            b.iter(|| evaluate(&acl, black_box(&benign), &mut scratch).action())
        });
        let mut attack = benign;
        attack.query = b"id=1%27%20UNION%20SELECT%20password%20FROM%20users--";
        g.bench_function(format!("{name}/attack GET"), |b| {
            b.iter(|| evaluate(&acl, black_box(&attack), &mut scratch).action())
        });
        let mut post = Request::get(b"/api/orders");
        post.method = b"POST";
        post.headers = JSON_HEADERS;
        post.body = &body;
        post.body_len = body.len() as u64;
        post.client_ip = benign.client_ip;
        g.bench_function(format!("{name}/8 KB JSON POST"), |b| {
            b.iter(|| evaluate(&acl, black_box(&post), &mut scratch).action())
        });
    }
    g.finish();
}

criterion_group!(engine, benches);
criterion_main!(engine);
