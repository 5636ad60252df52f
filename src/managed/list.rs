//! `webacl rulesets`: what is shipped, one line per group plus a total, as text or JSON.
//!
//! Reads only the few members it shows from each embedded group; it does not validate or compile
//! (loading a group through a Web ACL is what `tests/managed.rs` checks).

use super::{ManagedGroup, SHIPPED};
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Value};

/// The members of a group's JSON the listing shows.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Head {
    name: String,
    capacity: u64,
    label_namespace: String,
    #[serde(default)]
    rules: Vec<IgnoredAny>,
}

/// One shipped group as the listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSummary {
    pub vendor: &'static str,
    pub name: String,
    /// The published `Capacity` (WCU) a reference to the group costs.
    pub capacity: u64,
    pub rules: usize,
    pub label_namespace: String,
}

/// Every shipped group, in registry order.
#[derive(Debug, Clone)]
pub struct Listing {
    pub groups: Vec<GroupSummary>,
}

impl Listing {
    /// Summarises [`SHIPPED`].
    ///
    /// Errors: an embedded group whose JSON lacks `Name`, `Capacity` or `LabelNamespace`, or whose
    /// `Name` differs from its registry key — a packaging bug, named in the message.
    pub fn shipped() -> Result<Listing, String> {
        SHIPPED
            .iter()
            .map(summarise)
            .collect::<Result<_, _>>()
            .map(|groups| Listing { groups })
    }

    pub fn total_rules(&self) -> usize {
        self.groups.iter().map(|g| g.rules).sum()
    }

    pub fn total_capacity(&self) -> u64 {
        self.groups.iter().map(|g| g.capacity).sum()
    }

    /// An aligned table, one line per group, then a total line.
    pub fn text(&self) -> String {
        let head = ["VENDOR", "NAME", "CAPACITY", "RULES", "LABEL NAMESPACE"];
        let rows: Vec<[String; 5]> = self
            .groups
            .iter()
            .map(|g| {
                [
                    g.vendor.to_string(),
                    g.name.clone(),
                    g.capacity.to_string(),
                    g.rules.to_string(),
                    g.label_namespace.clone(),
                ]
            })
            .collect();
        let width = |i: usize| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([head[i].len()])
                .max()
                .unwrap_or(0)
        };
        let (w0, w1, w2, w3) = (width(0), width(1), width(2), width(3));
        let mut out = String::new();
        let mut line = |c: [&str; 5]| {
            out.push_str(&format!(
                "{:<w0$}  {:<w1$}  {:>w2$}  {:>w3$}  {}\n",
                c[0], c[1], c[2], c[3], c[4]
            ));
        };
        line(head);
        for r in &rows {
            line([&r[0], &r[1], &r[2], &r[3], &r[4]]);
        }
        out.push_str(&format!(
            "{} groups, {} rules, {} WCU if all are referenced (published capacities)\n",
            self.groups.len(),
            self.total_rules(),
            self.total_capacity()
        ));
        out
    }

    /// The same as JSON, with AWS's member names where AWS has one.
    pub fn json(&self) -> Value {
        json!({
            "ManagedRuleGroups": self.groups.iter().map(|g| json!({
                "VendorName": g.vendor,
                "Name": g.name,
                "Capacity": g.capacity,
                "RuleCount": g.rules,
                "LabelNamespace": g.label_namespace,
            })).collect::<Vec<_>>(),
            "Total": {
                "Groups": self.groups.len(),
                "Rules": self.total_rules(),
                "Capacity": self.total_capacity(),
            },
        })
    }
}

fn summarise(g: &ManagedGroup) -> Result<GroupSummary, String> {
    let head: Head = serde_json::from_str(g.json)
        .map_err(|e| format!("embedded rule group {}/{}: {e}", g.vendor, g.name))?;
    if head.name != g.name {
        return Err(format!(
            "embedded rule group {}/{} is named \"{}\" in its JSON",
            g.vendor, g.name, head.name
        ));
    }
    Ok(GroupSummary {
        vendor: g.vendor,
        name: head.name,
        capacity: head.capacity,
        rules: head.rules.len(),
        label_namespace: head.label_namespace,
    })
}
