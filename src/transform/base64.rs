//! `BASE64_DECODE` and `BASE64_DECODE_EXT`.
//!
//! AWS: `BASE64_DECODE` "decodes a Base64-encoded string"; `BASE64_DECODE_EXT` "decodes a
//! Base64-encoded string, but uses a forgiving implementation that ignores characters that aren't
//! valid". ModSecurity: `t:base64Decode`, `t:base64DecodeExt`.
//!
//! Neither AWS nor ModSecurity's vectors say what the strict decoder does with bad input
//! (UNCONFIRMED). ModSecurity v3 hands the text up to the first NUL to mbedtls and yields nothing
//! at all when mbedtls rejects it; v2 decoded the leading run of valid characters. We take v2's
//! rule, which never throws the whole value away and satisfies every v3 vector:
//! * `BASE64_DECODE` decodes the leading run of standard-alphabet characters (`A-Z a-z 0-9 + /`)
//!   and stops at the first other byte, padding `=` included; a trailing partial group yields
//!   its whole bytes (`QUI` → `AB`) and a lone trailing character yields nothing.
//! * `BASE64_DECODE_EXT` skips every byte outside the alphabet (whitespace, `=`, `.` …) and also
//!   accepts the URL-safe `-` and `_`, as ModSecurity's forgiving decoder does. ModSecurity
//!   discards the *whole* output when a lone `=` follows a group's first character; we do not
//!   (that quirk would hand attackers an off switch), we just decode what is there.
//!
//! Output is at most three quarters of the input.

/// Marks a byte outside the alphabet.
const INVALID: u8 = 0xff;

/// The standard alphabet (RFC 4648 §4) to sextets.
const STANDARD: [u8; 256] = table(false);
/// The standard alphabet plus the URL-safe `-` and `_` (RFC 4648 §5) to sextets.
const EXTENDED: [u8; 256] = table(true);

const fn table(url_safe: bool) -> [u8; 256] {
    let mut t = [INVALID; 256];
    let mut i = 0u8;
    while i < 26 {
        t[(b'A' + i) as usize] = i;
        t[(b'a' + i) as usize] = 26 + i;
        i += 1;
    }
    let mut d = 0u8;
    while d < 10 {
        t[(b'0' + d) as usize] = 52 + d;
        d += 1;
    }
    t[b'+' as usize] = 62;
    t[b'/' as usize] = 63;
    if url_safe {
        t[b'-' as usize] = 62;
        t[b'_' as usize] = 63;
    }
    t
}

/// Accumulates sextets and writes each completed byte.
struct Sextets {
    bits: u32,
    count: u32,
}

impl Sextets {
    const fn new() -> Self {
        Sextets { bits: 0, count: 0 }
    }

    #[inline]
    fn push(&mut self, sextet: u8, out: &mut Vec<u8>) {
        self.bits = (self.bits << 6) | u32::from(sextet);
        self.count += 6;
        if self.count >= 8 {
            self.count -= 8;
            out.push((self.bits >> self.count) as u8);
            self.bits &= (1 << self.count) - 1;
        }
    }
}

/// `BASE64_DECODE`: decodes the leading run of base64 characters.
pub(super) fn decode(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len() / 4 * 3 + 2);
    let mut acc = Sextets::new();
    for &b in input {
        let sextet = STANDARD[usize::from(b)];
        if sextet == INVALID {
            break;
        }
        acc.push(sextet, out);
    }
}

/// `BASE64_DECODE_EXT`: decodes every base64 character, skipping all other bytes.
pub(super) fn decode_ext(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len() / 4 * 3 + 2);
    let mut acc = Sextets::new();
    for &b in input {
        let sextet = EXTENDED[usize::from(b)];
        if sextet != INVALID {
            acc.push(sextet, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn strict(input: &[u8]) -> Vec<u8> {
        crate::transform::test_util::run(decode, input)
    }

    fn ext(input: &[u8]) -> Vec<u8> {
        crate::transform::test_util::run(decode_ext, input)
    }

    #[test]
    fn agrees_with_a_reference_encoder() {
        let engine = base64::engine::general_purpose::STANDARD;
        let mut data = Vec::new();
        for n in 0..=64u8 {
            let encoded = engine.encode(&data);
            assert_eq!(strict(encoded.as_bytes()), data, "n={n}");
            assert_eq!(ext(encoded.as_bytes()), data, "n={n}");
            let unpadded = encoded.trim_end_matches('=');
            assert_eq!(strict(unpadded.as_bytes()), data, "n={n}");
            data.push(n.wrapping_mul(37).wrapping_add(250));
        }
    }

    #[test]
    fn strict_stops_at_first_invalid_byte() {
        assert_eq!(strict(b"VGVzdENhc2U=\x00VGVzdENhc2U="), b"TestCase");
        assert_eq!(strict(b"QUJD RA=="), b"ABC");
        assert_eq!(strict(b"QUJD-RA"), b"ABC");
        assert_eq!(strict(b" QUJD"), b"");
        assert_eq!(strict(b"QUI"), b"AB");
        assert_eq!(strict(b"QUJDR"), b"ABC");
        assert_eq!(strict(b""), b"");
    }

    #[test]
    fn ext_skips_invalid_bytes_and_accepts_url_safe() {
        assert_eq!(
            ext(b"P.HNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
            b"<script>alert(1)</script>"
        );
        assert_eq!(ext(b"QU JD\r\nRA=="), b"ABCD");
        assert_eq!(ext(b"-_-_"), [0xfb, 0xff, 0xbf]);
        assert_eq!(ext(b"Q=UJD"), b"ABC");
        assert_eq!(ext(b"==="), b"");
    }
}
