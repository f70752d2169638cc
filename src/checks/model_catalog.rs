//! `model-catalog`: is the model real, offered in this region, callable this way, alive?

use super::{fixes, Ctx};
use crate::aws::CallFailure;
use crate::causes::Cause;
use crate::models::{self, ModelRef};
use crate::report::{Finding, Severity};
use crate::runner::{CheckFuture, Outcome};
use aws_sdk_bedrock::types::{FoundationModelSummary, InferenceProfileSummary};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;

/// What the model checks after this one need to know about the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedModel {
    /// The foundation model behind the id (None for an application profile until resolved).
    pub model_id: Option<String>,
    pub model_name: Option<String>,
    pub provider: Option<String>,
    pub output_modalities: Vec<String>,
    /// The system profile id, when called through one.
    pub profile: Option<String>,
    /// An application inference profile ARN.
    pub application_profile: Option<String>,
    /// A model the account owns (provisioned, custom deployment, imported), called by ARN.
    pub owned: Option<super::owned_models::OwnedModel>,
}

/// A profile the catalog check suggests using instead of a bare model id.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestedProfile(pub String);

/// How many regions are asked at once when looking for a model elsewhere.
const REGION_FANOUT: usize = 8;

/// The catalog showed the model cannot be called as given (the finding says why).
#[derive(Debug, Clone, PartialEq)]
pub struct NotCallable(pub String);

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move {
        let Some(given) = ctx.model.clone() else {
            return Outcome::error("model-catalog runs per model, and was given none");
        };
        let out = check(&ctx, &given).await;
        if out.status() == crate::report::Status::Fail && out.facts.get::<ResolvedModel>().is_none()
        {
            let why = out.summary.clone();
            return out.fact(NotCallable(why));
        }
        out
    })
}

async fn check(ctx: &Ctx, given: &models::GivenModel) -> Outcome {
    let region = ctx.region().to_string();
    let input = given.text.as_str();
    let parsed = match given.parsed.clone() {
        Ok(p) => p,
        Err(rule) => {
            return Outcome::default().finding(
                Finding::new(
                    Cause::ModelIdInvalid,
                    Severity::Error,
                    format!("`{input}` is not a valid model identifier"),
                )
                .evidence(rule)
                .fixes(fixes("model-catalog", "invalid-id", &[]))
                .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/models-supported.html"),
            );
        }
    };
    let (model_id, profile_id, arn_region) = match &parsed {
        ModelRef::Foundation {
            model_id,
            arn_region,
        } => (model_id.clone(), None, arn_region.clone()),
        ModelRef::SystemProfile {
            profile_id,
            model_id,
            arn_region,
        } => (
            model_id.clone(),
            Some(profile_id.clone()),
            arn_region.clone(),
        ),
        ModelRef::ApplicationProfile { arn, .. } => {
            let resolved = ResolvedModel {
                model_id: None,
                model_name: None,
                provider: None,
                output_modalities: vec![],
                profile: None,
                application_profile: Some(arn.clone()),
                owned: None,
            };
            return Outcome::pass("an application inference profile: the inference-profile check resolves the models it routes to").fact(resolved);
        }
        ModelRef::Owned {
            kind,
            arn,
            region: r,
        } => {
            return super::owned_models::judge(ctx, *kind, arn, r).await;
        }
        ModelRef::Other { kind, .. } => {
            return Outcome::skip(format!("a {kind} ARN: not a kind of model the checks know (foundation models, inference profiles, provisioned throughput, custom and imported models)"));
        }
    };
    let mut note = None;
    if let Some(r) = arn_region.filter(|r| *r != region) {
        note = Some(format!("the ARN names region {r}, but the client calls {region}: a call signed for {region} cannot use it"));
    }

    // Most ids need the profile list too (to resolve a profile, or suggest one): reading it
    // alongside the model list keeps it off the critical path.
    let (listed, _) = tokio::join!(
        ctx.env.shared.models(&ctx.env, &region),
        ctx.env.shared.profiles(&ctx.env, &region)
    );
    let listed = match listed {
        Ok(l) => l,
        Err(f) => {
            return Outcome::error(f.could_not(
                &format!("list the models of {region}"),
                "bedrock:ListFoundationModels",
            ))
        }
    };
    let summary = listed.iter().find(|m| m.model_id() == model_id);

    let mut out = match (summary, &profile_id) {
        (Some(m), None) => judge_foundation(ctx, &region, input, m).await,
        (Some(m), Some(p)) => judge_profile(ctx, &region, p, m).await,
        (None, _) => not_listed(ctx, &region, input, &model_id, &listed).await,
    };
    if let Some(n) = note {
        out = out.detail(n);
    }
    out
}

fn types_of(m: &FoundationModelSummary) -> Vec<String> {
    m.inference_types_supported()
        .iter()
        .map(|t| t.as_str().to_string())
        .collect()
}

fn resolved(m: &FoundationModelSummary, profile: Option<String>) -> ResolvedModel {
    ResolvedModel {
        model_id: Some(m.model_id().to_string()),
        model_name: m.model_name().map(str::to_string),
        provider: m.provider_name().map(str::to_string),
        output_modalities: m
            .output_modalities()
            .iter()
            .map(|o| o.as_str().to_string())
            .collect(),
        profile,
        application_profile: None,
        owned: None,
    }
}

/// Lifecycle findings for a listed model: LEGACY warns, END_OF_LIFE fails.
pub(crate) fn lifecycle(
    m: &FoundationModelSummary,
    region: &str,
    listed: &[FoundationModelSummary],
) -> Option<Finding> {
    let life = m.model_lifecycle()?;
    let eol = life
        .end_of_life_time()
        .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
        .map(|t| t[..10].to_string());
    let past_eol = life
        .end_of_life_time()
        .is_some_and(|t| t.secs() <= now_secs());
    match life.status().as_str() {
        // The listing can lag the calendar: past its end-of-life date a model is refused.
        "LEGACY" | "ACTIVE" if past_eol => Some(end_of_life(
            m.model_id(),
            eol.as_deref(),
            successor(m.model_id(), None, listed).as_deref(),
            region,
        )),
        "LEGACY" => {
            let when = eol
                .as_deref()
                .map(|d| format!(" and reaches end of life on {d}"))
                .unwrap_or_default();
            Some(
                Finding::new(Cause::ModelLegacy, Severity::Warning, format!("{} is LEGACY in {region}{when}", m.model_id()))
                    // AWS: "existing customers may lose access to Legacy models after 15 days
                    // of inactivity" (model-lifecycle-legacy.html); the refusal says "in the
                    // last 15 days".
                    .evidence("legacy models keep working for accounts that used them recently; an account that has not called it for 15 days may lose access")
                    .fixes(fixes("model-catalog", "legacy", &[]))
                    .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html"),
            )
        }
        "END_OF_LIFE" => Some(end_of_life(
            m.model_id(),
            eol.as_deref(),
            successor(m.model_id(), None, listed).as_deref(),
            region,
        )),
        _ => None,
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn end_of_life(
    model_id: &str,
    date: Option<&str>,
    replacement: Option<&str>,
    region: &str,
) -> Finding {
    let when = date.map(|d| format!(" on {d}")).unwrap_or_default();
    let replacement = replacement
        .map(|r| crate::knowledge::models::how_to_call(r, Some(region)))
        .unwrap_or_default();
    Finding::new(Cause::ModelEndOfLife, Severity::Error, format!("{model_id} reached end of life{when} and can no longer be invoked"))
        .evidence("AWS answers calls to it with ResourceNotFoundException: \"This model version has reached the end of its life\"")
        .fixes(fixes("model-catalog", "retired", &[("replacement", &replacement)]))
        .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html")
}

async fn judge_foundation(
    ctx: &Ctx,
    region: &str,
    input: &str,
    m: &FoundationModelSummary,
) -> Outcome {
    let types = types_of(m);
    let mut out = Outcome::pass(format!(
        "{} ({}) is offered in {region} on demand",
        m.model_id(),
        m.model_name().unwrap_or("?")
    ))
    .detail(format!("inference types: {}", types.join(", ")))
    .fact(resolved(m, None));
    if let Some(f) = lifecycle(m, region, &ctx_list(ctx, region).await) {
        out = out.finding(f);
    }
    if types.iter().any(|t| t == "ON_DEMAND") {
        return out;
    }
    if types.iter().any(|t| t == "INFERENCE_PROFILE") {
        let profiles = match ctx.env.shared.profiles(&ctx.env, region).await {
            Ok(p) => p,
            Err(f) => {
                return Outcome::error(f.could_not(
                    "list the inference profiles",
                    "bedrock:ListInferenceProfiles",
                ))
            }
        };
        let ids = profiles_containing(&profiles, m.model_id());
        let mut f = Finding::new(
            Cause::InferenceProfileRequired,
            Severity::Error,
            format!("{input} cannot be called on demand in {region}: call it through an inference profile"),
        )
        .evidence(format!("inferenceTypesSupported of {} in {region}: {}", m.model_id(), types.join(", ")))
        .evidence("calling the bare id fails with \"Invocation of model ID ... with on-demand throughput isn't supported\"")
        .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html");
        match ids.first() {
            Some(best) => {
                let others = if ids.len() > 1 {
                    ids.join(", ")
                } else {
                    String::new()
                };
                f = f.fixes(fixes(
                    "model-catalog",
                    "needs-profile",
                    &[("profile", best), ("region", region), ("others", &others)],
                ));
                out.summary = String::new();
                return out.finding(f).fact(SuggestedProfile(best.clone()));
            }
            None => {
                f = f.fixes(fixes(
                    "model-catalog",
                    "no-profile-here",
                    &[("region", region)],
                ))
            }
        }
        out.summary = String::new();
        return out.finding(f);
    }
    let base = m
        .model_id()
        .rsplit_once(':')
        .map(|(b, _)| b)
        .unwrap_or(m.model_id());
    out.summary = String::new();
    out.finding(
        Finding::new(
            Cause::ModelIdInvalid,
            Severity::Error,
            format!(
                "{} is only for provisioned throughput, not on-demand calls",
                m.model_id()
            ),
        )
        .evidence(format!("inferenceTypesSupported: {}", types.join(", ")))
        .fixes(fixes(
            "model-catalog",
            "provisioned-only",
            &[("base", base)],
        )),
    )
}

async fn judge_profile(
    ctx: &Ctx,
    region: &str,
    profile_id: &str,
    m: &FoundationModelSummary,
) -> Outcome {
    let profiles = match ctx.env.shared.profiles(&ctx.env, region).await {
        Ok(p) => p,
        Err(f) => {
            return Outcome::error(f.could_not(
                "list the inference profiles",
                "bedrock:ListInferenceProfiles",
            ))
        }
    };
    if profiles
        .iter()
        .any(|p| p.inference_profile_id() == profile_id)
    {
        let mut out = Outcome::pass(format!(
            "{profile_id} is a system inference profile for {} callable from {region}",
            m.model_id()
        ))
        .fact(resolved(m, Some(profile_id.to_string())));
        if let Some(f) = lifecycle(m, region, &ctx_list(ctx, region).await) {
            out = out.finding(f);
        }
        return out;
    }
    let ids = profiles_containing(&profiles, m.model_id());
    let f = Finding::new(Cause::ModelNotInRegion, Severity::Error, format!("the profile {profile_id} cannot be called from {region}"))
        .evidence(format!("ListInferenceProfiles in {region} does not list {profile_id}; a geographic profile is only callable from its own geography"));
    let geography = profile_id.split('.').next().unwrap_or("");
    let facts = [
        ("region", region),
        (
            "profile",
            ids.first().map(String::as_str).unwrap_or_default(),
        ),
        ("geography", geography),
    ];
    Outcome::default().finding(f.fixes(fixes("model-catalog", "profile-elsewhere", &facts)))
}

/// The region's model list (already fetched and cached by the time this is asked).
pub(crate) async fn ctx_list(ctx: &Ctx, region: &str) -> Arc<Vec<FoundationModelSummary>> {
    ctx.env
        .shared
        .models(&ctx.env, region)
        .await
        .unwrap_or_default()
}

fn profiles_containing(profiles: &[InferenceProfileSummary], model_id: &str) -> Vec<String> {
    let suffix = format!("foundation-model/{model_id}");
    let mut ids: Vec<String> = profiles
        .iter()
        .filter(|p| {
            p.models()
                .iter()
                .any(|m| m.model_arn().is_some_and(|a| a.ends_with(&suffix)))
        })
        .map(|p| p.inference_profile_id().to_string())
        .collect();
    // Geographic profiles first (they keep data in the geography), then global.
    ids.sort_by_key(|id| (id.starts_with("global."), id.clone()));
    ids
}

async fn not_listed(
    ctx: &Ctx,
    region: &str,
    input: &str,
    model_id: &str,
    listed: &[FoundationModelSummary],
) -> Outcome {
    if let Some(r) = models::find_retired(model_id) {
        let replacement = successor(&r.model_id, r.replacement.clone(), listed);
        return Outcome::default().finding(
            end_of_life(
                model_id,
                Some(&r.end_of_life),
                replacement.as_deref(),
                region,
            )
            .evidence(format!(
                "{} ({}) is not listed in {region}",
                r.model_name, r.provider
            )),
        );
    }
    let elsewhere = regions_offering(ctx, region, model_id).await;
    if !elsewhere.offering.is_empty() {
        let list = elsewhere.offering.join(", ");
        let mut f = Finding::new(
            Cause::ModelNotInRegion,
            Severity::Error,
            format!("{model_id} is not offered in {region}"),
        )
        .evidence(format!("offered in: {list}"))
        .fixes(fixes(
            "model-catalog",
            "not-in-region",
            &[("elsewhere", &elsewhere.offering[0]), ("region", region)],
        ))
        .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/models-regions.html");
        if elsewhere.unanswered > 0 {
            f = f.evidence(format!("{} regions did not answer", elsewhere.unanswered));
        }
        return Outcome::default().finding(f);
    }
    // Provisioned-only context-window variants (`...:0:18k`) are never what a caller meant.
    let callable = |m: &&FoundationModelSummary| types_of(m).iter().any(|t| t != "PROVISIONED");
    let known = listed.iter().filter(callable).map(|m| m.model_id());
    let mut suggestions = models::did_you_mean(model_id, known);
    for r in models::retired() {
        if suggestions.len() < 3 && strsim::jaro_winkler(model_id, &r.model_id) > 0.95 {
            suggestions.push(r.model_id.clone());
        }
    }
    let mut f = Finding::new(
        Cause::ModelIdInvalid,
        Severity::Error,
        format!("`{input}` names no model in any Bedrock region"),
    )
    .evidence(format!(
        "not listed by ListFoundationModels in {region}, nor in the {} other regions asked",
        elsewhere.asked
    ))
    .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/models-supported.html");
    if elsewhere.unanswered > 0 {
        f = f.evidence(format!("{} regions did not answer", elsewhere.unanswered));
    }
    let suggestions = suggestions.join(", ");
    let facts = [("suggestions", suggestions.as_str()), ("region", region)];
    Outcome::default().finding(f.fixes(fixes("model-catalog", "unknown-id", &facts)))
}

/// The model to move to: the lifecycle page's replacement (followed while it is itself
/// retired), else the closest active, unexpired model of the same provider in this region.
fn successor(
    model_id: &str,
    documented: Option<String>,
    listed: &[FoundationModelSummary],
) -> Option<String> {
    let mut next =
        documented.or_else(|| models::find_retired(model_id).and_then(|r| r.replacement.clone()));
    for _ in 0..5 {
        match next.as_deref().and_then(models::find_retired) {
            Some(again) => next = again.replacement.clone(),
            None => break,
        }
    }
    if next.is_some() {
        return next;
    }
    let provider = model_id.split('.').next().unwrap_or("");
    let alive = |m: &&FoundationModelSummary| {
        m.model_lifecycle().is_none_or(|l| {
            l.status().as_str() == "ACTIVE"
                && l.end_of_life_time().is_none_or(|t| t.secs() > now_secs())
        })
    };
    listed
        .iter()
        .filter(|m| m.model_id() != model_id && m.model_id().starts_with(&format!("{provider}.")))
        .filter(alive)
        .filter(|m| types_of(m).iter().any(|t| t != "PROVISIONED"))
        .max_by(|a, b| {
            strsim::jaro_winkler(model_id, a.model_id())
                .total_cmp(&strsim::jaro_winkler(model_id, b.model_id()))
        })
        .map(|m| m.model_id().to_string())
}

struct Elsewhere {
    offering: Vec<String>,
    asked: usize,
    unanswered: usize,
}

/// Ask every other Bedrock region at once (bounded) whether it lists the model.
async fn regions_offering(ctx: &Ctx, home: &str, model_id: &str) -> Elsewhere {
    let others: Vec<String> = models::bedrock_regions()
        .iter()
        .filter(|r| *r != home)
        .cloned()
        .collect();
    let asked = others.len();
    let answers: Vec<(String, Result<bool, CallFailure>)> = futures::stream::iter(others)
        .map(|r| async move {
            let listed =
                tokio::time::timeout(Duration::from_secs(10), ctx.env.shared.models(&ctx.env, &r))
                    .await;
            let found = match listed {
                Ok(Ok(list)) => Ok(list.iter().any(|m| m.model_id() == model_id)),
                Ok(Err(f)) => Err(f),
                Err(_) => Err(CallFailure::TimedOut(format!("{r} did not answer"))),
            };
            (r, found)
        })
        .buffer_unordered(REGION_FANOUT)
        .collect()
        .await;
    let mut offering: Vec<String> = answers
        .iter()
        .filter(|(_, a)| matches!(a, Ok(true)))
        .map(|(r, _)| r.clone())
        .collect();
    offering.sort();
    let unanswered = answers.iter().filter(|(_, a)| a.is_err()).count();
    Elsewhere {
        offering,
        asked,
        unanswered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{Clients, Sourced};
    use crate::checks::RunEnv;
    use crate::report::Status;
    use aws_sdk_bedrock::operation::list_foundation_models::ListFoundationModelsOutput;
    use aws_sdk_bedrock::operation::list_inference_profiles::ListInferenceProfilesOutput;
    use aws_sdk_bedrock::types::{
        FoundationModelLifecycle, FoundationModelLifecycleStatus, InferenceProfileModel,
        InferenceProfileStatus, InferenceProfileType, InferenceType,
    };
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use std::sync::Arc;

    fn summary(id: &str, types: &[&str], status: &str) -> FoundationModelSummary {
        FoundationModelSummary::builder()
            .model_arn(format!("arn:aws:bedrock:us-east-1::foundation-model/{id}"))
            .model_id(id)
            .set_inference_types_supported(Some(
                types.iter().map(|t| InferenceType::from(*t)).collect(),
            ))
            .model_lifecycle(
                FoundationModelLifecycle::builder()
                    .status(FoundationModelLifecycleStatus::from(status))
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }

    fn profile(id: &str, model: &str) -> InferenceProfileSummary {
        InferenceProfileSummary::builder()
            .inference_profile_id(id)
            .inference_profile_name(id)
            .inference_profile_arn(format!(
                "arn:aws:bedrock:us-east-1:111122223333:inference-profile/{id}"
            ))
            .models(
                InferenceProfileModel::builder()
                    .model_arn(format!(
                        "arn:aws:bedrock:us-east-2::foundation-model/{model}"
                    ))
                    .build(),
            )
            .status(InferenceProfileStatus::Active)
            .r#type(InferenceProfileType::SystemDefined)
            .build()
            .unwrap()
    }

    fn ctx(rules: &[&Rule], model: &str) -> Ctx {
        // The check reads the profile list alongside the model list; tests that are not
        // about profiles get an empty one.
        let no_profiles = mock!(aws_sdk_bedrock::Client::list_inference_profiles)
            .then_output(|| ListInferenceProfilesOutput::builder().build());
        let mut rules = rules.to_vec();
        rules.push(&no_profiles);
        let bedrock = mock_client!(aws_sdk_bedrock, RuleMode::MatchAny, &rules);
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::Config::builder()
                .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
                .build(),
        );
        let mut setup = crate::checks::config::tests::setup();
        setup.region = Some(Sourced {
            value: "us-east-1".into(),
            source: "--region".into(),
        });
        let env = RunEnv::for_tests(
            setup,
            Clients::from_clients(sts, bedrock),
            vec![model.into()],
        );
        Ctx {
            env: Arc::new(env),
            facts: Default::default(),
            model: Some(models::GivenModel::new(model)),
            region: "us-east-1".into(),
        }
    }

    fn causes(o: &Outcome) -> Vec<Cause> {
        o.findings.iter().map(|f| f.cause).collect()
    }

    #[tokio::test]
    async fn access_denied_to_the_doctor_is_an_error_naming_the_permission() {
        let denied = mock!(aws_sdk_bedrock::Client::list_foundation_models).then_http_response(|| {
            HttpResponse::new(
                StatusCode::try_from(403).unwrap(),
                SdkBody::from(r#"{"message":"User: arn:aws:iam::1:user/x is not authorized to perform: bedrock:ListFoundationModels"}"#),
            )
        });
        let c = ctx(&[&denied], "amazon.nova-lite-v1:0");
        let o = check(&c, &models::GivenModel::new("amazon.nova-lite-v1:0")).await;
        assert_eq!(o.status(), Status::Error, "{o:?}");
        assert!(
            o.summary.contains("bedrock:ListFoundationModels"),
            "{}",
            o.summary
        );
    }

    #[tokio::test]
    async fn unknown_inference_types_and_paginated_profiles() {
        let list = mock!(aws_sdk_bedrock::Client::list_foundation_models).then_output(|| {
            ListFoundationModelsOutput::builder()
                .model_summaries(summary(
                    "acme.brainy-v2:0",
                    &["INFERENCE_PROFILE", "SOMETHING_NEWER"],
                    "ACTIVE",
                ))
                .build()
        });
        let page1 = mock!(aws_sdk_bedrock::Client::list_inference_profiles)
            .match_requests(|r| r.next_token().is_none())
            .then_output(|| {
                ListInferenceProfilesOutput::builder()
                    .inference_profile_summaries(profile("us.other.model-v1:0", "other.model-v1:0"))
                    .next_token("page2")
                    .build()
            });
        let page2 = mock!(aws_sdk_bedrock::Client::list_inference_profiles)
            .match_requests(|r| r.next_token() == Some("page2"))
            .then_output(|| {
                ListInferenceProfilesOutput::builder()
                    .inference_profile_summaries(profile("us.acme.brainy-v2:0", "acme.brainy-v2:0"))
                    .build()
            });
        let c = ctx(&[&list, &page1, &page2], "acme.brainy-v2:0");
        let o = check(&c, &models::GivenModel::new("acme.brainy-v2:0")).await;
        assert_eq!(causes(&o), [Cause::InferenceProfileRequired]);
        assert!(
            o.findings[0].remediation[0].contains("us.acme.brainy-v2:0"),
            "{:?}",
            o.findings[0].remediation
        );
        assert_eq!(
            o.facts.get::<SuggestedProfile>(),
            Some(&SuggestedProfile("us.acme.brainy-v2:0".into()))
        );
    }

    #[tokio::test]
    async fn an_empty_catalog_everywhere_means_an_invalid_id() {
        let empty = mock!(aws_sdk_bedrock::Client::list_foundation_models)
            .then_output(|| ListFoundationModelsOutput::builder().build());
        let c = ctx(&[&empty], "acme.brainy-v2:0");
        let o = check(&c, &models::GivenModel::new("acme.brainy-v2:0")).await;
        assert_eq!(causes(&o), [Cause::ModelIdInvalid]);
        assert!(
            o.findings[0].evidence[0].contains("other regions asked"),
            "{:?}",
            o.findings[0].evidence
        );
    }

    #[tokio::test]
    async fn legacy_warns_and_retired_fails_with_a_replacement() {
        let list = mock!(aws_sdk_bedrock::Client::list_foundation_models).then_output(|| {
            ListFoundationModelsOutput::builder()
                .model_summaries(summary("acme.old-v1:0", &["ON_DEMAND"], "LEGACY"))
                .model_summaries(summary(
                    "stability.stable-image-core-v1:1",
                    &["ON_DEMAND"],
                    "ACTIVE",
                ))
                .build()
        });
        let c = ctx(&[&list], "acme.old-v1:0");
        let o = check(&c, &models::GivenModel::new("acme.old-v1:0")).await;
        assert_eq!(
            (o.status(), causes(&o)),
            (Status::Warn, vec![Cause::ModelLegacy])
        );
        let o = check(
            &c,
            &models::GivenModel::new("stability.stable-diffusion-xl-v0"),
        )
        .await;
        assert_eq!(
            (o.status(), causes(&o)),
            (Status::Fail, vec![Cause::ModelEndOfLife])
        );
        assert!(
            o.findings[0].remediation[0].contains("stability.stable-image-core-v1:1"),
            "{:?}",
            o.findings[0].remediation
        );
    }

    #[tokio::test]
    async fn malformed_ids_fail_without_any_call() {
        let c = ctx(&[], "Claude 3.5");
        let o = check(&c, &models::GivenModel::new("Claude 3.5")).await;
        assert_eq!(causes(&o), [Cause::ModelIdInvalid]);
        assert!(o.findings[0].evidence[0].contains("uppercase"));
    }
}
