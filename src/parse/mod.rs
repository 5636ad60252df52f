//! Byte-level parsers for request components: query strings, cookies, JSON bodies.
//!
//! This module owns the splitting of raw request bytes into the elements that AWS WAF
//! inspects. It knows nothing of AWS types, rules or transformations: callers hand in
//! bytes and receive borrowed slices (or, for JSON strings, unescaped bytes) through a
//! callback, in input order.
//!
//! Invariants kept by every parser here:
//! * no panic for any input bytes;
//! * no decoding beyond what the component's definition requires (query arguments and
//!   cookies stay percent-encoded; only JSON string escapes are resolved);
//! * work is bounded by the input length (and, for JSON, by [`json::MAX_JSON_DEPTH`]).

pub mod cookies;
pub mod json;
#[cfg(test)]
mod json_differential_tests;
mod json_keys;
pub mod json_pointer;
pub mod query;
