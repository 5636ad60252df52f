//! Reading the corpora named on the command line: files or directories (walked recursively, in
//! name order), GoTestWAF YAML test cases or plain line lists, each labelled attack or benign.
//!
//! Labels: `--attack FILE` / `--benign FILE` say it outright; otherwise a YAML file under a
//! `false-pos` directory is benign and any other YAML file attacks (GoTestWAF's layout), and a
//! line list named `false_positives*`/`benign*` is benign, `sqli-*`/`xss-*`/`attack*` attacks
//! (libinjection's naming). A list whose name says neither is not read, and says so.

use super::gotestwaf::{self, TestCaseFile};
use super::lines;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// Expected to be blocked.
    Attack,
    /// Expected to pass.
    Benign,
}

/// One corpus path from the command line.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: PathBuf,
    /// Set by `--attack` / `--benign`; `None` lets the file's name decide.
    pub expect: Option<Expect>,
}

#[derive(Debug)]
pub enum Content {
    TestCases(TestCaseFile),
    /// Line-list values, still URL-encoded.
    Lines(Vec<Vec<u8>>),
}

#[derive(Debug)]
pub struct CorpusFile {
    /// The path reports show: relative to the directory named on the command line.
    pub name: String,
    pub expect: Expect,
    pub content: Content,
}

impl CorpusFile {
    pub fn case_count(&self) -> u64 {
        match &self.content {
            Content::TestCases(t) => t.case_count(),
            Content::Lines(v) => (v.len() * super::location::Location::ALL.len()) as u64,
        }
    }
}

/// A file that was found but not read, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Unread {
    pub file: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Corpus {
    pub files: Vec<CorpusFile>,
    pub unread: Vec<Unread>,
    /// Problems worked around (e.g. repaired escapes), one line each, naming the file.
    pub warnings: Vec<String>,
}

impl Corpus {
    pub fn case_count(&self) -> u64 {
        self.files.iter().map(CorpusFile::case_count).sum()
    }
}

/// Reads every input. Errors (a path that does not exist or cannot be read) stop the run.
pub fn load(inputs: &[Input]) -> Result<Corpus, String> {
    let mut corpus = Corpus::default();
    for input in inputs {
        let meta =
            std::fs::metadata(&input.path).map_err(|e| format!("{}: {e}", input.path.display()))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(&input.path, &mut files)?;
            files.sort();
            for file in files {
                let rel = file.strip_prefix(&input.path).unwrap_or(&file);
                let name = rel.to_string_lossy().into_owned();
                match kind_by_extension(&file) {
                    Some(kind) => read_file(&mut corpus, &file, name, kind, input.expect)?,
                    None => corpus.unread.push(Unread {
                        file: name,
                        reason: "neither a YAML test-case file nor a .txt line list".into(),
                    }),
                }
            }
        } else {
            let kind = kind_by_extension(&input.path).unwrap_or(Kind::Lines);
            let name = input.path.to_string_lossy().into_owned();
            read_file(&mut corpus, &input.path, name, kind, input.expect)?;
        }
    }
    Ok(corpus)
}

#[derive(Clone, Copy)]
enum Kind {
    Yaml,
    Lines,
}

fn kind_by_extension(path: &Path) -> Option<Kind> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("yml") | Some("yaml") => Some(Kind::Yaml),
        Some("txt") => Some(Kind::Lines),
        _ => None,
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = entry.path();
        let ty = entry
            .file_type()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if ty.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn read_file(
    corpus: &mut Corpus,
    path: &Path,
    name: String,
    kind: Kind,
    expect: Option<Expect>,
) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    match kind {
        Kind::Yaml => {
            let text = match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(_) => {
                    let reason = "not UTF-8 text, so not YAML".to_string();
                    corpus
                        .warnings
                        .push(format!("{name}: {reason}; file skipped"));
                    corpus.unread.push(Unread { file: name, reason });
                    return Ok(());
                }
            };
            match gotestwaf::parse(&text) {
                Ok(cases) => {
                    if !cases.repaired_lines.is_empty() {
                        corpus.warnings.push(format!(
                            "{name}: {} `\\'` escape(s) on line(s) {} are not YAML; read as `'` the way GoTestWAF's Go parser does ({} test case(s) kept)",
                            cases.repaired_lines.len(),
                            join(&cases.repaired_lines),
                            cases.case_count()
                        ));
                    }
                    let expect = expect.unwrap_or_else(|| yaml_expect(path));
                    corpus.files.push(CorpusFile {
                        name,
                        expect,
                        content: Content::TestCases(cases),
                    });
                }
                Err(reason) => {
                    corpus.warnings.push(format!(
                        "{name}: {reason}; file skipped (its test cases are not counted)"
                    ));
                    corpus.unread.push(Unread { file: name, reason });
                }
            }
        }
        Kind::Lines => {
            let Some(expect) = expect.or_else(|| lines_expect(path)) else {
                corpus.unread.push(Unread {
                    file: name,
                    reason: "its name says neither attack (sqli-*, xss-*, attack*) nor benign (false_positives*, benign*); pass it with --attack or --benign".into(),
                });
                return Ok(());
            };
            corpus.files.push(CorpusFile {
                name,
                expect,
                content: Content::Lines(lines::parse(&bytes)),
            });
        }
    }
    Ok(())
}

fn yaml_expect(path: &Path) -> Expect {
    if path.components().any(|c| c.as_os_str() == "false-pos") {
        Expect::Benign
    } else {
        Expect::Attack
    }
}

fn lines_expect(path: &Path) -> Option<Expect> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.starts_with("false_positives") || name.starts_with("benign") {
        Some(Expect::Benign)
    } else if name.starts_with("sqli-") || name.starts_with("xss-") || name.starts_with("attack") {
        Some(Expect::Attack)
    } else {
        None
    }
}

fn join(lines: &[usize]) -> String {
    lines
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_names() {
        assert_eq!(
            yaml_expect(Path::new("t/false-pos/texts.yml")),
            Expect::Benign
        );
        assert_eq!(yaml_expect(Path::new("t/owasp/xss.yml")), Expect::Attack);
        assert_eq!(
            lines_expect(Path::new("d/false_positives.txt")),
            Some(Expect::Benign)
        );
        assert_eq!(
            lines_expect(Path::new("d/sqli-misc.txt")),
            Some(Expect::Attack)
        );
        assert_eq!(lines_expect(Path::new("d/xss-a.txt")), Some(Expect::Attack));
        assert_eq!(lines_expect(Path::new("d/tbd-xss.txt")), None);
    }

    #[test]
    fn a_missing_path_is_an_error() {
        let err = load(&[Input {
            path: "/nonexistent/corpus".into(),
            expect: None,
        }])
        .unwrap_err();
        assert!(err.contains("/nonexistent/corpus"), "{err}");
    }
}
