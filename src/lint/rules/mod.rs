//! The cross-field rules a JSON Schema cannot say (src/lint/rules.md, the lines without
//! `[schema]`). Each rule names its id from rules.md and anchors at the JSON path the problem is
//! best fixed at.

use crate::causes::Cause;
use serde_json::{Map, Value};

mod amazon_image;
mod anthropic;
mod cohere_embed;
mod converse;
mod meta_llama;
mod mistral;
mod nova_text;
pub(super) mod prompt_cache;
mod stability;
pub(super) mod structured_output;
mod titan_embed;
mod titan_text;

pub use anthropic::{beta_flags, claude_generation};

#[derive(Debug, Clone, PartialEq)]
pub struct RuleFinding {
    pub rule: &'static str,
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
    pub cause: Cause,
}

fn finding(rule: &'static str, path: impl Into<String>, message: impl Into<String>) -> RuleFinding {
    RuleFinding {
        rule,
        path: path.into(),
        message: message.into(),
        hint: None,
        cause: Cause::InvalidRequestBody,
    }
}

/// JSON Pointer escaping of one segment (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn int(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_i64)
}

/// One request-body family: its id (as in families.json), its JSON Schema, and its rules.
pub struct Registered {
    pub id: &'static str,
    pub schema: &'static str,
    rules: fn(&str, &Map<String, Value>) -> Vec<RuleFinding>,
}

/// Every family lint knows. Adding one: a schema in schemas/, a file of rules here, a line
/// below, and its model ids in families.json.
pub const REGISTRY: &[Registered] = &[
    Registered {
        id: "stability-sdxl-v1",
        schema: include_str!("../schemas/stability-sdxl-v1.json"),
        rules: stability::sdxl,
    },
    Registered {
        id: "stability-image",
        schema: include_str!("../schemas/stability-image.json"),
        rules: stability::stability_image,
    },
    Registered {
        id: "amazon-image",
        schema: include_str!("../schemas/amazon-image.json"),
        rules: amazon_image::amazon_image,
    },
    Registered {
        id: "anthropic-messages",
        schema: include_str!("../schemas/anthropic-messages.json"),
        rules: anthropic::anthropic,
    },
    Registered {
        id: "amazon-titan-text",
        schema: include_str!("../schemas/amazon-titan-text.json"),
        rules: titan_text::titan_text,
    },
    Registered {
        id: "amazon-nova-text",
        schema: include_str!("../schemas/amazon-nova-text.json"),
        rules: nova_text::nova_text,
    },
    Registered {
        id: "meta-llama",
        schema: include_str!("../schemas/meta-llama.json"),
        rules: meta_llama::llama,
    },
    Registered {
        id: "mistral",
        schema: include_str!("../schemas/mistral.json"),
        rules: mistral::mistral,
    },
    Registered {
        id: "cohere-embed",
        schema: include_str!("../schemas/cohere-embed.json"),
        rules: cohere_embed::cohere,
    },
    Registered {
        id: "amazon-titan-embed",
        schema: include_str!("../schemas/amazon-titan-embed.json"),
        rules: titan_embed::titan_embed,
    },
    Registered {
        id: "converse",
        schema: include_str!("../schemas/converse.json"),
        rules: converse::converse,
    },
];

/// The rules of `family` for a body sent to `model`. Values of the wrong type are left to the
/// schema's findings; a rule only speaks about values it can read.
pub fn check(family: &str, model: &str, body: &Value) -> Vec<RuleFinding> {
    let Some(b) = body.as_object() else {
        return Vec::new();
    };
    let model = crate::knowledge::models::base_model_id(model).to_ascii_lowercase();
    REGISTRY
        .iter()
        .find(|r| r.id == family)
        .map_or_else(Vec::new, |r| (r.rules)(&model, b))
}

fn sizes(list: &[(i64, i64)]) -> String {
    list.iter()
        .map(|(w, h)| format!("{w}x{h}"))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---- shared conversation rules --------------------------------------------------------------

/// First turn from the user; no two turns of the same role in a row.
fn roles(
    messages: Option<&Value>,
    first_id: &'static str,
    alt_id: &'static str,
) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    let Some(msgs) = messages.and_then(Value::as_array) else {
        return out;
    };
    let roles: Vec<Option<&str>> = msgs
        .iter()
        .map(|m| m.get("role").and_then(Value::as_str))
        .collect();
    if roles.first() == Some(&Some("assistant")) {
        out.push(finding(
            first_id,
            "/messages/0/role",
            "the conversation must start with a user turn",
        ));
    }
    for i in 1..roles.len() {
        if let (Some(prev), Some(cur)) = (roles[i - 1], roles[i]) {
            if cur == prev && (cur == "user" || cur == "assistant") {
                out.push(finding(
                    alt_id,
                    format!("/messages/{i}/role"),
                    format!(
                        "two `{cur}` turns in a row: roles must alternate; merge turns {} and {i}",
                        i - 1
                    ),
                ));
            }
        }
    }
    out
}

/// A tool block of a message, with the id that pairs calls and results.
enum ToolBlock {
    Use(Option<String>),
    Result(Option<String>),
}

/// Tool results must answer the tool calls of the assistant turn right before them; `blocks`
/// reads one message's tool blocks in the API's own shape.
fn tool_pairs(
    messages: Option<&Value>,
    rule: &'static str,
    blocks: fn(&Value) -> Vec<ToolBlock>,
) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    let Some(msgs) = messages.and_then(Value::as_array) else {
        return out;
    };
    let mut pending: Vec<String> = Vec::new();
    let mut pending_from: Option<usize> = None;
    for (i, m) in msgs.iter().enumerate() {
        let role = m.get("role").and_then(Value::as_str);
        let found = blocks(m);
        match role {
            Some("assistant") => {
                if let (Some(from), false) = (pending_from, pending.is_empty()) {
                    out.push(finding(
                        rule,
                        format!("/messages/{from}"),
                        format!(
                            "tool call {} is never answered by a tool result",
                            pending.join(", ")
                        ),
                    ));
                }
                pending = found
                    .into_iter()
                    .filter_map(|b| match b {
                        ToolBlock::Use(id) => id,
                        ToolBlock::Result(_) => None,
                    })
                    .collect();
                pending_from = Some(i);
            }
            Some("user") => {
                for block in &found {
                    let ToolBlock::Result(id) = block else {
                        continue;
                    };
                    match id {
                        Some(id) if pending.contains(id) => pending.retain(|p| p != id),
                        Some(id) => out.push(finding(
                            rule,
                            format!("/messages/{i}"),
                            format!("tool result for `{id}` answers no tool call of the assistant turn before it"),
                        )),
                        None => {}
                    }
                }
                if let (Some(from), false) = (pending_from, pending.is_empty()) {
                    out.push(finding(
                        rule,
                        format!("/messages/{from}"),
                        format!(
                            "tool call {} must be answered by a tool result in the next user turn",
                            pending.join(", ")
                        ),
                    ));
                }
                pending.clear();
                pending_from = None;
            }
            _ => {}
        }
    }
    out
}

fn content_blocks(m: &Value) -> impl Iterator<Item = &Value> {
    m.get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn id_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(String::from)
}

fn anthropic_blocks(m: &Value) -> Vec<ToolBlock> {
    content_blocks(m)
        .filter_map(|b| match b.get("type").and_then(Value::as_str) {
            Some("tool_use") => Some(ToolBlock::Use(id_of(b, "id"))),
            Some("tool_result") => Some(ToolBlock::Result(id_of(b, "tool_use_id"))),
            _ => None,
        })
        .collect()
}

fn converse_blocks(m: &Value) -> Vec<ToolBlock> {
    content_blocks(m)
        .filter_map(|b| {
            if let Some(u) = b.get("toolUse") {
                return Some(ToolBlock::Use(id_of(u, "toolUseId")));
            }
            b.get("toolResult")
                .map(|r| ToolBlock::Result(id_of(r, "toolUseId")))
        })
        .collect()
}

fn has_tool_blocks(messages: Option<&Value>) -> bool {
    messages
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(content_blocks)
        .any(|b| b.get("toolUse").is_some() || b.get("toolResult").is_some())
}

/// Advisories of a body: beta flags AWS's table does not list, wherever the body sends them.
pub fn advisories(family: &str, model: &str, body: &Value) -> Vec<RuleFinding> {
    let model = crate::knowledge::models::base_model_id(model).to_ascii_lowercase();
    match family {
        "anthropic-messages" => beta_flags(&model, body).1,
        "converse" => body
            .as_object()
            .map(|b| converse::additional_fields_beta_flags(&model, b).1)
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids(f: &[RuleFinding]) -> Vec<(&str, &str)> {
        f.iter().map(|f| (f.path.as_str(), f.rule)).collect()
    }

    #[test]
    fn sdxl_dimensions_and_schedule() {
        let f = check(
            "stability-sdxl-v1",
            "stability.stable-diffusion-xl-v1",
            &json!({"text_prompts": [{"text": "x"}], "width": 1024, "height": 768}),
        );
        assert_eq!(ids(&f), vec![("/width", "sdxl-allowed-dimensions")]);
        let f = check(
            "stability-sdxl-v1",
            "stability.stable-diffusion-xl-v1",
            &json!({"text_prompts": [{"text": "x", "weight": -1}], "init_image": "AA==", "width": 1024, "init_image_mode": "STEP_SCHEDULE", "image_strength": 0.3}),
        );
        assert_eq!(
            ids(&f),
            vec![
                ("/width", "sdxl-img2img-no-size"),
                ("/image_strength", "sdxl-strength-vs-schedule"),
                ("/text_prompts", "sdxl-positive-prompt")
            ]
        );
    }

    #[test]
    fn tool_results_must_answer_calls() {
        let body = json!({"messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "t", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "b", "content": "x"}]}
        ], "max_tokens": 10, "anthropic_version": "bedrock-2023-05-31"});
        let f = check(
            "anthropic-messages",
            "anthropic.claude-3-haiku-20240307-v1:0",
            &body,
        );
        assert_eq!(
            ids(&f),
            vec![
                ("/messages/2", "anthropic-tool-result-matches-use"),
                ("/messages/1", "anthropic-tool-result-matches-use")
            ]
        );
    }

    #[test]
    fn anthropic_limits_by_model() {
        let body = json!({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 10000, "temperature": 0.5, "top_p": 0.9});
        let f = check(
            "anthropic-messages",
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            &body,
        );
        assert_eq!(ids(&f), vec![("/top_p", "anthropic-temperature-or-top-p")]);
        let f = check(
            "anthropic-messages",
            "anthropic.claude-3-haiku-20240307-v1:0",
            &body,
        );
        assert_eq!(
            ids(&f),
            vec![("/max_tokens", "anthropic-max-tokens-model-limit")]
        );
    }

    #[test]
    fn converse_max_tokens_is_held_to_the_claude_limit() {
        let body = |max: i64| json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}], "inferenceConfig": {"maxTokens": max}});
        let f = check(
            "converse",
            "us.anthropic.claude-sonnet-4-6",
            &body(99_999_999),
        );
        assert_eq!(
            ids(&f),
            vec![(
                "/inferenceConfig/maxTokens",
                "converse-max-tokens-model-limit"
            )]
        );
        assert!(check("converse", "us.anthropic.claude-sonnet-4-6", &body(128_000)).is_empty());
        // Not a Claude model: no table to hold it to.
        assert!(check("converse", "amazon.nova-lite-v1:0", &body(99_999_999)).is_empty());
    }

    #[test]
    fn converse_documents() {
        let body = json!({"messages": [{"role": "user", "content": [{"document": {"name": "report.pdf", "format": "pdf", "source": {"bytes": "AA=="}}}]}]});
        let f = check("converse", "x", &body);
        assert_eq!(
            ids(&f),
            vec![
                (
                    "/messages/0/content/0/document/name",
                    "converse-document-name"
                ),
                ("/messages/0/content", "converse-document-needs-text")
            ]
        );
    }

    #[test]
    fn non_objects_have_no_rules() {
        assert!(check("converse", "x", &json!([1, 2])).is_empty());
    }

    /// Every rule id the code can report has its line in rules.md (rule, source, error text).
    #[test]
    fn every_rule_is_documented() {
        let doc = include_str!("../rules.md");
        let code = [
            include_str!("mod.rs"),
            include_str!("stability.rs"),
            include_str!("amazon_image.rs"),
            include_str!("anthropic.rs"),
            include_str!("titan_text.rs"),
            include_str!("nova_text.rs"),
            include_str!("meta_llama.rs"),
            include_str!("mistral.rs"),
            include_str!("cohere_embed.rs"),
            include_str!("titan_embed.rs"),
            include_str!("converse.rs"),
            include_str!("prompt_cache.rs"),
            include_str!("structured_output.rs"),
        ]
        .concat();
        // A rule id is the first argument of finding(...), the third of place(...).
        let ids = regex::Regex::new(
            r#"(?s)(?:finding\(\s*|place\(\s*[a-z]+,\s*[^;]*?,\s*)"([a-z0-9]+(?:-[a-z0-9]+)+)""#,
        )
        .unwrap();
        let mut n = 0;
        for id in ids.captures_iter(&code).map(|c| c[1].to_string()) {
            n += 1;
            assert!(
                doc.contains(&format!(" | {id} | ")),
                "{id} is not in rules.md"
            );
        }
        assert!(n > 40, "found only {n} rule ids");
    }
}
