//! The request lines `webacl check --requests` reads: the `httpRequest` object of an AWS WAF log
//! (or a whole log record, so real logs replay as they are), plus `body` / `bodyBase64` and
//! `timestamp`.

use crate::inspect::Request;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;
use std::net::IpAddr;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRequest {
    #[serde(default)]
    pub client_ip: String,
    #[serde(default = "dash")]
    pub country: String,
    #[serde(default)]
    pub headers: Vec<NameValue>,
    #[serde(default = "slash")]
    pub uri: String,
    #[serde(default)]
    pub args: String,
    #[serde(default = "http11")]
    pub http_version: String,
    #[serde(default = "get")]
    pub http_method: String,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub fragment: Option<String>,
    #[serde(default)]
    pub scheme: Option<String>,
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub body_base64: Option<String>,
    #[serde(default)]
    pub timestamp: Option<u64>,
    #[serde(default)]
    pub ja3_fingerprint: Option<String>,
    #[serde(default)]
    pub ja4_fingerprint: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NameValue {
    pub name: String,
    #[serde(default)]
    pub value: String,
}

fn dash() -> String {
    "-".into()
}
fn slash() -> String {
    "/".into()
}
fn http11() -> String {
    "HTTP/1.1".into()
}
fn get() -> String {
    "GET".into()
}

/// One parsed request line, owning its bytes.
#[derive(Debug, Clone)]
pub struct OwnedRequest {
    pub http: HttpRequest,
    pub client_ip: Option<IpAddr>,
    pub path: String,
    pub query: String,
    pub fragment: Option<String>,
    pub body: Vec<u8>,
    pub timestamp_ms: u64,
}

impl OwnedRequest {
    /// Parses one JSON line. `now_ms` stands in for a missing timestamp.
    pub fn parse(line: &str, now_ms: u64) -> Result<OwnedRequest, String> {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
        // A whole AWS WAF log record: take its httpRequest, and its top-level timestamp and fingerprints.
        let (req_value, outer) = match v.get("httpRequest") {
            Some(inner) => (inner.clone(), Some(v.clone())),
            None => (v, None),
        };
        let mut http: HttpRequest =
            serde_json::from_value(req_value).map_err(|e| format!("not a request: {e}"))?;
        if let Some(outer) = &outer {
            let get = |k: &str| outer.get(k).and_then(Value::as_str).map(str::to_string);
            http.timestamp = http
                .timestamp
                .or_else(|| outer.get("timestamp").and_then(Value::as_u64));
            http.ja3_fingerprint = http.ja3_fingerprint.or_else(|| get("ja3Fingerprint"));
            http.ja4_fingerprint = http.ja4_fingerprint.or_else(|| get("ja4Fingerprint"));
        }
        let body = match (&http.body, &http.body_base64) {
            (Some(_), Some(_)) => return Err("give either body or bodyBase64, not both".into()),
            (Some(b), None) => b.as_bytes().to_vec(),
            (None, Some(b)) => base64::engine::general_purpose::STANDARD
                .decode(b)
                .map_err(|e| format!("bodyBase64 is not base64: {e}"))?,
            (None, None) => Vec::new(),
        };
        // `uri` is the raw path; tolerate a full target with `?query` or `#fragment` in it.
        let mut path = http.uri.clone();
        let mut fragment = http.fragment.clone().filter(|f| !f.is_empty());
        if let Some(i) = path.find('#') {
            fragment = fragment.or_else(|| Some(path[i + 1..].to_string()));
            path.truncate(i);
        }
        let mut query = http.args.clone();
        if let Some(i) = path.find('?') {
            if query.is_empty() {
                query = path[i + 1..].to_string();
            }
            path.truncate(i);
        }
        let client_ip = http.client_ip.parse().ok();
        let timestamp_ms = http.timestamp.unwrap_or(now_ms);
        Ok(OwnedRequest {
            http,
            client_ip,
            path,
            query,
            fragment,
            body,
            timestamp_ms,
        })
    }

    /// Header pairs borrowed from this request, in order.
    pub fn header_pairs(&self) -> Vec<(&[u8], &[u8])> {
        self.http
            .headers
            .iter()
            .map(|h| (h.name.as_bytes(), h.value.as_bytes()))
            .collect()
    }

    /// The borrowed view evaluation takes.
    pub fn view<'a>(&'a self, headers: &'a [(&'a [u8], &'a [u8])]) -> Request<'a> {
        Request {
            client_ip: self.client_ip,
            country: &self.http.country,
            method: self.http.http_method.as_bytes(),
            uri: self.path.as_bytes(),
            query: self.query.as_bytes(),
            fragment: self.fragment.as_deref().map(str::as_bytes),
            http_version: &self.http.http_version,
            headers,
            body: &self.body,
            body_len: self.body.len() as u64,
            ja3: self.http.ja3_fingerprint.as_deref(),
            ja4: self.http.ja4_fingerprint.as_deref(),
            timestamp_ms: self.timestamp_ms,
        }
    }
}
