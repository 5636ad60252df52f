//! The answers webacl gives instead of forwarding: Block (403 or the rule's CustomResponse),
//! Captcha (405) and Challenge (202) for a request without a token (spec §5).
//!
//! Responses are written with `write_response_header` + `write_response_body`, so the downstream
//! connection stays open for the next request (`respond_error*` would close it).

use crate::compile::{ActionKind, CompiledAcl};
use crate::eval::Verdict;
use crate::log::record::custom_response;
use bytes::Bytes;
use pingora::http::ResponseHeader;
use pingora::prelude::*;
use pingora::proxy::Session;

/// The body of a plain Block, as a load balancer's own 403 page reads.
const FORBIDDEN_HTML: &str = "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n</body>\r\n</html>\r\n";

/// Shown to browsers (Accept: text/html) for Captcha; token handling is not implemented, so the
/// page says so instead of pretending to offer a puzzle.
const CAPTCHA_HTML: &str = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Verification required</title></head>\n<body><h1>Verification required</h1><p>This request needs a CAPTCHA token (cookie <code>aws-waf-token</code>). webacl answers as AWS WAF does for a request without a token; solving puzzles is not implemented.</p></body></html>\n";

const CHALLENGE_HTML: &str = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Checking your browser</title></head>\n<body><h1>Checking your browser</h1><p>This request needs a challenge token (cookie <code>aws-waf-token</code>). webacl answers as AWS WAF does for a request without a token; the silent browser challenge is not implemented.</p></body></html>\n";

/// A response decided by the Web ACL.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// Extra headers, written as given (CustomResponse headers are not prefixed).
    pub headers: Vec<(Box<str>, Box<str>)>,
    pub content_type: Option<&'static str>,
    pub body: Bytes,
}

/// What to answer for a verdict that does not forward; `None` for Allow.
/// `accepts_html` is asked only for a Captcha or Challenge (forwarded requests never need it).
pub fn for_verdict(
    acl: &CompiledAcl,
    v: &Verdict,
    accepts_html: impl FnOnce() -> bool,
) -> Option<Reply> {
    match v.action() {
        ActionKind::Allow | ActionKind::Count => None,
        ActionKind::Block => Some(match custom_response(acl, v) {
            Some(c) => Reply {
                status: c.code,
                headers: c.headers.to_vec(),
                content_type: c.body.as_ref().map(|(t, _)| *t),
                body: c.body.as_ref().map_or_else(Bytes::new, |(_, text)| {
                    Bytes::copy_from_slice(text.as_bytes())
                }),
            },
            None => Reply {
                status: 403,
                headers: Vec::new(),
                content_type: Some("text/html"),
                body: Bytes::from_static(FORBIDDEN_HTML.as_bytes()),
            },
        }),
        kind @ (ActionKind::Captcha | ActionKind::Challenge) => {
            let (status, name, page) = if kind == ActionKind::Captcha {
                (405, "captcha", CAPTCHA_HTML)
            } else {
                (202, "challenge", CHALLENGE_HTML)
            };
            let (content_type, body) = if accepts_html() {
                (Some("text/html"), Bytes::from_static(page.as_bytes()))
            } else {
                (None, Bytes::new())
            };
            Some(Reply {
                status,
                headers: vec![("x-amzn-waf-action".into(), name.into())],
                content_type,
                body,
            })
        }
    }
}

/// A 502 for when the upstream cannot be reached.
pub fn bad_gateway() -> Reply {
    Reply {
        status: 502,
        headers: Vec::new(),
        content_type: Some("text/plain"),
        body: Bytes::from_static(b"502 Bad Gateway: the upstream could not be reached\n"),
    }
}

/// Writes `reply` downstream, keeping the connection reusable.
///
/// Errors: the downstream connection failed while writing.
pub async fn send(session: &mut Session, reply: &Reply) -> Result<()> {
    let h = header(reply)?;
    let head_only = session.req_header().method == http::Method::HEAD;
    session
        .write_response_header(Box::new(h), reply.body.is_empty() || head_only)
        .await?;
    if !reply.body.is_empty() && !head_only {
        session
            .write_response_body(Some(reply.body.clone()), true)
            .await?;
    }
    Ok(())
}

/// The response head of `reply` (pingora adds `Date` and `Connection` when writing it).
///
/// Errors: a header name or value pingora refuses (validation rejects such custom responses).
pub fn header(reply: &Reply) -> Result<ResponseHeader> {
    let mut h = ResponseHeader::build(reply.status, Some(5 + reply.headers.len()))?;
    for (name, value) in &reply.headers {
        h.append_header(name.to_string(), value.as_ref())?;
    }
    if let Some(t) = reply.content_type {
        h.insert_header(http::header::CONTENT_TYPE, t)?;
    }
    h.insert_header(http::header::CONTENT_LENGTH, reply.body.len())?;
    h.insert_header(http::header::CACHE_CONTROL, "no-store")?;
    Ok(h)
}
