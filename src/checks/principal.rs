//! `principal`: the IAM principal whose permissions the simulation evaluates.

use super::identity::{CallerIdentity, PrincipalKind};
use super::Ctx;
use crate::aws::CallFailure;
use crate::runner::{CheckFuture, Outcome};

/// The IAM ARN to pass as PolicySourceArn, and the ARN AWS names in denials.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub iam_arn: String,
    /// How AWS names the caller in error messages (the session ARN for roles).
    pub caller_arn: String,
    /// True when it came from --principal rather than the caller.
    pub explicit: bool,
}

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move {
        if let Some(arn) = ctx.env.settings.principal.clone() {
            return resolve(&ctx, &arn, true).await;
        }
        let Some(caller) = ctx.facts.get::<CallerIdentity>().cloned() else {
            return Outcome::skip("waited for `identity`, which did not establish who the caller is (sts:GetCallerIdentity)");
        };
        match caller.kind {
            PrincipalKind::Root | PrincipalKind::FederatedUser => Outcome::skip(format!(
                "the {} cannot be simulated by IAM; the invoke check gives the verdict (or pass --principal ARN)",
                caller.kind.describe()
            )),
            _ => resolve(&ctx, &caller.arn, false).await,
        }
    })
}

async fn resolve(ctx: &Ctx, arn: &str, explicit: bool) -> Outcome {
    let account = arn.split(':').nth(4).unwrap_or("").to_string();
    // IAM reads and simulates only the caller's own account: GetRole and GetUser take a
    // bare name (API_GetRole.html, API_GetUser.html), so a principal of another account
    // would be answered with whatever of that name the caller's account holds.
    if let Some(caller) = ctx.facts.get::<CallerIdentity>() {
        if !account.is_empty() && account != caller.account {
            return Outcome::error(format!(
                "--principal {arn} is in account {account}, but the credentials are account {}'s: IAM reads and simulates only the caller's own account",
                caller.account
            ))
            .detail(format!(
                "run with credentials of account {account} (its --profile, or --accounts {account} --assume-role ROLE); the invoke check still speaks for these credentials"
            ));
        }
    }
    let resource = arn.splitn(6, ':').nth(5).unwrap_or("");
    let source = if explicit {
        "--principal"
    } else {
        "the caller"
    };
    if let Some(rest) = resource.strip_prefix("assumed-role/") {
        let role = rest.split('/').next().unwrap_or("");
        return match ctx.env.clients.iam.get_role().role_name(role).send().await {
            Ok(out) => {
                let role_arn = out.role().map(|r| r.arn().to_string()).unwrap_or_default();
                let path = out.role().map(|r| r.path().to_string()).unwrap_or_default();
                let mut o = Outcome::pass(format!("{source} acts as role {role_arn}")).detail(
                    format!("session {arn} belongs to role {role} (path {path})"),
                );
                if path.starts_with("/aws-reserved/sso.amazonaws.com/") {
                    o = o.detail("an IAM Identity Center (SSO) role: its policies come from the permission set");
                }
                o.fact(Principal {
                    iam_arn: role_arn,
                    caller_arn: arn.to_string(),
                    explicit,
                })
            }
            Err(e) => {
                let f = CallFailure::from_sdk(&e);
                if f.code() == Some("NoSuchEntity") {
                    return Outcome::error(format!(
                        "the role {role} of {arn} does not exist in account {account} (iam:GetRole)"
                    ));
                }
                // Without iam:GetRole the path is unknown; "/" is right for most roles.
                let guess = format!("arn:aws:iam::{account}:role/{role}");
                Outcome::pass(format!("{source} acts as role {guess} (path assumed)"))
                    .detail(f.could_not("read the role's path", "iam:GetRole"))
                    .detail("if the role has a path (service-role/, aws-reserved/...), pass --principal with its full ARN")
                    .fact(Principal { iam_arn: guess, caller_arn: arn.to_string(), explicit })
            }
        };
    }
    if let Some(rest) = resource.strip_prefix("role/") {
        let name = rest.rsplit('/').next().unwrap_or(rest);
        let checked = ctx.env.clients.iam.get_role().role_name(name).send().await;
        return existence(
            checked.map(|_| ()).map_err(|e| CallFailure::from_sdk(&e)),
            arn,
            "role",
            explicit,
        );
    }
    if let Some(rest) = resource.strip_prefix("user/") {
        let name = rest.rsplit('/').next().unwrap_or(rest);
        let checked = ctx.env.clients.iam.get_user().user_name(name).send().await;
        return existence(
            checked.map(|_| ()).map_err(|e| CallFailure::from_sdk(&e)),
            arn,
            "user",
            explicit,
        );
    }
    Outcome::skip(format!("{arn} is not an IAM user or role, so it cannot be simulated; the invoke check gives the verdict"))
}

fn existence(checked: Result<(), CallFailure>, arn: &str, kind: &str, explicit: bool) -> Outcome {
    let principal = Principal {
        iam_arn: arn.to_string(),
        caller_arn: arn.to_string(),
        explicit,
    };
    match checked {
        Ok(()) => Outcome::pass(format!("evaluating {kind} {arn}")).fact(principal),
        Err(f) if f.code() == Some("NoSuchEntity") => Outcome::error(format!(
            "the {kind} {arn} does not exist (iam:Get{}): {}",
            if kind == "user" { "User" } else { "Role" },
            f.describe()
        )),
        Err(f) => Outcome::pass(format!("evaluating {kind} {arn}"))
            .detail(f.could_not(
                &format!("confirm the {kind} exists"),
                &format!("iam:Get{}", if kind == "role" { "Role" } else { "User" }),
            ))
            .fact(principal),
    }
}
