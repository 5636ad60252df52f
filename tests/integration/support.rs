//! Test support: a recording HTTP/1.1 upstream, the real `webacl serve` binary on loopback
//! ephemeral ports, ACL builders and small waiting helpers.

use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as the upstream received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub chunked: bool,
}

impl Seen {
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// A real HTTP/1.1 server on a loopback ephemeral port that records every request and answers
/// 200 with `{"len": N, "sha256": "..."}` of the body it received.
pub struct Upstream {
    pub addr: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Upstream {
    pub fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                std::thread::spawn(move || serve_conn(conn, s));
            }
        });
        Upstream { addr, seen }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The last request whose target starts with `prefix`.
    pub fn last(&self, prefix: &str) -> Option<Seen> {
        self.requests()
            .into_iter()
            .rev()
            .find(|r| r.target.starts_with(prefix))
    }
}

fn serve_conn(conn: TcpStream, seen: Arc<Mutex<Vec<Seen>>>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut out = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.trim_end().splitn(3, ' ');
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("").to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end_matches(['\r', '\n']);
            if h.is_empty() {
                break;
            }
            if let Some((n, v)) = h.split_once(':') {
                headers.push((n.to_string(), v.trim().to_string()));
            }
        }
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let chunked =
            get("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        let mut body = Vec::new();
        if chunked {
            loop {
                let mut size = String::new();
                if reader.read_line(&mut size).unwrap_or(0) == 0 {
                    return;
                }
                let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                    .unwrap_or(0);
                if n == 0 {
                    // trailers until the empty line
                    loop {
                        let mut t = String::new();
                        if reader.read_line(&mut t).unwrap_or(0) == 0 || t.trim().is_empty() {
                            break;
                        }
                    }
                    break;
                }
                let start = body.len();
                body.resize(start + n, 0);
                if reader.read_exact(&mut body[start..]).is_err() {
                    return;
                }
                let mut crlf = [0u8; 2];
                let _ = reader.read_exact(&mut crlf);
            }
        } else if let Some(len) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
            body.resize(len, 0);
            if reader.read_exact(&mut body).is_err() {
                return;
            }
        }
        let answer = json!({ "len": body.len(), "sha256": sha256(&body) }).to_string();
        seen.lock().unwrap().push(Seen {
            method,
            target,
            headers,
            body,
            chunked,
        });
        let resp = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
            answer.len(),
            answer
        );
        if out.write_all(resp.as_bytes()).is_err() {
            return;
        }
    }
}

pub fn sha256(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// A loopback port nobody listens on (bound then released), below the kernel's ephemeral range:
/// `webacl serve` without `--upstream` binds its echo upstream to an ephemeral port, and a port
/// handed out here and released could be handed to it again while another test's proxy is about
/// to listen on it.
pub fn free_port() -> u16 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    const FIRST: u64 = 20_000;
    const SPAN: u64 = 10_000;
    let base = u64::from(std::process::id()) * 97;
    loop {
        let port = FIRST + (base + NEXT.fetch_add(1, Ordering::Relaxed)) % SPAN;
        if TcpListener::bind(("127.0.0.1", port as u16)).is_ok() {
            return port as u16;
        }
    }
}

static DIRS: AtomicU64 = AtomicU64::new(0);

/// A fresh scratch directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    static SWEEP: std::sync::Once = std::sync::Once::new();
    SWEEP.call_once(|| crate::sweep::stale("webacl-it-"));
    let d = std::env::temp_dir().join(format!(
        "webacl-it-{}-{}-{}",
        std::process::id(),
        name,
        DIRS.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `webacl serve` running as a child process.
pub struct Proxy {
    child: Child,
    pub port: u16,
    pub admin_port: u16,
    pub log: PathBuf,
    pub dir: PathBuf,
}

impl Proxy {
    /// Starts `webacl serve` with `--listen`, `--admin`, `--log-file` chosen here plus `args`,
    /// and waits until both listeners accept connections.
    pub fn start(name: &str, args: &[&str]) -> Proxy {
        let dir = temp_dir(name);
        let port = free_port();
        let admin_port = free_port();
        let log = dir.join("waf.log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_webacl"));
        cmd.arg("serve")
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--admin",
                &format!("127.0.0.1:{admin_port}"),
                "--log-file",
                log.to_str().unwrap(),
                "--threads",
                "2",
            ])
            .args([
                "--grace-period-secs",
                "0",
                "--shutdown-timeout-secs",
                "1",
                "--watch-interval-ms",
                "200",
            ])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.join("stderr.txt")).unwrap(),
            ));
        let child = cmd.spawn().expect("webacl binary runs");
        let p = Proxy {
            child,
            port,
            admin_port,
            log,
            dir,
        };
        p.wait_ready();
        p
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        for port in [self.port, self.admin_port] {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "webacl did not start; stderr:\n{}",
                    self.stderr()
                );
                std::thread::sleep(Duration::from_millis(25));
            }
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr.txt")).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    pub fn admin(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.admin_port, path)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn metrics(&self) -> String {
        client()
            .get(self.admin("/metrics"))
            .send()
            .unwrap()
            .text()
            .unwrap()
    }

    /// Waits until the log holds at least `n` records, then returns them all.
    pub fn log_records(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            let recs: Vec<Value> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str(l).expect("each log line is JSON"))
                .collect();
            if recs.len() >= n || Instant::now() > deadline {
                assert!(
                    recs.len() >= n,
                    "expected {n} log records, found {}",
                    recs.len()
                );
                return recs;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking client that keeps connections alive.
pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A `ByteMatchStatement` (SearchString base64-encoded, as `get-web-acl` prints it).
pub fn byte_match(search: &str, field: Value, constraint: &str, transform: &str) -> Value {
    json!({ "ByteMatchStatement": {
        "SearchString": base64::engine::general_purpose::STANDARD.encode(search),
        "FieldToMatch": field,
        "TextTransformations": [{ "Priority": 0, "Type": transform }],
        "PositionalConstraint": constraint,
    }})
}

/// A rule with a statement and an action (`{"Block": {}}` ...), sampled and metered under its name.
pub fn rule(name: &str, priority: i64, statement: Value, action: Value) -> Value {
    json!({ "Name": name, "Priority": priority, "Statement": statement, "Action": action,
            "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": name } })
}

/// A Web ACL in `get-web-acl` shape.
pub fn web_acl(name: &str, rules: Vec<Value>, default_action: Value, bodies: Value) -> Value {
    let id = "a1b2c3d4-5678-90ab-cdef-000000000001";
    let mut acl = json!({ "WebACL": {
        "Name": name, "Id": id,
        "ARN": format!("arn:aws:wafv2:us-east-1:123456789012:regional/webacl/{name}/{id}"),
        "DefaultAction": default_action, "Description": "", "Rules": rules,
        "VisibilityConfig": { "SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": format!("{name}-metric") },
        "LabelNamespace": format!("awswaf:123456789012:webacl:{name}:"),
    }, "LockToken": "00000000-0000-0000-0000-000000000000" });
    if !bodies.is_null() {
        acl["WebACL"]["CustomResponseBodies"] = bodies;
    }
    acl
}

pub fn write_json(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}
