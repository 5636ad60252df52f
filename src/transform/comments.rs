//! `REPLACE_COMMENTS` and `REMOVE_COMMENTS_CHAR`.
//!
//! AWS (`REPLACE_COMMENTS`): "replaces each occurrence of a C-style comment (/* ... */) with a
//! single space. It doesn't compress multiple consecutive occurrences. It replaces unterminated
//! comments with a space (ASCII 0x20). It doesn't change a standalone termination of a comment
//! (*/)." ModSecurity: `t:replaceComments`, same rules. The `*/` search starts after the opening
//! `/*`, so `/*/` is an unterminated comment.
//!
//! `REMOVE_COMMENTS_CHAR` is a 2026 addition without AWS prose (UNCONFIRMED); it mirrors
//! ModSecurity `t:removeCommentsChar`: delete every comment *delimiter* and keep the text between
//! them. At each position the first match wins, in this order: `/*`, `*/`, `<!--`, `-->`, `--`,
//! `#`; other bytes are copied. So `/*x*/` → `x`, `a--b` → `ab`, `#x` → `x`.
//!
//! Both only shrink their input.

use super::bytes::copy_until;
use memchr::memmem;

/// `REPLACE_COMMENTS`: each `/* … */`, or an unterminated `/* …`, becomes one space.
pub(super) fn replace(input: &[u8], out: &mut Vec<u8>) {
    let open = |s: &[u8]| memmem::find(s, b"/*");
    let mut i = copy_until(input, 0, out, open);
    while i < input.len() {
        // input[i..] starts with "/*".
        out.push(b' ');
        let body = input.get(i + 2..).unwrap_or_default();
        match memmem::find(body, b"*/") {
            Some(p) => i += 2 + p + 2,
            None => return,
        }
        i = copy_until(input, i, out, open);
    }
}

/// `REMOVE_COMMENTS_CHAR`: deletes `/*`, `*/`, `<!--`, `-->`, `--` and `#`.
pub(super) fn remove_chars(input: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(rest) = input.get(i..) {
        let skip = match rest {
            [] => break,
            [b'/', b'*', ..] | [b'*', b'/', ..] => 2,
            [b'<', b'!', b'-', b'-', ..] => 4,
            [b'-', b'-', b'>', ..] => 3,
            [b'-', b'-', ..] => 2,
            [b'#', ..] => 1,
            [b, ..] => {
                out.push(*b);
                1
            }
        };
        i += skip;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rep(input: &[u8]) -> Vec<u8> {
        crate::transform::test_util::run(replace, input)
    }

    fn rm(input: &[u8]) -> Vec<u8> {
        crate::transform::test_util::run(remove_chars, input)
    }

    #[test]
    fn replace_comments() {
        assert_eq!(rep(b"a/*x*/b"), b"a b");
        assert_eq!(rep(b"a/**/b"), b"a b");
        assert_eq!(rep(b"/*x*//*y*/"), b"  ");
        assert_eq!(rep(b"a/*x"), b"a ");
        assert_eq!(rep(b"/*/"), b" ");
        assert_eq!(rep(b"/*"), b" ");
        assert_eq!(rep(b"a*/b"), b"a*/b");
        assert_eq!(rep(b"a/b*c"), b"a/b*c");
        assert_eq!(rep(b"/*a/*b*/c*/"), b" c*/");
    }

    #[test]
    fn remove_comment_chars() {
        assert_eq!(rm(b"/*x*/"), b"x");
        assert_eq!(rm(b"<!--x-->"), b"x");
        assert_eq!(rm(b"a--b#c"), b"abc");
        assert_eq!(rm(b"--->"), b"->");
        assert_eq!(rm(b"<!-x"), b"<!-x");
        assert_eq!(rm(b"/*/"), b"/");
        assert_eq!(rm(b"-"), b"-");
        assert_eq!(rm(b""), b"");
    }
}
