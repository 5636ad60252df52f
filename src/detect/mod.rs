//! SQL injection and XSS detectors (`SqliMatchStatement`, `XssMatchStatement`, spec §2).
//!
//! Owns the verdict "is this transformed value an injection?" and, for SQL injection, the
//! tokens AWS logs as `matchedData` (spec §7, e.g. `["10","AND","1"]`). It knows nothing of
//! AWS types, fields or transformations: callers pass one already-transformed value.
//!
//! AWS's detectors are proprietary and widely believed to be libinjection-like, so both
//! detectors here are libinjection's. SQL injection is our own implementation of its
//! algorithm (`sqli_token` → `sqli_fold` → `sqli_fingerprint` → `sqli_whitelist`, with
//! `sqli_keywords` reading the keyword and fingerprint table of the pure-Rust port
//! `libinjectionrs`), held by differential tests (`sqli_parity_tests`) to give the port's
//! exact verdicts, fingerprints and tokens. XSS is the port's own analysis. Each detector sits
//! behind a cheap prefilter that may only answer "certainly not" or "maybe"
//! ([`sqli_prefilter`], [`xss`]); the full analysis runs only on "maybe". Tests check every
//! prefilter against the full libinjection corpus and against randomized input.
//!
//! Sensitivity (SQLi only): [`Sensitivity::Low`] is libinjection's verdict: the token
//! fingerprint is on libinjection's list *and* survives its false-positive whitelist (with
//! one port bug corrected, see `sqli.rs`), minus four weak shapes that made most of its
//! false positives on benign text (`sqli_low`). [`Sensitivity::High`] skips that whitelist: any
//! listed fingerprint in any quoting context is a detection (it adds short, borderline
//! shapes such as a bare `1 OR 1`, `x UNION`, `abc--` or `"a" AND "b"`), so High flags a
//! superset of Low. Both retry a `/`-prefixed input without its leading slashes, to match
//! AWS's one published SQLi record (a URI path).
//!
//! Invariants: no panic on any input (the SQLi analysis indexes only through `get`; the XSS
//! port is exercised by the randomized tests); results do not depend on the scratch state;
//! `matched` is empty unless `is_sqli` returns true.
//!
//! Cost: prefilter-rejected inputs cost one pass over the bytes and no allocation. Inputs
//! that reach the SQLi analysis cost well under a microsecond each (≈ 0.6 µs on
//! libinjection's attack lines, 1.6 M values/s on one core; the port it replaced took ≈ 3.4 µs)
//! and allocate nothing: tokens live in a fixed array on the stack and the keyword table is
//! built once. The matched tokens are copied into buffers recycled through [`DetectScratch`].

mod sqli;
mod sqli_fingerprint;
mod sqli_fold;
mod sqli_keywords;
mod sqli_low;
pub mod sqli_prefilter;
mod sqli_token;
mod sqli_whitelist;
pub mod xss;

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod sqli_parity_tests;

/// `SqliMatchStatement.SensitivityLevel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sensitivity {
    /// AWS's default: fewer false positives.
    Low,
    /// Flags more borderline input (see the module doc for what exactly).
    High,
}

/// Reusable per-thread state for the detectors, cleared between calls, so that detection
/// does not allocate once warm (`tests/alloc.rs` checks SQLi on attack payloads).
#[derive(Default)]
pub struct DetectScratch {
    /// Token buffers taken back from earlier `matched` vectors, reused for the next ones.
    spare_tokens: Vec<Vec<u8>>,
}

/// Builds the SQL injection detector's lookup tables now rather than on the first value checked,
/// so that no request pays for it (≈ 7 million instructions, once per process). Compiling an ACL
/// calls this; calling it again is free.
pub fn prepare() {
    sqli_prefilter::prepare();
    sqli_keywords::prepare();
}

/// SQL injection check of one value. On detection, the matched tokens (libinjection's token
/// values, as AWS logs them in `matchedData`) are written into `matched`, which is cleared
/// first in every case. Returns true on detection.
pub fn is_sqli(
    input: &[u8],
    level: Sensitivity,
    scratch: &mut DetectScratch,
    matched: &mut Vec<Vec<u8>>,
) -> bool {
    if !matched.is_empty() {
        for mut token in matched.drain(..) {
            token.clear();
            scratch.spare_tokens.push(token);
        }
    }
    if !sqli_prefilter::may_be_sqli(input) {
        return false;
    }
    sqli::detect(input, level, &mut |value| {
        let mut token = scratch.spare_tokens.pop().unwrap_or_default();
        token.extend_from_slice(value);
        matched.push(token);
    })
}

/// XSS check of one value. Returns true on detection.
pub fn is_xss(input: &[u8], scratch: &mut DetectScratch) -> bool {
    let _ = scratch;
    xss::is_xss(input)
}
