//! `model-access`: is the account entitled to the model (access, agreement, use-case form)?

use super::{fixes, Ctx};
use crate::aws::CallFailure;
use crate::causes::Cause;
use crate::report::{Finding, Severity};
use crate::runner::{CheckFuture, Outcome};

/// No Anthropic form is on record for this account. The form is submitted once per account,
/// or once at the organization's management account and inherited by its member accounts
/// (docs: model-access.html); a member account may not see an inherited form, so it is told
/// what was seen and how to confirm, not that the form is missing.
async fn missing_form(ctx: &Ctx, model_id: &str) -> Finding {
    let account = ctx
        .facts
        .get::<super::identity::CallerIdentity>()
        .map(|c| c.account.clone());
    let management = ctx.env.shared.management_account(&ctx.env.clients).await;
    let seen = "GetUseCaseForModelAccess answered ResourceNotFoundException: no form on record for this account";
    let base = |severity, summary: String| {
        Finding::new(Cause::UseCaseFormRequired, severity, summary)
            .evidence(seen)
            .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/model-access.html")
    };
    match (management, account) {
        (Ok(Some(m)), Some(a)) if m != a => base(
            Severity::Warning,
            format!("no Anthropic use-case form is on record for this account; it may be inherited from the organization's management account {m}"),
        )
        .evidence(format!("this account is a member of an organization managed by {m}; a form submitted there covers member accounts, and may not be visible from here"))
        .fixes(fixes("model-access", "form-maybe-inherited", &[])),
        (Ok(_), _) => base(
            Severity::Error,
            "Anthropic models need the one-time use-case form, and this account has not submitted it".to_string(),
        )
        .fixes(fixes(
            "model-access",
            "form-missing",
            &[("region", ctx.region()), ("model", model_id)],
        )),
        (Err(f), _) => base(
            Severity::Error,
            "no Anthropic use-case form is on record for this account".to_string(),
        )
        .evidence(format!("whether the account belongs to an organization (whose management account's form it would inherit) could not be read: {}", f.describe()))
        .fixes(fixes("model-access", "form-unknown", &[])),
    }
}

/// The model's Marketplace agreement status (AVAILABLE, PENDING, NOT_AVAILABLE, ERROR).
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement(pub String);

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move {
        let owned = ctx
            .facts
            .get::<super::model_catalog::ResolvedModel>()
            .and_then(|r| r.owned.as_ref());
        let Some(model_id) = super::model_id_of(&ctx) else {
            return match owned {
                Some(o) => Outcome::skip(format!(
                    "not applicable: {} is the account's own; no access or agreement is involved",
                    o.kind.a_noun()
                )),
                None => Outcome::skip(super::no_model(&ctx)),
            };
        };
        let anthropic = model_id.starts_with("anthropic.");
        check(&ctx, &model_id, anthropic).await
    })
}

async fn check(ctx: &Ctx, model_id: &str, anthropic: bool) -> Outcome {
    let region = ctx.region();
    // The use-case form does not depend on the availability answer: ask both at once.
    let (got, use_case) = tokio::join!(
        ctx.clients()
            .bedrock
            .get_foundation_model_availability()
            .model_id(model_id)
            .send(),
        async {
            if anthropic {
                Some(ctx.env.shared.use_case_submitted(&ctx.env.clients).await)
            } else {
                None
            }
        }
    );
    let a = match got {
        Ok(a) => a,
        Err(e) => {
            return Outcome::error(CallFailure::from_sdk(&e).could_not(
                &format!("read the access status of {model_id}"),
                "bedrock:GetFoundationModelAvailability",
            ))
        }
    };
    let auth = a.authorization_status().as_str().to_string();
    let entitled = a.entitlement_availability().as_str().to_string();
    let in_region = a.region_availability().as_str().to_string();
    let agreement = a
        .agreement_availability()
        .map(|g| g.status().as_str().to_string())
        .unwrap_or_default();
    let agreement_error = a
        .agreement_availability()
        .and_then(|g| g.error_message())
        .unwrap_or("")
        .to_string();
    let seen = format!("GetFoundationModelAvailability({model_id}) in {region}: authorization {auth}, entitlement {entitled}, region {in_region}, agreement {agreement}");
    let facts = [
        ("region", region),
        ("model", model_id),
        (
            "govcloud",
            if region.starts_with("us-gov-") {
                "yes"
            } else {
                ""
            },
        ),
    ];
    let mut out = Outcome::pass(format!(
        "{model_id}: access authorized, agreement {}",
        agreement.to_ascii_lowercase()
    ))
    .detail(seen.clone());

    if in_region == "NOT_AVAILABLE" {
        out = out.finding(
            Finding::new(
                Cause::ModelNotInRegion,
                Severity::Error,
                format!("{model_id} is not available to this account in {region}"),
            )
            .evidence(seen.clone())
            .fixes(fixes("model-access", "not-in-region", &facts)),
        );
    }
    if auth != "AUTHORIZED" || entitled != "AVAILABLE" {
        out = out.finding(
            Finding::new(
                Cause::ModelAccessNotGranted,
                Severity::Error,
                format!("this account is not entitled to {model_id} in {region}"),
            )
            .evidence(seen.clone())
            .fixes(fixes("model-access", "not-entitled", &facts))
            .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/model-access.html"),
        );
    }
    // Providers AWS does not sell through Marketplace have no agreement to wait for or fail.
    let marketplace = crate::models::sold_through_marketplace(model_id);
    match agreement.as_str() {
        _ if !marketplace => {}
        "PENDING" => {
            out = out.finding(
                Finding::new(Cause::MarketplaceSubscription, Severity::Error, format!("the Marketplace subscription for {model_id} is still being created"))
                    .evidence(seen.clone())
                    .fixes(fixes("model-access", "subscription-pending", &facts))
                    .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/model-access-permissions.html"),
            );
        }
        "ERROR" => {
            let payment = agreement_error.to_ascii_lowercase().contains("payment");
            let (cause, summary) = if payment {
                (Cause::PaymentInstrumentInvalid, format!("the agreement for {model_id} failed: the account has no valid payment method"))
            } else {
                (
                    Cause::MarketplaceSubscription,
                    format!("the Marketplace agreement for {model_id} failed"),
                )
            };
            let mut f = Finding::new(cause, Severity::Error, summary).evidence(seen.clone());
            if !agreement_error.is_empty() {
                f = f.evidence(format!("AWS says: {agreement_error}"));
            }
            f = if payment {
                f.fixes(fixes("model-access", "payment-invalid", &facts))
                    .doc("https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/manage-payment-method.html")
            } else {
                f.fixes(fixes("model-access", "agreement-failed", &facts))
            };
            out = out.finding(f);
        }
        _ => {}
    }
    if let Some(use_case) = use_case {
        match use_case {
            Ok(true) => {
                out = out.detail("the Anthropic use-case form has been submitted for this account")
            }
            Ok(false) => {
                out = out.finding(missing_form(ctx, model_id).await);
            }
            Err(f) if out.findings.is_empty() => {
                return Outcome::error(f.could_not(
                    "read the Anthropic use-case form",
                    "bedrock:GetUseCaseForModelAccess",
                ))
                .detail(seen);
            }
            Err(f) => {
                out = out.detail(f.could_not(
                    "read the Anthropic use-case form",
                    "bedrock:GetUseCaseForModelAccess",
                ))
            }
        }
    }
    if !out.findings.is_empty() {
        out.summary = String::new();
        out.summary = out.findings[0].summary.clone();
    }
    out.fact(Agreement(agreement))
}
