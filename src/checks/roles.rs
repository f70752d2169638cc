//! Entering a role with STS AssumeRole, and naming why STS refused. Used for a profile with
//! `role_arn` (the `credentials` check reports it) and for each account of `--accounts`.
//!
//! STS gives one answer for most refusals: 403 AccessDenied "User: CALLER is not authorized
//! to perform: sts:AssumeRole on resource: ROLE", whether the role is missing, its trust
//! policy does not name the caller, the caller's own policies lack sts:AssumeRole, or the
//! external id or MFA the trust policy requires is missing (API_AssumeRole.html; sources in
//! src/catalog/SOURCES.md, "STS AssumeRole"). So the doctor asks what the caller's side can
//! show: the caller's permission (iam:SimulatePrincipalPolicy), and in the caller's own
//! account the role and its trust policy (iam:GetRole). A role in another account cannot be
//! read from here; the finding then lists what is left, in the order worth checking.

use super::fixes;
use crate::aws::CallFailure;
use crate::causes::Cause;
use crate::report::{Finding, Severity};

/// One AssumeRole request, and where its settings came from (for the fix).
#[derive(Debug, Clone)]
pub struct RoleRequest {
    pub role_arn: String,
    pub session_name: String,
    pub external_id: Option<String>,
    pub duration_secs: Option<i32>,
    pub mfa_serial: Option<String>,
    /// "profile `dev`" or "--assume-role": what the person changes.
    pub origin: String,
}

impl RoleRequest {
    /// (account, role name) of the role ARN.
    pub fn parts(&self) -> Option<(&str, &str)> {
        let rest = self.role_arn.strip_prefix("arn:")?;
        let (_, rest) = rest.split_once(":iam::")?;
        let (account, resource) = rest.split_once(':')?;
        Some((account, resource.strip_prefix("role/")?.rsplit('/').next()?))
    }
}

/// Enter the role with the caller's STS client.
pub async fn assume(
    sts: &aws_sdk_sts::Client,
    req: &RoleRequest,
) -> Result<aws_credential_types::Credentials, CallFailure> {
    let out = sts
        .assume_role()
        .role_arn(&req.role_arn)
        .role_session_name(&req.session_name)
        .set_external_id(req.external_id.clone())
        .set_duration_seconds(req.duration_secs)
        .send()
        .await
        .map_err(|e| CallFailure::from_sdk(&e))?;
    let c = out.credentials().ok_or_else(|| {
        CallFailure::BadResponse("AssumeRole answered without credentials".into())
    })?;
    crate::secrets::register(c.secret_access_key());
    crate::secrets::register(c.session_token());
    crate::secrets::register_key_id(c.access_key_id());
    let expires = std::time::SystemTime::try_from(*c.expiration()).ok();
    let mut creds = aws_credential_types::Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        expires,
        "AssumeRole",
    );
    creds
        .get_property_mut_or_default::<Vec<aws_credential_types::credential_feature::AwsCredentialFeature>>()
        .push(aws_credential_types::credential_feature::AwsCredentialFeature::CredentialsStsAssumeRole);
    Ok(creds)
}

/// Why STS refused, as findings, from what the caller's side shows (`iam` is the caller's
/// IAM client; `sts` its STS client, asked who the caller is when the message does not say).
pub async fn diagnose(
    sts: &aws_sdk_sts::Client,
    iam: &aws_sdk_iam::Client,
    req: &RoleRequest,
    failure: &CallFailure,
) -> Vec<Finding> {
    let said = failure.describe();
    let role = req.role_arn.as_str();
    let (role_account, role_name) = req.parts().unwrap_or(("", role));
    let base = |summary: String| {
        Finding::new(Cause::RoleNotAssumable, Severity::Error, summary)
            .evidence(format!("sts:AssumeRole on {role} answered {said}"))
            .doc("https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_roles.html")
    };
    let message = match failure {
        CallFailure::Service { message, .. } => message.as_str(),
        _ => "",
    };
    // What the fixes that retry the call name: where the role came from, and the role.
    let origin_and_role = [("origin", req.origin.as_str()), ("role_arn", role)];
    // STS needs a region to sign for; without one the request is never sent, and the role
    // is not what is wrong.
    if said.contains("signing region") {
        return vec![Finding::new(
            Cause::RegionMissing,
            Severity::Error,
            format!("no region to call STS in, so {role} was not tried"),
        )
        .evidence(format!("sts:AssumeRole for {}: {said}", req.origin))
        .fixes(fixes(
            "credentials",
            "role-no-region",
            &[("origin", &req.origin)],
        ))
        .doc("https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html")];
    }
    match failure.code() {
        Some("RegionDisabledException") => {
            return vec![base("STS is deactivated in this region for the calling account".into())
                .fixes(fixes("credentials", "role-sts-region", &[]))
                .doc("https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_enable-regions.html")];
        }
        Some("ValidationError") if message.contains("role chaining") => {
            return vec![base(format!(
                "a role entered from another role's session may last at most an hour, and {} asks for {}s",
                req.origin,
                req.duration_secs.unwrap_or_default()
            ))
            .fixes(fixes("credentials", "role-chaining", &[("origin", &req.origin)]))];
        }
        Some("ValidationError") if message.contains("MaxSessionDuration") => {
            return vec![base(format!(
                "{} asks for a {}s session, longer than the role's maximum session duration",
                req.origin,
                req.duration_secs.unwrap_or_default()
            ))
            .fixes(fixes(
                "credentials",
                "role-duration",
                &[("origin", &req.origin), ("role", role_name)],
            ))];
        }
        Some(_) if message.contains("MultiFactorAuthentication failed") => {
            return vec![base("STS refused the MFA code".into()).fixes(fixes(
                "credentials",
                "role-mfa",
                &origin_and_role,
            ))];
        }
        Some(code) if code.starts_with("AccessDenied") => {}
        _ => {
            return vec![base(format!("{role} could not be entered")).fixes(fixes(
                "credentials",
                "role-other",
                &origin_and_role,
            ))]
        }
    }

    // AccessDenied: who asked, may they ask, and (in their own account) what the role says.
    let caller = match caller_from_message(message) {
        Some(arn) => Some(arn),
        None => sts
            .get_caller_identity()
            .send()
            .await
            .ok()
            .and_then(|o| o.arn().map(str::to_string)),
    };
    let Some(caller) = caller else {
        return vec![base(format!(
            "{role} could not be entered, and the caller could not be named"
        ))
        .fixes(fixes("credentials", "role-other", &origin_and_role))];
    };
    let principal = iam_arn_of(&caller);
    let caller_account = caller.split(':').nth(4).unwrap_or("").to_string();
    let same_account = caller_account == role_account;
    let statement =
        format!(r#"{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{role}"}}"#);
    let trust_statement = format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}"#
    );
    let mut context = Vec::new();
    if let Some(id) = &req.external_id {
        context.push(super::iam_permissions::context_entry("sts:ExternalId", id));
    }
    let simulate = iam
        .simulate_principal_policy()
        .policy_source_arn(&principal)
        .action_names("sts:AssumeRole")
        .resource_arns(role)
        .set_context_entries(Some(context))
        .send();
    let get_role = async {
        if same_account {
            Some(iam.get_role().role_name(role_name).send().await)
        } else {
            None
        }
    };
    let (simulated, read) = tokio::join!(simulate, get_role);
    let trust = match &read {
        Some(Ok(out)) => out
            .role()
            .and_then(|r| r.assume_role_policy_document())
            .map(url_decode),
        _ => None,
    };
    let reading = trust
        .as_deref()
        .map(|t| read_trust(t, &principal, &caller, &caller_account));
    // In the role's own account a trust policy naming the caller's ARN needs no identity
    // policy: an implicit deny there is not the cause (an explicit one still is).
    let arn_is_enough = same_account && reading.as_ref().is_some_and(|t| t.by_arn);

    let mut findings = Vec::new();
    let mut unknown = Vec::new();
    match &simulated {
        Ok(out) => {
            if let Some(r) = out.evaluation_results().first() {
                let by_scp = r
                    .organizations_decision_detail()
                    .is_some_and(|d| !d.allowed_by_organizations());
                let decision = r.eval_decision().as_str().to_string();
                let (cause, what) = if by_scp {
                    (Cause::ScpDeny, "a service control policy denies")
                } else if decision == "explicitDeny" {
                    (
                        Cause::IamExplicitDeny,
                        "a policy of the caller explicitly denies",
                    )
                } else if decision == "implicitDeny" && !arn_is_enough {
                    (Cause::IamNotAuthorized, "no policy of the caller allows")
                } else {
                    (Cause::RoleNotAssumable, "")
                };
                if cause != Cause::RoleNotAssumable {
                    findings.push(
                        Finding::new(
                            cause,
                            Severity::Error,
                            format!("{what} sts:AssumeRole on {role} for {principal}"),
                        )
                        .evidence(format!("sts:AssumeRole on {role} answered {said}"))
                        .evidence(format!(
                            "iam:SimulatePrincipalPolicy for {principal}: {decision}"
                        ))
                        .fixes(fixes(
                            "credentials",
                            if by_scp {
                                "role-scp"
                            } else {
                                "role-permission"
                            },
                            &[
                                ("principal", &principal),
                                ("statement", &statement),
                                ("account", &caller_account),
                            ],
                        )),
                    );
                }
            }
        }
        Err(e) => unknown.push(format!(
            "whether {principal} may call sts:AssumeRole (iam:SimulatePrincipalPolicy answered {})",
            CallFailure::from_sdk(e).describe()
        )),
    }
    match read {
        Some(Ok(out)) => {
            let max = out
                .role()
                .and_then(|r| r.max_session_duration())
                .unwrap_or(3600);
            let trust = trust.unwrap_or_default();
            let t = reading.unwrap_or_default();
            let evidence = format!("trust policy of {role}: {}", one_line(&trust));
            if t.denies_caller || !t.names_caller {
                let verb = if t.denies_caller {
                    "denies"
                } else {
                    "does not trust"
                };
                findings.push(
                    base(format!("the trust policy of {role} {verb} {principal}"))
                        .evidence(evidence)
                        .fixes(fixes(
                            "credentials",
                            "role-trust",
                            &[("role", role_name), ("statement", &trust_statement)],
                        )),
                );
            } else if !t.external_ids.is_empty()
                && !t.external_ids.iter().any(|id| Some(id) == req.external_id.as_ref())
            {
                let sent = if req.external_id.is_some() {
                    "sends another"
                } else {
                    "sends none"
                };
                findings.push(
                    base(format!(
                        "the trust policy of {role} requires an external id, and {} {sent}",
                        req.origin
                    ))
                    .evidence(evidence)
                    .fixes(fixes(
                        "credentials",
                        "role-external-id",
                        &[("origin", &req.origin)],
                    )),
                );
            } else if t.needs_mfa {
                // The doctor never sends an MFA code, whatever mfa_serial says.
                findings.push(
                    base(format!("the trust policy of {role} requires MFA, and the doctor cannot enter a code"))
                        .evidence(evidence)
                        .fixes(fixes("credentials", "role-mfa", &origin_and_role)),
                );
            } else if req.duration_secs.is_some_and(|d| d > max) {
                findings.push(
                    base(format!(
                        "{} asks for a longer session than the role's maximum ({max}s)",
                        req.origin
                    ))
                    .evidence(evidence)
                    .fixes(fixes(
                        "credentials",
                        "role-duration",
                        &[("origin", &req.origin), ("role", role_name)],
                    )),
                );
            }
        }
        Some(Err(e)) => {
            let f = CallFailure::from_sdk(&e);
            if f.code() == Some("NoSuchEntity") {
                findings.push(
                    base(format!("{role} does not exist in account {role_account}"))
                        .evidence(format!("iam:GetRole {role_name}: {}", f.describe()))
                        .fixes(fixes("credentials", "role-missing", &[("origin", &req.origin), ("role", role_name)])),
                );
            } else {
                unknown.push(format!(
                    "the role's trust policy (iam:GetRole answered {})",
                    f.describe()
                ));
            }
        }
        None => unknown.push(format!(
            "whether {role} exists and what its trust policy says (it is in account {role_account}; only that account can read it)"
        )),
    }
    if findings.is_empty() {
        // Nothing the caller's side shows: name what is left, most likely first.
        let mut f = base(format!("{role} could not be entered by {principal}")).fixes(fixes(
            "credentials",
            "role-unseen",
            &[
                ("role", role_name),
                ("account", role_account),
                ("statement", &trust_statement),
                ("origin", &req.origin),
            ],
        ));
        for u in unknown {
            f = f.evidence(format!("not known from here: {u}"));
        }
        if let Ok(out) = &simulated {
            if let Some(r) = out.evaluation_results().first() {
                f = f.evidence(format!(
                    "iam:SimulatePrincipalPolicy for {principal}: {} (so the caller's own policies are not the cause)",
                    r.eval_decision().as_str()
                ));
            }
        }
        findings.push(f);
    }
    findings
}

/// STS refused a role a profile names: the findings that say why, computed once.
#[derive(Debug, Clone)]
pub struct RoleRefused {
    pub request: RoleRequest,
    pub said: String,
    pub findings: Vec<Finding>,
}

impl std::fmt::Display for RoleRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sts:AssumeRole on {} answered {}",
            self.request.role_arn, self.said
        )
    }
}

impl std::error::Error for RoleRefused {}

/// The credentials of a profile with `role_arn`: the source identity's (its source_profile
/// or credential_source) exchanged with STS AssumeRole by the doctor itself, so the call goes
/// to the run's endpoint with the run's timeouts, and a refusal can be diagnosed with the
/// source identity's own clients. The outcome, refusal included, is computed once.
#[derive(Debug)]
pub struct RoleProfileCredentials {
    pub request: RoleRequest,
    pub sts: aws_sdk_sts::Client,
    pub iam: aws_sdk_iam::Client,
    outcome: tokio::sync::OnceCell<Result<aws_credential_types::Credentials, RoleRefused>>,
}

impl RoleProfileCredentials {
    pub fn new(request: RoleRequest, sts: aws_sdk_sts::Client, iam: aws_sdk_iam::Client) -> Self {
        RoleProfileCredentials {
            request,
            sts,
            iam,
            outcome: Default::default(),
        }
    }

    async fn enter(&self) -> Result<aws_credential_types::Credentials, RoleRefused> {
        match assume(&self.sts, &self.request).await {
            Ok(c) => Ok(c),
            // The source identity itself failed (no keys, expired SSO...): that is the
            // credentials finding, in the SDK's words, not a role diagnosis.
            Err(CallFailure::NotSent(detail)) => Err(RoleRefused {
                request: self.request.clone(),
                said: format!("nothing: the source credentials could not be loaded: {detail}"),
                findings: vec![],
            }),
            Err(failure) => Err(RoleRefused {
                findings: diagnose(&self.sts, &self.iam, &self.request, &failure).await,
                request: self.request.clone(),
                said: failure.describe(),
            }),
        }
    }
}

impl aws_credential_types::provider::ProvideCredentials for RoleProfileCredentials {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            self.outcome
                .get_or_init(|| self.enter())
                .await
                .clone()
                .map_err(aws_credential_types::provider::error::CredentialsError::provider_error)
        })
    }
}

/// `User: ARN is not authorized to perform: sts:AssumeRole ...` -> ARN.
fn caller_from_message(message: &str) -> Option<String> {
    let rest = message.strip_prefix("User: ")?;
    let arn = rest.split_whitespace().next()?;
    arn.starts_with("arn:").then(|| arn.to_string())
}

/// The IAM ARN that stands for a caller: a session's role (at path `/`, which most roles
/// have; the message does not carry the path), else the ARN itself.
fn iam_arn_of(caller: &str) -> String {
    match caller.split_once(":assumed-role/") {
        Some((head, rest)) => {
            let account = head.rsplit(':').next().unwrap_or("");
            let role = rest.split('/').next().unwrap_or("");
            format!("arn:aws:iam::{account}:role/{role}")
        }
        None => caller.to_string(),
    }
}

/// IAM answers policy documents URL-encoded.
fn url_decode(document: &str) -> String {
    form_urlencoded::parse(format!("d={document}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn one_line(document: &str) -> String {
    serde_json::from_str::<serde_json::Value>(document)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| document.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// What a trust policy asks of one caller.
#[derive(Debug, Default, PartialEq)]
struct TrustReading {
    /// An Allow of sts:AssumeRole names the caller (its ARN, session, account or `*`).
    names_caller: bool,
    /// ... by its own ARN (its role, user or session), not only by its account.
    by_arn: bool,
    /// A Deny of sts:AssumeRole names the caller.
    denies_caller: bool,
    /// External ids a StringEquals on sts:ExternalId accepts, when every Allow naming the
    /// caller asks for one (empty: entering needs none).
    external_ids: Vec<String>,
    /// Every Allow naming the caller requires aws:MultiFactorAuthPresent.
    needs_mfa: bool,
}

fn read_trust(document: &str, principal: &str, session: &str, account: &str) -> TrustReading {
    use serde_json::Value;
    let Ok(doc) = serde_json::from_str::<Value>(document) else {
        return TrustReading::default();
    };
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            Value::Bool(b) => vec![b.to_string()],
            _ => vec![],
        }
    };
    let statements = match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    let root = format!("arn:aws:iam::{account}:root");
    // A role ARN names the caller's role whatever its path (a session's ARN has none).
    let role_name = |arn: &str| -> Option<String> {
        let rest = arn.strip_prefix(&format!("arn:aws:iam::{account}:role/"))?;
        rest.rsplit('/').next().map(str::to_string)
    };
    let my_role = role_name(principal);
    let mut out = TrustReading::default();
    let mut allows = Vec::new();
    for st in statements {
        let assume = list(&st["Action"])
            .iter()
            .any(|a| crate::policy::wildcard(&a.to_ascii_lowercase(), "sts:assumerole"));
        let names: Vec<String> = if st["Principal"] == "*" {
            vec!["*".into()]
        } else {
            list(&st["Principal"]["AWS"])
        };
        let by_arn = names.iter().any(|n| {
            n == principal || n == session || (my_role.is_some() && role_name(n) == my_role)
        });
        let by_account = names.iter().any(|n| n == "*" || n == account || *n == root);
        if !assume || !(by_arn || by_account) {
            continue;
        }
        match st["Effect"].as_str() {
            Some("Deny") => out.denies_caller = true,
            Some("Allow") => {
                out.names_caller = true;
                out.by_arn |= by_arn;
                allows.push(st);
            }
            _ => {}
        }
    }
    // What every naming Allow requires is required; one without a condition needs nothing.
    let mut ids_everywhere = !allows.is_empty();
    let mut mfa_everywhere = !allows.is_empty();
    for st in &allows {
        let mut ids = Vec::new();
        let mut mfa = false;
        if let Value::Object(ops) = &st["Condition"] {
            for (op, keys) in ops {
                let Value::Object(keys) = keys else { continue };
                for (key, wanted) in keys {
                    if key.eq_ignore_ascii_case("sts:ExternalId") && op.starts_with("StringEquals")
                    {
                        ids.extend(list(wanted));
                    }
                    if key.eq_ignore_ascii_case("aws:MultiFactorAuthPresent")
                        && op.starts_with("Bool")
                        && list(wanted).iter().any(|w| w == "true")
                    {
                        mfa = true;
                    }
                }
            }
        }
        ids_everywhere &= !ids.is_empty();
        mfa_everywhere &= mfa;
        out.external_ids.extend(ids);
    }
    if !ids_everywhere {
        out.external_ids.clear();
    }
    out.needs_mfa = mfa_everywhere;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:aws:iam::111122223333:role/Admin";
    const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Admin/alice";

    #[test]
    fn the_caller_is_read_from_sts_words() {
        assert_eq!(
            caller_from_message("User: arn:aws:iam::111122223333:user/bob is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444455556666:role/R").as_deref(),
            Some("arn:aws:iam::111122223333:user/bob")
        );
        assert_eq!(
            caller_from_message("Not authorized to perform sts:AssumeRole"),
            None
        );
    }

    #[test]
    fn a_trust_policy_is_read_for_the_caller() {
        let r = |doc: &str| read_trust(doc, ROLE, SESSION, "111122223333");
        let other = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}"#;
        assert!(!r(other).names_caller);
        let service = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        assert!(!r(service).names_caller);
        let external = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":["a1","b2"]}}}}"#;
        assert_eq!(
            r(external),
            TrustReading {
                names_caller: true,
                external_ids: vec!["a1".into(), "b2".into()],
                ..Default::default()
            }
        );
        // One Allow without the condition: no external id is needed.
        let either = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"a1"}}},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Admin"},"Action":"sts:AssumeRole"}]}"#;
        assert!(r(either).external_ids.is_empty() && r(either).by_arn);
        // The caller's role named with a path it has.
        let pathed = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/team/Admin"},"Action":"sts:AssumeRole"}]}"#;
        assert!(r(pathed).by_arn);
        let mfa = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Admin"},"Action":"sts:*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}"#;
        assert!(r(mfa).names_caller && r(mfa).needs_mfa);
        let denied = r#"{"Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
        assert!(!r(denied).names_caller && r(denied).denies_caller);
    }

    #[test]
    fn role_arns_give_account_and_name() {
        let req = RoleRequest {
            role_arn: "arn:aws:iam::222233334444:role/team/Reader".into(),
            session_name: "s".into(),
            external_id: None,
            duration_secs: None,
            mfa_serial: None,
            origin: "--assume-role".into(),
        };
        assert_eq!(req.parts(), Some(("222233334444", "Reader")));
    }
}
