//! `quotas`: how close the busiest minute came to the applied quota.

use super::metrics::ModelMetrics;
use super::model_catalog::ResolvedModel;
use super::shared::Quota;
use super::Ctx;
use crate::causes::Cause;
use crate::report::{Finding, Severity};
use crate::runner::{CheckFuture, Outcome};

const HEADROOM_WARN: f64 = 0.8;

/// How the model is called decides which quota governs it.
fn mode(model: &str) -> (&'static str, &'static [&'static str]) {
    if model.starts_with("global.") {
        (
            "global cross-region",
            &["global cross-region", "global cross region"],
        )
    } else if crate::models::PROFILE_PREFIXES
        .iter()
        .any(|p| model.starts_with(p))
    {
        ("cross-region", &["cross-region", "cross region"])
    } else {
        ("on-demand", &["on-demand", "on demand"])
    }
}

/// Quotas whose name is about this model, this way of calling it, and the unit.
pub(crate) fn matching<'a>(
    quotas: &'a [Quota],
    model_name: &str,
    model: &str,
    unit: &str,
) -> Vec<&'a Quota> {
    let (_, words) = mode(model);
    let name = model_name.to_ascii_lowercase();
    quotas
        .iter()
        .filter(|q| {
            let q = q.name.to_ascii_lowercase();
            let right_mode = words.iter().any(|w| q.starts_with(w))
                && !(words[0] == "cross-region" && q.starts_with("global"));
            right_mode && q.contains(unit) && q.contains(&name)
        })
        .collect()
}

/// The daily token quotas a call to this model draws on: the model's own ("Model invocation
/// max tokens per day for <model>") and the account's, across models ("Cross-Model Max Tokens
/// Per Day"; for global profiles also "Global cross-region model inference tokens per day").
/// docs: quotas-runtime.html.
pub(crate) fn daily<'a>(quotas: &'a [Quota], model_name: &str, model: &str) -> Vec<&'a Quota> {
    let name = model_name.to_ascii_lowercase();
    let global = model.starts_with("global.");
    quotas
        .iter()
        .filter(|q| {
            let q = q.name.to_ascii_lowercase();
            q.contains("tokens per day")
                && (q.contains(&name)
                    || q.starts_with("cross-model")
                    || (global && q.starts_with("global cross-region")))
        })
        .collect()
}

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move {
        let model = ctx.model_text();
        if let Some(o) = ctx
            .facts
            .get::<ResolvedModel>()
            .and_then(|r| r.owned.as_ref())
        {
            return Outcome::skip(format!(
                "not applicable: the on-demand quotas matched here are the foundation models'; the capacity of {} is its own (model units for provisioned throughput)",
                o.kind.a_noun()
            ));
        }
        // The live list names the model; without it, the offline catalog does.
        let Some(name) = ctx
            .facts
            .get::<ResolvedModel>()
            .and_then(|r| r.model_name.clone())
            .or_else(|| {
                let id = super::model_id_of(&ctx)?;
                crate::knowledge::models::name_of(&id).map(str::to_string)
            })
        else {
            if ctx
                .facts
                .get::<super::model_catalog::NotCallable>()
                .is_some()
            {
                return Outcome::skip(super::no_model(&ctx));
            }
            return Outcome::skip("waited for `model-catalog`, which did not give the model's name (bedrock:ListFoundationModels): quota names are matched by it");
        };
        // The throttling check (which this one runs after) reads the metrics; usage is
        // compared when it could, but a quota of 0 needs no metrics.
        let (metrics, unread) = match ctx.env.shared.metrics_read(ctx.region()) {
            Some(Ok(m)) => (m.get(&model).cloned().unwrap_or_default(), None),
            Some(Err(f)) => (Default::default(), Some(f.describe())),
            None => (Default::default(), Some("no answer in time".to_string())),
        };
        let quotas = match ctx.env.shared.quotas(&ctx.env, ctx.region()).await {
            Ok(q) => q,
            Err(f) => {
                return Outcome::error(
                    f.could_not("list the Bedrock quotas", "servicequotas:ListServiceQuotas"),
                )
            }
        };
        let window = super::credentials::human(ctx.env.settings.window);
        let out = judge(&model, &name, &metrics, &quotas, ctx.region(), &window);
        match unread {
            Some(why) => {
                let mut out = out.detail(format!("usage was not compared: the CloudWatch metrics (cloudwatch:GetMetricData) were not read ({why})"));
                if out.findings.is_empty() {
                    out.summary = format!("no quota of {name} is 0; usage not compared: cloudwatch:GetMetricData gave no metrics");
                }
                out
            }
            None => out,
        }
    })
}

pub(crate) fn judge(
    model: &str,
    name: &str,
    m: &ModelMetrics,
    quotas: &[Quota],
    region: &str,
    window: &str,
) -> Outcome {
    let (how, _) = mode(model);
    let rpm = matching(quotas, name, model, "requests per minute");
    let tpm = matching(quotas, name, model, "tokens per minute");
    let tpd = daily(quotas, name, model);
    if rpm.is_empty() && tpm.is_empty() && tpd.is_empty() {
        return Outcome::pass(format!(
            "no {how} token or request quota for {name} is listed in {region}"
        ))
        .detail(
            "quota names vary by model and change over time; matched by model name, mode and unit",
        );
    }
    let rate = crate::models::output_burndown(model);
    let peak_requests = m.busiest_minute.map(|(_, n)| n).unwrap_or(0.0);
    let peak_tokens = m.busiest_tokens_minute.map(|(_, n)| n).unwrap_or(0.0);
    // AWS counts output tokens at the model's burndown rate against every token quota.
    let day_tokens = m.input_tokens + m.output_tokens * rate;
    let mut out = Outcome::pass(format!("usage within the {how} quotas for {name}"));
    if rate != 1.0 {
        out = out.detail(format!(
            "{model} burns {rate:.0} quota tokens per output token (docs: quotas-token-burndown.html); the token figures below are weighted so"
        ));
    }
    for q in rpm.iter().chain(&tpm).chain(&tpd) {
        if q.value == 0.0 {
            out = out.finding(zero_quota(q, name, region));
        }
    }
    // The traffic's shape is drawn against the requests-per-minute quota.
    let quota = rpm.iter().map(|q| q.value).find(|v| *v > 0.0);
    for (quotas, peak, unit) in [
        (
            rpm,
            peak_requests,
            "requests in the busiest minute".to_string(),
        ),
        (tpm, peak_tokens, "tokens in the busiest minute".to_string()),
        (tpd, day_tokens, format!("tokens in the last {window}")),
    ] {
        for q in quotas.into_iter().filter(|q| q.value > 0.0) {
            let used = peak / q.value;
            out = out.detail(format!(
                "{} ({}) = {:.0}; {peak:.0} {unit} ({:.0}%)",
                q.name,
                q.code,
                q.value,
                used * 100.0
            ));
            if used > HEADROOM_WARN {
                out = out.finding(headroom(q, used, peak, &unit, region));
            }
        }
    }
    if !out.findings.is_empty() {
        out.summary = out.findings[0].summary.clone();
    }
    out.shape(m.shape.clone().map(|s| crate::report::Shape {
        quota_per_minute: quota,
        ..s
    }))
}

/// An applied value of 0 (new accounts can get reduced quotas): the model cannot be called.
fn zero_quota(q: &Quota, name: &str, region: &str) -> Finding {
    let seen = format!(
        "quota {} \"{}\" has the applied value 0 in {region}{}",
        q.code,
        q.name,
        if q.adjustable {
            ""
        } else {
            " and is not adjustable"
        }
    );
    let f = if q.adjustable {
        Finding::new(Cause::Throttled, Severity::Error, format!("every call to {name} is throttled: \"{}\" is 0", q.name))
            .evidence(seen)
            .evidence("AWS answers each call with ThrottlingException (\"Too many tokens per day\" or \"per minute\") until the quota is raised")
            .fixes(super::fixes("quotas", "zero-adjustable", &[("quota_code", &q.code), ("region", region)]))
    } else {
        Finding::new(Cause::AccountRestricted, Severity::Error, format!("every call to {name} is refused: \"{}\" is 0 and only AWS Support can raise it", q.name))
            .evidence(seen)
            .evidence("new accounts can get reduced quotas; AWS answers each call with ThrottlingException until Support raises it")
            .fixes(super::fixes("quotas", "zero-fixed", &[("quota_code", &q.code), ("quota_name", &q.name), ("region", region)]))
    };
    f.doc("https://docs.aws.amazon.com/bedrock/latest/userguide/quotas-runtime.html")
}

fn headroom(q: &Quota, used: f64, peak: f64, unit: &str, region: &str) -> Finding {
    let target = (q.value * 2.0).ceil();
    let f = Finding::new(
        Cause::QuotaHeadroomLow,
        Severity::Warning,
        format!("{:.0}% of \"{}\" used", used * 100.0, q.name),
    )
    .evidence(format!(
        "quota {} applied value {:.0}; {peak:.0} {unit}",
        q.code, q.value
    ));
    let situation = if q.adjustable {
        "headroom-adjustable"
    } else {
        "headroom-fixed"
    };
    let target = format!("{target:.0}");
    f.fixes(super::fixes(
        "quotas",
        situation,
        &[
            ("quota_code", &q.code),
            ("target", &target),
            ("region", region),
        ],
    ))
    .doc("https://docs.aws.amazon.com/servicequotas/latest/userguide/request-quota-increase.html")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    fn q(code: &str, name: &str, v: f64) -> Quota {
        Quota {
            code: code.into(),
            name: name.into(),
            value: v,
            adjustable: true,
        }
    }

    #[test]
    fn matches_by_mode_unit_and_name() {
        let quotas = vec![
            q(
                "L-1",
                "On-demand InvokeModel requests per minute for Amazon Nova Lite",
                200.0,
            ),
            q(
                "L-2",
                "Cross-region model inference requests per minute for Amazon Nova Lite",
                400.0,
            ),
            q(
                "L-3",
                "Global cross-region model inference requests per minute for Amazon Nova Lite",
                800.0,
            ),
            q(
                "L-4",
                "On-demand InvokeModel tokens per minute for Amazon Nova Lite",
                200000.0,
            ),
            q(
                "L-5",
                "On-demand InvokeModel requests per minute for Amazon Nova Pro",
                100.0,
            ),
        ];
        let codes = |v: Vec<&Quota>| v.iter().map(|x| x.code.clone()).collect::<Vec<_>>();
        assert_eq!(
            codes(matching(
                &quotas,
                "Nova Lite",
                "amazon.nova-lite-v1:0",
                "requests per minute"
            )),
            ["L-1"]
        );
        assert_eq!(
            codes(matching(
                &quotas,
                "Nova Lite",
                "us.amazon.nova-lite-v1:0",
                "requests per minute"
            )),
            ["L-2"]
        );
        assert_eq!(
            codes(matching(
                &quotas,
                "Nova Lite",
                "global.amazon.nova-lite-v1:0",
                "requests per minute"
            )),
            ["L-3"]
        );
        assert_eq!(
            codes(matching(
                &quotas,
                "Nova Lite",
                "amazon.nova-lite-v1:0",
                "tokens per minute"
            )),
            ["L-4"]
        );
    }

    #[test]
    fn a_zero_quota_means_the_model_cannot_be_called() {
        let mut quotas = vec![q(
            "L-210172B5",
            "Model invocation max tokens per day for Amazon Nova 2 Lite",
            0.0,
        )];
        let o = judge(
            "amazon.nova-2-lite-v1:0",
            "Nova 2 Lite",
            &ModelMetrics::default(),
            &quotas,
            "us-east-1",
            "24h",
        );
        assert_eq!(o.status(), Status::Fail);
        assert_eq!(o.findings[0].cause, Cause::Throttled);
        assert!(o.findings[0].remediation[1].contains(
            "request-service-quota-increase --service-code bedrock --quota-code L-210172B5"
        ));
        quotas[0].adjustable = false;
        let o = judge(
            "amazon.nova-2-lite-v1:0",
            "Nova 2 Lite",
            &ModelMetrics::default(),
            &quotas,
            "us-east-1",
            "24h",
        );
        assert_eq!(o.findings[0].cause, Cause::AccountRestricted);
        assert!(o.findings[0].remediation[0].contains("AWS Support"));
    }

    #[test]
    fn daily_usage_counts_output_at_the_burndown_rate() {
        let quotas = vec![
            q(
                "L-D1",
                "Model invocation max tokens per day for Anthropic Claude Sonnet 4.6",
                1_000_000.0,
            ),
            q(
                "L-E3F10727",
                "Cross-Model Max Tokens Per Day",
                700_000_000.0,
            ),
            q(
                "L-D2",
                "Model invocation max tokens per day for Amazon Nova Lite",
                10.0,
            ),
        ];
        assert_eq!(
            daily(
                &quotas,
                "Claude Sonnet 4.6",
                "us.anthropic.claude-sonnet-4-6"
            )
            .len(),
            2
        );
        // 100k in + 150k out x 5 = 850k of 1M: 85%, above the warning line; 1:1 it would be 25%
        let m = ModelMetrics {
            input_tokens: 100_000.0,
            output_tokens: 150_000.0,
            ..Default::default()
        };
        let o = judge(
            "us.anthropic.claude-sonnet-4-6",
            "Claude Sonnet 4.6",
            &m,
            &quotas,
            "us-east-1",
            "24h",
        );
        assert_eq!(o.status(), Status::Warn);
        assert_eq!(o.findings.len(), 1);
        assert!(
            o.findings[0].summary.starts_with("85%"),
            "{}",
            o.findings[0].summary
        );
    }

    #[test]
    fn warns_above_80_percent_with_the_command() {
        let quotas = vec![q(
            "L-1",
            "On-demand InvokeModel requests per minute for Amazon Nova Lite",
            200.0,
        )];
        let m = ModelMetrics {
            busiest_minute: Some((0, 180.0)),
            ..Default::default()
        };
        let o = judge(
            "amazon.nova-lite-v1:0",
            "Nova Lite",
            &m,
            &quotas,
            "us-east-1",
            "24h",
        );
        assert_eq!(o.status(), Status::Warn);
        assert!(o.findings[0].summary.contains("90%"));
        assert!(o.findings[0].remediation[0].contains("--quota-code L-1 --desired-value 400"));
        let calm = ModelMetrics {
            busiest_minute: Some((0, 100.0)),
            ..Default::default()
        };
        assert_eq!(
            judge(
                "amazon.nova-lite-v1:0",
                "Nova Lite",
                &calm,
                &quotas,
                "us-east-1",
                "24h"
            )
            .status(),
            Status::Pass
        );
    }
}
