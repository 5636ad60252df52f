//! libinjection's folding: the token stream of one pass reduced to at most five tokens whose
//! types make the fingerprint.
//!
//! Owns the folding rules and their exact order. Reads tokens lazily from a
//! [`Tokenizer`], so an input costs as many tokens as folding needs, not its length.
//!
//! The rules, in libinjection's order (the crate `libinjectionrs` 0.1.1 is the reference, and
//! its quirks are kept, see below):
//!
//! * leading comments, `(`, SQL types and unary operators are skipped;
//! * two tokens: strings `s s` → `s`, `;;` → `;`, operator + unary/type → operator, `(` +
//!   unary → `(`, words merged when the table knows the pair (`UNION ALL`, `GROUP BY`,
//!   `NOT IN`…), `; IF` → T-SQL `IF`, `USER(`/`DATABASE(`… → function, `IN`/`NOT IN`
//!   → operator before `(` else bareword, `LIKE(` → function, SQL type + value → value,
//!   `COLLATE x_y` → type, `\` + arithmetic → number else dropped, `((` → `(`, `))` → `)`,
//!   `{ word` dropped (`{` + empty backtick word is "evil" and stops), `… }` → `…`;
//! * three tokens: `1 o 1` → `1`, `o x o` → `o`, `& x &` → `&`, `v o v` → `v`, `n o n` →
//!   `n`, `x :: type` → `x`, `x , y` → `x`, unary operators after `,`/keywords/expressions
//!   dropped, `n . n` → `n`, `E . n` → `E n`, `USER(` with an argument → bareword;
//! * with five tokens, four shapes of arithmetic in parentheses fold back to their start;
//! * a trailing comment is kept as a sixth type when fewer than five tokens remain, and a
//!   final unclosed empty backtick word becomes a comment.
//!
//! Faithful to the reference, including what looks accidental: after a rule the cursor often
//! goes back to the start (`left = 0`) while `pos` was lowered by a fixed amount, so a rule
//! applied at the start with more tokens already read drops the *last* tokens rather than
//! the ones it matched. The `{` + empty-word exit leaves the comment counts at zero (no MySQL
//! reparse). The differential tests (`sqli_parity_tests.rs`) hold us to the reference.
//!
//! Invariants: `left ≤ pos ≤ 6` throughout, so the eight slots suffice; every slot access
//! goes through `get` and every subtraction saturates, so a broken invariant would give wrong
//! tokens, never a panic.
//!
//! Cost: a handful of tokens per pass, each a copy of at most 35 bytes; no allocation.

use super::sqli_keywords::lookup;
use super::sqli_token::{CommentStats, Dialect, Kind, Quote, Token, Tokenizer, VALUE_CAP};

/// Tokens libinjection fingerprints.
pub(super) const MAX_TOKENS: usize = 5;

/// Working slots: five tokens, a sixth read ahead, and room to spare.
const SLOTS: usize = 8;

/// The folded tokens of one pass and what the whitelist needs to know about the pass.
pub(super) struct Folded {
    /// The folded tokens, `len` of them, in order.
    pub tokens: [Token; SLOTS],
    pub len: usize,
    /// Tokens the tokenizer produced (comments included), libinjection's `stats_tokens`.
    pub tokens_read: usize,
    /// Comment counts of the pass (zero after the `{` + empty-word exit, as in the reference).
    pub comments: CommentStats,
}

impl Folded {
    pub(super) fn new() -> Self {
        Folded {
            tokens: [Token::EMPTY; SLOTS],
            len: 0,
            tokens_read: 0,
            comments: CommentStats::default(),
        }
    }

    /// The folded tokens.
    pub(super) fn tokens(&self) -> &[Token] {
        self.tokens.get(..self.len).unwrap_or_default()
    }
}

/// Tokenizes and folds `input` in one quote context and dialect into `out`.
pub(super) fn fold(input: &[u8], quote: Quote, dialect: Dialect, out: &mut Folded) {
    let mut f = Folder {
        tz: Tokenizer::new(input, quote, dialect),
        v: &mut out.tokens,
        read: 0,
        last_comment: Token::EMPTY,
        more: true,
    };
    let len = f.run();
    out.tokens_read = f.read;
    out.comments = match len {
        Exit::Normal(_) => f.tz.stats,
        Exit::Evil(_) => CommentStats::default(),
    };
    out.len = match len {
        Exit::Normal(n) | Exit::Evil(n) => n,
    };
}

/// How folding ended, with the number of tokens left in the slots.
enum Exit {
    Normal(usize),
    /// `{` followed by an empty backtick word.
    Evil(usize),
}

/// What a two-token rule decided.
enum Two {
    /// Folded: start the loop over.
    Again,
    /// No rule folded; look at three tokens.
    Three,
    /// Stop with this many tokens.
    Evil(usize),
}

struct Folder<'a, 'v> {
    tz: Tokenizer<'a>,
    v: &'v mut [Token; SLOTS],
    /// Tokens read so far.
    read: usize,
    /// The last comment read, until a non-comment follows it.
    last_comment: Token,
    /// False once the tokenizer is exhausted.
    more: bool,
}

impl Folder<'_, '_> {
    fn kind(&self, i: usize) -> Kind {
        self.v.get(i).map_or(Kind::None, |t| t.kind)
    }

    fn token(&self, i: usize) -> &Token {
        self.v.get(i).unwrap_or(&Token::EMPTY)
    }

    fn set_kind(&mut self, i: usize, kind: Kind) {
        if let Some(t) = self.v.get_mut(i) {
            t.kind = kind;
        }
    }

    /// Slot `dst` becomes a copy of slot `src`.
    fn copy(&mut self, dst: usize, src: usize) {
        let t = *self.token(src);
        if let Some(d) = self.v.get_mut(dst) {
            *d = t;
        }
    }

    fn is_unary(&self, i: usize) -> bool {
        is_unary_op(self.token(i))
    }

    /// Reads the next token into slot `pos` (comments aside); returns the new `pos`.
    fn read_into(&mut self, pos: usize) -> usize {
        let mut tok = Token::EMPTY;
        if !self.tz.next(&mut tok) {
            self.more = false;
            return pos;
        }
        self.read += 1;
        if tok.kind == Kind::Comment {
            self.last_comment = tok;
            return pos;
        }
        self.last_comment.kind = Kind::None;
        if let Some(slot) = self.v.get_mut(pos) {
            *slot = tok;
        }
        pos + 1
    }

    fn run(&mut self) -> Exit {
        // Skip leading comments, '(', SQL types and unary operators.
        loop {
            let mut tok = Token::EMPTY;
            if !self.tz.next(&mut tok) {
                return Exit::Normal(0);
            }
            self.read += 1;
            let skip = matches!(tok.kind, Kind::Comment | Kind::LeftParen | Kind::SqlType)
                || is_unary_op(&tok);
            self.v[0] = tok;
            if !skip {
                break;
            }
        }
        let mut pos = 1;
        let mut left = 0;
        loop {
            if pos >= MAX_TOKENS && self.five_token_shape() {
                if pos > MAX_TOKENS {
                    self.copy(1, MAX_TOKENS);
                    pos = 2;
                } else {
                    pos = 1;
                }
                left = 0;
            }
            if !self.more || left >= MAX_TOKENS {
                left = pos;
                break;
            }
            while self.more && pos <= MAX_TOKENS && pos.saturating_sub(left) < 2 {
                pos = self.read_into(pos);
            }
            if pos.saturating_sub(left) < 2 {
                left = pos;
                continue;
            }
            match self.two(&mut pos, &mut left) {
                Two::Again => continue,
                Two::Evil(n) => return Exit::Evil(n),
                Two::Three => {}
            }
            while self.more && pos <= MAX_TOKENS && pos.saturating_sub(left) < 3 {
                pos = self.read_into(pos);
            }
            if pos.saturating_sub(left) < 3 {
                left = pos;
                continue;
            }
            if self.three(&mut pos, &mut left) {
                continue;
            }
            left += 1;
        }
        let left = left.min(MAX_TOKENS);
        // An unclosed, empty backtick word at the end is PHP's "magic" comment.
        if left > 2 {
            if let Some(t) = self.v.get_mut(left - 1) {
                if t.kind == Kind::Bareword
                    && t.str_open == b'`'
                    && t.len() == 0
                    && t.str_close == 0
                {
                    t.kind = Kind::Comment;
                }
            }
        }
        let mut n = 0;
        for i in 0..left {
            if self.kind(i) != Kind::None {
                self.copy(n, i);
                n += 1;
            }
        }
        if left < MAX_TOKENS && self.last_comment.kind == Kind::Comment {
            if let Some(slot) = self.v.get_mut(n) {
                *slot = self.last_comment;
                n += 1;
            }
        }
        Exit::Normal(n)
    }

    /// The five-token shapes `1 o ( 1 )`, `1 , ( 1 )`, `n o ( n|1 )`, `1 ) , ( 1`, `n ) o ( n`.
    fn five_token_shape(&self) -> bool {
        use Kind::*;
        let k = [
            self.kind(0),
            self.kind(1),
            self.kind(2),
            self.kind(3),
            self.kind(4),
        ];
        matches!(
            k,
            [Number, Operator | Comma, LeftParen, Number, RightParen]
                | [Bareword, Operator, LeftParen, Bareword | Number, RightParen]
                | [Number, RightParen, Comma, LeftParen, Number]
                | [Bareword, RightParen, Operator, LeftParen, Bareword]
        )
    }

    /// The two-token rules at `left`, `left + 1`.
    fn two(&mut self, pos: &mut usize, left: &mut usize) -> Two {
        use Kind::*;
        let l = *left;
        let (a, b) = (self.kind(l), self.kind(l + 1));
        if (a == String && b == String) || (a == Semicolon && b == Semicolon) {
            *pos = pos.saturating_sub(1);
            return Two::Again;
        }
        if matches!(a, Operator | LogicOperator) && (self.is_unary(l + 1) || b == SqlType) {
            *pos = pos.saturating_sub(1);
            *left = 0;
            return Two::Again;
        }
        if a == LeftParen && self.is_unary(l + 1) {
            *pos = pos.saturating_sub(1);
            *left = left.saturating_sub(1);
            return Two::Again;
        }
        if self.merge_words(l) {
            *pos = pos.saturating_sub(1);
            *left = left.saturating_sub(1);
            return Two::Again;
        }
        let bv = self.token(l + 1).value();
        if a == Semicolon
            && b == Function
            && bv.len() >= 2
            && bv.get(..2).is_some_and(|p| p.eq_ignore_ascii_case(b"IF"))
        {
            // T-SQL's `; IF 1=1 …`: IF as a statement, not a function.
            self.set_kind(l + 1, Tsql);
            return Two::Again;
        }
        let av = self.token(l).value();
        if matches!(a, Bareword | Variable) && b == LeftParen && is_one_of(av, CALLABLE_WORDS) {
            self.set_kind(l, Function);
            return Two::Again;
        }
        if a == Keyword && is_one_of(av, &[b"IN", b"NOT IN"]) {
            self.set_kind(l, if b == LeftParen { Operator } else { Bareword });
            return Two::Again;
        }
        if a == Operator && is_one_of(av, &[b"LIKE", b"NOT LIKE"]) {
            if b == LeftParen {
                self.set_kind(l, Function);
            }
            return Two::Three;
        }
        if a == SqlType
            && matches!(
                b,
                Bareword | Number | SqlType | LeftParen | Function | Variable | String
            )
        {
            self.copy(l, l + 1);
            *pos = pos.saturating_sub(1);
            *left = 0;
            return Two::Again;
        }
        if a == Collate && b == Bareword {
            // Too many collations to list: one with a `_` is a type (the reference decides on
            // the value as UTF-8 text, so invalid UTF-8 never is).
            if std::str::from_utf8(bv).is_ok_and(|s| s.contains('_')) {
                self.set_kind(l + 1, SqlType);
                *left = 0;
            }
            return Two::Three;
        }
        if a == Backslash {
            if is_arithmetic_op(self.token(l + 1)) {
                // T-SQL reads `\%1` as `0 % 1`.
                self.set_kind(l, Number);
            } else {
                self.copy(l, l + 1);
                *pos = pos.saturating_sub(1);
            }
            *left = 0;
            return Two::Again;
        }
        if (a == LeftParen && b == LeftParen) || (a == RightParen && b == RightParen) {
            *pos = pos.saturating_sub(1);
            *left = 0;
            return Two::Again;
        }
        if a == LeftBrace && b == Bareword {
            if self.token(l + 1).len() == 0 {
                // `{ ``…`: MySQL's odd `{``.``.id}` form; too rare to parse, called evil.
                self.set_kind(l + 1, Evil);
                return Two::Evil(l + 2);
            }
            // ODBC/MySQL `{foo expr}` → expr.
            *left = 0;
            *pos = pos.saturating_sub(2);
            return Two::Again;
        }
        if b == RightBrace {
            *pos = pos.saturating_sub(1);
            *left = 0;
            return Two::Again;
        }
        Two::Three
    }

    /// Merges slots `l` and `l + 1` into one word when the table knows them together
    /// (`UNION` + `ALL`); true if merged.
    fn merge_words(&mut self, l: usize) -> bool {
        use Kind::*;
        let (a, b) = (self.token(l), self.token(l + 1));
        let mergeable = |k: Kind| {
            matches!(
                k,
                Keyword | Bareword | Operator | Union | Function | Expression | Tsql | SqlType
            )
        };
        if !mergeable(a.kind) || !(mergeable(b.kind) || b.kind == LogicOperator) {
            return false;
        }
        let (av, bv) = (a.value(), b.value());
        let len = av.len() + 1 + bv.len();
        if len > VALUE_CAP {
            return false;
        }
        let mut buf = [b' '; VALUE_CAP];
        if let Some(head) = buf.get_mut(..av.len()) {
            head.copy_from_slice(av);
        }
        if let Some(tail) = buf.get_mut(av.len() + 1..len) {
            tail.copy_from_slice(bv);
        }
        let merged = buf.get(..len).unwrap_or_default();
        let kind = lookup(merged);
        if kind == Bareword {
            return false;
        }
        if let Some(t) = self.v.get_mut(l) {
            t.kind = kind;
            t.set_value(merged);
        }
        true
    }

    /// The three-token rules at `left`…`left + 2`; true if one folded.
    fn three(&mut self, pos: &mut usize, left: &mut usize) -> bool {
        use Kind::*;
        let l = *left;
        let (a, b, c) = (self.kind(l), self.kind(l + 1), self.kind(l + 2));
        let drop_two = (a == Number && b == Operator && c == Number)
            || (a == Operator && b != LeftParen && c == Operator)
            || (a == LogicOperator && c == LogicOperator)
            || (a == Variable && b == Operator && matches!(c, Variable | Number | Bareword))
            || (matches!(a, Bareword | Number) && b == Operator && matches!(c, Number | Bareword))
            || (matches!(a, Bareword | Number | Variable | String)
                && b == Operator
                && self.token(l + 1).value() == b"::"
                && c == SqlType)
            || (matches!(a, Bareword | Number | String | Variable)
                && b == Comma
                && matches!(c, Number | Bareword | String | Variable))
            || (a == Bareword && b == Dot && c == Bareword);
        if drop_two {
            *pos = pos.saturating_sub(2);
            *left = 0;
            return true;
        }
        let unary = self.is_unary(l + 1);
        // Unary operators that only decorate what follows: `SELECT - 1`, `, -sin(1)`.
        if (matches!(a, Expression | Group | Comma) && unary && c == LeftParen)
            || (matches!(a, Keyword | Expression | Group)
                && unary
                && matches!(c, Number | Bareword | Variable | String | Function))
        {
            self.copy(l + 1, l + 2);
            *pos = pos.saturating_sub(1);
            *left = 0;
            return true;
        }
        if a == Comma && unary && matches!(c, Number | Bareword | Variable | String) {
            // `1,-1` → `1`: drop the unary and back up over the comma too.
            self.copy(l + 1, l + 2);
            *left = 0;
            *pos = pos.saturating_sub(3);
            return true;
        }
        if a == Comma && unary && c == Function {
            self.copy(l + 1, l + 2);
            *pos = pos.saturating_sub(1);
            *left = 0;
            return true;
        }
        if a == Expression && b == Dot && c == Bareword {
            // `SELECT . `foo`` → `SELECT `foo``.
            self.copy(l + 1, l + 2);
            *pos = pos.saturating_sub(1);
            *left = 0;
            return true;
        }
        if a == Function && b == LeftParen && c != RightParen {
            // `USER()` is a function; `USER(x)` is not.
            if self.token(l).value().eq_ignore_ascii_case(b"USER") {
                self.set_kind(l, Bareword);
            }
        }
        false
    }
}

/// Words that are functions when a `(` follows, though the table calls them otherwise
/// (T-SQL's and MySQL's niladic functions, common as column names).
const CALLABLE_WORDS: &[&[u8]] = &[
    b"USER_ID",
    b"USER_NAME",
    b"DATABASE",
    b"PASSWORD",
    b"USER",
    b"CURRENT_USER",
    b"CURRENT_DATE",
    b"CURRENT_TIME",
    b"CURRENT_TIMESTAMP",
    b"LOCALTIME",
    b"LOCALTIMESTAMP",
];

fn is_one_of(value: &[u8], words: &[&[u8]]) -> bool {
    words.iter().any(|w| value.eq_ignore_ascii_case(w))
}

/// `+`, `-`, `!`, `~`, `!!` and `NOT`.
pub(super) fn is_unary_op(t: &Token) -> bool {
    t.kind == Kind::Operator
        && match t.value() {
            [b'+' | b'-' | b'!' | b'~'] | b"!!" => true,
            v => v.eq_ignore_ascii_case(b"NOT"),
        }
}

/// `*`, `/`, `-`, `+`, `%`.
fn is_arithmetic_op(t: &Token) -> bool {
    t.kind == Kind::Operator && matches!(t.value(), [b'*' | b'/' | b'-' | b'+' | b'%'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(input: &str) -> String {
        let mut out = Folded::new();
        fold(input.as_bytes(), Quote::None, Dialect::Ansi, &mut out);
        out.tokens()
            .iter()
            .map(|t| char::from(t.kind.fingerprint_char()))
            .collect()
    }

    #[test]
    fn folds_like_libinjection() {
        for (input, folded) in [
            ("1 UNION ALL SELECT 1,2,3", "1UE1"),
            ("( SELECT 1 );", "E1);"),
            ("1 OR 1=1", "1&1"),
            ("-1 OR 'a'='a'", "1&sos"),
            ("x' OR 1=1 --", "ns"),
            ("1 -- x", "1c"),
            ("a IN (1)", "n"),
            ("@@version", "v"),
            ("{ `` }", "{X"),
            ("1,-1 union", "1U"),
            ("a COLLATE utf8_bin", "nAt"),
            ("\\%1", "1"),
            ("; IF 1=1", ";T1"),
            ("USER(1)", "n(1)"),
            ("1 + (2) union", "1U"),
        ] {
            assert_eq!(shape(input), folded, "{input:?}");
        }
    }
}
