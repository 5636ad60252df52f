//! Counting verdicts: per test case, whether it was caught, which rules matched, and under which
//! placement, encoder and corpus file it falls.
//!
//! * A test case is **caught** when the Web ACL's final action is Block, Captcha or Challenge: a
//!   Captcha or Challenge without a valid token stops the request as surely as a Block does, and a
//!   scripted attacker has no token. Allow (including the default action) passes it.
//! * A rule **matched** a test case when evaluation reached it and it matched, whatever its action
//!   (Block, Count, a group rule in `ExcludedRules`, a group whose OverrideAction is Count). Rules
//!   after the terminating one are not evaluated, exactly as in AWS, so they are not credited.

use super::corpus::Expect;
use super::layout::Layout;
use crate::compile::{ActionKind, CompiledAcl, RuleBody, RuleId};
use crate::eval::{Terminator, Verdict};
use serde::Serialize;
use std::collections::BTreeMap;

/// Attack and benign counts of one slice of the corpus.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub attacks: u64,
    pub attacks_caught: u64,
    pub benign: u64,
    pub benign_flagged: u64,
}

impl Counts {
    pub fn add(&mut self, expect: Expect, caught: bool) {
        match expect {
            Expect::Attack => {
                self.attacks += 1;
                self.attacks_caught += u64::from(caught);
            }
            Expect::Benign => {
                self.benign += 1;
                self.benign_flagged += u64::from(caught);
            }
        }
    }

    /// True-positive rate: attacks caught / attacks; `None` without attacks.
    pub fn tpr(&self) -> Option<f64> {
        (self.attacks > 0).then(|| self.attacks_caught as f64 / self.attacks as f64)
    }

    /// True-negative rate: benign passed / benign; `None` without benign cases.
    pub fn tnr(&self) -> Option<f64> {
        (self.benign > 0).then(|| (self.benign - self.benign_flagged) as f64 / self.benign as f64)
    }
}

/// Per-rule counts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleCounts {
    /// Attacks this rule matched.
    pub attacks_matched: u64,
    /// Attacks this rule stopped (it was the terminating rule and the action caught the case).
    pub attacks_stopped: u64,
    /// Benign cases this rule matched.
    pub benign_matched: u64,
    /// Benign cases this rule stopped.
    pub benign_stopped: u64,
}

/// A test case not evaluated: where it came from and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SkipKey {
    pub file: usize,
    pub placement: String,
    pub reason: String,
}

#[derive(Debug)]
pub struct Tally {
    pub total: Counts,
    pub by_placement: BTreeMap<String, Counts>,
    pub by_encoder: BTreeMap<String, Counts>,
    pub by_file: Vec<Counts>,
    /// Final actions of evaluated cases, by expectation.
    pub actions: BTreeMap<(&'static str, &'static str), u64>,
    /// Indexed by rule id.
    pub rules: Vec<RuleCounts>,
    /// Indexed like `Layout::sections`: cases with at least one match in the section, and cases
    /// a rule of the section stopped.
    pub sections: Vec<RuleCounts>,
    pub skipped: BTreeMap<SkipKey, u64>,
    /// Reused per case: sections already credited.
    seen: Vec<bool>,
    matched: Vec<RuleId>,
}

impl Tally {
    pub fn new(acl: &CompiledAcl, layout: &Layout, files: usize) -> Tally {
        Tally {
            total: Counts::default(),
            by_placement: BTreeMap::new(),
            by_encoder: BTreeMap::new(),
            by_file: vec![Counts::default(); files],
            actions: BTreeMap::new(),
            rules: vec![RuleCounts::default(); acl.rules.len()],
            sections: vec![RuleCounts::default(); layout.sections.len()],
            skipped: BTreeMap::new(),
            seen: vec![false; layout.sections.len()],
            matched: Vec::new(),
        }
    }

    /// Records one evaluated test case.
    pub fn record(
        &mut self,
        acl: &CompiledAcl,
        layout: &Layout,
        verdict: &Verdict,
        case: CaseKey<'_>,
        expect: Expect,
    ) {
        let action = verdict.action();
        let caught = matches!(
            action,
            ActionKind::Block | ActionKind::Captcha | ActionKind::Challenge
        );
        self.total.add(expect, caught);
        self.by_placement
            .entry(case.placement.to_string())
            .or_default()
            .add(expect, caught);
        if let Some(e) = case.encoder {
            self.by_encoder
                .entry(e.to_string())
                .or_default()
                .add(expect, caught);
        }
        if let Some(c) = self.by_file.get_mut(case.file) {
            c.add(expect, caught);
        }
        let expect_name = match expect {
            Expect::Attack => "attack",
            Expect::Benign => "benign",
        };
        *self
            .actions
            .entry((expect_name, action.log_name()))
            .or_default() += 1;

        // Every rule that matched, once.
        self.matched.clear();
        let terminating = match verdict.terminator {
            Terminator::Default => None,
            Terminator::Rule(id) => Some(id),
            Terminator::Group { inner, .. } => Some(inner),
        };
        self.matched.extend(terminating);
        for m in &verdict.matched {
            let is_group = matches!(
                acl.rules.get(m.rule as usize).map(|r| &r.body),
                Some(RuleBody::Group { .. })
            );
            // A group counted by OverrideAction Count: its inner rule is credited below.
            if !is_group {
                self.matched.push(m.rule);
            }
        }
        for g in &verdict.groups {
            self.matched.extend(g.terminating.map(|(inner, _)| inner));
        }
        self.matched
            .extend(verdict.group_matches.iter().map(|m| m.rule));
        self.matched
            .extend(verdict.group_excluded.iter().map(|m| m.rule));
        self.matched.sort_unstable();
        self.matched.dedup();

        self.seen.iter_mut().for_each(|s| *s = false);
        for &id in &self.matched {
            if let Some(r) = self.rules.get_mut(id as usize) {
                let stopped = caught && terminating == Some(id);
                match expect {
                    Expect::Attack => {
                        r.attacks_matched += 1;
                        r.attacks_stopped += u64::from(stopped);
                    }
                    Expect::Benign => {
                        r.benign_matched += 1;
                        r.benign_stopped += u64::from(stopped);
                    }
                }
            }
            let Some(&Some(sec)) = layout.section_of.get(id as usize) else {
                continue;
            };
            let (Some(seen), Some(c)) = (self.seen.get_mut(sec), self.sections.get_mut(sec)) else {
                continue;
            };
            let stopped = caught && terminating == Some(id);
            match expect {
                Expect::Attack => {
                    c.attacks_matched += u64::from(!*seen);
                    c.attacks_stopped += u64::from(stopped);
                }
                Expect::Benign => {
                    c.benign_matched += u64::from(!*seen);
                    c.benign_stopped += u64::from(stopped);
                }
            }
            *seen = true;
        }
    }

    /// Records a test case that could not be evaluated.
    pub fn skip(&mut self, file: usize, placement: &str, reason: &str) {
        *self
            .skipped
            .entry(SkipKey {
                file,
                placement: placement.to_string(),
                reason: reason.to_string(),
            })
            .or_default() += 1;
    }

    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// Where a test case sits in the corpus.
#[derive(Debug, Clone, Copy)]
pub struct CaseKey<'a> {
    pub file: usize,
    /// A GoTestWAF placeholder name or a line-list location.
    pub placement: &'a str,
    /// The GoTestWAF encoder, `None` for line lists.
    pub encoder: Option<&'a str>,
}
