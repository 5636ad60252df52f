//! `ESCAPE_SEQ_DECODE`: ANSI C escape sequences.
//!
//! AWS: "decodes the following ANSI C escape sequences: `\a, \b, \f, \n, \r, \t, \v, \\, \?, \',
//! \", \xHH (hexadecimal), \0OOO (octal)`. Encodings that aren't valid remain in the output."
//! ModSecurity: `t:escapeSeqDecode`, whose reference manual carries the same sentence; its vectors
//! show what "remain" means, and we follow them:
//! * `\xHH` (or `\XHH`) needs two hex digits;
//! * octal takes one to three digits `0`–`7` after the backslash (`\1`, `\12`, `\123`, and
//!   `\0123` is `\012` followed by `3`); values above 0o377 keep their low byte (`\666` → 0xB6);
//! * an unrecognised or incomplete escape loses only its backslash: `\8` → `8`, `\x` → `x`,
//!   `\xag` → `xag` (the characters after the backslash are what "remain");
//! * a backslash at the very end is kept.
//!
//! Output is never longer than the input.

use super::bytes::{copy_until, hex_pair};
use memchr::memchr;

/// Decodes every escape sequence in `input`.
pub(super) fn decode(input: &[u8], out: &mut Vec<u8>) {
    let backslash = |s: &[u8]| memchr(b'\\', s);
    let mut i = copy_until(input, 0, out, backslash);
    while i < input.len() {
        // input[i] is '\\'.
        let rest = input.get(i + 1..).unwrap_or_default();
        let (byte, used) = escape(rest);
        out.push(byte);
        i += 1 + used;
        i = copy_until(input, i, out, backslash);
    }
}

/// The byte written for the escape whose text after the backslash is `rest`, and how many bytes
/// of `rest` it consumes. An empty `rest` (trailing backslash) writes the backslash itself.
fn escape(rest: &[u8]) -> (u8, usize) {
    match rest {
        [] => (b'\\', 0),
        [b'a', ..] => (0x07, 1),
        [b'b', ..] => (0x08, 1),
        [b'f', ..] => (0x0c, 1),
        [b'n', ..] => (b'\n', 1),
        [b'r', ..] => (b'\r', 1),
        [b't', ..] => (b'\t', 1),
        [b'v', ..] => (0x0b, 1),
        [c @ (b'\\' | b'?' | b'\'' | b'"'), ..] => (*c, 1),
        [b'x' | b'X', hi, lo, ..] if hex_pair(*hi, *lo).is_some() => {
            (hex_pair(*hi, *lo).unwrap_or_default(), 3)
        }
        [b'0'..=b'7', ..] => {
            let n = rest
                .iter()
                .take(3)
                .take_while(|b| matches!(b, b'0'..=b'7'))
                .count();
            let value = rest
                .iter()
                .take(n)
                .fold(0u32, |acc, &d| (acc << 3) | u32::from(d - b'0'));
            ((value & 0xff) as u8, n)
        }
        // Unknown or incomplete: drop the backslash, keep the character.
        [c, ..] => (*c, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8]) -> Vec<u8> {
        crate::transform::test_util::run(decode, input)
    }

    #[test]
    fn simple_escapes() {
        assert_eq!(
            run(br#"\a\b\f\n\r\t\v\\\?\'\""#),
            b"\x07\x08\x0c\n\r\t\x0b\\?'\""
        );
    }

    #[test]
    fn hex_and_octal() {
        assert_eq!(run(br"\x41\X42\x4a"), b"ABJ");
        assert_eq!(run(br"\0\01\012\0123\101"), b"\x00\x01\n\n3A");
        assert_eq!(run(br"\666\777\4"), b"\xb6\xff\x04");
    }

    #[test]
    fn invalid_escapes_lose_only_the_backslash() {
        assert_eq!(run(br"\8\9\z"), b"89z");
        assert_eq!(run(br"\x"), b"x");
        assert_eq!(run(br"\x4"), b"x4");
        assert_eq!(run(br"\xag"), b"xag");
        assert_eq!(run(b"\\\x00"), b"\x00");
    }

    #[test]
    fn trailing_backslash_is_kept() {
        assert_eq!(run(br"\"), br"\");
        assert_eq!(run(br"ab\"), br"ab\");
        assert_eq!(run(br"\\\"), br"\\");
    }
}
