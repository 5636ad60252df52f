//! The full SQL injection analysis: libinjection's algorithm, our own implementation of it
//! (`sqli_token.rs` → `sqli_fold.rs` → `sqli_fingerprint.rs` → `sqli_whitelist.rs`, with
//! the table in `sqli_keywords.rs`), with our two sensitivity levels on top.
//!
//! Owns the walk through libinjection's contexts, the mapping from [`Sensitivity`] to the
//! whitelist, and the extraction of the matched tokens. Runs only after
//! [`super::sqli_prefilter`] said "maybe". The reference is `libinjectionrs` 0.1.1, whose
//! analysis `sqli_parity_tests.rs` runs beside ours on every corpus line and on random
//! input: verdicts, fingerprints and matched tokens are identical.
//!
//! libinjection analyses the input in up to five contexts, in this order, stopping at the
//! first detection: as-is (ANSI SQL); as-is as MySQL (only when the ANSI pass saw `--x` or
//! `#` comments); as if preceded by `'` (only when the input contains `'`: ANSI, then MySQL
//! under the same comment condition); as if preceded by `"` (only when it contains `"`;
//! MySQL). We walk the same contexts ourselves so that both levels share one pass each:
//!
//! * Low: the fingerprint is listed and passes libinjection's whitelist. One correction:
//!   the reference crate compares the whitelist's `INTO OUTFILE`/`INTO DUMPFILE` exception
//!   case-sensitively where C libinjection ignores case, so `1 into outfile 'x'` slipped
//!   through; we apply the exception case-insensitively, as C does. Then the four weak
//!   shapes of [`super::sqli_low`] (quoted words in prose, word then comment, a folded-away
//!   word, an e-mail domain) are taken out, to keep Low's false positives under 1%.
//! * High: the fingerprint is listed, whitelist or not. Every Low detection is a High one.
//!
//! Both levels then make one more attempt: when the input starts with `/` (a URI path) and
//! is not flagged, the text after the leading slashes is analysed too. AWS's one published
//! SQLi record flags the URI `/SELECT-1e1FROM%60test%60` with matchedData
//! `["SELECT","1e1","FROM","test"]`, while libinjection reads the leading `/` as an operator
//! and lets the whole path pass. Removing leading quiet bytes keeps the prefilter's argument
//! intact: the remaining text has no trigger byte, pair or hot word the whole input lacks.
//!
//! Cost: each context is one tokenize-and-fold pass that reads only the tokens folding
//! needs (often a few dozen bytes); at most five contexts, ten with the `/` retry. Nothing is
//! allocated: tokens live in one fixed array on the stack, reused by every pass.

use super::sqli_fingerprint::{fingerprint, Fingerprint};
use super::sqli_fold::{fold, Folded};
use super::sqli_low;
use super::sqli_token::{Dialect, Kind, Quote};
use super::sqli_whitelist::is_not_whitelisted;
use super::Sensitivity;

/// Runs the analysis; on detection calls `on_token` with each token of the matched
/// fingerprint, in order, and returns true.
pub(super) fn detect(input: &[u8], level: Sensitivity, on_token: &mut dyn FnMut(&[u8])) -> bool {
    let mut folded = Folded::new();
    if in_contexts(input, level, &mut folded, on_token) {
        return true;
    }
    match input.iter().position(|&b| b != b'/') {
        Some(start) if start > 0 => in_contexts(
            input.get(start..).unwrap_or_default(),
            level,
            &mut folded,
            on_token,
        ),
        _ => false,
    }
}

/// libinjection's sequence of contexts (see the module doc) at the given level.
fn in_contexts(
    input: &[u8],
    level: Sensitivity,
    folded: &mut Folded,
    on_token: &mut dyn FnMut(&[u8]),
) -> bool {
    if input.is_empty() {
        return false;
    }
    let mut pass = |quote, dialect| judge(input, quote, dialect, level, folded, on_token);
    let (ansi, mysql) = (Dialect::Ansi, Dialect::Mysql);
    let (hit, reparse) = pass(Quote::None, ansi);
    if hit || (reparse && pass(Quote::None, mysql).0) {
        return true;
    }
    if input.contains(&b'\'') {
        let (hit, reparse) = pass(Quote::Single, ansi);
        if hit || (reparse && pass(Quote::Single, mysql).0) {
            return true;
        }
    }
    input.contains(&b'"') && pass(Quote::Double, mysql).0
}

/// Analyses `input` in one context; reports the tokens on detection. Returns (detected,
/// whether the pass saw comments that make libinjection retry as MySQL).
fn judge(
    input: &[u8],
    quote: Quote,
    dialect: Dialect,
    level: Sensitivity,
    folded: &mut Folded,
    on_token: &mut dyn FnMut(&[u8]),
) -> (bool, bool) {
    fold(input, quote, dialect, folded);
    let reparse = folded.comments.reparse_as_mysql();
    let fp = fingerprint(folded);
    let hit = fp.is_listed()
        && match level {
            Sensitivity::Low => {
                (is_not_whitelisted(input, &fp, folded) || into_file_exception(&fp, folded))
                    && !is_weak(input, quote, &fp, folded)
            }
            Sensitivity::High => true,
        };
    if hit {
        for token in folded.tokens().iter().take(fp.len()) {
            on_token(token.value());
        }
    }
    (hit, reparse)
}

/// Low's exceptions to libinjection's verdict ([`sqli_low`]) for this pass.
fn is_weak(input: &[u8], quote: Quote, fp: &Fingerprint, folded: &Folded) -> bool {
    let mut tokens = [sqli_low::Token::default(); 8];
    for (view, token) in tokens.iter_mut().zip(folded.tokens().iter().take(fp.len())) {
        let pos = token.pos as usize;
        *view = sqli_low::Token {
            pos,
            len: (token.end as usize).saturating_sub(pos),
            value: token.value(),
        };
    }
    let shown = tokens.get(..fp.len()).unwrap_or_default();
    sqli_low::is_weak(input, quote, fp.as_bytes(), shown)
}

/// libinjection's three-token whitelist treats `x KEYWORD y` as benign unless the keyword
/// starts with `INTO` (case-insensitive) and is at least five bytes long (`INTO OUTFILE`);
/// the reference crate makes that comparison case-sensitive. True when C would call this SQLi.
fn into_file_exception(fp: &Fingerprint, folded: &Folded) -> bool {
    fp.len() == 3
        && folded.tokens().get(1).is_some_and(|t| {
            t.kind == Kind::Keyword
                && t.len() >= 5
                && t.value()
                    .get(..4)
                    .is_some_and(|v| v.eq_ignore_ascii_case(b"INTO"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(input: &str, level: Sensitivity) -> Option<Vec<String>> {
        let mut out = Vec::new();
        detect(input.as_bytes(), level, &mut |t| {
            out.push(String::from_utf8_lossy(t).into_owned())
        })
        .then_some(out)
    }

    #[test]
    fn matched_tokens_look_like_aws_matched_data() {
        assert_eq!(
            tokens("10 AND 1=1", Sensitivity::Low),
            Some(vec!["10".into(), "AND".into(), "1".into()])
        );
        // AWS's real record (spec §7.1 A): the URI `/SELECT-1e1FROM%60test%60` URL-decoded.
        assert_eq!(
            tokens("/SELECT-1e1FROM`test`", Sensitivity::Low),
            Some(vec![
                "SELECT".into(),
                "1e1".into(),
                "FROM".into(),
                "test".into()
            ])
        );
        assert_eq!(
            tokens("1' OR '1'='1", Sensitivity::Low),
            Some(vec![
                "1".into(),
                "OR".into(),
                "1".into(),
                "=".into(),
                "1".into()
            ])
        );
    }

    #[test]
    fn benign_values_are_not_flagged() {
        for s in ["", "hello world", "O'Brien", "42", "a-b-c", "SELECT"] {
            assert_eq!(tokens(s, Sensitivity::Low), None, "{s}");
            assert_eq!(tokens(s, Sensitivity::High), None, "{s}");
        }
    }

    #[test]
    fn into_outfile_is_detected_in_any_case() {
        for s in [
            "1 into outfile 'x'",
            "1 INTO OUTFILE 'x'",
            "@version InTo dumpfile 'x'",
        ] {
            assert!(tokens(s, Sensitivity::Low).is_some(), "{s}");
        }
    }

    #[test]
    fn high_adds_whitelisted_shapes() {
        for s in ["1 OR 1", "1 union"] {
            assert_eq!(tokens(s, Sensitivity::Low), None, "{s}");
            assert!(tokens(s, Sensitivity::High).is_some(), "{s}");
        }
    }
}
