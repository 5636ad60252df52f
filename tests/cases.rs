//! The data-driven engine suite: every `tests/cases/*.json` file holds cases of the form
//! (ACL, resources, request) → expected verdict, labels and log fragments, or (ACL) → expected
//! diagnostics. One harness runs them all; see `tests/cases/README.md` for the format.

use serde_json::{json, Value};
use std::path::Path;
use webacl::check::input::OwnedRequest;
use webacl::compile::{build, BuildOptions, SearchStringEncoding, Source};
use webacl::eval::{evaluate, Scratch};
use webacl::load::{self, Document, Resources};
use webacl::log::{record, LogContext};
use webacl::validate::Diagnostics;

/// The suite must not shrink unnoticed.
const MIN_CASES: usize = 150;

#[test]
fn engine_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/cases")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut total = 0;
    let mut skipped = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let suite: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let cases = suite["cases"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: no \"cases\" array"));
        let mut passed = 0;
        for case in cases {
            total += 1;
            let cname = case["name"].as_str().unwrap_or("?");
            if let Some(reason) = case.get("skip").and_then(Value::as_str) {
                eprintln!("SKIP {name} / {cname}: {reason}");
                skipped += 1;
                continue;
            }
            match run_case(&suite, case) {
                Ok(()) => passed += 1,
                Err(e) => failures.push(format!("{name} / {cname}: {e}")),
            }
        }
        eprintln!("{name}: {passed}/{} passed", cases.len());
        let _ = passed;
    }
    for f in &failures {
        eprintln!("FAIL {f}");
    }
    eprintln!(
        "{} of {total} cases passed, {skipped} skipped",
        total - failures.len() - skipped
    );
    assert!(
        failures.is_empty(),
        "{} case(s) failed (listed above)",
        failures.len()
    );
    assert!(
        total >= MIN_CASES,
        "only {total} cases; the suite should hold at least {MIN_CASES}"
    );
}

/// The Web ACL of a case: the case's `acl`, else the file's, else a default; `rules` replaces `Rules`.
fn case_acl(suite: &Value, case: &Value) -> Value {
    let mut acl = case.get("acl").or_else(|| suite.get("acl")).cloned().unwrap_or_else(|| {
        json!({
            "Name": "test-acl",
            "Id": "11111111-2222-3333-4444-555555555555",
            "ARN": "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/test-acl/11111111-2222-3333-4444-555555555555",
            "DefaultAction": {"Allow": {}},
            "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "test-acl"}
        })
    });
    if let Some(rules) = case.get("rules").or_else(|| suite.get("rules")) {
        acl["Rules"] = rules.clone();
    }
    for key in ["DefaultAction", "CustomResponseBodies", "AssociationConfig"] {
        if let Some(v) = case.get(key) {
            acl[key] = v.clone();
        }
    }
    if !flag(suite, case, "raw") {
        fill_visibility(&mut acl);
    }
    acl
}

/// Rules without VisibilityConfig get one named after the rule, to keep case files short.
fn fill_visibility(v: &mut Value) {
    if let Some(rules) = v.get_mut("Rules").and_then(Value::as_array_mut) {
        for r in rules {
            if r.get("VisibilityConfig").is_none() {
                let name = r.get("Name").cloned().unwrap_or(json!("r"));
                r["VisibilityConfig"] = json!({"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": name});
            }
        }
    }
}

fn flag(suite: &Value, case: &Value, key: &str) -> bool {
    case.get(key)
        .or_else(|| suite.get(key))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn run_case(suite: &Value, case: &Value) -> Result<(), String> {
    let acl = case_acl(suite, case);
    let mut diags = Diagnostics::new("acl.json");
    let doc = Document {
        file: "acl.json".into(),
        base: String::new(),
        value: acl,
    };
    let mut resources = Resources::default();
    let mut all_resources: Vec<Value> = suite
        .get("resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    all_resources.extend(
        case.get("resources")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    );
    for (i, r) in all_resources.iter().enumerate() {
        let mut r = r.clone();
        if !flag(suite, case, "raw") {
            if let Some(g) = r.get_mut("RuleGroup") {
                fill_visibility(g);
            }
        }
        load::add_resource_str(
            &mut resources,
            &r.to_string(),
            &format!("resource{i}.json"),
            &mut diags,
        );
    }
    let encoding = match case
        .get("searchStringEncoding")
        .or_else(|| suite.get("searchStringEncoding"))
        .and_then(Value::as_str)
    {
        Some("base64") => SearchStringEncoding::Base64,
        _ => SearchStringEncoding::Text,
    };
    let source = case
        .get("source")
        .or_else(|| suite.get("source"))
        .and_then(Value::as_str)
        .map(|s| Source::parse(s).ok_or(format!("unknown source {s}")))
        .transpose()?
        .unwrap_or_default();
    let opts = BuildOptions {
        source,
        search_string: encoding,
        allow_missing_managed: flag(suite, case, "allowMissingManaged"),
        rate_store: None,
    };
    let built = build(&doc, &resources, &opts);
    let mut all_diags = diags.into_vec();
    if let Some(expect) = case.get("expectErrors") {
        let errs = match built {
            Ok(_) => Vec::new(),
            Err(d) => {
                all_diags.extend(d);
                all_diags
            }
        };
        let rendered: Vec<String> = errs
            .iter()
            .map(|d| format!("{}: {}", d.pointer, d.message))
            .collect();
        let expect = expect.as_array().ok_or("expectErrors must be an array")?;
        if expect.is_empty() && !rendered.is_empty() {
            return Err(format!("expected no errors, got {rendered:?}"));
        }
        if !expect.is_empty() && rendered.is_empty() {
            return Err("expected errors, but the ACL was accepted".into());
        }
        for e in expect {
            let pointer = e["pointer"].as_str().unwrap_or("");
            let contains = e["contains"].as_str().unwrap_or("");
            let hit = errs.iter().any(|d| {
                (pointer.is_empty() || d.pointer == pointer)
                    && d.message.contains(contains)
                    && e.get("rule")
                        .and_then(Value::as_str)
                        .is_none_or(|r| d.rule.as_deref() == Some(r))
            });
            if !hit {
                return Err(format!(
                    "no error at {pointer:?} containing {contains:?}; got {rendered:#?}"
                ));
            }
        }
        if let Some(n) = case.get("errorCount").and_then(Value::as_u64) {
            if n as usize != errs.len() {
                return Err(format!(
                    "expected {n} errors, got {}: {rendered:#?}",
                    errs.len()
                ));
            }
        }
        return Ok(());
    }
    let compiled = match built {
        Ok(c) if all_diags.is_empty() => c,
        Ok(_) => return Err(format!("resource problems: {all_diags:?}")),
        Err(d) => {
            return Err(format!(
                "ACL rejected: {:#?}",
                d.iter().map(|d| d.to_string()).collect::<Vec<_>>()
            ))
        }
    };
    if let Some(wcu) = case.get("expectCapacity").and_then(Value::as_u64) {
        if compiled.capacity() != wcu {
            return Err(format!(
                "capacity {} != expected {wcu}",
                compiled.capacity()
            ));
        }
    }
    let mut scratch = Scratch::new();
    // A case may hold one `request` with `expect`, or `requests`: [{request, expect}...] run in order.
    let steps: Vec<(Value, Value)> = match case.get("requests") {
        Some(list) => list
            .as_array()
            .ok_or("requests must be an array")?
            .iter()
            .map(|s| (s["request"].clone(), s["expect"].clone()))
            .collect(),
        None => vec![(
            case.get("request").cloned().unwrap_or(json!({})),
            case.get("expect").cloned().unwrap_or(json!({})),
        )],
    };
    for (i, (request, expect)) in steps.iter().enumerate() {
        let req = OwnedRequest::parse(&request.to_string(), 1_700_000_000_000)
            .map_err(|e| format!("request {i}: {e}"))?;
        let headers = req.header_pairs();
        let view = req.view(&headers);
        evaluate(&compiled, &view, &mut scratch);
        let ctx = LogContext {
            source_id: "test",
            request_id: "req-1",
            client_ip: &req.http.client_ip,
            response_code_override: None,
            scheme: None,
            host: None,
        };
        let log = record(&compiled, &view, &scratch, &ctx);
        check_expect(&log, expect).map_err(|e| format!("request {i}: {e}\nlog: {log}"))?;
    }
    Ok(())
}

fn check_expect(log: &Value, expect: &Value) -> Result<(), String> {
    let Some(expect) = expect.as_object() else {
        return Ok(());
    };
    for (k, want) in expect {
        match k.as_str() {
            "action"
            | "terminatingRuleId"
            | "terminatingRuleType"
            | "responseCodeSent"
            | "requestHeadersInserted" => {
                if &log[k] != want {
                    return Err(format!("{k}: got {}, want {want}", log[k]));
                }
            }
            "labels" => {
                let got: Vec<&str> = log
                    .get("labels")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|l| l["name"].as_str()).collect())
                    .unwrap_or_default();
                let want: Vec<&str> = want
                    .as_array()
                    .ok_or("labels must be an array")?
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                if got != want {
                    return Err(format!("labels: got {got:?}, want {want:?}"));
                }
            }
            "nonTerminating" => {
                let got: Vec<String> = log["nonTerminatingMatchingRules"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|r| {
                                format!(
                                    "{}:{}",
                                    r["ruleId"].as_str().unwrap_or(""),
                                    r["action"].as_str().unwrap_or("")
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let want: Vec<String> = want
                    .as_array()
                    .ok_or("nonTerminating must be an array")?
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                if got != want {
                    return Err(format!("nonTerminating: got {got:?}, want {want:?}"));
                }
            }
            "log" => subset(log, want, "")?,
            "absent" => {
                for key in want.as_array().ok_or("absent must be an array")? {
                    let key = key.as_str().unwrap_or("");
                    if log.get(key).is_some() {
                        return Err(format!("{key} should be absent, got {}", log[key]));
                    }
                }
            }
            other => return Err(format!("unknown expectation key {other:?}")),
        }
    }
    Ok(())
}

/// `want` must be contained in `got`: objects by key (recursively), arrays element by element with
/// equal length, scalars equal.
fn subset(got: &Value, want: &Value, path: &str) -> Result<(), String> {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (k, wv) in w {
                let gv = g.get(k).ok_or_else(|| format!("{path}/{k}: missing"))?;
                subset(gv, wv, &format!("{path}/{k}"))?;
            }
            Ok(())
        }
        (Value::Array(g), Value::Array(w)) => {
            if g.len() != w.len() {
                return Err(format!(
                    "{path}: {} elements, want {} ({got} vs {want})",
                    g.len(),
                    w.len()
                ));
            }
            for (i, (gv, wv)) in g.iter().zip(w).enumerate() {
                subset(gv, wv, &format!("{path}/{i}"))?;
            }
            Ok(())
        }
        _ if got == want => Ok(()),
        _ => Err(format!("{path}: got {got}, want {want}")),
    }
}

/// A reload (a new build with the same `RateStore`) keeps the counts of rate rules whose
/// container, name and statement did not change, even when other rules changed around them.
#[test]
fn reload_keeps_counts_of_unchanged_rate_rules() {
    use std::sync::Arc;
    use webacl::compile::ActionKind;
    use webacl::rate::RateStore;
    let acl = |limit: u64, extra_rule: bool| {
        let rate = |name: &str, prio: u64, limit: u64| {
            json!({"Name": name, "Priority": prio, "Action": {"Block": {}},
                   "Statement": {"RateBasedStatement": {"Limit": limit, "EvaluationWindowSec": 60, "AggregateKeyType": "IP"}},
                   "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": name}})
        };
        let mut rules = vec![rate("kept", 0, 10), rate("changed", 1, limit)];
        if extra_rule {
            rules.push(json!({"Name": "new", "Priority": 2, "Action": {"Count": {}},
                "Statement": {"ByteMatchStatement": {"SearchString": "/x", "FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "EXACTLY"}},
                "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "new"}}));
        }
        Document {
            file: "acl.json".into(),
            base: String::new(),
            value: json!({"Name": "reload", "DefaultAction": {"Allow": {}}, "Rules": rules,
            "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "reload"}}),
        }
    };
    let store = Arc::new(RateStore::default());
    let opts = BuildOptions {
        search_string: SearchStringEncoding::Text,
        rate_store: Some(store.clone()),
        ..Default::default()
    };
    let before = build(&acl(1000, false), &Resources::default(), &opts).unwrap();
    let mut scratch = Scratch::new();
    let mut req = webacl::inspect::Request::get(b"/");
    req.client_ip = Some("192.0.2.1".parse().unwrap());
    for i in 0..10 {
        req.timestamp_ms = 1_000 + i;
        assert_eq!(
            evaluate(&before, &req, &mut scratch).action(),
            ActionKind::Allow
        );
    }
    // Reload: "kept" is unchanged, "changed" has a new limit, and a rule was added.
    let after = build(&acl(10, true), &Resources::default(), &opts).unwrap();
    drop(before);
    req.timestamp_ms = 1_100;
    let v = evaluate(&after, &req, &mut scratch);
    assert_eq!(
        v.action(),
        ActionKind::Block,
        "the 11th request in the window: the kept rule's count survived the reload"
    );
    let log = record(
        &after,
        &req,
        &scratch,
        &LogContext {
            source_id: "t",
            request_id: "r",
            client_ip: "192.0.2.1",
            response_code_override: None,
            scheme: None,
            host: None,
        },
    );
    assert_eq!(log["terminatingRuleId"], "kept", "{log}");
    // Counts live in the store, not in the compiled ACL: the same ACL built with a new store starts
    // every rule from zero.
    let fresh = build(
        &acl(10, true),
        &Resources::default(),
        &BuildOptions {
            search_string: SearchStringEncoding::Text,
            rate_store: Some(Arc::new(RateStore::default())),
            ..Default::default()
        },
    )
    .unwrap();
    req.timestamp_ms = 1_101;
    assert_eq!(
        evaluate(&fresh, &req, &mut scratch).action(),
        ActionKind::Allow,
        "a new store starts every rule from zero"
    );
}
