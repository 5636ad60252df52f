//! The smallest pingora reverse proxy: every request goes to one upstream, every setting is
//! pingora's default except the worker thread count. `benches/load/run.sh` runs it beside
//! `webacl serve --web-acl empty.json` so the difference between the two is webacl's own cost.
//!
//!   cargo run --release --example pingora_minimal -- LISTEN UPSTREAM [THREADS]

use async_trait::async_trait;
use pingora::prelude::*;
use pingora::proxy::{ProxyHttp, Session};
use pingora::server::configuration::ServerConf;

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

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(upstream)) = (args.next(), args.next()) else {
        eprintln!("usage: pingora_minimal LISTEN UPSTREAM [THREADS]");
        std::process::exit(2);
    };
    let threads = args.next().and_then(|t| t.parse().ok()).unwrap_or(1);
    let conf = ServerConf {
        threads,
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(None, conf);
    let mut service =
        pingora::proxy::http_proxy_service(&server.configuration, Minimal { upstream });
    service.add_tcp(&listen);
    server.add_service(service);
    server.bootstrap();
    server.run_forever();
}
