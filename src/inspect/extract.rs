//! FieldToMatch extraction: raw component values for a slot, before transformations.
//!
//! Limits follow spec §3.1: the body is cut to the inspection window; headers and cookies to the
//! first 8 KB and 200 items. Exceeding one sets `oversize`, and the statement's OversizeHandling
//! decides (in `eval`).

use super::Request;
use crate::compile::slot::{FieldSel, SlotDef};
use crate::parse::{cookies::for_each_cookie, json, query::for_each_arg};
use crate::transform::apply_preparse;

/// AWS inspects at most this many bytes of headers (and of cookies).
pub const HEADERS_INSPECTION_BYTES: usize = 8 * 1024;
/// AWS inspects at most this many headers (and cookies).
pub const HEADERS_INSPECTION_COUNT: usize = 200;

/// What extraction found, besides the values it emitted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extracted {
    /// The component exists in the request (a missing SingleHeader is absent; an empty body is present).
    pub present: bool,
    /// The component exceeded AWS's inspection limit.
    pub oversize: bool,
    /// JsonBody only: the body did not parse as valid JSON.
    pub json_invalid: bool,
}

/// Reusable buffers for extraction, kept between requests.
#[derive(Default)]
pub struct ExtractScratch {
    buf: Vec<u8>,
    buf2: Vec<u8>,
    /// JsonBody with EVALUATE_AS_STRING: the values held until the body proves valid.
    held: Vec<Held>,
    json: json::JsonScratch,
}

/// A JSON value held until the body has parsed: most are spans of the body (strings without
/// escapes, numbers, literals) and are not copied; the others are in `ExtractScratch::buf`.
#[derive(Clone, Copy)]
enum Held {
    Body(usize, usize),
    Buf(usize, usize),
}

/// Emits every raw value of `slot`'s component.
pub fn extract(
    slot: &SlotDef,
    req: &Request,
    body_limit: usize,
    scratch: &mut ExtractScratch,
    emit: &mut dyn FnMut(&[u8]),
) -> Extracted {
    let ExtractScratch {
        buf,
        buf2,
        held,
        json: json_scratch,
    } = scratch;
    let mut x = Extracted {
        present: true,
        ..Extracted::default()
    };
    match &slot.field {
        FieldSel::SingleHeader(name) => {
            x.present = false;
            for v in req.header_values(name.as_bytes()) {
                x.present = true;
                emit(v);
            }
        }
        FieldSel::SingleQueryArgument(name) => {
            x.present = false;
            let q = preparsed(slot, req.query, buf, buf2);
            for_each_arg(q, &mut |n, v| {
                if n.eq_ignore_ascii_case(name.as_bytes()) {
                    x.present = true;
                    emit(v);
                }
            });
        }
        FieldSel::AllQueryArguments => {
            let q = preparsed(slot, req.query, buf, buf2);
            for_each_arg(q, &mut |_, v| emit(v));
        }
        FieldSel::UriPath => emit(req.uri),
        FieldSel::QueryString => emit(req.query),
        FieldSel::Method => emit(req.method),
        FieldSel::Body => {
            let (window, over) = body_window(req, body_limit);
            x.oversize = over;
            emit(window);
        }
        FieldSel::JsonBody {
            scope,
            as_string_on_invalid,
            ..
        } => {
            if req.body_len == 0 {
                // No body: nothing to parse, so nothing to inspect (documented choice).
                x.present = false;
                return x;
            }
            let (window, over) = body_window(req, body_limit);
            x.oversize = over;
            let paths = slot.json_paths.as_deref();
            if *as_string_on_invalid {
                // One walk: the values are held until the body has proved valid JSON, since an
                // invalid body is inspected as one string instead.
                buf.clear();
                held.clear();
                let base = window.as_ptr() as usize;
                let valid =
                    json::extract_with(window, paths, scope.json(), json_scratch, &mut |v| {
                        // A value inside the window's bytes is a span of it (distinct buffers
                        // never overlap, so an unescaped copy elsewhere is never taken for one).
                        let at = (v.as_ptr() as usize).wrapping_sub(base);
                        if at <= window.len() && v.len() <= window.len() - at {
                            held.push(Held::Body(at, at + v.len()));
                        } else {
                            let start = buf.len();
                            buf.extend_from_slice(v);
                            held.push(Held::Buf(start, buf.len()));
                        }
                    });
                x.json_invalid = !valid;
                if valid {
                    for &h in held.iter() {
                        let v = match h {
                            Held::Body(a, b) => window.get(a..b),
                            Held::Buf(a, b) => buf.get(a..b),
                        };
                        emit(v.unwrap_or_default());
                    }
                } else {
                    emit(window);
                }
            } else {
                let valid = json::extract_with(window, paths, scope.json(), json_scratch, emit);
                x.json_invalid = !valid;
            }
        }
        FieldSel::Headers { pattern, scope } => {
            let mut bytes = 0;
            for (i, (name, value)) in req.headers.iter().enumerate() {
                bytes += name.len() + value.len() + 4;
                if i >= HEADERS_INSPECTION_COUNT || bytes > HEADERS_INSPECTION_BYTES {
                    x.oversize = true;
                    break;
                }
                if pattern.selects(name, true) {
                    if scope.keys() {
                        emit(name);
                    }
                    if scope.values() {
                        emit(value);
                    }
                }
            }
        }
        FieldSel::Cookies { pattern, scope } => {
            let mut bytes = 0;
            let mut count = 0;
            for value in req.header_values(b"cookie") {
                for_each_cookie(value, &mut |n, v| {
                    count += 1;
                    bytes += n.len() + v.len() + 2;
                    if count > HEADERS_INSPECTION_COUNT || bytes > HEADERS_INSPECTION_BYTES {
                        x.oversize = true;
                        return;
                    }
                    if pattern.selects(n, false) {
                        if scope.keys() {
                            emit(n);
                        }
                        if scope.values() {
                            emit(v);
                        }
                    }
                });
            }
        }
        FieldSel::HeaderOrder => {
            buf.clear();
            for (i, (name, _)) in req.headers.iter().enumerate() {
                if i >= HEADERS_INSPECTION_COUNT
                    || buf.len() + name.len() + 1 > HEADERS_INSPECTION_BYTES
                {
                    x.oversize = true;
                    break;
                }
                if i > 0 {
                    buf.push(b':');
                }
                buf.extend_from_slice(name);
            }
            emit(buf);
        }
        FieldSel::Ja3 => option(req.ja3.map(str::as_bytes), &mut x, emit),
        FieldSel::Ja4 => option(req.ja4.map(str::as_bytes), &mut x, emit),
        FieldSel::UriFragment => option(req.fragment, &mut x, emit),
    }
    x
}

fn option(v: Option<&[u8]>, x: &mut Extracted, emit: &mut dyn FnMut(&[u8])) {
    match v {
        Some(v) => emit(v),
        None => x.present = false,
    }
}

/// The inspected part of the body and whether the body exceeded the window.
pub fn body_window<'a>(req: &Request<'a>, limit: usize) -> (&'a [u8], bool) {
    let over = req.body_len > limit as u64 || req.body.len() > limit;
    (&req.body[..req.body.len().min(limit)], over)
}

/// Applies the slot's pre-parse chain to the raw query (spec §4, PreParseTextTransformations).
fn preparsed<'b>(
    slot: &SlotDef,
    raw: &'b [u8],
    buf: &'b mut Vec<u8>,
    buf2: &mut Vec<u8>,
) -> &'b [u8] {
    if slot.preparse.is_empty() {
        return raw;
    }
    buf.clear();
    buf.extend_from_slice(raw);
    for &p in slot.preparse.iter() {
        apply_preparse(p, buf, buf2);
        std::mem::swap(buf, buf2);
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::input::OwnedRequest;
    use crate::compile::slot::Scope;

    /// With `EVALUATE_AS_STRING`, the values held while the body is parsed (spans of the body,
    /// or unescaped copies) come out as the walk emits them, in order; an invalid body comes out
    /// whole.
    #[test]
    fn held_json_values_are_the_walks_values() {
        let slot = SlotDef {
            field: FieldSel::JsonBody {
                paths: None,
                scope: Scope::All,
                as_string_on_invalid: true,
            },
            preparse: Box::new([]),
            chain: Box::new([]),
            json_paths: None,
            parent: None,
            rest_triggers: None,
        };
        let bodies = [
            r#"{"a": "plain", "b\u0062": "esc\u0061ped", "c": [1, -2.5e3, true, null, ""]}"#,
            r#"["x", "\"", "y\\z", {"k": "v"}, "\u00e9t\u00e9", "\ud83d\ude00"]"#,
            r#"{"a": "b", "a": "dup"}"#,
            r#"{"cut": "sho"#,
            r#"[]"#,
        ];
        let mut xs = ExtractScratch::default();
        for body in bodies {
            let line = serde_json::json!({"httpMethod": "POST", "body": body}).to_string();
            let owned = OwnedRequest::parse(&line, 0).expect("the request parses");
            let headers = owned.header_pairs();
            let req = owned.view(&headers);
            let mut got: Vec<Vec<u8>> = Vec::new();
            let x = extract(&slot, &req, 8192, &mut xs, &mut |v| got.push(v.to_vec()));
            let mut walked: Vec<Vec<u8>> = Vec::new();
            let valid = json::extract(body.as_bytes(), None, json::JsonScope::All, &mut |v| {
                walked.push(v.to_vec())
            });
            assert_eq!(x.json_invalid, !valid, "{body}");
            let expected = if valid {
                walked
            } else {
                vec![body.as_bytes().to_vec()]
            };
            assert_eq!(got, expected, "{body}");
        }
    }
}
