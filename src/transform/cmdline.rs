//! `CMD_LINE`, `CMD_LINE_WIN`, `CMD_LINE_UNIX`: command-line de-obfuscation.
//!
//! AWS (`CMD_LINE`): delete `\ " ' ^`; delete spaces before `/` and `(`; replace `,` and `;` with
//! a space; replace multiple spaces with one; lowercase `A-Z`. ModSecurity: `t:cmdLine`, whose
//! vectors also fix the details AWS leaves open: tab, CR and LF count as spaces (but `\v`, `\f`
//! do not), a run of spaces/commas/semicolons becomes a single space even when deleted characters
//! sit inside the run (`a ^ b` → `a b`), and only ASCII letters are lowercased.
//!
//! `CMD_LINE_WIN` and `CMD_LINE_UNIX` are 2026 additions whose semantics AWS has not published
//! (UNCONFIRMED; ModSecurity has no analogue). Our choice: the same algorithm with the deleted set
//! narrowed to the characters each shell actually treats as quoting or escaping, so that the
//! other shell's meaningful characters survive:
//! * Windows (cmd.exe): delete `"` and `^` (cmd's quote and escape). Keep `\`, the path
//!   separator (`c:\windows\system32` stays readable), and `'`, which cmd does not interpret.
//! * Unix (POSIX sh): delete `\`, `'` and `"` (the shell's escape and quotes). Keep `^`, which sh
//!   does not interpret.
//!
//! Output is never longer than the input.

/// Which shell's quoting rules decide the deleted characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shell {
    /// `CMD_LINE`: the union, as AWS and ModSecurity define it.
    Generic,
    /// `CMD_LINE_WIN`: cmd.exe.
    Windows,
    /// `CMD_LINE_UNIX`: POSIX shells.
    Unix,
}

impl Shell {
    #[inline]
    fn deletes(self, b: u8) -> bool {
        match self {
            Shell::Generic => matches!(b, b'"' | b'\'' | b'\\' | b'^'),
            Shell::Windows => matches!(b, b'"' | b'^'),
            Shell::Unix => matches!(b, b'"' | b'\'' | b'\\'),
        }
    }

    /// The bytes without which [`cmd_line`] only lower-cases a value: the deleted ones and the
    /// separators (`/` and `(` only act after a separator).
    pub(super) fn triggers(self) -> &'static [u8] {
        match self {
            Shell::Generic => b"\"'\\^ ,;\t\r\n",
            Shell::Windows => b"\"^ ,;\t\r\n",
            Shell::Unix => b"\"'\\ ,;\t\r\n",
        }
    }
}

/// Applies the command-line normalisation for `shell`.
pub(super) fn cmd_line(shell: Shell, input: &[u8], out: &mut Vec<u8>) {
    // True when the last byte written is a space produced from a separator run.
    let mut after_space = false;
    for &b in input {
        if shell.deletes(b) {
            continue;
        }
        match b {
            b' ' | b',' | b';' | b'\t' | b'\r' | b'\n' => {
                if !after_space {
                    out.push(b' ');
                    after_space = true;
                }
            }
            b'/' | b'(' => {
                if after_space {
                    out.pop();
                }
                out.push(b);
                after_space = false;
            }
            _ => {
                out.push(b.to_ascii_lowercase());
                after_space = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A byte outside `triggers` is only lower-cased, wherever it stands (next to `/` and `(`,
    /// which act after a separator); each trigger byte changes some value.
    #[test]
    fn triggers_are_exactly_the_bytes_that_change_a_value() {
        for shell in [Shell::Generic, Shell::Windows, Shell::Unix] {
            for b in 0..=255u8 {
                let changes = [[b'a', b, b'B'], [b'a', b, b'/'], [b'(', b, b'b']]
                    .iter()
                    .any(|v| run(shell, v) != v.to_ascii_lowercase());
                assert_eq!(shell.triggers().contains(&b), changes, "{shell:?} {b:#x}");
            }
        }
    }

    fn run(shell: Shell, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        cmd_line(shell, input, &mut out);
        out
    }

    #[test]
    fn aws_rules() {
        assert_eq!(run(Shell::Generic, b"C^OMMAND /C DIR"), b"command/c dir");
        assert_eq!(run(Shell::Generic, b"\"cmd\" ,; /c"), b"cmd/c");
        assert_eq!(run(Shell::Generic, b"a\t\r\n b"), b"a b");
        assert_eq!(run(Shell::Generic, b"a ^ b"), b"a b");
        assert_eq!(run(Shell::Generic, b"echo  (x)"), b"echo(x)");
        assert_eq!(run(Shell::Generic, b" /"), b"/");
        assert_eq!(run(Shell::Generic, b"w\\h'o\"am^i"), b"whoami");
    }

    #[test]
    fn vertical_tab_and_formfeed_are_not_spaces() {
        assert_eq!(run(Shell::Generic, b"a\x0b\x0cb"), b"a\x0b\x0cb");
    }

    #[test]
    fn high_bytes_are_not_lowercased() {
        assert_eq!(run(Shell::Generic, b"\xc4X"), b"\xc4x");
    }

    #[test]
    fn windows_keeps_backslash_and_apostrophe() {
        assert_eq!(
            run(Shell::Windows, b"C:\\Windows\\Sys^tem32\\\"cmd\".exe 'x'"),
            b"c:\\windows\\system32\\cmd.exe 'x'"
        );
    }

    #[test]
    fn unix_keeps_caret() {
        assert_eq!(
            run(Shell::Unix, b"c\\a't' \"/etc/pa\"sswd ^x"),
            b"cat/etc/passwd ^x"
        );
    }
}
