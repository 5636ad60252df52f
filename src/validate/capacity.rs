//! Web ACL capacity units (WCU), as AWS's current guide prices them (spec §9).

/// Hard maximum capacity of a Web ACL.
pub const MAX_WEB_ACL_WCU: u64 = 5_000;
/// Capacity included in the base price; more is billed by AWS (we only mention it).
pub const INCLUDED_WEB_ACL_WCU: u64 = 1_500;

/// Base cost of each statement kind, before field and transformation modifiers.
pub mod base {
    pub const BYTE_MATCH_EXACT: u64 = 2;
    pub const BYTE_MATCH_CONTAINS: u64 = 10;
    pub const REGEX: u64 = 3;
    pub const REGEX_PATTERN_SET: u64 = 25;
    pub const SIZE: u64 = 1;
    pub const SQLI_LOW: u64 = 20;
    pub const SQLI_HIGH: u64 = 30;
    pub const XSS: u64 = 40;
    pub const IP_SET: u64 = 1;
    pub const IP_SET_FORWARDED_ANY: u64 = 5;
    pub const GEO: u64 = 1;
    pub const LABEL: u64 = 1;
    pub const RATE_BASED: u64 = 2;
    pub const RATE_CUSTOM_KEY: u64 = 30;
}

/// Extra cost of inspecting `AllQueryArguments`.
pub const ALL_QUERY_ARGUMENTS_EXTRA: u64 = 10;
/// Cost of each text transformation (and each pre-parse transformation).
pub const PER_TRANSFORMATION: u64 = 10;
/// Labels are priced per started group of this many.
pub const LABELS_PER_WCU: u64 = 5;

/// Cost of a field-inspecting statement: `base` doubled for JsonBody, +10 for AllQueryArguments,
/// +10 per transformation.
pub fn field_statement(
    base: u64,
    json_body: bool,
    all_query_args: bool,
    transformations: usize,
) -> u64 {
    let base = if json_body { base * 2 } else { base };
    base + if all_query_args {
        ALL_QUERY_ARGUMENTS_EXTRA
    } else {
        0
    } + PER_TRANSFORMATION * transformations as u64
}

/// Cost of a rule's labels.
pub fn labels(count: usize) -> u64 {
    (count as u64).div_ceil(LABELS_PER_WCU)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_guide_examples() {
        // CONTAINS on AllQueryArguments with LOWERCASE + URL_DECODE = 10 + 10 + 20.
        assert_eq!(
            field_statement(base::BYTE_MATCH_CONTAINS, false, true, 2),
            40
        );
        // SQLi HIGH on JsonBody with one transformation = 60 + 10.
        assert_eq!(field_statement(base::SQLI_HIGH, true, false, 1), 70);
        assert_eq!(labels(0), 0);
        assert_eq!(labels(6), 2);
    }
}
