//! One GoTestWAF test-case file: `payload`, `encoder` and `placeholder` lists (and a `type`).
//! A test case is one payload × one encoder × one placeholder, in that nesting order (GoTestWAF's).

use super::encoder::Encoder;
use super::placeholder::Placeholder;
use super::yaml_repair::repair;
use serde_yaml::Value;

#[derive(Debug)]
pub struct TestCaseFile {
    pub payloads: Vec<String>,
    /// `Err(name)` for an encoder GoTestWAF does not define: its cases are skipped.
    pub encoders: Vec<Result<Encoder, String>>,
    pub placeholders: Vec<Placeholder>,
    /// The file's `type:` (e.g. "SQL Injection").
    pub kind: Option<String>,
    /// Lines where a `\'` escape was rewritten to parse the file ([`super::yaml_repair`]).
    pub repaired_lines: Vec<usize>,
}

impl TestCaseFile {
    /// Test cases in the file.
    pub fn case_count(&self) -> u64 {
        (self.payloads.len() * self.encoders.len() * self.placeholders.len()) as u64
    }
}

/// Parses a test-case file. Errors say what is wrong (YAML error with its position, or a missing
/// or malformed list).
pub fn parse(text: &str) -> Result<TestCaseFile, String> {
    let (doc, repaired_lines) = match serde_yaml::from_str::<Value>(text) {
        Ok(doc) => (doc, Vec::new()),
        Err(strict) => {
            let Some(fixed) = repair(text) else {
                return Err(format!("not valid YAML: {strict}"));
            };
            let doc = serde_yaml::from_str::<Value>(&fixed.text).map_err(|e| {
                format!(
                    "not valid YAML even after rewriting \\' escapes: {e} (strict parse: {strict})"
                )
            })?;
            (doc, fixed.lines)
        }
    };
    let payloads = list(&doc, "payload")?
        .iter()
        .map(|v| scalar(v).ok_or_else(|| format!("payload entries must be text, found {v:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    let encoders = list(&doc, "encoder")?
        .iter()
        .map(|v| match scalar(v) {
            Some(name) => Ok(Encoder::from_name(&name).ok_or(name)),
            None => Err(format!("encoder entries must be names, found {v:?}")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let placeholders = list(&doc, "placeholder")?
        .iter()
        .map(Placeholder::parse)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TestCaseFile {
        payloads,
        encoders,
        placeholders,
        kind: doc.get("type").and_then(scalar),
        repaired_lines,
    })
}

fn list<'a>(doc: &'a Value, key: &str) -> Result<&'a [Value], String> {
    match doc.get(key) {
        Some(Value::Sequence(items)) => Ok(items),
        Some(other) => Err(format!("`{key}` must be a list, found {other:?}")),
        None => Err(format!("no `{key}` list")),
    }
}

/// A scalar as the text Go's parser would give a string field (numbers and booleans as written
/// in their canonical form, null as empty).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Tagged(t) => scalar(&t.value),
        Value::Sequence(_) | Value::Mapping(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lists_and_counts_cases() {
        let f = parse(
            "payload:\n  - a\n  - \"b\\x41\"\n  - 12\nencoder:\n  - URL\n  - Nope\nplaceholder:\n  - URLParam\n  - RawRequest:\n      method: GET\ntype: T\n",
        )
        .unwrap();
        assert_eq!(f.payloads, ["a", "bA", "12"]);
        assert_eq!(f.encoders, [Ok(Encoder::Url), Err("Nope".to_string())]);
        assert_eq!(f.placeholders.len(), 2);
        assert_eq!(f.kind.as_deref(), Some("T"));
        assert_eq!(f.case_count(), 12);
        assert!(f.repaired_lines.is_empty());
    }

    #[test]
    fn repairs_go_style_escapes() {
        let f = parse("payload:\n  - \"\\'x\"\nencoder:\n  - Plain\nplaceholder:\n  - Header\n")
            .unwrap();
        assert_eq!(f.payloads, ["'x"]);
        assert_eq!(f.repaired_lines, [2]);
    }

    #[test]
    fn explains_bad_files() {
        assert!(parse("payload: [a\n")
            .unwrap_err()
            .contains("not valid YAML"));
        assert!(parse("payload: [a]\nencoder: [URL]\n")
            .unwrap_err()
            .contains("no `placeholder` list"));
        assert!(
            parse("payload: a\nencoder: [URL]\nplaceholder: [URLPath]\n")
                .unwrap_err()
                .contains("must be a list")
        );
    }
}
