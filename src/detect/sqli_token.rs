//! libinjection's SQL tokenizer: bytes in, one typed token at a time out.
//!
//! Owns the token types ([`Kind`]), the token value ([`Token`], at most [`VALUE_CAP`] bytes as
//! libinjection keeps them) and the scan itself ([`Tokenizer`]). It knows nothing of folding
//! or fingerprints (`sqli_fold.rs`) nor of sensitivity levels.
//!
//! The scan dispatches on a class per first byte ([`class`]): whitespace is skipped; quotes
//! start strings (`'…'`, `"…"`, with `\` and doubled-quote escapes); `N'…'`, `E'…'`, `Q'[…]'`
//! (Oracle), `U&'…'`, `$$…$$` and `$tag$…$tag$` are strings too, `X'…'` and `B'…'` numbers;
//! digits and `.` start numbers (`0x1f`, `0b01`, `1.5e-3`, Oracle's `1f`/`1d` suffixes, a lone
//! `.` is a dot); letters and bytes ≥ 0x80 start words, looked up in libinjection's table
//! (`sqli_keywords.rs`), and a word is cut at a `.` or `` ` `` when the part before is a
//! keyword (`SELECT.1`); `` `…` `` and MSSQL `[…]` are words; `@`/`@@` start variables; `--`,
//! `#` (MySQL) and `/*…*/` are comments, a nested `/*` or MySQL's `/*!` makes the comment
//! "evil"; `\N` is MySQL's NULL; other punctuation is an operator (two-byte operators from the
//! table, `<=>`), a parenthesis, brace, comma, semicolon, colon or "unknown".
//!
//! The reference is the `libinjectionrs` 0.1.1 tokenizer, quirks included, not C libinjection:
//! a variable's value keeps its `@`s (C drops them) and `--x` counts towards the MySQL reparse
//! in both dialects (C only in ANSI, which changes nothing since only ANSI passes ask). The
//! differential tests (`sqli_parity_tests.rs`) compare every token with the crate's.
//!
//! Invariants: every call to [`Tokenizer::next`] that returns true consumes at least one byte,
//! so a scan ends after at most `input.len()` tokens; no indexing that can panic.
//!
//! Cost: linear in the input; strings and comments are found with `memchr`; a word costs one
//! table lookup, plus one per `.` or `` ` `` in its first 31 bytes. No allocation.

use memchr::memchr;

use super::sqli_keywords::lookup;

/// Bytes a token value keeps (libinjection's 32-byte buffer less its NUL); longer values are
/// cut, as libinjection cuts them.
pub(super) const VALUE_CAP: usize = 31;

/// libinjection's token types. The discriminant is the type's fingerprint character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum Kind {
    /// No token (an empty slot).
    None = 0,
    Keyword = b'k',
    Union = b'U',
    Group = b'B',
    Expression = b'E',
    SqlType = b't',
    Function = b'f',
    Bareword = b'n',
    Number = b'1',
    Variable = b'v',
    String = b's',
    Operator = b'o',
    LogicOperator = b'&',
    Comment = b'c',
    Collate = b'A',
    LeftParen = b'(',
    RightParen = b')',
    LeftBrace = b'{',
    RightBrace = b'}',
    Dot = b'.',
    Comma = b',',
    Colon = b':',
    Semicolon = b';',
    Tsql = b'T',
    Unknown = b'?',
    Evil = b'X',
    Fingerprint = b'F',
    Backslash = b'\\',
}

impl Kind {
    /// The kind of a keyword-table type byte; unknown bytes (and `n`) are barewords.
    pub(super) fn from_table_type(t: u8) -> Kind {
        match t {
            b'k' => Kind::Keyword,
            b'f' => Kind::Function,
            b'U' => Kind::Union,
            b'E' => Kind::Expression,
            b'T' => Kind::Tsql,
            b't' => Kind::SqlType,
            b'o' => Kind::Operator,
            b'&' => Kind::LogicOperator,
            b'v' => Kind::Variable,
            b'1' => Kind::Number,
            b'A' => Kind::Collate,
            b'B' => Kind::Group,
            b'F' => Kind::Fingerprint,
            _ => Kind::Bareword,
        }
    }

    /// The character this kind contributes to a fingerprint (`?` for an empty slot).
    pub(super) fn fingerprint_char(self) -> u8 {
        match self {
            Kind::None => b'?',
            kind => kind as u8,
        }
    }
}

/// One token: its kind, its value (cut at [`VALUE_CAP`] bytes) and, for strings, the quote
/// that opened and closed it (0 for none: a simulated opening quote or an unterminated
/// string; `u`, `q` and `$` for `U&'…'`, `Q'…'` and dollar strings).
#[derive(Clone, Copy, Debug)]
pub(super) struct Token {
    pub kind: Kind,
    pub str_open: u8,
    pub str_close: u8,
    /// Where the token starts in the input and where it ends (quotes and all), as the
    /// tokenizer produced it; folding moves tokens whole, so a merged token keeps the span of
    /// its first part. Read only by Low's exceptions (`sqli_low.rs`).
    pub pos: u32,
    pub end: u32,
    len: u8,
    bytes: [u8; VALUE_CAP],
}

impl Token {
    /// An empty slot.
    pub(super) const EMPTY: Token = Token {
        kind: Kind::None,
        str_open: 0,
        str_close: 0,
        pos: 0,
        end: 0,
        len: 0,
        bytes: [0; VALUE_CAP],
    };

    /// The value as kept (at most [`VALUE_CAP`] bytes).
    pub(super) fn value(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// The value's length as kept.
    pub(super) fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// The value's first byte, 0 when empty (libinjection reads its NUL there).
    pub(super) fn first_byte(&self) -> u8 {
        self.bytes
            .first()
            .copied()
            .filter(|_| self.len > 0)
            .unwrap_or(0)
    }

    /// Makes this a fresh token of `kind` with `value` (cut to [`VALUE_CAP`]) and no quotes.
    pub(super) fn set(&mut self, kind: Kind, value: &[u8]) {
        self.kind = kind;
        self.str_open = 0;
        self.str_close = 0;
        self.set_value(value);
    }

    /// Replaces the value only (cut to [`VALUE_CAP`]).
    pub(super) fn set_value(&mut self, value: &[u8]) {
        let n = value.len().min(VALUE_CAP);
        if let (Some(dst), Some(src)) = (self.bytes.get_mut(..n), value.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.len = n as u8;
    }
}

/// Which quote the input is read as following (libinjection's quote contexts): none, or an
/// opening `'` or `"` that the attacker's value is assumed to close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Quote {
    None,
    Single,
    Double,
}

impl Quote {
    fn delimiter(self) -> Option<u8> {
        match self {
            Quote::None => None,
            Quote::Single => Some(b'\''),
            Quote::Double => Some(b'"'),
        }
    }
}

/// SQL dialect of a pass: ANSI reads `--x` as a comment and `#` as an operator; MySQL the
/// other way round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dialect {
    Ansi,
    Mysql,
}

/// Comment counts of one scan; libinjection re-reads the input as MySQL when an ANSI scan saw
/// `--x` (dash-dash-non-space) or `#` comments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct CommentStats {
    /// `--` followed by whitespace or the end.
    pub dash_white: u32,
    /// `--` followed by anything else.
    pub dash_other: u32,
    /// `/* … */`.
    pub c_style: u32,
    /// `#` (counted twice in MySQL, as libinjection does).
    pub hash: u32,
}

impl CommentStats {
    /// libinjection's `reparse_as_mysql`.
    pub(super) fn reparse_as_mysql(&self) -> bool {
        self.dash_other != 0 || self.hash != 0
    }
}

/// Byte classes: which parser a token starting with the byte goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Class {
    White,
    /// `'` and `"`.
    Quote,
    Hash,
    Money,
    /// Operators that never pair: `%`, `^`, `+`, `~`.
    Operator1,
    /// Operators that may pair with the next byte: `!`, `&`, `*`, `:`, `<`, `=`, `>`, `|`.
    Operator2,
    /// `(`, `)`, `,`, `;`, `{`, `}`: a token of their own kind.
    Char,
    Dash,
    /// Digits and `.`.
    Number,
    Slash,
    /// `@`.
    Variable,
    Word,
    /// `B`/`b`: `B'0101'`.
    BString,
    /// `E`/`e`: `E'…'`.
    EString,
    /// `N`/`n`: `N'…'` or `NQ'…'`.
    NqString,
    /// `Q`/`q`: `Q'[…]'`.
    QString,
    /// `U`/`u`: `U&'…'`.
    UString,
    /// `X`/`x`: `X'1f'`.
    XString,
    /// `[`: MSSQL bracketed word.
    BracketWord,
    Backslash,
    /// `` ` ``.
    Tick,
    /// `?` and `]`.
    Other,
}

/// The class of a token's first byte.
pub(super) fn class(b: u8) -> Class {
    CLASSES[usize::from(b)]
}

static CLASSES: [Class; 256] = classes();

const fn classes() -> [Class; 256] {
    let mut t = [Class::Word; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = match c {
            0..=32 | 127 | 0xA0 => Class::White,
            b'\'' | b'"' => Class::Quote,
            b'#' => Class::Hash,
            b'$' => Class::Money,
            b'%' | b'^' | b'+' | b'~' => Class::Operator1,
            b'!' | b'&' | b'*' | b':' | b'<' | b'=' | b'>' | b'|' => Class::Operator2,
            b'(' | b')' | b',' | b';' | b'{' | b'}' => Class::Char,
            b'-' => Class::Dash,
            b'0'..=b'9' | b'.' => Class::Number,
            b'/' => Class::Slash,
            b'@' => Class::Variable,
            b'B' | b'b' => Class::BString,
            b'E' | b'e' => Class::EString,
            b'N' | b'n' => Class::NqString,
            b'Q' | b'q' => Class::QString,
            b'U' | b'u' => Class::UString,
            b'X' | b'x' => Class::XString,
            b'[' => Class::BracketWord,
            b'\\' => Class::Backslash,
            b'`' => Class::Tick,
            b'?' | b']' => Class::Other,
            _ => Class::Word,
        };
        b += 1;
    }
    t
}

/// Bytes that end a word.
static WORD_END: [bool; 256] = byte_set(b" []{}<>:\\?=@!#~+-*/&|^%(),';\t\n\x0B\x0C\r\"\xA0\x00");
/// Bytes that end a variable name.
static VARIABLE_END: [bool; 256] = byte_set(b" <>:\\?=@!#~+-*/&|^%(),;'\t\n\x0B\x0C\r`\"");

const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        t[bytes[i] as usize] = true;
        i += 1;
    }
    t
}

/// libinjection's narrower whitespace (after `--` and after a number's `d`/`f` suffix).
fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | 0xA0 | 0)
}

/// A position as kept in [`Token`]: inputs past 4 GiB saturate (no request body is that long).
fn span_end(pos: usize) -> u32 {
    u32::try_from(pos).unwrap_or(u32::MAX)
}

/// Reads tokens from one input in one quote context and dialect.
pub(super) struct Tokenizer<'a> {
    input: &'a [u8],
    pos: usize,
    quote: Quote,
    dialect: Dialect,
    /// Comments seen so far.
    pub stats: CommentStats,
}

impl<'a> Tokenizer<'a> {
    pub(super) fn new(input: &'a [u8], quote: Quote, dialect: Dialect) -> Self {
        Tokenizer {
            input,
            pos: 0,
            quote,
            dialect,
            stats: CommentStats::default(),
        }
    }

    /// Writes the next token into `tok`; false (and `tok` unspecified) at the end.
    pub(super) fn next(&mut self, tok: &mut Token) -> bool {
        if self.pos >= self.input.len() {
            return false;
        }
        if self.pos == 0 {
            if let Some(delim) = self.quote.delimiter() {
                // The input continues a string opened before it.
                self.pos = self.string_body(0, delim, tok);
                tok.str_open = 0;
                tok.pos = 0;
                tok.end = span_end(self.pos);
                return true;
            }
        }
        while let Some(&b) = self.input.get(self.pos) {
            tok.kind = Kind::None;
            let pos = self.pos;
            self.pos = match class(b) {
                Class::White => pos + 1,
                Class::Quote => self.string(pos, tok),
                Class::Hash => self.hash(pos, tok),
                Class::Money => self.money(pos, tok),
                Class::Operator1 => self.operator1(pos, tok),
                Class::Operator2 => self.operator2(pos, tok),
                Class::Char => self.single_char(pos, b, tok),
                Class::Dash => self.dash(pos, tok),
                Class::Number => self.number(pos, tok),
                Class::Slash => self.slash(pos, tok),
                Class::Variable => self.variable(pos, tok),
                Class::Word => self.word(pos, tok),
                Class::BString => self.bit_string(pos, tok),
                Class::EString => self.e_string(pos, tok),
                Class::NqString => self.n_string(pos, tok),
                Class::QString => self.q_string(pos, 0, tok),
                Class::UString => self.u_string(pos, tok),
                Class::XString => self.hex_string(pos, tok),
                Class::BracketWord => self.bracket_word(pos, tok),
                Class::Backslash => self.backslash(pos, tok),
                Class::Tick => self.tick(pos, tok),
                Class::Other => self.one_byte(pos, Kind::Unknown, tok),
            };
            if tok.kind != Kind::None {
                tok.pos = span_end(pos);
                tok.end = span_end(self.pos);
                return true;
            }
        }
        false
    }

    /// `input[from..to]`, empty if out of range.
    fn slice(&self, from: usize, to: usize) -> &'a [u8] {
        self.input.get(from..to).unwrap_or_default()
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.input.get(at).copied()
    }

    fn one_byte(&self, pos: usize, kind: Kind, tok: &mut Token) -> usize {
        tok.set(kind, self.slice(pos, pos + 1));
        pos + 1
    }

    fn operator1(&self, pos: usize, tok: &mut Token) -> usize {
        self.one_byte(pos, Kind::Operator, tok)
    }

    /// `!`, `&`, `*`, `:`, `<`, `=`, `>`, `|`: `<=>`, a two-byte operator from the table, a
    /// colon, or a one-byte operator.
    fn operator2(&self, pos: usize, tok: &mut Token) -> usize {
        if pos + 1 >= self.input.len() {
            return self.operator1(pos, tok);
        }
        if self.slice(pos, pos + 3) == b"<=>" {
            tok.set(Kind::Operator, b"<=>");
            return pos + 3;
        }
        let pair = self.slice(pos, pos + 2);
        match lookup(pair) {
            Kind::Bareword => {}
            Kind::LogicOperator => {
                tok.set(Kind::LogicOperator, pair);
                return pos + 2;
            }
            _ => {
                tok.set(Kind::Operator, pair);
                return pos + 2;
            }
        }
        if self.byte(pos) == Some(b':') {
            return self.one_byte(pos, Kind::Colon, tok);
        }
        self.operator1(pos, tok)
    }

    fn single_char(&self, pos: usize, b: u8, tok: &mut Token) -> usize {
        let kind = match b {
            b'(' => Kind::LeftParen,
            b')' => Kind::RightParen,
            b',' => Kind::Comma,
            b';' => Kind::Semicolon,
            b'{' => Kind::LeftBrace,
            _ => Kind::RightBrace,
        };
        self.one_byte(pos, kind, tok)
    }

    /// `#`: a comment to the end of the line in MySQL, an operator in ANSI.
    fn hash(&mut self, pos: usize, tok: &mut Token) -> usize {
        self.stats.hash += 1;
        match self.dialect {
            Dialect::Mysql => {
                self.stats.hash += 1;
                self.line_comment(pos, tok)
            }
            Dialect::Ansi => self.one_byte(pos, Kind::Operator, tok),
        }
    }

    /// `--` + whitespace or end: a comment; `--x`: a comment in ANSI, a `-` operator in MySQL;
    /// `-`: an operator.
    fn dash(&mut self, pos: usize, tok: &mut Token) -> usize {
        if self.byte(pos + 1) != Some(b'-') {
            return self.one_byte(pos, Kind::Operator, tok);
        }
        match self.byte(pos + 2) {
            None => {
                self.stats.dash_white += 1;
                self.line_comment(pos, tok)
            }
            Some(b) if is_white(b) => {
                self.stats.dash_white += 1;
                self.line_comment(pos, tok)
            }
            Some(_) => {
                self.stats.dash_other += 1;
                match self.dialect {
                    Dialect::Ansi => self.line_comment(pos, tok),
                    Dialect::Mysql => self.one_byte(pos, Kind::Operator, tok),
                }
            }
        }
    }

    /// A comment from `pos` to the end of the line (the newline is consumed, not kept).
    fn line_comment(&self, pos: usize, tok: &mut Token) -> usize {
        let rest = self.slice(pos, self.input.len());
        match memchr(b'\n', rest) {
            Some(n) => {
                tok.set(Kind::Comment, self.slice(pos, pos + n));
                pos + n + 1
            }
            None => {
                tok.set(Kind::Comment, rest);
                self.input.len()
            }
        }
    }

    /// `/`: an operator, or a `/* … */` comment (to the end if unclosed), evil when another
    /// `/*` opens inside it or it is MySQL's `/*!`.
    fn slash(&mut self, pos: usize, tok: &mut Token) -> usize {
        if self.byte(pos + 1) != Some(b'*') {
            return self.operator1(pos, tok);
        }
        let body = pos + 2;
        let close = find_pair(self.slice(body, self.input.len()), b'*', b'/').map(|i| body + i);
        let end = close.map_or(self.input.len(), |c| c + 2);
        // libinjection looks for a nested opener up to and including the closer's `*`.
        let nested =
            close.is_some_and(|c| find_pair(self.slice(body, c + 1), b'/', b'*').is_some());
        let mysql_conditional = self.byte(pos + 2) == Some(b'!');
        let kind = if nested || mysql_conditional {
            Kind::Evil
        } else {
            Kind::Comment
        };
        tok.set(kind, self.slice(pos, end));
        self.stats.c_style += 1;
        end
    }

    /// `\N` (MySQL's NULL) is a number; any other backslash a token of its own.
    fn backslash(&self, pos: usize, tok: &mut Token) -> usize {
        if self.byte(pos + 1) == Some(b'N') {
            tok.set(Kind::Number, self.slice(pos, pos + 2));
            pos + 2
        } else {
            self.one_byte(pos, Kind::Backslash, tok)
        }
    }

    /// A string opened by the quote at `pos`.
    fn string(&self, pos: usize, tok: &mut Token) -> usize {
        let delim = self.byte(pos).unwrap_or(b'\'');
        self.string_body(pos + 1, delim, tok)
    }

    /// A string whose body starts at `start`, opened by `delim` just before it, up to the
    /// first `delim` that is neither backslash-escaped nor doubled (or the end).
    fn string_body(&self, start: usize, delim: u8, tok: &mut Token) -> usize {
        let mut from = start;
        loop {
            let Some(q) = self
                .input
                .get(from..)
                .and_then(|rest| memchr(delim, rest))
                .map(|i| from + i)
            else {
                tok.set(Kind::String, self.slice(start, self.input.len()));
                tok.str_open = delim;
                return self.input.len();
            };
            let backslashes = self
                .slice(start, q)
                .iter()
                .rev()
                .take_while(|&&b| b == b'\\')
                .count();
            if backslashes % 2 == 1 {
                from = q + 1;
            } else if self.byte(q + 1) == Some(delim) {
                from = q + 2;
            } else {
                tok.set(Kind::String, self.slice(start, q));
                tok.str_open = delim;
                tok.str_close = delim;
                return q + 1;
            }
        }
    }

    /// `E'…'`, or a word.
    fn e_string(&self, pos: usize, tok: &mut Token) -> usize {
        if pos + 2 >= self.input.len() || self.byte(pos + 1) != Some(b'\'') {
            return self.word(pos, tok);
        }
        self.string_body(pos + 2, b'\'', tok)
    }

    /// `N'…'` (national string), `NQ'…'`, or a word.
    fn n_string(&self, pos: usize, tok: &mut Token) -> usize {
        if pos + 2 < self.input.len() && self.byte(pos + 1) == Some(b'\'') {
            return self.e_string(pos, tok);
        }
        self.q_string(pos, 1, tok)
    }

    /// A string whose text starts at `body` and ends before the two-byte `closer` (`]'` of
    /// `Q'[…]'`, `$$`), its quotes recorded as `marker`; unterminated, it runs to the end.
    fn paired_string(&self, body: usize, closer: [u8; 2], marker: u8, tok: &mut Token) -> usize {
        let len = self.input.len();
        let [first, second] = closer;
        match find_pair(self.slice(body, len), first, second) {
            Some(i) => {
                tok.set(Kind::String, self.slice(body, body + i));
                tok.str_open = marker;
                tok.str_close = marker;
                body + i + 2
            }
            None => {
                tok.set(Kind::String, self.slice(body, len));
                tok.str_open = marker;
                len
            }
        }
    }

    /// Oracle's `Q'<open>…<close>'` starting `offset` bytes after `pos`, or a word from `pos`.
    fn q_string(&self, pos: usize, offset: usize, tok: &mut Token) -> usize {
        let p = pos + offset;
        let len = self.input.len();
        if !matches!(self.byte(p), Some(b'q' | b'Q'))
            || p + 2 >= len
            || self.byte(p + 1) != Some(b'\'')
        {
            return self.word(pos, tok);
        }
        let open = self.byte(p + 2).unwrap_or(0);
        // libinjection compares a signed char: bytes ≥ 0x80 are "< 33" too.
        if (open as i8) < 33 {
            return self.word(pos, tok);
        }
        let close = match open {
            b'(' => b')',
            b'[' => b']',
            b'{' => b'}',
            b'<' => b'>',
            other => other,
        };
        self.paired_string(p + 3, [close, b'\''], b'q', tok)
    }

    /// `U&'…'` (a string marked `u`), or a word.
    fn u_string(&self, pos: usize, tok: &mut Token) -> usize {
        if pos + 2 < self.input.len()
            && self.byte(pos + 1) == Some(b'&')
            && self.byte(pos + 2) == Some(b'\'')
        {
            let end = self.string(pos + 2, tok);
            tok.str_open = b'u';
            if tok.str_close == b'\'' {
                tok.str_close = b'u';
            }
            return end;
        }
        self.word(pos, tok)
    }

    /// `B'0101'` as a number, or a word.
    fn bit_string(&self, pos: usize, tok: &mut Token) -> usize {
        self.digit_string(pos, |b| b == b'0' || b == b'1', tok)
    }

    /// `X'1f'` as a number, or a word.
    fn hex_string(&self, pos: usize, tok: &mut Token) -> usize {
        self.digit_string(pos, |b| b.is_ascii_hexdigit(), tok)
    }

    fn digit_string(&self, pos: usize, digit: fn(u8) -> bool, tok: &mut Token) -> usize {
        let len = self.input.len();
        if pos + 2 >= len || self.byte(pos + 1) != Some(b'\'') {
            return self.word(pos, tok);
        }
        let end = pos + 2 + self.run(pos + 2, digit);
        if self.byte(end) != Some(b'\'') {
            return self.word(pos, tok);
        }
        tok.set(Kind::Number, self.slice(pos, end + 1));
        end + 1
    }

    /// Number of bytes from `from` that satisfy `f`.
    fn run(&self, from: usize, f: impl Fn(u8) -> bool) -> usize {
        self.input
            .get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&b| f(b))
            .count()
    }

    /// MSSQL `[…]` up to and including the first `]` (or the end), a bareword.
    fn bracket_word(&self, pos: usize, tok: &mut Token) -> usize {
        let rest = self.slice(pos, self.input.len());
        let end = memchr(b']', rest).map_or(self.input.len(), |i| pos + i + 1);
        tok.set(Kind::Bareword, self.slice(pos, end));
        end
    }

    /// A word: up to the next delimiter, cut before a `.` or `` ` `` when what precedes it is
    /// a keyword; typed by the keyword table.
    fn word(&self, pos: usize, tok: &mut Token) -> usize {
        let rest = self.slice(pos, self.input.len());
        let len = rest
            .iter()
            .position(|&b| WORD_END[usize::from(b)])
            .unwrap_or(rest.len());
        let word = rest.get(..len).unwrap_or_default();
        // Only prefixes of at most VALUE_CAP bytes can be keywords.
        for (i, &b) in word.iter().enumerate().take(VALUE_CAP + 1) {
            if b == b'.' || b == b'`' {
                let head = word.get(..i).unwrap_or_default();
                let kind = lookup(head);
                if kind != Kind::Bareword {
                    tok.set(kind, head);
                    return pos + i;
                }
            }
        }
        let kind = if len <= VALUE_CAP {
            lookup(word)
        } else {
            Kind::Bareword
        };
        tok.set(kind, word);
        pos + len
    }

    /// A MySQL `` `…` `` identifier: a bareword, or a function if the table says so.
    fn tick(&self, pos: usize, tok: &mut Token) -> usize {
        let end = self.string_body(pos + 1, b'`', tok);
        tok.kind = if lookup(tok.value()) == Kind::Function {
            Kind::Function
        } else {
            Kind::Bareword
        };
        end
    }

    /// `@name`, `@@name`, `` @`name` ``, `@'name'`: a variable. The value keeps the `@`s
    /// (the quoted forms keep only the name), as the reference crate does.
    fn variable(&self, pos: usize, tok: &mut Token) -> usize {
        let mut p = pos + 1;
        if self.byte(p) == Some(b'@') {
            p += 1;
        }
        match self.byte(p) {
            Some(b'`') => {
                let end = self.tick(p, tok);
                tok.kind = Kind::Variable;
                return end;
            }
            Some(b'\'' | b'"') => {
                let end = self.string(p, tok);
                tok.kind = Kind::Variable;
                return end;
            }
            _ => {}
        }
        let end = p + self.run(p, |b| !VARIABLE_END[usize::from(b)]);
        tok.set(Kind::Variable, self.slice(pos, end));
        end
    }

    /// `$`: money (`$1,000.00`), a dollar-quoted string (`$$…$$`, `$tag$…$tag$`), a word
    /// (`$.`), or a lone `$` bareword.
    fn money(&self, pos: usize, tok: &mut Token) -> usize {
        let len = self.input.len();
        if pos + 1 == len {
            tok.set(Kind::Bareword, b"$");
            return len;
        }
        let amount = self.run(pos + 1, |b| b.is_ascii_digit() || b == b'.' || b == b',');
        if amount > 0 {
            if amount == 1 && self.byte(pos + 1) == Some(b'.') {
                return self.word(pos, tok);
            }
            tok.set(Kind::Number, self.slice(pos, pos + 1 + amount));
            return pos + 1 + amount;
        }
        if self.byte(pos + 1) == Some(b'$') {
            return self.paired_string(pos + 2, [b'$', b'$'], b'$', tok);
        }
        let tag_len = self.run(pos + 1, |b| b.is_ascii_alphabetic());
        let tag_end = pos + 1 + tag_len;
        if tag_len == 0 || self.byte(tag_end) != Some(b'$') {
            tok.set(Kind::Bareword, b"$");
            return pos + 1;
        }
        let tag = self.slice(pos, tag_end + 1);
        let body = tag_end + 1;
        match memchr::memmem::find(self.slice(body, len), tag) {
            Some(i) => {
                tok.set(Kind::String, self.slice(body, body + i));
                tok.str_open = b'$';
                tok.str_close = b'$';
                body + i + tag.len()
            }
            None => {
                tok.set(Kind::String, self.slice(body, len));
                tok.str_open = b'$';
                len
            }
        }
    }

    /// A number (`0x…`, `0b…`, digits with optional fraction, exponent and Oracle `d`/`f`
    /// suffix), a lone `.` (dot), or a bareword for `0x`/`0b` without digits and for an
    /// exponent without digits (`1e`).
    fn number(&self, pos: usize, tok: &mut Token) -> usize {
        let len = self.input.len();
        if self.byte(pos) == Some(b'0') && pos + 1 < len {
            let digit: Option<fn(u8) -> bool> = match self.byte(pos + 1) {
                Some(b'x' | b'X') => Some(|b: u8| b.is_ascii_hexdigit()),
                Some(b'b' | b'B') => Some(|b: u8| b == b'0' || b == b'1'),
                _ => None,
            };
            if let Some(digit) = digit {
                let n = self.run(pos + 2, digit);
                let kind = if n == 0 { Kind::Bareword } else { Kind::Number };
                tok.set(kind, self.slice(pos, pos + 2 + n));
                return pos + 2 + n;
            }
        }
        let is_digit = |b: u8| b.is_ascii_digit();
        let mut end = pos + self.run(pos, is_digit);
        if self.byte(end) == Some(b'.') {
            end += 1;
            end += self.run(end, is_digit);
            if end - pos == 1 {
                return self.one_byte(pos, Kind::Dot, tok);
            }
        }
        let mut exponent_without_digits = false;
        if matches!(self.byte(end), Some(b'e' | b'E')) {
            end += 1;
            if matches!(self.byte(end), Some(b'+' | b'-')) {
                end += 1;
            }
            let digits = self.run(end, is_digit);
            end += digits;
            exponent_without_digits = digits == 0;
        }
        if matches!(self.byte(end), Some(b'd' | b'D' | b'f' | b'F')) {
            match self.byte(end + 1) {
                None => end += 1,
                Some(b) if is_white(b) || b == b';' || b == b'u' || b == b'U' => end += 1,
                Some(_) => {}
            }
        }
        let kind = if exponent_without_digits {
            Kind::Bareword
        } else {
            Kind::Number
        };
        tok.set(kind, self.slice(pos, end));
        end
    }
}

/// Index of the first `a` immediately followed by `b` (both inside `hay`).
fn find_pair(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = hay.get(from..).and_then(|rest| memchr(a, rest)) {
        let at = from + i;
        if hay.get(at + 1) == Some(&b) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(input: &str, quote: Quote, dialect: Dialect) -> Vec<(char, String)> {
        let mut t = Tokenizer::new(input.as_bytes(), quote, dialect);
        let mut tok = Token::EMPTY;
        let mut out = Vec::new();
        while t.next(&mut tok) {
            out.push((
                char::from(tok.kind.fingerprint_char()),
                String::from_utf8_lossy(tok.value()).into_owned(),
            ));
        }
        out
    }

    fn shape(input: &str) -> String {
        tokens(input, Quote::None, Dialect::Ansi)
            .into_iter()
            .map(|(c, _)| c)
            .collect()
    }

    #[test]
    fn classes_follow_libinjection() {
        use libinjectionrs::sqli::sqli_data::{get_char_type, CharType};
        for b in 0..=255u8 {
            let theirs = match get_char_type(b) {
                CharType::White => Class::White,
                CharType::String => Class::Quote,
                CharType::Hash => Class::Hash,
                CharType::Money => Class::Money,
                CharType::Op1 | CharType::Unary => Class::Operator1,
                CharType::Op2 | CharType::Bang => Class::Operator2,
                CharType::LeftParens
                | CharType::RightParens
                | CharType::Comma
                | CharType::Semicolon
                | CharType::LeftBrace
                | CharType::RightBrace => Class::Char,
                CharType::Dash => Class::Dash,
                CharType::Number => Class::Number,
                CharType::Slash => Class::Slash,
                CharType::Variable => Class::Variable,
                CharType::Word => Class::Word,
                CharType::BString => Class::BString,
                CharType::EString => Class::EString,
                CharType::NQString => Class::NqString,
                CharType::QString => Class::QString,
                CharType::UString => Class::UString,
                CharType::XString => Class::XString,
                CharType::BWord => Class::BracketWord,
                CharType::Backslash => Class::Backslash,
                CharType::Tick => Class::Tick,
                CharType::Other => Class::Other,
            };
            assert_eq!(class(b), theirs, "byte {b:#04x}");
        }
    }

    #[test]
    fn shapes() {
        assert_eq!(shape("1 UNION ALL SELECT"), "1UnE");
        assert_eq!(shape("SELECT.1"), "E1");
        assert_eq!(shape("a.b"), "n");
        assert_eq!(shape("0x1f 0x 1e5 1e .5 . 1.e2"), "1n1n1.1");
        assert_eq!(shape("'a\\'b' \"c\"\"d\""), "ss");
        assert_eq!(shape("N'x' E'y' X'1f' B'01' Q'[z]' U&'w'"), "ss11ss");
        assert_eq!(shape("$1,000 $$s$$ $t$x$t$ $ $a"), "1ssnnn");
        assert_eq!(shape("@a @@b @`c` @'d'"), "vvvv");
        assert_eq!(shape("a -- c\nb"), "ncn");
        assert_eq!(shape("a --c"), "nc");
        assert_eq!(shape("/* a */ /*! b */ /* /* */"), "cXX");
        assert_eq!(shape("a<=>b != c && d :: e : f"), "nonon&non:n");
        assert_eq!(shape("(x),{y};[z]\\N\\?"), "(n),{n};n1\\?");
        assert_eq!(shape("`sleep` `foo`"), "fn");
        assert_eq!(shape("#x"), "on");
        assert_eq!(
            tokens("#x", Quote::None, Dialect::Mysql),
            vec![('c', "#x".into())]
        );
        assert_eq!(
            tokens("--x", Quote::None, Dialect::Mysql),
            vec![('o', "-".into()), ('o', "-".into()), ('n', "x".into())]
        );
    }

    #[test]
    fn quote_context_reads_a_leading_string() {
        assert_eq!(
            tokens("abc' OR 1", Quote::Single, Dialect::Ansi),
            vec![('s', "abc".into()), ('&', "OR".into()), ('1', "1".into())]
        );
        assert_eq!(
            tokens("abc OR 1", Quote::Double, Dialect::Mysql),
            vec![('s', "abc OR 1".into())]
        );
    }

    #[test]
    fn long_values_are_cut() {
        let long = "a".repeat(100);
        let t = tokens(&long, Quote::None, Dialect::Ansi);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].1.len(), VALUE_CAP);
    }
}
