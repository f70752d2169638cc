//! Retries made visible: with -v, every AWS call the SDK retries is logged with its attempt
//! number and the bound, and how it ended. Nothing is logged for calls that needed one try.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::RetryConfig;

/// The interceptor every client of a run carries (see `aws::Clients`).
#[derive(Debug, Clone, Copy, Default)]
pub struct RetryLog;

/// `sts GetCallerIdentity`
fn call(cfg: &ConfigBag) -> String {
    cfg.load::<Metadata>()
        .map(|m| format!("{} {}", m.service(), m.name()))
        .unwrap_or_else(|| "an AWS call".into())
}

/// (this attempt, the most attempts allowed)
fn attempts(cfg: &ConfigBag) -> (u32, u32) {
    let n = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
    let max = cfg.load::<RetryConfig>().map_or(1, |r| r.max_attempts());
    (n, max)
}

impl Intercept for RetryLog {
    fn name(&self) -> &'static str {
        "RetryLog"
    }

    fn read_before_attempt(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (n, max) = attempts(cfg);
        if n > 1 {
            tracing::info!("{}: retrying, attempt {n} of at most {max}", call(cfg));
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (n, max) = attempts(cfg);
        if n > 1 {
            let call = call(cfg);
            match (context.output_or_error(), context.response()) {
                (Some(Ok(_)), _) => tracing::info!("{call}: answered on attempt {n}"),
                (_, Some(r)) => tracing::info!(
                    "{call}: gave up after {n} of at most {max} attempts (last answer: HTTP {})",
                    r.status().as_u16()
                ),
                (Some(Err(e)), None) => tracing::info!(
                    "{call}: gave up after {n} of at most {max} attempts ({})",
                    crate::aws::error_chain(e)
                ),
                (None, None) => {}
            }
        }
        Ok(())
    }
}
