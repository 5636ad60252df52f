//! A reverse proxy on pingora's server and HTTP/1 codec (pingora-core) without pingora's proxy
//! framework (pingora-proxy): one `HttpServerApp` reads the request, writes it to a pooled
//! upstream connection, and copies the response back, in one task and one future per request.
//! It has none of the framework's features (no hop-by-hop header handling, no retries, no
//! idle-connection watch, no HTTP/2, no body filters); it exists to measure how much of a
//! pingora proxy's cost per request is the framework and how much the server and codec below it,
//! beside `pingora_minimal` and nginx in `benches/load/run.sh` and `instructions.sh`
//! (`SETUPS=core`).
//!
//!   cargo run --release --example pingora_core_proxy -- LISTEN UPSTREAM [THREADS]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use pingora::apps::{HttpPersistentSettings, HttpServerApp, ReusedHttpStream};
use pingora::protocols::http::v1::client::HttpSession as Upstream;
use pingora::protocols::http::ServerSession;
use pingora::protocols::l4::stream::Stream as L4Stream;
use pingora::server::ShutdownWatch;
use pingora::services::listening::Service;

/// Idle upstream connections kept, most recently used first out.
const POOL_SIZE: usize = 128;

struct CoreProxy {
    upstream: String,
    idle: Mutex<Vec<Upstream>>,
}

impl CoreProxy {
    /// An idle pooled connection (`fresh` false), or a new one.
    async fn upstream(&self) -> Option<(Upstream, bool)> {
        let pooled = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        if let Some(session) = pooled {
            return Some((session, false));
        }
        let tcp = tokio::net::TcpStream::connect(&self.upstream).await.ok()?;
        tcp.set_nodelay(true).ok()?;
        Some((Upstream::new(Box::new(L4Stream::from(tcp))), true))
    }

    fn release(&self, stream: pingora::protocols::Stream) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < POOL_SIZE {
                idle.push(Upstream::new(stream));
            }
        }
    }

    /// One request through one upstream connection; `None` when that connection failed before
    /// any of the response was written downstream (the caller retries a pooled one once).
    async fn forward(&self, session: &mut ServerSession, up: &mut Upstream) -> Option<()> {
        up.write_request_header(Box::new(session.req_header().clone()))
            .await
            .ok()?;
        while let Some(chunk) = session.read_request_body().await.ok()? {
            up.write_body(&chunk).await.ok()?;
        }
        up.finish_body().await.ok()?;
        up.read_response().await.ok()?;
        Some(())
    }
}

#[async_trait]
impl HttpServerApp for CoreProxy {
    async fn process_new_http(
        self: &Arc<Self>,
        mut session: ServerSession,
        _shutdown: &ShutdownWatch,
    ) -> Option<ReusedHttpStream> {
        if !session.read_request().await.ok()? {
            return None;
        }
        let settings = HttpPersistentSettings::for_session(&session);
        let (mut up, mut fresh) = self.upstream().await?;
        while self.forward(&mut session, &mut up).await.is_none() {
            if fresh {
                session.respond_error(502).await.ok()?;
                return None;
            }
            let tcp = tokio::net::TcpStream::connect(&self.upstream).await.ok()?;
            tcp.set_nodelay(true).ok()?;
            up = Upstream::new(Box::new(L4Stream::from(tcp)));
            fresh = true;
        }
        let head = Box::new(up.resp_header()?.clone());
        session.write_response_header(head).await.ok()?;
        while let Some(chunk) = up.read_body_bytes().await.ok()? {
            session.write_response_body(chunk, false).await.ok()?;
        }
        up.respect_keepalive();
        if let Some(stream) = up.reuse().await {
            self.release(stream);
        }
        let reusable = session.finish().await.ok()??;
        Some(ReusedHttpStream::from_reusable_stream(reusable, settings))
    }
}

#[path = "proxy_args.rs"]
mod proxy_args;

fn main() {
    let (listen, upstream, mut server) = proxy_args::listen_upstream_server("pingora_core_proxy");
    let app = CoreProxy {
        upstream,
        idle: Mutex::new(Vec::with_capacity(POOL_SIZE)),
    };
    let mut service = Service::new("core proxy".to_string(), app);
    service.add_tcp(&listen);
    server.add_service(service);
    server.bootstrap();
    server.run_forever();
}
