//! `NORMALIZE_PATH` and `NORMALIZE_PATH_WIN`.
//!
//! AWS: `NORMALIZE_PATH` "removes multiple slashes, directory self-references, and directory
//! back-references that are not at the beginning of the input from an input string";
//! `NORMALIZE_PATH_WIN` does the same "but first converts backslash characters to forward
//! slashes". ModSecurity: `t:normalisePath`, `t:normalisePathWin`. The vectors fix the details,
//! and our segment-based algorithm reproduces all of them:
//! * the path is split on `/` (and `\` for WIN); empty segments and `.` are dropped;
//! * `..` removes the previous segment; with none left it is kept in a relative path
//!   (`a/../../b` → `../b`) and dropped at the root of an absolute one (`/../etc` → `/etc`);
//! * the result is absolute (leading `/`) exactly when the input started with a separator, and
//!   ends with `/` exactly when the input ended with a separator and something is left
//!   (`./` → empty, `a/./` → `a/`, `a/.` → `a`).
//!
//! Deliberate difference: ModSecurity recognises a back-reference by looking at the last two
//! output bytes, so it also treats segments such as `a..` or `...` as `..`, and in rare relative
//! inputs (`../a/../..`) loses a `..`. We compare whole segments with `.` and `..` only, which is
//! what a file system does.
//!
//! Output is never longer than the input: every separator written stands for at least one
//! separator read. Work is linear: each output byte is written once and removed at most once.

/// Normalises `input`; `win` also treats `\` as a separator (and writes it as `/`).
pub(super) fn normalize(input: &[u8], out: &mut Vec<u8>, win: bool) {
    let is_sep = |b: &u8| *b == b'/' || (win && *b == b'\\');
    let (Some(first), Some(last)) = (input.first(), input.last()) else {
        return;
    };
    let absolute = is_sep(first);
    let trailing = is_sep(last);
    // `out[..root]` is the root slash, which no `..` may remove.
    let root = usize::from(absolute);
    if absolute {
        out.push(b'/');
    }
    for segment in input.split(is_sep) {
        match segment {
            b"" | b"." => {}
            b".." => {
                let tail = last_segment_start(out, root);
                let previous = out.get(tail..).unwrap_or_default();
                if out.len() > root && previous != b".." {
                    // Drop the previous segment and the separator before it.
                    out.truncate(tail.saturating_sub(1).max(root));
                } else if !absolute {
                    push_segment(out, root, b"..");
                }
            }
            _ => push_segment(out, root, segment),
        }
    }
    if trailing && out.len() > root {
        out.push(b'/');
    }
}

/// Index in `out` where its last segment starts (`root` when there is only one or none).
fn last_segment_start(out: &[u8], root: usize) -> usize {
    out.get(root..)
        .and_then(|body| memchr::memrchr(b'/', body))
        .map_or(root, |p| root + p + 1)
}

/// Appends `segment`, preceded by a separator unless it is the first.
fn push_segment(out: &mut Vec<u8>, root: usize, segment: &[u8]) {
    if out.len() > root {
        out.push(b'/');
    }
    out.extend_from_slice(segment);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        normalize(input, &mut out, false);
        out
    }

    fn win(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        normalize(input, &mut out, true);
        out
    }

    #[test]
    fn absolute_paths() {
        assert_eq!(unix(b"/"), b"/");
        assert_eq!(unix(b"//"), b"/");
        assert_eq!(unix(b"/.."), b"/");
        assert_eq!(unix(b"/../"), b"/");
        assert_eq!(unix(b"/a/../.."), b"/");
        assert_eq!(unix(b"/a//b/./c/../d/"), b"/a/b/d/");
        assert_eq!(unix(b"/../../etc/passwd"), b"/etc/passwd");
    }

    #[test]
    fn relative_paths() {
        assert_eq!(unix(b"a/../../b"), b"../b");
        assert_eq!(unix(b"../a/../.."), b"../..");
        assert_eq!(unix(b"a/.."), b"");
        assert_eq!(unix(b"a/../"), b"");
        assert_eq!(unix(b"./a/./"), b"a/");
        assert_eq!(unix(b"a/."), b"a");
    }

    #[test]
    fn dots_inside_names_are_names() {
        assert_eq!(unix(b"/a../b"), b"/a../b");
        assert_eq!(unix(b"/.../b"), b"/.../b");
        assert_eq!(unix(b"/a/.b/../c"), b"/a/c");
    }

    #[test]
    fn backslash_only_separates_on_windows() {
        assert_eq!(unix(b"a\\..\\b"), b"a\\..\\b");
        assert_eq!(win(b"a\\..\\b"), b"b");
        assert_eq!(win(b"\\\\server\\share\\..\\x\\"), b"/server/x/");
        assert_eq!(win(b"C:\\a\\..\\b"), b"C:/b");
    }
}
