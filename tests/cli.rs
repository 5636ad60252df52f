//! `webacl check` as a user runs it: the real binary, real files, exit codes and output streams.

use std::io::Write;
use std::process::{Command, Stdio};

#[path = "common/sweep.rs"]
mod sweep;

fn webacl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_webacl"))
}

fn temp(name: &str, text: &str) -> std::path::PathBuf {
    static SWEEP: std::sync::Once = std::sync::Once::new();
    SWEEP.call_once(|| sweep::stale("webacl-cli-"));
    let dir = std::env::temp_dir().join(format!("webacl-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const ACL: &str = r#"{"WebACL": {"Name": "cli", "Id": "1", "ARN": "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/cli/1",
  "DefaultAction": {"Allow": {}}, "Capacity": 2,
  "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "cli"},
  "Rules": [{"Name": "block-admin", "Priority": 0, "Action": {"Block": {}},
    "Statement": {"ByteMatchStatement": {"SearchString": "L2FkbWlu", "FieldToMatch": {"UriPath": {}},
      "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "STARTS_WITH"}},
    "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "block-admin"}}]},
  "LockToken": "x"}"#;

#[test]
fn check_without_requests_prints_a_summary() {
    let acl = temp("ok.json", ACL);
    let out = webacl()
        .args(["check", "--web-acl"])
        .arg(&acl)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\"cli\"") && text.contains("capacity 2 WCU"),
        "{text}"
    );
}

#[test]
fn check_replays_requests_one_record_per_line_in_order() {
    let acl = temp("ok2.json", ACL);
    let mut child = webacl()
        .args(["check", "--explain", "--requests", "-", "--web-acl"])
        .arg(&acl)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let reqs = "{\"uri\":\"/admin/x\",\"clientIp\":\"192.0.2.1\"}\n\n{\"uri\":\"/home\",\"clientIp\":\"192.0.2.2\"}\n{\"httpRequest\":{\"uri\":\"/admin\",\"clientIp\":\"10.*.*.*\"},\"timestamp\":5}\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(reqs.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["action"], "BLOCK");
    assert_eq!(lines[0]["terminatingRuleId"], "block-admin");
    assert_eq!(lines[1]["action"], "ALLOW");
    assert_eq!(lines[2]["action"], "BLOCK");
    assert_eq!(lines[2]["timestamp"], 5);
    assert_eq!(
        lines[2]["httpRequest"]["clientIp"], "10.*.*.*",
        "masked addresses in replayed logs are kept as written"
    );
    let trace = String::from_utf8_lossy(&out.stderr);
    assert!(
        trace.contains("rule \"block-admin\" (priority 0)")
            && trace.contains("=> BLOCK")
            && trace.contains("=> ALLOW"),
        "{trace}"
    );
}

#[test]
fn an_invalid_acl_exits_2_and_lists_every_problem() {
    let bad = ACL.replace("STARTS_WITH", "START_WITH").replace(
        "\"Priority\": 0, \"Action\"",
        "\"Priority\": -1, \"Bogus\": 1, \"Action\"",
    );
    let acl = temp("bad.json", &bad);
    let out = webacl()
        .args(["check", "--web-acl"])
        .arg(&acl)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/WebACL/Rules/0/Bogus (rule \"block-admin\"): unknown member \"Bogus\""),
        "{err}"
    );
    assert!(err.contains("/WebACL/Rules/0/Statement/ByteMatchStatement/PositionalConstraint (rule \"block-admin\"): unknown value \"START_WITH\""), "{err}");
    assert!(err.contains("did you mean STARTS_WITH?"), "{err}");
    assert!(
        err.contains(
            "/WebACL/Rules/0/Priority (rule \"block-admin\"): priority must be 0 or more, found -1"
        ),
        "{err}"
    );
    assert!(err.contains("3 problem(s) found"), "{err}");
}

#[test]
fn a_bad_request_line_is_reported_and_the_rest_still_replay() {
    let acl = temp("ok3.json", ACL);
    let reqs = temp(
        "reqs.jsonl",
        "{\"uri\":\"/a\"}\nnot json\n{\"uri\":\"/admin\"}\n",
    );
    let out = webacl()
        .args(["check", "--web-acl"])
        .arg(&acl)
        .arg("--requests")
        .arg(&reqs)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("request line 2"));
}
