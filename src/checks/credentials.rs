//! `credentials`: the provider chain resolves credentials; where from, and until when.

use super::{fixes, Ctx};
use crate::causes::Cause;
use crate::report::{Finding, Severity};
use crate::runner::{CheckFuture, Outcome};
use crate::secrets::mask_key_id;
use aws_credential_types::credential_feature::AwsCredentialFeature as F;
use aws_credential_types::provider::{error::CredentialsError, ProvideCredentials};
use aws_credential_types::Credentials;
use std::time::{Duration, SystemTime};

/// What later checks may know about the credentials (never the secret parts).
#[derive(Debug, Clone)]
pub struct CredentialInfo {
    pub source: String,
    pub key_id_masked: String,
    pub temporary: bool,
}

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move {
        let Some(provider) = ctx.env.credentials.clone() else {
            return Outcome::error("no credentials provider was configured");
        };
        let profile = ctx.env.setup.profile_name().map(str::to_string);
        match provider.provide_credentials().await {
            Ok(creds) => judge(&creds, SystemTime::now(), profile.as_deref()),
            Err(e) => from_error(&e, profile.as_deref()),
        }
    })
}

fn judge(creds: &Credentials, now: SystemTime, profile: Option<&str>) -> Outcome {
    let source = source_of(creds, profile);
    let masked = mask_key_id(creds.access_key_id());
    let temporary = creds.session_token().is_some();
    let info = CredentialInfo {
        source: source.clone(),
        key_id_masked: masked.clone(),
        temporary,
    };
    let kind = if temporary { "temporary" } else { "long-term" };
    match creds.expiry() {
        Some(exp) if exp <= now => {
            let ago = now.duration_since(exp).unwrap_or_default();
            Outcome::default().fact(info).finding(
                Finding::new(
                    Cause::CredentialsExpired,
                    Severity::Error,
                    format!("the credentials from {source} expired {} ago", human(ago)),
                )
                .evidence(format!(
                    "access key {masked}, expired at {}",
                    humantime::format_rfc3339_seconds(exp)
                ))
                .fixes(refresh_command(profile, &source)),
            )
        }
        expiry => {
            let until = match expiry {
                Some(exp) => format!(
                    ", expires in {}",
                    human(exp.duration_since(now).unwrap_or_default())
                ),
                None => String::new(),
            };
            let mut out = Outcome::pass(format!(
                "{kind} credentials from {source} (key {masked}{until})"
            ));
            if let Some(exp) = expiry {
                out = out.detail(format!(
                    "expires at {}",
                    humantime::format_rfc3339_seconds(exp)
                ));
            }
            out.fact(info)
        }
    }
}

fn from_error(err: &CredentialsError, profile: Option<&str>) -> Outcome {
    // A role profile whose role STS refused: the diagnosis made when it was refused.
    let refused = std::error::Error::source(err)
        .and_then(|e| e.downcast_ref::<super::roles::RoleRefused>())
        .filter(|r| !r.findings.is_empty());
    if let Some(r) = refused {
        let mut out = Outcome::default();
        for f in &r.findings {
            out = out.finding(f.clone());
        }
        return out;
    }
    let text = crate::calls::error_chain(err);
    let lower = text.to_ascii_lowercase();
    if lower.contains("expired") || lower.contains("failed to load the cached sso token") {
        return Outcome::default().finding(
            Finding::new(
                Cause::CredentialsExpired,
                Severity::Error,
                "the SSO session or token has expired",
            )
            .evidence(text)
            .fixes(refresh_command(profile, "SSO"))
            .doc("https://docs.aws.amazon.com/cli/latest/userguide/sso-using-profile.html"),
        );
    }
    match err {
        CredentialsError::CredentialsNotLoaded(_) => Outcome::default().finding(
            Finding::new(Cause::CredentialsMissing, Severity::Error, "no credentials found by any provider in the chain")
                .evidence("looked in: environment (AWS_ACCESS_KEY_ID), shared config and credentials files, SSO, web identity, container and instance metadata")
                .evidence(text)
                .fixes(fixes("credentials", "none-found", &[]))
                .doc("https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html"),
        ),
        CredentialsError::ProviderTimedOut(_) => {
            Outcome::error(format!("the credentials provider did not answer in time: {text}"))
        }
        _ => Outcome::default().finding(
            Finding::new(Cause::CredentialsMissing, Severity::Error, "credentials could not be loaded")
                .evidence(text)
                .fixes(fixes("credentials", "not-loaded", &[("profile", profile.unwrap_or_default())]))
                .doc("https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html"),
        ),
    }
}

/// Name the provider that produced the credentials, from the features the SDK records.
fn source_of(creds: &Credentials, profile: Option<&str>) -> String {
    let profile = profile.unwrap_or("default");
    let features = creds.get_property::<Vec<F>>().cloned().unwrap_or_default();
    let has = |f: F| features.contains(&f);
    if has(F::CredentialsSso) || has(F::CredentialsProfileSso) {
        format!("SSO (IAM Identity Center) via profile `{profile}`")
    } else if has(F::CredentialsStsAssumeRoleWebId)
        || has(F::CredentialsEnvVarsStsWebIdToken)
        || has(F::CredentialsProfileStsWebIdToken)
    {
        "web identity token (AWS_WEB_IDENTITY_TOKEN_FILE / OIDC)".into()
    } else if has(F::CredentialsStsAssumeRole) {
        format!("an assumed role (role_arn in profile `{profile}`)")
    } else if has(F::CredentialsProcess) || has(F::CredentialsProfileProcess) {
        format!("credential_process of profile `{profile}`")
    } else if has(F::CredentialsLogin) || has(F::CredentialsProfileLogin) {
        format!("an `aws login` session of profile `{profile}`")
    } else if has(F::CredentialsEnvVars) {
        "environment variables (AWS_ACCESS_KEY_ID)".into()
    } else if has(F::CredentialsProfile) {
        format!("profile `{profile}` (keys in the shared credentials file)")
    } else if has(F::CredentialsHttp) {
        "the container credentials endpoint (ECS task role or EKS Pod Identity)".into()
    } else if has(F::CredentialsImds) {
        "EC2 instance metadata (the instance profile's role)".into()
    } else {
        "the default provider chain".into()
    }
}

/// How to refresh credentials, by where they came from (`source_of`).
pub(crate) fn refresh_command(profile: Option<&str>, source: &str) -> Vec<String> {
    let situation = if source.starts_with("SSO") {
        "refresh-sso"
    } else if source.starts_with("environment") {
        "refresh-environment"
    } else {
        "refresh-profile"
    };
    fixes(
        "credentials",
        situation,
        &[("profile", profile.unwrap_or_default())],
    )
}

pub(crate) fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", (s + 30) / 60),
        7200..=172_799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;
    use aws_credential_types::provider::error::CredentialsError;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";

    fn creds(expiry: Option<SystemTime>, feature: F) -> Credentials {
        let mut c = Credentials::new(
            "ASIAIOSFODNN7EXAMPLE",
            SECRET,
            Some(TOKEN.into()),
            expiry,
            "test",
        );
        c.get_property_mut_or_default::<Vec<F>>().push(feature);
        c
    }

    fn all_text(o: &Outcome) -> String {
        format!("{} {:?} {:?}", o.summary, o.details, o.findings)
    }

    #[test]
    fn temporary_credentials_name_source_and_expiry_and_never_the_secret() {
        let now = SystemTime::now();
        let o = judge(
            &creds(Some(now + Duration::from_secs(3000)), F::CredentialsSso),
            now,
            Some("dev"),
        );
        assert_eq!(o.status(), Status::Pass);
        assert!(
            o.summary.contains("SSO") && o.summary.contains("`dev`"),
            "{}",
            o.summary
        );
        assert!(
            o.summary.contains("ASIA…MPLE") && o.summary.contains("expires in 50m"),
            "{}",
            o.summary
        );
        let text = all_text(&o);
        assert!(
            !text.contains(SECRET)
                && !text.contains(TOKEN)
                && !text.contains("ASIAIOSFODNN7EXAMPLE")
        );
    }

    #[test]
    fn expired_sso_credentials_say_how_to_log_in_again() {
        let now = SystemTime::now();
        let o = judge(
            &creds(Some(now - Duration::from_secs(600)), F::CredentialsSso),
            now,
            Some("dev"),
        );
        assert_eq!(o.status(), Status::Fail);
        assert_eq!(o.findings[0].cause, Cause::CredentialsExpired);
        assert_eq!(o.findings[0].remediation[0], "aws sso login --profile dev");
        assert!(o.findings[0].summary.contains("expired 10m ago"));
    }

    #[test]
    fn chain_errors_map_to_causes() {
        let o = from_error(
            &CredentialsError::not_loaded("no providers in chain provided credentials"),
            None,
        );
        assert_eq!(o.findings[0].cause, Cause::CredentialsMissing);
        let o = from_error(
            &CredentialsError::provider_error("the SSO token has expired and cannot be refreshed"),
            Some("sso"),
        );
        assert_eq!(o.findings[0].cause, Cause::CredentialsExpired);
        assert_eq!(o.findings[0].remediation[0], "aws sso login --profile sso");
        let o = from_error(
            &CredentialsError::provider_timed_out(Duration::from_secs(5)),
            None,
        );
        assert_eq!(o.status(), Status::Error);
    }

    #[test]
    fn sources_are_named() {
        let now = SystemTime::now();
        let env = judge(&creds(None, F::CredentialsEnvVars), now, None);
        assert!(
            env.summary.contains("environment variables"),
            "{}",
            env.summary
        );
        let imds = judge(&creds(None, F::CredentialsImds), now, None);
        assert!(
            imds.summary.contains("instance metadata"),
            "{}",
            imds.summary
        );
    }
}
