//! `Statement` and every statement type (spec §2).

use super::{Empty, FieldToMatch, RuleAction};
use serde::Deserialize;

/// A statement object has exactly one member.
#[derive(Debug, Clone, Deserialize)]
pub enum Statement {
    ByteMatchStatement(ByteMatchStatement),
    SqliMatchStatement(SqliMatchStatement),
    XssMatchStatement(XssMatchStatement),
    SizeConstraintStatement(SizeConstraintStatement),
    GeoMatchStatement(GeoMatchStatement),
    RuleGroupReferenceStatement(RuleGroupReferenceStatement),
    IPSetReferenceStatement(IpSetReferenceStatement),
    RegexPatternSetReferenceStatement(RegexPatternSetReferenceStatement),
    RateBasedStatement(Box<RateBasedStatement>),
    AndStatement(AndStatement),
    OrStatement(AndStatement),
    NotStatement(NotStatement),
    ManagedRuleGroupStatement(Box<ManagedRuleGroupStatement>),
    LabelMatchStatement(LabelMatchStatement),
    RegexMatchStatement(RegexMatchStatement),
    AsnMatchStatement(serde_json::Value),
}

impl Statement {
    /// AWS's member name, for diagnostics and traces.
    pub fn aws_name(&self) -> &'static str {
        match self {
            Statement::ByteMatchStatement(_) => "ByteMatchStatement",
            Statement::SqliMatchStatement(_) => "SqliMatchStatement",
            Statement::XssMatchStatement(_) => "XssMatchStatement",
            Statement::SizeConstraintStatement(_) => "SizeConstraintStatement",
            Statement::GeoMatchStatement(_) => "GeoMatchStatement",
            Statement::RuleGroupReferenceStatement(_) => "RuleGroupReferenceStatement",
            Statement::IPSetReferenceStatement(_) => "IPSetReferenceStatement",
            Statement::RegexPatternSetReferenceStatement(_) => "RegexPatternSetReferenceStatement",
            Statement::RateBasedStatement(_) => "RateBasedStatement",
            Statement::AndStatement(_) => "AndStatement",
            Statement::OrStatement(_) => "OrStatement",
            Statement::NotStatement(_) => "NotStatement",
            Statement::ManagedRuleGroupStatement(_) => "ManagedRuleGroupStatement",
            Statement::LabelMatchStatement(_) => "LabelMatchStatement",
            Statement::RegexMatchStatement(_) => "RegexMatchStatement",
            Statement::AsnMatchStatement(_) => "AsnMatchStatement",
        }
    }

    /// True for the statements that reference a rule group and so take `OverrideAction`.
    pub fn is_group_reference(&self) -> bool {
        matches!(
            self,
            Statement::RuleGroupReferenceStatement(_) | Statement::ManagedRuleGroupStatement(_)
        )
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct TextTransformation {
    pub priority: i64,
    #[serde(rename = "Type")]
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ByteMatchStatement {
    pub search_string: String,
    pub field_to_match: FieldToMatch,
    pub text_transformations: Vec<TextTransformation>,
    #[serde(default)]
    pub pre_parse_text_transformations: Option<Vec<TextTransformation>>,
    pub positional_constraint: PositionalConstraint,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PositionalConstraint {
    Exactly,
    StartsWith,
    EndsWith,
    Contains,
    ContainsWord,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RegexMatchStatement {
    pub regex_string: String,
    pub field_to_match: FieldToMatch,
    pub text_transformations: Vec<TextTransformation>,
    #[serde(default)]
    pub pre_parse_text_transformations: Option<Vec<TextTransformation>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RegexPatternSetReferenceStatement {
    #[serde(rename = "ARN")]
    pub arn: String,
    pub field_to_match: FieldToMatch,
    pub text_transformations: Vec<TextTransformation>,
    #[serde(default)]
    pub pre_parse_text_transformations: Option<Vec<TextTransformation>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SqliMatchStatement {
    pub field_to_match: FieldToMatch,
    pub text_transformations: Vec<TextTransformation>,
    #[serde(default)]
    pub pre_parse_text_transformations: Option<Vec<TextTransformation>>,
    #[serde(default)]
    pub sensitivity_level: Option<SensitivityLevel>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SensitivityLevel {
    Low,
    High,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct XssMatchStatement {
    pub field_to_match: FieldToMatch,
    pub text_transformations: Vec<TextTransformation>,
    #[serde(default)]
    pub pre_parse_text_transformations: Option<Vec<TextTransformation>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SizeConstraintStatement {
    pub field_to_match: FieldToMatch,
    pub comparison_operator: ComparisonOperator,
    pub size: i64,
    pub text_transformations: Vec<TextTransformation>,
    #[serde(default)]
    pub pre_parse_text_transformations: Option<Vec<TextTransformation>>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ComparisonOperator {
    Eq,
    Ne,
    Le,
    Lt,
    Ge,
    Gt,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct GeoMatchStatement {
    #[serde(default)]
    pub country_codes: Option<Vec<String>>,
    #[serde(default, rename = "ForwardedIPConfig")]
    pub forwarded_ip_config: Option<ForwardedIpConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ForwardedIpConfig {
    pub header_name: String,
    pub fallback_behavior: FallbackBehavior,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FallbackBehavior {
    Match,
    NoMatch,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct IpSetReferenceStatement {
    #[serde(rename = "ARN")]
    pub arn: String,
    #[serde(default, rename = "IPSetForwardedIPConfig")]
    pub ip_set_forwarded_ip_config: Option<IpSetForwardedIpConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct IpSetForwardedIpConfig {
    pub header_name: String,
    pub fallback_behavior: FallbackBehavior,
    pub position: ForwardedIpPosition,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ForwardedIpPosition {
    First,
    Last,
    Any,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LabelMatchStatement {
    pub scope: LabelMatchScope,
    pub key: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LabelMatchScope {
    Label,
    Namespace,
}

/// `AndStatement` and `OrStatement` share this shape.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AndStatement {
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct NotStatement {
    pub statement: Box<Statement>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RateBasedStatement {
    pub limit: i64,
    #[serde(default)]
    pub evaluation_window_sec: Option<i64>,
    pub aggregate_key_type: AggregateKeyType,
    #[serde(default)]
    pub scope_down_statement: Option<Box<Statement>>,
    #[serde(default, rename = "ForwardedIPConfig")]
    pub forwarded_ip_config: Option<ForwardedIpConfig>,
    #[serde(default)]
    pub custom_keys: Option<Vec<RateBasedCustomKey>>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AggregateKeyType {
    Ip,
    ForwardedIp,
    CustomKeys,
    Constant,
}

/// One `CustomKeys` entry: exactly one member.
#[derive(Debug, Clone, Deserialize)]
pub enum RateBasedCustomKey {
    Header(RateLimitNamed),
    Cookie(RateLimitNamed),
    QueryArgument(RateLimitNamed),
    QueryString(RateLimitTransformed),
    #[serde(rename = "HTTPMethod")]
    HttpMethod(Empty),
    #[serde(rename = "ForwardedIP")]
    ForwardedIp(Empty),
    #[serde(rename = "IP")]
    Ip(Empty),
    LabelNamespace(RateLimitLabelNamespace),
    UriPath(RateLimitTransformed),
    #[serde(rename = "JA3Fingerprint")]
    Ja3Fingerprint(super::FingerprintConfig),
    #[serde(rename = "JA4Fingerprint")]
    Ja4Fingerprint(super::FingerprintConfig),
    #[serde(rename = "ASN")]
    Asn(Empty),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RateLimitNamed {
    pub name: String,
    pub text_transformations: Vec<TextTransformation>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RateLimitTransformed {
    pub text_transformations: Vec<TextTransformation>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RateLimitLabelNamespace {
    pub namespace: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ManagedRuleGroupStatement {
    pub vendor_name: String,
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub excluded_rules: Option<Vec<ExcludedRule>>,
    #[serde(default)]
    pub scope_down_statement: Option<Box<Statement>>,
    #[serde(default)]
    pub managed_rule_group_configs: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    pub rule_action_overrides: Option<Vec<RuleActionOverride>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RuleGroupReferenceStatement {
    #[serde(rename = "ARN")]
    pub arn: String,
    #[serde(default)]
    pub excluded_rules: Option<Vec<ExcludedRule>>,
    #[serde(default)]
    pub rule_action_overrides: Option<Vec<RuleActionOverride>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ExcludedRule {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RuleActionOverride {
    pub name: String,
    pub action_to_use: RuleAction,
}
