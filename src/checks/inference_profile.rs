//! `inference-profile`: where a profile routes calls (the ARNs the permission checks need).

use super::model_catalog::{ResolvedModel, SuggestedProfile};
use super::Ctx;
use crate::aws::CallFailure;
use crate::causes::Cause;
use crate::report::{Finding, Severity};
use crate::runner::{CheckFuture, Outcome};

/// Every resource a call through the profile touches, with its region.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileRoute {
    pub profile_id: String,
    pub profile_arn: String,
    /// The foundation model behind the profile.
    pub model_id: String,
    /// (region, foundation-model ARN) per destination; region is empty for the
    /// region-less ARN of a global profile.
    pub destinations: Vec<(String, String)>,
    /// True when this is the profile suggested in place of a bare id, not the one given.
    pub suggested: bool,
}

impl ProfileRoute {
    pub fn regions(&self) -> Vec<&str> {
        self.destinations
            .iter()
            .map(|(r, _)| r.as_str())
            .filter(|r| !r.is_empty())
            .collect()
    }
}

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move {
        let resolved = ctx.facts.get::<ResolvedModel>();
        let (id, suggested) = match (resolved, ctx.facts.get::<SuggestedProfile>()) {
            (
                Some(ResolvedModel {
                    profile: Some(p), ..
                }),
                _,
            ) => (p.clone(), false),
            (
                Some(ResolvedModel {
                    application_profile: Some(arn),
                    ..
                }),
                _,
            ) => (arn.clone(), false),
            (_, Some(SuggestedProfile(p))) => (p.clone(), true),
            (Some(_), None) => return Outcome::skip(
                "not applicable: called on demand by its model id, no inference profile involved",
            ),
            (None, None) => {
                return Outcome::skip("the model-catalog check could not resolve the model")
            }
        };
        resolve(&ctx, &id, suggested).await
    })
}

async fn resolve(ctx: &Ctx, id: &str, suggested: bool) -> Outcome {
    let got = ctx
        .env
        .clients
        .bedrock
        .get_inference_profile()
        .inference_profile_identifier(id)
        .send()
        .await;
    let p = match got {
        Ok(p) => p,
        Err(e) => {
            let f = CallFailure::from_sdk(&e);
            if f.code() == Some("ResourceNotFoundException") {
                return Outcome::default().finding(
                    Finding::new(
                        Cause::ModelIdInvalid,
                        Severity::Error,
                        format!(
                            "the inference profile {id} does not exist in {}",
                            ctx.env.region()
                        ),
                    )
                    .evidence(f.describe())
                    .fix(format!(
                        "list the profiles: aws bedrock list-inference-profiles --region {}",
                        ctx.env.region()
                    )),
                );
            }
            return Outcome::error(f.could_not(
                &format!("resolve the inference profile {id}"),
                "bedrock:GetInferenceProfile",
            ));
        }
    };
    let destinations: Vec<(String, String)> = p
        .models()
        .iter()
        .filter_map(|m| m.model_arn())
        .map(|arn| {
            (
                arn.split(':').nth(3).unwrap_or("").to_string(),
                arn.to_string(),
            )
        })
        .collect();
    let model_id = destinations
        .first()
        .and_then(|(_, arn)| arn.rsplit("foundation-model/").next())
        .unwrap_or_default()
        .to_string();
    let route = ProfileRoute {
        profile_id: p.inference_profile_id().to_string(),
        profile_arn: p.inference_profile_arn().to_string(),
        model_id,
        destinations,
        suggested,
    };
    let regions = route.regions();
    let global = route.destinations.iter().any(|(r, _)| r.is_empty());
    let lead = if suggested {
        "the suggested profile "
    } else {
        ""
    };
    let mut out = Outcome::pass(format!(
        "{lead}{} ({}, {}) routes to {}{}",
        route.profile_id,
        p.r#type().as_str(),
        p.status().as_str(),
        regions.join(", "),
        if global {
            " and any commercial region (global)"
        } else {
            ""
        }
    ))
    .detail(format!("profile ARN {}", route.profile_arn));
    for (_, arn) in &route.destinations {
        out = out.detail(format!("routes to {arn}"));
    }
    if p.status().as_str() != "ACTIVE" {
        out = out.finding(
            Finding::new(
                Cause::ModelIdInvalid,
                Severity::Error,
                format!(
                    "the inference profile {} is {}",
                    route.profile_id,
                    p.status().as_str()
                ),
            )
            .fix("use an ACTIVE profile: aws bedrock list-inference-profiles"),
        );
    }
    out.fact(route)
}
