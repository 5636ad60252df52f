//! `webacl efficacy` on a small fixture corpus whose every count is known (tests/efficacy/: an ACL
//! of three rules, GoTestWAF-style YAML cases, libinjection-style line lists), the command line's
//! exit codes and progress output, and one run over the real GoTestWAF corpus when
//! `shared/corpus/gotestwaf` is there.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use webacl::compile::BuildOptions;
use webacl::efficacy::corpus::{self, Expect, Input};
use webacl::efficacy::progress::{Progress, Style};
use webacl::efficacy::report::Report;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/efficacy")
        .join(rel)
}

fn input(rel: &str) -> Input {
    Input {
        path: fixture(rel),
        expect: None,
    }
}

/// Runs the library on the fixture ACL and returns the JSON report.
fn fixture_report(inputs: &[Input]) -> Value {
    let (acl, label) =
        webacl::efficacy::load_acl(Some(&fixture("acl.json")), None, &BuildOptions::default())
            .expect("fixture ACL loads");
    let corpus = corpus::load(inputs).expect("fixture corpus loads");
    let mut progress = Progress::new(Vec::new(), Style::Off, corpus.case_count());
    let outcome = webacl::efficacy::run(&acl, &corpus, &mut progress, None).expect("run");
    Report::new(&acl, &label, &corpus, &outcome).json()
}

fn row<'a>(list: &'a Value, key: &str, name: &str) -> &'a Value {
    list.as_array()
        .and_then(|a| a.iter().find(|r| r[key] == name))
        .unwrap_or_else(|| panic!("no {key} = {name} in {list:#}"))
}

/// (attacks, attacks caught, benign, benign flagged)
fn counts(v: &Value) -> (u64, u64, u64, u64) {
    let n = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k} in {v}"));
    (
        n("attacks"),
        n("attacks_caught"),
        n("benign"),
        n("benign_flagged"),
    )
}

/// (attacks matched, attacks stopped, benign matched, benign stopped)
fn rule_counts(v: &Value) -> (u64, u64, u64, u64) {
    let n = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k} in {v}"));
    (
        n("attacks_matched"),
        n("attacks_stopped"),
        n("benign_matched"),
        n("benign_stopped"),
    )
}

#[test]
fn yaml_cases_are_counted_per_rule_placement_encoder_and_file() {
    let r = fixture_report(&[input("corpus")]);
    // evil.yml: 2 payloads × 2 encoders × 4 placeholders (4 gRPC skipped); escaped.yml: 1;
    // false-pos/texts.yml: 2 × 1 × 2.
    assert_eq!(r["test_cases"], 21);
    assert_eq!(r["evaluated"], 17);
    assert_eq!(r["skipped"], 4);
    // Caught: "evil one" by URLParam and HTMLForm under both encoders, and "'evil" by URLParam.
    assert_eq!(counts(&r["totals"]), (13, 5, 4, 1));
    assert_eq!(r["totals"]["tpr"].as_f64(), Some(5.0 / 13.0));
    assert_eq!(r["totals"]["tnr"].as_f64(), Some(0.75));

    let own = &r["groups"][0];
    assert_eq!(own["rule_group"], Value::Null);
    let rules = &own["rules"];
    // "marker" in a header, under both encoders: counted, never stopped.
    assert_eq!(
        rule_counts(row(rules, "name", "CountMarkerHeader")),
        (2, 0, 0, 0)
    );
    assert_eq!(row(rules, "name", "CountMarkerHeader")["action"], "COUNT");
    // Query: "evil one" ×2 encoders + "'evil"; benign "an evil plan".
    assert_eq!(
        rule_counts(row(rules, "name", "BlockEvilQuery")),
        (3, 3, 1, 1)
    );
    // Body: the HTMLForm cases.
    assert_eq!(
        rule_counts(row(rules, "name", "BlockEvilBody")),
        (2, 2, 0, 0)
    );
    assert_eq!(rule_counts(own), (7, 5, 1, 1));

    assert_eq!(
        counts(row(&r["by_placement"], "name", "URLParam")),
        (5, 3, 2, 1)
    );
    assert_eq!(
        counts(row(&r["by_placement"], "name", "HTMLForm")),
        (4, 2, 0, 0)
    );
    assert_eq!(
        counts(row(&r["by_placement"], "name", "Header")),
        (4, 0, 0, 0)
    );
    assert_eq!(
        counts(row(&r["by_placement"], "name", "UserAgent")),
        (0, 0, 2, 0)
    );
    assert_eq!(counts(row(&r["by_encoder"], "name", "URL")), (6, 2, 4, 1));
    assert_eq!(counts(row(&r["by_encoder"], "name", "Plain")), (7, 3, 0, 0));

    let evil = row(&r["by_file"], "file", "attacks/evil.yml");
    assert_eq!(counts(evil), (12, 4, 0, 0));
    assert_eq!(evil["skipped"], 4);
    assert_eq!(evil["kind"], "Fixture");
    assert_eq!(
        row(&r["by_file"], "file", "false-pos/texts.yml")["expected"],
        "benign"
    );

    let grpc = row(&r["skipped_cases"], "placement", "gRPC");
    assert_eq!(
        (grpc["file"].as_str(), grpc["cases"].as_u64()),
        (Some("attacks/evil.yml"), Some(4))
    );

    // The `\'` escape is repaired, named, and its case kept.
    assert_eq!(
        counts(row(&r["by_file"], "file", "attacks/escaped.yml")),
        (1, 1, 0, 0)
    );
    let warnings = r["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = warnings[0].as_str().unwrap();
    assert!(
        w.starts_with("attacks/escaped.yml: 1 `\\'` escape(s) on line(s) 3"),
        "{w}"
    );
}

#[test]
fn line_lists_go_into_six_locations() {
    let r = fixture_report(&[input("lists")]);
    // sqli-sample.txt: 2 values × 6; false_positives.txt: 1 × 6, its header case skipped (CR LF).
    assert_eq!(r["test_cases"], 18);
    assert_eq!(r["skipped"], 1);
    assert_eq!(counts(&r["totals"]), (12, 3, 5, 0));
    for (loc, caught) in [
        ("query-argument", 1),
        ("form-body", 1),
        ("json-body", 1),
        ("header", 0),
        ("cookie", 0),
        ("uri-path", 0),
    ] {
        let c = counts(row(&r["by_placement"], "name", loc));
        assert_eq!((c.0, c.1), (2, caught), "{loc}");
    }
    let rules = &r["groups"][0]["rules"];
    assert_eq!(
        rule_counts(row(rules, "name", "BlockEvilQuery")),
        (1, 1, 0, 0)
    );
    // The form body and the JSON body.
    assert_eq!(
        rule_counts(row(rules, "name", "BlockEvilBody")),
        (2, 2, 0, 0)
    );
    assert_eq!(r["by_encoder"], serde_json::json!([]));
    let skip = row(&r["skipped_cases"], "file", "false_positives.txt");
    assert_eq!(
        (skip["placement"].as_str(), skip["cases"].as_u64()),
        (Some("header"), Some(1))
    );
    assert!(skip["reason"].as_str().unwrap().contains("0x0d"));
    // notes.txt says neither attack nor benign: listed, not read.
    let unread = row(&r["unread_files"], "file", "notes.txt");
    assert!(unread["reason"].as_str().unwrap().contains("--attack"));
}

#[test]
fn attack_and_benign_flags_label_any_file() {
    let r = fixture_report(&[
        Input {
            path: fixture("lists/notes.txt"),
            expect: Some(Expect::Attack),
        },
        Input {
            path: fixture("lists/sqli-sample.txt"),
            expect: Some(Expect::Benign),
        },
    ]);
    // notes.txt ("evil") as attacks: 6 cases, caught in query, form and JSON bodies.
    // sqli-sample.txt as benign: 12 cases, 3 flagged.
    assert_eq!(counts(&r["totals"]), (6, 3, 12, 3));
    assert_eq!(r["unread_files"], serde_json::json!([]));
}

#[test]
fn placeholder_requests_are_built_as_gotestwaf_builds_them() {
    use webacl::efficacy::encoder::Encoder;
    use webacl::efficacy::names::Names;
    use webacl::efficacy::placeholder::Placeholder;
    let payload = Encoder::Url.encode("<a b='c'>");
    assert_eq!(payload, "%3Ca+b%3D%27c%27%3E");
    assert_eq!(Encoder::Base64Flat.encode("<a b='c'>"), "PGEgYj0nYyc+");
    assert_eq!(
        Encoder::from_name("JSUnicode").unwrap().encode("<a"),
        "\\u003c\\u0061"
    );
    let ph = Placeholder::parse(&serde_yaml::from_str("URLParam").unwrap()).unwrap();
    let req = ph.build(&payload, &mut Names::for_case(1)).unwrap();
    let (name, value) = req.query.split_once('=').unwrap();
    assert_eq!(value, "%3Ca+b%3D%27c%27%3E");
    assert!(
        name.len() == 10 && name.bytes().all(|b| b.is_ascii_hexdigit()),
        "{name}"
    );
    assert_eq!((req.method.as_str(), req.path.as_str()), ("GET", "/"));
}

// ------------------------------------------------------------------------------------------
// The command line
// ------------------------------------------------------------------------------------------

fn webacl(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_webacl"))
        .args(args)
        .output()
        .expect("webacl runs")
}

#[test]
fn cli_prints_json_and_progress_lines_and_exits_zero() {
    let acl = fixture("acl.json");
    let corpus = fixture("corpus");
    let cases = std::env::temp_dir().join(format!("webacl-efficacy-{}.jsonl", std::process::id()));
    let out = webacl(&[
        "efficacy",
        "--web-acl",
        acl.to_str().unwrap(),
        "--format",
        "json",
        "--cases",
        cases.to_str().unwrap(),
        corpus.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(counts(&report["totals"]), (13, 5, 4, 1));
    // stderr is not a terminal here: a plain line every 10%, ending at 100%.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("efficacy: 100% (21/21 test cases)"), "{err}");
    assert!(err.contains("warning: attacks/escaped.yml"), "{err}");
    // One --cases line per test case, skipped ones included.
    let lines: Vec<Value> = std::fs::read_to_string(&cases)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let _ = std::fs::remove_file(&cases);
    assert_eq!(lines.len(), 21);
    let first = &lines[0];
    assert_eq!(first["file"], "attacks/escaped.yml");
    assert_eq!(first["payload"], "'evil");
    assert_eq!(first["action"], "BLOCK");
    assert_eq!(first["terminating_rule"], "BlockEvilQuery");
    assert_eq!(lines.iter().filter(|l| l["skipped"].is_string()).count(), 4);
}

#[test]
fn cli_text_report_names_groups_rules_and_rates() {
    let acl = fixture("acl.json");
    let out = webacl(&[
        "efficacy",
        "--no-progress",
        "--web-acl",
        acl.to_str().unwrap(),
        fixture("corpus").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "attacks     13       5  TPR 38.5%",
        "benign       4       1  TNR 75.0%",
        "BlockEvilQuery",
        "Per placement",
        "Per encoder",
        "Per corpus file",
        "Skipped test cases",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    // --no-progress: the escape warning, but no progress line.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: ") && !err.contains("efficacy: "),
        "{err}"
    );
}

#[test]
fn cli_bad_input_fails_with_a_clear_message() {
    let out = webacl(&["efficacy", "/nonexistent/corpus-dir"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/corpus-dir"));

    let out = webacl(&["efficacy"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("name at least one corpus"));

    let out = webacl(&["efficacy", fixture("lists/notes.txt").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no test case"));

    let bad_acl = fixture("corpus/attacks/evil.yml");
    let out = webacl(&[
        "efficacy",
        "--web-acl",
        bad_acl.to_str().unwrap(),
        fixture("corpus").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn cli_help_teaches_with_examples() {
    let out = webacl(&["efficacy", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "Examples:",
        "GoTestWAF",
        "--attack",
        "--benign",
        "--format",
        "CAPTCHA",
    ] {
        assert!(help.contains(needle), "missing {needle:?} in\n{help}");
    }
}

// ------------------------------------------------------------------------------------------
// The real GoTestWAF corpus
// ------------------------------------------------------------------------------------------

fn gotestwaf_dir() -> Option<PathBuf> {
    let shared = std::env::var_os("WEBACL_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let dir = shared.join("corpus/gotestwaf/testcases");
    dir.is_dir().then_some(dir)
}

#[test]
fn gotestwaf_corpus_parses_whole_and_the_starter_acl_scores_sanely() {
    let Some(dir) = gotestwaf_dir() else {
        println!("skipped: shared/corpus/gotestwaf not found (set WEBACL_SHARED_DIR)");
        return;
    };
    let (acl, label) =
        webacl::efficacy::load_acl(None, None, &BuildOptions::default()).expect("starter ACL");
    let corpus = corpus::load(&[Input {
        path: dir,
        expect: None,
    }])
    .expect("corpus loads");
    // 44 YAML files, all read; the three with Go-only `\'` escapes repaired and named.
    assert_eq!(corpus.files.len(), 44);
    assert!(corpus.unread.is_empty(), "{:?}", corpus.unread);
    assert_eq!(corpus.warnings.len(), 3, "{:?}", corpus.warnings);
    for f in [
        "owasp/xss-scripting.yml",
        "owasp-api/soap.yml",
        "owasp-api/rest.yml",
    ] {
        assert!(corpus.warnings.iter().any(|w| w.starts_with(f)), "{f}");
    }
    let mut progress = Progress::new(Vec::new(), Style::Off, corpus.case_count());
    let outcome = webacl::efficacy::run(&acl, &corpus, &mut progress, None).expect("run");
    let r = Report::new(&acl, &label, &corpus, &outcome).json();
    // payload × encoder × placeholder over every file (GoTestWAF's own arithmetic).
    assert_eq!(r["test_cases"], 822);
    // Only the gRPC cases cannot be represented.
    assert_eq!(r["skipped"], 2);
    assert_eq!(row(&r["skipped_cases"], "placement", "gRPC")["cases"], 2);
    let (attacks, caught, benign, flagged) = counts(&r["totals"]);
    assert_eq!((attacks, benign), (679, 141));
    // Sanity, not a pinned score (detectors evolve): some attacks of every common class are
    // caught, and the benign texts mostly pass.
    assert!(
        caught > attacks / 5 && caught < attacks,
        "caught {caught}/{attacks}"
    );
    assert!(flagged < benign / 10, "flagged {flagged}/{benign}");
    println!(
        "starter ACL on GoTestWAF: TPR {:.1}%, TNR {:.1}%",
        r["totals"]["tpr"].as_f64().unwrap_or(0.0) * 100.0,
        r["totals"]["tnr"].as_f64().unwrap_or(0.0) * 100.0
    );
}
