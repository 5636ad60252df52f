//! Our SQL injection analysis against the reference it replaces: `libinjectionrs` 0.1.1's own
//! analysis, run the way `sqli.rs` ran it before (kept below as [`reference`]).
//!
//! Three depths of comparison, each over the same inputs:
//!
//! * tokens: every token (type, value, quotes) and the comment counts of a full scan, in all
//!   five contexts (`compare_tokens`);
//! * one context: the folded tokens, fingerprint, token count, MySQL-reparse decision and
//!   libinjection's own verdict (list + whitelist) (`compare_context`);
//! * the detector: verdict and matched tokens at both sensitivities, contexts, `/` retry and
//!   the `INTO OUTFILE` correction included (`compare_detect`).
//!
//! Inputs: every line of libinjection's lists (`sqli-*`, `xss-*`, `false_positives.txt`,
//! URL-decoded as `corpus_tests.rs` does), libinjection's unit-test inputs, GoTestWAF's payloads
//! (raw and URL-decoded), and 200,000 generated inputs (SQL pieces strung together, seeds
//! mutated, bytes from a small alphabet). The corpus tests print why and pass when
//! `../shared` is absent; the generated inputs need no data.
//!
//! The reference carries Low's exceptions (`sqli_low.rs`) over the crate's token positions,
//! so the comparison also checks that our token spans agree with the crate's where those
//! exceptions read them. Intended differences from the reference: none. The reference's departures from C
//! libinjection are kept on purpose (see `sqli_token.rs`, `sqli_fold.rs`, `sqli_whitelist.rs`).

use std::path::Path;

use libinjectionrs::sqli::SqliTokenizer;
use libinjectionrs::{SqliFlags, SqliState};

use super::corpus_tests::{corpus_dir, load, unit_test_inputs, url_decode, Rng, PIECES};
use super::sqli;
use super::sqli_fingerprint::fingerprint;
use super::sqli_fold::{fold, Folded};
use super::sqli_token::{Dialect, Kind, Quote, Token, Tokenizer};
use super::sqli_whitelist::is_not_whitelisted;
use super::Sensitivity;

/// The detector as it was before our own analysis: the crate's analysis per context, with
/// the same contexts, levels, `/` retry and `INTO OUTFILE` correction. Also timed beside
/// ours by `corpus_tests::throughput`.
pub(super) mod reference {
    use libinjectionrs::sqli::blacklist::is_blacklisted;
    use libinjectionrs::sqli::TokenType;
    use libinjectionrs::{SqliFlags, SqliState};

    use super::super::sqli_low;
    use super::super::sqli_token::Quote;
    use super::Sensitivity;

    pub fn detect(input: &[u8], level: Sensitivity, on_token: &mut dyn FnMut(&[u8])) -> bool {
        if in_contexts(input, level, on_token) {
            return true;
        }
        match input.iter().position(|&b| b != b'/') {
            Some(start) if start > 0 => {
                in_contexts(input.get(start..).unwrap_or_default(), level, on_token)
            }
            _ => false,
        }
    }

    fn in_contexts(input: &[u8], level: Sensitivity, on_token: &mut dyn FnMut(&[u8])) -> bool {
        if input.is_empty() {
            return false;
        }
        let ansi = SqliFlags::FLAG_SQL_ANSI;
        let mysql = SqliFlags::FLAG_SQL_MYSQL;
        let none = SqliFlags::FLAG_QUOTE_NONE;
        let mut reparse = false;
        let (q_none, q_single, q_double) = (Quote::None, Quote::Single, Quote::Double);
        if judge(input, q_none, none | ansi, level, &mut reparse, on_token) {
            return true;
        }
        if reparse && judge(input, q_none, none | mysql, level, &mut reparse, on_token) {
            return true;
        }
        if input.contains(&b'\'') {
            let single = SqliFlags::FLAG_QUOTE_SINGLE;
            if judge(
                input,
                q_single,
                single | ansi,
                level,
                &mut reparse,
                on_token,
            ) {
                return true;
            }
            if reparse
                && judge(
                    input,
                    q_single,
                    single | mysql,
                    level,
                    &mut reparse,
                    on_token,
                )
            {
                return true;
            }
        }
        let double = SqliFlags::FLAG_QUOTE_DOUBLE;
        input.contains(&b'"')
            && judge(
                input,
                q_double,
                double | mysql,
                level,
                &mut reparse,
                on_token,
            )
    }

    fn judge(
        input: &[u8],
        quote: Quote,
        flags: SqliFlags,
        level: Sensitivity,
        reparse: &mut bool,
        on_token: &mut dyn FnMut(&[u8]),
    ) -> bool {
        let mut state = SqliState::new(input, flags);
        let libinjection = state.is_sqli();
        *reparse = state.stats_comment_ddx != 0 || state.stats_comment_hash != 0;
        let hit = match level {
            Sensitivity::Low => {
                let into_file =
                    || into_file_exception(&state) && is_blacklisted(fingerprint(&state));
                (libinjection || into_file()) && !is_weak(input, quote, &state)
            }
            Sensitivity::High => libinjection || is_blacklisted(fingerprint(&state)),
        };
        if hit {
            for token in state.tokens.iter().take(fingerprint(&state).len()) {
                on_token(token.val.get(..token.len).unwrap_or(&token.val));
            }
        }
        hit
    }

    /// Low's exceptions ([`sqli_low`]) over the crate's tokens, whose `pos` and `len` are
    /// the token's start and length in the input.
    fn is_weak(input: &[u8], quote: Quote, state: &SqliState<'_>) -> bool {
        let print = fingerprint(state).as_bytes();
        let mut tokens = [sqli_low::Token::default(); 8];
        for (view, token) in tokens.iter_mut().zip(state.tokens.iter().take(print.len())) {
            *view = sqli_low::Token {
                pos: token.pos,
                len: token.len,
                value: token.val.get(..token.len).unwrap_or(&token.val),
            };
        }
        sqli_low::is_weak(
            input,
            quote,
            print,
            tokens.get(..print.len()).unwrap_or_default(),
        )
    }

    pub fn fingerprint<'s>(state: &'s SqliState<'_>) -> &'s str {
        let len = state
            .fingerprint
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(state.fingerprint.len());
        std::str::from_utf8(state.fingerprint.get(..len).unwrap_or_default()).unwrap_or_default()
    }

    fn into_file_exception(state: &SqliState<'_>) -> bool {
        if fingerprint(state).len() != 3 {
            return false;
        }
        state.tokens.get(1).is_some_and(|t| {
            t.token_type == TokenType::Keyword
                && t.len >= 5
                && t.val
                    .get(..4)
                    .is_some_and(|v| v.eq_ignore_ascii_case(b"INTO"))
        })
    }
}

/// The five contexts libinjection can use, ours and the crate's spelling.
fn contexts() -> [(Quote, Dialect, SqliFlags); 5] {
    let (ansi, mysql) = (SqliFlags::FLAG_SQL_ANSI, SqliFlags::FLAG_SQL_MYSQL);
    [
        (
            Quote::None,
            Dialect::Ansi,
            SqliFlags::FLAG_QUOTE_NONE | ansi,
        ),
        (
            Quote::None,
            Dialect::Mysql,
            SqliFlags::FLAG_QUOTE_NONE | mysql,
        ),
        (
            Quote::Single,
            Dialect::Ansi,
            SqliFlags::FLAG_QUOTE_SINGLE | ansi,
        ),
        (
            Quote::Single,
            Dialect::Mysql,
            SqliFlags::FLAG_QUOTE_SINGLE | mysql,
        ),
        (
            Quote::Double,
            Dialect::Mysql,
            SqliFlags::FLAG_QUOTE_DOUBLE | mysql,
        ),
    ]
}

/// A token as text for comparison: type character, value, opening and closing quote.
type Shown = (char, Vec<u8>, u8, u8);

fn ours(t: &Token) -> Shown {
    let c = match t.kind {
        Kind::None => '\0',
        k => char::from(k.fingerprint_char()),
    };
    (c, t.value().to_vec(), t.str_open, t.str_close)
}

fn theirs(t: &libinjectionrs::sqli::Token) -> Shown {
    (
        t.token_type.to_char(),
        t.val.get(..t.len).unwrap_or_default().to_vec(),
        t.str_open,
        t.str_close,
    )
}

fn show(input: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(input))
}

/// Every token and the comment counts of a full scan.
fn compare_tokens(
    input: &[u8],
    quote: Quote,
    dialect: Dialect,
    flags: SqliFlags,
) -> Result<(), String> {
    let mut theirs_tz = SqliTokenizer::new(input, flags);
    let mut ours_tz = Tokenizer::new(input, quote, dialect);
    let mut tok = Token::EMPTY;
    // Each token consumes a byte, so this bounds both scans.
    for i in 0..=input.len() + 1 {
        let t = theirs_tz.next_token();
        let o = ours_tz.next(&mut tok).then(|| ours(&tok));
        let t = t.as_ref().map(theirs);
        if o != t {
            return Err(format!(
                "{quote:?}/{dialect:?} token {i}: ours {o:?}, crate {t:?}"
            ));
        }
        if o.is_none() {
            break;
        }
    }
    let s = ours_tz.stats;
    let ours_stats = [s.dash_white, s.dash_other, s.c_style, s.hash];
    let theirs_stats = [
        theirs_tz.stats_comment_ddw,
        theirs_tz.stats_comment_ddx,
        theirs_tz.stats_comment_c,
        theirs_tz.stats_comment_hash,
    ]
    .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    if ours_stats != theirs_stats {
        return Err(format!(
            "{quote:?}/{dialect:?} comment counts: ours {ours_stats:?}, crate {theirs_stats:?}"
        ));
    }
    Ok(())
}

/// Folded tokens, fingerprint, token count, reparse decision and libinjection's verdict in
/// one context.
fn compare_context(
    input: &[u8],
    quote: Quote,
    dialect: Dialect,
    flags: SqliFlags,
) -> Result<(), String> {
    let mut state = SqliState::new(input, flags);
    let crate_sqli = state.is_sqli();
    let crate_fp = reference::fingerprint(&state).as_bytes().to_vec();
    let crate_tokens: Vec<Shown> = state.tokens.iter().map(theirs).collect();
    let crate_reparse = state.stats_comment_ddx != 0 || state.stats_comment_hash != 0;

    let mut folded = Folded::new();
    fold(input, quote, dialect, &mut folded);
    let reparse = folded.comments.reparse_as_mysql();
    let fp = fingerprint(&mut folded);
    let sqli = fp.is_listed() && is_not_whitelisted(input, &fp, &folded);
    let tokens: Vec<Shown> = folded.tokens().iter().map(ours).collect();

    let ctx = format!("{quote:?}/{dialect:?}");
    let fps = |f: &[u8]| String::from_utf8_lossy(f).into_owned();
    if fp.as_bytes() != crate_fp {
        return Err(format!(
            "{ctx} fingerprint: ours {}, crate {}",
            fps(fp.as_bytes()),
            fps(&crate_fp)
        ));
    }
    if tokens != crate_tokens {
        return Err(format!(
            "{ctx} tokens: ours {tokens:?}, crate {crate_tokens:?}"
        ));
    }
    if folded.tokens_read != state.stats_tokens {
        return Err(format!(
            "{ctx} tokens read: ours {}, crate {}",
            folded.tokens_read, state.stats_tokens
        ));
    }
    if reparse != crate_reparse {
        return Err(format!(
            "{ctx} reparse: ours {reparse}, crate {crate_reparse}"
        ));
    }
    if sqli != crate_sqli {
        return Err(format!(
            "{ctx} libinjection verdict on {}: ours {sqli}, crate {crate_sqli}",
            fps(&crate_fp)
        ));
    }
    Ok(())
}

/// Verdict and matched tokens of the whole detector at both sensitivities.
fn compare_detect(input: &[u8]) -> Result<(), String> {
    for level in [Sensitivity::Low, Sensitivity::High] {
        let mut ours_tokens = Vec::new();
        let ours = sqli::detect(input, level, &mut |t| ours_tokens.push(t.to_vec()));
        let mut theirs_tokens = Vec::new();
        let theirs = reference::detect(input, level, &mut |t| theirs_tokens.push(t.to_vec()));
        if ours != theirs || ours_tokens != theirs_tokens {
            let shown = |v: &[Vec<u8>]| -> Vec<String> {
                v.iter()
                    .map(|t| String::from_utf8_lossy(t).into_owned())
                    .collect()
            };
            return Err(format!(
                "{level:?}: ours {ours} {:?}, crate {theirs} {:?}",
                shown(&ours_tokens),
                shown(&theirs_tokens)
            ));
        }
    }
    Ok(())
}

/// Which comparisons to run.
#[derive(Clone, Copy)]
struct Depth {
    tokens: bool,
    contexts: bool,
}

const ALL: Depth = Depth {
    tokens: true,
    contexts: true,
};

/// Counts comparisons and keeps the first few differences.
#[derive(Default)]
struct Tally {
    inputs: usize,
    differing: usize,
    examples: Vec<String>,
    detected_low: usize,
    detected_high: usize,
}

impl Tally {
    fn check(&mut self, input: &[u8], depth: Depth) {
        self.inputs += 1;
        let mut result = compare_detect(input);
        for (quote, dialect, flags) in contexts() {
            if depth.contexts {
                result = result.and_then(|()| compare_context(input, quote, dialect, flags));
            }
            if depth.tokens {
                result = result.and_then(|()| compare_tokens(input, quote, dialect, flags));
            }
        }
        if let Err(why) = result {
            self.differing += 1;
            if self.examples.len() < 25 {
                self.examples.push(format!("{}: {why}", show(input)));
            }
        }
        self.detected_low += usize::from(sqli::detect(input, Sensitivity::Low, &mut |_| {}));
        self.detected_high += usize::from(sqli::detect(input, Sensitivity::High, &mut |_| {}));
    }

    fn assert_identical(&self, what: &str) {
        println!(
            "{what}: {} inputs, {} differ from the crate; detected low {}, high {}",
            self.inputs, self.differing, self.detected_low, self.detected_high
        );
        assert!(
            self.differing == 0,
            "{what}: {} of {} inputs differ from libinjectionrs, e.g.\n{}",
            self.differing,
            self.inputs,
            self.examples.join("\n")
        );
    }
}

/// GoTestWAF's payloads, raw and URL-decoded, or nothing when the corpus is absent.
fn gotestwaf_payloads(dir: &Path) -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let Ok(cases) = crate::efficacy::gotestwaf::parse(&text) else {
            continue;
        };
        for p in cases.payloads {
            let decoded = url_decode(p.as_bytes());
            if decoded != p.as_bytes() {
                out.push(decoded);
            }
            out.push(p.into_bytes());
        }
    }
    out
}

#[test]
fn parity_on_libinjection_corpus_and_unit_tests() {
    let Some(dir) = corpus_dir() else {
        println!("skipped: shared/corpus/libinjection not found (set WEBACL_SHARED_DIR)");
        return;
    };
    for prefix in ["sqli-", "xss-", "false_positives"] {
        let mut tally = Tally::default();
        for (_, lines) in load(&dir, prefix) {
            for line in lines {
                tally.check(&line, ALL);
            }
        }
        assert!(tally.inputs > 400, "{prefix}: only {} lines", tally.inputs);
        tally.assert_identical(&format!("{prefix}* lines"));
    }
    let mut tally = Tally::default();
    for input in unit_test_inputs(&dir) {
        tally.check(&input, ALL);
    }
    assert!(tally.inputs > 400, "unit tests: only {}", tally.inputs);
    tally.assert_identical("libinjection unit-test inputs");
}

#[test]
fn parity_on_gotestwaf_payloads() {
    let Some(dir) = corpus_dir()
        .and_then(|d| d.parent().map(|p| p.join("gotestwaf/testcases")))
        .filter(|d| d.is_dir())
    else {
        println!("skipped: shared/corpus/gotestwaf not found (set WEBACL_SHARED_DIR)");
        return;
    };
    let mut tally = Tally::default();
    for payload in gotestwaf_payloads(&dir) {
        tally.check(&payload, ALL);
    }
    assert!(tally.inputs > 100, "only {} payloads", tally.inputs);
    tally.assert_identical("GoTestWAF payloads");
}

/// SQL-shaped pieces beyond `corpus_tests::PIECES`: every string prefix, comment form,
/// operator pair, and the words the folding rules name.
const SQL_PIECES: &[&str] = &[
    "'",
    "\"",
    "`",
    "``",
    "--",
    "-- ",
    "--x",
    "#",
    "/*",
    "*/",
    "/*!",
    "/*/",
    "*",
    "N'",
    "n'",
    "E'",
    "X'",
    "x'1f'",
    "B'",
    "b'01'",
    "Q'[",
    "q'(",
    "nq'<",
    "U&'",
    "u&",
    "$$",
    "$a$",
    "$1,0",
    "$.",
    "@",
    "@@",
    "@`",
    "@'",
    "[",
    "]",
    "{",
    "}",
    "{ ``",
    "\\",
    "\\N",
    "\\%",
    "0x",
    "0X1f",
    "0b",
    "0b2",
    "1e",
    "1e+",
    "1.e",
    ".e",
    "1f",
    "1d",
    "1fu",
    "1.5e-3",
    "<=>",
    "::",
    ":=",
    "||",
    "&&",
    "!!",
    "<>",
    "!=",
    ">=",
    "~*",
    "|/",
    "not",
    "NOT",
    "in",
    "IN",
    "like",
    "LIKE",
    "collate",
    "utf8_bin",
    "user",
    "USER",
    "database",
    "if",
    "IF",
    "into",
    "outfile",
    "INTO OUTFILE",
    "sp_password",
    "union all",
    "UNION",
    "group by",
    "order by",
    "select",
    "SELECT",
    "from",
    "where",
    "sleep",
    "benchmark",
    "char",
    "varchar",
    "int",
    "exec",
    "waitfor delay",
    "drop",
    "table",
    "and",
    "or",
    "xor",
    "div",
    "null",
    "true",
    "@@version",
    "version()",
    "1=1",
    "'1'='1",
    "admin'--",
    "1)",
    "((",
    "))",
    ";;",
    ";",
    ",-",
    ", +",
    "-1",
    "+1",
    "~1",
    "!1",
    "a.b",
    "select.1",
    "sys.database_name",
    "\n",
    "\t",
    "\r",
    "\x0b",
    "\0",
    "\u{a0}",
    "\u{ff}",
    "%27",
    "%20",
];

/// Attack-shaped seeds to mutate.
const SEEDS: &[&str] = &[
    "1 UNION ALL SELECT 1,2,3--",
    "' OR '1'='1",
    "1' AND SLEEP(5)#",
    "admin'/*",
    "1; DROP TABLE users",
    "\" or \"\"=\"",
    "1) or (1=1",
    "-1 union select @@version,user(),database()",
    "1 into outfile '/tmp/x'",
    "x' AND 1=(SELECT COUNT(*) FROM tablenames); --",
    "{ `` }",
    "1/*!50000union*/select",
    "';waitfor delay '0:0:5'--",
    "1 and ascii(substring((select top 1 name from sysobjects),1,1))>64",
    "@@version",
    "$$ or 1 $$",
    "q'[x]' or 1",
    "N'a' + N'b'",
    "1 -- sp_password",
    "SELECT-1e1FROM`test`",
    "/SELECT-1e1FROM`test`",
    "//1 or 1",
    "1,-1",
    "\\%1",
    "a COLLATE utf8_bin",
    "1 IN (1)",
    "x LIKE(1)",
    "; IF 1=1 SELECT 1",
    "1 ))) or (((1",
    "`x` or 1",
];

/// One generated input into `out`.
fn generate(rng: &mut Rng, out: &mut Vec<u8>) {
    out.clear();
    let piece = |rng: &mut Rng| -> &'static str {
        if rng.below(2) == 0 {
            SQL_PIECES[rng.below(SQL_PIECES.len())]
        } else {
            PIECES[rng.below(PIECES.len())]
        }
    };
    match rng.below(3) {
        0 => {
            for _ in 0..1 + rng.below(14) {
                out.extend_from_slice(piece(rng).as_bytes());
                if rng.below(3) == 0 {
                    out.push(b' ');
                }
            }
        }
        1 => {
            out.extend_from_slice(SEEDS[rng.below(SEEDS.len())].as_bytes());
            for _ in 0..1 + rng.below(4) {
                let p = piece(rng);
                mutate(rng, out, p.as_bytes());
            }
        }
        _ => {
            const ALPHABET: &[u8] =
                b" '\"`#-/*!@$.,;:()[]{}\\|&<>=+~%^?01eEnNqQuUxXbBab_\n\0\xa0\xff";
            for _ in 0..rng.below(40) {
                out.push(ALPHABET[rng.below(ALPHABET.len())]);
            }
        }
    }
}

/// One random edit of `out`: insert `piece`, delete a range, replace a byte, duplicate a
/// range, truncate, or prefix slashes.
fn mutate(rng: &mut Rng, out: &mut Vec<u8>, piece: &[u8]) {
    let at = rng.below(out.len() + 1);
    match rng.below(6) {
        0 => {
            out.splice(at..at, piece.iter().copied());
        }
        1 => {
            let end = (at + 1 + rng.below(6)).min(out.len());
            if at < end {
                out.drain(at..end);
            }
        }
        2 => {
            if let Some(b) = out.get_mut(at) {
                *b = rng.below(256) as u8;
            }
        }
        3 => {
            let end = (at + 1 + rng.below(8)).min(out.len());
            let copy: Vec<u8> = out.get(at..end).unwrap_or_default().to_vec();
            out.splice(at..at, copy);
        }
        4 => out.truncate(at),
        _ => {
            out.splice(0..0, b"//".iter().copied().take(1 + rng.below(2)));
        }
    }
}

#[test]
fn parity_on_generated_inputs() {
    const INPUTS: usize = 200_000;
    let mut rng = Rng(0x5EED_0005_1A11_0001);
    let mut input = Vec::new();
    let mut tally = Tally::default();
    for i in 0..INPUTS {
        generate(&mut rng, &mut input);
        // Token streams on every eighth input: the context comparison already covers the
        // tokens that folding reads.
        let depth = Depth {
            tokens: i % 8 == 0,
            contexts: true,
        };
        tally.check(&input, depth);
    }
    assert!(tally.detected_low > INPUTS / 20, "{}", tally.detected_low);
    assert!(tally.detected_high > tally.detected_low);
    tally.assert_identical("generated inputs");
}

/// Long inputs: values are cut at 31 bytes, words over 31 bytes are never keywords, and
/// splitting at `.` only looks at the first 31 bytes of a word.
#[test]
fn parity_on_long_inputs() {
    let mut tally = Tally::default();
    let long_word = "a".repeat(40);
    for input in [
        format!("{long_word} or 1=1"),
        format!("{long_word}.select 1"),
        format!("select{}.1", ".".repeat(40)),
        format!("'{long_word}' or '1'='1"),
        format!("1 union select {long_word}"),
        format!("{}UNION.x", "ab".repeat(14)),
        format!("{}UNION.x", "ab".repeat(15)),
        format!("CURRENT_TIMESTAMP {}", "x".repeat(20)),
        format!("/*{}*/ 1 or 1", "x".repeat(100)),
        "x".repeat(100_000),
        format!("{}'", "a.".repeat(1_000)),
    ] {
        tally.check(input.as_bytes(), ALL);
    }
    tally.assert_identical("long inputs");
}
