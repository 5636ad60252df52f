//! Necessary literal factors of a regular expression: a small set of byte strings such that every
//! match of the regex contains at least one of them (compared ASCII-case-insensitively).
//!
//! A regex bank scans a value once for the factors of all its patterns and runs a pattern's own
//! automaton only when one of its factors occurs (see `bank.rs`). This matters because the regex
//! engine's own prefilter looks only at how a match *starts*: `(?:^|[/=&"'\s,:;])\.\.` starts with
//! bytes that fill every JSON body, so it verified at nearly every byte (≈ 25 µs over 8 KB), while
//! its factor `..` is rare.
//!
//! Soundness: for a concatenation `a b c`, every match of the whole is a match of `a` followed by a
//! match of `b c`, so any set that every match of `b c` starts with (a finite prefix set from
//! regex-syntax's literal extractor) is a set of necessary factors; so is any set necessary for one
//! required child. Factors are lower-cased and searched case-insensitively, which only ever adds
//! candidates, never removes one. A regex with no useful set (a factor shorter than
//! [`MIN_FACTOR_LEN`] bytes, or more than [`MAX_FACTORS`] of them) gets `None` and is always run.

use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Class, Hir, HirKind, Repetition};

/// Shortest factor worth gating on: single bytes (`$`, `"`) occur everywhere.
pub const MIN_FACTOR_LEN: usize = 2;
/// Most factors kept for one regex (after lower-casing and de-duplication).
pub const MAX_FACTORS: usize = 64;
/// Cut lengths tried for a candidate set (a prefix of a necessary factor is necessary too).
const CUT_LENGTHS: std::ops::RangeInclusive<usize> = 3..=8;
/// Factor length beyond which a longer factor is not counted as rarer.
const RARITY_CAP: i32 = 8;
/// Bounds handed to the literal extractor, so that case-insensitive words and classes expand into
/// a bounded number of literals before lower-casing folds them back together.
const EXTRACT_LIMIT_CLASS: usize = 16;
const EXTRACT_LIMIT_TOTAL: usize = 256;
/// Longer literals are cut: [`cost`] stops rewarding length at [`RARITY_CAP`] bytes.
const EXTRACT_LIMIT_LITERAL_LEN: usize = RARITY_CAP as usize;

/// The best set of necessary factors of `hir`, lower-cased and de-duplicated, or `None` when no
/// set is selective enough to be worth gating on.
pub fn necessary_factors(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let mut extractor = Extractor::new();
    extractor
        .kind(ExtractKind::Prefix)
        .limit_class(EXTRACT_LIMIT_CLASS)
        .limit_total(EXTRACT_LIMIT_TOTAL)
        .limit_literal_len(EXTRACT_LIMIT_LITERAL_LEN);
    let mut best: Option<Vec<Vec<u8>>> = None;
    collect(&fold_case(hir), &extractor, &mut best);
    best
}

/// `hir` as seen through lower-casing: a literal becomes its lower-case form and a class whose
/// bytes all lower-case to one byte (`[Jj]`, what `(?i)j` parses to) becomes that byte. Factors
/// are matched against the lower-cased value, so this loses nothing, and it spares the literal
/// extractor from spelling out every upper/lower-case variant of a word (2^n of them).
fn fold_case(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Literal(literal) => Hir::literal(literal.0.to_ascii_lowercase()),
        HirKind::Class(class) => match single_lowercase_byte(class) {
            Some(byte) => Hir::literal([byte]),
            None => hir.clone(),
        },
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            sub: Box::new(fold_case(&r.sub)),
            ..r.clone()
        }),
        HirKind::Capture(c) => fold_case(&c.sub),
        HirKind::Concat(children) => Hir::concat(children.iter().map(fold_case).collect()),
        HirKind::Alternation(alternatives) => {
            Hir::alternation(alternatives.iter().map(fold_case).collect())
        }
        HirKind::Empty | HirKind::Look(_) => hir.clone(),
    }
}

/// The one byte every member of `class` lower-cases to, if there is exactly one.
fn single_lowercase_byte(class: &Class) -> Option<u8> {
    let mut found: Option<u8> = None;
    let mut check = |start: u32, end: u32| -> bool {
        if end - start > 1 || end > 0x7f {
            return false;
        }
        (start..=end).all(|b| {
            let lower = (b as u8).to_ascii_lowercase();
            *found.get_or_insert(lower) == lower
        })
    };
    let all_fold = match class {
        Class::Bytes(bytes) => bytes
            .ranges()
            .iter()
            .all(|r| check(u32::from(r.start()), u32::from(r.end()))),
        Class::Unicode(chars) => chars
            .ranges()
            .iter()
            .all(|r| check(u32::from(r.start()), u32::from(r.end()))),
    };
    if all_fold {
        found
    } else {
        None
    }
}

/// Offers every candidate set found in `hir` to `best`.
fn collect(hir: &Hir, extractor: &Extractor, best: &mut Option<Vec<Vec<u8>>>) {
    offer(prefix_set(hir, extractor), best);
    match hir.kind() {
        HirKind::Capture(c) => collect(&c.sub, extractor, best),
        HirKind::Repetition(r) if r.min >= 1 => collect(&r.sub, extractor, best),
        HirKind::Concat(children) => {
            for start in 1..children.len() {
                let tail = Hir::concat(children[start..].to_vec());
                offer(prefix_set(&tail, extractor), best);
            }
            for child in children {
                collect(child, extractor, best);
            }
        }
        HirKind::Alternation(alternatives) => {
            // Every branch must contribute, and the union must stay small.
            let mut union: Vec<Vec<u8>> = Vec::new();
            for alternative in alternatives {
                let mut branch = None;
                collect(alternative, extractor, &mut branch);
                match branch {
                    Some(set) => union.extend(set),
                    None => return,
                }
            }
            offer(Some(normalize(union)), best);
        }
        _ => {}
    }
}

/// The finite set of literals every match of `hir` starts with, normalised; `None` if unbounded.
fn prefix_set(hir: &Hir, extractor: &Extractor) -> Option<Vec<Vec<u8>>> {
    let seq = extractor.extract(hir);
    let literals = seq.literals()?;
    Some(normalize(
        literals.iter().map(|l| l.as_bytes().to_vec()).collect(),
    ))
}

fn normalize(mut set: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    for literal in &mut set {
        literal.make_ascii_lowercase();
    }
    set.sort();
    set.dedup();
    set
}

/// Offers `candidate` and the same set cut to each of [`CUT_LENGTHS`] (`jndi` instead of seven
/// `jndi<space or colon>` variants), keeping whichever [`cost`] likes best.
fn offer(candidate: Option<Vec<Vec<u8>>>, best: &mut Option<Vec<Vec<u8>>>) {
    let Some(candidate) = candidate else { return };
    let full = candidate.clone();
    consider(full, best);
    for len in CUT_LENGTHS {
        if candidate.iter().any(|f| f.len() > len) {
            let cut = candidate
                .iter()
                .map(|f| f[..f.len().min(len)].to_vec())
                .collect();
            consider(normalize(cut), best);
        }
    }
}

/// Keeps `candidate` if it is usable and cheaper than `best`.
fn consider(candidate: Vec<Vec<u8>>, best: &mut Option<Vec<Vec<u8>>>) {
    if candidate.is_empty() || candidate.len() > MAX_FACTORS {
        return;
    }
    if candidate.iter().any(|f| f.len() < MIN_FACTOR_LEN) {
        return;
    }
    if best
        .as_ref()
        .is_none_or(|current| cost(&candidate) < cost(current))
    {
        *best = Some(candidate);
    }
}

/// Expected share of positions in ordinary text where one of the factors starts, under the rough
/// model that each byte of a factor matches one time in four (text is far from random): every
/// factor adds `4^-len`. Lower is better; ties keep the set found first.
fn cost(set: &[Vec<u8>]) -> f64 {
    set.iter()
        .map(|f| 4f64.powi(-(f.len() as i32).min(RARITY_CAP)))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::regex_dialect::syntax_config;

    fn factors(pattern: &str) -> Option<Vec<String>> {
        let hir = regex_automata::util::syntax::parse_with(pattern, &syntax_config()).unwrap();
        necessary_factors(&hir).map(|set| {
            set.into_iter()
                .map(|f| String::from_utf8_lossy(&f).into_owned())
                .collect()
        })
    }

    #[test]
    fn picks_a_required_inner_literal_over_a_common_first_byte() {
        assert_eq!(
            factors(r#"(?:^|[\\/=&"'\s,:;])\.\.(?:[\\/;]|$)"#),
            Some(vec!["..".into()])
        );
        assert_eq!(
            factors(r"\$[@\w]{0,12}:(?:__proto__|constructor)"),
            Some(vec![":__proto".into(), ":constru".into()])
        );
    }

    #[test]
    fn case_insensitive_words_fold_to_one_lowercase_factor() {
        assert_eq!(factors(r"(?i)\bjndi\s*:"), Some(vec!["jndi".into()]));
        assert_eq!(factors("rO0AB"), Some(vec!["ro0ab".into()]));
    }

    #[test]
    fn alternation_needs_every_branch() {
        assert_eq!(
            factors("(?:select|union)x"),
            Some(vec!["selectx".into(), "unionx".into()])
        );
        assert_eq!(factors("abc|[0-9]+"), None);
    }

    #[test]
    fn nothing_selective_means_always_run() {
        for p in ["", "^", "a", ".*", "[a-z]+", r"\d{3}", "a?bc?"] {
            assert_eq!(factors(p), None, "{p}");
        }
    }
}
