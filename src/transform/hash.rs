//! `MD5` and `SHA256`: raw digests.
//!
//! AWS: `MD5` "calculates an MD5 hash from the data in the input. The computed hash is in a raw
//! binary form." ModSecurity: `t:md5`. `SHA256` is a 2026 addition without published prose; we
//! presume the same raw binary form (UNCONFIRMED), the 32-byte digest, as ModSecurity's `t:sha1`
//! is raw too. Output length is fixed: 16 and 32 bytes, whatever the input length, including
//! the empty input.

use md5::{Digest as _, Md5};
use sha2::Sha256;

/// Length of an MD5 digest.
pub(super) const MD5_LEN: usize = 16;
/// Length of a SHA-256 digest.
pub(super) const SHA256_LEN: usize = 32;

/// The raw MD5 digest of `input`.
pub(super) fn md5(input: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&Md5::digest(input));
}

/// The raw SHA-256 digest of `input`.
pub(super) fn sha256(input: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&Sha256::digest(input));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn known_digests() {
        let mut out = Vec::new();
        md5(b"", &mut out);
        assert_eq!(hex(&out), "d41d8cd98f00b204e9800998ecf8427e");
        out.clear();
        md5(b"The quick brown fox jumps over the lazy dog", &mut out);
        assert_eq!(hex(&out), "9e107d9d372bb6826bd81d3542a419d6");
        out.clear();
        sha256(b"", &mut out);
        assert_eq!(
            hex(&out),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        out.clear();
        sha256(b"abc", &mut out);
        assert_eq!(
            hex(&out),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(out.len(), SHA256_LEN);
    }
}
