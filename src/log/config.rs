//! `aws wafv2 get-logging-configuration` output: which records are kept (`LoggingFilter`) and which
//! request fields are written as `REDACTED` (`RedactedFields`), applied to finished log records.
//!
//! Semantics (AWS's logging-filter documentation): filters are tried in order and the first whose
//! conditions are met (`MEETS_ALL` / `MEETS_ANY`) decides KEEP or DROP; otherwise
//! `DefaultBehavior`. An `ActionCondition` on ALLOW, BLOCK, CAPTCHA or CHALLENGE matches the
//! record's action (CAPTCHA/CHALLENGE also when such a rule let the request through); COUNT matches
//! a record where any rule counted; EXCLUDED_AS_COUNT one where a rule was excluded or overridden to
//! Count. A `LabelNameCondition` matches a fully qualified label on the record. Redaction covers the
//! four fields AWS allows (UriPath, QueryString, SingleHeader, Method), in `httpRequest` and in the
//! match details that point at them.

use crate::validate::diagnostic::{child, index};
use crate::validate::parse::parse_all;
use crate::validate::{Diagnostic, Diagnostics};
use serde::Deserialize;
use serde_json::Value;

/// What AWS writes in place of a redacted value.
pub const REDACTED: &str = "REDACTED";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct Model {
    #[serde(default)]
    resource_arn: Option<String>,
    #[serde(default)]
    log_destination_configs: Option<Vec<String>>,
    #[serde(default)]
    redacted_fields: Option<Vec<Value>>,
    #[serde(default)]
    managed_by_firewall_manager: Option<bool>,
    #[serde(default)]
    logging_filter: Option<FilterModel>,
    #[serde(default)]
    log_type: Option<String>,
    #[serde(default)]
    log_scope: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FilterModel {
    filters: Vec<FilterItem>,
    default_behavior: Behavior,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FilterItem {
    behavior: Behavior,
    requirement: Requirement,
    conditions: Vec<ConditionModel>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Behavior {
    Keep,
    Drop,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Requirement {
    MeetsAll,
    MeetsAny,
}

#[derive(Debug, Clone, Deserialize)]
enum ConditionModel {
    ActionCondition(ActionCondition),
    LabelNameCondition(LabelNameCondition),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct ActionCondition {
    action: ActionValue,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct LabelNameCondition {
    label_name: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum ActionValue {
    Allow,
    Block,
    Count,
    Captcha,
    Challenge,
    Monetize,
    ExcludedAsCount,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Redact {
    UriPath,
    QueryString,
    Method,
    /// Lowercase header name.
    Header(String),
}

#[derive(Debug, Clone)]
enum Condition {
    Action(ActionValue),
    Label(String),
}

#[derive(Debug, Clone)]
struct Filter {
    keep: bool,
    all: bool,
    conditions: Vec<Condition>,
}

/// A parsed logging configuration.
#[derive(Debug, Clone, Default)]
pub struct LoggingConfig {
    redact: Vec<Redact>,
    filters: Vec<Filter>,
    default_keep: bool,
    has_filter: bool,
}

impl LoggingConfig {
    /// Reads a file holding the output of `aws wafv2 get-logging-configuration` (or the bare
    /// `LoggingConfiguration` object). Errors: every problem, located by JSON pointer.
    pub fn load(path: &std::path::Path) -> Result<LoggingConfig, Vec<Diagnostic>> {
        let file = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => LoggingConfig::parse(&text, &file),
            Err(e) => Err(vec![Diagnostic {
                file,
                pointer: String::new(),
                rule: None,
                message: format!("cannot read: {e}"),
            }]),
        }
    }

    pub fn parse(text: &str, file: &str) -> Result<LoggingConfig, Vec<Diagnostic>> {
        let mut d = Diagnostics::new(file);
        let value: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                d.push("", None, format!("not valid JSON: {e}"));
                return Err(d.into_vec());
            }
        };
        let (inner, base) = match value.get("LoggingConfiguration") {
            Some(v) => (v.clone(), "/LoggingConfiguration"),
            None => (value, ""),
        };
        let Some(m) = parse_all::<Model>(&inner, file, base, None, &mut d) else {
            return Err(d.into_vec());
        };
        let _ = (
            &m.resource_arn,
            &m.log_destination_configs,
            m.managed_by_firewall_manager,
            &m.log_type,
            &m.log_scope,
        );
        let mut cfg = LoggingConfig {
            default_keep: true,
            ..LoggingConfig::default()
        };
        let rptr = child(base, "RedactedFields");
        for (i, f) in m.redacted_fields.iter().flatten().enumerate() {
            let ptr = index(&rptr, i);
            let member = f
                .as_object()
                .filter(|o| o.len() == 1)
                .and_then(|o| o.iter().next());
            match member {
                Some((k, _)) if k == "UriPath" => cfg.redact.push(Redact::UriPath),
                Some((k, _)) if k == "QueryString" => cfg.redact.push(Redact::QueryString),
                Some((k, _)) if k == "Method" => cfg.redact.push(Redact::Method),
                Some((k, v)) if k == "SingleHeader" => match v.get("Name").and_then(Value::as_str) {
                    Some(n) => cfg.redact.push(Redact::Header(n.to_ascii_lowercase())),
                    None => d.push(&child(&ptr, k), None, "SingleHeader needs a \"Name\""),
                },
                Some((k, _)) => d.push(&child(&ptr, k), None, format!("AWS can redact only UriPath, QueryString, SingleHeader and Method from logs, not {k}")),
                None => d.push(&ptr, None, "expected an object with exactly one member, such as {\"UriPath\": {}}"),
            }
        }
        if let Some(f) = m.logging_filter {
            cfg.has_filter = true;
            cfg.default_keep = f.default_behavior == Behavior::Keep;
            let fptr = child(&child(base, "LoggingFilter"), "Filters");
            for (i, item) in f.filters.iter().enumerate() {
                if item.conditions.is_empty() {
                    d.push(
                        &child(&index(&fptr, i), "Conditions"),
                        None,
                        "a filter needs at least one condition",
                    );
                }
                let conditions = item
                    .conditions
                    .iter()
                    .map(|c| match c {
                        ConditionModel::ActionCondition(a) => Condition::Action(a.action),
                        ConditionModel::LabelNameCondition(l) => {
                            Condition::Label(l.label_name.clone())
                        }
                    })
                    .collect();
                cfg.filters.push(Filter {
                    keep: item.behavior == Behavior::Keep,
                    all: item.requirement == Requirement::MeetsAll,
                    conditions,
                });
            }
        }
        if d.is_empty() {
            Ok(cfg)
        } else {
            Err(d.into_vec())
        }
    }

    /// Whether a record is written.
    pub fn keep(&self, record: &Value) -> bool {
        if !self.has_filter {
            return true;
        }
        for f in &self.filters {
            let mut hits = f.conditions.iter().map(|c| condition_met(c, record));
            let met = if f.all {
                hits.all(|h| h)
            } else {
                hits.any(|h| h)
            };
            if met {
                return f.keep;
            }
        }
        self.default_keep
    }

    /// Replaces the configured fields with `REDACTED`.
    pub fn redact(&self, record: &mut Value) {
        for r in &self.redact {
            let http = &mut record["httpRequest"];
            match r {
                Redact::UriPath => http["uri"] = REDACTED.into(),
                Redact::QueryString => http["args"] = REDACTED.into(),
                Redact::Method => http["httpMethod"] = REDACTED.into(),
                Redact::Header(name) => {
                    if let Some(headers) = http.get_mut("headers").and_then(Value::as_array_mut) {
                        for h in headers.iter_mut().filter(|h| {
                            h["name"]
                                .as_str()
                                .is_some_and(|n| n.eq_ignore_ascii_case(name))
                        }) {
                            h["value"] = REDACTED.into();
                        }
                    }
                }
            }
            redact_details(record, r);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.redact.is_empty() && !self.has_filter
    }
}

fn condition_met(c: &Condition, record: &Value) -> bool {
    match c {
        Condition::Label(name) => record["labels"]
            .as_array()
            .is_some_and(|l| l.iter().any(|x| x["name"] == name.as_str())),
        Condition::Action(a) => {
            let entries = || {
                let top = record["nonTerminatingMatchingRules"]
                    .as_array()
                    .into_iter()
                    .flatten();
                let groups = record["ruleGroupList"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|g| {
                        g["nonTerminatingMatchingRules"]
                            .as_array()
                            .into_iter()
                            .flatten()
                    });
                top.chain(groups)
            };
            match a {
                ActionValue::Allow => record["action"] == "ALLOW",
                ActionValue::Block => record["action"] == "BLOCK",
                ActionValue::Captcha | ActionValue::Challenge => {
                    let name = if *a == ActionValue::Captcha {
                        "CAPTCHA"
                    } else {
                        "CHALLENGE"
                    };
                    record["action"] == name || entries().any(|e| e["action"] == name)
                }
                ActionValue::Count => entries().any(|e| e["action"] == "COUNT"),
                ActionValue::ExcludedAsCount => {
                    record["ruleGroupList"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|g| g["excludedRules"].as_array().is_some_and(|x| !x.is_empty()))
                        || entries()
                            .any(|e| e["action"] == "COUNT" && e.get("overriddenAction").is_some())
                }
                ActionValue::Monetize => false,
            }
        }
    }
}

/// Match details quote the inspected data: redact those that point at a redacted field.
fn redact_details(record: &mut Value, r: &Redact) {
    let hits = |d: &Value| match r {
        Redact::UriPath => d["location"] == "URI",
        Redact::QueryString => matches!(
            d["location"].as_str(),
            Some("QUERY_STRING" | "ALL_QUERY_ARGS" | "SINGLE_QUERY_ARG")
        ),
        Redact::Method => d["location"] == "METHOD",
        Redact::Header(name) => {
            d["location"] == "HEADER"
                && d["matchedFieldName"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
        }
    };
    let mut lists: Vec<&mut Value> = Vec::new();
    let Some(map) = record.as_object_mut() else {
        return;
    };
    for (k, v) in map.iter_mut() {
        match k.as_str() {
            "terminatingRuleMatchDetails" => lists.push(v),
            "nonTerminatingMatchingRules" => lists.extend(
                v.as_array_mut()
                    .into_iter()
                    .flatten()
                    .map(|e| &mut e["ruleMatchDetails"]),
            ),
            _ => {}
        }
    }
    for list in lists {
        for d in list.as_array_mut().into_iter().flatten() {
            if hits(d) && !d["matchedData"].is_null() {
                d["matchedData"] = Value::Array(vec![REDACTED.into()]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(action: &str) -> Value {
        json!({"action": action, "labels": [{"name": "awswaf:111122223333:webacl:a:bot"}],
               "nonTerminatingMatchingRules": [], "ruleGroupList": [{"nonTerminatingMatchingRules": [{"ruleId": "R", "action": "COUNT", "overriddenAction": "BLOCK"}], "excludedRules": null}],
               "terminatingRuleMatchDetails": [{"conditionType": "SQL_INJECTION", "location": "URI", "matchedData": ["1", "OR"]}],
               "httpRequest": {"uri": "/secret", "args": "a=1", "httpMethod": "GET", "headers": [{"name": "Authorization", "value": "Bearer x"}, {"name": "Host", "value": "h"}]}})
    }

    #[test]
    fn the_cli_example_loads_and_redacts_the_method() {
        let cfg = LoggingConfig::parse(r#"{"LoggingConfiguration":{"ResourceArn":"arn:aws:wafv2:us-west-2:123456789012:regional/webacl/test/a","RedactedFields":[{"Method":{}}],"LogDestinationConfigs":["arn:aws:firehose:us-west-2:123456789012:deliverystream/aws-waf-logs-x"]}}"#, "cfg").unwrap();
        let mut r = record("ALLOW");
        assert!(cfg.keep(&r));
        cfg.redact(&mut r);
        assert_eq!(r["httpRequest"]["httpMethod"], "REDACTED");
        assert_eq!(r["httpRequest"]["uri"], "/secret");
    }

    #[test]
    fn headers_uri_and_details_are_redacted() {
        let cfg = LoggingConfig::parse(
            r#"{"RedactedFields":[{"SingleHeader":{"Name":"authorization"}},{"UriPath":{}}]}"#,
            "cfg",
        )
        .unwrap();
        let mut r = record("BLOCK");
        cfg.redact(&mut r);
        assert_eq!(r["httpRequest"]["headers"][0]["value"], "REDACTED");
        assert_eq!(r["httpRequest"]["headers"][1]["value"], "h");
        assert_eq!(r["httpRequest"]["uri"], "REDACTED");
        assert_eq!(
            r["terminatingRuleMatchDetails"][0]["matchedData"],
            json!(["REDACTED"])
        );
    }

    #[test]
    fn filters_decide_in_order_then_default() {
        let cfg = LoggingConfig::parse(
            r#"{"LoggingFilter":{"DefaultBehavior":"DROP","Filters":[
                {"Behavior":"DROP","Requirement":"MEETS_ALL","Conditions":[{"ActionCondition":{"Action":"BLOCK"}},{"LabelNameCondition":{"LabelName":"awswaf:111122223333:webacl:a:bot"}}]},
                {"Behavior":"KEEP","Requirement":"MEETS_ANY","Conditions":[{"ActionCondition":{"Action":"BLOCK"}},{"ActionCondition":{"Action":"EXCLUDED_AS_COUNT"}}]}]}}"#,
            "cfg",
        )
        .unwrap();
        assert!(
            !cfg.keep(&record("BLOCK")),
            "first filter: blocked bot traffic is dropped"
        );
        assert!(
            cfg.keep(&record("ALLOW")),
            "second filter: an override to Count is EXCLUDED_AS_COUNT"
        );
        let mut plain = record("ALLOW");
        plain["ruleGroupList"] = json!([]);
        assert!(!cfg.keep(&plain), "default DROP");
    }

    #[test]
    fn unsupported_redaction_and_unknown_keys_are_reported() {
        let errs = LoggingConfig::parse(r#"{"RedactedFields":[{"Body":{}}],"LoggingFilter":{"DefaultBehavior":"KEEPX","Filters":[]},"Bogus":1}"#, "cfg").unwrap_err();
        let text: Vec<String> = errs.iter().map(|d| d.to_string()).collect();
        assert!(text.iter().any(|t| t.contains("/Bogus")), "{text:?}");
        assert!(
            text.iter()
                .any(|t| t.contains("/LoggingFilter/DefaultBehavior")
                    && t.contains("did you mean KEEP")),
            "{text:?}"
        );
    }
}
