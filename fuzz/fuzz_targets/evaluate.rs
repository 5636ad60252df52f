//! Evaluation of arbitrary requests against the example ACLs: never panics, always yields a
//! terminating action, and the log record always serializes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use webacl::compile::{build, BuildOptions, CompiledAcl, SearchStringEncoding};
use webacl::eval::{evaluate, Scratch};
use webacl::inspect::Request;
use webacl::load::{self, Resources};
use webacl::log::{record, LogContext};
use webacl::validate::Diagnostics;

const ACL: &str = include_str!("../../rulesets/examples/kitchen-sink-acl.json");

fn acl() -> &'static CompiledAcl {
    static ACL_ONCE: OnceLock<CompiledAcl> = OnceLock::new();
    ACL_ONCE.get_or_init(|| {
        let mut d = Diagnostics::new("fuzz-acl");
        let doc = load::web_acl_str(ACL, "fuzz-acl", &mut d).expect("fuzz ACL parses");
        build(&doc, &Resources::default(), &BuildOptions { search_string: SearchStringEncoding::Base64, ..Default::default() }).expect("fuzz ACL compiles")
    })
}

fuzz_target!(|data: &[u8]| {
    // Carve the input into request parts at 0xFF separators.
    let mut parts = data.split(|&b| b == 0xff);
    let mut next = || parts.next().unwrap_or(b"");
    let uri = next();
    let query = next();
    let method = next();
    let body = next();
    let h: Vec<&[u8]> = (0..6).map(|_| next()).collect();
    let headers: Vec<(&[u8], &[u8])> = h.chunks(2).map(|c| (c[0], c.get(1).copied().unwrap_or(b""))).collect();
    let country = std::str::from_utf8(next()).unwrap_or("-");
    let mut req = Request::get(uri);
    req.query = query;
    req.method = method;
    req.body = body;
    req.body_len = body.len() as u64 + u64::from(data.first().copied().unwrap_or(0)) * 1024;
    req.headers = &headers;
    req.country = country;
    req.client_ip = Some(std::net::IpAddr::from([data.len() as u8, 1, 2, 3]));
    let mut scratch = Scratch::new();
    scratch.trace = Some(String::new());
    let acl = acl();
    evaluate(acl, &req, &mut scratch);
    assert!(scratch.verdict.action.is_some(), "every request ends with an action");
    let ctx = LogContext { source_id: "fuzz", request_id: "r", client_ip: "1.2.3.4", response_code_override: None, scheme: None, host: None };
    let rec = record(acl, &req, &scratch, &ctx);
    assert!(serde_json::to_string(&rec).is_ok());
});
