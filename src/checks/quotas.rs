//! `quotas`: how close the busiest minute came to the applied quota.

use super::metrics::ModelMetrics;
use super::model_catalog::ResolvedModel;
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
    quotas: &'a [(String, String, f64)],
    model_name: &str,
    model: &str,
    unit: &str,
) -> Vec<&'a (String, String, f64)> {
    let (_, words) = mode(model);
    let name = model_name.to_ascii_lowercase();
    quotas
        .iter()
        .filter(|(_, q, _)| {
            let q = q.to_ascii_lowercase();
            let right_mode = words.iter().any(|w| q.starts_with(w))
                && !(words[0] == "cross-region" && q.starts_with("global"));
            right_mode && q.contains(unit) && q.contains(&name)
        })
        .collect()
}

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move {
        let model = ctx.model.clone().unwrap_or_default();
        let Some(name) = ctx
            .facts
            .get::<ResolvedModel>()
            .and_then(|r| r.model_name.clone())
        else {
            return Outcome::skip("the model-catalog check could not resolve the model's name");
        };
        let metrics = match ctx.env.shared.metrics(&ctx.env, ctx.region()).await {
            Ok(m) => m.get(&model).cloned().unwrap_or_default(),
            Err(_) => {
                return Outcome::skip(
                    "needs the CloudWatch metrics, which the throttling check could not read",
                )
            }
        };
        let quotas = match ctx.env.shared.quotas(&ctx.env, ctx.region()).await {
            Ok(q) => q,
            Err(f) => {
                return Outcome::error(
                    f.could_not("list the Bedrock quotas", "servicequotas:ListServiceQuotas"),
                )
            }
        };
        judge(&model, &name, &metrics, &quotas, ctx.region())
    })
}

pub(crate) fn judge(
    model: &str,
    name: &str,
    m: &ModelMetrics,
    quotas: &[(String, String, f64)],
    region: &str,
) -> Outcome {
    let (how, _) = mode(model);
    let rpm = matching(quotas, name, model, "requests per minute");
    let tpm = matching(quotas, name, model, "tokens per minute");
    if rpm.is_empty() && tpm.is_empty() {
        return Outcome::pass(format!(
            "no {how} per-minute quota for {name} is listed in {region}"
        ))
        .detail(
            "quota names vary by model and change over time; matched by model name, mode and unit",
        );
    }
    let peak_requests = m.busiest_minute.map(|(_, n)| n).unwrap_or(0.0);
    let peak_tokens = m.busiest_tokens_minute.map(|(_, n)| n).unwrap_or(0.0);
    let mut out = Outcome::pass(format!("busiest minute within the {how} quotas for {name}"));
    for (quotas, peak, unit) in [
        (rpm, peak_requests, "requests"),
        (tpm, peak_tokens, "tokens"),
    ] {
        for (code, qname, value) in quotas {
            let used = if *value > 0.0 { peak / value } else { 0.0 };
            out = out.detail(format!(
                "{qname} ({code}) = {value:.0}; busiest minute {peak:.0} {unit} ({:.0}%)",
                used * 100.0
            ));
            if used > HEADROOM_WARN {
                let target = (value * 2.0).ceil();
                out = out.finding(
                    Finding::new(
                        Cause::QuotaHeadroomLow,
                        Severity::Warning,
                        format!("the busiest minute used {:.0}% of \"{qname}\"", used * 100.0),
                    )
                    .evidence(format!("quota {code} applied value {value:.0}; busiest minute {peak:.0} {unit}"))
                    .fix(format!("aws service-quotas request-service-quota-increase --service-code bedrock --quota-code {code} --desired-value {target:.0} --region {region}"))
                    .fix("or in the console: Service Quotas > Amazon Bedrock > the quota above > Request increase")
                    .fix("meanwhile keep retries with backoff in the client: the next burst will be throttled")
                    .doc("https://docs.aws.amazon.com/servicequotas/latest/userguide/request-quota-increase.html"),
                );
            }
        }
    }
    if !out.findings.is_empty() {
        out.summary = String::new();
        out.summary = out.findings[0].summary.clone();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    fn q(code: &str, name: &str, v: f64) -> (String, String, f64) {
        (code.into(), name.into(), v)
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
        let codes =
            |v: Vec<&(String, String, f64)>| v.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
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
                "us-east-1"
            )
            .status(),
            Status::Pass
        );
    }
}
