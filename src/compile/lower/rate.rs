//! Rate-based statements: limits, windows, aggregation keys (spec §8), and their counters.

use super::{Ctx, Lowerer};
use crate::compile::{CustomKey, RateKey, RateRule, RuleBody};
use crate::model::{self, AggregateKeyType, FallbackBehavior, RateBasedCustomKey};
use crate::validate::capacity::base;
use crate::validate::diagnostic::{child, index};
use crate::validate::names::{is_field_name, is_forwarded_ip_header_name, is_label_name};
use std::hash::{Hash, Hasher};

/// Most custom keys per rate-based statement (AWS quota).
pub const MAX_CUSTOM_KEYS: usize = 5;

impl Lowerer<'_> {
    pub(super) fn rate_based(
        &mut self,
        ctx: &Ctx,
        ptr: &str,
        rule_name: &str,
        r: &model::RateBasedStatement,
    ) -> Option<(RuleBody, u64)> {
        if !(10..=2_000_000_000).contains(&r.limit) {
            self.err(
                ctx,
                &child(ptr, "Limit"),
                format!("limit must be 10..2000000000, found {}", r.limit),
            );
        }
        let window = r.evaluation_window_sec.unwrap_or(300);
        if ![60, 120, 300, 600].contains(&window) {
            self.err(
                ctx,
                &child(ptr, "EvaluationWindowSec"),
                format!("evaluation window must be 60, 120, 300 or 600 seconds, found {window}"),
            );
        }
        let forwarded = r.forwarded_ip_config.as_ref().map(|f| {
            if !is_forwarded_ip_header_name(&f.header_name) {
                self.err(
                    ctx,
                    &child(&child(ptr, "ForwardedIPConfig"), "HeaderName"),
                    format!("\"{}\" is not a valid header name", f.header_name),
                );
            }
            (
                f.header_name.to_ascii_lowercase().into_boxed_str(),
                f.fallback_behavior == FallbackBehavior::Match,
            )
        });
        let mut wcu = base::RATE_BASED;
        if r.aggregate_key_type != AggregateKeyType::CustomKeys && r.custom_keys.is_some() {
            self.err(
                ctx,
                &child(ptr, "CustomKeys"),
                "CustomKeys is only allowed with AggregateKeyType CUSTOM_KEYS",
            );
        }
        let key = match r.aggregate_key_type {
            AggregateKeyType::Ip => Some(RateKey::Ip),
            AggregateKeyType::Constant => {
                if r.scope_down_statement.is_none() {
                    self.err(
                        ctx,
                        ptr,
                        "AggregateKeyType CONSTANT requires a ScopeDownStatement",
                    );
                }
                Some(RateKey::Constant)
            }
            AggregateKeyType::ForwardedIp => match &forwarded {
                Some((header, fallback_match)) => Some(RateKey::ForwardedIp {
                    header: header.clone(),
                    fallback_match: *fallback_match,
                }),
                None => {
                    self.err(
                        ctx,
                        ptr,
                        "AggregateKeyType FORWARDED_IP requires a ForwardedIPConfig",
                    );
                    None
                }
            },
            AggregateKeyType::CustomKeys => {
                let keys = r.custom_keys.as_deref().unwrap_or_default();
                wcu += base::RATE_CUSTOM_KEY * keys.len() as u64;
                self.custom_keys(ctx, &child(ptr, "CustomKeys"), keys, forwarded.as_ref())
                    .map(RateKey::Custom)
            }
        };
        let scope_down = match &r.scope_down_statement {
            // Scope-down statements do not inherit the rule's forwarded-IP setting (spec §2).
            Some(s) => {
                let (node, c) = self.statement(ctx, &child(ptr, "ScopeDownStatement"), s, 1)?;
                wcu += c;
                Some(node)
            }
            None => None,
        };
        let key = key?;
        // Identity: a reload keeps the counts of a rule whose container, name and statement match.
        let identity = format!(
            "{}/{}#{:x}",
            self.container,
            rule_name,
            digest(&format!("{r:?}"))
        );
        let counter = self.rate_store.counter(&identity, window.max(1) as u64);
        let log_id = rate_rule_id(&self.acl_id, &identity);
        Some((
            RuleBody::RateBased(Box::new(RateRule {
                scope_down,
                limit: r.limit.max(0) as u64,
                window_sec: window.max(0) as u64,
                key,
                counter,
                log_id: log_id.into(),
            })),
            wcu,
        ))
    }

    fn custom_keys(
        &mut self,
        ctx: &Ctx,
        ptr: &str,
        keys: &[RateBasedCustomKey],
        forwarded: Option<&(Box<str>, bool)>,
    ) -> Option<Box<[CustomKey]>> {
        if keys.is_empty() || keys.len() > MAX_CUSTOM_KEYS {
            self.err(
                ctx,
                ptr,
                format!(
                    "CUSTOM_KEYS needs 1 to {MAX_CUSTOM_KEYS} custom keys, found {}",
                    keys.len()
                ),
            );
        }
        let mut out = Vec::new();
        let mut ok = true;
        let mut seen_once: Vec<&'static str> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            let kptr = index(ptr, i);
            let named = |this: &mut Self,
                         member: &str,
                         n: &model::RateLimitNamed|
             -> Option<(Box<str>, Box<[crate::transform::Transform]>)> {
                let mptr = child(&kptr, member);
                if !is_field_name(&n.name) {
                    this.err(
                        ctx,
                        &child(&mptr, "Name"),
                        format!("\"{}\" is not a valid name", n.name),
                    );
                }
                let chain = this.transformations(
                    ctx,
                    &child(&mptr, "TextTransformations"),
                    &n.text_transformations,
                )?;
                Some((n.name.as_str().into(), chain.into()))
            };
            let key = match k {
                RateBasedCustomKey::Header(n) => {
                    named(self, "Header", n).map(|(name, chain)| CustomKey::Header {
                        name: name.to_ascii_lowercase().into(),
                        chain,
                    })
                }
                RateBasedCustomKey::Cookie(n) => {
                    named(self, "Cookie", n).map(|(name, chain)| CustomKey::Cookie { name, chain })
                }
                RateBasedCustomKey::QueryArgument(n) => {
                    named(self, "QueryArgument", n).map(|(name, chain)| CustomKey::QueryArgument {
                        name: name.to_ascii_lowercase().into(),
                        chain,
                    })
                }
                RateBasedCustomKey::QueryString(t) => self
                    .transformations(
                        ctx,
                        &child(&child(&kptr, "QueryString"), "TextTransformations"),
                        &t.text_transformations,
                    )
                    .map(|c| CustomKey::QueryString { chain: c.into() }),
                RateBasedCustomKey::UriPath(t) => self
                    .transformations(
                        ctx,
                        &child(&child(&kptr, "UriPath"), "TextTransformations"),
                        &t.text_transformations,
                    )
                    .map(|c| CustomKey::UriPath { chain: c.into() }),
                RateBasedCustomKey::HttpMethod(_) => Some(CustomKey::HttpMethod),
                RateBasedCustomKey::Ip(_) => Some(CustomKey::Ip),
                RateBasedCustomKey::ForwardedIp(_) => {
                    match forwarded {
                        Some((header, fallback_match)) => Some(CustomKey::ForwardedIp {
                            header: header.clone(),
                            fallback_match: *fallback_match,
                        }),
                        None => {
                            self.err(ctx, &child(&kptr, "ForwardedIP"), "a ForwardedIP custom key requires the statement's ForwardedIPConfig");
                            None
                        }
                    }
                }
                RateBasedCustomKey::LabelNamespace(l) => {
                    if !is_label_name(&l.namespace) || !l.namespace.ends_with(':') {
                        self.err(ctx, &child(&child(&kptr, "LabelNamespace"), "Namespace"), format!("\"{}\" is not a label namespace (components separated by colons, ending with a colon)", l.namespace));
                    }
                    Some(CustomKey::LabelNamespace {
                        namespace: l.namespace.as_str().into(),
                    })
                }
                RateBasedCustomKey::Ja3Fingerprint(f) => Some(CustomKey::Ja3 {
                    fallback_match: f.fallback_behavior == FallbackBehavior::Match,
                }),
                RateBasedCustomKey::Ja4Fingerprint(f) => Some(CustomKey::Ja4 {
                    fallback_match: f.fallback_behavior == FallbackBehavior::Match,
                }),
                RateBasedCustomKey::Asn(_) => {
                    self.err(
                        ctx,
                        &child(&kptr, "ASN"),
                        "the ASN custom key is not supported yet (webacl has no ASN database)",
                    );
                    None
                }
            };
            let Some(key) = key else {
                ok = false;
                continue;
            };
            let once = matches!(
                key,
                CustomKey::QueryString { .. }
                    | CustomKey::UriPath { .. }
                    | CustomKey::HttpMethod
                    | CustomKey::Ja3 { .. }
                    | CustomKey::Ja4 { .. }
            );
            if once && seen_once.contains(&key.log_key()) {
                self.err(
                    ctx,
                    &kptr,
                    format!(
                        "{} may appear only once among the custom keys",
                        key.log_key()
                    ),
                );
            }
            seen_once.push(key.log_key());
            out.push(key);
        }
        if out
            .iter()
            .any(|k| matches!(k, CustomKey::Ip | CustomKey::ForwardedIp { .. }))
            && keys.len() < 2
        {
            self.err(ctx, ptr, "an IP or ForwardedIP custom key needs at least one other custom key (use AggregateKeyType IP / FORWARDED_IP instead)");
        }
        ok.then(|| out.into())
    }
}

fn digest(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// AWS's internal `rateBasedRuleId`:
/// `arn:aws:wafv2:<region>:<acct>_MANAGED:<scope>/ipset/<webAclId>_<ruleUuid>_IPV4/<ruleUuid>`.
fn rate_rule_id(acl_arn: &str, identity: &str) -> String {
    let parts: Vec<&str> = acl_arn.splitn(6, ':').collect();
    let (region, account, resource) = match parts.as_slice() {
        [_, _, _, region, account, resource] => (*region, *account, *resource),
        _ => (
            "us-east-1",
            "000000000000",
            "regional/webacl/x/00000000-0000-0000-0000-000000000000",
        ),
    };
    let scope = resource.split('/').next().unwrap_or("regional");
    let acl_id = resource.rsplit('/').next().unwrap_or_default();
    let a = digest(identity);
    let b = digest(&format!("{identity}#2"));
    let uuid = format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    );
    format!("arn:aws:wafv2:{region}:{account}_MANAGED:{scope}/ipset/{acl_id}_{uuid}_IPV4/{uuid}")
}
