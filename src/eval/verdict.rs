//! The outcome of evaluating one request: what to do, and everything the AWS log record needs.
//! Lives inside [`super::Scratch`] and is cleared, not reallocated, between requests.

use crate::compile::{ActionKind, GroupId, RuleId};
use crate::detect::Sensitivity;

/// Which rule ended evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Terminator {
    #[default]
    Default,
    /// A top-level rule (regular or rate-based).
    Rule(RuleId),
    /// A rule inside a group instance: (the Web ACL rule referencing the group, the inner rule).
    Group { top: RuleId, inner: RuleId },
}

/// Why a Captcha or Challenge did not let the request through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFailure {
    Missing,
    Invalid,
}

impl TokenFailure {
    pub fn log_name(self) -> &'static str {
        match self {
            TokenFailure::Missing => "TOKEN_MISSING",
            TokenFailure::Invalid => "TOKEN_INVALID",
        }
    }
}

/// A match detail (`terminatingRuleMatchDetails` / `ruleMatchDetails` items).
#[derive(Debug, Clone, Copy)]
pub struct MatchDetail {
    pub condition: &'static str,
    pub location: &'static str,
    pub sensitivity: Option<Sensitivity>,
    /// Range into `Verdict::detail_tokens`; `None` logs `matchedData: null`.
    pub data: Option<(u32, u32)>,
    /// Header or argument name for single-named fields (range into `detail_text`).
    pub field_name: Option<(u32, u32)>,
}

/// A matching rule that did not terminate.
#[derive(Debug, Clone, Copy)]
pub struct Matched {
    pub rule: RuleId,
    /// The action logged (COUNT, or a Captcha/Challenge that passed).
    pub action: ActionKind,
    /// Range into `Verdict::details`.
    pub details: (u32, u32),
}

/// One `ruleGroupList` entry.
#[derive(Debug, Clone, Copy)]
pub struct GroupEntry {
    pub top: RuleId,
    pub group: GroupId,
    /// The inner rule that terminated the group, with its details range.
    pub terminating: Option<(RuleId, (u32, u32))>,
    /// Range into `Verdict::group_matches`.
    pub matches: (u32, u32),
    /// Range into `Verdict::group_excluded`.
    pub excluded: (u32, u32),
}

/// A `rateBasedRuleList` entry: a top-level rate rule that counted this request.
#[derive(Debug, Clone, Copy)]
pub struct RateEntry {
    pub rule: RuleId,
    /// Range into `Verdict::rate_values`: one text range per key part.
    pub values: (u32, u32),
}

/// Where inserted request headers come from, in application order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderSource {
    Rule(RuleId),
    Default,
}

#[derive(Debug, Default, Clone)]
pub struct Verdict {
    /// ALLOW, BLOCK, CAPTCHA or CHALLENGE (never COUNT).
    pub action: Option<ActionKind>,
    pub terminator: Terminator,
    /// Set when a Captcha/Challenge terminated the request.
    pub token_failure: Option<TokenFailure>,
    pub terminating_details: (u32, u32),
    pub matched: Vec<Matched>,
    pub groups: Vec<GroupEntry>,
    pub group_matches: Vec<Matched>,
    pub group_excluded: Vec<Matched>,
    pub details: Vec<MatchDetail>,
    pub detail_tokens: Vec<(u32, u32)>,
    pub detail_text: Vec<u8>,
    pub header_sources: Vec<HeaderSource>,
    pub rate: Vec<RateEntry>,
    /// Logged key values of rate entries: ranges into `detail_text`.
    pub rate_values: Vec<(u32, u32)>,
    /// Oversize components inspected: bit 0 body, 1 JSON body, 2 headers, 3 cookies.
    pub oversize: u8,
}

pub const OVERSIZE_BODY: u8 = 1;
pub const OVERSIZE_JSON_BODY: u8 = 2;
pub const OVERSIZE_HEADERS: u8 = 4;
pub const OVERSIZE_COOKIES: u8 = 8;

impl Verdict {
    pub(crate) fn clear(&mut self) {
        self.action = None;
        self.terminator = Terminator::Default;
        self.token_failure = None;
        self.terminating_details = (0, 0);
        self.matched.clear();
        self.groups.clear();
        self.group_matches.clear();
        self.group_excluded.clear();
        self.details.clear();
        self.detail_tokens.clear();
        self.detail_text.clear();
        self.header_sources.clear();
        self.rate.clear();
        self.rate_values.clear();
        self.oversize = 0;
    }

    /// The final action.
    pub fn action(&self) -> ActionKind {
        self.action.unwrap_or(ActionKind::Allow)
    }

    pub fn details(&self, range: (u32, u32)) -> &[MatchDetail] {
        &self.details[range.0 as usize..range.1 as usize]
    }

    pub fn tokens(&self, range: (u32, u32)) -> impl Iterator<Item = &[u8]> + Clone {
        self.detail_tokens[range.0 as usize..range.1 as usize]
            .iter()
            .map(|&(a, b)| &self.detail_text[a as usize..b as usize])
    }

    pub fn text(&self, range: (u32, u32)) -> &[u8] {
        &self.detail_text[range.0 as usize..range.1 as usize]
    }
}
