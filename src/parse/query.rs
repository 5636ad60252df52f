//! Splitting a raw query string into arguments, the way AWS WAF does before inspection.
//!
//! Owns only the split: the query string is still percent-encoded and stays so (spec §3,
//! "Query-string parsing"). `;` is not a separator; decoding happens later, in text
//! transformations. Yields borrowed slices and never allocates.

/// Splits a raw query string (the text after `?`, still percent-encoded) into
/// `(name, value)` pairs and calls `f` for each, in order.
///
/// The string is split on `&`, then each piece on its first `=`. A piece without `=` is a
/// name with an empty value; empty pieces (from `&&`, or a leading/trailing `&`) are
/// skipped. Nothing is decoded. Cost: one pass over `raw`.
pub fn for_each_arg(raw: &[u8], f: &mut dyn FnMut(&[u8], &[u8])) {
    for piece in raw.split(|&b| b == b'&') {
        if piece.is_empty() {
            continue;
        }
        match piece.iter().position(|&b| b == b'=') {
            Some(eq) => f(&piece[..eq], &piece[eq + 1..]),
            None => f(piece, &[]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(raw: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for_each_arg(raw.as_bytes(), &mut |n, v| {
            out.push((
                String::from_utf8_lossy(n).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            ))
        });
        out
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn splits_in_order_without_decoding() {
        assert_eq!(
            args("a=1&b=%20x&a=3"),
            pairs(&[("a", "1"), ("b", "%20x"), ("a", "3")])
        );
    }

    #[test]
    fn splits_on_first_equals_only() {
        assert_eq!(args("q=a=b=c"), pairs(&[("q", "a=b=c")]));
        assert_eq!(args("=v"), pairs(&[("", "v")]));
        assert_eq!(args("k="), pairs(&[("k", "")]));
    }

    #[test]
    fn piece_without_equals_is_a_name_with_empty_value() {
        assert_eq!(args("flag&x=1"), pairs(&[("flag", ""), ("x", "1")]));
    }

    #[test]
    fn empty_pieces_are_skipped() {
        assert_eq!(args(""), pairs(&[]));
        assert_eq!(args("&&a=1&&&b&"), pairs(&[("a", "1"), ("b", "")]));
    }

    #[test]
    fn semicolon_is_not_a_separator() {
        assert_eq!(args("a=1;b=2"), pairs(&[("a", "1;b=2")]));
    }

    #[test]
    fn arbitrary_bytes_do_not_panic() {
        let raw = [0u8, 0xff, b'=', b'&', 0x80, b'=', b'='];
        let mut n = 0;
        for_each_arg(&raw, &mut |_, _| n += 1);
        assert_eq!(n, 2);
    }
}
