//! IAM: the caller's role or user, SimulatePrincipalPolicy, and the authorization every
//! simulated call goes through (the scenario's rules, identity policies, boundaries and SCPs).

use super::*;
use crate::sim::scenario::PolicyType;

impl World<'_> {
    /// The IAM ARN that stands for the caller: an assumed-role session maps to its role.
    pub(super) fn caller_principal(&self) -> String {
        let id = &self.scenario.identity;
        // A long-term API key acts as the IAM user it was made for; a short-term one with the
        // permissions of the principal that made it (docs: api-keys.html), the scenario's.
        let short_term = matches!(
            self.call.api_key,
            Some(crate::api_key::ApiKey::ShortTerm(_))
        );
        if self.call.bearer && !short_term {
            return format!("arn:aws:iam::{}:user/BedrockAPIKey-sim", id.account);
        }
        match id.arn.split_once(":assumed-role/") {
            Some((_, rest)) => {
                let role = rest.split('/').next().unwrap_or("");
                let path = self
                    .scenario
                    .iam
                    .roles
                    .iter()
                    .find(|r| r.name == role)
                    .map(|r| r.path.as_str())
                    .unwrap_or("/");
                format!("arn:aws:iam::{}:role{}{}", id.account, path, role)
            }
            None => id.arn.clone(),
        }
    }

    pub(super) fn iam_get(&self, kind: &str, protocol: Protocol) -> Reply {
        let s = self.scenario;
        let form = Form::parse(&self.call.body);
        if s.iam.get_denied {
            let name = form.get(&format!("{kind}Name")).unwrap_or("");
            return protocol.error(
                403,
                "AccessDenied",
                &format!(
                    "User: {} is not authorized to perform: iam:Get{kind} on resource: {} {name}",
                    s.identity.arn,
                    kind.to_ascii_lowercase()
                ),
                self.rid,
            );
        }
        let name = match form.get(&format!("{kind}Name")) {
            Some(n) => n.to_string(),
            // GetUser without a name describes the caller.
            None => s.identity.arn.rsplit('/').next().unwrap_or("").to_string(),
        };
        let declared = if kind == "Role" {
            &s.iam.roles
        } else {
            &s.iam.users
        };
        let caller_role = s
            .identity
            .arn
            .split(":assumed-role/")
            .nth(1)
            .and_then(|r| r.split('/').next());
        let caller_user = s
            .identity
            .arn
            .split(":user/")
            .nth(1)
            .map(|u| u.rsplit('/').next().unwrap_or(u));
        let path = match declared.iter().find(|r| r.name == name) {
            Some(r) => r.path.clone(),
            None if (kind == "Role" && caller_role == Some(name.as_str()))
                || (kind == "User" && caller_user == Some(name.as_str())) =>
            {
                "/".into()
            }
            None => {
                let what = kind.to_ascii_lowercase();
                return protocol.error(
                    404,
                    "NoSuchEntity",
                    &format!("The {what} with name {name} cannot be found."),
                    self.rid,
                );
            }
        };
        let arn = format!(
            "arn:aws:iam::{}:{}{}{}",
            s.identity.account,
            kind.to_ascii_lowercase(),
            path,
            name
        );
        let mut inner = format!(
            "{}{}{}{}{}",
            el("Path", &path),
            el(&format!("{kind}Name"), &name),
            el(
                &format!("{kind}Id"),
                &format!(
                    "{}SIMULATED{}",
                    if kind == "Role" { "AROA" } else { "AIDA" },
                    name.len()
                )
            ),
            el("Arn", &arn),
            el("CreateDate", "2024-01-15T10:00:00Z")
        );
        if kind == "Role" {
            // IAM answers the trust policy URL-encoded (API_Role.html).
            let role = declared.iter().find(|r| r.name == name);
            let trust = super::sts::trust_policy(role, &s.identity.account);
            let encoded: String = form_urlencoded::byte_serialize(trust.as_bytes()).collect();
            inner.push_str(&el(
                "AssumeRolePolicyDocument",
                &encoded.replace('+', "%20"),
            ));
            let max = role.map_or(3600, |r| r.max_session_secs);
            inner.push_str(&el("MaxSessionDuration", &max.to_string()));
        }
        wire::query_ok(
            IAM_NS,
            &format!("Get{kind}"),
            &format!("<{kind}>{inner}</{kind}>"),
            self.rid,
        )
    }

    pub(super) fn simulate(&self, protocol: Protocol) -> Reply {
        let s = self.scenario;
        if s.iam.simulate_denied {
            return protocol.error(
                403,
                "AccessDenied",
                &format!("User: {} is not authorized to perform: iam:SimulatePrincipalPolicy on resource: {}", s.identity.arn, self.caller_principal()),
                self.rid,
            );
        }
        let form = Form::parse(&self.call.body);
        let Some(principal) = form.get("PolicySourceArn") else {
            return protocol.error(400, "ValidationError", "1 validation error detected: Value null at 'policySourceArn' failed to satisfy constraint: Member must not be null", self.rid);
        };
        let actions = form.list("ActionNames");
        let mut resources = form.list("ResourceArns");
        if resources.is_empty() {
            resources.push("*".into());
        }
        let context = context_entries(&form);
        let mut members = String::new();
        for action in &actions {
            for resource in &resources {
                let d = authorize(s, principal, action, resource, &context);
                members.push_str(&evaluation_xml(action, resource, &d));
            }
        }
        let inner = format!(
            "<EvaluationResults>{members}</EvaluationResults>{}",
            el("IsTruncated", "false")
        );
        wire::query_ok(IAM_NS, "SimulatePrincipalPolicy", &inner, self.rid)
    }
}

/// The request context a SimulatePrincipalPolicy call carries (keys lower-cased).
pub(super) fn context_entries(form: &Form) -> iam_eval::Context {
    let mut context = iam_eval::Context::new();
    for i in 1..=50 {
        let Some(key) = form.get(&format!("ContextEntries.member.{i}.ContextKeyName")) else {
            break;
        };
        let values = form.list(&format!("ContextEntries.member.{i}.ContextKeyValues"));
        context.insert(key.to_ascii_lowercase(), values);
    }
    context
}

/// How the simulated account decides one request, in SimulatePrincipalPolicy's terms.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Decision {
    pub(super) decision: Verdict,
    pub(super) policy_id: Option<String>,
    pub(super) policy_type: String,
    pub(super) allowed_by_boundary: bool,
    pub(super) allowed_by_organizations: bool,
    pub(super) missing: Vec<String>,
}

/// A rule the scenario states outright wins; otherwise the organization's SCPs and the
/// principal's identity policies decide, read by the simulator's own evaluator.
pub(super) fn authorize(
    s: &crate::sim::scenario::Scenario,
    principal: &str,
    action: &str,
    resource: &str,
    context: &iam_eval::Context,
) -> Decision {
    let region = context
        .get("aws:requestedregion")
        .and_then(|v| v.first())
        .map(String::as_str);
    let (rule, mut missing) = decide(&s.iam.rules, principal, action, resource, region);
    if let Some(r) = rule {
        return Decision {
            decision: r.decision,
            policy_id: r.policy_id.clone(),
            policy_type: r
                .policy_type
                .unwrap_or(PolicyType::UserManaged)
                .as_str()
                .to_string(),
            allowed_by_boundary: r.allowed_by_boundary,
            allowed_by_organizations: r.allowed_by_organizations,
            missing,
        };
    }
    let ask = iam_eval::Ask {
        action,
        resource,
        context,
    };
    let mut allowed_by_organizations = true;
    for scp in scps_on_account(s) {
        let v = iam_eval::evaluate(&scp.content, &ask);
        missing.extend(v.missing);
        if v.denied_by.is_some() {
            allowed_by_organizations = false;
        }
    }
    let mine: Vec<_> = s
        .iam
        .policies
        .iter()
        .filter(|p| glob(&p.principal, principal))
        .collect();
    let (decision, policy_id) = if mine.is_empty() {
        (Verdict::Allowed, Some("BedrockInvokeAccess".to_string()))
    } else {
        let verdicts: Vec<_> = mine
            .iter()
            .map(|p| (p.id.clone(), iam_eval::evaluate(&p.document, &ask)))
            .collect();
        for (_, v) in &verdicts {
            missing.extend(v.missing.iter().cloned());
        }
        if let Some((id, _)) = verdicts.iter().find(|(_, v)| v.denied_by.is_some()) {
            (Verdict::ExplicitDeny, Some(id.clone()))
        } else if let Some((id, _)) = verdicts.iter().find(|(_, v)| v.allowed_by.is_some()) {
            (Verdict::Allowed, Some(id.clone()))
        } else {
            (Verdict::ImplicitDeny, None)
        }
    };
    missing.sort();
    missing.dedup();
    Decision {
        decision: if allowed_by_organizations {
            decision
        } else {
            Verdict::ExplicitDeny
        },
        policy_id: if allowed_by_organizations {
            policy_id
        } else {
            None
        },
        policy_type: "user-managed".into(),
        allowed_by_boundary: true,
        allowed_by_organizations,
        missing,
    }
}

/// The SCPs that restrict the scenario's account: those attached to it, to each OU above
/// it and to the root. The management account is never restricted by SCPs.
pub(super) fn scps_on_account(
    s: &crate::sim::scenario::Scenario,
) -> Vec<&crate::sim::scenario::ScpPolicy> {
    let o = &s.organizations;
    let account = &s.identity.account;
    if !o.enabled || o.management_account.as_deref() == Some(account.as_str()) {
        return vec![];
    }
    let mut path = vec![account.clone()];
    while let Some(parent) = o.parents.get(path.last().expect("path starts non-empty")) {
        if path.contains(parent) || path.len() > 10 {
            break;
        }
        path.push(parent.clone());
    }
    o.policies
        .iter()
        .filter(|p| p.targets.iter().any(|t| path.contains(t)))
        .collect()
}

/// The first rule that applies; rules with a region condition need aws:RequestedRegion.
pub(super) fn decide<'r>(
    rules: &'r [IamRule],
    principal: &str,
    action: &str,
    resource: &str,
    region: Option<&str>,
) -> (Option<&'r IamRule>, Vec<String>) {
    let mut missing = Vec::new();
    for rule in rules {
        if !(glob(&rule.principal, principal)
            && glob(&rule.action, action)
            && glob(&rule.resource, resource))
        {
            continue;
        }
        if !rule.regions.is_empty() {
            match region {
                Some(r) if rule.regions.iter().any(|x| x == r) => {}
                Some(_) => continue,
                None => {
                    missing.push("aws:RequestedRegion".to_string());
                    continue;
                }
            }
        }
        missing.extend(rule.missing_context.iter().cloned());
        return (Some(rule), missing);
    }
    (None, missing)
}

pub(super) fn evaluation_xml(action: &str, resource: &str, d: &Decision) -> String {
    let statements = match (&d.policy_id, d.decision) {
        (Some(p), Verdict::Allowed | Verdict::ExplicitDeny) => format!(
            "<member>{}{}<StartPosition><Line>3</Line><Column>5</Column></StartPosition><EndPosition><Line>9</Line><Column>6</Column></EndPosition></member>",
            el("SourcePolicyId", p),
            el("SourcePolicyType", &d.policy_type)
        ),
        _ => String::new(),
    };
    let missing_xml: String = d.missing.iter().map(|m| el("member", m)).collect();
    format!(
        "<member>{}{}{}<MatchedStatements>{statements}</MatchedStatements><MissingContextValues>{missing_xml}</MissingContextValues>\
<OrganizationsDecisionDetail>{}</OrganizationsDecisionDetail><PermissionsBoundaryDecisionDetail>{}</PermissionsBoundaryDecisionDetail></member>",
        el("EvalActionName", action),
        el("EvalResourceName", resource),
        el("EvalDecision", d.decision.as_str()),
        el("AllowedByOrganizations", if d.allowed_by_organizations { "true" } else { "false" }),
        el("AllowedByPermissionsBoundary", if d.allowed_by_boundary { "true" } else { "false" }),
    )
}
