//! Pattern banks: all byte-match strings of one slot in one Aho-Corasick automaton, all regexes of
//! one slot in one multi-pattern regex. A bank scan sets one bit per matching statement.

use crate::model::PositionalConstraint;
use crate::validate::regex_dialect::{syntax_config, MAX_REGEX_COMPILED_BYTES};
use aho_corasick::AhoCorasick;
use regex_automata::meta::{self, Regex};
use regex_automata::{Input, PatternSet};

/// A fixed-size bit set indexed by bank bit.
#[derive(Debug, Clone, Default)]
pub struct Bits(Vec<u64>);

impl Bits {
    pub fn reset(&mut self, len: u32) {
        let words = (len as usize).div_ceil(64);
        self.0.clear();
        self.0.resize(words, 0);
    }
    #[inline]
    pub fn set(&mut self, bit: u32) {
        if let Some(w) = self.0.get_mut((bit / 64) as usize) {
            *w |= 1 << (bit % 64);
        }
    }
    #[inline]
    pub fn get(&self, bit: u32) -> bool {
        self.0
            .get((bit / 64) as usize)
            .is_some_and(|w| w & (1 << (bit % 64)) != 0)
    }
}

/// The literal bank of one slot.
#[derive(Debug)]
pub struct LiteralBank {
    ac: AhoCorasick,
    /// Per distinct pattern: the statements that use it, with their positional constraint.
    targets: Vec<Vec<(PositionalConstraint, u32)>>,
}

impl LiteralBank {
    /// `patterns`: (search bytes, constraint, bit) for every byte-match statement of the slot.
    pub fn new(patterns: &[(Vec<u8>, PositionalConstraint, u32)]) -> Result<LiteralBank, String> {
        let mut distinct: Vec<&[u8]> = Vec::new();
        let mut targets: Vec<Vec<(PositionalConstraint, u32)>> = Vec::new();
        for (bytes, constraint, bit) in patterns {
            match distinct.iter().position(|d| *d == bytes.as_slice()) {
                Some(i) => targets[i].push((*constraint, *bit)),
                None => {
                    distinct.push(bytes);
                    targets.push(vec![(*constraint, *bit)]);
                }
            }
        }
        let ac = AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(&distinct)
            .map_err(|e| format!("cannot build the string-match automaton: {e}"))?;
        Ok(LiteralBank { ac, targets })
    }

    /// Scans one value and sets the bit of every statement it satisfies.
    pub fn scan(&self, value: &[u8], bits: &mut Bits) {
        for m in self.ac.find_overlapping_iter(value) {
            for &(constraint, bit) in &self.targets[m.pattern().as_usize()] {
                if satisfies(constraint, value, m.start(), m.end()) {
                    bits.set(bit);
                }
            }
        }
    }
}

/// Whether an occurrence `value[start..end]` satisfies the positional constraint (spec §2).
pub fn satisfies(constraint: PositionalConstraint, value: &[u8], start: usize, end: usize) -> bool {
    match constraint {
        PositionalConstraint::Exactly => start == 0 && end == value.len(),
        PositionalConstraint::StartsWith => start == 0,
        PositionalConstraint::EndsWith => end == value.len(),
        PositionalConstraint::Contains => true,
        PositionalConstraint::ContainsWord => {
            let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
            (start == 0 || !word(value[start - 1])) && (end == value.len() || !word(value[end]))
        }
    }
}

/// The regex bank of one slot.
#[derive(Debug)]
pub struct RegexBank {
    re: Regex,
    /// Bank bit of each pattern, by pattern id.
    bits: Vec<u32>,
}

impl RegexBank {
    pub fn new(patterns: &[(String, u32)]) -> Result<RegexBank, String> {
        let re = meta::Builder::new()
            .syntax(syntax_config())
            .configure(
                meta::Config::new()
                    .match_kind(regex_automata::MatchKind::All)
                    // We match bytes, not UTF-8 text: with the default, an empty-matching pattern
                    // (`^`) in the bank hid other patterns' matches before a byte >= 0x80 (found
                    // by the `matchers` fuzz target; see `regression_fuzz` below).
                    .utf8_empty(false)
                    .nfa_size_limit(Some(MAX_REGEX_COMPILED_BYTES))
                    .onepass_size_limit(Some(MAX_REGEX_COMPILED_BYTES))
                    .dfa_size_limit(Some(MAX_REGEX_COMPILED_BYTES))
                    .hybrid_cache_capacity(2 * 1024 * 1024),
            )
            .build_many(&patterns.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>())
            .map_err(|e| format!("cannot compile regular expressions: {e}"))?;
        Ok(RegexBank {
            re,
            bits: patterns.iter().map(|(_, b)| *b).collect(),
        })
    }

    pub fn new_cache(&self) -> (meta::Cache, PatternSet) {
        (
            self.re.create_cache(),
            PatternSet::new(self.re.pattern_len()),
        )
    }

    /// Scans one value; sets the bit of every pattern found anywhere in it.
    pub fn scan(&self, value: &[u8], cache: &mut (meta::Cache, PatternSet), bits: &mut Bits) {
        let (cache, set) = cache;
        set.clear();
        self.re
            .which_overlapping_matches_with(cache, &Input::new(value), set);
        for pid in set.iter() {
            bits.set(self.bits[pid.as_usize()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PositionalConstraint::*;

    #[test]
    fn contains_word_boundaries() {
        for (v, want) in [
            ("BadBot", true),
            (";BadBot", true),
            ("BadBot;", true),
            ("-BadBot;", true),
            ("BadBotX", false),
            ("xBadBot", false),
            ("xBadBot BadBot", true),
        ] {
            let bank = LiteralBank::new(&[(b"BadBot".to_vec(), ContainsWord, 0)]).unwrap();
            let mut bits = Bits::default();
            bits.reset(1);
            bank.scan(v.as_bytes(), &mut bits);
            assert_eq!(bits.get(0), want, "{v}");
        }
    }

    #[test]
    fn shared_pattern_with_different_constraints() {
        let bank = LiteralBank::new(&[
            (b"ab".to_vec(), Exactly, 0),
            (b"ab".to_vec(), EndsWith, 1),
            (b"ab".to_vec(), StartsWith, 2),
        ])
        .unwrap();
        let mut bits = Bits::default();
        bits.reset(3);
        bank.scan(b"xab", &mut bits);
        assert_eq!(
            (bits.get(0), bits.get(1), bits.get(2)),
            (false, true, false)
        );
    }

    #[test]
    fn regex_bank_reports_every_pattern() {
        let bank =
            RegexBank::new(&[("^/a".into(), 0), ("b+$".into(), 1), ("(?i)XYZ".into(), 2)]).unwrap();
        let mut cache = bank.new_cache();
        let mut bits = Bits::default();
        bits.reset(3);
        bank.scan(b"/abb", &mut cache, &mut bits);
        assert_eq!((bits.get(0), bits.get(1), bits.get(2)), (true, true, false));
        bank.scan(b"\xffxyz", &mut cache, &mut bits);
        assert!(bits.get(2));
    }
}

#[cfg(test)]
mod regression_fuzz {
    use super::*;

    /// Found by the `matchers` fuzz target: with an empty-matching pattern (`^`) in the same bank,
    /// `N` at the start of the value was reported missing.
    #[test]
    fn empty_matching_pattern_does_not_hide_others() {
        let bank = RegexBank::new(&[("^".into(), 0), ("N".into(), 1)]).unwrap();
        let mut cache = bank.new_cache();
        let mut bits = Bits::default();
        bits.reset(2);
        bank.scan(b"N\xa6\\\x17H\x02\x00D\x00\x00", &mut cache, &mut bits);
        assert!(bits.get(0), "^ matches every value");
        assert!(bits.get(1), "N is at the start of the value");
    }
}
