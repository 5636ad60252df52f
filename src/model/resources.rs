//! Resources a Web ACL references by ARN: rule groups, IP sets, regex pattern sets (spec §1.4).

use super::{CustomResponseBody, VisibilityConfig};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A rule group; `Rules` is parsed rule by rule like the Web ACL's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RuleGroup {
    pub name: String,
    #[serde(default)]
    pub id: Option<String>,
    pub capacity: i64,
    #[serde(rename = "ARN")]
    pub arn: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, rename = "Rules")]
    pub raw_rules: Option<Value>,
    #[serde(skip)]
    pub rules: Vec<super::Rule>,
    pub visibility_config: VisibilityConfig,
    #[serde(default)]
    pub label_namespace: Option<String>,
    #[serde(default)]
    pub custom_response_bodies: Option<BTreeMap<String, CustomResponseBody>>,
    #[serde(default)]
    pub available_labels: Option<Value>,
    #[serde(default)]
    pub consumed_labels: Option<Value>,
    #[serde(default)]
    pub monetization_config: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct IpSet {
    pub name: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(rename = "ARN")]
    pub arn: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(rename = "IPAddressVersion")]
    pub ip_address_version: IpAddressVersion,
    pub addresses: Vec<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IpAddressVersion {
    Ipv4,
    Ipv6,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RegexPatternSet {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(rename = "ARN")]
    pub arn: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub regular_expression_list: Vec<RegexEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RegexEntry {
    pub regex_string: String,
}
