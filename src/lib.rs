//! webacl enforces AWS WAFv2 Web ACLs exactly as AWS defines them.
//!
//! The crate follows the data flow of a request through a Web ACL:
//!
//! ```text
//! AWS JSON ─▶ load ─▶ validate ─▶ compile ─▶ [one snapshot] ─▶ evaluate ─▶ act ─▶ log / metrics
//! ```
//!
//! * [`load`] reads `get-web-acl` / `get-*` outputs into JSON documents, resources by ARN.
//! * [`validate`] parses them into [`model`] (AWS's shapes) reporting every problem by JSON pointer.
//! * [`compile`] walks the model (`compile::lower`, which runs the checks) and builds the only
//!   value evaluation reads: [`compile::CompiledAcl`], immutable and `Send + Sync`.
//! * [`eval`] decides one [`inspect::Request`] into a [`eval::Verdict`], with a reusable
//!   [`eval::Scratch`]: sync, lock-free, allocation-free once warm.
//! * [`log`] turns a verdict into the AWS WAF log record.
//!
//! Glossary, AWS term → ours:
//!
//! | AWS | webacl |
//! |---|---|
//! | Web ACL (`WebACL`) | `model::WebAcl` → `compile::CompiledAcl` |
//! | Rule, `Priority`, `Action` | `model::Rule` → `compile::Rule` (its `action` is after overrides) |
//! | `FieldToMatch` + `TextTransformations` | a *slot* (`compile::slot::SlotDef`), computed once per request |
//! | leaf statement (ByteMatch, Regex, IPSet, Geo, Label, Size, SQLi, XSS) | `compile::Leaf`, interned |
//! | And / Or / Not | `compile::Node` |
//! | rule group instance (each reference) | `compile::Group`; `ruleGroupList` entry = `eval::GroupEntry` |
//! | `OverrideAction`, `RuleActionOverrides`, `ExcludedRules` | `RuleBody::Group.override_count`, `Rule.overridden_from`, `Rule.excluded` |
//! | terminating rule / `nonTerminatingMatchingRules` | `eval::Terminator` / `eval::Matched` |
//! | WCU (capacity) | `validate::capacity` |
pub mod admin;
pub mod check;
pub mod compile;
pub mod detect;
pub mod efficacy;
pub mod eval;
pub mod inspect;
pub mod load;
pub mod log;
pub mod managed;
pub mod metrics;
pub mod model;
pub mod parse;
pub mod proxy;
pub mod rate;
pub mod reload;
pub mod serve;
pub mod transform;
pub mod validate;

#[cfg(test)]
mod test_rng;
mod word;
