//! Statements: the boolean tree, leaf statements, IP sets, regex sets and rate-based rules.

use super::{Ctx, Lowerer, MAX_STATEMENT_DEPTH};
use crate::compile::ipset::{parse_cidr, IpTable};
use crate::compile::{FieldLeaf, FieldTest, IpSource, Leaf, LeafId, Node, Position};
use crate::detect::Sensitivity;
use crate::load::ResourceKind;
use crate::model::{self, FallbackBehavior, PositionalConstraint, Statement};
use crate::validate::capacity::{self, base};
use crate::validate::diagnostic::{child, index};
use crate::validate::names::{is_country_code, is_forwarded_ip_header_name, is_label_name};
use crate::validate::parse::parse_all;
use crate::validate::regex_dialect;
use base64::Engine as _;

/// Longest `SearchString` AWS accepts, in bytes before encoding.
pub const MAX_SEARCH_STRING_BYTES: usize = 200;
/// Most country codes in one GeoMatchStatement.
pub const MAX_COUNTRY_CODES: usize = 50;
/// Most addresses in one IP set.
pub const MAX_IP_SET_ADDRESSES: usize = 10_000;
/// Most patterns in one regex pattern set.
pub const MAX_REGEX_SET_PATTERNS: usize = 10;
/// Largest `Size` of a SizeConstraintStatement.
pub const MAX_SIZE: i64 = 21_474_836_480;

impl Lowerer<'_> {
    /// Lowers a statement object at `ptr`; returns its node and capacity.
    pub(super) fn statement(
        &mut self,
        ctx: &Ctx,
        ptr: &str,
        s: &Statement,
        depth: usize,
    ) -> Option<(Node, u64)> {
        if depth > MAX_STATEMENT_DEPTH {
            self.err(
                ctx,
                ptr,
                format!("statements nest deeper than {MAX_STATEMENT_DEPTH} levels"),
            );
            return None;
        }
        let mptr = child(ptr, s.aws_name());
        match s {
            Statement::AndStatement(a) | Statement::OrStatement(a) => {
                let sptr = child(&mptr, "Statements");
                if a.statements.len() < 2 {
                    self.err(
                        ctx,
                        &sptr,
                        format!(
                            "{} needs at least 2 statements, found {}",
                            s.aws_name(),
                            a.statements.len()
                        ),
                    );
                }
                let mut nodes = Vec::new();
                let mut wcu = 0;
                for (i, inner) in a.statements.iter().enumerate() {
                    if let Some((n, c)) = self.statement(ctx, &index(&sptr, i), inner, depth + 1) {
                        nodes.push(n);
                        wcu += c;
                    }
                }
                Some((
                    if matches!(s, Statement::AndStatement(_)) {
                        Node::And(nodes.into_boxed_slice())
                    } else {
                        Node::Or(self.join_regex_leaves(nodes).into_boxed_slice())
                    },
                    wcu,
                ))
            }
            Statement::NotStatement(n) => {
                let (inner, wcu) =
                    self.statement(ctx, &child(&mptr, "Statement"), &n.statement, depth + 1)?;
                Some((Node::Not(Box::new(inner)), wcu))
            }
            Statement::RateBasedStatement(_)
            | Statement::RuleGroupReferenceStatement(_)
            | Statement::ManagedRuleGroupStatement(_) => {
                self.err(
                    ctx,
                    &mptr,
                    format!(
                        "{} may only be the top-level statement of a rule",
                        s.aws_name()
                    ),
                );
                None
            }
            Statement::AsnMatchStatement(_) => {
                self.err(
                    ctx,
                    &mptr,
                    "AsnMatchStatement is not supported yet (webacl has no ASN database)",
                );
                None
            }
            Statement::ByteMatchStatement(b) => self.byte_match(ctx, &mptr, b),
            Statement::RegexMatchStatement(r) => {
                let pptr = child(&mptr, "RegexString");
                if let Err(e) = regex_dialect::check(&r.regex_string) {
                    self.err(ctx, &pptr, e);
                }
                let f = self.field_of(ctx, &mptr, r)?;
                let (first, count) = self.regex_bits(f.slot, vec![r.regex_string.clone()]);
                let wcu = f.wcu(base::REGEX);
                Some((
                    self.field_leaf(
                        f,
                        FieldTest::Regex { first, count },
                        format!("RegexMatchStatement /{}/", r.regex_string),
                    ),
                    wcu,
                ))
            }
            Statement::RegexPatternSetReferenceStatement(r) => {
                let patterns = self.regex_set(ctx, &child(&mptr, "ARN"), &r.arn);
                let f = self.field_of(ctx, &mptr, r)?;
                let patterns = patterns?;
                let (first, count) = self.regex_bits(f.slot, patterns);
                let wcu = f.wcu(base::REGEX_PATTERN_SET);
                Some((
                    self.field_leaf(
                        f,
                        FieldTest::Regex { first, count },
                        format!("RegexPatternSetReferenceStatement {}", r.arn),
                    ),
                    wcu,
                ))
            }
            Statement::SizeConstraintStatement(z) => {
                if !(0..=MAX_SIZE).contains(&z.size) {
                    self.err(
                        ctx,
                        &child(&mptr, "Size"),
                        format!("size must be 0..{MAX_SIZE}, found {}", z.size),
                    );
                }
                let f = self.field_of(ctx, &mptr, z)?;
                let wcu = f.wcu(base::SIZE);
                Some((
                    self.field_leaf(
                        f,
                        FieldTest::Size {
                            op: z.comparison_operator,
                            size: z.size.max(0) as u64,
                        },
                        format!(
                            "SizeConstraintStatement {:?} {}",
                            z.comparison_operator, z.size
                        ),
                    ),
                    wcu,
                ))
            }
            Statement::SqliMatchStatement(q) => {
                let f = self.field_of(ctx, &mptr, q)?;
                let (level, cost) = match q.sensitivity_level {
                    Some(model::SensitivityLevel::High) => (Sensitivity::High, base::SQLI_HIGH),
                    _ => (Sensitivity::Low, base::SQLI_LOW),
                };
                let wcu = f.wcu(cost);
                Some((
                    self.field_leaf(
                        f,
                        FieldTest::Sqli(level),
                        format!("SqliMatchStatement ({level:?})"),
                    ),
                    wcu,
                ))
            }
            Statement::XssMatchStatement(x) => {
                let f = self.field_of(ctx, &mptr, x)?;
                let wcu = f.wcu(base::XSS);
                Some((
                    self.field_leaf(f, FieldTest::Xss, "XssMatchStatement".into()),
                    wcu,
                ))
            }
            Statement::IPSetReferenceStatement(ip) => {
                let table = self.ip_set(ctx, &child(&mptr, "ARN"), &ip.arn);
                let (source, wcu) = match &ip.ip_set_forwarded_ip_config {
                    None => (IpSource::Client, base::IP_SET),
                    Some(f) => {
                        let fptr = child(&mptr, "IPSetForwardedIPConfig");
                        self.forwarded_header(ctx, &child(&fptr, "HeaderName"), &f.header_name);
                        let position = match f.position {
                            model::ForwardedIpPosition::First => Position::First,
                            model::ForwardedIpPosition::Last => Position::Last,
                            model::ForwardedIpPosition::Any => Position::Any,
                        };
                        let wcu = if position == Position::Any {
                            base::IP_SET_FORWARDED_ANY
                        } else {
                            base::IP_SET
                        };
                        (
                            forwarded(&f.header_name, f.fallback_behavior, position),
                            wcu,
                        )
                    }
                };
                let desc = format!(
                    "IPSetReferenceStatement {} on {}",
                    ip.arn,
                    describe_source(&source)
                );
                Some((
                    Node::Leaf(self.leaf(
                        Leaf::Ip {
                            table: table?,
                            source,
                        },
                        desc,
                    )),
                    wcu,
                ))
            }
            Statement::GeoMatchStatement(g) => {
                let cptr = child(&mptr, "CountryCodes");
                let codes = g.country_codes.as_deref().unwrap_or_default();
                if codes.is_empty() || codes.len() > MAX_COUNTRY_CODES {
                    self.err(
                        ctx,
                        &cptr,
                        format!(
                            "{} country codes; AWS allows 1 to {MAX_COUNTRY_CODES}",
                            codes.len()
                        ),
                    );
                }
                let mut out = Vec::new();
                for (i, c) in codes.iter().enumerate() {
                    if is_country_code(c) {
                        out.push([c.as_bytes()[0], c.as_bytes()[1]]);
                    } else {
                        self.err(
                            ctx,
                            &index(&cptr, i),
                            format!("\"{c}\" is not an ISO 3166 alpha-2 country code AWS accepts"),
                        );
                    }
                }
                out.sort_unstable();
                out.dedup();
                let source = match &g.forwarded_ip_config {
                    None => IpSource::Client,
                    Some(f) => {
                        self.forwarded_header(
                            ctx,
                            &child(&child(&mptr, "ForwardedIPConfig"), "HeaderName"),
                            &f.header_name,
                        );
                        forwarded(&f.header_name, f.fallback_behavior, Position::First)
                    }
                };
                let desc = format!(
                    "GeoMatchStatement {:?} on {}",
                    codes,
                    describe_source(&source)
                );
                Some((
                    Node::Leaf(self.leaf(
                        Leaf::Geo {
                            codes: out.into(),
                            source,
                        },
                        desc,
                    )),
                    base::GEO,
                ))
            }
            Statement::LabelMatchStatement(l) => {
                let kptr = child(&mptr, "Key");
                if !is_label_name(&l.key) {
                    self.err(ctx, &kptr, format!("\"{}\" is not a valid label key: 1-1024 characters of letters, digits, _ - and :", l.key));
                }
                let context: Box<str> = if l.key.starts_with("awswaf:") {
                    "".into()
                } else {
                    ctx.namespace.into()
                };
                let desc = format!("LabelMatchStatement {:?} \"{}\"", l.scope, l.key);
                Some((
                    Node::Leaf(self.leaf(
                        Leaf::Label {
                            scope: l.scope,
                            key: l.key.as_str().into(),
                            context,
                        },
                        desc,
                    )),
                    base::LABEL,
                ))
            }
        }
    }

    fn byte_match(
        &mut self,
        ctx: &Ctx,
        mptr: &str,
        b: &model::ByteMatchStatement,
    ) -> Option<(Node, u64)> {
        let sptr = child(mptr, "SearchString");
        let bytes = match ctx.encoding {
            super::SearchStringEncoding::Base64 => {
                match base64::engine::general_purpose::STANDARD.decode(b.search_string.as_bytes()) {
                    Ok(b) => Some(b),
                    Err(e) => {
                        self.err(ctx, &sptr, format!("\"{}\" is not base64 ({e}); `aws wafv2 get-web-acl` prints SearchString base64-encoded. For a console export with plain-text search strings use --search-string-encoding text", b.search_string));
                        None
                    }
                }
            }
            super::SearchStringEncoding::Text => Some(b.search_string.as_bytes().to_vec()),
        };
        if let Some(bytes) = &bytes {
            if bytes.is_empty() || bytes.len() > MAX_SEARCH_STRING_BYTES {
                self.err(
                    ctx,
                    &sptr,
                    format!(
                        "search string is {} bytes; AWS allows 1 to {MAX_SEARCH_STRING_BYTES}",
                        bytes.len()
                    ),
                );
            }
            if b.positional_constraint == PositionalConstraint::ContainsWord
                && !bytes
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'_')
            {
                self.err(
                    ctx,
                    &sptr,
                    "with CONTAINS_WORD the search string may contain only letters, digits and _",
                );
            }
        }
        if matches!(
            b.field_to_match,
            model::FieldToMatch::Ja3Fingerprint(_) | model::FieldToMatch::Ja4Fingerprint(_)
        ) && b.positional_constraint != PositionalConstraint::Exactly
        {
            self.err(
                ctx,
                &child(mptr, "PositionalConstraint"),
                "JA3/JA4 fingerprints can only be matched EXACTLY",
            );
        }
        let f = self.field_of(ctx, mptr, b)?;
        let bytes = bytes?;
        let cost = match b.positional_constraint {
            PositionalConstraint::Contains | PositionalConstraint::ContainsWord => {
                base::BYTE_MATCH_CONTAINS
            }
            _ => base::BYTE_MATCH_EXACT,
        };
        let wcu = f.wcu(cost);
        let bit = self.bytes_bit(f.slot, bytes, b.positional_constraint);
        let desc = format!(
            "ByteMatchStatement {:?} \"{}\"",
            b.positional_constraint,
            String::from_utf8_lossy(&self.bytes_of(f.slot, bit)).escape_debug()
        );
        Some((
            self.field_leaf(
                f,
                FieldTest::Bytes {
                    bit,
                    constraint: b.positional_constraint,
                },
                desc,
            ),
            wcu,
        ))
    }

    fn field_leaf(&mut self, f: super::field::LoweredField, test: FieldTest, what: String) -> Node {
        let desc = format!("{what} on {}", self.slots[f.slot as usize].describe());
        Node::Leaf(self.leaf(
            Leaf::Field(FieldLeaf {
                slot: f.slot,
                oversize: f.oversize,
                missing: f.missing,
                json_invalid: f.json_invalid,
                test,
            }),
            desc,
        ))
    }

    fn bytes_of(&self, slot: crate::compile::SlotId, bit: u32) -> Vec<u8> {
        self.literal_patterns[slot as usize]
            .iter()
            .find(|(_, _, b)| *b == bit)
            .map(|(p, _, _)| p.clone())
            .unwrap_or_default()
    }

    fn forwarded_header(&mut self, ctx: &Ctx, ptr: &str, name: &str) {
        if !is_forwarded_ip_header_name(name) {
            self.err(ctx, ptr, format!("\"{name}\" is not a valid header name: 1-255 characters of letters, digits and -"));
        }
    }

    /// Resolves an IP set by ARN into a range table (cached per ARN).
    fn ip_set(&mut self, ctx: &Ctx, ptr: &str, arn: &str) -> Option<u32> {
        if let Some(cached) = self.ip_ix.get(arn) {
            return *cached;
        }
        let result = self.load_ip_set(ctx, ptr, arn);
        self.ip_ix.insert(arn.to_string(), result);
        result
    }

    fn load_ip_set(&mut self, ctx: &Ctx, ptr: &str, arn: &str) -> Option<u32> {
        let doc = self.resolve(ctx, ptr, arn, ResourceKind::IpSet)?;
        let set: model::IpSet = parse_all(&doc.value, &doc.file, &doc.base, None, &mut self.diags)?;
        let aptr = child(&doc.base, "Addresses");
        if set.addresses.len() > MAX_IP_SET_ADDRESSES {
            self.diags.push_at(
                &doc.file,
                &aptr,
                None,
                format!(
                    "{} addresses; AWS allows at most {MAX_IP_SET_ADDRESSES}",
                    set.addresses.len()
                ),
            );
        }
        let mut cidrs = Vec::with_capacity(set.addresses.len());
        for (i, a) in set.addresses.iter().enumerate() {
            match parse_cidr(a) {
                Ok((ip, p)) => {
                    if ip.is_ipv4() != (set.ip_address_version == model::IpAddressVersion::Ipv4) {
                        self.diags.push_at(
                            &doc.file,
                            &index(&aptr, i),
                            None,
                            format!(
                                "\"{a}\" does not match IPAddressVersion {:?}",
                                set.ip_address_version
                            ),
                        );
                    }
                    cidrs.push((ip, p));
                }
                Err(e) => self.diags.push_at(&doc.file, &index(&aptr, i), None, e),
            }
        }
        let id = self.ip_tables.len() as u32;
        self.ip_tables.push(IpTable::new(&cidrs));
        Some(id)
    }

    /// Resolves a regex pattern set by ARN (cached per ARN).
    fn regex_set(&mut self, ctx: &Ctx, ptr: &str, arn: &str) -> Option<Vec<String>> {
        if let Some(cached) = self.regex_sets.get(arn) {
            return cached.clone();
        }
        let result = self.load_regex_set(ctx, ptr, arn);
        self.regex_sets.insert(arn.to_string(), result.clone());
        result
    }

    fn load_regex_set(&mut self, ctx: &Ctx, ptr: &str, arn: &str) -> Option<Vec<String>> {
        let doc = self.resolve(ctx, ptr, arn, ResourceKind::RegexPatternSet)?;
        let set: model::RegexPatternSet =
            parse_all(&doc.value, &doc.file, &doc.base, None, &mut self.diags)?;
        let lptr = child(&doc.base, "RegularExpressionList");
        if set.regular_expression_list.is_empty()
            || set.regular_expression_list.len() > MAX_REGEX_SET_PATTERNS
        {
            self.diags.push_at(
                &doc.file,
                &lptr,
                None,
                format!(
                    "{} patterns; AWS allows 1 to {MAX_REGEX_SET_PATTERNS}",
                    set.regular_expression_list.len()
                ),
            );
        }
        let mut ok = true;
        for (i, r) in set.regular_expression_list.iter().enumerate() {
            if let Err(e) = regex_dialect::check(&r.regex_string) {
                self.diags
                    .push_at(&doc.file, &child(&index(&lptr, i), "RegexString"), None, e);
                ok = false;
            }
        }
        ok.then(|| {
            set.regular_expression_list
                .into_iter()
                .map(|r| r.regex_string)
                .collect()
        })
    }

    /// Finds a resource by ARN, checking its kind.
    pub(super) fn resolve(
        &mut self,
        ctx: &Ctx,
        ptr: &str,
        arn: &str,
        want: ResourceKind,
    ) -> Option<crate::load::Document> {
        match self.resources.by_arn.get(arn) {
            Some((kind, doc)) if *kind == want => Some(doc.clone()),
            Some((kind, doc)) => {
                self.err(
                    ctx,
                    ptr,
                    format!(
                        "{arn} is a {} (in {}), but a {} is expected here",
                        kind.aws_name(),
                        doc.file,
                        want.aws_name()
                    ),
                );
                None
            }
            None => {
                let cmd = match want {
                    ResourceKind::IpSet => "get-ip-set",
                    ResourceKind::RegexPatternSet => "get-regex-pattern-set",
                    ResourceKind::RuleGroup => "get-rule-group",
                };
                let hint = if ctx.file.starts_with("<embedded") {
                    // AWS's own lists cannot be fetched with the CLI: webacl reads them from files.
                    "webacl's managed IP lists read their addresses from IP set files in the resources directory (--resources DIR); see rulesets/aws/README.md for the file names and rulesets/examples/resources/ for examples".to_string()
                } else {
                    format!("put the output of `aws wafv2 {cmd}` for it in the resources directory (--resources DIR)")
                };
                self.err(
                    ctx,
                    ptr,
                    format!("{} {arn} was not found; {hint}", want.aws_name()),
                );
                None
            }
        }
    }
}

fn describe_source(s: &IpSource) -> String {
    match s {
        IpSource::Client => "the client IP".into(),
        IpSource::Forwarded {
            header, position, ..
        } => format!("header {header} ({position:?} address)"),
    }
}

fn forwarded(header: &str, fallback: FallbackBehavior, position: Position) -> IpSource {
    IpSource::Forwarded {
        header: header.to_ascii_lowercase().into(),
        fallback_match: fallback == FallbackBehavior::Match,
        position,
    }
}

/// Capacity of a field statement, given its base cost.
impl super::field::LoweredField {
    pub fn wcu(&self, base_cost: u64) -> u64 {
        capacity::field_statement(
            base_cost,
            self.json_body,
            self.all_query_args,
            self.transformations,
        )
    }
}

/// Longest description kept for a joined regex leaf (`--explain` output).
const MAX_JOINED_DESCRIPTION: usize = 240;

impl Lowerer<'_> {
    /// In an OrStatement, neighbouring regex tests of the same inspected field (same slot, same
    /// oversize, missing-component and JSON fallbacks) whose bank bits are contiguous become one
    /// test over the joined bit range. "Any of these pattern sets matched" is then one word-wise
    /// bit check instead of a leaf per set: 1,000 patterns in 100 sets of AWS's maximum 10 cost
    /// about what one set does. The result is the same, since an Or of field tests on one slot is
    /// true exactly when one of their bits is set.
    fn join_regex_leaves(&mut self, nodes: Vec<Node>) -> Vec<Node> {
        let mut out: Vec<Node> = Vec::with_capacity(nodes.len());
        for node in nodes {
            if let (Some(Node::Leaf(prev)), Node::Leaf(cur)) = (out.last(), &node) {
                if let Some(joined) = self.joined_regex_leaf(*prev, *cur) {
                    if let Some(last) = out.last_mut() {
                        *last = Node::Leaf(joined);
                    }
                    continue;
                }
            }
            out.push(node);
        }
        out
    }

    fn joined_regex_leaf(&mut self, a: LeafId, b: LeafId) -> Option<LeafId> {
        let (Some(Leaf::Field(fa)), Some(Leaf::Field(fb))) =
            (self.leaves.get(a as usize), self.leaves.get(b as usize))
        else {
            return None;
        };
        let (
            FieldTest::Regex {
                first: first_a,
                count: count_a,
            },
            FieldTest::Regex {
                first: first_b,
                count: count_b,
            },
        ) = (&fa.test, &fb.test)
        else {
            return None;
        };
        let same_field = fa.slot == fb.slot
            && fa.oversize == fb.oversize
            && fa.missing == fb.missing
            && fa.json_invalid == fb.json_invalid;
        if !same_field || first_a + count_a != *first_b {
            return None;
        }
        let joined = FieldLeaf {
            test: FieldTest::Regex {
                first: *first_a,
                count: count_a + count_b,
            },
            ..fa.clone()
        };
        let mut description = format!(
            "{} OR {}",
            self.leaf_descriptions[a as usize], self.leaf_descriptions[b as usize]
        );
        if description.len() > MAX_JOINED_DESCRIPTION {
            let mut cut = MAX_JOINED_DESCRIPTION;
            while !description.is_char_boundary(cut) {
                cut -= 1;
            }
            description.truncate(cut);
            description.push_str(" …");
        }
        Some(self.leaf(Leaf::Field(joined), description))
    }
}
