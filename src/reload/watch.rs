//! The reload triggers that need no request: SIGHUP and file changes on disk.
//!
//! One dedicated thread runs a small single-threaded runtime that waits for SIGHUP or for the
//! next poll tick, then reloads on that same thread: builds never run on a proxy worker.

use super::Reloader;
use std::sync::Arc;
use std::time::Duration;

/// Starts the watcher thread. `poll` = `None` disables file polling (SIGHUP still works).
///
/// Errors: the thread or the signal handler could not be set up.
pub fn spawn(reloader: Arc<Reloader>, poll: Option<Duration>) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Register the handler before returning, so a SIGHUP right after start-up is not fatal.
    let mut hup = rt.block_on(async {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
    })?;
    std::thread::Builder::new()
        .name("webacl-reload".into())
        .spawn(move || {
            rt.block_on(async move {
                let tick = poll.unwrap_or(Duration::from_secs(3600));
                loop {
                    tokio::select! {
                        _ = hup.recv() => {
                            let _ = reloader.reload("SIGHUP");
                        }
                        _ = tokio::time::sleep(tick) => {
                            if poll.is_some() && reloader.changed_on_disk() {
                                let _ = reloader.reload("file change");
                            }
                        }
                    }
                }
            })
        })?;
    Ok(())
}
