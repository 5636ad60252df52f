//! GoTestWAF's payload encoders: how a test case's payload is written before a placeholder puts it
//! into a request. Each one reproduces the output of the Go function GoTestWAF calls, byte for byte
//! (the unit tests pin the outputs).

use base64::Engine as _;
use std::fmt::Write as _;

/// An encoder named in a test case's `encoder:` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Encoder {
    /// The payload unchanged.
    Plain,
    /// Go's `url.QueryEscape`: letters, digits and `-_.~` stay, a space becomes `+`, every other
    /// byte becomes `%XX` (upper-case hex).
    Url,
    /// Standard base64 with padding.
    Base64,
    /// Standard base64 with every `=` removed.
    Base64Flat,
    /// Each UTF-16 code unit as `\uXXXX` (lower-case hex), surrogate pairs for astral characters.
    JsUnicode,
    /// Go's `xml.Encoder.Encode` of a string: `<string>…</string>` with XML escapes.
    XmlEntity,
}

impl Encoder {
    /// Every encoder, in the order reports list them.
    pub const ALL: [Encoder; 6] = [
        Encoder::Plain,
        Encoder::Url,
        Encoder::Base64,
        Encoder::Base64Flat,
        Encoder::JsUnicode,
        Encoder::XmlEntity,
    ];

    /// The encoder GoTestWAF registers under `name` (names are case-sensitive there too).
    pub fn from_name(name: &str) -> Option<Encoder> {
        Encoder::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The name test cases use.
    pub fn name(self) -> &'static str {
        match self {
            Encoder::Plain => "Plain",
            Encoder::Url => "URL",
            Encoder::Base64 => "Base64",
            Encoder::Base64Flat => "Base64Flat",
            Encoder::JsUnicode => "JSUnicode",
            Encoder::XmlEntity => "XMLEntity",
        }
    }

    pub fn encode(self, payload: &str) -> String {
        match self {
            Encoder::Plain => payload.to_string(),
            Encoder::Url => query_escape(payload.as_bytes()),
            Encoder::Base64 => base64::engine::general_purpose::STANDARD.encode(payload),
            Encoder::Base64Flat => base64::engine::general_purpose::STANDARD_NO_PAD.encode(payload),
            Encoder::JsUnicode => js_unicode(payload),
            Encoder::XmlEntity => format!("<string>{}</string>", xml_escape(payload)),
        }
    }
}

/// Go's `url.QueryEscape` over bytes.
pub fn query_escape(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len() * 3);
    for &b in input {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

fn js_unicode(payload: &str) -> String {
    let mut out = String::with_capacity(payload.len() * 6);
    for unit in payload.encode_utf16() {
        let _ = write!(out, "\\u{unit:04x}");
    }
    out
}

/// XML text escaping as Go's encoder does it: the five markup characters as entities (quotes as
/// numeric references), tab/newline/carriage return as character references, and characters
/// XML cannot carry as U+FFFD.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c if xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// XML 1.0's `Char` production.
fn xml_char(c: char) -> bool {
    matches!(c as u32, 0x09 | 0x0A | 0x0D | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

#[cfg(test)]
mod tests {
    use super::Encoder::*;
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in Encoder::ALL {
            assert_eq!(Encoder::from_name(e.name()), Some(e));
        }
        assert_eq!(Encoder::from_name("url"), None);
    }

    #[test]
    fn plain_is_identity() {
        assert_eq!(Plain.encode("<a b='c'>%41"), "<a b='c'>%41");
    }

    #[test]
    fn url_matches_go_query_escape() {
        assert_eq!(Url.encode("a b+c/d?e=f&g"), "a+b%2Bc%2Fd%3Fe%3Df%26g");
        assert_eq!(Url.encode("-_.~*'()!"), "-_.~%2A%27%28%29%21");
        assert_eq!(Url.encode("é\r\n"), "%C3%A9%0D%0A");
        assert_eq!(Url.encode("%41"), "%2541");
    }

    #[test]
    fn base64_pads_and_flat_does_not() {
        assert_eq!(Base64.encode("ab"), "YWI=");
        assert_eq!(Base64Flat.encode("ab"), "YWI");
        assert_eq!(Base64Flat.encode("a"), "YQ");
        assert_eq!(Base64Flat.encode("abc"), "YWJj");
        assert_eq!(
            Base64Flat.encode("/static/img/../../etc/passwd"),
            "L3N0YXRpYy9pbWcvLi4vLi4vZXRjL3Bhc3N3ZA"
        );
    }

    #[test]
    fn js_unicode_writes_utf16_units() {
        assert_eq!(JsUnicode.encode("a<"), "\\u0061\\u003c");
        assert_eq!(JsUnicode.encode("é"), "\\u00e9");
        // U+1F600 is a surrogate pair in UTF-16.
        assert_eq!(JsUnicode.encode("\u{1F600}"), "\\ud83d\\ude00");
        assert_eq!(JsUnicode.encode(""), "");
    }

    #[test]
    fn xml_entity_wraps_and_escapes() {
        assert_eq!(
            XmlEntity.encode("<a href=\"x\">'&'</a>"),
            "<string>&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;</string>"
        );
        assert_eq!(
            XmlEntity.encode("a\tb\nc\rd"),
            "<string>a&#x9;b&#xA;c&#xD;d</string>"
        );
        assert_eq!(XmlEntity.encode("a\0b"), "<string>a\u{FFFD}b</string>");
    }
}
