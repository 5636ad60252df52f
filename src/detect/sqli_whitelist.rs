//! libinjection's false-positive heuristics ("is not whitelisted"): a listed fingerprint of
//! two or three tokens is still called benign in shapes that ordinary text produces.
//!
//! Owns libinjection's `is_not_whitelist`, as the reference crate `libinjectionrs` 0.1.1 has it
//! (its quirks kept: `sp_password` is searched case-insensitively and only in valid UTF-8;
//! the `1c` rule reads the byte at the first token's *length*, not its end, and an input that
//! ends there is benign; the `INTO OUTFILE` exception is case-sensitive, which `sqli.rs`
//! corrects on top). Sensitivity High skips this file entirely.
//!
//! * Any length: a trailing comment and `sp_password` anywhere → SQLi (MSSQL log hiding).
//! * Two tokens: `xU` is SQLi only if folding happened; `x#…` is benign; a bareword then a
//!   `--`/`#` comment is benign; a number then a `/*` comment is SQLi; a number then another
//!   comment is SQLi if folding happened or the number is followed by whitespace, `/*` or
//!   `--`; `x --…` with text after the dashes is benign.
//! * Three tokens: `s o s`/`s & s` are SQLi only when the outer quotes pair up across the
//!   operator (`…' + '…`); `s&n`, `n&1`, `1&1`, `1&v`, `1&s` are benign without folding
//!   ("sexy and 17"); a keyword in the middle is benign unless it is `INTO…` (OUTFILE).
//!
//! Cost: constant, plus one scan of the input for `sp_password` when the fingerprint ends in
//! a comment.

use super::sqli_fingerprint::Fingerprint;
use super::sqli_fold::Folded;
use super::sqli_token::{Kind, Token};

/// True when libinjection keeps calling this listed fingerprint SQL injection.
pub(super) fn is_not_whitelisted(input: &[u8], fp: &Fingerprint, folded: &Folded) -> bool {
    let chars = fp.as_bytes();
    if chars.len() > 1
        && chars.last() == Some(&Kind::Comment.fingerprint_char())
        && sp_password(input)
    {
        return true;
    }
    let tokens = folded.tokens();
    match chars.len() {
        2 => two_tokens(input, chars, tokens, folded.tokens_read),
        3 => three_tokens(chars, tokens, folded.tokens_read),
        _ => true,
    }
}

/// MSSQL's `sp_password` in a comment hides the statement from its logs.
fn sp_password(input: &[u8]) -> bool {
    const NEEDLE: &[u8] = b"sp_password";
    std::str::from_utf8(input).is_ok()
        && input
            .windows(NEEDLE.len())
            .any(|w| w.eq_ignore_ascii_case(NEEDLE))
}

fn two_tokens(input: &[u8], chars: &[u8], tokens: &[Token], tokens_read: usize) -> bool {
    let (Some(t0), Some(t1)) = (tokens.first(), tokens.get(1)) else {
        return true;
    };
    if chars.get(1) == Some(&Kind::Union.fingerprint_char()) {
        // `1U` alone is common in split parameters; with folding it is an attack.
        return tokens_read != 2;
    }
    if t1.first_byte() == b'#' {
        return false;
    }
    if t0.kind == Kind::Bareword && t1.kind == Kind::Comment && t1.first_byte() != b'/' {
        return false;
    }
    if t0.kind == Kind::Number && t1.kind == Kind::Comment {
        if t1.first_byte() == b'/' || tokens_read > 2 {
            return true;
        }
        // Is the number followed by whitespace, `/*` or `--`? (Read at the number's length,
        // as libinjection does, which is its end only when the number starts the input.)
        let at = t0.len();
        let Some(&next) = input.get(at) else {
            return false;
        };
        let after = input.get(at + 1).copied();
        // libinjection compares a signed char: bytes ≥ 0x80 count as whitespace too.
        return (next as i8) <= 32
            || (next == b'/' && after == Some(b'*'))
            || (next == b'-' && after == Some(b'-'));
    }
    // `x --` ends a scan's probe; `x -- text` is prose.
    !(t1.len() > 2 && t1.first_byte() == b'-')
}

fn three_tokens(chars: &[u8], tokens: &[Token], tokens_read: usize) -> bool {
    let (Some(t0), Some(t1), Some(t2)) = (tokens.first(), tokens.get(1), tokens.get(2)) else {
        return true;
    };
    if chars == b"sos" || chars == b"s&s" {
        // `…foo' + 'bar…`: the value closes a string and opens another.
        return t0.str_open == 0 && t2.str_close == 0 && t0.str_close == t2.str_open;
    }
    if [&b"s&n"[..], b"n&1", b"1&1", b"1&v", b"1&s"].contains(&chars) && tokens_read == 3 {
        return false;
    }
    if t1.kind == Kind::Keyword && (t1.len() < 5 || !t1.value().starts_with(b"INTO")) {
        return false;
    }
    true
}
