//! AWS WAF text transformations as pure byte functions.
//!
//! This module owns every `TextTransformation` type AWS WAF accepts and the pre-parse
//! transformations for query strings. Each transformation maps any byte string to a byte string:
//! it never fails, never panics, and never allocates beyond growing the caller's output buffer.
//! It knows nothing of AWS JSON, requests or rules; callers hand it bytes and a [`Transform`].
//!
//! Most AWS types are ports of ModSecurity `t:` functions and AWS's descriptions repeat
//! ModSecurity's reference text. Where AWS says what a type does we follow AWS; where it does not,
//! we follow ModSecurity v3 as its test vectors pin it down (see `conformance_tests.rs`). Each
//! family file opens with what AWS says, which ModSecurity function it mirrors, and every
//! deliberate difference.
//!
//! Invariants every transformation keeps, checked by the property tests and the fuzz target:
//! * [`apply`] clears `out` first and never panics, for any input bytes;
//! * the output is never longer than [`Transform::max_output_len`] of the input length, which is
//!   the input length itself for every type except `UTF8_TO_UNICODE` (three times) and the hashes
//!   (a fixed 16 or 32 bytes);
//! * [`apply_chain`] equals applying each transformation in turn.

mod base64;
mod bytes;
mod case;
mod cmdline;
mod comments;
mod css;
mod escape;
mod hash;
mod hex;
mod html_entity;
mod identity;
mod js;
mod nulls;
mod path;
mod preparse;
mod trim;
mod unicode;
mod url;
mod whitespace;

#[cfg(test)]
mod conformance_tests;
#[cfg(test)]
pub(crate) mod test_util {
    /// Runs one family function on `input` and returns its output (the families write into a
    /// caller's buffer).
    pub(crate) fn run(f: fn(&[u8], &mut Vec<u8>), input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        f(input, &mut out);
        out
    }
}
#[cfg(test)]
mod property_tests;

pub use identity::{unchanged, ChainTriggers, Triggers};
pub use preparse::{apply_preparse, PreParse};

/// One AWS WAF `TextTransformationType`.
///
/// AWS's set is closed, so this is an exhaustive enum: adding a type means adding a variant and
/// the compiler points at every `match` that must learn it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transform {
    /// `NONE`: the input unchanged.
    None,
    /// `LOWERCASE`: ASCII `A`–`Z` to `a`–`z`.
    Lowercase,
    /// `UPPERCASE`: ASCII `a`–`z` to `A`–`Z`.
    Uppercase,
    /// `COMPRESS_WHITE_SPACE`: whitespace and NBSP runs to one space.
    CompressWhiteSpace,
    /// `CMD_LINE`: command-line de-obfuscation (ModSecurity `t:cmdLine`).
    CmdLine,
    /// `CMD_LINE_WIN`: `CMD_LINE` tuned for cmd.exe (semantics unconfirmed by AWS).
    CmdLineWin,
    /// `CMD_LINE_UNIX`: `CMD_LINE` tuned for POSIX shells (semantics unconfirmed by AWS).
    CmdLineUnix,
    /// `HTML_ENTITY_DECODE`: numeric and named HTML character references.
    HtmlEntityDecode,
    /// `URL_DECODE`: `%HH` and `+`.
    UrlDecode,
    /// `URL_DECODE_UNI`: `URL_DECODE` plus IIS `%uHHHH`.
    UrlDecodeUni,
    /// `BASE64_DECODE`: decode the leading run of base64.
    Base64Decode,
    /// `BASE64_DECODE_EXT`: decode base64, skipping bytes outside the alphabet.
    Base64DecodeExt,
    /// `HEX_DECODE`: pairs of hex digits to bytes.
    HexDecode,
    /// `SQL_HEX_DECODE`: SQL `0x…` literals to bytes.
    SqlHexDecode,
    /// `MD5`: the raw 16-byte MD5 digest.
    Md5,
    /// `SHA256`: the raw 32-byte SHA-256 digest.
    Sha256,
    /// `REPLACE_COMMENTS`: each C comment to one space.
    ReplaceComments,
    /// `REMOVE_COMMENTS_CHAR`: delete comment delimiters (`/*`, `*/`, `<!--`, `-->`, `--`, `#`).
    RemoveCommentsChar,
    /// `ESCAPE_SEQ_DECODE`: ANSI C escape sequences.
    EscapeSeqDecode,
    /// `CSS_DECODE`: CSS 2.x backslash escapes.
    CssDecode,
    /// `JS_DECODE`: JavaScript escapes, one byte per escape.
    JsDecode,
    /// `JS_DECODE_EXT`: JavaScript escapes to UTF-8 (semantics unconfirmed by AWS).
    JsDecodeExt,
    /// `NORMALIZE_PATH`: collapse `//`, drop `./`, resolve `../`.
    NormalizePath,
    /// `NORMALIZE_PATH_WIN`: `\` to `/`, then `NORMALIZE_PATH`.
    NormalizePathWin,
    /// `REMOVE_NULLS`: delete 0x00.
    RemoveNulls,
    /// `REPLACE_NULLS`: 0x00 to space.
    ReplaceNulls,
    /// `UTF8_TO_UNICODE`: UTF-8 sequences to `%uHHHH`.
    Utf8ToUnicode,
    /// `REMOVE_WHITESPACE`: delete whitespace and NBSP.
    RemoveWhitespace,
    /// `TRIM`: strip leading and trailing whitespace.
    Trim,
    /// `TRIM_LEFT`: strip leading whitespace.
    TrimLeft,
    /// `TRIM_RIGHT`: strip trailing whitespace.
    TrimRight,
}

impl Transform {
    /// All variants, in declaration order, for fuzzing and docs.
    pub const ALL: &'static [Transform] = &[
        Transform::None,
        Transform::Lowercase,
        Transform::Uppercase,
        Transform::CompressWhiteSpace,
        Transform::CmdLine,
        Transform::CmdLineWin,
        Transform::CmdLineUnix,
        Transform::HtmlEntityDecode,
        Transform::UrlDecode,
        Transform::UrlDecodeUni,
        Transform::Base64Decode,
        Transform::Base64DecodeExt,
        Transform::HexDecode,
        Transform::SqlHexDecode,
        Transform::Md5,
        Transform::Sha256,
        Transform::ReplaceComments,
        Transform::RemoveCommentsChar,
        Transform::EscapeSeqDecode,
        Transform::CssDecode,
        Transform::JsDecode,
        Transform::JsDecodeExt,
        Transform::NormalizePath,
        Transform::NormalizePathWin,
        Transform::RemoveNulls,
        Transform::ReplaceNulls,
        Transform::Utf8ToUnicode,
        Transform::RemoveWhitespace,
        Transform::Trim,
        Transform::TrimLeft,
        Transform::TrimRight,
    ];

    /// AWS's spelling, e.g. `"URL_DECODE"` (used in traces and diagnostics).
    pub fn aws_name(self) -> &'static str {
        match self {
            Transform::None => "NONE",
            Transform::Lowercase => "LOWERCASE",
            Transform::Uppercase => "UPPERCASE",
            Transform::CompressWhiteSpace => "COMPRESS_WHITE_SPACE",
            Transform::CmdLine => "CMD_LINE",
            Transform::CmdLineWin => "CMD_LINE_WIN",
            Transform::CmdLineUnix => "CMD_LINE_UNIX",
            Transform::HtmlEntityDecode => "HTML_ENTITY_DECODE",
            Transform::UrlDecode => "URL_DECODE",
            Transform::UrlDecodeUni => "URL_DECODE_UNI",
            Transform::Base64Decode => "BASE64_DECODE",
            Transform::Base64DecodeExt => "BASE64_DECODE_EXT",
            Transform::HexDecode => "HEX_DECODE",
            Transform::SqlHexDecode => "SQL_HEX_DECODE",
            Transform::Md5 => "MD5",
            Transform::Sha256 => "SHA256",
            Transform::ReplaceComments => "REPLACE_COMMENTS",
            Transform::RemoveCommentsChar => "REMOVE_COMMENTS_CHAR",
            Transform::EscapeSeqDecode => "ESCAPE_SEQ_DECODE",
            Transform::CssDecode => "CSS_DECODE",
            Transform::JsDecode => "JS_DECODE",
            Transform::JsDecodeExt => "JS_DECODE_EXT",
            Transform::NormalizePath => "NORMALIZE_PATH",
            Transform::NormalizePathWin => "NORMALIZE_PATH_WIN",
            Transform::RemoveNulls => "REMOVE_NULLS",
            Transform::ReplaceNulls => "REPLACE_NULLS",
            Transform::Utf8ToUnicode => "UTF8_TO_UNICODE",
            Transform::RemoveWhitespace => "REMOVE_WHITESPACE",
            Transform::Trim => "TRIM",
            Transform::TrimLeft => "TRIM_LEFT",
            Transform::TrimRight => "TRIM_RIGHT",
        }
    }

    /// Parses AWS's spelling (exact, case-sensitive, as the API requires); `None` when unknown.
    pub fn from_aws_name(s: &str) -> Option<Transform> {
        Transform::ALL.iter().copied().find(|t| t.aws_name() == s)
    }

    /// The most bytes [`apply`] can write for an input of `input_len` bytes.
    ///
    /// Per family: hashes write a fixed digest (16 bytes for `MD5`, 32 for `SHA256`);
    /// `UTF8_TO_UNICODE` writes at most three times the input (a two-byte sequence becomes the
    /// six bytes `%uHHHH`); every other type only deletes, replaces one-for-one or decodes several
    /// bytes into fewer, so its output is never longer than its input.
    pub fn max_output_len(self, input_len: usize) -> usize {
        match self {
            Transform::Md5 => hash::MD5_LEN,
            Transform::Sha256 => hash::SHA256_LEN,
            Transform::Utf8ToUnicode => input_len.saturating_mul(unicode::EXPANSION),
            Transform::None
            | Transform::Lowercase
            | Transform::Uppercase
            | Transform::CompressWhiteSpace
            | Transform::CmdLine
            | Transform::CmdLineWin
            | Transform::CmdLineUnix
            | Transform::HtmlEntityDecode
            | Transform::UrlDecode
            | Transform::UrlDecodeUni
            | Transform::Base64Decode
            | Transform::Base64DecodeExt
            | Transform::HexDecode
            | Transform::SqlHexDecode
            | Transform::ReplaceComments
            | Transform::RemoveCommentsChar
            | Transform::EscapeSeqDecode
            | Transform::CssDecode
            | Transform::JsDecode
            | Transform::JsDecodeExt
            | Transform::NormalizePath
            | Transform::NormalizePathWin
            | Transform::RemoveNulls
            | Transform::ReplaceNulls
            | Transform::RemoveWhitespace
            | Transform::Trim
            | Transform::TrimLeft
            | Transform::TrimRight => input_len,
        }
    }

    /// For the transformations that change a value holding none of the returned bytes by no
    /// more than ASCII case, `+` turned into a space (the second field) and bytes cut from its
    /// ends: those bytes. `None` for every other type. `NORMALIZE_PATH` without `/` changes only
    /// `.` (into nothing); the whitespace and command-line types need their whitespace, so a
    /// space that an earlier step made from `+` is the caller's to account for.
    /// `compile::screen` builds on this; `screen_tests` holds each entry to it.
    pub fn quiet_without(self) -> Option<(&'static [u8], bool)> {
        Some(match self {
            Transform::None
            | Transform::Lowercase
            | Transform::Uppercase
            | Transform::Trim
            | Transform::TrimLeft
            | Transform::TrimRight => (b"", false),
            Transform::UrlDecode | Transform::UrlDecodeUni => (b"%", true),
            Transform::HtmlEntityDecode => (b"&", false),
            Transform::JsDecode | Transform::JsDecodeExt => (b"\\", false),
            Transform::RemoveNulls | Transform::ReplaceNulls => (b"\0", false),
            Transform::NormalizePath => (b"/", false),
            Transform::NormalizePathWin => (b"/\\", false),
            Transform::CompressWhiteSpace | Transform::RemoveWhitespace => {
                (whitespace::WHITESPACE, false)
            }
            Transform::CmdLine => (cmdline::Shell::Generic.triggers(), false),
            Transform::CmdLineWin => (cmdline::Shell::Windows.triggers(), false),
            Transform::CmdLineUnix => (cmdline::Shell::Unix.triggers(), false),
            _ => return None,
        })
    }
}

impl std::fmt::Display for Transform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.aws_name())
    }
}

/// Clears `out`, then writes the transformation of `input` into it.
///
/// Never panics, for any bytes. Writes at most [`Transform::max_output_len`] bytes. Cost is
/// linear in the input length (path normalisation may revisit its own output, still linear
/// overall); the only allocation is growing `out`.
pub fn apply(t: Transform, input: &[u8], out: &mut Vec<u8>) {
    out.clear();
    match t {
        Transform::None => out.extend_from_slice(input),
        Transform::Lowercase => case::lowercase(input, out),
        Transform::Uppercase => case::uppercase(input, out),
        Transform::CompressWhiteSpace => whitespace::compress(input, out),
        Transform::RemoveWhitespace => whitespace::remove(input, out),
        Transform::CmdLine => cmdline::cmd_line(cmdline::Shell::Generic, input, out),
        Transform::CmdLineWin => cmdline::cmd_line(cmdline::Shell::Windows, input, out),
        Transform::CmdLineUnix => cmdline::cmd_line(cmdline::Shell::Unix, input, out),
        Transform::HtmlEntityDecode => html_entity::decode(input, out),
        Transform::UrlDecode => url::decode(input, out),
        Transform::UrlDecodeUni => url::decode_uni(input, out),
        Transform::Base64Decode => base64::decode(input, out),
        Transform::Base64DecodeExt => base64::decode_ext(input, out),
        Transform::HexDecode => hex::decode(input, out),
        Transform::SqlHexDecode => hex::sql_decode(input, out),
        Transform::Md5 => hash::md5(input, out),
        Transform::Sha256 => hash::sha256(input, out),
        Transform::ReplaceComments => comments::replace(input, out),
        Transform::RemoveCommentsChar => comments::remove_chars(input, out),
        Transform::EscapeSeqDecode => escape::decode(input, out),
        Transform::CssDecode => css::decode(input, out),
        Transform::JsDecode => js::decode(input, out),
        Transform::JsDecodeExt => js::decode_ext(input, out),
        Transform::NormalizePath => path::normalize(input, out, false),
        Transform::NormalizePathWin => path::normalize(input, out, true),
        Transform::RemoveNulls => nulls::remove(input, out),
        Transform::ReplaceNulls => nulls::replace(input, out),
        Transform::Utf8ToUnicode => unicode::utf8_to_unicode(input, out),
        Transform::Trim => trim::trim(input, out),
        Transform::TrimLeft => trim::trim_left(input, out),
        Transform::TrimRight => trim::trim_right(input, out),
    }
}

/// Applies `chain` in order (already sorted by AWS Priority by the caller); the result is left in
/// `out`.
///
/// `scratch` is a reusable buffer whose contents on return are unspecified. The two buffers are
/// swapped between steps rather than copied, so once both have grown to the largest intermediate
/// value no call allocates. An empty chain copies `input` (the same as `NONE`).
pub fn apply_chain(chain: &[Transform], input: &[u8], out: &mut Vec<u8>, scratch: &mut Vec<u8>) {
    let Some((&first, rest)) = chain.split_first() else {
        out.clear();
        out.extend_from_slice(input);
        return;
    };
    apply(first, input, out);
    for &t in rest {
        std::mem::swap(out, scratch);
        apply(t, scratch, out);
    }
}

/// [`apply_chain`] for a caller that can use the input itself when the chain leaves it as it is:
/// returns `false`, with `out` untouched, when every step certainly leaves the value unchanged
/// (`triggers` describe the input and learn what the steps looked for); otherwise writes the
/// result into `out` and returns `true`. Steps that leave their input unchanged are skipped, not
/// copied.
pub fn apply_chain_if_changed(
    chain: &[Transform],
    input: &[u8],
    triggers: &mut Triggers,
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
) -> bool {
    let Some(first) = chain
        .iter()
        .position(|&t| !triggers.leaves_unchanged(t, input))
    else {
        return false;
    };
    apply(chain[first], input, out);
    let mut now = Triggers::UNKNOWN;
    for &t in chain.get(first + 1..).unwrap_or_default() {
        if !now.leaves_unchanged(t, out) {
            std::mem::swap(out, scratch);
            apply(t, scratch, out);
            now = Triggers::UNKNOWN;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for &t in Transform::ALL {
            assert!(seen.insert(t.aws_name()), "duplicate name {}", t.aws_name());
            assert_eq!(Transform::from_aws_name(t.aws_name()), Some(t));
            assert_eq!(t.to_string(), t.aws_name());
        }
        assert_eq!(Transform::from_aws_name("url_decode"), None);
        assert_eq!(Transform::from_aws_name(""), None);
        assert_eq!(Transform::from_aws_name("URL_DECODE "), None);
    }

    #[test]
    fn all_lists_every_variant_once_in_order() {
        // `Ord` follows declaration order, so a sorted, deduplicated ALL of full length proves
        // that no variant is listed twice; the exhaustive match in `aws_name` proves none is
        // missing from the enum, and this length pins ALL to it.
        let mut sorted = Transform::ALL.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, Transform::ALL);
        assert_eq!(Transform::ALL.len(), 31);
    }

    /// The AWS API model lists the same names we do (when the shared corpus is present).
    #[test]
    fn names_match_the_botocore_model() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpus/botocore-wafv2-api-model/service-2.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipped: {} not found", path.display());
            return;
        };
        let model: serde_json::Value = serde_json::from_str(&text).expect("botocore model is JSON");
        let names = |shape: &str| -> Vec<String> {
            model["shapes"][shape]["enum"]
                .as_array()
                .expect("enum shape")
                .iter()
                .map(|v| v.as_str().expect("string").to_owned())
                .collect()
        };
        let mut ours: Vec<&str> = Transform::ALL.iter().map(|t| t.aws_name()).collect();
        let mut theirs = names("TextTransformationType");
        ours.sort_unstable();
        theirs.sort_unstable();
        assert_eq!(ours, theirs);

        let mut ours: Vec<&str> = PreParse::ALL.iter().map(|t| t.aws_name()).collect();
        let mut theirs = names("PreParseTextTransformationType");
        ours.sort_unstable();
        theirs.sort_unstable();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn empty_chain_copies() {
        let (mut out, mut scratch) = (b"stale".to_vec(), Vec::new());
        apply_chain(&[], b"AbC", &mut out, &mut scratch);
        assert_eq!(out, b"AbC");
    }

    #[test]
    fn chain_applies_in_order() {
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        // %41 decodes to 'A' and only then is lowercased; the other order keeps 'A'.
        apply_chain(
            &[Transform::UrlDecode, Transform::Lowercase],
            b"%41B",
            &mut out,
            &mut scratch,
        );
        assert_eq!(out, b"ab");
        apply_chain(
            &[Transform::Lowercase, Transform::UrlDecode],
            b"%41B",
            &mut out,
            &mut scratch,
        );
        assert_eq!(out, b"Ab");
    }

    #[test]
    fn chain_does_not_allocate_once_warm() {
        let chain = [
            Transform::UrlDecode,
            Transform::HtmlEntityDecode,
            Transform::Lowercase,
            Transform::CompressWhiteSpace,
        ];
        let input = b"%3Cscript%3E&lt;ALERT(1)&gt;   x".repeat(8);
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        apply_chain(&chain, &input, &mut out, &mut scratch);
        let caps = (out.capacity(), scratch.capacity());
        let ptrs = {
            let mut p = [out.as_ptr() as usize, scratch.as_ptr() as usize];
            p.sort_unstable();
            p
        };
        for _ in 0..10 {
            apply_chain(&chain, &input, &mut out, &mut scratch);
            let mut p = [out.as_ptr() as usize, scratch.as_ptr() as usize];
            p.sort_unstable();
            assert_eq!(p, ptrs, "a buffer was reallocated");
            let mut c = [out.capacity(), scratch.capacity()];
            let mut c0 = [caps.0, caps.1];
            c.sort_unstable();
            c0.sort_unstable();
            assert_eq!(c, c0);
        }
    }

    #[test]
    fn apply_clears_out_first() {
        let mut out = b"previous contents".to_vec();
        for &t in Transform::ALL {
            out.clear();
            out.extend_from_slice(b"previous contents that is long");
            apply(t, b"", &mut out);
            match t {
                Transform::Md5 => assert_eq!(out.len(), 16),
                Transform::Sha256 => assert_eq!(out.len(), 32),
                _ => assert!(out.is_empty(), "{t} left {out:?}"),
            }
        }
    }
}
