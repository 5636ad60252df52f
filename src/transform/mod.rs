//! TEMPORARY stand-in until the transform branch lands (not committed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transform {
    None,
    Lowercase,
    UrlDecode,
}
impl Transform {
    pub const ALL: &'static [Transform] =
        &[Transform::None, Transform::Lowercase, Transform::UrlDecode];
    pub fn aws_name(self) -> &'static str {
        match self {
            Transform::None => "NONE",
            Transform::Lowercase => "LOWERCASE",
            Transform::UrlDecode => "URL_DECODE",
        }
    }
    pub fn from_aws_name(s: &str) -> Option<Transform> {
        Self::ALL.iter().copied().find(|t| t.aws_name() == s)
    }
}
pub fn apply(t: Transform, input: &[u8], out: &mut Vec<u8>) {
    out.clear();
    match t {
        Transform::Lowercase => out.extend(input.iter().map(|b| b.to_ascii_lowercase())),
        _ => out.extend_from_slice(input),
    }
}
pub fn apply_chain(chain: &[Transform], input: &[u8], out: &mut Vec<u8>, scratch: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(input);
    for t in chain {
        apply(*t, out, scratch);
        std::mem::swap(out, scratch);
    }
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PreParse {
    None,
    UrlDecode,
}
impl PreParse {
    pub fn aws_name(self) -> &'static str {
        "NONE"
    }
    pub fn from_aws_name(s: &str) -> Option<Self> {
        (s == "NONE").then_some(PreParse::None)
    }
}
pub fn apply_preparse(_t: PreParse, raw: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(raw);
}
