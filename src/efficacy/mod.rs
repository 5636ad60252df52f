//! `webacl efficacy`: how well a Web ACL catches a corpus of attacks and lets a corpus of benign
//! values through, per group, per rule, per placement, per encoder and per corpus file.
//!
//! Flow: [`corpus::load`] reads GoTestWAF test cases and plain line lists → each test case becomes
//! a request ([`placeholder`] for GoTestWAF's placements after an [`encoder`], [`location`] for
//! line lists) → the engine evaluates it exactly as `webacl check` would ([`probe`] builds the same
//! `OwnedRequest`) → [`tally`] counts the verdict → [`report`] prints a table or JSON.
//!
//! What it must not do: send anything over a network, or drop a test case silently. A case that
//! cannot be represented (gRPC, a header GoTestWAF's Go client would refuse to send...) is counted
//! as skipped with its reason; a corpus file that cannot be read is listed with its reason.

pub mod corpus;
pub mod encoder;
mod go_url;
pub mod gotestwaf;
pub mod layout;
pub mod lines;
pub mod location;
pub mod names;
pub mod placeholder;
pub mod probe;
pub mod progress;
pub mod report;
pub mod tally;
mod yaml_repair;

use crate::compile::{build, BuildOptions, CompiledAcl};
use crate::eval::{evaluate, Scratch};
use crate::load::{self, Resources};
use crate::validate::{Diagnostic, Diagnostics};
use corpus::{Content, Corpus};
use layout::Layout;
use location::Location;
use names::Names;
use progress::Progress;
use std::io::Write;
use std::path::Path;
use tally::{CaseKey, Tally};

/// Loads, validates and compiles the Web ACL to measure: `path`, or the embedded starter ACL
/// when `None`. Returns the ACL and how to name its source in the report.
pub fn load_acl(
    path: Option<&Path>,
    resources: Option<&Path>,
    opts: &BuildOptions,
) -> Result<(CompiledAcl, String), Vec<Diagnostic>> {
    let Some(path) = path else {
        let label = "rulesets/starter-acl.json (embedded)";
        let mut diags = Diagnostics::new(label.to_string());
        let doc = load::web_acl_str(crate::serve::STARTER_ACL, label, &mut diags);
        let res = match resources {
            Some(dir) => load::resources_dir(dir, &mut diags),
            None => Resources::default(),
        };
        let Some(doc) = doc else {
            return Err(diags.into_vec());
        };
        return match build(&doc, &res, opts) {
            Ok(acl) if diags.is_empty() => Ok((acl, label.to_string())),
            Ok(_) => Err(diags.into_vec()),
            Err(more) => Err(diags.into_vec().into_iter().chain(more).collect()),
        };
    };
    crate::check::load_acl(path, resources, opts).map(|acl| (acl, path.display().to_string()))
}

/// The counts of one run, with the ACL's layout they are indexed by.
pub struct Outcome {
    pub layout: Layout,
    pub tally: Tally,
}

/// Evaluates every test case of `corpus` against `acl`, ticking `progress` once per case, and
/// writes one JSON line per case to `cases` when given (see [`case_record`]).
///
/// Cost: one request build and one evaluation per case (microseconds each); memory holds one
/// request at a time. Errors are write errors on `cases`.
pub fn run<W: Write>(
    acl: &CompiledAcl,
    corpus: &Corpus,
    progress: &mut Progress<W>,
    mut cases: Option<&mut dyn Write>,
) -> std::io::Result<Outcome> {
    let layout = Layout::of(acl);
    let mut tally = Tally::new(acl, &layout, corpus.files.len());
    let mut scratch = Scratch::new();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let mut seq = 0u64;
    let mut one = |key: CaseKey<'_>,
                   expect: corpus::Expect,
                   payload: &[u8],
                   probe: Result<probe::Probe, String>,
                   seq: u64|
     -> std::io::Result<()> {
        let mut record = None;
        match probe {
            Ok(p) => {
                let req = p.into_request(seq, now_ms);
                let headers = req.header_pairs();
                let view = req.view(&headers);
                let verdict = evaluate(acl, &view, &mut scratch);
                tally.record(acl, &layout, verdict, key, expect);
                if cases.is_some() {
                    record = Some(case_record(acl, corpus, key, expect, payload, Ok(verdict)));
                }
            }
            Err(reason) => {
                tally.skip(key.file, key.placement, &reason);
                if cases.is_some() {
                    record = Some(case_record(acl, corpus, key, expect, payload, Err(&reason)));
                }
            }
        }
        if let (Some(out), Some(rec)) = (cases.as_deref_mut(), record) {
            serde_json::to_writer(&mut *out, &rec)?;
            out.write_all(b"\n")?;
        }
        progress.tick();
        Ok(())
    };
    for (file, cf) in corpus.files.iter().enumerate() {
        match &cf.content {
            Content::TestCases(tc) => {
                for payload in &tc.payloads {
                    for enc in &tc.encoders {
                        let encoded = enc.as_ref().map(|e| e.encode(payload));
                        let enc_name = match enc {
                            Ok(e) => e.name(),
                            Err(name) => name.as_str(),
                        };
                        for ph in &tc.placeholders {
                            seq += 1;
                            let key = CaseKey {
                                file,
                                placement: ph.name(),
                                encoder: Some(enc_name),
                            };
                            let probe = match &encoded {
                                Ok(p) => ph.build(p, &mut Names::for_case(seq)),
                                Err(name) => {
                                    Err(format!("encoder {name} is not one GoTestWAF defines"))
                                }
                            };
                            one(key, cf.expect, payload.as_bytes(), probe, seq)?;
                        }
                    }
                }
            }
            Content::Lines(values) => {
                for value in values {
                    for loc in Location::ALL {
                        seq += 1;
                        let key = CaseKey {
                            file,
                            placement: loc.name(),
                            encoder: None,
                        };
                        one(key, cf.expect, value, loc.build(value), seq)?;
                    }
                }
            }
        }
    }
    Ok(Outcome { layout, tally })
}

/// One `--cases` line: where the case comes from, its payload (before encoding), and what the Web
/// ACL did (`action`, `terminating_rule`) or why it was skipped (`skipped`).
pub fn case_record(
    acl: &CompiledAcl,
    corpus: &Corpus,
    key: CaseKey<'_>,
    expect: corpus::Expect,
    payload: &[u8],
    verdict: Result<&crate::eval::Verdict, &str>,
) -> serde_json::Value {
    let file = corpus.files.get(key.file).map(|f| f.name.as_str());
    let mut rec = serde_json::json!({
        "file": file,
        "placement": key.placement,
        "encoder": key.encoder,
        "expected": expect,
        "payload": String::from_utf8_lossy(payload),
    });
    match verdict {
        Ok(v) => {
            let rule_name =
                |id: crate::compile::RuleId| acl.rules.get(id as usize).map(|r| r.name.to_string());
            let terminating = match v.terminator {
                crate::eval::Terminator::Default => None,
                crate::eval::Terminator::Rule(id) => rule_name(id),
                crate::eval::Terminator::Group { top, inner } => rule_name(top)
                    .zip(rule_name(inner))
                    .map(|(t, i)| format!("{t}/{i}")),
            };
            rec["action"] = v.action().log_name().into();
            rec["terminating_rule"] = terminating.into();
        }
        Err(reason) => rec["skipped"] = reason.into(),
    }
    rec
}
