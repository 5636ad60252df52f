//! The registry of managed rule groups webacl ships, resolved by `VendorName` / `Name`.
//!
//! Each entry is a rule group in AWS's own JSON (`rulesets/`), embedded in the binary. The open
//! rule groups that mirror AWS's managed groups are added by the managed-rules work; until a group is
//! listed here, a reference to it is a clear "not shipped" error (or, with
//! `BuildOptions::allow_missing_managed`, a documented no-match).

/// One shipped managed rule group.
pub struct ManagedGroup {
    pub vendor: &'static str,
    pub name: &'static str,
    /// The group as `aws wafv2 get-rule-group` would print it (bare RuleGroup object).
    pub json: &'static str,
}

/// Every group webacl ships.
pub const SHIPPED: &[ManagedGroup] = &[];

/// Finds a shipped group; vendor and name compare exactly, as AWS does.
pub fn lookup(vendor: &str, name: &str) -> Option<&'static ManagedGroup> {
    SHIPPED
        .iter()
        .find(|g| g.vendor == vendor && g.name == name)
}
