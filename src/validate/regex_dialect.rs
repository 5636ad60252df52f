//! AWS's regex dialect (spec §10): PCRE syntax with Hyperscan's exclusions.
//!
//! We accept what `regex-syntax` parses in byte mode, plus the explicit exclusions AWS documents, and
//! we refuse anything whose compiled form exceeds [`MAX_REGEX_COMPILED_BYTES`]. Matching is an
//! unanchored search over the transformed bytes, case-sensitive unless `(?i)` is used.

/// AWS's quota on characters per regular expression.
pub const MAX_REGEX_CHARS: usize = 200;

/// Upper bound on one compiled regex (and on one multi-pattern bank), so that a hostile pattern such
/// as `(a{100}){100}` fails to compile instead of exhausting memory.
pub const MAX_REGEX_COMPILED_BYTES: usize = 8 * 1024 * 1024;

/// Checks one pattern; `Err` holds a message that says what is wrong and what AWS accepts.
pub fn check(pattern: &str) -> Result<(), String> {
    if pattern.is_empty() {
        return Err("empty regular expression".into());
    }
    if pattern.chars().count() > MAX_REGEX_CHARS {
        return Err(format!(
            "regular expression has {} characters; AWS allows at most {MAX_REGEX_CHARS}",
            pattern.chars().count()
        ));
    }
    for (construct, what) in [
        ("(?>", "atomic groups"),
        ("(?|", "branch reset groups"),
        ("(?R", "recursion"),
        ("(?(", "conditional patterns"),
        ("(*", "backtracking control verbs"),
        ("(?C", "callouts"),
        ("\\K", "\\K"),
        ("\\C", "\\C"),
        ("\\R", "\\R"),
        ("*+", "possessive quantifiers"),
        ("++", "possessive quantifiers"),
        ("?+", "possessive quantifiers"),
        ("}+", "possessive quantifiers"),
    ] {
        if contains_unescaped(pattern, construct) {
            return Err(format!(
                "{what} are not supported by AWS WAF's regex dialect (found \"{construct}\")"
            ));
        }
    }
    let mut parser = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .unicode(false)
        .build();
    if let Err(e) = parser.parse(pattern) {
        return Err(format!(
            "not a valid AWS WAF regular expression: {}",
            one_line(&e.to_string())
        ));
    }
    Ok(())
}

/// The syntax configuration every pattern is compiled with (byte-oriented, ASCII classes).
pub fn syntax_config() -> regex_automata::util::syntax::Config {
    regex_automata::util::syntax::Config::new()
        .utf8(false)
        .unicode(false)
}

fn contains_unescaped(pattern: &str, needle: &str) -> bool {
    let bytes = pattern.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && !needle.starts_with('\\') {
            i += 2;
            continue;
        }
        if bytes[i..].starts_with(needle.as_bytes()) {
            // An escaped backslash before a needle that itself starts with a backslash: "\\K" is literal.
            let preceding = bytes[..i].iter().rev().take_while(|&&b| b == b'\\').count();
            if preceding % 2 == 0 {
                return true;
            }
        }
        i += 1;
    }
    false
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_practical_subset() {
        for p in [
            r"^/admin",
            r"(?i)select\s+.*from",
            r"[[:alpha:]]+\d{2,4}$",
            r"a|b(c)?",
            r"\bword\b",
            r"\x41",
        ] {
            assert!(check(p).is_ok(), "{p}: {:?}", check(p));
        }
    }

    #[test]
    fn rejects_hyperscan_exclusions() {
        for p in [
            r"(a)\1",
            r"(?=x)",
            r"(?<=x)y",
            r"(?>a)",
            r"a++",
            r"\K",
            "",
            &"a".repeat(201),
        ] {
            assert!(check(p).is_err(), "{p} should be rejected");
        }
        assert!(
            check(r"\\K").is_ok(),
            "an escaped backslash then K is a literal"
        );
    }
}
