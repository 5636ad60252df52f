//! Cache eviction between timed evaluations (`latency --cold`): inside the proxy, pingora's own
//! work between two requests (≈ 240 KB of code lines and ≈ 130 KB of data lines a request, by
//! callgrind's cache simulation) evicts the evaluation's code and tables from the L1 caches, so
//! there the evaluation runs mostly from L2. `evict` does the same to the bench: it runs a block
//! of straight-line code larger than the instruction cache and reads a buffer larger than the
//! data cache, so that the evaluation timed after it starts with none of its code or tables in
//! L1, without the load test's noise. What it does not reproduce: the branch predictors' state
//! after other branchy code, and the L2 and TLB pressure of the kernel's work.

use std::hint::black_box;

/// Data read between two evaluations: several times a 32-48 KB L1 data cache, and about what
/// pingora's request path touches.
const EVICT_DATA_BYTES: usize = 256 * 1024;
const LINE: usize = 64;

/// One step of the code block: a multiply, a rotate and an xor with a 64-bit constant (about
/// 11 bytes of code that the compiler can neither fold nor turn into a loop).
macro_rules! step {
    ($x:ident) => {
        $x = ($x.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(23)) ^ 0x5851_f42d_4c95_7f2d;
    };
}
/// `$m` eight times; nested, 8, 64, 512 and 4,096 steps.
macro_rules! x8 {
    ($m:ident, $x:ident) => {
        $m!($x);
        $m!($x);
        $m!($x);
        $m!($x);
        $m!($x);
        $m!($x);
        $m!($x);
        $m!($x);
    };
}
macro_rules! s8 {
    ($x:ident) => {
        x8!(step, $x);
    };
}
macro_rules! s64 {
    ($x:ident) => {
        x8!(s8, $x);
    };
}
macro_rules! s512 {
    ($x:ident) => {
        x8!(s64, $x);
    };
}
macro_rules! s4096 {
    ($x:ident) => {
        x8!(s512, $x);
    };
}

/// 16,384 steps of straight-line code (≈ 180 KB, several times a 32 KB instruction cache and
/// about what pingora's request path runs through).
#[inline(never)]
fn code_block(seed: u64) -> u64 {
    let mut x = black_box(seed);
    s4096!(x);
    s4096!(x);
    s4096!(x);
    s4096!(x);
    black_box(x)
}

/// Reusable eviction state.
pub struct Evictor {
    data: Vec<u8>,
    round: u64,
}

impl Evictor {
    pub fn new() -> Evictor {
        Evictor {
            data: vec![1; EVICT_DATA_BYTES],
            round: 0,
        }
    }

    /// Evicts the L1 caches (and part of L2) of what ran before: runs the code block, then
    /// reads one byte of every line of the data buffer.
    #[inline(never)]
    pub fn evict(&mut self) {
        self.round = self.round.wrapping_add(1);
        let mut sum = code_block(self.round);
        for line in self.data.chunks(LINE) {
            sum = sum.wrapping_add(u64::from(line[0]));
        }
        black_box(sum);
    }
}
