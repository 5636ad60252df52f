//! Rule group references: your own groups by ARN, managed groups from the registry, and the
//! overrides a reference applies (spec §6).

use super::{Ctx, Lowerer, ParsedGroup, SearchStringEncoding};
use crate::compile::{ActionKind, Group, RuleBody, RuleId};
use crate::load::ResourceKind;
use crate::model::{self, ExcludedRule, RuleActionOverride, Statement};
use crate::validate::diagnostic::{child, index};
use crate::validate::names::is_entity_name;
use crate::validate::parse::parse_all;
use std::rc::Rc;

/// Most `ExcludedRules` / `RuleActionOverrides` entries per reference (AWS quota).
pub const MAX_OVERRIDES: usize = 100;

impl Lowerer<'_> {
    /// Lowers a group-reference statement at `sptr` (the Statement object) into a group instance.
    pub(super) fn group_reference(
        &mut self,
        ctx: &Ctx,
        sptr: &str,
        s: &Statement,
        override_count: bool,
    ) -> Option<(RuleBody, u64)> {
        let (mptr, parsed, excluded, overrides, scope_down) = match s {
            Statement::RuleGroupReferenceStatement(r) => {
                let mptr = child(sptr, "RuleGroupReferenceStatement");
                let parsed = self.own_group(ctx, &child(&mptr, "ARN"), &r.arn);
                (
                    mptr,
                    parsed,
                    r.excluded_rules.as_deref(),
                    r.rule_action_overrides.as_deref(),
                    None,
                )
            }
            Statement::ManagedRuleGroupStatement(m) => {
                let mptr = child(sptr, "ManagedRuleGroupStatement");
                let parsed = self.managed_group(ctx, &mptr, m);
                (
                    mptr,
                    parsed,
                    m.excluded_rules.as_deref(),
                    m.rule_action_overrides.as_deref(),
                    m.scope_down_statement.as_deref(),
                )
            }
            _ => return None,
        };
        let scope_down = match scope_down {
            Some(s) => Some(self.statement(ctx, &child(&mptr, "ScopeDownStatement"), s, 1)?),
            None => None,
        };
        let parsed = parsed?;
        let known = |name: &str| parsed.rules.iter().any(|(r, _)| r.name == name);
        // Excluded rules and overrides name rules of the group; unknown names are an error for your
        // own groups and ignored for managed groups, as AWS does.
        let excluded: Vec<&ExcludedRule> = excluded.unwrap_or_default().iter().collect();
        let overrides: Vec<&RuleActionOverride> = overrides.unwrap_or_default().iter().collect();
        for (key, names) in [
            (
                "ExcludedRules",
                excluded.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
            ),
            (
                "RuleActionOverrides",
                overrides.iter().map(|o| o.name.as_str()).collect(),
            ),
        ] {
            let lptr = child(&mptr, key);
            if names.len() > MAX_OVERRIDES {
                self.err(
                    ctx,
                    &lptr,
                    format!(
                        "{} entries; AWS allows at most {MAX_OVERRIDES}",
                        names.len()
                    ),
                );
            }
            for (i, name) in names.iter().enumerate() {
                if !is_entity_name(name) {
                    self.err(
                        ctx,
                        &child(&index(&lptr, i), "Name"),
                        format!("\"{name}\" is not a valid rule name"),
                    );
                } else if !parsed.managed && !known(name) {
                    let all: Vec<&str> =
                        parsed.rules.iter().map(|(r, _)| r.name.as_str()).collect();
                    self.err(
                        ctx,
                        &child(&index(&lptr, i), "Name"),
                        format!(
                            "rule group {} has no rule \"{name}\"; its rules are: {}",
                            parsed.log_id,
                            all.join(", ")
                        ),
                    );
                }
                if names[..i].contains(name) {
                    self.err(
                        ctx,
                        &child(&index(&lptr, i), "Name"),
                        format!("\"{name}\" is listed twice"),
                    );
                }
            }
        }
        let mut override_actions = Vec::new();
        for (i, o) in overrides.iter().enumerate() {
            let aptr = child(
                &index(&child(&mptr, "RuleActionOverrides"), i),
                "ActionToUse",
            );
            if let Some(a) = self.rule_action(ctx, &aptr, &o.action_to_use) {
                override_actions.push((o.name.as_str(), a));
            }
        }

        // One instance per reference: its rules, with the overrides applied.
        let gctx = Ctx {
            file: &parsed.file,
            rule: None,
            namespace: &parsed.namespace,
            bodies: parsed.group.custom_response_bodies.as_ref(),
            in_group: true,
            encoding: if parsed.managed {
                SearchStringEncoding::Base64
            } else {
                ctx.encoding
            },
        };
        let before = self.diags.len();
        // Each reference is its own instance, with its own rate-based counters.
        let outer_container = std::mem::replace(
            &mut self.container,
            format!("{}/{}", parsed.log_id, ctx.rule.unwrap_or_default()),
        );
        let mut members: Vec<(i64, RuleId)> = Vec::new();
        let mut inner_wcu = 0;
        for (rule, rptr) in &parsed.rules {
            let Some((id, cost)) = self.rule(&gctx, rptr, rule, "Statement") else {
                continue;
            };
            inner_wcu += cost;
            let r = &mut self.rules[id as usize];
            if let Some((_, a)) = override_actions.iter().find(|(n, _)| *n == rule.name) {
                if a.kind != r.action.kind {
                    r.overridden_from = Some(r.action.kind);
                }
                r.action = a.clone();
            } else if excluded.iter().any(|e| e.name == rule.name) {
                r.excluded = true;
                r.overridden_from = Some(r.action.kind);
                r.action = crate::compile::Action {
                    kind: ActionKind::Count,
                    insert_headers: Box::new([]),
                    response: None,
                };
            }
            members.push((rule.priority, id));
        }
        self.container = outer_container;
        if self.diags.len() > before {
            // Problems inside the group file are reported once, not once per reference.
            self.rule_groups.insert(parsed.group.arn.clone(), None);
            return None;
        }
        let declared = parsed.group.capacity.max(0) as u64;
        if !parsed.managed && inner_wcu > declared {
            self.diags.push_at(&parsed.file, &child(&group_base(&parsed), "Capacity"), None, format!("the group's rules need {inner_wcu} WCU but its Capacity is {declared}; AWS fixes capacity at creation"));
        }
        members.sort_by_key(|(p, _)| *p);
        let group = self.groups.len() as u32;
        self.groups.push(Group {
            log_id: parsed.log_id.as_str().into(),
            rules: members.into_iter().map(|(_, id)| id).collect(),
        });
        let (scope_down, scope_wcu) = match scope_down {
            Some((n, c)) => (Some(n), c),
            None => (None, 0),
        };
        Some((
            RuleBody::Group {
                group,
                override_count,
                scope_down,
                managed: parsed.managed,
            },
            declared + scope_wcu,
        ))
    }

    fn own_group(&mut self, ctx: &Ctx, ptr: &str, arn: &str) -> Option<Rc<ParsedGroup>> {
        if let Some(cached) = self.rule_groups.get(arn) {
            return cached.clone();
        }
        let parsed = self
            .resolve(ctx, ptr, arn, ResourceKind::RuleGroup)
            .and_then(|doc| self.parse_group(&doc.file, &doc.base, &doc.value, false, None));
        self.rule_groups.insert(arn.to_string(), parsed.clone());
        parsed
    }

    fn managed_group(
        &mut self,
        ctx: &Ctx,
        mptr: &str,
        m: &model::ManagedRuleGroupStatement,
    ) -> Option<Rc<ParsedGroup>> {
        let key = format!("{}#{}", m.vendor_name, m.name);
        if let Some(cached) = self.rule_groups.get(&key) {
            return cached.clone();
        }
        let parsed = match crate::managed::lookup(&m.vendor_name, &m.name) {
            Some(g) => {
                let file = format!("<embedded {}/{}>", g.vendor, g.name);
                match serde_json::from_str::<serde_json::Value>(g.json) {
                    Ok(v) => self.parse_group(&file, "", &v, true, Some(key.clone())),
                    Err(e) => {
                        self.err(
                            ctx,
                            mptr,
                            format!("embedded managed rule group {key} is not valid JSON: {e}"),
                        );
                        None
                    }
                }
            }
            None if self.opts.allow_missing_managed => {
                tracing::warn!(group = %key, "managed rule group is not shipped; treating it as a group that never matches (--allow-missing-managed)");
                Some(Rc::new(ParsedGroup {
                    group: empty_group(&m.name),
                    rules: Vec::new(),
                    file: String::new(),
                    namespace: String::new(),
                    log_id: key.clone(),
                    managed: true,
                }))
            }
            None => {
                let shipped: Vec<String> = crate::managed::SHIPPED
                    .iter()
                    .map(|g| format!("{}/{}", g.vendor, g.name))
                    .collect();
                let list = if shipped.is_empty() {
                    "none yet".to_string()
                } else {
                    shipped.join(", ")
                };
                self.err(ctx, &child(mptr, "Name"), format!("managed rule group {}/{} is not shipped with webacl (shipped: {list}); pass --allow-missing-managed to treat it as never matching", m.vendor_name, m.name));
                None
            }
        };
        if let Some(cfg) = &m.managed_rule_group_configs {
            if !cfg.is_empty() && parsed.is_some() {
                tracing::debug!(group = %key, "ManagedRuleGroupConfigs accepted; they only configure Bot Control, ATP and ACFP");
            }
        }
        self.rule_groups.insert(key, parsed.clone());
        parsed
    }

    fn parse_group(
        &mut self,
        file: &str,
        base: &str,
        value: &serde_json::Value,
        managed: bool,
        log_id: Option<String>,
    ) -> Option<Rc<ParsedGroup>> {
        let group: model::RuleGroup = parse_all(value, file, base, None, &mut self.diags)?;
        let gctx = Ctx {
            file,
            rule: None,
            namespace: "",
            bodies: None,
            in_group: true,
            encoding: if managed {
                SearchStringEncoding::Base64
            } else {
                self.opts.search_string
            },
        };
        if !is_entity_name(&group.name) {
            self.err(
                &gctx,
                &child(base, "Name"),
                format!("\"{}\" is not a valid name", group.name),
            );
        }
        if !(1..=5_000).contains(&group.capacity) {
            self.err(
                &gctx,
                &child(base, "Capacity"),
                format!("capacity must be 1..5000, found {}", group.capacity),
            );
        }
        self.response_bodies(
            &gctx,
            &child(base, "CustomResponseBodies"),
            group.custom_response_bodies.as_ref(),
        );
        let rules_ptr = child(base, "Rules");
        let rules = self.parse_rules(file, &rules_ptr, group.raw_rules.as_ref());
        self.check_unique(&gctx, &rules_ptr, &rules);
        let account = super::arn_account(&group.arn)
            .unwrap_or(&self.account)
            .to_string();
        let namespace = group
            .label_namespace
            .clone()
            .unwrap_or_else(|| format!("awswaf:{account}:rulegroup:{}:", group.name));
        let log_id = log_id.unwrap_or_else(|| group.arn.clone());
        Some(Rc::new(ParsedGroup {
            group,
            rules,
            file: file.to_string(),
            namespace,
            log_id,
            managed,
        }))
    }
}

fn group_base(p: &ParsedGroup) -> String {
    if p.file.starts_with('<') {
        String::new()
    } else {
        "/RuleGroup".into()
    }
}

fn empty_group(name: &str) -> model::RuleGroup {
    model::RuleGroup {
        name: name.to_string(),
        id: None,
        capacity: 0,
        arn: String::new(),
        description: None,
        raw_rules: None,
        rules: Vec::new(),
        visibility_config: model::VisibilityConfig {
            sampled_requests_enabled: false,
            cloud_watch_metrics_enabled: false,
            metric_name: name.to_string(),
        },
        label_namespace: None,
        custom_response_bodies: None,
        available_labels: None,
        consumed_labels: None,
        monetization_config: None,
    }
}
