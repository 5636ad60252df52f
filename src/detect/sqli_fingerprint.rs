//! libinjection's fingerprint: the folded tokens' type characters (`s&1c`), and whether the
//! list knows it.
//!
//! Owns the step from folded tokens to the fingerprint text, including libinjection's "evil"
//! rule: a fingerprint containing `X` (a nested or MySQL `/*!` comment, `{` + empty backtick
//! word) becomes just `X`, and the tokens collapse to one token `X`, which is what gets
//! reported.
//!
//! Cost: a copy of at most eight bytes and one bisection of the fingerprint list.

use super::sqli_fold::Folded;
use super::sqli_keywords;
use super::sqli_token::{Kind, Token};

/// Longest fingerprint libinjection keeps.
const CAP: usize = 8;

/// A fingerprint: one character per folded token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Fingerprint {
    chars: [u8; CAP],
    len: usize,
}

impl Fingerprint {
    pub(super) fn as_bytes(&self) -> &[u8] {
        self.chars.get(..self.len).unwrap_or_default()
    }

    /// Number of tokens behind it.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// On libinjection's list (both sensitivities need this).
    pub(super) fn is_listed(&self) -> bool {
        sqli_keywords::is_listed(self.as_bytes())
    }
}

/// The fingerprint of `folded`, applying the evil rule to it (see the module doc).
pub(super) fn fingerprint(folded: &mut Folded) -> Fingerprint {
    let mut fp = Fingerprint {
        chars: [0; CAP],
        len: 0,
    };
    for (slot, t) in fp.chars.iter_mut().zip(folded.tokens()) {
        *slot = t.kind.fingerprint_char();
        fp.len += 1;
    }
    if fp.as_bytes().contains(&Kind::Evil.fingerprint_char()) {
        fp.chars = [0; CAP];
        fp.chars[0] = Kind::Evil.fingerprint_char();
        fp.len = 1;
        let mut evil = Token::EMPTY;
        evil.set(Kind::Evil, b"X");
        folded.tokens[0] = evil;
        folded.len = 1;
    }
    fp
}
