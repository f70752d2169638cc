//! The checks: each is one metadata file in checks/<id>.toml (the words and the wiring)
//! and one module here with one async function (the logic). REGISTRY joins them.

mod api_key;
pub mod app;
pub(crate) mod config;
pub mod credentials;
pub mod guardrail;
mod iam_permissions;
pub mod identity;
pub mod inference_profile;
pub mod invoke;
pub mod knowledge_base;
pub mod lambda;
pub mod mantle;
mod marketplace;
pub mod metrics;
pub mod model_access;
pub mod model_catalog;
pub mod organization;
pub mod owned_models;
pub mod principal;
mod quotas;
pub mod roles;
mod scp;
pub mod shared;
mod throttling;

use crate::aws::{AwsSetup, Clients};
use crate::causes::Cause;
use crate::facts::Facts;
use crate::runner::{CheckFuture, Job};
use serde::Deserialize;
use std::sync::{Arc, OnceLock};

/// What a check's code receives: the run's environment, the facts of the checks it
/// depends on, and its model when the check runs per model.
#[derive(Clone)]
pub struct Ctx {
    pub env: Arc<RunEnv>,
    pub facts: Facts,
    pub model: Option<crate::models::GivenModel>,
    /// The region the check looks at: the run's own, or one of `--regions`.
    pub region: String,
}

impl Ctx {
    /// The model as the person gave it (empty for an account check).
    pub fn model_text(&self) -> String {
        self.model
            .as_ref()
            .map(|m| m.text.clone())
            .unwrap_or_default()
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// The clients for this check's region.
    pub fn clients(&self) -> Clients {
        self.env.clients_in(&self.region)
    }
}

/// Everything resolved once before the checks start.
pub struct RunEnv {
    pub setup: AwsSetup,
    pub clients: Clients,
    pub models: Vec<String>,
    /// The credentials provider of the run, shared by every client.
    pub credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
    /// Account data fetched once and shared by the checks that need it.
    pub shared: shared::Shared,
    /// The organization, read with the run's identity or, for `--accounts org|ou:ID`, the
    /// caller's (shared by every account's run).
    pub organization: std::sync::Arc<organization::Organization>,
    /// The run's settings as asked: the flags, filled from the config file where the command
    /// line left them at their default (config_file::apply). Checks read a setting here.
    pub settings: crate::cli::DoctorArgs,
    /// `--body FILE`, read: the person's own request body, sent with InvokeModel.
    pub body: Option<String>,
    /// `--regions`: the regions the per-model checks run in (empty: the run's own region).
    pub regions: Vec<String>,
    /// `--model all`, expanded: the models each region offers.
    pub all_models: std::collections::HashMap<String, Vec<String>>,
    /// `--lambda`: the function, read before the checks start (it sets the principal and the
    /// models).
    pub lambda: Option<lambda::Read>,
    /// `--app`: the application's settings, read before the checks start (they set the
    /// region, the models and how the test call is made).
    pub app: Option<crate::apps::Plan>,
    /// Clients for the regions other than the run's own, built on first use.
    pub regional: std::sync::Mutex<std::collections::HashMap<String, Clients>>,
}

impl RunEnv {
    /// A run environment with the given clients and every option at its default (unit tests).
    #[cfg(test)]
    pub fn for_tests(setup: AwsSetup, clients: Clients, models: Vec<String>) -> RunEnv {
        RunEnv {
            organization: std::sync::Arc::new(organization::Organization::new(
                clients.organizations.clone(),
            )),
            setup,
            clients,
            models,
            credentials: None,
            shared: Default::default(),
            settings: <crate::cli::Cli as clap::Parser>::parse_from(["bedrock-doctor"]).doctor,
            body: None,
            regions: vec![],
            all_models: Default::default(),
            lambda: None,
            app: None,
            regional: Default::default(),
        }
    }

    /// The run's own region. Empty when none is configured: then `config` fails, and every
    /// check that calls AWS depends on it, so the empty name never reaches a call.
    pub fn region(&self) -> &str {
        self.setup.region_name().unwrap_or_default()
    }

    /// The regions the per-model checks run in, the run's own first.
    pub fn model_regions(&self) -> Vec<String> {
        if self.regions.is_empty() {
            vec![self.region().to_string()]
        } else {
            self.regions.clone()
        }
    }

    /// The models checked in `region`.
    pub fn models_for(&self, region: &str) -> &[String] {
        self.all_models.get(region).unwrap_or(&self.models)
    }

    /// The clients for `region` (the run's own for its own region).
    pub fn clients_in(&self, region: &str) -> Clients {
        if region == self.region() {
            return self.clients.clone();
        }
        self.regional
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(region.to_string())
            .or_insert_with(|| self.clients.in_region(region))
            .clone()
    }
}

pub type RunFn = fn(Ctx) -> CheckFuture;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Runs once per run.
    Account,
    /// Runs once per `--model`.
    Model,
}

/// A check's metadata, from checks/<id>.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckMeta {
    pub id: String,
    pub title: String,
    pub verifies: String,
    pub severity: crate::report::Severity,
    pub scope: Scope,
    /// Checks that must pass (or warn) first; without them this check is skipped.
    pub depends_on: Vec<String>,
    /// Checks to wait for and learn from, whatever their verdict.
    #[serde(default)]
    pub after: Vec<String>,
    /// What the doctor itself must be allowed to call to run this check.
    pub iam_actions: Vec<String>,
    /// The cause codes this check can report.
    pub causes: Vec<Cause>,
    pub docs: Vec<String>,
    /// The flag without which the check does not run at all (a plain run makes none of its
    /// calls and shows no row for it), e.g. `guardrail` for `--guardrail`.
    #[serde(default)]
    pub only_with: Option<String>,
    /// What to do, per situation the check can find: lines with `{name}` placeholders the
    /// check fills with what it found (and `if:name` lines shown only when it found `name`).
    #[serde(default)]
    pub fix: std::collections::BTreeMap<String, Vec<String>>,
}

/// The fix lines of one situation of a check (checks/<id>.toml, `[fix]`), filled with the
/// facts the check found. The prose lives in the metadata; the check supplies facts. A
/// situation the metadata lacks is a bug the `fix_situations_exist` test catches.
pub fn fixes(check: &str, situation: &str, facts: &[(&'static str, &str)]) -> Vec<String> {
    let Some(lines) = find(check).and_then(|c| c.meta.fix.get(situation)) else {
        return vec![format!(
            "(no fix text for {check}/{situation}: a bug in bedrock-doctor)"
        )];
    };
    let mut vars = crate::knowledge::template::Vars::default();
    for (name, value) in facts {
        vars = vars.with(name, value);
    }
    crate::knowledge::template::render_lines(lines, &vars)
}

/// Why a per-model check that needs the catalog's answer could not have it: model-catalog
/// found the model cannot be called as given (its finding says why), or its call did not
/// answer (named).
pub fn no_model(ctx: &Ctx) -> String {
    if ctx.facts.get::<model_catalog::NotCallable>().is_some() {
        "not applicable: model-catalog found the model cannot be called as given".into()
    } else {
        "waited for `model-catalog`, which did not resolve the model (bedrock:ListFoundationModels)"
            .into()
    }
}

/// True when the region's model list never came: then the model id is all there is to go
/// on. When the list came and the model was not resolved (retired, misspelt, not offered),
/// model-catalog has said why, and nothing should be built from the id.
pub fn catalog_silent(ctx: &Ctx) -> bool {
    !matches!(ctx.env.shared.models_read(ctx.region()), Some(Ok(_)))
}

/// The foundation model a per-model check is about: what model-catalog (or, for a profile,
/// inference-profile) resolved, else, when the catalog did not answer, what the id itself
/// says. The id is enough to build ARNs, so a check need not wait on a control plane that
/// does not answer.
pub fn model_id_of(ctx: &Ctx) -> Option<String> {
    ctx.facts
        .get::<model_catalog::ResolvedModel>()
        .and_then(|r| r.model_id.clone())
        .or_else(|| {
            ctx.facts
                .get::<inference_profile::ProfileRoute>()
                .map(|r| r.model_id.clone())
                .filter(|m| !m.is_empty())
        })
        .or_else(|| {
            let given = ctx.model.as_ref().filter(|_| catalog_silent(ctx))?;
            given.parsed.as_ref().ok()?.model_id().map(str::to_string)
        })
}

pub struct Check {
    pub meta: CheckMeta,
    pub run: RunFn,
}

macro_rules! registry {
    ($($id:literal => $module:ident),* $(,)?) => {
        &[$((include_str!(concat!("../../checks/", $id, ".toml")), $module::run as RunFn)),*]
    };
}

/// In declared order: the order of the report. Each line joins checks/<id>.toml to its module.
const REGISTRY: &[(&str, RunFn)] = registry![
    "config" => config,
    "credentials" => credentials,
    "app" => app,
    "identity" => identity,
    "model-catalog" => model_catalog,
    "inference-profile" => inference_profile,
    "model-access" => model_access,
    "principal" => principal,
    "api-key" => api_key,
    "guardrail" => guardrail,
    "lambda" => lambda,
    "mantle" => mantle,
    "knowledge-base" => knowledge_base,
    "iam-permissions" => iam_permissions,
    "scp" => scp,
    "marketplace" => marketplace,
    "throttling" => throttling,
    "quotas" => quotas,
    "invoke" => invoke,
];

pub fn all() -> &'static [Check] {
    static CHECKS: OnceLock<Vec<Check>> = OnceLock::new();
    CHECKS.get_or_init(|| {
        REGISTRY
            .iter()
            .map(|(text, run)| Check {
                meta: toml::from_str(text)
                    .expect("checks/*.toml are verified by the catalog tests"),
                run: *run,
            })
            .collect()
    })
}

pub fn find(id: &str) -> Option<&'static Check> {
    all().iter().find(|c| c.meta.id == id)
}

pub fn ids() -> Vec<&'static str> {
    all().iter().map(|c| c.meta.id.as_str()).collect()
}

/// The checks to run: `only` (plus what they depend on) or all, minus `skip`.
pub fn select(only: &[String], skip: &[String]) -> Result<Vec<&'static Check>, String> {
    for id in only.iter().chain(skip) {
        if find(id).is_none() {
            return Err(format!(
                "unknown check `{id}` (known: {})",
                ids().join(", ")
            ));
        }
    }
    let mut wanted: Vec<&str> = if only.is_empty() {
        ids()
    } else {
        only.iter().map(String::as_str).collect()
    };
    // --only pulls in what the chosen checks cannot run without or learn from.
    let mut i = 0;
    while i < wanted.len() {
        let check = find(wanted[i]).expect("validated above");
        for dep in check.meta.depends_on.iter().chain(&check.meta.after) {
            if !wanted.contains(&dep.as_str()) {
                wanted.push(dep);
            }
        }
        i += 1;
    }
    Ok(all()
        .iter()
        .filter(|c| wanted.contains(&c.meta.id.as_str()) && !skip.contains(&c.meta.id))
        .collect())
}

/// Whether the flag a check's `only_with` names was given.
fn flag_given(flag: &str, settings: &crate::cli::DoctorArgs) -> Option<bool> {
    match flag {
        "guardrail" => Some(settings.guardrail.is_some()),
        "lambda" => Some(settings.lambda.is_some()),
        "app" => Some(settings.app.is_some()),
        "endpoint-kind" => Some(settings.endpoint_kind == crate::cli::EndpointKind::Mantle),
        "knowledge-base" => Some(settings.knowledge_base.is_some()),
        _ => None,
    }
}

/// The selected checks that run with these settings: a check that needs a flag runs only
/// when it is given, and asking for it by `--only` without its flag is a usage error.
pub fn enabled(
    selected: Vec<&'static Check>,
    settings: &crate::cli::DoctorArgs,
) -> Result<Vec<&'static Check>, String> {
    let mantle = settings.endpoint_kind == crate::cli::EndpointKind::Mantle;
    let mut out = Vec::new();
    for c in selected {
        // With --endpoint-kind mantle, the bedrock-runtime model checks do not apply: the
        // `mantle` check is each model's.
        if mantle && c.meta.scope == Scope::Model && c.meta.id != "mantle" {
            if settings.only.contains(&c.meta.id) {
                return Err(format!(
                    "check `{}` checks bedrock-runtime, not --endpoint-kind mantle",
                    c.meta.id
                ));
            }
            continue;
        }
        let Some(flag) = &c.meta.only_with else {
            out.push(c);
            continue;
        };
        if flag_given(flag, settings) == Some(true) {
            out.push(c);
        } else if settings.only.contains(&c.meta.id) {
            return Err(format!("check `{}` runs only with --{flag}", c.meta.id));
        }
    }
    Ok(out)
}

/// Expand the selected checks into jobs: one per account check, one per model and region
/// for per-model checks, each wired to the jobs of the checks it depends on.
pub fn jobs(env: Arc<RunEnv>, selected: &[&'static Check]) -> Vec<Job> {
    let regions = env.model_regions();
    let labelled = !env.regions.is_empty();
    // (model, region) in report order: by model as first listed, then by region.
    let mut models: Vec<&String> = Vec::new();
    for r in &regions {
        for m in env.models_for(r) {
            if !models.contains(&m) {
                models.push(m);
            }
        }
    }
    let pairs: Vec<(String, String)> = models
        .iter()
        .flat_map(|m| {
            regions
                .iter()
                .filter(|r| env.models_for(r).contains(m))
                .map(|r| ((*m).clone(), r.clone()))
        })
        .collect();
    // (check, model, region); account checks have neither model nor region.
    let mut keys: Vec<(&str, Option<String>, Option<String>)> = Vec::new();
    for c in selected {
        match c.meta.scope {
            Scope::Account => keys.push((&c.meta.id, None, None)),
            Scope::Model => {
                for (m, r) in &pairs {
                    keys.push((&c.meta.id, Some(m.clone()), Some(r.clone())));
                }
            }
        }
    }
    let wire = |deps: &[String], model: &Option<String>, region: &Option<String>| -> Vec<usize> {
        keys.iter()
            .enumerate()
            .filter(|(_, (id, m, r))| {
                deps.iter().any(|d| d == id)
                    && (m.is_none() || model.is_none() || (m == model && r == region))
            })
            .map(|(i, _)| i)
            .collect()
    };
    keys.iter()
        .map(|(id, model, region)| {
            let check = find(id).expect("selected checks exist");
            let ctx = Ctx {
                env: env.clone(),
                facts: Facts::default(),
                model: model.as_deref().map(crate::models::GivenModel::new),
                region: region.clone().unwrap_or_else(|| env.region().to_string()),
            };
            let run = check.run;
            Job {
                id: id.to_string(),
                title: check.meta.title.clone(),
                model: model.clone(),
                region: region.clone().filter(|_| labelled),
                needs: wire(&check.meta.depends_on, model, region),
                after: wire(&check.meta.after, model, region),
                start: Box::new(move |facts| run(Ctx { facts, ..ctx })),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metadata_file_parses_and_names_its_module() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("checks");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let p = e.unwrap().path();
                (p.extension()? == "toml")
                    .then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
            })
            .collect();
        on_disk.sort();
        let mut registered: Vec<String> = all().iter().map(|c| c.meta.id.clone()).collect();
        registered.sort();
        assert_eq!(on_disk, registered, "checks/*.toml and REGISTRY disagree");
        for (text, _) in REGISTRY {
            let meta: CheckMeta = toml::from_str(text).unwrap();
            let module = meta.id.replace('-', "_");
            let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("src/checks/{module}.rs"));
            assert!(
                src.exists(),
                "check `{}` has no module {}",
                meta.id,
                src.display()
            );
            assert!(
                !meta.title.is_empty() && !meta.verifies.is_empty(),
                "{}",
                meta.id
            );
            if let Some(flag) = &meta.only_with {
                let defaults =
                    <crate::cli::Cli as clap::Parser>::parse_from(["bedrock-doctor"]).doctor;
                assert_eq!(
                    flag_given(flag, &defaults),
                    Some(false),
                    "{}: only_with `{flag}` is not a flag flag_given knows",
                    meta.id
                );
            }
        }
    }

    #[test]
    fn dependencies_exist_come_first_and_have_no_cycle() {
        for (i, c) in all().iter().enumerate() {
            for dep in c.meta.depends_on.iter().chain(&c.meta.after) {
                let j = all().iter().position(|d| &d.meta.id == dep);
                let j = j.unwrap_or_else(|| panic!("`{}` depends on unknown `{dep}`", c.meta.id));
                // Declared order is a topological order, so no cycle is possible.
                assert!(
                    j < i,
                    "`{}` depends on `{dep}`, declared after it",
                    c.meta.id
                );
                let dep_scope = all()[j].meta.scope;
                assert!(
                    !(c.meta.scope == Scope::Account && dep_scope == Scope::Model),
                    "account check `{}` cannot depend on per-model `{dep}`",
                    c.meta.id
                );
            }
        }
    }

    #[test]
    fn only_pulls_in_dependencies_and_skip_removes() {
        let ids = |v: Vec<&Check>| v.iter().map(|c| c.meta.id.clone()).collect::<Vec<_>>();
        assert_eq!(
            ids(select(&["identity".into()], &[]).unwrap()),
            ["config", "credentials", "identity"]
        );
        let without = ids(select(&[], &["identity".into()]).unwrap());
        assert!(
            !without.contains(&"identity".to_string())
                && without.contains(&"credentials".to_string())
        );
        assert_eq!(
            ids(select(&["model-access".into()], &[]).unwrap()),
            [
                "config",
                "credentials",
                "identity",
                "model-catalog",
                "inference-profile",
                "model-access"
            ]
        );
        let err = select(&["idenity".into()], &[]).err().unwrap();
        assert!(err.contains("`idenity`"), "{err}");
    }
}

/// docs/checks.md, generated from the checks/ metadata (a test keeps the file in step).
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# Checks\n\nGenerated from `checks/*.toml` by `cargo test` (set `BLESS=1` to rewrite it); do not edit by hand.\n\n\
Checks run as soon as the checks they depend on have finished; the report lists them in this order.\n",
    );
    for c in all() {
        let m = &c.meta;
        out.push_str(&format!(
            "\n## `{}`: {}\n\n{}\n\n",
            m.id, m.title, m.verifies
        ));
        let scope = match m.scope {
            Scope::Account => "once per run",
            Scope::Model => "once per `--model`",
        };
        out.push_str(&format!("- runs: {scope}\n"));
        let deps = if m.depends_on.is_empty() {
            "nothing".to_string()
        } else {
            m.depends_on
                .iter()
                .map(|d| format!("`{d}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!("- needs: {deps}\n"));
        let actions = if m.iam_actions.is_empty() {
            "none (no AWS call)".to_string()
        } else {
            m.iam_actions
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!("- the doctor's own permissions: {actions}\n"));
        let causes = m
            .causes
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push_str(&format!("- can report: {causes}\n"));
        for d in &m.docs {
            out.push_str(&format!("- see: <{d}>\n"));
        }
        if !m.fix.is_empty() {
            out.push_str("\nWhat it advises, by situation (`{name}` is filled with what the check found):\n\n");
            for (situation, lines) in &m.fix {
                out.push_str(&format!("- `{situation}`\n"));
                for line in lines {
                    let line = line.replace('\n', " ");
                    out.push_str(&format!("  - {line}\n"));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod fix_tests {
    /// Every `fixes("check", "situation", ...)` in the checks' code names a situation of that
    /// check's `[fix]` table, every situation is named somewhere in the code (some are
    /// chosen by a `match` first), and no fix text is left in the code.
    #[test]
    fn fix_situations_exist_and_are_used() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/checks");
        let call = regex::Regex::new(r#"fixes\(\s*"([a-z-]+)",\s*"([a-z0-9-]+)""#).unwrap();
        let prose = regex::Regex::new(r#"\.fix\("#).unwrap();
        let mut sources = String::new();
        let mut problems = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            sources.push_str(code);
            if prose.is_match(code) {
                problems.push(format!(
                    "{name}: fix text in code (.fix(...)); put it in checks/<id>.toml [fix]"
                ));
            }
            for c in call.captures_iter(code) {
                let (check, situation) = (&c[1], &c[2]);
                match super::find(check) {
                    None => problems.push(format!("{name}: no check `{check}`")),
                    Some(k) if !k.meta.fix.contains_key(situation) => problems.push(format!(
                        "{name}: checks/{check}.toml has no fix `{situation}`"
                    )),
                    _ => {}
                }
            }
        }
        for c in super::all() {
            for situation in c.meta.fix.keys() {
                if !sources.contains(&format!("\"{situation}\"")) {
                    problems.push(format!(
                        "checks/{}.toml: fix `{situation}` is never used",
                        c.meta.id
                    ));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}

#[cfg(test)]
mod docs_tests {
    #[test]
    fn docs_checks_md_matches_the_metadata() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/checks.md");
        let generated = super::reference_markdown();
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == generated,
            "docs/checks.md is out of date: run `BLESS=1 cargo test docs_checks_md` and commit it"
        );
    }
}

/// The least-privilege IAM policy the doctor needs to run `selected`: every read action
/// the checks' metadata names, and bedrock:InvokeModel only on models and profiles.
pub fn doctor_policy(selected: &[&Check]) -> serde_json::Value {
    let mut reads: Vec<&str> = Vec::new();
    let mut invoke = false;
    let mut guardrail = false;
    let mut enter = false;
    for c in selected {
        for a in &c.meta.iam_actions {
            if a.starts_with("bedrock:InvokeModel") {
                invoke = true;
            } else if a == "sts:AssumeRole" {
                enter = true;
            } else if a == "bedrock:ApplyGuardrail" {
                guardrail = true;
            } else if !reads.contains(&a.as_str()) {
                reads.push(a);
            }
        }
    }
    if enter {
        // --accounts org|ou:ID lists the organization (management account or delegated
        // administrator only; elsewhere the listing is simply refused).
        reads.extend(crate::accounts::ORGANIZATION_LISTING);
    }
    reads.sort_unstable();
    let mut statements = vec![serde_json::json!({
        "Sid": "BedrockDoctorReadOnly",
        "Effect": "Allow",
        "Action": reads,
        "Resource": "*",
    })];
    if enter {
        statements.push(serde_json::json!({
            "Sid": "BedrockDoctorEnterRoles",
            "Effect": "Allow",
            // a profile's role_arn, and --assume-role in each account of --accounts
            "Action": ["sts:AssumeRole"],
            "Resource": "arn:aws:iam::*:role/*",
        }));
    }
    if invoke {
        statements.push(serde_json::json!({
            "Sid": "BedrockDoctorProbeInvocation",
            "Effect": "Allow",
            // --stream calls ConverseStream, authorized as InvokeModelWithResponseStream.
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Resource": [
                "arn:aws:bedrock:*::foundation-model/*",
                "arn:aws:bedrock:*:*:inference-profile/*",
                "arn:aws:bedrock:*:*:application-inference-profile/*",
                // Models the account owns, called by their ARN.
                "arn:aws:bedrock:*:*:provisioned-model/*",
                "arn:aws:bedrock:*:*:custom-model-deployment/*",
                "arn:aws:bedrock:*:*:imported-model/*",
            ],
        }));
    }
    if invoke && guardrail {
        statements.push(serde_json::json!({
            "Sid": "BedrockDoctorProbeWithGuardrail",
            "Effect": "Allow",
            // A call made with a guardrail is authorized on the guardrail too
            // (guardrails-permissions.html); only with --guardrail.
            "Action": ["bedrock:ApplyGuardrail"],
            "Resource": "arn:aws:bedrock:*:*:guardrail/*",
        }));
    }
    serde_json::json!({ "Version": "2012-10-17", "Statement": statements })
}

/// `bedrock-doctor list`: the checks, then the cause codes, one a line.
pub fn listing() -> String {
    let mut out = String::from("CHECKS (in the order they report)\n");
    for c in all() {
        out.push_str(&format!("  {:<18} {}\n", c.meta.id, c.meta.title));
    }
    out.push_str("\nCAUSE CODES\n");
    for cause in Cause::ALL {
        out.push_str(&format!("  {:<28} {}\n", cause.code(), cause.title()));
    }
    out
}

/// docs/causes.md, generated from the cause list and the checks that report each cause.
pub fn causes_markdown() -> String {
    let mut out = String::from(
        "# Cause codes\n\nGenerated by `cargo test` from src/causes.rs and checks/*.toml (set `BLESS=1` to rewrite it); do not edit by hand.\n\n\
Every finding of `bedrock-doctor`, every verdict of `explain` and every scenario of the simulator names one of\n\
these codes. They are public interface: JSON reports, mute lists in CI configs and scripts depend on them,\n\
so a code is never renamed once released. A code names the root cause, not the exception class that\n\
surfaced it: one `AccessDeniedException` can be `iam-not-authorized`, `iam-explicit-deny`, `scp-deny`,\n\
`model-access-not-granted` or `marketplace-subscription`.\n\n| code | what is wrong | reported by |\n| --- | --- | --- |\n",
    );
    for cause in Cause::ALL {
        let by: Vec<String> = all()
            .iter()
            .filter(|c| c.meta.causes.contains(cause))
            .map(|c| format!("`{}`", c.meta.id))
            .collect();
        let by = if by.is_empty() {
            "`explain` (only an error message shows it)".to_string()
        } else {
            by.join(", ")
        };
        out.push_str(&format!(
            "| `{}` | {} | {by} |\n",
            cause.code(),
            cause.title()
        ));
    }
    out.push_str(
        "\nA check that cannot run (the doctor lacks a permission, the service did not answer) has status `error`\n\
and names what stopped it; that is not a cause of your failure and has no code.\n",
    );
    out
}

#[cfg(test)]
mod generated_docs_tests {
    fn drift(rel: &str, generated: String) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == generated,
            "{rel} is out of date: run `BLESS=1 cargo test` and commit it"
        );
    }

    #[test]
    fn docs_causes_md_matches() {
        drift("docs/causes.md", super::causes_markdown());
    }

    #[test]
    fn docs_policy_json_matches() {
        let all: Vec<&super::Check> = super::all().iter().collect();
        drift(
            "docs/doctor-policy.json",
            format!(
                "{}\n",
                serde_json::to_string_pretty(&super::doctor_policy(&all)).unwrap()
            ),
        );
    }

    #[test]
    fn the_policy_covers_every_action_the_metadata_names() {
        let all: Vec<&super::Check> = super::all().iter().collect();
        let text = super::doctor_policy(&all).to_string();
        for c in super::all() {
            for a in &c.meta.iam_actions {
                assert!(text.contains(a.as_str()), "{a} of {} is missing", c.meta.id);
            }
        }
        assert!(!text.contains("\"*\"]") || text.contains("BedrockDoctorReadOnly"));
    }
}
