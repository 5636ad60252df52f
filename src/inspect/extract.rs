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
    /// JsonBody with EVALUATE_AS_STRING: where each held value ends in `buf`.
    held_ends: Vec<usize>,
    json: json::JsonScratch,
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
        held_ends,
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
                held_ends.clear();
                let valid =
                    json::extract_with(window, paths, scope.json(), json_scratch, &mut |v| {
                        buf.extend_from_slice(v);
                        held_ends.push(buf.len());
                    });
                x.json_invalid = !valid;
                if valid {
                    let mut start = 0;
                    for &end in held_ends.iter() {
                        emit(buf.get(start..end).unwrap_or_default());
                        start = end;
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
