//! Where log records go: a bounded queue drained by one background writer thread.
//!
//! The request path only ever calls [`LogSink::submit_deferred`] (or [`LogSink::submit`]), which
//! never blocks: when the queue is full the record is dropped and the call says so, so the caller
//! can count it. What is queued is a [`Deferred`] record: the writer thread builds it (the proxy
//! queues a compact copy of the request, so the JSON tree is built and dropped off the request
//! path), applies the logging configuration, serializes it (one JSON object per line), writes in
//! batches and flushes after each batch. While records keep coming it waits [`BATCH_WAIT`]
//! between batches rather than blocking on the queue, so the request path never has to wake it
//! then: a record reaches the file at most one batch (≈ [`BATCH_WAIT`]) late. With no target ([`Target::Off`]) nothing is queued and [`LogSink::is_on`] is false,
//! so callers can skip preparing records at all.

use super::config::LoggingConfig;
use serde_json::Value;
use std::fs::OpenOptions;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError, TrySendError};
use std::time::Duration;

/// Most records written between two flushes.
pub const MAX_BATCH: usize = 256;
/// How long the writer waits after a batch before looking for the next one while records keep
/// coming; also how late, at most, a record reaches the file after the one before it.
pub const BATCH_WAIT: Duration = Duration::from_millis(2);

/// Where records are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Stdout,
    /// Appended to; created when missing.
    File(PathBuf),
    /// Records are discarded (benchmarks).
    Off,
}

/// A log record the writer thread builds when it gets to it.
pub trait Deferred: Send {
    /// The record as a JSON tree, for the logging configuration's filters and redaction.
    fn build(self: Box<Self>) -> Value;
    /// Appends the record's JSON text to `out` without building the tree (no configuration).
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), super::json::Error>;
}

impl Deferred for Value {
    fn build(self: Box<Self>) -> Value {
        *self
    }

    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), super::json::Error> {
        super::json::write(out, self)
    }
}

type Queued = Box<dyn Deferred>;

/// The sending side; cheap to share behind an `Arc`.
pub struct LogSink {
    tx: Option<SyncSender<Queued>>,
}

impl LogSink {
    /// Opens the target and starts the writer thread. `capacity` bounds the queued records.
    ///
    /// Errors: the log file cannot be opened for appending.
    pub fn start(target: Target, capacity: usize) -> io::Result<LogSink> {
        LogSink::start_with(target, capacity, None)
    }

    /// [`LogSink::start`] with a logging configuration (`LoggingFilter`, `RedactedFields`), applied
    /// by the writer thread so that filtering and redaction cost the request path nothing.
    pub fn start_with(
        target: Target,
        capacity: usize,
        config: Option<LoggingConfig>,
    ) -> io::Result<LogSink> {
        let out: Box<dyn Write + Send> = match &target {
            Target::Off => return Ok(LogSink { tx: None }),
            Target::Stdout => Box::new(io::stdout()),
            Target::File(path) => {
                Box::new(OpenOptions::new().create(true).append(true).open(path)?)
            }
        };
        let (tx, rx) = sync_channel(capacity.max(1));
        std::thread::Builder::new()
            .name("webacl-log-writer".into())
            .spawn(move || write_loop(rx, BufWriter::with_capacity(64 * 1024, out), config))?;
        Ok(LogSink { tx: Some(tx) })
    }

    /// Whether records go anywhere; when not, callers need not prepare them.
    pub fn is_on(&self) -> bool {
        self.tx.is_some()
    }

    /// Queues one record. Returns `false` when it was dropped because the queue is full (or the
    /// writer died); never blocks.
    pub fn submit(&self, record: Value) -> bool {
        if self.tx.is_none() {
            return true;
        }
        self.submit_deferred(Box::new(record))
    }

    /// Queues a record to be built by the writer thread; otherwise as [`LogSink::submit`].
    pub fn submit_deferred(&self, record: Box<dyn Deferred>) -> bool {
        match &self.tx {
            None => true,
            Some(tx) => match tx.try_send(record) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => false,
            },
        }
    }
}

fn write_loop(
    rx: Receiver<Queued>,
    mut out: BufWriter<Box<dyn Write + Send>>,
    config: Option<LoggingConfig>,
) {
    let config = config.filter(|c| !c.is_empty());
    let mut line = Vec::with_capacity(4096);
    // Quiet: block until a record comes (the one wake-up a burst costs the request path).
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        loop {
            let mut n = 0;
            while let Some(queued) = next.take() {
                write_record(queued, config.as_ref(), &mut line, &mut out);
                n += 1;
                if n % MAX_BATCH == 0 {
                    flush(&mut out);
                }
                next = rx.try_recv().ok();
            }
            flush(&mut out);
            // Records keep coming: let the next batch gather while the request path queues
            // without waking this thread (one write and flush per batch, not per record).
            std::thread::sleep(BATCH_WAIT);
            match rx.try_recv() {
                Ok(r) => next = Some(r),
                Err(TryRecvError::Empty) | Err(TryRecvError::Disconnected) => break,
            }
        }
    }
    flush(&mut out);
}

/// Serializes one record onto `out` as a line of JSON; with a logging configuration, builds its
/// tree first to filter and redact it.
fn write_record(
    queued: Queued,
    config: Option<&LoggingConfig>,
    line: &mut Vec<u8>,
    out: &mut impl Write,
) {
    line.clear();
    let serialized = match config {
        None => queued.write_json(line),
        Some(c) => {
            let mut rec = queued.build();
            if !c.keep(&rec) {
                return;
            }
            c.redact(&mut rec);
            super::json::write(line, &rec)
        }
    };
    if let Err(e) = serialized {
        tracing::error!("log sink: record not serialized: {e}");
        return;
    }
    line.push(b'\n');
    if let Err(e) = out.write_all(line) {
        tracing::error!("log sink: write failed: {e}");
    }
}

fn flush(out: &mut impl Write) {
    if let Err(e) = out.flush() {
        tracing::error!("log sink: flush failed: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_one_line_per_record() {
        let dir = std::env::temp_dir().join(format!("webacl-sink-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("a.log");
        let _ = std::fs::remove_file(&path);
        let sink = LogSink::start(Target::File(path.clone()), 16).unwrap();
        for i in 0..10 {
            assert!(sink.submit(json!({ "n": i })));
        }
        drop(sink);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if text.lines().count() == 10 || std::time::Instant::now() > deadline {
                let ns: Vec<i64> = text
                    .lines()
                    .map(|l| {
                        serde_json::from_str::<Value>(l).unwrap()["n"]
                            .as_i64()
                            .unwrap()
                    })
                    .collect();
                assert_eq!(ns, (0..10).collect::<Vec<_>>());
                let _ = std::fs::remove_dir_all(&dir);
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// A writer that counts its flushes.
    struct Flushes(std::sync::Arc<std::sync::atomic::AtomicUsize>);

    impl Write for Flushes {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        }
    }

    /// Records that trickle in one at a time are written in batches: every flush but the last is
    /// followed by a wait of BATCH_WAIT, so there are at most elapsed / BATCH_WAIT + 2 of them
    /// (writing each record as it came would flush once per record).
    #[test]
    fn trickling_records_are_flushed_in_batches() {
        let flushes = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let out: Box<dyn Write + Send> = Box::new(Flushes(flushes.clone()));
        let (tx, rx) = sync_channel::<Queued>(1024);
        let started = std::time::Instant::now();
        let writer = std::thread::spawn(move || write_loop(rx, BufWriter::new(out), None));
        let records = 400;
        for i in 0..records {
            tx.send(Box::new(json!({ "n": i }))).unwrap();
            std::thread::sleep(Duration::from_micros(100));
        }
        drop(tx);
        writer.join().unwrap();
        let elapsed = started.elapsed();
        let n = flushes.load(std::sync::atomic::Ordering::SeqCst);
        let bound = (elapsed.as_micros() / BATCH_WAIT.as_micros()) as usize + 2;
        assert!(
            n <= bound,
            "{n} flushes for {records} records in {elapsed:?}"
        );
        assert!(n < records / 4, "{n} flushes for {records} records");
    }

    #[test]
    fn full_queue_drops_instead_of_blocking() {
        // A writer that never drains: a target whose writes block is hard to build portably, so
        // use a channel with no thread behind it.
        let (tx, _rx) = sync_channel(2);
        let sink = LogSink { tx: Some(tx) };
        assert!(sink.submit(json!(1)));
        assert!(sink.submit(json!(2)));
        assert!(!sink.submit(json!(3)));
    }

    #[test]
    fn off_sink_takes_everything_and_queues_nothing() {
        let sink = LogSink::start(Target::Off, 1).unwrap();
        assert!(!sink.is_on());
        assert!(sink.submit(json!(1)));
        assert!(sink.submit(json!(2)));
    }
}
