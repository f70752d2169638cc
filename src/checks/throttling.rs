//! `throttling`: what the model has been living through, from CloudWatch.

use super::metrics::ModelMetrics;
use super::Ctx;
use crate::causes::Cause;
use crate::checks::credentials::human;
use crate::report::{Finding, Severity};
use crate::runner::{CheckFuture, Outcome};

const WARN_RATE: f64 = 0.01;
const FAIL_RATE: f64 = 0.05;

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move {
        let model = ctx.model_text();
        let all = match ctx.env.shared.metrics(&ctx.env, ctx.region()).await {
            Ok(m) => m,
            Err(f) => {
                return Outcome::error(
                    f.could_not("read the CloudWatch metrics", "cloudwatch:GetMetricData"),
                )
            }
        };
        let m = all.get(&model).cloned().unwrap_or_default();
        judge(&model, &m, &human(ctx.env.settings.window), ctx.region())
    })
}

fn minute(epoch: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(epoch.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

pub(crate) fn judge(model: &str, m: &ModelMetrics, window: &str, region: &str) -> Outcome {
    let requests = m.invocations + m.throttles;
    if requests == 0.0 {
        return Outcome::pass(format!(
            "no invocations of {model} in the last {window}: nothing to judge"
        ))
        .detail("CloudWatch has no AWS/Bedrock datapoints for this ModelId in the window");
    }
    let rate = m.throttle_rate();
    let peak = m
        .busiest_minute
        .map(|(t, n)| format!("{n:.0} requests in the busiest minute ({})", minute(t)))
        .unwrap_or_default();
    let mut out =
        Outcome::pass(format!(
            "{:.0} invocations, {:.0} throttled ({:.1}%) in the last {window}",
            m.invocations,
            m.throttles,
            rate * 100.0
        ))
        .detail(format!(
        "client errors {:.0}, server errors {:.0}, average latency {}, tokens in {:.0} / out {:.0}",
        m.client_errors,
        m.server_errors,
        m.latency_ms.map(|l| format!("{l:.0} ms")).unwrap_or_else(|| "n/a".into()),
        m.input_tokens,
        m.output_tokens
    ));
    if !peak.is_empty() {
        out = out.detail(peak.clone());
    }
    out = out.shape(m.shape.clone());
    if let Some((t, n)) = m.busiest_tokens_minute {
        out = out.detail(format!(
            "{n:.0} tokens in the busiest token minute ({})",
            minute(t)
        ));
    }
    if rate <= WARN_RATE {
        return out;
    }
    let severity = if rate > FAIL_RATE {
        Severity::Error
    } else {
        Severity::Warning
    };
    let profile = model
        .split('.')
        .next()
        .is_some_and(|p| crate::models::PROFILE_PREFIXES.contains(&format!("{p}.").as_str()));
    let mut f = Finding::new(
        Cause::Throttled,
        severity,
        format!(
            "{:.1}% of requests to {model} were throttled in the last {window}",
            rate * 100.0
        ),
    )
    .evidence(format!(
        "{:.0} throttled of {:.0} requests (Invocations + InvocationThrottles)",
        m.throttles, requests
    ))
    .fixes(super::fixes(
        "throttling",
        "throttled",
        &[
            ("model", model),
            ("region", region),
            ("profile", if profile { "yes" } else { "" }),
        ],
    ))
    .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/quotas.html");
    if !peak.is_empty() {
        f = f.evidence(peak);
    }
    out.summary = String::new();
    out.finding(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    fn metrics(invocations: f64, throttles: f64) -> ModelMetrics {
        ModelMetrics {
            invocations,
            throttles,
            busiest_minute: Some((1_700_000_040, 500.0)),
            ..Default::default()
        }
    }

    #[test]
    fn thresholds() {
        assert_eq!(
            judge("m.x", &metrics(1000.0, 5.0), "24h", "us-east-1").status(),
            Status::Pass
        );
        assert_eq!(
            judge("m.x", &metrics(1000.0, 30.0), "24h", "us-east-1").status(),
            Status::Warn
        );
        let o = judge("m.x", &metrics(1000.0, 90.0), "24h", "us-east-1");
        assert_eq!(o.status(), Status::Fail);
        assert!(
            o.findings[0].summary.contains("8.3%"),
            "{}",
            o.findings[0].summary
        );
        assert!(o.findings[0]
            .evidence
            .iter()
            .any(|e| e.contains("500 requests in the busiest minute")));
        assert!(o.findings[0]
            .remediation
            .iter()
            .any(|r| r.contains("us.m.x")));
    }

    #[test]
    fn no_traffic_is_a_pass_with_a_note() {
        let o = judge("m.x", &ModelMetrics::default(), "24h", "us-east-1");
        assert_eq!(o.status(), Status::Pass);
        assert!(o.summary.contains("no invocations"));
    }
}
