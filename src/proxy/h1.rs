//! webacl's own HTTP/1 exchange for the fast path ([`super::fast`]): the request head goes
//! upstream rebuilt from the bytes httparse split, the response head comes back the same way, and
//! the body is relayed by its framing. No header maps are built (pingora's codec builds two each
//! way, ≈ 30,000 instructions a request with the copies between them; README "Load comparison").
//!
//! What is written follows what pingora's proxy writes for the same exchange, so both paths of a
//! webacl answer alike (`fast_path_and_pingora_proxy_agree_byte_for_byte`):
//! * upstream: the request line with `HTTP/1.1`, the client's fields in their order and case
//!   without `Connection`, the Web ACL's inserted headers replacing same-named fields in place
//!   (or appended, in the ACL's case);
//! * downstream: the upstream's status line (its reason phrase, or the canonical one when it sent
//!   none), its fields in order and case with `Date` and `Connection` set as pingora sets them
//!   (replaced in place, else appended), `Transfer-Encoding: chunked` added to a close-delimited
//!   response (which is sent on chunked so the client's connection survives it);
//! * bodies: none for HEAD, 1xx, 204 and 304; `Content-Length` bodies copied; chunked bodies
//!   passed on as received, chunk framing checked so the end is found exactly; close-delimited
//!   bodies chunked until the upstream closes (to an HTTP/1.0 client: passed on as they come,
//!   then its connection is closed).
//!
//! Where it differs from pingora's proxy (README, feature table): field order is kept (pingora's
//! header map groups fields by name and moves one into a removed field's place), pipelined
//! requests are all answered, chunk extensions and trailers pass, and HTTP/1.0 clients get no 1xx
//! and no chunked body.

use super::pool::Pool;
use super::respond::Reply;
use bytes::{Buf, BytesMut};
use pingora::http::ResponseHeader;
use pingora::prelude::*;
use pingora::protocols::http::date::get_cached_date;
use pingora::protocols::Stream;
use std::io::Write as _;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Most header fields an upstream response may have (pingora's limit).
pub const MAX_RESPONSE_FIELDS: usize = 256;
/// Longest upstream response head accepted.
pub const MAX_RESPONSE_HEAD: usize = 64 * 1024;
/// Most bytes read from the upstream at a time.
const READ_CHUNK: usize = 16 * 1024;

/// The client's request head, as httparse split it.
pub struct ClientHead<'a> {
    pub method: &'a str,
    pub target: &'a str,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub version: u8,
    pub fields: &'a [httparse::Header<'a>],
}

impl ClientHead<'_> {
    /// Whether the client's connection stays open after this exchange (pingora's rule): HTTP/1.1
    /// unless `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
    pub fn keepalive(&self) -> bool {
        match connection_token(self.fields) {
            Some(keep) => keep,
            None => self.version == 1,
        }
    }

    /// A HEAD request: its answer has no body.
    pub fn is_head(&self) -> bool {
        self.method == "HEAD"
    }
}

/// The keep-alive meaning of the first `Connection` field: `Some(false)` for `close`,
/// `Some(true)` for `keep-alive`, `None` for neither or no field.
fn connection_token(fields: &[httparse::Header]) -> Option<bool> {
    let value = fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case("connection"))?
        .value;
    let mut keep = None;
    for token in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
        if token.eq_ignore_ascii_case(b"close") {
            return Some(false);
        }
        if token.eq_ignore_ascii_case(b"keep-alive") {
            keep = Some(true);
        }
    }
    keep
}

/// Appends the upstream request head to `out`.
fn write_request(out: &mut Vec<u8>, head: &ClientHead, inserted: &[(Box<str>, Box<str>)]) {
    out.extend_from_slice(head.method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(head.target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    for (i, f) in head.fields.iter().enumerate() {
        if f.name.eq_ignore_ascii_case("connection") {
            continue;
        }
        match inserted
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(f.name))
        {
            None => field(out, f.name.as_bytes(), f.value),
            // The inserted value takes the place of the first field of its name.
            Some((n, v)) => {
                let first = !head.fields[..i]
                    .iter()
                    .any(|e| e.name.eq_ignore_ascii_case(f.name));
                if first {
                    field(out, n.as_bytes(), v.as_bytes());
                }
            }
        }
    }
    for (n, v) in inserted {
        if !head.fields.iter().any(|f| f.name.eq_ignore_ascii_case(n)) {
            field(out, n.as_bytes(), v.as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
}

fn field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// How a response body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// No body (HEAD, 1xx, 204, 304).
    Empty,
    Length(u64),
    Chunked,
    /// Until the upstream closes; sent on chunked.
    Close,
    /// Until the upstream closes, to an HTTP/1.0 client (which knows no chunked): passed on as
    /// it comes, and the client's connection is closed after it.
    Raw,
}

/// A byte range of the upstream read buffer.
type Span = (usize, usize);

/// A parsed upstream response head; its fields (name and value spans) are in [`Buffers`].
pub struct ResponseHead {
    pub status: u16,
    version: u8,
    /// `None` when the status line has no reason phrase at all.
    reason: Option<Span>,
    /// Bytes of the head, including its blank line.
    len: usize,
    framing: Framing,
    /// Whether the upstream's connection may carry another request once the body is read.
    keepalive: bool,
}

/// Reads a response head from `up` into `buf` (which may already hold some of it).
///
/// Errors: the connection closed or failed before a complete head (retryable on a reused
/// connection when nothing was received), a read timeout, a malformed or oversized head.
async fn read_response(
    up: &mut Stream,
    buf: &mut BytesMut,
    fields: &mut Vec<(Span, Span)>,
    timeout: Option<Duration>,
    request_was_head: bool,
) -> Result<ResponseHead> {
    loop {
        if !buf.is_empty() {
            if let Some(head) = parse_response(buf, fields, request_was_head)? {
                return Ok(head);
            }
        }
        if buf.len() >= MAX_RESPONSE_HEAD {
            return Error::e_explain(InvalidHTTPHeader, "upstream response head too long");
        }
        let n = read_some(up, buf, timeout).await?;
        if n == 0 {
            let mut e = Error::explain(ConnectionClosed, "upstream closed before a response head");
            // Like pingora: only a connection that sent nothing may be retried.
            e.retry = buf.is_empty().into();
            return Err(e);
        }
    }
}

async fn read_some(
    up: &mut Stream,
    buf: &mut BytesMut,
    timeout: Option<Duration>,
) -> Result<usize> {
    buf.reserve(READ_CHUNK);
    let read = up.read_buf(buf);
    let n = match timeout {
        Some(t) => match tokio::time::timeout(t, read).await {
            Ok(r) => r,
            Err(_) => return Error::e_explain(ReadTimedout, "reading from the upstream"),
        },
        None => read.await,
    };
    n.or_err(ReadError, "reading from the upstream")
}

/// Parses a response head at the start of `buf`; its fields' spans replace those in `fields`.
fn parse_response(
    buf: &[u8],
    fields: &mut Vec<(Span, Span)>,
    request_was_head: bool,
) -> Result<Option<ResponseHead>> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_RESPONSE_FIELDS];
    let mut resp = httparse::Response::new(&mut slots);
    let len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => {
            return Error::e_explain(InvalidHTTPHeader, format!("upstream response head: {e}"))
        }
    };
    let base = buf.as_ptr() as usize;
    let at = |s: &[u8]| {
        let start = s.as_ptr() as usize - base;
        (start, start + s.len())
    };
    let status = resp.code.unwrap_or(0);
    let version = resp.version.unwrap_or(1);
    let reason = resp.reason.map(|r| at(r.as_bytes()));
    fields.clear();
    fields.extend(
        resp.headers
            .iter()
            .map(|f| (at(f.name.as_bytes()), at(f.value))),
    );
    let framing = framing(status, resp.headers, request_was_head)?;
    let keepalive = framing != Framing::Close
        && !(version == 0 && has_field(resp.headers, "transfer-encoding"))
        && connection_token(resp.headers).unwrap_or(version == 1);
    Ok(Some(ResponseHead {
        status,
        version,
        reason,
        len,
        framing,
        keepalive,
    }))
}

fn has_field(fields: &[httparse::Header], name: &str) -> bool {
    fields.iter().any(|f| f.name.eq_ignore_ascii_case(name))
}

/// The response's body framing (RFC 9112 §6.3). Errors: conflicting or invalid lengths.
fn framing(status: u16, fields: &[httparse::Header], request_was_head: bool) -> Result<Framing> {
    if request_was_head || (100..200).contains(&status) || status == 204 || status == 304 {
        return Ok(Framing::Empty);
    }
    let mut chunked = None;
    let mut length: Option<u64> = None;
    for f in fields {
        if f.name.eq_ignore_ascii_case("transfer-encoding") {
            // The last coding of the last field decides.
            let last = f.value.rsplit(|&b| b == b',').next().unwrap_or_default();
            chunked = Some(last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if f.name.eq_ignore_ascii_case("content-length") {
            for part in f.value.split(|&b| b == b',') {
                let n = std::str::from_utf8(part.trim_ascii())
                    .ok()
                    .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|t| t.parse::<u64>().ok());
                match (n, length) {
                    (Some(n), None) => length = Some(n),
                    (Some(n), Some(l)) if n == l => {}
                    _ => {
                        return Error::e_explain(
                            InvalidHTTPHeader,
                            "upstream response with an invalid Content-Length",
                        )
                    }
                }
            }
        }
    }
    Ok(match (chunked, length) {
        (Some(true), _) => Framing::Chunked,
        (Some(false), _) => Framing::Close,
        (None, Some(n)) => Framing::Length(n),
        (None, None) => Framing::Close,
    })
}

/// Appends the response head as it goes downstream; `fields` and `buf` are what
/// [`parse_response`] left.
fn write_response_head(
    out: &mut Vec<u8>,
    head: &ResponseHead,
    fields: &[(Span, Span)],
    buf: &[u8],
    keepalive: bool,
) {
    let text = |(a, b): Span| &buf[a..b];
    // A close-delimited response goes on chunked, which needs HTTP/1.1.
    let http10 = head.version == 0 && head.framing != Framing::Close;
    out.extend_from_slice(if http10 { b"HTTP/1.0 " } else { b"HTTP/1.1 " });
    let mut code = itoa::Buffer::new();
    out.extend_from_slice(code.format(head.status).as_bytes());
    out.push(b' ');
    match head.reason {
        Some(reason) => out.extend_from_slice(text(reason)),
        // No reason phrase at all: pingora writes the canonical one.
        None => {
            let canonical = http::StatusCode::from_u16(head.status)
                .ok()
                .and_then(|s| s.canonical_reason());
            out.extend_from_slice(canonical.unwrap_or("").as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
    let informational = (100..200).contains(&head.status);
    let date = get_cached_date();
    let connection: &[u8] = if keepalive { b"keep-alive" } else { b"close" };
    let (mut dated, mut connected) = (informational, informational);
    for &(name, value) in fields {
        let name = text(name);
        if !informational && name.eq_ignore_ascii_case(b"date") {
            if !std::mem::replace(&mut dated, true) {
                field(out, b"Date", date.as_bytes());
            }
        } else if !informational && name.eq_ignore_ascii_case(b"connection") {
            if !std::mem::replace(&mut connected, true) {
                field(out, b"Connection", connection);
            }
        } else {
            field(out, name, text(value));
        }
    }
    if !dated {
        field(out, b"Date", date.as_bytes());
    }
    if !connected {
        field(out, b"Connection", connection);
    }
    if head.framing == Framing::Close {
        field(out, b"Transfer-Encoding", b"chunked");
    }
    out.extend_from_slice(b"\r\n");
}

/// Where a chunked body's framing is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// At a chunk-size line.
    Size,
    /// Inside a chunk's data: bytes left.
    Data(u64),
    /// After a chunk's data: its line end.
    DataEnd,
    /// After the last chunk: trailer lines until an empty one.
    Trailer,
    Done,
}

/// Longest chunk-size or trailer line accepted.
const MAX_CHUNK_LINE: usize = 4096;

/// Advances `state` over `data` and returns how many bytes it consumed: all of them unless a
/// line is incomplete (left for the next read) or the body ended.
fn scan_chunked(state: &mut Chunk, data: &[u8]) -> Result<usize> {
    let mut at = 0;
    loop {
        let rest = &data[at..];
        match *state {
            Chunk::Done => return Ok(at),
            Chunk::Data(left) => {
                let take = left.min(rest.len() as u64);
                at += take as usize;
                if take < left {
                    *state = Chunk::Data(left - take);
                    return Ok(at);
                }
                *state = Chunk::DataEnd;
            }
            Chunk::DataEnd => {
                if rest.starts_with(b"\r\n") {
                    at += 2;
                } else if rest.starts_with(b"\n") {
                    at += 1;
                } else if rest.is_empty() || rest == b"\r" {
                    return Ok(at);
                } else {
                    return Error::e_explain(InvalidHTTPHeader, "chunk data not followed by CRLF");
                }
                *state = Chunk::Size;
            }
            Chunk::Size | Chunk::Trailer => {
                let Some(nl) = memchr::memchr(b'\n', rest) else {
                    if rest.len() > MAX_CHUNK_LINE {
                        return Error::e_explain(InvalidHTTPHeader, "chunk line too long");
                    }
                    return Ok(at);
                };
                let line = &rest[..nl];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                at += nl + 1;
                *state = if *state == Chunk::Trailer {
                    if line.is_empty() {
                        Chunk::Done
                    } else {
                        Chunk::Trailer
                    }
                } else {
                    match chunk_size(line)? {
                        0 => Chunk::Trailer,
                        n => Chunk::Data(n),
                    }
                };
            }
        }
    }
}

/// The size of a chunk-size line: hex digits, then optional whitespace and extensions.
fn chunk_size(line: &[u8]) -> Result<u64> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let rest = line[digits..].trim_ascii_start();
    if digits == 0 || digits > 15 || !(rest.is_empty() || rest[0] == b';') {
        return Error::e_explain(InvalidHTTPHeader, "invalid chunk size");
    }
    let hex = std::str::from_utf8(&line[..digits]).unwrap_or("0");
    u64::from_str_radix(hex, 16).or_err(InvalidHTTPHeader, "invalid chunk size")
}

/// Timeouts for the upstream side of an exchange.
#[derive(Clone, Copy)]
pub struct Timeouts {
    pub read: Option<Duration>,
    pub write: Option<Duration>,
}

async fn write_up(up: &mut Stream, bytes: &[u8], timeout: Option<Duration>) -> Result<()> {
    let write = async {
        up.write_all(bytes).await?;
        up.flush().await
    };
    match timeout {
        Some(t) => match tokio::time::timeout(t, write).await {
            Ok(r) => r.or_err(WriteError, "writing to the upstream"),
            Err(_) => Error::e_explain(WriteTimedout, "writing to the upstream"),
        },
        None => write.await.or_err(WriteError, "writing to the upstream"),
    }
}

async fn write_down(down: &mut Stream, bytes: &[u8]) -> Result<()> {
    let write = async {
        down.write_all(bytes).await?;
        down.flush().await
    };
    write
        .await
        .or_err(WriteError, "writing to the client")
        .map_err(|e| e.into_down())
}

/// Sends `out` (the response head, maybe with body bytes already appended) and the rest of the
/// body downstream. `buf` holds what was read past the head; `written` is set once anything goes
/// downstream. Returns whether the upstream connection ended exactly at the body's end (so it
/// can be reused).
async fn relay(
    up: &mut Stream,
    down: &mut Stream,
    buf: &mut BytesMut,
    framing: Framing,
    out: &mut Vec<u8>,
    timeout: Option<Duration>,
    written: &mut bool,
) -> Result<bool> {
    let mut write_down = async |down: &mut Stream, out: &[u8]| {
        *written = true;
        write_down(down, out).await
    };
    let up_err = |e: Box<Error>| e.into_up();
    match framing {
        Framing::Empty => {
            write_down(down, out).await?;
            Ok(buf.is_empty())
        }
        Framing::Length(total) => {
            let mut left = total;
            loop {
                let take = left.min(buf.len() as u64) as usize;
                out.extend_from_slice(&buf[..take]);
                buf.advance(take);
                left -= take as u64;
                write_down(down, out).await?;
                out.clear();
                if left == 0 {
                    return Ok(buf.is_empty());
                }
                if read_some(up, buf, timeout).await.map_err(up_err)? == 0 {
                    return Error::e_explain(ConnectionClosed, "upstream closed inside a body")
                        .map_err(up_err);
                }
            }
        }
        Framing::Chunked => {
            let mut state = Chunk::Size;
            loop {
                let used = scan_chunked(&mut state, buf).map_err(up_err)?;
                out.extend_from_slice(&buf[..used]);
                buf.advance(used);
                if !out.is_empty() {
                    write_down(down, out).await?;
                    out.clear();
                }
                if state == Chunk::Done {
                    return Ok(buf.is_empty());
                }
                if read_some(up, buf, timeout).await.map_err(up_err)? == 0 {
                    return Error::e_explain(ConnectionClosed, "upstream closed inside a body")
                        .map_err(up_err);
                }
            }
        }
        Framing::Raw => loop {
            out.extend_from_slice(buf);
            buf.clear();
            if !out.is_empty() {
                write_down(down, out).await?;
                out.clear();
            }
            if read_some(up, buf, timeout).await.map_err(up_err)? == 0 {
                return Ok(false);
            }
        },
        Framing::Close => loop {
            if !buf.is_empty() {
                // Writing to a Vec cannot fail.
                let _ = write!(out, "{:X}\r\n", buf.len());
                out.extend_from_slice(buf);
                out.extend_from_slice(b"\r\n");
                buf.clear();
            }
            if read_some(up, buf, timeout).await.map_err(up_err)? == 0 {
                out.extend_from_slice(b"0\r\n\r\n");
                write_down(down, out).await?;
                return Ok(false);
            }
            if !out.is_empty() {
                write_down(down, out).await?;
                out.clear();
            }
        },
    }
}

/// Where forwarded requests go.
pub struct Upstream<'a> {
    pub pool: &'a Pool,
    pub peer: &'a HttpPeer,
    pub timeouts: Timeouts,
}

/// A client connection's buffers, kept from one request to the next.
#[derive(Default)]
pub struct Buffers {
    /// What is written next, upstream or downstream.
    out: Vec<u8>,
    /// What was read from the upstream and not yet passed on.
    up: BytesMut,
    /// The fields of the upstream's response head, as spans of `up`.
    fields: Vec<(Span, Span)>,
}

/// One forwarded request: the head to the upstream (a pooled connection, replaced once if a
/// reused one turns out closed before answering), the response back downstream. Returns whether
/// the client's connection may carry another request (`keepalive`, unless a close-delimited body
/// went to an HTTP/1.0 client). `written` says, when it fails, whether a response head already
/// went downstream.
///
/// Errors: upstream failures marked as upstream errors, client write failures as downstream.
pub async fn forward(
    upstream: &Upstream<'_>,
    down: &mut Stream,
    head: &ClientHead<'_>,
    inserted: &[(Box<str>, Box<str>)],
    keepalive: bool,
    bufs: &mut Buffers,
    written: &mut bool,
) -> Result<bool> {
    let Upstream {
        pool,
        peer,
        timeouts,
    } = *upstream;
    let Buffers {
        out,
        up: buf,
        fields,
    } = bufs;
    out.clear();
    buf.clear();
    write_request(out, head, inserted);
    let mut fresh = false;
    let (mut up, mut resp) = loop {
        let (mut up, reused) = pool.stream(peer, fresh).await.map_err(|e| e.into_up())?;
        let answered = match write_up(&mut up, out, timeouts.write).await {
            Ok(()) => read_response(&mut up, buf, fields, timeouts.read, head.is_head()).await,
            Err(e) => Err(e),
        };
        match answered {
            Ok(resp) => break (up, resp),
            Err(e) => {
                let timed_out = matches!(e.etype(), ReadTimedout | WriteTimedout);
                if reused && buf.is_empty() && !timed_out {
                    fresh = true;
                    continue;
                }
                return Err(e.into_up());
            }
        }
    };
    while (100..200).contains(&resp.status) {
        if resp.status == 101 {
            return Error::e_explain(InvalidHTTPHeader, "upstream switched protocols")
                .map_err(|e| e.into_up());
        }
        // An HTTP/1.0 client is sent no 1xx (RFC 9110 §15.2).
        if head.version == 1 {
            out.clear();
            write_response_head(out, &resp, fields, buf, keepalive);
            *written = true;
            write_down(down, out).await?;
        }
        buf.advance(resp.len);
        resp = read_response(&mut up, buf, fields, timeouts.read, head.is_head())
            .await
            .map_err(|e| e.into_up())?;
    }
    let mut keepalive = keepalive;
    if resp.framing == Framing::Close && head.version == 0 {
        resp.framing = Framing::Raw;
        keepalive = false;
    }
    out.clear();
    write_response_head(out, &resp, fields, buf, keepalive);
    buf.advance(resp.len);
    let clean = relay(
        &mut up,
        down,
        buf,
        resp.framing,
        out,
        timeouts.read,
        written,
    )
    .await?;
    if clean && resp.keepalive {
        pool.put_stream(up);
    }
    Ok(keepalive)
}

/// Appends the head (and body, unless `head_only`) of webacl's own answer, as pingora writes it.
///
/// Errors: a header of the reply pingora would refuse (an invalid name or value in the ACL's
/// custom response, which validation rejects first).
pub fn write_reply(
    out: &mut Vec<u8>,
    reply: &Reply,
    head_only: bool,
    keepalive: bool,
) -> Result<()> {
    let mut h: ResponseHeader = super::respond::header(reply)?;
    h.insert_header(http::header::DATE, get_cached_date())?;
    h.insert_header(
        http::header::CONNECTION,
        if keepalive { "keep-alive" } else { "close" },
    )?;
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(h.status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(h.get_reason_phrase().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
    h.header_to_h1_wire(out);
    out.extend_from_slice(b"\r\n");
    if !head_only {
        out.extend_from_slice(&reply.body);
    }
    Ok(())
}

/// Writes webacl's own answer downstream.
///
/// Errors: the reply's head (see [`write_reply`]), or the client connection failed.
pub async fn send_reply(
    down: &mut Stream,
    reply: &Reply,
    head_only: bool,
    keepalive: bool,
    bufs: &mut Buffers,
) -> Result<()> {
    bufs.out.clear();
    write_reply(&mut bufs.out, reply, head_only, keepalive)?;
    write_down(down, &bufs.out).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_all(pieces: &[&[u8]]) -> Result<(Chunk, Vec<u8>)> {
        let mut state = Chunk::Size;
        let mut buf = Vec::new();
        let mut passed = Vec::new();
        for p in pieces {
            buf.extend_from_slice(p);
            let used = scan_chunked(&mut state, &buf)?;
            passed.extend_from_slice(&buf[..used]);
            buf.drain(..used);
        }
        Ok((state, passed))
    }

    #[test]
    fn chunked_bodies_end_exactly_across_any_split() {
        let body: &[u8] =
            b"5\r\nhello\r\n1A;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-T: 1\r\n\r\n";
        for split in 0..=body.len() {
            let (state, passed) = scan_all(&[&body[..split], &body[split..]]).unwrap();
            assert_eq!(state, Chunk::Done, "split at {split}");
            assert_eq!(passed, body, "split at {split}");
        }
        // Bytes after the end are not taken.
        let mut state = Chunk::Size;
        assert_eq!(scan_chunked(&mut state, b"0\r\n\r\nHTTP/1.1").unwrap(), 5);
        let (state, _) = scan_all(&[b"0\n\n"]).unwrap();
        assert_eq!(state, Chunk::Done);
    }

    #[test]
    fn malformed_chunk_framing_is_an_error() {
        for bad in [
            &b"x\r\n"[..],
            b"5\r\nhelloXX",
            b"-1\r\n",
            b"1111111111111111\r\n",
            b"5 x\r\nhello\r\n",
        ] {
            assert!(
                scan_all(&[bad]).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    fn parsed(text: &str, head_request: bool) -> ResponseHead {
        parse_response(text.as_bytes(), &mut Vec::new(), head_request)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn response_framing_follows_rfc_9112() {
        let cases = [
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n",
                Framing::Length(3),
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\n",
                Framing::Length(3),
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n",
                Framing::Chunked,
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
                Framing::Close,
            ),
            ("HTTP/1.1 200 OK\r\n\r\n", Framing::Close),
            (
                "HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n",
                Framing::Empty,
            ),
            ("HTTP/1.1 304 Not Modified\r\n\r\n", Framing::Empty),
            ("HTTP/1.1 100 Continue\r\n\r\n", Framing::Empty),
        ];
        for (text, framing) in cases {
            assert_eq!(parsed(text, false).framing, framing, "{text:?}");
        }
        assert_eq!(
            parsed("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", true).framing,
            Framing::Empty
        );
        for bad in [
            "HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\n",
        ] {
            assert!(
                parse_response(bad.as_bytes(), &mut Vec::new(), false).is_err(),
                "{bad:?}"
            );
        }
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Le", &mut Vec::new(), false)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn upstream_keepalive_follows_version_connection_and_framing() {
        assert!(parsed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false).keepalive);
        assert!(
            !parsed(
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                false
            )
            .keepalive
        );
        assert!(!parsed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false).keepalive);
        assert!(
            parsed(
                "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
                false
            )
            .keepalive
        );
        assert!(!parsed("HTTP/1.1 200 OK\r\n\r\n", false).keepalive);
    }

    #[test]
    fn response_head_keeps_order_and_case_and_sets_date_and_connection() {
        let text = "HTTP/1.1 201 Made\r\nX-B: 1\r\ndate: old\r\nconnection: close\r\nx-b: 2\r\nContent-Length: 0\r\n\r\n";
        let mut fields = Vec::new();
        let head = parse_response(text.as_bytes(), &mut fields, false)
            .unwrap()
            .unwrap();
        let mut out = Vec::new();
        write_response_head(&mut out, &head, &fields, text.as_bytes(), true);
        let out = String::from_utf8(out).unwrap();
        let date = get_cached_date();
        let date = date.to_str().unwrap();
        assert_eq!(
            out,
            format!("HTTP/1.1 201 Made\r\nX-B: 1\r\nDate: {date}\r\nConnection: keep-alive\r\nx-b: 2\r\nContent-Length: 0\r\n\r\n")
        );
        let text = "HTTP/1.0 200 OK\r\nServer: s\r\n\r\n";
        let head = parse_response(text.as_bytes(), &mut fields, false)
            .unwrap()
            .unwrap();
        let mut out = Vec::new();
        write_response_head(&mut out, &head, &fields, text.as_bytes(), false);
        let out = String::from_utf8(out).unwrap();
        assert_eq!(
            out,
            format!("HTTP/1.1 200 OK\r\nServer: s\r\nDate: {date}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n")
        );
    }

    #[test]
    fn upstream_request_drops_connection_and_places_inserted_headers() {
        let mut slots = [httparse::EMPTY_HEADER; 8];
        let mut req = httparse::Request::new(&mut slots);
        let raw = b"GET /a?b HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nx-user: a\r\nAccept: */*\r\nX-User: b\r\n\r\n";
        req.parse(raw).unwrap();
        let head = ClientHead {
            method: req.method.unwrap(),
            target: req.path.unwrap(),
            version: req.version.unwrap(),
            fields: req.headers,
        };
        assert!(head.keepalive());
        let inserted = vec![
            ("X-User".into(), "waf".into()),
            ("X-Added".into(), "1".into()),
        ];
        let mut out = Vec::new();
        write_request(&mut out, &head, &inserted);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "GET /a?b HTTP/1.1\r\nHost: x\r\nX-User: waf\r\nAccept: */*\r\nX-Added: 1\r\n\r\n"
        );
    }
}
