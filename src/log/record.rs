//! One AWS WAF log record per request.
//!
//! Key order, names, types and `null`-vs-`[]` follow the real records quoted in spec §7.1:
//! `labels` is omitted when empty; `requestHeadersInserted` and `responseCodeSent` are `null` when
//! unused (and `responseCodeSent` is `null` for a plain 403); `ruleGroupList` entries carry
//! `excludedRules: null` when none, plus `customerConfig: null` as AWS's 2023 records do.

use crate::compile::{ActionKind, CompiledAcl, RateKey, RuleBody};
use crate::detect::Sensitivity;
use crate::eval::{HeaderSource, MatchDetail, Matched, Scratch, Terminator, Verdict};
use crate::inspect::Request;
use serde_json::{json, Map, Value};

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
    record_of(acl, req, &scratch.verdict, scratch.labels(), ctx)
}

/// [`record`] from the verdict and the request's labels, for a caller that kept those after the
/// scratch moved on (the log writer thread, see [`super::entry`]).
pub fn record_of<'l>(
    acl: &CompiledAcl,
    req: &Request,
    v: &Verdict,
    labels: impl Iterator<Item = &'l str>,
    ctx: &LogContext,
) -> Value {
    let mut m = Map::new();
    m.insert("timestamp".into(), json!(req.timestamp_ms));
    m.insert("formatVersion".into(), json!(1));
    m.insert("webaclId".into(), json!(acl.arn()));
    let (term_id, term_type) = terminating(acl, v);
    m.insert("terminatingRuleId".into(), json!(term_id));
    m.insert("terminatingRuleType".into(), json!(term_type));
    m.insert("action".into(), json!(v.action().log_name()));
    m.insert(
        "terminatingRuleMatchDetails".into(),
        details(v, v.terminating_details),
    );
    m.insert("httpSourceName".into(), json!(acl.source().log_name()));
    m.insert("httpSourceId".into(), json!(ctx.source_id));
    m.insert(
        "ruleGroupList".into(),
        Value::Array(v.groups.iter().map(|g| group_entry(acl, v, g)).collect()),
    );
    m.insert(
        "rateBasedRuleList".into(),
        Value::Array(
            v.rate
                .iter()
                .filter_map(|e| rate_entry(acl, v, e))
                .collect(),
        ),
    );
    m.insert(
        "nonTerminatingMatchingRules".into(),
        Value::Array(v.matched.iter().map(|x| matched(acl, v, x, true)).collect()),
    );
    m.insert("requestHeadersInserted".into(), inserted_headers(acl, v));
    m.insert("responseCodeSent".into(), response_code(acl, v, ctx));
    m.insert("httpRequest".into(), http_request(req, ctx));
    let labels: Vec<Value> = labels
        .take(MAX_LOGGED_LABELS)
        .map(|l| json!({ "name": l }))
        .collect();
    if !labels.is_empty() {
        m.insert("labels".into(), Value::Array(labels));
    }
    if let (Some(failure), Some(kind)) = (v.token_failure, v.action) {
        let key = if kind == ActionKind::Captcha {
            "captchaResponse"
        } else {
            "challengeResponse"
        };
        m.insert(key.into(), json!({ "responseCode": token_code(kind), "solveTimestamp": 0, "failureReason": failure.log_name() }));
    }
    if let Some(ja3) = req.ja3 {
        m.insert("ja3Fingerprint".into(), json!(ja3));
    }
    if let Some(ja4) = req.ja4 {
        m.insert("ja4Fingerprint".into(), json!(ja4));
    }
    if req.body_len > 0 {
        m.insert("requestBodySize".into(), json!(req.body_len));
        m.insert(
            "requestBodySizeInspectedByWAF".into(),
            json!(req.body_len.min(acl.body_limit() as u64)),
        );
    }
    if v.oversize != 0 {
        let names = [
            (1, "REQUEST_BODY"),
            (2, "REQUEST_JSON_BODY"),
            (4, "REQUEST_HEADERS"),
            (8, "REQUEST_COOKIES"),
        ];
        let list: Vec<Value> = names
            .iter()
            .filter(|(b, _)| v.oversize & b != 0)
            .map(|(_, n)| json!(n))
            .collect();
        m.insert("oversizeFields".into(), Value::Array(list));
    }
    Value::Object(m)
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

fn rate_entry(acl: &CompiledAcl, v: &Verdict, e: &crate::eval::RateEntry) -> Option<Value> {
    let rule = &acl.rules[e.rule as usize];
    let RuleBody::RateBased(r) = &rule.body else {
        return None;
    };
    let text = |i: usize| String::from_utf8_lossy(v.text(v.rate_values[i])).into_owned();
    let mut m = Map::new();
    m.insert("rateBasedRuleId".into(), json!(&*r.log_id));
    m.insert("rateBasedRuleName".into(), json!(&*rule.name));
    let (key, first) = (e.values.0 as usize, e.values.1 as usize);
    match &r.key {
        RateKey::Ip | RateKey::ForwardedIp { .. } => {
            m.insert(
                "limitKey".into(),
                json!(if matches!(r.key, RateKey::Ip) {
                    "IP"
                } else {
                    "FORWARDED_IP"
                }),
            );
            m.insert("maxRateAllowed".into(), json!(r.limit));
            m.insert("evaluationWindowSec".into(), json!(r.window_sec));
            if first > key {
                m.insert("limitValue".into(), json!(text(key)));
            }
        }
        RateKey::Constant => {
            m.insert("limitKey".into(), json!("CONSTANT"));
            m.insert("maxRateAllowed".into(), json!(r.limit));
            m.insert("evaluationWindowSec".into(), json!(r.window_sec));
        }
        RateKey::Custom(parts) => {
            m.insert("limitKey".into(), json!("CUSTOMKEYS"));
            m.insert("maxRateAllowed".into(), json!(r.limit));
            m.insert("evaluationWindowSec".into(), json!(r.window_sec));
            let values: Vec<Value> = parts
                .iter()
                .zip(key..first)
                .map(|(part, i)| {
                    let mut c = Map::new();
                    c.insert("key".into(), json!(part.log_key()));
                    if let Some(name) = part.log_name() {
                        c.insert("name".into(), json!(name));
                    }
                    c.insert(
                        "value".into(),
                        json!(text(i)
                            .chars()
                            .take(LOGGED_RATE_VALUE_CHARS)
                            .collect::<String>()),
                    );
                    Value::Object(c)
                })
                .collect();
            m.insert("customValues".into(), Value::Array(values));
        }
    }
    Some(Value::Object(m))
}

fn group_entry(acl: &CompiledAcl, v: &Verdict, g: &crate::eval::GroupEntry) -> Value {
    let terminating = match g.terminating {
        None => Value::Null,
        Some((rule, d)) => {
            let r = &acl.rules[rule as usize];
            let mut t = Map::new();
            t.insert("ruleId".into(), json!(&*r.name));
            t.insert("action".into(), json!(r.action.kind.log_name()));
            if let Some(from) = r.overridden_from {
                t.insert("overriddenAction".into(), json!(from.log_name()));
            }
            // AWS leaves the group entry's details null and reports them at the top level.
            let _ = d;
            t.insert("ruleMatchDetails".into(), Value::Null);
            Value::Object(t)
        }
    };
    let matches: Vec<Value> = v.group_matches[g.matches.0 as usize..g.matches.1 as usize]
        .iter()
        .map(|x| matched(acl, v, x, false))
        .collect();
    let excluded: Vec<Value> = v.group_excluded[g.excluded.0 as usize..g.excluded.1 as usize]
        .iter()
        .map(|x| json!({ "exclusionType": "EXCLUDED_AS_COUNT", "ruleId": &*acl.rules[x.rule as usize].name }))
        .collect();
    let mut e = Map::new();
    e.insert(
        "ruleGroupId".into(),
        json!(&*acl.groups[g.group as usize].log_id),
    );
    e.insert("terminatingRule".into(), terminating);
    e.insert("nonTerminatingMatchingRules".into(), Value::Array(matches));
    e.insert(
        "excludedRules".into(),
        if excluded.is_empty() {
            Value::Null
        } else {
            Value::Array(excluded)
        },
    );
    e.insert("customerConfig".into(), Value::Null);
    Value::Object(e)
}

fn matched(acl: &CompiledAcl, v: &Verdict, x: &Matched, top_level: bool) -> Value {
    let r = &acl.rules[x.rule as usize];
    let mut m = Map::new();
    m.insert("ruleId".into(), json!(&*r.name));
    m.insert("action".into(), json!(x.action.log_name()));
    if !top_level {
        if let Some(from) = r.overridden_from {
            m.insert("overriddenAction".into(), json!(from.log_name()));
        }
    }
    m.insert("ruleMatchDetails".into(), details(v, x.details));
    Value::Object(m)
}

fn details(v: &Verdict, range: (u32, u32)) -> Value {
    Value::Array(v.details(range).iter().map(|d| detail(v, d)).collect())
}

fn detail(v: &Verdict, d: &MatchDetail) -> Value {
    let mut m = Map::new();
    m.insert("conditionType".into(), json!(d.condition));
    if let Some(level) = d.sensitivity {
        m.insert(
            "sensitivityLevel".into(),
            json!(match level {
                Sensitivity::Low => "LOW",
                Sensitivity::High => "HIGH",
            }),
        );
    }
    m.insert("location".into(), json!(d.location));
    m.insert(
        "matchedData".into(),
        match d.data {
            Some(r) => Value::Array(
                v.tokens(r)
                    .map(|t| json!(String::from_utf8_lossy(t)))
                    .collect(),
            ),
            None => Value::Null,
        },
    );
    if let Some(name) = d.field_name {
        m.insert(
            "matchedFieldName".into(),
            json!(String::from_utf8_lossy(v.text(name))),
        );
    }
    Value::Object(m)
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

fn inserted_headers(acl: &CompiledAcl, v: &Verdict) -> Value {
    let list = inserted_header_list(acl, v);
    if list.is_empty() {
        Value::Null
    } else {
        Value::Array(
            list.into_iter()
                .map(|(n, val)| json!({ "name": n, "value": val }))
                .collect(),
        )
    }
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

fn response_code(acl: &CompiledAcl, v: &Verdict, ctx: &LogContext) -> Value {
    if let Some(code) = ctx.response_code_override {
        return json!(code);
    }
    match v.action() {
        ActionKind::Captcha | ActionKind::Challenge => json!(token_code(v.action())),
        ActionKind::Block => custom_response(acl, v).map_or(Value::Null, |r| json!(r.code)),
        _ => Value::Null,
    }
}

fn token_code(kind: ActionKind) -> u16 {
    if kind == ActionKind::Captcha {
        405
    } else {
        202
    }
}

fn http_request(req: &Request, ctx: &LogContext) -> Value {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let headers: Vec<Value> = req
        .headers
        .iter()
        .map(|(n, v)| json!({ "name": text(n), "value": text(v) }))
        .collect();
    let mut m = Map::new();
    m.insert("clientIp".into(), json!(ctx.client_ip));
    m.insert("country".into(), json!(req.country));
    m.insert("headers".into(), Value::Array(headers));
    m.insert("uri".into(), json!(text(req.uri)));
    m.insert("args".into(), json!(text(req.query)));
    m.insert("httpVersion".into(), json!(req.http_version));
    m.insert("httpMethod".into(), json!(text(req.method)));
    m.insert("requestId".into(), json!(ctx.request_id));
    if let Some(f) = req.fragment {
        m.insert("fragment".into(), json!(text(f)));
    }
    if let Some(s) = ctx.scheme {
        m.insert("scheme".into(), json!(s));
    }
    if let Some(h) = ctx.host {
        m.insert("host".into(), json!(h));
    }
    Value::Object(m)
}
