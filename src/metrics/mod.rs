//! Every Prometheus metric of `webacl serve`, in one place.
//!
//! Label values come only from configuration: the Web ACL's and each rule's
//! `VisibilityConfig.MetricName`, and the action as CloudWatch names its metric
//! (`AllowedRequests`, `BlockedRequests`, `CountedRequests`, `CaptchaRequests`,
//! `ChallengeRequests`). Nothing from a request ever becomes a label, so the number of series is
//! bounded by the ACLs loaded.
//!
//! The request path never looks a label set up by name: a [`RuleCounters`] table, built with
//! each snapshot, resolves each (rule, action) counter once and then only increments it.

use crate::compile::{ActionKind, CompiledAcl};
use crate::eval::{Terminator, Verdict};
use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};
use std::sync::OnceLock;

mod rate;
pub use rate::{rate_rules, RateRules};

/// CloudWatch's metric name for requests that ended (or were counted) with `kind`.
pub fn cloudwatch_name(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Allow => "AllowedRequests",
        ActionKind::Block => "BlockedRequests",
        ActionKind::Count => "CountedRequests",
        ActionKind::Captcha => "CaptchaRequests",
        ActionKind::Challenge => "ChallengeRequests",
    }
}

fn action_index(kind: ActionKind) -> usize {
    match kind {
        ActionKind::Allow => 0,
        ActionKind::Block => 1,
        ActionKind::Count => 2,
        ActionKind::Captcha => 3,
        ActionKind::Challenge => 4,
    }
}

/// The process-wide metrics. Cheap to clone handles out of; registered once.
pub struct Metrics {
    registry: Registry,
    web_acl_requests: IntCounterVec,
    rule_requests: IntCounterVec,
    evaluation_seconds: Histogram,
    reloads: IntCounterVec,
    log_dropped: IntCounter,
    upstream_errors: IntCounter,
    rate: rate::RateMetrics,
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let web_acl_requests = IntCounterVec::new(
            Opts::new("webacl_web_acl_requests_total", "Requests evaluated by the Web ACL, by its MetricName and the CloudWatch metric of the final action"),
            &["web_acl", "action"],
        )
        .expect("valid metric");
        let rule_requests = IntCounterVec::new(
            Opts::new("webacl_rule_requests_total", "Requests a rule matched, by the Web ACL's and the rule's MetricName and the CloudWatch metric of the rule's action"),
            &["web_acl", "rule", "action"],
        )
        .expect("valid metric");
        let evaluation_seconds = Histogram::with_opts(
            HistogramOpts::new("webacl_evaluation_seconds", "Time to evaluate one request against the Web ACL (header and body phases, not proxying)")
                .buckets(vec![1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 1e-2]),
        )
        .expect("valid metric");
        let reloads = IntCounterVec::new(Opts::new("webacl_reloads_total", "Web ACL reloads by result (success: swapped in; failure: rejected, the old ACL kept serving)"), &["result"])
            .expect("valid metric");
        let log_dropped = IntCounter::new(
            "webacl_log_records_dropped_total",
            "AWS WAF log records dropped because the log queue was full",
        )
        .expect("valid metric");
        let upstream_errors = IntCounter::new(
            "webacl_upstream_errors_total",
            "Requests that could not be proxied to the upstream (answered 502 or similar)",
        )
        .expect("valid metric");
        for c in [
            Box::new(web_acl_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(rule_requests.clone()),
            Box::new(evaluation_seconds.clone()),
            Box::new(reloads.clone()),
            Box::new(log_dropped.clone()),
            Box::new(upstream_errors.clone()),
        ] {
            registry.register(c).expect("metric registered once");
        }
        let rate = rate::RateMetrics::new();
        for c in rate.collectors() {
            registry.register(c).expect("metric registered once");
        }
        // Make both reload series visible from the start.
        reloads.with_label_values(&["success"]);
        reloads.with_label_values(&["failure"]);
        Metrics {
            registry,
            web_acl_requests,
            rule_requests,
            evaluation_seconds,
            reloads,
            log_dropped,
            upstream_errors,
            rate,
        }
    }

    /// The counter table for one compiled ACL (built with each snapshot, off the request path).
    pub fn rule_counters(&self, acl: &CompiledAcl, web_acl_metric: &str) -> RuleCounters {
        let acl_counters = [
            ActionKind::Allow,
            ActionKind::Block,
            ActionKind::Count,
            ActionKind::Captcha,
            ActionKind::Challenge,
        ]
        .map(|k| {
            self.web_acl_requests
                .with_label_values(&[web_acl_metric, cloudwatch_name(k)])
        });
        RuleCounters {
            vec: self.rule_requests.clone(),
            web_acl: web_acl_metric.into(),
            acl: acl_counters,
            // As in CloudWatch, only rules with CloudWatchMetricsEnabled get series.
            rules: acl
                .rules
                .iter()
                .map(|r| {
                    (
                        r.metrics_enabled.then(|| r.metric_name.clone()),
                        Default::default(),
                    )
                })
                .collect(),
        }
    }

    pub fn observe_evaluation(&self, seconds: f64) {
        self.evaluation_seconds.observe(seconds);
    }

    pub fn reload_succeeded(&self) {
        self.reloads.with_label_values(&["success"]).inc();
    }

    pub fn reload_failed(&self) {
        self.reloads.with_label_values(&["failure"]).inc();
    }

    pub fn log_record_dropped(&self) {
        self.log_dropped.inc();
    }

    pub fn upstream_error(&self) {
        self.upstream_errors.inc();
    }

    /// Where the rate-based metrics are read from at each scrape: the rules being served and,
    /// with `--rate-store redis://`, the shared store's status. Set once at start-up.
    pub fn watch_rate(
        &self,
        rules: RateRules,
        store: Option<std::sync::Arc<crate::rate::SharedStatus>>,
    ) {
        self.rate.watch(rules, store);
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> Vec<u8> {
        self.rate.refresh();
        let mut out = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metrics.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Per-ACL and per-rule counters of one snapshot, resolved lazily once per (rule, action) so that
/// only combinations that happen appear as series.
pub struct RuleCounters {
    vec: IntCounterVec,
    web_acl: Box<str>,
    acl: [IntCounter; 5],
    rules: Box<[RuleSeries]>,
}

/// One rule's MetricName (`None` when its CloudWatch metrics are off) and its counter per action,
/// created on first use.
type RuleSeries = (Option<Box<str>>, [OnceLock<IntCounter>; 5]);

impl RuleCounters {
    fn rule(&self, id: u32, kind: ActionKind) {
        let Some((Some(name), slots)) = self.rules.get(id as usize) else {
            return;
        };
        slots[action_index(kind)]
            .get_or_init(|| {
                self.vec
                    .with_label_values(&[&self.web_acl, name, cloudwatch_name(kind)])
            })
            .inc();
    }

    /// Counts one evaluated request: the ACL's final action, the terminating rule (and, for a
    /// rule group, the web ACL rule referencing it), and every non-terminating match.
    pub fn count(&self, v: &Verdict) {
        let action = v.action();
        self.acl[action_index(action)].inc();
        match v.terminator {
            Terminator::Default => {}
            Terminator::Rule(id) => self.rule(id, action),
            Terminator::Group { top, inner } => {
                self.rule(top, action);
                self.rule(inner, action);
            }
        }
        for m in v.matched.iter().chain(v.group_matches.iter()) {
            self.rule(m.rule, m.action);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::{build, BuildOptions, SearchStringEncoding};
    use crate::eval::{evaluate, Scratch};
    use crate::inspect::Request;
    use crate::load::{Document, Resources};
    use serde_json::json;

    #[test]
    fn only_rules_with_cloudwatch_metrics_enabled_get_series() {
        let rule = |name: &str, prio: i64, metrics: bool| {
            json!({"Name": name, "Priority": prio, "Action": {"Count": {}},
                   "Statement": {"ByteMatchStatement": {"SearchString": "/", "FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "STARTS_WITH"}},
                   "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": metrics, "MetricName": format!("{name}-metric")}})
        };
        let acl = json!({"Name": "m", "DefaultAction": {"Allow": {}}, "Rules": [rule("on", 0, true), rule("off", 1, false)],
                         "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": true, "MetricName": "m-acl"}});
        let doc = Document {
            file: "t".into(),
            base: String::new(),
            value: acl,
        };
        let acl = build(
            &doc,
            &Resources::default(),
            &BuildOptions {
                search_string: SearchStringEncoding::Text,
                ..Default::default()
            },
        )
        .unwrap();
        let metrics = Metrics::new();
        let counters = metrics.rule_counters(&acl, &acl.visibility().metric_name);
        let mut scratch = Scratch::new();
        counters.count(evaluate(&acl, &Request::get(b"/x"), &mut scratch));
        let text = String::from_utf8(metrics.render()).unwrap();
        assert!(text.contains("on-metric"), "{text}");
        assert!(
            !text.contains("off-metric"),
            "a rule with CloudWatchMetricsEnabled false has no series: {text}"
        );
        assert!(text.contains("m-acl"), "{text}");
    }
}
