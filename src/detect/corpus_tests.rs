//! Detection rates on libinjection's payload lists, and the proofs-by-test that the
//! prefilters never hide a detection.
//!
//! Data: `shared/corpus/libinjection/` beside the repository (or `$WEBACL_SHARED_DIR`);
//! when it is absent the corpus tests print why and return. Rates are printed (run with
//! `--nocapture`) and asserted against floors just under what the detectors achieve, so a
//! regression fails. The randomized tests need no data.

use std::path::PathBuf;

use super::sqli_parity_tests::reference;
use super::{is_sqli, is_xss, sqli, sqli_prefilter, xss, DetectScratch, Sensitivity};

/// Lowest acceptable share of `sqli-*.txt` lines flagged at Low (measured: 99.84%).
const SQLI_LOW_FLOOR: f64 = 0.998;
/// Lowest acceptable share of `sqli-*.txt` lines flagged at High (measured: 99.87%).
const SQLI_HIGH_FLOOR: f64 = 0.998;
/// Lowest acceptable share of `xss-*.txt` lines flagged (measured: 99.70%).
const XSS_FLOOR: f64 = 0.996;
/// Highest acceptable share of `false_positives.txt` flagged as SQLi at Low (measured: 0.95%,
/// 4 of 421; the issue's bar is 1%).
const FP_LOW_CEILING: f64 = 0.01;
/// Highest acceptable share of `false_positives.txt` flagged as SQLi at High (measured: 12.83%).
const FP_HIGH_CEILING: f64 = 0.13;
/// Highest acceptable share of `false_positives.txt` flagged as XSS (measured: 0%).
const FP_XSS_CEILING: f64 = 0.0;

pub(super) fn corpus_dir() -> Option<PathBuf> {
    let shared = std::env::var_os("WEBACL_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let dir = shared.join("corpus/libinjection");
    dir.join("data").is_dir().then_some(dir)
}

/// Percent-decodes one line the way the lists were encoded (query-string style, `+` is a
/// space); invalid escapes stay as they are.
pub(super) fn url_decode(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let mut i = 0;
    while let Some(&b) = line.get(i) {
        let hex = |j: usize| line.get(j).and_then(|&c| char::from(c).to_digit(16));
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// (file name, decoded lines) for every data file whose name starts with `prefix`.
pub(super) fn load(dir: &std::path::Path, prefix: &str) -> Vec<(String, Vec<Vec<u8>>)> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("data"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.starts_with(prefix) && n.ends_with(".txt"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let text = std::fs::read(dir.join("data").join(&name)).unwrap_or_default();
            let lines = text
                .split(|&b| b == b'\n')
                .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
                .filter(|l| !l.is_empty() && !l.starts_with(b"#"))
                .map(url_decode)
                .collect();
            (name, lines)
        })
        .collect()
}

/// Every `--INPUT--` block of libinjection's unit-test vectors (raw, not URL-encoded).
pub(super) fn unit_test_inputs(dir: &std::path::Path) -> Vec<Vec<u8>> {
    let mut inputs = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir.join("tests")) else {
        return inputs;
    };
    for entry in rd.filter_map(Result::ok) {
        let text = std::fs::read(entry.path()).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        if let Some((_, rest)) = text.split_once("--INPUT--\n") {
            let input = rest.split("\n--EXPECTED--").next().unwrap_or_default();
            inputs.push(input.as_bytes().to_vec());
        }
    }
    inputs
}

fn sqli_at(input: &[u8], level: Sensitivity, scratch: &mut DetectScratch) -> bool {
    let mut matched = Vec::new();
    let hit = is_sqli(input, level, scratch, &mut matched);
    assert_eq!(hit, !matched.is_empty(), "matched tokens iff detection");
    hit
}

fn rate(hits: usize, total: usize) -> f64 {
    hits as f64 / total.max(1) as f64
}

#[test]
fn corpus_rates_and_prefilter_soundness() {
    let Some(dir) = corpus_dir() else {
        println!("skipped: shared/corpus/libinjection not found (set WEBACL_SHARED_DIR)");
        return;
    };
    let mut scratch = DetectScratch::default();

    let sqli_lists = load(&dir, "sqli-");
    let (mut total, mut low, mut high) = (0, 0, 0);
    for (name, lines) in &sqli_lists {
        let l = lines
            .iter()
            .filter(|s| sqli_at(s, Sensitivity::Low, &mut scratch))
            .count();
        let h = lines
            .iter()
            .filter(|s| sqli_at(s, Sensitivity::High, &mut scratch))
            .count();
        println!(
            "{name:45} {:5} lines  SQLi low {:6.2}%  high {:6.2}%",
            lines.len(),
            100.0 * rate(l, lines.len()),
            100.0 * rate(h, lines.len())
        );
        total += lines.len();
        low += l;
        high += h;
    }
    println!(
        "{:45} {total:5} lines  SQLi low {:6.2}%  high {:6.2}%",
        "all sqli-*.txt",
        100.0 * rate(low, total),
        100.0 * rate(high, total)
    );

    let xss_lists = load(&dir, "xss-");
    let (mut xss_total, mut xss_hits) = (0, 0);
    for (name, lines) in &xss_lists {
        let hits = lines.iter().filter(|s| is_xss(s, &mut scratch)).count();
        println!(
            "{name:45} {:5} lines  XSS {:6.2}%",
            lines.len(),
            100.0 * rate(hits, lines.len())
        );
        xss_total += lines.len();
        xss_hits += hits;
    }
    println!(
        "{:45} {xss_total:5} lines  XSS {:6.2}%",
        "all xss-*.txt",
        100.0 * rate(xss_hits, xss_total)
    );

    let benign: Vec<Vec<u8>> = load(&dir, "false_positives")
        .into_iter()
        .flat_map(|(_, l)| l)
        .collect();
    let fp_low = benign
        .iter()
        .filter(|s| sqli_at(s, Sensitivity::Low, &mut scratch))
        .count();
    let fp_high = benign
        .iter()
        .filter(|s| sqli_at(s, Sensitivity::High, &mut scratch))
        .count();
    let fp_xss = benign.iter().filter(|s| is_xss(s, &mut scratch)).count();
    println!(
        "{:45} {:5} lines  SQLi low {:6.2}%  high {:6.2}%  XSS {:6.2}%",
        "false_positives.txt (lower is better)",
        benign.len(),
        100.0 * rate(fp_low, benign.len()),
        100.0 * rate(fp_high, benign.len()),
        100.0 * rate(fp_xss, benign.len())
    );

    assert!(total > 17_000 && xss_total > 1_600 && benign.len() > 400);
    assert!(rate(low, total) >= SQLI_LOW_FLOOR);
    assert!(rate(high, total) >= SQLI_HIGH_FLOOR);
    assert!(rate(xss_hits, xss_total) >= XSS_FLOOR);
    assert!(rate(fp_low, benign.len()) <= FP_LOW_CEILING);
    assert!(rate(fp_high, benign.len()) <= FP_HIGH_CEILING);
    assert!(rate(fp_xss, benign.len()) <= FP_XSS_CEILING);

    // The prefilters never change a verdict, on every line of every list and every
    // unit-test input; and High flags everything Low flags.
    let everything = sqli_lists
        .iter()
        .chain(&xss_lists)
        .flat_map(|(_, l)| l.iter().cloned())
        .chain(benign.iter().cloned())
        .chain(unit_test_inputs(&dir));
    let mut checked = 0;
    for input in everything {
        assert_shortcuts_sound(&input, &mut scratch);
        checked += 1;
    }
    println!("prefilters agree with the full analysis on {checked} inputs");
}

/// GoTestWAF's benign texts (`false-pos/texts.yml`), as they arrive in a query argument
/// (URL-decoded): none is SQLi at Low, none is XSS.
#[test]
fn gotestwaf_benign_texts_are_not_flagged() {
    let Some(dir) = corpus_dir() else {
        println!("skipped: shared/corpus not found (set WEBACL_SHARED_DIR)");
        return;
    };
    let path = dir.join("../gotestwaf/testcases/false-pos/texts.yml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("skipped: {} not found", path.display());
        return;
    };
    #[derive(serde::Deserialize)]
    struct Texts {
        payload: Vec<String>,
    }
    let texts: Texts = serde_yaml::from_str(&text).expect("texts.yml parses");
    assert!(
        texts.payload.len() >= 40,
        "texts.yml has {} payloads",
        texts.payload.len()
    );
    let mut scratch = DetectScratch::default();
    for value in &texts.payload {
        for form in [value.as_bytes().to_vec(), url_decode(value.as_bytes())] {
            let shown = String::from_utf8_lossy(&form).into_owned();
            assert!(
                !sqli_at(&form, Sensitivity::Low, &mut scratch),
                "SQLi: {shown:?}"
            );
            assert!(!is_xss(&form, &mut scratch), "XSS: {shown:?}");
        }
    }
}

/// The verdicts with prefilters equal those without; libinjection's own verdict implies
/// High, and Low implies High.
fn assert_shortcuts_sound(input: &[u8], scratch: &mut DetectScratch) {
    let shown = || String::from_utf8_lossy(input).into_owned();
    let crate_verdict = libinjectionrs::detect_sqli(input).is_injection();
    let full_low = sqli::detect(input, Sensitivity::Low, &mut |_| {});
    let full_high = sqli::detect(input, Sensitivity::High, &mut |_| {});
    if full_low || full_high || crate_verdict {
        assert!(
            sqli_prefilter::may_be_sqli(input),
            "SQLi prefilter hides {:?}",
            shown()
        );
    }
    assert_eq!(
        sqli_at(input, Sensitivity::Low, scratch),
        full_low,
        "{:?}",
        shown()
    );
    assert_eq!(
        sqli_at(input, Sensitivity::High, scratch),
        full_high,
        "{:?}",
        shown()
    );
    assert!(
        !crate_verdict || full_high,
        "High misses libinjection's verdict: {:?}",
        shown()
    );
    assert!(
        !full_low || full_high,
        "High misses a Low detection: {:?}",
        shown()
    );
    let full_xss = libinjectionrs::detect_xss(input).is_injection();
    assert!(
        !full_xss || xss::may_be_xss(input),
        "XSS prefilter hides {:?}",
        shown()
    );
    assert_eq!(is_xss(input, scratch), full_xss, "{:?}", shown());
}

/// A small deterministic generator (xorshift64*).
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Pieces the generator strings together: SQL words (hot and quiet), number shapes, the
/// quiet punctuation, and (rarely) trigger bytes and HTML.
pub(super) const PIECES: &[&str] = &[
    " ",
    " ",
    " ",
    "1",
    "0x1f",
    "1e5",
    "1.",
    ".5",
    ".",
    "2.e3",
    "0b1",
    "a",
    "x",
    "abc",
    "_",
    "n",
    "e",
    "b",
    "q",
    "u",
    "N",
    "X",
    "select",
    "union",
    "all",
    "from",
    "or",
    "and",
    "by",
    "group",
    "order",
    "is",
    "not",
    "like",
    "sleep",
    "user",
    "true",
    "null",
    "in",
    "as",
    "boolean",
    "mode",
    "current",
    "date",
    "char",
    "sys.database_name",
    "dbms_lock.sleep",
    "=",
    "<",
    ">",
    "!",
    "+",
    "-",
    "*",
    "/",
    "%",
    "^",
    "~",
    "&",
    "|",
    ":",
    ",",
    "?",
    "]",
    "\t",
    "\n",
    "\u{a0}",
    "\u{7f}",
    "é",
    "<=>",
    "!=",
    "::",
    "'",
    "\"",
    "`",
    "#",
    "(",
    ")",
    ";",
    "@",
    "$",
    "\\",
    "{",
    "[",
    "<b",
    "onload",
    "script",
    "href",
    "javascript:",
];

#[test]
fn randomized_prefilter_soundness_and_no_panics() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut scratch = DetectScratch::default();
    let mut input = Vec::new();
    let mut said_no = 0;
    for _ in 0..20_000 {
        input.clear();
        let pieces = 1 + rng.below(9);
        for _ in 0..pieces {
            // Mostly quiet pieces, so that the interesting region (prefilter says no) is hit.
            let limit = if rng.below(4) == 0 {
                PIECES.len()
            } else {
                PIECES.len() - 20
            };
            input.extend_from_slice(PIECES[rng.below(limit)].as_bytes());
        }
        if rng.below(8) == 0 {
            input.push(rng.below(256) as u8);
        }
        assert_shortcuts_sound(&input, &mut scratch);
        if !sqli_prefilter::may_be_sqli(&input) {
            said_no += 1;
        }
    }
    // The generator must exercise the "no" side of the prefilter a fair amount.
    assert!(said_no > 2_000, "{said_no}");
}

#[test]
fn random_bytes_do_not_panic() {
    let mut rng = Rng(0xDEAD_BEEF_0000_0042);
    let mut scratch = DetectScratch::default();
    let mut matched = Vec::new();
    let mut input = Vec::new();
    for _ in 0..5_000 {
        input.clear();
        let len = rng.below(80);
        input.extend((0..len).map(|_| rng.below(256) as u8));
        is_sqli(&input, Sensitivity::High, &mut scratch, &mut matched);
        is_sqli(&input, Sensitivity::Low, &mut scratch, &mut matched);
        is_xss(&input, &mut scratch);
    }
}

/// Typical benign values (header values, query values, cookies, paths) for the throughput
/// report.
const BENIGN_VALUES: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    "gzip, deflate, br",
    "en-US,en;q=0.9",
    "keep-alive",
    "max-age=0",
    "session=8f14e45fceea167a5a36dedd4bea2543",
    "john.smith@example.com",
    "12345",
    "2024-01-15T10:30:00Z",
    "/api/v1/users/42/profile",
    "/static/css/main.3f2a1b.css",
    "hello world",
    "search terms for blue shoes",
    "New York",
    "550e8400-e29b-41d4-a716-446655440000",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
    "true",
    "https://www.example.com/page?ref=home",
    "O'Reilly",
];

/// Prints values per second; run by hand:
/// `cargo test --release --lib -- --ignored throughput --nocapture`.
#[test]
#[ignore = "timing report, run by hand in release mode"]
fn throughput() {
    use std::time::Instant;
    let mut sets: Vec<(String, Vec<Vec<u8>>)> = vec![(
        "typical benign values".into(),
        BENIGN_VALUES
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect(),
    )];
    if let Some(dir) = corpus_dir() {
        for prefix in ["false_positives", "sqli-", "xss-"] {
            let lines: Vec<Vec<u8>> = load(&dir, prefix)
                .into_iter()
                .flat_map(|(_, l)| l)
                .collect();
            sets.push((format!("{prefix}* lines"), lines));
        }
    }
    let mut scratch = DetectScratch::default();
    let mut matched = Vec::new();
    for (name, values) in &sets {
        let bytes: usize = values.iter().map(Vec::len).sum();
        let rounds = (2_000_000 / bytes.max(1)).clamp(1, 10_000);
        let no = values
            .iter()
            .filter(|v| !sqli_prefilter::may_be_sqli(v))
            .count();
        let no_xss = values.iter().filter(|v| !xss::may_be_xss(v)).count();
        println!(
            "{name}: {} values, avg {} bytes; SQLi prefilter says no to {:.1}%, XSS to {:.1}%",
            values.len(),
            bytes / values.len().max(1),
            100.0 * rate(no, values.len()),
            100.0 * rate(no_xss, values.len())
        );
        let time = |label: &str, f: &mut dyn FnMut(&[u8]) -> bool| {
            let start = Instant::now();
            let mut hits = 0usize;
            for _ in 0..rounds {
                for v in values {
                    hits += usize::from(f(std::hint::black_box(v)));
                }
            }
            let secs = start.elapsed().as_secs_f64();
            let n = (rounds * values.len()) as f64;
            println!(
                "  {label:30} {:>12.0} values/s  {:>8.3} us/value  ({hits} hits)",
                n / secs,
                1e6 * secs / n
            );
        };
        time("sqli low", &mut |v| {
            is_sqli(v, Sensitivity::Low, &mut scratch, &mut matched)
        });
        time("sqli high", &mut |v| {
            is_sqli(v, Sensitivity::High, &mut scratch, &mut matched)
        });
        // Ours beside the crate-based detector it replaced (same contexts, levels and
        // retry), behind the prefilter and without it (every value fully analysed).
        time("sqli low, crate analysis", &mut |v| {
            sqli_prefilter::may_be_sqli(v) && reference::detect(v, Sensitivity::Low, &mut |_| {})
        });
        time("sqli low, full analysis", &mut |v| {
            sqli::detect(v, Sensitivity::Low, &mut |_| {})
        });
        time("sqli low, full crate analysis", &mut |v| {
            reference::detect(v, Sensitivity::Low, &mut |_| {})
        });
        time("sqli crate detect_sqli", &mut |v| {
            libinjectionrs::detect_sqli(v).is_injection()
        });
        time("xss", &mut |v| is_xss(v, &mut scratch));
        time("xss crate", &mut |v| {
            libinjectionrs::detect_xss(v).is_injection()
        });
    }
}
