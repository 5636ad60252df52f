//! Byte-level helpers shared by the decoders: hex digits, C's `isspace`, and the "low byte,
//! fold full-width ASCII" rule AWS documents for `%uHHHH` and `\uHHHH`.
//!
//! Nothing here allocates or panics; every function is total over `u8`/`u32`.

/// The value of an ASCII hex digit (`0-9a-fA-F`), or `None`.
#[inline]
pub(super) fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The byte written by two hex digits, or `None` unless both are hex digits.
#[inline]
pub(super) fn hex_pair(hi: u8, lo: u8) -> Option<u8> {
    Some((hex_val(hi)? << 4) | hex_val(lo)?)
}

/// The value of `digits` read as hexadecimal, or `None` when any byte is not a hex digit.
/// Callers pass at most 8 digits, so the value fits in a `u32`.
#[inline]
pub(super) fn hex_value(digits: &[u8]) -> Option<u32> {
    digits
        .iter()
        .try_fold(0u32, |acc, &b| Some((acc << 4) | u32::from(hex_val(b)?)))
}

/// C's `isspace` in the "C" locale: space, `\t`, `\n`, `\v`, `\f`, `\r`. ModSecurity uses it for
/// trimming and for the optional space after a CSS escape.
#[inline]
pub(super) fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The non-breaking space in Latin-1, which AWS's whitespace transformations treat as whitespace.
pub(super) const NBSP: u8 = 0xa0;

/// One byte for a Unicode code unit, as AWS documents for `URL_DECODE_UNI` and `JS_DECODE`:
/// full-width ASCII U+FF01–U+FF5E folds to ASCII `!`–`~`; anything else keeps only its low byte
/// ("the higher byte is zeroed, causing a possible loss of information").
#[inline]
pub(super) fn fold_to_byte(code: u32) -> u8 {
    if (0xff01..=0xff5e).contains(&code) {
        (code - 0xfee0) as u8
    } else {
        (code & 0xff) as u8
    }
}

/// Writes `input[from..]` up to (not including) the first position `find` reports and returns
/// that position as an index into `input`, or `input.len()` when `find` reports none. Callers
/// pass a `memchr` search, so "nothing to decode" costs one vectorised scan and one copy.
#[inline]
pub(super) fn copy_until(
    input: &[u8],
    from: usize,
    out: &mut Vec<u8>,
    find: impl Fn(&[u8]) -> Option<usize>,
) -> usize {
    let Some(rest) = input.get(from..) else {
        return input.len();
    };
    match find(rest) {
        Some(p) => {
            out.extend_from_slice(rest.get(..p).unwrap_or(rest));
            from + p
        }
        None => {
            out.extend_from_slice(rest);
            input.len()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digits() {
        assert_eq!(hex_val(b'0'), Some(0));
        assert_eq!(hex_val(b'f'), Some(15));
        assert_eq!(hex_val(b'F'), Some(15));
        assert_eq!(hex_val(b'g'), None);
        assert_eq!(hex_val(b'/'), None);
        assert_eq!(hex_pair(b'4', b'1'), Some(b'A'));
        assert_eq!(hex_pair(b'4', b'g'), None);
        assert_eq!(hex_value(b"10FFFF"), Some(0x10ffff));
        assert_eq!(hex_value(b"1x"), None);
        assert_eq!(hex_value(b""), Some(0));
    }

    #[test]
    fn folding() {
        assert_eq!(fold_to_byte(0xff01), b'!');
        assert_eq!(fold_to_byte(0xff5e), b'~');
        assert_eq!(fold_to_byte(0xff00), 0x00);
        assert_eq!(fold_to_byte(0xff5f), 0x5f);
        assert_eq!(fold_to_byte(0x1141), 0x41);
        assert_eq!(fold_to_byte(0x1ff01), 0x01);
    }

    #[test]
    fn copy_until_stops_at_special() {
        let mut out = Vec::new();
        let pct = |s: &[u8]| memchr::memchr(b'%', s);
        assert_eq!(copy_until(b"ab%cd", 0, &mut out, pct), 2);
        assert_eq!(out, b"ab");
        out.clear();
        assert_eq!(copy_until(b"ab%cd", 3, &mut out, pct), 5);
        assert_eq!(out, b"cd");
        out.clear();
        assert_eq!(copy_until(b"ab", 7, &mut out, pct), 2);
        assert!(out.is_empty());
    }
}
