//! `JS_DECODE` and `JS_DECODE_EXT`: JavaScript string escapes.
//!
//! AWS (`JS_DECODE`): "decodes JavaScript escape sequences. If a `\uHHHH` code is in the
//! full-width ASCII code range of `FF01-FF5E`, then the higher byte is used to detect and adjust
//! the lower byte. If not, only the lower byte is used and the higher byte is zeroed, causing a
//! possible loss of information." ModSecurity: `t:jsDecode`; its vectors fix the rest:
//! * `\uHHHH` (lowercase `u`, exactly four hex digits) and `\xHH` (lowercase `x`, two digits)
//!   yield one byte each;
//! * `\OOO` octal takes one to three digits but never more than one byte: a three-digit escape
//!   whose first digit is above `3` uses only two (`\777` → `?7`);
//! * `\a \b \f \n \r \t \v` are control characters; any other escaped byte is itself (`\'`,
//!   `\\`, and also an incomplete `\u12` → `u12`, `\x` → `x`);
//! * a trailing backslash is kept.
//!
//! `JS_DECODE_EXT` is a 2026 addition whose semantics AWS has not published (UNCONFIRMED;
//! ModSecurity has none). Our reading of "extended": decode as a JavaScript engine reads a string
//! literal, without `JS_DECODE`'s loss of the high byte. Everything above holds, except that:
//! * escapes denote code points, written as UTF-8 (`\u00e9` and `\xe9` → `é` as C3 A9, `\u4e2d`
//!   → E4 B8 AD); full-width ASCII still folds to ASCII, as in `JS_DECODE`;
//! * ES2015 `\u{H…}` code point escapes (any number of hex digits, value at most U+10FFFF) are
//!   decoded, and a `\uHHHH\uHHHH` surrogate pair becomes one code point; a lone surrogate
//!   becomes U+FFFD;
//! * a backslash before a line terminator (LF, CR, or CR LF) is a line continuation and is
//!   removed together with it.
//!
//! Both only shrink their input: every escape is at least two bytes and writes at most as many
//! bytes as it spans.

use super::bytes::{copy_until, fold_to_byte, hex_pair, hex_val, hex_value};
use memchr::memchr;

/// The highest Unicode code point.
const MAX_CODE_POINT: u32 = 0x10ffff;

/// `JS_DECODE`: each escape to one byte.
pub(super) fn decode(input: &[u8], out: &mut Vec<u8>) {
    run(input, out, false);
}

/// `JS_DECODE_EXT`: each escape to the UTF-8 of its code point.
pub(super) fn decode_ext(input: &[u8], out: &mut Vec<u8>) {
    run(input, out, true);
}

fn run(input: &[u8], out: &mut Vec<u8>, ext: bool) {
    let backslash = |s: &[u8]| memchr(b'\\', s);
    let mut i = copy_until(input, 0, out, backslash);
    while i < input.len() {
        // input[i] is '\\'.
        let rest = input.get(i + 1..).unwrap_or_default();
        let used = if ext {
            escape_ext(rest, out)
        } else {
            escape(rest, out)
        };
        i += 1 + used;
        i = copy_until(input, i, out, backslash);
    }
}

/// The byte a single-character escape stands for: the C control escapes, else the byte itself.
#[inline]
fn single(c: u8) -> u8 {
    match c {
        b'a' => 0x07,
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'v' => 0x0b,
        other => other,
    }
}

/// Length and value of a JavaScript octal escape at the start of `rest` (which must start with an
/// octal digit): up to three digits, but only two when three would exceed one byte.
fn octal(rest: &[u8]) -> (u32, usize) {
    let mut n = rest
        .iter()
        .take(3)
        .take_while(|b| matches!(b, b'0'..=b'7'))
        .count();
    if n == 3 && rest.first().is_some_and(|&b| b > b'3') {
        n = 2;
    }
    let value = rest.iter().take(n).fold(0u32, |acc, &d| {
        (acc << 3) | u32::from(d.wrapping_sub(b'0') & 7)
    });
    (value, n)
}

/// `\uHHHH` at the start of `rest` (after the backslash): the code unit, if well formed.
#[inline]
fn unicode_unit(rest: &[u8]) -> Option<u32> {
    match rest {
        [b'u', digits @ ..] => hex_value(digits.get(..4)?),
        _ => None,
    }
}

/// `JS_DECODE` escape: writes one byte (or a trailing backslash); returns bytes of `rest` used.
fn escape(rest: &[u8], out: &mut Vec<u8>) -> usize {
    if let Some(unit) = unicode_unit(rest) {
        out.push(fold_to_byte(unit));
        return 5;
    }
    match rest {
        [] => {
            out.push(b'\\');
            0
        }
        [b'x', hi, lo, ..] if hex_pair(*hi, *lo).is_some() => {
            out.push(hex_pair(*hi, *lo).unwrap_or_default());
            3
        }
        [b'0'..=b'7', ..] => {
            let (value, n) = octal(rest);
            out.push((value & 0xff) as u8);
            n
        }
        [c, ..] => {
            out.push(single(*c));
            1
        }
    }
}

/// `JS_DECODE_EXT` escape: writes the code point as UTF-8; returns bytes of `rest` used.
fn escape_ext(rest: &[u8], out: &mut Vec<u8>) -> usize {
    if let Some(unit) = unicode_unit(rest) {
        if (0xd800..0xdc00).contains(&unit) {
            let low = rest.get(5..).and_then(|r| match r {
                [b'\\', tail @ ..] => unicode_unit(tail),
                _ => None,
            });
            if let Some(low) = low.filter(|l| (0xdc00..0xe000).contains(l)) {
                let code = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
                push_code_point(code, out);
                return 11;
            }
        }
        push_code_point(unit, out);
        return 5;
    }
    if let [b'u', b'{', tail @ ..] = rest {
        let n = tail.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        if n > 0 && tail.get(n) == Some(&b'}') {
            let code = tail.iter().take(n).fold(0u32, |acc, &b| {
                acc.saturating_mul(16)
                    .saturating_add(u32::from(hex_val(b).unwrap_or(0)))
            });
            if code <= MAX_CODE_POINT {
                push_code_point(code, out);
                return 2 + n + 1;
            }
        }
    }
    match rest {
        [] => {
            out.push(b'\\');
            0
        }
        [b'x', hi, lo, ..] if hex_pair(*hi, *lo).is_some() => {
            push_code_point(u32::from(hex_pair(*hi, *lo).unwrap_or_default()), out);
            3
        }
        [b'0'..=b'7', ..] => {
            let (value, n) = octal(rest);
            push_code_point(value, out);
            n
        }
        [b'\r', b'\n', ..] => 2,
        [b'\r' | b'\n', ..] => 1,
        [c, ..] => {
            out.push(single(*c));
            1
        }
    }
}

/// Writes `code` as `JS_DECODE_EXT` does: full-width ASCII folded, lone surrogates as U+FFFD,
/// everything else as UTF-8.
fn push_code_point(code: u32, out: &mut Vec<u8>) {
    if (0xff01..=0xff5e).contains(&code) {
        out.push(fold_to_byte(code));
        return;
    }
    let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(input: &[u8]) -> Vec<u8> {
        crate::transform::test_util::run(decode, input)
    }

    fn ext(input: &[u8]) -> Vec<u8> {
        crate::transform::test_util::run(decode_ext, input)
    }

    #[test]
    fn js_escapes() {
        assert_eq!(js(br"\u0041\x42\103"), b"ABC");
        assert_eq!(js(br"\uff01\uFF5E\u4e2d\u00e9"), b"!~\x2d\xe9");
        assert_eq!(
            js(br#"\a\b\f\n\r\t\v\'\"\\\/"#),
            b"\x07\x08\x0c\n\r\t\x0b'\"\\/"
        );
        assert_eq!(js(br"\0\12\123\377\400\777"), b"\x00\n\x53\xff\x200\x3f7");
    }

    #[test]
    fn js_incomplete_escapes_lose_the_backslash() {
        assert_eq!(js(br"\u\u0\u01\u012"), b"uu0u01u012");
        assert_eq!(js(br"\x\x0\xg0"), b"xx0xg0");
        assert_eq!(js(br"\U0041\X41"), b"U0041X41");
        assert_eq!(js(br"\u{41}"), b"u{41}");
        assert_eq!(js(br"\"), br"\");
        assert_eq!(js(br"\\0"), br"\0");
    }

    #[test]
    fn ext_writes_utf8() {
        assert_eq!(ext(br"\u00e9\xe9\351"), "ééé".as_bytes());
        assert_eq!(ext(br"\u4e2d\u{4E2D}"), "中中".as_bytes());
        assert_eq!(ext(br"\u{1F600}\ud83d\ude00"), "😀😀".as_bytes());
        assert_eq!(ext(br"\u{000000041}\u{0}"), b"A\x00");
        assert_eq!(ext(br"\uff01\u{ff5e}"), b"!~");
    }

    #[test]
    fn ext_invalid_forms() {
        assert_eq!(ext(br"\ud83d"), "\u{fffd}".as_bytes());
        assert_eq!(ext(br"\ude00\ud83dx"), "\u{fffd}\u{fffd}x".as_bytes());
        assert_eq!(ext(br"\u{110000}"), b"u{110000}");
        assert_eq!(ext(br"\u{}\u{41"), b"u{}u{41");
        assert_eq!(ext(br"\"), br"\");
    }

    #[test]
    fn ext_line_continuations() {
        assert_eq!(ext(b"a\\\nb\\\r\nc\\\rd"), b"abcd");
    }

    #[test]
    fn ext_never_grows() {
        for s in [
            &br"\xff"[..],
            br"\377",
            br"\u{80}",
            br"\u{800}",
            br"\u{10000}",
            br"\uffff",
            br"\ud800",
            br"\ud800\udc00",
        ] {
            assert!(ext(s).len() <= s.len(), "{:?}", String::from_utf8_lossy(s));
        }
    }
}
