//! `URL_DECODE` and `URL_DECODE_UNI`: percent-decoding.
//!
//! AWS: `URL_DECODE` "decodes a URL-encoded value"; `URL_DECODE_UNI` is the same "but with
//! support for Microsoft-specific `%u` encoding. If the code is in the full-width ASCII code range
//! of FF01-FF5E, the higher byte is used to detect and adjust the lower byte. Otherwise, only the
//! lower byte is used and the higher byte is zeroed." ModSecurity: `t:urlDecode` and
//! `t:urlDecodeUni`; AWS does not say how `+` and malformed escapes behave (UNCONFIRMED), so we
//! follow ModSecurity's vectors:
//! * `+` becomes a space (form encoding);
//! * `%HH` needs two hex digits; otherwise the `%` is copied and decoding resumes at the next
//!   byte (`%%20` → `% `, `%0g` stays);
//! * `%uHHHH` (also `%UHHHH`) needs four hex digits; otherwise `%u` is copied as is.
//!
//! Decoding is a single pass: `%2541` becomes `%41`, not `A` (chain two `URL_DECODE`s for that).
//! Output is never longer than the input.

use super::bytes::{copy_until, fold_to_byte, hex_pair, hex_value};
use memchr::memchr2;

/// `URL_DECODE`.
pub(super) fn decode(input: &[u8], out: &mut Vec<u8>) {
    run(input, out, false);
}

/// `URL_DECODE_UNI`.
pub(super) fn decode_uni(input: &[u8], out: &mut Vec<u8>) {
    run(input, out, true);
}

fn run(input: &[u8], out: &mut Vec<u8>, uni: bool) {
    let special = |s: &[u8]| memchr2(b'%', b'+', s);
    let mut i = copy_until(input, 0, out, special);
    while let Some(&b) = input.get(i) {
        let rest = input.get(i..).unwrap_or_default();
        let used = match rest {
            [b'+', ..] => {
                out.push(b' ');
                1
            }
            [b'%', b'u' | b'U', tail @ ..] if uni => {
                match tail.get(..4).and_then(hex_value) {
                    Some(code) => {
                        out.push(fold_to_byte(code));
                        6
                    }
                    None => {
                        // Keep "%u" and resume after it, as ModSecurity does.
                        out.extend_from_slice(rest.get(..2).unwrap_or(rest));
                        2
                    }
                }
            }
            [b'%', hi, lo, ..] => match hex_pair(*hi, *lo) {
                Some(byte) => {
                    out.push(byte);
                    3
                }
                None => {
                    out.push(b'%');
                    1
                }
            },
            _ => {
                out.push(b);
                1
            }
        };
        i = copy_until(input, i + used, out, special);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(input: &[u8]) -> Vec<u8> {
        crate::transform::test_util::run(decode, input)
    }

    fn uni(input: &[u8]) -> Vec<u8> {
        crate::transform::test_util::run(decode_uni, input)
    }

    #[test]
    fn basic() {
        assert_eq!(url(b"a%20b+c%2B%2b"), b"a b c++");
        assert_eq!(url(b"%3Cscript%3e"), b"<script>");
        assert_eq!(url(b"%00%ff%FF"), b"\x00\xff\xff");
        assert_eq!(url(b"plain"), b"plain");
    }

    #[test]
    fn invalid_escapes_are_kept() {
        for s in [&b"%"[..], b"%0", b"%%", b"%0g", b"%g0", b"%gg", b"100%"] {
            assert_eq!(url(s), s);
        }
        assert_eq!(url(b"%%20"), b"% ");
        assert_eq!(url(b"%+"), b"% ");
        assert_eq!(url(b"%u0041"), b"%u0041");
    }

    #[test]
    fn single_pass() {
        assert_eq!(url(b"%2541"), b"%41");
    }

    #[test]
    fn uni_escapes() {
        assert_eq!(uni(b"%u0041%U0042"), b"AB");
        assert_eq!(uni(b"%uff01%uFF5E%uff00%uff5f"), b"!~\x00\x5f");
        assert_eq!(uni(b"%u1141%u2215"), b"\x41\x15");
        assert_eq!(uni(b"%41+%2b"), b"A +");
    }

    #[test]
    fn uni_invalid_escapes_keep_percent_u() {
        assert_eq!(uni(b"%u"), b"%u");
        assert_eq!(uni(b"%u004"), b"%u004");
        assert_eq!(uni(b"%u004g"), b"%u004g");
        assert_eq!(uni(b"%u%u0020"), b"%u ");
        assert_eq!(uni(b"%u00%20"), b"%u00 ");
    }
}
