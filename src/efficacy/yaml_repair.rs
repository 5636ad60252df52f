//! The one YAML leniency GoTestWAF's corpus needs: `\'` inside a double-quoted scalar. YAML
//! defines no such escape, so strict parsers (libyaml, PyYAML) reject the file; Go's YAML parser
//! reads it as a plain `'`. [`repair`] rewrites exactly those escapes and reports where, so the
//! caller can parse the result and warn about each file it had to repair.
//!
//! The scan knows just enough YAML to find double-quoted scalars: a scalar starts after the line's
//! indentation and any `- ` sequence indicators, or after a `key: `; single-quoted scalars, plain
//! scalars, comments and block scalars (`|`, `>`) are copied untouched.

/// The repaired text and the 1-based line of every `\'` rewritten.
#[derive(Debug, PartialEq, Eq)]
pub struct Repaired {
    pub text: String,
    pub lines: Vec<usize>,
}

/// Rewrites `\'` to `'` inside double-quoted scalars; `None` when there is none to rewrite.
pub fn repair(text: &str) -> Option<Repaired> {
    let mut s = Scan {
        src: text.as_bytes(),
        out: Vec::with_capacity(text.len()),
        pos: 0,
        line: 1,
        fixed: Vec::new(),
    };
    let mut block_indent: Option<usize> = None;
    while s.pos < s.src.len() {
        let indent = s.count(|b| b == b' ');
        let rest_blank = matches!(s.peek(indent), None | Some(b'\n') | Some(b'\r'));
        if let Some(bi) = block_indent {
            if indent > bi || rest_blank {
                s.copy_line();
                continue;
            }
            block_indent = None;
        }
        s.copy(indent);
        let opener = s.line_body();
        if opener {
            block_indent = Some(indent);
        }
    }
    if s.fixed.is_empty() {
        return None;
    }
    // Only ASCII bytes were removed, at ASCII positions: the output is still UTF-8.
    let text = String::from_utf8(s.out).ok()?;
    Some(Repaired {
        text,
        lines: s.fixed,
    })
}

struct Scan<'a> {
    src: &'a [u8],
    out: Vec<u8>,
    pos: usize,
    line: usize,
    fixed: Vec<usize>,
}

impl Scan<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    /// How many bytes from `pos` satisfy `f`.
    fn count(&self, f: impl Fn(u8) -> bool) -> usize {
        self.src
            .get(self.pos..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&b| f(b))
            .count()
    }

    fn copy(&mut self, n: usize) {
        let end = (self.pos + n).min(self.src.len());
        if let Some(bytes) = self.src.get(self.pos..end) {
            self.line += bytes.iter().filter(|&&b| b == b'\n').count();
            self.out.extend_from_slice(bytes);
        }
        self.pos = end;
    }

    fn copy_line(&mut self) {
        let n = self.count(|b| b != b'\n');
        self.copy(n + 1);
    }

    /// Handles a line after its indentation; true when it opens a block scalar.
    fn line_body(&mut self) -> bool {
        // Sequence indicators: "- ", possibly several ("- - x").
        while self.peek(0) == Some(b'-') && self.peek(1) == Some(b' ') {
            self.copy(1);
            let spaces = self.count(|b| b == b' ');
            self.copy(spaces);
        }
        loop {
            match self.peek(0) {
                None => return false,
                Some(b'\n') => {
                    self.copy(1);
                    return false;
                }
                Some(b'"') => self.double_quoted(),
                Some(b'\'') => self.single_quoted(),
                Some(b'#') => {
                    self.copy_line();
                    return false;
                }
                Some(_) => {
                    // A plain scalar or a key: copy to the end of the line, stopping after a
                    // "key: " so the value's quoting is seen.
                    let start = self.pos;
                    let mut i = 0;
                    let mut after_key = false;
                    while let Some(b) = self.peek(i) {
                        if b == b'\n' {
                            break;
                        }
                        if b == b':' && matches!(self.peek(i + 1), Some(b' ') | Some(b'\n') | None)
                        {
                            i += 1;
                            after_key = true;
                            break;
                        }
                        if b == b' ' && self.peek(i + 1) == Some(b'#') {
                            break;
                        }
                        i += 1;
                    }
                    self.copy(i);
                    if !after_key {
                        let opener = is_block_opener(self.src.get(start..self.pos));
                        let n = self.count(|b| b != b'\n');
                        self.copy(n);
                        return opener;
                    }
                    let spaces = self.count(|b| b == b' ');
                    self.copy(spaces);
                }
            }
            // After a quoted scalar or a key: the rest of the line may hold a value to scan.
            let spaces = self.count(|b| b == b' ');
            self.copy(spaces);
            if let Some(b'|') | Some(b'>') = self.peek(0) {
                let n = self.count(|b| b != b'\n');
                let opener = is_block_opener(self.src.get(self.pos..self.pos + n));
                self.copy(n);
                return opener;
            }
        }
    }

    fn double_quoted(&mut self) {
        self.copy(1);
        while let Some(b) = self.peek(0) {
            match b {
                b'\\' if self.peek(1) == Some(b'\'') => {
                    self.out.push(b'\'');
                    self.fixed.push(self.line);
                    self.pos += 2;
                }
                b'\\' => self.copy(2),
                b'"' => {
                    self.copy(1);
                    return;
                }
                _ => self.copy(1),
            }
        }
    }

    fn single_quoted(&mut self) {
        self.copy(1);
        while let Some(b) = self.peek(0) {
            if b == b'\'' {
                if self.peek(1) == Some(b'\'') {
                    self.copy(2);
                    continue;
                }
                self.copy(1);
                return;
            }
            self.copy(1);
        }
    }
}

/// Whether a value ends in a block scalar header (`|`, `>-`, `!!str |`...).
fn is_block_opener(value: Option<&[u8]>) -> bool {
    let Some(v) = value else { return false };
    let v = v.trim_ascii();
    let last = v.split(|&b| b == b' ').next_back().unwrap_or_default();
    matches!(last.first(), Some(b'|') | Some(b'>'))
        && last
            .get(1..)
            .unwrap_or_default()
            .iter()
            .all(|b| matches!(b, b'-' | b'+' | b'0'..=b'9'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_only_inside_double_quotes() {
        let src = "payload:\n  - \"\\'-alert(1)//\"\n  - '\\'\n  - a \\' b\n  - \"ok \\\" \\\\\"\nk: \"x\\'y\"\n";
        let r = repair(src).unwrap();
        assert_eq!(
            r.text,
            "payload:\n  - \"'-alert(1)//\"\n  - '\\'\n  - a \\' b\n  - \"ok \\\" \\\\\"\nk: \"x'y\"\n"
        );
        assert_eq!(r.lines, vec![2, 6]);
        let v: serde_yaml::Value = serde_yaml::from_str(&r.text).unwrap();
        assert_eq!(v["payload"][0].as_str(), Some("'-alert(1)//"));
        assert_eq!(v["payload"][1].as_str(), Some("\\"));
        assert_eq!(v["k"].as_str(), Some("x'y"));
    }

    #[test]
    fn nothing_to_rewrite_is_none() {
        assert_eq!(repair("a:\n  - \"b\\n\"\n  - 'c'\n"), None);
    }

    #[test]
    fn block_scalars_and_multiline_quotes_are_copied() {
        let src = "p:\n  - !!str |\n    - \"\\'\"\n  - \"a\\\n    \\'b\"\n";
        let r = repair(src).unwrap();
        assert_eq!(
            r.text,
            "p:\n  - !!str |\n    - \"\\'\"\n  - \"a\\\n    'b\"\n"
        );
        assert_eq!(r.lines, vec![5]);
    }

    #[test]
    fn quote_inside_a_plain_scalar_is_not_an_opening() {
        assert_eq!(repair("- a\"\\'b\"\n"), None);
        assert_eq!(repair("- x # \"\\'\"\n"), None);
    }
}
