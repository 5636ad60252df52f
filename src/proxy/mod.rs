//! The pingora glue: the only module that implements pingora's `ProxyHttp`. Each hook is a few
//! lines that call the library; no rule logic lives here. Requests without a body skip pingora's
//! proxy framework and pingora's codec ([`fast`], [`h1`]) and go through the same [`WafProxy`]
//! steps: `judge`, then an answer or a forward, `failure` and `log`.
//!
//! Per request: load the snapshot once (`ArcSwap`), read the body window only when a rule
//! inspects the body, evaluate, then either answer (Block, Captcha, Challenge) or forward with
//! the inserted headers. One AWS WAF log record per evaluated request goes to the log sink in
//! the `logging` hook, with `responseCodeSent` set to the error status when proxying failed: the
//! request path hands over a compact owned [`entry::Entry`] and the writer thread builds the JSON;
//! with no log sink nothing is prepared at all.
//!
//! Failure policy: a request webacl cannot evaluate (the client broke off while sending its
//! body) is not forwarded (fail closed); an unreachable upstream answers 502.

pub mod body;
pub mod entry;
pub mod fast;
pub mod forward;
pub mod h1;
pub mod pool;
pub mod respond;
pub mod view;

use crate::admin::sampled::SampleInfo;
use crate::eval::{evaluate, Scratch, Terminator};
use crate::inspect::Request;
use crate::log::record;
use crate::log::record::inserted_header_list;
use crate::log::sink::LogSink;
use crate::metrics::Metrics;
use crate::reload::Snapshot;
use arc_swap::ArcSwap;
use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use entry::Entry;
use pingora::http::RequestHeader;
use pingora::modules::http::HttpModules;
use pingora::prelude::*;
use pingora::proxy::{FailToProxy, ProxyHttp, Session};
use respond::Reply;
use serde_json::Value;
use std::cell::{OnceCell, RefCell};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

thread_local! {
    /// Evaluation scratch, one per worker thread, reused across requests.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Where allowed requests go.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// `host:port`.
    pub address: String,
    pub tls: bool,
    /// SNI and certificate name for TLS upstreams.
    pub sni: String,
}

/// Settings the proxy reads on every request (fixed for the process).
#[derive(Debug, Clone)]
pub struct ProxySettings {
    pub upstream: Upstream,
    /// Lower-case header name holding the client address when webacl sits behind a proxy.
    pub client_ip_header: Option<String>,
    /// `httpSourceId` in log records.
    pub source_id: String,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub write_timeout: Duration,
    pub idle_timeout: Duration,
    /// Idle upstream connections kept (`--upstream-keepalive-pool`).
    pub keepalive_pool: usize,
    /// Whether the listener terminates TLS (for the log's `scheme`).
    pub tls: bool,
}

/// What both request paths share: the snapshot, the upstream, metrics and the log sink. The fast
/// path ([`fast`]) uses it directly, pingora's proxy through [`Hooks`].
pub struct WafProxy {
    snapshots: Arc<ArcSwap<Snapshot>>,
    settings: ProxySettings,
    peer: HttpPeer,
    /// Upstream connections of the requests webacl forwards itself.
    pool: Arc<pool::Pool>,
    metrics: Arc<Metrics>,
    sink: Arc<LogSink>,
    /// `settings.source_id`, shared with the log entries instead of copied into each.
    source_id: Arc<str>,
}

/// Per-request state.
#[derive(Default)]
pub struct RequestCtx {
    /// Headers to insert into the forwarded request.
    inserted: Vec<(Box<str>, Box<str>)>,
    /// What the log record is built from, queued in `logging`; `None` when logs go nowhere.
    entry: Option<Box<Entry>>,
    /// Inspected bytes pingora will not replay; prepended to the first streamed chunk.
    replay: Option<Bytes>,
    sent_continue: bool,
    /// Status webacl answered with when proxying failed.
    failed: Option<u16>,
}

impl WafProxy {
    pub fn new(
        snapshots: Arc<ArcSwap<Snapshot>>,
        settings: ProxySettings,
        metrics: Arc<Metrics>,
        sink: Arc<LogSink>,
    ) -> WafProxy {
        let mut peer = HttpPeer::new(
            settings.upstream.address.as_str(),
            settings.upstream.tls,
            settings.upstream.sni.clone(),
        );
        peer.options.connection_timeout = Some(settings.connect_timeout);
        peer.options.read_timeout = Some(settings.read_timeout);
        peer.options.write_timeout = Some(settings.write_timeout);
        peer.options.idle_timeout = Some(settings.idle_timeout);
        WafProxy {
            snapshots,
            source_id: settings.source_id.as_str().into(),
            pool: pool::Pool::start(settings.keepalive_pool, settings.idle_timeout),
            settings,
            peer,
            metrics,
            sink,
        }
    }

    /// Evaluates the request (synchronously, on this thread's scratch), counts it, samples it,
    /// builds its log record, and says whether to answer instead of forwarding.
    fn decide(
        &self,
        session: &Session,
        arc_snap: &Arc<Snapshot>,
        window: &body::Window,
        ctx: &mut RequestCtx,
    ) -> Option<Reply> {
        let raw = session
            .as_downstream()
            .as_http1()
            .map(|h| h.get_headers_raw_bytes());
        let mut headers = Vec::with_capacity(16);
        view::headers(session, raw.as_deref(), &mut headers);
        let req_header = session.req_header();
        let (uri, query, fragment) = view::split_target(req_header.raw_path());
        let client_ip = view::client_ip(session, self.settings.client_ip_header.as_deref());
        let timestamp_ms = now_ms();
        let req = Request {
            client_ip,
            country: "-",
            method: req_header.method.as_str().as_bytes(),
            uri,
            query,
            fragment,
            http_version: match req_header.version {
                http::Version::HTTP_10 => "HTTP/1.0",
                http::Version::HTTP_2 => "HTTP/2.0",
                http::Version::HTTP_09 => "HTTP/0.9",
                _ => "HTTP/1.1",
            },
            headers: &headers,
            body: &window.bytes,
            body_len: window.len,
            ja3: None,
            ja4: None,
            timestamp_ms,
        };
        self.judge(arc_snap, &req, ctx)
    }

    /// [`WafProxy::decide`] for a request view built by the caller (the fast path builds it from
    /// the bytes it parsed).
    fn judge(
        &self,
        arc_snap: &Arc<Snapshot>,
        req: &Request,
        ctx: &mut RequestCtx,
    ) -> Option<Reply> {
        let snap: &Snapshot = arc_snap;
        let timestamp_ms = req.timestamp_ms;
        let scheme = if self.settings.tls { "https" } else { "http" };
        SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            let started = Instant::now();
            evaluate(&snap.acl, req, &mut scratch);
            self.metrics
                .observe_evaluation(started.elapsed().as_secs_f64());
            let v = &scratch.verdict;
            snap.counters.count(v);
            // The record is built here only when a sample is taken (rarely); the log writer
            // builds its own copy from the entry, off the request path.
            let sampled_record = OnceCell::new();
            self.sample(snap, v, timestamp_ms, || {
                sampled_record.get_or_init(|| {
                    entry::log_context(req, &self.source_id, scheme, None, |log_ctx| {
                        record(&snap.acl, req, &scratch, log_ctx)
                    })
                })
            });
            ctx.inserted = inserted_header_list(&snap.acl, v)
                .into_iter()
                .map(|(n, val)| (n.into(), val.into()))
                .collect();
            if self.sink.is_on() {
                ctx.entry = Some(Box::new(Entry::new(
                    Arc::clone(arc_snap),
                    self.source_id.clone(),
                    scheme,
                    req,
                    &scratch,
                )));
            }
            respond::for_verdict(&snap.acl, v, || {
                req.header_values(b"accept")
                    .any(|v| memchr::memmem::find(v, b"text/html").is_some())
            })
        })
    }

    /// Answers a request that could not be proxied (when nothing was sent yet) and returns the
    /// status for the log: 502 for upstream failures, 400 for a malformed request, 500 for
    /// webacl's own, 0 when the client went away.
    async fn fail(&self, session: &mut Session, e: &Error, ctx: &mut RequestCtx) -> u16 {
        let code = self.failure(e, ctx);
        if let (Some(reply), None) = (failure_reply(code), session.response_written()) {
            let _ = respond::send(session, &reply).await;
        }
        code
    }

    /// The status a failed request is logged with (see [`WafProxy::fail`]), noted in `ctx`;
    /// upstream failures are counted.
    fn failure(&self, e: &Error, ctx: &mut RequestCtx) -> u16 {
        let code = match e.etype() {
            ErrorType::HTTPStatus(code) => *code,
            _ => match e.esource() {
                ErrorSource::Upstream => 502,
                ErrorSource::Downstream => match e.etype() {
                    ErrorType::WriteError | ErrorType::ReadError | ErrorType::ConnectionClosed => 0,
                    _ => 400,
                },
                ErrorSource::Internal | ErrorSource::Unset => 500,
            },
        };
        if code == 502 {
            self.metrics.upstream_error();
        }
        if code > 0 {
            ctx.failed = Some(code);
        }
        code
    }

    /// Queues the request's log record; never blocks (a full queue drops and counts).
    fn log(&self, ctx: &mut RequestCtx) {
        if let Some(mut entry) = ctx.entry.take() {
            entry.failed = ctx.failed;
            if !self.sink.submit_deferred(entry) {
                self.metrics.log_record_dropped();
            }
        }
    }

    /// Offers the request to the samples of the Web ACL and of each matching rule that has
    /// `SampledRequestsEnabled`: lock-free unless a ring takes it; `record` is called only then.
    fn sample<'r>(
        &self,
        snap: &Snapshot,
        v: &crate::eval::Verdict,
        now: u64,
        record: impl Fn() -> &'r Value,
    ) {
        let acl = &snap.acl;
        let terminating = match v.terminator {
            Terminator::Default => None,
            Terminator::Rule(id) | Terminator::Group { top: id, .. } => Some(id),
        };
        let rule_rings = terminating
            .into_iter()
            .chain(v.matched.iter().map(|m| m.rule))
            .filter_map(|id| snap.samples.rule(id));
        let mut in_group: Option<Option<String>> = None;
        for ring in snap
            .samples
            .web_acl
            .as_deref()
            .into_iter()
            .chain(rule_rings)
        {
            let Some(weight) = ring.offer(now) else {
                continue;
            };
            let in_group = in_group.get_or_insert_with(|| match v.terminator {
                Terminator::Group { top, inner } => match &acl.rules[top as usize].body {
                    crate::compile::RuleBody::Group { group, .. } => Some(format!(
                        "{}#{}",
                        acl.groups[*group as usize].log_id, acl.rules[inner as usize].name
                    )),
                    _ => None,
                },
                _ => None,
            });
            let info = SampleInfo {
                action: v.action().log_name(),
                rule_in_group: in_group.as_deref(),
            };
            ring.keep(now, &info, record(), weight);
        }
    }
}

/// What to answer for a failure status (none when the client went away).
fn failure_reply(code: u16) -> Option<Reply> {
    match code {
        0 => None,
        502 => Some(respond::bad_gateway()),
        _ => Some(Reply {
            status: code,
            headers: Vec::new(),
            content_type: None,
            body: Bytes::new(),
        }),
    }
}

/// The `ProxyHttp` implementation: webacl's hooks in pingora's proxy, which serves every request
/// the fast path does not (bodies, upgrades, HTTP/2; see [`fast`]).
pub struct Hooks(pub Arc<WafProxy>);

#[async_trait]
impl ProxyHttp for Hooks {
    type CTX = RequestCtx;

    fn new_ctx(&self) -> RequestCtx {
        RequestCtx::default()
    }

    /// No downstream modules. pingora's default adds its response-compression module switched
    /// off (level 0), which changes no response but still builds and drops its context and
    /// runs its filters on every request (≈ 900 instructions).
    fn init_downstream_modules(&self, _modules: &mut HttpModules) {}

    /// Evaluates the request; answers it here when the Web ACL does not allow it.
    ///
    /// The awaits on paths a plain forwarded GET does not take are boxed (`Box::pin`): their
    /// states (the hand-forwarding one holds a whole upstream exchange) would otherwise be part
    /// of this future, which pingora boxes and so copies on every request.
    async fn request_filter(&self, session: &mut Session, ctx: &mut RequestCtx) -> Result<bool> {
        // Loaded once: the body phase, the answer and the log entry all see this snapshot.
        let snap = self.0.snapshots.load_full();
        let window = if !snap.acl.uses_body() {
            body::Window::declared(session)
        } else if session.as_downstream_mut().is_body_empty() {
            // Most requests (GET, HEAD): no body to read, and no boxed read to set up.
            body::Window::empty()
        } else {
            Box::pin(body::read(session, snap.acl.body_limit())).await?
        };
        ctx.sent_continue = window.sent_continue;
        if let Some(reply) = self.0.decide(session, &snap, &window, ctx) {
            Box::pin(respond::send(session, &reply)).await?;
            return Ok(true);
        }
        if window.forward_buffered {
            let inserted = std::mem::take(&mut ctx.inserted);
            Box::pin(forward::exchange(
                &self.0.pool,
                &self.0.peer,
                session,
                Bytes::from(window.bytes),
                &inserted,
                window.sent_continue,
            ))
            .await?;
            return Ok(true);
        }
        ctx.replay = window.replay;
        Ok(false)
    }

    async fn upstream_peer(
        &self,
        _session: &mut Session,
        _ctx: &mut RequestCtx,
    ) -> Result<Box<HttpPeer>> {
        Ok(Box::new(self.0.peer.clone()))
    }

    /// Adds the Web ACL's inserted headers (overwriting same-named ones).
    async fn upstream_request_filter(
        &self,
        _session: &mut Session,
        upstream: &mut RequestHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        for (name, value) in &ctx.inserted {
            upstream.insert_header(name.to_string(), value.as_ref())?;
        }
        if ctx.sent_continue {
            upstream.remove_header(&http::header::EXPECT);
        }
        Ok(())
    }

    /// Puts back the inspected bytes pingora could not replay, ahead of the first streamed chunk.
    async fn request_body_filter(
        &self,
        _session: &mut Session,
        body: &mut Option<Bytes>,
        _end: bool,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        if let Some(prefix) = ctx.replay.take() {
            *body = Some(match body.take() {
                Some(chunk) if !chunk.is_empty() => {
                    let mut joined = BytesMut::with_capacity(prefix.len() + chunk.len());
                    joined.extend_from_slice(&prefix);
                    joined.extend_from_slice(&chunk);
                    joined.freeze()
                }
                _ => prefix,
            });
        }
        Ok(())
    }

    async fn fail_to_proxy(
        &self,
        session: &mut Session,
        e: &Error,
        ctx: &mut RequestCtx,
    ) -> FailToProxy {
        FailToProxy {
            error_code: self.0.fail(session, e, ctx).await,
            can_reuse_downstream: false,
        }
    }

    async fn logging(&self, _session: &mut Session, _e: Option<&Error>, ctx: &mut RequestCtx) {
        self.0.log(ctx);
    }
}
