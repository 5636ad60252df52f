//! The registry of managed rule groups webacl ships, resolved by `VendorName` / `Name`.
//!
//! Each entry is a rule group in AWS's own JSON (`rulesets/aws/<Name>.json`, the bare `RuleGroup`
//! object `aws wafv2 get-rule-group` prints), embedded in the binary. The groups are open versions
//! of AWS's managed rule groups: rule names, label namespaces and labels, default actions and
//! `Capacity` are AWS's published ones (spec §11), so that overrides, label matches and logs behave
//! as in AWS; the match patterns are webacl's own, since AWS does not publish its signatures.
//! `rulesets/aws/README.md` says which rules follow a documented condition exactly and which are
//! approximations.
//!
//! The lowering (`compile::lower::group`) parses a group from here when a `ManagedRuleGroupStatement`
//! names it, whatever its `Version`. Until a group is listed here, a reference to it is a clear
//! "not shipped" error (or, with `BuildOptions::allow_missing_managed`, a documented no-match).
//!
//! The IP reputation groups (`AWSManagedRulesAmazonIpReputationList`,
//! `AWSManagedRulesAnonymousIpList`) hold no addresses: their rules reference IP sets by fixed ARNs
//! that the user supplies in the resources directory (examples in `rulesets/examples/resources/`).

mod list;

pub use list::{GroupSummary, Listing};

/// One shipped managed rule group.
pub struct ManagedGroup {
    pub vendor: &'static str,
    pub name: &'static str,
    /// The group as `aws wafv2 get-rule-group` would print it (bare RuleGroup object).
    pub json: &'static str,
}

/// The vendor of every group in `rulesets/aws/`.
pub const AWS: &str = "AWS";

/// Embeds `rulesets/aws/<name>.json` as an AWS group; the file name is the group's `Name`.
macro_rules! aws_group {
    ($name:literal) => {
        ManagedGroup {
            vendor: AWS,
            name: $name,
            json: include_str!(concat!("../../rulesets/aws/", $name, ".json")),
        }
    };
}

/// Every group webacl ships, in the order AWS's guide lists them.
pub const SHIPPED: &[ManagedGroup] = &[
    aws_group!("AWSManagedRulesCommonRuleSet"),
    aws_group!("AWSManagedRulesAdminProtectionRuleSet"),
    aws_group!("AWSManagedRulesKnownBadInputsRuleSet"),
    aws_group!("AWSManagedRulesSQLiRuleSet"),
    aws_group!("AWSManagedRulesLinuxRuleSet"),
    aws_group!("AWSManagedRulesUnixRuleSet"),
    aws_group!("AWSManagedRulesWindowsRuleSet"),
    aws_group!("AWSManagedRulesPHPRuleSet"),
    aws_group!("AWSManagedRulesWordPressRuleSet"),
    aws_group!("AWSManagedRulesAmazonIpReputationList"),
    aws_group!("AWSManagedRulesAnonymousIpList"),
];

/// Finds a shipped group; vendor and name compare exactly, as AWS does.
pub fn lookup(vendor: &str, name: &str) -> Option<&'static ManagedGroup> {
    SHIPPED
        .iter()
        .find(|g| g.vendor == vendor && g.name == name)
}
