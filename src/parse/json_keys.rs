//! Duplicate-key detection for the JSON walker.
//!
//! AWS WAF treats a JSON object that names the same key twice as a parse failure. This
//! file owns the bookkeeping for that check: the keys of every object still open, compared
//! by their unescaped bytes (`"a"` and `"\u0061"` are the same key).
//!
//! The walker calls [`SeenKeys::open`] and [`SeenKeys::close`] around each object, so the
//! keys of the innermost open object always sit at the end of one stack and a closed
//! object's keys are dropped. Most objects have a handful of keys: those are compared
//! linearly, with no hashing at all. An object that reaches [`LINEAR_MAX_KEYS`] keys
//! switches to a hash index (foldhash, seeded once per process, so a client cannot choose
//! colliding keys in advance), keeping a large object O(n) expected rather than O(n²).
//! Memory grows with the keys of the open objects, which the caller bounds by cutting the
//! body to the inspection window.

use foldhash::fast::RandomState;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::BuildHasher;

/// Identifies one JSON object within a single walk.
pub(crate) type ObjectId = usize;

/// Keys an object may have before lookups go through the hash index.
const LINEAR_MAX_KEYS: usize = 16;

/// Where one recorded key's bytes live in the arena.
struct Span {
    start: usize,
    len: usize,
}

/// One open object: where its keys start on the stacks.
struct Open {
    object: ObjectId,
    first_span: usize,
    arena_start: usize,
    hashed: bool,
}

/// The keys of every open object.
#[derive(Default)]
pub(crate) struct SeenKeys {
    /// Unescaped key bytes, back to back.
    arena: Vec<u8>,
    spans: Vec<Span>,
    open: Vec<Open>,
    /// (object, hash of key bytes) → index of the first span with that hash; only for
    /// objects past [`LINEAR_MAX_KEYS`].
    first_by_hash: HashMap<(ObjectId, u64), usize, RandomState>,
    hasher: RandomState,
}

impl SeenKeys {
    /// Forgets every key, keeping the allocations for the next walk.
    pub(crate) fn clear(&mut self) {
        self.arena.clear();
        self.spans.clear();
        self.open.clear();
        self.first_by_hash.clear();
    }

    /// An object starts; its keys follow until the matching [`SeenKeys::close`].
    pub(crate) fn open(&mut self, object: ObjectId) {
        self.open.push(Open {
            object,
            first_span: self.spans.len(),
            arena_start: self.arena.len(),
            hashed: false,
        });
    }

    /// The innermost open object ends: its keys are no longer needed.
    pub(crate) fn close(&mut self) {
        if let Some(open) = self.open.pop() {
            self.spans.truncate(open.first_span);
            self.arena.truncate(open.arena_start);
        }
    }

    /// Records `key` as a member of the innermost open object; returns false if that object
    /// already has a member with exactly these bytes.
    pub(crate) fn insert(&mut self, key: &[u8]) -> bool {
        let Some(open) = self.open.last_mut() else {
            return true;
        };
        let first = open.first_span;
        let count = self.spans.len() - first;
        if !open.hashed && count < LINEAR_MAX_KEYS {
            let arena = &self.arena;
            let duplicate =
                self.spans.get(first..).unwrap_or_default().iter().any(|s| {
                    s.len == key.len() && arena.get(s.start..s.start + s.len) == Some(key)
                });
            if duplicate {
                return false;
            }
        } else {
            let object = open.object;
            if !open.hashed {
                open.hashed = true;
                for (ix, s) in self.spans.iter().enumerate().skip(first) {
                    let bytes = self.arena.get(s.start..s.start + s.len).unwrap_or_default();
                    let hash = self.hasher.hash_one(bytes);
                    self.first_by_hash.entry((object, hash)).or_insert(ix);
                }
            }
            let hash = self.hasher.hash_one(key);
            match self.first_by_hash.entry((object, hash)) {
                Entry::Vacant(slot) => {
                    slot.insert(self.spans.len());
                }
                Entry::Occupied(slot) => {
                    // Same hash: a duplicate or (rarely) a collision. Compare the bytes of
                    // this object's keys from the first one with that hash on.
                    let arena = &self.arena;
                    let duplicate = self
                        .spans
                        .get(*slot.get()..)
                        .into_iter()
                        .flatten()
                        .any(|s| {
                            s.len == key.len() && arena.get(s.start..s.start + s.len) == Some(key)
                        });
                    if duplicate {
                        return false;
                    }
                }
            }
        }
        self.spans.push(Span {
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
}
