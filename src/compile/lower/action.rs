//! Actions, custom request handling, custom responses and rule labels.

use super::{Ctx, Lowerer};
use crate::compile::{Action, ActionKind, CustomResponse};
use crate::model::{self, ResponseContentType};
use crate::validate::diagnostic::{child, index};
use crate::validate::names::{
    is_custom_header_name, is_entity_name, is_label_name, is_response_code, MAX_LABEL_NAMESPACES,
    RESERVED_LABEL_WORDS,
};
use std::collections::BTreeMap;

/// Most headers in one `InsertHeaders` or `ResponseHeaders` list (AWS quota).
pub const MAX_CUSTOM_HEADERS: usize = 10;
/// Largest custom response body (AWS quota: 4 KB per body).
pub const MAX_RESPONSE_BODY_BYTES: usize = 4 * 1024;
/// Most custom response bodies per ACL or group.
pub const MAX_RESPONSE_BODIES: usize = 50;
/// Prefix AWS puts before every inserted request header name.
pub const INSERTED_HEADER_PREFIX: &str = "x-amzn-waf-";

impl Lowerer<'_> {
    pub(super) fn rule_action(
        &mut self,
        ctx: &Ctx,
        ptr: &str,
        a: &model::RuleAction,
    ) -> Option<Action> {
        Some(match a {
            model::RuleAction::Allow(x) => self.allow(ctx, &child(ptr, "Allow"), x),
            model::RuleAction::Block(x) => self.block(ctx, &child(ptr, "Block"), x),
            model::RuleAction::Count(x) => {
                self.counting(ctx, &child(ptr, "Count"), ActionKind::Count, x)
            }
            model::RuleAction::Captcha(x) => {
                self.counting(ctx, &child(ptr, "Captcha"), ActionKind::Captcha, x)
            }
            model::RuleAction::Challenge(x) => {
                self.counting(ctx, &child(ptr, "Challenge"), ActionKind::Challenge, x)
            }
            model::RuleAction::Monetize(_) => {
                self.err(
                    ctx,
                    &child(ptr, "Monetize"),
                    "the Monetize action is not supported: AWS has not published its semantics",
                );
                return None;
            }
        })
    }

    pub(super) fn allow(&mut self, ctx: &Ctx, ptr: &str, a: &model::AllowAction) -> Action {
        let insert_headers = self.insert_headers(ctx, ptr, a.custom_request_handling.as_ref());
        Action {
            kind: ActionKind::Allow,
            insert_headers,
            response: None,
        }
    }

    fn counting(
        &mut self,
        ctx: &Ctx,
        ptr: &str,
        kind: ActionKind,
        a: &model::CountAction,
    ) -> Action {
        let insert_headers = self.insert_headers(ctx, ptr, a.custom_request_handling.as_ref());
        Action {
            kind,
            insert_headers,
            response: None,
        }
    }

    pub(super) fn block(&mut self, ctx: &Ctx, ptr: &str, b: &model::BlockAction) -> Action {
        let response = b
            .custom_response
            .as_ref()
            .and_then(|r| self.custom_response(ctx, &child(ptr, "CustomResponse"), r));
        Action {
            kind: ActionKind::Block,
            insert_headers: Box::new([]),
            response,
        }
    }

    fn insert_headers(
        &mut self,
        ctx: &Ctx,
        ptr: &str,
        h: Option<&model::CustomRequestHandling>,
    ) -> Box<[(Box<str>, Box<str>)]> {
        let Some(h) = h else { return Box::new([]) };
        let ptr = child(&child(ptr, "CustomRequestHandling"), "InsertHeaders");
        self.headers(ctx, &ptr, &h.insert_headers, true)
    }

    fn headers(
        &mut self,
        ctx: &Ctx,
        ptr: &str,
        list: &[model::CustomHttpHeader],
        insert: bool,
    ) -> Box<[(Box<str>, Box<str>)]> {
        if list.is_empty() || list.len() > MAX_CUSTOM_HEADERS {
            self.err(
                ctx,
                ptr,
                format!(
                    "{} headers; AWS allows 1 to {MAX_CUSTOM_HEADERS}",
                    list.len()
                ),
            );
        }
        let mut out = Vec::new();
        for (i, h) in list.iter().enumerate() {
            let hptr = index(ptr, i);
            if !is_custom_header_name(&h.name) {
                self.err(ctx, &child(&hptr, "Name"), format!("\"{}\" is not a valid header name: 1-64 characters of letters, digits and . _ $ -", h.name));
            }
            if h.value.is_empty() || h.value.len() > 255 {
                self.err(
                    ctx,
                    &child(&hptr, "Value"),
                    format!(
                        "header value must be 1-255 characters, found {}",
                        h.value.len()
                    ),
                );
            }
            if !insert && h.name.eq_ignore_ascii_case("content-type") {
                self.err(ctx, &child(&hptr, "Name"), "Content-Type cannot be set as a response header; it comes from the body's ContentType in CustomResponseBodies");
            }
            let name = if insert {
                format!("{INSERTED_HEADER_PREFIX}{}", h.name.to_ascii_lowercase())
            } else {
                h.name.clone()
            };
            out.push((name.into_boxed_str(), h.value.as_str().into()));
        }
        out.into()
    }

    fn custom_response(
        &mut self,
        ctx: &Ctx,
        ptr: &str,
        r: &model::CustomResponse,
    ) -> Option<CustomResponse> {
        if !is_response_code(r.response_code) {
            self.err(
                ctx,
                &child(ptr, "ResponseCode"),
                format!("response code must be 200..599, found {}", r.response_code),
            );
        }
        let headers = match &r.response_headers {
            Some(h) => self.headers(ctx, &child(ptr, "ResponseHeaders"), h, false),
            None => Box::new([]),
        };
        let body = match &r.custom_response_body_key {
            None => None,
            Some(key) => match ctx.bodies.and_then(|b| b.get(key)) {
                Some(b) => Some((content_type(b.content_type), b.content.as_str().into())),
                None => {
                    let whose = if ctx.in_group {
                        "the rule group's"
                    } else {
                        "the Web ACL's"
                    };
                    self.err(
                        ctx,
                        &child(ptr, "CustomResponseBodyKey"),
                        format!("\"{key}\" is not defined in {whose} CustomResponseBodies"),
                    );
                    None
                }
            },
        };
        Some(CustomResponse {
            code: u16::try_from(r.response_code).unwrap_or(403),
            headers,
            body,
        })
    }

    pub(super) fn response_bodies(
        &mut self,
        ctx: &Ctx,
        ptr: &str,
        bodies: Option<&BTreeMap<String, model::CustomResponseBody>>,
    ) {
        let Some(bodies) = bodies else { return };
        if bodies.len() > MAX_RESPONSE_BODIES {
            self.err(
                ctx,
                ptr,
                format!(
                    "{} custom response bodies; AWS allows at most {MAX_RESPONSE_BODIES}",
                    bodies.len()
                ),
            );
        }
        for (key, body) in bodies {
            if !is_entity_name(key) {
                self.err(ctx, &child(ptr, key), format!("\"{key}\" is not a valid body key: 1-128 characters of letters, digits, _ and -"));
            }
            if body.content.is_empty() || body.content.len() > MAX_RESPONSE_BODY_BYTES {
                self.err(
                    ctx,
                    &child(&child(ptr, key), "Content"),
                    format!(
                        "body is {} bytes; AWS allows 1 to {MAX_RESPONSE_BODY_BYTES}",
                        body.content.len()
                    ),
                );
            }
        }
    }

    /// Validates `RuleLabels` and returns them fully qualified with the container's namespace.
    pub(super) fn rule_labels(
        &mut self,
        ctx: &Ctx,
        ptr: &str,
        labels: Option<&[model::Label]>,
        is_group: bool,
    ) -> Box<[Box<str>]> {
        let Some(labels) = labels else {
            return Box::new([]);
        };
        if is_group {
            self.err(
                ctx,
                ptr,
                "RuleLabels are not allowed on a rule that references a rule group",
            );
            return Box::new([]);
        }
        let mut out = Vec::new();
        for (i, l) in labels.iter().enumerate() {
            let lptr = child(&index(ptr, i), "Name");
            if !is_label_name(&l.name)
                || l.name.starts_with(':')
                || l.name.ends_with(':')
                || l.name.contains("::")
            {
                self.err(ctx, &lptr, format!("\"{}\" is not a valid label: components of letters, digits, _ and - separated by single colons", l.name));
                continue;
            }
            let parts: Vec<&str> = l.name.split(':').collect();
            if parts.len() > MAX_LABEL_NAMESPACES + 1 {
                self.err(
                    ctx,
                    &lptr,
                    format!(
                        "\"{}\" has {} namespaces; AWS allows at most {MAX_LABEL_NAMESPACES}",
                        l.name,
                        parts.len() - 1
                    ),
                );
            }
            if let Some(w) = parts
                .iter()
                .find(|p| RESERVED_LABEL_WORDS.contains(&p.to_ascii_lowercase().as_str()))
            {
                if !ctx.namespace.starts_with("awswaf:managed:") {
                    self.err(
                        ctx,
                        &lptr,
                        format!("\"{w}\" is reserved by AWS and cannot be a label component"),
                    );
                }
            }
            out.push(format!("{}{}", ctx.namespace, l.name).into_boxed_str());
        }
        out.into()
    }
}

fn content_type(t: ResponseContentType) -> &'static str {
    match t {
        ResponseContentType::TextPlain => "text/plain",
        ResponseContentType::TextHtml => "text/html",
        ResponseContentType::ApplicationJson => "application/json",
    }
}
