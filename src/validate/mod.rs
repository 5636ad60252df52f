//! Validation: every semantic check on the parsed model, reporting ALL problems with JSON pointers.
//!
//! `parse` turns JSON into the typed model while collecting every structural problem; the checks in
//! this folder (names, regex dialect, capacity) are called by `compile::lower` as it walks the model,
//! so a problem is found where its pointer is known. Nothing here builds automata.

pub mod capacity;
pub mod diagnostic;
pub mod names;
pub mod parse;
pub mod regex_dialect;

pub use diagnostic::{Diagnostic, Diagnostics};
