//! `LOWERCASE` and `UPPERCASE`: ASCII case folding.
//!
//! AWS: `LOWERCASE` "converts uppercase letters (A-Z) to lowercase (a-z)"; `UPPERCASE` is a 2026
//! addition without published prose, taken as the mirror image. ModSecurity: `t:lowercase` and
//! `t:uppercase`. Only the 26 ASCII letters change; bytes 0x80–0xFF are left alone (no locale,
//! no UTF-8 case mapping), as in ModSecurity. Output length equals input length.

/// ASCII `A`–`Z` to `a`–`z`; every other byte unchanged.
pub(super) fn lowercase(input: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(input);
    out.make_ascii_lowercase();
}

/// ASCII `a`–`z` to `A`–`Z`; every other byte unchanged.
pub(super) fn uppercase(input: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(input);
    out.make_ascii_uppercase();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::run;

    #[test]
    fn ascii_only() {
        assert_eq!(run(lowercase, b"SeLeCt\x00\xc4\xd6"), b"select\x00\xc4\xd6");
        assert_eq!(run(uppercase, b"SeLeCt\x00\xe4\xf6"), b"SELECT\x00\xe4\xf6");
        assert_eq!(run(lowercase, b"@[`{"), b"@[`{");
        assert_eq!(run(uppercase, b"@[`{"), b"@[`{");
    }
}
