//! One doctor run: resolve the AWS setup, build clients, run the selected checks, report.

use crate::aws::{self, AwsSetup, CallLimits, Clients};
use crate::checks::identity::CallerIdentity;
use crate::checks::{self, RunEnv};
use crate::cli::DoctorArgs;
use crate::report::{Report, Target};
use crate::runner::{self, Limits};
use aws_credential_types::provider::ProvideCredentials;
use std::sync::Arc;
use tokio::time::Instant;

/// Bad usage that the person must fix before anything runs (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

pub async fn run(args: &DoctorArgs, on_finish: runner::OnFinish<'_>) -> Result<Report, UsageError> {
    let started = Instant::now();
    let selected = checks::select(&args.only, &args.skip).map_err(UsageError)?;
    let setup = AwsSetup::resolve(
        args.region.as_deref(),
        args.profile.as_deref(),
        args.endpoint_url.as_deref(),
    )
    .await;
    for s in &setup.secrets {
        crate::secrets::register(s);
    }
    let limits = CallLimits {
        operation_timeout: args.check_timeout,
        ..CallLimits::default()
    };
    let sdk = aws::sdk_config(&setup, args.endpoint_url.as_deref(), limits).await;
    let credentials = sdk.credentials_provider();
    let env = Arc::new(RunEnv {
        clients: Clients::new(&sdk),
        models: args.models.clone(),
        credentials: credentials.clone(),
        setup,
    });

    let jobs = checks::jobs(env.clone(), &selected);
    let deadline = Limits {
        per_check: args.check_timeout,
        deadline: started + args.timeout,
    };
    let (results, account_facts) = runner::run(jobs, deadline, on_finish).await;

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
        region: env.setup.region_name().map(str::to_string),
        profile: env.setup.profile_name().map(str::to_string),
        account: caller.map(|c| c.account.clone()),
        principal: caller.map(|c| c.arn.clone()),
        models: args.models.clone(),
        endpoint_url: args.endpoint_url.clone(),
    };
    Ok(Report::new(
        target,
        results,
        started.elapsed().as_millis() as u64,
    ))
}
