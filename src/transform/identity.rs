//! When a transformation cannot change its input: a cheap, conservative test per type.
//!
//! Benign values rarely hold what a decoding transformation acts on (no `%` for `URL_DECODE`, no `&`
//! for `HTML_ENTITY_DECODE`), yet every slot used to copy each value through its chain. With this
//! test a chain that leaves a value as it is costs one pass over the value and no copy, and a slot
//! derived from another can share its parent's bytes.
//!
//! [`Triggers`] records, in one pass with a table lookup per byte, which kinds of trigger byte a
//! value holds; [`Triggers::leaves_unchanged`] answers `true` only when [`super::apply`] would
//! return the input itself ("may change" otherwise; types not listed here always may). The
//! property tests hold it to that.

use super::Transform;

/// The trigger bytes a value holds, one bit per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Triggers(u8);

const PERCENT_PLUS: u8 = 1; // URL_DECODE(_UNI)
const AMPERSAND: u8 = 2; // HTML_ENTITY_DECODE
const BACKSLASH: u8 = 4; // JS_DECODE(_EXT)
const NUL: u8 = 8; // REMOVE_NULLS, REPLACE_NULLS
const UPPER: u8 = 16; // LOWERCASE
const LOWER: u8 = 32; // UPPERCASE
const SPACE_FIRST: u8 = 64; // TRIM, TRIM_LEFT: C isspace at the start...
const SPACE_LAST: u8 = 128; // ...and at the end (TRIM, TRIM_RIGHT)

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

impl Triggers {
    /// Every kind: nothing is known to leave a value unchanged.
    pub const ALL: Triggers = Triggers(u8::MAX);

    /// The trigger bytes of `input`.
    pub fn of(input: &[u8]) -> Triggers {
        let mut bits = input.iter().fold(0u8, |acc, &b| acc | CLASS[b as usize]);
        if c_space(input.first()) {
            bits |= SPACE_FIRST;
        }
        if c_space(input.last()) {
            bits |= SPACE_LAST;
        }
        Triggers(bits)
    }

    /// Whether `apply(t, value)` certainly equals the value these are the triggers of.
    pub fn leaves_unchanged(self, t: Transform) -> bool {
        let acts_on = match t {
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
            _ => return false,
        };
        self.0 & acts_on == 0
    }
}

/// Whether `apply(t, input)` certainly equals `input`.
pub fn unchanged(t: Transform, input: &[u8]) -> bool {
    Triggers::of(input).leaves_unchanged(t)
}
