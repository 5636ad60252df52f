//! AWS WAFv2 JSON shapes, with AWS's own names (serde PascalCase, unknown keys rejected).
//!
//! This module owns no logic: it mirrors what `aws wafv2 get-web-acl`, `get-rule-group`, `get-ip-set`
//! and `get-regex-pattern-set` print (botocore WAFV2 model, spec §1-§3). Every structure denies
//! unknown fields so that a typo is a diagnostic, never a silently ignored rule. Numbers are kept wide
//! (`i64`) so that range problems are reported by `validate` with AWS's bounds in the message.
//! Informational members that cannot change a verdict (`ManagedByFirewallManager`, `ApplicationConfig`...)
//! are accepted as raw JSON.

mod field;
mod resources;
mod rule;
mod statement;

pub use field::*;
pub use resources::*;
pub use rule::*;
pub use statement::*;

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// An empty AWS object such as `"UriPath": {}` or `"None": {}`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// `VisibilityConfig`: required on the Web ACL, on every rule and on every rule group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct VisibilityConfig {
    pub sampled_requests_enabled: bool,
    pub cloud_watch_metrics_enabled: bool,
    pub metric_name: String,
}

/// The Web ACL shell. `Rules` is parsed separately, rule by rule, so that every rule's problems are
/// reported (see `validate::parse`); it arrives here as raw JSON and is replaced by [`WebAcl::rules`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct WebAcl {
    pub name: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(rename = "ARN", default)]
    pub arn: Option<String>,
    pub default_action: DefaultAction,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, rename = "Rules")]
    pub raw_rules: Option<Value>,
    #[serde(skip)]
    pub rules: Vec<Rule>,
    pub visibility_config: VisibilityConfig,
    #[serde(default)]
    pub data_protection_config: Option<Value>,
    #[serde(default)]
    pub capacity: Option<i64>,
    #[serde(default)]
    pub pre_process_firewall_manager_rule_groups: Option<Vec<FirewallManagerRuleGroup>>,
    #[serde(default)]
    pub post_process_firewall_manager_rule_groups: Option<Vec<FirewallManagerRuleGroup>>,
    #[serde(default)]
    pub managed_by_firewall_manager: Option<bool>,
    #[serde(default)]
    pub label_namespace: Option<String>,
    #[serde(default)]
    pub custom_response_bodies: Option<BTreeMap<String, CustomResponseBody>>,
    #[serde(default)]
    pub captcha_config: Option<CaptchaConfig>,
    #[serde(default)]
    pub challenge_config: Option<CaptchaConfig>,
    #[serde(default)]
    pub token_domains: Option<Vec<String>>,
    #[serde(default)]
    pub association_config: Option<AssociationConfig>,
    #[serde(default)]
    pub retrofitted_by_firewall_manager: Option<bool>,
    #[serde(default, rename = "OnSourceDDoSProtectionConfig")]
    pub on_source_ddos_protection_config: Option<Value>,
    #[serde(default)]
    pub application_config: Option<Value>,
    #[serde(default)]
    pub monetization_config: Option<Value>,
}

/// `DefaultAction`: only Allow or Block.
#[derive(Debug, Clone, Deserialize)]
pub enum DefaultAction {
    Allow(AllowAction),
    Block(BlockAction),
}

/// `CustomResponseBodies` values.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CustomResponseBody {
    pub content_type: ResponseContentType,
    pub content: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResponseContentType {
    TextPlain,
    TextHtml,
    ApplicationJson,
}

/// `CaptchaConfig` / `ChallengeConfig` (same shape).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CaptchaConfig {
    #[serde(default)]
    pub immunity_time_property: Option<ImmunityTimeProperty>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ImmunityTimeProperty {
    pub immunity_time: i64,
}

/// `AssociationConfig`: raises the body inspection limit for some resource types.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AssociationConfig {
    #[serde(default)]
    pub request_body: Option<BTreeMap<String, RequestBodyConfig>>,
    #[serde(default)]
    pub challenge_javascript_sdk_injection: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RequestBodyConfig {
    pub default_size_inspection_limit: SizeInspectionLimit,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub enum SizeInspectionLimit {
    #[serde(rename = "KB_16")]
    Kb16,
    #[serde(rename = "KB_32")]
    Kb32,
    #[serde(rename = "KB_48")]
    Kb48,
    #[serde(rename = "KB_64")]
    Kb64,
}

impl SizeInspectionLimit {
    pub fn bytes(self) -> usize {
        match self {
            SizeInspectionLimit::Kb16 => 16 * 1024,
            SizeInspectionLimit::Kb32 => 32 * 1024,
            SizeInspectionLimit::Kb48 => 48 * 1024,
            SizeInspectionLimit::Kb64 => 64 * 1024,
        }
    }
}

/// Firewall Manager pre/post-process rule groups.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct FirewallManagerRuleGroup {
    pub name: String,
    pub priority: i64,
    pub firewall_manager_statement: FirewallManagerStatement,
    pub override_action: OverrideAction,
    pub visibility_config: VisibilityConfig,
}

#[derive(Debug, Clone, Deserialize)]
pub enum FirewallManagerStatement {
    ManagedRuleGroupStatement(ManagedRuleGroupStatement),
    RuleGroupReferenceStatement(RuleGroupReferenceStatement),
}
