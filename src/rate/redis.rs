//! Counts shared by every instance through Redis (`webacl serve --rate-store redis://host:port`).
//!
//! The request path never touches the network: each [`RuleCounter`] keeps counting locally, and
//! one background thread (its own single-threaded tokio runtime) exchanges with Redis every flush
//! interval, in pipelines:
//!
//! * **write**: for each (key, second) with requests Redis has not confirmed, `INCRBY` the
//!   second's bucket by that many and `EXPIRE` it after the window plus [`TTL_SLACK_SEC`];
//! * **read**: for each key counted here in the last [`ACTIVE_SEC`] seconds, `MGET` the buckets
//!   of the seconds that may still change (the whole window the first time, then the last few);
//!   what is above this instance's own confirmed part is what the other instances counted.
//!
//! A request is judged by its local count plus the other instances' counts as last read, so two
//! instances can together let through about one exchange (flush interval plus round trip) of
//! each other's traffic beyond the limit. Bucket keys are
//! `webacl:rate:v1:<rule>:<key>:<unix second>`, where `<rule>` hashes the rule's identity (Web
//! ACL, name, statement) and `<key>` is the aggregation key itself (`=` + bytes) or, past 64
//! bytes, `#` + 128 bits of its SHA-256.
//!
//! When Redis cannot be reached the counters simply go on counting locally: one `warn` line,
//! `webacl_rate_store_up` 0, one failed flush counted per interval, and a retry every interval.
//! Unsent requests are kept (within their window) and sent when Redis returns. A Redis that lost
//! its data (restarted, flushed) is noticed by its epoch key (`webacl:rate:v1:epoch`, set once
//! with `SET NX`, no TTL): each instance then sends its whole local window again.

use super::counter::Batch;
use super::{RateStore, RuleCounter};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How often counts are exchanged with Redis when `--rate-flush-ms` says nothing.
pub const DEFAULT_FLUSH_MS: u64 = 200;
/// Keys counted here within this many seconds have their buckets read at every exchange; idle
/// keys are read again (from where they stopped) once they are counted again.
pub const ACTIVE_SEC: u32 = 10;
/// Buckets live this long past their window, so late readers still find them.
pub const TTL_SLACK_SEC: u64 = 60;
/// Most Redis commands per exchange (a bucket written costs two, one read costs one). Keys past
/// it wait for the next exchange: a flood of new keys cannot make an exchange unbounded.
pub const MAX_COMMANDS_PER_EXCHANGE: usize = 50_000;
/// Most commands per pipeline (one round trip).
const COMMANDS_PER_PIPELINE: usize = 8_192;
/// Connecting and each round trip give up after this long (then: counted as a failed flush).
const TIMEOUT: Duration = Duration::from_secs(2);
/// Aggregation keys longer than this are stored by digest.
const MAX_RAW_KEY: usize = 64;
const PREFIX: &str = "webacl:rate:v1:";
const EPOCH_KEY: &str = "webacl:rate:v1:epoch";

/// What `/metrics` reports about the shared store.
#[derive(Debug, Default)]
pub struct SharedStatus {
    up: AtomicBool,
    flush_failures: AtomicU64,
}

impl SharedStatus {
    /// Whether the last exchange with Redis succeeded.
    pub fn up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// Exchanges that failed (Redis unreachable, timed out or answering errors).
    pub fn flush_failures(&self) -> u64 {
        self.flush_failures.load(Ordering::Relaxed)
    }
}

/// Checks a `redis://host:port[/db]` URL without connecting.
///
/// Errors: the URL is not one the client can use, with the reason.
pub fn check_url(url: &str) -> Result<(), String> {
    if !url.starts_with("redis://") {
        return Err(format!(
            "\"{url}\": expected redis://HOST:PORT (or \"memory\" for the in-process store)"
        ));
    }
    redis::Client::open(url)
        .map(|_| ())
        .map_err(|e| format!("\"{url}\": {e}"))
}

/// Starts sharing the counters of `store` through the Redis at `url`, exchanging every `flush`.
/// Returns at once: Redis need not be reachable yet.
///
/// Errors: a bad URL, or the thread cannot be started.
pub fn start(
    store: Arc<RateStore>,
    url: &str,
    flush: Duration,
) -> Result<Arc<SharedStatus>, String> {
    let client = redis::Client::open(url).map_err(|e| format!("rate store \"{url}\": {e}"))?;
    let status = Arc::new(SharedStatus::default());
    let flush = flush.max(Duration::from_millis(10));
    let mut share = Share {
        address: client.get_connection_info().addr().to_string(),
        client,
        conn: None,
        epoch: None,
        warned: false,
        status: status.clone(),
        store,
        batch: Batch::default(),
        settle: settle_sec(flush),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("rate store: cannot start its runtime: {e}"))?;
    std::thread::Builder::new()
        .name("webacl-rate-redis".into())
        .spawn(move || {
            runtime.block_on(async move {
                let mut tick = tokio::time::interval(flush);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    share.exchange().await;
                }
            })
        })
        .map_err(|e| format!("rate store: cannot start its thread: {e}"))?;
    Ok(status)
}

/// Seconds after which a bucket is taken as final: every instance has flushed it (one second
/// plus a flush interval) and this one has read it since (another interval), with a second of
/// margin for clock skew between instances.
fn settle_sec(flush: Duration) -> u32 {
    3 + (2 * flush.as_millis() / 1000) as u32
}

struct Share {
    client: redis::Client,
    /// host:port, for messages (the URL may hold a password).
    address: String,
    conn: Option<redis::aio::MultiplexedConnection>,
    /// The Redis data set's epoch as last seen; a different one means Redis lost the counts.
    epoch: Option<String>,
    /// The current outage has been reported.
    warned: bool,
    status: Arc<SharedStatus>,
    store: Arc<RateStore>,
    batch: Batch,
    settle: u32,
}

impl Share {
    async fn exchange(&mut self) {
        match self.try_exchange().await {
            Ok(()) => {
                if !self.status.up.swap(true, Ordering::Relaxed) && self.warned {
                    tracing::warn!(redis = %self.address, "rate store reachable again: rate-based counts are shared across instances");
                }
                self.warned = false;
            }
            Err(e) => {
                self.conn = None;
                self.status.up.store(false, Ordering::Relaxed);
                self.status.flush_failures.fetch_add(1, Ordering::Relaxed);
                if !self.warned {
                    tracing::warn!(redis = %self.address, error = %e, "rate store unreachable: rate-based rules count on this instance only until it returns (retrying every flush interval)");
                    self.warned = true;
                }
            }
        }
    }

    async fn try_exchange(&mut self) -> redis::RedisResult<()> {
        let conn = match &mut self.conn {
            Some(c) => c,
            None => {
                let config = redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(TIMEOUT))
                    .set_response_timeout(Some(TIMEOUT));
                let c = self
                    .client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await?;
                self.conn.insert(c)
            }
        };
        let counters = self.store.live();
        let (epoch,): (String,) = redis::pipe()
            .cmd("SET")
            .arg(EPOCH_KEY)
            .arg(new_epoch())
            .arg("NX")
            .ignore()
            .cmd("GET")
            .arg(EPOCH_KEY)
            .query_async(conn)
            .await?;
        if self.epoch.as_ref().is_some_and(|e| *e != epoch) {
            tracing::warn!(redis = %self.address, "rate store lost its counts (restarted or flushed): sending this instance's counts again");
            for c in &counters {
                c.resend_all();
            }
        }
        self.epoch = Some(epoch);

        let now = now_ms();
        let batch = &mut self.batch;
        batch.clear();
        let mut budget = MAX_COMMANDS_PER_EXCHANGE;
        for (i, c) in counters.iter().enumerate() {
            if c.shared_id().is_empty() {
                continue;
            }
            c.collect(i, now, ACTIVE_SEC, &mut budget, batch);
        }
        let mut start = 0;
        let mut name = Vec::new();
        while start < batch.items.len() {
            let mut pipe = redis::pipe();
            let mut commands = 0;
            let mut end = start;
            while end < batch.items.len() && (end == start || commands < COMMANDS_PER_PIPELINE) {
                let item = &batch.items[end];
                let c = &counters[item.counter];
                let ttl = c.window_sec() + TTL_SLACK_SEC;
                for &(second, n) in batch.sends(item) {
                    bucket(&mut name, c, batch.key(item), second);
                    pipe.cmd("INCRBY").arg(&name[..]).arg(n).ignore();
                    pipe.cmd("EXPIRE").arg(&name[..]).arg(ttl).ignore();
                    commands += 2;
                }
                let mut mget = redis::cmd("MGET");
                for second in item.from..=item.to {
                    bucket(&mut name, c, batch.key(item), second);
                    mget.arg(&name[..]);
                }
                pipe.add_command(mget);
                commands += (item.to - item.from) as usize + 1;
                end += 1;
            }
            let replies: Vec<Vec<Option<u64>>> = pipe.query_async(conn).await?;
            let mut values = Vec::new();
            for (item, reply) in batch.items[start..end].iter().zip(replies) {
                values.clear();
                values.extend(reply.into_iter().map(Option::unwrap_or_default));
                counters[item.counter].confirm(batch, item, &values, now, self.settle);
            }
            start = end;
        }
        Ok(())
    }
}

/// Writes the bucket name of (`counter`, `key`, `second`) into `out`.
fn bucket(out: &mut Vec<u8>, counter: &RuleCounter, key: &[u8], second: u32) {
    out.clear();
    out.extend_from_slice(PREFIX.as_bytes());
    out.extend_from_slice(counter.shared_id().as_bytes());
    out.push(b':');
    if key.len() <= MAX_RAW_KEY {
        out.push(b'=');
        out.extend_from_slice(key);
    } else {
        out.push(b'#');
        for b in &Sha256::digest(key)[..16] {
            out.extend_from_slice(format!("{b:02x}").as_bytes());
        }
    }
    out.push(b':');
    out.extend_from_slice(second.to_string().as_bytes());
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A value no other instance will pick: this process and this instant.
fn new_epoch() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_keep_short_keys_and_digest_long_ones() {
        let c = RuleCounter::named("acl/limit#1", 60, 10);
        let mut out = Vec::new();
        bucket(&mut out, &c, b"192.0.2.1", 1_700_000_000);
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.starts_with("webacl:rate:v1:"), "{text}");
        assert!(text.ends_with(":=192.0.2.1:1700000000"), "{text}");
        bucket(&mut out, &c, &[b'x'; 65], 1);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.split(':').nth(4).unwrap().len(), 33, "{text}");
    }

    #[test]
    fn urls_are_checked() {
        assert!(check_url("redis://127.0.0.1:6379").is_ok());
        assert!(check_url("http://127.0.0.1:6379").is_err());
    }

    #[test]
    fn settle_covers_two_intervals_and_a_second() {
        assert_eq!(settle_sec(Duration::from_millis(200)), 3);
        assert_eq!(settle_sec(Duration::from_millis(1000)), 5);
    }
}
