//! What the benches share: the reference ACLs and their resources, the request corpora of
//! `rulesets/bench/requests/` (the files `webacl check --requests` and the load script read), and
//! builders for the synthetic ACLs of the scaling benches.
//!
//! Every bench file includes this module with `#[path = "support/mod.rs"] mod support;`, so each
//! uses only part of it.
#![allow(dead_code)]

pub mod evict;

use serde_json::{json, Value};
use std::net::Ipv4Addr;
use webacl::check::input::OwnedRequest;
use webacl::compile::{build, ActionKind, BuildOptions, CompiledAcl};
use webacl::eval::{evaluate, Scratch};
use webacl::inspect::Request;
use webacl::load::{self, Document, Resources};
use webacl::validate::Diagnostics;

pub const STARTER_ACL: &str = include_str!("../../rulesets/starter-acl.json");
pub const KITCHEN_SINK_ACL: &str = include_str!("../../rulesets/examples/kitchen-sink-acl.json");
pub const REFERENCE_ACL: &str = include_str!("../../rulesets/bench/reference-acl.json");

/// The reference ACL's resources: (file name, text).
pub const REFERENCE_RESOURCES: &[(&str, &str)] = &[
    (
        "bad-bots.json",
        include_str!("../../rulesets/bench/resources/bad-bots.json"),
    ),
    (
        "exploit-probes.json",
        include_str!("../../rulesets/bench/resources/exploit-probes.json"),
    ),
    (
        "ip-reputation-10k.json",
        include_str!("../../rulesets/bench/resources/ip-reputation-10k.json"),
    ),
    (
        "office.json",
        include_str!("../../rulesets/bench/resources/office.json"),
    ),
];

/// ARN of the reference ACL's 10,000-CIDR reputation set (rulesets/bench/gen-ip-reputation.py).
pub const REPUTATION_ARN: &str = "arn:aws:wafv2:us-east-1:123456789012:regional/ipset/webacl-bench-ip-reputation/6b1f3c2e-8d4a-4f7e-9a21-3c5d7e9f1a2b";

/// Arrival time stamped on every corpus request (2023-11-14T22:13:20Z). All requests of a run
/// fall into one rate window; the reference ACL's rate limit (20,000,000 per 60 s) stays far
/// above what any bench sends, and [`assert_actions`] would catch it firing.
pub const T0_MS: u64 = 1_700_000_000_000;

/// One request corpus: a kind of traffic, its file, and the action the reference ACL must take on
/// every request in it.
pub struct Corpus {
    pub name: &'static str,
    pub file: &'static str,
    text: &'static str,
    pub expect: ActionKind,
}

pub const CORPORA: &[Corpus] = &[
    Corpus {
        name: "benign GET",
        file: "benign-get.jsonl",
        text: include_str!("../../rulesets/bench/requests/benign-get.jsonl"),
        expect: ActionKind::Allow,
    },
    Corpus {
        name: "attack GET",
        file: "attack-get.jsonl",
        text: include_str!("../../rulesets/bench/requests/attack-get.jsonl"),
        expect: ActionKind::Block,
    },
    Corpus {
        name: "8 KB JSON POST",
        file: "json-post-8k.jsonl",
        text: include_str!("../../rulesets/bench/requests/json-post-8k.jsonl"),
        expect: ActionKind::Allow,
    },
    Corpus {
        name: "64 KB form POST",
        file: "form-post-64k.jsonl",
        text: include_str!("../../rulesets/bench/requests/form-post-64k.jsonl"),
        expect: ActionKind::Allow,
    },
];

/// Corpora for `--profile` only (not in the timed benches): `load-get.jsonl` is the one request
/// `benches/load/run.sh` sends as benign traffic, so its evaluation cost can be profiled alone.
pub const PROFILE_ONLY: &[Corpus] = &[Corpus {
    name: "load GET",
    file: "load-get.jsonl",
    text: include_str!("../../rulesets/bench/requests/load-get.jsonl"),
    expect: ActionKind::Allow,
}];

impl Corpus {
    /// The corpus' requests as evaluation views. The parsed requests are leaked: a bench parses
    /// each corpus a handful of times, and `'static` views keep the bench loops simple.
    pub fn requests(&self) -> Vec<Request<'static>> {
        self.text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let owned: &'static OwnedRequest = Box::leak(Box::new(
                    OwnedRequest::parse(line, T0_MS)
                        .unwrap_or_else(|e| panic!("{}: {e}", self.file)),
                ));
                let headers: &'static [(&'static [u8], &'static [u8])] =
                    Box::leak(owned.header_pairs().into_boxed_slice());
                owned.view(headers)
            })
            .collect()
    }

    /// The corpus whose file is `file`, among `CORPORA` and `PROFILE_ONLY`.
    pub fn by_file(file: &str) -> Option<&'static Corpus> {
        CORPORA.iter().chain(PROFILE_ONLY).find(|c| c.file == file)
    }
}

pub fn document(text: &str) -> Document {
    let mut d = Diagnostics::new("bench");
    load::web_acl_str(text, "bench", &mut d).expect("the bench ACL parses")
}

/// Loads the reference ACL's resources from their text, as `--resources` would from the files.
pub fn reference_resources() -> Resources {
    let mut res = Resources::default();
    let mut d = Diagnostics::new("bench");
    for (file, text) in REFERENCE_RESOURCES {
        load::add_resource_str(&mut res, text, file, &mut d);
    }
    assert!(d.is_empty(), "reference resources: {d:#?}");
    res
}

pub fn compile_doc(doc: &Document, res: &Resources) -> CompiledAcl {
    build(doc, res, &BuildOptions::default()).unwrap_or_else(|d| panic!("{d:#?}"))
}

/// Load and compile an ACL text with `res`.
pub fn compile(text: &str, res: &Resources) -> CompiledAcl {
    compile_doc(&document(text), res)
}

/// The reference ACL, compiled with its resources (fresh rate counters).
pub fn reference() -> CompiledAcl {
    compile(REFERENCE_ACL, &reference_resources())
}

/// The names of the reference ACL's top-level rules, in priority order as written.
pub fn reference_rule_names() -> Vec<String> {
    let acl: Value = serde_json::from_str(REFERENCE_ACL).expect("the reference ACL is JSON");
    acl["WebACL"]["Rules"]
        .as_array()
        .map(|rules| {
            rules
                .iter()
                .filter_map(|r| r["Name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The reference ACL without its top-level rule `name`: what the ACL costs minus this is what
/// the rule costs on top of the others (the slots it shares with them are computed either way).
pub fn reference_without(name: &str) -> CompiledAcl {
    reference_filtered(name, |r| r != name)
}

/// The reference ACL with only its top-level rule `name`: what that rule costs on its own.
pub fn reference_only(name: &str) -> CompiledAcl {
    reference_filtered(name, |r| r == name)
}

fn reference_filtered(name: &str, keep: impl Fn(&str) -> bool) -> CompiledAcl {
    let mut acl: Value = serde_json::from_str(REFERENCE_ACL).expect("the reference ACL is JSON");
    let rules = acl["WebACL"]["Rules"]
        .as_array_mut()
        .expect("the reference ACL has rules");
    assert!(
        rules.iter().any(|r| r["Name"] == name),
        "no rule {name} in the reference ACL; it has {:?}",
        reference_rule_names()
    );
    rules.retain(|r| keep(r["Name"].as_str().unwrap_or_default()));
    compile(&acl.to_string(), &reference_resources())
}

/// Panics unless `acl` takes `expect` on every request: a bench that silently measured a request
/// blocked early (or a rate limit that started firing) would report the wrong figure.
pub fn assert_actions(acl: &CompiledAcl, reqs: &[Request], expect: ActionKind, what: &str) {
    let mut s = Scratch::new();
    for (i, r) in reqs.iter().enumerate() {
        let got = evaluate(acl, r, &mut s).action();
        assert_eq!(got, expect, "{what}: request {} gave {got:?}", i + 1);
    }
}

// ---- synthetic ACLs for the scaling benches ----

pub fn visibility(name: &str) -> Value {
    json!({"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": true, "MetricName": name})
}

pub fn rule(name: &str, priority: usize, statement: Value) -> Value {
    json!({"Name": name, "Priority": priority, "Action": {"Block": {}}, "Statement": statement,
           "VisibilityConfig": visibility(name)})
}

pub fn web_acl(name: &str, rules: Vec<Value>) -> Document {
    Document {
        file: format!("{name}.json"),
        base: String::new(),
        value: json!({"Name": name, "DefaultAction": {"Allow": {}}, "Rules": rules,
                      "VisibilityConfig": visibility(name)}),
    }
}

/// `statements` joined by OR, or the statement itself when there is one.
pub fn any_of(mut statements: Vec<Value>) -> Value {
    if statements.len() == 1 {
        statements.remove(0)
    } else {
        json!({"OrStatement": {"Statements": statements}})
    }
}

pub fn add_resource(res: &mut Resources, value: Value) {
    let mut d = Diagnostics::new("bench");
    load::add_resource_str(res, &value.to_string(), "generated.json", &mut d);
    assert!(d.is_empty(), "generated resource: {d:#?}");
}

/// A deterministic pseudo-random sequence (Numerical Recipes' LCG, high bits).
pub struct Lcg(u32);

impl Lcg {
    pub fn new(seed: u32) -> Lcg {
        Lcg(seed)
    }
    pub fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        self.0
    }
    pub fn next_u32(&mut self) -> u32 {
        (self.next() >> 16) | (self.next() & 0xFFFF_0000)
    }
}

/// `n` distinct reputation-list CIDRs (mostly /32, some /24 and /20), never in 0/8, 10/8,
/// 127/8, 172.16/12, 192.168/16, the documentation ranges or 224/3: the corpora's clients and a
/// loopback load test are never listed.
pub fn reputation_cidrs(n: usize, seed: u32) -> Vec<(Ipv4Addr, u8)> {
    let mut rng = Lcg::new(seed);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let roll = rng.next() >> 16;
        let prefix = match roll % 100 {
            0..=83 => 32,
            84..=95 => 24,
            _ => 20,
        };
        let addr = rng.next_u32() & (u32::MAX << (32 - prefix));
        let first = addr >> 24;
        let reserved = matches!(first, 0 | 10 | 127 | 224..=255)
            || addr >> 20 == 0xAC1 // 172.16.0.0/12
            || addr >> 16 == 0xC0A8 // 192.168.0.0/16
            || [0xC00002, 0xC63364, 0xCB0071].contains(&(addr >> 8)); // documentation /24s
        if !reserved && seen.insert((addr, prefix)) {
            out.push((Ipv4Addr::from(addr), prefix));
        }
    }
    out
}

/// A `get-ip-set` document holding `cidrs`.
pub fn ip_set(name: &str, cidrs: &[(Ipv4Addr, u8)]) -> (String, Value) {
    let arn = format!("arn:aws:wafv2:us-east-1:123456789012:regional/ipset/{name}/{name}-id");
    let addresses: Vec<String> = cidrs.iter().map(|(a, p)| format!("{a}/{p}")).collect();
    let doc = json!({"IPSet": {"Name": name, "Id": format!("{name}-id"), "ARN": arn,
                               "IPAddressVersion": "IPV4", "Addresses": addresses}});
    (arn, doc)
}

/// A `get-regex-pattern-set` document holding `patterns`.
pub fn regex_set(name: &str, patterns: &[String]) -> (String, Value) {
    let arn =
        format!("arn:aws:wafv2:us-east-1:123456789012:regional/regexpatternset/{name}/{name}-id");
    let list: Vec<Value> = patterns.iter().map(|p| json!({"RegexString": p})).collect();
    let doc = json!({"RegexPatternSet": {"Name": name, "Id": format!("{name}-id"), "ARN": arn,
                                         "RegularExpressionList": list}});
    (arn, doc)
}

/// `n` distinct user-agent patterns shaped like bad-bot lists (names, versions, URLs), none of
/// which matches a browser's user agent.
pub fn bot_patterns(n: usize) -> Vec<String> {
    const SHAPES: &[&str] = &[
        r"{w}bot/[0-9]",
        r"^{w}[-_ ]?crawler",
        r"{w}\.(com|net|io)/bot",
        r"compatible; {w}/\d+\.\d+",
        r"{w}-scanner",
        r"^{w}/[0-9.]+$",
        r"(?i)\b{w}spider\b",
        r"{w}(fetch|grab)er",
        r"https?://[a-z.]*{w}\.",
        r"^python-{w}",
    ];
    (0..n)
        .map(|i| SHAPES[i % SHAPES.len()].replace("{w}", &word(i)))
        .collect()
}

/// A short lowercase token unique to `i`, with no English-like substrings a browser header would
/// contain ("qz" never occurs in them).
pub fn word(i: usize) -> String {
    let mut s = String::from("qz");
    let mut x = i;
    loop {
        s.push((b'a' + (x % 26) as u8) as char);
        x /= 26;
        if x == 0 {
            break s;
        }
    }
}

/// libinjection-style SQL injection payloads, as query values arrive after URL_DECODE: each is
/// flagged at sensitivity Low by our detector and by `libinjectionrs` (`matchers` asserts it).
pub const SQLI_PAYLOADS: &[&str] = &[
    "1' UNION SELECT username,password FROM users--",
    "1 UNION ALL SELECT NULL,NULL,NULL--",
    "' OR '1'='1",
    "1' AND SLEEP(5)#",
    "admin'--",
    "1; DROP TABLE users",
    "1) or (1=1",
    "-1 union select @@version,user(),database()",
    "1 INTO OUTFILE '/tmp/x'",
    "x' AND 1=(SELECT COUNT(*) FROM tablenames); --",
    "1/*!50000union*/select 1",
    "';waitfor delay '0:0:5'--",
    "1 and ascii(substring((select top 1 name from sysobjects),1,1))>64",
    "1' ORDER BY 3--+",
    "' AND extractvalue(1,concat(0x7e,(SELECT version())))--",
    "1 AND (SELECT * FROM (SELECT(SLEEP(5)))a)",
    "' || (SELECT pg_sleep(5))--",
    "1 OR 1=1 LIMIT 1",
    "1' GROUP BY CONCAT(version(),FLOOR(RAND(0)*2)) HAVING MIN(0)#",
    "SELECT-1e1FROM`test`",
];

/// Typical benign header, query and cookie values (no SQLi at either sensitivity).
pub const BENIGN_VALUES: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "gzip, deflate, br",
    "en-US,en;q=0.9",
    "john.smith@example.com",
    "2024-01-15T10:30:00Z",
    "/api/v1/users/42/profile",
    "search terms for blue shoes",
    "550e8400-e29b-41d4-a716-446655440000",
    "O'Reilly",
];
