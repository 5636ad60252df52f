//! libinjection's word table (keywords, functions, operators, types) and its fingerprint list,
//! as case-insensitive lookups that do not allocate.
//!
//! Owns the question "what is this word to libinjection?" ([`lookup`]) and "is this fingerprint
//! listed?" ([`is_listed`]). The data is the `libinjectionrs` crate's own table
//! (`SQL_KEYWORDS`, sorted, upper case; fingerprints are the entries of type `F`, written with a
//! leading `0`), read once into two structures on first use:
//!
//! * words: an open-addressing hash table of indexes into `SQL_KEYWORDS`, four times as many
//!   slots as words, each slot tagged with 16 bits of the hash so that a probe rarely compares
//!   bytes;
//! * fingerprints: a sorted `Vec<u64>` of the packed fingerprints, searched by bisection.
//!
//! Invariants: a lookup answers exactly as the crate's `lookup_word` (ASCII upper-casing, then
//! exact match) for every text of at most [`MAX_LOOKUP_LEN`] bytes; longer texts are never in
//! the table. Tests check both structures against the table entry by entry.
//!
//! Cost: one pass to upper-case the text into a stack buffer, one hash of at most four words,
//! and usually one probe. No allocation after the first call (which builds the tables).

use std::sync::OnceLock;

use libinjectionrs::sqli::sqli_data::SQL_KEYWORDS;

use super::sqli_token::Kind;

/// Longest text a token can hold (libinjection's 32-byte value with its NUL), so the longest
/// text ever looked up. Every table entry is shorter (the longest word has 29 bytes).
pub(super) const MAX_LOOKUP_LEN: usize = 31;

/// Longest fingerprint: libinjection fingerprints five tokens, six with a trailing comment
/// appended or `{` + empty backtick word (see `sqli_fold.rs`); the table's longest is five.
const MAX_FINGERPRINT_LEN: usize = 7;

/// The table type of a fingerprint entry.
const FINGERPRINT_TYPE: u8 = b'F';

/// Slots in the word table: a power of two, at least four per word (checked when built).
const WORD_SLOTS: usize = 4096;

struct Tables {
    /// `0` = empty, else `tag << 16 | (index into SQL_KEYWORDS + 1)`.
    word_slots: Vec<u32>,
    /// Bit n set if some word has n bytes.
    word_lengths: u64,
    /// Packed fingerprints (see [`pack_fingerprint`]), sorted.
    fingerprints: Vec<u64>,
}

/// Builds the keyword and fingerprint tables (see [`super::prepare`]).
pub(super) fn prepare() {
    tables();
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(build)
}

fn build() -> Tables {
    let mut word_slots = vec![0u32; WORD_SLOTS];
    let mut word_lengths = 0u64;
    let mut fingerprints = Vec::new();
    let mut words = 0;
    for (index, entry) in SQL_KEYWORDS.iter().enumerate() {
        let text = entry.word.as_bytes();
        if entry.token_type == FINGERPRINT_TYPE {
            // The crate finds a fingerprint by looking up "0" + the upper-cased fingerprint.
            if let Some(packed) = text.strip_prefix(b"0").and_then(pack_fingerprint) {
                fingerprints.push(packed);
            }
            continue;
        }
        // An entry the crate's upper-cased lookup can never reach is not a word to us either.
        if text.len() > MAX_LOOKUP_LEN || text.iter().any(u8::is_ascii_lowercase) {
            continue;
        }
        let Ok(slot_value) = u32::try_from(index + 1) else {
            continue;
        };
        let mut upper = [0u8; 32];
        if let Some(buf) = upper.get_mut(..text.len()) {
            buf.copy_from_slice(text);
        }
        let hash = hash(&upper, text.len());
        let mut slot = hash as usize & (WORD_SLOTS - 1);
        while word_slots.get(slot).is_some_and(|&s| s != 0) {
            slot = (slot + 1) & (WORD_SLOTS - 1);
        }
        if let Some(s) = word_slots.get_mut(slot) {
            *s = tag(hash) << 16 | slot_value;
        }
        word_lengths |= 1 << text.len();
        words += 1;
    }
    assert!(
        words * 4 <= WORD_SLOTS && slot_index_fits(SQL_KEYWORDS.len()),
        "libinjection word table outgrew its hash table ({words} words)"
    );
    fingerprints.sort_unstable();
    Tables {
        word_slots,
        word_lengths,
        fingerprints,
    }
}

/// Indexes are kept in the low 16 bits of a slot.
fn slot_index_fits(entries: usize) -> bool {
    entries < usize::from(u16::MAX)
}

/// What libinjection makes of a word (or of a two-byte operator, or of words merged with a
/// space): the kind its table gives, [`Kind::Bareword`] when the table does not know it.
/// Case-insensitive (ASCII).
pub(super) fn lookup(text: &[u8]) -> Kind {
    let len = text.len();
    if len == 0 || len > MAX_LOOKUP_LEN {
        return Kind::Bareword;
    }
    let t = tables();
    if text.first() == Some(&b'0') {
        // Only fingerprint entries start with '0'.
        return match text.get(1..).and_then(pack_fingerprint) {
            Some(packed) if t.fingerprints.binary_search(&packed).is_ok() => Kind::Fingerprint,
            _ => Kind::Bareword,
        };
    }
    if t.word_lengths & (1 << len) == 0 {
        return Kind::Bareword;
    }
    let mut upper = [0u8; 32];
    let Some(buf) = upper.get_mut(..len) else {
        return Kind::Bareword;
    };
    buf.copy_from_slice(text);
    buf.make_ascii_uppercase();
    let hash = hash(&upper, len);
    let want = tag(hash);
    let mut slot = hash as usize & (WORD_SLOTS - 1);
    loop {
        let value = t.word_slots.get(slot).copied().unwrap_or(0);
        if value == 0 {
            return Kind::Bareword;
        }
        if value >> 16 == want {
            let index = ((value & 0xffff) as usize).wrapping_sub(1);
            if let Some(entry) = SQL_KEYWORDS.get(index) {
                if upper.get(..len) == Some(entry.word.as_bytes()) {
                    return Kind::from_table_type(entry.token_type);
                }
            }
        }
        slot = (slot + 1) & (WORD_SLOTS - 1);
    }
}

/// Is `fingerprint` (libinjection's token-type characters, mixed case, e.g. `s&1c`) on
/// libinjection's list? Upper-cases it as libinjection does.
pub(super) fn is_listed(fingerprint: &[u8]) -> bool {
    pack_fingerprint(fingerprint)
        .is_some_and(|packed| tables().fingerprints.binary_search(&packed).is_ok())
}

/// A fingerprint (without the table's leading `0`) upper-cased and packed into one integer,
/// length in the low byte; `None` if empty or too long to be listed.
fn pack_fingerprint(fingerprint: &[u8]) -> Option<u64> {
    if fingerprint.is_empty() || fingerprint.len() > MAX_FINGERPRINT_LEN {
        return None;
    }
    let mut packed = 0u64;
    for &c in fingerprint {
        packed = packed << 8 | u64::from(c.to_ascii_uppercase());
    }
    Some(packed << 8 | fingerprint.len() as u64)
}

/// Hash of an upper-cased text held zero-padded in a 32-byte buffer: one multiply-xor round
/// per 8-byte word actually used. The key set is fixed (libinjection's table), so there is no
/// attacker-chosen set to flood; a probe sequence is at most the table's longest run.
fn hash(upper: &[u8; 32], len: usize) -> u32 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (len as u64).wrapping_mul(K);
    for chunk in upper.chunks_exact(8).take(len.div_ceil(8)) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(K);
        h ^= h >> 32;
    }
    (h ^ h >> 29) as u32
}

/// The 16 bits of a hash kept in its slot (never 0 for a used slot, thanks to the index).
fn tag(hash: u32) -> u32 {
    hash >> 16
}

#[cfg(test)]
mod tests {
    use super::*;
    use libinjectionrs::sqli::sqli_data::lookup_word;
    use libinjectionrs::sqli::TokenType;

    /// The crate's answer as our kind.
    fn crate_kind(text: &str) -> Kind {
        match lookup_word(text) {
            TokenType::Keyword => Kind::Keyword,
            TokenType::Function => Kind::Function,
            TokenType::Union => Kind::Union,
            TokenType::Expression => Kind::Expression,
            TokenType::Tsql => Kind::Tsql,
            TokenType::SqlType => Kind::SqlType,
            TokenType::Operator => Kind::Operator,
            TokenType::LogicOperator => Kind::LogicOperator,
            TokenType::Variable => Kind::Variable,
            TokenType::Number => Kind::Number,
            TokenType::Collate => Kind::Collate,
            TokenType::Group => Kind::Group,
            TokenType::Fingerprint => Kind::Fingerprint,
            _ => Kind::Bareword,
        }
    }

    #[test]
    fn every_entry_is_found_in_every_case() {
        for entry in SQL_KEYWORDS {
            let w = entry.word;
            for text in [w.to_string(), w.to_ascii_lowercase(), mixed_case(w)] {
                assert_eq!(lookup(text.as_bytes()), crate_kind(&text), "{text:?}");
            }
            if entry.token_type == FINGERPRINT_TYPE {
                let fp = &w[1..];
                assert!(is_listed(fp.as_bytes()), "{fp}");
                assert!(is_listed(fp.to_ascii_lowercase().as_bytes()), "{fp}");
            } else if entry.token_type != b'n' {
                assert_ne!(lookup(w.as_bytes()), Kind::Bareword, "{w}");
            }
        }
    }

    fn mixed_case(w: &str) -> String {
        w.chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_lowercase()
                } else {
                    c
                }
            })
            .collect()
    }

    #[test]
    fn near_misses_are_barewords() {
        for text in [
            "",
            "SELEC",
            "SELECTT",
            "UNIONALL",
            "UNION  ALL",
            "0",
            "0SOSX",
            "0sos ",
            "select.",
            "é",
            "SELECT\0",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            assert_eq!(lookup(text.as_bytes()), crate_kind(text), "{text:?}");
        }
        assert_eq!(lookup(b"\xffSELECT"), Kind::Bareword);
        assert!(!is_listed(b""));
        assert!(!is_listed(b"sosososos"));
    }

    #[test]
    fn fingerprint_listing_matches_the_crate() {
        // Every fingerprint of up to three characters over libinjection's alphabet.
        let alphabet = b"kUBEtfn1vso&cA(){}.,:;T?XF\\";
        let mut fp = Vec::new();
        let mut listed = 0;
        for a in alphabet {
            for b in alphabet.iter().map(Some).chain([None]) {
                for c in alphabet.iter().map(Some).chain([None]) {
                    fp.clear();
                    fp.push(*a);
                    fp.extend(b.copied());
                    fp.extend(b.and(c).copied());
                    let text = std::str::from_utf8(&fp).unwrap_or_default();
                    let ours = is_listed(&fp);
                    assert_eq!(
                        ours,
                        libinjectionrs::sqli::blacklist::is_blacklisted(text),
                        "{text}"
                    );
                    listed += usize::from(ours);
                }
            }
        }
        assert!(listed > 100, "{listed}");
    }
}
