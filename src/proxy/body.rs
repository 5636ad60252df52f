//! The body window: read up to the inspection limit BEFORE connecting upstream, so a Block never
//! lets the upstream see the request; then make sure the upstream still receives every byte.
//!
//! pingora 0.9.1 keeps a copy of what `read_request_body` returned in its retry buffer (64 KiB,
//! enabled with `enable_retry_buffering`) and replays it upstream before streaming the rest.
//! AWS never inspects more than 64 KB, so the window fits, but the read that crosses the window
//! can overflow that buffer (a small first read, then a 64 KiB one); pingora then drops its copy.
//! webacl keeps its own copy of what it read, and:
//! * when more body is still to come, prepends that copy to the next chunk pingora streams
//!   ([`Window::replay`], applied in `request_body_filter`);
//! * when the body is already complete, pingora would stream nothing, so the proxy forwards the
//!   buffered request itself ([`super::forward`]).
//!
//! Bodies are never read when no rule inspects them (`CompiledAcl::uses_body`).

use bytes::Bytes;
use pingora::prelude::*;
use pingora::proxy::Session;

/// What was read of the body.
pub struct Window {
    /// The first bytes of the body: at least `limit` of them, or the whole body.
    pub bytes: Vec<u8>,
    /// The full body size when known (Content-Length, or the whole body read); otherwise a size
    /// just over the window, so the engine knows the body is oversize.
    pub len: u64,
    /// Bytes pingora will not replay upstream, to be prepended to the next streamed chunk.
    pub replay: Option<Bytes>,
    /// The whole body was read and pingora's replay copy was lost: forward it ourselves.
    pub forward_buffered: bool,
    /// A `100 Continue` was sent to the client, so `Expect` must not reach the upstream.
    pub sent_continue: bool,
}

impl Window {
    /// No body at all.
    pub fn empty() -> Window {
        Window {
            bytes: Vec::new(),
            len: 0,
            replay: None,
            forward_buffered: false,
            sent_continue: false,
        }
    }

    /// No body read: its declared size only.
    pub fn declared(session: &Session) -> Window {
        Window {
            bytes: Vec::new(),
            len: content_length(session).unwrap_or(0),
            replay: None,
            forward_buffered: false,
            sent_continue: false,
        }
    }
}

fn content_length(session: &Session) -> Option<u64> {
    session
        .req_header()
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse().ok())
}

/// Reads the first `limit` bytes of the body (or all of it when shorter).
///
/// Errors: the client failed or timed out while sending the body.
pub async fn read(session: &mut Session, limit: usize) -> Result<Window> {
    let declared = content_length(session);
    if session.as_downstream_mut().is_body_empty() {
        return Ok(Window::empty());
    }
    let mut sent_continue = false;
    let expects_continue = session
        .req_header()
        .headers
        .get(http::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if expects_continue && session.req_header().version == http::Version::HTTP_11 {
        session
            .as_downstream_mut()
            .write_continue_response()
            .await?;
        sent_continue = true;
    }
    session.as_downstream_mut().enable_retry_buffering();
    let cap = declared.map_or(limit, |d| (d as usize).min(limit + 1));
    let mut bytes = Vec::with_capacity(cap);
    while bytes.len() < limit {
        match session.as_downstream_mut().read_request_body().await? {
            Some(chunk) => bytes.extend_from_slice(&chunk),
            None => break,
        }
    }
    let done = session.as_downstream_mut().is_body_done();
    let lost = session.as_downstream().retry_buffer_truncated();
    let len = match declared {
        Some(d) => d,
        None if done => bytes.len() as u64,
        None => (bytes.len() as u64).max(limit as u64 + 1),
    };
    let replay = (lost && !done).then(|| Bytes::copy_from_slice(&bytes));
    Ok(Window {
        bytes,
        len,
        replay,
        forward_buffered: lost && done,
        sent_continue,
    })
}
