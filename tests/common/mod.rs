//! Helpers shared by test binaries (each includes this file with `mod common;`).

use serde_json::Value;
use webacl::check::input::OwnedRequest;
use webacl::compile::CompiledAcl;
use webacl::eval::{evaluate, Scratch};
use webacl::log::{record, LogContext};

/// Evaluates one request (the `httpRequest` shape of a log record, plus `body`, as
/// `webacl check --requests` reads it) and returns its AWS WAF log record.
pub fn log_record(acl: &CompiledAcl, request: &Value) -> Value {
    let req = OwnedRequest::parse(&request.to_string(), 1_700_000_000_000)
        .unwrap_or_else(|e| panic!("bad test request {request}: {e}"));
    let headers = req.header_pairs();
    let view = req.view(&headers);
    let mut scratch = Scratch::new();
    evaluate(acl, &view, &mut scratch);
    let ctx = LogContext {
        source_id: "111122223333-app/test/0123456789abcdef",
        request_id: "req",
        client_ip: &req.http.client_ip,
        response_code_override: None,
        scheme: None,
        host: None,
    };
    record(acl, &view, &scratch, &ctx)
}
