//! Cross-site scripting check: libinjection's HTML5-tokenizer detector (through
//! `libinjectionrs`) behind a shortcut that may only say "certainly not" or "maybe".
//!
//! Owns the XSS verdict for one value. The shortcut: libinjection reports XSS only on a
//! doctype, a tag, a comment-like construct (all of which start with `<`) or on an
//! attribute value following a dangerous attribute name. Its tokenizer reaches an attribute
//! value only through `=` (the quoted-value contexts start inside a first value, but with no
//! attribute name before it, so that value is never judged). So input with neither `<` nor
//! `=` cannot be flagged. `corpus_tests.rs` checks this on every corpus line and on
//! randomized input.

/// Returns true if `input` is XSS by libinjection's rules.
/// Cost: one `memchr2` pass for input without `<` and `=`; otherwise libinjection's five
/// HTML parsing contexts, well under a microsecond for typical values.
pub fn is_xss(input: &[u8]) -> bool {
    may_be_xss(input) && libinjectionrs::detect_xss(input).is_injection()
}

/// False only if libinjection provably cannot flag `input` (see the module doc).
pub fn may_be_xss(input: &[u8]) -> bool {
    next_trigger(input).is_some()
}

/// The bytes one of which a flagged input must hold.
pub const TRIGGER_BYTES: [u8; 2] = [b'<', b'='];

/// Where the first byte is that a flagged input must hold (one of [`TRIGGER_BYTES`]). Since the
/// test is per byte, it can run over several values back to back: a value without such a byte of
/// its own is not XSS.
pub fn next_trigger(bytes: &[u8]) -> Option<usize> {
    let [a, b] = TRIGGER_BYTES;
    memchr::memchr2(a, b, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_script_and_handlers() {
        assert!(is_xss(b"<script>alert(1)</script>"));
        assert!(is_xss(b"\" onmouseover=alert(1) x=\""));
        assert!(is_xss(b"<img src=x onerror=alert(1)>"));
        assert!(is_xss(b"<!DOCTYPE html>"));
    }

    #[test]
    fn benign_values_pass() {
        for s in ["hello", "a=1&b=2", "x < y", "1 <= 2", "", "<b>bold</b>"] {
            assert!(!is_xss(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn shortcut_needs_lt_or_equals() {
        assert!(!may_be_xss(b"javascript:alert(1)"));
        assert!(may_be_xss(b"<"));
        assert!(may_be_xss(b"x=1"));
    }
}
