//! `FieldToMatch`: which part of the request a statement inspects (spec §3).

use super::{Empty, FallbackBehavior};
use serde::Deserialize;

/// Exactly one member.
#[derive(Debug, Clone, Deserialize)]
pub enum FieldToMatch {
    SingleHeader(Named),
    SingleQueryArgument(Named),
    AllQueryArguments(Empty),
    UriPath(Empty),
    QueryString(Empty),
    Body(BodyField),
    Method(Empty),
    JsonBody(JsonBodyField),
    Headers(HeadersField),
    Cookies(CookiesField),
    HeaderOrder(HeaderOrderField),
    #[serde(rename = "JA3Fingerprint")]
    Ja3Fingerprint(FingerprintConfig),
    #[serde(rename = "JA4Fingerprint")]
    Ja4Fingerprint(FingerprintConfig),
    UriFragment(UriFragmentField),
}

impl FieldToMatch {
    pub fn aws_name(&self) -> &'static str {
        match self {
            FieldToMatch::SingleHeader(_) => "SingleHeader",
            FieldToMatch::SingleQueryArgument(_) => "SingleQueryArgument",
            FieldToMatch::AllQueryArguments(_) => "AllQueryArguments",
            FieldToMatch::UriPath(_) => "UriPath",
            FieldToMatch::QueryString(_) => "QueryString",
            FieldToMatch::Body(_) => "Body",
            FieldToMatch::Method(_) => "Method",
            FieldToMatch::JsonBody(_) => "JsonBody",
            FieldToMatch::Headers(_) => "Headers",
            FieldToMatch::Cookies(_) => "Cookies",
            FieldToMatch::HeaderOrder(_) => "HeaderOrder",
            FieldToMatch::Ja3Fingerprint(_) => "JA3Fingerprint",
            FieldToMatch::Ja4Fingerprint(_) => "JA4Fingerprint",
            FieldToMatch::UriFragment(_) => "UriFragment",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Named {
    pub name: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OversizeHandling {
    #[default]
    Continue,
    Match,
    NoMatch,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct BodyField {
    #[serde(default)]
    pub oversize_handling: Option<OversizeHandling>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct JsonBodyField {
    pub match_pattern: JsonMatchPattern,
    pub match_scope: MatchScope,
    #[serde(default)]
    pub invalid_fallback_behavior: Option<BodyParsingFallbackBehavior>,
    #[serde(default)]
    pub oversize_handling: Option<OversizeHandling>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct JsonMatchPattern {
    #[serde(default)]
    pub all: Option<Empty>,
    #[serde(default)]
    pub included_paths: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MatchScope {
    All,
    Key,
    Value,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BodyParsingFallbackBehavior {
    Match,
    NoMatch,
    EvaluateAsString,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct HeadersField {
    pub match_pattern: HeaderMatchPattern,
    pub match_scope: MatchScope,
    pub oversize_handling: OversizeHandling,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct HeaderMatchPattern {
    #[serde(default)]
    pub all: Option<Empty>,
    #[serde(default)]
    pub included_headers: Option<Vec<String>>,
    #[serde(default)]
    pub excluded_headers: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CookiesField {
    pub match_pattern: CookieMatchPattern,
    pub match_scope: MatchScope,
    pub oversize_handling: OversizeHandling,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CookieMatchPattern {
    #[serde(default)]
    pub all: Option<Empty>,
    #[serde(default)]
    pub included_cookies: Option<Vec<String>>,
    #[serde(default)]
    pub excluded_cookies: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct HeaderOrderField {
    pub oversize_handling: OversizeHandling,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct FingerprintConfig {
    pub fallback_behavior: FallbackBehavior,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct UriFragmentField {
    #[serde(default)]
    pub fallback_behavior: Option<FallbackBehavior>,
}
