//! The efficacy report: the figures of one run, printable as aligned tables or as JSON.

use super::corpus::{Content, Corpus, Expect, Unread};
use super::tally::{Counts, RuleCounts};
use super::Outcome;
use crate::compile::CompiledAcl;
use serde::Serialize;
use std::fmt::Write as _;

/// How test cases and rules are counted (printed in both formats).
pub const COUNTING: &str = "A test case is caught when the Web ACL's final action is BLOCK, CAPTCHA or CHALLENGE (no token, so the request does not reach the origin); ALLOW passes it. A rule matched a case when evaluation reached it and it matched, whatever its action (BLOCK, COUNT, excluded); it stopped the case when it was the terminating rule. Rules after the terminating rule are not evaluated, as in AWS.";

#[derive(Debug, Serialize)]
pub struct Report {
    pub web_acl: String,
    pub web_acl_source: String,
    pub resource_type: &'static str,
    pub body_inspection_limit: usize,
    pub counting: &'static str,
    /// Test cases in the corpus files read (evaluated + skipped).
    pub test_cases: u64,
    pub evaluated: u64,
    pub skipped: u64,
    pub totals: Slice,
    pub final_actions: Vec<ActionRow>,
    pub groups: Vec<GroupRow>,
    pub by_placement: Vec<Slice>,
    pub by_encoder: Vec<Slice>,
    pub by_file: Vec<FileRow>,
    pub skipped_cases: Vec<SkipRow>,
    pub unread_files: Vec<Unread>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Slice {
    pub name: String,
    #[serde(flatten)]
    pub counts: Counts,
    /// Attacks caught / attacks; null without attacks.
    pub tpr: Option<f64>,
    /// Benign passed / benign; null without benign cases.
    pub tnr: Option<f64>,
}

impl Slice {
    fn new(name: impl Into<String>, counts: Counts) -> Slice {
        Slice {
            name: name.into(),
            counts,
            tpr: counts.tpr(),
            tnr: counts.tnr(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ActionRow {
    pub expected: &'static str,
    pub action: &'static str,
    pub cases: u64,
}

#[derive(Debug, Serialize)]
pub struct GroupRow {
    pub name: String,
    /// The referenced group's `ruleGroupId`; null for the ACL's own rules.
    pub rule_group: Option<String>,
    #[serde(flatten)]
    pub counts: RuleCounts,
    pub rules: Vec<RuleRow>,
}

#[derive(Debug, Serialize)]
pub struct RuleRow {
    pub name: String,
    /// The action after overrides.
    pub action: &'static str,
    /// The rule's own action when an override or ExcludedRules changed it.
    pub overridden_from: Option<&'static str>,
    #[serde(flatten)]
    pub counts: RuleCounts,
}

#[derive(Debug, Serialize)]
pub struct FileRow {
    pub file: String,
    pub expected: Expect,
    /// GoTestWAF's `type:`, when the file has one.
    pub kind: Option<String>,
    #[serde(flatten)]
    pub counts: Counts,
    pub tpr: Option<f64>,
    pub tnr: Option<f64>,
    pub skipped: u64,
}

#[derive(Debug, Serialize)]
pub struct SkipRow {
    pub file: String,
    pub placement: String,
    pub reason: String,
    pub cases: u64,
}

impl Report {
    pub fn new(acl: &CompiledAcl, acl_source: &str, corpus: &Corpus, outcome: &Outcome) -> Report {
        let t = &outcome.tally;
        let groups = outcome
            .layout
            .sections
            .iter()
            .enumerate()
            .map(|(i, s)| GroupRow {
                name: s.title.clone(),
                rule_group: s.group.clone(),
                counts: t.sections.get(i).copied().unwrap_or_default(),
                rules: s
                    .rules
                    .iter()
                    .filter_map(|&id| {
                        let rule = acl.rules.get(id as usize)?;
                        Some(RuleRow {
                            name: rule.name.to_string(),
                            action: rule.action.kind.log_name(),
                            overridden_from: rule
                                .overridden_from
                                .map(|k| k.log_name())
                                .or(rule.excluded.then_some("(ExcludedRules)")),
                            counts: t.rules.get(id as usize).copied().unwrap_or_default(),
                        })
                    })
                    .collect(),
            })
            .collect();
        let skipped_per_file = |file: usize| -> u64 {
            t.skipped
                .iter()
                .filter(|(k, _)| k.file == file)
                .map(|(_, n)| n)
                .sum()
        };
        let by_file = corpus
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let counts = t.by_file.get(i).copied().unwrap_or_default();
                FileRow {
                    file: f.name.clone(),
                    expected: f.expect,
                    kind: match &f.content {
                        Content::TestCases(tc) => tc.kind.clone(),
                        Content::Lines(_) => None,
                    },
                    counts,
                    tpr: counts.tpr(),
                    tnr: counts.tnr(),
                    skipped: skipped_per_file(i),
                }
            })
            .collect();
        let skipped_cases = t
            .skipped
            .iter()
            .map(|(k, &cases)| SkipRow {
                file: corpus
                    .files
                    .get(k.file)
                    .map_or_else(String::new, |f| f.name.clone()),
                placement: k.placement.clone(),
                reason: k.reason.clone(),
                cases,
            })
            .collect();
        let evaluated = t.total.attacks + t.total.benign;
        let skipped = t.skipped_total();
        Report {
            web_acl: acl.name().to_string(),
            web_acl_source: acl_source.to_string(),
            resource_type: acl.source().log_name(),
            body_inspection_limit: acl.body_limit(),
            counting: COUNTING,
            test_cases: evaluated + skipped,
            evaluated,
            skipped,
            totals: Slice::new("all", t.total),
            final_actions: t
                .actions
                .iter()
                .map(|(&(expected, action), &cases)| ActionRow {
                    expected,
                    action,
                    cases,
                })
                .collect(),
            groups,
            by_placement: t
                .by_placement
                .iter()
                .map(|(k, c)| Slice::new(k.clone(), *c))
                .collect(),
            by_encoder: t
                .by_encoder
                .iter()
                .map(|(k, c)| Slice::new(k.clone(), *c))
                .collect(),
            by_file,
            skipped_cases,
            unread_files: corpus.unread.clone(),
            warnings: corpus.warnings.clone(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// The readable report.
    pub fn text(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "Web ACL \"{}\" ({}), resource type {} (body inspection limit {} bytes)",
            self.web_acl, self.web_acl_source, self.resource_type, self.body_inspection_limit
        );
        let c = &self.totals.counts;
        let _ = writeln!(
            o,
            "{} test cases: {} evaluated ({} attacks, {} benign), {} skipped{}\n",
            n(self.test_cases),
            n(self.evaluated),
            n(c.attacks),
            n(c.benign),
            n(self.skipped),
            if self.skipped > 0 {
                " (listed below)"
            } else {
                ""
            }
        );
        let mut t = Table::new(["", "cases", "caught", "rate"]);
        t.row([
            "attacks".into(),
            n(c.attacks),
            n(c.attacks_caught),
            format!("TPR {}", pct(self.totals.tpr)),
        ]);
        t.row([
            "benign".into(),
            n(c.benign),
            n(c.benign_flagged),
            format!("TNR {}", pct(self.totals.tnr)),
        ]);
        o.push_str(&t.render());
        let actions: Vec<String> = self
            .final_actions
            .iter()
            .map(|a| format!("{} {} {}", a.expected, a.action, n(a.cases)))
            .collect();
        let _ = writeln!(o, "final actions: {}", actions.join(", "));
        let _ = writeln!(o, "{}\n", wrap(COUNTING, 100));

        let _ = writeln!(
            o,
            "Per group and rule (rules that matched nothing are left out)"
        );
        let mut t = Table::new([
            "group / rule",
            "action",
            "attacks matched",
            "stopped",
            "benign matched",
            "stopped",
        ]);
        for g in &self.groups {
            t.row([
                g.name.clone(),
                String::new(),
                share(g.counts.attacks_matched, c.attacks),
                n(g.counts.attacks_stopped),
                share(g.counts.benign_matched, c.benign),
                n(g.counts.benign_stopped),
            ]);
            let mut silent = 0;
            for r in &g.rules {
                let rc = &r.counts;
                if rc.attacks_matched == 0 && rc.benign_matched == 0 {
                    silent += 1;
                    continue;
                }
                t.row([
                    format!("  {}", r.name),
                    match r.overridden_from {
                        Some(from) => format!("{} (was {from})", r.action),
                        None => r.action.to_string(),
                    },
                    n(rc.attacks_matched),
                    n(rc.attacks_stopped),
                    n(rc.benign_matched),
                    n(rc.benign_stopped),
                ]);
            }
            if silent > 0 {
                t.row([
                    format!("  ({silent} more rule(s) matched nothing)"),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
        }
        o.push_str(&t.render());

        for (title, slices) in [
            ("Per placement", &self.by_placement),
            ("Per encoder", &self.by_encoder),
        ] {
            if slices.is_empty() {
                continue;
            }
            let _ = writeln!(o, "\n{title}");
            let mut t = Table::new(["", "attacks", "caught", "TPR", "benign", "flagged", "TNR"]);
            for s in slices.iter() {
                t.row(slice_cells(&s.name, &s.counts, s.tpr, s.tnr));
            }
            o.push_str(&t.render());
        }

        let _ = writeln!(o, "\nPer corpus file");
        let mut t = Table::new([
            "file", "type", "attacks", "caught", "TPR", "benign", "flagged", "TNR", "skipped",
        ]);
        for f in &self.by_file {
            let mut cells = slice_cells(&f.file, &f.counts, f.tpr, f.tnr).to_vec();
            cells.insert(1, f.kind.clone().unwrap_or_default());
            cells.push(n(f.skipped));
            t.row(cells);
        }
        o.push_str(&t.render());

        if !self.skipped_cases.is_empty() {
            let _ = writeln!(o, "\nSkipped test cases (not evaluated, not in the rates)");
            let mut t = Table::new(["file", "placement", "cases", "reason"]);
            for s in &self.skipped_cases {
                t.row([
                    s.file.clone(),
                    s.placement.clone(),
                    n(s.cases),
                    s.reason.clone(),
                ]);
            }
            o.push_str(&t.render());
        }
        if !self.unread_files.is_empty() {
            let _ = writeln!(o, "\nFiles not read");
            for u in &self.unread_files {
                let _ = writeln!(o, "  {}: {}", u.file, u.reason);
            }
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(o, "\nWarnings");
            for w in &self.warnings {
                let _ = writeln!(o, "  {w}");
            }
        }
        o
    }
}

fn slice_cells(name: &str, c: &Counts, tpr: Option<f64>, tnr: Option<f64>) -> [String; 7] {
    [
        name.to_string(),
        n(c.attacks),
        n(c.attacks_caught),
        pct(tpr),
        n(c.benign),
        n(c.benign_flagged),
        pct(tnr),
    ]
}

/// A count with thousands separators.
fn n(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn pct(rate: Option<f64>) -> String {
    rate.map_or_else(|| "-".into(), |r| format!("{:.1}%", r * 100.0))
}

/// `count (share of total)`.
fn share(count: u64, total: u64) -> String {
    if total == 0 {
        return n(count);
    }
    format!("{} ({:.1}%)", n(count), count as f64 * 100.0 / total as f64)
}

fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split(' ') {
        if line > 0 && line + 1 + word.len() > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out
}

/// Columns padded to their widest cell: the first left-aligned, the others right-aligned.
struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new<const N: usize>(header: [&str; N]) -> Table {
        Table {
            rows: vec![header.iter().map(|s| s.to_string()).collect()],
        }
    }

    fn row(&mut self, cells: impl IntoIterator<Item = String>) {
        self.rows.push(cells.into_iter().collect());
    }

    fn render(&self) -> String {
        let cols = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..cols)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in &self.rows {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                let w = widths.get(c).copied().unwrap_or(0);
                let pad = w.saturating_sub(cell.chars().count());
                if c == 0 {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                } else {
                    line.push_str("  ");
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_rates_format() {
        assert_eq!(n(0), "0");
        assert_eq!(n(1234567), "1,234,567");
        assert_eq!(n(123), "123");
        assert_eq!(pct(Some(0.7995)), "80.0%");
        assert_eq!(pct(None), "-");
        assert_eq!(share(1, 3), "1 (33.3%)");
    }

    #[test]
    fn table_aligns_columns() {
        let mut t = Table::new(["a", "bb"]);
        t.row(["long".to_string(), "1".to_string()]);
        assert_eq!(t.render(), "a     bb\nlong   1\n");
    }

    #[test]
    fn wrap_breaks_at_width() {
        assert_eq!(wrap("aa bb cc", 5), "aa bb\ncc");
    }
}
