//! Typed parsing that reports every structural problem, not just the first.
//!
//! serde stops at the first error. To list them all, [`parse_all`] deserializes, records the error
//! with its JSON pointer, removes the offending member from a private copy of the document, and tries
//! again. A "missing member" error caused by such a removal is not reported twice. Callers parse each
//! rule separately, so one broken rule never hides the problems of another.

use super::diagnostic::{did_you_mean, Diagnostics};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// At most this many repairs per parsed unit; a document with more problems than this in one rule
/// is reported up to here. Bounds the work a hostile document can cause.
pub const MAX_REPAIRS_PER_UNIT: usize = 64;

/// Parses `value` as `T`, reporting every problem into `diags` with pointers under `base`.
/// Returns `Some` when a value could be built (possibly after dropping unknown members, which were
/// reported), `None` when a required member is missing or malformed.
pub fn parse_all<T: DeserializeOwned>(
    value: &Value,
    file: &str,
    base: &str,
    rule: Option<&str>,
    diags: &mut Diagnostics,
) -> Option<T> {
    let mut doc = value.clone();
    let mut removed: Vec<Vec<String>> = Vec::new();
    let mut incomplete = false;
    for _ in 0..MAX_REPAIRS_PER_UNIT {
        let err = match serde_path_to_error::deserialize::<_, T>(&doc) {
            Ok(t) => return (!incomplete).then_some(t),
            Err(e) => e,
        };
        let mut path: Vec<String> = err
            .path()
            .iter()
            .filter_map(|seg| match seg {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                serde_path_to_error::Segment::Enum { variant } => Some(variant.clone()),
                serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        let msg = err.inner().to_string();
        if let Some(field) = backticked(&msg, "missing field `") {
            let mut full = path.clone();
            full.push(field.to_string());
            if !removed.iter().any(|r| r == &full) {
                diags.push_at(
                    file,
                    &pointer(base, &path),
                    rule,
                    format!("missing required member \"{field}\""),
                );
            }
            // The object cannot be built: drop it too and keep looking for other problems; the
            // unit as a whole is then invalid.
            incomplete = true;
            remove(&mut doc, &path)?;
            removed.push(path);
            continue;
        }
        if let Some(variant) = backticked(&msg, "unknown variant `") {
            let expected = expected_list(&msg);
            // For an externally tagged enum (an object with one member) the variant is a key.
            let is_key = matches!(lookup(&doc, &path), Some(Value::Object(_)));
            let mut message = if is_key {
                path.push(variant.to_string());
                format!(
                    "unknown member \"{variant}\"; expected one of {}",
                    expected.join(", ")
                )
            } else {
                format!(
                    "unknown value \"{variant}\"; expected one of {}",
                    expected.join(", ")
                )
            };
            if let Some(s) = did_you_mean(variant, expected.iter().map(String::as_str)) {
                message.push_str(&format!(" (did you mean {s}?)"));
            }
            diags.push_at(file, &pointer(base, &path), rule, message);
            if is_key {
                path.pop();
            }
        } else if let Some(field) = backticked(&msg, "unknown field `") {
            let expected = expected_list(&msg);
            let mut message = format!("unknown member \"{field}\"");
            if expected.is_empty() {
                message.push_str("; this object takes no members");
            } else {
                message.push_str(&format!("; expected one of {}", expected.join(", ")));
            }
            if let Some(s) = did_you_mean(field, expected.iter().map(String::as_str)) {
                message.push_str(&format!(" (did you mean {s}?)"));
            }
            diags.push_at(file, &pointer(base, &path), rule, message);
            // Drop just the unknown member and carry on: the rest of the object is still checked.
            remove(&mut doc, &path)?;
            continue;
        } else if removed
            .iter()
            .any(|r| r.len() == path.len() + 1 && r.starts_with(&path))
        {
            // A container we emptied ourselves (e.g. a Statement whose only member was dropped):
            // the problem inside it was reported already.
            incomplete = true;
        } else {
            diags.push_at(file, &pointer(base, &path), rule, friendly(&msg));
        }
        // Any other problem: drop the member that holds it; if it was required, the follow-up
        // "missing field" is ours and stays silent.
        remove(&mut doc, &path)?;
        removed.push(path);
    }
    diags.push_at(
        file,
        base,
        rule,
        format!("too many problems; stopped after {MAX_REPAIRS_PER_UNIT}"),
    );
    None
}

fn pointer(base: &str, path: &[String]) -> String {
    let mut p = base.to_string();
    for token in path {
        p = super::diagnostic::child(&p, token);
    }
    p
}

fn backticked<'a>(msg: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = msg.strip_prefix(prefix)?;
    rest.split('`').next()
}

fn expected_list(msg: &str) -> Vec<String> {
    match msg.split_once("expected one of ") {
        Some((_, list)) => list
            .split(", ")
            .map(|s| s.trim_matches('`').to_string())
            .collect(),
        // serde says "expected `A`" for one choice and "expected `A` or `B`" for two.
        None => match msg.split_once("expected `") {
            Some((_, rest)) => rest
                .split("` or `")
                .map(|s| s.trim_end_matches('`').to_string())
                .collect(),
            None => Vec::new(),
        },
    }
}

/// serde's messages name Rust types; say what AWS expects instead.
fn friendly(msg: &str) -> String {
    let msg = msg
        .replace("expected i64", "expected an integer")
        .replace("expected a boolean", "expected true or false")
        .replace("expected a sequence", "expected a JSON array")
        .replace("expected a string", "expected a JSON string")
        .replace(
            "invalid value: map, expected map with a single key",
            "expected exactly one member",
        )
        .replace(
            "invalid type: unit variant, expected newtype variant",
            "expected an object such as {}",
        );
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!("expected {expected}, found {found}");
        }
    }
    msg
}

fn lookup<'a>(doc: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = doc;
    for token in path {
        cur = match cur {
            Value::Object(m) => m.get(token)?,
            Value::Array(a) => a.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Removes the member at `path` (its last token must name an object member).
fn remove(doc: &mut Value, path: &[String]) -> Option<Value> {
    let (last, parent) = path.split_last()?;
    let mut cur = doc;
    for token in parent {
        cur = match cur {
            Value::Object(m) => m.get_mut(token)?,
            Value::Array(a) => a.get_mut(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    match cur {
        Value::Object(m) => m.shift_remove(last),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Rule;

    fn parse(json: &str) -> (Option<Rule>, Vec<String>) {
        let v: Value = serde_json::from_str(json).unwrap();
        let mut d = Diagnostics::new("");
        let r = parse_all::<Rule>(&v, "", "/WebACL/Rules/0", Some("r"), &mut d);
        (
            r,
            d.iter()
                .map(|d| format!("{}: {}", d.pointer, d.message))
                .collect(),
        )
    }

    #[test]
    fn reports_every_problem_in_one_rule() {
        let (r, d) = parse(
            r#"{"Name":"r","Priority":1,"Bogus":1,"Statement":{"ByteMatchStatement":{"SearchString":"eA==",
            "FieldToMatch":{"UriPath":{"X":1}},"TextTransformations":[{"Priority":0,"Type":"NONE"}],
            "PositionalConstraint":"START_WITH"}},"Action":{"Block":{}},
            "VisibilityConfig":{"SampledRequestsEnabled":true,"CloudWatchMetricsEnabled":true,"MetricName":"r"}}"#,
        );
        assert!(r.is_none());
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(
            d[0].starts_with("/WebACL/Rules/0/Bogus: unknown member"),
            "{d:?}"
        );
        assert!(
            d[1].starts_with("/WebACL/Rules/0/Statement/ByteMatchStatement/FieldToMatch/UriPath/X"),
            "{d:?}"
        );
        assert!(
            d[2].contains("PositionalConstraint: unknown value \"START_WITH\""),
            "{d:?}"
        );
        assert!(d[2].contains("did you mean STARTS_WITH?"), "{d:?}");
    }

    #[test]
    fn unknown_statement_type_is_named() {
        let (_, d) = parse(
            r#"{"Name":"r","Priority":1,"Statement":{"FooStatement":{}},"Action":{"Block":{}},
            "VisibilityConfig":{"SampledRequestsEnabled":true,"CloudWatchMetricsEnabled":true,"MetricName":"r"}}"#,
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].starts_with("/WebACL/Rules/0/Statement/FooStatement: unknown member"),
            "{d:?}"
        );
    }

    #[test]
    fn missing_visibility_config_is_reported() {
        let (_, d) = parse(
            r#"{"Name":"r","Priority":1,"Statement":{"AndStatement":{"Statements":[]}},"Action":{"Block":{}}}"#,
        );
        assert_eq!(
            d,
            vec!["/WebACL/Rules/0: missing required member \"VisibilityConfig\"".to_string()]
        );
    }
}
