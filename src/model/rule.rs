//! `Rule` and the actions a rule can take.

use super::{CaptchaConfig, Empty, Statement, VisibilityConfig};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Rule {
    pub name: String,
    pub priority: i64,
    pub statement: Statement,
    #[serde(default)]
    pub action: Option<RuleAction>,
    #[serde(default)]
    pub override_action: Option<OverrideAction>,
    #[serde(default)]
    pub rule_labels: Option<Vec<Label>>,
    pub visibility_config: VisibilityConfig,
    #[serde(default)]
    pub captcha_config: Option<CaptchaConfig>,
    #[serde(default)]
    pub challenge_config: Option<CaptchaConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Label {
    pub name: String,
}

/// `RuleAction`: exactly one member.
#[derive(Debug, Clone, Deserialize)]
pub enum RuleAction {
    Block(BlockAction),
    Allow(AllowAction),
    Count(CountAction),
    Captcha(CountAction),
    Challenge(CountAction),
    /// 2026 model only; semantics unpublished, rejected by `validate` as not supported.
    Monetize(serde_json::Value),
}

/// `OverrideAction` on a rule-group reference.
#[derive(Debug, Clone, Deserialize)]
pub enum OverrideAction {
    Count(CountAction),
    None(Empty),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AllowAction {
    #[serde(default)]
    pub custom_request_handling: Option<CustomRequestHandling>,
}

/// Count, Captcha and Challenge share this shape.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CountAction {
    #[serde(default)]
    pub custom_request_handling: Option<CustomRequestHandling>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct BlockAction {
    #[serde(default)]
    pub custom_response: Option<CustomResponse>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CustomRequestHandling {
    pub insert_headers: Vec<CustomHttpHeader>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CustomResponse {
    pub response_code: i64,
    #[serde(default)]
    pub custom_response_body_key: Option<String>,
    #[serde(default)]
    pub response_headers: Option<Vec<CustomHttpHeader>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CustomHttpHeader {
    pub name: String,
    pub value: String,
}
