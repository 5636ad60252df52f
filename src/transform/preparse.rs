//! Pre-parse transformations: rewrite the raw query string before it is split into arguments.
//!
//! AWS (2026, `PreParseTextTransformations`, only with `SingleQueryArgument` and
//! `AllQueryArguments`): the listed types run on the raw query string, in priority order, before
//! AWS parses it into arguments; the normal text transformations then run on each value. AWS has
//! published the type names and one-line descriptions only, so the details are UNCONFIRMED and
//! these are our choices:
//! * `NONE`: identity.
//! * `URL_DECODE`, `URL_DECODE_UNI`: exactly the text transformations of the same names (so `+`
//!   becomes a space, and decoded `%26`/`%3D` create new `&`/`=` boundaries, which is the point).
//! * `REPLACE_SEMICOLONS_WITH_AMPERSANDS`: every `;` becomes `&`.
//! * `COMBINE_DUPLICATE_QUERY_ARGS_BY_COMMA`: arguments are the `&`-separated pieces (empty
//!   pieces are dropped); a piece's name is the bytes before its first `=`, compared exactly
//!   (case-sensitive, no decoding). Arguments whose name occurs more than once are merged into
//!   one at the position of the first, as `name=v1,v2,…` in their original order, a piece
//!   without `=` contributing an empty value: `a=1&b=2&a=3` → `a=1,3&b=2`, `a&a=1` → `a=,1`.
//!   Arguments that occur once are copied unchanged.
//!
//! No type makes the query longer. `COMBINE…` costs O(k log k) for k arguments and allocates
//! three index vectors of k entries; the others are linear and allocate only by growing `out`.

use super::url;

/// One AWS WAF `PreParseTextTransformationType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PreParse {
    /// `NONE`: the raw query unchanged.
    None,
    /// `URL_DECODE`: percent-decode the whole query string.
    UrlDecode,
    /// `URL_DECODE_UNI`: `URL_DECODE` plus `%uHHHH`.
    UrlDecodeUni,
    /// `COMBINE_DUPLICATE_QUERY_ARGS_BY_COMMA`: `a=1&a=2` to `a=1,2`.
    CombineDuplicateQueryArgsByComma,
    /// `REPLACE_SEMICOLONS_WITH_AMPERSANDS`: `;` to `&`.
    ReplaceSemicolonsWithAmpersands,
}

impl PreParse {
    /// All variants, for fuzzing and docs.
    pub const ALL: &'static [PreParse] = &[
        PreParse::None,
        PreParse::UrlDecode,
        PreParse::UrlDecodeUni,
        PreParse::CombineDuplicateQueryArgsByComma,
        PreParse::ReplaceSemicolonsWithAmpersands,
    ];

    /// AWS's spelling, e.g. `"REPLACE_SEMICOLONS_WITH_AMPERSANDS"`.
    pub fn aws_name(self) -> &'static str {
        match self {
            PreParse::None => "NONE",
            PreParse::UrlDecode => "URL_DECODE",
            PreParse::UrlDecodeUni => "URL_DECODE_UNI",
            PreParse::CombineDuplicateQueryArgsByComma => "COMBINE_DUPLICATE_QUERY_ARGS_BY_COMMA",
            PreParse::ReplaceSemicolonsWithAmpersands => "REPLACE_SEMICOLONS_WITH_AMPERSANDS",
        }
    }

    /// Parses AWS's spelling (exact); `None` when unknown.
    pub fn from_aws_name(s: &str) -> Option<Self> {
        PreParse::ALL.iter().copied().find(|t| t.aws_name() == s)
    }
}

impl std::fmt::Display for PreParse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.aws_name())
    }
}

/// Clears `out`, then writes the pre-parse transformation of `raw_query` (the query string
/// without its `?`) into it. Never panics; the output is never longer than the input.
pub fn apply_preparse(t: PreParse, raw_query: &[u8], out: &mut Vec<u8>) {
    out.clear();
    match t {
        PreParse::None => out.extend_from_slice(raw_query),
        PreParse::UrlDecode => url::decode(raw_query, out),
        PreParse::UrlDecodeUni => url::decode_uni(raw_query, out),
        PreParse::ReplaceSemicolonsWithAmpersands => {
            out.extend(raw_query.iter().map(|&b| if b == b';' { b'&' } else { b }))
        }
        PreParse::CombineDuplicateQueryArgsByComma => combine_duplicates(raw_query, out),
    }
}

/// The name of one argument: the bytes before its first `=`.
fn name(arg: &[u8]) -> &[u8] {
    arg.split(|&b| b == b'=').next().unwrap_or(arg)
}

/// The value of one argument: the bytes after its first `=`, empty without one.
fn value(arg: &[u8]) -> &[u8] {
    match memchr::memchr(b'=', arg) {
        Some(p) => arg.get(p + 1..).unwrap_or_default(),
        None => &[],
    }
}

fn combine_duplicates(raw: &[u8], out: &mut Vec<u8>) {
    let args: Vec<&[u8]> = raw
        .split(|&b| b == b'&')
        .filter(|a| !a.is_empty())
        .collect();
    // Argument indexes grouped by name; the stable sort keeps each group in query order.
    let mut order: Vec<usize> = (0..args.len()).collect();
    let name_of = |i: usize| args.get(i).map_or(&[][..], |a| name(a));
    order.sort_by(|&a, &b| name_of(a).cmp(name_of(b)));
    // For the first argument of each group: the group's range in `order`.
    let mut group_of_leader: Vec<Option<(usize, usize)>> = vec![None; args.len()];
    let mut start = 0;
    while start < order.len() {
        let leader = order.get(start).copied().unwrap_or_default();
        let len = order
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&i| name_of(i) == name_of(leader))
            .count();
        if let Some(slot) = group_of_leader.get_mut(leader) {
            *slot = Some((start, start + len));
        }
        start += len.max(1);
    }

    for (i, group) in group_of_leader.iter().enumerate() {
        let Some((from, to)) = *group else { continue };
        if !out.is_empty() {
            out.push(b'&');
        }
        let members = order.get(from..to).unwrap_or_default();
        if let [only] = members {
            out.extend_from_slice(args.get(*only).copied().unwrap_or_default());
            continue;
        }
        out.extend_from_slice(name_of(i));
        out.push(b'=');
        for (k, &m) in members.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            out.extend_from_slice(value(args.get(m).copied().unwrap_or_default()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(t: PreParse, input: &[u8]) -> Vec<u8> {
        let mut out = b"stale".to_vec();
        apply_preparse(t, input, &mut out);
        out
    }

    #[test]
    fn names_round_trip() {
        for &t in PreParse::ALL {
            assert_eq!(PreParse::from_aws_name(t.aws_name()), Some(t));
            assert_eq!(t.to_string(), t.aws_name());
        }
        assert_eq!(PreParse::from_aws_name("LOWERCASE"), None);
    }

    #[test]
    fn simple_types() {
        assert_eq!(run(PreParse::None, b"a=%41"), b"a=%41");
        assert_eq!(run(PreParse::UrlDecode, b"a=%41%26b%3D2+x"), b"a=A&b=2 x");
        assert_eq!(run(PreParse::UrlDecodeUni, b"a=%u0041"), b"a=A");
        assert_eq!(
            run(PreParse::ReplaceSemicolonsWithAmpersands, b"a=1;b=2;;"),
            b"a=1&b=2&&"
        );
    }

    #[test]
    fn combine_duplicates_examples() {
        let c = PreParse::CombineDuplicateQueryArgsByComma;
        assert_eq!(run(c, b"a=1&b=2&a=3"), b"a=1,3&b=2");
        assert_eq!(run(c, b"b=0&a=1&b=2&a=3&b=4"), b"b=0,2,4&a=1,3");
        assert_eq!(run(c, b"a&a=1"), b"a=,1");
        assert_eq!(run(c, b"a&b"), b"a&b");
        assert_eq!(run(c, b"a=1&&b=2&"), b"a=1&b=2");
        assert_eq!(run(c, b"a=1=2&a=3"), b"a=1=2,3");
        assert_eq!(run(c, b"A=1&a=2"), b"A=1&a=2");
        assert_eq!(run(c, b"=1&=2"), b"=1,2");
        assert_eq!(run(c, b""), b"");
        assert_eq!(run(c, b"&&&"), b"");
    }

    #[test]
    fn never_longer() {
        let c = PreParse::CombineDuplicateQueryArgsByComma;
        for s in [&b"a&a&a&a"[..], b"a=&a=&a=", b"x=1&y&x&y=2&x=3"] {
            assert!(
                run(c, s).len() <= s.len(),
                "{:?}",
                String::from_utf8_lossy(s)
            );
        }
    }
}
