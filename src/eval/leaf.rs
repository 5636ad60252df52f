//! Leaf statements: slot computation (memoized per request), bank scans, and the leaf tests.

use super::scratch::{
    slot_values, Scratch, SlotState, ValueFacts, CLEAN_SQLI_HIGH, CLEAN_SQLI_LOW, CLEAN_XSS, FALSE,
    NOT_APPLIED, TRUE,
};
use super::verdict::{OVERSIZE_BODY, OVERSIZE_COOKIES, OVERSIZE_HEADERS, OVERSIZE_JSON_BODY};
use crate::compile::bank::RegexBank;
use crate::compile::screen::{NO_SCREEN, SCREEN_MAX_BYTES, SCREEN_SEPARATOR};
use crate::compile::slot::FieldSel;
use crate::compile::Source;
use crate::compile::{
    CompiledAcl, FieldLeaf, FieldTest, IpSource, Leaf, LeafId, Node, Position, RuleId,
};
use crate::detect::{self, sqli_prefilter, xss, Sensitivity};
use crate::inspect::extract::extract;
use crate::inspect::Request;
use crate::model::{ComparisonOperator, LabelMatchScope, OversizeHandling};
use crate::transform::{apply_chain_if_changed, Triggers};
use std::net::IpAddr;

/// With `Position: ANY`, AWS examines at most the last this-many addresses of the header.
pub const FORWARDED_ANY_MAX_ADDRESSES: usize = 10;

/// Evaluates a statement tree. `None` means "not applied" (a forwarded-IP header was absent): it
/// propagates through Not, and through And/Or unless another operand decides the result.
pub(crate) fn node(acl: &CompiledAcl, req: &Request, s: &mut Scratch, n: &Node) -> Option<bool> {
    match n {
        Node::Leaf(id) => leaf(acl, req, s, *id),
        Node::Not(inner) => node(acl, req, s, inner).map(|b| !b),
        Node::And(list) => {
            let mut applied = true;
            for n in list.iter() {
                match node(acl, req, s, n) {
                    Some(false) => return Some(false),
                    None => applied = false,
                    Some(true) => {}
                }
            }
            applied.then_some(true)
        }
        Node::Or(list) => {
            let mut applied = true;
            for n in list.iter() {
                match node(acl, req, s, n) {
                    Some(true) => return Some(true),
                    None => applied = false,
                    Some(false) => {}
                }
            }
            applied.then_some(false)
        }
    }
}

pub(crate) fn leaf(acl: &CompiledAcl, req: &Request, s: &mut Scratch, id: LeafId) -> Option<bool> {
    let l = &acl.leaves[id as usize];
    // Label tests depend on what earlier rules added, so they are never memoized.
    if let Leaf::Label {
        scope,
        key,
        context,
    } = l
    {
        let r = s
            .labels()
            .any(|label| label_matches(*scope, key, context, label));
        trace_leaf(acl, s, id, Some(r), false);
        return Some(r);
    }
    match s.leaf_memo[id as usize] {
        TRUE => return Some(true),
        FALSE => return Some(false),
        NOT_APPLIED => return None,
        // UNKNOWN: not evaluated yet for this request.
        _ => {}
    }
    let mut screened = false;
    let r = match l {
        Leaf::Field(f) => {
            screened = screened_out(acl, req, s, id);
            Some(!screened && field(acl, req, s, f))
        }
        Leaf::Ip { table, source } => ip_addresses(req, source, &mut |ip| {
            acl.ip_tables[*table as usize].contains(ip)
        }),
        Leaf::Geo { codes, source } => geo(req, s, codes, source),
        // Handled above: label tests are never memoized.
        Leaf::Label { .. } => Some(false),
    };
    s.leaf_memo[id as usize] = match r {
        Some(true) => TRUE,
        Some(false) => FALSE,
        None => NOT_APPLIED,
    };
    trace_leaf(acl, s, id, r, screened);
    r
}

/// Whether the leaf's screen proves it false (see `compile::screen`); the screen runs at the
/// request's first question to it.
fn screened_out(acl: &CompiledAcl, req: &Request, s: &mut Scratch, id: LeafId) -> bool {
    match acl.screens.of(id) {
        Some((ix, bit)) => woken(acl, req, s, ix as usize) & bit == 0,
        None => false,
    }
}

/// Whether rule `id`'s screen condition (`Screens::of_rule`) proves its statement false, so that
/// its walk can be skipped. Never while tracing: the trace lists each leaf the walk tests.
#[inline(always)]
pub(crate) fn rule_screened_out(
    acl: &CompiledAcl,
    req: &Request,
    s: &mut Scratch,
    id: RuleId,
) -> bool {
    let (ix, leaves) = acl
        .screens
        .of_rule
        .get(id as usize)
        .copied()
        .unwrap_or((NO_SCREEN, 0));
    ix != NO_SCREEN && s.trace.is_none() && woken(acl, req, s, ix as usize) & leaves == 0
}

/// The leaves screen `ix` woke for this request; the screen runs at the first question.
#[inline(always)]
fn woken(acl: &CompiledAcl, req: &Request, s: &mut Scratch, ix: usize) -> u64 {
    if !s.screen_done[ix] {
        s.screen_woken[ix] = run_screen(acl, req, s, ix);
        s.screen_done[ix] = true;
    }
    s.screen_woken[ix]
}

/// The leaves (bits) screen `ix` wakes for this request. A screen that keeps a capture (a JSON
/// body's, whose extraction is a parse) leaves the component's values in the arena, and its
/// slots are then computed from them without extracting it again (see [`slot`]).
#[inline(never)]
fn run_screen(acl: &CompiledAcl, req: &Request, s: &mut Scratch, ix: usize) -> u64 {
    let screen = &acl.screens.list[ix];
    let Scratch {
        extract: xs,
        screen_buf: buf,
        screen_capture,
        arena,
        ranges,
        facts,
        ..
    } = s;
    buf.clear();
    let (first, start) = (ranges.len(), arena.len());
    let mut too_long = false;
    let mut any_byte = false;
    let captures = screen.captures;
    let slot = &acl.slots[screen.slot as usize];
    // Two closures, not one with a branch: the capturing one's larger state cost the others
    // ≈ 400 instructions per request (load request, 8 screens).
    let x = if captures {
        extract(slot, req, acl.body_limit, xs, &mut |raw| {
            any_byte |= !raw.is_empty();
            if buf.len() + raw.len() >= SCREEN_MAX_BYTES {
                too_long = true;
                return;
            }
            buf.extend_from_slice(raw);
            buf.push(SCREEN_SEPARATOR);
            let a = arena.len() as u32;
            arena.extend_from_slice(raw);
            facts.push(ValueFacts::own(Triggers::UNKNOWN, ranges.len()));
            ranges.push((a, arena.len() as u32));
        })
    } else {
        extract(slot, req, acl.body_limit, xs, &mut |raw| {
            any_byte |= !raw.is_empty();
            if buf.len() + raw.len() >= SCREEN_MAX_BYTES {
                too_long = true;
            } else {
                buf.extend_from_slice(raw);
                buf.push(SCREEN_SEPARATOR);
            }
        })
    };
    if too_long {
        arena.truncate(start);
        ranges.truncate(first);
        facts.truncate(first);
        return u64::MAX;
    }
    if captures {
        screen_capture[ix] = SlotState {
            computed: true,
            present: x.present,
            oversize: x.oversize,
            json_invalid: x.json_invalid,
            literal_done: false,
            regex_done: false,
            first: first as u32,
            end: ranges.len() as u32,
        };
    }
    if x.oversize {
        return u64::MAX;
    }
    // Every string and byte a leaf needs lies within one value: empty values hold none.
    if !any_byte {
        return 0;
    }
    buf.make_ascii_lowercase();
    screen.wake(buf)
}

fn field(acl: &CompiledAcl, req: &Request, s: &mut Scratch, f: &FieldLeaf) -> bool {
    let st = slot(acl, req, s, f.slot as usize);
    if !st.present {
        return f.missing.unwrap_or(false);
    }
    if st.json_invalid {
        if let Some(fallback) = f.json_invalid {
            return fallback;
        }
    }
    if st.oversize {
        s.verdict.oversize |= match acl.slots[f.slot as usize].field {
            FieldSel::Body => OVERSIZE_BODY,
            FieldSel::JsonBody { .. } => OVERSIZE_JSON_BODY,
            FieldSel::Cookies { .. } => OVERSIZE_COOKIES,
            _ => OVERSIZE_HEADERS,
        };
        match f.oversize {
            OversizeHandling::Match => return true,
            OversizeHandling::NoMatch => return false,
            OversizeHandling::Continue => {}
        }
    }
    let slot_ix = f.slot as usize;
    match &f.test {
        FieldTest::Bytes { bit, .. } => {
            literal_scan(acl, s, slot_ix);
            s.bits.get(*bit)
        }
        FieldTest::Regex { first, count } => {
            regex_scan(acl, req, s, slot_ix);
            s.bits.any_in(*first, *count)
        }
        FieldTest::Size { op, size } => s
            .values(slot_ix)
            .any(|v| compare(*op, v.len() as u64, *size)),
        FieldTest::Sqli(level) => {
            // A value clean at High is clean at Low too (High flags a superset).
            let (known_clean, now_clean) = match level {
                Sensitivity::Low => (CLEAN_SQLI_LOW | CLEAN_SQLI_HIGH, CLEAN_SQLI_LOW),
                Sensitivity::High => (CLEAN_SQLI_HIGH, CLEAN_SQLI_HIGH),
            };
            let Scratch {
                slots,
                ranges,
                facts,
                arena,
                detect,
                tokens,
                ..
            } = s;
            let values = Values::of(slots[slot_ix], ranges, arena);
            detect_once(values, facts, (known_clean, now_clean), None, |v| {
                // The prefilter first, inlined: most values end there, before the detector's
                // bookkeeping (the tokens kept here are not read; details.rs re-derives them).
                sqli_prefilter::may_be_sqli(v) && detect::is_sqli(v, *level, detect, tokens)
            })
        }
        FieldTest::Xss => {
            let Scratch {
                slots,
                ranges,
                facts,
                arena,
                detect,
                ..
            } = s;
            let values = Values::of(slots[slot_ix], ranges, arena);
            let many = values.ranges.len() >= BLOCK_SEARCH_MIN_VALUES as usize;
            let triggers = many.then_some(xss::next_trigger as FindTrigger);
            detect_once(values, facts, (CLEAN_XSS, CLEAN_XSS), triggers, |v| {
                detect::is_xss(v, detect)
            })
        }
    }
}

/// A computed slot's value ranges, with the arena they index.
struct Values<'a> {
    first: usize,
    ranges: &'a [(u32, u32)],
    arena: &'a [u8],
}

impl<'a> Values<'a> {
    fn of(st: SlotState, ranges: &'a [(u32, u32)], arena: &'a [u8]) -> Values<'a> {
        Values {
            first: st.first as usize,
            ranges: ranges
                .get(st.first as usize..st.end as usize)
                .unwrap_or_default(),
            arena,
        }
    }
}

/// Where the first byte is, in some bytes, that a detector needs to flag a value.
type FindTrigger = fn(&[u8]) -> Option<usize>;

/// Runs a detector over a slot's values until one is flagged, skipping bytes already found clean
/// (`known_clean` bits at their origin) and recording the clean ones (`now_clean`). With
/// `triggers`, the bytes without which the detector flags nothing, only values that hold one
/// are judged or recorded (finding none again is a search over the block, cheaper than the
/// bookkeeping).
fn detect_once(
    values: Values,
    facts: &mut [ValueFacts],
    (known_clean, now_clean): (u8, u8),
    triggers: Option<FindTrigger>,
    mut flagged: impl FnMut(&[u8]) -> bool,
) -> bool {
    let mut search = triggers.map(BlockSearch::new);
    for (k, &(a, b)) in values.ranges.iter().enumerate() {
        if let Some(search) = &mut search {
            if !search.holds(values.arena, values.ranges, k) {
                continue;
            }
        }
        let Some(origin) = facts.get(values.first + k).map(|f| f.origin as usize) else {
            break;
        };
        if facts
            .get(origin)
            .is_some_and(|o| o.clean & known_clean != 0)
        {
            continue;
        }
        if flagged(values.arena.get(a as usize..b as usize).unwrap_or_default()) {
            return true;
        }
        if let Some(o) = facts.get_mut(origin) {
            o.clean |= now_clean;
        }
    }
    false
}

/// Fewer values are cheaper to test one by one than through a [`BlockSearch`].
const BLOCK_SEARCH_MIN_VALUES: u32 = 4;

/// Tells, value by value, which of a slot's values hold a byte a search looks for (a
/// transformation's or a detector's trigger bytes), searching values that lie back to back in
/// the arena as one block: a slot of many short values (a JSON body's) costs a few searches rather
/// than one call per value.
struct BlockSearch<F> {
    find: F,
    /// `next_hit` is the first hit in `arena[from..block_end]`, `usize::MAX` if none.
    from: usize,
    block_end: usize,
    next_hit: usize,
}

impl<F: Fn(&[u8]) -> Option<usize>> BlockSearch<F> {
    fn new(find: F) -> Self {
        BlockSearch {
            find,
            from: usize::MAX,
            block_end: 0,
            next_hit: usize::MAX,
        }
    }

    /// Whether value `i` of `ranges` holds a byte the search looks for. Values are asked about
    /// in order; the arena may grow between calls but its bytes do not change.
    #[inline(always)]
    fn holds(&mut self, arena: &[u8], ranges: &[(u32, u32)], i: usize) -> bool {
        let Some(&(a, b)) = ranges.get(i) else {
            return false;
        };
        let (a, b) = (a as usize, b as usize);
        if a < self.from || b > self.block_end || self.next_hit < a {
            self.search(arena, ranges, i, a, b);
        }
        // No hit in `from..next_hit`, and `from <= a`.
        self.next_hit < b
    }

    #[inline(never)]
    fn search(&mut self, arena: &[u8], ranges: &[(u32, u32)], i: usize, a: usize, b: usize) {
        if a < self.from || b > self.block_end {
            // A new block: value `i` and the values after it that follow it in the arena.
            self.block_end = b;
            for &(next_a, next_b) in ranges.get(i + 1..).unwrap_or_default() {
                if next_a as usize != self.block_end {
                    break;
                }
                self.block_end = next_b as usize;
            }
        }
        self.from = a;
        self.next_hit = arena
            .get(a..self.block_end)
            .and_then(&self.find)
            .map_or(usize::MAX, |at| a + at);
    }
}

/// Computes a slot's values once per request: extract, then transform each value.
pub(crate) fn slot(acl: &CompiledAcl, req: &Request, s: &mut Scratch, ix: usize) -> SlotState {
    if s.slots[ix].computed {
        return s.slots[ix];
    }
    let def = &acl.slots[ix];
    if let Some((parent, done)) = def.parent {
        let from = slot(acl, req, s, parent as usize);
        return derived_slot(acl, s, ix, from, done);
    }
    // A component a screen has read is not extracted again: the whole chain runs on its capture.
    if let Some(screen) = acl.screens.of_root_slot(ix) {
        let from = s.screen_capture[screen];
        if from.computed {
            return derived_slot(acl, s, ix, from, 0);
        }
    }
    let first = s.ranges.len() as u32;
    let Scratch {
        ranges,
        facts,
        arena,
        extract: xs,
        tbuf,
        tbuf2,
        ..
    } = s;
    let x = extract(def, req, acl.body_limit, xs, &mut |raw| {
        let start = arena.len() as u32;
        let mut raw_triggers = Triggers::UNKNOWN;
        if !def.chain.is_empty()
            && apply_chain_if_changed(&def.chain, raw, &mut raw_triggers, tbuf, tbuf2)
        {
            arena.extend_from_slice(tbuf);
            facts.push(ValueFacts::own(Triggers::UNKNOWN, ranges.len()));
        } else {
            arena.extend_from_slice(raw);
            facts.push(ValueFacts::own(raw_triggers, ranges.len()));
        }
        ranges.push((start, arena.len() as u32));
    });
    // UriFragment and JA3/JA4 exist only on CloudFront and ALB (spec §3): elsewhere the fallback applies.
    let source_has_field = !matches!(
        def.field,
        FieldSel::UriFragment | FieldSel::Ja3 | FieldSel::Ja4
    ) || matches!(acl.source, Source::Alb | Source::CloudFront);
    let st = SlotState {
        computed: true,
        present: x.present && source_has_field,
        oversize: x.oversize,
        json_invalid: x.json_invalid,
        literal_done: false,
        regex_done: false,
        first,
        end: s.ranges.len() as u32,
    };
    s.slots[ix] = st;
    st
}

/// A slot whose values are `from`'s (its parent slot's, or a screen's capture of the component)
/// with the rest of its chain after `done` steps applied; a value the rest of the chain leaves
/// unchanged is `from`'s own range of the arena, not a copy. When it leaves every value
/// unchanged, the slot is `from`'s very ranges (and facts): nothing is pushed.
fn derived_slot(
    acl: &CompiledAcl,
    s: &mut Scratch,
    ix: usize,
    from: SlotState,
    done: usize,
) -> SlotState {
    let rest = acl.slots[ix].chain.get(done..).unwrap_or_default();
    let shared = SlotState {
        computed: true,
        literal_done: false,
        regex_done: false,
        ..from
    };
    if rest.is_empty() {
        s.slots[ix] = shared;
        return shared;
    }
    let Scratch {
        ranges,
        facts,
        arena,
        tbuf,
        tbuf2,
        ..
    } = s;
    // When the rest of the chain acts only on a few bytes, a search finds the values it may
    // change; the others pass untouched.
    let chain_triggers = acl.slots[ix]
        .rest_triggers
        .filter(|_| from.end - from.first >= BLOCK_SEARCH_MIN_VALUES);
    let mut search = chain_triggers.map(|t| BlockSearch::new(move |bytes: &[u8]| t.find(bytes)));
    // Until a value changes the slot shares `from`'s ranges. From the first change on it has its
    // own: each changed value is pushed after the unchanged ones before it (`pending..i`), which
    // share their parents' bytes and facts.
    let mut own_first = None;
    let (mut i, mut pending, end) = (from.first as usize, from.first as usize, from.end as usize);
    while i < end {
        // Values from `i` on that hold none of the chain's trigger bytes pass unchanged.
        if let (Some(t), Some(search)) = (&chain_triggers, &mut search) {
            let parents = ranges.get(..end).unwrap_or_default();
            let mut pass_end = i;
            while pass_end < end && !search.holds(arena, parents, pass_end) {
                pass_end += 1;
            }
            for known in facts.get_mut(i..pass_end).unwrap_or_default() {
                known.triggers.lacks(t);
            }
            if pass_end > i {
                i = pass_end;
                continue;
            }
        }
        let (Some(&(a, b)), Some(known)) = (ranges.get(i), facts.get_mut(i)) else {
            break;
        };
        let parent_value = arena.get(a as usize..b as usize).unwrap_or_default();
        if apply_chain_if_changed(rest, parent_value, &mut known.triggers, tbuf, tbuf2) {
            own_first.get_or_insert(ranges.len() as u32);
            ranges.extend_from_within(pending..i);
            facts.extend_from_within(pending..i);
            let start = arena.len() as u32;
            arena.extend_from_slice(tbuf);
            facts.push(ValueFacts::own(Triggers::UNKNOWN, ranges.len()));
            ranges.push((start, arena.len() as u32));
            pending = i + 1;
        }
        i += 1;
    }
    if own_first.is_some() {
        ranges.extend_from_within(pending..end);
        facts.extend_from_within(pending..end);
    }
    let st = match own_first {
        Some(first) => SlotState {
            first,
            end: s.ranges.len() as u32,
            ..shared
        },
        None => shared,
    };
    s.slots[ix] = st;
    st
}

fn literal_scan(acl: &CompiledAcl, s: &mut Scratch, ix: usize) {
    if s.slots[ix].literal_done {
        return;
    }
    s.slots[ix].literal_done = true;
    if let Some(bank) = &acl.literal_banks[ix] {
        let Scratch {
            slots,
            ranges,
            arena,
            bits,
            ..
        } = s;
        for v in slot_values(slots, ranges, arena, ix) {
            bank.scan(v, bits);
        }
    }
}

fn regex_scan(acl: &CompiledAcl, req: &Request, s: &mut Scratch, ix: usize) {
    if s.slots[ix].regex_done {
        return;
    }
    if let Some(f) = acl.regex_family_of.get(ix).copied().flatten() {
        if family_scan(acl, req, s, f as usize) {
            return;
        }
    }
    s.slots[ix].regex_done = true;
    scan_with(acl.regex_banks[ix].as_ref(), s, ix, ix);
}

/// Scans slot `values`' values with `bank`, its search state kept in `regex_caches[cache]`.
fn scan_with(bank: Option<&RegexBank>, s: &mut Scratch, values: usize, cache: usize) {
    let Some(bank) = bank else { return };
    let Scratch {
        slots,
        ranges,
        arena,
        bits,
        regex_caches,
        ..
    } = s;
    let Some(cache) = regex_caches.get_mut(cache) else {
        return;
    };
    let cache = cache.get_or_insert_with(|| bank.new_cache());
    let values = Values::of(slots[values], ranges, arena);
    bank.scan_values(values.arena, values.ranges, cache, bits);
}

/// Values longer than this in all are scanned by each slot's own bank even when a family's slots
/// share them: the merged bank saves the fixed cost of the calls (which dominates on short
/// values) but its larger factor set makes the byte scan slower (measured on an 8 KB JSON body:
/// two scans of 4 and 3 patterns ≈ 55k instructions, one merged scan ≈ 133k).
const FAMILY_SCAN_MAX_BYTES: u32 = 1024;

/// The first time a request needs a regex scan in family `f`: when no member was scanned yet
/// and every member holds the same values (the same arena ranges, as when the transformations
/// left them unchanged), scans them once with the family's merged bank and returns `true`.
/// The merged bank holds exactly the members' patterns, so the bits it sets are the ones the
/// members' own scans would set. Otherwise each member is scanned with its own bank.
fn family_scan(acl: &CompiledAcl, req: &Request, s: &mut Scratch, f: usize) -> bool {
    let Some(family) = acl.regex_families.get(f) else {
        return false;
    };
    if std::mem::replace(&mut s.family_tried[f], true) {
        return false;
    }
    let Some((&first, rest)) = family.members.split_first() else {
        return false;
    };
    let lead = slot(acl, req, s, first as usize);
    let lead_ranges = lead.first as usize..lead.end as usize;
    let bytes: u32 = s
        .ranges
        .get(lead_ranges.clone())
        .unwrap_or_default()
        .iter()
        .map(|&(a, b)| b - a)
        .sum();
    if lead.regex_done || bytes > FAMILY_SCAN_MAX_BYTES {
        return false;
    }
    for &m in rest {
        let st = slot(acl, req, s, m as usize);
        let same =
            s.ranges.get(st.first as usize..st.end as usize) == s.ranges.get(lead_ranges.clone());
        if !same || st.regex_done {
            return false;
        }
    }
    for &m in family.members.iter() {
        s.slots[m as usize].regex_done = true;
    }
    scan_with(Some(&family.bank), s, first as usize, acl.slots.len() + f);
    true
}

fn compare(op: ComparisonOperator, len: u64, size: u64) -> bool {
    match op {
        ComparisonOperator::Eq => len == size,
        ComparisonOperator::Ne => len != size,
        ComparisonOperator::Le => len <= size,
        ComparisonOperator::Lt => len < size,
        ComparisonOperator::Ge => len >= size,
        ComparisonOperator::Gt => len > size,
    }
}

/// Tests the address(es) a statement looks at. `None` = header absent (statement not applied).
fn ip_addresses(
    req: &Request,
    source: &IpSource,
    test: &mut dyn FnMut(IpAddr) -> bool,
) -> Option<bool> {
    match source {
        IpSource::Client => Some(req.client_ip.is_some_and(&mut *test)),
        IpSource::Forwarded {
            header,
            fallback_match,
            position,
        } => {
            let value = req.header_values(header.as_bytes()).next()?;
            let text = std::str::from_utf8(value).unwrap_or("");
            let mut parts = text.split(',').map(str::trim);
            let parse = |p: &str| p.parse::<IpAddr>().ok();
            let picked = match position {
                Position::First => parts.next().map(parse),
                Position::Last => parts.next_back().map(parse),
                Position::Any => {
                    let all: usize = text.split(',').count();
                    let mut any_valid = false;
                    for p in text
                        .split(',')
                        .map(str::trim)
                        .skip(all.saturating_sub(FORWARDED_ANY_MAX_ADDRESSES))
                    {
                        if let Some(ip) = parse(p) {
                            any_valid = true;
                            if test(ip) {
                                return Some(true);
                            }
                        }
                    }
                    return Some(if any_valid { false } else { *fallback_match });
                }
            };
            match picked.flatten() {
                Some(ip) => Some(test(ip)),
                None => Some(*fallback_match),
            }
        }
    }
}

/// Geo match on the request's country. With a forwarded-IP config the country of that address is
/// needed; webacl has no geo database, so such an address's country is unknown (`XX`).
fn geo(req: &Request, s: &mut Scratch, codes: &[[u8; 2]], source: &IpSource) -> Option<bool> {
    let (country, forwarded) = match source {
        IpSource::Client => (country_code(req.country), false),
        IpSource::Forwarded {
            header,
            fallback_match,
            ..
        } => {
            let value = req.header_values(header.as_bytes()).next()?;
            let first = std::str::from_utf8(value)
                .unwrap_or("")
                .split(',')
                .next()
                .unwrap_or("")
                .trim();
            if first.parse::<IpAddr>().is_err() {
                return Some(*fallback_match);
            }
            (*b"XX", true)
        }
    };
    let key = (country, forwarded);
    if !s.geo_seen.contains(&key) {
        s.geo_seen.push(key);
    }
    Some(codes.binary_search(&country).is_ok())
}

fn country_code(c: &str) -> [u8; 2] {
    match c.as_bytes() {
        [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
            [a.to_ascii_uppercase(), b.to_ascii_uppercase()]
        }
        _ => *b"XX",
    }
}

/// LabelMatchStatement semantics (spec §2): a key starting with `awswaf:` is fully qualified;
/// otherwise the label must lie in the rule's own context (`context`) and the key matches whole
/// trailing components (LABEL) or a contiguous run of namespace components (NAMESPACE).
pub(crate) fn label_matches(scope: LabelMatchScope, key: &str, context: &str, label: &str) -> bool {
    if context.is_empty() {
        return match scope {
            LabelMatchScope::Label => label == key,
            LabelMatchScope::Namespace => {
                label.starts_with(key)
                    && (key.ends_with(':') || label.as_bytes().get(key.len()) == Some(&b':'))
            }
        };
    }
    let Some(rest) = label.strip_prefix(context) else {
        return false;
    };
    match scope {
        LabelMatchScope::Label => {
            rest == key
                || (rest.len() > key.len()
                    && rest.ends_with(key)
                    && rest.as_bytes()[rest.len() - key.len() - 1] == b':')
        }
        LabelMatchScope::Namespace => {
            let key = key.trim_end_matches(':');
            // The namespace components of the label are all but its last component.
            let ns = match rest.rfind(':') {
                Some(i) => &rest[..i],
                None => return false,
            };
            let mut start = 0;
            loop {
                let tail = &ns[start..];
                if tail.starts_with(key)
                    && (tail.len() == key.len() || tail.as_bytes()[key.len()] == b':')
                {
                    return true;
                }
                match tail.find(':') {
                    Some(i) => start += i + 1,
                    None => return false,
                }
            }
        }
    }
}

// Always inlined: it runs for every leaf, and the call cost more than its test.
#[inline(always)]
fn trace_leaf(acl: &CompiledAcl, s: &mut Scratch, id: LeafId, r: Option<bool>, screened: bool) {
    if s.trace.is_some() {
        write_trace(acl, s, id, r, screened);
    }
}

#[cold]
fn write_trace(acl: &CompiledAcl, s: &mut Scratch, id: LeafId, r: Option<bool>, screened: bool) {
    let line = super::explain::leaf_line(acl, s, id, r, screened);
    if let Some(t) = &mut s.trace {
        t.push_str(&line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LabelMatchScope::*;

    const CTX: &str = "awswaf:111122223333:webacl:testWebACL:";

    /// A family's merged regex scan reports what each slot's own bank reports: the same ACL with
    /// its families removed counts the same rules on paths and query strings that the
    /// transformations leave alone, change (`%`, `+`, upper case), or that are longer than
    /// [`FAMILY_SCAN_MAX_BYTES`].
    #[test]
    fn family_scan_agrees_with_each_slot_scanned_alone() {
        use crate::check::input::OwnedRequest;
        let chains = [
            r#"[{"Priority": 0, "Type": "NONE"}]"#,
            r#"[{"Priority": 0, "Type": "URL_DECODE"}]"#,
            r#"[{"Priority": 0, "Type": "URL_DECODE"}, {"Priority": 1, "Type": "LOWERCASE"}]"#,
            r#"[{"Priority": 0, "Type": "URL_DECODE"}, {"Priority": 1, "Type": "URL_DECODE"}]"#,
        ];
        let patterns = ["admin", "^/a b", "(?i)select", "b%41r$", "[0-9]{3}xyz"];
        let mut rules = Vec::new();
        for field in ["UriPath", "QueryString"] {
            for (c, chain) in chains.iter().enumerate() {
                for (p, pattern) in patterns.iter().enumerate() {
                    rules.push(format!(
                        r#"{{"Name": "{field}-{c}-{p}", "Priority": {}, "Action": {{"Count": {{}}}},
                        "Statement": {{"RegexMatchStatement": {{"RegexString": {pattern:?},
                        "FieldToMatch": {{"{field}": {{}}}}, "TextTransformations": {chain}}}}},
                        "VisibilityConfig": {{"SampledRequestsEnabled": false,
                        "CloudWatchMetricsEnabled": false, "MetricName": "m"}}}}"#,
                        rules.len()
                    ));
                }
            }
        }
        let text = format!(
            r#"{{"Name": "t", "DefaultAction": {{"Allow": {{}}}}, "Rules": [{}],
            "VisibilityConfig": {{"SampledRequestsEnabled": false,
            "CloudWatchMetricsEnabled": false, "MetricName": "t"}}}}"#,
            rules.join(",")
        );
        let compile = || {
            let mut d = crate::validate::Diagnostics::new("t");
            let doc = crate::load::web_acl_str(&text, "t", &mut d).expect("the ACL loads");
            crate::compile::build(&doc, &Default::default(), &Default::default())
                .expect("the ACL compiles")
        };
        let merged = compile();
        assert!(!merged.regex_families.is_empty(), "the ACL has families");
        let mut alone = compile();
        alone.regex_families.clear();
        alone.regex_family_of.iter_mut().for_each(|f| *f = None);

        let long = format!("/{}admin", "a".repeat(FAMILY_SCAN_MAX_BYTES as usize));
        let uris = [
            "/admin", "/ADMIN", "/a%20b", "/a+b", "/b%41r", "/bAr", "/123xyz", "/", &long,
        ];
        let queries = ["", "q=SELECT", "q=%2573elect", "x=123xyz&y=admin", "a+b"];
        let (mut s1, mut s2) = (Scratch::new(), Scratch::new());
        let mut counted_in_all = 0;
        for uri in uris {
            for args in queries {
                let line = format!(r#"{{"uri": {uri:?}, "args": {args:?}, "headers": []}}"#);
                let owned = OwnedRequest::parse(&line, 0).expect("the request parses");
                let headers = owned.header_pairs();
                let req = owned.view(&headers);
                let counted = |acl: &CompiledAcl, s: &mut Scratch| {
                    let v = crate::eval::evaluate(acl, &req, s);
                    v.matched.iter().map(|m| m.rule).collect::<Vec<_>>()
                };
                let (a, b) = (counted(&merged, &mut s1), counted(&alone, &mut s2));
                assert_eq!(a, b, "uri {uri:?} args {args:?}");
                counted_in_all += a.len();
            }
        }
        // Every pattern matches some of the requests (the test would pass vacuously otherwise).
        assert!(counted_in_all > 100, "{counted_in_all}");
    }

    /// The block search answers every value as a search of that value alone would: values back
    /// to back (one block), values aliasing earlier or later bytes, empty values, hits at value
    /// edges, several hits per block, and bytes appended to the arena between questions.
    #[test]
    fn block_search_agrees_with_each_value_alone() {
        let mut rng = crate::test_rng::XorShift(0x9e37_79b9_7f4a_7c15);
        let mut below = |n: usize| rng.below(n);
        let mut checked = [0usize; 2];
        for _ in 0..3_000 {
            let mut arena: Vec<u8> = (0..below(200))
                .map(|_| if below(12) == 0 { b'X' } else { b'a' })
                .collect();
            let mut ranges: Vec<(u32, u32)> = Vec::new();
            let mut at = 0;
            while at < arena.len() {
                let len = below(9).min(arena.len() - at);
                ranges.push((at as u32, (at + len) as u32));
                at += len;
                if below(8) == 0 {
                    // An alias of an earlier value, breaking the block.
                    let earlier = ranges[below(ranges.len())];
                    ranges.push(earlier);
                }
                if below(8) == 0 {
                    // Any bytes: inside the block being searched, before it, or after it.
                    let x = below(arena.len() + 1);
                    let y = x + below(arena.len() - x + 1);
                    ranges.push((x as u32, y as u32));
                }
            }
            let mut search = BlockSearch::new(|bytes: &[u8]| memchr::memchr(b'X', bytes));
            for i in 0..ranges.len() {
                let (a, b) = ranges[i];
                let alone = arena[a as usize..b as usize].contains(&b'X');
                assert_eq!(search.holds(&arena, &ranges, i), alone, "{i} {ranges:?}");
                checked[usize::from(alone)] += 1;
                // The caller appends transformed values; old bytes stay as they are.
                arena.extend_from_slice(b"XaX");
            }
        }
        assert!(checked[0] > 10_000 && checked[1] > 10_000, "{checked:?}");
    }

    /// Every slot holds each raw value put through its whole chain, whether it was extracted,
    /// derived from a parent slot (shared ranges, copied runs, transformed values) or computed
    /// from a screen's capture: slots of two components with chains that are prefixes of each
    /// other, over values with and without the chains' trigger bytes.
    #[test]
    fn every_slot_holds_its_values_through_its_whole_chain() {
        use crate::check::input::OwnedRequest;
        const CHAINS: &[&[&str]] = &[
            &["NONE"],
            &["URL_DECODE"],
            &["URL_DECODE", "LOWERCASE"],
            &["URL_DECODE", "HTML_ENTITY_DECODE"],
            &["HTML_ENTITY_DECODE"],
            &["LOWERCASE", "COMPRESS_WHITE_SPACE"],
        ];
        const FIELDS: &[&str] = &[
            r#"{"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "ALL",
                "InvalidFallbackBehavior": "EVALUATE_AS_STRING"}}"#,
            r#"{"AllQueryArguments": {}}"#,
        ];
        const PIECES: &[&str] = &[
            "a", "B", "%41", "+", " ", "&amp;", "&#x3c;", "x  y", "%", "",
        ];
        let mut rules = Vec::new();
        for field in FIELDS {
            for chain in CHAINS {
                // "zz" and "qq", base64-encoded as `get-web-acl` prints them.
                for needle in ["enp6", "cXE="] {
                    let chain: Vec<String> = chain
                        .iter()
                        .enumerate()
                        .map(|(i, t)| format!(r#"{{"Priority": {i}, "Type": "{t}"}}"#))
                        .collect();
                    rules.push(format!(
                        r#"{{"Name": "r{n}", "Priority": {n}, "Action": {{"Count": {{}}}},
                        "Statement": {{"ByteMatchStatement": {{"SearchString": "{needle}",
                        "PositionalConstraint": "CONTAINS", "FieldToMatch": {field},
                        "TextTransformations": [{chain}]}}}},
                        "VisibilityConfig": {{"SampledRequestsEnabled": false,
                        "CloudWatchMetricsEnabled": false, "MetricName": "m"}}}}"#,
                        n = rules.len(),
                        chain = chain.join(","),
                    ));
                }
            }
        }
        let text = format!(
            r#"{{"Name": "t", "DefaultAction": {{"Allow": {{}}}}, "Rules": [{}],
            "VisibilityConfig": {{"SampledRequestsEnabled": false,
            "CloudWatchMetricsEnabled": false, "MetricName": "t"}}}}"#,
            rules.join(",")
        );
        let mut d = crate::validate::Diagnostics::new("t");
        let doc = crate::load::web_acl_str(&text, "t", &mut d).expect("the ACL loads");
        let acl = crate::compile::build(&doc, &Default::default(), &Default::default())
            .expect("the ACL compiles");
        assert!(
            acl.slots.iter().any(|d| d.parent.is_some()),
            "some slots derive from a parent"
        );
        assert!(
            acl.screens.of_root_slot.iter().any(|&s| s != NO_SCREEN),
            "some slots are computed from a capture"
        );
        let mut rng = crate::test_rng::XorShift(0x51_07_5e);
        let mut value = || -> String {
            (0..rng.below(4))
                .map(|_| PIECES[rng.below(PIECES.len())])
                .collect()
        };
        let (mut s, mut xs) = (Scratch::new(), Default::default());
        let (mut out, mut tmp) = (Vec::new(), Vec::new());
        let mut changed_and_not = [0usize; 2];
        for _ in 0..500 {
            let values: Vec<String> = (0..value().len() * 3).map(|_| value()).collect();
            let body = serde_json::Value::Array(values.iter().map(|v| v.clone().into()).collect());
            let args: Vec<String> = values.iter().map(|v| format!("k={v}")).collect();
            let line = serde_json::json!({
                "uri": "/", "args": args.join("&"), "headers": [],
                "httpMethod": "POST", "body": body.to_string(),
            })
            .to_string();
            let owned = OwnedRequest::parse(&line, 0).expect("the request parses");
            let headers = owned.header_pairs();
            let req = owned.view(&headers);
            // The evaluation runs the screens (captures) and computes what the rules ask for.
            crate::eval::evaluate(&acl, &req, &mut s);
            for (ix, def) in acl.slots.iter().enumerate() {
                slot(&acl, &req, &mut s, ix);
                let mut expected: Vec<Vec<u8>> = Vec::new();
                extract(def, &req, acl.body_limit, &mut xs, &mut |raw| {
                    let mut triggers = Triggers::UNKNOWN;
                    let changed =
                        apply_chain_if_changed(&def.chain, raw, &mut triggers, &mut out, &mut tmp);
                    changed_and_not[usize::from(changed)] += 1;
                    expected.push(if changed { out.clone() } else { raw.to_vec() });
                });
                let got: Vec<Vec<u8>> = s.values(ix).map(<[u8]>::to_vec).collect();
                assert_eq!(got, expected, "slot {} of {line}", def.describe());
            }
        }
        assert!(
            changed_and_not.iter().all(|&n| n > 5_000),
            "{changed_and_not:?}"
        );
    }

    #[test]
    fn label_keys_resolve_like_aws_examples() {
        let a = "awswaf:111122223333:webacl:testWebACL:header:encoding:utf8";
        let b = "awswaf:111122223333:webacl:testWebACL:testNS1:testNS2:header:encoding:utf8";
        assert!(label_matches(Label, "header:encoding:utf8", CTX, a));
        assert!(label_matches(Label, "header:encoding:utf8", CTX, b));
        assert!(!label_matches(Label, "encoding:utf", CTX, a));
        assert!(label_matches(Namespace, "header:", CTX, a));
        assert!(label_matches(Namespace, "testNS2:", CTX, b));
        assert!(!label_matches(Namespace, "utf8:", CTX, a));
        // Labels from another context need a fully qualified key.
        let m = "awswaf:managed:aws:core-rule-set:NoUserAgent_Header";
        assert!(!label_matches(Label, "NoUserAgent_Header", CTX, m));
        assert!(label_matches(Label, m, "", m));
        assert!(label_matches(
            Namespace,
            "awswaf:managed:aws:core-rule-set:",
            "",
            m
        ));
        assert!(!label_matches(Namespace, "awswaf:managed:aws:core", "", m));
    }
}
