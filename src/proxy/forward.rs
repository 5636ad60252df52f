//! Forwarding a request by hand on pingora's codec: one upstream exchange on a pooled connection,
//! the response streamed back downstream. Its caller is the body phase, for the one case pingora
//! cannot replay (see [`super::body`]): the body was read completely while inspecting it and is
//! larger than pingora's 64 KiB replay buffer. The body is then at most the window plus one read
//! (< 128 KiB). (The fast path forwards with webacl's own HTTP/1 code, [`super::h1`].)
//!
//! What goes upstream follows pingora's own HTTP/1 proxying: the request as HTTP/1.1 without its
//! hop-by-hop fields; a close-delimited response goes back chunked so the client connection can
//! stay open; 1xx responses are passed on. Connections come from webacl's [`Pool`].

use super::pool::Pool;
use bytes::Bytes;
use http::header;
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::prelude::*;
use pingora::protocols::http::v1::client::HttpSession;
use pingora::proxy::Session;

/// Hop-by-hop fields (RFC 9110 §7.6.1 and the ones pingora strips): never forwarded.
const HOP_BY_HOP: [&str; 10] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "http2-settings",
];

/// Sends the request to `peer` and streams the response back downstream. Returns the upstream
/// status. A reused connection that breaks before the response head arrives (the upstream closed
/// it while idle) is replaced by a new one once, as pingora's proxy does; a timeout is not retried.
///
/// Errors: upstream failures are marked as upstream errors (the caller answers 502); downstream
/// write failures as downstream errors.
pub async fn exchange(
    pool: &Pool,
    peer: &HttpPeer,
    session: &mut Session,
    body: Bytes,
    inserted: &[(Box<str>, Box<str>)],
    drop_expect: bool,
) -> Result<u16> {
    let mut fresh = false;
    let mut up = loop {
        let req = upstream_head(session.req_header(), &body, inserted, drop_expect)?;
        let (mut up, reused) = pool.session(peer, fresh).await.map_err(|e| e.into_up())?;
        match send(&mut up, req, &body).await {
            Ok(()) => break up,
            Err(mut e) => {
                // pingora marks the failures a reused connection may cause (closed, reset) as
                // retryable when the connection was reused; a failed write counts too.
                e.retry.decide_reuse(reused);
                if !(e.retry() || (reused && e.etype() == &ErrorType::WriteError)) {
                    return Err(e.into_up());
                }
                fresh = true;
            }
        }
    };
    let head_request = session.req_header().method == http::Method::HEAD;
    let resp = loop {
        let Some(resp) = up.resp_header() else {
            return Error::e_explain(InvalidHTTPHeader, "upstream sent no response header")
                .map_err(|e| e.into_up());
        };
        match resp.status.as_u16() {
            // No upgrade was asked for (the requests here carry no `Upgrade`).
            101 => {
                return Error::e_explain(InvalidHTTPHeader, "upstream switched protocols")
                    .map_err(|e| e.into_up())
            }
            100..=199 => {
                let info = Box::new(resp.clone());
                session.write_response_header(info, false).await?;
                up.read_response().await.map_err(|e| e.into_up())?;
            }
            _ => break chunk_if_close_delimited(resp.clone(), head_request),
        }
    };
    let status = resp.status.as_u16();
    session.write_response_header(Box::new(resp), false).await?;
    while let Some(chunk) = up.read_body_bytes().await.map_err(|e| e.into_up())? {
        session.write_response_body(Some(chunk), false).await?;
    }
    session.write_response_body(None, true).await?;
    pool.put(up).await;
    Ok(status)
}

/// The request head as it goes upstream: HTTP/1.1, without hop-by-hop fields, sized, with the Web
/// ACL's inserted headers.
fn upstream_head(
    client: &RequestHeader,
    body: &Bytes,
    inserted: &[(Box<str>, Box<str>)],
    drop_expect: bool,
) -> Result<Box<RequestHeader>> {
    let mut req = Box::new(client.clone());
    req.set_version(http::Version::HTTP_11);
    for name in HOP_BY_HOP {
        req.remove_header(name);
    }
    req.insert_header(header::CONTENT_LENGTH, body.len())?;
    for (name, value) in inserted {
        req.insert_header(name.to_string(), value.as_ref())?;
    }
    if drop_expect {
        req.remove_header(&header::EXPECT);
    }
    Ok(req)
}

/// Writes the request and reads the first response head.
async fn send(up: &mut HttpSession, req: Box<RequestHeader>, body: &Bytes) -> Result<()> {
    up.write_request_header(req).await?;
    up.write_body(body).await?;
    up.finish_body().await?;
    up.read_response().await?;
    Ok(())
}

/// A response whose body ends when the upstream closes is sent on as chunked (HTTP/1.1), so the
/// client's connection outlives it, as pingora does.
fn chunk_if_close_delimited(mut resp: ResponseHeader, head_request: bool) -> ResponseHeader {
    let no_body = head_request || matches!(resp.status.as_u16(), 204 | 304);
    if !no_body
        && resp.headers.get(header::TRANSFER_ENCODING).is_none()
        && resp.headers.get(header::CONTENT_LENGTH).is_none()
    {
        resp.set_version(http::Version::HTTP_11);
        // A fixed, valid value: inserting it cannot fail.
        let _ = resp.insert_header(header::TRANSFER_ENCODING, "chunked");
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_delimited_responses_become_chunked_unless_bodiless() {
        let bare = ResponseHeader::build(200, None).unwrap();
        let out = chunk_if_close_delimited(bare.clone(), false);
        assert_eq!(out.headers.get("transfer-encoding").unwrap(), "chunked");
        assert_eq!(out.version, http::Version::HTTP_11);
        assert!(chunk_if_close_delimited(bare, true)
            .headers
            .get("transfer-encoding")
            .is_none());
        let not_modified = ResponseHeader::build(304, None).unwrap();
        assert!(chunk_if_close_delimited(not_modified, false)
            .headers
            .get("transfer-encoding")
            .is_none());
        let mut sized = ResponseHeader::build(200, None).unwrap();
        sized.insert_header("content-length", "2").unwrap();
        assert!(chunk_if_close_delimited(sized, false)
            .headers
            .get("transfer-encoding")
            .is_none());
    }
}
