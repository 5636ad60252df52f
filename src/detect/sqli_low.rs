//! What Low sensitivity leaves out of libinjection's verdict: four short shapes that, on
//! libinjection's own list of benign text, account for most of its false positives.
//!
//! Owns the rule "this listed, whitelisted fingerprint is still too weak for Low". AWS
//! documents Low as the setting with fewer false positives and High as the one that catches
//! more; our Low is libinjection's verdict minus the shapes below, and High keeps every
//! listed fingerprint, so High still flags everything Low flags. Each shape, with the benign
//! text that made it a rule and what it costs on libinjection's attack lists (17,149
//! values; the figures are printed by `corpus_tests.rs`):
//!
//! 1. **Quoted words in prose.** In the double-quote context (the input read as if it
//!    continued a `"`-quoted MySQL string), the three-token shapes string–operator–string
//!    `sos` and `s&s`: `CHRISTMAS STOCKING "NOT" STUFFER`, `"LIKE" STAMP`, `SMALL "&" SIGN`,
//!    `<A HREF="/APPS/">`. Text with one quoted word produces exactly these. Costs five
//!    attack values (`1"OR!"a` and relatives), all still flagged at High.
//! 2. **A word, then a comment** (`nc`): `x/*`, a path glob. A bareword followed by a comment
//!    changes no query; the real shape `admin'--` is a string, then a comment (`sc`).
//!    Costs none.
//! 3. **Folding swallowed a word.** `1c` (number, comment) and `1&1` (number, logic
//!    operator, number) when the text between the first two tokens holds a letter outside a
//!    comment: libinjection folded a bareword away, as in `80% ACRYLIC AND 20% WOOL` or the
//!    ticket id `1611-IioXXIG1ti8rspL2vbXFy--`. The attacks of these shapes put only
//!    digits, operators or comments there (`1 * 1--`, `8-9 OR 1 = 1`,
//!    `1#x\nAND#y\n9227=9227`). Costs none.
//! 4. **E-mail addresses.** A variable token `@name.tld` right after a letter or digit is
//!    the domain of an address (`john or@var.es`, from GoTestWAF's benign texts), not a
//!    MySQL user variable. Costs none; `or@1`-style attacks have no dot.
//!
//! Cost: a few byte comparisons on the five fingerprint tokens, only for inputs that
//! libinjection already flagged; no allocation.

use super::sqli_token::Quote;

/// One token behind a fingerprint: where it starts in the analysed input, its length there,
/// and its value as libinjection reports it (string tokens without their quotes).
#[derive(Clone, Copy, Default)]
pub(super) struct Token<'a> {
    pub pos: usize,
    pub len: usize,
    pub value: &'a [u8],
}

/// True when a Low detection of `fingerprint` (with its `tokens`, in order) in `input`
/// under `quote` is one of the shapes in the module doc, and so not a Low detection.
pub(super) fn is_weak(input: &[u8], quote: Quote, fingerprint: &[u8], tokens: &[Token]) -> bool {
    let shape = match fingerprint {
        b"sos" | b"s&s" => quote == Quote::Double,
        b"nc" => true,
        b"1c" | b"1&1" => word_folded_between(input, tokens),
        _ => false,
    };
    shape
        || fingerprint
            .iter()
            .zip(tokens)
            .any(|(&kind, token)| kind == b'v' && is_mail_domain(input, token))
}

/// The text between the first two tokens holds a letter outside any comment.
fn word_folded_between(input: &[u8], tokens: &[Token]) -> bool {
    let (Some(first), Some(second)) = (tokens.first(), tokens.get(1)) else {
        return false;
    };
    let gap = input
        .get(first.pos + first.len..second.pos)
        .unwrap_or_default();
    let has_comment = gap.contains(&b'#') || gap.windows(2).any(|w| w == b"--" || w == b"/*");
    !has_comment && gap.iter().any(u8::is_ascii_alphabetic)
}

/// `token` is `@name.more` (one `@`, a dot in the name) glued to a letter or digit before it.
fn is_mail_domain(input: &[u8], token: &Token) -> bool {
    let glued = token
        .pos
        .checked_sub(1)
        .and_then(|before| input.get(before))
        .is_some_and(u8::is_ascii_alphanumeric);
    glued
        && token.value.first() == Some(&b'@')
        && token.value.get(1) != Some(&b'@')
        && token.value.contains(&b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(pos: usize, value: &[u8]) -> Token<'_> {
        Token {
            pos,
            len: value.len(),
            value,
        }
    }

    #[test]
    fn quoted_words_are_weak_only_in_the_double_quote_context() {
        let tokens = [token(0, b"CHRISTMAS "), token(11, b"NOT"), token(15, b" X")];
        let input = b"CHRISTMAS \"NOT\" X";
        assert!(is_weak(input, Quote::Double, b"sos", &tokens));
        assert!(!is_weak(input, Quote::Single, b"sos", &tokens));
        assert!(!is_weak(input, Quote::Double, b"sos&s", &tokens));
    }

    #[test]
    fn folded_words_make_number_shapes_weak_but_comments_and_operators_do_not() {
        let acrylic = b"80% ACRYLIC AND 20% WOOL";
        let tokens = [token(0, b"80"), token(12, b"AND"), token(16, b"20")];
        assert!(is_weak(acrylic, Quote::None, b"1&1", &tokens));
        let arith = b"8-9 OR 1 = 1";
        let tokens = [token(0, b"8"), token(4, b"OR"), token(7, b"1")];
        assert!(!is_weak(arith, Quote::None, b"1&1", &tokens));
        let commented = b"1#PTT\nAND#x\n9=9";
        let tokens = [token(0, b"1"), token(6, b"AND"), token(12, b"9")];
        assert!(!is_weak(commented, Quote::None, b"1&1", &tokens));
        let ticket = b"1611-IioXX--";
        assert!(is_weak(
            ticket,
            Quote::None,
            b"1c",
            &[token(0, b"1611"), token(10, b"--")]
        ));
        assert!(!is_weak(
            b"1 * 1--",
            Quote::None,
            b"1c",
            &[token(0, b"1"), token(5, b"--")]
        ));
    }

    #[test]
    fn mail_domains_are_not_variables() {
        let input = b"john or@var.es";
        let tokens = [token(0, b"john"), token(5, b"or"), token(7, b"@var.es")];
        assert!(is_weak(input, Quote::None, b"n&v", &tokens));
        let attack = b"asd or@1=1";
        let tokens = [token(0, b"asd"), token(4, b"or"), token(6, b"@1")];
        assert!(!is_weak(attack, Quote::None, b"n&v", &tokens));
        let spaced = b"john or @var.es";
        let tokens = [token(0, b"john"), token(5, b"or"), token(8, b"@var.es")];
        assert!(!is_weak(spaced, Quote::None, b"n&v", &tokens));
    }

    #[test]
    fn out_of_range_positions_do_not_panic() {
        let tokens = [token(50, b"1"), token(3, b"--")];
        assert!(!is_weak(b"1--", Quote::None, b"1c", &tokens));
        assert!(!is_weak(b"", Quote::None, b"v", &[token(0, b"@a.b")]));
    }
}
