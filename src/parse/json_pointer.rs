//! RFC 6901 JSON pointers, as used by `JsonBody.MatchPattern.IncludedPaths`.
//!
//! Owns parsing a pointer string into reference tokens and comparing one token with an
//! object key or an array index. A parsed pointer is immutable; its tokens hold the
//! unescaped key bytes (`~1` → `/`, `~0` → `~`).

use std::fmt;

/// A parsed RFC 6901 JSON pointer: a list of reference tokens, the root being the empty
/// list.
#[derive(Clone, PartialEq, Eq)]
pub struct JsonPointer {
    tokens: Vec<Vec<u8>>,
}

impl JsonPointer {
    /// Parses `""` (the whole document) or a string starting with `/`, resolving the
    /// `~0` and `~1` escapes in each token.
    ///
    /// Errors (with a message for the caller's diagnostic) when the string is neither
    /// empty nor starts with `/`, or when a `~` is not followed by `0` or `1`.
    pub fn parse(s: &str) -> Result<JsonPointer, String> {
        if s.is_empty() {
            return Ok(JsonPointer { tokens: Vec::new() });
        }
        let Some(rest) = s.strip_prefix('/') else {
            return Err(format!(
                "JSON pointer {s:?} must be empty or start with '/'"
            ));
        };
        let mut tokens = Vec::new();
        for raw in rest.split('/') {
            let mut token = Vec::with_capacity(raw.len());
            let mut bytes = raw.bytes();
            while let Some(b) = bytes.next() {
                if b != b'~' {
                    token.push(b);
                    continue;
                }
                match bytes.next() {
                    Some(b'0') => token.push(b'~'),
                    Some(b'1') => token.push(b'/'),
                    _ => {
                        return Err(format!(
                            "JSON pointer {s:?}: '~' must be followed by '0' or '1'"
                        ))
                    }
                }
            }
            tokens.push(token);
        }
        Ok(JsonPointer { tokens })
    }

    /// Number of reference tokens (0 for the root pointer).
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// True for the root pointer `""`.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The unescaped token at `depth`, if the pointer is that long.
    pub fn token(&self, depth: usize) -> Option<&[u8]> {
        self.tokens.get(depth).map(Vec::as_slice)
    }

    /// Does the token at `depth` name the object member `key` (unescaped bytes)?
    pub(crate) fn matches_key(&self, depth: usize, key: &[u8]) -> bool {
        self.token(depth) == Some(key)
    }

    /// Does the token at `depth` name array element `index`? Per RFC 6901 an index is
    /// `0` or a decimal without leading zeros; `-` names no existing element.
    pub(crate) fn matches_index(&self, depth: usize, index: usize) -> bool {
        let Some(token) = self.token(depth) else {
            return false;
        };
        if token.is_empty() || token.len() > 1 && token[0] == b'0' {
            return false;
        }
        let mut value: usize = 0;
        for &b in token {
            if !b.is_ascii_digit() {
                return false;
            }
            value = match value
                .checked_mul(10)
                .and_then(|v| v.checked_add(usize::from(b - b'0')))
            {
                Some(v) => v,
                None => return false,
            };
        }
        value == index
    }
}

impl fmt::Debug for JsonPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in &self.tokens {
            write!(f, "/")?;
            for &b in t {
                match b {
                    b'~' => write!(f, "~0")?,
                    b'/' => write!(f, "~1")?,
                    _ => write!(f, "{}", char::from(b))?,
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_root_and_tokens() {
        assert!(JsonPointer::parse("").unwrap().is_empty());
        let p = JsonPointer::parse("/a/b").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p.token(0), Some(&b"a"[..]));
        assert_eq!(p.token(1), Some(&b"b"[..]));
        assert_eq!(p.token(2), None);
        // "/" is one empty token (the member named "").
        assert_eq!(JsonPointer::parse("/").unwrap().token(0), Some(&b""[..]));
    }

    #[test]
    fn resolves_escapes() {
        let p = JsonPointer::parse("/a~1b/m~0n/~01").unwrap();
        assert_eq!(p.token(0), Some(&b"a/b"[..]));
        assert_eq!(p.token(1), Some(&b"m~n"[..]));
        assert_eq!(p.token(2), Some(&b"~1"[..]));
        assert_eq!(format!("{p:?}"), "/a~1b/m~0n/~01");
    }

    #[test]
    fn rejects_bad_pointers() {
        assert!(JsonPointer::parse("a/b").is_err());
        assert!(JsonPointer::parse("/a~2").is_err());
        assert!(JsonPointer::parse("/a~").is_err());
    }

    #[test]
    fn index_matching_follows_rfc6901() {
        let p = JsonPointer::parse("/0/10/01/-/x/99999999999999999999999").unwrap();
        assert!(p.matches_index(0, 0));
        assert!(p.matches_index(1, 10));
        assert!(!p.matches_index(2, 1));
        assert!(!p.matches_index(3, 0));
        assert!(!p.matches_index(4, 0));
        assert!(!p.matches_index(5, usize::MAX));
        assert!(!p.matches_index(6, 0));
        assert!(p.matches_key(4, b"x"));
    }
}
