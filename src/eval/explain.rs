//! `--explain`: a readable account of each leaf statement — what it inspected after which
//! transformations, and whether it matched. Only built when `Scratch::trace` is set.

use super::scratch::Scratch;
use crate::compile::{CompiledAcl, Leaf, LeafId};

/// Longest value quoted in a trace line.
pub const TRACE_VALUE_CHARS: usize = 80;
/// Most values quoted for one component.
pub const TRACE_VALUES: usize = 5;

/// `screened`: a screen proved the leaf false from the raw component (`compile::screen`), so
/// the slot's values, even when another leaf computed them, were not what answered it.
pub(crate) fn leaf_line(
    acl: &CompiledAcl,
    s: &Scratch,
    id: LeafId,
    r: Option<bool>,
    screened: bool,
) -> String {
    let l = &acl.leaves[id as usize];
    let outcome = match r {
        Some(true) => "MATCH",
        Some(false) => "no match",
        None => "not applied (forwarded-IP header absent)",
    };
    let id = acl.leaves.iter().position(|x| x == l).unwrap_or(0);
    let desc = acl
        .leaf_descriptions
        .get(id)
        .map(|d| &**d)
        .unwrap_or("statement");
    let mut line = format!("    {desc}");
    if let Leaf::Field(f) = l {
        let st = s.slots[f.slot as usize];
        if screened {
            line.push_str(
                " — screened: the raw component holds none of the strings or bytes this test needs",
            );
        } else if !st.present {
            line.push_str(" — component absent");
        } else {
            let values: Vec<String> = s
                .values(f.slot as usize)
                .take(TRACE_VALUES)
                .map(quote)
                .collect();
            let more = (st.end - st.first) as usize;
            line.push_str(&format!(
                " — inspected [{}]{}",
                values.join(", "),
                if more > TRACE_VALUES {
                    format!(" and {} more", more - TRACE_VALUES)
                } else {
                    String::new()
                }
            ));
            if st.oversize {
                line.push_str(&format!(" (oversize: OversizeHandling {:?})", f.oversize));
            }
            if st.json_invalid {
                line.push_str(" (body is not valid JSON)");
            }
        }
    }
    line.push_str(&format!(" → {outcome}\n"));
    line
}

fn quote(v: &[u8]) -> String {
    let text = String::from_utf8_lossy(v);
    let mut out: String = text
        .chars()
        .take(TRACE_VALUE_CHARS)
        .flat_map(char::escape_debug)
        .collect();
    if text.chars().count() > TRACE_VALUE_CHARS {
        out.push('…');
    }
    format!("\"{out}\"")
}
