//! The lowering walk: model → compiled form, checking everything on the way.
//!
//! Each function here receives the JSON pointer of what it lowers and reports every problem it finds
//! to the shared [`Diagnostics`]; it keeps going after a problem so that one run lists them all.
//! `acl` handles the Web ACL and its rules, `group` rule groups and overrides, `statement` the
//! statement tree, `field` FieldToMatch and transformations, `action` actions and custom handling.

mod action;
mod field;
mod group;
mod rate;
mod statement;

use super::bank::{LiteralBank, RegexBank, RegexFamily};
use super::ipset::IpTable;
use super::slot::{FieldSel, SlotDef};
use super::{Action, CompiledAcl, Group, Leaf, LeafId, Rule, RuleBody, RuleId, SlotId};
use crate::load::{Document, Resources};
use crate::model::{self, CustomResponseBody, PositionalConstraint};
use crate::transform::{ChainTriggers, PreParse, Transform};
use crate::validate::capacity::{self, MAX_WEB_ACL_WCU};
use crate::validate::diagnostic::{child, index};
use crate::validate::names::{is_entity_name, is_metric_name};
use crate::validate::parse::parse_all;
use crate::validate::{Diagnostic, Diagnostics};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// How `ByteMatchStatement.SearchString` is encoded in the input (spec §1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchStringEncoding {
    /// `aws wafv2 get-web-acl` output and raw API JSON: base64 of the bytes.
    #[default]
    Base64,
    /// Console JSON editor exports: the bytes as plain text.
    Text,
}

/// The AWS resource type the ACL is associated with; fixes the body inspection limit (spec §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    #[default]
    Alb,
    AppSync,
    CloudFront,
    ApiGateway,
    CognitoUserPool,
    AppRunnerService,
    VerifiedAccessInstance,
}

/// ALB and AppSync inspect this much body, fixed.
pub const BODY_LIMIT_ALB: usize = 8 * 1024;
/// Other sources inspect this much by default; `AssociationConfig` can raise it to 64 KB.
pub const BODY_LIMIT_DEFAULT: usize = 16 * 1024;

impl Source {
    pub const ALL: &'static [(&'static str, Source)] = &[
        ("ALB", Source::Alb),
        ("APPSYNC", Source::AppSync),
        ("CF", Source::CloudFront),
        ("APIGW", Source::ApiGateway),
        ("COGNITOIDP", Source::CognitoUserPool),
        ("APPRUNNER", Source::AppRunnerService),
        ("VERIFIED_ACCESS", Source::VerifiedAccessInstance),
    ];

    /// `httpSourceName` as AWS logs it.
    pub fn log_name(self) -> &'static str {
        Source::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map(|(n, _)| *n)
            .unwrap_or("ALB")
    }

    pub fn parse(s: &str) -> Option<Source> {
        let up = s.to_ascii_uppercase();
        let alias = match up.as_str() {
            "CLOUDFRONT" => "CF",
            "API_GATEWAY" | "APIGATEWAY" => "APIGW",
            "COGNITO" | "COGNITO_USER_POOL" => "COGNITOIDP",
            "APP_RUNNER_SERVICE" => "APPRUNNER",
            "VERIFIED_ACCESS_INSTANCE" => "VERIFIED_ACCESS",
            other => other,
        };
        Source::ALL
            .iter()
            .find(|(n, _)| *n == alias)
            .map(|(_, s)| *s)
    }

    /// The key of `AssociationConfig.RequestBody` that configures this source, if configurable.
    fn association_key(self) -> Option<&'static str> {
        match self {
            Source::Alb | Source::AppSync => None,
            Source::CloudFront => Some("CLOUDFRONT"),
            Source::ApiGateway => Some("API_GATEWAY"),
            Source::CognitoUserPool => Some("COGNITO_USER_POOL"),
            Source::AppRunnerService => Some("APP_RUNNER_SERVICE"),
            Source::VerifiedAccessInstance => Some("VERIFIED_ACCESS_INSTANCE"),
        }
    }
}

/// Resource types `AssociationConfig.RequestBody` accepts.
const ASSOCIATION_KEYS: &[&str] = &[
    "CLOUDFRONT",
    "API_GATEWAY",
    "COGNITO_USER_POOL",
    "APP_RUNNER_SERVICE",
    "VERIFIED_ACCESS_INSTANCE",
    "AGENTCORE_GATEWAY",
];

/// Options that are not part of the ACL document.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub source: Source,
    pub search_string: SearchStringEncoding,
    /// Treat a managed rule group webacl does not ship as a group that never matches (documented),
    /// instead of rejecting the ACL.
    pub allow_missing_managed: bool,
    /// Where rate-based counters come from; pass the same store to every build to keep counts
    /// across reloads. `None`: fresh counters for this build.
    pub rate_store: Option<std::sync::Arc<crate::rate::RateStore>>,
}

/// Deepest statement nesting accepted; AWS publishes no figure, real ACLs stay far below.
pub const MAX_STATEMENT_DEPTH: usize = 32;
/// Most rules in one ACL or group; AWS's capacity limit keeps real ones far below.
pub const MAX_RULES: usize = 2_000;

/// Builds a compiled ACL, or returns every problem found.
pub fn build(
    acl: &Document,
    resources: &Resources,
    opts: &BuildOptions,
) -> Result<CompiledAcl, Vec<Diagnostic>> {
    let mut l = Lowerer::new(opts, resources);
    let compiled = l.web_acl(acl);
    if !l.diags.is_empty() {
        return Err(l.diags.into_vec());
    }
    crate::detect::prepare();
    compiled.ok_or_else(|| {
        vec![Diagnostic {
            file: acl.file.clone(),
            pointer: acl.base.clone(),
            rule: None,
            message: "could not be compiled".into(),
        }]
    })
}

/// The literal and regex banks of every slot, by slot, and the merged regex banks of slot families.
type Banks = (
    Vec<Option<LiteralBank>>,
    Vec<Option<RegexBank>>,
    Vec<RegexFamily>,
);

/// What makes two slots the same: component, pre-parse chain, transformation chain.
type SlotKey = (FieldSel, Box<[PreParse]>, Box<[Transform]>);

/// Per-container context: where labels and custom response bodies come from.
#[derive(Clone, Copy)]
pub(super) struct Ctx<'c> {
    pub file: &'c str,
    pub rule: Option<&'c str>,
    /// Label namespace of the container (`awswaf:<acct>:webacl:<name>:` ...).
    pub namespace: &'c str,
    pub bodies: Option<&'c BTreeMap<String, CustomResponseBody>>,
    pub in_group: bool,
    /// How this container's `SearchString`s are encoded: the user's choice for their ACL and
    /// groups, always base64 for the groups webacl ships (they are in API form).
    pub encoding: SearchStringEncoding,
}

/// A rule group parsed once, however often it is referenced.
pub(super) struct ParsedGroup {
    pub group: model::RuleGroup,
    pub rules: Vec<(model::Rule, String)>,
    pub file: String,
    pub namespace: String,
    pub log_id: String,
    pub managed: bool,
}

pub(super) struct Lowerer<'a> {
    pub opts: &'a BuildOptions,
    pub resources: &'a Resources,
    pub diags: Diagnostics,
    pub slots: Vec<SlotDef>,
    slot_ix: HashMap<SlotKey, SlotId>,
    pub leaves: Vec<Leaf>,
    pub leaf_descriptions: Vec<Box<str>>,
    leaf_ix: HashMap<Leaf, LeafId>,
    pub literal_patterns: Vec<Vec<(Vec<u8>, PositionalConstraint, u32)>>,
    pub regex_patterns: Vec<Vec<(String, u32)>>,
    bytes_ix: HashMap<(SlotId, Vec<u8>, PositionalConstraint), u32>,
    regex_ix: HashMap<(SlotId, Vec<String>), (u32, u32)>,
    pub next_bit: u32,
    pub ip_tables: Vec<IpTable>,
    pub ip_ix: HashMap<String, Option<u32>>,
    pub regex_sets: HashMap<String, Option<Vec<String>>>,
    pub rule_groups: HashMap<String, Option<Rc<ParsedGroup>>>,
    pub rules: Vec<Rule>,
    pub groups: Vec<Group>,
    pub uses_body: bool,
    pub account: String,
    pub rate_store: std::sync::Arc<crate::rate::RateStore>,
    /// Name of the container being lowered (the Web ACL, or a group's log id), for rate identities.
    pub container: String,
    pub acl_id: String,
}

impl<'a> Lowerer<'a> {
    fn new(opts: &'a BuildOptions, resources: &'a Resources) -> Self {
        Lowerer {
            opts,
            resources,
            diags: Diagnostics::new(""),
            slots: Vec::new(),
            slot_ix: HashMap::new(),
            leaves: Vec::new(),
            leaf_descriptions: Vec::new(),
            leaf_ix: HashMap::new(),
            literal_patterns: Vec::new(),
            regex_patterns: Vec::new(),
            bytes_ix: HashMap::new(),
            regex_ix: HashMap::new(),
            next_bit: 0,
            ip_tables: Vec::new(),
            ip_ix: HashMap::new(),
            regex_sets: HashMap::new(),
            rule_groups: HashMap::new(),
            rules: Vec::new(),
            groups: Vec::new(),
            uses_body: false,
            account: "000000000000".into(),
            rate_store: opts.rate_store.clone().unwrap_or_default(),
            container: String::new(),
            acl_id: String::new(),
        }
    }

    pub fn err(&mut self, ctx: &Ctx, pointer: &str, msg: impl Into<String>) {
        self.diags.push_at(ctx.file, pointer, ctx.rule, msg);
    }

    /// Interns a slot.
    pub fn slot(
        &mut self,
        field: FieldSel,
        preparse: Vec<PreParse>,
        chain: Vec<Transform>,
        json_paths: Option<Box<[crate::parse::json::JsonPointer]>>,
    ) -> SlotId {
        self.uses_body |= field.uses_body();
        let key = (field, preparse.into_boxed_slice(), chain.into_boxed_slice());
        if let Some(&id) = self.slot_ix.get(&key) {
            return id;
        }
        let id = self.slots.len() as SlotId;
        self.slots.push(SlotDef {
            field: key.0.clone(),
            preparse: key.1.clone(),
            chain: key.2.clone(),
            json_paths,
            parent: None,
            rest_triggers: None,
        });
        self.literal_patterns.push(Vec::new());
        self.regex_patterns.push(Vec::new());
        self.slot_ix.insert(key, id);
        id
    }

    /// The bank bit of a byte-match statement on a slot (shared by identical statements).
    pub fn bytes_bit(
        &mut self,
        slot: SlotId,
        bytes: Vec<u8>,
        constraint: PositionalConstraint,
    ) -> u32 {
        let key = (slot, bytes, constraint);
        if let Some(&bit) = self.bytes_ix.get(&key) {
            return bit;
        }
        let bit = self.next_bit;
        self.next_bit += 1;
        self.literal_patterns[slot as usize].push((key.1.clone(), constraint, bit));
        self.bytes_ix.insert(key, bit);
        bit
    }

    /// The bank bits `(first, count)` of a regex or pattern set on a slot.
    pub fn regex_bits(&mut self, slot: SlotId, patterns: Vec<String>) -> (u32, u32) {
        let key = (slot, patterns);
        if let Some(&bits) = self.regex_ix.get(&key) {
            return bits;
        }
        let first = self.next_bit;
        for p in &key.1 {
            self.regex_patterns[slot as usize].push((p.clone(), self.next_bit));
            self.next_bit += 1;
        }
        let bits = (first, key.1.len() as u32);
        self.regex_ix.insert(key, bits);
        bits
    }

    pub fn leaf(&mut self, leaf: Leaf, description: String) -> LeafId {
        if let Some(&id) = self.leaf_ix.get(&leaf) {
            return id;
        }
        let id = self.leaves.len() as LeafId;
        self.leaves.push(leaf.clone());
        self.leaf_descriptions.push(description.into());
        self.leaf_ix.insert(leaf, id);
        id
    }

    fn web_acl(&mut self, doc: &Document) -> Option<CompiledAcl> {
        let file = doc.file.as_str();
        let base = doc.base.as_str();
        let acl: model::WebAcl = parse_all(&doc.value, file, base, None, &mut self.diags)?;
        let top_ctx = Ctx {
            file,
            rule: None,
            namespace: "",
            bodies: None,
            in_group: false,
            encoding: self.opts.search_string,
        };
        if !is_entity_name(&acl.name) {
            self.err(
                &top_ctx,
                &child(base, "Name"),
                format!(
                    "\"{}\" is not a valid name: 1-128 characters of letters, digits, _ and -",
                    acl.name
                ),
            );
        }
        self.visibility(
            &top_ctx,
            &child(base, "VisibilityConfig"),
            &acl.visibility_config,
        );
        let arn = match &acl.arn {
            Some(arn) => {
                match arn_account(arn) {
                    Some(acct) => self.account = acct.to_string(),
                    None => self.err(&top_ctx, &child(base, "ARN"), format!("\"{arn}\" is not a WAFv2 ARN (arn:aws:wafv2:<region>:<account>:<scope>/webacl/<name>/<id>)")),
                }
                arn.clone()
            }
            None => format!(
                "arn:aws:wafv2:us-east-1:{}:regional/webacl/{}/{}",
                self.account,
                acl.name,
                acl.id
                    .as_deref()
                    .unwrap_or("00000000-0000-0000-0000-000000000000")
            ),
        };
        self.container = format!("webacl/{}", acl.name);
        self.acl_id = arn.clone();
        let namespace = acl
            .label_namespace
            .clone()
            .unwrap_or_else(|| format!("awswaf:{}:webacl:{}:", self.account, acl.name));
        for (key, what) in [
            (acl.data_protection_config.is_some(), "DataProtectionConfig (log field protection) is not supported yet; remove it to load this ACL locally"),
            (acl.monetization_config.is_some(), "MonetizationConfig is not supported: AWS has not published its semantics"),
        ] {
            if key {
                let member = what.split(' ').next().unwrap_or_default();
                self.err(&top_ctx, &child(base, member), what);
            }
        }
        self.response_bodies(
            &top_ctx,
            &child(base, "CustomResponseBodies"),
            acl.custom_response_bodies.as_ref(),
        );
        for (name, cfg) in [
            ("CaptchaConfig", &acl.captcha_config),
            ("ChallengeConfig", &acl.challenge_config),
        ] {
            self.immunity(
                &top_ctx,
                &child(base, name),
                cfg.as_ref(),
                name == "ChallengeConfig",
            );
        }
        let body_limit = self.body_limit(&top_ctx, base, acl.association_config.as_ref());
        let ctx = Ctx {
            file,
            rule: None,
            namespace: &namespace,
            bodies: acl.custom_response_bodies.as_ref(),
            in_group: false,
            encoding: self.opts.search_string,
        };
        let default_action = match &acl.default_action {
            model::DefaultAction::Allow(a) => {
                self.allow(&ctx, &child(&child(base, "DefaultAction"), "Allow"), a)
            }
            model::DefaultAction::Block(b) => {
                self.block(&ctx, &child(&child(base, "DefaultAction"), "Block"), b)
            }
        };

        // Rules, each parsed on its own so that every rule's problems are reported.
        let rules_ptr = child(base, "Rules");
        let parsed = self.parse_rules(file, &rules_ptr, acl.raw_rules.as_ref());
        let mut wcu = 0u64;
        let mut top: Vec<(i64, RuleId)> = Vec::new();
        // Firewall Manager groups run before and after the ACL's own rules.
        let fms =
            |list: &Option<Vec<model::FirewallManagerRuleGroup>>| list.clone().unwrap_or_default();
        let mut pre: Vec<(i64, RuleId)> = Vec::new();
        let mut post: Vec<(i64, RuleId)> = Vec::new();
        for (name, list, out) in [
            (
                "PreProcessFirewallManagerRuleGroups",
                fms(&acl.pre_process_firewall_manager_rule_groups),
                &mut pre,
            ),
            (
                "PostProcessFirewallManagerRuleGroups",
                fms(&acl.post_process_firewall_manager_rule_groups),
                &mut post,
            ),
        ] {
            for (i, g) in list.iter().enumerate() {
                let ptr = index(&child(base, name), i);
                let rule = model::Rule {
                    name: g.name.clone(),
                    priority: g.priority,
                    statement: match &g.firewall_manager_statement {
                        model::FirewallManagerStatement::ManagedRuleGroupStatement(m) => {
                            model::Statement::ManagedRuleGroupStatement(Box::new(m.clone()))
                        }
                        model::FirewallManagerStatement::RuleGroupReferenceStatement(r) => {
                            model::Statement::RuleGroupReferenceStatement(r.clone())
                        }
                    },
                    action: None,
                    override_action: Some(g.override_action.clone()),
                    rule_labels: None,
                    visibility_config: g.visibility_config.clone(),
                    captcha_config: None,
                    challenge_config: None,
                };
                if let Some((id, cost)) = self.rule(&ctx, &ptr, &rule, "FirewallManagerStatement") {
                    wcu += cost;
                    out.push((g.priority, id));
                }
            }
        }
        self.check_unique(&ctx, &rules_ptr, &parsed);
        for (rule, ptr) in &parsed {
            if let Some((id, cost)) = self.rule(&ctx, ptr, rule, "Statement") {
                wcu += cost;
                top.push((rule.priority, id));
            }
        }
        for list in [&mut pre, &mut top, &mut post] {
            list.sort_by_key(|(p, _)| *p);
        }
        if wcu > MAX_WEB_ACL_WCU {
            self.err(
                &ctx,
                base,
                format!("the rules need {wcu} WCU; a Web ACL may use at most {MAX_WEB_ACL_WCU}"),
            );
        }
        if !self.diags.is_empty() {
            return None;
        }
        self.link_slot_parents();
        let (literal_banks, regex_banks, regex_families) = self.banks(&ctx, base)?;
        let regex_family_of = family_index(&regex_families, self.slots.len());
        let mut screens =
            super::screen::build(&self.slots, &self.leaves, &literal_banks, &regex_banks);
        screens.add_rule_conditions(&self.rules);
        let order: Vec<RuleId> = pre
            .into_iter()
            .chain(top)
            .chain(post)
            .map(|(_, id)| id)
            .collect();
        Some(CompiledAcl {
            name: acl.name.into(),
            arn: arn.into(),
            default_action,
            top: order.into(),
            rules: std::mem::take(&mut self.rules),
            groups: std::mem::take(&mut self.groups),
            slots: std::mem::take(&mut self.slots),
            leaves: std::mem::take(&mut self.leaves),
            leaf_descriptions: std::mem::take(&mut self.leaf_descriptions),
            ip_tables: std::mem::take(&mut self.ip_tables),
            regex_family_of,
            literal_banks,
            regex_banks,
            regex_families,
            screens,
            bank_bits: self.next_bit,
            body_limit,
            source: self.opts.source,
            uses_body: self.uses_body,
            capacity: wcu,
            declared_capacity: acl.capacity.and_then(|c| u64::try_from(c).ok()),
            visibility: super::Visibility {
                metric_name: acl.visibility_config.metric_name.as_str().into(),
                sampled: acl.visibility_config.sampled_requests_enabled,
                metrics_enabled: acl.visibility_config.cloud_watch_metrics_enabled,
            },
        })
    }

    /// Parses a `Rules` array member by member.
    pub fn parse_rules(
        &mut self,
        file: &str,
        ptr: &str,
        raw: Option<&Value>,
    ) -> Vec<(model::Rule, String)> {
        let mut out = Vec::new();
        match raw {
            None => {}
            Some(Value::Array(items)) => {
                if items.len() > MAX_RULES {
                    self.diags.push_at(
                        file,
                        ptr,
                        None,
                        format!("{} rules; at most {MAX_RULES} are accepted", items.len()),
                    );
                    return out;
                }
                for (i, item) in items.iter().enumerate() {
                    let rptr = index(ptr, i);
                    let name = item.get("Name").and_then(Value::as_str).map(str::to_string);
                    match parse_all::<model::Rule>(
                        item,
                        file,
                        &rptr,
                        name.as_deref(),
                        &mut self.diags,
                    ) {
                        Some(rule) => out.push((rule, rptr)),
                        None => self.shallow_rule_checks(file, &rptr, item, name.as_deref()),
                    }
                }
            }
            Some(other) => self.diags.push_at(
                file,
                ptr,
                None,
                format!("expected a JSON array of rules, found {}", kind(other)),
            ),
        }
        out
    }

    /// A rule that could not be parsed still gets the checks that need only its name and priority,
    /// so that one structural problem does not hide the others.
    fn shallow_rule_checks(&mut self, file: &str, ptr: &str, item: &Value, name: Option<&str>) {
        if let Some(n) = name {
            if !is_entity_name(n) {
                self.diags.push_at(file, &child(ptr, "Name"), name, format!("\"{n}\" is not a valid rule name: 1-128 characters of letters, digits, _ and -"));
            }
        }
        if let Some(p) = item.get("Priority").and_then(Value::as_i64) {
            if p < 0 {
                self.diags.push_at(
                    file,
                    &child(ptr, "Priority"),
                    name,
                    format!("priority must be 0 or more, found {p}"),
                );
            }
        }
    }

    /// Rule names and priorities must be unique within their container.
    pub fn check_unique(&mut self, ctx: &Ctx, _ptr: &str, rules: &[(model::Rule, String)]) {
        let mut names: HashMap<&str, &str> = HashMap::new();
        let mut priorities: HashMap<i64, &str> = HashMap::new();
        for (rule, ptr) in rules {
            let c = Ctx {
                rule: Some(&rule.name),
                ..*ctx
            };
            if let Some(prev) = names.insert(&rule.name, ptr) {
                self.err(
                    &c,
                    &child(ptr, "Name"),
                    format!("duplicate rule name \"{}\" (also at {prev})", rule.name),
                );
            }
            if let Some(prev) = priorities.insert(rule.priority, ptr) {
                self.err(
                    &c,
                    &child(ptr, "Priority"),
                    format!(
                        "duplicate priority {} (also at {prev}); priorities must be unique",
                        rule.priority
                    ),
                );
            }
        }
    }

    /// Lowers one rule; returns its id and capacity.
    pub fn rule(
        &mut self,
        ctx: &Ctx,
        ptr: &str,
        rule: &model::Rule,
        stmt_member: &str,
    ) -> Option<(RuleId, u64)> {
        let ctx = Ctx {
            rule: Some(&rule.name),
            ..*ctx
        };
        let ctx = &ctx;
        if !is_entity_name(&rule.name) {
            self.err(
                ctx,
                &child(ptr, "Name"),
                format!(
                    "\"{}\" is not a valid rule name: 1-128 characters of letters, digits, _ and -",
                    rule.name
                ),
            );
        }
        if rule.priority < 0 {
            self.err(
                ctx,
                &child(ptr, "Priority"),
                format!("priority must be 0 or more, found {}", rule.priority),
            );
        }
        self.visibility(
            ctx,
            &child(ptr, "VisibilityConfig"),
            &rule.visibility_config,
        );
        self.immunity(
            ctx,
            &child(ptr, "CaptchaConfig"),
            rule.captcha_config.as_ref(),
            false,
        );
        self.immunity(
            ctx,
            &child(ptr, "ChallengeConfig"),
            rule.challenge_config.as_ref(),
            true,
        );
        let sptr = child(ptr, stmt_member);
        let is_group = rule.statement.is_group_reference();
        let labels = self.rule_labels(
            ctx,
            &child(ptr, "RuleLabels"),
            rule.rule_labels.as_deref(),
            is_group,
        );
        let mut wcu = capacity::labels(labels.len());
        let action = if is_group {
            if rule.action.is_some() {
                self.err(
                    ctx,
                    &child(ptr, "Action"),
                    format!(
                        "a rule with a {} takes OverrideAction, not Action",
                        rule.statement.aws_name()
                    ),
                );
            }
            match &rule.override_action {
                None => {
                    self.err(ctx, ptr, format!("missing OverrideAction: a rule with a {} needs {{\"None\": {{}}}} or {{\"Count\": {{}}}}", rule.statement.aws_name()));
                    None
                }
                Some(o) => Some(matches!(o, model::OverrideAction::Count(_))),
            }
        } else {
            if rule.override_action.is_some() {
                self.err(
                    ctx,
                    &child(ptr, "OverrideAction"),
                    "OverrideAction is only for rule group references; use Action",
                );
            }
            if rule.action.is_none() {
                self.err(
                    ctx,
                    ptr,
                    "missing Action: one of Allow, Block, Count, Captcha or Challenge",
                );
            }
            None
        };
        let body = match &rule.statement {
            model::Statement::RuleGroupReferenceStatement(_)
            | model::Statement::ManagedRuleGroupStatement(_) => {
                if ctx.in_group {
                    self.err(
                        ctx,
                        &sptr,
                        "a rule group cannot reference another rule group",
                    );
                    return None;
                }
                let (body, cost) =
                    self.group_reference(ctx, &sptr, &rule.statement, action.unwrap_or(false))?;
                wcu += cost;
                body
            }
            model::Statement::RateBasedStatement(r) => {
                let rptr = child(&sptr, "RateBasedStatement");
                if matches!(rule.action, Some(model::RuleAction::Allow(_))) {
                    self.err(
                        ctx,
                        &child(&child(ptr, "Action"), "Allow"),
                        "a rate-based rule cannot Allow; use Block, Count, Captcha or Challenge",
                    );
                }
                let (body, cost) = self.rate_based(ctx, &rptr, &rule.name, r)?;
                wcu += cost;
                body
            }
            s => {
                let (node, cost) = self.statement(ctx, &sptr, s, 0)?;
                wcu += cost;
                RuleBody::Statement(node)
            }
        };
        let action = match (&rule.action, is_group) {
            (Some(a), false) => self.rule_action(ctx, &child(ptr, "Action"), a)?,
            // A group reference's own action is never used: its rules' actions are.
            _ => Action {
                kind: super::ActionKind::Count,
                insert_headers: Box::new([]),
                response: None,
            },
        };
        let id = self.rules.len() as RuleId;
        self.rules.push(Rule {
            name: rule.name.as_str().into(),
            priority: rule.priority,
            metric_name: rule.visibility_config.metric_name.as_str().into(),
            sampled: rule.visibility_config.sampled_requests_enabled,
            metrics_enabled: rule.visibility_config.cloud_watch_metrics_enabled,
            body,
            labels,
            action,
            overridden_from: None,
            excluded: false,
            pointer: ptr.into(),
        });
        Some((id, wcu))
    }

    fn visibility(&mut self, ctx: &Ctx, ptr: &str, v: &model::VisibilityConfig) {
        if !is_metric_name(&v.metric_name) {
            self.err(ctx, &child(ptr, "MetricName"), format!("\"{}\" is not a valid metric name: 1-255 characters of letters, digits and _ # : . - /", v.metric_name));
        }
    }

    fn immunity(
        &mut self,
        ctx: &Ctx,
        ptr: &str,
        cfg: Option<&model::CaptchaConfig>,
        challenge: bool,
    ) {
        let Some(t) = cfg.and_then(|c| c.immunity_time_property.as_ref()) else {
            return;
        };
        let min = if challenge { 300 } else { 60 };
        if !(min..=259_200).contains(&t.immunity_time) {
            self.err(
                ctx,
                &child(&child(ptr, "ImmunityTimeProperty"), "ImmunityTime"),
                format!(
                    "immunity time must be {min}..259200 seconds, found {}",
                    t.immunity_time
                ),
            );
        }
    }

    fn body_limit(
        &mut self,
        ctx: &Ctx,
        base: &str,
        cfg: Option<&model::AssociationConfig>,
    ) -> usize {
        let ptr = child(&child(base, "AssociationConfig"), "RequestBody");
        let map = cfg.and_then(|c| c.request_body.as_ref());
        for key in map.into_iter().flat_map(|m| m.keys()) {
            if !ASSOCIATION_KEYS.contains(&key.as_str()) {
                self.err(ctx, &child(&ptr, key), format!("unknown resource type \"{key}\"; expected one of {} (ALB and AppSync are fixed at 8 KB)", ASSOCIATION_KEYS.join(", ")));
            }
        }
        match self.opts.source.association_key() {
            None => BODY_LIMIT_ALB,
            Some(key) => map
                .and_then(|m| m.get(key))
                .map(|c| c.default_size_inspection_limit.bytes())
                .unwrap_or(BODY_LIMIT_DEFAULT),
        }
    }

    /// Links each slot to the slot of the same component with the longest proper prefix of its
    /// transformation chain (see [`SlotDef::parent`]), first adding a slot for every prefix that
    /// two or more slots share (the empty prefix: the raw values), so that no extraction and no
    /// shared transformation step runs twice per request.
    fn link_slot_parents(&mut self) {
        let n = self.slots.len();
        let mut shared: HashMap<SlotKey, (usize, SlotId)> = HashMap::new();
        for ix in 0..n {
            let def = &self.slots[ix];
            for len in 0..def.chain.len() {
                let key = (
                    def.field.clone(),
                    def.preparse.clone(),
                    def.chain[..len].into(),
                );
                shared.entry(key).or_insert((0, ix as SlotId)).0 += 1;
            }
        }
        // In slot order, so that compiling the same ACL twice numbers slots the same way.
        let mut shared: Vec<(SlotKey, (usize, SlotId))> = shared.into_iter().collect();
        shared.sort_by_key(|((_, _, chain), (_, example))| (*example, chain.len()));
        for ((field, preparse, chain), (users, example)) in shared {
            let key = (field, preparse, chain);
            if users >= 2 && !self.slot_ix.contains_key(&key) {
                let (field, preparse, chain) = key;
                let json_paths = self.slots[example as usize].json_paths.clone();
                self.slot(field, preparse.into(), chain.into(), json_paths);
            }
        }
        for ix in 0..self.slots.len() {
            let def = &self.slots[ix];
            let parent = (0..def.chain.len()).rev().find_map(|len| {
                let key = (
                    def.field.clone(),
                    def.preparse.clone(),
                    def.chain[..len].into(),
                );
                self.slot_ix.get(&key).map(|&p| (p, len))
            });
            // A root slot's "rest" is its whole chain, run on a screen's capture of the component.
            let done = parent.map_or(0, |(_, len)| len);
            let rest_triggers = def.chain.get(done..).and_then(ChainTriggers::of);
            self.slots[ix].parent = parent;
            self.slots[ix].rest_triggers = rest_triggers;
        }
    }

    fn banks(&mut self, ctx: &Ctx, base: &str) -> Option<Banks> {
        let mut lit = Vec::with_capacity(self.slots.len());
        let mut re = Vec::with_capacity(self.slots.len());
        for slot in 0..self.slots.len() {
            let pats = std::mem::take(&mut self.literal_patterns[slot]);
            lit.push(if pats.is_empty() {
                None
            } else {
                match LiteralBank::new(&pats) {
                    Ok(b) => Some(b),
                    Err(e) => {
                        self.err(ctx, base, e);
                        None
                    }
                }
            });
            let pats = std::mem::take(&mut self.regex_patterns[slot]);
            re.push(if pats.is_empty() {
                None
            } else {
                match RegexBank::new(&pats) {
                    Ok(b) => Some(b),
                    Err(e) => {
                        self.err(
                            ctx,
                            base,
                            format!("{e} (field {})", self.slots[slot].describe()),
                        );
                        None
                    }
                }
            });
        }
        let families = self.regex_families(&re, ctx, base);
        self.diags.is_empty().then_some((lit, re, families))
    }

    /// One merged regex bank for each family of slots (slots whose values all derive from one
    /// extraction, linked by `parent`) in which two or more slots have regex patterns: when a
    /// request leaves those slots with the same values, one scan serves them all.
    fn regex_families(
        &mut self,
        banks: &[Option<RegexBank>],
        ctx: &Ctx,
        base: &str,
    ) -> Vec<RegexFamily> {
        let root = |mut slot: usize| {
            while let Some((parent, _)) = self.slots[slot].parent {
                slot = parent as usize;
            }
            slot
        };
        let mut by_root: BTreeMap<usize, Vec<SlotId>> = BTreeMap::new();
        for (slot, bank) in banks.iter().enumerate() {
            if bank.is_some() {
                by_root.entry(root(slot)).or_default().push(slot as SlotId);
            }
        }
        let mut families = Vec::new();
        for members in by_root.into_values().filter(|m| m.len() >= 2) {
            let member_banks: Vec<&RegexBank> = members
                .iter()
                .filter_map(|&m| banks.get(m as usize)?.as_ref())
                .collect();
            match RegexBank::merge(&member_banks) {
                Some(Ok(bank)) => families.push(RegexFamily {
                    members: members.into(),
                    bank,
                }),
                Some(Err(e)) => self.err(ctx, base, e),
                None => {}
            }
        }
        families
    }
}

/// Per slot, the index of the regex family it belongs to.
fn family_index(families: &[RegexFamily], slots: usize) -> Vec<Option<u32>> {
    let mut of = vec![None; slots];
    for (f, family) in families.iter().enumerate() {
        for &m in family.members.iter() {
            of[m as usize] = Some(f as u32);
        }
    }
    of
}

/// The account id inside a WAFv2 ARN.
pub(super) fn arn_account(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    (parts.len() == 6 && parts[0] == "arn" && parts[2] == "wafv2")
        .then(|| parts[4].trim_end_matches("_MANAGED"))
}

pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
