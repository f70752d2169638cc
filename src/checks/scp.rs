//! `scp`: name the service control policy and statement that deny the call.

use super::iam_permissions::SimulationResult;
use super::iam_permissions::UNSPECIFIED_REGION;
use super::identity::CallerIdentity;
use super::inference_profile::ProfileRoute;
use super::principal::Principal;
use super::Ctx;
use crate::causes::Cause;
use crate::policy::{self, Request};
use crate::report::{Finding, Severity};
use crate::runner::{CheckFuture, Outcome};

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move {
        let Some(sim) = ctx.facts.get::<SimulationResult>().cloned() else {
            return Outcome::skip("waited for `iam-permissions`, whose simulation (iam:SimulatePrincipalPolicy) did not run");
        };
        if sim.denied_by_organizations.is_empty() {
            return Outcome::pass("the simulation found no SCP denying these calls");
        }
        check(&ctx, &sim).await
    })
}

async fn check(ctx: &Ctx, sim: &SimulationResult) -> Outcome {
    let home = ctx.region().to_string();
    let principal = ctx
        .facts
        .get::<Principal>()
        .map(|p| p.iam_arn.clone())
        .unwrap_or_default();
    let account = ctx
        .facts
        .get::<CallerIdentity>()
        .map(|c| c.account.clone())
        .or_else(|| principal.split(':').nth(4).map(str::to_string))
        .unwrap_or_default();
    let route = ctx.facts.get::<ProfileRoute>().filter(|r| !r.suggested);
    let profile_arn = route.map(|r| r.profile_arn.clone());
    let stream_only = sim
        .denied_by_organizations
        .iter()
        .all(|(a, _, _)| a == "bedrock:InvokeModelWithResponseStream");
    let severity = if stream_only {
        Severity::Warning
    } else {
        Severity::Error
    };
    let seen: Vec<String> = sim
        .denied_by_organizations
        .iter()
        .map(|(a, res, region)| {
            format!("{a} on {res} (evaluated in region {region}): not allowed by the organization")
        })
        .collect();

    let org = ctx.env.organization.policies(&account).await;
    let org = match org {
        Ok(o) => o,
        Err(f) => {
            // From a member account Organizations is not readable: say what we know.
            let mut finding = Finding::new(
                Cause::ScpDeny,
                severity,
                "a service control policy of the organization denies the call",
            );
            for s in &seen {
                finding = finding.evidence(s.clone());
            }
            finding = finding
                .evidence(format!("the policy could not be named: {}", f.describe()))
                .fixes(super::fixes("scp", "unnamed", &[]))
                .doc("https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html");
            return Outcome::default().finding(finding);
        }
    };
    // Any member may ask who manages its organization; unknown is not a reason to stop.
    let management = ctx
        .env
        .shared
        .management_account(&ctx.env.clients)
        .await
        .ok()
        .flatten();
    if management.as_deref() == Some(account.as_str()) {
        return Outcome::pass(
            "this is the organization's management account, which SCPs never restrict",
        )
        .detail(seen.join("; "));
    }
    let mut named: Vec<(String, String)> = Vec::new();
    // Regions that are denied because a decisive statement's condition is on the region.
    let mut region_denied: Vec<&str> = Vec::new();
    for (action, resource, region) in &sim.denied_by_organizations {
        let mut context = vec![
            ("aws:RequestedRegion", region.as_str()),
            ("aws:PrincipalArn", principal.as_str()),
        ];
        if let Some(arn) = &profile_arn {
            context.push(("bedrock:InferenceProfileArn", arn.as_str()));
        }
        let req = Request {
            action,
            resource,
            context,
        };
        for (target, id, name, doc) in &org.policies {
            for d in policy::denials(doc, &req) {
                let why = if d.by_region {
                    region_denied.push(region.as_str());
                    format!(" (its condition on aws:RequestedRegion denies {region})")
                } else {
                    String::new()
                };
                named.push((
                    format!("SCP {name} ({id}) attached to {target}, {}{why}", d.label()),
                    id.clone(),
                ));
            }
        }
    }
    region_denied.sort_unstable();
    region_denied.dedup();
    named.sort();
    named.dedup();
    let mut f = Finding::new(
        Cause::ScpDeny,
        severity,
        match named.first() {
            Some((n, _)) => format!("denied by {n}"),
            None => "a service control policy of the organization denies the call".to_string(),
        },
    );
    if stream_only {
        f.summary = format!(
            "{} (streaming only: InvokeModelWithResponseStream is denied, InvokeModel is not)",
            f.summary
        );
    }
    for s in &seen {
        f = f.evidence(s.clone());
    }
    for (n, _) in named.iter().skip(1) {
        f = f.evidence(format!("also: {n}"));
    }
    f = region_advice(f, &region_denied, &home, route);
    if region_denied.is_empty() {
        f = f.fixes(super::fixes("scp", "not-about-regions", &[]));
    }
    if named.is_empty() {
        f = f.evidence(format!(
            "none of the {} SCPs on the path {} has a statement this doctor can match (conditions it does not evaluate?)",
            org.policies.len(),
            org.path.join(" > ")
        ));
    }
    // The headline's policy, for a command that can be run as it stands.
    let policy = named.first().map(|(_, id)| id.as_str()).unwrap_or_default();
    f = f.fixes(super::fixes("scp", "where-scps-live", &[("policy", policy)])).doc("https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html");
    Outcome::default().finding(f)
}

/// Advice about the region list, given only when a decisive statement's condition is on
/// aws:RequestedRegion (a blanket deny reached through a profile is not about regions).
fn region_advice(
    mut f: Finding,
    region_denied: &[&str],
    home: &str,
    route: Option<&ProfileRoute>,
) -> Finding {
    if region_denied.is_empty() {
        return f;
    }
    let global = region_denied.contains(&UNSPECIFIED_REGION);
    let others: Vec<&str> = region_denied
        .iter()
        .copied()
        .filter(|r| *r != UNSPECIFIED_REGION)
        .collect();
    if global {
        let profile = route
            .map(|r| r.profile_id.as_str())
            .unwrap_or("the global profile");
        let model = route
            .map(|r| r.profile_id.trim_start_matches("global."))
            .unwrap_or_default();
        f = f
            .evidence(format!(
                "{profile} is a global profile: AWS authorizes its Region-less model ARN with aws:RequestedRegion = \"unspecified\", which the SCP's region list does not allow"
            ))
            .fixes(super::fixes(
                "scp",
                "global-profile-region",
                &[("profile", profile), ("model", model)],
            ))
            .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/global-cross-region-inference.html");
    }
    let away: Vec<&str> = others.iter().copied().filter(|r| *r != home).collect();
    if !away.is_empty() {
        f = f
            .evidence(format!(
                "the call goes through a cross-region profile, and the SCP's region condition denies its destination region(s) {}: every destination must be allowed, not only {home}",
                away.join(", ")
            ))
            .fixes(super::fixes(
                "scp",
                "destinations-denied",
                &[("regions", &away.join(", "))],
            ));
    } else if others.contains(&home) {
        f = f.fixes(super::fixes("scp", "home-denied", &[("home", home)]));
    }
    f
}
