//! The `webacl` command line: parse arguments, call the library, map outcomes to exit codes.

use clap::{Parser, Subcommand, ValueEnum};
use std::io::{BufReader, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use webacl::compile::{BuildOptions, SearchStringEncoding, Source};

// The allocator is a build feature (Cargo.toml [features]): mimalloc by default, measured cheapest
// per proxied request; jemalloc on request; the system allocator with neither.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mi::MiMalloc = mi::MiMalloc;

/// mimalloc as the global allocator, through its plain entry points whenever those already give
/// the alignment asked for. The `mimalloc` crate calls `mi_malloc_aligned` for every allocation;
/// in mimalloc 3 that path is longer, and when a size class's free list runs dry it over-allocates
/// from a larger class instead of refilling (for sizes that are not powers of two), so the common
/// allocation paid for the aligned machinery it did not need.
#[cfg(feature = "mimalloc")]
mod mi {
    use libmimalloc_sys as ffi;
    use std::alloc::{GlobalAlloc, Layout};
    use std::ffi::c_void;

    /// Every mimalloc block is 8-byte aligned, and every block of 16 bytes or more 16-byte
    /// aligned (`MI_MAX_ALIGN_SIZE`): an alignment up to 16 that is no larger than the size is
    /// met by `mi_malloc` itself.
    const PLAIN_ALIGN: usize = 16;

    fn plain(align: usize, size: usize) -> bool {
        align <= PLAIN_ALIGN && align <= size
    }

    pub struct MiMalloc;

    // SAFETY: each method hands the request to mimalloc, using the aligned entry points whenever
    // the plain ones do not guarantee `layout.align()` (see `PLAIN_ALIGN`); mimalloc frees blocks
    // from either with `mi_free`.
    unsafe impl GlobalAlloc for MiMalloc {
        #[inline]
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            if plain(layout.align(), layout.size()) {
                ffi::mi_malloc(layout.size()).cast()
            } else {
                ffi::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }

        #[inline]
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            if plain(layout.align(), layout.size()) {
                ffi::mi_zalloc(layout.size()).cast()
            } else {
                ffi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }

        #[inline]
        unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
            ffi::mi_free(ptr.cast::<c_void>());
        }

        #[inline]
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            if plain(layout.align(), new_size) {
                ffi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                ffi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}
#[cfg(all(feature = "jemalloc", not(feature = "mimalloc")))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Enforce AWS WAFv2 Web ACLs exactly as AWS defines them.
///
/// The input is the JSON `aws wafv2 get-web-acl` prints; the output is AWS's verdicts and
/// AWS-format WAF log records.
#[derive(Parser)]
#[command(name = "webacl", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a Web ACL, print its capacity, and optionally replay requests through it.
    ///
    /// Without --requests: checks the ACL and prints a one-line summary (exit 0), or lists every
    /// problem with its JSON pointer on stderr (exit 2).
    ///
    /// With --requests FILE (one JSON request per line: the httpRequest object of an AWS WAF log,
    /// or a whole log record, plus optional "body"/"bodyBase64" and "timestamp"): prints one AWS WAF
    /// log record per request on stdout, in input order. Rate-based rules count by each request's
    /// "timestamp" (epoch ms), so a recorded log replays into the decisions its windows imply;
    /// requests without one count at the moment the replay started.
    ///
    /// Example:
    ///   webacl check --web-acl acl.json --resources ./resources --requests reqs.jsonl --explain
    Check(CheckArgs),
    /// List the managed rule groups webacl ships (open versions of AWS's, embedded in the binary).
    ///
    /// One line per group: vendor, name, published capacity (WCU), rule count and label namespace,
    /// then a total. Reference a group from a Web ACL with a ManagedRuleGroupStatement
    /// ({"VendorName": "AWS", "Name": "<name>"}; any Version is accepted).
    ///
    /// Example:
    ///   webacl rulesets --json
    Rulesets(RulesetsArgs),
    /// Run the inline reverse proxy: evaluate every request against the Web ACL, answer blocks,
    /// forward the rest, write one AWS WAF log record per request.
    ///
    /// With no flags it runs on embedded defaults: the starter Web ACL and a built-in echo
    /// upstream, and prints two curl commands (one allowed, one blocked).
    ///
    /// Example:
    ///   webacl serve --web-acl acl.json --upstream http://127.0.0.1:3000 --admin 127.0.0.1:9090
    Serve(Box<webacl::serve::ServeArgs>),
    /// Measure a Web ACL against attack and benign corpora: how many attacks it catches (true
    /// positives) and how many benign values it flags (false positives), per group, per rule,
    /// per placement, per encoder and per corpus file.
    ///
    /// CORPUS is a GoTestWAF `testcases/` directory (YAML test cases: payload × encoder ×
    /// placeholder; files under `false-pos/` are benign), a plain line list (one URL-encoded value
    /// per line, `#` comments: libinjection's format; `sqli-*`/`xss-*` are attacks,
    /// `false_positives*` benign), or a directory of either. Each line-list value is sent in six
    /// places: query argument, form body, JSON body, header, cookie and URI path. Nothing goes over
    /// the network: every test case is evaluated in-process, as `webacl check` does.
    ///
    /// A test case is caught when the final action is BLOCK, CAPTCHA or CHALLENGE. Cases that
    /// cannot be represented (gRPC, a header Go's client would refuse) are listed as skipped.
    /// Exit status: 0 when the run completed, 1 on unreadable corpus input, 2 on Web ACL errors.
    #[command(after_help = "Examples:
  webacl efficacy shared/corpus/gotestwaf/testcases
  webacl efficacy --web-acl acl.json --resources ./resources shared/corpus/libinjection/data
  webacl efficacy --attack probes.txt --benign traffic.txt --format json > report.json")]
    Efficacy(EfficacyArgs),
}

#[derive(Parser)]
struct CheckArgs {
    /// The Web ACL: output of `aws wafv2 get-web-acl` or a bare WebACL object.
    #[arg(long, value_name = "FILE")]
    web_acl: PathBuf,
    /// Directory of `get-ip-set`, `get-regex-pattern-set` and `get-rule-group` outputs (*.json),
    /// resolved by ARN.
    #[arg(long, value_name = "DIR")]
    resources: Option<PathBuf>,
    /// Requests to replay, one JSON object per line ("-" reads stdin).
    #[arg(long, value_name = "FILE")]
    requests: Option<PathBuf>,
    /// Print, per request, a readable trace of every rule on stderr.
    #[arg(long)]
    explain: bool,
    /// The AWS resource type to behave as; fixes the body inspection limit (ALB: 8 KB; others 16 KB
    /// unless AssociationConfig raises it).
    #[arg(long, value_enum, default_value_t = SourceArg::Alb)]
    source: SourceArg,
    /// `httpSourceId` written in log records.
    #[arg(long, default_value = "webacl", value_name = "ID")]
    source_id: String,
    /// How ByteMatchStatement.SearchString is encoded: base64 (as `aws wafv2 get-web-acl` prints)
    /// or text (console JSON exports).
    #[arg(long, value_enum, default_value_t = EncodingArg::Base64)]
    search_string_encoding: EncodingArg,
    /// Treat managed rule groups webacl does not ship as groups that never match, instead of
    /// rejecting the ACL.
    #[arg(long)]
    allow_missing_managed: bool,
}

#[derive(Parser)]
struct EfficacyArgs {
    /// Corpus files or directories (labelled by name; see above).
    #[arg(value_name = "CORPUS")]
    corpus: Vec<PathBuf>,
    /// The Web ACL to measure [default: the embedded starter ACL, rulesets/starter-acl.json].
    #[arg(long, value_name = "FILE")]
    web_acl: Option<PathBuf>,
    /// Directory of `get-ip-set`, `get-regex-pattern-set` and `get-rule-group` outputs.
    #[arg(long, value_name = "DIR")]
    resources: Option<PathBuf>,
    /// A line list (or YAML file) of attacks, whatever its name (repeatable).
    #[arg(long, value_name = "FILE")]
    attack: Vec<PathBuf>,
    /// A line list (or YAML file) of benign values, whatever its name (repeatable).
    #[arg(long, value_name = "FILE")]
    benign: Vec<PathBuf>,
    /// text: aligned tables; json: the same figures for machines.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    /// Also write one JSON line per test case to FILE: file, placement, encoder, expected,
    /// payload, and the action and terminating rule (or why it was skipped).
    #[arg(long, value_name = "FILE")]
    cases: Option<PathBuf>,
    /// No progress on stderr (by default a bar on a terminal, a line every 10% otherwise).
    #[arg(long)]
    no_progress: bool,
    /// The AWS resource type to behave as; fixes the body inspection limit.
    #[arg(long, value_enum, default_value_t = SourceArg::Alb)]
    source: SourceArg,
    /// How ByteMatchStatement.SearchString is encoded in the Web ACL.
    #[arg(long, value_enum, default_value_t = EncodingArg::Base64)]
    search_string_encoding: EncodingArg,
    /// Treat managed rule groups webacl does not ship as groups that never match.
    #[arg(long)]
    allow_missing_managed: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Json,
}

#[derive(Parser)]
struct RulesetsArgs {
    /// Print JSON ({"ManagedRuleGroups": [...], "Total": {...}}) instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum SourceArg {
    Alb,
    Appsync,
    Cloudfront,
    ApiGateway,
    Cognito,
    AppRunner,
    VerifiedAccess,
}

#[derive(Clone, Copy, ValueEnum)]
enum EncodingArg {
    Base64,
    Text,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WEBACL_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check(args),
        Command::Rulesets(args) => rulesets(args),
        Command::Efficacy(args) => efficacy(args),
        Command::Serve(args) => match webacl::serve::run(*args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(e.exit_code())
            }
        },
    }
}

fn rulesets(args: RulesetsArgs) -> ExitCode {
    match webacl::managed::Listing::shipped() {
        Ok(list) if args.json => {
            println!("{:#}", list.json());
            ExitCode::SUCCESS
        }
        Ok(list) => {
            print!("{}", list.text());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn build_options(
    source: SourceArg,
    encoding: EncodingArg,
    allow_missing_managed: bool,
) -> BuildOptions {
    BuildOptions {
        source: match source {
            SourceArg::Alb => Source::Alb,
            SourceArg::Appsync => Source::AppSync,
            SourceArg::Cloudfront => Source::CloudFront,
            SourceArg::ApiGateway => Source::ApiGateway,
            SourceArg::Cognito => Source::CognitoUserPool,
            SourceArg::AppRunner => Source::AppRunnerService,
            SourceArg::VerifiedAccess => Source::VerifiedAccessInstance,
        },
        search_string: match encoding {
            EncodingArg::Base64 => SearchStringEncoding::Base64,
            EncodingArg::Text => SearchStringEncoding::Text,
        },
        allow_missing_managed,
        rate_store: None,
    }
}

fn efficacy(args: EfficacyArgs) -> ExitCode {
    use webacl::efficacy::{corpus, progress, report::Report};
    let inputs: Vec<corpus::Input> = (args.corpus.into_iter().map(|p| (p, None)))
        .chain(
            args.attack
                .into_iter()
                .map(|p| (p, Some(corpus::Expect::Attack))),
        )
        .chain(
            args.benign
                .into_iter()
                .map(|p| (p, Some(corpus::Expect::Benign))),
        )
        .map(|(path, expect)| corpus::Input { path, expect })
        .collect();
    if inputs.is_empty() {
        eprintln!("error: name at least one corpus (CORPUS, --attack FILE or --benign FILE); see webacl efficacy --help");
        return ExitCode::from(1);
    }
    let opts = build_options(
        args.source,
        args.search_string_encoding,
        args.allow_missing_managed,
    );
    let (acl, acl_label) =
        match webacl::efficacy::load_acl(args.web_acl.as_deref(), args.resources.as_deref(), &opts)
        {
            Ok(loaded) => loaded,
            Err(diags) => {
                for d in &diags {
                    eprintln!("error: {d}");
                }
                eprintln!(
                    "{} problem(s) found; the Web ACL was not loaded.",
                    diags.len()
                );
                return ExitCode::from(2);
            }
        };
    let corpus = match corpus::load(&inputs) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    for w in &corpus.warnings {
        eprintln!("warning: {w}");
    }
    let total = corpus.case_count();
    if total == 0 {
        eprintln!(
            "error: the corpus holds no test case (files not read: {})",
            corpus.unread.len()
        );
        for u in &corpus.unread {
            eprintln!("  {}: {}", u.file, u.reason);
        }
        return ExitCode::from(1);
    }
    let style = if args.no_progress {
        progress::Style::Off
    } else if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        progress::Style::Bar
    } else {
        progress::Style::Lines
    };
    let mut cases_out = match &args.cases {
        None => None,
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Some(std::io::BufWriter::new(f)),
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", path.display());
                return ExitCode::from(1);
            }
        },
    };
    let mut bar = progress::Progress::new(std::io::stderr(), style, total);
    let sink = cases_out.as_mut().map(|w| w as &mut dyn std::io::Write);
    let outcome = match webacl::efficacy::run(&acl, &corpus, &mut bar, sink).and_then(|o| {
        cases_out
            .map_or(Ok(()), |mut w| std::io::Write::flush(&mut w))
            .map(|()| o)
    }) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: writing --cases: {e}");
            return ExitCode::from(1);
        }
    };
    bar.finish();
    let report = Report::new(&acl, &acl_label, &corpus, &outcome);
    match args.format {
        FormatArg::Text => print!("{}", report.text()),
        FormatArg::Json => println!("{:#}", report.json()),
    }
    ExitCode::SUCCESS
}

fn check(args: CheckArgs) -> ExitCode {
    let opts = build_options(
        args.source,
        args.search_string_encoding,
        args.allow_missing_managed,
    );
    let acl = match webacl::check::load_acl(&args.web_acl, args.resources.as_deref(), &opts) {
        Ok(acl) => acl,
        Err(diags) => {
            for d in &diags {
                eprintln!("error: {d}");
            }
            eprintln!(
                "{} problem(s) found; the Web ACL was not loaded.",
                diags.len()
            );
            return ExitCode::from(2);
        }
    };
    let Some(requests) = args.requests else {
        println!("{}", webacl::check::summary(&acl));
        return ExitCode::SUCCESS;
    };
    let input: Box<dyn Read> = if requests.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        match std::fs::File::open(&requests) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", requests.display());
                return ExitCode::from(1);
            }
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut stderr = std::io::stderr();
    let explain: Option<&mut dyn std::io::Write> = if args.explain {
        Some(&mut stderr)
    } else {
        None
    };
    match webacl::check::replay(
        &acl,
        BufReader::new(input),
        &mut out,
        explain,
        &args.source_id,
    ) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(bad) => {
            eprintln!("error: {bad} request line(s) could not be read (see above)");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
