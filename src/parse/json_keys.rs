//! Duplicate-key detection for the JSON walker.
//!
//! AWS WAF treats a JSON object that names the same key twice as a parse failure. This
//! file owns the bookkeeping for that check: the keys of every object still open, compared
//! by their unescaped bytes (`"a"` and `"\u0061"` are the same key).
//!
//! The walker calls [`SeenKeys::open`] and [`SeenKeys::close`] around each object, so the
//! keys of the innermost open object always sit at the end of one stack and a closed
//! object's keys are dropped. A key is kept as its length and its first eight bytes in one
//! word, with only the bytes past those in an arena: most keys are short, and two of them
//! are compared as two integers, without a `memcmp` call. Most objects have a handful of
//! keys: those are compared linearly, with no hashing at all. An object that reaches
//! [`LINEAR_MAX_KEYS`] keys switches to a hash index (foldhash, seeded once per process, so a
//! client cannot choose colliding keys in advance), keeping a large object O(n) expected
//! rather than O(n²). Memory grows with the keys of the open objects, which the caller
//! bounds by cutting the body to the inspection window.

use crate::word::load_upto8;
use foldhash::fast::RandomState;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::BuildHasher;

/// Identifies one JSON object within a single walk.
pub(crate) type ObjectId = usize;

/// Keys an object may have before lookups go through the hash index.
const LINEAR_MAX_KEYS: usize = 16;

/// Bytes of a key held in [`Key::head`]; the rest go to the arena.
const HEAD_BYTES: usize = 8;

/// One recorded key.
#[derive(Clone, Copy)]
struct Key {
    /// The first [`HEAD_BYTES`] bytes, zero-padded ([`load_upto8`]).
    head: u64,
    len: usize,
    /// Where the bytes past the head start in the arena.
    tail_start: usize,
}

impl Key {
    fn of(head: u64, key: &[u8], tail_start: usize) -> Key {
        Key {
            head,
            len: key.len(),
            tail_start,
        }
    }

    /// The bytes past the head.
    fn tail<'a>(&self, arena: &'a [u8]) -> &'a [u8] {
        let len = self.len.saturating_sub(HEAD_BYTES);
        arena
            .get(self.tail_start..self.tail_start + len)
            .unwrap_or_default()
    }

    /// Whether this key has exactly `head`, `len` and `tail` (another key's).
    fn is(&self, arena: &[u8], head: u64, len: usize, tail: &[u8]) -> bool {
        self.head == head && self.len == len && self.tail(arena) == tail
    }

    fn hash(&self, hasher: &RandomState, tail: &[u8]) -> u64 {
        hasher.hash_one((self.head, self.len, tail))
    }
}

/// One open object: where its keys start on the stacks.
struct Open {
    object: ObjectId,
    first_key: usize,
    arena_start: usize,
    hashed: bool,
    /// One bit per key so far, chosen by [`filter_bit`]: a key whose bit is clear is new.
    filter: u64,
}

/// A bit of 64 chosen by a key's head and length (a multiplicative hash; the linear path only,
/// where a client who makes every key share one bit costs at most [`LINEAR_MAX_KEYS`]
/// comparisons per key, as without the filter).
#[inline(always)]
fn filter_bit(head: u64, len: usize) -> u64 {
    let h = (head ^ (len as u64).rotate_right(7)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    1 << (h >> 58)
}

/// The keys of every open object.
#[derive(Default)]
pub(crate) struct SeenKeys {
    /// Bytes of keys past their heads, back to back.
    arena: Vec<u8>,
    keys: Vec<Key>,
    open: Vec<Open>,
    /// (object, hash of key bytes) → index of the first key with that hash; only for
    /// objects past [`LINEAR_MAX_KEYS`].
    first_by_hash: HashMap<(ObjectId, u64), usize, RandomState>,
    hasher: RandomState,
}

impl SeenKeys {
    /// Forgets every key, keeping the allocations for the next walk.
    pub(crate) fn clear(&mut self) {
        self.arena.clear();
        self.keys.clear();
        self.open.clear();
        self.first_by_hash.clear();
    }

    /// An object starts; its keys follow until the matching [`SeenKeys::close`].
    pub(crate) fn open(&mut self, object: ObjectId) {
        self.open.push(Open {
            object,
            first_key: self.keys.len(),
            arena_start: self.arena.len(),
            hashed: false,
            filter: 0,
        });
    }

    /// The innermost open object ends: its keys are no longer needed.
    pub(crate) fn close(&mut self) {
        if let Some(open) = self.open.pop() {
            self.keys.truncate(open.first_key);
            self.arena.truncate(open.arena_start);
        }
    }

    /// Records `key` as a member of the innermost open object; returns false if that object
    /// already has a member with exactly these bytes. Most objects are small: a key whose
    /// [`Open::filter`] bit is new is certainly new, and only the others are compared.
    pub(crate) fn insert(&mut self, key: &[u8]) -> bool {
        let Some(open) = self.open.last_mut() else {
            return true;
        };
        let first = open.first_key;
        if open.hashed || self.keys.len() - first >= LINEAR_MAX_KEYS {
            return self.insert_hashed(key);
        }
        let (head, tail) = (load_upto8(key), key.get(HEAD_BYTES..).unwrap_or_default());
        let bit = filter_bit(head, key.len());
        let known = open.filter & bit != 0;
        open.filter |= bit;
        if known {
            let arena = &self.arena;
            let same = |k: &Key| k.is(arena, head, key.len(), tail);
            if self.keys.get(first..).unwrap_or_default().iter().any(same) {
                return false;
            }
        }
        self.push(head, key, tail);
        true
    }

    /// [`SeenKeys::insert`] for an object past [`LINEAR_MAX_KEYS`] keys: through the hash
    /// index, built at the first key past the bound.
    #[inline(never)]
    fn insert_hashed(&mut self, key: &[u8]) -> bool {
        let Some(open) = self.open.last_mut() else {
            return true;
        };
        let (object, first) = (open.object, open.first_key);
        let arena = &self.arena;
        if !std::mem::replace(&mut open.hashed, true) {
            for (ix, k) in self.keys.iter().enumerate().skip(first) {
                let hash = k.hash(&self.hasher, k.tail(arena));
                self.first_by_hash.entry((object, hash)).or_insert(ix);
            }
        }
        let (head, tail) = (load_upto8(key), key.get(HEAD_BYTES..).unwrap_or_default());
        let hash = Key::of(head, key, 0).hash(&self.hasher, tail);
        match self.first_by_hash.entry((object, hash)) {
            Entry::Vacant(slot) => {
                slot.insert(self.keys.len());
            }
            Entry::Occupied(slot) => {
                // Same hash: a duplicate or (rarely) a collision. Compare this object's keys
                // from the first one with that hash on.
                let same = |k: &Key| k.is(arena, head, key.len(), tail);
                if self
                    .keys
                    .get(*slot.get()..)
                    .unwrap_or_default()
                    .iter()
                    .any(same)
                {
                    return false;
                }
            }
        }
        self.push(head, key, tail);
        true
    }

    #[inline(always)]
    fn push(&mut self, head: u64, key: &[u8], tail: &[u8]) {
        self.keys.push(Key::of(head, key, self.arena.len()));
        if !tail.is_empty() {
            self.arena.extend_from_slice(tail);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_duplicates_per_object_only() {
        let mut seen = SeenKeys::default();
        seen.open(0);
        assert!(seen.insert(b"a"));
        assert!(seen.insert(b"b"));
        seen.open(1);
        assert!(seen.insert(b"a"));
        assert!(!seen.insert(b"a"));
        seen.close();
        assert!(!seen.insert(b"a"), "the outer object still has `a`");
        assert!(seen.insert(b""));
        assert!(!seen.insert(b""));
    }

    #[test]
    fn large_objects_switch_to_the_hash_index_without_losing_keys() {
        let mut seen = SeenKeys::default();
        seen.open(0);
        let keys: Vec<Vec<u8>> = (0..100).map(|i| format!("k{i}").into_bytes()).collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(seen.insert(k), "{i}");
            if i % 7 == 0 {
                seen.open(i + 1);
                assert!(seen.insert(k), "a nested object has its own keys");
                seen.close();
            }
        }
        for k in &keys {
            assert!(!seen.insert(k), "{}", String::from_utf8_lossy(k));
        }
    }

    /// Against a set of byte strings per open object: keys that differ only past their head,
    /// only in length (`a` and `a` followed by NUL), or only in their head, in small objects
    /// and in objects past [`LINEAR_MAX_KEYS`].
    #[test]
    fn agrees_with_a_set_per_object() {
        let mut rng = crate::test_rng::XorShift(0x6b_e7_5e);
        let mut seen = SeenKeys::default();
        let mut checked = [0usize; 2];
        for _ in 0..300 {
            seen.clear();
            let mut model: Vec<std::collections::HashSet<Vec<u8>>> = Vec::new();
            seen.open(0);
            model.push(Default::default());
            // Keys from a small pool, so that long keys repeat as often as short ones.
            let pool: Vec<Vec<u8>> = (0..40)
                .map(|_| {
                    let len = [0, 1, 7, 8, 9, 15, 16, 17][rng.below(8)];
                    (0..len).map(|_| b"ab\0"[rng.below(3)]).collect()
                })
                .collect();
            for step in 0..rng.below(120) {
                match rng.below(12) {
                    0 => {
                        seen.open(step + 1);
                        model.push(Default::default());
                    }
                    1 if model.len() > 1 => {
                        seen.close();
                        model.pop();
                    }
                    _ => {
                        let key = pool[rng.below(pool.len())].clone();
                        let fresh = model.last_mut().is_some_and(|m| m.insert(key.clone()));
                        assert_eq!(seen.insert(&key), fresh, "{key:?}");
                        checked[usize::from(fresh)] += 1;
                    }
                }
            }
        }
        assert!(checked.iter().all(|&n| n > 1_000), "{checked:?}");
    }
}
