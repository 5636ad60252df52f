//! `COMPRESS_WHITE_SPACE` and `REMOVE_WHITESPACE`.
//!
//! AWS: `COMPRESS_WHITE_SPACE` "replaces multiple spaces with one space and replaces the
//! following characters with a space character: `\f`, `\t`, `\n`, `\r`, `\v`, non-breaking space
//! (decimal 160)". ModSecurity: `t:compressWhitespace` (v3 uses `isspace` only; v2 and AWS add
//! NBSP — we follow AWS). `REMOVE_WHITESPACE` (2026, no AWS prose) mirrors
//! `t:removeWhitespace`, which deletes the same set: C `isspace` plus NBSP 0xA0.
//! Both only shrink the input.

use super::bytes::{is_c_space, NBSP};

/// The whitespace set both transformations use: space, `\t \n \v \f \r`, and NBSP (0xA0).
#[inline]
fn is_ws(b: u8) -> bool {
    is_c_space(b) || b == NBSP
}

/// The bytes of [`is_ws`]: without them both transformations leave a value as it is.
pub(super) const WHITESPACE: &[u8] = b" \t\n\x0b\x0c\r\xa0";

/// Each run of whitespace (including a single `\t` or NBSP) becomes one space.
pub(super) fn compress(input: &[u8], out: &mut Vec<u8>) {
    let mut in_run = false;
    for &b in input {
        if is_ws(b) {
            if !in_run {
                out.push(b' ');
                in_run = true;
            }
        } else {
            out.push(b);
            in_run = false;
        }
    }
}

/// Deletes every whitespace byte.
pub(super) fn remove(input: &[u8], out: &mut Vec<u8>) {
    out.extend(input.iter().copied().filter(|&b| !is_ws(b)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::run;

    #[test]
    fn whitespace_lists_exactly_the_bytes_is_ws_accepts() {
        let listed: Vec<u8> = (0..=255u8).filter(|&b| is_ws(b)).collect();
        let mut sorted = WHITESPACE.to_vec();
        sorted.sort_unstable();
        assert_eq!(listed, sorted);
    }

    #[test]
    fn compress_maps_every_kind_and_collapses() {
        assert_eq!(run(compress, b"a\t\n\x0b\x0c\r\xa0 b"), b"a b");
        assert_eq!(run(compress, b"\xa0a"), b" a");
        assert_eq!(run(compress, b"a  "), b"a ");
        assert_eq!(run(compress, b"a\x00 b"), b"a\x00 b");
        assert_eq!(run(compress, b""), b"");
        // 0x85 (NEL) and 0x1c–0x1f are not whitespace here.
        assert_eq!(run(compress, b"a\x85\x1cb"), b"a\x85\x1cb");
    }

    #[test]
    fn remove_deletes_every_kind() {
        assert_eq!(run(remove, b" a\t\n\x0b\x0c\r\xa0b "), b"ab");
        assert_eq!(run(remove, b"a\x00b"), b"a\x00b");
    }
}
