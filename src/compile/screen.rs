//! Screens: one cheap pass over a component's raw values that proves most of its leaves false
//! before any slot of it is transformed or scanned.
//!
//! A slot's values are the component's raw values put through the slot's transformation chain.
//! For the chains built from the transformations of [`Transform::quiet_without`], a raw value
//! holding none of the chain's trigger bytes (`%` for the URL decodings, `&` for
//! `HTML_ENTITY_DECODE`, `\` for the JavaScript decodings, NUL for the null removals, `/` for
//! `NORMALIZE_PATH`, whitespace for the whitespace transformations, whitespace and the deleted
//! quotes and escapes for the `CMD_LINE` types) comes out as itself, up to ASCII case
//! (`LOWERCASE`, `UPPERCASE`, `CMD_LINE`), with `+` turned into a space (the URL decodings) and
//! with bytes cut from its ends (the trims; `NORMALIZE_PATH` turns `.` into nothing). So
//! whatever a leaf needs to find in the transformed value, the raw value holds too, searched
//! ASCII-case-insensitively with `+` standing for a space: a byte match needs its search string,
//! a regex one of its necessary factors (`factors.rs`), an XSS test one of
//! `xss::TRIGGER_BYTES`.
//!
//! A screen gathers, for the leaves of one extraction (one `FieldToMatch`), those search bytes
//! and the chains' trigger bytes, each with the leaves it *wakes*. An SQL injection test wakes
//! when the detector's prefilter (`sqli_prefilter`, which cannot tell case, `+` from a space or
//! whitespace at a value's ends) may flag the raw values, written one after another with
//! [`SCREEN_SEPARATOR`] between them, which ends every word and byte pair the prefilter reads.
//! At a request's first test of one of these leaves, the component's raw values are lower-cased
//! end to end and searched once; a leaf nothing woke is false, and its slot is never computed.
//! A search string found across the seam of two values only wakes a leaf too many, never one
//! too few. A component that is oversize, or longer than [`SCREEN_MAX_BYTES`], or that wakes
//! too often, wakes every leaf.
//!
//! A rule whose statement is false whenever some leaves of one screen are unwoken (see
//! [`Screens::condition`]) is skipped without its walk when the screen woke none of them.
//!
//! Leaves a screen cannot judge are left alone: size tests, chains with other
//! transformations, pre-parsed query strings, header order, fingerprints, URI fragments, and
//! leaves whose component, when absent (or, for a JSON body, when it does not parse), makes them
//! true. A JSON body's values are its unescaped keys and scalars, as the slots get them.

use super::bank::{LiteralBank, RegexBank};
use super::slot::{FieldSel, SlotDef};
use super::{FieldTest, Leaf, LeafId, Node, Rule, RuleBody};
use crate::detect::{sqli_prefilter, xss};
use crate::transform::Transform;
use aho_corasick::{packed, AhoCorasick};
use std::collections::{BTreeMap, HashMap};

/// Raw bytes a screen reads at most (an 8 KB body fits, as the body regexes it spares cost more
/// than the pass); a longer component wakes every leaf unread, since its leaves would mostly be
/// woken anyway and the pass would then cost more than it saves.
pub const SCREEN_MAX_BYTES: usize = 16 * 1024;
/// Search-string hits a screen reports at most before it gives up and wakes every leaf.
pub const SCREEN_MAX_HITS: usize = 64;
/// Components up to this length are searched for all strings in one pass (`Screen::whole`).
pub const SCREEN_ONE_PASS_BYTES: usize = 96;
/// Written between two values of a component in the screen's buffer, so that no value's bytes
/// run on into the next one's. No transformation's trigger byte (whitespace is one), no ASCII
/// letter (lower-casing leaves it alone), and to the SQL injection prefilter neither a word
/// byte nor part of a trigger pair; a search string that holds it only wakes too many leaves.
pub const SCREEN_SEPARATOR: u8 = 0xff;
/// Leaves one screen can judge (one bit each); further leaves of the component are not screened.
pub const SCREEN_MAX_LEAVES: usize = 64;
/// Fewest leaves worth a screen: for one leaf, the screen's pass costs what the leaf's own does.
pub const SCREEN_MIN_LEAVES: usize = 2;
/// Spaces in one search string beyond which `+` is made a trigger byte instead of spelling out
/// every `+`/space variant of the string.
const MAX_SPACE_VARIANTS: u32 = 3;

/// Search strings of the same leaves sharing this many first bytes are searched as one, their
/// longest common prefix: long enough to stay rare in ordinary text.
const MERGE_PREFIX_LEN: usize = 4;

/// Marks a leaf without a screen in [`Screens::of_leaf`].
pub const NO_SCREEN: u32 = u32::MAX;

/// Every screen of an ACL.
#[derive(Debug, Default)]
pub struct Screens {
    pub list: Vec<Screen>,
    /// Per leaf: `screen << 6 | bit`, or [`NO_SCREEN`].
    pub of_leaf: Vec<u32>,
    /// Per rule: a screen and the leaves of which one must wake for the rule's statement to be
    /// true (see [`Screens::condition`]), or ([`NO_SCREEN`], 0).
    pub of_rule: Vec<(u32, u64)>,
    /// Per slot without a parent: the screen that captures its component, or [`NO_SCREEN`]. The
    /// slot's values are then its chain run on the capture.
    pub of_root_slot: Vec<u32>,
}

impl Screens {
    /// Gives each rule with a plain statement the condition of [`Screens::condition`], so that a
    /// request whose screen woke none of its leaves skips the rule's walk.
    pub fn add_rule_conditions(&mut self, rules: &[Rule]) {
        self.of_rule = rules
            .iter()
            .map(|r| match &r.body {
                RuleBody::Statement(n) => self.condition(n),
                RuleBody::RateBased(_) | RuleBody::Group { .. } => None,
            })
            .map(|c| c.unwrap_or((NO_SCREEN, 0)))
            .collect();
    }

    /// A screen and leaves such that, when it woke none of them, evaluating `n` gives false and
    /// does nothing else a skipped walk would miss: a screened leaf; an `Or` whose operands all
    /// have conditions on one screen (each gives false); an `And` whose first operand has one (the
    /// walk stops there). Not for `Not`, nor any other leaf (IP and geo leaves add labels).
    fn condition(&self, n: &Node) -> Option<(u32, u64)> {
        match n {
            Node::Leaf(id) => self.of(*id),
            Node::And(list) => self.condition(list.first()?),
            Node::Or(list) => {
                let mut all: Option<(u32, u64)> = None;
                for operand in list.iter() {
                    let (ix, mask) = self.condition(operand)?;
                    match &mut all {
                        None => all = Some((ix, mask)),
                        Some((seen, leaves)) if *seen == ix => *leaves |= mask,
                        Some(_) => return None,
                    }
                }
                all
            }
            Node::Not(_) => None,
        }
    }

    /// The screen whose capture slot `slot` is computed from, if any.
    #[inline]
    pub fn of_root_slot(&self, slot: usize) -> Option<usize> {
        let ix = *self.of_root_slot.get(slot)?;
        (ix != NO_SCREEN).then_some(ix as usize)
    }

    /// Leaf `id`'s screen and its bit there, if it has one.
    #[inline]
    pub fn of(&self, id: LeafId) -> Option<(u32, u64)> {
        let packed = *self.of_leaf.get(id as usize)?;
        (packed != NO_SCREEN).then(|| (packed >> 6, 1u64 << (packed & 63)))
    }

    /// Turns every screen off: the differential tests compare an ACL with and without them.
    #[cfg(test)]
    pub fn disable(&mut self) {
        self.of_leaf.iter_mut().for_each(|p| *p = NO_SCREEN);
        self.of_rule.iter_mut().for_each(|c| *c = (NO_SCREEN, 0));
        self.of_root_slot.iter_mut().for_each(|c| *c = NO_SCREEN);
    }
}

/// The screen of one extraction.
#[derive(Debug)]
pub struct Screen {
    /// A slot of the extraction: what to extract (its chain is not used).
    pub slot: u32,
    /// Whether the screen keeps the component's values for its slots (a JSON body's: parsing it
    /// twice costs more than keeping them; other components are cheaper to extract again).
    pub captures: bool,
    /// Every leaf's bit.
    all: u64,
    /// Single trigger bytes and the leaves each wakes.
    bytes: Vec<(u8, u64)>,
    /// Per byte value: 0, or 1 + the index in `bytes` of that trigger byte; with `byte_wakes`
    /// (0 first, then each trigger byte's leaves), the table a short component is read with.
    byte_class: Box<[u8; 256]>,
    byte_wakes: Vec<u64>,
    /// The SQL injection leaves: woken when the SQL injection prefilter may flag some value.
    sqli: u64,
    /// Search strings of two bytes, then of three or more, apart: a two-byte string would make
    /// the vectorized search match on two-byte fingerprints, which common text
    /// fills with candidates (`te`, `in`).
    strings: Vec<Strings>,
    /// All search strings in one automaton, when `strings` holds two: over a component of at
    /// most [`SCREEN_ONE_PASS_BYTES`] the candidates cost less than a second search call.
    whole: Option<Strings>,
}

/// Search strings (lower-cased) and the leaves each wakes: its own and those of every search
/// string that is a prefix of it (the search reports the longest string starting at each
/// position).
#[derive(Debug)]
struct Strings {
    find: Finder,
    wakes: Vec<u64>,
}

/// How a set of strings is searched: with the vectorized packed searcher (Teddy, Rabin-Karp on
/// short haystacks) when it can take the set, which reports a leftmost-longest match itself,
/// else with an automaton (with that searcher only as its prefilter, each candidate confirmed
/// by walking the automaton).
#[derive(Debug)]
enum Finder {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

impl Finder {
    /// A leftmost-longest finder of `strings`; packed when `packed_first` and the packed
    /// searcher takes them.
    fn new(strings: &[&[u8]], packed_first: bool) -> Option<Finder> {
        let packed = packed_first
            .then(|| {
                packed::Config::new()
                    .match_kind(packed::MatchKind::LeftmostLongest)
                    .builder()
                    .extend(strings)
                    .build()
            })
            .flatten();
        Some(match packed {
            Some(p) => Finder::Packed(p),
            None => Finder::Automaton(
                AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                    .build(strings)
                    .ok()?,
            ),
        })
    }
}

impl Strings {
    /// Where the longest string starting leftmost in `hay[at..]` starts, and its index.
    #[inline]
    fn find(&self, hay: &[u8], at: usize) -> Option<(usize, usize)> {
        let m = match &self.find {
            Finder::Packed(p) => p.find_in(hay, aho_corasick::Span::from(at..hay.len()))?,
            Finder::Automaton(ac) => ac.find(aho_corasick::Input::new(hay).span(at..hay.len()))?,
        };
        Some((m.start(), m.pattern().as_usize()))
    }
}

impl Screen {
    /// The leaves (bits) `lower`, the component's values lower-cased end to end, may satisfy.
    pub fn wake(&self, lower: &[u8]) -> u64 {
        let mut woken = if self.bytes.len() > 3
            && self.byte_wakes.len() > self.bytes.len()
            && lower.len() <= SCREEN_ONE_PASS_BYTES
        {
            // More bytes than one `memchr3` takes, in a short component: one lookup per byte.
            lower.iter().fold(0, |w, &b| {
                w | self.byte_wakes[usize::from(self.byte_class[usize::from(b)])]
            })
        } else {
            self.wake_bytes(lower)
        };
        if self.sqli & !woken != 0 && sqli_prefilter::may_be_sqli(lower) {
            woken |= self.sqli;
        }
        let mut hits = 0;
        let sets = match &self.whole {
            Some(whole) if lower.len() <= SCREEN_ONE_PASS_BYTES => std::slice::from_ref(whole),
            _ => &self.strings[..],
        };
        for set in sets {
            let mut at = 0;
            while woken != self.all {
                let Some((start, pattern)) = set.find(lower, at) else {
                    break;
                };
                hits += 1;
                if hits > SCREEN_MAX_HITS {
                    return u64::MAX;
                }
                woken |= set.wakes.get(pattern).copied().unwrap_or(u64::MAX);
                at = start + 1;
            }
        }
        woken
    }

    /// The leaves woken by trigger bytes in `lower`, up to three bytes per `memchr` pass; a
    /// pass ends once each of its bytes was seen.
    fn wake_bytes(&self, lower: &[u8]) -> u64 {
        let mut woken = 0u64;
        for chunk in self.bytes.chunks(3) {
            let wakes_of = |b: u8| chunk.iter().find(|t| t.0 == b).map_or(0, |t| t.1);
            let all = chunk.iter().fold(0, |m, t| m | t.1);
            let mut found = 0u64;
            let hits: &mut dyn Iterator<Item = usize> = match *chunk {
                [(a, _)] => &mut memchr::memchr_iter(a, lower),
                [(a, _), (b, _)] => &mut memchr::memchr2_iter(a, b, lower),
                [(a, _), (b, _), (c, _)] => &mut memchr::memchr3_iter(a, b, c, lower),
                _ => &mut std::iter::empty(),
            };
            for at in hits {
                found |= wakes_of(lower[at]);
                if found == all {
                    break;
                }
            }
            woken |= found;
        }
        woken
    }
}

/// What one leaf needs to find in a raw value for the screen to wake it.
#[derive(Default)]
struct Needs {
    bytes: Vec<u8>,
    strings: Vec<Vec<u8>>,
    /// An SQL injection test: the prefilter must pass some value.
    sqli: bool,
}

impl Needs {
    fn add(&mut self, s: &[u8], plus_is_space: bool) {
        let s = s.to_ascii_lowercase();
        let spaces = s.iter().filter(|&&b| b == b' ').count() as u32;
        if plus_is_space && spaces > MAX_SPACE_VARIANTS {
            self.bytes.push(b'+');
        }
        let variants = if plus_is_space && spaces <= MAX_SPACE_VARIANTS {
            1u32 << spaces
        } else {
            1
        };
        for v in 0..variants {
            let mut k = 0;
            let variant: Vec<u8> = s
                .iter()
                .map(|&b| {
                    if b != b' ' {
                        return b;
                    }
                    k += 1;
                    if v & (1 << (k - 1)) != 0 {
                        b'+'
                    } else {
                        b' '
                    }
                })
                .collect();
            match variant.as_slice() {
                [b] => self.bytes.push(*b),
                _ => self.strings.push(variant),
            }
        }
    }
}

/// The trigger bytes of a chain whose output, on a value without them, is the value itself up
/// to case, `+` as space and bytes cut from its ends (see the module doc and
/// [`Transform::quiet_without`]); `None` for any other chain. Also whether `+` may have become a
/// space. A step that needs whitespace to act, after one that turns `+` into a space, also needs
/// `+`.
fn substring_triggers(chain: &[Transform]) -> Option<(Vec<u8>, bool)> {
    let mut bytes = Vec::new();
    let mut plus_is_space = false;
    for &t in chain {
        let (own, makes_spaces) = t.quiet_without()?;
        for &b in own {
            if !bytes.contains(&b) {
                bytes.push(b);
            }
        }
        if plus_is_space && own.contains(&b' ') && !bytes.contains(&b'+') {
            bytes.push(b'+');
        }
        plus_is_space |= makes_spaces;
    }
    Some((bytes, plus_is_space))
}

/// Whether the screen can read the component's values as the slots get them: the extraction is
/// the slots' own, values come out as the chain reads them (a JSON body's are its unescaped
/// keys and scalars), and a present component has them. Not the header order webacl writes, nor
/// the fields whose presence depends on the ACL's source (`UriFragment`, JA3, JA4).
fn raw_extraction(field: &FieldSel) -> bool {
    match field {
        FieldSel::UriPath
        | FieldSel::QueryString
        | FieldSel::Method
        | FieldSel::Body
        | FieldSel::JsonBody { .. }
        | FieldSel::SingleHeader(_)
        | FieldSel::SingleQueryArgument(_)
        | FieldSel::AllQueryArguments
        | FieldSel::Headers { .. }
        | FieldSel::Cookies { .. } => true,
        FieldSel::HeaderOrder | FieldSel::Ja3 | FieldSel::Ja4 | FieldSel::UriFragment => false,
    }
}

/// What leaf `leaf` needs, or `None` when no screen can judge it.
fn needs(
    leaf: &Leaf,
    slots: &[SlotDef],
    literal: &[Option<LiteralBank>],
    regex: &[Option<RegexBank>],
) -> Option<(usize, Needs)> {
    let Leaf::Field(f) = leaf else {
        return None;
    };
    // A missing component, and a JSON body that does not parse, must give `false`, as an
    // unwoken leaf does (`InvalidFallbackBehavior` MATCH gives `true` whatever the values).
    if f.missing == Some(true) || f.json_invalid == Some(true) {
        return None;
    }
    let slot = f.slot as usize;
    let def = slots.get(slot)?;
    if !def.preparse.is_empty() || !raw_extraction(&def.field) {
        return None;
    }
    let (triggers, plus_is_space) = substring_triggers(&def.chain)?;
    let mut n = Needs::default();
    match &f.test {
        FieldTest::Bytes { bit, .. } => {
            let s = literal.get(slot)?.as_ref()?.search_string(*bit)?;
            if s.is_empty() {
                return None;
            }
            n.add(s, plus_is_space);
        }
        FieldTest::Regex { first, count } => {
            let bank = regex.get(slot)?.as_ref()?;
            for bit in *first..first + count {
                for factor in bank.factors_of(bit)? {
                    n.add(factor, plus_is_space);
                }
            }
        }
        FieldTest::Xss => {
            for b in xss::TRIGGER_BYTES {
                n.add(&[b], plus_is_space);
            }
        }
        FieldTest::Sqli(_) => n.sqli = true,
        FieldTest::Size { .. } => return None,
    }
    n.bytes.extend(triggers);
    Some((slot, n))
}

/// Builds the screens of an ACL's leaves.
pub fn build(
    slots: &[SlotDef],
    leaves: &[Leaf],
    literal: &[Option<LiteralBank>],
    regex: &[Option<RegexBank>],
) -> Screens {
    // Per extraction: a slot of it and its leaves with what they need.
    let mut by_field: HashMap<&FieldSel, usize> = HashMap::new();
    let mut groups: Vec<(usize, Vec<(LeafId, Needs)>)> = Vec::new();
    for (id, leaf) in leaves.iter().enumerate() {
        let Some((slot, n)) = needs(leaf, slots, literal, regex) else {
            continue;
        };
        let g = *by_field.entry(&slots[slot].field).or_insert_with(|| {
            groups.push((slot, Vec::new()));
            groups.len() - 1
        });
        if groups[g].1.len() < SCREEN_MAX_LEAVES {
            groups[g].1.push((id as LeafId, n));
        }
    }
    let mut screens = Screens {
        list: Vec::new(),
        of_leaf: vec![NO_SCREEN; leaves.len()],
        of_rule: Vec::new(),
        of_root_slot: vec![NO_SCREEN; slots.len()],
    };
    for (slot, members) in groups {
        if members.len() < SCREEN_MIN_LEAVES {
            continue;
        }
        let Some(mut screen) = assemble(slot, &members) else {
            continue;
        };
        screen.captures = matches!(slots[slot].field, FieldSel::JsonBody { .. });
        let index = screens.list.len() as u32;
        for (bit, (leaf, _)) in members.iter().enumerate() {
            screens.of_leaf[*leaf as usize] = index << 6 | bit as u32;
        }
        screens.list.push(screen);
    }
    for (ix, def) in slots.iter().enumerate() {
        if def.parent.is_some() || !def.preparse.is_empty() {
            continue;
        }
        let screen = screens
            .list
            .iter()
            .position(|screen| screen.captures && slots[screen.slot as usize].field == def.field);
        if let Some(screen) = screen {
            screens.of_root_slot[ix] = screen as u32;
        }
    }
    screens
}

fn assemble(slot: usize, members: &[(LeafId, Needs)]) -> Option<Screen> {
    let mut bytes: Vec<(u8, u64)> = Vec::new();
    let mut sqli = 0u64;
    let mut ids: HashMap<&[u8], usize> = HashMap::new();
    let mut strings: Vec<&[u8]> = Vec::new();
    let mut own: Vec<u64> = Vec::new();
    for (bit, (_, n)) in members.iter().enumerate() {
        let mask = 1u64 << bit;
        if n.sqli {
            sqli |= mask;
        }
        for &b in &n.bytes {
            match bytes.iter_mut().find(|(x, _)| *x == b) {
                Some((_, m)) => *m |= mask,
                None => bytes.push((b, mask)),
            }
        }
        for s in &n.strings {
            let id = *ids.entry(s.as_slice()).or_insert_with(|| {
                strings.push(s);
                own.push(0);
                strings.len() - 1
            });
            own[id] |= mask;
        }
    }
    // Strings waking the same leaves that begin with the same MERGE_PREFIX_LEN bytes are also
    // searched as their longest common prefix, which the pruning below then leaves alone.
    let mut by_prefix: BTreeMap<(&[u8], u64), Vec<&[u8]>> = BTreeMap::new();
    for (i, &s) in strings.iter().enumerate() {
        if let Some(prefix) = s
            .get(..MERGE_PREFIX_LEN)
            .filter(|_| s.len() > MERGE_PREFIX_LEN)
        {
            by_prefix.entry((prefix, own[i])).or_default().push(s);
        }
    }
    for ((_, mask), family) in by_prefix {
        let Some((&first, rest)) = family.split_first().filter(|(_, rest)| !rest.is_empty()) else {
            continue;
        };
        let common = rest.iter().fold(first.len(), |n, s| {
            first
                .iter()
                .zip(s.iter())
                .take(n)
                .take_while(|(a, b)| a == b)
                .count()
        });
        let prefix = &first[..common];
        let id = *ids.entry(prefix).or_insert_with(|| {
            strings.push(prefix);
            own.push(0);
            strings.len() - 1
        });
        own[id] |= mask;
    }
    // A string that holds another string, or a trigger byte, waking at least its leaves wakes
    // nothing they do not: wherever it occurs, so do they. Fewer strings keep more sets within
    // what the packed searcher takes. (`wakes` below still reads every string's own leaves.)
    let byte_wakes_of = |b: &u8| bytes.iter().find(|t| t.0 == *b).map_or(0, |t| t.1);
    let kept: Vec<&[u8]> = strings
        .iter()
        .enumerate()
        .filter(|&(i, s)| {
            let by_bytes = s.iter().fold(0, |m, b| m | byte_wakes_of(b));
            let by_string = |(j, t): (usize, &&[u8])| {
                t.len() < s.len() && own[i] & !own[j] == 0 && s.windows(t.len()).any(|w| w == *t)
            };
            own[i] & !by_bytes != 0 && !strings.iter().enumerate().any(by_string)
        })
        .map(|(_, s)| *s)
        .collect();
    let wakes = |s: &[u8]| {
        (1..s.len())
            .filter_map(|len| ids.get(&s[..len]))
            .fold(own[ids[s]], |m, &p| m | own[p])
    };
    // A screen is an optimization: an automaton that cannot be built leaves its leaves
    // unscreened rather than failing the ACL.
    let set = |part: Vec<&[u8]>| {
        Some(Strings {
            find: Finder::new(&part, true)?,
            wakes: part.iter().map(|s| wakes(s)).collect(),
        })
    };
    let mut sets = Vec::new();
    for short in [true, false] {
        let part: Vec<&[u8]> = kept
            .iter()
            .copied()
            .filter(|s| (s.len() == 2) == short)
            .collect();
        if !part.is_empty() {
            sets.push(set(part)?);
        }
    }
    let whole = match sets.len() {
        2 => Some(set(kept.clone())?),
        _ => None,
    };
    let mut byte_class = Box::new([0u8; 256]);
    let mut byte_wakes = vec![0u64];
    // With all 256 byte values as triggers (no chain has them) the table is left incomplete,
    // and `wake` does not read it.
    for (k, &(b, wakes)) in bytes.iter().enumerate().take(255) {
        byte_class[usize::from(b)] = (k + 1) as u8;
        byte_wakes.push(wakes);
    }
    Some(Screen {
        slot: slot as u32,
        captures: false,
        all: u64::MAX >> (64 - members.len()),
        byte_class,
        byte_wakes,
        bytes,
        sqli,
        strings: sets,
        whole,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::XorShift;

    /// The claim screens rest on, chain by chain: on a value without the chain's trigger bytes,
    /// the chain's output, lower-cased, lies within the value lower-cased (with `+` as a space
    /// when the chain may turn it into one). Values are drawn from bytes every listed
    /// transformation acts on, and each chain of up to three steps gets values without its
    /// triggers until enough of them changed under it (case, `+`, ends, `.`).
    #[test]
    fn quiet_chains_only_change_case_plus_and_ends() {
        const ALPHABET: &[u8] = b"aB./\\%+& \t\n\r\x0b\x0c\xa0\x00\"'^,;(:<=xY0";
        let quiet: Vec<Transform> = Transform::ALL
            .iter()
            .copied()
            .filter(|t| t.quiet_without().is_some())
            .collect();
        assert!(quiet.len() >= 18, "{quiet:?}");
        let mut rng = XorShift(0x5eed_0f5c);
        let (mut out, mut tmp) = (Vec::new(), Vec::new());
        let mut changed = 0;
        for _ in 0..20_000 {
            let chain: Vec<Transform> = (0..1 + rng.below(3))
                .map(|_| quiet[rng.below(quiet.len())])
                .collect();
            let (triggers, plus_is_space) =
                substring_triggers(&chain).expect("a chain of quiet steps has triggers");
            let value: Vec<u8> = (0..rng.below(12))
                .map(|_| ALPHABET[rng.below(ALPHABET.len())])
                .filter(|b| !triggers.contains(b))
                .collect();
            crate::transform::apply_chain(&chain, &value, &mut out, &mut tmp);
            let mut within = value.to_ascii_lowercase();
            if plus_is_space {
                within
                    .iter_mut()
                    .filter(|b| **b == b'+')
                    .for_each(|b| *b = b' ');
            }
            let got = out.to_ascii_lowercase();
            assert!(
                got.is_empty() || within.windows(got.len()).any(|w| w == got),
                "{chain:?} on {:?} gave {:?}",
                String::from_utf8_lossy(&value),
                String::from_utf8_lossy(&out)
            );
            changed += usize::from(out != value);
        }
        assert!(changed > 2_000, "only {changed} values changed");
    }

    /// The SQL injection prefilter over values joined by [`SCREEN_SEPARATOR`] passes exactly
    /// when it passes one of the values alone: the separator ends words and byte pairs.
    #[test]
    fn sqli_prefilter_sees_joined_values_as_it_sees_each() {
        const PARTS: &[&str] = &[
            "or", "OR", "1", "0x1f", "union", "select", "-", "/", "*", "&", "|", "'", "a.b", "sel",
            "ect", " ", "=", "1e5", "x", "_", "(", "un", "ion", "drop", ".",
        ];
        let mut rng = XorShift(0x5e9a_7a7e);
        let mut seen = [0usize; 2];
        for _ in 0..20_000 {
            let values: Vec<String> = (0..1 + rng.below(4))
                .map(|_| {
                    (0..rng.below(4))
                        .map(|_| PARTS[rng.below(PARTS.len())])
                        .collect()
                })
                .collect();
            let mut joined = Vec::new();
            for v in &values {
                joined.extend_from_slice(v.as_bytes());
                joined.push(SCREEN_SEPARATOR);
            }
            let any = values
                .iter()
                .any(|v| sqli_prefilter::may_be_sqli(v.as_bytes()));
            assert_eq!(sqli_prefilter::may_be_sqli(&joined), any, "{values:?}");
            seen[usize::from(any)] += 1;
        }
        assert!(seen[0] > 2_000 && seen[1] > 2_000, "{seen:?}");
    }

    /// The packed searcher and the automaton report the same leftmost-longest matches, from
    /// every start, over haystacks shorter and longer than Teddy's minimum.
    #[test]
    fn packed_and_automaton_finders_agree() {
        let mut rng = XorShift(0xfeed_f00d);
        let mut packed_sets = 0;
        for _ in 0..300 {
            let strings: Vec<Vec<u8>> = (0..1 + rng.below(90))
                .map(|_| {
                    (0..2 + rng.below(5))
                        .map(|_| b"abc/.%"[rng.below(6)])
                        .collect()
                })
                .collect();
            let refs: Vec<&[u8]> = strings.iter().map(Vec::as_slice).collect();
            let as_strings = |find| Strings {
                find,
                wakes: Vec::new(),
            };
            let packed = as_strings(Finder::new(&refs, true).expect("builds"));
            let automaton = as_strings(Finder::new(&refs, false).expect("builds"));
            packed_sets += usize::from(matches!(packed.find, Finder::Packed(_)));
            for _ in 0..20 {
                let hay: Vec<u8> = (0..rng.below(80))
                    .map(|_| b"abc/.%x"[rng.below(7)])
                    .collect();
                for at in 0..=hay.len() {
                    assert_eq!(packed.find(&hay, at), automaton.find(&hay, at), "{refs:?}");
                }
            }
        }
        assert!(packed_sets > 100, "{packed_sets}");
    }

    /// A screen wakes at least every leaf one of whose strings or bytes the value holds, however
    /// the leaves' strings overlap: prefixes of one another, inside one another, sharing their
    /// first bytes (merged) or holding a trigger byte (pruned).
    #[test]
    fn overlapping_strings_wake_every_leaf_they_should() {
        const ALPHABET: &[u8] = b"ab.;%";
        let mut rng = XorShift(0x0b5e_55ed);
        let (mut pruned, mut merged) = (0, 0);
        for _ in 0..2_000 {
            let members: Vec<(LeafId, Needs)> = (0..1 + rng.below(6))
                .map(|leaf| {
                    let mut n = Needs::default();
                    for _ in 0..1 + rng.below(4) {
                        let len = 2 + rng.below(6);
                        // Half from two letters only, so that strings often share their start.
                        let letters = 2 + 3 * rng.below(2);
                        let s: Vec<u8> = (0..len).map(|_| ALPHABET[rng.below(letters)]).collect();
                        n.add(&s, false);
                    }
                    if rng.below(4) == 0 {
                        n.bytes.push(b'%');
                    }
                    (leaf as LeafId, n)
                })
                .collect();
            let screen = assemble(0, &members).expect("builds");
            let listed: usize = members.iter().map(|(_, n)| n.strings.len()).sum();
            let searched: usize = match &screen.whole {
                Some(whole) => whole.wakes.len(),
                None => screen.strings.iter().map(|s| s.wakes.len()).sum(),
            };
            pruned += usize::from(searched < listed);
            merged += usize::from(members.iter().any(|(_, n)| {
                n.strings.iter().any(|a| {
                    n.strings
                        .iter()
                        .any(|b| a != b && a.len() > 4 && b.len() > 4 && a[..4] == b[..4])
                })
            }));
            for _ in 0..30 {
                let mut value: Vec<u8> = (0..rng.below(24))
                    .map(|_| ALPHABET[rng.below(ALPHABET.len())])
                    .collect();
                // Half the values longer than a short component, padded with a byte no string
                // holds: searched set by set rather than in one pass.
                if rng.below(2) == 0 {
                    let at = rng.below(value.len() + 1);
                    value.splice(at..at, [b'z'; SCREEN_ONE_PASS_BYTES]);
                }
                let holds = |needle: &[u8]| value.windows(needle.len()).any(|w| w == needle);
                let due = members.iter().enumerate().fold(0u64, |m, (bit, (_, n))| {
                    let hit = n.strings.iter().any(|s| holds(s))
                        || n.bytes.iter().any(|&b| value.contains(&b));
                    m | (u64::from(hit) << bit)
                });
                let woken = screen.wake(&value);
                assert_eq!(
                    due & !woken,
                    0,
                    "{value:?} in {:?}",
                    members.iter().map(|(_, n)| &n.strings).collect::<Vec<_>>()
                );
            }
        }
        assert!(
            pruned > 500 && merged > 50,
            "pruned {pruned}, merged {merged}"
        );
    }

    /// Strings inside others of the same leaves are not searched; a shared start is searched once.
    #[test]
    fn contained_and_same_start_strings_are_searched_once() {
        let needs = |strings: &[&str], bytes: &[u8]| {
            let mut n = Needs::default();
            strings.iter().for_each(|s| n.add(s.as_bytes(), false));
            n.bytes.extend_from_slice(bytes);
            n
        };
        let members = [
            (0, needs(&[".cs", ".cs;", "x.cs?"], &[])),
            (1, needs(&[".cs;q"], &[])),
            (2, needs(&["0xa9fe", "0xa9ab"], &[])),
            (3, needs(&["ab%cd"], b"%")),
        ];
        let screen = assemble(0, &members).expect("builds");
        assert_eq!(
            screen.strings.iter().map(|s| s.wakes.len()).sum::<usize>(),
            3,
            "`.cs`, `.cs;q`, `0xa9`"
        );
        assert_eq!(screen.wake(b"a.cs;b"), 0b0001);
        assert_eq!(screen.wake(b".cs;q"), 0b0011);
        assert_eq!(
            screen.wake(b"0xa9zz"),
            0b0100,
            "the shared start wakes the leaf"
        );
        assert_eq!(screen.wake(b"zz%"), 0b1000);
        assert_eq!(screen.wake(b"0xa.cx"), 0);
    }

    /// A whitespace step after a URL decoding also needs `+`, which the decoding makes a space.
    #[test]
    fn plus_is_a_trigger_of_whitespace_steps_after_url_decoding() {
        let (after, _) =
            substring_triggers(&[Transform::UrlDecode, Transform::CompressWhiteSpace]).unwrap();
        assert!(after.contains(&b'+'));
        let (before, _) =
            substring_triggers(&[Transform::CompressWhiteSpace, Transform::UrlDecode]).unwrap();
        assert!(!before.contains(&b'+'));
        assert!(substring_triggers(&[Transform::Base64Decode]).is_none());
    }
}
