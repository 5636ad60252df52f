//! Best-effort JSON walk for the `JsonBody` field (spec §3, "JsonBody processing").
//!
//! Owns turning a (possibly truncated) request body into the elements AWS WAF inspects:
//! object keys and scalar values, in document order, optionally restricted to the
//! subtrees named by RFC 6901 pointers. It does not apply `InvalidFallbackBehavior`: it
//! reports whether the body parsed, and the caller decides what a failure means.
//!
//! Invariants:
//! * elements are emitted as soon as they are parsed, so on a failure everything before
//!   the error point has been emitted and nothing after it (AWS: "inspect whatever was
//!   parsed before the error");
//! * nesting is tracked on an explicit stack bounded by [`MAX_JSON_DEPTH`]; there is no
//!   recursion and no panic for any input;
//! * allocation is limited to the walk's stacks, one reusable unescape buffer and the
//!   duplicate-key index, all bounded by the body length.
//!
//! Rules (AWS's, as far as they are known): the root must be an object or an array;
//! duplicate keys in one object, truncation, trailing bytes after the root, invalid
//! escapes, control characters or invalid UTF-8 inside strings, and malformed numbers or
//! literals are failures. AWS documents that "some invalid JSON such as a missing comma
//! or colon still parses": a missing `,` between members/elements and a missing `:`
//! between a key and its value are accepted. A number or literal must be followed by
//! whitespace, `,`, `]`, `}` or the end of input (so `[01]` is a failure, not `[0,1]`).

use super::json_keys::{ObjectId, SeenKeys};
pub use super::json_pointer::JsonPointer;

/// Deepest nesting of objects and arrays accepted; deeper input is a parse failure.
/// Real request bodies rarely nest past a few dozen levels, and the bound keeps the walk's
/// stack (and any per-level work) small no matter what a client sends.
pub const MAX_JSON_DEPTH: usize = 256;

/// Which elements of the document are inspected (`JsonBody.MatchScope`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonScope {
    /// Keys and scalar values.
    All,
    /// Object keys only.
    Key,
    /// Scalar values only.
    Value,
}

/// Best-effort JSON walk of `body` (already cut to the inspection window).
///
/// Calls `emit` for each selected element in document order: object keys under
/// [`JsonScope::Key`], scalar values under [`JsonScope::Value`], both under
/// [`JsonScope::All`]. Strings are unescaped to their bytes (`\uXXXX` to UTF-8, surrogate
/// pairs joined, lone surrogates as U+FFFD); numbers, `true`, `false` and `null` are
/// emitted as their JSON text.
///
/// `paths`: `None` selects the whole document; `Some(list)` selects only what lies under
/// each pointer's target: for the pointer `/a/b`, the key `b` itself is not emitted, but
/// every key and value inside the value of `b` is (and, if that value is a scalar, the
/// scalar itself). Overlapping pointers emit each element once.
///
/// Returns true iff the whole body is valid JSON under AWS's rules (see the module doc).
/// Cost: one pass over `body`; expected O(1) per key for the duplicate check.
pub fn extract(
    body: &[u8],
    paths: Option<&[JsonPointer]>,
    scope: JsonScope,
    emit: &mut dyn FnMut(&[u8]),
) -> bool {
    extract_with(body, paths, scope, &mut JsonScratch::default(), emit)
}

/// Reusable buffers for [`extract_with`]: kept between calls so that a warm walk allocates nothing.
#[derive(Default)]
pub struct JsonScratch {
    frames: Vec<Frame>,
    candidates: Vec<usize>,
    buf: Vec<u8>,
    seen_keys: SeenKeys,
}

/// [`extract`] with caller-owned buffers (the evaluation hot path uses this one).
pub fn extract_with(
    body: &[u8],
    paths: Option<&[JsonPointer]>,
    scope: JsonScope,
    scratch: &mut JsonScratch,
    emit: &mut dyn FnMut(&[u8]),
) -> bool {
    scratch.frames.clear();
    scratch.candidates.clear();
    scratch.buf.clear();
    scratch.seen_keys.clear();
    let mut walker = Walker {
        body,
        pos: 0,
        paths,
        scope,
        frames: std::mem::take(&mut scratch.frames),
        candidates: std::mem::take(&mut scratch.candidates),
        buf: std::mem::take(&mut scratch.buf),
        seen_keys: std::mem::take(&mut scratch.seen_keys),
        next_object: 0,
    };
    let ok = walker.run(emit).is_ok();
    scratch.frames = walker.frames;
    scratch.candidates = walker.candidates;
    scratch.buf = walker.buf;
    scratch.seen_keys = walker.seen_keys;
    ok
}

/// The walk failed at the current position; nothing more is emitted.
struct Invalid;

type Step = Result<(), Invalid>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Object(ObjectId),
    Array,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Just after `{` or `[`: a first member/element or the closing bracket.
    FirstOrClose,
    /// After a member/element: `,`, the closing bracket, or (tolerated) the next one.
    AfterMember,
}

/// One open object or array.
struct Frame {
    kind: Kind,
    expect: Expect,
    /// Everything inside this container is selected.
    selected: bool,
    /// `candidates[cand_start..cand_end]`: pointers that reach exactly this container and
    /// go deeper (only meaningful when not `selected`).
    cand_start: usize,
    cand_end: usize,
    /// Index of the next array element.
    next_index: usize,
}

/// How a child (member value or array element) is selected.
struct Child {
    selected: bool,
    /// Its candidate pointers are `candidates[cand_start..]` at the time of computation.
    cand_start: usize,
}

/// A path segment leading from a container to a child.
enum Segment<'k> {
    Key(&'k [u8]),
    Index(usize),
}

struct Walker<'a> {
    body: &'a [u8],
    pos: usize,
    paths: Option<&'a [JsonPointer]>,
    scope: JsonScope,
    frames: Vec<Frame>,
    /// Stack of pointer indices, sliced per frame (see [`Frame::cand_start`]).
    candidates: Vec<usize>,
    /// Unescape buffer, reused for every string.
    buf: Vec<u8>,
    seen_keys: SeenKeys,
    next_object: ObjectId,
}

impl Walker<'_> {
    fn run(&mut self, emit: &mut dyn FnMut(&[u8])) -> Step {
        self.skip_ws();
        if !matches!(self.peek(), Some(b'{' | b'[')) {
            return Err(Invalid);
        }
        let root = self.root_selection();
        self.value(root, emit)?;
        while let Some(frame) = self.frames.last() {
            let (kind, expect) = (frame.kind, frame.expect);
            self.skip_ws();
            let next = self.peek();
            let close = match kind {
                Kind::Object(_) => b'}',
                Kind::Array => b']',
            };
            match (expect, next) {
                (_, Some(b)) if b == close => {
                    self.pos += 1;
                    self.close_frame();
                }
                (Expect::AfterMember, Some(b',')) => {
                    self.pos += 1;
                    self.skip_ws();
                    // A trailing comma (`[1,]`) is not valid JSON.
                    if self.peek() == Some(close) {
                        return Err(Invalid);
                    }
                    self.member(kind, emit)?;
                }
                // `FirstOrClose`, or a missing comma between members (tolerated).
                _ => self.member(kind, emit)?,
            }
        }
        self.skip_ws();
        if self.pos == self.body.len() {
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    /// Parses one object member (`"key": value`) or array element in the innermost frame.
    #[inline(always)]
    fn member(&mut self, kind: Kind, emit: &mut dyn FnMut(&[u8])) -> Step {
        let Some(frame) = self.frames.last_mut() else {
            return Err(Invalid);
        };
        frame.expect = Expect::AfterMember;
        let index = frame.next_index;
        frame.next_index = index.saturating_add(1);
        let selected = frame.selected;
        let cand_start = self.candidates.len();
        let child = match kind {
            Kind::Object(_) => {
                if self.peek() != Some(b'"') {
                    return Err(Invalid);
                }
                let body = self.body;
                let key = match scan_string(body, &mut self.pos, &mut self.buf)? {
                    Str::Body(start, end) => body.get(start..end).unwrap_or_default(),
                    Str::Buf => &self.buf[..],
                };
                if !self.seen_keys.insert(key) {
                    return Err(Invalid);
                }
                if selected && self.scope != JsonScope::Value {
                    emit(key);
                }
                let child = if selected {
                    Child {
                        selected: true,
                        cand_start,
                    }
                } else {
                    child_selection(
                        &self.frames,
                        &mut self.candidates,
                        self.paths,
                        Segment::Key(key),
                    )
                };
                self.skip_ws();
                match self.peek() {
                    Some(b':') => self.pos += 1,
                    // A missing colon is tolerated when a value follows.
                    Some(b) if starts_value(b) => {}
                    _ => return Err(Invalid),
                }
                self.skip_ws();
                child
            }
            Kind::Array if selected => Child {
                selected: true,
                cand_start,
            },
            Kind::Array => child_selection(
                &self.frames,
                &mut self.candidates,
                self.paths,
                Segment::Index(index),
            ),
        };
        self.value(child, emit)
    }

    /// Parses the value at the current position: opens a frame for a container, emits a
    /// scalar if it is selected and in scope.
    #[inline(always)]
    fn value(&mut self, child: Child, emit: &mut dyn FnMut(&[u8])) -> Step {
        let emit_scalar = child.selected && self.scope != JsonScope::Key;
        let body = self.body;
        match self.peek() {
            Some(b'"') => match scan_string(body, &mut self.pos, &mut self.buf)? {
                Str::Body(start, end) => {
                    if emit_scalar {
                        emit(body.get(start..end).unwrap_or_default());
                    }
                }
                Str::Buf => {
                    if emit_scalar {
                        emit(&self.buf);
                    }
                }
            },
            Some(b @ (b'{' | b'[')) => {
                if self.frames.len() >= MAX_JSON_DEPTH {
                    return Err(Invalid);
                }
                self.pos += 1;
                let kind = if b == b'{' {
                    let id = self.next_object;
                    self.next_object = id.saturating_add(1);
                    self.seen_keys.open(id);
                    Kind::Object(id)
                } else {
                    Kind::Array
                };
                self.frames.push(Frame {
                    kind,
                    expect: Expect::FirstOrClose,
                    selected: child.selected,
                    cand_start: child.cand_start,
                    cand_end: self.candidates.len(),
                    next_index: 0,
                });
                return Ok(());
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                scan_number(body, &mut self.pos)?;
                self.scalar_end()?;
                if emit_scalar {
                    emit(body.get(start..self.pos).unwrap_or_default());
                }
            }
            Some(b @ (b't' | b'f' | b'n')) => {
                let start = self.pos;
                let rest = body.get(start..).unwrap_or_default();
                // The three literals differ in their first byte.
                let lit: &[u8] = match b {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                if !rest.starts_with(lit) {
                    return Err(Invalid);
                }
                self.pos += lit.len();
                self.scalar_end()?;
                if emit_scalar {
                    emit(body.get(start..self.pos).unwrap_or_default());
                }
            }
            _ => return Err(Invalid),
        }
        // A scalar has no frame: drop the candidates computed for it.
        self.candidates.truncate(child.cand_start);
        Ok(())
    }

    /// Selection for the document root.
    fn root_selection(&mut self) -> Child {
        let cand_start = self.candidates.len();
        let Some(paths) = self.paths else {
            return Child {
                selected: true,
                cand_start,
            };
        };
        if paths.iter().any(JsonPointer::is_empty) {
            return Child {
                selected: true,
                cand_start,
            };
        }
        self.candidates.extend(0..paths.len());
        Child {
            selected: false,
            cand_start,
        }
    }

    fn close_frame(&mut self) {
        if let Some(frame) = self.frames.pop() {
            self.candidates.truncate(frame.cand_start);
            if matches!(frame.kind, Kind::Object(_)) {
                self.seen_keys.close();
            }
        }
    }

    /// After a number or literal: the next byte must end the token.
    #[inline(always)]
    fn scalar_end(&self) -> Step {
        match self.peek() {
            None | Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}') => Ok(()),
            Some(_) => Err(Invalid),
        }
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.body.get(self.pos).copied()
    }

    #[inline(always)]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }
}

/// Selection for a child of the innermost frame (which is not itself selected) reached
/// through `segment`; pushes the child's own candidate pointers on the candidate stack.
#[inline(never)]
fn child_selection(
    frames: &[Frame],
    candidates: &mut Vec<usize>,
    paths: Option<&[JsonPointer]>,
    segment: Segment<'_>,
) -> Child {
    let cand_start = candidates.len();
    let (Some(frame), Some(paths)) = (frames.last(), paths) else {
        return Child {
            selected: true,
            cand_start,
        };
    };
    if frame.selected {
        return Child {
            selected: true,
            cand_start,
        };
    }
    // The innermost frame sits at depth frames.len() - 1, so its children are named by
    // token number frames.len() - 1 of each pointer.
    let depth = frames.len() - 1;
    let (from, to) = (frame.cand_start, frame.cand_end);
    for i in from..to {
        let Some(&p) = candidates.get(i) else {
            break;
        };
        let Some(pointer) = paths.get(p) else {
            continue;
        };
        let hit = match segment {
            Segment::Key(key) => pointer.matches_key(depth, key),
            Segment::Index(index) => pointer.matches_index(depth, index),
        };
        if !hit {
            continue;
        }
        if pointer.len() == depth + 1 {
            candidates.truncate(cand_start);
            return Child {
                selected: true,
                cand_start,
            };
        }
        candidates.push(p);
    }
    Child {
        selected: false,
        cand_start,
    }
}

/// Can `b` start a JSON value?
fn starts_value(b: u8) -> bool {
    matches!(
        b,
        b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
    )
}

/// Where a scanned string's unescaped bytes are.
enum Str {
    /// `body[start..end]`: the string had no escape, its bytes are the body's.
    Body(usize, usize),
    /// The walker's unescape buffer.
    Buf,
}

/// Bytes that end a run of plain string content: the closing quote, an escape, a raw control.
const ENDS_RUN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

const LANES_01: u64 = 0x0101_0101_0101_0101;
const LANES_80: u64 = 0x8080_8080_8080_8080;

/// Finds the end of the run of plain string content starting at `body[i]`: the position of
/// the first byte in [`ENDS_RUN`] (or `body.len()`), and whether the run holds a byte
/// `>= 0x80` (bit 7 of any byte of the returned word).
///
/// Eight bytes at a time: a byte `b` is flagged in `(w - 0x20) | (w ^ '"') - 1 |
/// (w ^ '\\') - 1` masked by `!w & 0x80` iff it ends the run, exactly for the lowest
/// flagged byte (a borrow only propagates upwards from a byte that is itself a match).
#[inline(always)]
fn run_end(body: &[u8], mut i: usize) -> (usize, u64) {
    let mut high = 0u64;
    while let Some(chunk) = body.get(i..).and_then(|rest| rest.first_chunk::<8>()) {
        let w = u64::from_le_bytes(*chunk);
        let quote = w ^ (LANES_01 * u64::from(b'"'));
        let backslash = w ^ (LANES_01 * u64::from(b'\\'));
        let ends = (w.wrapping_sub(LANES_01 * 0x20)
            | quote.wrapping_sub(LANES_01)
            | backslash.wrapping_sub(LANES_01))
            & !w
            & LANES_80;
        if ends != 0 {
            // Bytes below the first flagged one (whose own bit 7 is clear).
            high |= w & (ends ^ (ends - 1));
            return (i + (ends.trailing_zeros() / 8) as usize, high);
        }
        high |= w;
        i += 8;
    }
    while let Some(&b) = body.get(i) {
        if ENDS_RUN[usize::from(b)] {
            break;
        }
        high |= u64::from(b);
        i += 1;
    }
    (i, high)
}

/// Scans the string starting at `body[*pos] == '"'` and leaves `*pos` after the closing
/// quote. A string without escapes is returned as its span of `body`; otherwise its
/// unescaped bytes replace the contents of `out`.
#[inline(always)]
fn scan_string(body: &[u8], pos: &mut usize, out: &mut Vec<u8>) -> Result<Str, Invalid> {
    let start = pos.saturating_add(1);
    let (i, high) = run_end(body, start);
    // Runs are split only at ASCII bytes, which never occur inside a multi-byte UTF-8
    // sequence, so validating each run on its own is exact. An all-ASCII run is valid.
    let run = body.get(start..i).unwrap_or_default();
    if high & LANES_80 != 0 && std::str::from_utf8(run).is_err() {
        return Err(Invalid);
    }
    match body.get(i) {
        Some(b'"') => {
            *pos = i + 1;
            Ok(Str::Body(start, i))
        }
        Some(b'\\') => {
            out.clear();
            out.extend_from_slice(run);
            scan_escaped(body, pos, i, out)?;
            Ok(Str::Buf)
        }
        // A raw control character, or the end of input (truncation).
        _ => Err(Invalid),
    }
}

/// The rest of a string from its first escape at `body[i] == '\\'`, appending to `out`.
#[inline(never)]
fn scan_escaped(body: &[u8], pos: &mut usize, mut i: usize, out: &mut Vec<u8>) -> Step {
    loop {
        match body.get(i) {
            Some(b'"') => {
                *pos = i + 1;
                return Ok(());
            }
            Some(b'\\') => i = scan_escape(body, i + 1, out)?,
            // A raw control character, or the end of input (truncation).
            _ => return Err(Invalid),
        }
        let run_start = i;
        let (end, high) = run_end(body, run_start);
        i = end;
        let run = body.get(run_start..i).unwrap_or_default();
        if high & LANES_80 != 0 && std::str::from_utf8(run).is_err() {
            return Err(Invalid);
        }
        out.extend_from_slice(run);
    }
}

/// Decodes the escape whose letter is at `body[i]` into `out`; returns the position after it.
fn scan_escape(body: &[u8], i: usize, out: &mut Vec<u8>) -> Result<usize, Invalid> {
    let simple = match body.get(i) {
        Some(b'"') => b'"',
        Some(b'\\') => b'\\',
        Some(b'/') => b'/',
        Some(b'b') => 0x08,
        Some(b'f') => 0x0c,
        Some(b'n') => b'\n',
        Some(b'r') => b'\r',
        Some(b't') => b'\t',
        Some(b'u') => {
            let unit = hex4(body, i + 1)?;
            let mut next = i + 5;
            let c = match unit {
                0xD800..=0xDBFF => {
                    // A high surrogate joins a following low one; alone it is U+FFFD.
                    let low = (body.get(next..next + 2) == Some(&b"\\u"[..]))
                        .then(|| hex4(body, next + 2).ok())
                        .flatten()
                        .filter(|l| (0xDC00..=0xDFFF).contains(l));
                    match low {
                        Some(low) => {
                            next += 6;
                            0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        }
                        None => 0xFFFD,
                    }
                }
                0xDC00..=0xDFFF => 0xFFFD,
                other => other,
            };
            let c = char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER);
            let mut utf8 = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            return Ok(next);
        }
        _ => return Err(Invalid),
    };
    out.push(simple);
    Ok(i + 1)
}

/// Reads four hex digits at `body[i..i + 4]`.
fn hex4(body: &[u8], i: usize) -> Result<u32, Invalid> {
    let digits = body.get(i..i + 4).ok_or(Invalid)?;
    let mut v = 0u32;
    for &d in digits {
        let n = char::from(d).to_digit(16).ok_or(Invalid)?;
        v = (v << 4) | n;
    }
    Ok(v)
}

/// Scans `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` at `*pos`.
fn scan_number(body: &[u8], pos: &mut usize) -> Step {
    let mut i = *pos;
    let digits = |i: &mut usize| {
        let start = *i;
        while body.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if body.get(i) == Some(&b'-') {
        i += 1;
    }
    match body.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return Err(Invalid),
    }
    if body.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return Err(Invalid);
        }
    }
    if let Some(b'e' | b'E') = body.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = body.get(i) {
            i += 1;
        }
        if !digits(&mut i) {
            return Err(Invalid);
        }
    }
    *pos = i;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `extract` and returns (valid, emitted elements as lossy strings).
    fn run(body: &str, paths: Option<&[&str]>, scope: JsonScope) -> (bool, Vec<String>) {
        run_bytes(body.as_bytes(), paths, scope)
    }

    fn run_bytes(body: &[u8], paths: Option<&[&str]>, scope: JsonScope) -> (bool, Vec<String>) {
        let pointers: Option<Vec<JsonPointer>> =
            paths.map(|ps| ps.iter().map(|p| JsonPointer::parse(p).unwrap()).collect());
        let mut out = Vec::new();
        let ok = extract(body, pointers.as_deref(), scope, &mut |e| {
            out.push(String::from_utf8_lossy(e).into_owned())
        });
        (ok, out)
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    const SPEC_BODY: &str = r#"{"a":{"c":"d","b":{"e":{"f":"g"}}}}"#;

    #[test]
    fn spec_example_all_key_value() {
        let p = Some(&["/a/b"][..]);
        assert_eq!(
            run(SPEC_BODY, p, JsonScope::All),
            (true, strs(&["e", "f", "g"]))
        );
        assert_eq!(run(SPEC_BODY, p, JsonScope::Key), (true, strs(&["e", "f"])));
        assert_eq!(run(SPEC_BODY, p, JsonScope::Value), (true, strs(&["g"])));
    }

    #[test]
    fn whole_document_in_order() {
        assert_eq!(
            run(SPEC_BODY, None, JsonScope::All),
            (true, strs(&["a", "c", "d", "b", "e", "f", "g"]))
        );
        assert_eq!(
            run(SPEC_BODY, Some(&[""]), JsonScope::Key),
            (true, strs(&["a", "c", "b", "e", "f"]))
        );
    }

    #[test]
    fn pointer_to_scalar_and_array_index() {
        let body = r#"{"dogs":[{"name":"rex","age":3},{"name":"fido"}],"name":"x"}"#;
        assert_eq!(
            run(
                body,
                Some(&["/dogs/0/name", "/dogs/1/name"]),
                JsonScope::All
            ),
            (true, strs(&["rex", "fido"]))
        );
        assert_eq!(
            run(body, Some(&["/dogs/1"]), JsonScope::All),
            (true, strs(&["name", "fido"]))
        );
        assert_eq!(
            run(
                body,
                Some(&["/dogs/-", "/missing", "/dogs/01"]),
                JsonScope::All
            ),
            (true, strs(&[]))
        );
    }

    #[test]
    fn overlapping_pointers_emit_once() {
        assert_eq!(
            run(SPEC_BODY, Some(&["/a", "/a/b"]), JsonScope::Value),
            (true, strs(&["d", "g"]))
        );
    }

    #[test]
    fn escaped_pointer_tokens_match_unescaped_keys() {
        let body = r#"{"a/b":{"x":1},"m~n":[true],"\u0071":"q"}"#;
        assert_eq!(
            run(body, Some(&["/a~1b", "/m~0n", "/q"]), JsonScope::Value),
            (true, strs(&["1", "true", "q"]))
        );
    }

    #[test]
    fn numbers_and_literals_as_text() {
        assert_eq!(
            run(
                r#"[0, -1.5e+3, 12E-2, true, false, null, 7]"#,
                None,
                JsonScope::Value
            ),
            (
                true,
                strs(&["0", "-1.5e+3", "12E-2", "true", "false", "null", "7"])
            )
        );
        for bad in [
            "[01]", "[1.]", "[-]", "[.5]", "[1e]", "[tru]", "[nulll]", "[1x]",
        ] {
            assert!(!run(bad, None, JsonScope::All).0, "{bad} must be invalid");
        }
    }

    #[test]
    fn escapes_are_unescaped() {
        let (ok, out) = run(
            r#"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u20ac", "\ud83d\ude00", "\ud83d", "\ude00x", "\ud83d\u0041"]"#,
            None,
            JsonScope::Value,
        );
        assert!(ok);
        assert_eq!(
            out,
            strs(&[
                "a\"b\\c/d\u{8}\u{c}\n\r\t",
                "é€",
                "😀",
                "\u{FFFD}",
                "\u{FFFD}x",
                "\u{FFFD}A"
            ])
        );
        assert!(!run(r#"["\x"]"#, None, JsonScope::All).0);
        assert!(!run(r#"["\u12g4"]"#, None, JsonScope::All).0);
    }

    #[test]
    fn invalid_strings_fail() {
        assert!(!run("[\"a\u{1}b\"]", None, JsonScope::All).0);
        assert!(!run_bytes(b"[\"\xff\"]", None, JsonScope::All).0);
        assert!(run_bytes("[\"é\"]".as_bytes(), None, JsonScope::All).0);
    }

    #[test]
    fn duplicate_keys_fail_after_earlier_elements() {
        let (ok, out) = run(r#"{"a":1,"b":{"a":2},"a":3,"z":4}"#, None, JsonScope::All);
        assert!(!ok);
        assert_eq!(out, strs(&["a", "1", "b", "a", "2"]));
        // Duplicates are compared after unescaping.
        assert!(!run(r#"{"a":1,"\u0061":2}"#, None, JsonScope::All).0);
        // The same key in different objects is fine.
        assert!(run(r#"[{"a":1},{"a":1}]"#, None, JsonScope::All).0);
    }

    #[test]
    fn truncation_fails_and_keeps_what_was_parsed() {
        let (ok, out) = run(r#"{"a":"x","b":["y","unfinish"#, None, JsonScope::All);
        assert!(!ok);
        assert_eq!(out, strs(&["a", "x", "b", "y"]));
        let (ok, out) = run(r#"{"a":"x","b":12"#, None, JsonScope::Value);
        assert!(!ok);
        assert_eq!(out, strs(&["x", "12"]));
        assert!(!run(r#"{"a""#, None, JsonScope::All).0);
        assert!(!run("[", None, JsonScope::All).0);
    }

    #[test]
    fn root_must_be_object_or_array() {
        for body in ["\"s\"", "1", "true", "null", "", "   ", "\u{feff}{}"] {
            assert_eq!(
                run(body, None, JsonScope::All),
                (false, strs(&[])),
                "{body:?}"
            );
        }
        assert_eq!(run(" {} ", None, JsonScope::All), (true, strs(&[])));
        assert_eq!(run("[]", None, JsonScope::All), (true, strs(&[])));
    }

    #[test]
    fn trailing_garbage_fails() {
        let (ok, out) = run(r#"{"a":1} x"#, None, JsonScope::All);
        assert!(!ok);
        assert_eq!(out, strs(&["a", "1"]));
        assert!(!run("[1][2]", None, JsonScope::All).0);
        assert!(!run("[1,]", None, JsonScope::All).0);
        assert!(!run(r#"{"a":1,}"#, None, JsonScope::All).0);
        assert!(!run("[,1]", None, JsonScope::All).0);
        assert!(!run(r#"{"a"}"#, None, JsonScope::All).0);
        assert!(!run(r#"{1:2}"#, None, JsonScope::All).0);
    }

    #[test]
    fn missing_comma_or_colon_is_tolerated() {
        assert_eq!(
            run(r#"{"a" 1 "b":"c"}"#, None, JsonScope::All),
            (true, strs(&["a", "1", "b", "c"]))
        );
        assert_eq!(
            run(r#"[1 2 "x" [3]]"#, None, JsonScope::Value),
            (true, strs(&["1", "2", "x", "3"]))
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let ok_depth = "[".repeat(MAX_JSON_DEPTH) + &"]".repeat(MAX_JSON_DEPTH);
        assert!(run(&ok_depth, None, JsonScope::All).0);
        let too_deep = "[".repeat(MAX_JSON_DEPTH + 1) + &"]".repeat(MAX_JSON_DEPTH + 1);
        assert!(!run(&too_deep, None, JsonScope::All).0);
        // Far deeper than any stack could recurse: fails cleanly, keeps earlier elements.
        let huge = "[\"x\",".to_string() + &"{\"k\":[".repeat(200_000);
        let (ok, out) = run(&huge, None, JsonScope::All);
        assert!(!ok);
        assert_eq!(out.len(), 1 + MAX_JSON_DEPTH / 2);
    }

    #[test]
    fn arbitrary_bytes_do_not_panic() {
        // A small deterministic generator over JSON-ish bytes.
        let alphabet = b"{}[]\",:\\u0123456789abcdefDtrunl-+.eE \n\xff\xc3\xa9";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let pointers = [
            JsonPointer::parse("/a/0").unwrap(),
            JsonPointer::parse("").unwrap(),
        ];
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 40) as usize;
            let mut body = Vec::with_capacity(len);
            let mut s = state;
            for _ in 0..len {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                body.push(alphabet[(s >> 33) as usize % alphabet.len()]);
            }
            for scope in [JsonScope::All, JsonScope::Key, JsonScope::Value] {
                extract(&body, None, scope, &mut |_| {});
                extract(&body, Some(&pointers[..1]), scope, &mut |_| {});
            }
        }
    }
}
