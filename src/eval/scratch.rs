//! Per-thread reusable state for evaluation: cleared between requests, never reallocated once warm.

use super::verdict::Verdict;
use crate::compile::bank::{Bits, RegexCache};
use crate::compile::CompiledAcl;
use crate::detect::DetectScratch;
use crate::transform::Triggers;

/// The computed values of one slot for the current request.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SlotState {
    pub computed: bool,
    pub present: bool,
    pub oversize: bool,
    pub json_invalid: bool,
    pub literal_done: bool,
    pub regex_done: bool,
    /// Range into `Scratch::ranges`.
    pub first: u32,
    pub end: u32,
}

/// What is known of one value's bytes, beside its range.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ValueFacts {
    /// What is known of its trigger bytes (learnt by the chains of the slots derived from it).
    pub triggers: Triggers,
    /// The value whose bytes these are: its own index, or, when a slot shares its parent's bytes,
    /// the parent value's origin. Detector verdicts are kept there, so that bytes several slots
    /// share are checked once.
    pub origin: u32,
    /// Detector verdicts known to be negative for these bytes (`CLEAN_*` bits; at the origin).
    pub clean: u8,
}

pub(crate) const CLEAN_SQLI_LOW: u8 = 1;
pub(crate) const CLEAN_SQLI_HIGH: u8 = 2;
pub(crate) const CLEAN_XSS: u8 = 4;

impl ValueFacts {
    /// A value with bytes of its own, at index `index`.
    pub fn own(triggers: Triggers, index: usize) -> ValueFacts {
        ValueFacts {
            triggers,
            origin: index as u32,
            clean: 0,
        }
    }
}

/// Leaf memo values.
pub(crate) const UNKNOWN: u8 = 0;
pub(crate) const FALSE: u8 = 1;
pub(crate) const TRUE: u8 = 2;
pub(crate) const NOT_APPLIED: u8 = 3;

/// Reusable evaluation state. One per worker thread; pass it to every [`super::evaluate`] call.
#[derive(Default)]
pub struct Scratch {
    pub(crate) slots: Vec<SlotState>,
    /// Value ranges into `arena`...
    pub(crate) ranges: Vec<(u32, u32)>,
    /// ...and what is known of each value's bytes.
    pub(crate) facts: Vec<ValueFacts>,
    pub(crate) arena: Vec<u8>,
    pub(crate) bits: Bits,
    pub(crate) leaf_memo: Vec<u8>,
    /// Per slot, then per regex family (after the slots).
    pub(crate) regex_caches: Vec<Option<RegexCache>>,
    /// Per regex family: whether a merged scan was considered for the current request.
    pub(crate) family_tried: Vec<bool>,
    /// Per screen: whether it ran for this request, and the leaves it woke.
    pub(crate) screen_done: Vec<bool>,
    pub(crate) screen_woken: Vec<u64>,
    /// A screen's component, lower-cased values end to end.
    pub(crate) screen_buf: Vec<u8>,
    /// Per screen: its component's values as extracted (`computed` once it read them all).
    pub(crate) screen_capture: Vec<SlotState>,
    pub(crate) extract: crate::inspect::extract::ExtractScratch,
    pub(crate) tbuf: Vec<u8>,
    pub(crate) tbuf2: Vec<u8>,
    pub(crate) detect: DetectScratch,
    pub(crate) tokens: Vec<Vec<u8>>,
    /// Labels on the request so far: ranges into `label_text`.
    pub(crate) labels: Vec<(u32, u32)>,
    pub(crate) label_text: String,
    /// Reused to build labels that are not known at compile time (geo).
    pub(crate) label_buf: String,
    /// The aggregation key of the rate rule being counted.
    pub(crate) rate_key: Vec<u8>,
    /// The countries (and whether of a forwarded address) the request's GeoMatch statements
    /// looked up, each once; those from `geo_labelled` on get their labels when the current
    /// rule ends, and a later GeoMatch on the same address adds nothing new.
    pub(crate) geo_seen: Vec<([u8; 2], bool)>,
    pub(crate) geo_labelled: usize,
    /// Which oversize components a statement actually inspected (bit per component).
    pub(crate) oversize_seen: u8,
    /// When set, evaluation writes a readable trace here (`--explain`).
    pub trace: Option<String>,
    pub verdict: Verdict,
    /// Identity of the ACL the buffers are sized for.
    acl_id: usize,
    bank_bits: u32,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch::default()
    }

    /// Prepares for a new request on `acl`; sizes buffers for it the first time it is seen.
    pub(crate) fn reset(&mut self, acl: &CompiledAcl) {
        let id = acl as *const CompiledAcl as usize;
        if id != self.acl_id
            || self.slots.len() != acl.slots.len()
            || self.family_tried.len() != acl.regex_families.len()
        {
            self.acl_id = id;
            self.regex_caches.clear();
            self.regex_caches
                .resize_with(acl.slots.len() + acl.regex_families.len(), || None);
            self.bank_bits = acl.bank_bits;
        }
        self.slots.clear();
        self.slots.resize(acl.slots.len(), SlotState::default());
        self.leaf_memo.clear();
        self.leaf_memo.resize(acl.leaves.len(), UNKNOWN);
        self.family_tried.clear();
        self.family_tried.resize(acl.regex_families.len(), false);
        self.screen_done.clear();
        self.screen_done.resize(acl.screens.list.len(), false);
        self.screen_woken.resize(acl.screens.list.len(), 0);
        self.screen_capture.clear();
        self.screen_capture
            .resize(acl.screens.list.len(), SlotState::default());
        self.bits.reset(self.bank_bits);
        self.ranges.clear();
        self.facts.clear();
        self.arena.clear();
        self.labels.clear();
        self.label_text.clear();
        self.geo_seen.clear();
        self.geo_labelled = 0;
        self.oversize_seen = 0;
        if let Some(t) = &mut self.trace {
            t.clear();
        }
        self.verdict.clear();
    }

    /// The labels on the request, in the order they were added.
    pub fn labels(&self) -> impl Iterator<Item = &str> + Clone {
        self.labels
            .iter()
            .map(|&(a, b)| &self.label_text[a as usize..b as usize])
    }

    pub(crate) fn has_label(&self, label: &str) -> bool {
        self.labels().any(|l| l == label)
    }

    pub(crate) fn add_label(&mut self, label: &str) {
        if !self.has_label(label) {
            let start = self.label_text.len() as u32;
            self.label_text.push_str(label);
            self.labels.push((start, self.label_text.len() as u32));
        }
    }

    /// Values of a computed slot.
    pub(crate) fn values(&self, slot: usize) -> impl Iterator<Item = &[u8]> {
        slot_values(&self.slots, &self.ranges, &self.arena, slot)
    }
}

/// Appends `line()` to the `--explain` trace when one is being written. The line is built in a
/// cold function of its own, so that the formatting code of the many trace points is laid out
/// away from the hot path's instructions instead of between them.
#[inline(always)]
pub(crate) fn trace(s: &mut Scratch, line: impl FnOnce() -> String) {
    if s.trace.is_some() {
        write_trace(s, line);
    }
}

#[cold]
#[inline(never)]
fn write_trace(s: &mut Scratch, line: impl FnOnce() -> String) {
    let text = line();
    if let Some(t) = &mut s.trace {
        t.push_str(&text);
    }
}

/// Values of a computed slot, from the three fields that hold them; a free function so callers can
/// borrow other parts of the scratch (detector state, bits, caches) mutably at the same time.
pub(crate) fn slot_values<'a>(
    slots: &[SlotState],
    ranges: &'a [(u32, u32)],
    arena: &'a [u8],
    slot: usize,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    let st = slots[slot];
    ranges[st.first as usize..st.end as usize]
        .iter()
        .map(move |&(a, b)| &arena[a as usize..b as usize])
}
