//! The operations the simulator answers, per service, from the scenario and the catalog.

use super::catalog::{catalog, CatalogModel, CatalogProfile};
use super::iam_eval;
use super::scenario::Decision as Verdict;
use super::scenario::{glob, IamRule};
use super::wire::{self, el, text, Form, Protocol, Reply, IAM_NS, STS_NS};
use super::{Call, Sim};
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
    match (call.method.as_str(), first) {
        ("GET", "foundation-models") if segs.len() == 1 => "ListFoundationModels",
        ("GET", "foundation-models") => "GetFoundationModel",
        ("GET", "foundation-model-availability") => "GetFoundationModelAvailability",
        ("GET", "inference-profiles") if segs.len() == 1 => "ListInferenceProfiles",
        ("GET", "inference-profiles") => "GetInferenceProfile",
        ("GET", "use-case-for-model-access") => "GetUseCaseForModelAccess",
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

pub fn dispatch(sim: &Sim, call: &Call, op: &str, protocol: Protocol, rid: &str) -> Reply {
    let s = sim.scenario();
    if call.service.is_empty() {
        return Protocol::RestJson.error(
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
            rid,
        );
    }
    if call.service == "bedrock" && !region_offers_bedrock(sim, &call.region) {
        return protocol.error(
            400,
            "UnrecognizedClientException",
            &format!("Bedrock is not available in region {}", call.region),
            rid,
        );
    }
    let w = World { sim, call, rid };
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
        ("iam", "GetRole") => w.iam_get("Role", protocol),
        ("iam", "GetUser") => w.iam_get("User", protocol),
        ("iam", "SimulatePrincipalPolicy") => w.simulate(protocol),
        ("bedrock", "ListFoundationModels") => w.list_models(),
        ("bedrock", "GetFoundationModel") => w.get_model(protocol),
        ("bedrock", "GetFoundationModelAvailability") => w.availability(protocol),
        ("bedrock", "ListInferenceProfiles") => w.list_profiles(),
        ("bedrock", "GetInferenceProfile") => w.get_profile(protocol),
        ("bedrock", "GetUseCaseForModelAccess") => w.use_case(protocol),
        ("bedrock", "InvokeModel" | "Converse") => w.invoke(op, protocol),
        ("monitoring", "GetMetricData") => w.metric_data(protocol),
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

fn region_offers_bedrock(sim: &Sim, region: &str) -> bool {
    let regions = &sim.scenario().catalog.regions;
    if regions.is_empty() {
        catalog().regions_with_bedrock.iter().any(|r| r == region)
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
    call: &'a Call,
    rid: &'a str,
}

impl World<'_> {
    fn region(&self) -> &str {
        &self.call.region
    }

    fn account(&self) -> &str {
        &self.sim.scenario().identity.account
    }

    /// The scenario's calendar date, or today's.
    fn today(&self) -> String {
        self.sim
            .scenario()
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
        catalog()
            .end_of_life_models
            .iter()
            .any(|m| bare.ends_with(&m.model_id))
            || catalog()
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

    fn profiles_here(&self) -> Vec<&'static CatalogProfile> {
        let region = self.region().to_string();
        catalog()
            .inference_profiles
            .iter()
            .filter(|p| p.source_regions.contains(&region))
            .collect()
    }

    fn models_here(&self) -> Vec<ModelView<'static>> {
        let region = self.region();
        let profiles = self.profiles_here();
        let overrides = &self.sim.scenario().catalog.overrides;
        catalog()
            .models
            .iter()
            .filter_map(|m| {
                let mut types = Vec::new();
                let in_region = m.regions.iter().any(|r| r == region);
                if in_region && m.inference_types.iter().any(|t| t == "ON_DEMAND") {
                    types.push("ON_DEMAND".to_string());
                }
                if m.inference_types.iter().any(|t| t == "PROVISIONED") && in_region {
                    types.push("PROVISIONED".to_string());
                }
                if m.profile_source_regions.iter().any(|r| r == region)
                    || profiles.iter().any(|p| p.model_id == m.model_id)
                {
                    types.push("INFERENCE_PROFILE".to_string());
                }
                // Past its end of life a model leaves the listing (docs: model-lifecycle.html).
                let lifecycle = m.lifecycle_on(&self.today())?;
                let mut view = ModelView {
                    m,
                    lifecycle: lifecycle.to_string(),
                    end_of_life: m.end_of_life.clone(),
                    types,
                };
                for o in overrides
                    .iter()
                    .filter(|o| glob(&o.model, &m.model_id) && glob(&o.region, region))
                {
                    if o.remove {
                        return None;
                    }
                    if let Some(l) = &o.lifecycle {
                        view.lifecycle = l.clone();
                    }
                    if let Some(e) = &o.end_of_life {
                        view.end_of_life = Some(e.clone());
                    }
                    if let Some(t) = &o.inference_types {
                        view.types = t.clone();
                    }
                }
                (!view.types.is_empty()).then_some(view)
            })
            .collect()
    }

    fn model_json(&self, v: &ModelView) -> Value {
        let mut lifecycle = json!({ "status": v.lifecycle });
        if let Some(eol) = &v.end_of_life {
            lifecycle["endOfLifeTime"] = json!(format!("{eol}T00:00:00Z"));
        }
        json!({
            "modelArn": format!("arn:aws:bedrock:{}::foundation-model/{}", self.region(), v.m.model_id),
            "modelId": v.m.model_id,
            "modelName": v.m.model_name,
            "providerName": v.m.provider,
            "inputModalities": v.m.input_modalities,
            "outputModalities": v.m.output_modalities,
            "responseStreamingSupported": v.m.response_streaming,
            "customizationsSupported": v.m.customizations,
            "inferenceTypesSupported": v.types,
            "modelLifecycle": lifecycle,
        })
    }

    fn list_models(&self) -> Reply {
        let c = self.call;
        let provider = c.param("byProvider").map(|p| p.to_ascii_lowercase());
        let output = c.param("byOutputModality");
        let inference = c.param("byInferenceType");
        let models: Vec<Value> = self
            .models_here()
            .iter()
            .filter(|v| {
                provider
                    .as_ref()
                    .is_none_or(|p| v.m.provider.to_ascii_lowercase().contains(p.as_str()))
            })
            .filter(|v| {
                output
                    .as_ref()
                    .is_none_or(|o| v.m.output_modalities.contains(o))
            })
            .filter(|v| inference.as_ref().is_none_or(|t| v.types.contains(t)))
            .map(|v| self.model_json(v))
            .collect();
        wire::json_ok(&json!({ "modelSummaries": models }))
    }

    /// A model id or foundation-model ARN, as the caller gave it.
    fn find_model(&self, id: &str) -> Option<ModelView<'static>> {
        let bare = id.rsplit("foundation-model/").next().unwrap_or(id);
        self.models_here()
            .into_iter()
            .find(|v| v.m.model_id == bare)
    }

    fn get_model(&self, protocol: Protocol) -> Reply {
        match self.find_model(&path_id(self.call, false)) {
            Some(v) => wire::json_ok(&json!({ "modelDetails": self.model_json(&v) })),
            None => self.not_valid(protocol),
        }
    }

    fn access_for(&self, model_id: &str) -> Option<&super::scenario::Access> {
        self.sim
            .scenario()
            .access
            .iter()
            .find(|a| glob(&a.model, model_id) && glob(&a.region, self.region()))
    }

    fn availability(&self, protocol: Protocol) -> Reply {
        let id = path_id(self.call, false);
        let Some(v) = self.find_model(&id) else {
            return self.not_valid(protocol);
        };
        let mut body = json!({
            "modelId": v.m.model_id,
            "agreementAvailability": { "status": "AVAILABLE" },
            "authorizationStatus": "AUTHORIZED",
            "entitlementAvailability": "AVAILABLE",
            "regionAvailability": "AVAILABLE",
        });
        if let Some(a) = self.access_for(&v.m.model_id) {
            body["authorizationStatus"] = json!(a.authorization);
            body["entitlementAvailability"] = json!(a.entitlement);
            body["regionAvailability"] = json!(a.region_availability);
            body["agreementAvailability"] = json!({ "status": a.agreement });
            if let Some(msg) = &a.agreement_error {
                body["agreementAvailability"]["errorMessage"] = json!(msg);
            }
        }
        wire::json_ok(&body)
    }

    fn profile_json(&self, p: &CatalogProfile) -> Value {
        let mut models: Vec<Value> = p
            .destinations_from(self.region())
            .iter()
            .map(|r| json!({ "modelArn": format!("arn:aws:bedrock:{r}::foundation-model/{}", p.model_id) }))
            .collect();
        if p.is_global() {
            models.push(
                json!({ "modelArn": format!("arn:aws:bedrock:::foundation-model/{}", p.model_id) }),
            );
        }
        json!({
            "inferenceProfileName": p.name,
            "description": format!("Routes requests to {} across regions.", p.model_id),
            "createdAt": "2024-08-27T00:00:00Z",
            "updatedAt": "2025-01-15T00:00:00Z",
            "inferenceProfileArn": format!("arn:aws:bedrock:{}:{}:inference-profile/{}", self.region(), self.account(), p.id),
            "models": models,
            "inferenceProfileId": p.id,
            "status": "ACTIVE",
            "type": "SYSTEM_DEFINED",
        })
    }

    fn list_profiles(&self) -> Reply {
        // The SDK sends typeEquals as the `type` query parameter.
        if self.call.param("type").as_deref() == Some("APPLICATION") {
            let list: Vec<Value> = self
                .application_profiles_here()
                .iter()
                .filter_map(|a| self.application_profile_json(a))
                .collect();
            return wire::json_ok(&json!({ "inferenceProfileSummaries": list }));
        }
        let list: Vec<Value> = self
            .profiles_here()
            .iter()
            .map(|p| self.profile_json(p))
            .collect();
        wire::json_ok(&json!({ "inferenceProfileSummaries": list }))
    }

    fn find_profile(&self, id: &str) -> Option<&'static CatalogProfile> {
        let bare = id.rsplit("inference-profile/").next().unwrap_or(id);
        self.profiles_here().into_iter().find(|p| p.id == bare)
    }

    /// The application profiles of this region.
    fn application_profiles_here(&self) -> Vec<&super::scenario::ApplicationProfile> {
        let s = self.sim.scenario();
        s.application_profiles
            .iter()
            .filter(|a| a.region.as_deref().unwrap_or(&s.region) == self.region())
            .collect()
    }

    /// An application profile by its id or ARN.
    fn find_application_profile(&self, id: &str) -> Option<&super::scenario::ApplicationProfile> {
        let bare = id
            .rsplit("application-inference-profile/")
            .next()
            .unwrap_or(id);
        self.application_profiles_here()
            .into_iter()
            .find(|a| a.id == bare)
    }

    fn application_profile_arn(&self, a: &super::scenario::ApplicationProfile) -> String {
        format!(
            "arn:aws:bedrock:{}:{}:application-inference-profile/{}",
            self.region(),
            self.account(),
            a.id
        )
    }

    /// What it routes to: the models of the system profile it copies, or its one model.
    fn application_route(
        &self,
        a: &super::scenario::ApplicationProfile,
    ) -> Option<(ModelView<'static>, Option<&'static CatalogProfile>)> {
        if let Some(p) = self.find_profile(&a.copy_from) {
            let model = self
                .models_here()
                .into_iter()
                .find(|v| v.m.model_id == p.model_id)?;
            return Some((model, Some(p)));
        }
        self.find_model(&a.copy_from).map(|v| (v, None))
    }

    fn application_profile_json(&self, a: &super::scenario::ApplicationProfile) -> Option<Value> {
        let (model, system) = self.application_route(a)?;
        let models = match system {
            Some(p) => self.profile_json(p)["models"].clone(),
            None => {
                json!([{ "modelArn": format!("arn:aws:bedrock:{}::foundation-model/{}", self.region(), model.m.model_id) }])
            }
        };
        Some(json!({
            "inferenceProfileName": a.name,
            "description": format!("Application profile copied from {}", a.copy_from),
            "createdAt": "2026-03-02T00:00:00Z",
            "updatedAt": "2026-03-02T00:00:00Z",
            "inferenceProfileArn": self.application_profile_arn(a),
            "models": models,
            "inferenceProfileId": a.id,
            "status": "ACTIVE",
            "type": "APPLICATION",
        }))
    }

    fn get_profile(&self, protocol: Protocol) -> Reply {
        let id = path_id(self.call, false);
        if id.contains("application-inference-profile/") || self.find_profile(&id).is_none() {
            if let Some(body) = self
                .find_application_profile(&id)
                .and_then(|a| self.application_profile_json(a))
            {
                return wire::json_ok(&body);
            }
        }
        match self.find_profile(&id) {
            Some(p) => wire::json_ok(&self.profile_json(p)),
            None => protocol.error(
                404,
                "ResourceNotFoundException",
                "The specified inference profile couldn't be found.",
                self.rid,
            ),
        }
    }

    fn use_case(&self, protocol: Protocol) -> Reply {
        if self.sim.scenario().use_case_submitted {
            // formData is a blob: base64 in JSON.
            wire::json_ok(&json!({ "formData": "eyJjb21wYW55TmFtZSI6IkV4YW1wbGUgQ29ycCJ9" }))
        } else {
            protocol.error(
                404,
                "ResourceNotFoundException",
                "Model use case details have not been submitted for this account.",
                self.rid,
            )
        }
    }

    // ---- IAM ----

    /// The IAM ARN that stands for the caller: an assumed-role session maps to its role.
    fn caller_principal(&self) -> String {
        let id = &self.sim.scenario().identity;
        if self.call.bearer {
            return format!("arn:aws:iam::{}:user/BedrockAPIKey-sim", id.account);
        }
        match id.arn.split_once(":assumed-role/") {
            Some((_, rest)) => {
                let role = rest.split('/').next().unwrap_or("");
                let path = self
                    .sim
                    .scenario()
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

    fn iam_get(&self, kind: &str, protocol: Protocol) -> Reply {
        let s = self.sim.scenario();
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
            inner.push_str(&el(
                "AssumeRolePolicyDocument",
                "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D",
            ));
            inner.push_str(&el("MaxSessionDuration", "3600"));
        }
        wire::query_ok(
            IAM_NS,
            &format!("Get{kind}"),
            &format!("<{kind}>{inner}</{kind}>"),
            self.rid,
        )
    }

    fn simulate(&self, protocol: Protocol) -> Reply {
        let s = self.sim.scenario();
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

    // ---- runtime ----

    fn invoke(&self, op: &str, protocol: Protocol) -> Reply {
        let s = self.sim.scenario();
        let id = path_id(self.call, true);
        let rid = self.rid;
        let application = self.find_application_profile(&id).filter(|_| {
            id.contains("application-inference-profile/") || self.find_profile(&id).is_none()
        });
        let (model, profile) = if let Some(a) = application {
            match self.application_route(a) {
                Some(route) => route,
                None => return self.not_valid(protocol),
            }
        } else if let Some(p) = self.find_profile(&id) {
            match self
                .models_here()
                .into_iter()
                .find(|v| v.m.model_id == p.model_id)
            {
                Some(v) => (v, Some(p)),
                None => return self.not_valid(protocol),
            }
        } else if let Some(v) = self.find_model(&id) {
            if !v.types.iter().any(|t| t == "ON_DEMAND") {
                let msg = format!("Invocation of model ID {} with on-demand throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference profile that contains this model.", v.m.model_id);
                return protocol.error(400, "ValidationException", &msg, rid);
            }
            (v, None)
        } else if self.retired(&id) {
            return protocol.error(404, "ResourceNotFoundException", "This model version has reached the end of its life. Please refer to the AWS documentation for more details.", rid);
        } else {
            return self.not_valid(protocol);
        };
        let today = self.today();
        let past_eol = model
            .end_of_life
            .as_deref()
            .is_some_and(|d| d <= &today[..]);
        if model.lifecycle == "END_OF_LIFE" || past_eol {
            return protocol.error(404, "ResourceNotFoundException", "This model version has reached the end of its life. Please refer to the AWS documentation for more details.", rid);
        }
        if let Some(a) = self.access_for(&model.m.model_id) {
            // Models not sold through Marketplace never wait on an agreement
            // (docs: model-access.html).
            let marketplace = crate::models::sold_through_marketplace(&model.m.model_id);
            // With no agreement yet, the first call subscribes on the caller's behalf, if the
            // caller may (AWS evaluates that with aws:CalledViaLast = bedrock.amazonaws.com).
            let first_call_fails = a.agreement == "NOT_AVAILABLE"
                && a.authorization == "AUTHORIZED"
                && !self.may_subscribe();
            if marketplace && (a.agreement == "PENDING" || first_call_fails) {
                return protocol.error(403, "AccessDeniedException", "Model access is denied due to IAM user or service role is not authorized to perform the required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) to enable access to this model. Refer to the Amazon Bedrock documentation for further details. Your AWS Marketplace subscription for this model cannot be completed at this time. If you recently fixed this issue, try again after 15 minutes.", rid);
            }
            if marketplace && a.agreement == "ERROR" {
                let why = a.agreement_error.as_deref().unwrap_or("Your AWS Marketplace subscription for this model cannot be completed at this time.");
                return protocol.error(
                    403,
                    "AccessDeniedException",
                    &format!("Model access is denied due to {why}"),
                    rid,
                );
            }
            if a.authorization != "AUTHORIZED"
                || a.entitlement != "AVAILABLE"
                || a.region_availability != "AVAILABLE"
            {
                return protocol.error(
                    403,
                    "AccessDeniedException",
                    "You don't have access to the model with the specified model ID.",
                    rid,
                );
            }
        }
        if model.m.provider == "Anthropic" && !s.use_case_submitted && !s.use_case_inherited {
            return protocol.error(404, "ResourceNotFoundException", "Model use case details have not been submitted for this account. Fill out the Anthropic use case details form before using the model. If you have already filled out the form, try again in 15 minutes.", rid);
        }
        let application_arn = application.map(|a| self.application_profile_arn(a));
        if let Some(denied) = self.invoke_denied(&model, profile, application_arn.as_deref()) {
            return protocol.error(403, "AccessDeniedException", &denied, rid);
        }
        // A token quota of 0 (new accounts can get reduced quotas) throttles every call
        // (docs: quotas-runtime.html; the daily limit's text is AWS's).
        let name = model.m.model_name.to_ascii_lowercase();
        if let Some(q) = s.quotas.iter().find(|q| {
            let n = q.name.to_ascii_lowercase();
            q.value == 0.0
                && (n.contains("tokens per day") || n.contains("tokens per minute"))
                && (n.contains(&name) || n.starts_with("cross-model"))
        }) {
            let msg = if q.name.to_ascii_lowercase().contains("per day") {
                "Too many tokens per day, please wait before trying again."
            } else {
                "Too many tokens, please wait before trying again."
            };
            return protocol.error(429, "ThrottlingException", msg, rid);
        }
        let body = String::from_utf8_lossy(&self.call.body);
        let tier = self.call.service_tier_header.clone().or_else(|| {
            serde_json::from_slice::<Value>(&self.call.body)
                .ok()?
                .pointer("/serviceTier/type")?
                .as_str()
                .map(str::to_string)
        });
        if let Some(t) = tier.as_deref() {
            if !["priority", "default", "flex", "reserved"].contains(&t) {
                return protocol.error(
                    400,
                    "ValidationException",
                    "The service tier provided is invalid.",
                    rid,
                );
            }
        }
        let rule = s.invoke.iter().find(|r| {
            (glob(&r.model, &id) || glob(&r.model, &model.m.model_id))
                && r.body_contains
                    .as_ref()
                    .is_none_or(|b| body.contains(b.as_str()))
                && r.service_tier
                    .as_ref()
                    .is_none_or(|want| tier.as_deref() == Some(want.as_str()))
        });
        let behavior = rule.map(|r| r.behavior.as_str()).unwrap_or("answer");
        match behavior {
            "throttle" => protocol.error(429, "ThrottlingException", "Too many requests, please wait before trying again.", rid),
            "timeout" => protocol.error(408, "ModelTimeoutException", "Model has timed out in processing the request. Try your request again.", rid),
            "not-ready" => protocol.error(429, "ModelNotReadyException", "Model is not ready to serve inference requests. The AWS SDK will automatically retry the operation up to 5 times.", rid),
            "unavailable" => protocol.error(503, "ServiceUnavailableException", "Bedrock is unable to process your request.", rid),
            "restricted" => protocol.error(400, "ValidationException", "Operation not allowed", rid),
            "error" => {
                let r = rule.expect("a behavior comes from a rule");
                protocol.error(r.status.unwrap_or(400), r.code.as_deref().unwrap_or("ValidationException"), r.message.as_deref().unwrap_or(""), rid)
            }
            "filtered" if op == "Converse" => wire::json_ok(&converse_body("content_filtered", "")),
            _ if op == "Converse" => wire::json_ok(&converse_body("end_turn", "Hello")),
            _ => wire::json_ok(&invoke_body(model.m, behavior == "filtered")),
        }
    }

    /// A call made with a Bedrock API key: the key must be one Bedrock issued, unexpired and
    /// for this region (a bearer call carries no region: the scenario's stands in), and using
    /// API keys must be allowed: bedrock:CallWithBearerToken with bedrock:bearerTokenType
    /// (docs: api-keys-permissions.html). AWS's answer to a bad key is the 403 users report:
    /// "Authentication failed: Please make sure your API Key is valid."
    fn api_key_refused(&self, protocol: Protocol) -> Option<Reply> {
        use crate::api_key::ApiKey;
        let key = self.call.api_key.as_ref().filter(|_| self.call.bearer)?;
        let invalid = match key {
            ApiKey::Unrecognised => true,
            ApiKey::LongTerm => false,
            ApiKey::ShortTerm(s) => {
                s.expires <= self.sim.aws_now() || s.region != self.sim.scenario().region
            }
        };
        if invalid {
            return Some(protocol.error(
                403,
                "AccessDeniedException",
                "Authentication failed: Please make sure your API Key is valid.",
                self.rid,
            ));
        }
        let principal = self.caller_principal();
        let mut context = iam_eval::Context::new();
        context.insert(
            "aws:requestedregion".into(),
            vec![self.region().to_string()],
        );
        context.insert(
            "bedrock:bearertokentype".into(),
            vec![key.token_type().unwrap_or_default().to_string()],
        );
        let s = self.sim.scenario();
        let d = authorize(s, &principal, "bedrock:CallWithBearerToken", "*", &context);
        let why = if !d.allowed_by_organizations {
            "with an explicit deny in a service control policy"
        } else if d.decision == Verdict::ExplicitDeny {
            "with an explicit deny in an identity-based policy"
        } else {
            return None;
        };
        Some(protocol.error(
            403,
            "AccessDeniedException",
            &format!("User: {principal} is not authorized to perform: bedrock:CallWithBearerToken on resource: * {why}"),
            self.rid,
        ))
    }

    /// May the caller subscribe to a model through Bedrock (aws-marketplace:Subscribe and
    /// ViewSubscriptions, called via bedrock.amazonaws.com)?
    fn may_subscribe(&self) -> bool {
        let s = self.sim.scenario();
        let principal = self.caller_principal();
        let mut context = iam_eval::Context::new();
        context.insert(
            "aws:calledvialast".into(),
            vec!["bedrock.amazonaws.com".into()],
        );
        context.insert(
            "aws:requestedregion".into(),
            vec![self.region().to_string()],
        );
        [
            "aws-marketplace:Subscribe",
            "aws-marketplace:ViewSubscriptions",
        ]
        .iter()
        .all(|action| {
            let d = authorize(s, &principal, action, "*", &context);
            d.decision == Verdict::Allowed && d.allowed_by_organizations
        })
    }

    /// The AccessDenied text AWS would give if IAM or an SCP refuses the call.
    ///
    /// The resources a call touches (docs: inference-profiles-prereq.html,
    /// global-cross-region-inference.html): on demand, the model's ARN in the region; through
    /// a geographic profile, the profile's ARN and the model's ARN in every destination, each
    /// evaluated in its own region; through a global profile, the profile's ARN, the model's ARN
    /// in the source region and the Region-less model ARN, which AWS evaluates with
    /// `aws:RequestedRegion` = `unspecified`. Calls through a profile carry
    /// `bedrock:InferenceProfileArn`.
    ///
    /// Through an application profile, the application profile's ARN comes first, then what
    /// the profile it copies touches; `bedrock:InferenceProfileArn` is the application
    /// profile's ARN.
    fn invoke_denied(
        &self,
        model: &ModelView,
        profile: Option<&CatalogProfile>,
        application_arn: Option<&str>,
    ) -> Option<String> {
        let s = self.sim.scenario();
        let principal = self.caller_principal();
        let here = self.region().to_string();
        let fm = |r: &str| format!("arn:aws:bedrock:{r}::foundation-model/{}", model.m.model_id);
        let mut targets: Vec<(String, String)> = Vec::new();
        let mut profile_arn = application_arn.map(str::to_string);
        if let Some(arn) = application_arn {
            targets.push((arn.to_string(), here.clone()));
        }
        match profile {
            Some(p) => {
                let arn = format!(
                    "arn:aws:bedrock:{here}:{}:inference-profile/{}",
                    self.account(),
                    p.id
                );
                if application_arn.is_none() {
                    targets.push((arn.clone(), here.clone()));
                    profile_arn = Some(arn);
                }
                if p.is_global() {
                    targets.push((fm(&here), here.clone()));
                    targets.push((fm(""), "unspecified".to_string()));
                } else {
                    for r in p.destinations_from(&here) {
                        targets.push((fm(r), r.clone()));
                    }
                }
            }
            None => targets.push((fm(&here), here.clone())),
        }
        let who = if self.call.bearer {
            principal.clone()
        } else {
            s.identity.arn.clone()
        };
        for (resource, region) in targets {
            let mut context = iam_eval::Context::new();
            context.insert("aws:requestedregion".into(), vec![region]);
            context.insert("aws:principalarn".into(), vec![principal.clone()]);
            if let Some(arn) = &profile_arn {
                context.insert("bedrock:inferenceprofilearn".into(), vec![arn.clone()]);
            }
            let d = authorize(s, &principal, "bedrock:InvokeModel", &resource, &context);
            let base = format!("User: {who} is not authorized to perform: bedrock:InvokeModel on resource: {resource}");
            if !d.allowed_by_organizations {
                return Some(format!(
                    "{base} with an explicit deny in a service control policy"
                ));
            }
            if !d.allowed_by_boundary {
                return Some(format!(
                    "{base} because no permissions boundary allows the bedrock:InvokeModel action"
                ));
            }
            match d.decision {
                Verdict::ExplicitDeny => {
                    return Some(format!(
                        "{base} with an explicit deny in an identity-based policy"
                    ))
                }
                Verdict::ImplicitDeny => {
                    return Some(format!(
                    "{base} because no identity-based policy allows the bedrock:InvokeModel action"
                ))
                }
                Verdict::Allowed => {}
            }
        }
        None
    }

    // ---- CloudWatch ----

    fn metric_data(&self, protocol: Protocol) -> Reply {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let parsed = match protocol {
            Protocol::Cbor => ciborium::from_reader::<Cbor, _>(&self.call.body[..])
                .ok()
                .map(|v| metric_request_from_cbor(&v, now)),
            _ => serde_json::from_slice::<Value>(&self.call.body)
                .ok()
                .map(|v| metric_request_from_json(&v, now)),
        };
        let Some((start, end, queries)) = parsed else {
            return protocol.error(
                400,
                "SerializationException",
                "could not read the request body",
                self.rid,
            );
        };
        let rows: Vec<(MetricQuery, Vec<f64>, Vec<f64>)> = queries
            .into_iter()
            .map(|q| {
                let (times, values) =
                    self.series(&q.model, &q.metric, start, end, now, q.period, &q.stat);
                (q, times, values)
            })
            .collect();
        match protocol {
            Protocol::Cbor => {
                let results = rows
                    .iter()
                    .map(|(q, times, values)| {
                        Cbor::Map(vec![
                            (text("Id"), text(&q.id)),
                            (text("Label"), text(&q.metric)),
                            (
                                text("Timestamps"),
                                Cbor::Array(times.iter().map(|t| wire::cbor_time(*t)).collect()),
                            ),
                            (
                                text("Values"),
                                Cbor::Array(values.iter().map(|v| Cbor::Float(*v)).collect()),
                            ),
                            (text("StatusCode"), text("Complete")),
                        ])
                    })
                    .collect();
                wire::cbor_ok(&Cbor::Map(vec![
                    (text("MetricDataResults"), Cbor::Array(results)),
                    (text("Messages"), Cbor::Array(vec![])),
                ]))
            }
            _ => {
                let results: Vec<Value> = rows
                    .iter()
                    .map(|(q, times, values)| json!({ "Id": q.id, "Label": q.metric, "Timestamps": times, "Values": values, "StatusCode": "Complete" }))
                    .collect();
                wire::awsjson_ok(
                    "1.0",
                    &json!({ "MetricDataResults": results, "Messages": [] }),
                )
            }
        }
    }

    /// Bucket the scenario's per-minute series into periods, newest first; empty periods are left out.
    #[allow(clippy::too_many_arguments)]
    fn series(
        &self,
        model: &str,
        metric: &str,
        start: f64,
        end: f64,
        now: f64,
        period: f64,
        stat: &str,
    ) -> (Vec<f64>, Vec<f64>) {
        let Some(series) = self
            .sim
            .scenario()
            .metrics
            .iter()
            .find(|m| m.metric == metric && glob(&m.model, model))
        else {
            return (vec![], vec![]);
        };
        let minute_now = (now / 60.0).floor() * 60.0;
        let mut buckets: std::collections::BTreeMap<i64, Vec<f64>> = Default::default();
        for ago in 0..series.minutes {
            let t = minute_now - f64::from(ago) * 60.0;
            if t < start || t >= end {
                continue;
            }
            let v = series
                .peaks
                .iter()
                .find(|(m, _)| *m == ago)
                .map(|(_, v)| *v)
                .unwrap_or(series.base);
            if v == 0.0 {
                continue;
            }
            let bucket = ((t - start) / period).floor() as i64;
            buckets.entry(bucket).or_default().push(v);
        }
        let mut times = Vec::new();
        let mut values = Vec::new();
        for (b, vs) in buckets.iter().rev() {
            times.push(start + *b as f64 * period);
            values.push(match stat {
                "Maximum" => vs.iter().cloned().fold(f64::MIN, f64::max),
                "Minimum" => vs.iter().cloned().fold(f64::MAX, f64::min),
                "Average" => vs.iter().sum::<f64>() / vs.len() as f64,
                "SampleCount" => vs.len() as f64,
                _ => vs.iter().sum(),
            });
        }
        (times, values)
    }

    // ---- Organizations ----

    fn organizations(&self, op: &str, protocol: Protocol) -> Reply {
        let s = self.sim.scenario();
        let o = &s.organizations;
        let rid = self.rid;
        if !o.enabled {
            return protocol.error(
                400,
                "AWSOrganizationsNotInUseException",
                "Your account is not a member of an organization.",
                rid,
            );
        }
        // Any member account may describe its organization; the rest needs the management
        // account or a delegated administrator.
        if !o.readable && op != "DescribeOrganization" {
            return protocol.error(
                400,
                "AccessDeniedException",
                "You don't have permissions to access this resource.",
                rid,
            );
        }
        let req: Value = serde_json::from_slice(&self.call.body).unwrap_or(json!({}));
        let mgmt = o
            .management_account
            .clone()
            .unwrap_or_else(|| s.identity.account.clone());
        let summary = |id: &str, name: &str, managed: bool| {
            json!({
                "Id": id,
                "Arn": format!("arn:aws:organizations::{mgmt}:policy/o-sim/service_control_policy/{id}"),
                "Name": name,
                "Description": name,
                "Type": "SERVICE_CONTROL_POLICY",
                "AwsManaged": managed,
            })
        };
        match op {
            "DescribeOrganization" => awsjson(json!({ "Organization": {
                "Id": "o-sim0example",
                "Arn": format!("arn:aws:organizations::{mgmt}:organization/o-sim0example"),
                "FeatureSet": "ALL",
                "MasterAccountArn": format!("arn:aws:organizations::{mgmt}:account/o-sim0example/{mgmt}"),
                "MasterAccountId": mgmt,
                "MasterAccountEmail": "aws-admin@example.com",
                "AvailablePolicyTypes": [{ "Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED" }],
            }})),
            "ListParents" => {
                let child = req["ChildId"].as_str().unwrap_or("");
                match o.parents.get(child) {
                    Some(p) => {
                        let kind = if p.starts_with("r-") { "ROOT" } else { "ORGANIZATIONAL_UNIT" };
                        awsjson(json!({ "Parents": [{ "Id": p, "Type": kind }] }))
                    }
                    None => protocol.error(400, "ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.", rid),
                }
            }
            "ListPoliciesForTarget" => {
                let target = req["TargetId"].as_str().unwrap_or("");
                let mut list = vec![summary("p-FullAWSAccess", "FullAWSAccess", true)];
                list.extend(
                    o.policies
                        .iter()
                        .filter(|p| p.targets.iter().any(|t| t == target))
                        .map(|p| summary(&p.id, &p.name, false)),
                );
                awsjson(json!({ "Policies": list }))
            }
            "DescribePolicy" => {
                let id = req["PolicyId"].as_str().unwrap_or("");
                if id == "p-FullAWSAccess" {
                    let content = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
                    return awsjson(
                        json!({ "Policy": { "PolicySummary": summary(id, "FullAWSAccess", true), "Content": content } }),
                    );
                }
                match o.policies.iter().find(|p| p.id == id) {
                    Some(p) => awsjson(
                        json!({ "Policy": { "PolicySummary": summary(&p.id, &p.name, false), "Content": p.content } }),
                    ),
                    None => protocol.error(
                        400,
                        "PolicyNotFoundException",
                        "We can't find a policy with the PolicyId that you specified.",
                        rid,
                    ),
                }
            }
            _ => protocol.error(400, "UnknownOperationException", "Unknown operation", rid),
        }
    }

    // ---- Service Quotas ----

    fn quotas(&self) -> Reply {
        let s = self.sim.scenario();
        let list: Vec<Value> = s
            .quotas
            .iter()
            .map(|q| {
                json!({
                    "ServiceCode": "bedrock",
                    "ServiceName": "Amazon Bedrock",
                    "QuotaArn": format!("arn:aws:servicequotas:{}:{}:bedrock/{}", self.region(), s.identity.account, q.code),
                    "QuotaCode": q.code,
                    "QuotaName": q.name,
                    "Value": q.value,
                    "Unit": "None",
                    "Adjustable": q.adjustable,
                    "GlobalQuota": false,
                })
            })
            .collect();
        awsjson(json!({ "Quotas": list }))
    }
}

fn awsjson(v: Value) -> Reply {
    wire::awsjson_ok("1.1", &v)
}

/// One MetricStat query of GetMetricData, whatever protocol it came in.
struct MetricQuery {
    id: String,
    metric: String,
    model: String,
    period: f64,
    stat: String,
}

fn metric_request_from_cbor(req: &Cbor, now: f64) -> (f64, f64, Vec<MetricQuery>) {
    let start = cbor_get(req, "StartTime")
        .and_then(cbor_epoch)
        .unwrap_or(now - 86_400.0);
    let end = cbor_get(req, "EndTime").and_then(cbor_epoch).unwrap_or(now);
    let queries = match cbor_get(req, "MetricDataQueries") {
        Some(Cbor::Array(q)) => q
            .iter()
            .map(|q| {
                let stat = cbor_get(q, "MetricStat");
                let metric = stat.and_then(|s| cbor_get(s, "Metric"));
                let model = metric
                    .and_then(|m| cbor_get(m, "Dimensions"))
                    .and_then(|d| match d {
                        Cbor::Array(items) => items.iter().find(|i| {
                            cbor_get(i, "Name").and_then(cbor_text).as_deref() == Some("ModelId")
                        }),
                        _ => None,
                    })
                    .and_then(|d| cbor_get(d, "Value").and_then(cbor_text))
                    .unwrap_or_default();
                MetricQuery {
                    id: cbor_get(q, "Id").and_then(cbor_text).unwrap_or_default(),
                    metric: metric
                        .and_then(|m| cbor_get(m, "MetricName"))
                        .and_then(cbor_text)
                        .unwrap_or_default(),
                    model,
                    period: stat
                        .and_then(|s| cbor_get(s, "Period"))
                        .and_then(cbor_int)
                        .unwrap_or(60)
                        .max(60) as f64,
                    stat: stat
                        .and_then(|s| cbor_get(s, "Stat"))
                        .and_then(cbor_text)
                        .unwrap_or_else(|| "Sum".into()),
                }
            })
            .collect(),
        _ => vec![],
    };
    (start, end, queries)
}

fn metric_request_from_json(req: &Value, now: f64) -> (f64, f64, Vec<MetricQuery>) {
    let start = req["StartTime"].as_f64().unwrap_or(now - 86_400.0);
    let end = req["EndTime"].as_f64().unwrap_or(now);
    let queries = req["MetricDataQueries"]
        .as_array()
        .map(|qs| {
            qs.iter()
                .map(|q| {
                    let stat = &q["MetricStat"];
                    let dims = stat["Metric"]["Dimensions"].as_array();
                    let model = dims
                        .and_then(|d| d.iter().find(|x| x["Name"] == "ModelId"))
                        .and_then(|x| x["Value"].as_str())
                        .unwrap_or_default();
                    MetricQuery {
                        id: q["Id"].as_str().unwrap_or_default().to_string(),
                        metric: stat["Metric"]["MetricName"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                        model: model.to_string(),
                        period: stat["Period"].as_f64().unwrap_or(60.0).max(60.0),
                        stat: stat["Stat"].as_str().unwrap_or("Sum").to_string(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    (start, end, queries)
}

/// The request context a SimulatePrincipalPolicy call carries (keys lower-cased).
fn context_entries(form: &Form) -> iam_eval::Context {
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
struct Decision {
    decision: Verdict,
    policy_id: Option<String>,
    policy_type: String,
    allowed_by_boundary: bool,
    allowed_by_organizations: bool,
    missing: Vec<String>,
}

/// A rule the scenario states outright wins; otherwise the organization's SCPs and the
/// principal's identity policies decide, read by the simulator's own evaluator.
fn authorize(
    s: &super::scenario::Scenario,
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
                .clone()
                .unwrap_or_else(|| "user-managed".into()),
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
fn scps_on_account(s: &super::scenario::Scenario) -> Vec<&super::scenario::ScpPolicy> {
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
fn decide<'r>(
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

fn evaluation_xml(action: &str, resource: &str, d: &Decision) -> String {
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

fn converse_body(stop: &str, reply: &str) -> Value {
    let content = if reply.is_empty() {
        json!([])
    } else {
        json!([{ "text": reply }])
    };
    json!({
        "output": { "message": { "role": "assistant", "content": content } },
        "stopReason": stop,
        "usage": { "inputTokens": 3, "outputTokens": if reply.is_empty() { 0 } else { 1 }, "totalTokens": 4 },
        "metrics": { "latencyMs": 120 },
    })
}

fn invoke_body(m: &CatalogModel, filtered: bool) -> Value {
    if m.output_modalities.iter().any(|o| o == "EMBEDDING") {
        return json!({ "embedding": [0.012, -0.034, 0.056], "inputTextTokenCount": 1 });
    }
    if m.output_modalities.iter().any(|o| o == "IMAGE") {
        let reason = if filtered {
            "CONTENT_FILTERED"
        } else {
            "SUCCESS"
        };
        return json!({ "result": "success", "artifacts": [{ "seed": 42, "base64": "iVBORw0KGgo=", "finishReason": reason }] });
    }
    if m.provider == "Anthropic" {
        return json!({
            "id": "msg_bdrk_sim", "type": "message", "role": "assistant",
            "content": [{ "type": "text", "text": "Hello" }],
            "stop_reason": if filtered { "refusal" } else { "end_turn" },
            "usage": { "input_tokens": 3, "output_tokens": 1 }
        });
    }
    json!({ "outputs": [{ "text": "Hello", "stop_reason": "stop" }] })
}

fn cbor_get<'v>(v: &'v Cbor, key: &str) -> Option<&'v Cbor> {
    match v {
        Cbor::Map(entries) => entries
            .iter()
            .find(|(k, _)| matches!(k, Cbor::Text(t) if t == key))
            .map(|(_, v)| v),
        _ => None,
    }
}

fn cbor_text(v: &Cbor) -> Option<String> {
    match v {
        Cbor::Text(t) => Some(t.clone()),
        _ => None,
    }
}

fn cbor_int(v: &Cbor) -> Option<i64> {
    match v {
        Cbor::Integer(i) => i64::try_from(i128::from(*i)).ok(),
        Cbor::Float(f) => Some(*f as i64),
        _ => None,
    }
}

fn cbor_epoch(v: &Cbor) -> Option<f64> {
    match v {
        Cbor::Tag(1, inner) => match inner.as_ref() {
            Cbor::Float(f) => Some(*f),
            Cbor::Integer(i) => Some(i128::from(*i) as f64),
            _ => None,
        },
        Cbor::Float(f) => Some(*f),
        Cbor::Integer(i) => Some(i128::from(*i) as f64),
        _ => None,
    }
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
