//! The fast path: HTTP/1 requests without a body are served here, on pingora's server and HTTP/1
//! codec but without its proxy framework (pingora-proxy), which costs about as much again as the
//! codec below it (`benches/load/pingora_core_proxy.rs`, README "Load comparison"). Every other
//! request, and every HTTP/2 connection, goes to pingora's proxy with webacl's hooks, unchanged.
//!
//! Per connection: read a request head into a buffer, parse it (httparse, as pingora does), and
//! decide by its fields alone: a request qualifies when it has no body framing (no
//! `Content-Length`, no `Transfer-Encoding`), no `Expect`, no upgrade, no hop-by-hop field but a
//! plain `Connection: keep-alive` or `close`, exactly one `Host`, an origin-form target, and is not
//! `CONNECT`. The buffer is then handed to a pingora session as already-received bytes (its
//! pipelined prefix), so pingora parses and answers it with its own codec; a request that does
//! not qualify goes to pingora's proxy the same way, together with the rest of its connection.
//! A qualifying request is evaluated exactly as in the proxy's `request_filter` and answered or
//! forwarded by [`super::forward::exchange`]; the log record and the failure answers are the
//! ones the proxy hooks give.

use super::forward::{self, Body};
use super::{body, respond, Hooks, RequestCtx, WafProxy};
use async_trait::async_trait;
use bytes::BytesMut;
use pingora::apps::{HttpServerApp, ServerApp};
use pingora::protocols::http::ServerSession;
use pingora::protocols::{Stream, ALPN};
use pingora::proxy::{HttpProxy, Session};
use pingora::server::ShutdownWatch;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// How long a client connection may sit between requests, or send a head, before it is closed
/// (pingora's own keep-alive setting for HTTP/1).
const KEEPALIVE_SECS: u64 = 60;
/// First allocation for a request head (pingora's own initial header buffer).
const HEAD_BUF: usize = 4096;
/// Heads longer than this go to pingora, which reads on and applies its own limit.
const MAX_FAST_HEAD: usize = 32 * 1024;
/// Header fields a fast-path head may have; more go to pingora (which allows 256).
const MAX_FAST_FIELDS: usize = 64;

/// The listening service's application: the fast path, with pingora's proxy behind it.
pub struct App {
    waf: Arc<WafProxy>,
    pingora: Arc<HttpProxy<Hooks>>,
    /// `--fast-path`: off sends every connection to pingora's proxy.
    enabled: bool,
}

impl App {
    pub fn new(waf: Arc<WafProxy>, pingora: HttpProxy<Hooks>, enabled: bool) -> App {
        App {
            waf,
            pingora: Arc::new(pingora),
            enabled,
        }
    }
}

/// What the next request on a connection is.
#[derive(Debug, PartialEq)]
enum Head {
    /// A complete head that qualifies for the fast path.
    Fast,
    /// Anything else pingora has to see: a head that does not qualify, a malformed or very long
    /// one (pingora answers 400), or one not yet complete past [`MAX_FAST_HEAD`].
    Pingora,
    /// The client closed, went idle too long, or the server is shutting down.
    Close,
}

#[async_trait]
impl ServerApp for App {
    async fn process_new(
        self: &Arc<Self>,
        mut stream: Stream,
        shutdown: &ShutdownWatch,
    ) -> Option<Stream> {
        if !self.enabled || matches!(stream.selected_alpn_proto(), Some(ALPN::H2)) {
            return self.pingora.process_new(stream, shutdown).await;
        }
        let mut buf = BytesMut::with_capacity(HEAD_BUF);
        // This connection's own handle on the shutdown signal, to wait on between requests.
        let mut stop = shutdown.clone();
        loop {
            match read_head(&mut stream, &mut buf, &mut stop).await {
                Head::Close => return None,
                Head::Pingora => return self.hand_over(stream, buf, shutdown).await,
                Head::Fast => {
                    let (next, rest) = self.serve(stream, buf, shutdown).await?;
                    stream = next;
                    buf = rest.unwrap_or_else(|| BytesMut::with_capacity(HEAD_BUF));
                }
            }
        }
    }

    async fn cleanup(&self) {
        self.pingora.http_cleanup().await;
    }
}

impl App {
    /// The rest of the connection goes to pingora's proxy, starting with the bytes already read.
    async fn hand_over(
        self: &Arc<Self>,
        stream: Stream,
        received: BytesMut,
        shutdown: &ShutdownWatch,
    ) -> Option<Stream> {
        let mut session = ServerSession::new_http1(stream);
        prepare(&mut session, received, shutdown);
        loop {
            let reused = self.pingora.process_new_http(session, shutdown).await?;
            let (stream, settings) = reused.consume();
            session = ServerSession::new_http1(stream);
            if let Some(settings) = settings {
                settings.apply_to_session(&mut session);
            }
        }
    }

    /// One fast-path request. Returns the connection (and bytes already read of the next
    /// request) when it can carry another.
    async fn serve(
        &self,
        stream: Stream,
        received: BytesMut,
        shutdown: &ShutdownWatch,
    ) -> Option<(Stream, Option<BytesMut>)> {
        let mut session = Session::new_h1(stream);
        prepare(session.as_downstream_mut(), received, shutdown);
        match session.as_downstream_mut().read_request().await {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                // As pingora's proxy does: 400 for a head it cannot parse, nothing on a broken
                // connection.
                if e.etype() == &pingora::ErrorType::InvalidHTTPHeader {
                    let _ = session.as_downstream_mut().respond_error(400).await;
                }
                return None;
            }
        }
        let waf = &self.waf;
        let mut ctx = RequestCtx::default();
        let snap = waf.snapshots.load_full();
        let outcome = match waf.decide(&session, &snap, &body::Window::empty(), &mut ctx) {
            Some(reply) => respond::send(&mut session, &reply).await,
            None => forward::exchange(
                &waf.pool,
                &waf.peer,
                &mut session,
                Body::None,
                &ctx.inserted,
                false,
            )
            .await
            .map(|_| ()),
        };
        if let Err(e) = outcome {
            waf.fail(&mut session, &e, &mut ctx).await;
            waf.log(&mut ctx);
            return None;
        }
        waf.log(&mut ctx);
        let reusable = session.downstream_session.finish().await.ok()??;
        Some(reusable.into_parts())
    }
}

/// Sets up a new pingora HTTP/1 session as pingora's own accept loop does, and has it parse
/// `received` before reading more.
fn prepare(session: &mut ServerSession, received: BytesMut, shutdown: &ShutdownWatch) {
    session.set_keepalive((!*shutdown.borrow()).then_some(KEEPALIVE_SECS));
    if !received.is_empty() {
        session.set_pipelined_prefix(received);
    }
}

/// Reads until `buf` holds a complete request head (or more), and says where it goes.
///
/// The buffer is parsed only when a read brings the blank line that ends a head, so a client
/// that trickles its head in small pieces costs one parse, not one per piece.
async fn read_head(stream: &mut Stream, buf: &mut BytesMut, stop: &mut ShutdownWatch) -> Head {
    let mut complete = !buf.is_empty();
    loop {
        if complete {
            if let Some(head) = classify(buf) {
                return head;
            }
        }
        if buf.len() >= MAX_FAST_HEAD {
            return Head::Pingora;
        }
        if buf.capacity() == buf.len() {
            buf.reserve(HEAD_BUF);
        }
        let before = buf.len();
        let read = tokio::time::timeout(Duration::from_secs(KEEPALIVE_SECS), stream.read_buf(buf));
        tokio::select! {
            biased;
            r = read => match r {
                Ok(Ok(n)) if n > 0 => {}
                // Closed, failed or idle too long: pingora closes such a connection silently.
                _ => return Head::Close,
            },
            _ = stop.changed() => return Head::Close,
        }
        complete = complete || ends_a_head(buf, before);
    }
}

/// Whether the bytes from `from` on (with the two before, where a line end may have started)
/// hold an empty line: `\n\n` or `\n\r\n`, the only ways a head can end (httparse accepts bare
/// `\n` line ends, as pingora does).
fn ends_a_head(buf: &[u8], from: usize) -> bool {
    let window = &buf[from.saturating_sub(2)..];
    memchr::memmem::find(window, b"\n\n").is_some()
        || memchr::memmem::find(window, b"\n\r\n").is_some()
}

/// `Some` once `buf` starts with a complete head (or a malformed one); `None` while partial.
fn classify(buf: &[u8]) -> Option<Head> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_FAST_FIELDS];
    let mut req = httparse::Request::new(&mut fields);
    match req.parse(buf) {
        Ok(httparse::Status::Complete(_)) => Some(if qualifies(&req) {
            Head::Fast
        } else {
            Head::Pingora
        }),
        Ok(httparse::Status::Partial) => None,
        Err(_) => Some(Head::Pingora),
    }
}

/// Whether a parsed head may take the fast path (see the module documentation).
fn qualifies(req: &httparse::Request) -> bool {
    if req.method == Some("CONNECT") || !req.path.is_some_and(|p| p.starts_with('/')) {
        return false;
    }
    let mut hosts = 0;
    for field in req.headers.iter() {
        let name = field.name.as_bytes();
        let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
        if is("host") {
            hosts += 1;
        } else if is("connection") {
            let v = field.value.trim_ascii();
            if !(v.eq_ignore_ascii_case(b"keep-alive") || v.eq_ignore_ascii_case(b"close")) {
                return false;
            }
        } else if is("content-length")
            || is("transfer-encoding")
            || is("expect")
            || is("upgrade")
            || is("keep-alive")
            || is("proxy-connection")
            || is("proxy-authenticate")
            || is("proxy-authorization")
            || is("te")
            || is("trailer")
            || is("http2-settings")
        {
            return false;
        }
    }
    hosts == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Option<Head> {
        classify(text.replace('\n', "\r\n").as_bytes())
    }

    #[test]
    fn plain_requests_without_a_body_qualify() {
        for h in [
            "GET /a?b=1 HTTP/1.1\nHost: x\nUser-Agent: t\n\n",
            "HEAD / HTTP/1.1\nhost: x\nConnection: keep-alive\n\n",
            "DELETE /r HTTP/1.1\nHost: x\nconnection:  Close \n\n",
            "GET / HTTP/1.0\nHost: x\n\n",
            // A pipelined second request does not change the first one's path.
            "GET / HTTP/1.1\nHost: x\n\nGET /next HTTP/1.1\n",
        ] {
            assert_eq!(head(h), Some(Head::Fast), "{h:?}");
        }
    }

    #[test]
    fn bodies_upgrades_hop_by_hop_and_odd_targets_go_to_pingora() {
        for h in [
            "POST / HTTP/1.1\nHost: x\nContent-Length: 0\n\n",
            "POST / HTTP/1.1\nHost: x\nContent-Length: 3\n\nabc",
            "POST / HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n",
            "PUT / HTTP/1.1\nHost: x\nExpect: 100-continue\n\n",
            "GET / HTTP/1.1\nHost: x\nUpgrade: websocket\nConnection: Upgrade\n\n",
            "GET / HTTP/1.1\nHost: x\nConnection: keep-alive, X-Secret\n\n",
            "GET / HTTP/1.1\nHost: x\nKeep-Alive: timeout=5\n\n",
            "GET / HTTP/1.1\nHost: x\nTE: trailers\n\n",
            "GET / HTTP/1.1\nHost: x\nProxy-Authorization: Basic eA==\n\n",
            "GET / HTTP/1.1\n\n",
            "GET / HTTP/1.1\nHost: x\nHost: y\n\n",
            "GET http://x/ HTTP/1.1\nHost: x\n\n",
            "OPTIONS * HTTP/1.1\nHost: x\n\n",
            "CONNECT x:443 HTTP/1.1\nHost: x:443\n\n",
            // Malformed: pingora answers 400.
            "GET / HTTP/1.1\nHo st: x\n\n",
            "PRI * HTTP/2.0\n\nSM\n\n",
        ] {
            assert_eq!(head(h), Some(Head::Pingora), "{h:?}");
        }
        let many: String = (0..MAX_FAST_FIELDS)
            .map(|i| format!("X-{i}: v\n"))
            .collect();
        assert_eq!(
            head(&format!("GET / HTTP/1.1\nHost: x\n{many}\n")),
            Some(Head::Pingora)
        );
    }

    #[test]
    fn a_head_ends_only_at_an_empty_line_even_across_reads() {
        let head = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        assert!(ends_a_head(head, 0));
        assert!(!ends_a_head(&head[..head.len() - 2], 0));
        // The blank line split between two reads: the window reaches back two bytes.
        for split in head.len() - 3..head.len() {
            assert!(ends_a_head(head, split), "split at {split}");
        }
        assert!(ends_a_head(b"GET / HTTP/1.1\nHost: x\n\n", 20));
        assert!(!ends_a_head(b"GET / HTTP/1.1\r\nHost: x\r\nAccept: */*", 5));
    }

    #[test]
    fn partial_heads_wait_for_more() {
        for h in [
            "G",
            "GET / HTTP/1.1\nHost: x\n",
            "GET / HTTP/1.1\nHost: x\n\r",
        ] {
            assert_eq!(classify(h.replace('\n', "\r\n").as_bytes()), None, "{h:?}");
        }
    }
}
