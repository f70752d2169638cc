//! Amazon Nova understanding models (native InvokeModel body).

use super::*;

pub(super) fn nova_text(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
    let messages = b.get("messages");
    let mut out = roles(
        messages,
        "nova-first-message-user",
        "nova-alternating-roles",
    );
    if let Some(ic) = b.get("inferenceConfig").and_then(Value::as_object) {
        let pairs = [
            ("maxTokens", "max_new_tokens"),
            ("topP", "top_p"),
            ("topK", "top_k"),
        ];
        let both: Vec<String> = pairs
            .iter()
            .filter(|(a, c)| ic.contains_key(*a) && ic.contains_key(*c))
            .map(|(a, c)| format!("{a}/{c}"))
            .collect();
        if !both.is_empty() {
            out.push(finding(
                "nova-inference-alias-conflict",
                "/inferenceConfig",
                format!(
                    "set each setting once: {} are two names for the same thing",
                    both.join(", ")
                ),
            ));
        }
        if ic.contains_key("reasoningConfig") && !model.contains("nova-2") {
            out.push(finding(
                "nova-reasoning-nova2-only",
                "/inferenceConfig/reasoningConfig",
                "reasoningConfig is for Nova 2 models only",
            ));
        }
    }
    if model.contains("nova-micro") {
        for (i, m) in messages
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            for (j, blk) in content_blocks(m).enumerate() {
                for k in ["image", "video", "audio"] {
                    if blk.get(k).is_some() {
                        out.push(finding(
                            "nova-micro-text-only",
                            format!("/messages/{i}/content/{j}/{k}"),
                            format!("Nova Micro accepts text only; use Nova Lite or Pro for {k}"),
                        ));
                    }
                }
            }
        }
    }
    if has_tool_blocks(messages) && !b.contains_key("toolConfig") {
        out.push(finding(
            "nova-tool-blocks-need-tool-config",
            "/toolConfig",
            "messages contain toolUse/toolResult blocks, so toolConfig must define the tools",
        ));
    }
    out
}
