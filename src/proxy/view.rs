//! Reading the request as AWS sees it from pingora's session: headers in arrival order with
//! their original case, the raw path and query, the client address.

use pingora::proxy::Session;
use std::net::IpAddr;

/// Most headers handed to evaluation; AWS inspects at most 200 (spec §3.1), keep a margin so
/// oversize detection still sees that there were more.
pub const MAX_HEADERS: usize = 256;

/// Appends every header of the request, in arrival order and original case.
///
/// HTTP/1: parsed from the raw header block pingora kept (the `http` crate's map loses order
/// across names). HTTP/2: the header map (lowercase by protocol), with `:authority` as `host`.
pub fn headers<'s>(
    session: &'s Session,
    raw: Option<&'s [u8]>,
    out: &mut Vec<(&'s [u8], &'s [u8])>,
) {
    match raw {
        Some(raw) => parse_h1_block(raw, out),
        None => {
            let req = session.req_header();
            if !req.headers.contains_key(http::header::HOST) {
                if let Some(a) = req.uri.authority() {
                    out.push((b"host", a.as_str().as_bytes()));
                }
            }
            for (n, v) in req.headers.iter().take(MAX_HEADERS) {
                out.push((n.as_str().as_bytes(), v.as_bytes()));
            }
        }
    }
}

/// Splits an HTTP/1 header block (request line first) into (name, value) pairs.
///
/// Runs on every request: lines and colons are found with `memchr` (SIMD) rather than byte loops.
pub fn parse_h1_block<'a>(raw: &'a [u8], out: &mut Vec<(&'a [u8], &'a [u8])>) {
    let mut start = 0;
    let mut first = true;
    while start <= raw.len() {
        let end = memchr::memchr(b'\n', &raw[start..]).map_or(raw.len(), |i| start + i);
        let line = &raw[start..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        start = end + 1;
        if std::mem::take(&mut first) {
            continue; // the request line
        }
        if line.is_empty() || out.len() >= MAX_HEADERS {
            break;
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            continue;
        };
        out.push((&line[..colon], trim(&line[colon + 1..])));
    }
}

fn trim(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// Splits the raw request target into (path, query, fragment).
pub fn split_target(target: &[u8]) -> (&[u8], &[u8], Option<&[u8]>) {
    let (rest, fragment) = match target.iter().position(|&b| b == b'#') {
        Some(i) => (&target[..i], Some(&target[i + 1..])),
        None => (target, None),
    };
    match rest.iter().position(|&b| b == b'?') {
        Some(i) => (&rest[..i], &rest[i + 1..], fragment),
        None => (rest, &b""[..], fragment),
    }
}

/// The client address: the first address in `header` when configured and valid (webacl sits
/// behind a proxy that sets it), otherwise the TCP peer as ALB sees it.
pub fn client_ip(session: &Session, header: Option<&str>) -> Option<IpAddr> {
    let forwarded = header.and_then(|name| session.req_header().headers.get(name));
    client_ip_of(
        forwarded.map(|v| v.as_bytes()),
        session
            .client_addr()
            .and_then(|a| a.as_inet())
            .map(|a| a.ip()),
    )
}

/// [`client_ip`] from the configured header's first value and the TCP peer's address.
pub fn client_ip_of(forwarded: Option<&[u8]>, peer: Option<IpAddr>) -> Option<IpAddr> {
    forwarded.and_then(first_ip).or(peer)
}

/// The first comma-separated token of a forwarding header that is an IP address (an IPv4
/// `addr:port` is accepted, as some proxies write it).
pub fn first_ip(v: &[u8]) -> Option<IpAddr> {
    let s = std::str::from_utf8(v).ok()?;
    let first = s.split(',').next()?.trim();
    first.parse().ok().or_else(|| {
        first
            .rsplit_once(':')
            .and_then(|(a, _)| a.parse::<std::net::Ipv4Addr>().ok())
            .map(IpAddr::V4)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h1_block_keeps_order_and_case() {
        let raw =
            b"GET /a?b HTTP/1.1\r\nHost: x\r\nuser-Agent:  curl/8 \r\nX-A: 1\r\nx-a: 2\r\n\r\n";
        let mut out = Vec::new();
        parse_h1_block(raw, &mut out);
        let got: Vec<(&str, &str)> = out
            .iter()
            .map(|(n, v)| {
                (
                    std::str::from_utf8(n).unwrap(),
                    std::str::from_utf8(v).unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("Host", "x"),
                ("user-Agent", "curl/8"),
                ("X-A", "1"),
                ("x-a", "2")
            ]
        );
    }

    #[test]
    fn h1_block_edges() {
        let parse = |raw: &'static [u8]| {
            let mut out = Vec::new();
            parse_h1_block(raw, &mut out);
            out
        };
        // No blank line at the end, a bare LF, a line without a colon, an empty value.
        assert_eq!(
            parse(b"GET / HTTP/1.1\nA: 1\r\nnocolon\r\nB:\r\nC: 3"),
            vec![
                (&b"A"[..], &b"1"[..]),
                (&b"B"[..], &b""[..]),
                (&b"C"[..], &b"3"[..])
            ]
        );
        assert!(parse(b"GET / HTTP/1.1").is_empty());
        assert!(parse(b"").is_empty());
        assert!(parse(b"GET / HTTP/1.1\r\n\r\nX: after-the-end\r\n").is_empty());
        let many: Vec<u8> = std::iter::once(&b"GET / HTTP/1.1\r\n"[..])
            .chain(std::iter::repeat_n(&b"X: y\r\n"[..], MAX_HEADERS + 10))
            .flatten()
            .copied()
            .collect();
        let mut out = Vec::new();
        parse_h1_block(&many, &mut out);
        assert_eq!(out.len(), MAX_HEADERS);
    }

    #[test]
    fn target_split() {
        assert_eq!(
            split_target(b"/p?q=1#f"),
            (&b"/p"[..], &b"q=1"[..], Some(&b"f"[..]))
        );
        assert_eq!(split_target(b"/p"), (&b"/p"[..], &b""[..], None));
    }

    #[test]
    fn forwarded_ip() {
        assert_eq!(
            first_ip(b"203.0.113.7, 10.0.0.1"),
            Some("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            first_ip(b"203.0.113.7:5555"),
            Some("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            first_ip(b"2001:db8::1"),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(first_ip(b"garbage"), None);
    }
}
