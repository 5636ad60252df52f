//! One test request as a client puts it on the wire (method, path, query, headers, body), and its
//! conversion into the [`OwnedRequest`] `webacl check` replays, so evaluation sees exactly what
//! `check --requests` and the proxy would.
//!
//! Every probe carries the headers an ordinary browser-like client sends (`Host`, `User-Agent`,
//! `Accept`, and `Content-Type`/`Content-Length` with a body), so rules about missing headers do
//! not fire on every test case; a placeholder that targets one of them replaces it.

use crate::check::input::{HttpRequest, NameValue, OwnedRequest};
use std::net::{IpAddr, Ipv4Addr};

/// The `Host` every probe is sent to.
pub const HOST: &str = "app.example.com";
/// The `User-Agent` of probes that do not set their own: a current desktop browser.
pub const BROWSER_USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
/// Probes come from distinct addresses of 198.18.0.0/15 (RFC 2544's benchmarking range), so a
/// rate-based rule never counts the corpus against one client. This many addresses, then wrap.
pub const CLIENT_ADDRESSES: u32 = 1 << 17;

/// A request under construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub method: String,
    /// The path as sent: percent-encoding kept, no query.
    pub path: String,
    /// The raw query string without `?`; empty when none.
    pub query: String,
    /// Headers in sending order (the baseline ones first).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Probe {
    /// A GET with the baseline headers.
    pub fn get(path: impl Into<String>, query: impl Into<String>) -> Probe {
        Probe {
            method: "GET".into(),
            path: path.into(),
            query: query.into(),
            headers: vec![
                ("Host".into(), HOST.into()),
                ("User-Agent".into(), BROWSER_USER_AGENT.into()),
                ("Accept".into(), "*/*".into()),
            ],
            body: Vec::new(),
        }
    }

    /// A request with a body; `content_type` `None` sends no `Content-Type`.
    pub fn with_body(
        method: impl Into<String>,
        path: impl Into<String>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Probe {
        let mut p = Probe::get(path, "");
        p.method = method.into();
        if let Some(ct) = content_type {
            p.headers.push(("Content-Type".into(), ct.into()));
        }
        p.body = body;
        p
    }

    /// Sets a header, replacing any of the same name (ASCII case-insensitive).
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
    }

    /// Adds a header after the existing ones.
    pub fn add_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.push((name.into(), value.into()));
    }

    /// The request evaluation takes. `seq` (the case number) picks the client address.
    pub fn into_request(self, seq: u64, timestamp_ms: u64) -> OwnedRequest {
        let mut headers: Vec<NameValue> = self
            .headers
            .into_iter()
            .map(|(name, value)| NameValue { name, value })
            .collect();
        if !self.body.is_empty() {
            headers.push(NameValue {
                name: "Content-Length".into(),
                value: self.body.len().to_string(),
            });
        }
        let ip = client_address(seq);
        OwnedRequest {
            http: HttpRequest {
                client_ip: ip.to_string(),
                country: "-".into(),
                headers,
                uri: self.path.clone(),
                args: self.query.clone(),
                http_version: "HTTP/1.1".into(),
                http_method: self.method,
                request_id: None,
                fragment: None,
                scheme: Some("https".into()),
                host: Some(HOST.into()),
                body: None,
                body_base64: None,
                timestamp: Some(timestamp_ms),
                ja3_fingerprint: None,
                ja4_fingerprint: None,
            },
            client_ip: Some(ip),
            path: self.path,
            query: self.query,
            fragment: None,
            body: self.body,
            timestamp_ms,
        }
    }
}

fn client_address(seq: u64) -> IpAddr {
    let n = (seq % u64::from(CLIENT_ADDRESSES)) as u32;
    let base = u32::from(Ipv4Addr::new(198, 18, 0, 0));
    IpAddr::V4(Ipv4Addr::from(base + n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_headers_and_content_length() {
        let mut p = Probe::with_body("POST", "/", Some("text/plain"), b"abc".to_vec());
        p.set_header("user-agent", "x");
        let r = p.into_request(3, 7);
        let names: Vec<_> = r.http.headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Host",
                "Accept",
                "Content-Type",
                "user-agent",
                "Content-Length"
            ]
        );
        assert_eq!(r.http.headers[4].value, "3");
        assert_eq!(r.client_ip, Some("198.18.0.3".parse().unwrap()));
        assert_eq!(r.timestamp_ms, 7);
        assert_eq!(r.body, b"abc");
    }

    #[test]
    fn client_addresses_wrap_inside_the_benchmarking_range() {
        assert_eq!(client_address(0).to_string(), "198.18.0.0");
        assert_eq!(client_address(65_536).to_string(), "198.19.0.0");
        assert_eq!(
            client_address(u64::from(CLIENT_ADDRESSES)).to_string(),
            "198.18.0.0"
        );
    }
}
