//! `identity`: STS GetCallerIdentity — who AWS thinks we are, and whether our clock agrees.

use super::Ctx;
use crate::aws::{CallFailure, ServerDate};
use crate::causes::Cause;
use crate::checks::credentials::{human, refresh_command, CredentialInfo};
use crate::report::{Finding, Severity};
use crate::runner::{CheckFuture, Outcome};
use std::time::{Duration, SystemTime};

/// AWS rejects signatures more than 5 minutes off; warn well before that.
const SKEW_WARNING: Duration = Duration::from_secs(120);
const SKEW_LIMIT: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    IamUser,
    AssumedRole,
    SsoRole,
    FederatedUser,
    Root,
    Unknown,
}

impl PrincipalKind {
    pub fn of(arn: &str) -> PrincipalKind {
        let resource = arn.splitn(6, ':').nth(5).unwrap_or("");
        if resource == "root" {
            PrincipalKind::Root
        } else if resource.starts_with("user/") {
            PrincipalKind::IamUser
        } else if let Some(rest) = resource.strip_prefix("assumed-role/") {
            if rest.starts_with("AWSReservedSSO_") {
                PrincipalKind::SsoRole
            } else {
                PrincipalKind::AssumedRole
            }
        } else if resource.starts_with("federated-user/") {
            PrincipalKind::FederatedUser
        } else {
            PrincipalKind::Unknown
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            PrincipalKind::IamUser => "IAM user",
            PrincipalKind::AssumedRole => "assumed role",
            PrincipalKind::SsoRole => "SSO role (IAM Identity Center)",
            PrincipalKind::FederatedUser => "federated user",
            PrincipalKind::Root => "root user",
            PrincipalKind::Unknown => "principal",
        }
    }
}

/// Who the caller is, for the permission checks.
#[derive(Debug, Clone)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
    pub kind: PrincipalKind,
}

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move {
        let endpoint = match ctx.env.setup.endpoint_for("STS") {
            Some(e) => format!("{} (from {})", e.value, e.source),
            None => format!(
                "https://sts.{}.amazonaws.com",
                ctx.env.setup.region_name().unwrap_or("<region>")
            ),
        };
        let source = ctx.facts.get::<CredentialInfo>().map(|c| c.source.clone());
        let mut o = check(&ctx.env.clients.sts, SystemTime::now(), &endpoint).await;
        // Name the refresh that fits where the credentials came from.
        for f in o
            .findings
            .iter_mut()
            .filter(|f| f.cause == Cause::CredentialsExpired)
        {
            if let Some(src) = &source {
                f.evidence.push(format!("the credentials came from {src}"));
                let refresh = refresh_command(ctx.env.setup.profile_name(), src);
                f.remediation.splice(0..0, refresh);
            }
        }
        o
    })
}

pub(crate) async fn check(sts: &aws_sdk_sts::Client, now: SystemTime, endpoint: &str) -> Outcome {
    let date = ServerDate::default();
    let result = sts
        .get_caller_identity()
        .customize()
        .interceptor(date.clone())
        .send()
        .await;
    let skew = date.get().map(|server| skew(server, now));
    match result {
        Ok(out) => {
            let arn = out.arn().unwrap_or_default().to_string();
            let caller = CallerIdentity {
                account: out.account().unwrap_or_default().to_string(),
                user_id: out.user_id().unwrap_or_default().to_string(),
                kind: PrincipalKind::of(&arn),
                arn,
            };
            let mut o = Outcome::pass(format!(
                "{} {} in account {}",
                caller.kind.describe(),
                caller.arn,
                caller.account
            ));
            if caller.kind == PrincipalKind::Root {
                o = o.detail("running as the root user: fine for a diagnosis, but applications should use a role");
            }
            if let Some((ahead, off)) = skew.filter(|(_, off)| *off > SKEW_WARNING) {
                // Past 5 minutes AWS refuses the signature; this SDK re-signs with AWS's time,
                // but the CLI, older SDKs and most HTTP clients fail outright.
                let severity = if off > SKEW_LIMIT {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                let mut f = skew_finding(ahead, off, severity);
                if off > SKEW_LIMIT {
                    f = f.evidence("AWS refused the first signature; the doctor's SDK corrected its clock and retried, most clients will not");
                }
                o = o.finding(f);
            }
            o.fact(caller)
        }
        Err(err) => from_failure(CallFailure::from_sdk(&err), skew, endpoint),
    }
}

/// (local clock ahead of AWS?, by how much)
fn skew(server: SystemTime, local: SystemTime) -> (bool, Duration) {
    match local.duration_since(server) {
        Ok(ahead) => (true, ahead),
        Err(behind) => (false, behind.duration()),
    }
}

fn skew_finding(ahead: bool, off: Duration, severity: Severity) -> Finding {
    let direction = if ahead { "ahead of" } else { "behind" };
    Finding::new(
        Cause::ClockSkew,
        severity,
        format!("the local clock is {} {direction} AWS's", human(off)),
    )
    .evidence("compared the Date header of the STS response with the local clock; AWS rejects signatures more than 5 minutes off")
    .fixes(super::fixes("identity", "clock-skew", &[]))
    .doc("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html")
}

fn from_failure(failure: CallFailure, skew: Option<(bool, Duration)>, endpoint: &str) -> Outcome {
    let evidence = format!(
        "sts:GetCallerIdentity at {endpoint}: {}",
        failure.describe()
    );
    let message = match &failure {
        CallFailure::Service { message, .. } => message.to_ascii_lowercase(),
        _ => String::new(),
    };
    let code = failure.code().unwrap_or("");
    let finding = |cause, summary: &str| {
        Finding::new(cause, Severity::Error, summary).evidence(evidence.clone())
    };
    match &failure {
        CallFailure::Service { .. }
            if code == "RequestExpired"
                || message.contains("signature expired")
                || message.contains("not yet current") =>
        {
            let (ahead, off) = skew.unwrap_or((true, Duration::ZERO));
            let mut f = skew_finding(ahead, off, Severity::Error).evidence(evidence);
            f.summary = format!("AWS rejected the signature's time: {}", f.summary);
            Outcome::default().finding(f)
        }
        CallFailure::Service { .. } if code.contains("ExpiredToken") || message.contains("expired") => {
            Outcome::default().finding(
                finding(Cause::CredentialsExpired, "AWS says the session token has expired")
                    .fixes(super::fixes("identity", "token-expired", &[])),
            )
        }
        CallFailure::Service { .. }
            if matches!(code, "InvalidClientTokenId" | "UnrecognizedClientException" | "SignatureDoesNotMatch" | "IncompleteSignature" | "InvalidAccessKeyId")
                || message.contains("security token included in the request is invalid") =>
        {
            let why = if code == "SignatureDoesNotMatch" {
                "AWS rejects the signature: the secret access key does not match the key id"
            } else {
                "AWS does not recognise the access key or session token"
            };
            Outcome::default().finding(
                finding(Cause::CredentialsInvalid, why)
                    .fixes(super::fixes("identity", "credentials-rejected", &[]))
                    .doc("https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html"),
            )
        }
        CallFailure::Unreachable(_) | CallFailure::TimedOut(_) => Outcome::default().finding(
            finding(Cause::NetworkUnreachable, "the STS endpoint cannot be reached")
                .fixes(super::fixes("identity", "sts-unreachable", &[]))
                .doc("https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html"),
        ),
        CallFailure::Service { code, .. } if code.contains("Throttl") => {
            Outcome::error(format!("STS throttled the doctor (sts:GetCallerIdentity: {}); try again in a minute", failure.describe()))
        }
        _ => Outcome::error(format!("could not ask STS who the caller is (sts:GetCallerIdentity): {}", failure.describe())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;
    use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    fn error_xml(code: &str, message: &str) -> String {
        format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>4a1b-test</RequestId></ErrorResponse>"
        )
    }

    fn failing(status: u16, code: &'static str, message: &'static str) -> aws_sdk_sts::Client {
        let rule = mock!(aws_sdk_sts::Client::get_caller_identity).then_http_response(move || {
            HttpResponse::new(
                StatusCode::try_from(status).unwrap(),
                SdkBody::from(error_xml(code, message)),
            )
        });
        mock_client!(aws_sdk_sts, RuleMode::Sequential, [&rule], |c| c
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled()))
    }

    async fn cause_of(client: aws_sdk_sts::Client) -> (Status, Option<Cause>) {
        let o = check(&client, SystemTime::now(), "http://test").await;
        (o.status(), o.findings.first().map(|f| f.cause))
    }

    #[tokio::test]
    async fn passes_and_names_the_principal() {
        let rule = mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
            GetCallerIdentityOutput::builder()
                .account("111122223333")
                .arn("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/alice")
                .user_id("AROAEXAMPLE:alice")
                .build()
        });
        let client = mock_client!(aws_sdk_sts, [&rule]);
        let o = check(&client, SystemTime::now(), "http://test").await;
        assert_eq!(o.status(), Status::Pass);
        assert!(
            o.summary.contains("SSO role") && o.summary.contains("111122223333"),
            "{}",
            o.summary
        );
        let caller = o.facts.get::<CallerIdentity>().unwrap();
        assert_eq!(caller.kind, PrincipalKind::SsoRole);
    }

    #[tokio::test]
    async fn maps_sts_errors_to_causes() {
        let cases = [
            (403, "InvalidClientTokenId", "The security token included in the request is invalid.", Status::Fail, Some(Cause::CredentialsInvalid)),
            (400, "ExpiredToken", "The security token included in the request is expired", Status::Fail, Some(Cause::CredentialsExpired)),
            (403, "SignatureDoesNotMatch", "Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z (20240101T001000Z - 5 min.)", Status::Fail, Some(Cause::ClockSkew)),
            (403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.", Status::Fail, Some(Cause::CredentialsInvalid)),
            (403, "AccessDenied", "User is not authorized to perform sts:GetCallerIdentity", Status::Error, None),
            (400, "Throttling", "Rate exceeded", Status::Error, None),
        ];
        for (status, code, message, want_status, want_cause) in cases {
            assert_eq!(
                cause_of(failing(status, code, message)).await,
                (want_status, want_cause),
                "{code}: {message}"
            );
        }
    }

    #[test]
    fn principal_kinds() {
        assert_eq!(
            PrincipalKind::of("arn:aws:iam::1:user/dev/bob"),
            PrincipalKind::IamUser
        );
        assert_eq!(
            PrincipalKind::of("arn:aws:iam::1:root"),
            PrincipalKind::Root
        );
        assert_eq!(
            PrincipalKind::of("arn:aws:sts::1:assumed-role/ci/run-42"),
            PrincipalKind::AssumedRole
        );
        assert_eq!(
            PrincipalKind::of("arn:aws:sts::1:federated-user/carol"),
            PrincipalKind::FederatedUser
        );
        assert_eq!(PrincipalKind::of("nonsense"), PrincipalKind::Unknown);
    }

    #[test]
    fn skew_is_measured_both_ways() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(
            skew(t, t + Duration::from_secs(300)),
            (true, Duration::from_secs(300))
        );
        assert_eq!(
            skew(t + Duration::from_secs(60), t),
            (false, Duration::from_secs(60))
        );
    }
}
