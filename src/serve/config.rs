//! `webacl serve` settings: embedded defaults, overridden by a TOML file (`--config`), overridden
//! by flags. The TOML keys are the flag names without `--` (`web-acl = "acl.json"`).
//!
//! Every setting is an `Option` in both the flags and the file, so "not given" is distinguishable
//! from "given the default"; [`Settings::resolve`] fills in [`Defaults`] last.

use crate::compile::{SearchStringEncoding, Source};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The default values, stated once; `--help` repeats them in each flag's text.
pub mod defaults {
    pub const LISTEN: &str = "127.0.0.1:8080";
    pub const SOURCE: &str = "alb";
    pub const SOURCE_ID: &str = "webacl";
    pub const LOG_QUEUE: usize = 65_536;
    pub const CONNECT_TIMEOUT_MS: u64 = 2_000;
    pub const READ_TIMEOUT_MS: u64 = 60_000;
    pub const WRITE_TIMEOUT_MS: u64 = 60_000;
    pub const IDLE_TIMEOUT_MS: u64 = 60_000;
    pub const GRACE_PERIOD_SECS: u64 = 5;
    pub const SHUTDOWN_TIMEOUT_SECS: u64 = 10;
    pub const WATCH_INTERVAL_MS: u64 = 1_000;
    pub const WORK_STEALING: bool = false;
    pub const FAST_PATH: bool = true;
    pub const UPSTREAM_KEEPALIVE_POOL: usize = 128;
}

/// Flags of `webacl serve`; the same keys are accepted in the TOML file.
#[derive(clap::Args, Deserialize, Debug, Default, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServeArgs {
    /// TOML file holding any of these settings (keys are the flag names without "--"); flags
    /// given on the command line override it.
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,

    /// The Web ACL (output of `aws wafv2 get-web-acl`, or a bare WebACL object).
    /// [default: the embedded starter ACL, rulesets/starter-acl.json]
    #[arg(long, value_name = "FILE")]
    pub web_acl: Option<PathBuf>,

    /// Directory of `get-ip-set`, `get-regex-pattern-set` and `get-rule-group` outputs (*.json),
    /// resolved by ARN. [default: none]
    #[arg(long, value_name = "DIR")]
    pub resources: Option<PathBuf>,

    /// Where allowed requests go: http://HOST:PORT, https://HOST:PORT or HOST:PORT.
    /// [default: a built-in echo server on an ephemeral loopback port]
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,

    /// Address the proxy listens on. [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,

    /// Address of the admin listener (/metrics, /healthz, POST /reload, /sampled-requests).
    /// [default: none, no admin listener]
    #[arg(long, value_name = "ADDR")]
    pub admin: Option<String>,

    /// Append AWS WAF log records (one JSON object per line) to this file; "-" is stdout, "off"
    /// disables them. [default: stdout]
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<String>,

    /// The output of `aws wafv2 get-logging-configuration`: its LoggingFilter (keep or drop records
    /// by action or label) and RedactedFields (UriPath, QueryString, SingleHeader, Method written as
    /// REDACTED) apply to the records written. [default: none, every record written in full]
    #[arg(long, value_name = "FILE")]
    pub logging_config: Option<PathBuf>,

    /// Log records queued for the writer before new ones are dropped (and counted).
    /// [default: 65536]
    #[arg(long, value_name = "N")]
    pub log_queue: Option<usize>,

    /// The AWS resource type to behave as; fixes the body inspection limit (alb, appsync: 8 KB;
    /// cloudfront, api-gateway, cognito, app-runner, verified-access: 16 KB unless the ACL's
    /// AssociationConfig raises it). [default: alb]
    #[arg(long, value_name = "SOURCE")]
    pub source: Option<String>,

    /// `httpSourceId` written in log records. [default: webacl]
    #[arg(long, value_name = "ID")]
    pub source_id: Option<String>,

    /// How ByteMatchStatement.SearchString is encoded: base64 (as `get-web-acl` prints) or text.
    /// [default: base64]
    #[arg(long, value_name = "ENCODING")]
    pub search_string_encoding: Option<String>,

    /// Treat managed rule groups webacl does not ship as groups that never match, instead of
    /// rejecting the ACL. [default: false]
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub allow_missing_managed: Option<bool>,

    /// Take the client address from the first address in this header (e.g. X-Forwarded-For)
    /// when webacl sits behind another proxy. [default: none, the TCP peer address]
    #[arg(long, value_name = "HEADER")]
    pub client_ip_header: Option<String>,

    /// PEM certificate chain: terminate TLS (HTTP/2 and HTTP/1.1) on --listen. [default: none]
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for --tls-cert. [default: none]
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Worker threads of the proxy. [default: the number of CPUs]
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Let idle worker threads steal tasks from busy ones (pingora's work_stealing); off measured
    /// faster here. [default: false]
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub work_stealing: Option<bool>,

    /// Serve HTTP/1 requests without a body on webacl's own path over pingora's HTTP/1 codec
    /// (about a quarter less CPU per request); `false` sends every request through pingora's
    /// proxy framework. Both give the same answers, upstream requests and logs. [default: true]
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub fast_path: Option<bool>,

    /// Idle connections kept to the upstream. [default: 128]
    #[arg(long, value_name = "N")]
    pub upstream_keepalive_pool: Option<usize>,

    /// Upstream connect timeout in milliseconds. [default: 2000]
    #[arg(long, value_name = "MS")]
    pub connect_timeout_ms: Option<u64>,

    /// Upstream read timeout in milliseconds (per read). [default: 60000]
    #[arg(long, value_name = "MS")]
    pub read_timeout_ms: Option<u64>,

    /// Upstream write timeout in milliseconds (per write). [default: 60000]
    #[arg(long, value_name = "MS")]
    pub write_timeout_ms: Option<u64>,

    /// How long an idle upstream connection is kept, in milliseconds. [default: 60000]
    #[arg(long, value_name = "MS")]
    pub idle_timeout_ms: Option<u64>,

    /// On SIGTERM, seconds to keep accepting before draining. [default: 5]
    #[arg(long, value_name = "SECS")]
    pub grace_period_secs: Option<u64>,

    /// On SIGTERM, seconds in-flight requests get to finish after the grace period. [default: 10]
    #[arg(long, value_name = "SECS")]
    pub shutdown_timeout_secs: Option<u64>,

    /// Reload when the ACL or resource files change on disk. [default: true]
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub watch: Option<bool>,

    /// How often to check the files for changes, in milliseconds. [default: 1000]
    #[arg(long, value_name = "MS")]
    pub watch_interval_ms: Option<u64>,

    /// Where rate-based rules keep their counts: "memory" (this instance only) or
    /// redis://HOST:PORT[/DB], shared by every instance pointed at the same Redis. Requests never
    /// wait for Redis: counts are exchanged every --rate-flush-ms, and while Redis is unreachable
    /// each instance counts on its own. [default: memory]
    #[arg(long, value_name = "URL")]
    pub rate_store: Option<String>,

    /// Aggregation keys tracked per rate-based rule; past it the stalest keys are evicted (and
    /// counted in webacl_rate_evictions_total). [default: 100000]
    #[arg(long, value_name = "N")]
    pub rate_max_keys: Option<usize>,

    /// How often counts are exchanged with the Redis rate store, in milliseconds; two instances
    /// can together let through about this long of each other's traffic beyond a limit.
    /// [default: 200]
    #[arg(long, value_name = "MS")]
    pub rate_flush_ms: Option<u64>,
}

/// Fills each field of `self` that is unset from `other`.
macro_rules! fill {
    ($self:ident, $other:ident, $($f:ident),* $(,)?) => { $( if $self.$f.is_none() { $self.$f = $other.$f.take(); } )* };
}

impl ServeArgs {
    /// Flags first, then the file.
    fn or_file(mut self, mut file: ServeArgs) -> ServeArgs {
        fill!(
            self,
            file,
            web_acl,
            resources,
            upstream,
            listen,
            admin,
            log_file,
            logging_config,
            log_queue,
            source,
            source_id,
            search_string_encoding,
            allow_missing_managed,
            client_ip_header,
            tls_cert,
            tls_key,
            threads,
            work_stealing,
            fast_path,
            upstream_keepalive_pool,
            connect_timeout_ms,
            read_timeout_ms,
            write_timeout_ms,
            idle_timeout_ms,
            grace_period_secs,
            shutdown_timeout_secs,
            watch,
            watch_interval_ms,
            rate_store,
            rate_max_keys,
            rate_flush_ms,
        );
        self
    }
}

/// Where log records go.
pub use crate::log::sink::Target as LogTarget;

/// The resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub web_acl: Option<PathBuf>,
    pub resources: Option<PathBuf>,
    pub upstream: Option<crate::proxy::Upstream>,
    pub listen: String,
    pub admin: Option<String>,
    pub log: LogTarget,
    pub logging_config: Option<PathBuf>,
    pub log_queue: usize,
    pub source: Source,
    pub source_id: String,
    pub search_string: SearchStringEncoding,
    pub allow_missing_managed: bool,
    pub client_ip_header: Option<String>,
    pub tls: Option<(PathBuf, PathBuf)>,
    pub threads: usize,
    pub work_stealing: bool,
    pub fast_path: bool,
    pub upstream_keepalive_pool: usize,
    pub connect_timeout_ms: u64,
    pub read_timeout_ms: u64,
    pub write_timeout_ms: u64,
    pub idle_timeout_ms: u64,
    pub grace_period_secs: u64,
    pub shutdown_timeout_secs: u64,
    pub watch: bool,
    pub watch_interval_ms: u64,
    /// `None`: the in-process store; `Some(url)`: counts shared through that Redis.
    pub rate_store: Option<String>,
    pub rate_max_keys: usize,
    pub rate_flush_ms: u64,
}

impl Settings {
    /// Merges flags, the TOML file they name (if any) and the defaults. Relative paths in the
    /// file are taken relative to the file's directory.
    ///
    /// Errors: the file cannot be read or parsed, or a value is invalid; every problem is listed.
    pub fn resolve(args: ServeArgs) -> Result<Settings, Vec<String>> {
        let mut problems = Vec::new();
        let file = match &args.config {
            None => ServeArgs::default(),
            Some(path) => match read_file(path) {
                Ok(f) => f,
                Err(e) => return Err(vec![e]),
            },
        };
        let a = args.or_file(file);
        let source_text = a.source.clone().unwrap_or_else(|| defaults::SOURCE.into());
        let normalized = match source_text.to_ascii_lowercase().as_str() {
            "app-runner" | "app_runner" => "APPRUNNER".to_string(),
            other => other.replace('-', "_"),
        };
        let source = Source::parse(&normalized).unwrap_or_else(|| {
            problems.push(format!("source: unknown value \"{source_text}\"; expected one of alb, appsync, cloudfront, api-gateway, cognito, app-runner, verified-access"));
            Source::Alb
        });
        let search_string = match a.search_string_encoding.as_deref().unwrap_or("base64") {
            "base64" => SearchStringEncoding::Base64,
            "text" => SearchStringEncoding::Text,
            other => {
                problems.push(format!(
                    "search-string-encoding: unknown value \"{other}\"; expected base64 or text"
                ));
                SearchStringEncoding::Base64
            }
        };
        let upstream = match a.upstream.as_deref().map(parse_upstream) {
            None => None,
            Some(Ok(u)) => Some(u),
            Some(Err(e)) => {
                problems.push(e);
                None
            }
        };
        let log = match a.log_file.as_deref() {
            None | Some("-") => LogTarget::Stdout,
            Some("off") => LogTarget::Off,
            Some(p) => LogTarget::File(PathBuf::from(p)),
        };
        let tls = match (a.tls_cert, a.tls_key) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => {
                problems.push("tls-cert and tls-key go together".into());
                None
            }
        };
        let threads = a
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        if threads == 0 {
            problems.push("threads: must be at least 1".into());
        }
        let rate_store = match a.rate_store.as_deref() {
            None | Some("memory") => None,
            Some(url) => {
                if let Err(e) = crate::rate::redis::check_url(url) {
                    problems.push(format!("rate-store: {e}"));
                }
                Some(url.to_string())
            }
        };
        let rate_max_keys = a
            .rate_max_keys
            .unwrap_or(crate::rate::DEFAULT_MAX_KEYS_PER_RULE);
        if rate_max_keys == 0 {
            problems.push("rate-max-keys: must be at least 1".into());
        }
        let rate_flush_ms = a
            .rate_flush_ms
            .unwrap_or(crate::rate::redis::DEFAULT_FLUSH_MS);
        if !(10..=10_000).contains(&rate_flush_ms) {
            problems.push(format!(
                "rate-flush-ms: must be 10 to 10000, found {rate_flush_ms}"
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Settings {
            web_acl: a.web_acl,
            resources: a.resources,
            upstream,
            listen: a.listen.unwrap_or_else(|| defaults::LISTEN.into()),
            admin: a.admin,
            log,
            logging_config: a.logging_config,
            log_queue: a.log_queue.unwrap_or(defaults::LOG_QUEUE),
            source,
            source_id: a.source_id.unwrap_or_else(|| defaults::SOURCE_ID.into()),
            search_string,
            allow_missing_managed: a.allow_missing_managed.unwrap_or(false),
            client_ip_header: a.client_ip_header.map(|h| h.to_ascii_lowercase()),
            tls,
            threads,
            work_stealing: a.work_stealing.unwrap_or(defaults::WORK_STEALING),
            fast_path: a.fast_path.unwrap_or(defaults::FAST_PATH),
            upstream_keepalive_pool: a
                .upstream_keepalive_pool
                .unwrap_or(defaults::UPSTREAM_KEEPALIVE_POOL),
            connect_timeout_ms: a.connect_timeout_ms.unwrap_or(defaults::CONNECT_TIMEOUT_MS),
            read_timeout_ms: a.read_timeout_ms.unwrap_or(defaults::READ_TIMEOUT_MS),
            write_timeout_ms: a.write_timeout_ms.unwrap_or(defaults::WRITE_TIMEOUT_MS),
            idle_timeout_ms: a.idle_timeout_ms.unwrap_or(defaults::IDLE_TIMEOUT_MS),
            grace_period_secs: a.grace_period_secs.unwrap_or(defaults::GRACE_PERIOD_SECS),
            shutdown_timeout_secs: a
                .shutdown_timeout_secs
                .unwrap_or(defaults::SHUTDOWN_TIMEOUT_SECS),
            watch: a.watch.unwrap_or(true),
            watch_interval_ms: a
                .watch_interval_ms
                .unwrap_or(defaults::WATCH_INTERVAL_MS)
                .max(50),
            rate_store,
            rate_max_keys,
            rate_flush_ms,
        })
    }
}

fn read_file(path: &Path) -> Result<ServeArgs, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let mut f: ServeArgs = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let rel = |p: &mut Option<PathBuf>| {
        if let Some(x) = p.as_mut() {
            if x.is_relative() {
                *x = base.join(&*x);
            }
        }
    };
    rel(&mut f.web_acl);
    rel(&mut f.resources);
    rel(&mut f.tls_cert);
    rel(&mut f.tls_key);
    if let Some(l) = f.log_file.as_mut() {
        if l != "-" && l != "off" && Path::new(l.as_str()).is_relative() {
            *l = base.join(&*l).display().to_string();
        }
    }
    Ok(f)
}

/// `http://host:port`, `https://host:port` or `host:port` (http).
pub fn parse_upstream(s: &str) -> Result<crate::proxy::Upstream, String> {
    let (tls, rest) = if let Some(r) = s.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = s.strip_prefix("http://") {
        (false, r)
    } else {
        (false, s)
    };
    let hostport = rest.trim_end_matches('/');
    if hostport.contains('/') {
        return Err(format!(
            "upstream: \"{s}\" has a path; give only scheme://host:port"
        ));
    }
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => match p.parse::<u16>() {
            Ok(_) => (h, p.to_string()),
            Err(_) => return Err(format!("upstream: \"{s}\": bad port \"{p}\"")),
        },
        _ => (hostport, if tls { "443".into() } else { "80".into() }),
    };
    if host.is_empty() {
        return Err(format!("upstream: \"{s}\": no host"));
    }
    Ok(crate::proxy::Upstream {
        address: format!("{host}:{port}"),
        tls,
        sni: host.trim_matches(|c| c == '[' || c == ']').to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_and_defaults_fill_the_rest() {
        let file: ServeArgs =
            toml::from_str("listen = \"0.0.0.0:9000\"\nadmin = \"127.0.0.1:9090\"\nthreads = 3\n")
                .unwrap();
        let flags = ServeArgs {
            listen: Some("127.0.0.1:1".into()),
            ..Default::default()
        };
        let s = flags.or_file(file);
        assert_eq!(s.listen.as_deref(), Some("127.0.0.1:1"));
        assert_eq!(s.admin.as_deref(), Some("127.0.0.1:9090"));
        assert_eq!(s.threads, Some(3));
    }

    #[test]
    fn the_deploy_example_config_parses() {
        let f: ServeArgs = toml::from_str(include_str!("../../deploy/webacl.toml")).unwrap();
        assert_eq!(f.listen.as_deref(), Some("0.0.0.0:8080"));
        assert_eq!(f.work_stealing, Some(false));
    }

    #[test]
    fn rate_store_settings() {
        let s = Settings::resolve(ServeArgs::default()).unwrap();
        assert_eq!(
            (s.rate_store, s.rate_max_keys, s.rate_flush_ms),
            (None, crate::rate::DEFAULT_MAX_KEYS_PER_RULE, 200)
        );
        let file: ServeArgs = toml::from_str(
            "rate-store = \"redis://127.0.0.1:6379\"\nrate-max-keys = 500\nrate-flush-ms = 100\n",
        )
        .unwrap();
        let s = Settings::resolve(ServeArgs::default().or_file(file)).unwrap();
        assert_eq!(
            (s.rate_store.as_deref(), s.rate_max_keys, s.rate_flush_ms),
            (Some("redis://127.0.0.1:6379"), 500, 100)
        );
        let bad = ServeArgs {
            rate_store: Some("tcp://x".into()),
            rate_flush_ms: Some(0),
            rate_max_keys: Some(0),
            ..Default::default()
        };
        let problems = Settings::resolve(bad).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("rate-store:"), "{problems:?}");
    }

    #[test]
    fn unknown_toml_keys_are_rejected() {
        assert!(toml::from_str::<ServeArgs>("lisen = \"x\"").is_err());
    }

    #[test]
    fn upstream_forms() {
        let u = parse_upstream("http://127.0.0.1:3000").unwrap();
        assert_eq!((u.address.as_str(), u.tls), ("127.0.0.1:3000", false));
        let u = parse_upstream("https://example.com").unwrap();
        assert_eq!(
            (u.address.as_str(), u.tls, u.sni.as_str()),
            ("example.com:443", true, "example.com")
        );
        assert!(parse_upstream("http://x:notaport").is_err());
        assert!(parse_upstream("http://x:80/path").is_err());
    }
}
