//! Metrics of rate-based rules and of the store their counts live in, read at scrape time.
//!
//! Per rule (labels: the Web ACL's and the rule's `MetricName`, never a key): keys tracked and keys
//! evicted to respect `--rate-max-keys`. For the store: whether it is up (always 1 for the
//! in-process store; for Redis, whether the last exchange succeeded) and the failed exchanges.
//! Nothing here is touched by requests: the values are copied from the counters when `/metrics`
//! is rendered.

use crate::compile::{CompiledAcl, RuleBody};
use crate::rate::{RuleCounter, SharedStatus};
use prometheus::core::Collector;
use prometheus::{IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts};
use std::sync::{Arc, Mutex, OnceLock};

/// The rate-based rules being served, asked at each scrape: the Web ACL's `MetricName` and each
/// rate rule's `MetricName` with its counter.
pub type RateRules = Box<dyn Fn() -> (Box<str>, Vec<(Box<str>, Arc<RuleCounter>)>) + Send + Sync>;

/// The rate-based rules of `acl` (top-level and inside rule groups) by `MetricName`.
pub fn rate_rules(acl: &CompiledAcl) -> Vec<(Box<str>, Arc<RuleCounter>)> {
    acl.rules
        .iter()
        .filter_map(|r| match &r.body {
            RuleBody::RateBased(rate) => Some((r.metric_name.clone(), rate.counter.clone())),
            _ => None,
        })
        .collect()
}

struct Source {
    rules: RateRules,
    store: Option<Arc<SharedStatus>>,
}

pub(super) struct RateMetrics {
    tracked_keys: IntGaugeVec,
    evictions: IntCounterVec,
    store_up: IntGauge,
    flush_failures: IntCounter,
    source: OnceLock<Source>,
    /// Serializes scrapes: each rebuilds the per-rule series from scratch.
    refresh: Mutex<()>,
}

impl RateMetrics {
    pub(super) fn new() -> RateMetrics {
        let labels = &["web_acl", "rule"];
        let m = RateMetrics {
            tracked_keys: IntGaugeVec::new(Opts::new("webacl_rate_tracked_keys", "Aggregation keys a rate-based rule tracks now, by the Web ACL's and the rule's MetricName"), labels).expect("valid metric"),
            evictions: IntCounterVec::new(Opts::new("webacl_rate_evictions_total", "Keys a rate-based rule dropped while their window still held requests, to stay within --rate-max-keys"), labels).expect("valid metric"),
            store_up: IntGauge::new("webacl_rate_store_up", "1 when rate-based counts are stored as configured: always for the in-process store; for --rate-store redis://, whether the last exchange with Redis succeeded (0: counting on this instance only)").expect("valid metric"),
            flush_failures: IntCounter::new("webacl_rate_store_flush_failures_total", "Exchanges with the Redis rate store that failed (unreachable, timed out or erroring); each is retried at the next flush interval").expect("valid metric"),
            source: OnceLock::new(),
            refresh: Mutex::new(()),
        };
        m.store_up.set(1);
        m
    }

    pub(super) fn collectors(&self) -> Vec<Box<dyn Collector>> {
        vec![
            Box::new(self.tracked_keys.clone()),
            Box::new(self.evictions.clone()),
            Box::new(self.store_up.clone()),
            Box::new(self.flush_failures.clone()),
        ]
    }

    /// Where scrapes read from; the first call wins.
    pub(super) fn watch(&self, rules: RateRules, store: Option<Arc<SharedStatus>>) {
        let _ = self.source.set(Source { rules, store });
    }

    /// Copies the current values into the series, before rendering.
    pub(super) fn refresh(&self) {
        let Some(source) = self.source.get() else {
            return;
        };
        let _guard = self.refresh.lock().unwrap_or_else(|p| p.into_inner());
        let (acl, rules) = (source.rules)();
        self.tracked_keys.reset();
        self.evictions.reset();
        for (rule, counter) in &rules {
            let labels = [&*acl, &**rule];
            self.tracked_keys
                .with_label_values(&labels)
                .add(counter.tracked_keys() as i64);
            self.evictions
                .with_label_values(&labels)
                .inc_by(counter.evictions());
        }
        if let Some(status) = &source.store {
            self.store_up.set(i64::from(status.up()));
            let failures = status.flush_failures();
            let shown = self.flush_failures.get();
            if failures > shown {
                self.flush_failures.inc_by(failures - shown);
            }
        }
    }
}
