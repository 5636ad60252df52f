//! Conformance with real AWS material in `../shared/corpus` (skipped, with a message, when absent):
//! our log records have the keys and value types of real AWS WAF records, real records replay
//! through `webacl check` unchanged, and AWS's own example ACLs load.

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use webacl::check::input::OwnedRequest;
use webacl::compile::{build, BuildOptions, SearchStringEncoding};
use webacl::eval::{evaluate, Scratch};
use webacl::load::{self, Document, Resources};
use webacl::log::{record, LogContext};
use webacl::validate::Diagnostics;

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIP: {} is absent; the conformance checks against real AWS material did not run",
            dir.display()
        );
        None
    }
}

/// Every real record in the corpus (one JSON object per file or per line).
fn real_records(dir: &Path) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let files = [
        "waf-logs-opentelemetry-collector-contrib/valid_log_multi.json",
        "waf-logs-elastic-integrations/test-waf.log",
    ];
    for f in files {
        let text = std::fs::read_to_string(dir.join(f)).unwrap_or_default();
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            if let Ok(v) = serde_json::from_str::<Value>(line) {
                out.push((format!("{f}:{}", i + 1), v));
            }
        }
    }
    for i in 1..=6 {
        let f = format!("aws-waf-developer-guide-2023/log-examples/logging-examples-{i}.json");
        if let Ok(v) = serde_json::from_str::<Value>(
            &std::fs::read_to_string(dir.join(&f)).unwrap_or_default(),
        ) {
            out.push((f, v));
        }
    }
    out
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() || n.is_u64() => "int",
        Value::Number(_) => "float",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// An ACL exercising the record's parts: a group whose SQLi rule blocks, a Count rule, default Allow.
fn our_records() -> Vec<Value> {
    let acl = json!({
        "Name": "conformance", "Id": "e3132a63-134d-4da9-a0c4-b166ddd6de6c",
        "ARN": "arn:aws:wafv2:us-east-1:123456789101:regional/webacl/conformance/e3132a63-134d-4da9-a0c4-b166ddd6de6c",
        "DefaultAction": {"Allow": {}},
        "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "conformance"},
        "Rules": [
            {"Name": "count-admin", "Priority": 0, "Action": {"Count": {}}, "RuleLabels": [{"Name": "admin"}],
             "Statement": {"ByteMatchStatement": {"SearchString": "/admin", "FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "STARTS_WITH"}},
             "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "count-admin"}},
            {"Name": "sqli-group", "Priority": 1, "OverrideAction": {"None": {}},
             "Statement": {"RuleGroupReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:123456789101:regional/rulegroup/sqli/0f0f0f0f-0000-0000-0000-000000000000"}},
             "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "sqli-group"}}
        ]
    });
    let group = json!({"RuleGroup": {
        "Name": "sqli", "Id": "0f0f0f0f-0000-0000-0000-000000000000", "Capacity": 100,
        "ARN": "arn:aws:wafv2:us-east-1:123456789101:regional/rulegroup/sqli/0f0f0f0f-0000-0000-0000-000000000000",
        "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "sqli"},
        "Rules": [{"Name": "SQLi_QUERYARGUMENTS", "Priority": 0, "Action": {"Block": {}},
                   "Statement": {"SqliMatchStatement": {"FieldToMatch": {"AllQueryArguments": {}}, "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}]}},
                   "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "SQLi_QUERYARGUMENTS"}}]
    }, "LockToken": "x"});
    let mut diags = Diagnostics::new("t");
    let mut res = Resources::default();
    load::add_resource_str(&mut res, &group.to_string(), "group.json", &mut diags);
    assert!(diags.is_empty(), "{:?}", diags.into_vec());
    let doc = Document {
        file: "acl.json".into(),
        base: String::new(),
        value: acl,
    };
    let compiled = build(
        &doc,
        &res,
        &BuildOptions {
            search_string: SearchStringEncoding::Text,
            ..Default::default()
        },
    )
    .expect("conformance ACL compiles");
    let requests = [
        json!({"clientIp": "178.84.204.171", "country": "NL", "headers": [{"name": "host", "value": "example.com"}, {"name": "user-agent", "value": "Mozilla/5.0"}], "uri": "/favicon.ico", "args": "", "httpVersion": "HTTP/2.0", "httpMethod": "GET", "requestId": "abc"}),
        json!({"clientIp": "10.0.0.1", "country": "US", "headers": [{"name": "Host", "value": "example.com"}], "uri": "/admin/list", "args": "id=1%27%20OR%20%271%27%3D%271", "httpVersion": "HTTP/1.1", "httpMethod": "GET", "requestId": "def"}),
    ];
    let mut scratch = Scratch::new();
    requests
        .iter()
        .map(|r| {
            let req = OwnedRequest::parse(&r.to_string(), 1_748_208_718_574).unwrap();
            let headers = req.header_pairs();
            let view = req.view(&headers);
            evaluate(&compiled, &view, &mut scratch);
            let ctx = LogContext {
                source_id: "123456789101-app/lb/0123456789abcdef",
                request_id: req.http.request_id.as_deref().unwrap_or(""),
                client_ip: &req.http.client_ip,
                response_code_override: None,
                scheme: None,
                host: None,
            };
            record(&compiled, &view, &scratch, &ctx)
        })
        .collect()
}

#[test]
fn log_records_have_the_keys_and_types_of_real_aws_records() {
    let Some(dir) = corpus() else { return };
    let real = real_records(&dir);
    assert!(
        real.len() >= 5,
        "expected the corpus records, found {}",
        real.len()
    );
    // Keys present in every real record, with every type they take there.
    let mut always: Option<BTreeSet<String>> = None;
    let mut types: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (_, r) in &real {
        let keys: BTreeSet<String> = r.as_object().unwrap().keys().cloned().collect();
        always = Some(match always {
            None => keys,
            Some(a) => a.intersection(&keys).cloned().collect(),
        });
        for (k, v) in r.as_object().unwrap() {
            types.entry(k.clone()).or_default().insert(kind(v));
        }
    }
    let always = always.unwrap();
    for k in [
        "timestamp",
        "formatVersion",
        "webaclId",
        "terminatingRuleId",
        "terminatingRuleType",
        "action",
        "httpSourceName",
        "httpSourceId",
        "ruleGroupList",
        "rateBasedRuleList",
        "nonTerminatingMatchingRules",
        "httpRequest",
    ] {
        assert!(always.contains(k), "corpus records should all carry {k}");
    }
    let ours = our_records();
    let blocked = &ours[1];
    assert_eq!(blocked["action"], "BLOCK", "{blocked}");
    for rec in &ours {
        let obj = rec.as_object().unwrap();
        for k in &always {
            let v = obj
                .get(k)
                .unwrap_or_else(|| panic!("our record lacks {k}: {rec}"));
            assert!(
                types[k].contains(kind(v)),
                "{k} is {} in ours but {:?} in real records",
                kind(v),
                types[k]
            );
        }
        for (k, v) in obj {
            if let Some(t) = types.get(k) {
                assert!(
                    t.contains(kind(v)),
                    "{k} is {} in ours but {:?} in real records",
                    kind(v),
                    t
                );
            }
        }
        // httpRequest: the keys real records always have.
        let real_http: BTreeSet<String> = real
            .iter()
            .map(|(_, r)| {
                r["httpRequest"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .cloned()
                    .collect::<BTreeSet<_>>()
            })
            .reduce(|a, b| a.intersection(&b).cloned().collect())
            .unwrap();
        let our_http: BTreeSet<String> = rec["httpRequest"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert!(
            real_http.is_subset(&our_http),
            "httpRequest lacks {:?}",
            real_http.difference(&our_http).collect::<Vec<_>>()
        );
    }
    // ruleGroupList entries: the keys of real entries, with their types.
    let real_entries: Vec<&Value> = real
        .iter()
        .flat_map(|(_, r)| r["ruleGroupList"].as_array().into_iter().flatten())
        .collect();
    assert!(!real_entries.is_empty());
    let entry = &blocked["ruleGroupList"][0];
    for k in [
        "ruleGroupId",
        "terminatingRule",
        "nonTerminatingMatchingRules",
        "excludedRules",
    ] {
        assert!(
            real_entries.iter().all(|e| e.get(k).is_some()),
            "real entries all have {k}"
        );
        assert!(entry.get(k).is_some(), "our entry lacks {k}: {entry}");
    }
    assert_eq!(entry["terminatingRule"]["ruleId"], "SQLi_QUERYARGUMENTS");
    assert_eq!(blocked["terminatingRuleType"], "GROUP");
    // Match details: the keys and types real SQLi details have.
    let real_details: Vec<&Value> = real
        .iter()
        .flat_map(|(_, r)| {
            r["terminatingRuleMatchDetails"]
                .as_array()
                .into_iter()
                .flatten()
        })
        .filter(|d| d["conditionType"] == "SQL_INJECTION")
        .collect();
    let ours_detail = &blocked["terminatingRuleMatchDetails"][0];
    assert_eq!(ours_detail["conditionType"], "SQL_INJECTION", "{blocked}");
    for d in &real_details {
        for (k, v) in d.as_object().unwrap() {
            if k == "sensitivityLevel" {
                continue;
            }
            let ov = ours_detail
                .get(k)
                .unwrap_or_else(|| panic!("our detail lacks {k}: {ours_detail}"));
            assert!(
                kind(ov) == kind(v) || kind(ov) == "null" || kind(v) == "null",
                "detail {k}: {} vs {}",
                kind(ov),
                kind(v)
            );
        }
    }
    // A request with no labels carries no `labels` key, as in 266/266 real ALLOW records.
    assert!(
        ours[0].get("labels").is_none() && ours[0]["action"] == "ALLOW",
        "{}",
        ours[0]
    );
    assert_eq!(ours[0]["requestHeadersInserted"], Value::Null);
    assert_eq!(ours[0]["responseCodeSent"], Value::Null);
}

#[test]
fn real_records_replay_with_their_http_request_unchanged() {
    let Some(dir) = corpus() else { return };
    let acl = json!({"Name": "replay", "DefaultAction": {"Allow": {}}, "Rules": [],
        "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "replay"}});
    let doc = Document {
        file: "acl.json".into(),
        base: String::new(),
        value: acl,
    };
    let compiled = build(&doc, &Resources::default(), &BuildOptions::default()).unwrap();
    let mut scratch = Scratch::new();
    let mut replayed = 0;
    for (name, real) in real_records(&dir) {
        // Doc example 2 has a malformed header object ("myValue" for "value", a documentation typo).
        let typo = real["httpRequest"]["headers"]
            .as_array()
            .is_some_and(|h| h.iter().any(|h| h.get("value").is_none()));
        let Ok(req) = OwnedRequest::parse(&real.to_string(), 0) else {
            continue;
        };
        if typo {
            continue;
        }
        let headers = req.header_pairs();
        let view = req.view(&headers);
        evaluate(&compiled, &view, &mut scratch);
        let ctx = LogContext {
            source_id: "x",
            request_id: req.http.request_id.as_deref().unwrap_or(""),
            client_ip: &req.http.client_ip,
            response_code_override: None,
            scheme: req.http.scheme.as_deref(),
            host: req.http.host.as_deref(),
        };
        let ours = record(&compiled, &view, &scratch, &ctx);
        assert_eq!(ours["timestamp"], real["timestamp"], "{name}");
        for k in [
            "clientIp",
            "country",
            "headers",
            "uri",
            "args",
            "httpVersion",
            "httpMethod",
            "requestId",
        ] {
            assert_eq!(
                ours["httpRequest"][k], real["httpRequest"][k],
                "{name}: httpRequest.{k}"
            );
        }
        replayed += 1;
    }
    assert!(replayed >= 5, "only {replayed} real records replayed");
}

#[test]
fn aws_example_acls_and_rule_groups_load() {
    let Some(dir) = corpus() else { return };
    // The CLI's get-web-acl example, exactly as printed (SearchString base64).
    let text =
        std::fs::read_to_string(dir.join("aws-cli-wafv2-examples/wafv2/get-web-acl.rst")).unwrap();
    let json =
        &text[text.find("Output::").unwrap() + 8..text.find("For more information").unwrap()];
    let mut diags = Diagnostics::new("get-web-acl.rst");
    let doc = load::web_acl_str(json, "get-web-acl.rst", &mut diags).expect("parses");
    let acl = build(&doc, &Resources::default(), &BuildOptions::default())
        .unwrap_or_else(|d| panic!("{d:#?}"));
    assert_eq!(acl.capacity(), 3, "AWS prints Capacity 3 for this ACL");
    let req = webacl::inspect::Request::get(b"teststring");
    let mut scratch = Scratch::new();
    assert_eq!(
        evaluate(&acl, &req, &mut scratch).action(),
        webacl::compile::ActionKind::Block,
        "EXACTLY teststring with an empty query blocks"
    );
}
