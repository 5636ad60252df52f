//! Short byte strings read as one machine word, for comparisons and hashes that avoid a
//! byte loop or a `memcmp` call.

/// The first eight bytes of `w` as a little-endian word, zero past a shorter slice's end, built
/// from at most two (overlapping) loads. Together with the length it fixes a slice of up to eight
/// bytes.
#[inline(always)]
pub(crate) fn load_upto8(w: &[u8]) -> u64 {
    let len = w.len();
    if let Some(chunk) = w.first_chunk::<8>() {
        return u64::from_le_bytes(*chunk);
    }
    if len >= 4 {
        let lo = w.first_chunk::<4>().map_or(0, |c| u32::from_le_bytes(*c));
        let hi = w.last_chunk::<4>().map_or(0, |c| u32::from_le_bytes(*c));
        // The overlapping bytes are the same bytes at the same places.
        u64::from(lo) | u64::from(hi) << (8 * (len - 4))
    } else {
        let at = |i: usize| u64::from(w.get(i).copied().unwrap_or(0)) << (8 * i);
        if len == 0 {
            0
        } else {
            at(0) | at(len / 2) | at(len - 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_agree_with_the_bytes_zero_padded() {
        let text = b"abcdefghijklmnopq";
        for len in 0..=text.len() {
            let word = &text[..len];
            let mut padded = [0u8; 8];
            let n = len.min(8);
            padded[..n].copy_from_slice(&word[..n]);
            assert_eq!(load_upto8(word), u64::from_le_bytes(padded), "{len}");
        }
    }
}
