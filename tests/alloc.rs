//! "No allocation once warm": evaluating requests against a compiled ACL allocates nothing after
//! the first few requests have grown the scratch buffers, and neither does the SQL injection
//! detector on attack payloads (its full analysis, not just the prefilter). A counting global
//! allocator proves it; it counts per thread, so tests running in parallel do not disturb
//! each other's counts.

use serde_json::json;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use webacl::compile::{build, BuildOptions, SearchStringEncoding};
use webacl::detect::{is_sqli, DetectScratch, Sensitivity};
use webacl::eval::{evaluate, Scratch};
use webacl::inspect::Request;
use webacl::load::{Document, Resources};

struct Counting;

thread_local! {
    /// Allocations made by this thread (const-initialised, so reading it never allocates).
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count_one() {
    // Fails only while the thread is being torn down; those allocations are not ours to count.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

/// Allocations made so far by the calling thread.
fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn rule(
    name: &str,
    priority: u32,
    action: &str,
    statement: serde_json::Value,
) -> serde_json::Value {
    json!({"Name": name, "Priority": priority, "Action": {action: {}}, "Statement": statement,
           "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": name}})
}

fn field(kind: &str, ftm: serde_json::Value, extra: serde_json::Value) -> serde_json::Value {
    let mut s = json!({"FieldToMatch": ftm, "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}, {"Priority": 1, "Type": "LOWERCASE"}]});
    for (k, v) in extra.as_object().unwrap() {
        s[k] = v.clone();
    }
    json!({ kind: s })
}

#[test]
fn evaluation_does_not_allocate_once_warm() {
    let rules = vec![
        rule(
            "ua",
            0,
            "Count",
            field(
                "ByteMatchStatement",
                json!({"SingleHeader": {"Name": "user-agent"}}),
                json!({"SearchString": "sqlmap", "PositionalConstraint": "CONTAINS"}),
            ),
        ),
        rule(
            "path",
            1,
            "Count",
            field(
                "RegexMatchStatement",
                json!({"UriPath": {}}),
                json!({"RegexString": "^/(admin|wp-login)"}),
            ),
        ),
        rule(
            "sqli",
            2,
            "Block",
            field(
                "SqliMatchStatement",
                json!({"AllQueryArguments": {}}),
                json!({}),
            ),
        ),
        rule(
            "xss",
            3,
            "Block",
            field(
                "XssMatchStatement",
                json!({"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}}),
                json!({}),
            ),
        ),
        rule(
            "json",
            4,
            "Count",
            field(
                "ByteMatchStatement",
                json!({"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE"}}),
                json!({"SearchString": "drop", "PositionalConstraint": "CONTAINS_WORD"}),
            ),
        ),
        rule(
            "size",
            5,
            "Block",
            field(
                "SizeConstraintStatement",
                json!({"Body": {"OversizeHandling": "MATCH"}}),
                json!({"ComparisonOperator": "GT", "Size": 8192}),
            ),
        ),
        rule(
            "geo",
            6,
            "Count",
            json!({"GeoMatchStatement": {"CountryCodes": ["CN", "RU"]}}),
        ),
        rule(
            "labels",
            7,
            "Block",
            json!({"LabelMatchStatement": {"Scope": "LABEL", "Key": "awswaf:clientip:geo:country:CN"}}),
        ),
    ];
    let acl = json!({"Name": "alloc", "DefaultAction": {"Allow": {}}, "Rules": rules,
        "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "alloc"}});
    let doc = Document {
        file: "acl.json".into(),
        base: String::new(),
        value: acl,
    };
    let opts = BuildOptions {
        search_string: SearchStringEncoding::Text,
        ..Default::default()
    };
    let acl = build(&doc, &Resources::default(), &opts).unwrap_or_else(|d| panic!("{d:#?}"));

    let headers: Vec<(&[u8], &[u8])> = vec![
        (b"Host", b"example.com"),
        (
            b"User-Agent",
            b"Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0",
        ),
        (b"Accept", b"text/html,application/xhtml+xml"),
        (
            b"Cookie",
            b"session=abc123; theme=dark; cart=%7B%22id%22%3A1%7D",
        ),
        (b"Content-Type", b"application/json"),
    ];
    let body = br#"{"user":{"name":"alice","tags":["a","b"],"note":"hello world"},"n":1}"#;
    let mut req = Request::get(b"/admin/reports/2024");
    req.query = b"id=42&q=summer%20sale&page=2";
    req.headers = &headers;
    req.body = body;
    req.body_len = body.len() as u64;
    req.country = "DE";
    req.client_ip = Some("192.0.2.10".parse().unwrap());

    let mut scratch = Scratch::new();
    for _ in 0..10 {
        evaluate(&acl, &req, &mut scratch);
    }
    let before = allocations();
    for _ in 0..1_000 {
        let v = evaluate(&acl, &req, &mut scratch);
        assert_eq!(v.action(), webacl::compile::ActionKind::Allow);
    }
    let per_request = (allocations() - before) as f64 / 1_000.0;
    assert_eq!(
        per_request, 0.0,
        "evaluation allocates {per_request} times per request once warm"
    );
}

#[test]
fn sqli_detection_does_not_allocate_once_warm() {
    // Attack payloads reach the full analysis (every context up to the hit), with matched
    // tokens written out; the benign ones run it too where the prefilter says "maybe".
    let values: &[&[u8]] = &[
        b"1' UNION SELECT username,password FROM users--",
        b"' OR '1'='1",
        b"1' AND SLEEP(5)#",
        b"-1 union select @@version,user(),database()",
        b"1/*!50000union*/select 1",
        b"x' AND 1=(SELECT COUNT(*) FROM tablenames); --",
        b"/SELECT-1e1FROM`test`",
        b"O'Reilly",
        b"{\"a\": [1, 2, 3]}",
        b"hello world (again); see you",
        b"<script>alert(1)</script>",
    ];
    let mut scratch = DetectScratch::default();
    let mut matched = Vec::new();
    let pass = |scratch: &mut DetectScratch, matched: &mut Vec<Vec<u8>>| {
        let mut hits = 0;
        for v in values {
            for level in [Sensitivity::Low, Sensitivity::High] {
                hits += usize::from(is_sqli(v, level, scratch, matched));
            }
        }
        hits
    };
    for _ in 0..10 {
        pass(&mut scratch, &mut matched);
    }
    let before = allocations();
    let mut hits = 0;
    for _ in 0..100 {
        hits += pass(&mut scratch, &mut matched);
    }
    let allocated = allocations() - before;
    assert!(hits >= 100 * 14, "the payloads must be detected ({hits})");
    assert_eq!(
        allocated,
        0,
        "SQLi detection allocates {allocated} times over {} calls once warm",
        100 * values.len() * 2
    );
}
