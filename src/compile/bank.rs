//! Pattern banks: all byte-match strings of one slot in one Aho-Corasick automaton, all regexes of
//! one slot in one regex bank (gated by their literal factors, see [`RegexBank`]). A bank scan sets
//! one bit per matching statement.

use super::factors;
use crate::model::PositionalConstraint;
use crate::validate::regex_dialect::{syntax_config, MAX_REGEX_COMPILED_BYTES};
use aho_corasick::AhoCorasick;
use regex_automata::meta::{self, Regex};
use regex_automata::{Input, MatchKind, PatternSet};
use regex_syntax::hir::Hir;
use std::collections::HashMap;

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
    /// Whether any of the `count` bits from `first` on is set, a word at a time.
    #[inline]
    pub fn any_in(&self, first: u32, count: u32) -> bool {
        let (mut at, end) = (first, first.saturating_add(count));
        while at < end {
            let word = at / 64;
            let lo = at % 64;
            let hi = (end - word * 64).min(64);
            let mask = (u64::MAX >> (64 - (hi - lo))) << lo;
            if self.0.get(word as usize).is_some_and(|w| w & mask != 0) {
                return true;
            }
            at = (word + 1) * 64;
        }
        false
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
    /// The distinct search strings, by automaton pattern id.
    patterns: Vec<Vec<u8>>,
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
        let patterns = distinct.into_iter().map(<[u8]>::to_vec).collect();
        Ok(LiteralBank {
            ac,
            patterns,
            targets,
        })
    }

    /// The search string of the statement with bank bit `bit`.
    pub fn search_string(&self, bit: u32) -> Option<&[u8]> {
        let i = self
            .targets
            .iter()
            .position(|t| t.iter().any(|&(_, b)| b == bit))?;
        self.patterns.get(i).map(Vec::as_slice)
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
///
/// Patterns with necessary literal factors ([`super::factors`]) are *gated*: one Aho-Corasick pass
/// over the lower-cased value finds which factors occur, and only the patterns owning one of them
/// run their own regex. The pass is case-sensitive over lower-cased bytes (not the automaton's
/// case-insensitive mode) because only then can it use its SIMD prefilter: 8 KB of JSON took
/// ≈ 0.4 µs instead of ≈ 26 µs. It asks for the leftmost-longest factor and restarts one byte after
/// each start, so every position where some factor starts is visited; a shorter factor starting at
/// the same position is a prefix of the reported one, so each factor also reveals the owners of
/// its prefixes. Patterns without a useful factor share one multi-pattern regex that
/// reports every pattern matching anywhere in the value. Both halves report exactly the patterns
/// that match (the factor test only ever skips a pattern that cannot match).
#[derive(Debug)]
pub struct RegexBank {
    /// Every gated pattern's factors, lower-cased, searched in the lower-cased value.
    factors: Option<AhoCorasick>,
    /// Per factor id: the gated patterns (indices into `gated`) owning it or one of its prefixes.
    factor_owners: Vec<Vec<u32>>,
    /// The factors by id, and the gated patterns owning each itself: what [`RegexBank::merge`]
    /// joins.
    factor_list: Vec<Vec<u8>>,
    direct_owners: Vec<Vec<u32>>,
    /// Gated patterns: their own regex and their bank bit.
    gated: Vec<(Regex, u32)>,
    /// Patterns without a useful factor, in one regex, and the bank bit of each by pattern id.
    always: Option<(Regex, Vec<u32>)>,
}

/// The regex patterns of the slots of one family (slots whose values derive from one extraction,
/// see [`super::slot::SlotDef::parent`]) in one bank: when a request leaves all of them with the
/// same values, as a benign one mostly does, one scan serves them all.
#[derive(Debug)]
pub struct RegexFamily {
    pub members: Box<[super::SlotId]>,
    pub bank: RegexBank,
}

/// A bank's factors while it is built: each distinct factor once, with the gated patterns that
/// own it.
#[derive(Default)]
struct FactorTable {
    ids: HashMap<Vec<u8>, usize>,
    list: Vec<Vec<u8>>,
    owners: Vec<Vec<u32>>,
}

impl FactorTable {
    fn add(&mut self, factor: Vec<u8>, owner: u32) {
        let id = match self.ids.get(&factor) {
            Some(&id) => id,
            None => {
                self.list.push(factor.clone());
                self.owners.push(Vec::new());
                self.ids.insert(factor, self.list.len() - 1);
                self.list.len() - 1
            }
        };
        self.owners[id].push(owner);
    }
}

/// Per-thread search state of one [`RegexBank`].
#[derive(Debug)]
pub struct RegexCache {
    /// Created on a pattern's first candidate value: most gated patterns never run.
    gated: Vec<Option<meta::Cache>>,
    /// Per gated pattern: 1 + the index of the last value it became a candidate for (0: none)
    /// in the current scan...
    candidate: Vec<u32>,
    /// ...and the (pattern, value) pairs found, in the order found.
    hits: Vec<(u32, u32)>,
    /// The scanned values, lower-cased and laid end to end...
    lower: Vec<u8>,
    /// ...and where each value ends in `lower`.
    ends: Vec<u32>,
    always: Option<(meta::Cache, PatternSet)>,
}

impl RegexBank {
    pub fn new(patterns: &[(String, u32)]) -> Result<RegexBank, String> {
        let syntax = syntax_config();
        let mut factors = FactorTable::default();
        let mut gated = Vec::new();
        let mut always_hirs = Vec::new();
        let mut always_bits = Vec::new();
        for (pattern, bit) in patterns {
            let hir = regex_automata::util::syntax::parse_with(pattern, &syntax)
                .map_err(|e| format!("cannot compile regular expression {pattern:?}: {e}"))?;
            match factors::necessary_factors(&hir) {
                Some(set) => {
                    let owner = gated.len() as u32;
                    for factor in set {
                        factors.add(factor, owner);
                    }
                    gated.push((build_regex(&[&hir], MatchKind::LeftmostFirst)?, *bit));
                }
                None => {
                    always_hirs.push(hir);
                    always_bits.push(*bit);
                }
            }
        }
        let always = if always_hirs.is_empty() {
            None
        } else {
            let hirs: Vec<&Hir> = always_hirs.iter().collect();
            Some((build_regex(&hirs, MatchKind::All)?, always_bits))
        };
        RegexBank::assemble(factors, gated, always)
    }

    /// One bank holding the patterns of `banks`, built from their compiled parts (the regexes
    /// are shared, not compiled again). `None` when one of them has patterns without a factor:
    /// those live in one multi-pattern regex that cannot be joined without recompiling.
    pub fn merge(banks: &[&RegexBank]) -> Option<Result<RegexBank, String>> {
        if banks.iter().any(|b| b.always.is_some()) {
            return None;
        }
        let mut factors = FactorTable::default();
        let mut gated = Vec::new();
        for bank in banks {
            let offset = gated.len() as u32;
            for (factor, owners) in bank.factor_list.iter().zip(&bank.direct_owners) {
                for &owner in owners {
                    factors.add(factor.clone(), offset + owner);
                }
            }
            gated.extend(bank.gated.iter().cloned());
        }
        Some(RegexBank::assemble(factors, gated, None))
    }

    fn assemble(
        table: FactorTable,
        gated: Vec<(Regex, u32)>,
        always: Option<(Regex, Vec<u32>)>,
    ) -> Result<RegexBank, String> {
        let FactorTable { ids, list, owners } = table;
        // A factor reported at a position also stands for every other factor that is its prefix.
        let mut factor_owners = owners.clone();
        for (id, factor) in list.iter().enumerate() {
            for len in factors::MIN_FACTOR_LEN..factor.len() {
                if let Some(&prefix) = factor.get(..len).and_then(|p| ids.get(p)) {
                    factor_owners[id].extend_from_slice(&owners[prefix]);
                }
            }
            factor_owners[id].sort_unstable();
            factor_owners[id].dedup();
        }
        let factors = if list.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                    .build(&list)
                    .map_err(|e| format!("cannot build the regex factor automaton: {e}"))?,
            )
        };
        Ok(RegexBank {
            factors,
            factor_owners,
            factor_list: list,
            direct_owners: owners,
            gated,
            always,
        })
    }

    /// The necessary factors (lower-cased) of the pattern with bank bit `bit`; `None` when it has
    /// none (it is always run) or the bank has no such bit.
    pub fn factors_of(&self, bit: u32) -> Option<Vec<&[u8]>> {
        let owner = self.gated.iter().position(|(_, b)| *b == bit)? as u32;
        let found: Vec<&[u8]> = self
            .factor_list
            .iter()
            .zip(&self.direct_owners)
            .filter(|(_, owners)| owners.contains(&owner))
            .map(|(factor, _)| factor.as_slice())
            .collect();
        (!found.is_empty()).then_some(found)
    }

    pub fn new_cache(&self) -> RegexCache {
        RegexCache {
            gated: self.gated.iter().map(|_| None).collect(),
            candidate: vec![0; self.gated.len()],
            hits: Vec::with_capacity(self.gated.len()),
            lower: Vec::new(),
            ends: Vec::new(),
            always: self
                .always
                .as_ref()
                .map(|(re, _)| (re.create_cache(), PatternSet::new(re.pattern_len()))),
        }
    }

    /// Scans one value; sets the bit of every pattern found anywhere in it.
    pub fn scan(&self, value: &[u8], cache: &mut RegexCache, bits: &mut Bits) {
        self.scan_values(value, &[(0, value.len() as u32)], cache, bits);
    }

    /// Scans every value of a slot, `arena[a..b]` for each `(a, b)` of `values`; sets the bit of
    /// every pattern found anywhere in one of them.
    ///
    /// The factor search runs once over all values, lower-cased and laid end to end, rather than
    /// once per value: a slot holds up to dozens of short values (headers, cookies, arguments), and
    /// each search call has a fixed cost well above that of scanning a short value. A factor found
    /// across the seam of two values makes its patterns candidates for the value it starts in,
    /// which only adds a candidate: each candidate's own regex then decides on that value alone.
    pub fn scan_values(
        &self,
        arena: &[u8],
        values: &[(u32, u32)],
        cache: &mut RegexCache,
        bits: &mut Bits,
    ) {
        let value_at = |&(a, b): &(u32, u32)| arena.get(a as usize..b as usize).unwrap_or_default();
        if let Some(ac) = &self.factors {
            cache.lower.clear();
            cache.ends.clear();
            for v in values {
                cache.lower.extend_from_slice(value_at(v));
                cache.ends.push(cache.lower.len() as u32);
            }
            cache.lower.make_ascii_lowercase();
            let lower = cache.lower.as_slice();
            let (mut at, mut value) = (0, 0usize);
            while let Some(m) = ac.find(aho_corasick::Input::new(lower).span(at..lower.len())) {
                while cache
                    .ends
                    .get(value)
                    .is_some_and(|&end| end as usize <= m.start())
                {
                    value += 1;
                }
                let mark = value as u32 + 1;
                for &owner in &self.factor_owners[m.pattern().as_usize()] {
                    let seen = &mut cache.candidate[owner as usize];
                    if *seen != mark {
                        *seen = mark;
                        cache.hits.push((owner, value as u32));
                    }
                }
                at = m.start() + 1;
            }
            for (ix, value) in cache.hits.drain(..) {
                let ix = ix as usize;
                cache.candidate[ix] = 0;
                let (re, bit) = &self.gated[ix];
                if bits.get(*bit) {
                    continue;
                }
                let Some(value) = values.get(value as usize).map(value_at) else {
                    continue;
                };
                let re_cache = cache.gated[ix].get_or_insert_with(|| re.create_cache());
                if re
                    .search_with(re_cache, &Input::new(value).earliest(true))
                    .is_some()
                {
                    bits.set(*bit);
                }
            }
        }
        if let (Some((re, pattern_bits)), Some((re_cache, set))) = (&self.always, &mut cache.always)
        {
            if let [bit] = pattern_bits[..] {
                // One pattern: whether it matches at all, stopping at its first match (the
                // overlapping search reads every value to its end, through more of the engine).
                for v in values {
                    if bits.get(bit) {
                        break;
                    }
                    if re
                        .search_half_with(re_cache, &Input::new(value_at(v)).earliest(true))
                        .is_some()
                    {
                        bits.set(bit);
                    }
                }
                return;
            }
            for v in values {
                set.clear();
                re.which_overlapping_matches_with(re_cache, &Input::new(value_at(v)), set);
                for pid in set.iter() {
                    bits.set(pattern_bits[pid.as_usize()]);
                }
            }
        }
    }
}

/// One (multi-)pattern regex over bytes with the bank's limits.
fn build_regex(hirs: &[&Hir], kind: MatchKind) -> Result<Regex, String> {
    meta::Builder::new()
        .configure(
            meta::Config::new()
                .match_kind(kind)
                // We match bytes, not UTF-8 text: with the default, an empty-matching pattern
                // (`^`) in the bank hid other patterns' matches before a byte >= 0x80 (found
                // by the `matchers` fuzz target; see `regression_fuzz` below).
                .utf8_empty(false)
                .nfa_size_limit(Some(MAX_REGEX_COMPILED_BYTES))
                .onepass_size_limit(Some(MAX_REGEX_COMPILED_BYTES))
                .dfa_size_limit(Some(MAX_REGEX_COMPILED_BYTES))
                .hybrid_cache_capacity(REGEX_CACHE_CAPACITY),
        )
        .build_many_from_hir(hirs)
        .map_err(|e| format!("cannot compile regular expressions: {e}"))
}

/// Most memory one regex's lazy DFA may use per thread before it clears and starts over.
const REGEX_CACHE_CAPACITY: usize = 2 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use PositionalConstraint::*;

    #[test]
    fn any_in_agrees_with_bit_by_bit() {
        let mut bits = Bits::default();
        bits.reset(200);
        for b in [0, 63, 64, 130, 199] {
            bits.set(b);
        }
        for first in 0..200 {
            for count in 0..(200 - first).min(140) {
                let naive = (first..first + count).any(|b| bits.get(b));
                assert_eq!(bits.any_in(first, count), naive, "{first} {count}");
            }
        }
    }

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

/// The factor gate never changes a verdict: over every regex the shipped managed groups use, the
/// bank reports exactly the patterns that match on their own.
#[cfg(test)]
mod gate_soundness {
    use super::*;

    /// A fixed-seed generator: `next(n)` is in `0..n`.
    fn below(state: u64) -> impl FnMut(usize) -> usize {
        let mut rng = crate::test_rng::XorShift(state);
        move |n: usize| rng.below(n)
    }

    /// Every shipped regex, and one bank of them all where pattern `i` sets bit `i`.
    fn shipped_bank() -> (Vec<String>, RegexBank) {
        let patterns = shipped_regexes();
        let entries: Vec<(String, u32)> = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| (p.clone(), i as u32))
            .collect();
        let bank = RegexBank::new(&entries).unwrap();
        (patterns, bank)
    }

    fn shipped_regexes() -> Vec<String> {
        fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(serde_json::Value::String(r)) = m.get("RegexString") {
                        out.push(r.clone());
                    }
                    m.values().for_each(|x| walk(x, out));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for group in crate::managed::SHIPPED {
            walk(&serde_json::from_str(group.json).unwrap(), &mut out);
        }
        out
    }

    #[test]
    fn bank_agrees_with_each_regex_alone() {
        let (patterns, bank) = shipped_bank();
        assert!(patterns.len() > 30, "{}", patterns.len());
        assert!(
            bank.gated.len() * 2 > patterns.len(),
            "most patterns are gated"
        );
        let alone: Vec<Regex> = patterns
            .iter()
            .map(|p| {
                let hir = regex_automata::util::syntax::parse_with(p, &syntax_config()).unwrap();
                build_regex(&[&hir], MatchKind::LeftmostFirst).unwrap()
            })
            .collect();
        // Values: fragments likely to hit (the factors themselves, upper-cased, in noise) and
        // attack-shaped strings, mixed by a fixed-seed generator.
        let mut pieces: Vec<Vec<u8>> = Vec::new();
        for p in &patterns {
            let hir = regex_automata::util::syntax::parse_with(p, &syntax_config()).unwrap();
            for f in super::factors::necessary_factors(&hir).unwrap_or_default() {
                pieces.push(f.to_ascii_uppercase());
                pieces.push(f);
            }
        }
        for extra in [
            "../",
            "..\\",
            "/etc/passwd",
            "<script>",
            "${jndi:ldap://x}",
            " ",
            "=",
            "&",
            "'",
            "\"",
            "(",
            ")",
            "1",
            "169.254.169.254",
            "http://10.0.0.1/",
            "select",
            "--",
            ";",
            "\u{c0}\u{af}",
            "\x00",
        ] {
            pieces.push(extra.as_bytes().to_vec());
        }
        let mut next = below(0x9e37_79b9_7f4a_7c15u64);
        let mut cache = bank.new_cache();
        let mut bits = Bits::default();
        let mut hits = 0;
        for _ in 0..3_000 {
            let mut value = Vec::new();
            for _ in 0..1 + next(6) {
                value.extend_from_slice(&pieces[next(pieces.len())]);
                if next(3) == 0 {
                    value.push(b"ab /.=:_-"[next(9)]);
                }
            }
            bits.reset(patterns.len() as u32);
            bank.scan(&value, &mut cache, &mut bits);
            for (i, re) in alone.iter().enumerate() {
                let want = re.is_match(Input::new(&value));
                hits += usize::from(want);
                assert_eq!(bits.get(i as u32), want, "{:?} on {:?}", patterns[i], value);
            }
        }
        assert!(
            hits > 1_000,
            "the values exercise the patterns: {hits} matches"
        );
    }

    /// A bank whose one pattern has no necessary factor (KnownBadInputs' `Host_localhost_HEADER`
    /// on every request) asks it with an earliest search per value, not the overlapping one:
    /// the same verdict as the regex alone on any of the values.
    #[test]
    fn lone_pattern_without_factors_agrees_with_the_regex_alone() {
        let patterns = [
            r"(?i)^\s*(?:(?:[\w-]+\.)*localhost(?:\.localdomain)?\.?|127(?:\.\d{1,3}){3}|0|\[::1?\])(?::\d{1,5})?\s*$",
            r"^[0-9]{2,3}$",
            r"^$",
            r"\s",
        ];
        let pieces: [&[u8]; 10] = [
            b"127.0.0.1",
            b":8502",
            b" ",
            b"LocalHost",
            b"shop.",
            b"0",
            b"",
            b"12",
            b"[::1]",
            b"x",
        ];
        let mut next = below(0x51f1_e5ee_d00d_f00du64);
        for p in patterns {
            let bank = RegexBank::new(&[(p.to_string(), 0)]).expect("the pattern compiles");
            assert!(
                bank.gated.is_empty() && bank.always.as_ref().is_some_and(|a| a.1.len() == 1),
                "{p} has no factor"
            );
            let hir = regex_automata::util::syntax::parse_with(p, &syntax_config()).unwrap();
            let alone = build_regex(&[&hir], MatchKind::LeftmostFirst).unwrap();
            let mut cache = bank.new_cache();
            let mut bits = Bits::default();
            let (mut matched, mut missed) = (0, 0);
            for _ in 0..2_000 {
                let (mut arena, mut ranges) = (Vec::new(), Vec::new());
                for _ in 0..next(4) {
                    let start = arena.len() as u32;
                    for _ in 0..next(4) {
                        arena.extend_from_slice(pieces[next(pieces.len())]);
                    }
                    ranges.push((start, arena.len() as u32));
                }
                bits.reset(1);
                bank.scan_values(&arena, &ranges, &mut cache, &mut bits);
                let want = ranges
                    .iter()
                    .any(|&(a, b)| alone.is_match(Input::new(&arena[a as usize..b as usize])));
                assert_eq!(
                    bits.get(0),
                    want,
                    "{p} on {ranges:?} of {:?}",
                    arena.escape_ascii().to_string()
                );
                matched += usize::from(want);
                missed += usize::from(!want);
            }
            assert!(
                matched > 100 && missed > 100,
                "{p}: {matched} matched, {missed} not"
            );
        }
    }

    /// One scan over a slot's values reports what scanning each value alone reports: a factor
    /// across the seam of two values adds a candidate, never a match.
    #[test]
    fn slot_scan_agrees_with_value_by_value() {
        let (patterns, bank) = shipped_bank();
        // Halves of attack strings, so that many factors only appear across a seam.
        let whole = [
            "../../etc/passwd",
            "<script>alert(1)</script>",
            "${jndi:ldap://x/a}",
            "http://169.254.169.254/latest",
            "/.git/config",
            "union select",
            "wget http://x",
            "javascript:alert",
            "..%2f..%2f",
            "c:\\windows\\win.ini",
        ];
        let mut pieces: Vec<&[u8]> = Vec::new();
        for w in whole {
            let (a, b) = w.as_bytes().split_at(w.len() / 2);
            pieces.extend([a, b, w.as_bytes(), b"", b"plain text"]);
        }
        let mut next = below(0x2545_f491_4f6c_dd1du64);
        let mut cache = bank.new_cache();
        let (mut together, mut alone) = (Bits::default(), Bits::default());
        let (mut seam_candidates, mut matched) = (0, 0);
        for _ in 0..2_000 {
            let mut arena = Vec::new();
            let mut ranges = Vec::new();
            for _ in 0..1 + next(8) {
                let start = arena.len() as u32;
                arena.extend_from_slice(pieces[next(pieces.len())]);
                ranges.push((start, arena.len() as u32));
            }
            together.reset(patterns.len() as u32);
            alone.reset(patterns.len() as u32);
            bank.scan_values(&arena, &ranges, &mut cache, &mut together);
            for &(a, b) in &ranges {
                bank.scan(&arena[a as usize..b as usize], &mut cache, &mut alone);
            }
            let mut whole_text = Bits::default();
            whole_text.reset(patterns.len() as u32);
            bank.scan(&arena, &mut cache, &mut whole_text);
            for i in 0..patterns.len() as u32 {
                assert_eq!(
                    together.get(i),
                    alone.get(i),
                    "{:?} on {ranges:?} of {:?}",
                    patterns[i as usize],
                    arena.escape_ascii().to_string()
                );
                matched += usize::from(alone.get(i));
                seam_candidates += usize::from(whole_text.get(i) && !alone.get(i));
            }
        }
        assert!(matched > 500, "{matched} matches");
        assert!(
            seam_candidates > 10,
            "{seam_candidates} matches only across a seam"
        );
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
