//! The cause codes of ../docs/causes.md: one vocabulary for findings, `explain` and the
//! simulator's scenarios. A code is public interface: never rename one once released.

use serde::{Deserialize, Serialize};

macro_rules! causes {
    ($( $variant:ident => $code:literal, $title:literal; )*) => {
        /// Why a Bedrock request fails. Serialized as its kebab-case code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Cause {
            $( #[serde(rename = $code)] $variant, )*
        }

        impl Cause {
            pub const ALL: &'static [Cause] = &[$(Cause::$variant),*];

            pub fn code(self) -> &'static str {
                match self { $(Cause::$variant => $code,)* }
            }

            /// What is wrong, in one line.
            pub fn title(self) -> &'static str {
                match self { $(Cause::$variant => $title,)* }
            }
        }
    };
}

causes! {
    CredentialsMissing => "credentials-missing", "no credentials could be resolved by any provider in the chain";
    CredentialsInvalid => "credentials-invalid", "credentials exist but AWS rejects them (unknown key id, bad secret, token for another partition)";
    CredentialsExpired => "credentials-expired", "temporary credentials or the SSO session have expired";
    ClockSkew => "clock-skew", "the local clock is off far enough that signatures are rejected";
    RegionMissing => "region-missing", "no region is configured, or the value is not a region";
    NetworkUnreachable => "network-unreachable", "the endpoint cannot be reached: DNS, proxy, TLS interception, VPC endpoint policy, connect timeout";
    IamNotAuthorized => "iam-not-authorized", "no identity-based policy allows the action on that resource (implicit deny)";
    IamExplicitDeny => "iam-explicit-deny", "an identity-based, session or resource policy explicitly denies it";
    PermissionsBoundaryDeny => "permissions-boundary-deny", "the principal's permissions boundary does not allow it";
    ScpDeny => "scp-deny", "a service control policy (or resource control policy) of the organization denies it";
    ModelAccessNotGranted => "model-access-not-granted", "the account is not entitled to the model in that region";
    UseCaseFormRequired => "use-case-form-required", "the provider requires a first-use form (Anthropic) that the account has not submitted";
    MarketplaceSubscription => "marketplace-subscription", "the caller lacks the AWS Marketplace permissions a third-party model's first use needs, or the subscription is pending";
    PaymentInstrumentInvalid => "payment-instrument-invalid", "the model agreement failed because the account has no valid payment method";
    ModelNotInRegion => "model-not-in-region", "the model exists but is not offered in the region called";
    ModelIdInvalid => "model-id-invalid", "the identifier is malformed, misspelt, or names no model or profile";
    InferenceProfileRequired => "inference-profile-required", "the model cannot be invoked on demand by its bare id; an inference profile must be used";
    ModelEndOfLife => "model-end-of-life", "the model version has reached end of life and can no longer be invoked";
    ModelLegacy => "model-legacy", "the model is in LEGACY state: still callable, scheduled for end of life";
    Throttled => "throttled", "requests or tokens per minute exceed the quota, or the service is shedding load";
    QuotaHeadroomLow => "quota-headroom-low", "observed peak usage is close to the applied quota";
    ServiceUnavailable => "service-unavailable", "the service or the model is temporarily unavailable";
    ModelTimeout => "model-timeout", "the model did not answer in time";
    InvalidRequestBody => "invalid-request-body", "the request body does not match the model's schema";
    InputTooLong => "input-too-long", "the input exceeds the model's context window or the request size limit";
    ContentFiltered => "content-filtered", "a content filter or guardrail blocked the prompt or the output";
    WrongServiceOrOperation => "wrong-service-or-operation", "the call went to the wrong service or endpoint, or the operation does not exist";
    SdkTooOld => "sdk-too-old", "the client SDK predates the service, operation or parameter used";
    AccountRestricted => "account-restricted", "the account itself is restricted; only AWS Support can lift it";
    BearerTokenOverrides => "bearer-token-overrides", "a Bedrock API key is set, so bedrock-runtime calls run as a different identity than SigV4";
    GuardrailUnavailable => "guardrail-unavailable", "the guardrail or guardrail version the call names does not exist in that region, or is not READY";
    AppMisconfigured => "app-misconfigured", "the application's own Bedrock settings are unreadable, switched off or point nowhere (a settings file that is not valid JSON, a missing switch, a credential command that cannot run)";
    KnowledgeBaseUnavailable => "knowledge-base-unavailable", "the knowledge base is missing in that region or not ready: not ACTIVE, a data source not AVAILABLE, or its latest ingestion failed or indexed nothing";
    RoleNotAssumable => "role-not-assumable", "STS refuses to let the caller assume the role: the role does not exist, its trust policy does not trust the caller, the external id or MFA it requires is missing, the session asked for is longer than the role allows, or STS is deactivated in the region";
    ModelNotDeployed => "model-not-deployed", "a provisioned throughput or custom model deployment is not in service (being created, updating, failed), or a custom model is called without one";
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for Cause {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Cause::ALL
            .iter()
            .copied()
            .find(|c| c.code() == s)
            .ok_or_else(|| format!("unknown cause code `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_name_is_the_code() {
        for c in Cause::ALL {
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.code()));
            assert_eq!(c.code().parse::<Cause>().unwrap(), *c);
        }
    }

    #[test]
    fn thirty_five_codes() {
        assert_eq!(Cause::ALL.len(), 35);
    }
}
