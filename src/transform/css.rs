//! `CSS_DECODE`: CSS 2.x backslash escapes.
//!
//! AWS: "decodes characters that were encoded using CSS 2.x escape rules. This function uses up
//! to two bytes in the decoding process, so it can help to uncover ASCII characters that were
//! encoded using CSS encoding that wouldn't typically be encoded. It's also useful in countering
//! evasion, which is a combination of a backslash and non-hexadecimal characters. For example,
//! `ja\vascript` for `javascript`." ModSecurity: `t:cssDecode`; its rules, which we follow:
//! * `\` followed by one to six hex digits is one escape; it yields one byte, the low byte of the
//!   value (`\123` → `#`, `\1234` → `4`), except that full-width ASCII U+FF01–U+FF5E (written
//!   with four digits, or five or six with leading zeros) folds to `!`–`~`;
//! * one whitespace byte (C `isspace`) right after a hex escape belongs to it and is dropped
//!   (`\1 A` → 0x01 `A`);
//! * `\` followed by a newline is a line continuation: both are dropped;
//! * `\` followed by any other byte yields that byte (`ja\vascript` → `javascript`);
//! * a trailing `\` is dropped.
//!
//! Output is never longer than the input.

use super::bytes::{copy_until, fold_to_byte, hex_val, is_c_space};
use memchr::memchr;

/// Most hex digits one CSS escape may use.
const MAX_DIGITS: usize = 6;

/// Decodes every CSS escape in `input`.
pub(super) fn decode(input: &[u8], out: &mut Vec<u8>) {
    let backslash = |s: &[u8]| memchr(b'\\', s);
    let mut i = copy_until(input, 0, out, backslash);
    while i < input.len() {
        // input[i] is '\\'.
        let rest = input.get(i + 1..).unwrap_or_default();
        i += 1 + escape(rest, out);
        i = copy_until(input, i, out, backslash);
    }
}

/// Writes the escape whose text after the backslash is `rest`; returns the bytes of `rest` used.
fn escape(rest: &[u8], out: &mut Vec<u8>) -> usize {
    let digits = rest
        .iter()
        .take(MAX_DIGITS)
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    if digits > 0 {
        let value = rest.iter().take(digits).fold(0u32, |acc, &b| {
            (acc << 4) | u32::from(hex_val(b).unwrap_or(0))
        });
        out.push(fold_to_byte(value));
        let space = rest.get(digits).is_some_and(|&b| is_c_space(b));
        return digits + usize::from(space);
    }
    match rest.first() {
        None => 0,
        Some(b'\n') => 1,
        Some(&b) => {
            out.push(b);
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8]) -> Vec<u8> {
        crate::transform::test_util::run(decode, input)
    }

    #[test]
    fn hex_escapes_keep_the_low_byte() {
        assert_eq!(run(br"\41\041\0041\00041\000041"), b"AAAAA");
        assert_eq!(run(br"\a\12\123\1234\12345\123456"), b"\n\x12#4EV");
        assert_eq!(run(br"\1234567"), b"V7");
    }

    #[test]
    fn full_width_folds_only_as_a_16_bit_value() {
        assert_eq!(run(br"\ff01\FF5E\0ff01\00ff01"), b"!~!!");
        assert_eq!(run(br"\1ff01\01ff01\ff5f\ff00"), b"\x01\x01\x5f\x00");
    }

    #[test]
    fn one_whitespace_after_hex_is_dropped() {
        assert_eq!(run(b"\\1 A\\1  A\\1\tA\\1\nA"), b"\x01A\x01 A\x01A\x01A");
        assert_eq!(run(br"\1x\1 x"), b"\x01x\x01x");
    }

    #[test]
    fn other_escapes() {
        assert_eq!(run(br"ja\vascript"), b"javascript");
        assert_eq!(run(b"a\\\nb"), b"ab");
        assert_eq!(run(b"a\\\r\nb"), b"a\r\nb");
        assert_eq!(run(br"\\\"), br"\");
        assert_eq!(run(br"test\"), b"test");
        assert_eq!(run(b"\\\x00 x"), b"\x00 x");
    }
}
