//! `HTML_ENTITY_DECODE`: HTML character references to bytes.
//!
//! AWS: replaces `&#xhhhh;` and `&#nnnn;` with the corresponding characters, and named
//! references: `&quot;` `&amp;` `&lt;` `&gt;` `&nbsp;` (to 0xA0), and in the current guide a longer
//! list (`&NonBreakingSpace;`, `&NewLine;`, `&Tab;`, `&lcub;`, `&verbar;`, … `&grave;`), matched
//! case-insensitively. ModSecurity: `t:htmlEntityDecode`, whose vectors fix the rest:
//! * the `;` is optional (`&#x41` and `&lt` decode) and digits run as far as they go
//!   (`&#10a;` → `\n` then `a;`);
//! * a numeric reference yields one byte, the low byte of its value (as C's `strtol` cast to a
//!   byte: values past `i64::MAX` saturate, so their byte is 0xFF); leading zeros are fine
//!   (`&#000…0123;` → `{`);
//! * anything that is not a complete reference (`&#;`, `&#xg;`, `&foo;`) is copied unchanged.
//!
//! Deliberate choices: AWS's table maps `&apos;` to a backslash, almost certainly a typo; we
//! decode it to `'`. AWS's additional names (beyond ModSecurity's five) require the closing `;`,
//! as HTML5 does for every non-legacy name: otherwise ordinary query strings such as
//! `a=1&num=2` or `x&comma=y` would be rewritten. The five legacy names decode with or without
//! `;`, as ModSecurity's vectors require.
//!
//! Output is never longer than the input (every reference is at least two bytes and becomes one).

use super::bytes::{copy_until, hex_val};
use memchr::memchr;

/// Longest name we recognise (`NonBreakingSpace`, `DiacriticalTilde`, `DiacriticalGrave`).
const MAX_NAME: usize = 16;

/// Decodes every character reference in `input`.
pub(super) fn decode(input: &[u8], out: &mut Vec<u8>) {
    let amp = |s: &[u8]| memchr(b'&', s);
    let mut i = copy_until(input, 0, out, amp);
    while i < input.len() {
        // input[i] is '&'.
        let rest = input.get(i + 1..).unwrap_or_default();
        match reference(rest) {
            Some((byte, used)) => {
                out.push(byte);
                i += 1 + used;
            }
            None => {
                out.push(b'&');
                i += 1;
            }
        }
        i = copy_until(input, i, out, amp);
    }
}

/// The byte a reference starting right after `&` stands for, and how many bytes after the `&`
/// it spans (including an optional `;`).
fn reference(rest: &[u8]) -> Option<(u8, usize)> {
    let (byte, len, needs_semicolon) = match rest {
        [b'#', b'x' | b'X', digits @ ..] => {
            let (byte, n) = number(digits, 16)?;
            (byte, 2 + n, false)
        }
        [b'#', digits @ ..] => {
            let (byte, n) = number(digits, 10)?;
            (byte, 1 + n, false)
        }
        _ => {
            // A name longer than MAX_NAME is never ours, so stop counting one byte past it.
            let n = rest
                .iter()
                .take(MAX_NAME + 1)
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            let (byte, needs_semicolon) = named(rest.get(..n)?)?;
            (byte, n, needs_semicolon)
        }
    };
    let has_semicolon = rest.get(len) == Some(&b';');
    if needs_semicolon && !has_semicolon {
        return None;
    }
    Some((byte, len + usize::from(has_semicolon)))
}

/// Reads the leading digits of `digits` in `radix` (10 or 16): the byte they denote, as C's
/// `(unsigned char) strtol(...)`, and how many digits there were. `None` without a digit.
fn number(digits: &[u8], radix: u64) -> Option<(u8, usize)> {
    let mut value: u64 = 0;
    let mut n = 0;
    for &b in digits {
        let d = match radix {
            16 => hex_val(b),
            _ => b.is_ascii_digit().then(|| b - b'0'),
        };
        let Some(d) = d else { break };
        value = value.saturating_mul(radix).saturating_add(u64::from(d));
        n += 1;
    }
    if n == 0 {
        return None;
    }
    // strtol saturates at LONG_MAX (i64::MAX here); the cast keeps the low byte.
    let clamped = value.min(i64::MAX as u64);
    Some(((clamped & 0xff) as u8, n))
}

/// The byte a named reference stands for (case-insensitive) and whether it needs its `;`.
fn named(name: &[u8]) -> Option<(u8, bool)> {
    if name.is_empty() || name.len() > MAX_NAME {
        return None;
    }
    let mut buf = [0u8; MAX_NAME];
    let lower = buf.get_mut(..name.len())?;
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    let legacy = |b| Some((b, false));
    let html5 = |b| Some((b, true));
    match &*lower {
        b"quot" => legacy(b'"'),
        b"amp" => legacy(b'&'),
        b"lt" => legacy(b'<'),
        b"gt" => legacy(b'>'),
        b"nbsp" => legacy(0xa0),
        b"nonbreakingspace" => html5(0xa0),
        b"newline" => html5(b'\n'),
        b"tab" => html5(b'\t'),
        b"lcub" | b"lbrace" => html5(b'{'),
        b"verbar" | b"vert" | b"verticalline" => html5(b'|'),
        b"rcub" | b"rbrace" => html5(b'}'),
        b"excl" => html5(b'!'),
        b"num" => html5(b'#'),
        b"dollar" => html5(b'$'),
        b"percnt" | b"percent" => html5(b'%'),
        b"apos" => html5(b'\''),
        b"lpar" => html5(b'('),
        b"rpar" => html5(b')'),
        b"ast" | b"midast" => html5(b'*'),
        b"plus" => html5(b'+'),
        b"comma" => html5(b','),
        b"period" => html5(b'.'),
        b"sol" => html5(b'/'),
        b"colon" => html5(b':'),
        b"semi" => html5(b';'),
        b"equals" => html5(b'='),
        b"quest" => html5(b'?'),
        b"tilde" | b"diacriticaltilde" => html5(b'~'),
        b"minus" => html5(b'-'),
        b"lsqb" | b"lbrack" => html5(b'['),
        b"bsol" => html5(b'\\'),
        b"rsqb" | b"rbrack" => html5(b']'),
        b"hat" => html5(b'^'),
        b"lowbar" | b"underbar" => html5(b'_'),
        b"grave" | b"diacriticalgrave" => html5(b'`'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8]) -> Vec<u8> {
        crate::transform::test_util::run(decode, input)
    }

    #[test]
    fn numeric() {
        assert_eq!(run(b"&#60;&#x3c;&#X3C&#060"), b"<<<<");
        assert_eq!(run(b"&#x3c"), b"<");
        assert_eq!(run(b"&#10a;"), b"\na;");
        assert_eq!(run(b"&#x100;&#256;"), b"\x00\x00");
        assert_eq!(run(b"&#x10FFFF;"), b"\xff");
        assert_eq!(run(b"&#99999999999999999999999999;"), b"\xff");
        assert_eq!(
            run(b"&#xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF41;"),
            b"\xff"
        );
        assert_eq!(run(b"&#000000000000000000000000000000000000123;"), b"{");
    }

    #[test]
    fn incomplete_references_are_copied() {
        for s in [
            &b"&"[..],
            b"&#",
            b"&#x",
            b"&#;",
            b"&#x;",
            b"&#xg;",
            b"&;",
            b"& lt;",
            b"&foo;",
            b"&ltx;",
            b"&&",
        ] {
            assert_eq!(run(s), s, "{:?}", String::from_utf8_lossy(s));
        }
        assert_eq!(run(b"&&lt;"), b"&<");
        assert_eq!(run(b"&#&#65;"), b"&#A");
    }

    #[test]
    fn named_legacy_with_or_without_semicolon() {
        assert_eq!(run(b"&quot;&amp;&lt;&gt;&nbsp;"), b"\"&<>\xa0");
        assert_eq!(run(b"&quot&amp&lt&gt&nbsp"), b"\"&<>\xa0");
        assert_eq!(run(b"&LT;&Gt;&QUOT"), b"<>\"");
    }

    #[test]
    fn named_aws_extras_need_semicolon() {
        assert_eq!(run(b"&lpar;&rpar;&apos;&bsol;&NewLine;&Tab;"), b"()'\\\n\t");
        assert_eq!(
            run(b"&NonBreakingSpace;&DiacriticalGrave;&VerticalLine;"),
            b"\xa0`|"
        );
        assert_eq!(run(b"&nonbreakingspace;&COLON;"), b"\xa0:");
        assert_eq!(run(b"a=1&num=2&comma"), b"a=1&num=2&comma");
    }

    #[test]
    fn aws_table_is_complete() {
        let table: &[(&[u8], u8)] = &[
            (b"lcub", b'{'),
            (b"lbrace", b'{'),
            (b"verbar", b'|'),
            (b"vert", b'|'),
            (b"rcub", b'}'),
            (b"rbrace", b'}'),
            (b"excl", b'!'),
            (b"num", b'#'),
            (b"dollar", b'$'),
            (b"percnt", b'%'),
            (b"percent", b'%'),
            (b"ast", b'*'),
            (b"midast", b'*'),
            (b"plus", b'+'),
            (b"comma", b','),
            (b"period", b'.'),
            (b"sol", b'/'),
            (b"semi", b';'),
            (b"equals", b'='),
            (b"quest", b'?'),
            (b"tilde", b'~'),
            (b"DiacriticalTilde", b'~'),
            (b"minus", b'-'),
            (b"lsqb", b'['),
            (b"lbrack", b'['),
            (b"rsqb", b']'),
            (b"rbrack", b']'),
            (b"hat", b'^'),
            (b"lowbar", b'_'),
            (b"UnderBar", b'_'),
            (b"grave", b'`'),
        ];
        for &(name, byte) in table {
            let mut input = b"&".to_vec();
            input.extend_from_slice(name);
            input.push(b';');
            assert_eq!(run(&input), [byte], "{}", String::from_utf8_lossy(name));
        }
    }

    #[test]
    fn overlong_name_is_copied() {
        let s = b"&abcdefghijklmnopqrstuvwxyz;";
        assert_eq!(run(s), s);
    }
}
