//! Screens (`compile::screen`) change no verdict: the same ACL with its screens and without
//! matches the same rules on every request. Randomized requests are built from fragments that
//! sit on each edge of the screens' reasoning: search strings in other case, with `+` or `%20`
//! for a space, behind percent-encoding, HTML entities, JavaScript escapes, NUL bytes and
//! surrounding whitespace, split across two values, and the trigger bytes alone.

use super::{evaluate, Scratch, Terminator};
use crate::check::input::OwnedRequest;
use crate::compile::screen::NO_SCREEN;
use crate::compile::CompiledAcl;
use crate::compile::{BuildOptions, SearchStringEncoding};
use crate::test_rng::XorShift;

const FIELDS: &[&str] = &[
    r#"{"UriPath": {}}"#,
    r#"{"QueryString": {}}"#,
    r#"{"AllQueryArguments": {}}"#,
    r#"{"SingleQueryArgument": {"Name": "Q"}}"#,
    r#"{"Method": {}}"#,
    r#"{"SingleHeader": {"Name": "x-a"}}"#,
    r#"{"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "OversizeHandling": "CONTINUE"}}"#,
    r#"{"Headers": {"MatchPattern": {"IncludedHeaders": ["x-a"]}, "MatchScope": "VALUE", "OversizeHandling": "MATCH"}}"#,
    r#"{"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "KEY", "OversizeHandling": "CONTINUE"}}"#,
    r#"{"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "OversizeHandling": "NO_MATCH"}}"#,
    r#"{"Body": {"OversizeHandling": "MATCH"}}"#,
    r#"{"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "InvalidFallbackBehavior": "EVALUATE_AS_STRING", "OversizeHandling": "CONTINUE"}}"#,
    r#"{"JsonBody": {"MatchPattern": {"IncludedPaths": ["/k", "/a"]}, "MatchScope": "ALL", "InvalidFallbackBehavior": "NO_MATCH", "OversizeHandling": "MATCH"}}"#,
    // Not screenable: a body that does not parse matches whatever its values.
    r#"{"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "KEY", "InvalidFallbackBehavior": "MATCH", "OversizeHandling": "NO_MATCH"}}"#,
];

/// Chains a screen can judge, and one it cannot (`BASE64_DECODE`) as a control.
const CHAINS: &[&[&str]] = &[
    &["NONE"],
    &["URL_DECODE"],
    &["URL_DECODE_UNI", "URL_DECODE_UNI", "HTML_ENTITY_DECODE"],
    &["JS_DECODE", "LOWERCASE"],
    &["UPPERCASE", "TRIM"],
    &["REMOVE_NULLS", "TRIM_LEFT"],
    &["REPLACE_NULLS", "URL_DECODE", "TRIM_RIGHT"],
    &["COMPRESS_WHITE_SPACE"],
    &["URL_DECODE", "CMD_LINE", "COMPRESS_WHITE_SPACE"],
    &["URL_DECODE_UNI", "NORMALIZE_PATH"],
    &["NORMALIZE_PATH_WIN", "LOWERCASE"],
    &["CMD_LINE_WIN"],
    &["URL_DECODE", "REMOVE_WHITESPACE"],
    &["BASE64_DECODE"],
];

/// Chains per generated ACL: their leaves on one field stay within `SCREEN_MAX_LEAVES`.
const CHAINS_PER_ACL: usize = 5;

/// Statement bodies without `FieldToMatch` and `TextTransformations`.
const TESTS: &[(&str, &str)] = &[
    (
        "ByteMatchStatement",
        r#""SearchString": "a b", "PositionalConstraint": "CONTAINS""#,
    ),
    (
        "ByteMatchStatement",
        r#""SearchString": "<x>", "PositionalConstraint": "EXACTLY""#,
    ),
    (
        "ByteMatchStatement",
        r#""SearchString": "Get", "PositionalConstraint": "STARTS_WITH""#,
    ),
    (
        "ByteMatchStatement",
        r#""SearchString": "z", "PositionalConstraint": "ENDS_WITH""#,
    ),
    (
        "ByteMatchStatement",
        r#""SearchString": "SELECT", "PositionalConstraint": "CONTAINS_WORD""#,
    ),
    (
        "RegexMatchStatement",
        r#""RegexString": "(?i)un ion\\s+sel""#,
    ),
    ("RegexMatchStatement", r#""RegexString": "[0-9]{2}ab|<x""#),
    (
        "ByteMatchStatement",
        r#""SearchString": "x/y", "PositionalConstraint": "CONTAINS""#,
    ),
    ("XssMatchStatement", ""),
    ("SqliMatchStatement", ""),
];

const FRAGMENTS: &[&str] = &[
    "a b",
    "a+b",
    "a%20b",
    "A B",
    "a  b",
    "<x>",
    "%3Cx%3E",
    "&lt;x&gt;",
    "&#60;x>",
    "\\x3cx>",
    "\\u003Cx>",
    "Get",
    "GET",
    "gEt",
    "z",
    "Z",
    "select",
    "SELECT",
    "sel%45ct",
    "un ion  sel",
    "UN+ION+SEL",
    "un%20ion%09sel",
    "12ab",
    "1%32ab",
    "12AB",
    "x=1",
    "=",
    "<",
    "&",
    "%",
    "+",
    " ",
    "\u{0}",
    "a\u{0} b",
    "  pad ",
    "%2525",
    "%u0041",
    "plain",
    "-",
    "\u{e9}",
    "onload",
    "\\",
    "/",
    "x//y",
    "x/./y",
    "x/z/../y",
    "x\\y",
    ".",
    "a;b",
    "a,b",
    "a++b",
    "a ,b",
    "a\tb",
    "a\u{a0}b",
    "a^ b",
    "'a b'",
    "\"",
    "a\n b",
    "1' or '1'='1",
    "UNION+SELECT",
    "union%20select",
    "or 1=1",
    "--",
    "-",
    "admin'",
    "1;drop",
    "sleep(",
    "&amp;",
];

fn acl(field: &str, chains: &[&[&str]]) -> String {
    let mut rules = Vec::new();
    for chain in chains {
        let chain: Vec<String> = chain
            .iter()
            .enumerate()
            .map(|(i, t)| format!(r#"{{"Priority": {i}, "Type": "{t}"}}"#))
            .collect();
        for (kind, body) in TESTS {
            let sep = if body.is_empty() { "" } else { ", " };
            rules.push(format!(
                r#"{{"Name": "r{n}", "Priority": {n}, "Action": {{"Count": {{}}}},
                "Statement": {{"{kind}": {{{body}{sep}"FieldToMatch": {field},
                "TextTransformations": [{chain}]}}}},
                "VisibilityConfig": {{"SampledRequestsEnabled": false,
                "CloudWatchMetricsEnabled": false, "MetricName": "m"}}}}"#,
                n = rules.len(),
                chain = chain.join(","),
            ));
        }
    }
    format!(
        r#"{{"Name": "t", "DefaultAction": {{"Allow": {{}}}}, "Rules": [{}],
        "VisibilityConfig": {{"SampledRequestsEnabled": false,
        "CloudWatchMetricsEnabled": false, "MetricName": "t"}}}}"#,
        rules.join(",")
    )
}

fn compile(text: &str) -> CompiledAcl {
    let mut d = crate::validate::Diagnostics::new("t");
    let doc = crate::load::web_acl_str(text, "t", &mut d).expect("the ACL loads");
    let opts = BuildOptions {
        search_string: SearchStringEncoding::Text,
        ..Default::default()
    };
    crate::compile::build(&doc, &Default::default(), &opts)
        .unwrap_or_else(|e| panic!("the ACL compiles: {e:?}"))
}

/// `acl` with every leaf left to its slot.
fn unscreened(mut acl: CompiledAcl) -> CompiledAcl {
    acl.screens.disable();
    acl
}

fn value(rng: &mut XorShift, forbid: &[char]) -> String {
    let mut v = String::new();
    for _ in 0..rng.below(4) {
        v.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
    }
    v.retain(|c| !forbid.contains(&c));
    v
}

fn request(rng: &mut XorShift) -> String {
    let uri = format!("/{}", value(rng, &['?', '#']));
    let args = format!(
        "Q={}&{}={}",
        value(rng, &[]),
        value(rng, &[]),
        value(rng, &[])
    );
    let cookie = format!(
        "k={}; {}=v; {}",
        value(rng, &[';']),
        value(rng, &[';', '=']),
        value(rng, &[';'])
    );
    let method = ["GET", "Get", "POST", "getz"][rng.below(4)];
    // Now and then a component past the screen's reach: a body longer than it reads (and than
    // the inspection window), more headers than AWS inspects.
    let mut body = value(rng, &[]);
    if rng.below(2) == 0 {
        // A JSON body: fragments as keys and values, now and then escaped (`\u003c` for `<`) or
        // cut short (invalid).
        body = serde_json::json!({
            "k": value(rng, &[]),
            "a": [value(rng, &[]), 1, true],
            "n": {"m": value(rng, &[])},
            value(rng, &[]): null,
        })
        .to_string();
        if rng.below(4) == 0 {
            body = body.replace('<', "\\u003c").replace('a', "\\u0061");
        }
        if rng.below(6) == 0 {
            let mut cut = body.len() / 2;
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            body.truncate(cut);
        }
    }
    if rng.below(20) == 0 {
        body = format!(
            "{}{body}",
            "x".repeat(crate::compile::screen::SCREEN_MAX_BYTES * 3)
        );
    }
    let mut headers = vec![
        serde_json::json!({"name": "x-a", "value": value(rng, &[])}),
        serde_json::json!({"name": "X-A", "value": value(rng, &[])}),
        serde_json::json!({"name": value(rng, &[':', ' ']), "value": "1"}),
        serde_json::json!({"name": "cookie", "value": cookie}),
    ];
    if rng.below(20) == 0 {
        for i in 0..crate::inspect::extract::HEADERS_INSPECTION_COUNT {
            headers.push(serde_json::json!({"name": format!("h{i}"), "value": "v"}));
        }
    }
    serde_json::json!({
        "uri": uri,
        "args": args,
        "httpMethod": method,
        "headers": headers,
        "body": body,
    })
    .to_string()
}

/// The two ACLs' verdicts (action, terminating rule, counted rules, group entries, match
/// details, oversize flags) and labels, asserted equal; returns how many rules matched.
fn compare(screened: &CompiledAcl, plain: &CompiledAcl, line: &str, s: &mut [Scratch; 2]) -> usize {
    let owned = OwnedRequest::parse(line, 0).expect("the request parses");
    let headers = owned.header_pairs();
    let req = owned.view(&headers);
    let outcome = |acl: &CompiledAcl, s: &mut Scratch| {
        let v = evaluate(acl, &req, s);
        let matched = v.matched.len()
            + v.group_matches.len()
            + usize::from(!matches!(v.terminator, Terminator::Default));
        let text = format!("{v:?}");
        (
            matched,
            text,
            s.labels().map(str::to_string).collect::<Vec<_>>(),
        )
    };
    let [s1, s2] = s;
    let a = outcome(screened, s1);
    let b = outcome(plain, s2);
    assert_eq!(a, b, "request {line}");
    a.0
}

#[test]
fn screens_change_no_verdict_on_any_field_chain_or_test() {
    let mut rng = XorShift(0x5c4ee7);
    let mut scratch = [Scratch::new(), Scratch::new()];
    for field in FIELDS {
        for chains in CHAINS.chunks(CHAINS_PER_ACL) {
            let screened = compile(&acl(field, chains));
            let screened_leaves = screened
                .screens
                .of_leaf
                .iter()
                .filter(|&&s| s != NO_SCREEN)
                .count();
            // Every chain but BASE64_DECODE, and every test, is screenable (on a JSON body whose
            // parse failure is no fallback match).
            let screenable = if field.contains(r#""InvalidFallbackBehavior": "MATCH""#) {
                0
            } else {
                chains.iter().filter(|c| c[0] != "BASE64_DECODE").count()
            };
            assert_eq!(
                screened_leaves,
                screenable * TESTS.len(),
                "{field} {chains:?}"
            );
            let plain = unscreened(compile(&acl(field, chains)));
            let mut matched = 0;
            for _ in 0..400 {
                matched += compare(&screened, &plain, &request(&mut rng), &mut scratch);
            }
            // The fragments make every kind of rule match now and then (else the test proves
            // little).
            assert!(matched > 100, "{field} {chains:?}: only {matched} matches");
        }
    }
}

/// A statement testing `field` after `chain`, for the compound statements below.
fn leaf(kind: &str, body: &str, field: &str, chain: &str) -> String {
    let sep = if body.is_empty() { "" } else { ", " };
    format!(
        r#"{{"{kind}": {{{body}{sep}"FieldToMatch": {field},
        "TextTransformations": [{{"Priority": 0, "Type": "{chain}"}}]}}}}"#
    )
}

/// Rules whose walk a screen may skip (`Screens::of_rule`) only when the walk would give false
/// and add nothing: `Not`, `And` with a screened operand after one that adds labels (geo),
/// `Or` across two screens, label matches after a labelling rule, and nestings of these.
fn compound_acl() -> String {
    let uri_ab = leaf(
        "ByteMatchStatement",
        r#""SearchString": "a b", "PositionalConstraint": "CONTAINS""#,
        r#"{"UriPath": {}}"#,
        "URL_DECODE",
    );
    let uri_x = leaf(
        "ByteMatchStatement",
        r#""SearchString": "<x>", "PositionalConstraint": "CONTAINS""#,
        r#"{"UriPath": {}}"#,
        "HTML_ENTITY_DECODE",
    );
    let uri_xss = leaf("XssMatchStatement", "", r#"{"UriPath": {}}"#, "NONE");
    let args_sel = leaf(
        "RegexMatchStatement",
        r#""RegexString": "(?i)un ion\\s+sel""#,
        r#"{"AllQueryArguments": {}}"#,
        "URL_DECODE",
    );
    let args_get = leaf(
        "ByteMatchStatement",
        r#""SearchString": "get", "PositionalConstraint": "CONTAINS""#,
        r#"{"AllQueryArguments": {}}"#,
        "LOWERCASE",
    );
    let geo = r#"{"GeoMatchStatement": {"CountryCodes": ["US"]}}"#.to_string();
    let label = r#"{"LabelMatchStatement": {"Scope": "LABEL", "Key": "t:seen"}}"#.to_string();
    let not = |x: &str| format!(r#"{{"NotStatement": {{"Statement": {x}}}}}"#);
    let and = |xs: &[&str]| {
        format!(
            r#"{{"AndStatement": {{"Statements": [{}]}}}}"#,
            xs.join(",")
        )
    };
    let or = |xs: &[&str]| format!(r#"{{"OrStatement": {{"Statements": [{}]}}}}"#, xs.join(","));
    let statements = [
        uri_ab.clone(),
        not(&uri_ab),
        not(&or(&[&uri_ab, &uri_x])),
        and(&[&uri_ab, &uri_xss]),
        and(&[&uri_x, &geo]),
        and(&[&geo, &uri_x]),
        or(&[&uri_ab, &uri_x, &uri_xss]),
        or(&[&uri_ab, &args_sel]),
        or(&[&uri_x, &not(&args_get)]),
        and(&[&or(&[&uri_ab, &uri_x]), &args_get]),
        and(&[&or(&[&uri_ab, &args_get]), &uri_xss]),
        and(&[&label, &args_sel]),
        and(&[&args_sel, &label]),
        or(&[&args_get, &label]),
    ];
    let mut rules = Vec::new();
    for (n, st) in statements.iter().enumerate() {
        // The second rule labels what it matches, for the label matches after it.
        let labels = if n == 1 {
            r#", "RuleLabels": [{"Name": "seen"}]"#
        } else {
            ""
        };
        rules.push(format!(
            r#"{{"Name": "r{n}", "Priority": {n}, "Action": {{"Count": {{}}}}, "Statement": {st}{labels},
            "VisibilityConfig": {{"SampledRequestsEnabled": false,
            "CloudWatchMetricsEnabled": false, "MetricName": "m"}}}}"#
        ));
    }
    format!(
        r#"{{"Name": "t", "DefaultAction": {{"Allow": {{}}}}, "Rules": [{}],
        "VisibilityConfig": {{"SampledRequestsEnabled": false,
        "CloudWatchMetricsEnabled": false, "MetricName": "t"}}}}"#,
        rules.join(",")
    )
}

#[test]
fn screens_change_no_verdict_of_compound_statements() {
    let screened = compile(&compound_acl());
    let skippable = screened
        .screens
        .of_rule
        .iter()
        .filter(|c| c.0 != NO_SCREEN)
        .count();
    // r0, r3, r4, r6, r9, r12 (the first operand decides); not r1, r2, r5, r7, r8, r10, r11, r13.
    assert_eq!(skippable, 6, "{:?}", screened.screens.of_rule);
    let plain = unscreened(compile(&compound_acl()));
    let mut rng = XorShift(0xc0de);
    let mut scratch = [Scratch::new(), Scratch::new()];
    let mut matched = 0;
    for _ in 0..600 {
        let mut line: serde_json::Value =
            serde_json::from_str(&request(&mut rng)).expect("the request is JSON");
        line["country"] = ["US", "DE"][rng.below(2)].into();
        matched += compare(&screened, &plain, &line.to_string(), &mut scratch);
    }
    assert!(matched > 600, "only {matched} matches");
}

/// `--explain` says when a screen, not the slot, answered a leaf: the slot was never computed,
/// so the line must not claim the component was absent or quote values.
#[test]
fn explain_names_screened_leaves() {
    let trace = |acl: &CompiledAcl, uri: &str| {
        let line = format!(r#"{{"uri": {uri:?}, "headers": []}}"#);
        let owned = OwnedRequest::parse(&line, 0).expect("the request parses");
        let headers = owned.header_pairs();
        let mut s = Scratch::new();
        s.trace = Some(String::new());
        evaluate(acl, &owned.view(&headers), &mut s);
        s.trace.take().unwrap_or_default()
    };
    let uri = r#"{"UriPath": {}}"#;
    let screened = compile(&acl(uri, &CHAINS[..CHAINS_PER_ACL]));
    let quiet = trace(&screened, "/plain");
    assert!(quiet.contains("— screened:"), "{quiet}");
    assert!(!quiet.contains("component absent"), "{quiet}");
    assert!(!quiet.contains("inspected"), "{quiet}");
    let woken = trace(&screened, "/a b");
    assert!(woken.contains(r#"inspected ["/a b"] → MATCH"#), "{woken}");
    // BASE64_DECODE is not screenable: its leaves still quote what they inspected.
    let mixed = trace(
        &compile(&acl(uri, &[&["BASE64_DECODE"], &["NONE"]])),
        "/plain",
    );
    for line in mixed.lines().filter(|l| l.contains("Statement")) {
        let expect = if line.contains("BASE64_DECODE") {
            "— inspected ["
        } else {
            "— screened:"
        };
        assert!(line.contains(expect), "{line}");
    }
}

/// The reference ACL (managed rule groups, custom rules) on the benchmark corpora and on
/// requests that mix their values with the fragments above.
#[test]
fn screens_change_no_verdict_of_the_reference_acl() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rulesets/bench");
    let text = std::fs::read_to_string(dir.join("reference-acl.json")).expect("reference ACL");
    let mut d = crate::validate::Diagnostics::new("resources");
    let res = crate::load::resources_dir(&dir.join("resources"), &mut d);
    assert!(d.is_empty(), "{d:?}");
    let build = || {
        let mut d = crate::validate::Diagnostics::new("reference");
        let doc = crate::load::web_acl_str(&text, "reference", &mut d).expect("it loads");
        crate::compile::build(&doc, &res, &Default::default()).expect("it compiles")
    };
    let screened = build();
    assert!(screened.screens.list.len() >= 5);
    let plain = unscreened(build());
    let mut scratch = [Scratch::new(), Scratch::new()];
    let mut lines = Vec::new();
    for corpus in [
        "benign-get",
        "attack-get",
        "json-post-8k",
        "form-post-64k",
        "load-get",
    ] {
        let path = dir.join(format!("requests/{corpus}.jsonl"));
        let body = std::fs::read_to_string(path).expect("corpus");
        lines.extend(body.lines().map(str::to_string));
    }
    let mut rng = XorShift(0x7e57);
    for _ in 0..300 {
        lines.push(request(&mut rng));
    }
    let mut matched = 0;
    for line in &lines {
        matched += compare(&screened, &plain, line, &mut scratch);
    }
    assert!(matched > 50, "only {matched} matches");
}

/// Every GoTestWAF case and every libinjection sample line, in every placement, through every
/// open rule group: the per-case records (action, terminating rule) are the same with screens
/// and without. Skipped when `../shared` (or `WEBACL_SHARED_DIR`) is absent.
#[test]
fn screens_change_no_verdict_on_the_shared_attack_corpora() {
    use crate::efficacy::{corpus, progress};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = std::env::var_os("WEBACL_SHARED_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("../shared"));
    let dirs = [
        shared.join("corpus/gotestwaf/testcases"),
        shared.join("corpus/libinjection/data"),
    ];
    if !dirs.iter().all(|d| d.is_dir()) {
        println!(
            "skipped: shared/corpus/gotestwaf or libinjection not found (set WEBACL_SHARED_DIR)"
        );
        return;
    }
    let inputs: Vec<corpus::Input> = dirs
        .into_iter()
        .map(|path| corpus::Input { path, expect: None })
        .collect();
    let corpus = corpus::load(&inputs).expect("the corpora load");
    let acl_path = root.join("tests/efficacy/all-open-groups-acl.json");
    let load = || {
        crate::efficacy::load_acl(Some(&acl_path), None, &Default::default())
            .expect("the ACL of every open group compiles")
            .0
    };
    let records = |acl: &CompiledAcl| {
        let mut out = Vec::new();
        let mut p = progress::Progress::new(Vec::new(), progress::Style::Off, corpus.case_count());
        crate::efficacy::run(acl, &corpus, &mut p, Some(&mut out)).expect("the run");
        out
    };
    let screened = load();
    assert!(screened.screens.list.len() >= 5);
    let a = records(&screened);
    let b = records(&unscreened(load()));
    let (a, b) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
    let cases = a.lines().count();
    assert!(cases > 5_000, "{cases} cases");
    for (x, y) in a.lines().zip(b.lines()) {
        assert_eq!(x, y);
    }
    assert_eq!(cases, b.lines().count());
}
