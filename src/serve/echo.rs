//! The built-in echo upstream used when no `--upstream` is given: it answers every request with
//! a JSON description of what it received (method, path, headers in order, body size), so a
//! newcomer can see what webacl forwards, inserted headers included.

use async_trait::async_trait;
use http::{Response, StatusCode};
use pingora::apps::http_app::ServeHttp;
use pingora::protocols::http::ServerSession;
use serde_json::json;

pub struct Echo;

#[async_trait]
impl ServeHttp for Echo {
    async fn response(&self, session: &mut ServerSession) -> Response<Vec<u8>> {
        let req = session.req_header();
        let method = req.method.to_string();
        let target = String::from_utf8_lossy(req.raw_path()).into_owned();
        let version = format!("{:?}", req.version);
        let mut pairs = Vec::new();
        let raw = session.as_http1().map(|h| h.get_headers_raw_bytes());
        match raw.as_deref() {
            Some(raw) => crate::proxy::view::parse_h1_block(raw, &mut pairs),
            None => pairs.extend(
                req.headers
                    .iter()
                    .map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes())),
            ),
        }
        let headers: Vec<_> = pairs
            .iter()
            .map(|(n, v)| json!([String::from_utf8_lossy(n), String::from_utf8_lossy(v)]))
            .collect();
        let mut size = 0u64;
        let mut error = None;
        loop {
            match session.read_request_body().await {
                Ok(Some(chunk)) => size += chunk.len() as u64,
                Ok(None) => break,
                Err(e) => {
                    error = Some(e.to_string());
                    break;
                }
            }
        }
        let mut body = serde_json::to_vec_pretty(&json!({
            "echo": "webacl built-in echo upstream",
            "method": method,
            "target": target,
            "version": version,
            "headers": headers,
            "body_bytes": size,
            "body_error": error,
        }))
        .unwrap_or_default();
        body.push(b'\n');
        Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .header("content-length", body.len())
            .body(body)
            .unwrap_or_else(|_| Response::new(Vec::new()))
    }
}
