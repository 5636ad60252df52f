//! GoTestWAF's placeholders: where in a request an (encoded) payload goes. Each builds the request
//! GoTestWAF's Go code builds for it (method, target, headers, body), with its random names made
//! reproducible ([`super::names`]). Placeholders that need a transport webacl does not evaluate
//! (gRPC) or that a test case names but GoTestWAF does not define are kept as
//! [`Placeholder::Unsupported`], so their cases are counted as skipped, never dropped.

use super::encoder::{query_escape, Encoder};
use super::go_url::request_target;
use super::names::{Names, BOUNDARY_BYTES, NAME_BYTES};
use super::probe::Probe;
use serde_yaml::Value;

/// The text in a `RawRequest` template that the payload replaces.
const PAYLOAD_MARK: &str = "{{payload}}";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placeholder {
    /// `GET /<payload>`.
    UrlPath,
    /// `GET /?<name>=<payload>`.
    UrlParam,
    /// `GET /` with header `X-<name>: <payload>`.
    Header,
    /// `GET /` with `User-Agent: <payload>`.
    UserAgent,
    /// `POST /`, `application/x-www-form-urlencoded` body `<name>=<payload>`.
    HtmlForm,
    /// `POST /`, one `multipart/form-data` field `<name>` holding the payload.
    HtmlMultipartForm,
    /// `POST /`, `application/json` body `{"test":true, "<name>": "<payload as \uXXXX>"}`.
    JsonRequest,
    /// `POST /`, `application/json` body = the payload.
    JsonBody,
    /// `POST /`, body = the payload, no `Content-Type`.
    RequestBody,
    /// `POST /`, `text/xml` SOAP envelope with the payload XML-escaped in an element `ab<name>`.
    SoapBody,
    /// `POST /`, `text/xml` body = the payload.
    XmlBody,
    /// A request template; `{{payload}}` is replaced in the path, header values and body.
    RawRequest(RawRequest),
    /// GraphQL over HTTP: GET `/?query=<payload>` or POST body = the payload.
    GraphQl { post: bool },
    /// Counted as skipped with this reason.
    Unsupported { name: String, reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Placeholder {
    /// Reads one entry of a test case's `placeholder:` list: a name, or a one-key map from a
    /// name to its settings. Errors describe a malformed entry.
    pub fn parse(entry: &Value) -> Result<Placeholder, String> {
        let (name, config) = match entry {
            Value::String(name) => (name.as_str(), None),
            Value::Mapping(m) if m.len() == 1 => match m.iter().next() {
                Some((Value::String(name), config)) => (name.as_str(), Some(config)),
                _ => return Err("a placeholder map must have one name key".into()),
            },
            _ => {
                return Err(format!(
                    "a placeholder must be a name or a map, not {entry:?}"
                ))
            }
        };
        Ok(match name {
            "URLPath" => Placeholder::UrlPath,
            "URLParam" => Placeholder::UrlParam,
            "Header" => Placeholder::Header,
            "UserAgent" => Placeholder::UserAgent,
            "HTMLForm" => Placeholder::HtmlForm,
            "HTMLMultipartForm" => Placeholder::HtmlMultipartForm,
            "JSONRequest" => Placeholder::JsonRequest,
            "JSONBody" => Placeholder::JsonBody,
            "RequestBody" => Placeholder::RequestBody,
            "SOAPBody" => Placeholder::SoapBody,
            "XMLBody" => Placeholder::XmlBody,
            "RawRequest" => Placeholder::RawRequest(raw_request(config)?),
            "GraphQL" => match setting(config, "method")? {
                Some("GET") => Placeholder::GraphQl { post: false },
                Some("POST") => Placeholder::GraphQl { post: true },
                other => {
                    return Err(format!(
                        "GraphQL needs method GET or POST, found {}",
                        other.unwrap_or("none")
                    ))
                }
            },
            "gRPC" => Placeholder::Unsupported {
                name: name.into(),
                reason: "gRPC needs an HTTP/2 gRPC client and the test service's protobuf schema; webacl evaluates HTTP requests".into(),
            },
            _ => Placeholder::Unsupported {
                name: name.into(),
                reason: "not a placeholder GoTestWAF defines".into(),
            },
        })
    }

    /// The name reports group results by.
    pub fn name(&self) -> &str {
        match self {
            Placeholder::UrlPath => "URLPath",
            Placeholder::UrlParam => "URLParam",
            Placeholder::Header => "Header",
            Placeholder::UserAgent => "UserAgent",
            Placeholder::HtmlForm => "HTMLForm",
            Placeholder::HtmlMultipartForm => "HTMLMultipartForm",
            Placeholder::JsonRequest => "JSONRequest",
            Placeholder::JsonBody => "JSONBody",
            Placeholder::RequestBody => "RequestBody",
            Placeholder::SoapBody => "SOAPBody",
            Placeholder::XmlBody => "XMLBody",
            Placeholder::RawRequest(_) => "RawRequest",
            Placeholder::GraphQl { .. } => "GraphQL",
            Placeholder::Unsupported { name, .. } => name,
        }
    }

    /// Builds the request for an already encoded payload. Errors are skip reasons: requests
    /// GoTestWAF's Go client would refuse to send, or placeholders webacl cannot represent.
    pub fn build(&self, payload: &str, names: &mut Names) -> Result<Probe, String> {
        Ok(match self {
            Placeholder::UrlPath => go_get(&format!("/{payload}"))?,
            Placeholder::UrlParam => {
                let name = names.hex(NAME_BYTES);
                go_get(&format!("/?{name}={payload}"))?
            }
            Placeholder::Header => {
                let mut p = Probe::get("/", "");
                let name = format!("X-{}", names.hex(NAME_BYTES));
                p.add_header(&name, header_value(payload)?);
                p
            }
            Placeholder::UserAgent => {
                let mut p = Probe::get("/", "");
                p.set_header("User-Agent", header_value(payload)?);
                p
            }
            Placeholder::HtmlForm => {
                let body = format!("{}={payload}", names.hex(NAME_BYTES));
                post("application/x-www-form-urlencoded", body)
            }
            Placeholder::HtmlMultipartForm => {
                let name = names.hex(NAME_BYTES);
                let boundary = names.hex(BOUNDARY_BYTES);
                let body = format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{payload}\r\n--{boundary}--\r\n"
                );
                post(&format!("multipart/form-data; boundary={boundary}"), body)
            }
            Placeholder::JsonRequest => {
                let name = names.hex(NAME_BYTES);
                let value = Encoder::JsUnicode.encode(payload);
                post(
                    "application/json",
                    format!("{{\"test\":true, \"{name}\": \"{value}\"}}"),
                )
            }
            Placeholder::JsonBody => post("application/json", payload.to_string()),
            Placeholder::RequestBody => Probe::with_body("POST", "/", None, payload.into()),
            Placeholder::SoapBody => {
                let element = format!("ab{}", names.hex(NAME_BYTES));
                let mut p = post("text/xml", soap_envelope(&element, payload));
                p.add_header(
                    "SOAPAction",
                    "\"http://schemas.xmlsoap.org/soap/actor/next\"",
                );
                p
            }
            Placeholder::XmlBody => post("text/xml", payload.to_string()),
            Placeholder::RawRequest(raw) => raw.build(payload)?,
            Placeholder::GraphQl { post: false } => {
                go_get(&format!("/?query={}", query_escape(payload.as_bytes())))?
            }
            Placeholder::GraphQl { post: true } => {
                Probe::with_body("POST", "/", None, payload.into())
            }
            Placeholder::Unsupported { reason, .. } => return Err(reason.clone()),
        })
    }
}

impl RawRequest {
    fn build(&self, payload: &str) -> Result<Probe, String> {
        let path = self.path.strip_prefix('/').unwrap_or(&self.path);
        let (path, query) = request_target(&format!("/{}", path.replace(PAYLOAD_MARK, payload)))?;
        let body = self.body.replace(PAYLOAD_MARK, payload);
        let mut p = Probe::with_body(self.method.clone(), path, None, body.into_bytes());
        p.query = query;
        for (name, value) in &self.headers {
            p.set_header(name, header_value(&value.replace(PAYLOAD_MARK, payload))?);
        }
        Ok(p)
    }
}

fn go_get(target: &str) -> Result<Probe, String> {
    let (path, query) = request_target(target)?;
    Ok(Probe::get(path, query))
}

fn post(content_type: &str, body: String) -> Probe {
    Probe::with_body("POST", "/", Some(content_type), body.into_bytes())
}

/// Go's client refuses header values with control characters other than tab.
fn header_value(value: &str) -> Result<String, String> {
    match value
        .bytes()
        .find(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
    {
        Some(b) => Err(format!(
            "control character 0x{b:02x} in a header value (Go's HTTP client refuses to send it)"
        )),
        None => Ok(value.to_string()),
    }
}

/// A SOAP 1.1 request whose body carries one parameter element holding the payload, escaped the
/// way Go's XML encoder writes a string (GoTestWAF's SOAPBody).
fn soap_envelope(element: &str, payload: &str) -> String {
    let value = Encoder::XmlEntity.encode(payload);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\n\
         \x20 <soap:Header/>\n\
         \x20 <soap:Body>\n\
         \x20   <lookup xmlns=\"urn:webacl:efficacy\">\n\
         \x20     <{element}>{value}</{element}>\n\
         \x20   </lookup>\n\
         \x20 </soap:Body>\n\
         </soap:Envelope>"
    )
}

fn raw_request(config: Option<&Value>) -> Result<RawRequest, String> {
    let method = setting(config, "method")?
        .ok_or("RawRequest needs a method")?
        .to_string();
    let path = setting(config, "path")?.unwrap_or("/");
    let path = if path.is_empty() { "/" } else { path }.to_string();
    let body = setting(config, "body")?.unwrap_or("").to_string();
    let mut headers = Vec::new();
    match config.and_then(|c| c.get("headers")) {
        None => {}
        Some(Value::Mapping(m)) => {
            for (k, v) in m {
                match (k, v) {
                    (Value::String(k), Value::String(v)) => headers.push((k.clone(), v.clone())),
                    _ => return Err("RawRequest headers must map names to strings".into()),
                }
            }
        }
        Some(_) => return Err("RawRequest headers must be a map".into()),
    }
    Ok(RawRequest {
        method,
        path,
        headers,
        body,
    })
}

/// A string setting of a placeholder's map; `None` when absent.
fn setting<'a>(config: Option<&'a Value>, key: &str) -> Result<Option<&'a str>, String> {
    match config.and_then(|c| c.get(key)) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!(
            "placeholder setting {key} must be a string, not {other:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ph(yaml: &str) -> Placeholder {
        Placeholder::parse(&serde_yaml::from_str(yaml).unwrap()).unwrap()
    }

    fn build(p: &Placeholder, payload: &str) -> Probe {
        p.build(payload, &mut Names::for_case(1)).unwrap()
    }

    fn header<'a>(p: &'a Probe, name: &str) -> Option<&'a str> {
        p.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn url_placeholders() {
        let n = Names::for_case(1).hex(NAME_BYTES);
        let p = build(&ph("URLParam"), "a%27b");
        assert_eq!((p.method.as_str(), p.path.as_str()), ("GET", "/"));
        assert_eq!(p.query, format!("{n}=a%27b"));
        let p = build(&ph("URLPath"), "a%2Fb+c");
        assert_eq!((p.path.as_str(), p.query.as_str()), ("/a%2Fb+c", ""));
        assert!(ph("URLPath").build("%zz", &mut Names::for_case(1)).is_err());
    }

    #[test]
    fn header_placeholders() {
        let n = Names::for_case(1).hex(NAME_BYTES);
        let p = build(&ph("Header"), "x' or 1=1");
        assert_eq!(header(&p, &format!("X-{n}")), Some("x' or 1=1"));
        assert_eq!(
            header(&p, "user-agent"),
            Some(super::super::probe::BROWSER_USER_AGENT)
        );
        let p = build(&ph("UserAgent"), "sqlmap/1.7");
        assert_eq!(header(&p, "User-Agent"), Some("sqlmap/1.7"));
        assert_eq!(
            p.headers.iter().filter(|(n, _)| n == "User-Agent").count(),
            1
        );
        let err = ph("Header")
            .build("a\r\nb", &mut Names::for_case(1))
            .unwrap_err();
        assert!(err.contains("0x0d"), "{err}");
    }

    #[test]
    fn body_placeholders() {
        let mut names = Names::for_case(1);
        let n = names.hex(NAME_BYTES);
        let b = names.hex(BOUNDARY_BYTES);
        let p = build(&ph("HTMLForm"), "a+b");
        assert_eq!(p.body, format!("{n}=a+b").as_bytes());
        assert_eq!(
            header(&p, "content-type"),
            Some("application/x-www-form-urlencoded")
        );

        let p = build(&ph("HTMLMultipartForm"), "<x>");
        let expected = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"{n}\"\r\n\r\n<x>\r\n--{b}--\r\n"
        );
        assert_eq!(String::from_utf8(p.body.clone()).unwrap(), expected);
        assert_eq!(
            header(&p, "content-type").unwrap(),
            format!("multipart/form-data; boundary={b}")
        );

        let p = build(&ph("JSONRequest"), "a'");
        assert_eq!(
            String::from_utf8(p.body).unwrap(),
            format!("{{\"test\":true, \"{n}\": \"\\u0061\\u0027\"}}")
        );

        let p = build(&ph("JSONBody"), "{\"a\":1}");
        assert_eq!(p.body, b"{\"a\":1}");
        let p = build(&ph("RequestBody"), "x");
        assert_eq!(
            (p.method.as_str(), header(&p, "content-type")),
            ("POST", None)
        );
        let p = build(&ph("XMLBody"), "<a/>");
        assert_eq!(header(&p, "content-type"), Some("text/xml"));

        let p = build(&ph("SOAPBody"), "'<b>");
        let body = String::from_utf8(p.body.clone()).unwrap();
        assert!(
            body.contains(&format!("<ab{n}><string>&#39;&lt;b&gt;</string></ab{n}>")),
            "{body}"
        );
        assert!(header(&p, "soapaction").is_some());
    }

    #[test]
    fn raw_request_template() {
        let p = ph(
            "RawRequest:\n  method: CUST\n  path: /x/{{payload}}?a=1\n  headers:\n    Content-Type: text/plain\n    X-P: \"v={{payload}}\"\n  body: |\n    {{payload}}\n",
        );
        let probe = build(&p, "abc");
        assert_eq!(probe.method, "CUST");
        assert_eq!(
            (probe.path.as_str(), probe.query.as_str()),
            ("/x/abc", "a=1")
        );
        assert_eq!(header(&probe, "x-p"), Some("v=abc"));
        assert_eq!(header(&probe, "content-type"), Some("text/plain"));
        assert_eq!(probe.body, b"abc\n");
        let p = ph("RawRequest:\n  method: POST\n");
        assert_eq!(build(&p, "a").path, "/");
        assert!(
            Placeholder::parse(&serde_yaml::from_str("RawRequest:\n  path: /\n").unwrap()).is_err()
        );
    }

    #[test]
    fn graphql_and_unsupported() {
        let p = build(&ph("GraphQL:\n  method: GET\n"), "{a b}");
        assert_eq!(p.query, "query=%7Ba+b%7D");
        let p = build(&ph("GraphQL:\n  method: POST\n"), "{a}");
        assert_eq!(p.body, b"{a}");
        let grpc = ph("gRPC");
        assert_eq!(grpc.name(), "gRPC");
        assert!(grpc
            .build("x", &mut Names::for_case(0))
            .unwrap_err()
            .contains("gRPC"));
        let unknown = ph("Carrier");
        assert!(unknown.build("x", &mut Names::for_case(0)).is_err());
    }
}
