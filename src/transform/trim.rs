//! `TRIM`, `TRIM_LEFT`, `TRIM_RIGHT`.
//!
//! 2026 AWS additions without published prose; UNCONFIRMED, so they mirror ModSecurity
//! `t:trim`, `t:trimLeft`, `t:trimRight`, which strip C `isspace` bytes (space, `\t \n \v \f \r`)
//! from the ends. NBSP is *not* stripped (ModSecurity's `isspace` excludes it), unlike
//! `COMPRESS_WHITE_SPACE`. Output is a sub-slice of the input.

use super::bytes::is_c_space;

fn left(input: &[u8]) -> &[u8] {
    let start = input
        .iter()
        .position(|&b| !is_c_space(b))
        .unwrap_or(input.len());
    input.get(start..).unwrap_or_default()
}

fn right(input: &[u8]) -> &[u8] {
    let end = input
        .iter()
        .rposition(|&b| !is_c_space(b))
        .map_or(0, |p| p + 1);
    input.get(..end).unwrap_or_default()
}

/// Strips leading and trailing whitespace.
pub(super) fn trim(input: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(left(right(input)));
}

/// Strips leading whitespace.
pub(super) fn trim_left(input: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(left(input));
}

/// Strips trailing whitespace.
pub(super) fn trim_right(input: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(right(input));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::run;

    #[test]
    fn ends_only() {
        assert_eq!(run(trim, b" \t\r\n\x0b\x0c a b \t"), b"a b");
        assert_eq!(run(trim_left, b"  a b  "), b"a b  ");
        assert_eq!(run(trim_right, b"  a b  "), b"  a b");
    }

    #[test]
    fn all_whitespace_and_empty() {
        for f in [trim, trim_left, trim_right] {
            assert_eq!(run(f, b" \t\n "), b"");
            assert_eq!(run(f, b""), b"");
        }
    }

    #[test]
    fn nbsp_and_nul_are_kept() {
        assert_eq!(run(trim, b"\xa0a\xa0"), b"\xa0a\xa0");
        assert_eq!(run(trim, b"\x00a\x00"), b"\x00a\x00");
    }
}
