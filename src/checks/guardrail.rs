//! `guardrail` (only with `--guardrail`): the guardrail the application attaches exists at
//! that version in the call's region and is READY. Whether the principal may apply it is
//! simulated by iam-permissions, with the invoke actions.
//!
//! Facts from AWS: GetGuardrail answers ResourceNotFoundException for an unknown guardrail or
//! version, and its status is CREATING, UPDATING, VERSIONING, READY, FAILED or DELETING, with
//! statusReasons and failureRecommendations when FAILED (API_GetGuardrail.html); guardrails
//! are regional; a call with a guardrail needs bedrock:ApplyGuardrail on the guardrail's ARN
//! (guardrails-permissions.html).

use super::{fixes, Ctx};
use crate::aws::CallFailure;
use crate::causes::Cause;
use crate::cli::GuardrailRef;
use crate::report::{Finding, Severity};
use crate::runner::{CheckFuture, Outcome};
use futures::StreamExt;
use std::time::Duration;

const DOC: &str =
    "https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions.html";

/// The guardrail as the account has it, for the test call and the report.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardrailInUse {
    pub arn: String,
    pub name: String,
    pub version: String,
}

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move {
        let Some(g) = ctx.env.settings.guardrail.clone() else {
            return Outcome::skip("not applicable: no --guardrail");
        };
        let mut out = check(&ctx, &g).await;
        // The row reads as what was found, not as the READY it started from.
        if let Some(f) = out.findings.first() {
            out.summary = f.summary.clone();
        }
        out
    })
}

async fn check(ctx: &Ctx, g: &GuardrailRef) -> Outcome {
    let region = ctx.region().to_string();
    let shown = format!("{}:{}", g.id, g.version);
    if let Some((_, there, _)) = g.arn_parts.as_ref().filter(|(_, r, _)| *r != region) {
        return Outcome::default().finding(
            Finding::new(
                Cause::GuardrailUnavailable,
                Severity::Error,
                format!("the guardrail {shown} is in {there}, and the calls go to {region}"),
            )
            .evidence("a call names a guardrail of its own region; Bedrock answers \"The guardrail identifier or version provided in the request does not exist.\"")
            .fixes(fixes("guardrail", "other-region", &[("region", &region), ("guardrail_region", there)]))
            .doc(DOC),
        );
    }
    let identifier = g.identifier();
    let got = ctx
        .clients()
        .bedrock
        .get_guardrail()
        .guardrail_identifier(&identifier)
        .guardrail_version(&g.version)
        .send()
        .await;
    let found = match got {
        Ok(found) => found,
        Err(e) => {
            let f = CallFailure::from_sdk(&e);
            if f.code() != Some("ResourceNotFoundException") {
                return Outcome::error(f.could_not(
                    &format!("read the guardrail {shown} in {region}"),
                    "bedrock:GetGuardrail",
                ));
            }
            return not_found(ctx, g, &identifier, &region, &f).await;
        }
    };
    let status = found.status().as_str().to_string();
    let name = found.name().to_string();
    let seen = format!(
        "GetGuardrail({identifier}, version {}) in {region}: `{name}`, status {status}",
        g.version
    );
    let mut out = Outcome::pass(format!("guardrail `{name}` ({shown}) is READY in {region}"))
        .detail(seen.clone())
        .fact(GuardrailInUse {
            arn: found.guardrail_arn().to_string(),
            name: name.clone(),
            version: found.version().to_string(),
        });
    if status != "READY" {
        let failed = status == "FAILED";
        let mut f = Finding::new(
            Cause::GuardrailUnavailable,
            Severity::Error,
            format!("the guardrail `{name}` ({shown}) is {status}, not READY"),
        )
        .evidence(seen);
        for r in found.status_reasons() {
            f = f.evidence(format!("reason: {r}"));
        }
        for r in found.failure_recommendations() {
            f = f.evidence(format!("AWS recommends: {r}"));
        }
        let facts = [
            ("status", status.as_str()),
            ("failed", if failed { "yes" } else { "" }),
            ("id", g.id.as_str()),
            ("region", region.as_str()),
        ];
        out = out.finding(f.fixes(fixes("guardrail", "not-ready", &facts)).doc(DOC));
    }
    out
}

/// A guardrail the region does not have: say where it is, when another region has it.
async fn not_found(
    ctx: &Ctx,
    g: &GuardrailRef,
    identifier: &str,
    region: &str,
    f: &CallFailure,
) -> Outcome {
    let shown = format!("{}:{}", g.id, g.version);
    let found_in = if g.arn_parts.is_some() {
        Vec::new()
    } else {
        regions_holding(ctx, g, region).await
    };
    let mut finding = Finding::new(
        Cause::GuardrailUnavailable,
        Severity::Error,
        format!("the guardrail {shown} does not exist in {region}"),
    )
    .evidence(format!("GetGuardrail({identifier}, version {}) in {region}: {}", g.version, f.describe()))
    .evidence("calls naming it fail with ValidationException: \"The guardrail identifier or version provided in the request does not exist.\" (the same words for a wrong id, a wrong version and another region)");
    if !found_in.is_empty() {
        finding = finding.evidence(format!("it exists in: {}", found_in.join(", ")));
    }
    let found_in = found_in.join(", ");
    let facts = [
        ("found_in", found_in.as_str()),
        ("region", region),
        ("id", g.id.as_str()),
    ];
    Outcome::default().finding(
        finding
            .fixes(fixes("guardrail", "not-found", &facts))
            .doc(DOC),
    )
}

/// The other Bedrock regions where a guardrail with this id and version exists (asked at
/// once, bounded; a region that does not answer is not counted).
async fn regions_holding(ctx: &Ctx, g: &GuardrailRef, home: &str) -> Vec<String> {
    let others: Vec<String> = crate::models::bedrock_regions()
        .iter()
        .filter(|r| *r != home)
        .cloned()
        .collect();
    let mut found: Vec<String> = futures::stream::iter(others)
        .map(|r| async move {
            let ask = ctx
                .env
                .clients_in(&r)
                .bedrock
                .get_guardrail()
                .guardrail_identifier(&g.id)
                .guardrail_version(&g.version)
                .send();
            let there = matches!(
                tokio::time::timeout(Duration::from_secs(10), ask).await,
                Ok(Ok(_))
            );
            there.then_some(r)
        })
        .buffer_unordered(8)
        .filter_map(|r| async move { r })
        .collect()
        .await;
    found.sort();
    found
}
