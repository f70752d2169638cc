//! `marketplace`: may the principal subscribe to a third-party model on first use?

use super::iam_permissions::{simulate, Target};
use super::model_access::Agreement;
use super::principal::Principal;
use super::Ctx;
use crate::causes::Cause;
use crate::report::{Finding, Severity};
use crate::runner::{CheckFuture, Outcome};

const ACTIONS: [&str; 2] = [
    "aws-marketplace:ViewSubscriptions",
    "aws-marketplace:Subscribe",
];

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move {
        let Some(model) = super::model_id_of(&ctx) else {
            return Outcome::skip(super::no_model(&ctx));
        };
        if !crate::models::sold_through_marketplace(&model) {
            return Outcome::skip(format!(
                "not applicable: {model} is not sold through AWS Marketplace, so no subscription or Marketplace permission is involved"
            ));
        }
        if let Some(Agreement(status)) = ctx.facts.get::<Agreement>() {
            if status == "AVAILABLE" {
                return Outcome::pass("the model's agreement is in place: no Marketplace permission is needed to call it");
            }
        }
        let Some(principal) = ctx.facts.get::<Principal>().cloned() else {
            return Outcome::skip("waited for `principal`, which gave no principal to simulate (iam:SimulatePrincipalPolicy needs one)");
        };
        let targets = [Target {
            arn: "*".into(),
            region: ctx.region().to_string(),
        }];
        // Bedrock subscribes on the caller's behalf, so AWS evaluates these actions with
        // aws:CalledViaLast = bedrock.amazonaws.com: policies scoped that way are correct
        // (docs: model-access-permissions.html).
        let context = [("aws:CalledViaLast", "bedrock.amazonaws.com".to_string())];
        let results = match simulate(&ctx, &principal.iam_arn, &ACTIONS, &targets, &context).await {
            Ok(r) => r,
            Err(f) => {
                return Outcome::error(f.could_not(
                    "simulate the Marketplace permissions",
                    "iam:SimulatePrincipalPolicy",
                ))
            }
        };
        let denied = super::iam_permissions::denials(&results);
        if denied.is_empty() {
            return Outcome::pass(format!(
                "{} may subscribe to {model} on first use",
                principal.iam_arn
            ));
        }
        let statement = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "AllowBedrockMarketplaceSubscription",
                "Effect": "Allow",
                "Action": ["aws-marketplace:Subscribe", "aws-marketplace:Unsubscribe", "aws-marketplace:ViewSubscriptions"],
                "Resource": "*",
            }]
        });
        Outcome::default().finding(
            Finding::new(
                Cause::MarketplaceSubscription,
                Severity::Error,
                format!("{model} has no agreement yet, and {} may not subscribe to it", principal.iam_arn),
            )
            .evidence(format!("simulated: {}", denied.join("; ")))
            .evidence("the first call to a third-party model subscribes through AWS Marketplace; without these permissions it fails with \"Model access is denied due to IAM user or service role is not authorized to perform the required AWS Marketplace actions\"")
            .fixes(super::fixes(
                "marketplace",
                "subscribe-denied",
                &[
                    ("principal", &principal.iam_arn),
                    ("statement", &serde_json::to_string_pretty(&statement).unwrap_or_default()),
                ],
            ))
            .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/model-access-permissions.html"),
        )
    })
}
