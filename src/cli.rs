//! Command-line interface: clap definitions, parsed once into plain values.

use crate::report::FailOn;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::time::Duration;

const AFTER_HELP: &str = "\
Examples:
  bedrock-doctor --region us-east-1 --model anthropic.claude-3-5-sonnet-20240620-v1:0
  bedrock-doctor --profile prod --model us.amazon.nova-pro-v1:0 --output json
  bedrock-doctor --app claude-code                   # what Claude Code will call, as it calls
  bedrock-doctor --only credentials,identity        # just: who am I?
  bedrock-doctor --fail-on warn --output json > doctor.json   # CI preflight

Standard AWS settings apply as in every AWS tool: AWS_PROFILE, AWS_REGION,
AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN,
AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>, AWS_CONFIG_FILE,
AWS_SHARED_CREDENTIALS_FILE, AWS_EC2_METADATA_DISABLED, HTTPS_PROXY; NO_COLOR
turns colour off.

Exit codes: 0 healthy, 1 problems found (at or above --fail-on), 2 the doctor
could not run (bad usage), 3 nothing failed but some checks could not run.";

#[derive(Debug, Parser)]
#[command(
    name = "bedrock-doctor",
    version,
    about = "Finds out why Amazon Bedrock says no, and tells you the fix.",
    long_about = "Finds out why Amazon Bedrock says no, and tells you the fix.\n\n\
Runs ordered checks against your AWS account (configuration, credentials, API keys, the \
model and its lifecycle, inference profiles, access, IAM, SCPs, Marketplace, quotas and a \
minimal test call) and prints one row per check with its cause and the exact fix. \
Every check only reads; nothing in your account is changed.",
    after_help = AFTER_HELP,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub doctor: DoctorArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the doctor against a simulated AWS account: see it work without an AWS account
    #[command(
        after_help = "Examples:\n  bedrock-doctor demo                      # the seed story: an image Lambda with several problems\n  bedrock-doctor demo --list               # every scenario, one a line\n  bedrock-doctor demo throttled --output json"
    )]
    Demo(Box<DemoArgs>),
    /// The simulated AWS account: a loopback server speaking AWS's wire protocols
    #[command(subcommand)]
    Sim(SimCommand),
    /// List the checks and the cause codes
    List,
    /// Print the least-privilege IAM policy the doctor needs (for `aws iam create-policy`)
    #[command(
        after_help = "Examples:\n  bedrock-doctor policy > doctor-policy.json\n  aws iam create-policy --policy-name bedrock-doctor --policy-document file://doctor-policy.json\n  bedrock-doctor policy --skip invoke     # a preflight that never calls a model"
    )]
    Policy(PolicyArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    Man,
    /// Explain a Bedrock error message: likely causes, the fix, and the command that confirms it
    #[command(after_help = EXPLAIN_HELP)]
    Explain(ExplainArgs),
    /// Check a request body offline against the model's request schema
    #[command(after_help = LINT_HELP)]
    Lint(LintArgs),
    /// The offline model catalog that explain and lint judge lifecycles with
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Join JSON reports (of --accounts runs, or single accounts) into one: shards of an
    /// organization checked on several machines
    #[command(
        after_help = "Examples:\n  bedrock-doctor --accounts ou:ou-ab12-prod0001 --assume-role BedrockDoctorAudit -o json --output-file prod.json\n  bedrock-doctor --accounts ou:ou-ab12-dev00001 --assume-role BedrockDoctorAudit -o json --output-file dev.json\n  bedrock-doctor merge prod.json dev.json -o csv > organization.csv\n\nThe exit code is the doctor's, computed over every account (see --fail-on)."
    )]
    Merge(MergeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// JSON reports written by `bedrock-doctor -o json` (one or more)
    #[arg(value_name = "REPORT.json", required = true, num_args = 1..)]
    pub reports: Vec<std::path::PathBuf>,

    /// Format of the joined report
    #[arg(long, short = 'o', value_enum, default_value_t = ReportFormat::Json)]
    pub output: ReportFormat,

    /// Exit with 1 when a check of any account is at or above this level
    #[arg(long, value_enum, default_value_t = FailOn::Fail)]
    pub fail_on: FailOn,

    /// Colour the table: auto means when stdout is a terminal and NO_COLOR is unset
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Read the live account's model and profile lists and cache them for explain and lint
    #[command(
        after_help = "Examples:\n  bedrock-doctor catalog refresh                      # the configured region\n  bedrock-doctor catalog refresh --regions all        # every region that offers Bedrock\n  bedrock-doctor catalog refresh --profile prod --regions us-east-1,eu-west-1\n\nIt makes only read calls the doctor's policy allows (bedrock:ListFoundationModels,\nbedrock:ListInferenceProfiles) and writes the cache under the platform's cache\ndirectory (BEDROCK_DOCTOR_CACHE_DIR overrides it)."
    )]
    Refresh(CatalogRefreshArgs),
    /// Which catalog explain and lint use, and how old it is
    Status,
}

#[derive(Debug, Clone, Args)]
pub struct CatalogRefreshArgs {
    /// Region to read (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Named profile from the shared AWS config files
    #[arg(long)]
    pub profile: Option<String>,

    /// Read these regions instead (comma-separated), or `all`
    #[arg(long, value_name = "LIST|all", value_delimiter = ',', value_parser = parse_regions_item)]
    pub regions: Vec<String>,

    /// Send every AWS call to this endpoint (a local simulator)
    #[arg(long, value_name = "URL", value_parser = parse_endpoint)]
    pub endpoint_url: Option<String>,

    /// Deadline for each call
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = parse_duration)]
    pub timeout: Duration,
}

#[derive(Debug, Clone, Args)]
pub struct PolicyArgs {
    /// Only the checks that will run (comma-separated ids), plus what they need
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub only: Vec<String>,

    /// Leave these checks out (comma-separated ids)
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub skip: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Scenario name (see --list) or a scenario TOML file
    #[arg(value_name = "SCENARIO", default_value = "seed-image-lambda")]
    pub scenario: String,

    /// List the built-in scenarios, one a line: name, then what is wrong
    #[arg(long)]
    pub list: bool,

    #[command(flatten)]
    pub doctor: DoctorArgs,
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve a scenario on loopback until stopped (Ctrl-C)
    #[command(
        after_help = "Examples:\n  bedrock-doctor sim serve --scenario throttled --port 4566\n  AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_REGION=us-east-1 \\\n    AWS_ACCESS_KEY_ID=AKIASIMULATOR0000000 AWS_SECRET_ACCESS_KEY=x python my_app.py"
    )]
    Serve(ServeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Scenario name (see `bedrock-doctor demo --list`) or a scenario TOML file
    #[arg(long, value_name = "NAME|FILE", default_value = "healthy")]
    pub scenario: String,

    /// Port on 127.0.0.1 (0 picks a free one)
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// Extra latency added to every response, in milliseconds
    #[arg(long, value_name = "MS")]
    pub latency_ms: Option<u64>,

    /// Append every request served to this file, one JSON object a line
    #[arg(long, value_name = "FILE")]
    pub log: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// AWS region to check (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Run the model checks in several regions at once: a comma-separated list, or `all`
    /// (every region that offers Bedrock); account checks run once, in the first region
    #[arg(
        long,
        value_name = "LIST|all",
        value_delimiter = ',',
        conflicts_with = "region",
        value_parser = parse_regions_item
    )]
    pub regions: Vec<String>,

    /// Named profile from ~/.aws/config (default: AWS_PROFILE, then `default`)
    #[arg(long, value_name = "NAME", value_parser = parse_profile)]
    pub profile: Option<String>,

    /// Model to check: a model id, an inference profile id or an ARN (repeatable);
    /// `all` checks every model the region offers (the onboarding view)
    #[arg(long = "model", short = 'm', value_name = "MODEL")]
    pub models: Vec<String>,

    /// At most N requests in flight per service and region (AWS rate-limits each API per
    /// region); throttled requests are retried with backoff
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,

    /// Check this IAM principal's permissions instead of the caller's: the role of the
    /// Lambda function, ECS task or CI job that will call Bedrock
    #[arg(long, value_name = "ARN", value_parser = parse_principal)]
    pub principal: Option<String>,

    /// Send every AWS call to this endpoint (VPC endpoints, proxies, local simulators)
    #[arg(long, value_name = "URL", value_parser = parse_endpoint)]
    pub endpoint_url: Option<String>,

    /// Run only these checks (comma-separated ids), plus the checks they need
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub only: Vec<String>,

    /// Do not run these checks (comma-separated ids)
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub skip: Vec<String>,

    /// Make no runtime call at all (CI jobs that must not spend)
    #[arg(long)]
    pub no_invoke: bool,

    /// Also send the test call to image and video models (each call costs money)
    #[arg(long)]
    pub invoke_images: bool,

    /// Make the test call the way streaming applications do (ConverseStream, or
    /// InvokeModelWithResponseStream for a --body), read the stream to its end, and report the
    /// time to the first token and in all; errors inside the stream are findings too
    #[arg(long)]
    pub stream: bool,

    /// Send the test call in this service tier, as your application does (the tier must be
    /// offered for the model: see its model card)
    #[arg(long, value_enum, value_name = "TIER")]
    pub service_tier: Option<ServiceTier>,

    /// Check the guardrail your application attaches (ID or ARN, with :VERSION, default
    /// DRAFT): it exists and is READY in the region, the caller may apply it, and the test call
    /// carries it, so a block is reported as content-filtered naming it
    #[arg(long, value_name = "ID[:VERSION]", value_parser = parse_guardrail)]
    pub guardrail: Option<GuardrailRef>,

    /// Check a knowledge base your application queries (its 10-character id): it and its data
    /// sources are ready, the latest ingestion jobs, its service role's trust and embedding
    /// model, and whether the principal may Retrieve from it
    #[arg(long, value_name = "ID", value_parser = parse_knowledge_base)]
    pub knowledge_base: Option<String>,

    /// With --knowledge-base: one Retrieve call with this text (read-only), to see how many
    /// results come back and their scores ("sync succeeded but retrieval returns nothing")
    #[arg(long, value_name = "TEXT", requires = "knowledge_base", value_parser = parse_kb_query)]
    pub kb_query: Option<String>,

    /// Check the Lambda function that calls Bedrock (name or ARN): its role becomes the
    /// principal, its region and the model ids in its environment the run's (unless given),
    /// and its timeout is compared with the model's latency
    #[arg(long, value_name = "NAME|ARN", value_parser = parse_lambda)]
    pub lambda: Option<LambdaRef>,

    /// Read an application's own Bedrock settings the way it reads them, and check what it
    /// will call: its region, its models, its identity, called as it calls them (claude-code:
    /// its settings files, env blocks and model variables; it streams with
    /// InvokeModelWithResponseStream)
    #[arg(long, value_enum, value_name = "APP")]
    pub app: Option<AppKind>,

    /// With --app: where the application's settings are (claude-code: the project directory
    /// whose .claude/ it reads, default: the current directory; litellm: its config.yaml)
    #[arg(long, value_name = "PATH", requires = "app")]
    pub app_config: Option<std::path::PathBuf>,

    /// The Bedrock endpoint your application calls: runtime (bedrock-runtime: InvokeModel,
    /// Converse) or mantle (bedrock-mantle.<region>.api.aws, the OpenAI-compatible one). With
    /// mantle, each model gets the `mantle` check: bedrock-mantle:CreateInference simulated and
    /// one chat completion, instead of the bedrock-runtime checks
    #[arg(long, value_enum, value_name = "KIND", default_value_t = EndpointKind::Runtime)]
    pub endpoint_kind: EndpointKind,

    /// Check several accounts in one run: a comma-separated list of account ids, `org`
    /// (every account of the organization) or `ou:ID` (the accounts under an OU,
    /// recursively); each is entered with --assume-role. Listing needs the management
    /// account or a delegated administrator
    #[arg(long, value_name = "LIST|org|ou:ID", value_parser = parse_accounts, requires = "assume_role")]
    pub accounts: Option<AccountSet>,

    /// With --accounts: the role to enter in each account (its name; the same in every
    /// account, e.g. deployed by a StackSet), with sts:AssumeRole from the caller's identity
    #[arg(long, value_name = "NAME", value_parser = parse_role_name, requires = "accounts")]
    pub assume_role: Option<String>,

    /// With --assume-role: the external id the roles' trust policies ask for
    #[arg(long, value_name = "ID", value_parser = parse_external_id, requires = "assume_role")]
    pub external_id: Option<String>,

    /// With --assume-role: the session name (shows in CloudTrail; default bedrock-doctor)
    #[arg(long, value_name = "NAME", value_parser = parse_session_name, requires = "assume_role")]
    pub role_session_name: Option<String>,

    /// With --accounts: at most N accounts checked at once (each still at most --concurrency
    /// requests per service), so a large organization neither exhausts memory nor trips STS
    /// rate limits
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024), requires = "accounts")]
    pub account_concurrency: u16,

    /// Send this request body (JSON) with InvokeModel instead of the minimal probe, to
    /// reproduce a failing request exactly
    #[arg(long, value_name = "FILE")]
    pub body: Option<std::path::PathBuf>,

    /// How far back to read CloudWatch for throttling and quota headroom (at most 15d)
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_window)]
    pub window: Duration,

    /// Deadline for the whole run, e.g. 30s, 2m
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Deadline for each check, e.g. 10s
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = parse_duration)]
    pub check_timeout: Duration,

    /// Report format (junit, sarif and markdown are for CI)
    #[arg(long, short = 'o', value_enum, default_value_t = ReportFormat::Table)]
    pub output: ReportFormat,

    /// Write the report (in --output's format) to this file; the table still goes to the terminal
    #[arg(long, value_name = "PATH")]
    pub output_file: Option<std::path::PathBuf>,

    /// Settings and mutes from this file (default: ./bedrock-doctor.toml when it exists)
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// Mutes from the config file (not a flag).
    #[arg(skip)]
    pub mutes: Vec<crate::report::Mute>,

    /// Re-run the failing checks until they pass or this much time has passed (IAM changes
    /// and Marketplace subscriptions take minutes to propagate)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub wait: Option<Duration>,

    /// Exit with 1 when a check is at or above this level
    #[arg(long, value_enum, default_value_t = FailOn::Fail)]
    pub fail_on: FailOn,

    /// Colour the table: auto means when stdout is a terminal and NO_COLOR is unset
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// More detail: -v shows every check's observations, the AWS calls that were retried
    /// and the run's critical path; -vv logs each AWS call with its time; -vvv the SDK's
    #[arg(short, long, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Less output: only checks that are not `pass`
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub quiet: u8,
}

impl DoctorArgs {
    /// The same model or region named twice is checked once (`--model X --model X`,
    /// `--regions us-east-1,us-east-1`), in the order first given.
    pub fn without_repeats(&self) -> DoctorArgs {
        fn first_of_each(values: &mut Vec<String>) {
            let mut seen = std::collections::HashSet::new();
            values.retain(|v| seen.insert(v.clone()));
        }
        let mut args = self.clone();
        first_of_each(&mut args.models);
        first_of_each(&mut args.regions);
        args
    }
}

/// `--accounts`: the accounts to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountSet {
    Ids(Vec<String>),
    /// Every account of the organization.
    Organization,
    /// The accounts under this OU (or root), recursively.
    OrganizationalUnit(String),
}

impl AccountSet {
    /// As it was given.
    pub fn label(&self) -> String {
        match self {
            AccountSet::Ids(ids) => ids.join(","),
            AccountSet::Organization => "org".into(),
            AccountSet::OrganizationalUnit(ou) => format!("ou:{ou}"),
        }
    }
}

/// `--accounts`: ids are 12 digits; OU ids `ou-` + 4-32 of [0-9a-z] + `-` + 8-32 of [0-9a-z],
/// root ids `r-` + 4-32 (Organizations API reference, ListAccountsForParent's ParentId).
pub fn parse_accounts(s: &str) -> Result<AccountSet, String> {
    let s = s.trim();
    if s == "org" {
        return Ok(AccountSet::Organization);
    }
    if let Some(ou) = s.strip_prefix("ou:") {
        let alnum = |p: &str, min: usize, max: usize| {
            (min..=max).contains(&p.len())
                && p.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        };
        let parts: Vec<&str> = ou.split('-').collect();
        let ok = match parts.as_slice() {
            ["ou", a, b] => alnum(a, 4, 32) && alnum(b, 8, 32),
            ["r", a] => alnum(a, 4, 32),
            _ => false,
        };
        if !ok {
            return Err(format!(
                "`{}` is not an OU id (ou-abcd-12345678) or a root id (r-abcd)",
                ou.escape_debug()
            ));
        }
        return Ok(AccountSet::OrganizationalUnit(ou.to_string()));
    }
    let ids: Vec<String> = s.split(',').map(|i| i.trim().to_string()).collect();
    if let Some(bad) = ids
        .iter()
        .find(|i| i.len() != 12 || !i.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!(
            "`{}` is not an account id (12 digits); give a comma-separated list, `org` or `ou:ID`",
            bad.escape_debug()
        ));
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != ids.len() {
        return Err("an account id is given twice".into());
    }
    Ok(AccountSet::Ids(ids))
}

/// IAM role names: 1-64 of letters, digits and `+=,.@_-` (IAM API reference, CreateRole).
pub fn parse_role_name(s: &str) -> Result<String, String> {
    let ok = (1..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if ok {
        Ok(s.to_string())
    } else if s.starts_with("arn:") {
        Err(format!(
            "`{}` is an ARN; --assume-role takes the role's name (the same in every account)",
            s.escape_debug()
        ))
    } else {
        Err(format!(
            "`{}` is not an IAM role name (1-64 letters, digits and +=,.@_-)",
            s.escape_debug()
        ))
    }
}

/// STS ExternalId: 2-1224 of letters, digits and `+=,.@:/_-` (API_AssumeRole.html).
pub fn parse_external_id(s: &str) -> Result<String, String> {
    let ok = (2..=1224).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@:/_-".contains(c));
    ok.then(|| s.to_string()).ok_or_else(|| {
        format!(
            "`{}` is not an external id (2-1224 letters, digits and +=,.@:/_-)",
            s.escape_debug()
        )
    })
}

/// STS RoleSessionName: 2-64 of letters, digits and `+=,.@_-` (API_AssumeRole.html).
pub fn parse_session_name(s: &str) -> Result<String, String> {
    let ok = (2..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    ok.then(|| s.to_string()).ok_or_else(|| {
        format!(
            "`{}` is not a role session name (2-64 letters, digits and +=,.@_-)",
            s.escape_debug()
        )
    })
}

/// The Bedrock endpoints an application can call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EndpointKind {
    /// bedrock-runtime (the SDKs' InvokeModel, Converse and their streaming forms)
    Runtime,
    /// bedrock-mantle (OpenAI-compatible chat completions and responses, Anthropic messages)
    Mantle,
}

/// The applications `--app` knows (their readers are in src/apps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AppKind {
    /// Claude Code with CLAUDE_CODE_USE_BEDROCK: its settings files, env blocks and model
    /// variables; it streams with InvokeModelWithResponseStream
    ClaudeCode,
    /// A LiteLLM proxy (--app-config config.yaml): each Bedrock entry of its model_list, in
    /// its own region, with its own route (Converse or InvokeModel)
    Litellm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Table,
    Json,
}

/// The doctor's report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Junit,
    Sarif,
    Markdown,
    /// One row per account, one column per model: `usable` or the cause codes (spreadsheets)
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| {
        format!(
            "`{}` is not a duration ({e}); use e.g. 500ms, 30s, 2m",
            s.escape_debug()
        )
    })?;
    if d.is_zero() {
        return Err(format!(
            "`{}` is zero; give a positive duration such as 30s",
            s.escape_debug()
        ));
    }
    if d > Duration::from_secs(24 * 3600) {
        return Err(format!("`{}` is longer than a day", s.escape_debug()));
    }
    Ok(d)
}

/// CloudWatch keeps one-minute datapoints for 15 days.
/// Bedrock's service tiers (docs: service-tiers-inference.html): `default` is Standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ServiceTier {
    Priority,
    Default,
    Flex,
    Reserved,
}

impl ServiceTier {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceTier::Priority => "priority",
            ServiceTier::Default => "default",
            ServiceTier::Flex => "flex",
            ServiceTier::Reserved => "reserved",
        }
    }
}

pub fn parse_window(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| {
        format!(
            "`{}` is not a duration ({e}); use e.g. 1h, 24h, 7d",
            s.escape_debug()
        )
    })?;
    if d < Duration::from_secs(60) || d > Duration::from_secs(15 * 86_400) {
        return Err(format!(
            "`{}` is outside 1m..15d (CloudWatch keeps one-minute data for 15 days)",
            s.escape_debug()
        ));
    }
    Ok(d)
}

/// One item of --regions: a region name or `all`. Here rather than in the run, so a bad
/// item is a usage error before anything starts.
fn parse_regions_item(s: &str) -> Result<String, String> {
    if s == "all" || crate::aws::region_looks_valid(s) {
        Ok(s.to_string())
    } else {
        Err(format!("`{}` is not a region name", s.escape_debug()))
    }
}

pub fn parse_profile(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.+@/".contains(c));
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!("`{}` is not a profile name", s.escape_debug()))
    }
}

pub fn parse_principal(s: &str) -> Result<String, String> {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    // IAM names and paths are printable ASCII without spaces.
    let ok = parts.len() == 6
        && s.bytes().all(|b| b.is_ascii_graphic())
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && matches!(parts[2], "iam" | "sts")
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && ["role/", "user/", "assumed-role/"]
            .iter()
            .any(|p| parts[5].starts_with(p));
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{}` is not an IAM role or user ARN (arn:aws:iam::123456789012:role/path/name)",
            s.escape_debug()
        ))
    }
}

/// A Lambda function as `--lambda` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaRef {
    /// What GetFunctionConfiguration is given: the name or the ARN as written.
    pub function: String,
    /// The region of an ARN.
    pub region: Option<String>,
}

/// A function name (`[a-zA-Z0-9-_]{1,64}`, optionally `:qualifier`) or a function ARN
/// (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]), as the Lambda API accepts them.
pub fn parse_lambda(s: &str) -> Result<LambdaRef, String> {
    let bad = |why: &str| format!("`{}` is not a Lambda function: {why}", s.escape_debug());
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.len() <= 64
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let qualifier_ok = |q: &str| {
        !q.is_empty()
            && q.len() <= 128
            && q.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_$.".contains(&b))
    };
    let (name, qualifier, region) = match s.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.split(':').collect();
            let ok = (6..=7).contains(&parts.len())
                && parts[0].starts_with("aws")
                && parts[1] == "lambda"
                && crate::aws::region_looks_valid(parts[2])
                && parts[3].len() == 12
                && parts[3].bytes().all(|b| b.is_ascii_digit())
                && parts[4] == "function";
            if !ok {
                return Err(bad(
                    "an ARN looks like arn:aws:lambda:us-east-1:123456789012:function:my-function",
                ));
            }
            (parts[5], parts.get(6).copied(), Some(parts[2].to_string()))
        }
        None => match s.split_once(':') {
            Some((n, q)) => (n, Some(q), None),
            None => (s, None, None),
        },
    };
    if !name_ok(name) {
        return Err(bad(
            "a function name is 1 to 64 letters, digits, `-` or `_`",
        ));
    }
    if qualifier.is_some_and(|q| !qualifier_ok(q)) {
        return Err(bad("the qualifier after `:` is a version or alias"));
    }
    Ok(LambdaRef {
        function: s.to_string(),
        region,
    })
}

/// A knowledge base id: 10 letters or digits (KnowledgeBaseId in the Bedrock Agents API).
pub fn parse_knowledge_base(s: &str) -> Result<String, String> {
    if s.len() == 10 && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{}` is not a knowledge base id (10 letters or digits, as aws bedrock-agent list-knowledge-bases prints it)",
            s.escape_debug()
        ))
    }
}

/// A Retrieve query: 1 to 20,000 characters (RetrievalQuery's text).
pub fn parse_kb_query(s: &str) -> Result<String, String> {
    if s.trim().is_empty() || s.chars().count() > 20_000 {
        Err("--kb-query needs 1 to 20000 characters of text".to_string())
    } else {
        Ok(s.to_string())
    }
}

/// A guardrail as `--guardrail` names it: its id (or ARN) and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardrailRef {
    pub id: String,
    /// Set when it was given as an ARN: (partition, region, account).
    pub arn_parts: Option<(String, String, String)>,
    /// `DRAFT` or a number 1..=99999999.
    pub version: String,
}

impl GuardrailRef {
    /// Its ARN, in `region` of `account` unless it was given as an ARN
    /// (arn:aws:bedrock:REGION:ACCOUNT:guardrail/ID).
    pub fn arn(&self, region: &str, account: &str) -> String {
        match &self.arn_parts {
            Some((partition, r, a)) => {
                format!("arn:{partition}:bedrock:{r}:{a}:guardrail/{}", self.id)
            }
            None => format!(
                "arn:{}:bedrock:{region}:{account}:guardrail/{}",
                crate::catalog::partition(region),
                self.id
            ),
        }
    }

    /// The guardrail as a call names it: its ARN when it was given as one, else its id.
    pub fn identifier(&self) -> String {
        match &self.arn_parts {
            Some((partition, region, account)) => {
                format!(
                    "arn:{partition}:bedrock:{region}:{account}:guardrail/{}",
                    self.id
                )
            }
            None => self.id.clone(),
        }
    }

    /// What the call presents as `bedrock:GuardrailIdentifier`: the ARN, `:`, the version
    /// (docs: guardrails-permissions-id.html).
    pub fn condition_value(&self, region: &str, account: &str) -> String {
        format!("{}:{}", self.arn(region, account), self.version)
    }
}

/// `ID[:VERSION]` or `ARN[:VERSION]` with AWS's patterns: an id is `[a-z0-9]+`, a version
/// `DRAFT` or `[1-9][0-9]{0,7}` (GuardrailIdentifier, GuardrailVersion in the Bedrock API).
pub fn parse_guardrail(s: &str) -> Result<GuardrailRef, String> {
    let bad = |why: &str| format!("`{}` is not a guardrail: {why}", s.escape_debug());
    let (head, arn_parts) = match s.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            let ok = parts.len() == 5
                && parts[0].starts_with("aws")
                && parts[1] == "bedrock"
                && !parts[2].is_empty()
                && parts[3].len() == 12
                && parts[3].bytes().all(|b| b.is_ascii_digit());
            let Some(tail) = parts
                .get(4)
                .and_then(|t| t.strip_prefix("guardrail/"))
                .filter(|_| ok)
            else {
                return Err(bad(
                    "an ARN looks like arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123xyz",
                ));
            };
            let parts = (
                parts[0].to_string(),
                parts[2].to_string(),
                parts[3].to_string(),
            );
            (tail, Some(parts))
        }
        None => (s, None),
    };
    let (id, version) = match head.split_once(':') {
        Some((id, v)) => (id, v),
        None => (head, "DRAFT"),
    };
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return Err(bad(
            "an id is lowercase letters and digits, such as abc123xyz",
        ));
    }
    let numbered = !version.is_empty()
        && version.len() <= 8
        && version.bytes().all(|b| b.is_ascii_digit())
        && !version.starts_with('0');
    if version != "DRAFT" && !numbered {
        return Err(bad("the version after `:` is DRAFT or a number from 1"));
    }
    Ok(GuardrailRef {
        id: id.to_string(),
        arn_parts,
        version: version.to_string(),
    })
}

fn parse_endpoint(s: &str) -> Result<String, String> {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or_else(|| format!("`{s}` is not an http:// or https:// URL"))?;
    let host = rest.split(['/', '?']).next().unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(format!("`{s}` has no host"));
    }
    Ok(s.trim_end_matches('/').to_string())
}

const EXPLAIN_HELP: &str = "\
Examples:
  bedrock-doctor explain \"An error occurred (AccessDeniedException) when calling the InvokeModel operation: You don't have access to the model with the specified model ID.\"
  pbpaste | bedrock-doctor explain               # a whole log excerpt or stack trace on stdin
  kubectl logs my-pod | tail -50 | bedrock-doctor explain --output json

Paste the error as your SDK or tool printed it (botocore, the JS/Java/Go/Swift/Rust SDKs,
LangChain, LiteLLM, HTTP traces, JSON with escaped quotes): explain finds the message in it,
ranks the causes it points to, extracts the model, region, principal and request id, and
prints the bedrock-doctor command that confirms the cause against your account. Nothing is
sent anywhere; secrets in the text are masked in the output.

Exit codes: 0 an answer was printed (also \"unknown\" when nothing was recognised),
2 the input could not be read.";

const LINT_HELP: &str = "\
Examples:
  bedrock-doctor lint body.json --model anthropic.claude-3-5-haiku-20241022-v1:0
  bedrock-doctor lint body.json --model stability.stable-diffusion-xl-v1 --output json
  bedrock-doctor lint converse.json --model us.amazon.nova-pro-v1:0 --operation converse
  cat body.json | bedrock-doctor lint - --model meta.llama3-1-70b-instruct-v1:0

Checks the JSON body you send to InvokeModel (or Converse) without calling AWS: unknown fields
(with did-you-mean), missing required fields, wrong types, values out of range, invalid enum
values, and the model family's cross-field rules (Anthropic roles must alternate, SDXL samples
must be 1...). Every problem names its JSON path. Covered: Anthropic Messages, Amazon Titan and
Nova text and image, Titan and Cohere embeddings, Meta Llama, Mistral, Stability SDXL and
Stable Image / SD3, and the Converse API (--operation converse, any model).

Exit codes: 0 the body is clean (advisories such as an end-of-life model do not fail it),
1 problems were found, 2 the file or model could not be read.";

#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// The error text (quote it); read from stdin when omitted or `-`
    #[arg(value_name = "TEXT", num_args = 0..)]
    pub text: Vec<String>,

    /// Report format
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Table)]
    pub output: Output,

    /// Colour: auto means when stdout is a terminal and NO_COLOR is unset
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Check the likely causes against your account: run only the checks that confirm or rule
    /// out each one, for the model, region and caller the message names (read-only calls)
    #[arg(long)]
    pub confirm: bool,

    /// (--confirm) the region to check; default: the one the message names, else the configured one
    #[arg(long, value_name = "REGION", requires = "confirm")]
    pub region: Option<String>,

    /// (--confirm) named profile from the shared AWS config files
    #[arg(long, requires = "confirm")]
    pub profile: Option<String>,

    /// (--confirm) the model to check; default: the one the message names
    #[arg(long, value_name = "MODEL", value_parser = parse_model, requires = "confirm")]
    pub model: Option<String>,

    /// (--confirm) the IAM principal to evaluate; default: the caller the message names
    #[arg(long, value_name = "ARN", requires = "confirm")]
    pub principal: Option<String>,

    /// (--confirm) send every AWS call to this endpoint (a local simulator)
    #[arg(long, value_name = "URL", value_parser = parse_endpoint, requires = "confirm")]
    pub endpoint_url: Option<String>,

    /// (--confirm) make no runtime call, even when a candidate cause needs the test call
    #[arg(long, requires = "confirm")]
    pub no_invoke: bool,

    /// (--confirm) deadline for the checks
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub timeout: Duration,
}

#[derive(Debug, Clone, Args)]
pub struct LintArgs {
    /// The request body (JSON); `-` reads stdin
    #[arg(value_name = "FILE")]
    pub file: std::path::PathBuf,

    /// The model id, inference profile id or ARN the body is sent to
    #[arg(long, short = 'm', value_name = "MODEL", value_parser = parse_model)]
    pub model: String,

    /// The API the body is for: InvokeModel's native body, or the Converse API's
    #[arg(long, value_enum, default_value_t = LintOperation::Invoke)]
    pub operation: LintOperation,

    /// Report format
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Table)]
    pub output: Output,

    /// Colour: auto means when stdout is a terminal and NO_COLOR is unset
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintOperation {
    /// InvokeModel / InvokeModelWithResponseStream (the model's native body)
    Invoke,
    /// Converse / ConverseStream
    Converse,
}

fn parse_model(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("the model id is empty".to_string());
    }
    if s.len() > 2048 || s.chars().any(char::is_whitespace) {
        return Err(format!("`{}` is not a model id", s.escape_debug()));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_functions_and_knowledge_bases_follow_aws_patterns() {
        let f =
            parse_lambda("arn:aws:lambda:eu-west-1:123456789012:function:image-gen:live").unwrap();
        assert_eq!(f.region.as_deref(), Some("eu-west-1"));
        assert_eq!(parse_lambda("image-gen").unwrap().region, None);
        assert!(parse_lambda("image-gen:$LATEST").is_ok());
        for wrong in [
            "",
            "has space",
            "arn:aws:lambda:eu-west-1:123:function:x",
            "arn:aws:s3:::b",
            "a/b",
            &"x".repeat(65),
        ] {
            let e = parse_lambda(wrong).unwrap_err();
            assert!(e.contains(&format!("`{wrong}`")), "{e}");
        }
        assert!(parse_knowledge_base("ABCDEF1234").is_ok());
        for wrong in ["ABCDEF123", "ABCDEF12345", "ABCDEF-123"] {
            assert!(parse_knowledge_base(wrong).unwrap_err().contains(wrong));
        }
    }

    #[test]
    fn guardrails_follow_aws_patterns() {
        let g = parse_guardrail("abc123xyz").unwrap();
        assert_eq!((g.id.as_str(), g.version.as_str()), ("abc123xyz", "DRAFT"));
        assert_eq!(
            g.condition_value("eu-west-1", "123456789012"),
            "arn:aws:bedrock:eu-west-1:123456789012:guardrail/abc123xyz:DRAFT"
        );
        let g = parse_guardrail("arn:aws:bedrock:us-west-2:123456789012:guardrail/abc123xyz:3")
            .unwrap();
        assert_eq!(g.version, "3");
        assert_eq!(
            g.arn("us-east-1", "999999999999"),
            "arn:aws:bedrock:us-west-2:123456789012:guardrail/abc123xyz",
            "an ARN keeps its own region and account"
        );
        for wrong in [
            "",
            "ABC",
            "abc:0",
            "abc:01",
            "abc:draft",
            "abc:123456789",
            "abc def",
            "arn:aws:bedrock:us-east-1:123:guardrail/abc",
            "arn:aws:s3:::bucket",
            "abc:1:2",
        ] {
            let e = parse_guardrail(wrong).unwrap_err();
            assert!(e.contains(&format!("`{wrong}`")), "{e}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("1m 30s").unwrap(), Duration::from_secs(90));
        assert!(parse_duration("0s").unwrap_err().contains("`0s`"));
        assert!(parse_duration("soon").unwrap_err().contains("`soon`"));
        assert!(parse_duration("-5s").is_err());
    }

    #[test]
    fn endpoints_and_profiles() {
        assert_eq!(
            parse_endpoint("http://127.0.0.1:4566/").unwrap(),
            "http://127.0.0.1:4566"
        );
        assert!(parse_endpoint("127.0.0.1:4566").is_err());
        assert!(parse_endpoint("http://").is_err());
        assert!(parse_profile("dev-admin").is_ok());
        assert!(parse_profile("bad name").is_err());
        assert!(parse_profile("").is_err());
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    /// IAM principal ARNs as AWS writes them.
    fn principals() -> impl Strategy<Value = String> {
        (
            prop_oneof![Just("aws"), Just("aws-cn"), Just("aws-us-gov")],
            "[0-9]{12}",
            prop_oneof![
                "role/([a-z0-9-]{1,8}/){0,2}[A-Za-z0-9+=,.@_-]{1,20}".prop_map(|r| ("iam", r)),
                "user/[A-Za-z0-9+=,.@_-]{1,20}".prop_map(|u| ("iam", u)),
                "assumed-role/[A-Za-z0-9_-]{1,20}/[A-Za-z0-9_.@-]{1,20}".prop_map(|a| ("sts", a)),
            ],
        )
            .prop_map(|(partition, account, (service, resource))| {
                format!("arn:{partition}:{service}::{account}:{resource}")
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any text: a duration within (0, 1 day], or an error that quotes the text.
        #[test]
        fn durations_are_bounded_or_named(s in any::<String>()) {
            let named = format!("`{}`", s.escape_debug());
            match parse_duration(&s) {
                Ok(d) => prop_assert!(!d.is_zero() && d <= Duration::from_secs(86_400)),
                Err(e) => prop_assert!(e.contains(&named) && !e.contains('\n'), "{}", e),
            }
            match parse_window(&s) {
                Ok(d) => prop_assert!(d >= Duration::from_secs(60) && d <= Duration::from_secs(15 * 86_400)),
                Err(e) => prop_assert!(e.contains(&named) && !e.contains('\n'), "{}", e),
            }
        }

        /// A duration written the way humantime prints it reads back as itself.
        #[test]
        fn durations_round_trip(ms in 1u64..=86_400_000, secs in 1u64..=86_400, spaced in any::<bool>()) {
            let d = Duration::from_millis(ms);
            prop_assert_eq!(parse_duration(&humantime::format_duration(d).to_string()), Ok(d));
            let text = if spaced { format!(" {secs}s ") } else { format!("{secs}s") };
            prop_assert_eq!(parse_duration(&text), Ok(Duration::from_secs(secs)));
            let minutes = secs % (15 * 1440) + 1;
            prop_assert_eq!(parse_window(&format!("{minutes}m")), Ok(Duration::from_secs(minutes * 60)));
        }

        /// Profile names: exactly the characters the AWS CLI's config files take.
        #[test]
        fn profiles_follow_the_grammar(
            good in "[A-Za-z0-9_.+@/-]{1,128}",
            s in any::<String>(),
        ) {
            prop_assert_eq!(parse_profile(&good), Ok(good.clone()));
            let grammar = !s.is_empty() && s.len() <= 128
                && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.+@/".contains(c));
            match parse_profile(&s) {
                Ok(p) => prop_assert!(grammar && p == s),
                Err(e) => {
                    prop_assert!(!grammar);
                    prop_assert!(e.contains(&s.escape_debug().to_string()), "{}", e);
                    prop_assert!(!e.contains('\n'));
                }
            }
        }

        /// Role, user and assumed-role ARNs pass as given; a wrong account id, a wrong
        /// service, whitespace or any other text is refused with the value named.
        #[test]
        fn principal_arns_follow_the_grammar(
            arn in principals(),
            account in "[0-9]{1,11}|[0-9]{13,14}|[0-9]{6}[a-z][0-9]{5}",
            at in any::<proptest::sample::Index>(),
            space in "[ \t\n\r]",
            s in any::<String>(),
        ) {
            prop_assert_eq!(parse_principal(&arn), Ok(arn.clone()));
            let real_account = arn.split(':').nth(4).unwrap_or_default().to_string();
            let wrong = arn.replacen(&format!("::{real_account}:"), &format!("::{account}:"), 1);
            prop_assert!(parse_principal(&wrong).is_err(), "{}", wrong);
            let mut spaced = arn.clone();
            spaced.insert_str(at.index(arn.len()), &space);
            prop_assert!(parse_principal(&spaced).is_err(), "{:?}", spaced);
            prop_assert!(parse_principal(&arn.replacen(":iam:", ":s3:", 1).replacen(":sts:", ":s3:", 1)).is_err());
            if let Err(e) = parse_principal(&s) {
                let named = format!("`{}`", s.escape_debug());
                prop_assert!(e.contains(&named) && !e.contains('\n'), "{}", e);
            }
        }

        /// Endpoints keep their scheme and lose trailing slashes; anything else is refused.
        #[test]
        fn endpoints(
            scheme in "https?",
            host in "[a-z0-9.-]{1,20}",
            port in proptest::option::of(1u16..),
            path in "(/[a-z0-9]{0,5}){0,3}",
            s in any::<String>(),
        ) {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let url = format!("{scheme}://{host}{port}{path}");
            prop_assert_eq!(parse_endpoint(&url), Ok(url.trim_end_matches('/').to_string()));
            if let Ok(u) = parse_endpoint(&s) {
                prop_assert!(u.starts_with("http://") || u.starts_with("https://"));
                prop_assert!(!u.ends_with('/'));
            }
        }

        /// lint's --model: the trimmed value, never empty, never containing whitespace.
        #[test]
        fn lint_model_values(s in any::<String>()) {
            match parse_model(&s) {
                Ok(m) => {
                    prop_assert_eq!(m.as_str(), s.trim());
                    prop_assert!(!m.is_empty() && !m.contains(char::is_whitespace));
                }
                Err(e) => prop_assert!(!e.contains('\n') || s.contains('\n')),
            }
        }
    }
}
