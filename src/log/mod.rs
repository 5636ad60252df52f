//! The AWS WAF log record, field for field (spec §7), built from a verdict.
//!
//! Sinks (files, stdout, bounded queues) belong to the proxy; this module only shapes records.

pub mod config;
pub mod json;
pub mod record;
pub mod sink;

pub use record::{record, LogContext};
