//! Match details (`terminatingRuleMatchDetails`, `ruleMatchDetails`): which SQLi, XSS and regex
//! statements of a matching rule fired, where, and on what. Computed only for rules that matched.

use super::scratch::{slot_values, Scratch, TRUE};
use super::verdict::MatchDetail;
use crate::compile::slot::FieldSel;
use crate::compile::{CompiledAcl, FieldTest, Leaf, Node};
use crate::detect::{self, Sensitivity};

/// Most tokens logged in one `matchedData`.
pub const MAX_MATCHED_TOKENS: usize = 16;

/// Appends the details of `n`'s matching SQLi/XSS/regex leaves; returns their range.
pub(super) fn rule_details(acl: &CompiledAcl, s: &mut Scratch, n: &Node) -> (u32, u32) {
    let start = s.verdict.details.len() as u32;
    walk(acl, s, n);
    (start, s.verdict.details.len() as u32)
}

fn walk(acl: &CompiledAcl, s: &mut Scratch, n: &Node) {
    match n {
        Node::And(list) | Node::Or(list) => list.iter().for_each(|n| walk(acl, s, n)),
        // A negated statement matched by *not* matching: nothing to show.
        Node::Not(_) => {}
        Node::Leaf(id) => {
            if s.leaf_memo[*id as usize] != TRUE {
                return;
            }
            let Leaf::Field(f) = &acl.leaves[*id as usize] else {
                return;
            };
            let slot = &acl.slots[f.slot as usize];
            let field_name = match &slot.field {
                FieldSel::SingleHeader(n) | FieldSel::SingleQueryArgument(n) => {
                    Some(push_text(s, n.as_bytes()))
                }
                _ => None,
            };
            let location = slot.field.log_location();
            let detail = match &f.test {
                FieldTest::Sqli(level) => {
                    let data = sqli_tokens(s, f.slot as usize, *level);
                    MatchDetail {
                        condition: "SQL_INJECTION",
                        location,
                        sensitivity: Some(*level),
                        data,
                        field_name,
                    }
                }
                FieldTest::Xss => MatchDetail {
                    condition: "XSS",
                    location,
                    sensitivity: None,
                    data: None,
                    field_name,
                },
                FieldTest::Regex { .. } => MatchDetail {
                    condition: "REGEX",
                    location,
                    sensitivity: None,
                    data: None,
                    field_name,
                },
                _ => return,
            };
            s.verdict.details.push(detail);
        }
    }
}

/// Re-runs the detector on the slot's values to recover the tokens of the first detection.
fn sqli_tokens(s: &mut Scratch, slot: usize, level: Sensitivity) -> Option<(u32, u32)> {
    let Scratch {
        slots,
        ranges,
        arena,
        detect,
        tokens,
        verdict,
        ..
    } = s;
    for v in slot_values(slots, ranges, arena, slot) {
        if detect::is_sqli(v, level, detect, tokens) {
            let first = verdict.detail_tokens.len() as u32;
            for t in tokens.iter().take(MAX_MATCHED_TOKENS) {
                let start = verdict.detail_text.len() as u32;
                verdict.detail_text.extend_from_slice(t);
                verdict
                    .detail_tokens
                    .push((start, verdict.detail_text.len() as u32));
            }
            return Some((first, verdict.detail_tokens.len() as u32));
        }
    }
    None
}

fn push_text(s: &mut Scratch, text: &[u8]) -> (u32, u32) {
    let start = s.verdict.detail_text.len() as u32;
    s.verdict.detail_text.extend_from_slice(text);
    (start, s.verdict.detail_text.len() as u32)
}
