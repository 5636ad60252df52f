//! Splitting one `Cookie` header value into cookies.
//!
//! Owns only the split; names are returned as received (AWS compares cookie names
//! case-sensitively, and that comparison belongs to the caller). Values are not decoded
//! or unquoted. Yields borrowed slices and never allocates.

/// Splits one `Cookie` header value into `(name, value)` pairs and calls `f` for each, in
/// order.
///
/// The value is split on `;`; ASCII spaces and tabs around each piece are trimmed; the
/// piece is then split on its first `=`. A piece without `=` is a name with an empty
/// value; pieces that are empty after trimming are skipped. Cost: one pass over the input
/// (the separators are found with `memchr`, not byte by byte).
pub fn for_each_cookie(header_value: &[u8], f: &mut dyn FnMut(&[u8], &[u8])) {
    let mut rest = header_value;
    loop {
        let (piece, next) = match memchr::memchr(b';', rest) {
            Some(at) => (&rest[..at], Some(&rest[at + 1..])),
            None => (rest, None),
        };
        let piece = trim_space_tab(piece);
        if !piece.is_empty() {
            match memchr::memchr(b'=', piece) {
                Some(eq) => f(&piece[..eq], &piece[eq + 1..]),
                None => f(piece, &[]),
            }
        }
        match next {
            Some(next) => rest = next,
            None => return,
        }
    }
}

/// Removes ASCII spaces and horizontal tabs from both ends.
fn trim_space_tab(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookies(raw: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        for_each_cookie(raw, &mut |n, v| out.push((n.to_vec(), v.to_vec())));
        out
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(Vec<u8>, Vec<u8>)> {
        list.iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn splits_and_trims() {
        assert_eq!(
            cookies(b"session=abc; theme=dark;\tlang = en "),
            pairs(&[("session", "abc"), ("theme", "dark"), ("lang ", " en")])
        );
    }

    #[test]
    fn first_equals_splits_and_names_keep_case() {
        assert_eq!(
            cookies(b"Token=a=b==;token=x"),
            pairs(&[("Token", "a=b=="), ("token", "x")])
        );
    }

    #[test]
    fn piece_without_equals_and_empty_pieces() {
        assert_eq!(
            cookies(b" ;; flag ; =v;  \t ;k="),
            pairs(&[("flag", ""), ("", "v"), ("k", "")])
        );
        assert_eq!(cookies(b""), pairs(&[]));
    }

    #[test]
    fn value_is_not_unquoted_or_decoded() {
        assert_eq!(cookies(b"q=\"a%20b\""), pairs(&[("q", "\"a%20b\"")]));
    }

    #[test]
    fn arbitrary_bytes_do_not_panic() {
        assert_eq!(cookies(&[0xff, b'=', 0x00, b';', b'\t']).len(), 1);
    }

    /// The split as the doc comment states it, written the plain way: the reference the
    /// memchr-based split must agree with.
    fn cookies_plain(raw: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        raw.split(|&b| b == b';')
            .map(trim_space_tab)
            .filter(|p| !p.is_empty())
            .map(|p| match p.iter().position(|&b| b == b'=') {
                Some(eq) => (p[..eq].to_vec(), p[eq + 1..].to_vec()),
                None => (p.to_vec(), Vec::new()),
            })
            .collect()
    }

    #[test]
    fn agrees_with_the_plain_split_on_random_headers() {
        let mut rng = crate::test_rng::XorShift(0x5eed_c00c);
        const ALPHABET: &[u8] = b"; =\tab=;;  x\x00\xff";
        for _ in 0..5_000 {
            let len = rng.below(24);
            let raw: Vec<u8> = (0..len)
                .map(|_| ALPHABET[rng.below(ALPHABET.len())])
                .collect();
            assert_eq!(cookies(&raw), cookies_plain(&raw), "{raw:?}");
        }
    }
}
