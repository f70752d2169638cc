//! `iam-permissions`: may the principal invoke the model on every ARN the call touches?

use super::inference_profile::ProfileRoute;
use super::model_catalog::ResolvedModel;
use super::principal::Principal;
use super::Ctx;
use crate::aws::CallFailure;
use crate::causes::Cause;
use crate::report::{Finding, Severity};
use crate::runner::{CheckFuture, Outcome};
use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum, EvaluationResult};

pub const INVOKE_ACTIONS: [&str; 2] = [
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
];

/// One resource the call touches, and the region the request is evaluated in.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub arn: String,
    pub region: String,
}

/// Calls the organization's SCPs deny (for the scp check) and whether IAM allowed all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimulationResult {
    /// (action, resource ARN, requested region) denied by the organization.
    pub denied_by_organizations: Vec<(String, String, String)>,
    pub all_allowed: bool,
}

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move {
        let Some(principal) = ctx.facts.get::<Principal>().cloned() else {
            return Outcome::skip("waited for `principal`, which gave no principal to simulate (iam:SimulatePrincipalPolicy needs one)");
        };
        let (targets, unresolved) = match targets(&ctx) {
            Some(t) => (t, None),
            None => match targets_from_id(&ctx) {
                Some((t, note)) => (t, Some(note)),
                None => return Outcome::skip(super::no_model(&ctx)),
            },
        };
        let out = check(&ctx, &principal, &targets).await;
        match unresolved {
            Some(note) => out.detail(note),
            None => out,
        }
    })
}

/// The region AWS evaluates the Region-less model ARN of a global profile in
/// (docs: global-cross-region-inference.html): region-lock SCPs must allow it.
pub const UNSPECIFIED_REGION: &str = "unspecified";

/// The resources a call touches: the model ARN, or the profile ARN and every destination.
///
/// A geographic profile touches the model in each destination region, each evaluated in
/// that region. A global profile touches the model in the source region and the Region-less
/// `arn:aws:bedrock:::foundation-model/<id>`, which AWS authorizes with
/// `aws:RequestedRegion` = `unspecified` (docs: global-cross-region-inference.html).
pub fn targets(ctx: &Ctx) -> Option<Vec<Target>> {
    let region = ctx.region().to_string();
    if let Some(route) = ctx.facts.get::<ProfileRoute>().filter(|r| !r.suggested) {
        let mut t = vec![Target {
            arn: route.profile_arn.clone(),
            region: region.clone(),
        }];
        let global = route.destinations.iter().any(|(r, _)| r.is_empty());
        for (r, arn) in &route.destinations {
            if r.is_empty() {
                t.push(Target {
                    arn: arn.clone(),
                    region: UNSPECIFIED_REGION.to_string(),
                });
            } else if !global || *r == region {
                t.push(Target {
                    arn: arn.clone(),
                    region: r.clone(),
                });
            }
        }
        if global
            && !t
                .iter()
                .any(|x| x.region == region && x.arn.contains(":foundation-model/"))
        {
            t.push(Target {
                arn: crate::catalog::foundation_model_arn(&region, &route.model_id),
                region: region.clone(),
            });
        }
        return Some(t);
    }
    let resolved = ctx.facts.get::<ResolvedModel>()?;
    // A model the account owns is authorized on its own ARN (the modelId of the call).
    if let Some(owned) = &resolved.owned {
        return Some(vec![Target {
            arn: owned.arn.clone(),
            region,
        }]);
    }
    let model = resolved.model_id.clone()?;
    Some(vec![Target {
        arn: crate::catalog::foundation_model_arn(&region, &model),
        region,
    }])
}

/// The resources a call touches, built from the model id alone when model-catalog and
/// inference-profile gave no answer: the id says the model and the profile, not a profile's
/// destinations, so only the source region (and a global profile's Region-less ARN) is
/// simulated, and the note says so.
fn targets_from_id(ctx: &Ctx) -> Option<(Vec<Target>, String)> {
    let region = ctx.region().to_string();
    let given = ctx.model.as_ref().filter(|_| super::catalog_silent(ctx))?;
    let fm = crate::catalog::foundation_model_arn;
    let note = "the model was not resolved (bedrock:ListFoundationModels / GetInferenceProfile did not answer): these ARNs are built from the id";
    match given.parsed.clone().ok()? {
        crate::models::ModelRef::Foundation { model_id, .. } => Some((
            vec![Target {
                arn: fm(&region, &model_id),
                region,
            }],
            note.to_string(),
        )),
        crate::models::ModelRef::SystemProfile {
            profile_id,
            model_id,
            ..
        } => {
            let account = ctx
                .facts
                .get::<super::identity::CallerIdentity>()?
                .account
                .clone();
            let mut t = vec![
                Target {
                    arn: crate::catalog::inference_profile_arn(&region, &account, &profile_id),
                    region: region.clone(),
                },
                Target {
                    arn: fm(&region, &model_id),
                    region: region.clone(),
                },
            ];
            if profile_id.starts_with("global.") {
                t.push(Target {
                    arn: fm("", &model_id),
                    region: UNSPECIFIED_REGION.to_string(),
                });
            }
            Some((t, format!("{note}; the profile's other destination regions are unknown and were not simulated")))
        }
        _ => None,
    }
}

/// Condition keys every simulated call of this check carries besides the region: a call
/// through a profile carries `bedrock:InferenceProfileArn`, which AWS's own sample policies
/// for cross-region inference condition the model statements on
/// (docs: inference-profiles-prereq.html); a call with `--guardrail` carries
/// `bedrock:GuardrailIdentifier` (the guardrail's ARN, `:`, its version), which policies
/// that require a guardrail condition on (docs: guardrails-permissions-id.html).
pub fn call_context(ctx: &Ctx, principal: &Principal) -> Vec<(&'static str, String)> {
    let mut context: Vec<(&'static str, String)> = ctx
        .facts
        .get::<ProfileRoute>()
        .filter(|r| !r.suggested)
        .map(|r| vec![("bedrock:InferenceProfileArn", r.profile_arn.clone())])
        .unwrap_or_default();
    if let Some(g) = &ctx.env.settings.guardrail {
        // The guardrail lives in the caller's account unless it was given as an ARN.
        let account = guardrail_account(ctx, principal);
        context.push((
            "bedrock:GuardrailIdentifier",
            g.condition_value(ctx.region(), &account),
        ));
    }
    context
}

/// The simulated actions that were not allowed, as `action: decision`.
pub fn denials(results: &[(String, EvaluationResult)]) -> Vec<String> {
    results
        .iter()
        .filter(|(_, r)| r.eval_decision().as_str() != "allowed")
        .map(|(_, r)| format!("{}: {}", r.eval_action_name(), r.eval_decision().as_str()))
        .collect()
}

/// Simulate `actions` on each target, one call per region (the region key is per call),
/// with `context` added to every call.
pub async fn simulate(
    ctx: &Ctx,
    principal: &str,
    actions: &[&str],
    targets: &[Target],
    context: &[(&str, String)],
) -> Result<Vec<(String, EvaluationResult)>, CallFailure> {
    let mut regions: Vec<&str> = targets.iter().map(|t| t.region.as_str()).collect();
    regions.sort_unstable();
    regions.dedup();
    let calls = regions.iter().map(|region| {
        let arns: Vec<String> = targets
            .iter()
            .filter(|t| t.region == *region)
            .map(|t| t.arn.clone())
            .collect();
        let region = region.to_string();
        let mut entries = vec![context_entry("aws:RequestedRegion", &region)];
        entries.extend(context.iter().map(|(k, v)| context_entry(k, v)));
        async move {
            let out = ctx
                .env
                .clients
                .iam
                .simulate_principal_policy()
                .policy_source_arn(principal)
                .set_action_names(Some(actions.iter().map(|a| a.to_string()).collect()))
                .set_resource_arns(Some(arns))
                .set_context_entries(Some(entries))
                .send()
                .await
                .map_err(|e| CallFailure::from_sdk(&e))?;
            Ok::<_, CallFailure>(
                out.evaluation_results()
                    .iter()
                    .map(|r| (region.clone(), r.clone()))
                    .collect::<Vec<_>>(),
            )
        }
    });
    let answers = futures::future::join_all(calls).await;
    let mut all = Vec::new();
    for a in answers {
        all.extend(a?);
    }
    Ok(all)
}

/// A string context key for SimulatePrincipalPolicy.
pub(crate) fn context_entry(key: &str, value: &str) -> ContextEntry {
    ContextEntry::builder()
        .context_key_name(key)
        .context_key_type(ContextKeyTypeEnum::String)
        .context_key_values(value)
        .build()
}

fn statements(r: &EvaluationResult) -> Vec<String> {
    r.matched_statements()
        .iter()
        .map(|s| {
            let line = s
                .start_position()
                .map(|p| format!(" line {}", p.line()))
                .unwrap_or_default();
            format!(
                "{} ({}{line})",
                s.source_policy_id().unwrap_or("?"),
                s.source_policy_type()
                    .map(|t| t.as_str())
                    .unwrap_or("policy")
            )
        })
        .collect()
}

async fn check(ctx: &Ctx, principal: &Principal, targets: &[Target]) -> Outcome {
    let context = call_context(ctx, principal);
    let (results, guardrail) = tokio::join!(
        simulate(ctx, &principal.iam_arn, &INVOKE_ACTIONS, targets, &context),
        may_apply_guardrail(ctx, principal)
    );
    let out = invoke_verdict(ctx, principal, targets, results);
    match guardrail {
        Some(judged) => judged(out),
        None => out,
    }
}

/// With `--guardrail`: every call made with the guardrail is also authorized as
/// bedrock:ApplyGuardrail on its ARN (docs: guardrails-permissions.html). Simulated at the
/// same time as the invoke actions; the verdict is added to this check's outcome.
async fn may_apply_guardrail(
    ctx: &Ctx,
    principal: &Principal,
) -> Option<impl FnOnce(Outcome) -> Outcome> {
    let g = ctx.env.settings.guardrail.as_ref()?;
    let region = ctx.region().to_string();
    let account = guardrail_account(ctx, principal);
    let arn = g.arn(&region, &account);
    let target = Target {
        arn: arn.clone(),
        region,
    };
    let who = principal.iam_arn.clone();
    let results = simulate(ctx, &who, &["bedrock:ApplyGuardrail"], &[target], &[]).await;
    Some(move |mut out: Outcome| {
        let results = match results {
            Ok(r) => r,
            Err(f) => {
                return out.detail(f.could_not(
                    &format!("simulate bedrock:ApplyGuardrail on {arn}"),
                    "iam:SimulatePrincipalPolicy",
                ))
            }
        };
        for (_, r) in &results {
            let decision = r.eval_decision().as_str();
            out = out.detail(format!("bedrock:ApplyGuardrail on {arn}: {decision}"));
            if decision == "allowed" {
                continue;
            }
            let by_orgs = r
                .organizations_decision_detail()
                .is_some_and(|d| !d.allowed_by_organizations());
            let statement = serde_json::to_string_pretty(&serde_json::json!({
                "Sid": "ApplyGuardrail",
                "Effect": "Allow",
                "Action": ["bedrock:ApplyGuardrail"],
                "Resource": [arn],
            }))
            .unwrap_or_default();
            let (cause, situation) = if by_orgs {
                (Cause::ScpDeny, "guardrail-scp")
            } else if decision == "explicitDeny" {
                (Cause::IamExplicitDeny, "guardrail-denied")
            } else {
                (Cause::IamNotAuthorized, "guardrail-not-allowed")
            };
            let facts = [
                ("principal", who.as_str()),
                ("arn", arn.as_str()),
                ("statement", statement.as_str()),
            ];
            let first = out.findings.is_empty();
            out = out.finding(
                Finding::new(cause, Severity::Error, format!("{who} may not apply the guardrail, so every call made with it is denied"))
                    .evidence(format!("simulated bedrock:ApplyGuardrail on {arn}: {decision}"))
                    .fixes(super::fixes("iam-permissions", situation, &facts))
                    .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions.html"),
            );
            if first {
                out.summary = out.findings[0].summary.clone();
            }
        }
        out
    })
}

/// The account a guardrail given by id lives in: the caller's (else the principal's).
fn guardrail_account(ctx: &Ctx, principal: &Principal) -> String {
    ctx.facts
        .get::<super::identity::CallerIdentity>()
        .map(|c| c.account.clone())
        .or_else(|| principal.iam_arn.split(':').nth(4).map(str::to_string))
        .unwrap_or_default()
}

/// The invoke simulation's verdict: allowed, or each kind of denial with its fix.
fn invoke_verdict(
    ctx: &Ctx,
    principal: &Principal,
    targets: &[Target],
    results: Result<Vec<(String, EvaluationResult)>, CallFailure>,
) -> Outcome {
    let results = match results {
        Ok(r) => r,
        Err(f) => {
            return Outcome::error(f.could_not(
                &format!("simulate the policies of {}", principal.iam_arn),
                "iam:SimulatePrincipalPolicy",
            ))
            .detail("the invoke check still tests the call itself")
        }
    };
    let mut sim = SimulationResult {
        all_allowed: true,
        ..Default::default()
    };
    let mut implicit: Vec<String> = Vec::new();
    let mut explicit: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut boundary: Vec<String> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    let mut out = Outcome::pass(match targets.len() {
        1 => format!(
            "{} may invoke on the one resource the call touches",
            principal.iam_arn
        ),
        n => format!(
            "{} may invoke on all {n} resources the call touches",
            principal.iam_arn
        ),
    });
    for (region, r) in &results {
        let action = r.eval_action_name().to_string();
        let resource = r.eval_resource_name().unwrap_or("*").to_string();
        let decision = r.eval_decision().as_str();
        out = out.detail(format!("{action} on {resource} ({region}): {decision}"));
        for m in r.missing_context_values() {
            missing.push(format!("{m} (for {action} on {resource})"));
        }
        if decision == "allowed" {
            continue;
        }
        sim.all_allowed = false;
        let by_orgs = r
            .organizations_decision_detail()
            .is_some_and(|d| !d.allowed_by_organizations());
        let by_boundary = r
            .permissions_boundary_decision_detail()
            .is_some_and(|d| !d.allowed_by_permissions_boundary());
        if by_orgs {
            sim.denied_by_organizations
                .push((action, resource, region.clone()));
        } else if decision == "explicitDeny" {
            explicit.push((action, resource, statements(r)));
        } else if by_boundary {
            boundary.push(format!("{action} on {resource}"));
        } else {
            implicit.push(format!("{action} on {resource}"));
        }
    }
    let who = &principal.iam_arn;
    // Only streaming denied: plain calls work, streaming applications fail. A warning that
    // says so, not a failure that reads as "nothing can be called" (unless the application
    // streams: --stream, or an --app that does, then every call it makes is refused).
    let denied_actions: Vec<&str> = results
        .iter()
        .filter(|(_, r)| r.eval_decision().as_str() != "allowed")
        .map(|(_, r)| r.eval_action_name())
        .collect();
    let stream_only = !denied_actions.is_empty()
        && denied_actions
            .iter()
            .all(|a| *a == "bedrock:InvokeModelWithResponseStream");
    let severity = if stream_only && !ctx.env.settings.stream {
        Severity::Warning
    } else {
        Severity::Error
    };
    if !explicit.is_empty() {
        let mut f = Finding::new(
            Cause::IamExplicitDeny,
            severity,
            format!("a policy of {who} explicitly denies invoking this model"),
        );
        let mut names: Vec<String> = Vec::new();
        for (action, resource, stmts) in &explicit {
            f = f.evidence(format!(
                "{action} on {resource}: explicit deny by {}",
                if stmts.is_empty() {
                    "a policy the simulation did not name".to_string()
                } else {
                    stmts.join(", ")
                }
            ));
            names.extend(stmts.iter().cloned());
        }
        names.sort();
        names.dedup();
        // A policy that requires a guardrail denies every call without one: it conditions on
        // bedrock:GuardrailIdentifier (guardrails-permissions-id.html), which the simulation
        // reports as a key it was not given.
        let wants_guardrail = ctx.env.settings.guardrail.is_none()
            && missing.iter().any(|m| {
                m.to_ascii_lowercase()
                    .starts_with("bedrock:guardrailidentifier")
            });
        if wants_guardrail {
            f = f
                .evidence("the denying policy conditions on bedrock:GuardrailIdentifier, and this run named no guardrail: it requires calls to carry one")
                .fixes(super::fixes("iam-permissions", "guardrail-required", &[("principal", who)]));
        }
        f = f
            .fixes(super::fixes(
                "iam-permissions",
                "explicit-deny",
                &[("policies", &names.join(", ")), ("principal", who), ("resource", &explicit[0].1)],
            ))
            .doc("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html");
        out = out.finding(f);
    }
    if !boundary.is_empty() {
        out = out.finding(
            Finding::new(
                Cause::PermissionsBoundaryDeny,
                severity,
                format!("the permissions boundary of {who} does not allow invoking this model"),
            )
            .evidence(format!(
                "not allowed by the boundary: {}",
                boundary.join("; ")
            ))
            .fixes(super::fixes(
                "iam-permissions",
                "boundary-deny",
                &[("name", who.rsplit('/').next().unwrap_or("ROLE"))],
            ))
            .doc(
                "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html",
            ),
        );
    }
    if !implicit.is_empty() {
        let arns: Vec<&str> = targets.iter().map(|t| t.arn.as_str()).collect();
        let statement = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "AllowBedrockInvoke",
                "Effect": "Allow",
                "Action": INVOKE_ACTIONS,
                "Resource": arns,
            }]
        });
        let policy = serde_json::to_string_pretty(&statement).unwrap_or_default();
        let name = who.rsplit('/').next().unwrap_or("ROLE");
        let situation = if who.contains(":user/") {
            "no-allow-user"
        } else {
            "no-allow-role"
        };
        out = out.finding(
            Finding::new(Cause::IamNotAuthorized, severity, format!("no identity-based policy of {who} allows invoking this model"))
                .evidence(format!("implicitly denied: {}", implicit.join("; ")))
                .fixes(super::fixes(
                    "iam-permissions",
                    situation,
                    &[("principal", who), ("policy", &policy), ("name", name)],
                ))
                .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/security_iam_id-based-policy-examples.html"),
        );
    }
    if !missing.is_empty() {
        missing.sort();
        missing.dedup();
        out = out.detail(format!("the simulation could not evaluate conditions on: {} (the decision assumes they are absent)", missing.join("; ")));
    }
    if stream_only && !out.findings.is_empty() {
        out.summary = format!(
            "{who} may call InvokeModel but not InvokeModelWithResponseStream: streaming calls (ConverseStream, InvokeModelWithResponseStream) will be refused"
        );
        for f in &mut out.findings {
            f.summary = format!("{} (streaming only: InvokeModel is allowed)", f.summary);
        }
    } else if !out.findings.is_empty() {
        out.summary = out.findings[0].summary.clone();
    }
    if !sim.denied_by_organizations.is_empty() && out.findings.is_empty() {
        out.summary = format!(
            "IAM allows it, but the organization's SCPs deny {} call(s): see the scp check",
            sim.denied_by_organizations.len()
        );
    }
    out.fact(sim)
}
