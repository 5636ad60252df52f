//! Inspect: a borrowed view of one HTTP request, and extraction of the components AWS WAF
//! inspects (FieldToMatch), with AWS's size limits and oversize detection.
//!
//! Knows nothing of pingora or of the log format; the proxy and `webacl check` both build a
//! [`Request`] and hand it to evaluation.

pub mod extract;
pub mod request;

pub use request::{Header, Request};
