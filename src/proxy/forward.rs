//! Forwarding a fully buffered request by hand, for the one case pingora cannot replay (see
//! [`super::body`]): the body was read completely while inspecting it and is larger than
//! pingora's 64 KiB replay buffer. The body is at most the window plus one read (< 128 KiB).

use bytes::Bytes;
use pingora::connectors::http::Connector;
use pingora::prelude::*;
use pingora::proxy::Session;

/// Sends the request with `body` to `peer` and streams the response back downstream.
/// Returns the upstream status.
///
/// Errors: upstream failures are marked as upstream errors (the caller answers 502); downstream
/// write failures as downstream errors.
pub async fn buffered(
    connector: &Connector,
    peer: &HttpPeer,
    session: &mut Session,
    body: Bytes,
    inserted: &[(Box<str>, Box<str>)],
    drop_expect: bool,
) -> Result<u16> {
    let mut req = session.req_header().clone();
    for (name, value) in inserted {
        req.insert_header(name.to_string(), value.as_ref())?;
    }
    if drop_expect {
        req.remove_header(&http::header::EXPECT);
    }
    req.remove_header(&http::header::TRANSFER_ENCODING);
    req.insert_header(http::header::CONTENT_LENGTH, body.len())?;

    let (mut up, _reused) = connector
        .get_http_session(peer)
        .await
        .map_err(|e| e.into_up())?;
    up.write_request_header(Box::new(req))
        .await
        .map_err(|e| e.into_up())?;
    up.write_request_body(body, true)
        .await
        .map_err(|e| e.into_up())?;
    up.finish_request_body().await.map_err(|e| e.into_up())?;
    up.read_response_header().await.map_err(|e| e.into_up())?;
    let resp = match up.response_header() {
        Some(r) => r.clone(),
        None => {
            return Error::e_explain(
                ErrorType::InvalidHTTPHeader,
                "upstream sent no response header",
            )
            .map_err(|e| e.into_up())
        }
    };
    let status = resp.status.as_u16();
    session.write_response_header(Box::new(resp), false).await?;
    while let Some(chunk) = up.read_response_body().await.map_err(|e| e.into_up())? {
        session.write_response_body(Some(chunk), false).await?;
    }
    session.write_response_body(None, true).await?;
    connector
        .release_http_session(up, peer, peer.options.idle_timeout)
        .await;
    Ok(status)
}
