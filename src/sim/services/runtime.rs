//! Bedrock Runtime: InvokeModel, Converse and their streaming forms, with API keys, Marketplace
//! subscriptions, lifecycles, quotas and faults deciding the answer.

use super::iam::authorize;
use super::*;
use crate::sim::scenario::{AgreementStatus, Authorization, Availability, GuardrailStatus};

impl World<'_> {
    pub(super) fn invoke(&self, op: &str, protocol: Protocol) -> Reply {
        let s = self.scenario;
        let id = path_id(self.call, true);
        let rid = self.rid;
        if let Some(reply) = self.invoke_owned(op, protocol, &id) {
            return reply;
        }
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
        if past_eol {
            return protocol.error(404, "ResourceNotFoundException", "This model version has reached the end of its life. Please refer to the AWS documentation for more details.", rid);
        }
        if let Some(a) = self.access_for(&model.m.model_id) {
            // Models not sold through Marketplace never wait on an agreement
            // (docs: model-access.html).
            let marketplace = crate::models::sold_through_marketplace(&model.m.model_id);
            // With no agreement yet, the first call subscribes on the caller's behalf, if the
            // caller may (AWS evaluates that with aws:CalledViaLast = bedrock.amazonaws.com).
            let first_call_fails = a.agreement == AgreementStatus::NotAvailable
                && a.authorization == Authorization::Authorized
                && !self.may_subscribe();
            if marketplace && (a.agreement == AgreementStatus::Pending || first_call_fails) {
                return protocol.error(403, "AccessDeniedException", "Model access is denied due to IAM user or service role is not authorized to perform the required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) to enable access to this model. Refer to the Amazon Bedrock documentation for further details. Your AWS Marketplace subscription for this model cannot be completed at this time. If you recently fixed this issue, try again after 15 minutes.", rid);
            }
            if marketplace && a.agreement == AgreementStatus::Error {
                let why = a.agreement_error.as_deref().unwrap_or("Your AWS Marketplace subscription for this model cannot be completed at this time.");
                return protocol.error(
                    403,
                    "AccessDeniedException",
                    &format!("Model access is denied due to {why}"),
                    rid,
                );
            }
            if a.authorization != Authorization::Authorized
                || a.entitlement != Availability::Available
                || a.region_availability != Availability::Available
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
        // Streaming calls are authorized as InvokeModelWithResponseStream (Converse as
        // InvokeModel, ConverseStream as InvokeModelWithResponseStream: docs
        // security_iam_id-based-policy-examples).
        let action = super::iam_action("bedrock", op);
        // A guardrail the call names must exist at that version in this region and be
        // READY, and the caller must be allowed bedrock:ApplyGuardrail on it
        // (guardrails-permissions.html). Users quote Bedrock's one answer for a wrong id, a
        // wrong version and another region alike; that a guardrail not READY gets the same
        // answer is this simulator's assumption (not found published).
        let guardrail = match self.requested_guardrail() {
            None => None,
            Some((identifier, version)) => {
                let found = self.find_guardrail(&identifier).filter(|g| {
                    g.versions.contains(&version) && g.status == GuardrailStatus::Ready
                });
                let Some(g) = found else {
                    return protocol.error(400, "ValidationException", "The guardrail identifier or version provided in the request does not exist.", rid);
                };
                let arn = self.guardrail_arn(g);
                if let Some(denied) =
                    self.denied(&arn, "bedrock:ApplyGuardrail", &iam_eval::Context::new())
                {
                    return protocol.error(403, "AccessDeniedException", &denied, rid);
                }
                Some((g, format!("{arn}:{version}")))
            }
        };
        let guardrail_key = guardrail.as_ref().map(|(_, key)| key.as_str());
        if let Some(denied) = self.invoke_denied(
            &model,
            profile,
            application_arn.as_deref(),
            &action,
            guardrail_key,
        ) {
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
        let streaming = op == "ConverseStream" || op == "InvokeModelWithResponseStream";
        if streaming && !model.m.response_streaming {
            // What AWS answers for a model whose responseStreamingSupported is false (a real
            // response, quoted in tests/data/explain_dev.json: r2os-swift-gpt-oss-streaming).
            return protocol.error(
                400,
                "ValidationException",
                "The model is unsupported for streaming.",
                rid,
            );
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
        let blocked = guardrail.as_ref().is_some_and(|(g, _)| g.blocks);
        let behavior = match rule.map(|r| r.behavior.as_str()) {
            Some(b) => b,
            None if blocked => "guardrail",
            None => "answer",
        };
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
            _ if streaming => {
                let (messages, first) =
                    stream_messages(op, model.m, behavior, rule.map_or(1, |r| r.chunks));
                let ms = std::time::Duration::from_millis;
                wire::eventstream(
                    &messages,
                    wire::Pace {
                        first,
                        first_token: ms(rule.map_or(0, |r| r.first_token_ms)),
                        between: ms(rule.map_or(0, |r| r.chunk_ms)),
                        truncated: behavior == "stream-truncated",
                    },
                )
            }
            "filtered" if op == "Converse" => wire::json_ok(&converse_body("content_filtered", "")),
            "guardrail" if op == "Converse" => wire::json_ok(&converse_body("guardrail_intervened", "Sorry, the model cannot answer this question.")),
            "guardrail" => {
                let mut body = invoke_body(model.m, false);
                body["amazon-bedrock-guardrailAction"] = json!("INTERVENED");
                wire::json_ok(&body)
            }
            _ if op == "Converse" => wire::json_ok(&converse_body("end_turn", "Hello")),
            _ => wire::json_ok(&invoke_body(model.m, behavior == "filtered")),
        }
    }

    /// A call made with a Bedrock API key: the key must be one Bedrock issued, unexpired and
    /// for this region (a bearer call carries no region: the scenario's stands in), and using
    /// API keys must be allowed: bedrock:CallWithBearerToken with bedrock:bearerTokenType
    /// (docs: api-keys-permissions.html). AWS's answer to a bad key is the 403 users report:
    /// "Authentication failed: Please make sure your API Key is valid."
    /// The API key of a bearer call, and whether Bedrock would take it: one it issued,
    /// unexpired, for this region.
    pub(super) fn bearer_key(&self) -> Option<(&crate::api_key::ApiKey, bool)> {
        use crate::api_key::ApiKey;
        let key = self.call.api_key.as_ref().filter(|_| self.call.bearer)?;
        let valid = match key {
            ApiKey::Unrecognised => false,
            ApiKey::LongTerm => true,
            ApiKey::ShortTerm(s) => {
                s.expires > self.sim.aws_now() && s.region == self.scenario.region
            }
        };
        Some((key, valid))
    }

    pub(super) fn api_key_refused(&self, protocol: Protocol) -> Option<Reply> {
        let (key, valid) = self.bearer_key()?;
        if !valid {
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
        let s = self.scenario;
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
    pub(super) fn may_subscribe(&self) -> bool {
        let s = self.scenario;
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
    /// A call whose modelId is the ARN of a model the account owns: a provisioned throughput
    /// or custom model deployment serves while InService / Active, and is authorized on its
    /// own ARN; an imported model answers Converse only when `instructSupported`
    /// (invoke-imported-model.html), else with the refusal Converse gives models it does not
    /// serve. Assumption (no published wording found): a throughput or deployment that is not
    /// serving, and a custom model called by its own ARN, get "The provided model identifier is
    /// invalid."
    fn invoke_owned(&self, op: &str, protocol: Protocol, id: &str) -> Option<Reply> {
        let rid = self.rid;
        let invalid = || {
            protocol.error(
                400,
                "ValidationException",
                "The provided model identifier is invalid.",
                rid,
            )
        };
        let (arn, serving, base) = if id.contains(":provisioned-model/") {
            let p = self.find_provisioned(id)?;
            let serving = p.status == crate::sim::scenario::ProvisionedStatus::InService;
            (self.provisioned_arn(p), serving, self.find_model(&p.model))
        } else if id.contains(":custom-model-deployment/") {
            let d = self.find_deployment(id)?;
            let base = self
                .find_custom_model(&d.custom_model)
                .and_then(|m| self.find_model(&m.base));
            let serving = d.status == crate::sim::scenario::CustomModelStatus::Active;
            (self.deployment_arn(d), serving, base)
        } else if id.contains(":custom-model/") {
            let m = self.find_custom_model(id)?;
            (self.custom_model_arn(m), false, None)
        } else if id.contains(":imported-model/") {
            let m = self.find_imported(id)?;
            if op.starts_with("Converse") && !m.instruct_supported {
                return Some(protocol.error(400, "ValidationException", "This action doesn't support the model that you provided. Try again with a supported text or chat model.", rid));
            }
            // It answers in its architecture's format; the simulator answers as Mistral does.
            let stand_in = snapshot()
                .models
                .iter()
                .find(|c| c.provider == "Mistral AI");
            (
                self.imported_arn(m),
                true,
                stand_in.and_then(|c| self.find_model(&c.model_id)),
            )
        } else {
            return None;
        };
        if !serving {
            return Some(invalid());
        }
        let action = super::iam_action("bedrock", op);
        if let Some(denied) = self.denied(&arn, &action, &iam_eval::Context::new()) {
            return Some(protocol.error(403, "AccessDeniedException", &denied, rid));
        }
        let Some(model) = base else {
            return Some(invalid());
        };
        let streaming = op == "ConverseStream" || op == "InvokeModelWithResponseStream";
        Some(match op {
            _ if streaming => wire::eventstream_ok(&stream_messages(op, model.m, "answer", 1).0),
            "Converse" => wire::json_ok(&converse_body("end_turn", "Hello")),
            _ => wire::json_ok(&invoke_body(model.m, false)),
        })
    }

    /// The guardrail a runtime call names: Converse's guardrailConfig, InvokeModel's headers
    /// (a missing version is DRAFT here).
    fn requested_guardrail(&self) -> Option<(String, String)> {
        let (id, version) = match &self.call.guardrail_header {
            (Some(id), version) => (id.clone(), version.clone()),
            (None, _) => {
                let body: Value = serde_json::from_slice(&self.call.body).ok()?;
                let config = body.get("guardrailConfig")?;
                (
                    config["guardrailIdentifier"].as_str()?.to_string(),
                    config["guardrailVersion"].as_str().map(str::to_string),
                )
            }
        };
        Some((id, version.unwrap_or_else(|| "DRAFT".into())))
    }

    /// Why the caller may not perform `action` on `resource`, in AWS's words, if it may not.
    pub(super) fn denied(
        &self,
        resource: &str,
        action: &str,
        extra: &iam_eval::Context,
    ) -> Option<String> {
        let s = self.scenario;
        let principal = self.caller_principal();
        let who = if self.call.bearer {
            principal.clone()
        } else {
            s.identity.arn.clone()
        };
        let mut context = extra.clone();
        context
            .entry("aws:requestedregion".into())
            .or_insert_with(|| vec![self.region().to_string()]);
        context.insert("aws:principalarn".into(), vec![principal.clone()]);
        let d = authorize(s, &principal, action, resource, &context);
        let base =
            format!("User: {who} is not authorized to perform: {action} on resource: {resource}");
        if !d.allowed_by_organizations {
            return Some(format!(
                "{base} with an explicit deny in a service control policy"
            ));
        }
        if !d.allowed_by_boundary {
            return Some(format!(
                "{base} because no permissions boundary allows the {action} action"
            ));
        }
        match d.decision {
            Verdict::ExplicitDeny => Some(format!(
                "{base} with an explicit deny in an identity-based policy"
            )),
            Verdict::ImplicitDeny => Some(format!(
                "{base} because no identity-based policy allows the {action} action"
            )),
            Verdict::Allowed => None,
        }
    }

    pub(super) fn invoke_denied(
        &self,
        model: &ModelView,
        profile: Option<&CatalogProfile>,
        application_arn: Option<&str>,
        action: &str,
        guardrail_key: Option<&str>,
    ) -> Option<String> {
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
        for (resource, region) in targets {
            let mut context = iam_eval::Context::new();
            context.insert("aws:requestedregion".into(), vec![region]);
            if let Some(arn) = &profile_arn {
                context.insert("bedrock:inferenceprofilearn".into(), vec![arn.clone()]);
            }
            if let Some(key) = guardrail_key {
                context.insert("bedrock:guardrailidentifier".into(), vec![key.to_string()]);
            }
            if let Some(why) = self.denied(&resource, action, &context) {
                return Some(why);
            }
        }
        None
    }
}

/// A streamed answer: its events, and which of them carries the first token (for pacing).
/// `chunks` content events come first; a stream-* behaviour then breaks the stream.
pub(super) fn stream_messages(
    op: &str,
    m: &CatalogModel,
    behavior: &str,
    chunks: u32,
) -> (Vec<wire::StreamMessage>, usize) {
    use wire::StreamMessage::{Event, Exception};
    let broken = behavior.starts_with("stream-");
    let chunks = chunks.max(1) as usize;
    let (mut out, first) = if op == "ConverseStream" {
        let mut out = vec![Event("messageStart", json!({ "role": "assistant" }))];
        out.extend((0..chunks).map(|_| {
            Event(
                "contentBlockDelta",
                json!({ "contentBlockIndex": 0, "delta": { "text": "Hi" } }),
            )
        }));
        (out, 1)
    } else if m.provider == "Anthropic" {
        // Claude streams its own events, one a chunk (AWS's InvokeModelWithResponseStream
        // example for Claude reads content_block_delta's text; Anthropic's streaming format:
        // message_start, content_block_start, content_block_delta..., content_block_stop,
        // message_delta with the stop reason, message_stop). The metrics object on the last
        // chunk is as for every model below.
        let mut out = vec![
            chunk(json!({"type": "message_start", "message": {
                "id": "msg_bdrk_sim", "type": "message", "role": "assistant", "content": [],
                "model": m.model_id, "stop_reason": null,
                "usage": {"input_tokens": 3, "output_tokens": 1}}})),
            chunk(json!({"type": "content_block_start", "index": 0,
                "content_block": {"type": "text", "text": ""}})),
        ];
        out.extend((0..chunks).map(|_| {
            chunk(json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": "Hi"}}))
        }));
        if !broken {
            let stop = match behavior {
                "filtered" | "guardrail" => "refusal",
                _ => "end_turn",
            };
            out.push(chunk(json!({"type": "content_block_stop", "index": 0})));
            out.push(chunk(json!({"type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": null},
                "usage": {"output_tokens": chunks}})));
            let mut last = json!({"type": "message_stop"});
            if behavior == "guardrail" {
                last["amazon-bedrock-guardrailAction"] = json!("INTERVENED");
            }
            last["amazon-bedrock-invocationMetrics"] = metrics();
            out.push(chunk(last));
        }
        (out, 2)
    } else {
        // Other models: partial chunks, then the whole body, whose last chunk carries
        // amazon-bedrock-invocationMetrics as in AWS's streaming examples (not re-read on an
        // AWS page in this change).
        let mut out: Vec<wire::StreamMessage> = (1..chunks)
            .map(|_| chunk(json!({ "outputs": [{ "text": "Hi", "stop_reason": null }] })))
            .collect();
        if broken {
            out.push(chunk(json!({ "text": "Hel" })));
        } else {
            let mut b = invoke_body(m, behavior == "filtered");
            if behavior == "guardrail" {
                b["amazon-bedrock-guardrailAction"] = json!("INTERVENED");
            }
            b["amazon-bedrock-invocationMetrics"] = metrics();
            out.push(chunk(b));
        }
        (out, 0)
    };
    match behavior {
        "stream-error" => out.push(Exception(
            "modelStreamErrorException",
            "The model produced an error while streaming the response. Retry your request.".into(),
        )),
        "stream-throttle" => out.push(Exception(
            "throttlingException",
            "Too many tokens, please wait before trying again.".into(),
        )),
        "stream-cut" | "stream-truncated" => {}
        _ if op == "ConverseStream" => {
            let stop = match behavior {
                "filtered" => "content_filtered",
                "guardrail" => "guardrail_intervened",
                _ => "end_turn",
            };
            out.push(Event("contentBlockStop", json!({ "contentBlockIndex": 0 })));
            out.push(Event("messageStop", json!({ "stopReason": stop })));
            out.push(Event(
                "metadata",
                json!({
                    "usage": { "inputTokens": 1, "outputTokens": chunks, "totalTokens": 1 + chunks },
                    "metrics": { "latencyMs": 1 }
                }),
            ));
        }
        _ => {}
    }
    (out, first)
}

/// One InvokeModelWithResponseStream chunk: the model's JSON, base64 in `bytes`.
fn chunk(v: Value) -> wire::StreamMessage {
    wire::StreamMessage::Event(
        "chunk",
        json!({ "bytes": aws_smithy_types::base64::encode(v.to_string()) }),
    )
}

fn metrics() -> Value {
    json!({
        "inputTokenCount": 3, "outputTokenCount": 1,
        "invocationLatency": 1, "firstByteLatency": 1
    })
}

pub(super) fn converse_body(stop: &str, reply: &str) -> Value {
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

pub(super) fn invoke_body(m: &CatalogModel, filtered: bool) -> Value {
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
