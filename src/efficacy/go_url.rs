//! What Go's HTTP client puts on the request line for a URL GoTestWAF built by string
//! concatenation: `net/url` drops the fragment, splits the query at the first `?`, refuses control
//! characters and malformed `%` escapes, and sends the path as given when it is a valid encoding
//! (otherwise decoded and re-escaped). The query string is sent as given.

/// Splits a request target (`/path?query#fragment`) into the path and query Go's client sends.
///
/// Errors (the request GoTestWAF would fail to build) name the problem.
pub fn request_target(target: &str) -> Result<(String, String), String> {
    if let Some(b) = target.bytes().find(|&b| b < 0x20 || b == 0x7f) {
        return Err(format!(
            "control character 0x{b:02x} in the URL (Go's net/url refuses it)"
        ));
    }
    let target = target.split_once('#').map_or(target, |(t, _)| t);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let decoded = unescape(path.as_bytes()).ok_or_else(|| {
        "malformed %-escape in the URL path (Go's net/url refuses it)".to_string()
    })?;
    let wire = if valid_encoded(path.as_bytes()) {
        path.to_string()
    } else {
        escape_path(&decoded)
    };
    let wire = if wire.is_empty() { "/".into() } else { wire };
    Ok((wire, query.to_string()))
}

/// Percent-decodes; `None` on a `%` not followed by two hex digits.
fn unescape(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b == b'%' {
            let hi = s.get(i + 1).and_then(|&c| char::from(c).to_digit(16))?;
            let lo = s.get(i + 2).and_then(|&c| char::from(c).to_digit(16))?;
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    Some(out)
}

/// Whether a path may be sent as it is: only characters a path may hold, or `%`.
fn valid_encoded(s: &[u8]) -> bool {
    s.iter().all(|&b| {
        matches!(
            b,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'['
                | b']'
                | b'%'
        ) || !path_byte_needs_escape(b)
    })
}

/// Go's `shouldEscape` in path mode.
fn path_byte_needs_escape(b: u8) -> bool {
    !(b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_'
                | b'.'
                | b'~'
                | b'$'
                | b'&'
                | b'+'
                | b','
                | b'/'
                | b':'
                | b';'
                | b'='
                | b'@'
        ))
}

fn escape_path(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s {
        if path_byte_needs_escape(b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::request_target;

    fn ok(t: &str) -> (String, String) {
        request_target(t).unwrap()
    }

    #[test]
    fn splits_query_and_drops_fragment() {
        assert_eq!(ok("/a/b?x=1&y=2#frag"), ("/a/b".into(), "x=1&y=2".into()));
        assert_eq!(ok("/a#b?c"), ("/a".into(), "".into()));
        assert_eq!(ok("/?q=a+b%20c"), ("/".into(), "q=a+b%20c".into()));
    }

    #[test]
    fn valid_paths_are_sent_verbatim() {
        assert_eq!(
            ok("/%25%30%41Set-cookie:crlf=injection").0,
            "/%25%30%41Set-cookie:crlf=injection"
        );
        assert_eq!(ok("/a+b%2Fc'(*)!").0, "/a+b%2Fc'(*)!");
    }

    #[test]
    fn invalid_characters_are_reescaped() {
        assert_eq!(ok("/a b\"<c>").0, "/a%20b%22%3Cc%3E");
        assert_eq!(ok("/é").0, "/%C3%A9");
        // Re-escaping decodes first: a valid escape next to a space is normalised.
        assert_eq!(ok("/%41 b").0, "/A%20b");
    }

    #[test]
    fn refuses_what_go_refuses() {
        assert!(request_target("/a\r\nb")
            .unwrap_err()
            .contains("control character"));
        assert!(request_target("/%zz").unwrap_err().contains("malformed"));
        assert!(request_target("/%4").is_err());
        // A malformed escape in the query is Go's server's problem, not the client's.
        assert_eq!(ok("/?a=%zz").1, "a=%zz");
    }
}
