//! Load: read the Web ACL and its resources from disk (or memory) as JSON documents.
//!
//! Accepts exactly what the AWS CLI prints: `get-web-acl` output (`{"WebACL": {...}, "LockToken": ...}`)
//! or the bare WebACL object; `get-ip-set`, `get-regex-pattern-set`, `get-rule-group` outputs (wrapped
//! or bare), one per file in a resources directory, indexed by ARN. No semantics here: a document is a
//! JSON value plus the pointer at which the entity starts, so diagnostics point into the real file.

use crate::validate::Diagnostics;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Largest ACL or resource file we read; AWS's own limits keep real documents far below this.
pub const MAX_DOCUMENT_BYTES: u64 = 64 * 1024 * 1024;

/// One entity document.
#[derive(Debug, Clone)]
pub struct Document {
    /// Where it came from (file path or a label), for diagnostics.
    pub file: String,
    /// Pointer of the entity inside the file: `/WebACL`, `/RuleGroup`, ... or "" when bare.
    pub base: String,
    /// The entity object itself.
    pub value: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    IpSet,
    RegexPatternSet,
    RuleGroup,
}

impl ResourceKind {
    pub fn aws_name(self) -> &'static str {
        match self {
            ResourceKind::IpSet => "IPSet",
            ResourceKind::RegexPatternSet => "RegexPatternSet",
            ResourceKind::RuleGroup => "RuleGroup",
        }
    }
}

/// Resources by ARN.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    pub by_arn: BTreeMap<String, (ResourceKind, Document)>,
}

/// Reads and parses the Web ACL file.
pub fn web_acl_file(path: &Path, diags: &mut Diagnostics) -> Option<Document> {
    let file = path.display().to_string();
    let text = read(path, diags)?;
    web_acl_str(&text, &file, diags)
}

/// Parses a Web ACL document from text (`file` names it in diagnostics).
pub fn web_acl_str(text: &str, file: &str, diags: &mut Diagnostics) -> Option<Document> {
    let value = json(text, file, diags)?;
    unwrap(
        value,
        "WebACL",
        &["LockToken", "ApplicationIntegrationURL"],
        file,
        diags,
    )
}

/// Reads every `*.json` file of a resources directory.
pub fn resources_dir(dir: &Path, diags: &mut Diagnostics) -> Resources {
    let mut out = Resources::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            push(
                diags,
                &dir.display().to_string(),
                "",
                format!("cannot read resources directory: {e}"),
            );
            return out;
        }
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let file = path.display().to_string();
        if let Some(text) = read(&path, diags) {
            add_resource_str(&mut out, &text, &file, diags);
        }
    }
    out
}

/// Parses one resource document and adds it to `out` under its ARN.
pub fn add_resource_str(out: &mut Resources, text: &str, file: &str, diags: &mut Diagnostics) {
    let Some(value) = json(text, file, diags) else {
        return;
    };
    let kind = match &value {
        Value::Object(m) if m.contains_key("IPSet") => Some(ResourceKind::IpSet),
        Value::Object(m) if m.contains_key("RegexPatternSet") => {
            Some(ResourceKind::RegexPatternSet)
        }
        Value::Object(m) if m.contains_key("RuleGroup") => Some(ResourceKind::RuleGroup),
        Value::Object(m) if m.contains_key("IPAddressVersion") || m.contains_key("Addresses") => {
            Some(ResourceKind::IpSet)
        }
        Value::Object(m) if m.contains_key("RegularExpressionList") => {
            Some(ResourceKind::RegexPatternSet)
        }
        Value::Object(m) if m.contains_key("Rules") || m.contains_key("Capacity") => {
            Some(ResourceKind::RuleGroup)
        }
        _ => None,
    };
    let Some(kind) = kind else {
        push(diags, file, "", "not an IP set, regex pattern set or rule group: expected the output of `aws wafv2 get-ip-set`, `get-regex-pattern-set` or `get-rule-group`".into());
        return;
    };
    let Some(doc) = unwrap(value, kind.aws_name(), &["LockToken"], file, diags) else {
        return;
    };
    match doc.value.get("ARN").and_then(Value::as_str) {
        Some(arn) => {
            if let Some((_, prev)) = out.by_arn.get(arn) {
                push(
                    diags,
                    file,
                    &doc.base,
                    format!("ARN {arn} is defined twice (also in {})", prev.file),
                );
                return;
            }
            out.by_arn.insert(arn.to_string(), (kind, doc));
        }
        None => push(
            diags,
            file,
            &doc.base,
            format!(
                "{} has no \"ARN\": references are resolved by ARN",
                kind.aws_name()
            ),
        ),
    }
}

fn read(path: &Path, diags: &mut Diagnostics) -> Option<String> {
    let file = path.display().to_string();
    match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_DOCUMENT_BYTES => {
            push(
                diags,
                &file,
                "",
                format!(
                    "file is {} bytes; the limit is {MAX_DOCUMENT_BYTES}",
                    m.len()
                ),
            );
            return None;
        }
        Err(e) => {
            push(diags, &file, "", format!("cannot read: {e}"));
            return None;
        }
        _ => {}
    }
    match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) => {
            push(diags, &file, "", format!("cannot read: {e}"));
            None
        }
    }
}

fn json(text: &str, file: &str, diags: &mut Diagnostics) -> Option<Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => Some(v),
        Err(e) => {
            push(
                diags,
                file,
                "",
                format!(
                    "not valid JSON: {e} (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            );
            None
        }
    }
}

/// Accepts `{"<Key>": {...}, <extra keys>}` or the bare entity object.
fn unwrap(
    value: Value,
    key: &str,
    extra: &[&str],
    file: &str,
    diags: &mut Diagnostics,
) -> Option<Document> {
    let Value::Object(mut map) = value else {
        push(
            diags,
            file,
            "",
            format!("expected a JSON object holding a {key}"),
        );
        return None;
    };
    if map.contains_key(key) {
        let mut ok = true;
        for k in map.keys() {
            if k != key && !extra.contains(&k.as_str()) {
                push(
                    diags,
                    file,
                    &format!("/{k}"),
                    format!(
                        "unknown member \"{k}\" beside \"{key}\"; expected {}",
                        extra.join(", ")
                    ),
                );
                ok = false;
            }
        }
        let inner = map.shift_remove(key).unwrap_or(Value::Null);
        if !inner.is_object() {
            push(
                diags,
                file,
                &format!("/{key}"),
                format!("\"{key}\" must be an object"),
            );
            return None;
        }
        ok.then(|| Document {
            file: file.to_string(),
            base: format!("/{key}"),
            value: inner,
        })
    } else {
        Some(Document {
            file: file.to_string(),
            base: String::new(),
            value: Value::Object(map),
        })
    }
}

fn push(diags: &mut Diagnostics, file: &str, pointer: &str, message: String) {
    diags.items.push(crate::validate::Diagnostic {
        file: file.to_string(),
        pointer: pointer.to_string(),
        rule: None,
        message,
    });
}
