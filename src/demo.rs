//! `bedrock-doctor demo`: the simulator in-process on a free loopback port, and the full
//! doctor against it, clearly labelled as a simulation.

use crate::cli::DoctorArgs;
use crate::sim::scenario::Scenario;

/// Fake keys: recognisable, never real.
pub const DEMO_KEY_ID: &str = "AKIASIMULATOR0DEMO00";
pub const DEMO_SECRET: &str = "simulated/secret/key/not/a/real/one/000";
pub const DEMO_SESSION_TOKEN: &str = "simulated-session-token-not-a-real-one";

/// Variables that could point the demo at a real account; cleared before it runs.
const REAL_ACCOUNT_VARS: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
];

pub fn list() -> String {
    let mut out = String::new();
    for (name, text) in crate::sim::scenario::LIBRARY {
        let summary = Scenario::parse(text).map(|s| s.summary).unwrap_or_default();
        out.push_str(&format!("{name:<28} {summary}\n"));
    }
    out
}

/// Make this process look like the scenario's client machine. Must run before any thread
/// starts: it edits the environment.
pub fn prepare_environment(scenario: &Scenario, args: &mut DoctorArgs) {
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("AWS_ENDPOINT_URL") {
            std::env::remove_var(&k);
        }
    }
    for k in REAL_ACCOUNT_VARS {
        std::env::remove_var(k);
    }
    // An empty config file: the person's real profiles stay out of the simulation.
    let empty = std::env::temp_dir().join("bedrock-doctor-demo-empty-aws-config");
    let _ = std::fs::write(&empty, "");
    std::env::set_var("AWS_CONFIG_FILE", &empty);
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", &empty);
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    let c = &scenario.client;
    if c.credentials != "none" {
        std::env::set_var("AWS_ACCESS_KEY_ID", DEMO_KEY_ID);
        std::env::set_var("AWS_SECRET_ACCESS_KEY", DEMO_SECRET);
    }
    if c.credentials == "session" {
        std::env::set_var("AWS_SESSION_TOKEN", DEMO_SESSION_TOKEN);
    }
    if c.bearer_token {
        // A short-term key as AWS's generators make them: 12 hours, one region.
        let lifetime = std::time::Duration::from_secs(12 * 3600);
        let issued = if c.bearer_token_expired {
            std::time::SystemTime::now() - lifetime - std::time::Duration::from_secs(3600)
        } else {
            std::time::SystemTime::now()
        };
        let region = c.bearer_token_region.as_deref().unwrap_or(&scenario.region);
        let key = crate::api_key::make_short_term(DEMO_KEY_ID, region, issued, lifetime);
        std::env::set_var("AWS_BEARER_TOKEN_BEDROCK", key);
    }
    if args.region.is_none() && !c.no_region {
        args.region = Some(scenario.region.clone());
    }
    args.stream |= c.stream;
    if args.principal.is_none() {
        args.principal = c.principal.clone();
    }
    if let (None, Some(tier)) = (args.service_tier, &c.service_tier) {
        use clap::ValueEnum;
        args.service_tier = crate::cli::ServiceTier::from_str(tier, true).ok();
    }
    if let (None, Some(body)) = (&args.body, &c.body) {
        let path =
            std::env::temp_dir().join(format!("bedrock-doctor-demo-{}-body.json", scenario.name));
        if std::fs::write(&path, body).is_ok() {
            args.body = Some(path);
        }
    }
    if args.models.is_empty() {
        args.models = scenario.models.clone();
    }
}

/// A loopback port with nothing listening (for the unreachable-network story).
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9)
}
