//! One problem found in an ACL or resource file, located by JSON pointer.

use std::fmt;

/// A validation problem. `pointer` is an RFC 6901 pointer into the document named by `file`
/// (e.g. `/WebACL/Rules/3/Statement/AndStatement/Statements/1/ByteMatchStatement/PositionalConstraint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub pointer: String,
    /// The name of the rule that holds the problem, when there is one.
    pub rule: Option<String>,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.file.is_empty() {
            write!(f, "{}: ", self.file)?;
        }
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{pointer}")?;
        if let Some(rule) = &self.rule {
            write!(f, " (rule \"{rule}\")")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Collects diagnostics for one document; every check reports here instead of returning early.
#[derive(Debug, Default)]
pub struct Diagnostics {
    pub(crate) file: String,
    pub(crate) items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new(file: impl Into<String>) -> Self {
        Diagnostics {
            file: file.into(),
            items: Vec::new(),
        }
    }

    pub fn push(&mut self, pointer: &str, rule: Option<&str>, message: impl Into<String>) {
        self.items.push(Diagnostic {
            file: self.file.clone(),
            pointer: pointer.to_string(),
            rule: rule.map(str::to_string),
            message: message.into(),
        });
    }

    /// Records a problem in another file than the one this collector was made for.
    pub fn push_at(
        &mut self,
        file: &str,
        pointer: &str,
        rule: Option<&str>,
        message: impl Into<String>,
    ) {
        self.items.push(Diagnostic {
            file: file.to_string(),
            pointer: pointer.to_string(),
            rule: rule.map(str::to_string),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }
}

/// Appends one reference token to a JSON pointer, escaping `~` and `/` (RFC 6901).
pub fn child(pointer: &str, token: &str) -> String {
    let mut s = String::with_capacity(pointer.len() + token.len() + 1);
    s.push_str(pointer);
    s.push('/');
    for c in token.chars() {
        match c {
            '~' => s.push_str("~0"),
            '/' => s.push_str("~1"),
            c => s.push(c),
        }
    }
    s
}

/// Appends an array index to a JSON pointer.
pub fn index(pointer: &str, i: usize) -> String {
    format!("{pointer}/{i}")
}

/// The closest candidate by edit distance, when it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(
    found: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    let found_upper = found.to_ascii_uppercase();
    for c in candidates {
        let d = edit_distance(&found_upper, &c.to_ascii_uppercase());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.filter(|(d, c)| *d <= 1.max(c.len() / 3))
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_escapes_tokens() {
        assert_eq!(child("/a", "b/c~d"), "/a/b~1c~0d");
    }

    #[test]
    fn suggests_close_names_only() {
        let c = ["EXACTLY", "STARTS_WITH", "ENDS_WITH"];
        assert_eq!(did_you_mean("START_WITH", c), Some("STARTS_WITH"));
        assert_eq!(did_you_mean("banana", c), None);
    }
}
