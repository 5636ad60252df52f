//! Rate-based rules at evaluation time: scope-down, aggregation key, count, limit (spec §8).

use super::leaf::node;
use super::scratch::{trace, Scratch};
use super::verdict::RateEntry;
use crate::compile::{CompiledAcl, CustomKey, RateKey, RateRule, RuleId};
use crate::inspect::Request;
use crate::parse::{cookies::for_each_cookie, query::for_each_arg};
use crate::transform::apply_chain;
use std::io::Write;
use std::net::IpAddr;

/// Counts the request for a rate rule. `None`: not counted (scope-down did not match, or a key
/// part is missing); `Some(limited)` otherwise. Top-level rules (`listed`) get a
/// `rateBasedRuleList` entry whenever they count the request, as AWS's records show.
pub(super) fn count(
    acl: &CompiledAcl,
    req: &Request,
    s: &mut Scratch,
    id: RuleId,
    r: &RateRule,
    listed: bool,
) -> Option<bool> {
    if let Some(n) = &r.scope_down {
        if node(acl, req, s, n) != Some(true) {
            return None;
        }
    }
    let first_value = s.verdict.rate_values.len() as u32;
    let mut key = std::mem::take(&mut s.rate_key);
    key.clear();
    let built = build_key(req, s, &r.key, &mut key);
    let result = built.map(|()| {
        let n = r.counter.hit(&key, req.timestamp_ms);
        if listed {
            let values = (first_value, s.verdict.rate_values.len() as u32);
            s.verdict.rate.push(RateEntry { rule: id, values });
        }
        trace(s, || {
            format!(
                "  rate-based: {n} request(s) in the last {} s for this key; limit {} → {}\n",
                r.window_sec,
                r.limit,
                if n > r.limit {
                    "LIMITED"
                } else {
                    "under the limit"
                }
            )
        });
        n > r.limit
    });
    if result.is_none() {
        s.verdict.rate_values.truncate(first_value as usize);
        trace(s, || {
            "  rate-based: a key part is missing, so the request is not counted\n".into()
        });
    }
    s.rate_key = key;
    result
}

/// Writes the aggregation key into `key` and the logged values into the verdict.
fn build_key(req: &Request, s: &mut Scratch, k: &RateKey, key: &mut Vec<u8>) -> Option<()> {
    match k {
        RateKey::Constant => Some(()),
        RateKey::Ip => {
            let ip = req.client_ip?;
            push_ip(s, key, ip);
            Some(())
        }
        RateKey::ForwardedIp {
            header,
            fallback_match,
        } => forwarded(req, s, key, header, *fallback_match),
        RateKey::Custom(parts) => {
            for part in parts.iter() {
                let start = key.len();
                key.extend_from_slice(&[0; 4]);
                custom(req, s, part, key)?;
                let len = (key.len() - start - 4) as u32;
                key[start..start + 4].copy_from_slice(&len.to_be_bytes());
            }
            Some(())
        }
    }
}

fn custom(req: &Request, s: &mut Scratch, part: &CustomKey, key: &mut Vec<u8>) -> Option<()> {
    let raw: Option<&[u8]> = match part {
        CustomKey::Header { name, .. } => req.header_values(name.as_bytes()).next(),
        CustomKey::Cookie { name, .. } => req.header_values(b"cookie").find_map(|v| {
            let mut found = None;
            for_each_cookie(v, &mut |n, val| {
                if found.is_none() && n == name.as_bytes() {
                    found = Some(range_in(v, val));
                }
            });
            found.map(|r| &v[r])
        }),
        CustomKey::QueryArgument { name, .. } => {
            let mut found = None;
            for_each_arg(req.query, &mut |n, val| {
                if found.is_none() && n.eq_ignore_ascii_case(name.as_bytes()) {
                    found = Some(range_in(req.query, val));
                }
            });
            found.map(|r| &req.query[r])
        }
        CustomKey::QueryString { .. } => Some(req.query),
        CustomKey::UriPath { .. } => Some(req.uri),
        CustomKey::HttpMethod => Some(req.method),
        CustomKey::Ip => {
            push_ip(s, key, req.client_ip?);
            return Some(());
        }
        CustomKey::ForwardedIp {
            header,
            fallback_match,
        } => return forwarded(req, s, key, header, *fallback_match),
        CustomKey::LabelNamespace { namespace } => {
            let start = s.verdict.detail_text.len();
            let mut any = false;
            for (a, b) in s.labels.iter().copied() {
                let label = &s.label_text[a as usize..b as usize];
                if label.starts_with(&**namespace) {
                    if any {
                        s.verdict.detail_text.push(b',');
                    }
                    s.verdict.detail_text.extend_from_slice(label.as_bytes());
                    any = true;
                }
            }
            if !any {
                return None;
            }
            key.extend_from_slice(&s.verdict.detail_text[start..]);
            s.verdict
                .rate_values
                .push((start as u32, s.verdict.detail_text.len() as u32));
            return Some(());
        }
        CustomKey::Ja3 { fallback_match } => fingerprint(req.ja3, *fallback_match),
        CustomKey::Ja4 { fallback_match } => fingerprint(req.ja4, *fallback_match),
    };
    let raw = raw?;
    let chain = match part {
        CustomKey::Header { chain, .. }
        | CustomKey::Cookie { chain, .. }
        | CustomKey::QueryArgument { chain, .. }
        | CustomKey::QueryString { chain }
        | CustomKey::UriPath { chain } => &chain[..],
        _ => &[],
    };
    let start = s.verdict.detail_text.len();
    if chain.is_empty() {
        s.verdict.detail_text.extend_from_slice(raw);
    } else {
        apply_chain(chain, raw, &mut s.tbuf, &mut s.tbuf2);
        s.verdict.detail_text.extend_from_slice(&s.tbuf);
    }
    key.extend_from_slice(&s.verdict.detail_text[start..]);
    s.verdict
        .rate_values
        .push((start as u32, s.verdict.detail_text.len() as u32));
    Some(())
}

/// Where `part` (a sub-slice the parsers handed back) lies inside `whole`.
fn range_in(whole: &[u8], part: &[u8]) -> std::ops::Range<usize> {
    let start = (part.as_ptr() as usize)
        .saturating_sub(whole.as_ptr() as usize)
        .min(whole.len());
    start..(start + part.len()).min(whole.len())
}

/// JA3/JA4 when present; when absent, MATCH groups such requests under one empty value.
fn fingerprint(v: Option<&str>, fallback_match: bool) -> Option<&[u8]> {
    match v {
        Some(v) => Some(v.as_bytes()),
        None if fallback_match => Some(b""),
        None => None,
    }
}

/// First address of the header; absent ⇒ not counted (rule not applied); malformed ⇒ one shared
/// `INVALID` instance with fallback MATCH, not counted with NO_MATCH.
fn forwarded(
    req: &Request,
    s: &mut Scratch,
    key: &mut Vec<u8>,
    header: &str,
    fallback_match: bool,
) -> Option<()> {
    let value = req.header_values(header.as_bytes()).next()?;
    let first = std::str::from_utf8(value)
        .ok()
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .and_then(|v| v.parse::<IpAddr>().ok());
    match first {
        Some(ip) => push_ip(s, key, ip),
        None if fallback_match => {
            let start = s.verdict.detail_text.len() as u32;
            s.verdict.detail_text.extend_from_slice(b"INVALID");
            s.verdict.rate_values.push((start, start + 7));
            key.extend_from_slice(b"INVALID");
        }
        None => return None,
    }
    Some(())
}

fn push_ip(s: &mut Scratch, key: &mut Vec<u8>, ip: IpAddr) {
    let start = s.verdict.detail_text.len();
    match ip {
        IpAddr::V4(v4) => push_ipv4(&mut s.verdict.detail_text, v4.octets()),
        // Writing into a Vec cannot fail.
        IpAddr::V6(_) => {
            let _ = write!(s.verdict.detail_text, "{ip}");
        }
    }
    key.extend_from_slice(&s.verdict.detail_text[start..]);
    s.verdict
        .rate_values
        .push((start as u32, s.verdict.detail_text.len() as u32));
}

/// An IPv4 address as `Display` writes it, without the formatting machinery: a rule keyed by IP
/// writes one for every request it counts (≈ 900 instructions through `write!`). Written into a
/// stack buffer (at most 15 bytes: four octets of up to three digits and three dots) and
/// appended once, not pushed byte by byte.
fn push_ipv4(out: &mut Vec<u8>, octets: [u8; 4]) {
    let mut text = [0u8; 16];
    let mut n = 0;
    for (i, o) in octets.into_iter().enumerate() {
        if i > 0 {
            text[n] = b'.';
            n += 1;
        }
        if o >= 100 {
            text[n] = b'0' + o / 100;
            n += 1;
        }
        if o >= 10 {
            text[n] = b'0' + o / 10 % 10;
            n += 1;
        }
        text[n] = b'0' + o % 10;
        n += 1;
    }
    out.extend_from_slice(&text[..n]);
}

#[cfg(test)]
mod tests {
    use super::push_ipv4;
    use std::net::Ipv4Addr;

    #[test]
    fn ipv4_text_is_what_display_writes() {
        let mut out = Vec::new();
        for o in 0..=255u8 {
            for octets in [[o, 0, 0, 0], [1, o, 10, 100], [255, 99, o, 9], [o, o, o, o]] {
                out.clear();
                push_ipv4(&mut out, octets);
                assert_eq!(out, Ipv4Addr::from(octets).to_string().as_bytes());
            }
        }
    }
}
