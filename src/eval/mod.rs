//! Evaluate: `CompiledAcl × Request → Verdict`. Synchronous, no locks, no I/O, and no allocation
//! once the [`Scratch`] has grown to the ACL's needs (`--explain` tracing aside).
//!
//! Order and semantics follow spec §5-§6: rules by ascending priority (Firewall Manager pre-process
//! groups first, post-process last); the first terminating action ends evaluation; Count never
//! terminates; labels added by a rule are visible to later rules only; a group is evaluated like an
//! inner ACL and its result passes through the reference's overrides.

mod details;
pub mod explain;
mod leaf;
mod rate;
mod rules;
mod scratch;
#[cfg(test)]
mod screen_tests;
pub mod verdict;

pub use scratch::Scratch;
pub use verdict::{
    GroupEntry, HeaderSource, MatchDetail, Matched, RateEntry, Terminator, TokenFailure, Verdict,
};

use crate::compile::CompiledAcl;
use crate::inspect::Request;

/// Evaluates one request. The verdict lives in `scratch` until the next call.
pub fn evaluate<'s>(acl: &CompiledAcl, req: &Request, scratch: &'s mut Scratch) -> &'s Verdict {
    scratch.reset(acl);
    rules::run(acl, req, scratch);
    &scratch.verdict
}
