//! Sampled requests, answered in the shape of `aws wafv2 get-sampled-requests`.
//!
//! Kept per metric name (the Web ACL's and each rule's `VisibilityConfig.MetricName`, only where
//! `SampledRequestsEnabled`), for the last [`WINDOW_MS`], at most [`MAX_PER_METRIC`] samples each
//! and at most [`MAX_METRICS`] metric names: memory is bounded whatever the traffic. Like AWS,
//! a sample stands for the requests around it: at most one sample is taken per metric every
//! [`MIN_GAP_MS`], and its `Weight` is the number of requests it represents.

use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// AWS keeps samples for three hours.
pub const WINDOW_MS: u64 = 3 * 3600 * 1000;
/// AWS returns at most 500 samples per call; keep that many per metric.
pub const MAX_PER_METRIC: usize = 500;
/// Rule metric names come from the ACL, but reloads can bring new ones: cap the map too.
pub const MAX_METRICS: usize = 4096;
/// Thinning: at most one sample per metric in this many milliseconds.
pub const MIN_GAP_MS: u64 = 10;

struct Ring {
    samples: VecDeque<Value>,
    /// Requests seen since the last sample was taken (the next sample's weight).
    pending: u64,
    last_ms: u64,
}

/// Thread-safe store; one per process.
#[derive(Default)]
pub struct Sampler {
    rings: Mutex<HashMap<Box<str>, Ring>>,
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

    /// Offers one request to the metric's samples. `record` gives the AWS WAF log record of the
    /// request; it is called only when a sample is taken (at most once per metric every
    /// [`MIN_GAP_MS`]), so callers can build the record lazily. Cost otherwise: one lock and a
    /// hash lookup.
    pub fn offer<'r>(
        &self,
        metric: &str,
        now_ms: u64,
        info: &SampleInfo,
        record: impl FnOnce() -> &'r Value,
    ) {
        let mut rings = self.rings.lock().unwrap_or_else(|p| p.into_inner());
        if !rings.contains_key(metric) {
            if rings.len() >= MAX_METRICS {
                return;
            }
            rings.insert(
                metric.into(),
                Ring {
                    samples: VecDeque::new(),
                    pending: 0,
                    last_ms: 0,
                },
            );
        }
        let Some(ring) = rings.get_mut(metric) else {
            return;
        };
        ring.pending += 1;
        if ring.last_ms != 0 && now_ms.saturating_sub(ring.last_ms) < MIN_GAP_MS {
            return;
        }
        let weight = ring.pending;
        ring.pending = 0;
        ring.last_ms = now_ms;
        while ring.samples.len() >= MAX_PER_METRIC
            || ring.samples.front().is_some_and(|s| too_old(s, now_ms))
        {
            ring.samples.pop_front();
        }
        ring.samples
            .push_back(sample(now_ms, info, record(), weight));
    }

    /// The `get-sampled-requests` answer for `metric` between `start_ms` and `end_ms`.
    pub fn query(&self, metric: &str, start_ms: u64, end_ms: u64, max_items: usize) -> Value {
        let rings = self.rings.lock().unwrap_or_else(|p| p.into_inner());
        let mut list: Vec<Value> = Vec::new();
        let mut population = 0u64;
        if let Some(ring) = rings.get(metric) {
            for s in ring.samples.iter().rev() {
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

    #[test]
    fn thins_and_weights() {
        let s = Sampler::new();
        let info = SampleInfo {
            action: "BLOCK",
            rule_in_group: None,
        };
        let r = rec();
        let built = std::cell::Cell::new(0);
        let lazy = || {
            built.set(built.get() + 1);
            &r
        };
        s.offer("m", 1_000_000, &info, lazy);
        s.offer("m", 1_000_001, &info, lazy);
        s.offer("m", 1_000_002, &info, lazy);
        s.offer("m", 1_000_020, &info, lazy);
        assert_eq!(
            built.get(),
            2,
            "the record is only asked for when a sample is taken"
        );
        let q = s.query("m", 0, u64::MAX, 100);
        assert_eq!(q["SampledRequests"].as_array().unwrap().len(), 2);
        assert_eq!(q["PopulationSize"], 4);
        assert_eq!(q["SampledRequests"][0]["Weight"], 3);
        assert_eq!(q["SampledRequests"][0]["Request"]["URI"], "/a?b=1");
    }

    #[test]
    fn bounded_per_metric_and_by_age() {
        let s = Sampler::new();
        let info = SampleInfo {
            action: "ALLOW",
            rule_in_group: None,
        };
        let r = rec();
        for i in 0..(MAX_PER_METRIC as u64 + 50) {
            s.offer("m", 1_000_000 + i * MIN_GAP_MS, &info, || &r);
        }
        assert_eq!(
            s.query("m", 0, u64::MAX, 10_000)["SampledRequests"]
                .as_array()
                .unwrap()
                .len(),
            MAX_PER_METRIC
        );
        s.offer("m", 1_000_000 + WINDOW_MS + 600_000, &info, || &r);
        assert_eq!(
            s.query("m", 0, u64::MAX, 10_000)["SampledRequests"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
}
