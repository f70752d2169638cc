//! One doctor run: resolve the AWS setup, build clients, run the selected checks, report.

use crate::aws::{self, AwsSetup, CallLimits, Clients};
use crate::checks::identity::CallerIdentity;
use crate::checks::organization::Organization;
use crate::checks::{self, RunEnv};
use crate::cli::DoctorArgs;
use crate::report::{CheckResult, Report, Status, Target};
use crate::runner::{self, Limits};
use aws_credential_types::provider::ProvideCredentials;
use std::sync::Arc;
use tokio::time::Instant;

/// Bad usage that the person must fix before anything runs (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

/// Told how many checks will run, then of each as it finishes (for a progress display).
pub trait Progress: Sync {
    fn start(&self, _checks: usize) {}
    fn finished(&self, _result: &crate::report::CheckResult) {}
}

/// No progress display.
pub struct Silent;
impl Progress for Silent {}

/// A run, then with `--wait` the failing checks again until they pass or time is up; the
/// config file's mutes are applied to the final report. `organization` reads the
/// organization instead of the run's own identity (`--accounts org|ou:ID` passes the
/// caller's, which every account's run shares).
pub async fn run(
    args: &DoctorArgs,
    environment: &aws::Environment,
    progress: &dyn Progress,
    organization: Option<Arc<Organization>>,
) -> Result<Report, UsageError> {
    let started = Instant::now();
    let mut report = run_once(args, environment, progress, organization.clone()).await?;
    if let Some(wait) = args.wait {
        let pause = (wait / 4).clamp(
            std::time::Duration::from_millis(200),
            std::time::Duration::from_secs(30),
        );
        loop {
            let failing: Vec<String> = report
                .checks
                .iter()
                .filter(|c| matches!(c.status, Status::Fail | Status::Error))
                .map(|c| c.id.clone())
                .collect();
            let left = wait.saturating_sub(started.elapsed());
            if failing.is_empty() || left.is_zero() {
                break;
            }
            eprintln!(
                "bedrock-doctor: waiting for {} ({} check{} failing); next try in {:.0}s, {:.0}s left",
                failing.join(", "),
                failing.len(),
                if failing.len() == 1 { "" } else { "s" },
                pause.min(left).as_secs_f64(),
                left.as_secs_f64()
            );
            tokio::time::sleep(pause.min(left)).await;
            let mut again = args.clone();
            again.only = failing;
            again.skip.clear();
            let newer = run_once(&again, environment, progress, organization.clone()).await?;
            for c in newer.checks {
                if let Some(old) = report
                    .checks
                    .iter_mut()
                    .find(|o| o.id == c.id && o.model == c.model)
                {
                    *old = c;
                }
            }
            report.recount();
        }
        report.duration_ms = started.elapsed().as_millis() as u64;
    }
    crate::config_file::apply_mutes(&mut report, &args.mutes, &crate::models::today());
    Ok(report)
}

async fn run_once(
    args: &DoctorArgs,
    environment: &aws::Environment,
    progress: &dyn Progress,
    organization: Option<Arc<Organization>>,
) -> Result<Report, UsageError> {
    let started = Instant::now();
    let selected = checks::select(&args.only, &args.skip)
        .and_then(|s| checks::enabled(s, args))
        .map_err(UsageError)?;
    let regions = model_regions(args)?;
    let body = match &args.body {
        Some(path) => Some(read_body(path)?),
        None => None,
    };
    // --app: the application's settings decide the region, the models and the call, and
    // the variables it sets (its env blocks) are the run's environment.
    let app = match args.app {
        Some(kind) => Some(read_app(kind, args, environment)?),
        None => None,
    };
    let environment = &match &app {
        Some(plan) => environment.with(&plan.env),
        None => environment.clone(),
    };
    let mut setup = AwsSetup::resolve(
        environment,
        // --region, else the application's, else the region of a --lambda ARN (the function
        // calls Bedrock there).
        args.region
            .as_deref()
            .map(aws::Sourced::flag)
            .or_else(|| app.as_ref()?.region.clone())
            .or_else(|| {
                let region = args.lambda.as_ref()?.region.clone()?;
                Some(aws::Sourced {
                    value: region,
                    source: "the ARN of --lambda".into(),
                })
            }),
        &regions,
        args.profile
            .as_deref()
            .or_else(|| Some(app.as_ref()?.profile.as_ref()?.value.as_str())),
        args.endpoint_url.as_deref(),
    )
    .await;
    // An application with a default region of its own uses it where the SDK would have
    // asked instance metadata or found nothing.
    if let Some(fallback) = app.as_ref().and_then(|p| p.region_fallback.clone()) {
        let unset = setup
            .region
            .as_ref()
            .is_none_or(|r| r.source == "EC2 instance metadata");
        if unset {
            setup.region = Some(fallback);
        }
    }
    for s in &setup.secrets {
        crate::secrets::register(s);
    }
    let limits = CallLimits {
        // A little inside the check's own deadline, so a call that never answers ends as
        // that call's timeout (a finding that names it), not as the check's.
        operation_timeout: args.check_timeout.mul_f64(0.9),
        ..CallLimits::default()
    };
    let sdk = aws::sdk_config(&setup, environment, args.endpoint_url.as_deref(), limits).await;
    let credentials = sdk.credentials_provider();
    let call_log = crate::calls::CallLog::default();
    let clients = Clients::new(&sdk, &call_log, usize::from(args.concurrency));
    // --lambda decides whose permissions and which models the run checks: it is read first
    // (one call, bounded like a check), and its settings fill what the command line left.
    let mut args = args.clone();
    let planned = app.is_some() && args.models.is_empty();
    let regions_given = args.regions.clone();
    if let Some(plan) = &app {
        crate::apps::apply(plan, setup.region_name(), &mut args);
    }
    let regions = model_regions(&args)?;
    let lambda = match &args.lambda {
        Some(function) => {
            let read =
                tokio::time::timeout(args.check_timeout, checks::lambda::read(&clients, function))
                    .await
                    .unwrap_or_else(|_| {
                        Err(crate::aws::CallFailure::TimedOut(format!(
                            "no answer within {:.1}s",
                            args.check_timeout.as_secs_f64()
                        )))
                    });
            if let Ok(f) = &read {
                checks::lambda::apply(f, &mut args);
            }
            Some(read)
        }
        None => None,
    };
    let args = &args;
    let organization =
        organization.unwrap_or_else(|| Arc::new(Organization::new(clients.organizations.clone())));
    let mut env = RunEnv {
        organization,
        clients,
        models: args.models.clone(),
        credentials: credentials.clone(),
        shared: Default::default(),
        settings: args.clone(),
        body,
        setup,
        regions,
        all_models: Default::default(),
        lambda,
        app,
        regional: Default::default(),
    };
    // An application that calls models in several regions: each region its own models.
    if let (true, Some(plan), Some(run)) = (planned, &env.app, env.setup.region_name()) {
        if !env.regions.is_empty() {
            for (r, ids) in plan.models_by_region(run, &regions_given) {
                env.all_models.insert(r, ids);
            }
            env.models = env.models_for(env.region()).to_vec();
        }
    }
    // `--model all`: each region's list, bounded to half the run (and one check's time) so
    // the account checks keep the rest; a region whose list does not come is one row that
    // names the call, and no row is ever about a model called `all`.
    let mut unexpanded: Vec<CheckResult> = Vec::new();
    if ModelSelection::of(&args.models) == ModelSelection::All {
        let regions = env.model_regions();
        let bound = (args.timeout / 2).min(args.check_timeout);
        let lists = futures::future::join_all(regions.iter().map(|r| async {
            match tokio::time::timeout(bound, expand_all_models(&env, r)).await {
                Ok(listed) => listed,
                Err(_) => Err(format!(
                    "no answer within {:.1}s: {}",
                    bound.as_secs_f64(),
                    call_log
                        .in_flight(None)
                        .iter()
                        .map(|f| f.describe())
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
            }
        }))
        .await;
        let labelled = !env.regions.is_empty();
        for (region, listed) in regions.iter().zip(lists) {
            match listed {
                Ok(ids) => {
                    env.all_models.insert(region.clone(), ids);
                }
                Err(why) => {
                    env.all_models.insert(region.clone(), Vec::new());
                    unexpanded.push(CheckResult {
                        id: "model-catalog".into(),
                        title: "Model catalog".into(),
                        model: None,
                        region: labelled.then(|| region.clone()),
                        status: Status::Error,
                        summary: format!(
                            "could not list the models of {region} for --model all: {why}"
                        ),
                        details: vec![],
                        findings: vec![],
                        duration_ms: bound.as_millis() as u64,
                        shape: None,
                    });
                }
            }
        }
        env.models = env.models_for(env.region()).to_vec();
    }
    let env = Arc::new(env);

    let jobs = checks::jobs(env.clone(), &selected);
    let waits: Vec<Vec<usize>> = jobs
        .iter()
        .map(|j| j.needs.iter().chain(&j.after).copied().collect())
        .collect();
    let names: Vec<String> = jobs
        .iter()
        .map(|j| match &j.model {
            Some(m) if env.models.len() > 1 => format!("{}[{m}]", j.id),
            _ => j.id.clone(),
        })
        .collect();
    let deadline = Limits {
        per_check: args.check_timeout,
        deadline: started + args.timeout,
        calls: Some(call_log.clone()),
    };
    progress.start(jobs.len());
    let on_finish = |r: &crate::report::CheckResult| progress.finished(r);
    let (mut results, account_facts) = runner::run(jobs, deadline, &on_finish).await;
    checks::invoke::join_simulation(&mut results, env.setup.api_key.is_some());
    if let Some(plan) = &env.app {
        checks::app::join(&mut results, plan, env.region());
    }
    // The rows of regions whose list did not come, where model-catalog rows stand.
    let at = results
        .iter()
        .position(|r| r.model.is_some())
        .unwrap_or(results.len());
    for (k, r) in unexpanded.into_iter().enumerate() {
        results.insert(at + k, r);
    }
    let timing = crate::calls::Timing::of(&call_log.calls(), &waits, started.elapsed());
    tracing::info!(
        "{}{}",
        env.setup
            .region_name()
            .map(|r| format!("{r}: "))
            .unwrap_or_default(),
        timing.summary(|j| names[j].clone())
    );

    // Whatever the chain resolved is secret from here on, even if no check printed it.
    if let Some(p) = credentials {
        if let Ok(Ok(c)) = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            p.provide_credentials(),
        )
        .await
        {
            crate::secrets::register(c.secret_access_key());
            crate::secrets::register_key_id(c.access_key_id());
            if let Some(t) = c.session_token() {
                crate::secrets::register(t);
            }
        }
    }

    let caller = account_facts.get::<CallerIdentity>();
    let target = Target {
        region: if env.regions.is_empty() {
            env.setup.region_name().map(str::to_string)
        } else {
            Some(env.regions.join(","))
        },
        profile: env.setup.profile_name().map(str::to_string),
        account: caller.map(|c| c.account.clone()),
        principal: caller.map(|c| c.arn.clone()),
        models: env.models.clone(),
        endpoint_url: args.endpoint_url.clone(),
    };
    Ok(Report::new(
        target,
        results,
        started.elapsed().as_millis() as u64,
    ))
}

use crate::models::ModelSelection;

async fn expand_all_models(env: &RunEnv, region: &str) -> Result<Vec<String>, String> {
    let (listed, profiles) = tokio::join!(
        env.shared.models(env, region),
        env.shared.profiles(env, region)
    );
    let listed =
        listed.map_err(|f| format!("bedrock:ListFoundationModels answered {}", f.describe()))?;
    let profiles = profiles.ok();
    let mut ids = Vec::new();
    for m in listed.iter() {
        let types: Vec<&str> = m
            .inference_types_supported()
            .iter()
            .map(|t| t.as_str())
            .collect();
        if types.contains(&"ON_DEMAND") {
            ids.push(m.model_id().to_string());
        } else if types.contains(&"INFERENCE_PROFILE") {
            let suffix = format!("foundation-model/{}", m.model_id());
            let profile = profiles.as_ref().and_then(|ps| {
                ps.iter()
                    .filter(|p| {
                        p.models()
                            .iter()
                            .any(|x| x.model_arn().is_some_and(|a| a.ends_with(&suffix)))
                    })
                    .map(|p| p.inference_profile_id().to_string())
                    .min_by_key(|id| (id.starts_with("global."), id.clone()))
            });
            ids.push(profile.unwrap_or_else(|| m.model_id().to_string()));
        }
    }
    Ok(ids)
}

/// `--app`: the application's settings, read from this machine (or the demo's).
fn read_app(
    kind: crate::cli::AppKind,
    args: &DoctorArgs,
    environment: &aws::Environment,
) -> Result<crate::apps::Plan, UsageError> {
    let files = crate::apps::Files::of(environment);
    let machine = crate::apps::Machine {
        environment,
        files: &files,
        home: environment.home(),
        config: args.app_config.clone(),
        cwd: std::env::current_dir().unwrap_or_else(|_| ".".into()),
        programs: match environment {
            aws::Environment::Given(m) => m.programs.clone(),
            _ => Vec::new(),
        },
    };
    crate::apps::app(kind).resolve(&machine).map_err(UsageError)
}

/// `--body FILE`: a JSON request body, read whole (bounded), or a one-line usage error.
fn read_body(path: &std::path::Path) -> Result<String, UsageError> {
    const LIMIT: u64 = 25 * 1024 * 1024;
    let shown = path.display();
    let meta = std::fs::metadata(path)
        .map_err(|e| UsageError(format!("cannot read --body `{shown}`: {e}")))?;
    if meta.len() > LIMIT {
        return Err(UsageError(format!(
            "--body `{shown}` is {} bytes; Bedrock request bodies are far smaller",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| UsageError(format!("cannot read --body `{shown}`: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| UsageError(format!("--body `{shown}` is not UTF-8 text")))?;
    serde_json::from_str::<serde_json::Value>(&text)
        .map_err(|e| UsageError(format!("--body `{shown}` is not JSON: {e}")))?;
    Ok(text)
}

/// `--regions LIST|all`: the regions the per-model checks run in, validated.
fn model_regions(args: &DoctorArgs) -> Result<Vec<String>, UsageError> {
    let regions: Vec<String> = if args.regions.iter().any(|r| r == "all") {
        crate::models::bedrock_regions().to_vec()
    } else {
        args.regions.clone()
    };
    if let Some(bad) = regions.iter().find(|r| !crate::aws::region_looks_valid(r)) {
        return Err(UsageError(format!(
            "`{bad}` in --regions is not a region name"
        )));
    }
    for r in &regions {
        if let Some(meant) = crate::aws::misspelt_region(r) {
            return Err(UsageError(format!(
                "`{r}` in --regions is not an AWS region: did you mean {meant}?"
            )));
        }
    }
    Ok(regions)
}
