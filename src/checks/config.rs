//! `config`: region, profile, endpoint overrides, proxies, Bedrock API key. No network.

use super::{fixes, Ctx};
use crate::aws::{misspelt_region, region_looks_valid, BEARER_TOKEN_VAR};
use crate::causes::Cause;
use crate::report::{Finding, Severity};
use crate::runner::{CheckFuture, Outcome};

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move { check(&ctx) })
}

fn check(ctx: &Ctx) -> Outcome {
    let setup = &ctx.env.setup;
    let mut out = Outcome::pass("configuration looks usable");

    if let Some(err) = &setup.profile_file_error {
        out = out.detail(format!("could not read the shared config files: {err}"));
    }
    if let (Some(p), Some(false)) = (&setup.profile, setup.profile_found) {
        let known = if setup.profile_names.is_empty() {
            "no profiles are defined in ~/.aws/config or ~/.aws/credentials".to_string()
        } else {
            format!("profiles defined: {}", setup.profile_names.join(", "))
        };
        out = out.finding(
            Finding::new(
                Cause::CredentialsMissing,
                Severity::Error,
                format!("profile `{}` (from {}) does not exist", p.value, p.source),
            )
            .evidence(known)
            .fixes(fixes(
                "config",
                "profile-not-found",
                &[("profile", &p.value)],
            ))
            .doc("https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html"),
        );
    } else if let Some(p) = &setup.profile {
        let settings: Vec<String> = setup
            .profile_settings
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        out = out.detail(format!(
            "profile {} (from {}) {}",
            p.value,
            p.source,
            settings.join(" ")
        ));
    }

    match &setup.region {
        None => {
            out = out.finding(
                Finding::new(
                    Cause::RegionMissing,
                    Severity::Error,
                    "no AWS region is configured",
                )
                .evidence(
                    "not set by --region, AWS_REGION, AWS_DEFAULT_REGION or the profile's `region`",
                )
                .fixes(fixes(
                    "config",
                    "region-missing",
                    &[("profile", setup.profile_name().unwrap_or_default())],
                ))
                .doc("https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html"),
            );
        }
        Some(r) if !region_looks_valid(&r.value) => {
            out = out.finding(
                Finding::new(
                    Cause::RegionMissing,
                    Severity::Error,
                    format!("`{}` is not an AWS region name", r.value),
                )
                .evidence(format!("region `{}` from {}", r.value, r.source))
                .fixes(fixes("config", "region-invalid", &[("source", &r.source)]))
                .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/models-regions.html"),
            );
        }
        Some(r) => match misspelt_region(&r.value) {
            Some(meant) => {
                out = out.finding(
                    Finding::new(
                        Cause::RegionMissing,
                        Severity::Error,
                        format!("`{}` is not an AWS region: did you mean {meant}?", r.value),
                    )
                    .evidence(format!("region `{}` from {}", r.value, r.source))
                    .fixes(fixes(
                        "config",
                        "region-misspelt",
                        &[("source", &r.source), ("meant", meant)],
                    ))
                    .doc("https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html"),
                );
            }
            None => out = out.detail(format!("region {} (from {})", r.value, r.source)),
        },
    }

    for e in &setup.endpoint_overrides {
        out = out.detail(format!("endpoint override {} = {}", e.source, e.value));
    }
    for p in &setup.proxies {
        out = out.detail(format!("proxy {} = {}", p.source, p.value));
    }
    if setup.imds_disabled {
        out = out.detail("instance metadata disabled (AWS_EC2_METADATA_DISABLED=true)");
    }

    if setup.api_key.is_some() {
        out = out.finding(
            Finding::new(
                Cause::BearerTokenOverrides,
                Severity::Warning,
                format!("{BEARER_TOKEN_VAR} is set: Bedrock calls use that API key, not your AWS credentials"),
            )
            .evidence("bedrock and bedrock-runtime clients authenticate with the API key (bearer token); its identity is the IAM user the key was created for")
            .evidence("sts, iam, organizations, cloudwatch and service quotas still sign with the SigV4 credentials of the `credentials` check")
            .evidence("so the permission checks judge one identity while invocations run as another")
            .fixes(fixes("config", "bearer-token-set", &[]))
            .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys.html"),
        );
    }

    if let Some(f) = out.findings.first() {
        out.summary = f.summary.clone();
    } else if let Some(r) = &setup.region {
        out.summary = format!("region {} from {}", r.value, r.source);
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::aws::{AwsSetup, Clients, Sourced};
    use crate::checks::RunEnv;
    use crate::report::Status;
    use std::sync::Arc;

    pub(crate) fn setup() -> AwsSetup {
        AwsSetup {
            region: Some(Sourced {
                value: "us-east-1".into(),
                source: "--region".into(),
            }),
            profile: None,
            profile_found: None,
            profile_names: vec![],
            profile_file_error: None,
            profile_settings: vec![],
            endpoint_overrides: vec![],
            proxies: vec![],
            api_key: None,
            api_key_token: None,
            imds_disabled: true,
            secrets: vec![],
        }
    }

    fn run_with(setup: AwsSetup) -> Outcome {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let env = RunEnv::for_tests(setup, Clients::new(&sdk, &Default::default(), 4), vec![]);
        check(&Ctx {
            env: Arc::new(env),
            facts: Default::default(),
            model: None,
            region: "us-east-1".into(),
        })
    }

    fn causes(o: &Outcome) -> Vec<Cause> {
        o.findings.iter().map(|f| f.cause).collect()
    }

    #[test]
    fn healthy_setup_passes_and_says_where_the_region_came_from() {
        let o = run_with(setup());
        assert_eq!(o.status(), Status::Pass);
        assert!(
            o.summary.contains("us-east-1") && o.summary.contains("--region"),
            "{}",
            o.summary
        );
    }

    #[test]
    fn missing_and_malformed_regions() {
        let mut s = setup();
        s.region = None;
        let o = run_with(s);
        assert_eq!(
            (o.status(), causes(&o)),
            (Status::Fail, vec![Cause::RegionMissing])
        );

        let mut s = setup();
        s.region = Some(Sourced {
            value: "us-easr-1x".into(),
            source: "AWS_REGION".into(),
        });
        let o = run_with(s);
        assert_eq!(causes(&o), vec![Cause::RegionMissing]);
        assert!(o.findings[0].summary.contains("us-easr-1x"));

        let mut s = setup();
        s.region = Some(Sourced {
            value: "us-esat-1".into(),
            source: "--region".into(),
        });
        let o = run_with(s);
        assert_eq!(
            (o.status(), causes(&o)),
            (Status::Fail, vec![Cause::RegionMissing])
        );
        assert!(o.findings[0].summary.contains("did you mean us-east-1"));
        assert!(o.findings[0].remediation[0].contains("us-east-1"));
    }

    #[test]
    fn unknown_profile_lists_the_known_ones() {
        let mut s = setup();
        s.profile = Some(Sourced {
            value: "prod".into(),
            source: "AWS_PROFILE".into(),
        });
        s.profile_found = Some(false);
        s.profile_names = vec!["default".into(), "dev".into()];
        let o = run_with(s);
        assert_eq!(
            (o.status(), causes(&o)),
            (Status::Fail, vec![Cause::CredentialsMissing])
        );
        assert!(o.findings[0].evidence[0].contains("default, dev"));
    }

    #[test]
    fn bearer_token_is_a_warning_that_names_both_identities() {
        let mut s = setup();
        s.api_key = Some(crate::api_key::ApiKey::LongTerm);
        let o = run_with(s);
        assert_eq!(
            (o.status(), causes(&o)),
            (Status::Warn, vec![Cause::BearerTokenOverrides])
        );
        assert!(o.findings[0].evidence.iter().any(|e| e.contains("SigV4")));
    }
}
