//! What a request leaves for the log writer: an owned, compact copy of the parts of the request
//! and of its verdict that the AWS WAF log record shows. The record itself (a JSON tree, then a
//! line of text) is built from it on the writer thread ([`crate::log::sink`]), so the request path
//! pays for one copy of the request head, not for building and dropping the record.
//!
//! Nothing here is built when no log sink is configured (`--log-file off`).

use crate::eval::{Scratch, Verdict};
use crate::inspect::{Header, Request};
use crate::log::record::Record;
use crate::log::sink::Deferred;
use crate::log::LogContext;
use crate::reload::Snapshot;
use serde_json::Value;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// A byte range into [`Entry::text`].
type Span = (u32, u32);

/// The owned summary of one evaluated request.
pub struct Entry {
    /// The snapshot the request was evaluated against: the record names its rules.
    snapshot: Arc<Snapshot>,
    source_id: Arc<str>,
    scheme: &'static str,
    verdict: Verdict,
    /// Every byte string of the request the record shows, back to back.
    text: Vec<u8>,
    method: Span,
    uri: Span,
    query: Span,
    fragment: Option<Span>,
    country: Span,
    headers: Vec<(Span, Span)>,
    /// The request's labels, back to back; `label_ends` marks where each ends.
    labels: String,
    label_ends: Vec<u32>,
    client_ip: Option<IpAddr>,
    http_version: Span,
    body_len: u64,
    timestamp_ms: u64,
    /// `responseCodeSent` when proxying failed (set in the `logging` hook).
    pub failed: Option<u16>,
}

impl Entry {
    /// Copies what the record needs out of the request and the scratch it was evaluated into.
    pub fn new(
        snapshot: Arc<Snapshot>,
        source_id: Arc<str>,
        scheme: &'static str,
        req: &Request,
        scratch: &Scratch,
    ) -> Entry {
        let head = req.method.len()
            + req.uri.len()
            + req.query.len()
            + req.fragment.map_or(0, <[u8]>::len)
            + req.country.len()
            + req.http_version.len()
            + req
                .headers
                .iter()
                .map(|(n, v)| n.len() + v.len())
                .sum::<usize>();
        let mut text = Vec::with_capacity(head);
        let mut put = |b: &[u8]| -> Span {
            let start = text.len() as u32;
            text.extend_from_slice(b);
            (start, text.len() as u32)
        };
        let method = put(req.method);
        let uri = put(req.uri);
        let query = put(req.query);
        let fragment = req.fragment.map(&mut put);
        let country = put(req.country.as_bytes());
        let http_version = put(req.http_version.as_bytes());
        let headers = req.headers.iter().map(|(n, v)| (put(n), put(v))).collect();
        let mut labels = String::new();
        let mut label_ends = Vec::new();
        for l in scratch.labels() {
            labels.push_str(l);
            label_ends.push(labels.len() as u32);
        }
        Entry {
            snapshot,
            source_id,
            scheme,
            verdict: scratch.verdict.clone(),
            text,
            method,
            uri,
            query,
            fragment,
            country,
            headers,
            labels,
            label_ends,
            client_ip: req.client_ip,
            http_version,
            body_len: req.body_len,
            timestamp_ms: req.timestamp_ms,
            failed: None,
        }
    }

    fn span(&self, (a, b): Span) -> &[u8] {
        self.text.get(a as usize..b as usize).unwrap_or_default()
    }

    /// The AWS WAF log record, exactly as building it on the request path would have.
    pub fn record(&self) -> Value {
        self.with_record(|r| r.to_value())
    }

    /// Calls `f` with the entry's [`Record`].
    fn with_record<T>(&self, f: impl for<'r> FnOnce(&Record<'r, Labels<'r>>) -> T) -> T {
        let headers: Vec<Header> = self
            .headers
            .iter()
            .map(|&(n, v)| (self.span(n), self.span(v)))
            .collect();
        let req = Request {
            client_ip: self.client_ip,
            country: std::str::from_utf8(self.span(self.country)).unwrap_or("-"),
            method: self.span(self.method),
            uri: self.span(self.uri),
            query: self.span(self.query),
            fragment: self.fragment.map(|f| self.span(f)),
            http_version: std::str::from_utf8(self.span(self.http_version)).unwrap_or("HTTP/1.1"),
            headers: &headers,
            body: &[],
            body_len: self.body_len,
            ja3: None,
            ja4: None,
            timestamp_ms: self.timestamp_ms,
        };
        let labels = Labels {
            text: &self.labels,
            ends: self.label_ends.iter(),
            start: 0,
        };
        log_context(&req, &self.source_id, self.scheme, self.failed, |ctx| {
            f(&Record {
                acl: &self.snapshot.acl,
                req: &req,
                verdict: &self.verdict,
                labels,
                ctx,
            })
        })
    }
}

/// The entry's labels, back to back in one string, split at their recorded ends.
#[derive(Clone)]
struct Labels<'a> {
    text: &'a str,
    ends: std::slice::Iter<'a, u32>,
    start: usize,
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let end = *self.ends.next()? as usize;
        let label = self.text.get(self.start..end).unwrap_or_default();
        self.start = end;
        Some(label)
    }
}

impl Deferred for Entry {
    fn build(self: Box<Self>) -> Value {
        self.record()
    }

    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), crate::log::json::Error> {
        self.with_record(|r| r.write(out))
    }
}

/// Calls `f` with the log context of `req`: its request id, client address text and host.
pub fn log_context<T>(
    req: &Request,
    source_id: &str,
    scheme: &'static str,
    failed: Option<u16>,
    f: impl FnOnce(&LogContext) -> T,
) -> T {
    let host = req
        .header_values(b"host")
        .next()
        .map(|h| String::from_utf8_lossy(h).into_owned());
    let client = req
        .client_ip
        .map_or_else(|| "-".to_string(), |ip| ip.to_string());
    let id = request_id(req.timestamp_ms);
    f(&LogContext {
        source_id,
        request_id: &id,
        client_ip: &client,
        response_code_override: failed,
        scheme: Some(scheme),
        host: host.as_deref(),
    })
}

/// An ALB-style trace id: `1-<epoch seconds, hex>-<96 bits, hex>`, unique within the process.
pub fn request_id(now_ms: u64) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let seed = *SEED.get_or_init(|| {
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        t ^ (u64::from(std::process::id()) << 32)
    });
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    format!(
        "1-{:08x}-{:08x}{:016x}",
        now_ms / 1000,
        (seed >> 32) as u32,
        seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(n)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::{build, BuildOptions, SearchStringEncoding};
    use crate::eval::evaluate;
    use crate::load::{Document, Resources};
    use crate::metrics::Metrics;

    /// A rule that blocks `/admin` and labels it, one that counts every request.
    const ACL: &str = r#"{"Name": "t", "DefaultAction": {"Allow": {}},
      "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "t"},
      "Rules": [
        {"Name": "count-all", "Priority": 0, "Action": {"Count": {}},
         "RuleLabels": [{"Name": "seen"}],
         "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "c"},
         "Statement": {"ByteMatchStatement": {"SearchString": "/", "FieldToMatch": {"UriPath": {}},
           "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "STARTS_WITH"}}},
        {"Name": "block-admin", "Priority": 1, "Action": {"Block": {}},
         "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "b"},
         "Statement": {"ByteMatchStatement": {"SearchString": "admin", "FieldToMatch": {"UriPath": {}},
           "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}], "PositionalConstraint": "CONTAINS"}}}]}"#;

    fn snapshot() -> Arc<Snapshot> {
        let doc = Document {
            file: "t".into(),
            base: String::new(),
            value: serde_json::from_str(ACL).unwrap(),
        };
        let opts = BuildOptions {
            search_string: SearchStringEncoding::Text,
            ..BuildOptions::default()
        };
        let acl = build(&doc, &Resources::default(), &opts).unwrap();
        Arc::new(Snapshot {
            counters: Metrics::new().rule_counters(&acl, "t"),
            acl,
            metric_name: "t".into(),
            samples: Default::default(),
            generation: 1,
        })
    }

    /// The record rebuilt from an entry equals the record built from the live request, apart
    /// from the request id (a fresh one per build).
    #[test]
    fn entry_record_matches_direct_record() {
        let snap = snapshot();
        let headers: Vec<Header> = vec![
            (b"Host", b"example.com"),
            (b"User-Agent", b"curl/8 \xff"),
            (b"X-A", b"1"),
        ];
        for (uri, query) in [(&b"/Admin/x"[..], &b"a=1&b=%27"[..]), (b"/ok", b"")] {
            let req = Request {
                client_ip: Some("203.0.113.9".parse().unwrap()),
                method: b"POST",
                query,
                fragment: Some(b"frag"),
                headers: &headers,
                body_len: 12,
                timestamp_ms: 1_700_000_000_123,
                ..Request::get(uri)
            };
            let mut scratch = Scratch::new();
            evaluate(&snap.acl, &req, &mut scratch);
            let direct = log_context(&req, "src", "http", Some(502), |ctx| {
                crate::log::record(&snap.acl, &req, &scratch, ctx)
            });
            let strip = |mut v: Value| {
                v["httpRequest"]
                    .as_object_mut()
                    .unwrap()
                    .remove("requestId");
                serde_json::to_string(&v).unwrap()
            };
            let mut entry = Entry::new(snap.clone(), "src".into(), "http", &req, &scratch);
            // The scratch moves on to the next request before the writer gets to the entry.
            evaluate(&snap.acl, &Request::get(b"/other"), &mut scratch);
            entry.failed = Some(502);
            // The writer's streamed text and the tree are the same record.
            let mut text = Vec::new();
            entry.write_json(&mut text).unwrap();
            // Byte for byte what serde_json writes for the same record.
            entry.with_record(|r| {
                let mut ours = Vec::new();
                r.write(&mut ours).unwrap();
                assert_eq!(
                    String::from_utf8(ours).unwrap(),
                    serde_json::to_string(r).unwrap()
                );
            });
            let streamed: Value = serde_json::from_slice(&text).unwrap();
            let later = Box::new(entry).build();
            assert_eq!(strip(streamed.clone()), strip(direct.clone()));
            assert_eq!(strip(later.clone()), strip(direct));
            assert!(later["httpRequest"]["requestId"]
                .as_str()
                .unwrap()
                .starts_with("1-"));
            assert!(later["labels"][0]["name"]
                .as_str()
                .is_some_and(|l| l.ends_with(":seen")));
            assert_eq!(later["responseCodeSent"], 502);
        }
    }
}
