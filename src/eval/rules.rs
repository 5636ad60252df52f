//! The rule loop: priorities, terminating vs non-terminating actions, groups and overrides.

use super::details::rule_details;
use super::leaf::{node, rule_screened_out};
use super::scratch::{trace, Scratch};
use super::verdict::{GroupEntry, HeaderSource, Matched, Terminator, TokenFailure};
use crate::compile::{ActionKind, CompiledAcl, RuleBody, RuleId};
use crate::inspect::Request;
use crate::parse::cookies::for_each_cookie;

/// The cookie AWS WAF keeps its Captcha/Challenge token in.
pub const TOKEN_COOKIE: &[u8] = b"aws-waf-token";

pub(super) fn run(acl: &CompiledAcl, req: &Request, s: &mut Scratch) {
    for &id in acl.top.iter() {
        if top_rule(acl, req, s, id) {
            return;
        }
    }
    let kind = acl.default_action.kind;
    s.verdict.action = Some(kind);
    s.verdict.terminator = Terminator::Default;
    if kind == ActionKind::Allow {
        s.verdict.header_sources.push(HeaderSource::Default);
    }
    trace(s, || {
        format!("no rule terminated: DefaultAction {}\n", kind.log_name())
    });
}

/// Evaluates one top-level rule; true when it ended evaluation.
fn top_rule(acl: &CompiledAcl, req: &Request, s: &mut Scratch, id: RuleId) -> bool {
    // Asked before the rule itself is read: most rules end here, and their (large) `Rule`s then
    // stay out of the cache.
    if rule_screened_out(acl, req, s, id) {
        return false;
    }
    let rule = &acl.rules[id as usize];
    trace(s, || {
        format!("rule \"{}\" (priority {})\n", rule.name, rule.priority)
    });
    match &rule.body {
        RuleBody::Statement(n) => {
            let matched = node(acl, req, s, n) == Some(true);
            flush_geo(s);
            matched && on_match(acl, req, s, id, Some(n))
        }
        RuleBody::RateBased(r) => {
            let limited = super::rate::count(acl, req, s, id, r, true) == Some(true);
            flush_geo(s);
            // Labels and the action apply only to requests the rule is actively limiting.
            limited && on_match(acl, req, s, id, None)
        }
        RuleBody::Group {
            group,
            override_count,
            scope_down,
            ..
        } => {
            let in_scope = match scope_down {
                Some(n) => {
                    let r = node(acl, req, s, n) == Some(true);
                    flush_geo(s);
                    r
                }
                None => true,
            };
            let entry = s.verdict.groups.len();
            let m = s.verdict.group_matches.len() as u32;
            let x = s.verdict.group_excluded.len() as u32;
            s.verdict.groups.push(GroupEntry {
                top: id,
                group: *group,
                terminating: None,
                matches: (m, m),
                excluded: (x, x),
            });
            if !in_scope {
                trace(s, || {
                    "  scope-down statement did not match: the group's rules do not run\n".into()
                });
                return false;
            }
            let terminated = group_rules(acl, req, s, *group as usize, entry);
            let Some((inner, details, failure)) = terminated else {
                trace(s, || "  group: no rule terminated\n".into());
                return false;
            };
            let inner_rule = &acl.rules[inner as usize];
            if *override_count {
                // OverrideAction Count: the group's terminating result becomes Count; labels stay.
                s.verdict.matched.push(Matched {
                    rule: id,
                    action: ActionKind::Count,
                    details: (0, 0),
                });
                trace(s, || {
                    format!("  group would {} by rule \"{}\", but OverrideAction Count turns that into COUNT; evaluation continues\n", inner_rule.action.kind.log_name(), inner_rule.name)
                });
                return false;
            }
            let kind = inner_rule.action.kind;
            s.verdict.action = Some(kind);
            s.verdict.terminator = Terminator::Group { top: id, inner };
            s.verdict.terminating_details = details;
            s.verdict.token_failure = failure;
            if kind == ActionKind::Allow {
                s.verdict.header_sources.push(HeaderSource::Rule(inner));
            }
            trace(s, || {
                format!(
                    "  → {} (terminating rule \"{}\" in the group; logged as \"{}\")\n",
                    kind.log_name(),
                    inner_rule.name,
                    rule.name
                )
            });
            true
        }
    }
}

/// Runs a group instance's rules; returns the inner terminating rule, if any.
fn group_rules(
    acl: &CompiledAcl,
    req: &Request,
    s: &mut Scratch,
    group: usize,
    entry: usize,
) -> Option<(RuleId, (u32, u32), Option<TokenFailure>)> {
    let mut result = None;
    for &inner in acl.groups[group].rules.iter() {
        if rule_screened_out(acl, req, s, inner) {
            continue;
        }
        let rule = &acl.rules[inner as usize];
        trace(s, || {
            format!(
                "  group rule \"{}\" (priority {})\n",
                rule.name, rule.priority
            )
        });
        let (matched, n) = match &rule.body {
            RuleBody::Statement(n) => (node(acl, req, s, n) == Some(true), Some(n)),
            // Rate rules inside a group count and limit, but are not listed in rateBasedRuleList.
            RuleBody::RateBased(r) => (
                super::rate::count(acl, req, s, inner, r, false) == Some(true),
                None,
            ),
            RuleBody::Group { .. } => (false, None),
        };
        flush_geo(s);
        if !matched {
            continue;
        }
        add_rule_labels(acl, s, inner);
        let details = n.map_or((0, 0), |n| rule_details(acl, s, n));
        let kind = rule.action.kind;
        if rule.excluded {
            s.verdict.group_excluded.push(Matched {
                rule: inner,
                action: ActionKind::Count,
                details,
            });
            s.verdict.groups[entry].excluded.1 += 1;
            trace(s, || {
                format!(
                    "    matched; {} → COUNT because the rule is in ExcludedRules\n",
                    original(rule).log_name()
                )
            });
            continue;
        }
        let failure = token_failure(req, kind);
        if kind == ActionKind::Count || (is_token_action(kind) && failure.is_none()) {
            s.verdict.group_matches.push(Matched {
                rule: inner,
                action: kind,
                details,
            });
            s.verdict.groups[entry].matches.1 += 1;
            s.verdict.header_sources.push(HeaderSource::Rule(inner));
            trace(s, || {
                format!("    matched → {}{}\n", kind.log_name(), overridden(rule))
            });
            continue;
        }
        s.verdict.groups[entry].terminating = Some((inner, details));
        trace(s, || {
            format!(
                "    matched → {}{} (terminates the group)\n",
                kind.log_name(),
                overridden(rule)
            )
        });
        result = Some((inner, details, failure));
        break;
    }
    result
}

/// A top-level regular rule matched: labels, then its action.
fn on_match(
    acl: &CompiledAcl,
    req: &Request,
    s: &mut Scratch,
    id: RuleId,
    n: Option<&crate::compile::Node>,
) -> bool {
    let rule = &acl.rules[id as usize];
    add_rule_labels(acl, s, id);
    let details = n.map_or((0, 0), |n| rule_details(acl, s, n));
    let kind = rule.action.kind;
    let failure = token_failure(req, kind);
    if kind == ActionKind::Count || (is_token_action(kind) && failure.is_none()) {
        s.verdict.matched.push(Matched {
            rule: id,
            action: kind,
            details,
        });
        s.verdict.header_sources.push(HeaderSource::Rule(id));
        trace(s, || {
            format!(
                "  matched → {} (non-terminating; evaluation continues)\n",
                kind.log_name()
            )
        });
        return false;
    }
    s.verdict.action = Some(kind);
    s.verdict.terminator = Terminator::Rule(id);
    s.verdict.terminating_details = details;
    s.verdict.token_failure = failure;
    if kind == ActionKind::Allow {
        s.verdict.header_sources.push(HeaderSource::Rule(id));
    }
    trace(s, || {
        format!("  matched → {} (terminating)\n", kind.log_name())
    });
    true
}

fn add_rule_labels(acl: &CompiledAcl, s: &mut Scratch, id: RuleId) {
    for label in acl.rules[id as usize].labels.iter() {
        s.add_label(label);
        trace(s, || format!("    + label {label}\n"));
    }
}

/// Adds the geo labels of the addresses the rule that just ended looked up first (a no-op for
/// the many rules without geo).
#[inline(always)]
fn flush_geo(s: &mut Scratch) {
    if s.geo_seen.len() > s.geo_labelled {
        add_geo_labels(s);
    }
}

fn add_geo_labels(s: &mut Scratch) {
    for i in s.geo_labelled..s.geo_seen.len() {
        let (code, forwarded) = s.geo_seen[i];
        let prefix = if forwarded {
            "awswaf:forwardedip:geo:"
        } else {
            "awswaf:clientip:geo:"
        };
        let cc = std::str::from_utf8(&code).unwrap_or("XX");
        let mut label = std::mem::take(&mut s.label_buf);
        for region in [false, true] {
            label.clear();
            label.push_str(prefix);
            if region {
                // webacl has no region database: AWS writes XX for an unknown region.
                label.push_str("region:");
                label.push_str(cc);
                label.push_str("-XX");
            } else {
                label.push_str("country:");
                label.push_str(cc);
            }
            s.add_label(&label);
        }
        s.label_buf = label;
    }
    s.geo_labelled = s.geo_seen.len();
}

fn is_token_action(kind: ActionKind) -> bool {
    matches!(kind, ActionKind::Captcha | ActionKind::Challenge)
}

/// webacl does not issue Captcha/Challenge tokens yet, so no token is valid: a missing cookie is
/// TOKEN_MISSING and any other value TOKEN_INVALID.
fn token_failure(req: &Request, kind: ActionKind) -> Option<TokenFailure> {
    if !is_token_action(kind) {
        return None;
    }
    let mut present = false;
    for v in req.header_values(b"cookie") {
        for_each_cookie(v, &mut |name, _| present |= name == TOKEN_COOKIE);
    }
    Some(if present {
        TokenFailure::Invalid
    } else {
        TokenFailure::Missing
    })
}

fn original(rule: &crate::compile::Rule) -> ActionKind {
    rule.overridden_from.unwrap_or(ActionKind::Block)
}

fn overridden(rule: &crate::compile::Rule) -> String {
    match rule.overridden_from {
        Some(from) => format!(
            " (the rule's own action {} is overridden by RuleActionOverrides)",
            from.log_name()
        ),
        None => String::new(),
    }
}
