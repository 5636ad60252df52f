//! The Web ACL as the report lists it: one section for the ACL's own top-level rules, then one per
//! rule group reference (managed or not), each with its rules in evaluation order.

use crate::compile::{CompiledAcl, RuleBody, RuleId};

/// One section of the report.
#[derive(Debug)]
pub struct Section {
    /// The group reference's rule name, or `None` for the ACL's own rules.
    pub reference: Option<RuleId>,
    /// The reference's rule name, or a description of the ACL's own rules.
    pub title: String,
    /// The referenced group's `ruleGroupId` (`AWS#<Name>` or an ARN).
    pub group: Option<String>,
    pub rules: Vec<RuleId>,
}

#[derive(Debug)]
pub struct Layout {
    pub sections: Vec<Section>,
    /// The section each rule belongs to, by rule id (`None` for group references themselves).
    pub section_of: Vec<Option<usize>>,
}

impl Layout {
    pub fn of(acl: &CompiledAcl) -> Layout {
        let mut own = Section {
            reference: None,
            title: format!("Web ACL \"{}\": its own rules", acl.name()),
            group: None,
            rules: Vec::new(),
        };
        let mut groups = Vec::new();
        for &id in acl.top.iter() {
            let Some(rule) = acl.rules.get(id as usize) else {
                continue;
            };
            match &rule.body {
                RuleBody::Group { group, .. } => {
                    let inner = acl
                        .groups
                        .get(*group as usize)
                        .map(|g| g.rules.to_vec())
                        .unwrap_or_default();
                    let group_id = acl
                        .groups
                        .get(*group as usize)
                        .map_or("?", |g| g.log_id.as_ref());
                    groups.push(Section {
                        reference: Some(id),
                        title: rule.name.to_string(),
                        group: Some(group_id.to_string()),
                        rules: inner,
                    });
                }
                RuleBody::Statement(_) | RuleBody::RateBased(_) => own.rules.push(id),
            }
        }
        let mut sections = Vec::new();
        if !own.rules.is_empty() {
            sections.push(own);
        }
        sections.extend(groups);
        let mut section_of = vec![None; acl.rules.len()];
        for (i, s) in sections.iter().enumerate() {
            for &r in &s.rules {
                if let Some(slot) = section_of.get_mut(r as usize) {
                    *slot = Some(i);
                }
            }
        }
        Layout {
            sections,
            section_of,
        }
    }
}
