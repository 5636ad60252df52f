//! Counters by rule identity, shared across builds so that a reload keeps the counts of rules whose
//! container, name, statement, window and key are unchanged.

use super::RuleCounter;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// Hands out counters by identity. Only consulted while building an ACL, never per request.
#[derive(Debug, Default)]
pub struct RateStore {
    counters: Mutex<HashMap<String, Weak<RuleCounter>>>,
    max_keys_per_rule: Option<usize>,
}

impl RateStore {
    pub fn new(max_keys_per_rule: usize) -> RateStore {
        RateStore { counters: Mutex::default(), max_keys_per_rule: Some(max_keys_per_rule) }
    }

    /// The counter for `identity`, reusing a live one from an earlier build.
    pub fn counter(&self, identity: &str, window_sec: u64) -> Arc<RuleCounter> {
        let mut map = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, w| w.strong_count() > 0);
        if let Some(c) = map.get(identity).and_then(Weak::upgrade) {
            return c;
        }
        let c = Arc::new(RuleCounter::new(window_sec, self.max_keys_per_rule.unwrap_or(super::DEFAULT_MAX_KEYS_PER_RULE)));
        map.insert(identity.to_string(), Arc::downgrade(&c));
        c
    }
}
