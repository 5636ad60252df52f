//! FieldToMatch and text transformations → an interned slot plus per-statement handling.

use super::{Ctx, Lowerer};
use crate::compile::slot::{FieldSel, NamePattern};
use crate::compile::SlotId;
use crate::model::{
    self, BodyParsingFallbackBehavior, FallbackBehavior, FieldToMatch, OversizeHandling,
};
use crate::parse::json::JsonPointer;
use crate::transform::{PreParse, Transform};
use crate::validate::diagnostic::{child, did_you_mean, index};
use crate::validate::names::is_field_name;

/// Most text transformations per statement (AWS quota).
pub const MAX_TRANSFORMATIONS: usize = 10;
/// Most names in an Included/Excluded header or cookie list.
pub const MAX_MATCH_PATTERN_NAMES: usize = 199;

/// What a statement's FieldToMatch lowered to.
pub struct LoweredField {
    pub slot: SlotId,
    pub oversize: OversizeHandling,
    pub missing: Option<bool>,
    pub json_invalid: Option<bool>,
    pub json_body: bool,
    pub all_query_args: bool,
    pub transformations: usize,
}

/// The statements that inspect a request component: one FieldToMatch, its transformations, and
/// (2026) pre-parse transformations.
pub(super) trait FieldStatement {
    fn parts(
        &self,
    ) -> (
        &FieldToMatch,
        &[model::TextTransformation],
        Option<&[model::TextTransformation]>,
    );
}

macro_rules! field_statement {
    ($($t:ty),*) => {$(
        impl FieldStatement for $t {
            fn parts(&self) -> (&FieldToMatch, &[model::TextTransformation], Option<&[model::TextTransformation]>) {
                (&self.field_to_match, &self.text_transformations, self.pre_parse_text_transformations.as_deref())
            }
        }
    )*};
}

field_statement!(
    model::ByteMatchStatement,
    model::RegexMatchStatement,
    model::RegexPatternSetReferenceStatement,
    model::SizeConstraintStatement,
    model::SqliMatchStatement,
    model::XssMatchStatement
);

impl Lowerer<'_> {
    /// [`Lowerer::field`] for a field statement at `sptr`.
    pub(super) fn field_of(
        &mut self,
        ctx: &Ctx,
        sptr: &str,
        s: &impl FieldStatement,
    ) -> Option<LoweredField> {
        let (ftm, transformations, preparse) = s.parts();
        self.field(ctx, sptr, ftm, transformations, preparse)
    }

    /// `sptr` points at the statement object holding `FieldToMatch` and `TextTransformations`.
    pub(super) fn field(
        &mut self,
        ctx: &Ctx,
        sptr: &str,
        ftm: &FieldToMatch,
        transformations: &[model::TextTransformation],
        preparse: Option<&[model::TextTransformation]>,
    ) -> Option<LoweredField> {
        let fptr = child(&child(sptr, "FieldToMatch"), ftm.aws_name());
        let chain = self.transformations(ctx, &child(sptr, "TextTransformations"), transformations);
        let pre = match preparse {
            None => Some(Vec::new()),
            Some(list) => {
                let pptr = child(sptr, "PreParseTextTransformations");
                if !matches!(
                    ftm,
                    FieldToMatch::SingleQueryArgument(_) | FieldToMatch::AllQueryArguments(_)
                ) {
                    self.err(ctx, &pptr, "PreParseTextTransformations are only allowed with SingleQueryArgument or AllQueryArguments");
                }
                self.preparse(ctx, &pptr, list)
            }
        };
        let mut out = LoweredField {
            slot: 0,
            oversize: OversizeHandling::Continue,
            missing: None,
            json_invalid: None,
            json_body: false,
            all_query_args: false,
            // NONE costs nothing: AWS prices the CLI example (EXACTLY + SizeConstraint, both with NONE) at 3 WCU.
            transformations: transformations
                .iter()
                .chain(preparse.unwrap_or_default())
                .filter(|t| t.kind != "NONE")
                .count(),
        };
        let mut json_paths = None;
        let sel = match ftm {
            FieldToMatch::SingleHeader(n) => FieldSel::SingleHeader(
                self.field_name(ctx, &fptr, &n.name)?
                    .to_ascii_lowercase()
                    .into(),
            ),
            FieldToMatch::SingleQueryArgument(n) => FieldSel::SingleQueryArgument(
                self.field_name(ctx, &fptr, &n.name)?
                    .to_ascii_lowercase()
                    .into(),
            ),
            FieldToMatch::AllQueryArguments(_) => {
                out.all_query_args = true;
                FieldSel::AllQueryArguments
            }
            FieldToMatch::UriPath(_) => FieldSel::UriPath,
            FieldToMatch::QueryString(_) => FieldSel::QueryString,
            FieldToMatch::Method(_) => FieldSel::Method,
            FieldToMatch::Body(b) => {
                out.oversize = b.oversize_handling.unwrap_or_default();
                FieldSel::Body
            }
            FieldToMatch::JsonBody(j) => {
                out.json_body = true;
                out.oversize = j.oversize_handling.unwrap_or_default();
                out.json_invalid = match j.invalid_fallback_behavior {
                    Some(BodyParsingFallbackBehavior::Match) => Some(true),
                    Some(BodyParsingFallbackBehavior::NoMatch) => Some(false),
                    _ => None,
                };
                let mptr = child(&fptr, "MatchPattern");
                let paths = match (&j.match_pattern.all, &j.match_pattern.included_paths) {
                    (Some(_), None) => None,
                    (None, Some(paths)) => {
                        if paths.is_empty() {
                            self.err(
                                ctx,
                                &child(&mptr, "IncludedPaths"),
                                "IncludedPaths needs at least one JSON pointer",
                            );
                        }
                        let mut parsed = Vec::new();
                        for (i, p) in paths.iter().enumerate() {
                            match JsonPointer::parse(p) {
                                Ok(jp) => parsed.push(jp),
                                Err(e) => self.err(
                                    ctx,
                                    &index(&child(&mptr, "IncludedPaths"), i),
                                    format!("\"{p}\" is not a JSON pointer: {e}"),
                                ),
                            }
                        }
                        json_paths = Some(parsed.into_boxed_slice());
                        Some(paths.iter().map(|p| p.as_str().into()).collect())
                    }
                    _ => {
                        self.err(
                            ctx,
                            &mptr,
                            "MatchPattern needs exactly one of All or IncludedPaths",
                        );
                        return None;
                    }
                };
                FieldSel::JsonBody {
                    paths,
                    scope: j.match_scope.into(),
                    as_string_on_invalid: j.invalid_fallback_behavior
                        == Some(BodyParsingFallbackBehavior::EvaluateAsString),
                }
            }
            FieldToMatch::Headers(h) => {
                out.oversize = h.oversize_handling;
                let p = &h.match_pattern;
                let pattern = self.name_pattern(
                    ctx,
                    &child(&fptr, "MatchPattern"),
                    p.all.is_some(),
                    p.included_headers.as_deref(),
                    p.excluded_headers.as_deref(),
                    ("IncludedHeaders", "ExcludedHeaders"),
                    true,
                )?;
                FieldSel::Headers {
                    pattern,
                    scope: h.match_scope.into(),
                }
            }
            FieldToMatch::Cookies(c) => {
                out.oversize = c.oversize_handling;
                let p = &c.match_pattern;
                let pattern = self.name_pattern(
                    ctx,
                    &child(&fptr, "MatchPattern"),
                    p.all.is_some(),
                    p.included_cookies.as_deref(),
                    p.excluded_cookies.as_deref(),
                    ("IncludedCookies", "ExcludedCookies"),
                    false,
                )?;
                FieldSel::Cookies {
                    pattern,
                    scope: c.match_scope.into(),
                }
            }
            FieldToMatch::HeaderOrder(h) => {
                out.oversize = h.oversize_handling;
                FieldSel::HeaderOrder
            }
            FieldToMatch::Ja3Fingerprint(f) => {
                out.missing = Some(f.fallback_behavior == FallbackBehavior::Match);
                FieldSel::Ja3
            }
            FieldToMatch::Ja4Fingerprint(f) => {
                out.missing = Some(f.fallback_behavior == FallbackBehavior::Match);
                FieldSel::Ja4
            }
            FieldToMatch::UriFragment(f) => {
                out.missing = Some(f.fallback_behavior == Some(FallbackBehavior::Match));
                FieldSel::UriFragment
            }
        };
        let chain = chain?;
        let pre = pre?;
        out.slot = self.slot(sel, pre, chain, json_paths);
        Some(out)
    }

    fn field_name<'n>(&mut self, ctx: &Ctx, ptr: &str, name: &'n str) -> Option<&'n str> {
        if is_field_name(name) {
            Some(name)
        } else {
            self.err(
                ctx,
                &child(ptr, "Name"),
                format!("\"{name}\" is not a valid name: 1-64 characters, not all spaces"),
            );
            None
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn name_pattern(
        &mut self,
        ctx: &Ctx,
        ptr: &str,
        all: bool,
        included: Option<&[String]>,
        excluded: Option<&[String]>,
        keys: (&str, &str),
        fold: bool,
    ) -> Option<NamePattern> {
        let names = |list: &[String], key: &str, this: &mut Self| -> Box<[Box<str>]> {
            if list.is_empty() || list.len() > MAX_MATCH_PATTERN_NAMES {
                this.err(
                    ctx,
                    &child(ptr, key),
                    format!(
                        "{} names; AWS allows 1 to {MAX_MATCH_PATTERN_NAMES}",
                        list.len()
                    ),
                );
            }
            list.iter()
                .map(|n| {
                    if fold {
                        n.to_ascii_lowercase().into()
                    } else {
                        n.as_str().into()
                    }
                })
                .collect()
        };
        match (all, included, excluded) {
            (true, None, None) => Some(NamePattern::All),
            (false, Some(list), None) => Some(NamePattern::Included(names(list, keys.0, self))),
            (false, None, Some(list)) => Some(NamePattern::Excluded(names(list, keys.1, self))),
            _ => {
                self.err(
                    ctx,
                    ptr,
                    format!(
                        "MatchPattern needs exactly one of All, {} or {}",
                        keys.0, keys.1
                    ),
                );
                None
            }
        }
    }

    /// Validates a TextTransformations list and returns the chain in priority order, without NONE.
    pub(super) fn transformations(
        &mut self,
        ctx: &Ctx,
        ptr: &str,
        list: &[model::TextTransformation],
    ) -> Option<Vec<Transform>> {
        if list.is_empty() || list.len() > MAX_TRANSFORMATIONS {
            self.err(ctx, ptr, format!("{} text transformations; AWS requires 1 to {MAX_TRANSFORMATIONS} (use {{\"Priority\": 0, \"Type\": \"NONE\"}} for none)", list.len()));
        }
        let mut ok = true;
        let mut chain: Vec<(i64, Transform)> = Vec::new();
        for (i, t) in list.iter().enumerate() {
            let tptr = index(ptr, i);
            match Transform::from_aws_name(&t.kind) {
                Some(x) => chain.push((t.priority, x)),
                None => {
                    ok = false;
                    let names: Vec<&str> = Transform::ALL.iter().map(|t| t.aws_name()).collect();
                    let mut msg = format!(
                        "unknown transformation \"{}\"; expected one of {}",
                        t.kind,
                        names.join(", ")
                    );
                    if let Some(s) = did_you_mean(&t.kind, names.iter().copied()) {
                        msg.push_str(&format!(" (did you mean {s}?)"));
                    }
                    self.err(ctx, &child(&tptr, "Type"), msg);
                }
            }
            if t.priority < 0 {
                ok = false;
                self.err(
                    ctx,
                    &child(&tptr, "Priority"),
                    format!("priority must be 0 or more, found {}", t.priority),
                );
            }
            if list[..i].iter().any(|p| p.priority == t.priority) {
                ok = false;
                self.err(
                    ctx,
                    &child(&tptr, "Priority"),
                    format!("duplicate transformation priority {}", t.priority),
                );
            }
        }
        chain.sort_by_key(|(p, _)| *p);
        ok.then(|| {
            chain
                .into_iter()
                .map(|(_, t)| t)
                .filter(|t| *t != Transform::None)
                .collect()
        })
    }

    fn preparse(
        &mut self,
        ctx: &Ctx,
        ptr: &str,
        list: &[model::TextTransformation],
    ) -> Option<Vec<PreParse>> {
        if list.len() > MAX_TRANSFORMATIONS {
            self.err(
                ctx,
                ptr,
                format!(
                    "{} pre-parse transformations; AWS allows at most {MAX_TRANSFORMATIONS}",
                    list.len()
                ),
            );
        }
        let mut ok = true;
        let mut chain: Vec<(i64, PreParse)> = Vec::new();
        for (i, t) in list.iter().enumerate() {
            match PreParse::from_aws_name(&t.kind) {
                Some(p) => chain.push((t.priority, p)),
                None => {
                    ok = false;
                    self.err(ctx, &child(&index(ptr, i), "Type"), format!("unknown pre-parse transformation \"{}\"; expected NONE, URL_DECODE, URL_DECODE_UNI, COMBINE_DUPLICATE_QUERY_ARGS_BY_COMMA or REPLACE_SEMICOLONS_WITH_AMPERSANDS", t.kind));
                }
            }
            if list[..i].iter().any(|p| p.priority == t.priority) {
                ok = false;
                self.err(
                    ctx,
                    &child(&index(ptr, i), "Priority"),
                    format!("duplicate transformation priority {}", t.priority),
                );
            }
        }
        chain.sort_by_key(|(p, _)| *p);
        ok.then(|| {
            chain
                .into_iter()
                .map(|(_, p)| p)
                .filter(|p| *p != PreParse::None)
                .collect()
        })
    }
}
