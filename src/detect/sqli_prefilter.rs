//! A shortcut in front of the SQL injection analysis that may only say "certainly not" or
//! "maybe" (STYLE.md habit 6).
//!
//! Owns the argument that an input cannot be flagged by libinjection (at either
//! sensitivity), checked in one pass over the bytes without allocating. The argument, with
//! each step pinned by a test in this file or in `corpus_tests.rs`:
//!
//! 1. A detection needs the fingerprint (the token types of the first five folded tokens)
//!    to be on libinjection's list. Both sensitivities need that; Low also needs the
//!    whitelist to agree.
//! 2. No listed fingerprint is made only of the "quiet" types: bareword `n`, number `1`,
//!    operator `o`, function `f`, `,`, `:`, unknown `?` and dot `.`
//!    (`no_listed_fingerprint_uses_only_quiet_types`).
//! 3. Bytes outside [`TRIGGER_BYTES`], and outside the pairs in [`TRIGGER_PAIRS`], only
//!    start quiet tokens, whitespace, or words. The trigger bytes start strings, comments,
//!    variables, parentheses, braces, `;`, backslash tokens and MySQL backtick words; the
//!    pairs are the comment openers `--` and `/*` and the logic operators `&&` and `||`,
//!    the only operator table entries that are not plain operators
//!    (`operator_entries_are_plain_or_trigger_pairs`). Every string, comment, variable and
//!    MySQL-reparse path of the tokenizer starts at one of them.
//! 4. A word token gets a type other than `n` only through the keyword table, either by
//!    itself or by merging with the next word (`UNION ALL`, `GROUP BY`). We call a word
//!    "hot" if its own entry has a non-quiet type or it is part of a multi-word entry with a
//!    non-quiet type. Without trigger bytes and hot words, every token is quiet, the
//!    folding rules that change types all need a trigger token (`(`, `;`, `{`, `\`) or a hot
//!    keyword, and so by (2) nothing is listed.
//! 5. Finding the words: libinjection's word tokens can only be keywords if they consist of
//!    `[A-Za-z0-9_.]` (`keywords_use_only_word_bytes`), so a keyword token lies inside one
//!    maximal run of those bytes. It starts at the run start, just after a `.` (the
//!    tokenizer splits a word at a `.` when the part before it is a keyword), or after a
//!    number token ended inside the run, which can only happen after a digit that starts
//!    the run or follows a `.` (hex `0x1f`, exponents `1e5`, `1.e5`, `.5`): a word that
//!    starts at a letter runs on to the run end. It ends at the run end or at a `.`. We test
//!    every such candidate of at most [`MAX_WORD_LEN`] bytes, case-insensitively.
//!
//! The prefilter errs only towards "maybe": splitting runs at more bytes than libinjection
//! does, and testing more starts than strictly needed, only adds candidates.

use std::sync::OnceLock;

use libinjectionrs::sqli::sqli_data::SQL_KEYWORDS;

use crate::word::load_upto8;

/// Longest word libinjection looks up in its keyword table: its tokens hold 32 bytes with a
/// terminating NUL, and longer words stay barewords. Longer candidates are never hot.
pub const MAX_WORD_LEN: usize = 31;

/// Keyword-table types that cannot help form a listed fingerprint without a trigger: `n`
/// bareword, `o` operator, `f` function, `1` number (`TRUE`, `FALSE`).
const QUIET_WORD_TYPES: &[u8] = b"nof1";

/// Fingerprint characters (libinjection's upper-cased form) of every token type that quiet
/// input can produce: bareword, number, operator, function, comma, colon, unknown, dot.
#[cfg(test)]
const QUIET_FINGERPRINT_CHARS: &[u8] = b"N1OF,:?.";

/// Bytes that may start a token of a non-quiet type, or make libinjection re-parse the input
/// in another quoting context: quotes, backtick, `#`, `$`, `@`, parentheses, `;`, braces,
/// `[` (MSSQL bracket word) and backslash.
pub const TRIGGER_BYTES: &[u8] = b"\"'`#$@();{}[\\";

/// Byte pairs that start a non-quiet token although each byte alone is an operator:
/// comments (`--`, `/*`) and logic operators (`&&`, `||`).
pub const TRIGGER_PAIRS: [[u8; 2]; 4] = [*b"--", *b"/*", *b"&&", *b"||"];

/// Byte classes for the scan.
const QUIET: u8 = 0;
const TRIGGER: u8 = 1;
/// First byte of a [`TRIGGER_PAIRS`] entry.
const PAIR_FIRST: u8 = 2;
/// `[A-Za-z0-9_.]`: part of a word run.
const WORD: u8 = 3;

static CLASS: [u8; 256] = classes();

/// Per byte of a word run (`[A-Za-z0-9_.]`): [`RUN_BYTE`], plus [`RUN_DOT`] for `.` and
/// [`RUN_WORD_START`] for the bytes a keyword candidate may start at (letters and `_`); 0 ends
/// the run.
static RUN_BITS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = if c == b'.' {
            RUN_BYTE | RUN_DOT
        } else if c.is_ascii_alphabetic() || c == b'_' {
            RUN_BYTE | RUN_WORD_START
        } else if c.is_ascii_digit() {
            RUN_BYTE
        } else {
            0
        };
        b += 1;
    }
    table
};
const RUN_BYTE: u8 = 1;
const RUN_DOT: u8 = 2;
const RUN_WORD_START: u8 = 4;

const fn classes() -> [u8; 256] {
    let mut table = [QUIET; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' {
            table[b] = WORD;
        }
        b += 1;
    }
    let mut i = 0;
    while i < TRIGGER_BYTES.len() {
        table[TRIGGER_BYTES[i] as usize] = TRIGGER;
        i += 1;
    }
    let mut i = 0;
    while i < TRIGGER_PAIRS.len() {
        table[TRIGGER_PAIRS[i][0] as usize] = PAIR_FIRST;
        i += 1;
    }
    table
}

/// False only if libinjection (either sensitivity) provably cannot flag `input`.
/// Cost: one pass, plus a table test per candidate word (a hashed lookup for the few that
/// pass it); no allocation once the keyword
/// set is built (on first use, from the crate's own table).
#[inline]
pub fn may_be_sqli(input: &[u8]) -> bool {
    let hot = hot_words();
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        match CLASS[usize::from(b)] {
            TRIGGER => return true,
            PAIR_FIRST => {
                if let Some(&next) = input.get(i + 1) {
                    if TRIGGER_PAIRS.contains(&[b, next]) {
                        return true;
                    }
                }
            }
            WORD => {
                let rest = input.get(i..).unwrap_or_default();
                let mut seen = 0u8;
                let len = rest
                    .iter()
                    .position(|&c| {
                        let bits = RUN_BITS[usize::from(c)];
                        seen |= bits;
                        bits == 0
                    })
                    .unwrap_or(rest.len());
                let end = i + len;
                let run = rest.get(..len).unwrap_or_default();
                // Candidates start at a letter or `_`: a run of digits and dots has none.
                // Without a `.` and a leading digit, the run is one word token: one candidate.
                let hit = if seen & RUN_WORD_START == 0 {
                    false
                } else if seen & RUN_DOT != 0 || b.is_ascii_digit() {
                    hot.run_has_hot_word(run)
                } else {
                    hot.contains(run)
                };
                if hit {
                    return true;
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// Upper-cased hot words (see the module doc, step 4).
struct HotWords {
    words: WordTable,
    /// `shapes[n][first]` has bit `last` set if some hot word has `n` bytes (n ≤
    /// [`MAX_WORD_LEN`]) and starts and ends with bytes of those [`shape_class`]es: a
    /// candidate that fails this test is not hot, without hashing it.
    shapes: Box<[[u64; SHAPE_CLASSES]; MAX_WORD_LEN + 1]>,
}

/// Classes of [`shape_class`]: 26 letters, `_`, 10 digits, anything else.
const SHAPE_CLASSES: usize = 38;

/// Case-insensitive class of a word's first or last byte.
fn shape_class(b: u8) -> usize {
    match b {
        b'A'..=b'Z' => usize::from(b - b'A'),
        b'a'..=b'z' => usize::from(b - b'a'),
        b'_' => 26,
        b'0'..=b'9' => 27 + usize::from(b - b'0'),
        _ => 37,
    }
}

/// Builds the hot-word table (see [`super::prepare`]).
pub(super) fn prepare() {
    hot_words();
}

fn hot_words() -> &'static HotWords {
    static HOT: OnceLock<HotWords> = OnceLock::new();
    HOT.get_or_init(|| {
        let mut list: Vec<Vec<u8>> = Vec::new();
        for keyword in SQL_KEYWORDS {
            if QUIET_WORD_TYPES.contains(&keyword.token_type) {
                continue;
            }
            // A single word, or each word of a multi-word entry.
            for part in keyword.word.split(' ') {
                list.push(part.as_bytes().to_ascii_uppercase());
            }
        }
        list.sort_unstable();
        list.dedup();
        let words = WordTable::new(&list);
        let mut shapes = Box::new([[0u64; SHAPE_CLASSES]; MAX_WORD_LEN + 1]);
        for word in &list {
            if let (Some(&first), Some(&last), Some(row)) =
                (word.first(), word.last(), shapes.get_mut(word.len()))
            {
                if let Some(cell) = row.get_mut(shape_class(first)) {
                    *cell |= 1 << shape_class(last);
                }
            }
        }
        HotWords { words, shapes }
    })
}

impl HotWords {
    /// Does some candidate keyword token in this `[A-Za-z0-9_.]` run name a hot word?
    /// Candidates start at a letter or `_` that begins the run, follows a `.`, or comes after
    /// the first digit that can begin a number token (see [`first_number_digit`]); they end
    /// at a later `.` or at the run end, at most [`MAX_WORD_LEN`] bytes on. Walking the
    /// starts from the right keeps the nearest `.` at hand, so the usual candidate (one end)
    /// costs a table test and no scan.
    fn run_has_hot_word(&self, run: &[u8]) -> bool {
        let first_digit = first_number_digit(run);
        let mut next_dot = run.len();
        for start in (0..run.len()).rev() {
            let Some(&b) = run.get(start) else { continue };
            if b == b'.' {
                next_dot = start;
                continue;
            }
            if !(b.is_ascii_alphabetic() || b == b'_') {
                continue;
            }
            let token_may_start =
                start == 0 || run.get(start - 1) == Some(&b'.') || start > first_digit;
            if !token_may_start {
                continue;
            }
            let mut end = next_dot;
            while end - start <= MAX_WORD_LEN {
                if self.contains(run.get(start..end).unwrap_or_default()) {
                    return true;
                }
                if end >= run.len() {
                    break;
                }
                let limit = run.len().min(start + MAX_WORD_LEN + 1);
                end = run
                    .get(end + 1..limit)
                    .and_then(|rest| rest.iter().position(|&c| c == b'.'))
                    .map_or(limit, |at| end + 1 + at);
            }
        }
        false
    }

    /// Case-insensitive membership; longer words than [`MAX_WORD_LEN`] are never hot. The shape
    /// test, which turns most words away, is inlined into the scan; the table lookup is not.
    #[inline(always)]
    fn contains(&self, word: &[u8]) -> bool {
        let (Some(&first), Some(&last), Some(row)) =
            (word.first(), word.last(), self.shapes.get(word.len()))
        else {
            return false;
        };
        let fits = row
            .get(shape_class(first))
            .is_some_and(|lasts| lasts & (1 << shape_class(last)) != 0);
        fits && self.words.contains(word)
    }
}

/// The hot words in an open-addressing table keyed by a word's first and last eight bytes,
/// upper-cased eight at a time, and its length: a lookup loads, folds and hashes two words and
/// compares two words with the entry, with no copy; only words longer than 16 bytes compare
/// their middle bytes too.
struct WordTable {
    /// Per slot: 1 + the index of an entry, or 0 for an empty slot.
    slots: Box<[u16]>,
    entries: Vec<Entry>,
    shift: u32,
}

/// One hot word: [`head_tail`] of it, and its (upper-case) bytes.
struct Entry {
    head: u64,
    tail: u64,
    word: Vec<u8>,
}

const LANES_01: u64 = 0x0101_0101_0101_0101;
const LANES_80: u64 = 0x8080_8080_8080_8080;

/// ASCII upper case of eight bytes at once: `a`-`z` lose bit 5, every other byte is kept.
#[inline(always)]
fn upper8(w: u64) -> u64 {
    let low7 = w & !LANES_80;
    // Per byte, bit 7 of `low7 + 0x80 - c` is set iff the byte is at least `c` (no carry
    // crosses bytes: 0x7f + 0x1f < 0x100).
    let from_a = low7.wrapping_add(LANES_01 * (0x80 - u64::from(b'a')));
    let past_z = low7.wrapping_add(LANES_01 * (0x80 - u64::from(b'z') - 1));
    let lower = from_a & !past_z & !w & LANES_80;
    w - (lower >> 2)
}

/// Upper-cased first eight bytes (zero-padded) and, for words longer than eight bytes,
/// upper-cased last eight; together with the length they fix a word of up to 16 bytes.
#[inline(always)]
fn head_tail(word: &[u8]) -> (u64, u64) {
    let head = upper8(load_upto8(word));
    let tail = match word.last_chunk::<8>() {
        Some(chunk) if word.len() > 8 => upper8(u64::from_le_bytes(*chunk)),
        _ => 0,
    };
    (head, tail)
}

impl WordTable {
    fn new(words: &[Vec<u8>]) -> WordTable {
        // At most a quarter full, so a probe sequence is short.
        let size = (words.len() * 4).next_power_of_two().max(64);
        let mut table = WordTable {
            slots: vec![0u16; size].into_boxed_slice(),
            entries: Vec::with_capacity(words.len()),
            shift: 64 - size.trailing_zeros(),
        };
        for word in words
            .iter()
            .filter(|w| !w.is_empty() && w.len() <= MAX_WORD_LEN)
        {
            let (head, tail) = head_tail(word);
            let mut at = table.slot_of(head, tail, word.len());
            while table.slots[at] != 0 {
                at = (at + 1) & (size - 1);
            }
            table.entries.push(Entry {
                head,
                tail,
                word: word.to_ascii_uppercase(),
            });
            table.slots[at] = u16::try_from(table.entries.len()).unwrap_or(u16::MAX);
        }
        table
    }

    #[inline(always)]
    fn slot_of(&self, head: u64, tail: u64, len: usize) -> usize {
        let h = (head ^ tail.rotate_left(29) ^ ((len as u64) << 58))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (h >> self.shift) as usize
    }

    /// Whether `word` (any case, 1 to [`MAX_WORD_LEN`] bytes) is one of the words.
    #[inline(never)]
    fn contains(&self, word: &[u8]) -> bool {
        let (head, tail) = head_tail(word);
        let len = word.len();
        let mask = self.slots.len() - 1;
        let mut at = self.slot_of(head, tail, len);
        loop {
            let entry = match self.slots.get(at) {
                Some(&e) if e != 0 => self.entries.get(usize::from(e) - 1),
                _ => return false,
            };
            if let Some(e) = entry {
                if e.head == head
                    && e.tail == tail
                    && e.word.len() == len
                    && (len <= 16
                        || e.word
                            .get(8..len - 8)
                            .zip(word.get(8..len - 8))
                            .is_some_and(|(mine, theirs)| mine.eq_ignore_ascii_case(theirs)))
                {
                    return true;
                }
            }
            at = (at + 1) & mask;
        }
    }
}

/// Where the first number token of a run can begin: the first digit at the run start or
/// right after a `.`. Inside a run, tokens start only at the run start, at a `.` (where
/// libinjection splits a word after a keyword) or where a number token ends; a word token
/// that starts at a letter runs to the run end (splitting only at `.`), so only a number
/// (`1union`, `.5union`, `0x1fselect`, `1e5union`) can end inside a run, and a number starts
/// at a digit or at a `.` followed by one. Run length when there is no such digit.
fn first_number_digit(run: &[u8]) -> usize {
    (0..run.len())
        .find(|&q| {
            run.get(q).is_some_and(u8::is_ascii_digit) && (q == 0 || run.get(q - 1) == Some(&b'.'))
        })
        .unwrap_or(run.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_listed_fingerprint_uses_only_quiet_types() {
        let mut listed = 0;
        for keyword in SQL_KEYWORDS.iter().filter(|k| k.token_type == b'F') {
            let Some(fingerprint) = keyword.word.strip_prefix('0') else {
                panic!(
                    "fingerprint entry without the v1 '0' prefix: {}",
                    keyword.word
                );
            };
            listed += 1;
            assert!(
                !fingerprint
                    .bytes()
                    .all(|c| QUIET_FINGERPRINT_CHARS.contains(&c)),
                "listed fingerprint {fingerprint} uses only quiet token types"
            );
        }
        assert!(listed > 8000, "fingerprint list not found ({listed})");
    }

    #[test]
    fn keywords_use_only_word_bytes() {
        for keyword in SQL_KEYWORDS.iter().filter(|k| k.token_type != b'F') {
            let w = keyword.word.as_bytes();
            let wordy = w
                .iter()
                .all(|&c| c.is_ascii_uppercase() || c.is_ascii_digit() || b"_. ".contains(&c));
            let operator = w
                .iter()
                .all(|&c| CLASS[usize::from(c)] != WORD && c != b' ');
            assert!(
                wordy || operator,
                "unexpected keyword shape {:?}",
                keyword.word
            );
            if wordy {
                assert!(
                    w.first()
                        .is_some_and(|c| c.is_ascii_uppercase() || *c == b'_'),
                    "keyword not starting with a letter: {:?}",
                    keyword.word
                );
            }
        }
    }

    #[test]
    fn operator_entries_are_plain_or_trigger_pairs() {
        for keyword in SQL_KEYWORDS.iter().filter(|k| k.token_type != b'F') {
            let w = keyword.word.as_bytes();
            if w.iter()
                .any(|&c| CLASS[usize::from(c)] == WORD || c == b' ')
            {
                continue;
            }
            let starts_with_trigger = w.iter().any(|&c| CLASS[usize::from(c)] == TRIGGER);
            let is_pair = w.len() == 2 && TRIGGER_PAIRS.contains(&[w[0], w[1]]);
            assert!(
                keyword.token_type == b'o' || starts_with_trigger || is_pair,
                "operator entry {:?} of type {} is not covered",
                keyword.word,
                char::from(keyword.token_type)
            );
        }
    }

    #[test]
    fn word_upper_case_agrees_with_bytes() {
        for b in 0..=255u8 {
            let w = u64::from_le_bytes([b, b'a', b'Z', b'`', b'{', b'@', 0x80 | b, b]);
            let expect = u64::from_le_bytes(w.to_le_bytes().map(|c| c.to_ascii_uppercase()));
            assert_eq!(upper8(w), expect, "{b:#x}");
        }
    }

    #[test]
    fn word_table_holds_exactly_the_hot_words() {
        let mut hot_set = std::collections::HashSet::new();
        for keyword in SQL_KEYWORDS {
            if !QUIET_WORD_TYPES.contains(&keyword.token_type) {
                hot_set.extend(
                    keyword
                        .word
                        .split(' ')
                        .map(|p| p.as_bytes().to_ascii_uppercase()),
                );
            }
        }
        assert!(hot_set.len() > 100, "{}", hot_set.len());
        let hot = hot_words();
        let mut probes: Vec<Vec<u8>> = hot_set.iter().cloned().collect();
        for w in &hot_set {
            // Near misses: one byte changed, one added, one removed.
            let mut changed = w.clone();
            if let Some(last) = changed.last_mut() {
                *last = last.wrapping_add(1);
            }
            let mut first = w.clone();
            first[0] = first[0].wrapping_add(1);
            let mut middle = w.clone();
            let mid = middle.len() / 2;
            middle[mid] = middle[mid].wrapping_add(1);
            probes.extend([
                changed,
                first,
                middle,
                [w.as_slice(), b"X"].concat(),
                [b"X", w.as_slice()].concat(),
                w[..w.len() - 1].to_vec(),
            ]);
        }
        for p in probes
            .iter()
            .filter(|p| !p.is_empty() && p.len() <= MAX_WORD_LEN)
        {
            let lower = p.to_ascii_lowercase();
            let mixed: Vec<u8> = p
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    if i % 2 == 0 {
                        b.to_ascii_lowercase()
                    } else {
                        *b
                    }
                })
                .collect();
            for probe in [p, &lower, &mixed] {
                assert_eq!(
                    hot.contains(probe),
                    hot_set.contains(p),
                    "{}",
                    String::from_utf8_lossy(probe)
                );
            }
        }
    }

    #[test]
    fn hot_words_follow_the_table() {
        let hot = hot_words();
        for w in [
            &b"union"[..],
            b"SELECT",
            b"And",
            b"or",
            b"null",
            b"by",
            b"all",
            b"cross",
        ] {
            assert!(hot.contains(w), "{}", String::from_utf8_lossy(w));
        }
        // Quiet: functions, operators, numbers, and barewords.
        for w in [&b"sleep"[..], b"is", b"like", b"true", b"hello", b"x"] {
            assert!(!hot.contains(w), "{}", String::from_utf8_lossy(w));
        }
    }

    #[test]
    fn shortcut_says_no_only_for_quiet_input() {
        let no = [
            "hello world this is a test",
            "12345",
            "john.smith",
            "2024-01-15",
            "/api/v1/users/42/profile",
            "a=1&b=2",
            "text/html,application/xhtml+xml,application/xml;q=0.9",
            "unionx xunion selection",
            "a1union",
            "session=ab12cd34union",
        ];
        for s in no {
            assert_eq!(may_be_sqli(s.as_bytes()), s.contains(';'), "{s}");
        }
        let maybe = [
            "1 union select 1",
            "x' or 1=1",
            "a--",
            "a/*b",
            "1&&2",
            "1||2",
            "1union",
            "0x1fselect",
            "1.e5union",
            "x.5union",
            "a.1union",
            "sleep.union",
            "abs.or",
            "@x",
            "a(b)",
            "group by",
        ];
        for s in maybe {
            assert!(may_be_sqli(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn long_runs_are_bounded() {
        let long = "1".to_string() + &"a.".repeat(10_000);
        assert!(!may_be_sqli(long.as_bytes()));
        assert!(!may_be_sqli(&[0xff; 4096]));
    }
}
