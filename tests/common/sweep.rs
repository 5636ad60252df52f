//! Scratch directories of test processes that have ended are removed, so repeated runs do not
//! fill the temporary directory. A test binary names its directories `<prefix><pid>...` and calls
//! [`stale`] once before making its first; directories of live processes (a concurrent run) stay.

use std::path::Path;

/// Removes `<temp>/<prefix><pid>*` for every pid that no longer runs (Linux: no `/proc/<pid>`;
/// elsewhere nothing is removed).
pub fn stale(prefix: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        let pid: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !pid.is_empty() && !Path::new("/proc").join(&pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
