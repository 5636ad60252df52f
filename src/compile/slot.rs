//! Slots: each distinct (field, pre-parse chain, transformation chain) a request may need, interned
//! so that evaluation computes it at most once per request.

use crate::model::MatchScope;
use crate::parse::json::{JsonPointer, JsonScope};
use crate::transform::{ChainTriggers, PreParse, Transform};

/// Which request component a slot extracts. Names are stored lowercase where AWS compares them
/// case-insensitively (headers, query arguments) and verbatim where it does not (cookies).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldSel {
    SingleHeader(Box<str>),
    SingleQueryArgument(Box<str>),
    AllQueryArguments,
    UriPath,
    QueryString,
    Method,
    Body,
    JsonBody {
        paths: Option<Box<[Box<str>]>>,
        scope: Scope,
        as_string_on_invalid: bool,
    },
    Headers {
        pattern: NamePattern,
        scope: Scope,
    },
    Cookies {
        pattern: NamePattern,
        scope: Scope,
    },
    HeaderOrder,
    Ja3,
    Ja4,
    UriFragment,
}

impl FieldSel {
    /// AWS's name for the component, for traces.
    pub fn aws_name(&self) -> &'static str {
        match self {
            FieldSel::SingleHeader(_) => "SingleHeader",
            FieldSel::SingleQueryArgument(_) => "SingleQueryArgument",
            FieldSel::AllQueryArguments => "AllQueryArguments",
            FieldSel::UriPath => "UriPath",
            FieldSel::QueryString => "QueryString",
            FieldSel::Method => "Method",
            FieldSel::Body => "Body",
            FieldSel::JsonBody { .. } => "JsonBody",
            FieldSel::Headers { .. } => "Headers",
            FieldSel::Cookies { .. } => "Cookies",
            FieldSel::HeaderOrder => "HeaderOrder",
            FieldSel::Ja3 => "JA3Fingerprint",
            FieldSel::Ja4 => "JA4Fingerprint",
            FieldSel::UriFragment => "UriFragment",
        }
    }

    /// The `location` AWS writes in match details for this component.
    pub fn log_location(&self) -> &'static str {
        match self {
            FieldSel::SingleHeader(_) | FieldSel::Headers { .. } | FieldSel::HeaderOrder => {
                "HEADER"
            }
            FieldSel::SingleQueryArgument(_) => "SINGLE_QUERY_ARG",
            FieldSel::AllQueryArguments => "ALL_QUERY_ARGS",
            FieldSel::UriPath => "URI",
            FieldSel::QueryString => "QUERY_STRING",
            FieldSel::Method => "METHOD",
            FieldSel::Body => "BODY",
            FieldSel::JsonBody { .. } => "UNKNOWN",
            FieldSel::Cookies { .. } => "COOKIE",
            FieldSel::Ja3 | FieldSel::Ja4 => "UNKNOWN",
            FieldSel::UriFragment => "URI_FRAGMENT",
        }
    }

    pub fn uses_body(&self) -> bool {
        matches!(self, FieldSel::Body | FieldSel::JsonBody { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    All,
    Key,
    Value,
}

impl From<MatchScope> for Scope {
    fn from(s: MatchScope) -> Scope {
        match s {
            MatchScope::All => Scope::All,
            MatchScope::Key => Scope::Key,
            MatchScope::Value => Scope::Value,
        }
    }
}

impl Scope {
    pub fn json(self) -> JsonScope {
        match self {
            Scope::All => JsonScope::All,
            Scope::Key => JsonScope::Key,
            Scope::Value => JsonScope::Value,
        }
    }
    pub fn keys(self) -> bool {
        matches!(self, Scope::All | Scope::Key)
    }
    pub fn values(self) -> bool {
        matches!(self, Scope::All | Scope::Value)
    }
}

/// `MatchPattern` of Headers / Cookies.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NamePattern {
    All,
    Included(Box<[Box<str>]>),
    Excluded(Box<[Box<str>]>),
}

impl NamePattern {
    /// Whether a name is selected; `fold` compares ASCII case-insensitively (headers).
    pub fn selects(&self, name: &[u8], fold: bool) -> bool {
        let eq = |n: &str| -> bool {
            let n = n.as_bytes();
            if fold {
                n.eq_ignore_ascii_case(name)
            } else {
                n == name
            }
        };
        match self {
            NamePattern::All => true,
            NamePattern::Included(names) => names.iter().any(|n| eq(n)),
            NamePattern::Excluded(names) => !names.iter().any(|n| eq(n)),
        }
    }
}

/// A slot: what to extract and how to transform it.
#[derive(Debug)]
pub struct SlotDef {
    pub field: FieldSel,
    pub preparse: Box<[PreParse]>,
    pub chain: Box<[Transform]>,
    /// Parsed `IncludedPaths` for JsonBody slots.
    pub json_paths: Option<Box<[JsonPointer]>>,
    /// A slot of the same component whose chain is a proper prefix of this one's, and that
    /// prefix's length: this slot's values are the parent's values with the rest of the chain
    /// applied, so the component is extracted once and shared transformations run once.
    pub parent: Option<(super::SlotId, usize)>,
    /// The bytes without which the rest of the chain (after the parent's prefix; for a slot
    /// without a parent, all of it) leaves a value unchanged, when it has such a short list (see
    /// [`ChainTriggers`]).
    pub rest_triggers: Option<ChainTriggers>,
}

impl SlotDef {
    /// Human description for traces: `UriPath after URL_DECODE, LOWERCASE`.
    pub fn describe(&self) -> String {
        let mut s = match &self.field {
            FieldSel::SingleHeader(n) => format!("SingleHeader \"{n}\""),
            FieldSel::SingleQueryArgument(n) => format!("SingleQueryArgument \"{n}\""),
            other => other.aws_name().to_string(),
        };
        if !self.preparse.is_empty() {
            let names: Vec<_> = self.preparse.iter().map(|p| p.aws_name()).collect();
            s.push_str(&format!(" pre-parsed by {}", names.join(", ")));
        }
        if self.chain.is_empty() {
            s.push_str(" (no transformation)");
        } else {
            let names: Vec<_> = self.chain.iter().map(|t| t.aws_name()).collect();
            s.push_str(&format!(" after {}", names.join(", ")));
        }
        s
    }
}
