//! What the two bare proxies of the load scripts share (included with `#[path]`): their command
//! line, `NAME LISTEN UPSTREAM [THREADS]`, and a pingora server with default settings but the
//! worker thread count.

use pingora::server::configuration::ServerConf;
use pingora::server::Server;

/// The listen address, the upstream address, and a server to add the proxy's service to.
pub fn listen_upstream_server(name: &str) -> (String, String, Server) {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(upstream)) = (args.next(), args.next()) else {
        eprintln!("usage: {name} LISTEN UPSTREAM [THREADS]");
        std::process::exit(2);
    };
    let threads = args.next().and_then(|t| t.parse().ok()).unwrap_or(1);
    let conf = ServerConf {
        threads,
        ..ServerConf::default()
    };
    (listen, upstream, Server::new_with_opt_and_conf(None, conf))
}
