//! When a transformation cannot change its input: a cheap, conservative test per type.
//!
//! Benign values rarely hold what a decoding transformation acts on (no `%` for `URL_DECODE`, no `&`
//! for `HTML_ENTITY_DECODE`), yet every slot used to copy each value through its chain. With this
//! test a chain that leaves a value as it is costs one pass over the value and no copy, and a slot
//! derived from another can share its parent's bytes.
//!
//! [`Triggers`] records which kinds of trigger byte a value holds; [`Triggers::leaves_unchanged`]
//! answers `true` only when [`super::apply`] would return the input itself ("may change"
//! otherwise; types not listed here always may). The property tests hold it to that.

use super::Transform;
use memchr::{memchr, memchr2, memchr3};

/// What is known of the trigger bytes a value holds, one bit per kind: `known` says which kinds
/// were looked for, `present` which of those occur. Kinds are worked out on first need: a short
/// value all at once (a table lookup per byte), a long one kind by kind with a vectorized search,
/// so that an 8 KB body checked for `%` and `+` is not also checked for letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Triggers {
    known: u8,
    present: u8,
}

const PERCENT_PLUS: u8 = 1; // URL_DECODE(_UNI)
const AMPERSAND: u8 = 2; // HTML_ENTITY_DECODE
const BACKSLASH: u8 = 4; // JS_DECODE(_EXT)
const NUL: u8 = 8; // REMOVE_NULLS, REPLACE_NULLS
const UPPER: u8 = 16; // LOWERCASE
const LOWER: u8 = 32; // UPPERCASE
const SPACE_FIRST: u8 = 64; // TRIM, TRIM_LEFT: C isspace at the start...
const SPACE_LAST: u8 = 128; // ...and at the end (TRIM, TRIM_RIGHT)

/// Values up to this long have every kind worked out in one pass; longer ones kind by kind.
const ALL_AT_ONCE_MAX_LEN: usize = 64;

/// Per byte: its trigger bits (the two position bits are set from the ends separately).
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'%' as usize] = PERCENT_PLUS;
    t[b'+' as usize] = PERCENT_PLUS;
    t[b'&' as usize] = AMPERSAND;
    t[b'\\' as usize] = BACKSLASH;
    t[0] = NUL;
    let mut b = 0;
    while b < 26 {
        t[(b'A' + b) as usize] = UPPER;
        t[(b'a' + b) as usize] = LOWER;
        b += 1;
    }
    t
};

fn c_space(b: Option<&u8>) -> bool {
    matches!(b, Some(b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
}

/// The kinds of trigger byte `t` acts on; `None` for types never tested (they may always change).
#[inline]
fn acts_on(t: Transform) -> Option<u8> {
    Some(match t {
        Transform::None => 0,
        Transform::Lowercase => UPPER,
        Transform::Uppercase => LOWER,
        Transform::UrlDecode | Transform::UrlDecodeUni => PERCENT_PLUS,
        Transform::HtmlEntityDecode => AMPERSAND,
        Transform::JsDecode | Transform::JsDecodeExt => BACKSLASH,
        Transform::RemoveNulls | Transform::ReplaceNulls => NUL,
        Transform::Trim => SPACE_FIRST | SPACE_LAST,
        Transform::TrimLeft => SPACE_FIRST,
        Transform::TrimRight => SPACE_LAST,
        _ => return None,
    })
}

impl Triggers {
    /// Nothing looked for yet.
    pub const UNKNOWN: Triggers = Triggers {
        known: 0,
        present: 0,
    };

    /// Whether `apply(t, input)` certainly equals `input`, where `input` is the value these
    /// triggers describe; looks for (and remembers) the kinds `t` acts on if not known yet.
    #[inline]
    pub fn leaves_unchanged(&mut self, t: Transform, input: &[u8]) -> bool {
        let Some(kinds) = acts_on(t) else {
            return false;
        };
        if self.known & kinds != kinds {
            self.look_for(kinds, input);
        }
        self.present & kinds == 0
    }

    fn look_for(&mut self, kinds: u8, input: &[u8]) {
        if input.len() <= ALL_AT_ONCE_MAX_LEN {
            self.present = all_kinds(input);
            self.known = u8::MAX;
        } else {
            self.present |= some_kinds(input, kinds & !self.known);
            self.known |= kinds;
        }
    }
}

fn ends(input: &[u8]) -> u8 {
    (u8::from(c_space(input.first())) * SPACE_FIRST)
        | (u8::from(c_space(input.last())) * SPACE_LAST)
}

/// Every kind present in `input`, in one pass.
fn all_kinds(input: &[u8]) -> u8 {
    input.iter().fold(0u8, |acc, &b| acc | CLASS[b as usize]) | ends(input)
}

/// The kinds of `kinds` present in `input`, each with its own search.
fn some_kinds(input: &[u8], kinds: u8) -> u8 {
    let mut present = ends(input) & kinds;
    let mut look = |kind: u8, found: &dyn Fn() -> bool| {
        if kinds & kind != 0 && found() {
            present |= kind;
        }
    };
    look(PERCENT_PLUS, &|| memchr2(b'%', b'+', input).is_some());
    look(AMPERSAND, &|| memchr(b'&', input).is_some());
    look(BACKSLASH, &|| memchr(b'\\', input).is_some());
    look(NUL, &|| memchr(0, input).is_some());
    look(UPPER, &|| {
        input.iter().fold(false, |a, b| a | b.is_ascii_uppercase())
    });
    look(LOWER, &|| {
        input.iter().fold(false, |a, b| a | b.is_ascii_lowercase())
    });
    present
}

/// For a chain whose every step changes a value only if it holds one of at most three bytes
/// (`%`/`+`, `&`, `\`, NUL): those bytes. Without them a value passes the whole chain
/// unchanged (a step that changes nothing gives the next step the same bytes). The search is per
/// byte, so it can run over many values back to back at once.
#[derive(Debug, Clone, Copy)]
pub struct ChainTriggers {
    bytes: [u8; 3],
    count: usize,
    kinds: u8,
}

impl ChainTriggers {
    /// `None` when some step has no test, depends on a position (trims) or on letters.
    pub fn of(chain: &[Transform]) -> Option<ChainTriggers> {
        let mut kinds = 0;
        for &t in chain {
            kinds |= acts_on(t)?;
        }
        if kinds & (UPPER | LOWER | SPACE_FIRST | SPACE_LAST) != 0 {
            return None;
        }
        let mut found = ChainTriggers {
            bytes: [0; 3],
            count: 0,
            kinds,
        };
        for (kind, bytes) in [
            (PERCENT_PLUS, &b"%+"[..]),
            (AMPERSAND, b"&"),
            (BACKSLASH, b"\\"),
            (NUL, b"\0"),
        ] {
            if kinds & kind == 0 {
                continue;
            }
            for &b in bytes {
                *found.bytes.get_mut(found.count)? = b;
                found.count += 1;
            }
        }
        Some(found)
    }

    /// Where the first trigger byte of the chain is in `bytes`.
    #[inline]
    pub fn find(&self, bytes: &[u8]) -> Option<usize> {
        let [a, b, c] = self.bytes;
        match self.count {
            0 => None,
            1 => memchr(a, bytes),
            2 => memchr2(a, b, bytes),
            _ => memchr3(a, b, c, bytes),
        }
    }
}

impl Triggers {
    /// Records that a value holds none of the chain's trigger bytes (a search found none).
    #[inline]
    pub fn lacks(&mut self, chain: &ChainTriggers) {
        self.known |= chain.kinds;
        self.present &= !chain.kinds;
    }
}

/// Whether `apply(t, input)` certainly equals `input`.
pub fn unchanged(t: Transform, input: &[u8]) -> bool {
    let mut triggers = Triggers::UNKNOWN;
    triggers.leaves_unchanged(t, input)
}
