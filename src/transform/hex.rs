//! `HEX_DECODE` and `SQL_HEX_DECODE`.
//!
//! AWS: `HEX_DECODE` "decodes a string of hexadecimal characters into a binary";
//! `SQL_HEX_DECODE` "decodes SQL hex data. For example, (`0x414243`) is decoded to (`ABC`)".
//! ModSecurity: `t:hexDecode`, `t:sqlHexDecode`.
//!
//! `HEX_DECODE` on bytes that are not hex digits is UNCONFIRMED for AWS; ModSecurity's vectors
//! pin it down and we follow them: the input is read as consecutive pairs without validation,
//! each byte of a pair counting as a digit by ModSecurity's arithmetic rule (`0`–`9` as usual,
//! anything at or above `A` as its case-folded distance from `A` plus 10, so `z` counts 35 and
//! `0z` decodes to `#`), all modulo 256; an odd final byte is dropped. The output is therefore
//! exactly half the input, rounded down.
//!
//! `SQL_HEX_DECODE` rewrites every `0x`/`0X` followed by at least two hex digits: the digit pairs
//! become bytes, an odd last digit stays as it was, and everything else is copied. One deliberate
//! difference: ModSecurity copies the byte right after a decoded run without looking at it, so
//! its `0x410x42` leaves the second literal alone; we decode both (`AB`), since a run ending in
//! another literal is still SQL hex. Output is never longer than the input.

use super::bytes::{copy_until, hex_pair};
use memchr::memchr;

/// ModSecurity's unchecked digit value of one byte, modulo 256.
#[inline]
fn lenient_digit(c: u8) -> u8 {
    if c >= b'A' {
        (c & 0xdf).wrapping_sub(b'A').wrapping_add(10)
    } else {
        c.wrapping_sub(b'0')
    }
}

/// `HEX_DECODE`: each pair of bytes to one byte; an odd last byte is dropped.
pub(super) fn decode(input: &[u8], out: &mut Vec<u8>) {
    out.extend(input.chunks_exact(2).map(|p| {
        match *p {
            [hi, lo] => lenient_digit(hi)
                .wrapping_mul(16)
                .wrapping_add(lenient_digit(lo)),
            _ => 0,
        }
    }));
}

/// `SQL_HEX_DECODE`: `0x…` literals to bytes.
pub(super) fn sql_decode(input: &[u8], out: &mut Vec<u8>) {
    let zero = |s: &[u8]| memchr(b'0', s);
    let mut i = copy_until(input, 0, out, zero);
    while i < input.len() {
        // input[i] is '0'.
        let literal = match input.get(i + 1..) {
            Some([b'x' | b'X', digits @ ..]) => Some(digits),
            _ => None,
        };
        let digits = literal.unwrap_or_default();
        let pairs = digits.chunks_exact(2).map_while(|p| match *p {
            [hi, lo] => hex_pair(hi, lo),
            _ => None,
        });
        let before = out.len();
        out.extend(pairs);
        let decoded = out.len() - before;
        if decoded == 0 {
            out.push(b'0');
            i += 1;
        } else {
            i += 2 + 2 * decoded;
        }
        i = copy_until(input, i, out, zero);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(input: &[u8]) -> Vec<u8> {
        crate::transform::test_util::run(decode, input)
    }

    fn sql(input: &[u8]) -> Vec<u8> {
        crate::transform::test_util::run(sql_decode, input)
    }

    #[test]
    fn hex_pairs() {
        assert_eq!(hex(b"5465737443617365"), b"TestCase");
        assert_eq!(hex(b"00fFFf"), b"\x00\xff\xff");
        assert_eq!(hex(b"414"), b"A");
        assert_eq!(hex(b"a"), b"");
        assert_eq!(hex(b""), b"");
    }

    #[test]
    fn hex_non_digits_follow_modsecurity_arithmetic() {
        assert_eq!(hex(b"0z"), b"#");
        assert_eq!(hex(b"zz"), [35u8.wrapping_mul(16).wrapping_add(35)]);
        // Below '0' the subtraction wraps: ' ' is 0x20 - 0x30 = 0xf0.
        assert_eq!(hex(b"0 "), [0xf0]);
        assert_eq!(hex(b"\xff\xff"), [lenient_digit(0xff).wrapping_mul(17)]);
    }

    #[test]
    fn sql_literals() {
        assert_eq!(sql(b"0x414243"), b"ABC");
        assert_eq!(sql(b"SELECT 0X41 FROM t"), b"SELECT A FROM t");
        assert_eq!(sql(b"0x4142z"), b"ABz");
        assert_eq!(sql(b"0x414"), b"A4");
        assert_eq!(sql(b"0x410x42"), b"AB");
        assert_eq!(sql(b"100x41"), b"10A");
    }

    #[test]
    fn sql_non_literals_are_copied() {
        for s in [
            &b"0"[..],
            b"0x",
            b"0x4",
            b"0xg1",
            b"00",
            b"x41",
            b"0y41",
            b"10",
        ] {
            assert_eq!(sql(s), s, "{:?}", String::from_utf8_lossy(s));
        }
        assert_eq!(sql(b"00x41"), b"0A");
    }
}
