//! Sampled requests, answered in the shape of `aws wafv2 get-sampled-requests`.
//!
//! Kept per metric name (the Web ACL's and each rule's `VisibilityConfig.MetricName`, only where
//! `SampledRequestsEnabled`), for the last [`WINDOW_MS`], at most [`MAX_PER_METRIC`] samples each
//! and at most [`MAX_METRICS`] metric names: memory is bounded whatever the traffic.
//!
//! Which requests become samples: every request while the metric's budget lasts, then one per
//! [`SAMPLE_INTERVAL_MS`] (a token bucket of [`SAMPLE_BURST`] samples, refilled at that rate).
//! A few requests sent by hand are all there; under sustained load the [`MAX_PER_METRIC`]
//! samples kept span the whole three-hour window, as AWS's do, instead of the last seconds.
//! Like AWS, a sample stands for the requests around it: its `Weight` is the number of
//! requests offered since the previous one, so `PopulationSize` counts them all.
//!
//! On the request path a metric's ring is reached through the snapshot (resolved when the ACL
//! was built, [`Sampler::rings`]); offering a request that is not taken is two atomic
//! operations, with no lock and no lookup by name.

use crate::compile::{CompiledAcl, RuleId};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

/// AWS keeps samples for three hours.
pub const WINDOW_MS: u64 = 3 * 3600 * 1000;
/// AWS returns at most 500 samples per call; keep that many per metric.
pub const MAX_PER_METRIC: usize = 500;
/// Rule metric names come from the ACL, but reloads can bring new ones: cap the map too.
pub const MAX_METRICS: usize = 4096;
/// Samples a metric may take back to back before thinning sets in.
pub const SAMPLE_BURST: u64 = 100;
/// Under sustained traffic, one sample per metric this often: [`MAX_PER_METRIC`] of them then
/// span [`WINDOW_MS`].
pub const SAMPLE_INTERVAL_MS: u64 = WINDOW_MS / MAX_PER_METRIC as u64;

/// How far back the wall clock may step before a ring's budget starts over (a small step, from
/// a clock being slewed, leaves it as it is).
const CLOCK_SLACK_MS: u64 = 60_000;

/// One metric's samples.
#[derive(Default)]
pub struct Ring {
    /// Requests offered since the last sample was taken (the next sample's weight).
    pending: AtomicU64,
    /// The token bucket as a theoretical arrival time (GCRA, ms): a sample may be taken while
    /// it is at most `(SAMPLE_BURST - 1) * SAMPLE_INTERVAL_MS` ahead of now.
    due_ms: AtomicU64,
    samples: Mutex<VecDeque<Value>>,
}

impl Ring {
    /// Counts one request; when the budget allows a sample of it, takes the budget and returns
    /// the sample's weight (this request and those offered since the last sample).
    pub fn offer(&self, now_ms: u64) -> Option<u64> {
        self.pending.fetch_add(1, Relaxed);
        let ahead = (SAMPLE_BURST - 1) * SAMPLE_INTERVAL_MS;
        let mut due = self.due_ms.load(Relaxed);
        loop {
            // A take leaves `due` at most `ahead + SAMPLE_INTERVAL_MS` past its clock: further
            // ahead than that and a minute, the wall clock went back, and the budget starts
            // over from now.
            let from = if due > now_ms.saturating_add(ahead + SAMPLE_INTERVAL_MS + CLOCK_SLACK_MS) {
                now_ms
            } else {
                due
            };
            if from > now_ms.saturating_add(ahead) {
                return None;
            }
            let next = from.max(now_ms) + SAMPLE_INTERVAL_MS;
            match self
                .due_ms
                .compare_exchange_weak(due, next, Relaxed, Relaxed)
            {
                Ok(_) => break,
                Err(seen) => due = seen,
            }
        }
        // At least this request's own count: a concurrent winner may have swapped it away.
        Some(self.pending.swap(0, Relaxed).max(1))
    }

    /// Stores a sample taken at `now_ms` (after [`Ring::offer`] allowed it), dropping the
    /// oldest beyond [`MAX_PER_METRIC`] and those older than [`WINDOW_MS`].
    pub fn keep(&self, now_ms: u64, info: &SampleInfo, record: &Value, weight: u64) {
        let sample = sample(now_ms, info, record, weight);
        let mut samples = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        while samples.len() >= MAX_PER_METRIC || samples.front().is_some_and(|s| too_old(s, now_ms))
        {
            samples.pop_front();
        }
        samples.push_back(sample);
    }
}

/// The rings one snapshot's requests are offered to.
#[derive(Default)]
pub struct SampleRings {
    /// The Web ACL's, when its `SampledRequestsEnabled`.
    pub web_acl: Option<Arc<Ring>>,
    /// Per rule (indexed by `RuleId`), when the rule's `SampledRequestsEnabled`.
    rules: Box<[Option<Arc<Ring>>]>,
}

impl SampleRings {
    /// Rule `id`'s ring, if it samples.
    pub fn rule(&self, id: RuleId) -> Option<&Ring> {
        self.rules.get(id as usize)?.as_deref()
    }
}

/// Thread-safe store; one per process.
#[derive(Default)]
pub struct Sampler {
    rings: Mutex<HashMap<Box<str>, Arc<Ring>>>,
    /// Nothing can read the samples (`serve` without `--admin`): no ring is handed out, so no
    /// request is offered.
    off: bool,
}

/// What a sample carries besides the request.
pub struct SampleInfo<'a> {
    pub action: &'static str,
    /// `<group>#<rule>` when the rule that decided is inside a rule group.
    pub rule_in_group: Option<&'a str>,
}

impl Sampler {
    pub fn new() -> Sampler {
        Sampler::default()
    }

    /// A sampler whose samples nobody can read: [`Sampler::rings`] hands out none.
    pub fn off() -> Sampler {
        Sampler {
            off: true,
            ..Sampler::default()
        }
    }

    /// The ring of `metric`, made on first use; `None` once [`MAX_METRICS`] names exist. A
    /// reloaded ACL gets the same ring for the same name, so samples outlive reloads.
    pub fn ring(&self, metric: &str) -> Option<Arc<Ring>> {
        let mut rings = self.rings.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ring) = rings.get(metric) {
            return Some(ring.clone());
        }
        if rings.len() >= MAX_METRICS {
            return None;
        }
        let ring = Arc::new(Ring::default());
        rings.insert(metric.into(), ring.clone());
        Some(ring)
    }

    /// The rings of `acl`'s sampled metrics: the Web ACL's (`web_acl_metric`, when `sampled`)
    /// and every rule's with `SampledRequestsEnabled`.
    pub fn rings(&self, acl: &CompiledAcl, web_acl_metric: &str, sampled: bool) -> SampleRings {
        let on = !self.off;
        SampleRings {
            web_acl: (on && sampled).then(|| self.ring(web_acl_metric)).flatten(),
            rules: acl
                .rules
                .iter()
                .map(|r| {
                    (on && r.sampled)
                        .then(|| self.ring(&r.metric_name))
                        .flatten()
                })
                .collect(),
        }
    }

    /// The `get-sampled-requests` answer for `metric` between `start_ms` and `end_ms`.
    pub fn query(&self, metric: &str, start_ms: u64, end_ms: u64, max_items: usize) -> Value {
        let ring = self
            .rings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(metric)
            .cloned();
        let mut list: Vec<Value> = Vec::new();
        let mut population = 0u64;
        if let Some(ring) = ring {
            let samples = ring.samples.lock().unwrap_or_else(|p| p.into_inner());
            for s in samples.iter().rev() {
                let ts = (s["Timestamp"].as_f64().unwrap_or(0.0) * 1000.0) as u64;
                if ts < start_ms || ts > end_ms {
                    continue;
                }
                population += s["Weight"].as_u64().unwrap_or(1);
                if list.len() < max_items {
                    list.push(s.clone());
                }
            }
        }
        json!({
            "SampledRequests": list,
            "PopulationSize": population,
            "TimeWindow": { "StartTime": start_ms as f64 / 1000.0, "EndTime": end_ms as f64 / 1000.0 },
        })
    }
}

fn too_old(sample: &Value, now_ms: u64) -> bool {
    let ts = (sample["Timestamp"].as_f64().unwrap_or(0.0) * 1000.0) as u64;
    now_ms.saturating_sub(ts) > WINDOW_MS
}

/// Builds one `SampledHTTPRequest` from an AWS WAF log record.
fn sample(now_ms: u64, info: &SampleInfo, record: &Value, weight: u64) -> Value {
    let http = &record["httpRequest"];
    let headers: Vec<Value> = http["headers"]
        .as_array()
        .map(|hs| {
            hs.iter()
                .map(|h| json!({ "Name": h["name"], "Value": h["value"] }))
                .collect()
        })
        .unwrap_or_default();
    let mut uri = http["uri"].as_str().unwrap_or("").to_string();
    if let Some(args) = http["args"].as_str().filter(|a| !a.is_empty()) {
        uri.push('?');
        uri.push_str(args);
    }
    let mut m = Map::new();
    m.insert(
        "Request".into(),
        json!({
            "ClientIP": http["clientIp"],
            "Country": http["country"],
            "URI": uri,
            "Method": http["httpMethod"],
            "HTTPVersion": http["httpVersion"],
            "Headers": headers,
        }),
    );
    m.insert("Weight".into(), json!(weight));
    m.insert("Timestamp".into(), json!(now_ms as f64 / 1000.0));
    m.insert("Action".into(), json!(info.action));
    if let Some(r) = info.rule_in_group {
        m.insert("RuleNameWithinRuleGroup".into(), json!(r));
    }
    if let Some(inserted) = record["requestHeadersInserted"].as_array() {
        m.insert(
            "RequestHeadersInserted".into(),
            Value::Array(
                inserted
                    .iter()
                    .map(|h| json!({ "Name": h["name"], "Value": h["value"] }))
                    .collect(),
            ),
        );
    }
    if let Some(code) = record["responseCodeSent"].as_u64() {
        m.insert("ResponseCodeSent".into(), json!(code));
    }
    if let Some(labels) = record["labels"].as_array() {
        m.insert(
            "Labels".into(),
            Value::Array(
                labels
                    .iter()
                    .map(|l| json!({ "Name": l["name"] }))
                    .collect(),
            ),
        );
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec() -> Value {
        json!({"httpRequest": {"clientIp": "192.0.2.1", "country": "-", "headers": [{"name": "Host", "value": "x"}], "uri": "/a", "args": "b=1", "httpMethod": "GET", "httpVersion": "HTTP/1.1"}, "responseCodeSent": null})
    }

    fn info() -> SampleInfo<'static> {
        SampleInfo {
            action: "BLOCK",
            rule_in_group: None,
        }
    }

    /// Offers `n` requests at `now_ms`, keeping those the ring takes; returns how many it took.
    fn offer_n(ring: &Ring, n: u64, now_ms: u64) -> u64 {
        let r = rec();
        let mut taken = 0;
        for _ in 0..n {
            if let Some(w) = ring.offer(now_ms) {
                ring.keep(now_ms, &info(), &r, w);
                taken += 1;
            }
        }
        taken
    }

    /// Every request while the burst lasts, then one per interval; the weights add up to every
    /// request offered up to the last sample.
    #[test]
    fn takes_a_burst_then_one_per_interval_and_weights_the_rest() {
        let s = Sampler::new();
        let ring = s.ring("m").expect("a ring");
        let t0 = 1_000_000_000;
        assert_eq!(offer_n(&ring, SAMPLE_BURST + 50, t0), SAMPLE_BURST);
        assert_eq!(offer_n(&ring, 10, t0 + SAMPLE_INTERVAL_MS - 1), 0);
        assert_eq!(offer_n(&ring, 10, t0 + SAMPLE_INTERVAL_MS), 1);
        assert_eq!(offer_n(&ring, 10, t0 + SAMPLE_INTERVAL_MS + 1), 0);
        // Idle for three intervals: three samples back to back, then none.
        assert_eq!(offer_n(&ring, 10, t0 + 4 * SAMPLE_INTERVAL_MS), 3);
        let q = s.query("m", 0, u64::MAX, 10_000);
        let list = q["SampledRequests"].as_array().expect("a list");
        assert_eq!(list.len() as u64, SAMPLE_BURST + 4);
        // Newest first: the two after the first of the three weigh 1; the first stands for
        // the 19 offered since the interval's sample and itself; the interval's sample for
        // the 50 + 10 before it and itself; the burst's last for itself.
        let weights: Vec<u64> = list[..5]
            .iter()
            .filter_map(|s| s["Weight"].as_u64())
            .collect();
        assert_eq!(weights, [1, 1, 20, 61, 1]);
        // Every request offered is counted, but the 7 after the last sample (still pending).
        assert_eq!(
            q["PopulationSize"],
            SAMPLE_BURST + 50 + 10 + 10 + 10 + 10 - 7
        );
        assert_eq!(q["SampledRequests"][0]["Request"]["URI"], "/a?b=1");
    }

    /// A wall clock set back by more than a minute does not stop sampling until it catches up
    /// again; a smaller step leaves the budget as it is.
    #[test]
    fn a_clock_set_back_starts_the_budget_over() {
        let ring = Ring::default();
        let t0 = 1_000_000_000;
        assert_eq!(offer_n(&ring, SAMPLE_BURST + 1, t0), SAMPLE_BURST);
        // Back by less than an interval: still within the budget's reach, nothing taken.
        assert_eq!(offer_n(&ring, 5, t0 - SAMPLE_INTERVAL_MS / 2), 0);
        // Back by an hour: a fresh budget.
        assert_eq!(
            offer_n(&ring, SAMPLE_BURST + 1, t0 - 3_600_000),
            SAMPLE_BURST
        );
    }

    /// Threads offering at once take no more than the budget, and every request is in some
    /// sample's weight or still pending.
    #[test]
    fn concurrent_offers_take_the_budget_once_and_lose_no_request() {
        let ring = Arc::new(Ring::default());
        let t0 = 1_000_000_000;
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let ring = ring.clone();
                std::thread::spawn(move || {
                    let (mut taken, mut weight) = (0u64, 0u64);
                    for _ in 0..10_000 {
                        if let Some(w) = ring.offer(t0) {
                            taken += 1;
                            weight += w;
                        }
                    }
                    (taken, weight)
                })
            })
            .collect();
        let (mut taken, mut weight) = (0, 0);
        for t in threads {
            let (a, b) = t.join().expect("no panic");
            taken += a;
            weight += b;
        }
        assert_eq!(taken, SAMPLE_BURST);
        let pending = ring.pending.load(Relaxed);
        // A winner whose count a concurrent winner swapped away still weighs one.
        assert!(weight + pending >= 40_000, "{weight} + {pending}");
        assert!(
            weight + pending <= 40_000 + SAMPLE_BURST,
            "{weight} + {pending}"
        );
    }

    #[test]
    fn bounded_per_metric_and_by_age() {
        let s = Sampler::new();
        let ring = s.ring("m").expect("a ring");
        let t0 = 1_000_000_000;
        let mut taken = offer_n(&ring, SAMPLE_BURST, t0);
        for i in 1..=(MAX_PER_METRIC as u64) {
            taken += offer_n(&ring, 1, t0 + i * SAMPLE_INTERVAL_MS);
        }
        assert_eq!(taken, SAMPLE_BURST + MAX_PER_METRIC as u64);
        let count = |s: &Sampler| {
            s.query("m", 0, u64::MAX, 10_000)["SampledRequests"]
                .as_array()
                .map_or(0, Vec::len)
        };
        assert_eq!(count(&s), MAX_PER_METRIC);
        offer_n(&ring, 1, t0 + 2 * WINDOW_MS + 600_000);
        assert_eq!(count(&s), 1);
    }

    /// Rings go to the Web ACL and to the rules that sample, and to none when the sampler is off.
    #[test]
    fn rings_follow_the_acl_and_none_when_off() {
        let text = r#"{"Name": "t", "DefaultAction": {"Allow": {}}, "Rules": [
            {"Name": "s", "Priority": 0, "Action": {"Count": {}},
             "Statement": {"SizeConstraintStatement": {"FieldToMatch": {"UriPath": {}},
               "ComparisonOperator": "GT", "Size": 1, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
             "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": false, "MetricName": "s"}},
            {"Name": "u", "Priority": 1, "Action": {"Count": {}},
             "Statement": {"SizeConstraintStatement": {"FieldToMatch": {"UriPath": {}},
               "ComparisonOperator": "GT", "Size": 2, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
             "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "u"}}],
            "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": false, "MetricName": "t"}}"#;
        let mut d = crate::validate::Diagnostics::new("t");
        let doc = crate::load::web_acl_str(text, "t", &mut d).expect("the ACL loads");
        let acl = crate::compile::build(&doc, &Default::default(), &Default::default())
            .unwrap_or_else(|e| panic!("the ACL compiles: {e:?}"));
        let on = Sampler::new().rings(&acl, "t", true);
        assert!(on.web_acl.is_some());
        let sampling: Vec<bool> = (0..2).map(|id| on.rule(id).is_some()).collect();
        assert_eq!(sampling, [true, false]);
        let off = Sampler::off().rings(&acl, "t", true);
        assert!(off.web_acl.is_none() && off.rule(0).is_none() && off.rule(1).is_none());
    }

    /// Rings are found again by name (a reload keeps its samples), and the number of names is
    /// bounded.
    #[test]
    fn rings_are_shared_by_name_and_capped() {
        let s = Sampler::new();
        let a = s.ring("m").expect("a ring");
        assert!(Arc::ptr_eq(&a, &s.ring("m").expect("the same ring")));
        for i in 1..MAX_METRICS {
            assert!(s.ring(&format!("m{i}")).is_some());
        }
        assert!(s.ring("one-too-many").is_none());
        assert!(s.ring("m").is_some());
    }
}
