//! Properties every transformation keeps, over pseudo-random inputs (no extra crates).
//!
//! Inputs come from a fixed-seed xorshift generator, biased towards the bytes the decoders care
//! about (`% \ & # ; / . * - < ! 0 x u` and hex digits, whitespace, NUL, UTF-8 lead bytes), so
//! that escapes, entities, comments and path segments are common. Checked for each input:
//! * no transformation panics, and each respects [`Transform::max_output_len`];
//! * [`apply_chain`] equals applying the chain one step at a time, with reused buffers;
//! * pre-parse transformations never lengthen the query;
//! * the normalising transformations are idempotent;
//! * `URL_DECODE`'s memchr fast path agrees with a naive byte-at-a-time decoder;
//! * [`unchanged`] never claims a value passes a type unchanged when it does not, and
//!   [`apply_chain_if_changed`] gives what [`apply_chain`] gives.

use super::{
    apply, apply_chain, apply_chain_if_changed, apply_preparse, unchanged, ChainTriggers, PreParse,
    Transform, Triggers,
};
use crate::test_rng::XorShift;

/// Inputs per run; each is put through every transformation and one random chain.
const CASES: usize = 4000;

/// Bytes that trigger the decoders; drawn three times out of four.
const INTERESTING: &[u8] =
    b"%\\&#;/.*-<!>0xXuU{}=+,^'\" \t\n\r\x0b\x0c\xa0\x00aAfF9\xc3\xa9\xe4\xf0\x80";

fn random_input(rng: &mut XorShift) -> Vec<u8> {
    let len = match rng.below(10) {
        0 => rng.below(400),
        _ => rng.below(40),
    };
    (0..len)
        .map(|_| {
            if rng.below(4) == 0 {
                (rng.next() & 0xff) as u8
            } else {
                INTERESTING[rng.below(INTERESTING.len())]
            }
        })
        .collect()
}

/// Up to four transformations of any type.
fn random_chain(rng: &mut XorShift) -> Vec<Transform> {
    (0..rng.below(5))
        .map(|_| Transform::ALL[rng.below(Transform::ALL.len())])
        .collect()
}

#[test]
fn bounds_hold_and_nothing_panics() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::new();
    for _ in 0..CASES {
        let input = random_input(&mut rng);
        for &t in Transform::ALL {
            apply(t, &input, &mut out);
            assert!(
                out.len() <= t.max_output_len(input.len()),
                "{t}: {} bytes from {} bytes of input {:?}",
                out.len(),
                input.len(),
                input.escape_ascii().to_string()
            );
        }
        for &p in PreParse::ALL {
            apply_preparse(p, &input, &mut out);
            assert!(out.len() <= input.len(), "{p} lengthened {input:?}");
        }
    }
}

#[test]
fn chain_equals_step_by_step() {
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let (mut out, mut scratch) = (Vec::new(), Vec::new());
    let (mut step, mut next) = (Vec::new(), Vec::new());
    for _ in 0..CASES {
        let input = random_input(&mut rng);
        let chain = random_chain(&mut rng);
        apply_chain(&chain, &input, &mut out, &mut scratch);
        step.clear();
        step.extend_from_slice(&input);
        for &t in &chain {
            apply(t, &step, &mut next);
            std::mem::swap(&mut step, &mut next);
        }
        assert_eq!(out, step, "chain {chain:?} on {input:?}");
    }
}

#[test]
fn normalising_transformations_are_idempotent() {
    let idempotent = [
        Transform::None,
        Transform::Lowercase,
        Transform::Uppercase,
        Transform::CompressWhiteSpace,
        Transform::RemoveWhitespace,
        Transform::CmdLine,
        Transform::CmdLineWin,
        Transform::CmdLineUnix,
        Transform::NormalizePath,
        Transform::NormalizePathWin,
        Transform::RemoveNulls,
        Transform::ReplaceNulls,
        Transform::Trim,
        Transform::TrimLeft,
        Transform::TrimRight,
    ];
    let mut rng = XorShift(0xdead_beef_cafe_f00d);
    let (mut once, mut twice) = (Vec::new(), Vec::new());
    for _ in 0..CASES {
        let input = random_input(&mut rng);
        for t in idempotent {
            apply(t, &input, &mut once);
            apply(t, &once, &mut twice);
            assert_eq!(once, twice, "{t} is not idempotent on {input:?}");
        }
    }
}

/// A deliberately simple `URL_DECODE`, to check the fast path against.
fn naive_url_decode(input: &[u8]) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::new();
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'+' {
            out.push(b' ');
            i += 1;
        } else if b == b'%'
            && i + 2 < input.len()
            && hex(input[i + 1]).is_some()
            && hex(input[i + 2]).is_some()
        {
            let v = hex(input[i + 1]).unwrap_or(0) * 16 + hex(input[i + 2]).unwrap_or(0);
            out.push(v as u8);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    out
}

#[test]
fn url_decode_matches_naive_decoder() {
    let mut rng = XorShift(0x1234_5678_9abc_def1);
    let mut out = Vec::new();
    for _ in 0..CASES {
        let input = random_input(&mut rng);
        apply(Transform::UrlDecode, &input, &mut out);
        assert_eq!(out, naive_url_decode(&input), "{input:?}");
    }
}

/// Half of the inputs come from plain text (letters, digits, a few separators), where most
/// decoding types leave the value as it is: that is the case [`unchanged`] exists for. Lengths
/// cross the point where [`Triggers`] stops working out every kind at once.
fn mixed_input(rng: &mut XorShift) -> Vec<u8> {
    if rng.below(2) == 0 {
        return random_input(rng);
    }
    const PLAIN: &[u8] = b"abcXYZ019-_./:;= ,()";
    let len = if rng.below(3) == 0 {
        rng.below(300)
    } else {
        rng.below(60)
    };
    (0..len).map(|_| PLAIN[rng.below(PLAIN.len())]).collect()
}

#[test]
fn unchanged_is_never_wrong() {
    let mut rng = XorShift(0x0bad_cafe_1234_5678);
    let mut out = Vec::new();
    let mut claimed = std::collections::BTreeMap::new();
    for _ in 0..CASES {
        let input = mixed_input(&mut rng);
        for &t in Transform::ALL {
            if unchanged(t, &input) {
                apply(t, &input, &mut out);
                assert_eq!(
                    out,
                    input,
                    "{t} changed {:?}",
                    input.escape_ascii().to_string()
                );
                *claimed.entry(t.aws_name()).or_insert(0) += 1;
            }
        }
    }
    // The test is only as good as the claims it checked: each type with a test made many.
    for t in [
        "NONE",
        "LOWERCASE",
        "UPPERCASE",
        "URL_DECODE",
        "URL_DECODE_UNI",
        "HTML_ENTITY_DECODE",
        "JS_DECODE",
        "JS_DECODE_EXT",
        "REMOVE_NULLS",
        "REPLACE_NULLS",
        "TRIM",
        "TRIM_LEFT",
        "TRIM_RIGHT",
    ] {
        assert!(
            claimed.get(t).copied().unwrap_or(0) > 100,
            "{t}: {claimed:?}"
        );
    }
}

#[test]
fn chain_if_changed_equals_chain() {
    let mut rng = XorShift(0x5151_7eed_0ddb_a115);
    let (mut out, mut scratch) = (Vec::new(), Vec::new());
    let (mut want, mut want_scratch) = (Vec::new(), Vec::new());
    let mut untouched = 0;
    for _ in 0..CASES {
        let input = mixed_input(&mut rng);
        let chain = random_chain(&mut rng);
        apply_chain(&chain, &input, &mut want, &mut want_scratch);
        out.clear();
        out.extend_from_slice(b"stale");
        let mut triggers = Triggers::UNKNOWN;
        let got: &[u8] =
            if apply_chain_if_changed(&chain, &input, &mut triggers, &mut out, &mut scratch) {
                &out
            } else {
                assert_eq!(
                    out, b"stale",
                    "out is left alone when the value is unchanged"
                );
                untouched += 1;
                &input
            };
        assert_eq!(got, want.as_slice(), "chain {chain:?} on {input:?}");
    }
    assert!(
        untouched > CASES / 10,
        "{untouched} values passed unchanged"
    );
}

/// A chain's trigger bytes: a value without any passes the chain unchanged, and the triggers
/// that record their absence answer each step as a fresh look would.
#[test]
fn chain_triggers_absent_means_unchanged() {
    let mut rng = XorShift(0x3c3c_9a9a_0f0f_5e5e);
    let (mut out, mut scratch) = (Vec::new(), Vec::new());
    let mut claimed = 0;
    for _ in 0..CASES {
        let input = mixed_input(&mut rng);
        // Half the chains from the types a search can stand for, so that most are searched.
        let chain = if rng.below(2) == 0 {
            random_chain(&mut rng)
        } else {
            const SEARCHABLE: [Transform; 6] = [
                Transform::UrlDecode,
                Transform::UrlDecodeUni,
                Transform::HtmlEntityDecode,
                Transform::JsDecode,
                Transform::RemoveNulls,
                Transform::None,
            ];
            (0..1 + rng.below(3))
                .map(|_| SEARCHABLE[rng.below(SEARCHABLE.len())])
                .collect()
        };
        let Some(search) = ChainTriggers::of(&chain) else {
            continue;
        };
        if search.find(&input).is_some() {
            continue;
        }
        apply_chain(&chain, &input, &mut out, &mut scratch);
        assert_eq!(out, input, "chain {chain:?} changed {input:?}");
        let mut learnt = Triggers::UNKNOWN;
        learnt.lacks(&search);
        for &t in &chain {
            assert_eq!(learnt.leaves_unchanged(t, &input), unchanged(t, &input));
        }
        claimed += 1;
    }
    assert!(claimed > CASES / 20, "{claimed} claims checked");
}

/// [`Triggers`] learnt while testing some types answer later types as a fresh look would, for
/// short values (every kind at once) and long ones (kind by kind).
#[test]
fn triggers_remember_what_they_looked_for() {
    let mut rng = XorShift(0x7777_1234_abcd_0001);
    for _ in 0..CASES {
        let input = mixed_input(&mut rng);
        let mut learnt = Triggers::UNKNOWN;
        for _ in 0..6 {
            let t = Transform::ALL[rng.below(Transform::ALL.len())];
            assert_eq!(
                learnt.leaves_unchanged(t, &input),
                unchanged(t, &input),
                "{t} on {input:?}"
            );
        }
    }
}
