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
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
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

fn check(args: CheckArgs) -> ExitCode {
    let opts = BuildOptions {
        source: match args.source {
            SourceArg::Alb => Source::Alb,
            SourceArg::Appsync => Source::AppSync,
            SourceArg::Cloudfront => Source::CloudFront,
            SourceArg::ApiGateway => Source::ApiGateway,
            SourceArg::Cognito => Source::CognitoUserPool,
            SourceArg::AppRunner => Source::AppRunnerService,
            SourceArg::VerifiedAccess => Source::VerifiedAccessInstance,
        },
        search_string: match args.search_string_encoding {
            EncodingArg::Base64 => SearchStringEncoding::Base64,
            EncodingArg::Text => SearchStringEncoding::Text,
        },
        allow_missing_managed: args.allow_missing_managed,
        rate_store: None,
    };
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
