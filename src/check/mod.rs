//! `webacl check`: validate and compile a Web ACL, then (optionally) replay requests through it and
//! print one AWS WAF log record per request.

pub mod input;

use crate::compile::{build, BuildOptions, CompiledAcl};
use crate::eval::{evaluate, Scratch};
use crate::load::{self, Resources};
use crate::log::{record, LogContext};
use crate::validate::{Diagnostic, Diagnostics};
use input::OwnedRequest;
use std::io::{BufRead, Write};
use std::path::Path;

/// Loads, validates and compiles an ACL file with an optional resources directory.
pub fn load_acl(
    acl_path: &Path,
    resources: Option<&Path>,
    opts: &BuildOptions,
) -> Result<CompiledAcl, Vec<Diagnostic>> {
    let mut diags = Diagnostics::new(acl_path.display().to_string());
    let doc = load::web_acl_file(acl_path, &mut diags);
    let res = match resources {
        Some(dir) => load::resources_dir(dir, &mut diags),
        None => Resources::default(),
    };
    let Some(doc) = doc else {
        return Err(diags.into_vec());
    };
    match build(&doc, &res, opts) {
        Ok(acl) if diags.is_empty() => Ok(acl),
        Ok(_) => Err(diags.into_vec()),
        Err(more) => {
            let mut all = diags.into_vec();
            all.extend(more);
            Err(all)
        }
    }
}

/// One line describing a compiled ACL.
pub fn summary(acl: &CompiledAcl) -> String {
    format!(
        "Web ACL \"{}\": {} top-level rule(s) ({} in all, groups included), capacity {} WCU{}, default action {}, {} distinct inspected fields, body inspection limit {} bytes ({}){}",
        acl.name(),
        acl.top_level_rules(),
        acl.total_rules(),
        acl.capacity(),
        match acl.declared_capacity() {
            Some(c) if c == acl.capacity() => " (AWS printed the same)".to_string(),
            Some(c) => format!(" (AWS printed {c}; AWS may discount repeated transformations)"),
            None => String::new(),
        },
        acl.default_action().log_name(),
        acl.slot_count(),
        acl.body_limit(),
        acl.source().log_name(),
        if acl.uses_body() { "" } else { "; no rule reads the body" }
    )
}

/// Replays request lines from `input` through `acl`, writing one log record per line to `out` and,
/// with `explain`, a trace per request to `trace_out`. Returns the number of unreadable lines.
pub fn replay(
    acl: &CompiledAcl,
    input: impl BufRead,
    out: &mut impl Write,
    explain: Option<&mut dyn Write>,
    source_id: &str,
) -> std::io::Result<usize> {
    let mut scratch = Scratch::new();
    let mut explain = explain;
    if explain.is_some() {
        scratch.trace = Some(String::new());
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let mut bad = 0;
    for (n, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let req = match OwnedRequest::parse(&line, now) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("request line {}: {e}; skipped", n + 1);
                bad += 1;
                continue;
            }
        };
        let headers = req.header_pairs();
        let view = req.view(&headers);
        evaluate(acl, &view, &mut scratch);
        let request_id = req
            .http
            .request_id
            .clone()
            .unwrap_or_else(|| format!("webacl-check-{}", n + 1));
        let ctx = LogContext {
            source_id,
            request_id: &request_id,
            client_ip: &req.http.client_ip,
            response_code_override: None,
            scheme: req.http.scheme.as_deref(),
            host: req.http.host.as_deref(),
        };
        let rec = record(acl, &view, &scratch, &ctx);
        serde_json::to_writer(&mut *out, &rec)?;
        out.write_all(b"\n")?;
        if let (Some(w), Some(trace)) = (explain.as_deref_mut(), scratch.trace.as_ref()) {
            writeln!(
                w,
                "── request {} ({} {}{}) ──",
                n + 1,
                req.http.http_method,
                req.path,
                if req.query.is_empty() {
                    String::new()
                } else {
                    format!("?{}", req.query)
                }
            )?;
            w.write_all(trace.as_bytes())?;
            writeln!(w, "=> {}", scratch.verdict.action().log_name())?;
        }
    }
    out.flush()?;
    Ok(bad)
}
