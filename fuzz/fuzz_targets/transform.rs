//! Fuzz target for `webacl::transform`: any bytes through any transformation or short chain.
//!
//! Input layout: the first byte selects what runs, the rest is the value to transform.
//! * selector < 0xC0: one transformation, `Transform::ALL[selector % len]`;
//! * 0xC0..0xF0: a chain of two (even) or three (odd) transformations: the selector picks the
//!   first, the next one or two bytes pick the others;
//! * 0xF0..: one pre-parse transformation, `PreParse::ALL[selector % len]`.
//!
//! Checked: nothing panics; every output respects `Transform::max_output_len` (pre-parse output
//! is never longer than the query); `apply_chain` equals applying the chain step by step; a type
//! `unchanged` vouches for returns its input; `apply_chain_if_changed` gives what `apply_chain` gives;
//! a chain whose `ChainTriggers` find none of their bytes leaves its input unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webacl::transform::{
    apply, apply_chain, apply_chain_if_changed, apply_preparse, unchanged, ChainTriggers, PreParse,
    Transform, Triggers,
};

fn pick(b: u8) -> Transform {
    Transform::ALL[usize::from(b) % Transform::ALL.len()]
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mut out = Vec::new();
    match selector {
        0x00..=0xbf => {
            let t = pick(selector);
            apply(t, rest, &mut out);
            assert!(
                out.len() <= t.max_output_len(rest.len()),
                "{t}: {} bytes from {}",
                out.len(),
                rest.len()
            );
            if unchanged(t, rest) {
                assert_eq!(out, rest, "{t}: unchanged() vouched for a value it changed");
            }
        }
        0xc0..=0xef => {
            let extra = 1 + usize::from(selector & 1);
            if rest.len() < extra {
                return;
            }
            let (picks, input) = rest.split_at(extra);
            let chain: Vec<Transform> = std::iter::once(pick(selector))
                .chain(picks.iter().map(|&b| pick(b)))
                .collect();
            let mut scratch = Vec::new();
            apply_chain(&chain, input, &mut out, &mut scratch);
            let bound = chain
                .iter()
                .fold(input.len(), |len, t| t.max_output_len(len));
            assert!(out.len() <= bound, "{chain:?}: {} > {bound}", out.len());

            let mut step = input.to_vec();
            let mut next = Vec::new();
            for &t in &chain {
                apply(t, &step, &mut next);
                std::mem::swap(&mut step, &mut next);
            }
            assert_eq!(out, step, "{chain:?}: chain differs from step by step");

            let (mut if_changed, mut scratch) = (Vec::new(), Vec::new());
            let mut triggers = Triggers::UNKNOWN;
            let got: &[u8] = if apply_chain_if_changed(
                &chain,
                input,
                &mut triggers,
                &mut if_changed,
                &mut scratch,
            ) {
                &if_changed
            } else {
                input
            };
            assert_eq!(
                got,
                out.as_slice(),
                "{chain:?}: apply_chain_if_changed differs"
            );
            if let Some(search) = ChainTriggers::of(&chain) {
                if search.find(input).is_none() {
                    assert_eq!(out, input, "{chain:?}: changed a value without trigger bytes");
                }
            }
        }
        0xf0..=0xff => {
            let p = PreParse::ALL[usize::from(selector) % PreParse::ALL.len()];
            apply_preparse(p, rest, &mut out);
            assert!(
                out.len() <= rest.len(),
                "{p}: {} > {}",
                out.len(),
                rest.len()
            );
        }
    }
});
