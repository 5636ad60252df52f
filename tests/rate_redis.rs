//! Rate-based counts shared through a real Redis: two `webacl serve` instances on loopback, one
//! `redis-server`, traffic split across them.
//!
//! Needs `redis-server` on PATH (`.ci/run` installs it). Without it the tests print why and pass,
//! except under CI (`CI` set), where its absence is a failure.

#[allow(dead_code)]
#[path = "integration/support.rs"]
mod support;
#[path = "common/sweep.rs"]
mod sweep;

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

const LIMIT: u64 = 20;
const FLUSH_MS: u64 = 100;

/// A `redis-server` child on a loopback port, without persistence; killed on drop.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    /// `None` (after saying why) when redis-server is not installed and this is not CI.
    fn start(port: u16) -> Option<Redis> {
        let spawned = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(c) => c,
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound && std::env::var_os("CI").is_none() =>
            {
                println!("skipped: redis-server is not installed (apt-get install redis-server); CI runs this test");
                return None;
            }
            Err(e) => panic!("cannot start redis-server: {e}"),
        };
        let r = Redis { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !r.ping() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer PING on port {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // A server already on the port (another test's, which took it between `free_port` and
        // this start) answers PING too, while ours fails to bind: the tests would then share
        // one Redis and see each other's counts.
        let pid = r.server_pid();
        assert_eq!(
            pid,
            Some(r.child.id()),
            "port {port} is served by another redis-server, not the one this test started"
        );
        Some(r)
    }

    /// [`Redis::start`] on a free port, trying another when a server started meanwhile by a
    /// concurrent test took the one chosen.
    fn start_on_free_port() -> Option<Redis> {
        for _ in 0..4 {
            let port = free_port();
            match std::panic::catch_unwind(|| Redis::start(port)) {
                Ok(r) => return r,
                Err(_) => println!("port {port} was taken by another server; trying another"),
            }
        }
        Redis::start(free_port())
    }

    /// The `process_id` the server on our port reports (`INFO server`).
    fn server_pid(&self) -> Option<u32> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
        s.write_all(b"INFO server\r\n").ok()?;
        let mut text = String::new();
        let mut buf = [0u8; 4096];
        // Read until the `process_id:` line has arrived whole.
        loop {
            if let Some((_, rest)) = text.split_once("process_id:") {
                if let Some((pid, _)) = rest.split_once("\r\n") {
                    return pid.trim().parse().ok();
                }
            }
            let n = s.read(&mut buf).ok().filter(|&n| n > 0)?;
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }

    fn ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
        let mut buf = [0u8; 7];
        s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Freezes (`true`) or resumes the server: a hung Redis, not a refused connection.
    fn freeze(&self, stop: bool) {
        let sig = if stop { "-STOP" } else { "-CONT" };
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill {sig} redis-server");
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A Web ACL with one rule: block a client address over `LIMIT` requests in 60 s.
fn acl_file(dir: &Path) -> String {
    let statement = json!({ "RateBasedStatement": { "Limit": LIMIT, "EvaluationWindowSec": 60, "AggregateKeyType": "IP" } });
    let acl = web_acl(
        "shared",
        vec![rule("PerIp", 0, statement, json!({ "Block": {} }))],
        json!({ "Allow": {} }),
        Value::Null,
    );
    let path = dir.join("acl.json");
    write_json(&path, &acl);
    path.display().to_string()
}

/// One instance sharing counts through `redis`. The client address is taken from
/// X-Forwarded-For, so each phase of a test can pose as a fresh client.
fn instance(name: &str, acl: &str, redis: &str) -> Proxy {
    let flush = FLUSH_MS.to_string();
    Proxy::start(
        name,
        &[
            "--web-acl",
            acl,
            "--rate-store",
            redis,
            "--rate-flush-ms",
            &flush,
            "--client-ip-header",
            "x-forwarded-for",
        ],
    )
}

/// The value of an unlabelled metric in a /metrics text.
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

fn wait_for_metric(p: &Proxy, name: &str, ok: impl Fn(f64) -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = p.metrics();
        if metric(&text, name).is_some_and(&ok) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: {name} never did; /metrics:\n{text}\nstderr:\n{}",
            p.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends one request as `client`; returns the status and how long the answer took.
fn send(c: &reqwest::blocking::Client, p: &Proxy, client: &str) -> (u16, Duration) {
    let t = Instant::now();
    let r = c
        .get(p.url("/"))
        .header("x-forwarded-for", client)
        .send()
        .expect("every request is answered");
    (r.status().as_u16(), t.elapsed())
}

/// Eight requests as `client`: one, then (once `p` has had time to read the key's shared count,
/// which a key new to an instance needs) seven more.
fn first_then_rest(c: &reqwest::blocking::Client, p: &Proxy, client: &str) -> Vec<u16> {
    let mut statuses = vec![send(c, p, client).0];
    std::thread::sleep(Duration::from_millis(4 * FLUSH_MS));
    statuses.extend((0..7).map(|_| send(c, p, client).0));
    statuses
}

/// Two instances, one Redis, one client whose requests alternate between them at a steady
/// pace: together they let through the limit and at most the documented tolerance (the other
/// instance's traffic during about two flush intervals), never the twice-the-limit that
/// unshared counters would allow, and both end up blocking.
#[test]
fn two_instances_share_one_limit() {
    let Some(redis) = Redis::start_on_free_port() else {
        return;
    };
    let dir = temp_dir("rate-shared");
    let acl = acl_file(&dir);
    let a = instance("rate-a", &acl, &redis.url());
    let b = instance("rate-b", &acl, &redis.url());
    for p in [&a, &b] {
        wait_for_metric(p, "webacl_rate_store_up", |v| v == 1.0, "connect to Redis");
    }
    let c = client();
    let spacing = Duration::from_millis(20);
    let total = 4 * LIMIT as usize;
    let mut statuses = Vec::new();
    for i in 0..total {
        let p = if i % 2 == 0 { &a } else { &b };
        statuses.push(send(&c, p, "203.0.113.7").0);
        std::thread::sleep(spacing);
    }
    let allowed = statuses.iter().filter(|&&s| s == 200).count() as u64;
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 403),
        "{statuses:?}"
    );
    // The README's bound: an instance sees the other's requests at most two flush intervals
    // (plus round trips) late, so together they may pass the other's traffic during 2 × 100 ms
    // beyond the limit: at one request per 40 ms per instance, 5. The assertion doubles it for
    // scheduling noise on a busy CI machine; unshared counters would allow 2 × LIMIT = 40.
    let per_instance_gap_ms = 2 * spacing.as_millis() as u64;
    let documented = (2 * FLUSH_MS).div_ceil(per_instance_gap_ms);
    let tolerance = 2 * documented;
    println!("two instances, limit {LIMIT}: {allowed} of {total} allowed (documented bound +{documented}, asserted +{tolerance}); statuses {statuses:?}");
    assert!(
        allowed >= LIMIT,
        "an instance blocked below the limit: {statuses:?}"
    );
    assert!(
        allowed <= LIMIT + tolerance,
        "{allowed} allowed is past limit {LIMIT} + tolerance {tolerance}: {statuses:?}"
    );
    let tail = &statuses[total - 10..];
    assert!(
        tail.iter().all(|&s| s == 403),
        "both instances end up blocking: {statuses:?}"
    );

    // Paced slower than an exchange, the shared count is exact: a fresh client gets exactly the
    // limit, wherever its requests land.
    let mut allowed = 0;
    for i in 0..(LIMIT + 4) {
        let p = if i % 2 == 0 { &a } else { &b };
        allowed += u64::from(send(&c, p, "203.0.113.8").0 == 200);
        std::thread::sleep(Duration::from_millis(4 * FLUSH_MS));
    }
    println!("paced at 4 flush intervals: {allowed} allowed, limit {LIMIT}");
    assert!(
        (LIMIT..=LIMIT + 1).contains(&allowed),
        "paced requests: {allowed} allowed, limit {LIMIT}"
    );

    // Per-rule series are labelled by MetricName, never by a client address.
    let text = a.metrics();
    let tracked = text
        .lines()
        .find(|l| l.starts_with("webacl_rate_tracked_keys{") && l.contains("rule=\"PerIp\""))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(tracked.ends_with(" 2"), "two clients tracked: {tracked}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("webacl_rate_evictions_total{")
                && l.contains("rule=\"PerIp\"")
                && l.ends_with(" 0")),
        "{text}"
    );
    assert!(!text.contains("203.0.113"), "{text}");
}

/// Redis hangs, then dies mid-run: every request is still answered promptly, each instance limits on its
/// own counts, the outage is reported once in the log and in the metrics, and when Redis comes
/// back (empty) the instances send their counts again and share from then on.
#[test]
fn redis_down_falls_back_to_local_counts_and_recovers() {
    let Some(mut redis) = Redis::start_on_free_port() else {
        return;
    };
    let port = redis.port;
    let dir = temp_dir("rate-down");
    let acl = acl_file(&dir);
    let a = instance("rate-down-a", &acl, &redis.url());
    let b = instance("rate-down-b", &acl, &redis.url());
    for p in [&a, &b] {
        wait_for_metric(p, "webacl_rate_store_up", |v| v == 1.0, "connect to Redis");
    }
    let c = client();
    // Counted and flushed before the outage: Redis loses these when it dies.
    for _ in 0..(LIMIT - 5) {
        assert_eq!(send(&c, &a, "198.51.100.3").0, 200);
    }
    std::thread::sleep(Duration::from_millis(4 * FLUSH_MS));

    // A hung Redis (accepts, never answers): exchanges time out after 2 s; requests never wait.
    let mut slowest = Duration::ZERO;
    redis.freeze(true);
    let mut allowed = 0;
    for _ in 0..(LIMIT + 5) {
        let (status, took) = send(&c, &a, "198.51.100.4");
        slowest = slowest.max(took);
        allowed += u64::from(status == 200);
        std::thread::sleep(Duration::from_millis(100));
    }
    wait_for_metric(
        &a,
        "webacl_rate_store_up",
        |v| v == 0.0,
        "notice Redis hangs",
    );
    println!(
        "Redis hung: A allowed {allowed} of {}; slowest answer {slowest:?}",
        LIMIT + 5
    );
    assert_eq!(allowed, LIMIT, "local limiting while Redis hangs");
    assert!(
        slowest < Duration::from_secs(1),
        "a request waited {slowest:?} for a hung Redis"
    );
    redis.freeze(false);
    for p in [&a, &b] {
        wait_for_metric(
            p,
            "webacl_rate_store_up",
            |v| v == 1.0,
            "reconnect after the hang",
        );
    }

    redis.kill();
    let mut statuses = Vec::new();
    let started = Instant::now();
    // While the instances notice, and after: every request answered, none waiting on Redis.
    for _ in 0..(LIMIT + 10) {
        let (status, took) = send(&c, &a, "198.51.100.1");
        slowest = slowest.max(took);
        statuses.push(status);
        std::thread::sleep(Duration::from_millis(20));
    }
    for p in [&a, &b] {
        wait_for_metric(
            p,
            "webacl_rate_store_up",
            |v| v == 0.0,
            "notice Redis is down",
        );
        wait_for_metric(
            p,
            "webacl_rate_store_flush_failures_total",
            |v| v >= 1.0,
            "count failed flushes",
        );
    }
    // The other instance never saw this client: with no shared store it counts from zero.
    let mut b_allowed = 0;
    for _ in 0..(LIMIT + 5) {
        let (status, took) = send(&c, &b, "198.51.100.1");
        slowest = slowest.max(took);
        b_allowed += u64::from(status == 200);
    }
    let allowed = statuses.iter().filter(|&&s| s == 200).count() as u64;
    println!("Redis down: instance A allowed {allowed} of {}, instance B {b_allowed} of {}; slowest answer {slowest:?} over {:?}", statuses.len(), LIMIT + 5, started.elapsed());
    assert_eq!(
        allowed, LIMIT,
        "local limiting goes on exactly: {statuses:?}"
    );
    assert_eq!(b_allowed, LIMIT, "instance B limits on its own count");
    assert!(
        slowest < Duration::from_secs(1),
        "a request waited {slowest:?}"
    );
    for p in [&a, &b] {
        let log = p.stderr();
        assert_eq!(
            log.matches("rate store unreachable").count(),
            2,
            "each outage (hang, kill) is reported once:\n{log}"
        );
    }

    // Redis returns, empty: both instances reconnect and send their counts again.
    let _redis = Redis::start(port).expect("redis-server restarts");
    for p in [&a, &b] {
        wait_for_metric(
            p,
            "webacl_rate_store_up",
            |v| v == 1.0,
            "reconnect to Redis",
        );
        assert!(p.stderr().contains("reachable again"), "{}", p.stderr());
    }
    // A fresh client: LIMIT - 5 requests on A, then B lets through only the 5 left.
    for _ in 0..(LIMIT - 5) {
        assert_eq!(send(&c, &a, "198.51.100.2").0, 200);
    }
    std::thread::sleep(Duration::from_millis(4 * FLUSH_MS));
    let b_statuses = first_then_rest(&c, &b, "198.51.100.2");
    println!(
        "after Redis returned: B answered {b_statuses:?} for a client A had counted {} times",
        LIMIT - 5
    );
    assert_eq!(
        b_statuses,
        [200, 200, 200, 200, 200, 403, 403, 403],
        "counts are shared again"
    );
    // What A counted before the outage was sent again to the new, empty Redis.
    let b_statuses = first_then_rest(&c, &b, "198.51.100.3");
    assert_eq!(
        b_statuses,
        [200, 200, 200, 200, 200, 403, 403, 403],
        "counts from before the outage are shared again"
    );
}
