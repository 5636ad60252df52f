//! `UTF8_TO_UNICODE`: UTF-8 sequences to `%uHHHH` escapes.
//!
//! AWS: "converts all UTF-8 character sequences to Unicode. This helps input normalization, and
//! minimizes false-positives and false-negatives for non-English languages." AWS does not show
//! the output form (UNCONFIRMED); ModSecurity `t:utf8toUnicode` writes `%u` followed by the code
//! point in lowercase hex, zero-padded to four digits (`é` → `%u00e9`, `😀` → `%u1f600`), and
//! its vectors pin that down, so we write the same.
//!
//! Deliberate differences from ModSecurity, where its output is accidental:
//! * a sequence with the right shape but an over-long encoding or a surrogate value is still
//!   converted to its value (`C0 AF` → `%u002f`, the classic `/` evasion); ModSecurity converts
//!   it too but then also appends the raw lead byte;
//! * a lead byte whose continuation bytes are missing or wrong, a stray continuation byte, and
//!   the bytes F5–FF are copied unchanged; ModSecurity silently drops the lead byte in the first
//!   case, losing data.
//!
//! ASCII bytes (including NUL) are copied. Output is at most three times the input: a two-byte
//! sequence becomes six bytes, and longer sequences expand less.

/// Worst-case output bytes per input byte (a two-byte sequence becomes `%uHHHH`).
pub(super) const EXPANSION: usize = 3;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Converts every UTF-8 multi-byte sequence in `input` to `%u` + hex code point.
pub(super) fn utf8_to_unicode(input: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(rest) = input.get(i..) {
        // Copy the ASCII run in bulk: find the next byte with the high bit set.
        let ascii = rest.iter().position(|&b| b >= 0x80).unwrap_or(rest.len());
        out.extend_from_slice(rest.get(..ascii).unwrap_or(rest));
        i += ascii;
        let Some(seq) = input.get(i..).filter(|s| !s.is_empty()) else {
            break;
        };
        match decode_one(seq) {
            Some((code, len)) => {
                push_escape(code, out);
                i += len;
            }
            None => {
                out.extend_from_slice(seq.get(..1).unwrap_or_default());
                i += 1;
            }
        }
    }
}

/// The code point and length of the UTF-8 sequence starting `seq`, judged by shape only (lead
/// byte C0–F4 and the right number of continuation bytes); `None` if it is not one.
fn decode_one(seq: &[u8]) -> Option<(u32, usize)> {
    let lead = *seq.first()?;
    let (len, bits) = match lead {
        0xc0..=0xdf => (2, u32::from(lead & 0x1f)),
        0xe0..=0xef => (3, u32::from(lead & 0x0f)),
        0xf0..=0xf4 => (4, u32::from(lead & 0x07)),
        _ => return None,
    };
    let tail = seq.get(1..len)?;
    if !tail.iter().all(|&b| b & 0xc0 == 0x80) {
        return None;
    }
    let code = tail
        .iter()
        .fold(bits, |acc, &b| (acc << 6) | u32::from(b & 0x3f));
    Some((code, len))
}

/// Writes `%u` and `code` in lowercase hex, at least four digits.
fn push_escape(code: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(b"%u");
    let digits = (8 - code.leading_zeros() as usize / 4).max(4);
    for k in (0..digits).rev() {
        let nibble = ((code >> (4 * k)) & 0xf) as usize;
        out.push(HEX.get(nibble).copied().unwrap_or(b'0'));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8]) -> Vec<u8> {
        crate::transform::test_util::run(utf8_to_unicode, input)
    }

    #[test]
    fn converts_each_length() {
        assert_eq!(run("aé中😀".as_bytes()), b"a%u00e9%u4e2d%u1f600");
        assert_eq!(run("\u{10ffff}".as_bytes()), b"%u10ffff");
        assert_eq!(
            run("\u{80}\u{7ff}\u{800}".as_bytes()),
            b"%u0080%u07ff%u0800"
        );
        assert_eq!(run(b"\x00a\x7f"), b"\x00a\x7f");
    }

    #[test]
    fn overlong_and_surrogates_by_value() {
        assert_eq!(run(b"\xc0\xaf"), b"%u002f");
        assert_eq!(run(b"\xe0\x80\xaf"), b"%u002f");
        assert_eq!(run(b"\xed\xa0\x80"), b"%ud800");
    }

    #[test]
    fn invalid_bytes_are_copied() {
        assert_eq!(run(b"\x80\xbf\xf5\xff"), b"\x80\xbf\xf5\xff");
        assert_eq!(run(b"\xc3"), b"\xc3");
        assert_eq!(run(b"\xc3A"), b"\xc3A");
        assert_eq!(run(b"\xe4\xb8"), b"\xe4\xb8");
        assert_eq!(run(b"\xe4\xb8\xe4\xb8\xad"), b"\xe4\xb8%u4e2d");
    }

    #[test]
    fn expansion_bound_is_tight() {
        let input = "é".repeat(10);
        assert_eq!(run(input.as_bytes()).len(), EXPANSION * input.len());
    }
}
