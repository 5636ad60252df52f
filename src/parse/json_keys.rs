//! Duplicate-key detection for the JSON walker.
//!
//! AWS WAF treats a JSON object that names the same key twice as a parse failure. This
//! file owns the bookkeeping for that check: every key seen so far, tagged with the
//! object it belongs to, compared by its unescaped bytes (`"a"` and `"\u0061"` are the
//! same key). Lookups are hashed, so an object with n keys costs O(n) expected time, not
//! O(n²). Memory grows with the number of keys in the document, which the caller bounds
//! by cutting the body to the inspection window.
//!
//! The hash is foldhash, seeded once per process: std's SipHash made key bookkeeping half
//! of the time spent on an 8 KB JSON body, and a per-process seed keeps a client from
//! choosing colliding keys in advance.

use foldhash::fast::RandomState;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::BuildHasher;

/// Identifies one JSON object within a single walk.
pub(crate) type ObjectId = usize;

/// One recorded key: its object, its hash and where its bytes live in the arena.
struct Span {
    object: ObjectId,
    start: usize,
    len: usize,
}

/// All keys seen in one walk, grouped by object.
#[derive(Default)]
pub(crate) struct SeenKeys {
    /// Unescaped key bytes, back to back.
    arena: Vec<u8>,
    spans: Vec<Span>,
    /// (object, hash of key bytes) → index of the first span with that hash.
    first_by_hash: HashMap<(ObjectId, u64), usize, RandomState>,
    hasher: RandomState,
}

impl SeenKeys {
    /// Forgets every key, keeping the allocations for the next walk.
    pub(crate) fn clear(&mut self) {
        self.arena.clear();
        self.spans.clear();
        self.first_by_hash.clear();
    }

    /// Records `key` as a member of `object`; returns false if `object` already has a
    /// member with exactly these bytes.
    pub(crate) fn insert(&mut self, object: ObjectId, key: &[u8]) -> bool {
        let hash = self.hasher.hash_one(key);
        let new_index = self.spans.len();
        match self.first_by_hash.entry((object, hash)) {
            Entry::Vacant(slot) => {
                slot.insert(new_index);
            }
            Entry::Occupied(slot) => {
                // Same hash: either a duplicate or (very rarely) a collision. Compare the
                // bytes of every key of this object from the first one with that hash on.
                let from = *slot.get();
                let arena = &self.arena;
                let duplicate = self.spans.get(from..).into_iter().flatten().any(|s| {
                    s.object == object && arena.get(s.start..s.start + s.len) == Some(key)
                });
                if duplicate {
                    return false;
                }
            }
        }
        self.spans.push(Span {
            object,
            start: self.arena.len(),
            len: key.len(),
        });
        self.arena.extend_from_slice(key);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_duplicates_per_object_only() {
        let mut seen = SeenKeys::default();
        assert!(seen.insert(0, b"a"));
        assert!(seen.insert(0, b"b"));
        assert!(seen.insert(1, b"a"));
        assert!(!seen.insert(0, b"a"));
        assert!(!seen.insert(1, b"a"));
        assert!(seen.insert(0, b""));
        assert!(!seen.insert(0, b""));
    }
}
