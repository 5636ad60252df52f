//! Idle upstream connections for the requests webacl forwards itself ([`super::forward`]): a
//! last-in-first-out stack behind a mutex. pingora's own pool starts a task per released
//! connection to watch it while idle (≈ 8,500 instructions a request with taking it back,
//! callgrind); here a connection is checked when it is taken instead: one read attempt that must
//! find nothing to read (a closed or chattering connection is dropped), and an idle age within
//! the idle timeout. A connection the upstream closes in the window between that check and the
//! request is caught by [`super::forward::exchange`], which retries once on a new connection.
//! Connections idle past the timeout are dropped when the pool is next used, and a sweeper thread
//! drops those past the timeout or closed by the upstream every [`sweep_interval`], so a quiet
//! proxy does not sit on sockets its upstream has closed (CLOSE_WAIT).

use pingora::connectors::TransportConnector;
use pingora::prelude::*;
use pingora::protocols::http::v1::client::HttpSession;
use pingora::protocols::Stream;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, ReadBuf};

struct Idle {
    stream: Stream,
    since: Instant,
}

pub struct Pool {
    idle: Mutex<Vec<Idle>>,
    /// Idle connections kept at most.
    max_idle: usize,
    idle_timeout: Duration,
    transport: TransportConnector,
}

/// The sweeper's period bounds: the idle timeout, within these.
pub const SWEEP_MIN: Duration = Duration::from_millis(100);
pub const SWEEP_MAX: Duration = Duration::from_secs(10);

/// How often the sweeper looks at the idle connections.
pub fn sweep_interval(idle_timeout: Duration) -> Duration {
    idle_timeout.clamp(SWEEP_MIN, SWEEP_MAX)
}

impl Pool {
    /// A pool keeping at most `max_idle` connections, each for at most `idle_timeout` (plus one
    /// sweep interval), with its sweeper thread (which ends when the pool is dropped).
    pub fn start(max_idle: usize, idle_timeout: Duration) -> Arc<Pool> {
        let pool = Arc::new(Pool {
            idle: Mutex::new(Vec::with_capacity(max_idle)),
            max_idle,
            idle_timeout,
            transport: TransportConnector::new(None),
        });
        if max_idle > 0 {
            let weak = Arc::downgrade(&pool);
            let every = sweep_interval(idle_timeout);
            let sweeper = std::thread::Builder::new()
                .name("upstream-pool".into())
                .spawn(move || loop {
                    std::thread::sleep(every);
                    match weak.upgrade() {
                        Some(pool) => pool.sweep(),
                        None => return,
                    }
                });
            if let Err(e) = sweeper {
                tracing::warn!("upstream pool: no sweeper thread ({e}); idle connections are checked only when taken");
            }
        }
        pool
    }

    /// Drops the idle connections past the idle timeout or with something to read (closed).
    fn sweep(&self) {
        let Ok(mut idle) = self.idle.lock() else {
            return;
        };
        let now = Instant::now();
        idle.retain_mut(|c| {
            now.duration_since(c.since) <= self.idle_timeout && nothing_to_read(&mut c.stream)
        });
    }

    /// Idle connections held now.
    #[cfg(test)]
    fn idle_count(&self) -> usize {
        self.idle.lock().map_or(0, |idle| idle.len())
    }

    /// An HTTP/1 session to `peer`: on an idle connection that is still good unless `fresh`,
    /// else on a new one. The flag says whether the connection was reused.
    pub async fn session(&self, peer: &HttpPeer, fresh: bool) -> Result<(HttpSession, bool)> {
        let (stream, reused) = self.stream(peer, fresh).await?;
        let mut session = HttpSession::new_with_options(stream, peer);
        session.read_timeout = peer.options.read_timeout;
        session.write_timeout = peer.options.write_timeout;
        Ok((session, reused))
    }

    /// A connection to `peer`: an idle one that is still good unless `fresh`, else a new one. The
    /// flag says whether it was reused.
    pub async fn stream(&self, peer: &HttpPeer, fresh: bool) -> Result<(Stream, bool)> {
        match if fresh { None } else { self.take() } {
            Some(stream) => Ok((stream, true)),
            None => Ok((self.transport.new_stream(peer).await?, false)),
        }
    }

    fn take(&self) -> Option<Stream> {
        loop {
            let mut idle = self.idle.lock().ok()?.pop()?;
            if idle.since.elapsed() <= self.idle_timeout && nothing_to_read(&mut idle.stream) {
                return Some(idle.stream);
            }
        }
    }

    /// Keeps the session's connection when HTTP allows another request on it.
    pub async fn put(&self, mut session: HttpSession) {
        session.respect_keepalive();
        if let Some(stream) = session.reuse().await {
            self.put_stream(stream);
        }
    }

    /// Keeps a connection whose last exchange ended cleanly.
    pub fn put_stream(&self, stream: Stream) {
        let Ok(mut idle) = self.idle.lock() else {
            return;
        };
        // The oldest connections are at the bottom: drop the ones idle too long.
        let now = Instant::now();
        let stale = idle
            .iter()
            .take_while(|c| now.duration_since(c.since) > self.idle_timeout)
            .count();
        idle.drain(..stale);
        if idle.len() < self.max_idle {
            idle.push(Idle { stream, since: now });
        }
    }
}

/// Whether an idle connection has nothing to read (not closed, no unexpected bytes): one read
/// attempt that must not complete. It completes at once when the socket has news, without a
/// system call when it has none.
fn nothing_to_read(stream: &mut Stream) -> bool {
    let mut byte = [0u8; 1];
    let mut buf = ReadBuf::new(&mut byte);
    let mut cx = Context::from_waker(Waker::noop());
    matches!(Pin::new(stream).poll_read(&mut cx, &mut buf), Poll::Pending)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingora::protocols::l4::stream::Stream as L4Stream;
    use tokio::io::AsyncWriteExt;

    async fn pair() -> (Stream, tokio::net::TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (Box::new(L4Stream::from(client)), server)
    }

    #[tokio::test]
    async fn an_open_quiet_connection_has_nothing_to_read() {
        let (mut client, _server) = pair().await;
        assert!(nothing_to_read(&mut client));
        assert!(nothing_to_read(&mut client));
    }

    #[tokio::test]
    async fn closed_or_chattering_connections_are_noticed() {
        let (mut client, server) = pair().await;
        drop(server);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!nothing_to_read(&mut client));
        let (mut client, mut server) = pair().await;
        server.write_all(b"x").await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!nothing_to_read(&mut client));
    }

    fn keep(pool: &Pool, stream: Stream) {
        let since = Instant::now();
        pool.idle.lock().unwrap().push(Idle { stream, since });
    }

    #[tokio::test]
    async fn sweep_drops_connections_the_upstream_closed_and_keeps_quiet_ones() {
        let pool = Pool::start(4, Duration::from_secs(60));
        let (closed, server) = pair().await;
        let (quiet, _server) = pair().await;
        keep(&pool, closed);
        keep(&pool, quiet);
        drop(server);
        tokio::time::sleep(Duration::from_millis(50)).await;
        pool.sweep();
        assert_eq!(pool.idle_count(), 1);
    }

    #[tokio::test]
    async fn sweeper_thread_closes_connections_idle_past_the_timeout() {
        use tokio::io::AsyncReadExt;
        let pool = Pool::start(4, SWEEP_MIN);
        let (client, mut server) = pair().await;
        keep(&pool, client);
        // The upstream sees the connection closed without webacl taking it for a request.
        let mut byte = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(5), server.read(&mut byte)).await;
        assert!(matches!(read, Ok(Ok(0))), "{read:?}");
        assert_eq!(pool.idle_count(), 0);
    }
}
