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
            (Some(ResolvedModel { owned: Some(o), .. }), None) => {
                return Outcome::skip(format!(
                    "not applicable: {} is called by its own ARN, no inference profile involved",
                    o.kind.a_noun()
                ))
            }
            (Some(_), None) => return Outcome::skip(
                "not applicable: called on demand by its model id, no inference profile involved",
            ),
            (None, None) => return Outcome::skip(super::no_model(&ctx)),
        };
        resolve(&ctx, &id, suggested).await
    })
}

/// What the check needs of a profile, from the region's listing or GetInferenceProfile.
struct Profile {
    id: String,
    arn: String,
    kind: String,
    status: String,
    model_arns: Vec<String>,
}

impl Profile {
    /// From either answer: the listing's summary and GetInferenceProfile share these fields.
    fn new(
        id: &str,
        arn: &str,
        kind: &str,
        status: &str,
        models: &[aws_sdk_bedrock::types::InferenceProfileModel],
    ) -> Profile {
        Profile {
            id: id.to_string(),
            arn: arn.to_string(),
            kind: kind.to_string(),
            status: status.to_string(),
            model_arns: models
                .iter()
                .filter_map(|m| m.model_arn().map(str::to_string))
                .collect(),
        }
    }
}

/// A system-defined profile is already in the listing the model-catalog check read, so
/// only application profiles (not listed) cost a GetInferenceProfile call.
async fn lookup(ctx: &Ctx, id: &str) -> Result<Profile, Outcome> {
    let region = ctx.region();
    if let Ok(listed) = ctx.env.shared.profiles(&ctx.env, region).await {
        if let Some(p) = listed
            .iter()
            .find(|p| p.inference_profile_id() == id || p.inference_profile_arn() == id)
        {
            return Ok(Profile::new(
                p.inference_profile_id(),
                p.inference_profile_arn(),
                p.r#type().as_str(),
                p.status().as_str(),
                p.models(),
            ));
        }
    }
    let got = ctx
        .clients()
        .bedrock
        .get_inference_profile()
        .inference_profile_identifier(id)
        .send()
        .await;
    match got {
        Ok(p) => Ok(Profile::new(
            p.inference_profile_id(),
            p.inference_profile_arn(),
            p.r#type().as_str(),
            p.status().as_str(),
            p.models(),
        )),
        Err(e) => {
            let f = CallFailure::from_sdk(&e);
            if f.code() == Some("ResourceNotFoundException") {
                return Err(Outcome::default().finding(
                    Finding::new(
                        Cause::ModelIdInvalid,
                        Severity::Error,
                        format!("the inference profile {id} does not exist in {region}"),
                    )
                    .evidence(f.describe())
                    .fixes(super::fixes(
                        "inference-profile",
                        "not-found",
                        &[("region", region)],
                    )),
                ));
            }
            Err(Outcome::error(f.could_not(
                &format!("resolve the inference profile {id}"),
                "bedrock:GetInferenceProfile",
            )))
        }
    }
}

async fn resolve(ctx: &Ctx, id: &str, suggested: bool) -> Outcome {
    let p = match lookup(ctx, id).await {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    let destinations: Vec<(String, String)> = p
        .model_arns
        .iter()
        .map(|arn| (arn.split(':').nth(3).unwrap_or("").to_string(), arn.clone()))
        .collect();
    let model_id = destinations
        .first()
        .and_then(|(_, arn)| arn.rsplit("foundation-model/").next())
        .unwrap_or_default()
        .to_string();
    let route = ProfileRoute {
        profile_id: p.id,
        profile_arn: p.arn,
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
    let regions: Vec<String> = regions.iter().map(|r| r.to_string()).collect();
    let mut out = Outcome::pass(format!(
        "{lead}{} ({}, {}) routes to {}{}",
        route.profile_id,
        p.kind,
        p.status,
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
    // An application profile hides its model: name it, and judge its lifecycle here, as the
    // model-catalog check does for a model called by its id.
    if p.kind == "APPLICATION" && !route.model_id.is_empty() {
        let region = ctx.region();
        let listed = super::model_catalog::ctx_list(ctx, region).await;
        match listed.iter().find(|m| m.model_id() == route.model_id) {
            Some(m) => {
                out.summary = format!(
                    "application profile {} ({}) routes to {} ({}) in {}",
                    route.profile_id,
                    p.status,
                    route.model_id,
                    m.model_lifecycle()
                        .map(|l| l.status().as_str())
                        .unwrap_or("lifecycle unknown"),
                    regions.join(", ")
                );
                if let Some(f) = super::model_catalog::lifecycle(m, region, &listed) {
                    out = out.finding(f);
                }
            }
            None => {
                out = out.detail(format!(
                    "its model {} is not in the model list of {region}",
                    route.model_id
                ))
            }
        }
    }
    if p.status != "ACTIVE" {
        out = out.finding(
            Finding::new(
                Cause::ModelIdInvalid,
                Severity::Error,
                format!("the inference profile {} is {}", route.profile_id, p.status),
            )
            .fixes(super::fixes("inference-profile", "not-active", &[])),
        );
    }
    out.fact(route)
}
