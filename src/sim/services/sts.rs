//! STS AssumeRole: entering a role in the scenario's account or in one of its `[[accounts]]`.
//!
//! Modelled on the STS API reference (API_AssumeRole.html) and the IAM User Guide (sources in
//! src/catalog/SOURCES.md, "STS AssumeRole"):
//! - the caller needs sts:AssumeRole from its own policies (and its account's SCPs), and the
//!   role's trust policy must name it; in the role's own account a trust policy that names the
//!   caller's ARN is enough on its own (reference_policies_evaluation-logic-cross-account.html);
//! - every refusal of authorization, a missing role included, is the same 403 AccessDenied
//!   "User: CALLER is not authorized to perform: sts:AssumeRole on resource: ROLE", whatever
//!   the reason: the trust policy, the caller's permissions, a required external id or MFA;
//! - a DurationSeconds over the role's MaxSessionDuration is a 400 ValidationError, and a
//!   role assumed by a role may not ask for more than an hour (id_roles_use.html, "role
//!   chaining");
//! - an account that deactivated STS in the region answers 403 RegionDisabledException.

use super::*;

impl World<'_> {
    pub(super) fn assume_role(&self, protocol: Protocol) -> Reply {
        let s = self.scenario;
        let form = Form::parse(&self.call.body);
        let invalid = |message: String| protocol.error(400, "ValidationError", &message, self.rid);
        let Some(role_arn) = form.get("RoleArn") else {
            return invalid("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null".into());
        };
        let session = form.get("RoleSessionName").unwrap_or("");
        let session_ok = (2..=64).contains(&session.len())
            && session
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
        if !session_ok {
            return invalid(format!("1 validation error detected: Value '{session}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"));
        }
        let duration: u32 = match form.get("DurationSeconds").map(str::parse) {
            None => 3600,
            Some(Ok(d)) if (900..=43200).contains(&d) => d,
            Some(given) => {
                let bound = match given {
                    Ok(d) if d < 900 => "greater than or equal to 900",
                    _ => "less than or equal to 43200",
                };
                return invalid(format!("1 validation error detected: Value '{}' at 'durationSeconds' failed to satisfy constraint: Member must have value {bound}", form.get("DurationSeconds").unwrap_or("")));
            }
        };
        if s.sts_disabled_regions.iter().any(|r| r == self.region()) {
            return protocol.error(
                403,
                "RegionDisabledException",
                &format!("STS is not activated in this region for account:{}. Your account administrator can activate STS in this region using the IAM Console.", s.identity.account),
                self.rid,
            );
        }
        let caller = s.identity.arn.clone();
        let principal = self.caller_principal();
        let denied = || {
            protocol.error(
                403,
                "AccessDenied",
                &format!("User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"),
                self.rid,
            )
        };
        let Some((account, name)) = role_parts(role_arn) else {
            return denied();
        };
        let Some(target) = self.sim.scenario().account(account) else {
            return denied();
        };
        // The caller's own role exists even where the scenario does not declare it (as
        // iam:GetRole answers it).
        let own = caller
            .split(":assumed-role/")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .filter(|r| *r == name && account == s.identity.account)
            .map(|r| crate::sim::scenario::NamedPath {
                name: r.to_string(),
                path: "/".into(),
                trust: None,
                max_session_secs: 3600,
            });
        let Some(role) = target
            .iam
            .roles
            .iter()
            .find(|r| r.name == name)
            .or(own.as_ref())
        else {
            return denied();
        };
        let mut context = iam_eval::Context::new();
        let mut set = |k: &str, v: &str| {
            context.insert(k.to_string(), vec![v.to_string()]);
        };
        set("aws:principalarn", &principal);
        set("aws:principalaccount", &s.identity.account);
        if let Some(id) = form.get("ExternalId") {
            set("sts:externalid", id);
        }
        let mfa = form.get("SerialNumber").is_some() && form.get("TokenCode").is_some();
        set(
            "aws:multifactorauthpresent",
            if mfa { "true" } else { "false" },
        );
        let trust = trust_policy(Some(role), account);
        let named = trust_decision(&trust, &principal, &caller, &s.identity.account, &context);
        let same_account = account == s.identity.account;
        let trusted = match named {
            Trust::Denied | Trust::NotTrusted => false,
            // The caller's ARN in the role's own account's trust policy needs no identity
            // policy; any other trust (an account, cross-account) needs both sides.
            // Still, an explicit Deny (a policy or an SCP) refuses it.
            Trust::ByArn if same_account => {
                iam::authorize(s, &principal, "sts:AssumeRole", role_arn, &context).decision
                    != Verdict::ExplicitDeny
            }
            Trust::ByArn | Trust::ByAccount => {
                iam::authorize(s, &principal, "sts:AssumeRole", role_arn, &context).decision
                    == Verdict::Allowed
            }
        };
        if !trusted {
            return denied();
        }
        if duration > role.max_session_secs {
            return invalid(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                    .into(),
            );
        }
        if caller.contains(":assumed-role/") && duration > 3600 {
            return invalid("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.".into());
        }
        let assumed = format!("arn:aws:sts::{account}:assumed-role/{name}/{session}");
        let role_id = format!("AROASIM{:013}", name.len());
        let mut acting = target.clone();
        acting.accounts.clear();
        acting.identity.arn = assumed.clone();
        acting.identity.user_id = format!("{role_id}:{session}");
        let key = self.sim.issue_session(acting);
        let expires =
            std::time::SystemTime::now() + std::time::Duration::from_secs(duration.into());
        let inner = format!(
            "<Credentials>{}{}{}{}</Credentials><AssumedRoleUser>{}{}</AssumedRoleUser>",
            el("AccessKeyId", &key),
            el(
                "SecretAccessKey",
                "simulated/assumed/role/secret/not/real/0"
            ),
            el(
                "SessionToken",
                &format!("simulated-session-token-for-{key}")
            ),
            el(
                "Expiration",
                &humantime::format_rfc3339_seconds(expires).to_string()
            ),
            el("AssumedRoleId", &format!("{role_id}:{session}")),
            el("Arn", &assumed),
        );
        wire::query_ok(STS_NS, "AssumeRole", &inner, self.rid)
    }
}

/// A role's trust policy; a scenario role without one trusts its own account's principals.
pub(super) fn trust_policy(
    role: Option<&crate::sim::scenario::NamedPath>,
    account: &str,
) -> String {
    role.and_then(|r| r.trust.clone()).unwrap_or_else(|| {
        format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#)
    })
}

/// `arn:aws:iam::ACCOUNT:role/path/NAME` -> (ACCOUNT, NAME).
fn role_parts(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path = resource.strip_prefix("role/")?;
    Some((account, path.rsplit('/').next()?))
}

/// What a trust policy says about one caller.
#[derive(Debug, PartialEq)]
enum Trust {
    /// A Deny statement applies.
    Denied,
    /// No Allow applies (no statement names the caller, or its conditions fail).
    NotTrusted,
    /// An Allow names the caller's own ARN (its role, user or session).
    ByArn,
    /// An Allow names the caller's account (or `*`): its own policies must also allow.
    ByAccount,
}

fn trust_decision(
    document: &str,
    principal: &str,
    session: &str,
    account: &str,
    context: &iam_eval::Context,
) -> Trust {
    let Ok(doc) = serde_json::from_str::<Value>(document) else {
        return Trust::NotTrusted;
    };
    let statements = match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    let mut found = Trust::NotTrusted;
    for st in statements {
        let names: Vec<String> = match &st["Principal"] {
            Value::String(s) if s == "*" => vec!["*".into()],
            p => match &p["AWS"] {
                Value::String(s) => vec![s.clone()],
                Value::Array(a) => a
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                _ => vec![],
            },
        };
        let by_arn = names.iter().any(|n| n == principal || n == session);
        let by_account = names
            .iter()
            .any(|n| n == "*" || n == account || *n == format!("arn:aws:iam::{account}:root"));
        if !by_arn && !by_account {
            continue;
        }
        // The statement's action and conditions, read by the simulator's evaluator.
        let one = json!({ "Statement": [st] }).to_string();
        let verdict = iam_eval::evaluate(
            &one,
            &iam_eval::Ask {
                action: "sts:AssumeRole",
                resource: "*",
                context,
            },
        );
        if verdict.denied_by.is_some() {
            return Trust::Denied;
        }
        if verdict.allowed_by.is_some() {
            found = match found {
                Trust::ByArn => Trust::ByArn,
                _ if by_arn => Trust::ByArn,
                _ => Trust::ByAccount,
            };
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(pairs: &[(&str, &str)]) -> iam_eval::Context {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
            .collect()
    }

    const ME: &str = "arn:aws:iam::111122223333:role/Admin";
    const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Admin/alice";

    #[test]
    fn a_trust_policy_names_the_caller_by_arn_or_by_account() {
        let by_arn = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Admin"},"Action":"sts:AssumeRole"}]}"#;
        let by_account = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}}"#;
        let other = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}"#;
        let service = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        let c = ctx(&[]);
        let t = |d| trust_decision(d, ME, SESSION, "111122223333", &c);
        assert_eq!(t(by_arn), Trust::ByArn);
        assert_eq!(t(by_account), Trust::ByAccount);
        assert_eq!(t(other), Trust::NotTrusted);
        assert_eq!(t(service), Trust::NotTrusted);
        assert_eq!(t("not json"), Trust::NotTrusted);
    }

    #[test]
    fn external_id_and_mfa_conditions_are_read() {
        let doc = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"tenant-42"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}"#;
        let t =
            |pairs: &[(&str, &str)]| trust_decision(doc, ME, SESSION, "111122223333", &ctx(pairs));
        assert_eq!(t(&[]), Trust::NotTrusted);
        assert_eq!(
            t(&[
                ("sts:externalid", "tenant-42"),
                ("aws:multifactorauthpresent", "false")
            ]),
            Trust::NotTrusted
        );
        assert_eq!(
            t(&[
                ("sts:externalid", "tenant-41"),
                ("aws:multifactorauthpresent", "true")
            ]),
            Trust::NotTrusted
        );
        assert_eq!(
            t(&[
                ("sts:externalid", "tenant-42"),
                ("aws:multifactorauthpresent", "true")
            ]),
            Trust::ByAccount
        );
    }

    #[test]
    fn a_deny_in_the_trust_policy_wins() {
        let doc = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:role/Admin"},"Action":"sts:AssumeRole"}]}"#;
        assert_eq!(
            trust_decision(doc, ME, SESSION, "111122223333", &ctx(&[])),
            Trust::Denied
        );
    }

    #[test]
    fn role_arns_are_split_into_account_and_name() {
        assert_eq!(
            role_parts("arn:aws:iam::222233334444:role/team/ml/Reader"),
            Some(("222233334444", "Reader"))
        );
        assert_eq!(role_parts("arn:aws:iam::222233334444:user/bob"), None);
        assert_eq!(role_parts("Reader"), None);
    }
}
