//! Plain line lists (libinjection's `data/*.txt` format): one URL-encoded input per line; blank
//! lines and lines starting with `#` are comments. Values stay bytes: the lists hold raw non-UTF-8
//! bytes here and there.

/// The values of a line list, in file order.
pub fn parse(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.starts_with(b"#") && !line.trim_ascii().is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// Decodes a value the way the lists were written (query-string style: `%XX` escapes, `+` is a
/// space); a `%` without two hex digits stays as it is.
pub fn form_decode(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        let hex = |j: usize| value.get(j).and_then(|&c| char::from(c).to_digit(16));
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blanks_are_skipped() {
        let v = parse(b"# c\n\n a b \r\n  \n#x\nc%27\n\xff'\n");
        assert_eq!(v, [b" a b ".to_vec(), b"c%27".to_vec(), b"\xff'".to_vec()]);
    }

    #[test]
    fn decodes_like_a_query_string() {
        assert_eq!(form_decode(b"a+b%27%2B%zz%4"), b"a b'+%zz%4");
    }
}
