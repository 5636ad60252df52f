//! The request as evaluation sees it: borrowed slices, never copied.

use std::net::IpAddr;

/// One header as received: name with its original case, raw value bytes.
pub type Header<'a> = (&'a [u8], &'a [u8]);

/// A borrowed view of one request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The client address as AWS sees it (the TCP peer, or a trusted header); `None` when unknown.
    pub client_ip: Option<IpAddr>,
    /// ISO alpha-2 country of the client address, or `-` when unknown.
    pub country: &'a str,
    pub method: &'a [u8],
    /// Path exactly as received: percent-encoding kept, no query, no fragment.
    pub uri: &'a [u8],
    /// Raw query string without the `?`; empty when none.
    pub query: &'a [u8],
    /// Text after `#` when the client sent one (CloudFront/ALB only).
    pub fragment: Option<&'a [u8]>,
    /// `HTTP/1.1`, `HTTP/2.0`...
    pub http_version: &'a str,
    /// Headers in arrival order.
    pub headers: &'a [Header<'a>],
    /// The body bytes available for inspection (the whole body or at least its first
    /// `body_limit` bytes); empty when there is no body.
    pub body: &'a [u8],
    /// The full body size, which may exceed `body.len()` when the caller buffered only a window.
    pub body_len: u64,
    pub ja3: Option<&'a str>,
    pub ja4: Option<&'a str>,
    /// Epoch milliseconds of arrival.
    pub timestamp_ms: u64,
}

impl<'a> Request<'a> {
    /// A minimal GET request, handy for tests and examples.
    pub fn get(uri: &'a [u8]) -> Request<'a> {
        Request {
            client_ip: None,
            country: "-",
            method: b"GET",
            uri,
            query: b"",
            fragment: None,
            http_version: "HTTP/1.1",
            headers: &[],
            body: b"",
            body_len: 0,
            ja3: None,
            ja4: None,
            timestamp_ms: 0,
        }
    }

    /// Values of every header named `name` (ASCII case-insensitive), in order.
    pub fn header_values<'s>(&'s self, name: &'s [u8]) -> impl Iterator<Item = &'a [u8]> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}
