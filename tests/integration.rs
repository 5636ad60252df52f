//! Integration tests of `webacl serve`: the real binary on loopback ephemeral ports, a real
//! recording upstream in this process, a real HTTP client.

#[path = "integration/support.rs"]
mod support;
#[path = "common/sweep.rs"]
mod sweep;

use serde_json::{json, Value};
use std::io::Read;
use std::time::{Duration, Instant};
use support::*;

fn block() -> Value {
    json!({ "Block": {} })
}

fn allow() -> Value {
    json!({ "Allow": {} })
}

fn uri() -> Value {
    json!({ "UriPath": {} })
}

fn acl_file(dir: &std::path::Path, name: &str, acl: &Value) -> String {
    let p = dir.join(name);
    write_json(&p, acl);
    p.display().to_string()
}

/// The embedded starter ACL: an ordinary request reaches the upstream; a traversal probe and a
/// scanner are answered by webacl and never reach it; the connection survives a block.
#[test]
fn starter_acl_allows_and_blocks() {
    let up = Upstream::start();
    let p = Proxy::start("starter", &["--upstream", &up.url()]);
    let c = client();
    let r = c.get(p.url("/hello?name=world")).send().unwrap();
    assert_eq!(r.status(), 200);
    let seen = up.last("/hello").unwrap();
    assert_eq!(
        (seen.method.as_str(), seen.target.as_str()),
        ("GET", "/hello?name=world")
    );

    let r = c.get(p.url("/?file=../../etc/passwd")).send().unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().unwrap().contains("403 Forbidden"));
    let r = c
        .get(p.url("/q?id=1%27%20OR%20%271%27%3D%271"))
        .send()
        .unwrap();
    assert_eq!(
        r.status(),
        403,
        "SQL injection in a query argument is blocked"
    );
    let r = c
        .get(p.url("/q?x=%3Cscript%3Ealert(1)%3C/script%3E"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 403, "XSS in a query argument is blocked");
    let r = c
        .get(p.url("/scan"))
        .header("user-agent", "sqlmap/1.7")
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(
        r.text().unwrap(),
        r#"{"error":"blocked","reason":"automated scanner"}"#
    );
    assert!(
        up.requests()
            .iter()
            .all(|s| !s.target.contains("etc/passwd")
                && s.target != "/scan"
                && !s.target.starts_with("/q")),
        "blocked requests never reach the upstream"
    );

    // Still served after the blocks (same client, kept-alive connections).
    assert_eq!(c.get(p.url("/again")).send().unwrap().status(), 200);
}

/// The built-in echo upstream answers when no --upstream is given, and start-up prints the two
/// curl commands.
#[test]
fn embedded_defaults_echo_upstream_and_banner() {
    let p = Proxy::start("echo", &[]);
    let body: Value = client()
        .get(p.url("/hello"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(body["target"], "/hello");
    assert_eq!(body["method"], "GET");
    let err = p.stderr();
    assert!(
        err.contains(&format!("curl -i http://127.0.0.1:{}/hello", p.port)),
        "{err}"
    );
    assert!(err.contains("etc/passwd"), "{err}");
    assert_eq!(
        client()
            .get(p.url("/?file=../../etc/passwd"))
            .send()
            .unwrap()
            .status(),
        403
    );
}

/// Block with a CustomResponse: its code, its headers (not prefixed) and its body with the
/// content type of CustomResponseBodies; logged with responseCodeSent.
#[test]
fn custom_response() {
    let up = Upstream::start();
    let dir = temp_dir("custom");
    let acl = web_acl(
        "custom",
        vec![rule(
            "TooMany",
            0,
            byte_match("/limited", uri(), "STARTS_WITH", "NONE"),
            json!({ "Block": { "CustomResponse": { "ResponseCode": 429, "CustomResponseBodyKey": "slow-down",
                "ResponseHeaders": [{ "Name": "Retry-After", "Value": "30" }] } } }),
        )],
        allow(),
        json!({ "slow-down": { "ContentType": "APPLICATION_JSON", "Content": "{\"error\":\"slow down\"}" } }),
    );
    let path = acl_file(&dir, "acl.json", &acl);
    let p = Proxy::start("custom", &["--web-acl", &path, "--upstream", &up.url()]);
    let r = client().get(p.url("/limited/x")).send().unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "30");
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.text().unwrap(), "{\"error\":\"slow down\"}");
    assert!(up.requests().is_empty());
    let rec = &p.log_records(1)[0];
    assert_eq!(rec["action"], "BLOCK");
    assert_eq!(rec["terminatingRuleId"], "TooMany");
    assert_eq!(rec["responseCodeSent"], 429);
}

/// InsertHeaders of a Count rule and of the default Allow reach the upstream with the
/// `x-amzn-waf-` prefix, overwriting a same-named header the client sent.
#[test]
fn inserted_headers_reach_the_upstream() {
    let up = Upstream::start();
    let dir = temp_dir("insert");
    let acl = web_acl(
        "insert",
        vec![rule(
            "TagApi",
            0,
            byte_match("/api", uri(), "STARTS_WITH", "NONE"),
            json!({ "Count": { "CustomRequestHandling": { "InsertHeaders": [{ "Name": "tag", "Value": "api" }] } } }),
        )],
        json!({ "Allow": { "CustomRequestHandling": { "InsertHeaders": [{ "Name": "seen", "Value": "yes" }] } } }),
        Value::Null,
    );
    let path = acl_file(&dir, "acl.json", &acl);
    let p = Proxy::start("insert", &["--web-acl", &path, "--upstream", &up.url()]);
    let r = client()
        .get(p.url("/api/v1"))
        .header("x-amzn-waf-tag", "forged-by-client")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = up.last("/api/v1").unwrap();
    assert_eq!(seen.header_values("x-amzn-waf-tag"), vec!["api"]);
    assert_eq!(seen.header_values("x-amzn-waf-seen"), vec!["yes"]);
    client().get(p.url("/other")).send().unwrap();
    let other = up.last("/other").unwrap();
    assert!(other.header_values("x-amzn-waf-tag").is_empty());
    assert_eq!(other.header_values("x-amzn-waf-seen"), vec!["yes"]);
    let recs = p.log_records(2);
    assert_eq!(
        recs[0]["requestHeadersInserted"],
        json!([{ "name": "x-amzn-waf-tag", "value": "api" }, { "name": "x-amzn-waf-seen", "value": "yes" }])
    );
}

/// Captcha answers 405 and Challenge 202, each with `x-amzn-waf-action`, an interstitial page
/// only for clients that accept HTML.
#[test]
fn captcha_and_challenge() {
    let up = Upstream::start();
    let dir = temp_dir("token");
    let acl = web_acl(
        "token",
        vec![
            rule(
                "NeedCaptcha",
                0,
                byte_match("/captcha", uri(), "STARTS_WITH", "NONE"),
                json!({ "Captcha": {} }),
            ),
            rule(
                "NeedChallenge",
                1,
                byte_match("/challenge", uri(), "STARTS_WITH", "NONE"),
                json!({ "Challenge": {} }),
            ),
        ],
        allow(),
        Value::Null,
    );
    let path = acl_file(&dir, "acl.json", &acl);
    let p = Proxy::start("token", &["--web-acl", &path, "--upstream", &up.url()]);
    let c = client();
    let r = c.get(p.url("/captcha")).send().unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["x-amzn-waf-action"], "captcha");
    assert_eq!(r.text().unwrap(), "");
    let r = c
        .get(p.url("/challenge"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(r.headers()["x-amzn-waf-action"], "challenge");
    assert_eq!(r.headers()["content-type"], "text/html");
    assert!(r.text().unwrap().contains("<html"));
    assert!(up.requests().is_empty());
    let recs = p.log_records(2);
    assert_eq!(recs[0]["action"], "CAPTCHA");
    assert_eq!(recs[0]["responseCodeSent"], 405);
    assert_eq!(recs[0]["captchaResponse"]["failureReason"], "TOKEN_MISSING");
    assert_eq!(recs[1]["responseCodeSent"], 202);
}

/// An ACL that reads the body: "evil" anywhere in the inspected window blocks (CONTINUE), and
/// any body larger than the window blocks under /limited (OversizeHandling MATCH).
fn body_acl() -> Value {
    web_acl(
        "body",
        vec![
            rule(
                "EvilBody",
                0,
                byte_match(
                    "evil",
                    json!({ "Body": { "OversizeHandling": "CONTINUE" } }),
                    "CONTAINS",
                    "NONE",
                ),
                block(),
            ),
            rule(
                "LimitedOversize",
                1,
                json!({ "AndStatement": { "Statements": [
                    byte_match("/limited", uri(), "STARTS_WITH", "NONE"),
                    byte_match("never-present-marker", json!({ "Body": { "OversizeHandling": "MATCH" } }), "CONTAINS", "NONE"),
                ] } }),
                block(),
            ),
        ],
        allow(),
        Value::Null,
    )
}

/// The ALB window is 8 KB: a match inside it blocks, the same bytes past it do not (CONTINUE
/// inspects only the window), and OversizeHandling MATCH blocks bodies over the window.
#[test]
fn body_window_and_oversize_handling() {
    let up = Upstream::start();
    let dir = temp_dir("window");
    let path = acl_file(&dir, "acl.json", &body_acl());
    let p = Proxy::start("window", &["--web-acl", &path, "--upstream", &up.url()]);
    let c = client();
    let r = c
        .post(p.url("/early"))
        .body(format!("{}evil", "a".repeat(100)))
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(up.last("/early").is_none());

    let mut late = "a".repeat(8192).into_bytes();
    late.extend_from_slice(b"evil");
    late.extend(std::iter::repeat_n(b'b', 20_000));
    let r = c.post(p.url("/late")).body(late.clone()).send().unwrap();
    assert_eq!(r.status(), 200, "a match past the 8 KB window is not seen");
    assert_eq!(up.last("/late").unwrap().body, late);

    assert_eq!(
        c.post(p.url("/limited/small"))
            .body(vec![b'x'; 8192])
            .send()
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        c.post(p.url("/limited/big"))
            .body(vec![b'x'; 8193])
            .send()
            .unwrap()
            .status(),
        403
    );

    let recs = p.log_records(4);
    let late_rec = recs
        .iter()
        .find(|r| r["httpRequest"]["uri"] == "/late")
        .unwrap();
    assert_eq!(late_rec["requestBodySize"], late.len());
    assert_eq!(late_rec["requestBodySizeInspectedByWAF"], 8192);
    let big = recs
        .iter()
        .find(|r| r["httpRequest"]["uri"] == "/limited/big")
        .unwrap();
    assert_eq!(big["terminatingRuleId"], "LimitedOversize");
    assert_eq!(big["oversizeFields"], json!(["REQUEST_BODY"]));
}

/// A reader that hands out at most `step` bytes per read, so reqwest sends a chunked body in
/// many chunks.
struct Trickle {
    data: Vec<u8>,
    pos: usize,
    step: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

/// Bodies reach the upstream byte for byte, sized or chunked, empty to 1 MB, including sizes
/// around pingora's 64 KiB replay buffer, with a body-inspecting ACL (the window is read first)
/// and with one that never reads the body.
#[test]
fn bodies_reach_the_upstream_byte_for_byte() {
    let up = Upstream::start();
    let dir = temp_dir("bytes");
    let body_path = acl_file(&dir, "body.json", &body_acl());
    let inspecting = Proxy::start(
        "bytes-inspect",
        &["--web-acl", &body_path, "--upstream", &up.url()],
    );
    // An ACL whose only rule inspects the path, so the body is never read (the starter ACL reads it:
    // CommonRuleSet's SizeRestrictions_BODY blocks bodies over 8 KB, as AWS's does).
    let path_only = web_acl(
        "path-only",
        vec![rule(
            "Admin",
            0,
            byte_match("/admin", json!({ "UriPath": {} }), "STARTS_WITH", "NONE"),
            block(),
        )],
        json!({ "Allow": {} }),
        json!(null),
    );
    let pass_path = acl_file(&dir, "pass.json", &path_only);
    let passthrough = Proxy::start(
        "bytes-pass",
        &["--web-acl", &pass_path, "--upstream", &up.url()],
    );
    let c = client();
    let sizes = [
        0usize, 1, 8191, 8192, 8193, 60_000, 65_536, 66_000, 70_000, 140_000, 1_000_000,
    ];
    for (name, p) in [("inspect", &inspecting), ("pass", &passthrough)] {
        for &n in &sizes {
            let data = pattern(n);
            let target = format!("/sized/{name}/{n}");
            let r = c.post(p.url(&target)).body(data.clone()).send().unwrap();
            assert_eq!(r.status(), 200, "{target}");
            let got: Value = r.json().unwrap();
            assert_eq!(
                got["sha256"],
                sha256(&data),
                "{target}: upstream got {} bytes",
                got["len"]
            );
            let seen = up.last(&target).unwrap();
            assert_eq!(seen.body.len(), n);
        }
        for &(n, step) in &[
            (0usize, 1000usize),
            (5000, 700),
            (66_000, 16_384),
            (70_000, 3000),
            (200_000, 65_536),
            (1_000_000, 10_000),
        ] {
            let data = pattern(n);
            let target = format!("/chunked/{name}/{n}");
            let body = reqwest::blocking::Body::new(Trickle {
                data: data.clone(),
                pos: 0,
                step,
            });
            let r = c.post(p.url(&target)).body(body).send().unwrap();
            assert_eq!(r.status(), 200, "{target}");
            let got: Value = r.json().unwrap();
            assert_eq!(
                got["sha256"],
                sha256(&data),
                "{target}: upstream got {} bytes",
                got["len"]
            );
            if n > 0 && name == "pass" {
                assert!(
                    up.last(&target).unwrap().chunked,
                    "{target}: a chunked body is streamed on as chunked"
                );
            }
        }
    }
}

/// Raw sockets: a first small piece of body, then the rest in one write, so that the read
/// crossing the window overflows pingora's replay buffer — with and without more body to come.
#[test]
fn bodies_split_across_the_replay_buffer() {
    use std::io::Write;
    let up = Upstream::start();
    let dir = temp_dir("split");
    let body_path = acl_file(&dir, "body.json", &body_acl());
    let p = Proxy::start("split", &["--web-acl", &body_path, "--upstream", &up.url()]);
    for &(total, first) in &[(66_000usize, 1000usize), (70_000, 4000), (300_000, 100)] {
        let data = pattern(total);
        let target = format!("/split/{total}");
        let mut s = std::net::TcpStream::connect(("127.0.0.1", p.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        write!(s, "POST {target} HTTP/1.1\r\nHost: x\r\nContent-Length: {total}\r\nConnection: close\r\n\r\n").unwrap();
        s.write_all(&data[..first]).unwrap();
        s.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
        s.write_all(&data[first..]).unwrap();
        let mut resp = String::new();
        let _ = s.read_to_string(&mut resp);
        assert!(resp.starts_with("HTTP/1.1 200"), "{target}: {resp}");
        assert!(resp.contains(&sha256(&data)), "{target}: {resp}");
    }
}

/// One AWS WAF log record per request, parseable, with AWS's keys.
#[test]
fn log_records_are_written_with_aws_keys() {
    let up = Upstream::start();
    let p = Proxy::start(
        "logs",
        &[
            "--upstream",
            &up.url(),
            "--source-id",
            "123456789012-app/test/abc",
        ],
    );
    // Title-case header names on the wire, so the log can show that their case is kept.
    let c = reqwest::blocking::Client::builder()
        .http1_title_case_headers()
        .build()
        .unwrap();
    c.get(p.url("/a?x=1"))
        .header("X-Custom", "v")
        .send()
        .unwrap();
    c.get(p.url("/?file=../../etc/passwd")).send().unwrap();
    c.post(p.url("/b")).body("hello").send().unwrap();
    let recs = p.log_records(3);
    assert_eq!(recs.len(), 3);
    for r in &recs {
        for key in [
            "timestamp",
            "formatVersion",
            "webaclId",
            "terminatingRuleId",
            "terminatingRuleType",
            "action",
            "terminatingRuleMatchDetails",
            "httpSourceName",
            "httpSourceId",
            "ruleGroupList",
            "rateBasedRuleList",
            "nonTerminatingMatchingRules",
            "requestHeadersInserted",
            "responseCodeSent",
            "httpRequest",
        ] {
            assert!(r.get(key).is_some(), "missing {key} in {r}");
        }
        assert_eq!(r["httpSourceName"], "ALB");
        assert_eq!(r["httpSourceId"], "123456789012-app/test/abc");
        assert_eq!(r["httpRequest"]["clientIp"], "127.0.0.1");
        assert!(r["httpRequest"]["requestId"]
            .as_str()
            .unwrap()
            .starts_with("1-"));
    }
    let ids: std::collections::HashSet<_> = recs
        .iter()
        .map(|r| r["httpRequest"]["requestId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 3, "request ids are unique");
    assert_eq!(recs[0]["action"], "ALLOW");
    assert_eq!(recs[0]["httpRequest"]["uri"], "/a");
    assert_eq!(recs[0]["httpRequest"]["args"], "x=1");
    assert!(
        recs[0]["httpRequest"]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["name"] == "X-Custom" && h["value"] == "v"),
        "original header case kept"
    );
    assert_eq!(recs[1]["action"], "BLOCK");
    assert_eq!(recs[1]["terminatingRuleId"], "BlockPathTraversal");
    assert_eq!(
        recs[1]["responseCodeSent"],
        Value::Null,
        "a plain 403 logs null, as AWS does"
    );
    assert_eq!(recs[2]["requestBodySize"], 5);
}

/// `--logging-config` (the output of `aws wafv2 get-logging-configuration`): the LoggingFilter
/// decides which records are written, RedactedFields are written as REDACTED.
#[test]
fn logging_configuration_filters_and_redacts() {
    let up = Upstream::start();
    let dir = temp_dir("logging-config");
    let cfg = dir.join("logging.json");
    write_json(
        &cfg,
        &serde_json::json!({"LoggingConfiguration": {
            "ResourceArn": "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/webacl-starter/x",
            "LogDestinationConfigs": ["arn:aws:firehose:us-east-1:123456789012:deliverystream/aws-waf-logs-x"],
            "RedactedFields": [{"SingleHeader": {"Name": "authorization"}}, {"UriPath": {}}],
            "LoggingFilter": {"DefaultBehavior": "DROP", "Filters": [
                {"Behavior": "KEEP", "Requirement": "MEETS_ANY", "Conditions": [{"ActionCondition": {"Action": "BLOCK"}}]}]}}}),
    );
    let p = Proxy::start(
        "logging-config",
        &[
            "--upstream",
            &up.url(),
            "--logging-config",
            cfg.to_str().unwrap(),
        ],
    );
    let c = client();
    c.get(p.url("/allowed"))
        .header("Authorization", "Bearer secret")
        .send()
        .unwrap();
    c.get(p.url("/private/?file=../../etc/passwd"))
        .header("Authorization", "Bearer secret")
        .send()
        .unwrap();
    c.get(p.url("/allowed-too")).send().unwrap();
    c.get(p.url("/?file=../../etc/shadow")).send().unwrap();
    let recs = p.log_records(2);
    assert_eq!(
        recs.len(),
        2,
        "only the two blocked requests are kept: {recs:?}"
    );
    assert!(recs.iter().all(|r| r["action"] == "BLOCK"));
    assert_eq!(recs[0]["httpRequest"]["uri"], "REDACTED");
    let auth: Vec<&Value> = recs[0]["httpRequest"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| {
            h["name"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case("authorization")
        })
        .collect();
    assert_eq!(auth.len(), 1);
    assert_eq!(auth[0]["value"], "REDACTED");
    assert_eq!(
        recs[1]["httpRequest"]["args"], "file=../../etc/shadow",
        "QueryString was not asked to be redacted"
    );
}

/// A logging configuration with a problem stops start-up with its JSON pointer.
#[test]
fn invalid_logging_configuration_stops_startup() {
    let dir = temp_dir("logging-config-bad");
    let cfg = dir.join("logging.json");
    std::fs::write(&cfg, r#"{"RedactedFields": [{"Body": {}}]}"#).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_webacl"))
        .args(["serve", "--logging-config", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/RedactedFields/0/Body")
            && err.contains("only UriPath, QueryString, SingleHeader and Method"),
        "{err}"
    );
}

/// TLS termination: HTTP/2 is negotiated by ALPN, the ACL applies as in cleartext, and the log
/// record says `HTTP/2.0` and scheme `https`; HTTP/1.1 over TLS works the same.
#[test]
fn tls_terminates_with_http2() {
    let up = Upstream::start();
    let dir = temp_dir("tls");
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let p = Proxy::start(
        "tls",
        &[
            "--upstream",
            &up.url(),
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
    );
    let c = reqwest::blocking::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let https = |path: &str| p.url(path).replacen("http://", "https://", 1);
    let ok = c
        .get(https("/hello"))
        .header("User-Agent", "test")
        .send()
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.version(),
        reqwest::Version::HTTP_2,
        "ALPN should negotiate h2"
    );
    let blocked = c
        .get(https("/?file=../../etc/passwd"))
        .header("User-Agent", "test")
        .send()
        .unwrap();
    assert_eq!(blocked.status(), 403);
    let recs = p.log_records(2);
    assert_eq!(recs[0]["action"], "ALLOW");
    assert_eq!(recs[0]["httpRequest"]["httpVersion"], "HTTP/2.0");
    assert_eq!(recs[0]["httpRequest"]["scheme"], "https");
    assert_eq!(recs[1]["action"], "BLOCK");
    assert!(
        up.last("/hello").is_some(),
        "the allowed request reached the upstream"
    );

    // HTTP/1.1 over TLS takes the fast path: allowed and blocked alike, logged as https.
    let h1 = reqwest::blocking::Client::builder()
        .danger_accept_invalid_certs(true)
        .http1_only()
        .build()
        .unwrap();
    for _ in 0..2 {
        let r = h1
            .get(https("/h1"))
            .header("User-Agent", "test")
            .send()
            .unwrap();
        assert_eq!(
            (r.status().as_u16(), r.version()),
            (200, reqwest::Version::HTTP_11)
        );
    }
    let r = h1
        .get(https("/?file=../../etc/passwd"))
        .header("User-Agent", "test")
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    let recs = p.log_records(5);
    assert_eq!(recs[2]["httpRequest"]["httpVersion"], "HTTP/1.1");
    assert_eq!(recs[2]["httpRequest"]["scheme"], "https");
    assert_eq!(recs[4]["action"], "BLOCK");
    assert!(up.last("/h1").is_some());
}

/// `--client-ip-header` takes the client address from a forwarding header.
#[test]
fn client_ip_header() {
    let up = Upstream::start();
    let p = Proxy::start(
        "xff",
        &[
            "--upstream",
            &up.url(),
            "--client-ip-header",
            "X-Forwarded-For",
        ],
    );
    client()
        .get(p.url("/"))
        .header("x-forwarded-for", "203.0.113.9, 10.0.0.1")
        .send()
        .unwrap();
    client().get(p.url("/")).send().unwrap();
    let recs = p.log_records(2);
    assert_eq!(recs[0]["httpRequest"]["clientIp"], "203.0.113.9");
    assert_eq!(recs[1]["httpRequest"]["clientIp"], "127.0.0.1");
}

/// /metrics exposes per-ACL and per-rule counters labelled with MetricNames and CloudWatch
/// action names, the latency histogram, reload and log-drop counters; /healthz answers.
#[test]
fn metrics_are_exposed() {
    let up = Upstream::start();
    let p = Proxy::start("metrics", &["--upstream", &up.url()]);
    let c = client();
    c.get(p.url("/ok")).send().unwrap();
    c.get(p.url("/?file=../../etc/passwd")).send().unwrap();
    c.get(p.url("/?file=../x")).send().unwrap();
    c.get(p.url("/")).header("user-agent", "").send().unwrap();
    let m = p.metrics();
    let has = |line: &str| m.lines().any(|l| l == line);
    assert!(
        has(
            r#"webacl_rule_requests_total{action="BlockedRequests",rule="BlockPathTraversal",web_acl="webacl-starter"} 2"#
        ),
        "{m}"
    );
    assert!(
        has(
            r#"webacl_web_acl_requests_total{action="BlockedRequests",web_acl="webacl-starter"} 2"#
        ),
        "{m}"
    );
    assert!(
        has(
            r#"webacl_web_acl_requests_total{action="AllowedRequests",web_acl="webacl-starter"} 2"#
        ),
        "{m}"
    );
    assert!(m.contains("webacl_evaluation_seconds_count 4"), "{m}");
    assert!(m.contains(r#"webacl_reloads_total{result="failure"} 0"#));
    assert!(m.contains("webacl_log_records_dropped_total 0"));
    assert!(
        !m.contains("etc/passwd") && !m.contains("/ok"),
        "no label comes from a request"
    );
    let h: Value = c.get(p.admin("/healthz")).send().unwrap().json().unwrap();
    assert_eq!(h["status"], "ok");
}

/// /sampled-requests answers in the shape of `aws wafv2 get-sampled-requests`.
#[test]
fn sampled_requests() {
    let up = Upstream::start();
    let p = Proxy::start("sampled", &["--upstream", &up.url()]);
    let c = client();
    // A few requests sent by hand are all sampled (thinning starts after a burst).
    for _ in 0..3 {
        c.get(p.url("/?file=../../etc/passwd"))
            .header("user-agent", "probe/1")
            .send()
            .unwrap();
    }
    let s: Value = c
        .get(p.admin("/sampled-requests?rule-metric-name=BlockPathTraversal"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(s["PopulationSize"], 3);
    assert_eq!(s["SampledRequests"].as_array().map(Vec::len), Some(3));
    let sample = &s["SampledRequests"][0];
    assert_eq!(sample["Action"], "BLOCK");
    assert_eq!(sample["Weight"], 1);
    assert_eq!(sample["Request"]["URI"], "/?file=../../etc/passwd");
    assert_eq!(sample["Request"]["Method"], "GET");
    assert_eq!(sample["Request"]["ClientIP"], "127.0.0.1");
    assert!(sample["Request"]["Headers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["Name"] == "user-agent" && h["Value"] == "probe/1"));
    assert!(
        s["TimeWindow"]["StartTime"].as_f64().unwrap()
            < s["TimeWindow"]["EndTime"].as_f64().unwrap()
    );
    let none: Value = c
        .get(p.admin("/sampled-requests?rule-metric-name=BlockXssQueryArguments"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(none["SampledRequests"], json!([]));
}

fn blocking_acl(blocked_prefix: &str) -> Value {
    web_acl(
        "reload",
        vec![rule(
            "BlockPrefix",
            0,
            byte_match(blocked_prefix, uri(), "STARTS_WITH", "NONE"),
            block(),
        )],
        allow(),
        Value::Null,
    )
}

/// POST /reload swaps a valid ACL in; an invalid one is rejected with its diagnostics, the old
/// one keeps serving and the failure counter goes up; SIGHUP and file changes reload too.
#[test]
fn reload_valid_swaps_invalid_keeps_the_old_acl() {
    let up = Upstream::start();
    let dir = temp_dir("reload");
    let path = acl_file(&dir, "acl.json", &blocking_acl("/a"));
    let p = Proxy::start(
        "reload",
        &["--web-acl", &path, "--upstream", &up.url(), "--watch=false"],
    );
    let c = client();
    assert_eq!(c.get(p.url("/a")).send().unwrap().status(), 403);
    assert_eq!(c.get(p.url("/b")).send().unwrap().status(), 200);

    write_json(std::path::Path::new(&path), &blocking_acl("/b"));
    let r = c.post(p.admin("/reload")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap()["generation"], 2);
    assert_eq!(c.get(p.url("/a")).send().unwrap().status(), 200);
    assert_eq!(c.get(p.url("/b")).send().unwrap().status(), 403);

    let mut bad = blocking_acl("/c");
    bad["WebACL"]["Rules"][0]["Statement"]["ByteMatchStatement"]["PositionalConstraint"] =
        json!("START_WITH");
    write_json(std::path::Path::new(&path), &bad);
    let r = c.post(p.admin("/reload")).send().unwrap();
    assert_eq!(r.status(), 422);
    let v: Value = r.json().unwrap();
    assert_eq!(v["result"], "rejected");
    assert!(
        v["diagnostics"][0]
            .as_str()
            .unwrap()
            .contains("PositionalConstraint"),
        "{v}"
    );
    assert_eq!(
        c.get(p.url("/b")).send().unwrap().status(),
        403,
        "the old ACL keeps serving"
    );
    assert_eq!(c.get(p.url("/c")).send().unwrap().status(), 200);
    let m = p.metrics();
    assert!(
        m.contains(r#"webacl_reloads_total{result="failure"} 1"#),
        "{m}"
    );
    assert!(
        m.contains(r#"webacl_reloads_total{result="success"} 1"#),
        "{m}"
    );
    assert!(
        p.stderr().contains("reload rejected"),
        "diagnostics are logged"
    );

    // SIGHUP.
    write_json(std::path::Path::new(&path), &blocking_acl("/d"));
    let status = std::process::Command::new("kill")
        .args(["-HUP", &p.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    wait_until(
        || c.get(p.url("/d")).send().unwrap().status() == 403,
        "SIGHUP reload",
    );
}

/// With --watch (the default), editing the ACL file is enough.
#[test]
fn reload_on_file_change() {
    let up = Upstream::start();
    let dir = temp_dir("watch");
    let path = acl_file(&dir, "acl.json", &blocking_acl("/a"));
    let p = Proxy::start("watch", &["--web-acl", &path, "--upstream", &up.url()]);
    let c = client();
    assert_eq!(c.get(p.url("/e")).send().unwrap().status(), 200);
    std::thread::sleep(Duration::from_millis(50));
    write_json(
        std::path::Path::new(&path),
        &web_acl(
            "reload",
            vec![rule(
                "BlockE",
                0,
                byte_match("/e", uri(), "STARTS_WITH", "NONE"),
                block(),
            )],
            allow(),
            Value::Null,
        ),
    );
    wait_until(
        || c.get(p.url("/e")).send().unwrap().status() == 403,
        "file-change reload",
    );
}

fn wait_until(mut f: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// 2,000 requests over 4 threads while the ACL is reloaded 20 times: every request succeeds.
#[test]
fn reload_under_load_fails_no_request() {
    let up = Upstream::start();
    let dir = temp_dir("load");
    let path = acl_file(&dir, "acl.json", &blocking_acl("/x"));
    let p = Proxy::start(
        "load",
        &["--web-acl", &path, "--upstream", &up.url(), "--watch=false"],
    );
    let url = p.url("/ok");
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let c = client();
                let mut failures = Vec::new();
                for i in 0..500 {
                    match c.post(&url).body(format!("request {i}")).send() {
                        Ok(r) if r.status() == 200 => {}
                        Ok(r) => failures.push(format!("status {}", r.status())),
                        Err(e) => failures.push(e.to_string()),
                    }
                }
                failures
            })
        })
        .collect();
    let c = client();
    for i in 0..20 {
        write_json(
            std::path::Path::new(&path),
            &blocking_acl(if i % 2 == 0 { "/y" } else { "/x" }),
        );
        assert_eq!(c.post(p.admin("/reload")).send().unwrap().status(), 200);
        std::thread::sleep(Duration::from_millis(10));
    }
    let failures: Vec<String> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert!(p
        .metrics()
        .contains(r#"webacl_reloads_total{result="success"} 20"#));
}

/// An unreachable upstream answers 502 and the request is still logged, with responseCodeSent 502.
#[test]
fn upstream_down_answers_502_and_is_logged() {
    let dead = free_port();
    let p = Proxy::start(
        "down",
        &[
            "--upstream",
            &format!("http://127.0.0.1:{dead}"),
            "--connect-timeout-ms",
            "500",
        ],
    );
    let r = client().get(p.url("/anything")).send().unwrap();
    assert_eq!(r.status(), 502);
    let rec = &p.log_records(1)[0];
    assert_eq!(rec["action"], "ALLOW");
    assert_eq!(rec["responseCodeSent"], 502);
    assert!(p.metrics().contains("webacl_upstream_errors_total 1"));
}

/// The fast path relays every kind of upstream response on one kept-alive client connection:
/// a chunked body arriving in pieces (passed on as sent, extension and trailer included), HEAD
/// and 204 without a body, a 103 before the final answer, an unusual reason phrase; the
/// upstream connection is reused throughout (one upstream connection serves all of them).
#[test]
fn fast_path_relays_each_response_framing() {
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    static CONNECTIONS: AtomicUsize = AtomicUsize::new(0);
    let up = raw_upstream(|mut conn, r| {
        CONNECTIONS.fetch_add(1, Ordering::SeqCst);
        while let Some(head) = read_head(r) {
            let text = String::from_utf8_lossy(&head).into_owned();
            let path = text.split(' ').nth(1).unwrap_or("").to_string();
            let parts: Vec<&[u8]> = match path.as_str() {
                "/chunked" => vec![
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
                    b"lo\r\n6;x=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
                ],
                "/head" => vec![b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"],
                "/nocontent" => vec![b"HTTP/1.1 204 No Content\r\n\r\n"],
                "/early" => vec![
                    b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n",
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                ],
                _ => vec![b"HTTP/1.1 200 Fine\r\nContent-Length: 2\r\n\r\nok"],
            };
            for part in parts {
                conn.write_all(part).unwrap();
                conn.flush().unwrap();
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    });
    let path = traversal_acl("framings");
    let p = Proxy::start("framings", &["--web-acl", &path, "--upstream", &up]);
    let (mut conn, mut r) = raw_connection(p.port);
    let ua = "User-Agent: integration-test/1\r\n";
    let expected = [
        ("GET /chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n5\r\nhello\r\n6;x=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"),
        ("HEAD /head", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: keep-alive\r\n\r\n"),
        ("GET /nocontent", "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n"),
        ("GET /early", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok"),
        ("GET /reason", "HTTP/1.1 200 Fine\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok"),
    ];
    for (request, answer) in expected {
        write!(conn, "{request} HTTP/1.1\r\nHost: x\r\n{ua}\r\n").unwrap();
        let mut got = vec![0u8; answer.len() + "Date: Mon, 01 Jan 2026 00:00:00 GMT\r\n".len()];
        r.read_exact(&mut got).unwrap();
        let got = String::from_utf8(got).unwrap();
        let without_date: String = got
            .split_inclusive("\r\n")
            .filter(|l| !l.starts_with("Date: "))
            .collect();
        assert_eq!(without_date, answer, "{request}");
    }
    assert_eq!(
        CONNECTIONS.load(Ordering::SeqCst),
        1,
        "one upstream connection, reused"
    );
}

/// An upstream that misbehaves costs the fast path's client a 502 when nothing was sent yet
/// (invalid length, not HTTP, read timeout, bad chunk framing), and the connection (never a
/// mis-framed answer) once the head went out (closed inside a body).
#[test]
fn fast_path_survives_upstreams_that_misbehave() {
    use std::io::{Read, Write};
    let up = raw_upstream(|mut conn, r| {
        // One request per connection.
        if let Some(head) = read_head(r) {
            let text = String::from_utf8_lossy(&head).into_owned();
            let answer: &[u8] = match text.split(' ').nth(1).unwrap_or("") {
                "/badlen" => b"HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\nabc",
                "/garbage" => b"NOT HTTP AT ALL\r\n\r\n",
                "/cut" => b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
                "/badchunk" => b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                // /slow: no answer until the proxy gives up.
                _ => {
                    std::thread::sleep(Duration::from_secs(2));
                    return;
                }
            };
            let _ = conn.write_all(answer);
        }
    });
    let path = traversal_acl("misbehave");
    let p = Proxy::start(
        "misbehave",
        &[
            "--web-acl",
            &path,
            "--upstream",
            &up,
            "--read-timeout-ms",
            "300",
        ],
    );
    let exchange = |path: &str| -> String {
        let (mut conn, mut r) = raw_connection(p.port);
        write!(
            conn,
            "GET {path} HTTP/1.1\r\nHost: x\r\nUser-Agent: t/1\r\n\r\n"
        )
        .unwrap();
        let mut out = Vec::new();
        // The proxy closes the connection after each of these.
        r.read_to_end(&mut out).unwrap();
        String::from_utf8_lossy(&out).into_owned()
    };
    // A bad chunk in the first read: the head has not gone out yet either.
    for path in ["/badlen", "/garbage", "/slow", "/badchunk"] {
        let answer = exchange(path);
        assert!(
            answer.starts_with("HTTP/1.1 502 Bad Gateway\r\n"),
            "{path}: {answer}"
        );
        assert!(answer.contains("Connection: close\r\n"), "{path}: {answer}");
    }
    let cut = exchange("/cut");
    assert!(
        cut.starts_with("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n"),
        "{cut}"
    );
    assert!(cut.ends_with("\r\n\r\nabc"), "{cut}");
    let records = p.log_records(5);
    let codes: Vec<_> = records
        .iter()
        .map(|r| r["responseCodeSent"].clone())
        .collect();
    assert_eq!(codes, vec![json!(502); 5], "{codes:?}");
}

/// One HTTP/1.1 response read off a raw connection: status, headers (names lower-cased) and the
/// body, framed by Content-Length or chunked.
fn read_response(r: &mut impl std::io::BufRead) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).unwrap();
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':').unwrap();
        headers.push((n.to_ascii_lowercase(), v.trim().to_string()));
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    if get("transfer-encoding").as_deref() == Some("chunked") {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).unwrap();
            let n = usize::from_str_radix(size.trim(), 16).unwrap();
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = get("content-length") {
        body.resize(n.parse().unwrap(), 0);
        r.read_exact(&mut body).unwrap();
    }
    (status, headers, body)
}

/// A raw client connection to the proxy, with a reader for its responses.
fn raw_connection(port: u16) -> (std::net::TcpStream, std::io::BufReader<std::net::TcpStream>) {
    let conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let reader = std::io::BufReader::new(conn.try_clone().unwrap());
    (conn, reader)
}

/// A raw HTTP/1 upstream on a loopback port, for tests that need one to misbehave or echo:
/// `serve` gets each accepted connection, with a reader over it, on a thread of its own.
/// Returns its URL.
fn raw_upstream(
    serve: impl Fn(std::net::TcpStream, &mut std::io::BufReader<std::net::TcpStream>)
        + Send
        + Sync
        + 'static,
) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let serve = std::sync::Arc::new(serve);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let serve = serve.clone();
            std::thread::spawn(move || {
                let mut r = std::io::BufReader::new(conn.try_clone().unwrap());
                serve(conn, &mut r);
            });
        }
    });
    format!("http://{addr}")
}

/// One request head as received, up to and with its empty line; `None` at the end of the stream.
fn read_head(r: &mut impl std::io::BufRead) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    loop {
        let start = head.len();
        if r.read_until(b'\n', &mut head).unwrap_or(0) == 0 {
            return None;
        }
        if matches!(&head[start..], b"\r\n" | b"\n") {
            return Some(head);
        }
    }
}

/// A Web ACL that blocks `../` in the query string and allows the rest, written to a file.
fn traversal_acl(name: &str) -> String {
    let acl = web_acl(
        name,
        vec![rule(
            "BlockTraversal",
            0,
            byte_match(
                "../",
                json!({ "QueryString": {} }),
                "CONTAINS",
                "URL_DECODE",
            ),
            block(),
        )],
        allow(),
        Value::Null,
    );
    acl_file(&temp_dir(&format!("{name}-acl")), "acl.json", &acl)
}

/// Requests without a body take webacl's fast path, the others pingora's proxy; one kept-alive
/// client connection carries both kinds in turn, and each is answered and forwarded as before:
/// hop-by-hop fields stay off the upstream request, blocks keep the connection, a body arrives
/// byte for byte.
#[test]
fn fast_path_and_pingora_proxy_share_a_connection() {
    use std::io::Write;
    let up = Upstream::start();
    let path = traversal_acl("fastpath");
    let p = Proxy::start("fastpath", &["--web-acl", &path, "--upstream", &up.url()]);
    let (mut conn, mut reader) = raw_connection(p.port);
    let ua = "User-Agent: integration-test/1";

    // Fast path: a kept-alive GET.
    write!(
        conn,
        "GET /one?a=1 HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\n{ua}\r\n\r\n"
    )
    .unwrap();
    let (status, _, body) = read_response(&mut reader);
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("\"len\":0"));
    let seen = up.last("/one").unwrap();
    assert_eq!(seen.target, "/one?a=1");
    assert!(seen.header_values("connection").is_empty(), "{seen:?}");
    assert_eq!(seen.header_values("user-agent"), vec!["integration-test/1"]);

    // Fast path: a block, answered by webacl; the connection stays open.
    write!(
        conn,
        "GET /?file=../../etc/passwd HTTP/1.1\r\nHost: t\r\n{ua}\r\n\r\n"
    )
    .unwrap();
    assert_eq!(read_response(&mut reader).0, 403);
    assert!(up.last("/?file").is_none());

    // pingora's proxy: a body; then the connection comes back to the fast path.
    let payload: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    write!(
        conn,
        "POST /upload HTTP/1.1\r\nHost: t\r\n{ua}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        payload.len()
    )
    .unwrap();
    conn.write_all(&payload).unwrap();
    let (status, _, _) = read_response(&mut reader);
    assert_eq!(status, 200);
    assert_eq!(up.last("/upload").unwrap().body, payload);

    // Two pipelined GETs: the fast path answers both (pingora's proxy would answer the first
    // and close), so the connection is back on the fast path.
    let two = format!("GET /two HTTP/1.1\r\nHost: t\r\n{ua}\r\n\r\n");
    let three = two.replace("/two", "/three");
    conn.write_all(format!("{two}{three}").as_bytes()).unwrap();
    assert_eq!(read_response(&mut reader).0, 200);
    assert_eq!(read_response(&mut reader).0, 200);
    assert!(up.last("/two").is_some() && up.last("/three").is_some());

    // Every request, fast or not, left its log record.
    let recs = p.log_records(5);
    let uris: Vec<&str> = recs
        .iter()
        .map(|r| r["httpRequest"]["uri"].as_str().unwrap())
        .collect();
    assert_eq!(uris, ["/one", "/", "/upload", "/two", "/three"]);
    assert_eq!(recs[1]["action"], "BLOCK");
}

/// An upstream response whose body ends when the upstream closes reaches the client chunked, so
/// the client's connection survives it (as pingora's proxy does); an HTTP/1.0 client gets it as
/// it came, and the close.
#[test]
fn close_delimited_upstream_response_is_sent_chunked() {
    use std::io::Write;
    let upstream = raw_upstream(|mut conn, r| {
        if read_head(r).is_some() {
            let _ =
                conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil close");
        }
        // Dropping `conn` closes it: that ends the body.
    });
    let p = Proxy::start("closedelim", &["--upstream", &upstream]);
    let (mut conn, mut reader) = raw_connection(p.port);
    for _ in 0..2 {
        write!(
            conn,
            "GET /c HTTP/1.1\r\nHost: t\r\nUser-Agent: integration-test/1\r\n\r\n"
        )
        .unwrap();
        let (status, headers, body) = read_response(&mut reader);
        assert_eq!(status, 200);
        assert!(
            headers.contains(&("transfer-encoding".into(), "chunked".into())),
            "{headers:?}"
        );
        assert_eq!(body, b"until close");
    }
    // An HTTP/1.0 client knows no chunked: it gets the body as it came, then the close.
    let (mut conn, mut reader) = raw_connection(p.port);
    write!(
        conn,
        "GET /c HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\nUser-Agent: integration-test/1\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut reader, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains("\r\nConnection: close\r\n"), "{answer}");
    assert!(
        !answer.to_ascii_lowercase().contains("transfer-encoding"),
        "{answer}"
    );
    assert!(answer.ends_with("\r\n\r\nuntil close"), "{answer}");
}

/// An upstream that closes a kept-alive connection instead of answering its second request
/// costs no request: webacl retries once on a new connection when a reused one fails before
/// the response head arrives (and drops pooled connections it finds closed; see proxy::pool).
#[test]
fn upstream_closing_kept_alive_connections_costs_no_request() {
    use std::io::Write;
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    let upstream = raw_upstream(move |mut conn, r| {
        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if read_head(r).is_some() {
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
            // The next request on this connection is read, then the connection closed with no
            // answer.
            read_head(r);
        }
    });
    let p = Proxy::start("idleclose", &["--upstream", &upstream]);
    let (mut conn, mut reader) = raw_connection(p.port);
    for i in 0..6 {
        write!(
            conn,
            "GET /r{i} HTTP/1.1\r\nHost: t\r\nUser-Agent: integration-test/1\r\n\r\n"
        )
        .unwrap();
        let (status, _, body) = read_response(&mut reader);
        assert_eq!((status, body.as_slice()), (200, &b"ok"[..]), "request {i}");
    }
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 6);
    assert!(p.metrics().contains("webacl_upstream_errors_total 0"));
}

/// The fast path and pingora's proxy framework (`--fast-path false`) give the same answers and
/// send the upstream the same bytes, request by request: an upstream that answers with the
/// request it received, and a list of 21 odd and ordinary requests, each on its own connection,
/// read until the proxy closes it or goes quiet.
#[test]
fn fast_path_and_pingora_proxy_agree_byte_for_byte() {
    use std::io::{BufRead, Write};
    let up = raw_upstream(|mut conn, r| {
        while let Some(mut head) = read_head(r) {
            let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
            let len = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            head.extend_from_slice(&body);
            // A chunked body (the "CL and TE" case) is read to its end, so that it is not taken
            // for the next request on this pooled connection.
            if text.contains("transfer-encoding: chunked") {
                while r.read_until(b'\n', &mut head).unwrap_or(0) > 0
                    && !head.ends_with(b"0\r\n\r\n")
                {}
            }
            let answer = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", head.len());
            let _ = conn.write_all(answer.as_bytes());
            let _ = conn.write_all(&head);
        }
    });
    let path = traversal_acl("agree");
    let fast = Proxy::start("agree-fast", &["--web-acl", &path, "--upstream", &up]);
    let framework = Proxy::start(
        "agree-framework",
        &[
            "--web-acl",
            &path,
            "--upstream",
            &up,
            "--fast-path",
            "false",
        ],
    );
    let ua = "User-Agent: integration-test/1\r\nAccept: text/html\r\n";
    let cases: Vec<(&str, String)> = vec![
        (
            "GET 1.1",
            format!("GET /a?b=1 HTTP/1.1\r\nHost: x\r\n{ua}\r\n"),
        ),
        ("GET 1.0", format!("GET /a HTTP/1.0\r\n{ua}\r\n")),
        (
            "GET 1.0 keep-alive",
            format!("GET /a HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n{ua}\r\n"),
        ),
        (
            "close",
            format!("GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{ua}\r\n"),
        ),
        ("HEAD", format!("HEAD /a HTTP/1.1\r\nHost: x\r\n{ua}\r\n")),
        (
            "pipelined",
            format!("GET /p HTTP/1.1\r\nHost: x\r\n{ua}\r\n").repeat(2),
        ),
        (
            "absolute form",
            format!("GET http://x/abs HTTP/1.1\r\nHost: x\r\n{ua}\r\n"),
        ),
        ("no Host", format!("GET /a HTTP/1.1\r\n{ua}\r\n")),
        (
            "two Hosts",
            format!("GET /a HTTP/1.1\r\nHost: x\r\nHost: y\r\n{ua}\r\n"),
        ),
        (
            "malformed",
            "GET /a HTTP/1.1\r\nHo st: x\r\n\r\n".to_string(),
        ),
        (
            "LF only",
            format!("GET /a HTTP/1.1\nHost: x\n{}\n", ua.replace("\r\n", "\n")),
        ),
        (
            "blocked",
            format!("GET /a?f=../../etc/passwd HTTP/1.1\r\nHost: x\r\n{ua}\r\n"),
        ),
        (
            "OPTIONS *",
            format!("OPTIONS * HTTP/1.1\r\nHost: x\r\n{ua}\r\n"),
        ),
        (
            "POST empty",
            format!("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n{ua}\r\n"),
        ),
        (
            "POST body",
            format!("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n{ua}\r\nhello"),
        ),
        (
            "Keep-Alive field",
            format!("GET /a HTTP/1.1\r\nHost: x\r\nKeep-Alive: timeout=5\r\n{ua}\r\n"),
        ),
        ("Host with a space", format!("GET /a HTTP/1.1\r\nHost: x y\r\n{ua}\r\n")),
        ("non-ASCII value", format!("GET /a HTTP/1.1\r\nHost: x\r\nX-T: caf\u{e9}\r\n{ua}\r\n")),
        ("long target", format!("GET /{} HTTP/1.1\r\nHost: x\r\n{ua}\r\n", "a".repeat(10_000))),
        ("CL and TE", "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_string()),
        (
            "Connection nominates",
            format!("GET /a HTTP/1.1\r\nHost: x\r\nConnection: X-Gone\r\nX-Gone: 1\r\n{ua}\r\n"),
        ),
    ];
    let exchange = |port: u16, raw: &str| -> String {
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        conn.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        conn.write_all(raw.as_bytes()).unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        let end = loop {
            match conn.read(&mut buf) {
                Ok(0) => break "<closed>",
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(_) => break "<open>",
            }
        };
        let text = String::from_utf8_lossy(&out);
        // Field order within each head is compared as a set: pingora's header map moves the
        // last field into the place of a removed one (`Connection`), webacl's fast path keeps
        // the client's order.
        let heads: Vec<String> = text
            .split("\r\n\r\n")
            .map(|block| {
                let mut lines: Vec<&str> = block
                    .split("\r\n")
                    .filter(|l| !l.to_ascii_lowercase().starts_with("date:"))
                    .collect();
                if lines.len() > 1 {
                    lines[1..].sort_unstable();
                }
                lines.join("\r\n")
            })
            .collect();
        format!("{}{end}", heads.join("\r\n\r\n"))
    };
    for (name, raw) in &cases {
        let a = exchange(fast.port, raw);
        let b = exchange(framework.port, raw);
        if *name == "pipelined" {
            // pingora's proxy answers the first of two pipelined requests and closes; the fast
            // path answers both in order (RFC 9112 §9.3.2) and keeps the connection.
            let first = b.strip_suffix("<closed>").unwrap();
            assert!(a.starts_with(first), "{name}: {a}");
            assert_eq!(a.matches("HTTP/1.1 200 OK").count(), 2, "{name}: {a}");
            assert!(a.ends_with("<open>"), "{name}: {a}");
            continue;
        }
        assert_eq!(a, b, "{name}: fast path vs pingora's proxy");
        assert!(a.starts_with("HTTP/1.1 "), "{name}: {a}");
    }
    // The comparison saw the upstream's view too: the echoed request carries no hop-by-hop field.
    let answer = exchange(fast.port, &cases[2].1);
    let (_, seen) = answer.split_once("\r\n\r\n").unwrap();
    assert!(seen.starts_with("GET /a HTTP/1.1\r\n"), "{seen}");
    assert!(!seen.to_ascii_lowercase().contains("connection:"), "{seen}");
}

/// A TOML config holds the settings; flags override it.
#[test]
fn toml_config_and_flag_override() {
    let up = Upstream::start();
    let dir = temp_dir("toml");
    let acl = acl_file(&dir, "acl.json", &blocking_acl("/from-toml"));
    let cfg = dir.join("webacl.toml");
    std::fs::write(&cfg, format!("web-acl = \"acl.json\"\nupstream = \"{}\"\nsource-id = \"from-toml\"\nlisten = \"127.0.0.1:1\"\n", up.url())).unwrap();
    let _ = acl;
    // --listen (set by Proxy::start) overrides the file's unusable port.
    let p = Proxy::start("toml", &["--config", cfg.to_str().unwrap()]);
    assert_eq!(
        client().get(p.url("/from-toml")).send().unwrap().status(),
        403
    );
    assert_eq!(p.log_records(1)[0]["httpSourceId"], "from-toml");
}

/// `webacl serve --help` documents every flag with its default.
#[test]
fn help_documents_flags_and_defaults() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_webacl"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--web-acl",
        "--resources",
        "--upstream",
        "--listen",
        "--admin",
        "--log-file",
        "--log-queue",
        "--source",
        "--source-id",
        "--client-ip-header",
        "--tls-cert",
        "--tls-key",
        "--threads",
        "--work-stealing",
        "--connect-timeout-ms",
        "--read-timeout-ms",
        "--grace-period-secs",
        "--watch",
        "--config",
    ] {
        assert!(text.contains(flag), "{flag} missing from --help:\n{text}");
    }
    let long_flags = text
        .lines()
        .filter(|l| {
            l.trim_start().starts_with("--") && !l.contains("--help") && !l.contains("--version")
        })
        .count();
    let defaults = text.matches("[default:").count();
    assert!(defaults + 1 >= long_flags, "every flag but --config states its default ({defaults} defaults for {long_flags} flags):\n{text}");
}

/// Invalid ACL at start-up: exit status 2 with every problem located by JSON pointer.
#[test]
fn invalid_acl_at_startup_exits_2() {
    let dir = temp_dir("bad");
    let mut bad = blocking_acl("/x");
    bad["WebACL"]["Rules"][0]["Priority"] = json!(-1);
    let path = acl_file(&dir, "acl.json", &bad);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_webacl"))
        .args([
            "serve",
            "--web-acl",
            &path,
            "--listen",
            &format!("127.0.0.1:{}", free_port()),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("/WebACL/Rules/0/Priority"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
