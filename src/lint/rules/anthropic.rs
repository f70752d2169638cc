//! Anthropic Claude, Messages API bodies on InvokeModel.

use super::*;

/// Output-token limits per model (rules.md anthropic-max-tokens-model-limit).
/// Output limits (max_tokens). AWS model cards (model-card-anthropic-claude-*.html): Claude 3
/// Haiku 4K, Haiku 4.5 64K, Opus 4.1 32K, Opus 4.6 and 4.7 128K; the others from the same cards
/// of earlier years or, where AWS has no card text, Anthropic's model pages (Opus 4.5 64K,
/// Sonnet 4.6 128K).
pub(super) const CLAUDE_MAX_TOKENS: &[(&str, i64)] = &[
    ("claude-3-haiku", 4096),
    ("claude-3-sonnet", 4096),
    ("claude-3-opus", 4096),
    ("claude-3-5-sonnet", 8192),
    ("claude-3-5-haiku", 8192),
    ("claude-3-7-sonnet", 64000),
    ("claude-sonnet-4-5", 64000),
    ("claude-sonnet-4-2", 64000),
    ("claude-opus-4-1", 32000),
    ("claude-opus-4-2", 32000),
    ("claude-haiku-4-5", 64000),
    ("claude-opus-4-5", 64000),
    ("claude-opus-4-6", 128000),
    ("claude-opus-4-7", 128000),
    ("claude-sonnet-4-6", 128000),
];

/// The most output tokens a Claude model may be asked for (max_tokens, or Converse's
/// inferenceConfig.maxTokens), given the request's anthropic_beta list: Claude 3.7 Sonnet
/// goes to 128K with the output-128k beta.
pub(super) fn claude_output_limit(model: &str, anthropic_beta: Option<&Value>) -> Option<i64> {
    let beta_128k = anthropic_beta.and_then(Value::as_array).is_some_and(|a| {
        a.iter()
            .any(|v| v.as_str().is_some_and(|s| s.starts_with("output-128k")))
    });
    CLAUDE_MAX_TOKENS
        .iter()
        .find(|(name, _)| model.contains(name))
        .map(|(name, limit)| {
            if *name == "claude-3-7-sonnet" && beta_128k {
                128_000
            } else {
                *limit
            }
        })
}

/// The anthropic_beta flags of AWS's table (model-parameters-anthropic-claude-messages-request-
/// response.html, early 2026) with the first Claude generation each is listed for: 37 is
/// Claude 3.7, 40 Claude 4, 45 Claude 4.5.
pub(super) const BETA_FLAGS: &[(&str, u32)] = &[
    ("computer-use-2025-01-24", 37),
    ("token-efficient-tools-2025-02-19", 37),
    ("interleaved-thinking-2025-05-14", 40),
    ("output-128k-2025-02-19", 37),
    ("dev-full-thinking-2025-05-14", 40),
    ("context-1m-2025-08-07", 40),
    ("context-management-2025-06-27", 45),
    ("effort-2025-11-24", 45),
    ("tool-search-tool-2025-10-19", 45),
    ("tool-examples-2025-10-29", 45),
];

/// The Claude generation of a base model id (30 for Claude 3, 35 for 3.5, 41 for Opus 4.1...);
/// None when the id does not say.
pub fn claude_generation(model: &str) -> Option<u32> {
    let rest = model.strip_prefix("anthropic.claude-")?;
    let digits = |s: &str| -> Option<u32> {
        let mut parts = s.split('-');
        let major: u32 = parts.next().filter(|p| p.len() <= 2)?.parse().ok()?;
        let minor = parts
            .next()
            .filter(|p| p.len() == 1)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0);
        Some(major * 10 + minor)
    };
    // anthropic.claude-3-5-sonnet-... and anthropic.claude-sonnet-4-5-...
    digits(rest).or_else(|| digits(rest.split_once('-')?.1))
}

/// Flags the model predates (an error) and flags AWS's table does not list (an advisory: the
/// table may be older than the flag; Bedrock answers "invalid beta flag" for flags it refuses).
pub fn beta_flags(model: &str, body: &Value) -> (Vec<RuleFinding>, Vec<RuleFinding>) {
    let (mut errors, mut unlisted) = (Vec::new(), Vec::new());
    let generation = claude_generation(model);
    let flags = body.get("anthropic_beta").and_then(Value::as_array);
    for (i, flag) in flags.into_iter().flatten().enumerate() {
        let Some(name) = flag.as_str() else { continue };
        let path = format!("/anthropic_beta/{i}");
        match BETA_FLAGS.iter().find(|(f, _)| f.eq_ignore_ascii_case(name)) {
            Some((_, first)) if generation.is_some_and(|g| g < *first) => errors.push(finding(
                "anthropic-beta-supported",
                path,
                format!("`{name}` is listed by AWS for Claude {}.{} and later, not for {model}: Bedrock answers \"invalid beta flag\"", first / 10, first % 10),
            )),
            Some(_) => {}
            None => unlisted.push(finding(
                "anthropic-beta-unlisted",
                path,
                format!("`{name}` is not in AWS's list of Bedrock beta flags (flags of Anthropic's own API, such as claude-code-* or prompt-caching-*, are refused with \"invalid beta flag\"); check the model card"),
            )),
        }
    }
    (errors, unlisted)
}

/// Models that take temperature or top_p but not both.
pub(super) const CLAUDE_ONE_SAMPLER: &[&str] = &[
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
    "claude-opus-4-1",
    "claude-opus-4-5",
    "claude-opus-4-6",
    "claude-sonnet-4-6",
];

pub(super) fn anthropic(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
    let messages = b.get("messages");
    let mut out = roles(
        messages,
        "anthropic-first-message-user",
        "anthropic-alternating-roles",
    );
    out.extend(tool_pairs(
        messages,
        "anthropic-tool-result-matches-use",
        anthropic_blocks,
    ));

    if let Some(last) = messages.and_then(Value::as_array).and_then(|m| m.last()) {
        if last.get("role").and_then(Value::as_str) == Some("assistant") {
            let n = messages.and_then(Value::as_array).map_or(0, |m| m.len()) - 1;
            let text = match last.get("content") {
                Some(Value::String(s)) => Some(s.as_str()),
                Some(Value::Array(blocks)) => blocks
                    .last()
                    .and_then(|blk| blk.get("text"))
                    .and_then(Value::as_str),
                _ => None,
            };
            if text.is_some_and(|t| t.ends_with(char::is_whitespace)) {
                out.push(finding(
                    "anthropic-final-assistant-no-trailing-space",
                    format!("/messages/{n}/content"),
                    "a final assistant prefill must not end with whitespace",
                ));
            }
        }
    }

    let thinking_on = b
        .get("thinking")
        .and_then(|t| t.get("type"))
        .and_then(Value::as_str)
        == Some("enabled");
    if thinking_on {
        let budget = int(b.get("thinking").and_then(|t| t.get("budget_tokens")));
        if let (Some(budget), Some(max)) = (budget, int(b.get("max_tokens"))) {
            if budget >= max {
                out.push(finding(
                    "anthropic-thinking-budget-below-max-tokens",
                    "/thinking/budget_tokens",
                    format!("budget_tokens ({budget}) must be less than max_tokens ({max})"),
                ));
            }
        }
        let temp_not_one = b
            .get("temperature")
            .and_then(Value::as_f64)
            .is_some_and(|t| t != 1.0);
        let top_p_low = b
            .get("top_p")
            .and_then(Value::as_f64)
            .is_some_and(|p| p < 0.95);
        if temp_not_one || b.contains_key("top_k") || top_p_low {
            out.push(finding(
                "anthropic-thinking-sampling",
                "/thinking",
                "with thinking enabled, temperature may only be 1, top_k must be unset and top_p at least 0.95",
            ));
        }
        let forced = b
            .get("tool_choice")
            .and_then(|t| t.get("type"))
            .and_then(Value::as_str)
            .is_some_and(|t| t == "any" || t == "tool");
        if forced {
            out.push(finding(
                "anthropic-thinking-tool-choice",
                "/tool_choice/type",
                "with thinking enabled, tool_choice must be auto or none",
            ));
        }
    }

    if let Some(max) = int(b.get("max_tokens")) {
        if let Some(limit) =
            claude_output_limit(model, b.get("anthropic_beta")).filter(|l| max > *l)
        {
            out.push(finding(
                "anthropic-max-tokens-model-limit",
                "/max_tokens",
                format!("max_tokens {max} is above this model's output limit of {limit}"),
            ));
        }
    }

    if b.contains_key("temperature")
        && b.contains_key("top_p")
        && CLAUDE_ONE_SAMPLER.iter().any(|m| model.contains(m))
    {
        out.push(finding(
            "anthropic-temperature-or-top-p",
            "/top_p",
            "this model takes temperature or top_p, not both",
        ));
    }

    for (i, m) in messages
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let empty_string = m
            .get("content")
            .and_then(Value::as_str)
            .is_some_and(|t| t.trim().is_empty());
        if empty_string {
            out.push(finding(
                "anthropic-empty-text",
                format!("/messages/{i}/content"),
                "empty content: Bedrock answers \"text content blocks must be non-empty\"",
            ));
        }
        for (j, blk) in content_blocks(m).enumerate() {
            let blank = blk.get("type").and_then(Value::as_str) == Some("text")
                && blk
                    .get("text")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.trim().is_empty());
            if blank {
                out.push(finding(
                    "anthropic-empty-text",
                    format!("/messages/{i}/content/{j}/text"),
                    "a text block that is empty or only whitespace: Bedrock answers \"text content blocks must be non-empty\"",
                ));
            }
        }
    }
    out.extend(super::prompt_cache::check(
        model,
        &super::prompt_cache::anthropic_points(b),
    ));
    out.extend(super::structured_output::anthropic(model, b));
    out.extend(beta_flags(model, &Value::Object(b.clone())).0);

    if b.contains_key("prompt") && !b.contains_key("messages") {
        out.push(finding(
            "anthropic-legacy-text-completions",
            "/prompt",
            "this is a Text Completions body (prompt, max_tokens_to_sample); Claude 3 and later need the Messages body: anthropic_version, max_tokens, messages",
        ));
    }
    out
}
