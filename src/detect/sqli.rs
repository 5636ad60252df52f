//! The full SQL injection analysis: libinjection's tokenizer, folding and fingerprint list,
//! through `libinjectionrs`, with our two sensitivity levels on top.
//!
//! Owns the mapping from [`Sensitivity`] to libinjection calls and the extraction of the
//! matched tokens. Runs only after [`super::sqli_prefilter`] said "maybe".
//!
//! libinjection analyses the input in up to five contexts, in this order, stopping at the
//! first detection: as-is (ANSI SQL); as-is as MySQL (only when the ANSI pass saw `--x` or
//! `#` comments); as if preceded by `'` (only when the input contains `'`: ANSI, then MySQL
//! under the same comment condition); as if preceded by `"` (only when it contains `"`;
//! MySQL). We walk the same contexts ourselves so that both levels share one pass each:
//!
//! * Low: the fingerprint is listed and passes libinjection's whitelist. One correction:
//!   the port compares the whitelist's `INTO OUTFILE`/`INTO DUMPFILE` exception
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

use libinjectionrs::sqli::blacklist::is_blacklisted;
use libinjectionrs::sqli::TokenType;
use libinjectionrs::{SqliFlags, SqliState};

use super::sqli_low::{self, Quote};
use super::Sensitivity;

/// Runs the analysis; on detection calls `on_token` with each token of the matched
/// fingerprint, in order, and returns true.
pub(super) fn detect(input: &[u8], level: Sensitivity, on_token: &mut dyn FnMut(&[u8])) -> bool {
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

/// libinjection's sequence of contexts (see the module doc) at the given level.
fn in_contexts(input: &[u8], level: Sensitivity, on_token: &mut dyn FnMut(&[u8])) -> bool {
    if input.is_empty() {
        return false;
    }
    let ansi = SqliFlags::FLAG_SQL_ANSI;
    let mysql = SqliFlags::FLAG_SQL_MYSQL;
    let none = SqliFlags::FLAG_QUOTE_NONE;
    let mut reparse = false;
    let mut pass = |quote, flags, reparse: &mut bool| {
        judge(input, quote, flags, level, reparse, &mut *on_token)
    };
    if pass(Quote::None, none | ansi, &mut reparse) {
        return true;
    }
    if reparse && pass(Quote::None, none | mysql, &mut reparse) {
        return true;
    }
    if input.contains(&b'\'') {
        let single = SqliFlags::FLAG_QUOTE_SINGLE;
        if pass(Quote::Single, single | ansi, &mut reparse) {
            return true;
        }
        if reparse && pass(Quote::Single, single | mysql, &mut reparse) {
            return true;
        }
    }
    let double = SqliFlags::FLAG_QUOTE_DOUBLE;
    input.contains(&b'"') && pass(Quote::Double, double | mysql, &mut reparse)
}

/// Analyses `input` in one context. Sets `reparse` when the pass saw comments that make
/// libinjection retry as MySQL; reports the tokens on detection.
fn judge(
    input: &[u8],
    quote: Quote,
    flags: SqliFlags,
    level: Sensitivity,
    reparse: &mut bool,
    on_token: &mut dyn FnMut(&[u8]),
) -> bool {
    let mut state = SqliState::new(input, flags);
    // Fingerprint, list and whitelist, exactly as libinjection's per-context check.
    let libinjection = state.is_sqli();
    *reparse = state.stats_comment_ddx != 0 || state.stats_comment_hash != 0;
    let hit = match level {
        Sensitivity::Low => {
            let into_file = || into_file_exception(&state) && is_blacklisted(fingerprint(&state));
            (libinjection || into_file()) && !is_weak(input, quote, &state)
        }
        Sensitivity::High => libinjection || is_blacklisted(fingerprint(&state)),
    };
    if hit {
        report(&state, on_token);
    }
    hit
}

/// The state's fingerprint as text (`"1&1"`).
fn fingerprint<'s>(state: &'s SqliState<'_>) -> &'s str {
    let len = state
        .fingerprint
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(state.fingerprint.len());
    std::str::from_utf8(state.fingerprint.get(..len).unwrap_or_default()).unwrap_or_default()
}

/// libinjection's three-token whitelist treats `x KEYWORD y` as benign unless the keyword
/// starts with `INTO` (case-insensitive) and is at least five bytes long (`INTO OUTFILE`);
/// the port makes that comparison case-sensitive. True when C would call this SQLi.
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

/// Low's exceptions to libinjection's verdict ([`sqli_low`]) for this pass.
fn is_weak(input: &[u8], quote: Quote, state: &SqliState<'_>) -> bool {
    let print = fingerprint(state).as_bytes();
    let mut tokens = [sqli_low::Token::default(); 8];
    for (slot, token) in tokens.iter_mut().zip(state.tokens.iter().take(print.len())) {
        *slot = sqli_low::Token {
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

/// Passes the tokens behind the state's fingerprint to `on_token`.
fn report(state: &SqliState<'_>, on_token: &mut dyn FnMut(&[u8])) {
    for token in state.tokens.iter().take(fingerprint(state).len()) {
        on_token(token.val.get(..token.len).unwrap_or(&token.val));
    }
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
