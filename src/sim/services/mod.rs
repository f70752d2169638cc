//! The operations the simulator answers, per service, from the scenario and the catalog: the
//! routing here, one file per service beside it.

mod bedrock;
mod cloudwatch;
mod iam;
mod knowledge;
mod lambda;
mod mantle;
mod organizations;
mod owned;
mod quotas;
mod runtime;
mod sts;

use super::iam_eval;
use super::scenario::Decision as Verdict;
use super::scenario::{glob, IamRule};
use super::wire::{self, el, text, Form, Protocol, Reply, IAM_NS, STS_NS};
use super::{Call, Sim};
use crate::catalog::{snapshot, CatalogModel, CatalogProfile};
use ciborium::Value as Cbor;
use serde_json::{json, Value};

const ORGS: &str = "AWSOrganizationsV20161128.";
const QUOTAS: &str = "ServiceQuotasV20190624.";
const CW_PATH: &str = "/service/GraniteServiceVersion20100801/operation/";
const CW_TARGET: &str = "GraniteServiceVersion20100801.";

/// The IAM action an operation needs (Converse is authorized as InvokeModel).
pub fn iam_action(service: &str, op: &str) -> String {
    let prefix = match service {
        "monitoring" => "cloudwatch",
        other => other,
    };
    let op = match op {
        "Converse" => "InvokeModel",
        "ConverseStream" => "InvokeModelWithResponseStream",
        other => other,
    };
    format!("{prefix}:{op}")
}

/// Name the operation and the protocol it is answered in.
pub fn identify(call: &Call) -> (String, Protocol) {
    match call.service.as_str() {
        "sts" => (form_action(call), Protocol::Query { xmlns: STS_NS }),
        "iam" => (form_action(call), Protocol::Query { xmlns: IAM_NS }),
        // CloudWatch speaks rpcv2Cbor (the Rust SDK) and awsJson1_0 (botocore picks it).
        "monitoring" if call.target.is_some() => (
            target_op(call, CW_TARGET),
            Protocol::AwsJson { version: "1.0" },
        ),
        "monitoring" => {
            let op = call
                .path
                .strip_prefix(CW_PATH)
                .unwrap_or("Unknown")
                .to_string();
            (op, Protocol::Cbor)
        }
        "organizations" => (target_op(call, ORGS), Protocol::AwsJson { version: "1.1" }),
        "servicequotas" => (
            target_op(call, QUOTAS),
            Protocol::AwsJson { version: "1.1" },
        ),
        "bedrock" => (bedrock_op(call), Protocol::RestJson),
        "lambda" => (lambda::operation(call), Protocol::RestJson),
        "bedrock-mantle" => (
            mantle::operation(&call.method, &call.path).to_string(),
            Protocol::RestJson,
        ),
        _ => ("Unknown".into(), Protocol::RestJson),
    }
}

fn form_action(call: &Call) -> String {
    Form::parse(&call.body)
        .get("Action")
        .unwrap_or("Unknown")
        .to_string()
}

fn target_op(call: &Call, prefix: &str) -> String {
    call.target
        .as_deref()
        .and_then(|t| t.strip_prefix(prefix))
        .unwrap_or("Unknown")
        .to_string()
}

/// Path segments, percent-decoded (model ids carry `:` as %3A).
fn segments(path: &str) -> Vec<String> {
    path.trim_matches('/')
        .split('/')
        .map(percent_decode)
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Bedrock paths: a model ARN may itself contain `/`, so the id is everything after the prefix.
fn bedrock_op(call: &Call) -> String {
    let segs = segments(&call.path);
    let first = segs.first().map(String::as_str).unwrap_or("");
    let last = segs.last().map(String::as_str).unwrap_or("");
    if first == "knowledgebases" {
        return knowledge::operation(&call.method, &segs)
            .unwrap_or("Unknown")
            .to_string();
    }
    match (call.method.as_str(), first) {
        ("GET", "foundation-models") if segs.len() == 1 => "ListFoundationModels",
        ("GET", "foundation-models") => "GetFoundationModel",
        ("GET", "foundation-model-availability") => "GetFoundationModelAvailability",
        ("GET", "inference-profiles") if segs.len() == 1 => "ListInferenceProfiles",
        ("GET", "inference-profiles") => "GetInferenceProfile",
        ("GET", "use-case-for-model-access") => "GetUseCaseForModelAccess",
        ("GET", "guardrails") if segs.len() > 1 => "GetGuardrail",
        ("GET", "provisioned-model-throughput") if segs.len() > 1 => {
            "GetProvisionedModelThroughput"
        }
        ("GET", "custom-models") if segs.len() > 1 => "GetCustomModel",
        ("GET", "model-customization")
            if segs.len() > 2 && segs[1] == "custom-model-deployments" =>
        {
            "GetCustomModelDeployment"
        }
        ("GET", "imported-models") if segs.len() > 1 => "GetImportedModel",
        ("POST", "model") if last == "invoke" => "InvokeModel",
        ("POST", "model") if last == "converse" => "Converse",
        ("POST", "model") if last == "converse-stream" => "ConverseStream",
        ("POST", "model") if last == "invoke-with-response-stream" => {
            "InvokeModelWithResponseStream"
        }
        _ => "Unknown",
    }
    .to_string()
}

/// The id after a path prefix, rejoined (ARNs contain `/`).
fn path_id(call: &Call, strip_last: bool) -> String {
    let segs = segments(&call.path);
    let end = if strip_last {
        segs.len().saturating_sub(1)
    } else {
        segs.len()
    };
    segs.get(1..end).map(|s| s.join("/")).unwrap_or_default()
}

/// Answer one call as the account it is made in (`s`: the scenario, or one of its
/// `[[accounts]]` for a session AssumeRole issued there).
pub fn dispatch(
    sim: &Sim,
    s: &super::scenario::Scenario,
    call: &Call,
    op: &str,
    protocol: Protocol,
    rid: &str,
) -> Reply {
    if call.service.is_empty() {
        return Protocol::RestJson.error(
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
            rid,
        );
    }
    if call.service == "bedrock" && !region_offers_bedrock(s, &call.region) {
        return protocol.error(
            400,
            "UnrecognizedClientException",
            &format!("Bedrock is not available in region {}", call.region),
            rid,
        );
    }
    let w = World {
        sim,
        scenario: s,
        call,
        rid,
    };
    if call.service == "bedrock-mantle" {
        return w.mantle(op);
    }
    if let Some(refused) = w.api_key_refused(protocol) {
        return refused;
    }
    match (call.service.as_str(), op) {
        ("sts", "GetCallerIdentity") => {
            let inner = format!(
                "{}{}{}",
                el("Arn", &s.identity.arn),
                el("UserId", &s.identity.user_id),
                el("Account", &s.identity.account)
            );
            wire::query_ok(STS_NS, op, &inner, rid)
        }
        ("sts", "AssumeRole") => w.assume_role(protocol),
        ("iam", "GetRole") => w.iam_get("Role", protocol),
        ("iam", "GetUser") => w.iam_get("User", protocol),
        ("iam", "SimulatePrincipalPolicy") => w.simulate(protocol),
        ("bedrock", "ListFoundationModels") => w.list_models(),
        ("bedrock", "GetFoundationModel") => w.get_model(protocol),
        ("bedrock", "GetFoundationModelAvailability") => w.availability(protocol),
        ("bedrock", "ListInferenceProfiles") => w.list_profiles(),
        ("bedrock", "GetInferenceProfile") => w.get_profile(protocol),
        ("bedrock", "GetUseCaseForModelAccess") => w.use_case(protocol),
        ("bedrock", "GetGuardrail") => w.get_guardrail(protocol),
        ("bedrock", "GetProvisionedModelThroughput") => w.get_provisioned(protocol),
        ("bedrock", "GetCustomModel") => w.get_custom_model(protocol),
        ("bedrock", "GetCustomModelDeployment") => w.get_custom_deployment(protocol),
        ("bedrock", "GetImportedModel") => w.get_imported_model(protocol),
        (
            "bedrock",
            "InvokeModel" | "Converse" | "ConverseStream" | "InvokeModelWithResponseStream",
        ) => w.invoke(op, protocol),
        ("monitoring", "GetMetricData") => w.metric_data(protocol),
        ("lambda", "GetFunctionConfiguration") => w.function_configuration(protocol),
        (
            "bedrock",
            "GetKnowledgeBase" | "ListDataSources" | "ListIngestionJobs" | "GetIngestionJob"
            | "Retrieve",
        ) => w.knowledge(op, protocol),
        ("organizations", _) => w.organizations(op, protocol),
        ("servicequotas", "ListServiceQuotas") => w.quotas(),
        (_, op) => match protocol {
            Protocol::Query { .. } => protocol.error(
                400,
                "InvalidAction",
                &format!("The action {op} is not valid for this web service."),
                rid,
            ),
            _ => protocol.error(404, "UnknownOperationException", "Unknown operation", rid),
        },
    }
}

fn region_offers_bedrock(s: &super::scenario::Scenario, region: &str) -> bool {
    let regions = &s.catalog.regions;
    if regions.is_empty() {
        snapshot().regions_with_bedrock.iter().any(|r| r == region)
    } else {
        regions.iter().any(|r| r == region)
    }
}

/// A model as one region of the scenario shows it.
struct ModelView<'a> {
    m: &'a CatalogModel,
    lifecycle: String,
    end_of_life: Option<String>,
    types: Vec<String>,
}

struct World<'a> {
    sim: &'a Sim,
    /// The account the call is made in.
    scenario: &'a super::scenario::Scenario,
    call: &'a Call,
    rid: &'a str,
}

impl World<'_> {
    fn region(&self) -> &str {
        &self.call.region
    }

    fn account(&self) -> &str {
        &self.scenario.identity.account
    }

    /// The scenario's calendar date, or today's.
    fn today(&self) -> String {
        self.scenario
            .today
            .clone()
            .unwrap_or_else(crate::models::today)
    }

    /// A model AWS has retired by the scenario's date: in the catalog's retired list, or
    /// past the end-of-life date of its catalog entry.
    fn retired(&self, id: &str) -> bool {
        let bare = id.rsplit("foundation-model/").next().unwrap_or(id);
        let bare = bare.rsplit("inference-profile/").next().unwrap_or(bare);
        let today = self.today();
        snapshot()
            .end_of_life_models
            .iter()
            .any(|m| bare.ends_with(&m.model_id))
            || snapshot()
                .models
                .iter()
                .any(|m| bare.ends_with(&m.model_id) && m.lifecycle_on(&today).is_none())
    }

    fn not_valid(&self, protocol: Protocol) -> Reply {
        protocol.error(
            400,
            "ValidationException",
            "The provided model identifier is invalid.",
            self.rid,
        )
    }
}

fn awsjson(v: Value) -> Reply {
    wire::awsjson_ok("1.1", &v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_of_model_ids() {
        assert_eq!(
            percent_decode("anthropic.claude-v2%3A1"),
            "anthropic.claude-v2:1"
        );
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%é1"), "%é1");
    }
}
