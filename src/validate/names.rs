//! AWS's naming rules (botocore model patterns and lengths), as small predicate functions.

/// `EntityName`: 1–128 characters of `[\w-]`.
pub fn is_entity_name(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `MetricName`: 1–255 characters of `[\w#:.\-/]`.
pub fn is_metric_name(s: &str) -> bool {
    (1..=255).contains(&s.len())
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'#' | b':' | b'.' | b'-' | b'/')
        })
}

/// `LabelName` / `LabelMatchKey`: 1–1024 characters of `[0-9A-Za-z_\-:]`.
pub fn is_label_name(s: &str) -> bool {
    (1..=1024).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':'))
}

/// Words AWS reserves in label components of your own labels (spec §5).
pub const RESERVED_LABEL_WORDS: &[&str] = &[
    "awswaf",
    "aws",
    "waf",
    "rulegroup",
    "webacl",
    "regexpatternset",
    "ipset",
    "managed",
];

/// Most namespaces a rule label may have (spec §5).
pub const MAX_LABEL_NAMESPACES: usize = 5;

/// `CustomHTTPHeaderName`: 1–64 characters of `[a-zA-Z0-9._$-]`.
pub fn is_custom_header_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'$' | b'-'))
}

/// `ForwardedIPHeaderName`: 1–255 characters of `[a-zA-Z0-9-]`.
pub fn is_forwarded_ip_header_name(s: &str) -> bool {
    (1..=255).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `FieldToMatchData` (header / query argument names): 1–64 characters with a non-space.
pub fn is_field_name(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().any(|b| !b.is_ascii_whitespace())
}

/// ISO 3166 alpha-2 codes AWS accepts in `GeoMatchStatement.CountryCodes` (botocore `CountryCode`).
pub const COUNTRY_CODES: &str = "AF AX AL DZ AS AD AO AI AQ AG AR AM AW AU AT AZ BS BH BD BB BY BE BZ BJ BM BT BO BQ BA BW \
BV BR IO BN BG BF BI KH CM CA CV KY CF TD CL CN CX CC CO KM CG CD CK CR CI HR CU CW CY CZ DK DJ DM DO EC EG SV GQ ER EE \
ET FK FO FJ FI FR GF PF TF GA GM GE DE GH GI GR GL GD GP GU GT GG GN GW GY HT HM VA HN HK HU IS IN ID IR IQ IE IM IL IT \
JM JP JE JO KZ KE KI KP KR KW KG LA LV LB LS LR LY LI LT LU MO MK MG MW MY MV ML MT MH MQ MR MU YT MX FM MD MC MN ME MS \
MA MZ MM NA NR NP NL NC NZ NI NE NG NU NF MP NO OM PK PW PS PA PG PY PE PH PN PL PT PR QA RE RO RU RW BL SH KN LC MF PM \
VC WS SM ST SA SN RS SC SL SG SX SK SI SB SO ZA GS SS ES LK SD SR SJ SZ SE CH SY TW TJ TZ TH TL TG TK TO TT TN TR TM TC \
TV UG UA AE GB US UM UY UZ VU VE VN VG VI WF EH YE ZM ZW XK";

pub fn is_country_code(s: &str) -> bool {
    s.len() == 2 && COUNTRY_CODES.split(' ').any(|c| c == s)
}

/// Status codes AWS accepts in a custom response.
pub fn is_response_code(code: i64) -> bool {
    (200..=599).contains(&code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(is_entity_name("AWS-CRS_1"));
        assert!(!is_entity_name("bad name"));
        assert!(is_metric_name("a#b:c.d-e/f"));
        assert!(is_label_name("ns1:ns2:label_x-1"));
        assert!(!is_label_name("a b"));
        assert!(is_country_code("XK"));
        assert!(!is_country_code("ZZ"));
        assert!(is_custom_header_name("sample$x"));
        assert!(!is_forwarded_ip_header_name("X_Forwarded"));
    }
}
