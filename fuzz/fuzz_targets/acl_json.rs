//! ACL JSON: load → validate → compile never panics, whatever the document, and every problem is
//! reported with a JSON pointer that starts with '/' (or is empty for the document itself).
#![no_main]
use libfuzzer_sys::fuzz_target;
use webacl::compile::{build, BuildOptions, SearchStringEncoding};
use webacl::load::{self, Resources};
use webacl::validate::Diagnostics;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // Split off an optional resource document after a NUL so references can resolve.
    let (acl, resource) = text.split_once('\0').unwrap_or((text, ""));
    let mut diags = Diagnostics::new("fuzz");
    let mut res = Resources::default();
    if !resource.is_empty() {
        load::add_resource_str(&mut res, resource, "resource", &mut diags);
    }
    let Some(doc) = load::web_acl_str(acl, "acl", &mut diags) else { return };
    for encoding in [SearchStringEncoding::Base64, SearchStringEncoding::Text] {
        let opts = BuildOptions { search_string: encoding, allow_missing_managed: true, ..Default::default() };
        match build(&doc, &res, &opts) {
            Ok(acl) => assert!(acl.capacity() <= 5_000, "an accepted ACL respects the capacity bound"),
            Err(problems) => {
                assert!(!problems.is_empty());
                for p in problems {
                    assert!(p.pointer.is_empty() || p.pointer.starts_with('/'), "pointer {:?}", p.pointer);
                }
            }
        }
    }
});
