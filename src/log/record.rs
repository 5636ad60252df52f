//! One AWS WAF log record per request.
//!
//! Key order, names, types and `null`-vs-`[]` follow the real records quoted in spec §7.1:
//! `labels` is omitted when empty; `requestHeadersInserted` and `responseCodeSent` are `null` when
//! unused (and `responseCodeSent` is `null` for a plain 403); `ruleGroupList` entries carry
//! `excludedRules: null` when none, plus `customerConfig: null` as AWS's 2023 records do.
//!
//! [`Record`] serializes itself field by field: the log writer streams it straight to JSON text,
//! and [`Record::to_value`] gives the same record as a tree (tests, samples, the logging
//! configuration's filters and redaction), so there is one description of the format.

use crate::compile::{ActionKind, CompiledAcl, RateKey, RuleBody};
use crate::detect::Sensitivity;
use crate::eval::{
    GroupEntry, HeaderSource, MatchDetail, Matched, RateEntry, Scratch, Terminator, Verdict,
};
use crate::inspect::Request;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use std::borrow::Cow;

/// AWS truncates each logged rate-limit custom key value to this many characters.
pub const LOGGED_RATE_VALUE_CHARS: usize = 32;

/// AWS logs at most this many labels.
pub const MAX_LOGGED_LABELS: usize = 100;

/// What the log needs beyond the request view and the verdict.
#[derive(Debug, Clone, Copy)]
pub struct LogContext<'a> {
    /// `httpSourceId`: distribution id, `<acct>-app/<lb>/<id>`, ...
    pub source_id: &'a str,
    /// `httpRequest.requestId`.
    pub request_id: &'a str,
    /// `httpRequest.clientIp` exactly as it should be written (may be masked in replayed logs).
    pub client_ip: &'a str,
    /// `responseCodeSent` when the proxy knows it differs from the verdict's own (e.g. a 502).
    pub response_code_override: Option<u16>,
    /// Optional newer `httpRequest` fields: scheme and host.
    pub scheme: Option<&'a str>,
    pub host: Option<&'a str>,
}

/// Builds the log record for a request evaluated into `scratch`.
pub fn record(acl: &CompiledAcl, req: &Request, scratch: &Scratch, ctx: &LogContext) -> Value {
    Record {
        acl,
        req,
        verdict: &scratch.verdict,
        labels: scratch.labels(),
        ctx,
    }
    .to_value()
}

/// One request's log record: everything it is written from. `labels` is iterated once per
/// serialization, so it must be cheap to clone (a slice iterator and a closure).
pub struct Record<'a, L> {
    pub acl: &'a CompiledAcl,
    pub req: &'a Request<'a>,
    pub verdict: &'a Verdict,
    pub labels: L,
    pub ctx: &'a LogContext<'a>,
}

impl<'a, L: Iterator<Item = &'a str> + Clone> Record<'a, L> {
    /// The record as a JSON tree.
    pub fn to_value(&self) -> Value {
        // Serializing to a tree fails only for non-string map keys, which a record never has.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Appends the record's JSON text (one object, no newline) to `out`, building no tree.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), super::json::Error> {
        super::json::write(out, self)
    }
}

impl<'a, L: Iterator<Item = &'a str> + Clone> Serialize for Record<'a, L> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (acl, req, v, ctx) = (self.acl, self.req, self.verdict, self.ctx);
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("timestamp", &req.timestamp_ms)?;
        m.serialize_entry("formatVersion", &1)?;
        m.serialize_entry("webaclId", acl.arn())?;
        let (term_id, term_type) = terminating(acl, v);
        m.serialize_entry("terminatingRuleId", term_id)?;
        m.serialize_entry("terminatingRuleType", term_type)?;
        m.serialize_entry("action", v.action().log_name())?;
        m.serialize_entry(
            "terminatingRuleMatchDetails",
            &Details(v, v.terminating_details),
        )?;
        m.serialize_entry("httpSourceName", acl.source().log_name())?;
        m.serialize_entry("httpSourceId", ctx.source_id)?;
        m.serialize_entry(
            "ruleGroupList",
            &Seq(v.groups.iter().map(|g| Group(acl, v, g))),
        )?;
        m.serialize_entry(
            "rateBasedRuleList",
            &Seq(v.rate.iter().filter_map(|e| Rate::of(acl, v, e))),
        )?;
        m.serialize_entry(
            "nonTerminatingMatchingRules",
            &Seq(v.matched.iter().map(|x| Match(acl, v, x, true))),
        )?;
        let inserted = inserted_header_list(acl, v);
        m.serialize_entry(
            "requestHeadersInserted",
            &(!inserted.is_empty()).then(|| {
                Seq(inserted
                    .iter()
                    .map(|&(n, val)| NameValue(n.as_bytes(), val.as_bytes())))
            }),
        )?;
        m.serialize_entry("responseCodeSent", &response_code(acl, v, ctx))?;
        m.serialize_entry("httpRequest", &HttpRequest(req, ctx))?;
        if self.labels.clone().next().is_some() {
            let labels = self.labels.clone().take(MAX_LOGGED_LABELS);
            m.serialize_entry("labels", &Seq(labels.map(|name| Name { name })))?;
        }
        if let (Some(failure), Some(kind)) = (v.token_failure, v.action) {
            let key = if kind == ActionKind::Captcha {
                "captchaResponse"
            } else {
                "challengeResponse"
            };
            let response = TokenResponse {
                response_code: token_code(kind),
                solve_timestamp: 0,
                failure_reason: failure.log_name(),
            };
            m.serialize_entry(key, &response)?;
        }
        if let Some(ja3) = req.ja3 {
            m.serialize_entry("ja3Fingerprint", ja3)?;
        }
        if let Some(ja4) = req.ja4 {
            m.serialize_entry("ja4Fingerprint", ja4)?;
        }
        if req.body_len > 0 {
            m.serialize_entry("requestBodySize", &req.body_len)?;
            m.serialize_entry(
                "requestBodySizeInspectedByWAF",
                &req.body_len.min(acl.body_limit() as u64),
            )?;
        }
        if v.oversize != 0 {
            const NAMES: [(u8, &str); 4] = [
                (1, "REQUEST_BODY"),
                (2, "REQUEST_JSON_BODY"),
                (4, "REQUEST_HEADERS"),
                (8, "REQUEST_COOKIES"),
            ];
            let oversize = v.oversize;
            let names = NAMES.iter().filter(move |(b, _)| oversize & b != 0);
            m.serialize_entry("oversizeFields", &Seq(names.map(|(_, n)| *n)))?;
        }
        m.end()
    }
}

/// A JSON array of whatever the iterator yields.
struct Seq<I>(I);

impl<I> Serialize for Seq<I>
where
    I: Iterator + Clone,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.clone())
    }
}

/// Bytes from the request as a JSON string (invalid UTF-8 replaced, as AWS's records show it).
struct Lossy<'a>(&'a [u8]);

impl Serialize for Lossy<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // `from_utf8` checks ASCII a word at a time; the lossy decoder only when it fails.
        match std::str::from_utf8(self.0) {
            Ok(text) => s.serialize_str(text),
            Err(_) => s.serialize_str(&String::from_utf8_lossy(self.0)),
        }
    }
}

/// `{"name": …, "value": …}`: a request header, or a header webacl inserted.
struct NameValue<'a>(&'a [u8], &'a [u8]);

impl Serialize for NameValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("name", &Lossy(self.0))?;
        m.serialize_entry("value", &Lossy(self.1))?;
        m.end()
    }
}

#[derive(serde::Serialize)]
struct Name<'a> {
    name: &'a str,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenResponse {
    response_code: u16,
    solve_timestamp: u64,
    failure_reason: &'static str,
}

fn terminating<'a>(acl: &'a CompiledAcl, v: &Verdict) -> (&'a str, &'static str) {
    match v.terminator {
        Terminator::Default => ("Default_Action", "REGULAR"),
        Terminator::Rule(id) => {
            let r = &acl.rules[id as usize];
            (
                &r.name,
                if matches!(r.body, RuleBody::RateBased(_)) {
                    "RATE_BASED"
                } else {
                    "REGULAR"
                },
            )
        }
        Terminator::Group { top, .. } => {
            let r = &acl.rules[top as usize];
            let managed = matches!(r.body, RuleBody::Group { managed: true, .. });
            (
                &r.name,
                if managed {
                    "MANAGED_RULE_GROUP"
                } else {
                    "GROUP"
                },
            )
        }
    }
}

/// A `rateBasedRuleList` entry.
struct Rate<'a> {
    rule: &'a crate::compile::Rule,
    limit: &'a crate::compile::RateRule,
    v: &'a Verdict,
    e: &'a RateEntry,
}

impl<'a> Rate<'a> {
    fn of(acl: &'a CompiledAcl, v: &'a Verdict, e: &'a RateEntry) -> Option<Rate<'a>> {
        let rule = &acl.rules[e.rule as usize];
        match &rule.body {
            RuleBody::RateBased(limit) => Some(Rate { rule, limit, v, e }),
            _ => None,
        }
    }
}

impl Serialize for Rate<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (r, v) = (self.limit, self.v);
        let (key, first) = (self.e.values.0 as usize, self.e.values.1 as usize);
        let text = |i: usize| String::from_utf8_lossy(v.text(v.rate_values[i]));
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("rateBasedRuleId", &*r.log_id)?;
        m.serialize_entry("rateBasedRuleName", &*self.rule.name)?;
        let limit_key = match &r.key {
            RateKey::Ip => "IP",
            RateKey::ForwardedIp { .. } => "FORWARDED_IP",
            RateKey::Constant => "CONSTANT",
            RateKey::Custom(_) => "CUSTOMKEYS",
        };
        m.serialize_entry("limitKey", limit_key)?;
        m.serialize_entry("maxRateAllowed", &r.limit)?;
        m.serialize_entry("evaluationWindowSec", &r.window_sec)?;
        match &r.key {
            RateKey::Ip | RateKey::ForwardedIp { .. } if first > key => {
                m.serialize_entry("limitValue", &text(key))?;
            }
            RateKey::Custom(parts) => {
                let values = parts.iter().zip(key..first).map(|(part, i)| CustomValue {
                    key: part.log_key(),
                    name: part.log_name(),
                    value: truncated(text(i), LOGGED_RATE_VALUE_CHARS),
                });
                m.serialize_entry("customValues", &Seq(values))?;
            }
            _ => {}
        }
        m.end()
    }
}

#[derive(serde::Serialize)]
struct CustomValue<'a> {
    key: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    value: Cow<'a, str>,
}

/// The first `chars` characters of `text`.
fn truncated(text: Cow<'_, str>, chars: usize) -> Cow<'_, str> {
    match text.char_indices().nth(chars) {
        None => text,
        Some((end, _)) => match text {
            Cow::Borrowed(t) => Cow::Borrowed(&t[..end]),
            Cow::Owned(mut t) => {
                t.truncate(end);
                Cow::Owned(t)
            }
        },
    }
}

/// A `ruleGroupList` entry.
struct Group<'a>(&'a CompiledAcl, &'a Verdict, &'a GroupEntry);

impl Serialize for Group<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Group(acl, v, g) = *self;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("ruleGroupId", &*acl.groups[g.group as usize].log_id)?;
        // AWS leaves the terminating rule's details null here and reports them at the top level.
        let terminating = g.terminating.map(|(rule, _)| {
            let r = &acl.rules[rule as usize];
            GroupTerminating {
                rule_id: &r.name,
                action: r.action.kind.log_name(),
                overridden_action: r.overridden_from.map(ActionKind::log_name),
                rule_match_details: (),
            }
        });
        m.serialize_entry("terminatingRule", &terminating)?;
        let matches = &v.group_matches[g.matches.0 as usize..g.matches.1 as usize];
        m.serialize_entry(
            "nonTerminatingMatchingRules",
            &Seq(matches.iter().map(|x| Match(acl, v, x, false))),
        )?;
        let excluded = &v.group_excluded[g.excluded.0 as usize..g.excluded.1 as usize];
        let entries = excluded.iter().map(|x| Excluded {
            exclusion_type: "EXCLUDED_AS_COUNT",
            rule_id: &acl.rules[x.rule as usize].name,
        });
        m.serialize_entry(
            "excludedRules",
            &(!excluded.is_empty()).then_some(Seq(entries)),
        )?;
        m.serialize_entry("customerConfig", &())?;
        m.end()
    }
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct GroupTerminating<'a> {
    rule_id: &'a str,
    action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    overridden_action: Option<&'static str>,
    rule_match_details: (),
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Excluded<'a> {
    exclusion_type: &'static str,
    rule_id: &'a str,
}

/// A matching rule that did not terminate; `overriddenAction` only inside a group entry.
struct Match<'a>(&'a CompiledAcl, &'a Verdict, &'a Matched, bool);

impl Serialize for Match<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Match(acl, v, x, top_level) = *self;
        let r = &acl.rules[x.rule as usize];
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("ruleId", &*r.name)?;
        m.serialize_entry("action", x.action.log_name())?;
        if let (false, Some(from)) = (top_level, r.overridden_from) {
            m.serialize_entry("overriddenAction", from.log_name())?;
        }
        m.serialize_entry("ruleMatchDetails", &Details(v, x.details))?;
        m.end()
    }
}

/// A `ruleMatchDetails` / `terminatingRuleMatchDetails` array.
struct Details<'a>(&'a Verdict, (u32, u32));

impl Serialize for Details<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        s.collect_seq(v.details(self.1).iter().map(|d| Detail(v, d)))
    }
}

struct Detail<'a>(&'a Verdict, &'a MatchDetail);

impl Serialize for Detail<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Detail(v, d) = *self;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("conditionType", d.condition)?;
        if let Some(level) = d.sensitivity {
            let level = match level {
                Sensitivity::Low => "LOW",
                Sensitivity::High => "HIGH",
            };
            m.serialize_entry("sensitivityLevel", level)?;
        }
        m.serialize_entry("location", d.location)?;
        m.serialize_entry("matchedData", &d.data.map(|r| Seq(v.tokens(r).map(Lossy))))?;
        if let Some(name) = d.field_name {
            m.serialize_entry("matchedFieldName", &Lossy(v.text(name)))?;
        }
        m.end()
    }
}

/// The `httpRequest` object.
struct HttpRequest<'a>(&'a Request<'a>, &'a LogContext<'a>);

impl Serialize for HttpRequest<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let HttpRequest(req, ctx) = *self;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("clientIp", ctx.client_ip)?;
        m.serialize_entry("country", req.country)?;
        m.serialize_entry(
            "headers",
            &Seq(req.headers.iter().map(|&(n, v)| NameValue(n, v))),
        )?;
        m.serialize_entry("uri", &Lossy(req.uri))?;
        m.serialize_entry("args", &Lossy(req.query))?;
        m.serialize_entry("httpVersion", req.http_version)?;
        m.serialize_entry("httpMethod", &Lossy(req.method))?;
        m.serialize_entry("requestId", ctx.request_id)?;
        if let Some(f) = req.fragment {
            m.serialize_entry("fragment", &Lossy(f))?;
        }
        if let Some(scheme) = ctx.scheme {
            m.serialize_entry("scheme", scheme)?;
        }
        if let Some(host) = ctx.host {
            m.serialize_entry("host", host)?;
        }
        m.end()
    }
}

/// Headers inserted into the forwarded request: only when the request is finally allowed; later
/// rules overwrite same-named headers of earlier ones.
pub fn inserted_header_list<'a>(acl: &'a CompiledAcl, v: &Verdict) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    if v.action() != ActionKind::Allow {
        return out;
    }
    for src in &v.header_sources {
        let action = match src {
            HeaderSource::Rule(id) => &acl.rules[*id as usize].action,
            HeaderSource::Default => &acl.default_action,
        };
        for (name, value) in action.insert_headers.iter() {
            match out.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                Some(slot) => slot.1 = value,
                None => out.push((name, value)),
            }
        }
    }
    out
}

/// The status webacl answers with when it does not forward: custom code, 405/202 for tokens, 403.
pub fn response_status(acl: &CompiledAcl, v: &Verdict) -> Option<u16> {
    match v.action() {
        ActionKind::Allow | ActionKind::Count => None,
        ActionKind::Captcha | ActionKind::Challenge => Some(token_code(v.action())),
        ActionKind::Block => Some(custom_response(acl, v).map_or(403, |r| r.code)),
    }
}

/// The custom response of the terminating Block, if it has one.
pub fn custom_response<'a>(
    acl: &'a CompiledAcl,
    v: &Verdict,
) -> Option<&'a crate::compile::CustomResponse> {
    let action = match v.terminator {
        Terminator::Default => &acl.default_action,
        Terminator::Rule(id) | Terminator::Group { inner: id, .. } => {
            &acl.rules[id as usize].action
        }
    };
    action.response.as_ref()
}

fn response_code(acl: &CompiledAcl, v: &Verdict, ctx: &LogContext) -> Option<u16> {
    if ctx.response_code_override.is_some() {
        return ctx.response_code_override;
    }
    match v.action() {
        ActionKind::Captcha | ActionKind::Challenge => Some(token_code(v.action())),
        ActionKind::Block => custom_response(acl, v).map(|r| r.code),
        _ => None,
    }
}

fn token_code(kind: ActionKind) -> u16 {
    if kind == ActionKind::Captcha {
        405
    } else {
        202
    }
}
