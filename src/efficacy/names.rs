//! The "random" names GoTestWAF gives parameters, headers and multipart boundaries, made
//! reproducible: the same case number always gets the same names, so two runs of a corpus give the
//! same report.

/// Bytes in a GoTestWAF parameter/header name (`RandomHex(5)`: 10 hex digits).
pub const NAME_BYTES: usize = 5;
/// Bytes in a multipart boundary (Go's `multipart.Writer`: 30 random bytes, 60 hex digits).
pub const BOUNDARY_BYTES: usize = 30;

/// A deterministic stream of hex strings for one test case.
pub struct Names {
    state: u64,
}

impl Names {
    pub fn for_case(seq: u64) -> Names {
        Names {
            state: seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x005E_ED0F_E1F1_CAC1,
        }
    }

    /// `bytes` pseudo-random bytes as lower-case hex.
    pub fn hex(&mut self, bytes: usize) -> String {
        let mut out = String::with_capacity(bytes * 2);
        for _ in 0..bytes {
            let b = (self.next() >> 56) as u8;
            out.push_str(&format!("{b:02x}"));
        }
        out
    }

    /// splitmix64.
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_reproducible_hex_of_the_asked_length() {
        let a = Names::for_case(7).hex(NAME_BYTES);
        assert_eq!(a, Names::for_case(7).hex(NAME_BYTES));
        assert_ne!(a, Names::for_case(8).hex(NAME_BYTES));
        assert_eq!(a.len(), 10);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(Names::for_case(0).hex(BOUNDARY_BYTES).len(), 60);
    }
}
