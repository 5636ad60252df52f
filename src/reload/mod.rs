//! Reload: build = load → validate → compile, then swap one snapshot atomically.
//!
//! Everything the request path reads from configuration lives in one immutable [`Snapshot`]
//! behind one `ArcSwap`. A request loads it once and keeps its `Arc` until it is logged, so a
//! reload that lands between the header phase and the body phase changes nothing for it.
//!
//! A build that fails leaves the running snapshot in place: its diagnostics are logged through
//! `tracing`, `webacl_reloads_total{result="failure"}` goes up, and traffic never notices.
//! Builds run on the caller's thread (the watcher thread or the admin listener's blocking pool),
//! never on a request.

pub mod watch;

use crate::admin::sampled::{SampleRings, Sampler};
use crate::compile::{build, BuildOptions, CompiledAcl};
use crate::load::{self, Resources};
use crate::metrics::{Metrics, RuleCounters};
use crate::validate::{Diagnostic, Diagnostics};
use arc_swap::ArcSwap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Where the Web ACL comes from.
#[derive(Debug, Clone)]
pub enum AclSource {
    /// Text compiled into the binary (the starter ACL), labelled for diagnostics.
    Embedded {
        label: &'static str,
        text: &'static str,
    },
    File(PathBuf),
}

/// One compiled Web ACL and everything derived from it that requests read.
pub struct Snapshot {
    pub acl: CompiledAcl,
    /// The Web ACL's `VisibilityConfig.MetricName`.
    pub metric_name: Box<str>,
    /// Where its requests are sampled (the Web ACL's and each rule's `SampledRequestsEnabled`).
    pub samples: SampleRings,
    pub counters: RuleCounters,
    /// Increases by one with every successful reload (1 for the first build).
    pub generation: u64,
}

/// Builds snapshots and swaps them in; one per process.
pub struct Reloader {
    source: AclSource,
    resources: Option<PathBuf>,
    opts: BuildOptions,
    metrics: Arc<Metrics>,
    sampler: Arc<Sampler>,
    current: Arc<ArcSwap<Snapshot>>,
    generation: AtomicU64,
    /// Serializes reloads; holds the file stamps the last build saw.
    state: Mutex<Vec<Stamp>>,
}

/// A file's identity for change detection.
type Stamp = (PathBuf, Option<SystemTime>, u64);

/// What a successful reload reports.
#[derive(Debug, Clone)]
pub struct Applied {
    pub generation: u64,
    pub summary: String,
}

impl Reloader {
    /// Builds the first snapshot. Errors: every problem the ACL or its resources have.
    pub fn new(
        source: AclSource,
        resources: Option<PathBuf>,
        opts: BuildOptions,
        metrics: Arc<Metrics>,
        sampler: Arc<Sampler>,
    ) -> Result<Reloader, Vec<Diagnostic>> {
        let stamps = stamps(&source, resources.as_deref());
        let snap = build_snapshot(&source, resources.as_deref(), &opts, &metrics, &sampler, 1)?;
        Ok(Reloader {
            source,
            resources,
            opts,
            metrics,
            sampler,
            current: Arc::new(ArcSwap::from_pointee(snap)),
            generation: AtomicU64::new(1),
            state: Mutex::new(stamps),
        })
    }

    /// The shared snapshot handle the proxy loads from.
    pub fn current(&self) -> Arc<ArcSwap<Snapshot>> {
        self.current.clone()
    }

    /// Rebuilds from the source and swaps the result in, or keeps the running snapshot.
    /// `why` names the trigger in logs (`SIGHUP`, `POST /reload`, `file change`).
    ///
    /// Cost: a full load + compile of the ACL, on the calling thread.
    pub fn reload(&self, why: &str) -> Result<Applied, Vec<Diagnostic>> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        *state = stamps(&self.source, self.resources.as_deref());
        let generation = self.generation.load(Ordering::Relaxed) + 1;
        match build_snapshot(
            &self.source,
            self.resources.as_deref(),
            &self.opts,
            &self.metrics,
            &self.sampler,
            generation,
        ) {
            Ok(snap) => {
                let summary = crate::check::summary(&snap.acl);
                self.current.store(Arc::new(snap));
                self.generation.store(generation, Ordering::Relaxed);
                self.metrics.reload_succeeded();
                tracing::info!(trigger = why, generation, "reload applied: {summary}");
                Ok(Applied {
                    generation,
                    summary,
                })
            }
            Err(diags) => {
                self.metrics.reload_failed();
                for d in &diags {
                    tracing::error!(trigger = why, "reload rejected: {d}");
                }
                tracing::error!(trigger = why, "reload rejected: {} problem(s); the running Web ACL (generation {}) keeps serving", diags.len(), generation - 1);
                Err(diags)
            }
        }
    }

    /// Whether the ACL file or any resource file changed since the last build (mtime or size).
    pub fn changed_on_disk(&self) -> bool {
        let now = stamps(&self.source, self.resources.as_deref());
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        now != *state
    }
}

fn stamps(source: &AclSource, resources: Option<&Path>) -> Vec<Stamp> {
    let mut paths = Vec::new();
    if let AclSource::File(p) = source {
        paths.push(p.clone());
    }
    if let Some(dir) = resources {
        if let Ok(rd) = std::fs::read_dir(dir) {
            let mut more: Vec<PathBuf> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            more.sort();
            paths.extend(more);
        }
    }
    paths
        .into_iter()
        .map(|p| {
            let meta = std::fs::metadata(&p).ok();
            let mtime = meta.as_ref().and_then(|m| m.modified().ok());
            let len = meta.map_or(0, |m| m.len());
            (p, mtime, len)
        })
        .collect()
}

/// load → validate → compile → snapshot.
fn build_snapshot(
    source: &AclSource,
    resources: Option<&Path>,
    opts: &BuildOptions,
    metrics: &Metrics,
    sampler: &Sampler,
    generation: u64,
) -> Result<Snapshot, Vec<Diagnostic>> {
    let (label, text) = match source {
        AclSource::Embedded { label, text } => (label.to_string(), text.to_string()),
        AclSource::File(p) => {
            let label = p.display().to_string();
            match std::fs::read_to_string(p) {
                Ok(t) => (label, t),
                Err(e) => {
                    return Err(vec![Diagnostic {
                        file: label,
                        pointer: String::new(),
                        rule: None,
                        message: format!("cannot read: {e}"),
                    }])
                }
            }
        }
    };
    let mut diags = Diagnostics::new(label.clone());
    let doc = load::web_acl_str(&text, &label, &mut diags);
    let res = match resources {
        Some(dir) => load::resources_dir(dir, &mut diags),
        None => Resources::default(),
    };
    let Some(doc) = doc else {
        return Err(diags.into_vec());
    };
    let acl = match build(&doc, &res, opts) {
        Ok(acl) if diags.is_empty() => acl,
        Ok(_) => return Err(diags.into_vec()),
        Err(more) => {
            let mut all = diags.into_vec();
            all.extend(more);
            return Err(all);
        }
    };
    let metric_name = acl.visibility().metric_name.clone();
    let samples = sampler.rings(&acl, &metric_name, acl.visibility().sampled);
    let counters = metrics.rule_counters(&acl, &metric_name);
    Ok(Snapshot {
        acl,
        metric_name,
        samples,
        counters,
        generation,
    })
}
