//! `bedrock-doctor demo`: the simulator in-process on a free loopback port, and the full
//! doctor against it, clearly labelled as a simulation.

use crate::aws::{Environment, GivenMachine};
use crate::cli::DoctorArgs;
use crate::sim::scenario::{ClientCredentials, Scenario};
use std::collections::BTreeMap;

/// Fake keys: recognisable, never real.
pub const DEMO_KEY_ID: &str = "AKIASIMULATOR0DEMO00";
pub const DEMO_SECRET: &str = "simulated/secret/key/not/a/real/one/000";
pub const DEMO_SESSION_TOKEN: &str = "simulated-session-token-not-a-real-one";

pub fn list() -> String {
    let library = crate::sim::scenario::LIBRARY;
    // One column for the names, as wide as the longest.
    let width = library
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (name, text) in library {
        let summary = Scenario::parse(text).map(|s| s.summary).unwrap_or_default();
        out.push_str(&format!("{name:<width$}  {summary}\n"));
    }
    out
}

/// The scenario's client machine as a value: the variables it has (nothing of this
/// process's environment, so no real profile, key or endpoint can reach the simulation) and
/// the settings it gives the doctor where the command line left them unset.
pub fn client_environment(scenario: &Scenario, args: &mut DoctorArgs) -> Environment {
    let mut vars = BTreeMap::new();
    let mut set = |k: &str, v: &str| {
        vars.insert(k.to_string(), v.to_string());
    };
    set("AWS_EC2_METADATA_DISABLED", "true");
    let c = &scenario.client;
    if c.credentials != ClientCredentials::None {
        set("AWS_ACCESS_KEY_ID", DEMO_KEY_ID);
        set("AWS_SECRET_ACCESS_KEY", DEMO_SECRET);
    }
    if c.credentials == ClientCredentials::Session {
        set("AWS_SESSION_TOKEN", DEMO_SESSION_TOKEN);
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
        set("AWS_BEARER_TOKEN_BEDROCK", &key);
    }
    for (k, v) in &c.env {
        set(k, v);
    }
    if args.app.is_none() {
        args.app = c.app;
        args.app_config = c.app_config.as_ref().map(Into::into);
    }
    // An application's own settings give its region and models.
    if args.region.is_none() && !c.no_region && args.app.is_none() {
        args.region = Some(scenario.region.clone());
    }
    args.stream |= c.stream;
    if c.mantle {
        args.endpoint_kind = crate::cli::EndpointKind::Mantle;
    }
    if args.guardrail.is_none() {
        args.guardrail = c.guardrail.clone();
    }
    if args.lambda.is_none() {
        args.lambda = c.lambda.clone();
    }
    if args.knowledge_base.is_none() {
        args.knowledge_base = c.knowledge_base.clone();
        args.kb_query = args.kb_query.take().or_else(|| c.kb_query.clone());
    }
    if args.principal.is_none() {
        args.principal = c.principal.clone();
    }
    if args.accounts.is_none() {
        args.accounts = c.accounts.clone();
        args.assume_role = args.assume_role.take().or_else(|| c.assume_role.clone());
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
    // A function's models come from its environment (--lambda), not the scenario's list.
    if args.models.is_empty() && args.lambda.is_none() && args.app.is_none() {
        args.models = scenario.models.clone();
    }
    Environment::Given(GivenMachine {
        vars,
        aws_config: c.aws_config.clone().unwrap_or_default(),
        app_files: c.app_files.clone(),
        programs: c.programs.clone(),
    })
}

/// A loopback port with nothing listening (for the unreachable-network story).
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9)
}
