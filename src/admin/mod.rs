//! The admin listener (`--admin`): `/metrics`, `/healthz`, `POST /reload`, `/sampled-requests`.
//!
//! Runs as its own pingora service, so a slow scrape never shares a task with proxied traffic.
//! Reloads requested here build on the blocking pool and answer with the outcome: 200 and the
//! new generation, or 422 with every diagnostic (the running ACL keeps serving).

pub mod sampled;

use crate::metrics::Metrics;
use crate::reload::Reloader;
use async_trait::async_trait;
use http::{Method, Response, StatusCode};
use pingora::apps::http_app::ServeHttp;
use pingora::protocols::http::ServerSession;
use sampled::Sampler;
use serde_json::json;
use std::sync::Arc;

/// Largest `max-items` honoured, as in AWS.
pub const MAX_ITEMS: usize = 500;

pub struct AdminApp {
    pub metrics: Arc<Metrics>,
    pub reloader: Arc<Reloader>,
    pub sampler: Arc<Sampler>,
}

fn reply(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("content-length", body.len())
        .body(body)
        .unwrap_or_else(|_| Response::new(Vec::new()))
}

fn json_reply(status: StatusCode, v: serde_json::Value) -> Response<Vec<u8>> {
    let mut body = serde_json::to_vec_pretty(&v).unwrap_or_default();
    body.push(b'\n');
    reply(status, "application/json", body)
}

#[async_trait]
impl ServeHttp for AdminApp {
    async fn response(&self, session: &mut ServerSession) -> Response<Vec<u8>> {
        let method = session.req_header().method.clone();
        let path = session.req_header().uri.path().to_string();
        let query = session.req_header().uri.query().unwrap_or("").to_string();
        // Admin requests carry no meaningful body; drain it so the connection can be reused.
        let _ = session.drain_request_body().await;
        match (method, path.as_str()) {
            (Method::GET, "/metrics") => reply(StatusCode::OK, "text/plain; version=0.0.4", self.metrics.render()),
            (Method::GET, "/healthz") => {
                let generation = self.reloader.current().load().generation;
                json_reply(StatusCode::OK, json!({ "status": "ok", "generation": generation }))
            }
            (Method::POST, "/reload") => {
                let reloader = self.reloader.clone();
                match tokio::task::spawn_blocking(move || reloader.reload("POST /reload")).await {
                    Ok(Ok(applied)) => json_reply(StatusCode::OK, json!({ "result": "applied", "generation": applied.generation, "summary": applied.summary })),
                    Ok(Err(diags)) => json_reply(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        json!({ "result": "rejected", "diagnostics": diags.iter().map(|d| d.to_string()).collect::<Vec<_>>() }),
                    ),
                    Err(e) => json_reply(StatusCode::INTERNAL_SERVER_ERROR, json!({ "result": "error", "error": e.to_string() })),
                }
            }
            (Method::GET, "/sampled-requests") => self.sampled(&query),
            (_, "/metrics" | "/healthz" | "/reload" | "/sampled-requests") => reply(StatusCode::METHOD_NOT_ALLOWED, "text/plain", b"method not allowed\n".to_vec()),
            _ => reply(StatusCode::NOT_FOUND, "text/plain", b"not found: try /metrics, /healthz, POST /reload, /sampled-requests?rule-metric-name=NAME\n".to_vec()),
        }
    }
}

impl AdminApp {
    /// `?rule-metric-name=NAME[&start-time=EPOCH_S][&end-time=EPOCH_S][&max-items=N]`; the
    /// window defaults to the last three hours.
    fn sampled(&self, query: &str) -> Response<Vec<u8>> {
        let mut metric = None;
        let now = crate::proxy::now_ms();
        let (mut start, mut end, mut max) = (now.saturating_sub(sampled::WINDOW_MS), now, 100usize);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v);
            match k {
                "rule-metric-name" | "RuleMetricName" => metric = Some(v),
                "start-time" | "StartTime" => {
                    start = v
                        .parse::<f64>()
                        .map(|s| (s * 1000.0) as u64)
                        .unwrap_or(start)
                }
                "end-time" | "EndTime" => {
                    end = v.parse::<f64>().map(|s| (s * 1000.0) as u64).unwrap_or(end)
                }
                "max-items" | "MaxItems" => max = v.parse().unwrap_or(max),
                _ => {}
            }
        }
        let Some(metric) = metric else {
            return json_reply(
                StatusCode::BAD_REQUEST,
                json!({ "error": "rule-metric-name is required: the MetricName of the Web ACL or of a rule with SampledRequestsEnabled" }),
            );
        };
        json_reply(
            StatusCode::OK,
            self.sampler.query(&metric, start, end, max.min(MAX_ITEMS)),
        )
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
