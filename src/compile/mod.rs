//! Compile: the only place automata are built. A validated model becomes a [`CompiledAcl`], an
//! immutable value that evaluation reads without locks.
//!
//! Strategy per pattern, chosen here once (STYLE §4-5):
//! * every distinct (field, pre-parse chain, transformation chain) is interned into a *slot*, so a
//!   request computes each at most once ([`slot`]);
//! * all byte-match search strings of one slot share one Aho-Corasick automaton, all regexes and
//!   pattern-set entries of one slot share one multi-pattern regex ([`bank`]);
//! * IP sets become sorted, merged range tables ([`ipset`]);
//! * identical leaf statements are interned, so a request evaluates each at most once.
//!
//! [`lower`] walks the model, runs every validation check with its JSON pointer, and feeds the
//! builder; only a walk that found no problem yields a `CompiledAcl` (its constructor is private).

pub mod bank;
pub mod factors;
pub mod ipset;
pub mod lower;
pub mod screen;
pub mod slot;

pub use lower::{build, BuildOptions, SearchStringEncoding, Source};

use crate::detect::Sensitivity;
use crate::model::{ComparisonOperator, LabelMatchScope, OversizeHandling, PositionalConstraint};
use bank::{LiteralBank, RegexBank, RegexFamily};
use ipset::IpTable;
use slot::SlotDef;

pub type SlotId = u32;
pub type LeafId = u32;
pub type RuleId = u32;
pub type GroupId = u32;

/// A boolean statement tree over interned leaves.
#[derive(Debug, Clone)]
pub enum Node {
    Leaf(LeafId),
    And(Box<[Node]>),
    Or(Box<[Node]>),
    Not(Box<Node>),
}

/// One leaf statement, interned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Leaf {
    Field(FieldLeaf),
    Ip {
        table: u32,
        source: IpSource,
    },
    Geo {
        codes: Box<[[u8; 2]]>,
        source: IpSource,
    },
    Label {
        scope: LabelMatchScope,
        key: Box<str>,
        context: Box<str>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldLeaf {
    pub slot: SlotId,
    pub oversize: OversizeHandling,
    /// Result when the component is absent and AWS defines a fallback (JA3/JA4, UriFragment).
    pub missing: Option<bool>,
    /// Result when JSON parsing failed and `InvalidFallbackBehavior` is MATCH / NO_MATCH.
    pub json_invalid: Option<bool>,
    pub test: FieldTest,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldTest {
    /// A byte match; its result is bit `bit` of the slot's literal bank.
    Bytes {
        bit: u32,
        constraint: PositionalConstraint,
    },
    /// A regex or regex pattern set; matches when any of bits `first..first+count` is set.
    Regex {
        first: u32,
        count: u32,
    },
    Size {
        op: ComparisonOperator,
        size: u64,
    },
    Sqli(Sensitivity),
    Xss,
}

/// Where an IP-based statement takes its address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IpSource {
    Client,
    Forwarded {
        header: Box<str>,
        fallback_match: bool,
        position: Position,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Position {
    First,
    Last,
    Any,
}

/// A terminating or non-terminating action kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    Allow,
    Block,
    Count,
    Captcha,
    Challenge,
}

impl ActionKind {
    /// As AWS logs it.
    pub fn log_name(self) -> &'static str {
        match self {
            ActionKind::Allow => "ALLOW",
            ActionKind::Block => "BLOCK",
            ActionKind::Count => "COUNT",
            ActionKind::Captcha => "CAPTCHA",
            ActionKind::Challenge => "CHALLENGE",
        }
    }
}

/// An action with its custom handling.
#[derive(Debug, Clone)]
pub struct Action {
    pub kind: ActionKind,
    /// `InsertHeaders`, names already prefixed with `x-amzn-waf-`.
    pub insert_headers: Box<[(Box<str>, Box<str>)]>,
    pub response: Option<CustomResponse>,
}

#[derive(Debug, Clone)]
pub struct CustomResponse {
    pub code: u16,
    pub headers: Box<[(Box<str>, Box<str>)]>,
    /// (content type, body) from `CustomResponseBodies`.
    pub body: Option<(&'static str, Box<str>)>,
}

/// A rule, at the top level or inside a group instance.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: Box<str>,
    pub priority: i64,
    pub metric_name: Box<str>,
    pub sampled: bool,
    /// `VisibilityConfig.CloudWatchMetricsEnabled`: whether the rule has metrics.
    pub metrics_enabled: bool,
    pub body: RuleBody,
    /// Fully qualified labels the rule adds when it matches.
    pub labels: Box<[Box<str>]>,
    /// The action after `RuleActionOverrides` / `ExcludedRules`.
    pub action: Action,
    /// The rule's own action kind when an override changed it (logged as `overriddenAction`).
    pub overridden_from: Option<ActionKind>,
    /// Legacy `ExcludedRules`: acts as Count, logged under `excludedRules`.
    pub excluded: bool,
    /// JSON pointer of the rule, for traces.
    pub pointer: Box<str>,
}

#[derive(Debug, Clone)]
pub enum RuleBody {
    Statement(Node),
    /// Rate-based rule (spec §8).
    RateBased(Box<RateRule>),
    Group {
        group: GroupId,
        override_count: bool,
        scope_down: Option<Node>,
        managed: bool,
    },
}

/// A rate-based rule: what to count, under which key, against which limit.
#[derive(Debug, Clone)]
pub struct RateRule {
    pub scope_down: Option<Node>,
    pub limit: u64,
    pub window_sec: u64,
    pub key: RateKey,
    /// Counts, shared with earlier and later builds of the same rule (see `rate::RateStore`).
    pub counter: std::sync::Arc<crate::rate::RuleCounter>,
    /// `rateBasedRuleId` in logs (AWS's internal ARN shape).
    pub log_id: Box<str>,
}

/// `AggregateKeyType` and its key parts.
#[derive(Debug, Clone)]
pub enum RateKey {
    Ip,
    /// First address of the header; `fallback_match` groups malformed values into one instance.
    ForwardedIp {
        header: Box<str>,
        fallback_match: bool,
    },
    Constant,
    Custom(Box<[CustomKey]>),
}

/// One `CustomKeys` entry.
#[derive(Debug, Clone)]
pub enum CustomKey {
    Header {
        name: Box<str>,
        chain: Box<[crate::transform::Transform]>,
    },
    Cookie {
        name: Box<str>,
        chain: Box<[crate::transform::Transform]>,
    },
    QueryArgument {
        name: Box<str>,
        chain: Box<[crate::transform::Transform]>,
    },
    QueryString {
        chain: Box<[crate::transform::Transform]>,
    },
    UriPath {
        chain: Box<[crate::transform::Transform]>,
    },
    HttpMethod,
    Ip,
    ForwardedIp {
        header: Box<str>,
        fallback_match: bool,
    },
    LabelNamespace {
        namespace: Box<str>,
    },
    Ja3 {
        fallback_match: bool,
    },
    Ja4 {
        fallback_match: bool,
    },
}

impl CustomKey {
    /// The `name` AWS writes beside a named key's value in `customValues`.
    pub fn log_name(&self) -> Option<&str> {
        match self {
            CustomKey::Header { name, .. }
            | CustomKey::Cookie { name, .. }
            | CustomKey::QueryArgument { name, .. } => Some(name),
            CustomKey::LabelNamespace { namespace } => Some(namespace),
            _ => None,
        }
    }

    /// The `key` AWS writes in `customValues` (only `HEADER` is confirmed by a real record).
    pub fn log_key(&self) -> &'static str {
        match self {
            CustomKey::Header { .. } => "HEADER",
            CustomKey::Cookie { .. } => "COOKIE",
            CustomKey::QueryArgument { .. } => "QUERY_ARGUMENT",
            CustomKey::QueryString { .. } => "QUERY_STRING",
            CustomKey::UriPath { .. } => "URI_PATH",
            CustomKey::HttpMethod => "HTTP_METHOD",
            CustomKey::Ip => "IP",
            CustomKey::ForwardedIp { .. } => "FORWARDED_IP",
            CustomKey::LabelNamespace { .. } => "LABEL_NAMESPACE",
            CustomKey::Ja3 { .. } => "JA3_FINGERPRINT",
            CustomKey::Ja4 { .. } => "JA4_FINGERPRINT",
        }
    }
}

/// One instance of a rule group (each reference is its own instance).
#[derive(Debug, Clone)]
pub struct Group {
    /// `ruleGroupId` in logs: the group's ARN, or `AWS#<Name>` for a managed group.
    pub log_id: Box<str>,
    pub rules: Box<[RuleId]>,
}

/// Where the request came from, which fixes the body inspection limit (spec §3.1).
pub use lower::Source as HttpSource;

/// The compiled Web ACL. Immutable, `Send + Sync`; built only by [`build`].
#[derive(Debug)]
pub struct CompiledAcl {
    pub(crate) name: Box<str>,
    pub(crate) arn: Box<str>,
    pub(crate) default_action: Action,
    pub(crate) top: Box<[RuleId]>,
    pub(crate) rules: Vec<Rule>,
    pub(crate) groups: Vec<Group>,
    pub(crate) slots: Vec<SlotDef>,
    pub(crate) leaves: Vec<Leaf>,
    /// Human description of each leaf, for `--explain`.
    pub(crate) leaf_descriptions: Vec<Box<str>>,
    pub(crate) ip_tables: Vec<IpTable>,
    pub(crate) literal_banks: Vec<Option<LiteralBank>>,
    pub(crate) regex_banks: Vec<Option<RegexBank>>,
    /// Merged regex banks of slot families, and each slot's family.
    pub(crate) regex_families: Vec<RegexFamily>,
    pub(crate) regex_family_of: Vec<Option<u32>>,
    /// What proves most leaves false from a component's raw values (see [`screen`]).
    pub(crate) screens: screen::Screens,
    pub(crate) bank_bits: u32,
    pub(crate) body_limit: usize,
    pub(crate) source: Source,
    pub(crate) uses_body: bool,
    pub(crate) capacity: u64,
    /// The `Capacity` AWS printed in the input, if any.
    pub(crate) declared_capacity: Option<u64>,
    /// The Web ACL's own `VisibilityConfig`.
    pub(crate) visibility: Visibility,
}

/// A compiled `VisibilityConfig`.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    pub metric_name: Box<str>,
    pub sampled: bool,
    pub metrics_enabled: bool,
}

impl CompiledAcl {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn arn(&self) -> &str {
        &self.arn
    }
    /// Web ACL capacity units, computed as AWS prices them (spec §9).
    pub fn capacity(&self) -> u64 {
        self.capacity
    }
    /// The Web ACL's `VisibilityConfig` (metric name, sampling, metrics switch).
    pub fn visibility(&self) -> &Visibility {
        &self.visibility
    }
    /// The `Capacity` the input document carried (what AWS computed), when present.
    pub fn declared_capacity(&self) -> Option<u64> {
        self.declared_capacity
    }
    /// Bytes of body AWS would inspect for this ACL and source.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }
    /// Whether any rule inspects the body; when false the body need never be read.
    pub fn uses_body(&self) -> bool {
        self.uses_body
    }
    pub fn source(&self) -> Source {
        self.source
    }
    /// Number of rules at the top level (group instances count as one).
    pub fn top_level_rules(&self) -> usize {
        self.top.len()
    }
    /// Number of rules in total, rules inside group instances included.
    pub fn total_rules(&self) -> usize {
        self.rules.len()
    }
    /// Distinct (field, transformation chain) slots and interned leaf statements.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }
    pub fn leaf_count(&self) -> usize {
        self.leaves.len()
    }
    pub fn default_action(&self) -> ActionKind {
        self.default_action.kind
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn compiled_acl_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<super::CompiledAcl>();
    }
}
