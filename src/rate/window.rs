//! One key's counts over a rule's window, one entry per second that saw requests: the requests
//! this instance counted, how many of them the shared store has confirmed, and what the other
//! instances counted in that second as last read from the store.
//!
//! Without a shared store `sent` and `others` stay zero and a window is the exact local count.
//! With one, the count a request is judged by is `local + others`: exact for this instance, and
//! for the others as fresh as the last read (a lower bound, since a bucket only grows). Entries
//! leave the window by second, shared part included, so nothing read earlier outlives its window.

use std::collections::VecDeque;

/// One second of one key.
#[derive(Debug, Clone, Copy)]
struct Second {
    /// Whole seconds since the Unix epoch (u32 lasts until 2106).
    at: u32,
    /// Requests counted by this instance.
    local: u32,
    /// Of `local`, how many the shared store confirmed it added to this second's bucket.
    sent: u32,
    /// The bucket's value minus `sent`, as last read: what the other instances counted.
    others: u32,
}

/// Counts of one key within the window, oldest second first.
#[derive(Debug, Default)]
pub(super) struct Window {
    seconds: VecDeque<Second>,
    /// Σ `local`.
    local: u64,
    /// Σ `others`.
    others: u64,
    /// Σ (`local` − `sent`): requests not yet confirmed by the shared store.
    unsent: u64,
    /// The latest second this instance counted a request in.
    pub(super) last_second: u32,
    /// The oldest second whose shared bucket may still change and must be read again.
    read_from: u32,
}

/// Seconds as stored: saturate rather than wrap for timestamps past 2106.
pub(super) fn second_of(now_ms: u64) -> u32 {
    u32::try_from(now_ms / 1000).unwrap_or(u32::MAX)
}

impl Window {
    /// Drops seconds that left the window ending at `now`.
    pub(super) fn expire(&mut self, now: u32, window: u64) {
        while let Some(s) = self.seconds.front() {
            if u64::from(s.at) + window > u64::from(now) {
                break;
            }
            self.local -= u64::from(s.local);
            self.others -= u64::from(s.others);
            self.unsent -= u64::from(s.local - s.sent);
            self.seconds.pop_front();
        }
    }

    /// The entry for `second`, created in order if missing (replayed logs may be slightly out of
    /// order, and shared reads may fill seconds this instance never saw).
    fn entry(&mut self, second: u32) -> &mut Second {
        let pos = self.seconds.iter().rposition(|s| s.at <= second);
        let i = match pos {
            Some(i) if self.seconds[i].at == second => i,
            Some(i) => {
                self.seconds.insert(
                    i + 1,
                    Second {
                        at: second,
                        local: 0,
                        sent: 0,
                        others: 0,
                    },
                );
                i + 1
            }
            None => {
                self.seconds.push_front(Second {
                    at: second,
                    local: 0,
                    sent: 0,
                    others: 0,
                });
                0
            }
        };
        &mut self.seconds[i]
    }

    /// Counts one request in `second`.
    pub(super) fn add(&mut self, second: u32) {
        let s = self.entry(second);
        if s.local == u32::MAX {
            return;
        }
        s.local += 1;
        self.local += 1;
        self.unsent += 1;
        self.last_second = self.last_second.max(second);
    }

    /// The key's count over the window as last expired: this instance's requests plus the other
    /// instances' as last read.
    pub(super) fn total(&self) -> u64 {
        self.local + self.others
    }

    /// The count over the window ending at `now` without expiring anything.
    pub(super) fn count_at(&self, now: u32, window: u64) -> u64 {
        self.seconds
            .iter()
            .filter(|s| u64::from(s.at) + window > u64::from(now))
            .map(|s| u64::from(s.local) + u64::from(s.others))
            .sum()
    }

    pub(super) fn has_unsent(&self) -> bool {
        self.unsent > 0
    }

    /// Appends (second, requests) not yet confirmed by the shared store, and returns the range
    /// of seconds whose buckets to read: every second not known final, the unsent ones included,
    /// clipped to the window ending at `now`.
    pub(super) fn pending(&self, now: u32, window: u64, sends: &mut Vec<(u32, u32)>) -> (u32, u32) {
        let start = sends.len();
        sends.extend(
            self.seconds
                .iter()
                .filter(|s| s.local > s.sent)
                .map(|s| (s.at, s.local - s.sent)),
        );
        let oldest_in_window = (u64::from(now) + 1).saturating_sub(window) as u32;
        let mut from = self.read_from;
        let mut to = now;
        for &(at, _) in &sends[start..] {
            from = from.min(at);
            to = to.max(at);
        }
        (from.max(oldest_in_window).min(to), to)
    }

    /// Applies one successful exchange with the shared store: `sends` were added to their
    /// buckets, then the buckets of `from..` were read as `values` (the sends included).
    /// Buckets older than `to + 1 - settle` are taken as final and not read again.
    pub(super) fn confirm(
        &mut self,
        sends: &[(u32, u32)],
        from: u32,
        values: &[u64],
        now: u32,
        window: u64,
        settle: u32,
    ) {
        for &(at, n) in sends {
            if let Some(s) = self.seconds.iter_mut().find(|s| s.at == at) {
                let n = n.min(s.local - s.sent);
                s.sent += n;
                self.unsent -= u64::from(n);
            }
        }
        for (i, &v) in values.iter().enumerate() {
            let at = from + i as u32;
            if u64::from(at) + window <= u64::from(now) {
                continue;
            }
            let known = self.seconds.iter().position(|s| s.at == at);
            let sent = known.map_or(0, |i| self.seconds[i].sent);
            let others = u32::try_from(v.saturating_sub(u64::from(sent))).unwrap_or(u32::MAX);
            if known.is_none() && others == 0 {
                continue;
            }
            let s = self.entry(at);
            let before = s.others;
            s.others = others;
            self.others = self.others - u64::from(before) + u64::from(others);
        }
        let to = from + values.len().saturating_sub(1) as u32;
        self.read_from = self
            .read_from
            .max(to.saturating_add(1).saturating_sub(settle));
    }

    /// The shared store lost its counts (restarted or flushed): send every local request again
    /// and re-read the whole window.
    pub(super) fn resend_all(&mut self) {
        for s in &mut self.seconds {
            s.sent = 0;
        }
        self.unsent = self.local;
        self.read_from = 0;
    }

    /// Seconds held, for the per-key size estimate in benches.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.seconds.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_counts_expire_by_second() {
        let mut w = Window::default();
        for s in [10, 10, 11, 12] {
            w.add(s);
        }
        assert_eq!(w.total(), 4);
        w.expire(70, 60);
        assert_eq!(w.total(), 2, "second 10 leaves at 70");
        assert_eq!(w.count_at(72, 60), 0);
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn shared_reads_add_the_other_instances_and_expire_with_them() {
        let mut w = Window::default();
        w.add(100);
        w.add(100);
        w.add(101);
        let mut sends = Vec::new();
        let (from, to) = w.pending(101, 60, &mut sends);
        assert_eq!(sends, [(100, 2), (101, 1)]);
        assert_eq!((from, to), (42, 101), "a new key reads its whole window");
        // Redis holds our 2 + 5 from elsewhere in second 100, our 1 in 101, and 3 in 99 (unseen here).
        let mut values = vec![0; 60];
        values[99 - 42] = 3;
        values[100 - 42] = 7;
        values[101 - 42] = 1;
        w.confirm(&sends, 42, &values, 101, 60, 2);
        assert!(!w.has_unsent());
        assert_eq!(w.total(), 3 + 5 + 3);
        // A request during the next exchange: counted locally at once, others unchanged.
        w.add(101);
        assert_eq!(w.total(), 12);
        let mut sends = Vec::new();
        assert_eq!(w.pending(102, 60, &mut sends), (100, 102));
        assert_eq!(sends, [(101, 1)]);
        w.confirm(&sends, 100, &[7, 2, 4], 102, 60, 2);
        assert_eq!(w.total(), 3 + 2 + 5 + 2 + 4);
        w.expire(159, 60);
        assert_eq!(w.total(), 16 - 3, "second 99 left the window");
        w.expire(161, 60);
        assert_eq!(
            w.total(),
            4,
            "only second 102 (read from elsewhere) is left"
        );
    }

    #[test]
    fn a_store_that_lost_its_counts_gets_them_again() {
        let mut w = Window::default();
        w.add(5);
        let mut sends = Vec::new();
        w.pending(5, 60, &mut sends);
        w.confirm(&sends, 5, &[4], 5, 60, 2);
        assert_eq!(w.total(), 4);
        w.resend_all();
        let mut sends = Vec::new();
        assert_eq!(
            w.pending(6, 60, &mut sends),
            (0, 6),
            "the whole window is read again"
        );
        assert_eq!(sends, [(5, 1)]);
        // The bucket is back with our 1 only: the other instances have not re-sent yet.
        w.confirm(&sends, 0, &[0, 0, 0, 0, 0, 1, 0], 6, 60, 2);
        assert_eq!(w.total(), 1);
    }
}
