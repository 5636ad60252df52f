//! The smallest pingora reverse proxy: every request goes to one upstream, every setting is
//! pingora's default except the worker thread count. `benches/load/run.sh` runs it beside
//! `webacl serve --web-acl empty.json` so the difference between the two is webacl's own cost.
//!
//!   cargo run --release --example pingora_minimal -- LISTEN UPSTREAM [THREADS]

use async_trait::async_trait;
use pingora::prelude::*;
use pingora::proxy::{ProxyHttp, Session};

struct Minimal {
    upstream: String,
}

#[async_trait]
impl ProxyHttp for Minimal {
    type CTX = ();

    fn new_ctx(&self) {}

    async fn upstream_peer(&self, _session: &mut Session, _ctx: &mut ()) -> Result<Box<HttpPeer>> {
        Ok(Box::new(HttpPeer::new(
            self.upstream.as_str(),
            false,
            String::new(),
        )))
    }
}

#[path = "proxy_args.rs"]
mod proxy_args;

fn main() {
    let (listen, upstream, mut server) = proxy_args::listen_upstream_server("pingora_minimal");
    let mut service =
        pingora::proxy::http_proxy_service(&server.configuration, Minimal { upstream });
    service.add_tcp(&listen);
    server.add_service(service);
    server.bootstrap();
    server.run_forever();
}
