//! Where a line-list value is placed: every value goes into each of six locations, written the way
//! an ordinary client sends a value there.
//!
//! * query argument, form body, cookie and path carry the value as the list has it (it is already
//!   URL-encoded), with the few bytes a client cannot send raw (space, controls, non-ASCII,
//!   `"<>\^`{|}` and `#`, plus `?` in a path) percent-encoded;
//! * JSON body and header carry the decoded value, as an application would receive it there; a
//!   header cannot hold CR, LF or other control bytes, so such values skip that location.

use super::lines::form_decode;
use super::probe::Probe;

/// The argument, form field and JSON key that carry the value.
pub const PARAM: &str = "q";
/// The header that carries the value.
pub const HEADER: &str = "X-Input";
/// The cookie that carries the value.
pub const COOKIE: &str = "pref";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Location {
    QueryArgument,
    FormBody,
    JsonBody,
    Header,
    Cookie,
    UriPath,
}

impl Location {
    pub const ALL: [Location; 6] = [
        Location::QueryArgument,
        Location::FormBody,
        Location::JsonBody,
        Location::Header,
        Location::Cookie,
        Location::UriPath,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Location::QueryArgument => "query-argument",
            Location::FormBody => "form-body",
            Location::JsonBody => "json-body",
            Location::Header => "header",
            Location::Cookie => "cookie",
            Location::UriPath => "uri-path",
        }
    }

    /// The request carrying `value` here; an error is the reason this location is skipped.
    pub fn build(self, value: &[u8]) -> Result<Probe, String> {
        Ok(match self {
            Location::QueryArgument => Probe::get(
                "/search",
                format!("{PARAM}={}", client_escape(value, false)),
            ),
            Location::FormBody => Probe::with_body(
                "POST",
                "/submit",
                Some("application/x-www-form-urlencoded"),
                format!("{PARAM}={}", client_escape(value, false)).into_bytes(),
            ),
            Location::JsonBody => {
                let decoded = String::from_utf8_lossy(&form_decode(value)).into_owned();
                let body = serde_json::json!({ PARAM: decoded }).to_string();
                Probe::with_body("POST", "/api", Some("application/json"), body.into_bytes())
            }
            Location::Header => {
                let decoded = form_decode(value);
                if let Some(b) = decoded
                    .iter()
                    .find(|&&b| (b < 0x20 && b != b'\t') || b == 0x7f)
                {
                    return Err(format!(
                        "decoded value holds control byte 0x{b:02x}, which no header can carry"
                    ));
                }
                let mut p = Probe::get("/", "");
                let text = String::from_utf8_lossy(decoded.trim_ascii()).into_owned();
                p.add_header(HEADER, text);
                p
            }
            Location::Cookie => {
                let mut p = Probe::get("/", "");
                p.add_header(
                    "Cookie",
                    format!("{COOKIE}={}", client_escape(value, false)),
                );
                p
            }
            Location::UriPath => Probe::get(format!("/{}", client_escape(value, true)), ""),
        })
    }
}

/// Percent-encodes the bytes a client cannot put on the wire as they are; `in_path` also
/// encodes `?` so the value stays in the path.
fn client_escape(value: &[u8], in_path: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for &b in value {
        let raw = b.is_ascii_graphic()
            && !matches!(
                b,
                b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}' | b'#'
            )
            && !(in_path && b == b'?');
        if raw {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(p: &'a Probe, name: &str) -> Option<&'a str> {
        p.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn each_location_places_the_value() {
        let v = b"1'+or+%271%27=1 <x>#?";
        let q = Location::QueryArgument.build(v).unwrap();
        assert_eq!(
            (q.path.as_str(), q.query.as_str()),
            ("/search", "q=1'+or+%271%27=1%20%3Cx%3E%23?")
        );
        let f = Location::FormBody.build(v).unwrap();
        assert_eq!(f.body, b"q=1'+or+%271%27=1%20%3Cx%3E%23?");
        assert_eq!(
            header(&f, "content-type"),
            Some("application/x-www-form-urlencoded")
        );
        let j = Location::JsonBody.build(v).unwrap();
        assert_eq!(
            String::from_utf8(j.body).unwrap(),
            r#"{"q":"1' or '1'=1 <x>#?"}"#
        );
        let h = Location::Header.build(v).unwrap();
        assert_eq!(header(&h, HEADER), Some("1' or '1'=1 <x>#?"));
        let c = Location::Cookie.build(v).unwrap();
        assert_eq!(
            header(&c, "cookie"),
            Some("pref=1'+or+%271%27=1%20%3Cx%3E%23?")
        );
        let p = Location::UriPath.build(v).unwrap();
        assert_eq!(
            (p.path.as_str(), p.query.as_str()),
            ("/1'+or+%271%27=1%20%3Cx%3E%23%3F", "")
        );
    }

    #[test]
    fn header_refuses_control_bytes_and_non_utf8_is_escaped() {
        let err = Location::Header.build(b"a%0d%0ab").unwrap_err();
        assert!(err.contains("0x0d"), "{err}");
        assert_eq!(
            Location::QueryArgument.build(b"\xff").unwrap().query,
            "q=%FF"
        );
        let j = Location::JsonBody.build(b"%ff").unwrap();
        assert_eq!(String::from_utf8(j.body).unwrap(), "{\"q\":\"\u{FFFD}\"}");
    }
}
