//! Rate-based rules: request counting per aggregation key over a sliding window (spec §8).
//!
//! Counters live outside the compiled ACL: a [`RateStore`] hands the same [`RuleCounter`] to every
//! build of a rule whose identity (container, name, statement) did not change, so a hot reload keeps
//! its counts. Time is the request's own timestamp, so `webacl check` replays are deterministic and
//! the proxy (which stamps requests with the wall clock) behaves the same way.
//!
//! AWS estimates rates and lags by up to ~30 s; webacl counts exactly, at whole-second resolution: a
//! request counts for `EvaluationWindowSec` seconds after the second it arrived in, and a key is
//! limited while its count, this request included, exceeds `Limit`.
//!
//! With `--rate-store redis://…` ([`redis`](self::redis)), instances share counts: each keeps counting locally
//! and a background thread exchanges per-second increments and reads with Redis, so the request
//! path never waits on the network.

mod counter;
pub mod redis;
mod store;
mod window;

pub use self::redis::SharedStatus;
pub use counter::{RuleCounter, DEFAULT_MAX_KEYS_PER_RULE, SHARDS};
pub use store::RateStore;
