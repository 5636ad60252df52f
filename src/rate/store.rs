//! Counters by rule identity, shared across builds so that a reload keeps the counts of rules whose
//! container, name, statement, window and key are unchanged.

use super::RuleCounter;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// Hands out counters by identity. Consulted while building an ACL and by the shared-store task,
/// never per request.
#[derive(Debug, Default)]
pub struct RateStore {
    counters: Mutex<HashMap<String, Weak<RuleCounter>>>,
    max_keys_per_rule: Option<usize>,
}

impl RateStore {
    pub fn new(max_keys_per_rule: usize) -> RateStore {
        RateStore {
            counters: Mutex::default(),
            max_keys_per_rule: Some(max_keys_per_rule),
        }
    }

    /// The counter for `identity`, reusing a live one from an earlier build.
    pub fn counter(&self, identity: &str, window_sec: u64) -> Arc<RuleCounter> {
        let mut map = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, w| w.strong_count() > 0);
        if let Some(c) = map.get(identity).and_then(Weak::upgrade) {
            return c;
        }
        let c = Arc::new(RuleCounter::named(
            identity,
            window_sec,
            self.max_keys_per_rule
                .unwrap_or(super::DEFAULT_MAX_KEYS_PER_RULE),
        ));
        map.insert(identity.to_string(), Arc::downgrade(&c));
        c
    }

    /// The counters some build still uses (for the shared-store task).
    pub fn live(&self) -> Vec<Arc<RuleCounter>> {
        let map = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        map.values().filter_map(Weak::upgrade).collect()
    }
}
