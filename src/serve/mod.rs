//! `webacl serve`: the inline reverse proxy. Wires the pieces together and runs them:
//!
//! ```text
//! settings (defaults ← TOML ← flags) ─▶ reload::Reloader (first build) ─▶ ArcSwap<Snapshot>
//!                                                   ▲                          │
//!                        SIGHUP, file change, POST /reload               proxy::WafProxy ─▶ upstream
//!                                                                              │
//!                                              log::sink (bounded queue) ◀─────┴────▶ metrics, samples
//! ```
//!
//! With no `--web-acl` the embedded starter ACL (`rulesets/starter-acl.json`) is used; with no
//! `--upstream` a built-in echo server answers, so `webacl serve` alone shows an allow and a block.

pub mod config;
pub mod echo;

pub use config::{ServeArgs, Settings};

use crate::admin::sampled::Sampler;
use crate::admin::AdminApp;
use crate::compile::BuildOptions;
use crate::log::config::LoggingConfig;
use crate::log::sink::LogSink;
use crate::metrics::Metrics;
use crate::proxy::{fast, Hooks, ProxySettings, Upstream, WafProxy};
use crate::reload::{AclSource, Reloader};
use crate::validate::Diagnostic;
use pingora::server::configuration::ServerConf;
use pingora::server::{RunArgs, Server};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The starter Web ACL, compiled into the binary.
pub const STARTER_ACL: &str = include_str!("../../rulesets/starter-acl.json");
const STARTER_LABEL: &str = "rulesets/starter-acl.json (embedded)";

/// Why `webacl serve` could not start.
#[derive(Debug)]
pub enum ServeError {
    /// Invalid flags or config file; every problem listed.
    Settings(Vec<String>),
    /// The Web ACL or its resources are invalid; every problem listed.
    Acl(Vec<Diagnostic>),
    /// Anything else (a log file that cannot be opened, TLS files, ...).
    Startup(String),
}

impl ServeError {
    /// 2 for a configuration the user must fix, 1 for the rest.
    pub fn exit_code(&self) -> u8 {
        match self {
            ServeError::Settings(_) | ServeError::Acl(_) => 2,
            ServeError::Startup(_) => 1,
        }
    }
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Settings(p) => {
                for line in p {
                    writeln!(f, "error: {line}")?;
                }
                write!(
                    f,
                    "{} problem(s) in the settings; webacl did not start.",
                    p.len()
                )
            }
            ServeError::Acl(d) => {
                for line in d {
                    writeln!(f, "error: {line}")?;
                }
                write!(
                    f,
                    "{} problem(s) found in the configuration files; webacl did not start.",
                    d.len()
                )
            }
            ServeError::Startup(m) => write!(f, "error: {m}"),
        }
    }
}

/// Runs the proxy until SIGTERM (graceful: stop accepting after the grace period, let in-flight
/// requests finish) or SIGINT (fast).
///
/// Errors: see [`ServeError`]; once the server runs, problems are logged, not returned.
pub fn run(args: ServeArgs) -> Result<(), ServeError> {
    let s = Settings::resolve(args).map_err(ServeError::Settings)?;
    let metrics = Arc::new(Metrics::new());
    let rate_store = Arc::new(crate::rate::RateStore::new(s.rate_max_keys));
    let source = match &s.web_acl {
        Some(p) => AclSource::File(p.clone()),
        None => AclSource::Embedded {
            label: STARTER_LABEL,
            text: STARTER_ACL,
        },
    };
    let opts = BuildOptions {
        source: s.source,
        search_string: s.search_string,
        allow_missing_managed: s.allow_missing_managed,
        // One store for the life of the server: reloads keep the counts of unchanged rate rules.
        rate_store: Some(rate_store.clone()),
    };
    // Samples are read through the admin listener; without one, none are taken.
    let sampler = Arc::new(if s.admin.is_some() {
        Sampler::new()
    } else {
        Sampler::off()
    });
    let reloader = Arc::new(
        Reloader::new(
            source,
            s.resources.clone(),
            opts,
            metrics.clone(),
            sampler.clone(),
        )
        .map_err(ServeError::Acl)?,
    );
    let shared = match &s.rate_store {
        Some(url) => Some(
            crate::rate::redis::start(
                rate_store.clone(),
                url,
                Duration::from_millis(s.rate_flush_ms),
            )
            .map_err(ServeError::Startup)?,
        ),
        None => None,
    };
    let current = reloader.current();
    metrics.watch_rate(
        Box::new(move || {
            let snap = current.load();
            (
                snap.metric_name.clone(),
                crate::metrics::rate_rules(&snap.acl),
            )
        }),
        shared,
    );
    let logging = match &s.logging_config {
        Some(path) => Some(LoggingConfig::load(path).map_err(ServeError::Acl)?),
        None => None,
    };
    let sink = Arc::new(
        LogSink::start_with(s.log.clone(), s.log_queue, logging)
            .map_err(|e| ServeError::Startup(format!("cannot open the log file: {e}")))?,
    );

    let conf = ServerConf {
        threads: s.threads,
        work_stealing: s.work_stealing,
        grace_period_seconds: Some(s.grace_period_secs),
        graceful_shutdown_timeout_seconds: Some(s.shutdown_timeout_secs),
        upstream_keepalive_pool_size: s.upstream_keepalive_pool,
        // Every timeout of 1 s or more (all of webacl's: connect, read, write, idle) on tokio's
        // timer wheel rather than pingora's fast timer: per request, pingora's registration cost
        // ≈ 1,200 instructions more than tokio's (callgrind, empty ACL: 99,400 -> 98,200).
        fast_timeout_to_tokio_threshold_seconds: Some(0),
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(None, conf);

    let (upstream, upstream_text) = match s.upstream.clone() {
        Some(u) => {
            let text = format!("{}://{}", if u.tls { "https" } else { "http" }, u.address);
            (u, text)
        }
        None => {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| {
                    ServeError::Startup(format!(
                        "cannot find a free loopback port for the echo upstream: {e}"
                    ))
                })?
                .port();
            let address = format!("127.0.0.1:{port}");
            let mut echo = pingora::services::listening::Service::new(
                "webacl echo upstream".into(),
                echo::Echo,
            );
            echo.add_tcp(&address);
            server.add_service(echo);
            let text = format!("built-in echo at http://{address}");
            (
                Upstream {
                    address,
                    tls: false,
                    sni: String::new(),
                },
                text,
            )
        }
    };

    let settings = ProxySettings {
        upstream,
        client_ip_header: s.client_ip_header.clone(),
        source_id: s.source_id.clone(),
        connect_timeout: Duration::from_millis(s.connect_timeout_ms),
        read_timeout: Duration::from_millis(s.read_timeout_ms),
        write_timeout: Duration::from_millis(s.write_timeout_ms),
        idle_timeout: Duration::from_millis(s.idle_timeout_ms),
        keepalive_pool: s.upstream_keepalive_pool,
        tls: s.tls.is_some(),
    };
    let waf = Arc::new(WafProxy::new(
        reloader.current(),
        settings,
        metrics.clone(),
        sink,
    ));
    let hooks = pingora::proxy::http_proxy(&server.configuration, Hooks(Arc::clone(&waf)));
    let mut service = pingora::services::listening::Service::new(
        "webacl proxy".into(),
        fast::App::new(waf, hooks, s.fast_path),
    );
    match &s.tls {
        Some((cert, key)) => {
            let mut tls = pingora::listeners::tls::TlsSettings::intermediate(
                &cert.display().to_string(),
                &key.display().to_string(),
            )
            .map_err(|e| ServeError::Startup(format!("TLS: {e}")))?;
            tls.enable_h2();
            service.add_tls_with_settings(&s.listen, None, tls);
        }
        None => service.add_tcp(&s.listen),
    }
    server.add_service(service);

    if let Some(admin) = &s.admin {
        let mut svc = pingora::services::listening::Service::new(
            "webacl admin".into(),
            AdminApp {
                metrics,
                reloader: reloader.clone(),
                sampler,
            },
        );
        svc.add_tcp(admin);
        server.add_service(svc);
    }
    crate::reload::watch::spawn(
        reloader.clone(),
        s.watch.then(|| Duration::from_millis(s.watch_interval_ms)),
    )
    .map_err(|e| ServeError::Startup(format!("cannot start the reload watcher: {e}")))?;

    eprint!("{}", banner(&s, &reloader, &upstream_text));
    server.bootstrap();
    server.run(RunArgs::default());
    Ok(())
}

/// What `webacl serve` prints on start-up: where it listens and two curl commands.
fn banner(s: &Settings, reloader: &Reloader, upstream: &str) -> String {
    let snap = reloader.current().load_full();
    let scheme = if s.tls.is_some() { "https" } else { "http" };
    let host = match s.listen.rsplit_once(':') {
        Some(("0.0.0.0" | "[::]" | "::", port)) => format!("127.0.0.1:{port}"),
        _ => s.listen.clone(),
    };
    let k = if s.tls.is_some() { "-k " } else { "" };
    let acl = match &s.web_acl {
        Some(p) => p.display().to_string(),
        None => "embedded starter ACL (rulesets/starter-acl.json)".into(),
    };
    let log = match &s.log {
        config::LogTarget::Stdout => "stdout".to_string(),
        config::LogTarget::File(p) => p.display().to_string(),
        config::LogTarget::Off => "off".to_string(),
    };
    let mut out = String::new();
    out.push_str(&format!(
        "webacl serve: {}\n",
        crate::check::summary(&snap.acl)
    ));
    out.push_str(&format!("  Web ACL:   {acl}\n  listening: {scheme}://{}\n  upstream:  {upstream}\n  WAF logs:  {log}\n", s.listen));
    if let Some(url) = &s.rate_store {
        out.push_str(&format!(
            "  rate store: {} (shared by every instance using it; exchanged every {} ms)\n",
            redact(url),
            s.rate_flush_ms
        ));
    }
    if let Some(a) = &s.admin {
        out.push_str(&format!("  admin:     http://{a}/metrics  /healthz  POST /reload  /sampled-requests?rule-metric-name=NAME\n"));
    }
    let blocked = if s.web_acl.is_none() {
        "# blocked (403) by the starter ACL's BlockPathTraversal rule"
    } else {
        "# a path traversal probe: blocked if your ACL has such a rule"
    };
    out.push_str(&format!("Try:\n  curl -i {k}{scheme}://{host}/hello                        # allowed: forwarded to the upstream\n"));
    out.push_str(&format!(
        "  curl -i {k}'{scheme}://{host}/?file=../../etc/passwd'   {blocked}\n"
    ));
    out
}

/// A Redis URL without its password, for display.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}
