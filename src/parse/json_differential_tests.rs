//! The JSON walk (`json.rs`) beside the walker it replaced: a test-only copy of the earlier
//! implementation (`reference`) and a differential test that feeds both generated documents,
//! truncations and mutations, under every scope and several pointer sets, and asserts the same
//! elements and the same validity verdict.

/// The walker as it was before the single-pass string scan (test-only), to compare against.
#[allow(dead_code, clippy::all)]
mod reference {
    use crate::parse::json::{JsonPointer, JsonScope, MAX_JSON_DEPTH};
    use crate::parse::json_keys::{ObjectId, SeenKeys};

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
        fn member(&mut self, kind: Kind, emit: &mut dyn FnMut(&[u8])) -> Step {
            let Some(frame) = self.frames.last_mut() else {
                return Err(Invalid);
            };
            frame.expect = Expect::AfterMember;
            let index = frame.next_index;
            frame.next_index = index.saturating_add(1);
            let child = match kind {
                Kind::Object(_) => {
                    if self.peek() != Some(b'"') {
                        return Err(Invalid);
                    }
                    self.buf.clear();
                    scan_string(self.body, &mut self.pos, &mut self.buf)?;
                    if !self.seen_keys.insert(&self.buf) {
                        return Err(Invalid);
                    }
                    let key = std::mem::take(&mut self.buf);
                    if self.scope != JsonScope::Value && self.innermost_selected() {
                        emit(&key);
                    }
                    let child = self.child_selection(Segment::Key(&key));
                    self.buf = key;
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
                Kind::Array => self.child_selection(Segment::Index(index)),
            };
            self.value(child, emit)
        }

        /// Parses the value at the current position: opens a frame for a container, emits a
        /// scalar if it is selected and in scope.
        fn value(&mut self, child: Child, emit: &mut dyn FnMut(&[u8])) -> Step {
            let emit_scalar = child.selected && self.scope != JsonScope::Key;
            match self.peek() {
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
                Some(b'"') => {
                    self.buf.clear();
                    scan_string(self.body, &mut self.pos, &mut self.buf)?;
                    if emit_scalar {
                        emit(&self.buf);
                    }
                }
                Some(b'-' | b'0'..=b'9') => {
                    let start = self.pos;
                    scan_number(self.body, &mut self.pos)?;
                    self.scalar_end()?;
                    if emit_scalar {
                        emit(self.body.get(start..self.pos).unwrap_or_default());
                    }
                }
                Some(b't' | b'f' | b'n') => {
                    let start = self.pos;
                    let rest = self.body.get(start..).unwrap_or_default();
                    let len = [&b"true"[..], b"false", b"null"]
                        .iter()
                        .find(|lit| rest.starts_with(lit))
                        .map(|lit| lit.len())
                        .ok_or(Invalid)?;
                    self.pos += len;
                    self.scalar_end()?;
                    if emit_scalar {
                        emit(self.body.get(start..self.pos).unwrap_or_default());
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

        /// Selection for a child of the innermost frame reached through `segment`; pushes the
        /// child's own candidate pointers on the candidate stack.
        fn child_selection(&mut self, segment: Segment<'_>) -> Child {
            let cand_start = self.candidates.len();
            let (Some(frame), Some(paths)) = (self.frames.last(), self.paths) else {
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
            let depth = self.frames.len() - 1;
            let (from, to) = (frame.cand_start, frame.cand_end);
            for i in from..to {
                let Some(&p) = self.candidates.get(i) else {
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
                    self.candidates.truncate(cand_start);
                    return Child {
                        selected: true,
                        cand_start,
                    };
                }
                self.candidates.push(p);
            }
            Child {
                selected: false,
                cand_start,
            }
        }

        fn innermost_selected(&self) -> bool {
            self.frames.last().is_some_and(|f| f.selected)
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
        fn scalar_end(&self) -> Step {
            match self.peek() {
                None | Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}') => Ok(()),
                Some(_) => Err(Invalid),
            }
        }

        fn peek(&self) -> Option<u8> {
            self.body.get(self.pos).copied()
        }

        fn skip_ws(&mut self) {
            while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
                self.pos += 1;
            }
        }
    }

    /// Can `b` start a JSON value?
    fn starts_value(b: u8) -> bool {
        matches!(
            b,
            b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
        )
    }

    /// Scans the string starting at `body[*pos] == '"'`, appending its unescaped bytes to
    /// `out` and leaving `*pos` after the closing quote.
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

    fn scan_string(body: &[u8], pos: &mut usize, out: &mut Vec<u8>) -> Step {
        let mut i = pos.saturating_add(1);
        loop {
            let run_start = i;
            let mut high = 0u8;
            while let Some(&b) = body.get(i) {
                if ENDS_RUN[usize::from(b)] {
                    break;
                }
                high |= b;
                i += 1;
            }
            // Runs are split only at ASCII bytes, which never occur inside a multi-byte UTF-8
            // sequence, so validating each run on its own is exact. An all-ASCII run is valid.
            let run = body.get(run_start..i).unwrap_or_default();
            if high >= 0x80 && std::str::from_utf8(run).is_err() {
                return Err(Invalid);
            }
            out.extend_from_slice(run);
            match body.get(i) {
                Some(b'"') => {
                    *pos = i + 1;
                    return Ok(());
                }
                Some(b'\\') => i = scan_escape(body, i + 1, out)?,
                // A raw control character, or the end of input (truncation).
                _ => return Err(Invalid),
            }
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
}

mod differential {
    use super::reference;
    use crate::parse::json::*;
    use crate::test_rng::XorShift as Rng;

    const KEYS: &[&str] = &[
        "a",
        "b",
        "sku",
        "name",
        "unitPrice",
        "giftWrap0",
        "k",
        "",
        "0",
        "1",
    ];

    fn gen_string(rng: &mut Rng, out: &mut Vec<u8>) {
        out.push(b'"');
        let len = rng.below(20);
        for _ in 0..len {
            match rng.below(40) {
                0 => out.extend_from_slice(b"\\"),
                1 => out.extend_from_slice(b"\\\""),
                2 => out.extend_from_slice(b"\\n"),
                3 => out.extend_from_slice(b"\\u00e9"),
                4 => out.extend_from_slice(b"\\ud83d\\ude00"),
                5 => out.extend_from_slice(b"\\ud83d"),
                6 => out.extend_from_slice(b"\\ude00"),
                7 => out.extend_from_slice("é€😀".as_bytes()),
                8 => out.push(0xff),
                9 => out.extend_from_slice(&[0xc3]),
                10 => out.push(rng.below(0x20) as u8),
                11 => out.extend_from_slice(b"\\/"),
                12 => out.extend_from_slice(b"\\x"),
                13 => out.extend_from_slice(b"\\u12"),
                _ => out.push(b"abcdefghijklmnopqrstuvwxyz0123456789 -_./<>'"[rng.below(44)]),
            }
        }
        out.push(b'"');
    }

    fn gen_key(rng: &mut Rng, out: &mut Vec<u8>) {
        match rng.below(4) {
            0 => gen_string(rng, out),
            1 => {
                out.extend_from_slice(b"\"\\u0061\"");
            }
            _ => {
                out.push(b'"');
                out.extend_from_slice(KEYS[rng.below(KEYS.len())].as_bytes());
                out.push(b'"');
            }
        }
    }

    fn gen_ws(rng: &mut Rng, out: &mut Vec<u8>) {
        if rng.below(4) == 0 {
            out.extend_from_slice([&b" "[..], b"\n", b"\t ", b"\r\n  "][rng.below(4)]);
        }
    }

    fn gen_value(rng: &mut Rng, out: &mut Vec<u8>, depth: usize) {
        let container = depth < 6 && rng.below(3) == 0;
        match if container {
            rng.below(2)
        } else {
            2 + rng.below(4)
        } {
            0 => {
                out.push(b'{');
                let n = rng.below(6);
                for i in 0..n {
                    if i > 0 && rng.below(15) != 0 {
                        out.push(b',');
                    }
                    gen_ws(rng, out);
                    gen_key(rng, out);
                    gen_ws(rng, out);
                    if rng.below(15) != 0 {
                        out.push(b':');
                    }
                    gen_ws(rng, out);
                    gen_value(rng, out, depth + 1);
                }
                gen_ws(rng, out);
                out.push(b'}');
            }
            1 => {
                out.push(b'[');
                let n = rng.below(6);
                for i in 0..n {
                    if i > 0 && rng.below(15) != 0 {
                        out.push(b',');
                    }
                    gen_ws(rng, out);
                    gen_value(rng, out, depth + 1);
                }
                gen_ws(rng, out);
                out.push(b']');
            }
            2 => gen_string(rng, out),
            3 => out.extend_from_slice(
                [
                    &b"0"[..],
                    b"-1.5e+3",
                    b"12E-2",
                    b"01",
                    b"1.",
                    b"19.99",
                    b"48217",
                    b"-",
                ][rng.below(8)],
            ),
            4 => out.extend_from_slice(
                [&b"true"[..], b"false", b"null", b"tru", b"nulll"][rng.below(5)],
            ),
            _ => gen_string(rng, out),
        }
    }

    fn walk(
        body: &[u8],
        paths: Option<&[JsonPointer]>,
        scope: JsonScope,
        scratch: &mut JsonScratch,
    ) -> (bool, Vec<Vec<u8>>) {
        let mut out = Vec::new();
        let ok = extract_with(body, paths, scope, scratch, &mut |e| out.push(e.to_vec()));
        (ok, out)
    }

    fn walk_reference(
        body: &[u8],
        paths: Option<&[JsonPointer]>,
        scope: JsonScope,
    ) -> (bool, Vec<Vec<u8>>) {
        let mut out = Vec::new();
        let ok = reference::extract_with(
            body,
            paths,
            scope,
            &mut reference::JsonScratch::default(),
            &mut |e| out.push(e.to_vec()),
        );
        (ok, out)
    }

    #[test]
    fn same_elements_and_verdict_as_the_original_walker() {
        let pointer_sets: Vec<Vec<JsonPointer>> = [
            &[""][..],
            &["/a"],
            &["/a/0", "/b"],
            &["/0/a", "/1", "/a/b/sku"],
            &["/sku", "/a", "/a/name"],
            &["/\u{e9}"],
        ]
        .iter()
        .map(|ps| ps.iter().map(|p| JsonPointer::parse(p).unwrap()).collect())
        .collect();
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let mut scratch = JsonScratch::default();
        let (mut valid, mut emitted) = (0, 0);
        for n in 0..4000 {
            let mut body = Vec::new();
            if n % 50 == 0 {
                // Deep nesting around the bound.
                let depth = MAX_JSON_DEPTH - 2 + rng.below(4);
                for _ in 0..depth {
                    body.extend_from_slice(if rng.below(2) == 0 { b"[" } else { b"{\"a\":" });
                }
            }
            gen_ws(&mut rng, &mut body);
            if rng.below(2) == 0 {
                out_object(&mut rng, &mut body);
            } else {
                gen_value(&mut rng, &mut body, 0);
            }
            gen_ws(&mut rng, &mut body);
            let mut bodies = vec![body.clone()];
            // Truncations, and a byte flipped.
            for _ in 0..3 {
                let cut = rng.below(body.len() + 1);
                bodies.push(body[..cut].to_vec());
            }
            if !body.is_empty() {
                let mut flipped = body.clone();
                let at = rng.below(body.len());
                flipped[at] = b"{}[]\",: \\u"[rng.below(10)];
                bodies.push(flipped);
            }
            for b in &bodies {
                for scope in [JsonScope::All, JsonScope::Key, JsonScope::Value] {
                    let paths = match rng.below(3) {
                        0 => None,
                        _ => Some(&pointer_sets[rng.below(pointer_sets.len())][..]),
                    };
                    let got = walk(b, paths, scope, &mut scratch);
                    let want = walk_reference(b, paths, scope);
                    assert_eq!(
                        got,
                        want,
                        "body {:?} paths {:?} scope {:?}",
                        String::from_utf8_lossy(b),
                        paths,
                        scope
                    );
                    valid += usize::from(got.0);
                    emitted += got.1.len();
                }
            }
        }
        // The generator reaches both verdicts and emits plenty.
        assert!(valid > 2000, "{valid}");
        assert!(emitted > 20_000, "{emitted}");
    }

    /// An object with the keys of a typical request body, often repeated (duplicates) and
    /// sometimes many (past the linear duplicate check).
    fn out_object(rng: &mut Rng, out: &mut Vec<u8>) {
        out.push(b'{');
        let n = if rng.below(5) == 0 {
            10 + rng.below(30)
        } else {
            rng.below(6)
        };
        for i in 0..n {
            if i > 0 {
                out.push(b',');
            }
            if rng.below(3) == 0 {
                gen_key(rng, out);
            } else {
                out.extend_from_slice(format!("\"key{}\"", rng.below(n + 3)).as_bytes());
            }
            out.push(b':');
            gen_value(rng, out, 1);
        }
        out.push(b'}');
    }
}
