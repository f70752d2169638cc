//! bedrock-mantle, the OpenAI-compatible endpoint (`/v1/chat/completions`, `/v1/models`),
//! modelled on AWS's pages and on answers users quote (src/catalog/SOURCES.md,
//! "bedrock-mantle"): inference is `bedrock-mantle:CreateInference` on the account's
//! `project/default` with `bedrock-mantle:Model`; an API key also needs
//! `bedrock-mantle:CallWithBearerToken`; ids carry no profile prefix; Claude answers only on
//! `/anthropic/v1/messages`, some models only on `/openai/v1`. Errors are OpenAI-shaped,
//! `{"error": {"code", "message", "param", "type"}}`.
//! Assumptions (no published answer found): the words and status of a refused key (the
//! runtime's), and the body of a 429.

use super::{glob, iam_eval, World};
use crate::sim::wire::{self, Reply};
use serde_json::{json, Value};

/// Where a model is served on bedrock-mantle.
#[derive(PartialEq)]
enum Route {
    /// `/v1/chat/completions` and `/v1/responses`.
    V1,
    /// `/openai/v1/...` only.
    OpenAiV1,
    /// `/anthropic/v1/messages` only (Claude).
    Messages,
}

/// Models bedrock-mantle serves, as seen in AWS's examples and users' reports (2026).
const MODELS: &[(&str, Route)] = &[
    ("openai.gpt-oss-120b", Route::V1),
    ("openai.gpt-oss-20b", Route::V1),
    ("qwen.qwen3-235b-a22b-2507", Route::V1),
    ("google.gemma-4-31b", Route::OpenAiV1),
    ("openai.gpt-5.5", Route::OpenAiV1),
    ("anthropic.claude-opus-5", Route::Messages),
    ("anthropic.claude-sonnet-5", Route::Messages),
    ("anthropic.claude-opus-4-8", Route::Messages),
    ("anthropic.claude-haiku-4-5", Route::Messages),
];

/// The operation a bedrock-mantle path names, by the IAM action it needs.
pub(super) fn operation(method: &str, path: &str) -> &'static str {
    let path = path.strip_prefix("/openai").unwrap_or(path);
    match (method, path) {
        ("POST", "/v1/chat/completions" | "/v1/responses" | "/anthropic/v1/messages") => {
            "CreateInference"
        }
        ("GET", "/v1/models") => "ListModels",
        _ => "Unknown",
    }
}

fn error(status: u16, code: &str, kind: &str, message: &str) -> Reply {
    let body =
        json!({ "error": { "code": code, "message": message, "param": null, "type": kind } });
    Reply::new(status, "application/json", body.to_string())
}

impl World<'_> {
    pub(super) fn mantle(&self, op: &str) -> Reply {
        if let Some(refused) = self.mantle_key_refused() {
            return refused;
        }
        match op {
            "ListModels" => {
                let data: Vec<Value> = MODELS
                    .iter()
                    .map(|(id, _)| json!({ "id": id, "object": "model", "owned_by": "bedrock" }))
                    .collect();
                wire::json_ok(&json!({ "object": "list", "data": data }))
            }
            "CreateInference" => self.mantle_chat(),
            _ => error(
                404,
                "not_found_error",
                "invalid_request_error",
                &format!(
                    "Unknown request URL: {} {}",
                    self.call.method, self.call.path
                ),
            ),
        }
    }

    /// A Bedrock API key that is not valid here, or that the identity may not use on
    /// bedrock-mantle.
    fn mantle_key_refused(&self) -> Option<Reply> {
        let (_, valid) = self.bearer_key()?;
        if !valid {
            return Some(error(
                401,
                "invalid_api_key",
                "authentication_error",
                "Authentication failed: Please make sure your API Key is valid.",
            ));
        }
        let denied = self.denied(
            "*",
            "bedrock-mantle:CallWithBearerToken",
            &iam_eval::Context::new(),
        )?;
        Some(error(
            403,
            "access_denied",
            "permission_denied_error",
            &denied,
        ))
    }

    fn mantle_chat(&self) -> Reply {
        let path = self.call.path.as_str();
        let body: Value = serde_json::from_slice(&self.call.body).unwrap_or_default();
        let Some(model) = body["model"].as_str() else {
            return error(
                400,
                "invalid_request_error",
                "invalid_request_error",
                "model is required",
            );
        };
        let Some((_, route)) = MODELS.iter().find(|(id, _)| *id == model) else {
            return error(
                404,
                "not_found_error",
                "invalid_request_error",
                &format!("The model '{model}' does not exist"),
            );
        };
        let api = path.strip_prefix("/openai").unwrap_or(path);
        match route {
            Route::Messages if api != "/anthropic/v1/messages" => {
                return error(
                    400,
                    "invalid_request_error",
                    "invalid_request_error",
                    &format!("The model '{model}' does not support the '{api}' API"),
                );
            }
            Route::OpenAiV1 if !path.starts_with("/openai/") => {
                return error(
                    400,
                    "invalid_request_error",
                    "invalid_request_error",
                    &format!("model `{model}` isn't supported on this route"),
                );
            }
            _ => {}
        }
        let project = format!(
            "arn:{}:bedrock-mantle:{}:{}:project/default",
            crate::catalog::partition(self.region()),
            self.region(),
            self.account()
        );
        let mut context = iam_eval::Context::new();
        context.insert("bedrock-mantle:model".into(), vec![model.to_string()]);
        if let Some(denied) = self.denied(&project, "bedrock-mantle:CreateInference", &context) {
            return error(403, "access_denied", "permission_denied_error", &denied);
        }
        let s = self.scenario;
        let rule = s.invoke.iter().find(|r| glob(&r.model, model));
        match rule.map(|r| r.behavior.as_str()) {
            Some("throttle") => error(
                429,
                "rate_limit_exceeded",
                "rate_limit_error",
                "Too many tokens, please wait before trying again.",
            ),
            Some("unavailable") => error(
                503,
                "service_unavailable",
                "api_error",
                "Bedrock is unable to process your request.",
            ),
            _ => wire::json_ok(&json!({
                "id": "chatcmpl-sim",
                "object": "chat.completion",
                "created": 1_764_547_200,
                "model": model,
                "choices": [{ "index": 0, "message": { "role": "assistant", "content": "Hello" }, "finish_reason": "stop" }],
                "usage": { "prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4 }
            })),
        }
    }
}
