//! Mistral prompt and chat bodies.

use super::*;

pub(super) fn mistral(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    let chat_model = ["mistral-large", "pixtral-large"]
        .iter()
        .any(|m| model.contains(m));
    if b.contains_key("messages") && !chat_model {
        out.push(finding(
            "mistral-chat-models-only",
            "/messages",
            "this Mistral model takes the prompt body (\"prompt\": \"<s>[INST] ... [/INST]\"); messages are for Mistral Large and Pixtral Large",
        ));
    }
    let limit = if model.contains("mixtral-8x7b") {
        Some(4096)
    } else if ["mistral-7b", "mistral-large", "mistral-small"]
        .iter()
        .any(|m| model.contains(m))
    {
        Some(8192)
    } else {
        None
    };
    if let (Some(limit), Some(max)) = (limit, int(b.get("max_tokens"))) {
        if max > limit {
            out.push(finding(
                "mistral-max-tokens-model-limit",
                "/max_tokens",
                format!("max_tokens {max} is above this model's limit of {limit}"),
            ));
        }
    }
    // A tool message must answer a tool call of the assistant turn before it.
    let mut calls: Vec<String> = Vec::new();
    for (i, m) in b
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        match m.get("role").and_then(Value::as_str) {
            Some("assistant") => {
                calls = m
                    .get("tool_calls")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c.get("id").and_then(Value::as_str).map(String::from))
                    .collect();
            }
            Some("tool") => {
                if let Some(id) = m.get("tool_call_id").and_then(Value::as_str) {
                    if !calls.iter().any(|c| c == id) {
                        out.push(finding(
                            "mistral-tool-message-matches-call",
                            format!("/messages/{i}/tool_call_id"),
                            format!(
                                "`{id}` answers no tool call of the assistant message before it"
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    out
}
