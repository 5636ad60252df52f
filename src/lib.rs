//! webacl enforces AWS WAFv2 Web ACLs exactly as AWS defines them.
//!
//! The crate follows the data flow of a request through a Web ACL:
//!
//! ```text
//! AWS JSON ─▶ load ─▶ validate ─▶ compile ─▶ [one snapshot] ─▶ evaluate ─▶ act ─▶ log / metrics
//! ```
pub mod check;
pub mod compile;
pub mod detect;
pub mod eval;
pub mod inspect;
pub mod load;
pub mod log;
pub mod managed;
pub mod model;
pub mod parse;
pub mod transform;
pub mod validate;
