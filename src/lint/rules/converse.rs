//! Converse / ConverseStream requests, for any model.

use super::*;

pub(super) fn converse(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
    let messages = b.get("messages");
    let mut out = roles(
        messages,
        "converse-first-message-user",
        "converse-alternating-roles",
    );
    if has_tool_blocks(messages) && !b.contains_key("toolConfig") {
        out.push(finding(
            "converse-tool-config-required",
            "/toolConfig",
            "messages contain toolUse/toolResult blocks, so toolConfig must define the tools",
        ));
    }
    out.extend(tool_pairs(
        messages,
        "converse-tool-result-matches-use",
        converse_blocks,
    ));

    let (mut images, mut documents) = (0usize, 0usize);
    let mut guard_content = None;
    for (i, m) in messages
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let mut has_doc = false;
        let mut has_text = false;
        for (j, blk) in content_blocks(m).enumerate() {
            if blk.get("image").is_some() {
                images += 1;
            }
            if let Some(text) = blk.get("text").and_then(Value::as_str) {
                has_text = true;
                if text.trim().is_empty() {
                    out.push(finding(
                        "converse-blank-text",
                        format!("/messages/{i}/content/{j}/text"),
                        "a text block that is empty or only whitespace: Bedrock answers \"The text field in the ContentBlock object ... is blank\"; drop the block or give it text",
                    ));
                }
            }
            let empty_result = blk
                .get("toolResult")
                .and_then(|r| r.get("content"))
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty);
            if empty_result {
                out.push(finding(
                    "converse-tool-result-content",
                    format!("/messages/{i}/content/{j}/toolResult/content"),
                    "a toolResult with no content: give it at least one block (e.g. {\"text\": \"no result\"})",
                ));
            }
            if blk.get("guardContent").is_some() && guard_content.is_none() {
                guard_content = Some(format!("/messages/{i}/content/{j}/guardContent"));
            }
            if let Some(doc) = blk.get("document") {
                has_doc = true;
                documents += 1;
                if let Some(name) = doc.get("name").and_then(Value::as_str) {
                    let allowed = name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || " -()[]".contains(c));
                    if !allowed || name.contains("  ") {
                        out.push(finding(
                            "converse-document-name",
                            format!("/messages/{i}/content/{j}/document/name"),
                            "document names may contain only letters, digits, single spaces, hyphens, parentheses and square brackets (no dots, so not a file name)",
                        ));
                    }
                }
            }
        }
        if has_doc && !has_text {
            out.push(finding(
                "converse-document-needs-text",
                format!("/messages/{i}/content"),
                "a message with a document block must also contain a text block",
            ));
        }
    }
    if let Some(path) = guard_content.filter(|_| !b.contains_key("guardrailConfig")) {
        out.push(finding(
            "converse-guard-content-needs-guardrail",
            path,
            "guardContent blocks are only evaluated with a guardrailConfig",
        ));
    }
    if images > 20 {
        out.push(finding(
            "converse-media-limits",
            "/messages",
            format!("{images} images: Converse takes at most 20 per request"),
        ));
    }
    if documents > 5 {
        out.push(finding(
            "converse-media-limits",
            "/messages",
            format!("{documents} documents: Converse takes at most 5 per request"),
        ));
    }
    let max_tokens = b
        .get("inferenceConfig")
        .and_then(|c| c.get("maxTokens"))
        .and_then(Value::as_i64);
    // Claude's beta flags reach it through additionalModelRequestFields.
    let betas = b
        .get("additionalModelRequestFields")
        .and_then(|f| f.get("anthropic_beta"));
    if let (Some(max), Some(limit)) = (
        max_tokens,
        super::anthropic::claude_output_limit(model, betas),
    ) {
        if max > limit {
            out.push(finding(
                "converse-max-tokens-model-limit",
                "/inferenceConfig/maxTokens",
                format!("maxTokens {max} is above this model's output limit of {limit}"),
            ));
        }
    }
    out.extend(super::prompt_cache::check(
        model,
        &super::prompt_cache::converse_points(b),
    ));
    out.extend(super::structured_output::converse(b));
    out.extend(additional_fields_beta_flags(model, b).0);
    out
}

/// The beta flags a Converse request passes to Claude in additionalModelRequestFields, judged
/// as the Messages body's are: (errors, advisories), with paths into the request.
pub(super) fn additional_fields_beta_flags(
    model: &str,
    b: &Map<String, Value>,
) -> (Vec<RuleFinding>, Vec<RuleFinding>) {
    let Some(fields) = b.get("additionalModelRequestFields") else {
        return (Vec::new(), Vec::new());
    };
    let at = |found: Vec<RuleFinding>| -> Vec<RuleFinding> {
        found
            .into_iter()
            .map(|mut f| {
                f.path = format!("/additionalModelRequestFields{}", f.path);
                f
            })
            .collect()
    };
    let (errors, unlisted) = beta_flags(model, fields);
    (at(errors), at(unlisted))
}
