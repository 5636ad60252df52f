//! The fast path: HTTP/1 requests without a body are served here, on pingora's server (listening,
//! TLS, shutdown) but without its proxy framework (pingora-proxy) or its HTTP/1 codec: webacl's
//! own exchange ([`super::h1`]) relays the request and response heads from the bytes httparse
//! split, with no header maps (README "Load comparison"). Every other request, and every HTTP/2
//! connection, goes to pingora's proxy with webacl's hooks, unchanged.
//!
//! Per connection: read a request head into a buffer, parse it (httparse, as pingora does), and
//! decide by its fields alone: a request qualifies when it has no body framing (no
//! `Content-Length`, no `Transfer-Encoding`), no `Expect`, no upgrade, no hop-by-hop field but a
//! plain `Connection: keep-alive` or `close`, exactly one `Host`, an origin-form target, and is not
//! `CONNECT`. A qualifying request is evaluated from its parsed fields exactly as in the proxy's
//! `request_filter` (`WafProxy::judge`) and answered or forwarded; pipelined requests are served
//! in order. A request that does not qualify goes to pingora's proxy with the bytes already read
//! (its pipelined prefix); when pingora is done with it, the connection comes back here. The log
//! record and the failure answers are the ones the proxy hooks give.

use super::{failure_reply, h1, now_ms, view, Hooks, RequestCtx, WafProxy};
use crate::inspect::{Header, Request};
use async_trait::async_trait;
use bytes::Buf;
use bytes::BytesMut;
use pingora::apps::{HttpServerApp, ServerApp};
use pingora::protocols::http::ServerSession;
use pingora::protocols::{Stream, ALPN};
use pingora::proxy::HttpProxy;
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

/// What reading a request head came to.
#[derive(Debug, PartialEq)]
enum Read {
    /// The buffer holds a blank line: a complete head, or a malformed one ([`classify`] tells).
    Ready,
    /// No complete head within [`MAX_FAST_HEAD`]: pingora reads on (and applies its own limit).
    TooLong,
    /// The client closed, went idle too long, or the server is shutting down.
    Close,
}

/// Where a complete head goes.
#[derive(Debug, PartialEq)]
enum Route {
    /// The fast path; the head is this many bytes long.
    Fast(usize),
    /// pingora's proxy: a head that does not qualify, or a malformed one (pingora answers 400).
    Pingora,
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
        let mut bufs = h1::Buffers::default();
        // This connection's own handle on the shutdown signal, to wait on between requests.
        let mut stop = shutdown.clone();
        let mut partial = false;
        loop {
            let ready = match read_head(&mut stream, &mut buf, &mut stop, partial).await {
                Read::Close => return None,
                Read::Ready => true,
                Read::TooLong => false,
            };
            // The head is parsed once: to classify it, then as the request itself.
            let mut slots = [httparse::EMPTY_HEADER; MAX_FAST_FIELDS];
            let mut req = httparse::Request::new(&mut slots);
            let route = if ready {
                classify(&mut req, &buf)
            } else {
                Some(Route::Pingora)
            };
            partial = route.is_none();
            match route {
                None => {}
                Some(Route::Fast(len)) => {
                    stream = self.serve(stream, &req, &stop, &mut bufs).await?;
                    // What follows the head (pipelined requests) stays for the next round.
                    buf.advance(len);
                }
                Some(Route::Pingora) => {
                    stream = self.by_pingora(stream, buf, shutdown).await?;
                    buf = BytesMut::with_capacity(HEAD_BUF);
                }
            }
        }
    }

    async fn cleanup(&self) {
        self.pingora.http_cleanup().await;
    }
}

impl App {
    /// One request served by pingora's proxy, starting with the bytes already read. The
    /// connection comes back when it can carry another request, and its next request is read
    /// here again: webacl never enables pingora's HTTP/1 pipelining, and without it pingora keeps
    /// no bytes of a next request (it refuses reuse when a client sent more than one request).
    async fn by_pingora(
        &self,
        stream: Stream,
        received: BytesMut,
        shutdown: &ShutdownWatch,
    ) -> Option<Stream> {
        let mut session = ServerSession::new_http1(stream);
        prepare(&mut session, received, shutdown);
        let reused = self.pingora.process_new_http(session, shutdown).await?;
        Some(reused.consume().0)
    }

    /// One fast-path request, `parsed` (a complete head that qualifies). Returns the connection
    /// when it can carry another request.
    async fn serve(
        &self,
        mut stream: Stream,
        parsed: &httparse::Request<'_, '_>,
        stop: &ShutdownWatch,
        bufs: &mut h1::Buffers,
    ) -> Option<Stream> {
        let waf = &self.waf;
        // A complete head has all three (`classify` checked it).
        let (Some(method), Some(target), Some(version)) =
            (parsed.method, parsed.path, parsed.version)
        else {
            return None;
        };
        let head = h1::ClientHead {
            method,
            target,
            version,
            fields: parsed.headers,
        };
        let keepalive = head.keepalive() && !*stop.borrow();
        let mut pairs: [Header; MAX_FAST_FIELDS] = [(&[], &[]); MAX_FAST_FIELDS];
        for (pair, f) in pairs.iter_mut().zip(head.fields.iter()) {
            *pair = (f.name.as_bytes(), f.value);
        }
        let headers = &pairs[..head.fields.len()];
        let forwarded = waf.settings.client_ip_header.as_deref().and_then(|name| {
            let first = head
                .fields
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(name));
            first.map(|f| f.value)
        });
        let peer = stream
            .get_socket_digest()
            .and_then(|d| d.peer_addr().and_then(|a| a.as_inet()).map(|a| a.ip()));
        let (uri, query, fragment) = view::split_target(target.as_bytes());
        let req = Request {
            client_ip: view::client_ip_of(forwarded, peer),
            country: "-",
            method: method.as_bytes(),
            uri,
            query,
            fragment,
            http_version: if version == 0 { "HTTP/1.0" } else { "HTTP/1.1" },
            headers,
            body: &[],
            body_len: 0,
            ja3: None,
            ja4: None,
            timestamp_ms: now_ms(),
        };
        let mut ctx = RequestCtx::default();
        let snap = waf.snapshots.load_full();
        let mut written = false;
        let head_only = head.is_head();
        let outcome = match waf.judge(&snap, &req, &mut ctx) {
            Some(reply) => h1::send_reply(&mut stream, &reply, head_only, keepalive, bufs)
                .await
                .map(|()| keepalive),
            None => {
                let upstream = h1::Upstream {
                    pool: &waf.pool,
                    peer: &waf.peer,
                    timeouts: h1::Timeouts {
                        read: waf.peer.options.read_timeout,
                        write: waf.peer.options.write_timeout,
                    },
                };
                let (inserted, keep) = (&ctx.inserted, keepalive);
                h1::forward(
                    &upstream,
                    &mut stream,
                    &head,
                    inserted,
                    keep,
                    bufs,
                    &mut written,
                )
                .await
            }
        };
        match outcome {
            Ok(reusable) => {
                waf.log(&mut ctx);
                reusable.then_some(stream)
            }
            Err(e) => {
                let code = waf.failure(&e, &mut ctx);
                if let (Some(reply), false) = (failure_reply(code), written) {
                    let _ = h1::send_reply(&mut stream, &reply, head_only, false, bufs).await;
                }
                waf.log(&mut ctx);
                None
            }
        }
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

/// Reads until `buf` holds a blank line, the end of a head ([`Read::Ready`]), unless the client
/// closes, the connection idles out, the server shuts down, or the head grows past
/// [`MAX_FAST_HEAD`]. With `partial`, what `buf` holds was parsed and found incomplete (a blank
/// line before the request line), so it reads before looking again.
///
/// The buffer is looked at only when a read brings a blank line, so a client that trickles its
/// head in small pieces costs one parse, not one per piece.
async fn read_head(
    stream: &mut Stream,
    buf: &mut BytesMut,
    stop: &mut ShutdownWatch,
    partial: bool,
) -> Read {
    let mut complete = !partial && !buf.is_empty();
    loop {
        if complete {
            return Read::Ready;
        }
        if buf.len() >= MAX_FAST_HEAD {
            return Read::TooLong;
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
                _ => return Read::Close,
            },
            _ = stop.changed() => return Read::Close,
        }
        complete = ends_a_head(buf, before);
    }
}

/// Whether the bytes from `from` on (with the two before, where a line end may have started)
/// hold an empty line: `\n\n` or `\n\r\n`, the only ways a head can end (httparse accepts bare
/// `\n` line ends, as pingora does).
fn ends_a_head(buf: &[u8], from: usize) -> bool {
    let mut at = from.saturating_sub(2);
    while let Some(i) = memchr::memchr(b'\n', &buf[at..]) {
        let next = at + i + 1;
        match buf.get(next) {
            Some(b'\n') => return true,
            Some(b'\r') if buf.get(next + 1) == Some(&b'\n') => return true,
            _ => at = next,
        }
    }
    false
}

/// Parses `buf` into `req` and says where the request goes; `None` while the head is partial.
fn classify<'b>(req: &mut httparse::Request<'_, 'b>, buf: &'b [u8]) -> Option<Route> {
    match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => Some(if qualifies(req) {
            Route::Fast(len)
        } else {
            Route::Pingora
        }),
        Ok(httparse::Status::Partial) => None,
        Err(_) => Some(Route::Pingora),
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

    fn parse(bytes: &[u8]) -> Option<Route> {
        let mut slots = [httparse::EMPTY_HEADER; MAX_FAST_FIELDS];
        classify(&mut httparse::Request::new(&mut slots), bytes)
    }

    fn head(text: &str) -> Option<Route> {
        parse(text.replace('\n', "\r\n").as_bytes())
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
            assert!(matches!(head(h), Some(Route::Fast(_))), "{h:?}");
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
            assert_eq!(head(h), Some(Route::Pingora), "{h:?}");
        }
        let many: String = (0..MAX_FAST_FIELDS)
            .map(|i| format!("X-{i}: v\n"))
            .collect();
        assert_eq!(
            head(&format!("GET / HTTP/1.1\nHost: x\n{many}\n")),
            Some(Route::Pingora)
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
            assert_eq!(parse(h.replace('\n', "\r\n").as_bytes()), None, "{h:?}");
        }
    }
}
