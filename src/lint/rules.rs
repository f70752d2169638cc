//! The cross-field rules a JSON Schema cannot say (src/lint/rules.md, the lines without
//! `[schema]`). Each rule names its id from rules.md and anchors at the JSON path the problem is
//! best fixed at.

use crate::causes::Cause;
use serde_json::{Map, Value};

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

/// The rules of `family` for a body sent to `model`. Values of the wrong type are left to the
/// schema's findings; a rule only speaks about values it can read.
pub fn check(family: &str, model: &str, body: &Value) -> Vec<RuleFinding> {
    let Some(b) = body.as_object() else {
        return Vec::new();
    };
    let model = crate::knowledge::models::base_model_id(model).to_ascii_lowercase();
    match family {
        "stability-sdxl-v1" => sdxl(b),
        "stability-image" => stability_image(&model, b),
        "amazon-image" => amazon_image(&model, b),
        "anthropic-messages" => anthropic(&model, b),
        "amazon-titan-text" => titan_text(&model, b),
        "amazon-nova-text" => nova_text(&model, b),
        "meta-llama" => llama(&model, b),
        "mistral" => mistral(&model, b),
        "cohere-embed" => cohere(&model, b),
        "amazon-titan-embed" => titan_embed(&model, b),
        "converse" => converse(&model, b),
        _ => Vec::new(),
    }
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

// ---- Stability ------------------------------------------------------------------------------

const SDXL_SIZES: &[(i64, i64)] = &[
    (1024, 1024),
    (1152, 896),
    (1216, 832),
    (1344, 768),
    (1536, 640),
    (640, 1536),
    (768, 1344),
    (832, 1216),
    (896, 1152),
];

fn sizes(list: &[(i64, i64)]) -> String {
    list.iter()
        .map(|(w, h)| format!("{w}x{h}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn sdxl(b: &Map<String, Value>) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    let (w, h) = (b.get("width"), b.get("height"));
    let img2img = b.contains_key("init_image");
    if (w.is_some() || h.is_some()) && !img2img {
        let ww = w.map_or(Some(1024), Value::as_i64);
        let hh = h.map_or(Some(1024), Value::as_i64);
        if let (Some(ww), Some(hh)) = (ww, hh) {
            if !SDXL_SIZES.contains(&(ww, hh)) {
                out.push(finding(
                    "sdxl-allowed-dimensions",
                    if w.is_some() { "/width" } else { "/height" },
                    format!(
                        "{ww}x{hh} is not an SDXL size; width x height must be one of {}",
                        sizes(SDXL_SIZES)
                    ),
                ));
            }
        }
    }
    if img2img {
        for k in ["width", "height"] {
            if b.contains_key(k) {
                out.push(finding(
                    "sdxl-img2img-no-size",
                    format!("/{k}"),
                    format!("with init_image the output has the size of init_image: remove `{k}`"),
                ));
            }
        }
        let mode = b
            .get("init_image_mode")
            .and_then(Value::as_str)
            .unwrap_or("IMAGE_STRENGTH");
        if mode == "STEP_SCHEDULE" && b.contains_key("image_strength") {
            out.push(finding(
                "sdxl-strength-vs-schedule",
                "/image_strength",
                "image_strength is ignored with init_image_mode STEP_SCHEDULE; use step_schedule_start/end, or mode IMAGE_STRENGTH",
            ));
        }
        if mode == "IMAGE_STRENGTH" {
            for k in ["step_schedule_start", "step_schedule_end"] {
                if b.contains_key(k) {
                    out.push(finding(
                        "sdxl-strength-vs-schedule",
                        format!("/{k}"),
                        format!("`{k}` needs init_image_mode STEP_SCHEDULE; with IMAGE_STRENGTH (the default) use image_strength"),
                    ));
                }
            }
        }
    }
    if let Some(prompts) = b.get("text_prompts").and_then(Value::as_array) {
        let weights: Vec<Option<f64>> = prompts
            .iter()
            .map(|p| match p.get("weight") {
                None => Some(1.0),
                Some(w) => w.as_f64(),
            })
            .collect();
        let readable = weights.iter().all(Option::is_some);
        if readable && !prompts.is_empty() && weights.iter().flatten().all(|w| *w <= 0.0) {
            out.push(finding(
                "sdxl-positive-prompt",
                "/text_prompts",
                "every prompt has a negative or zero weight: add one with a positive weight (negative prompts only steer away)",
            ));
        }
    }
    out
}

fn stability_image(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    let i2i = b.get("mode").and_then(Value::as_str) == Some("image-to-image");
    if i2i && b.contains_key("aspect_ratio") {
        out.push(finding(
            "stability-aspect-ratio-text-only",
            "/aspect_ratio",
            "aspect_ratio only applies to text-to-image; in image-to-image the output follows the input image",
        ));
    }
    if !i2i {
        for k in ["image", "strength"] {
            if b.contains_key(k) {
                out.push(finding(
                    "stability-image-needs-img2img-mode",
                    format!("/{k}"),
                    format!("`{k}` is only used with \"mode\": \"image-to-image\" (the default mode is text-to-image)"),
                ));
            }
        }
    }
    if model.contains("stable-image-core") && (i2i || b.contains_key("image")) {
        out.push(finding(
            "stability-core-text-to-image-only",
            if i2i { "/mode" } else { "/image" },
            "Stable Image Core is text-to-image only; use Stable Image Ultra or SD3.5 Large for image-to-image",
        ));
    }
    out
}

// ---- Amazon Titan Image Generator and Nova Canvas --------------------------------------------

const TASK_PARAMS: &[(&str, &str)] = &[
    ("TEXT_IMAGE", "textToImageParams"),
    ("INPAINTING", "inPaintingParams"),
    ("OUTPAINTING", "outPaintingParams"),
    ("IMAGE_VARIATION", "imageVariationParams"),
    ("COLOR_GUIDED_GENERATION", "colorGuidedGenerationParams"),
    ("BACKGROUND_REMOVAL", "backgroundRemovalParams"),
    ("VIRTUAL_TRY_ON", "virtualTryOnParams"),
];

const TITAN_SIZES: &[(i64, i64)] = &[
    (1024, 1024),
    (768, 768),
    (512, 512),
    (768, 1152),
    (384, 576),
    (1152, 768),
    (576, 384),
    (768, 1280),
    (384, 640),
    (1280, 768),
    (640, 384),
    (896, 1152),
    (448, 576),
    (1152, 896),
    (576, 448),
    (768, 1408),
    (384, 704),
    (1408, 768),
    (704, 384),
    (640, 1408),
    (320, 704),
    (1408, 640),
    (704, 320),
    (1152, 640),
    (1173, 640),
];

fn amazon_image(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    let task = b.get("taskType").and_then(Value::as_str);
    let wanted = task.and_then(|t| TASK_PARAMS.iter().find(|(k, _)| *k == t).map(|(_, p)| *p));
    for (_, p) in TASK_PARAMS {
        if b.contains_key(*p) && Some(*p) != wanted {
            out.push(finding(
                "titan-image-single-params-object",
                format!("/{p}"),
                format!(
                    "`{p}` does not belong to taskType {}; send only {}",
                    task.unwrap_or("(none)"),
                    wanted.map_or(
                        "the parameters object of the task".to_string(),
                        |w| format!("`{w}`")
                    )
                ),
            ));
        }
    }
    for p in ["inPaintingParams", "outPaintingParams"] {
        if let Some(params) = b.get(p).and_then(Value::as_object) {
            if params.contains_key("maskPrompt") == params.contains_key("maskImage") {
                out.push(finding(
                    "titan-image-mask-one-of",
                    format!("/{p}"),
                    "give exactly one of maskPrompt or maskImage",
                ));
            }
        }
    }
    let cfg = b.get("imageGenerationConfig").and_then(Value::as_object);
    let w = cfg.and_then(|c| c.get("width"));
    let h = cfg.and_then(|c| c.get("height"));
    let nova = model.contains("nova-canvas");
    let titan = model.contains("titan-image");
    if nova {
        for (k, v) in [("width", w), ("height", h)] {
            if let Some(v) = int(v) {
                if v % 16 != 0 || !(320..=4096).contains(&v) {
                    out.push(finding(
                        "nova-canvas-dimensions",
                        format!("/imageGenerationConfig/{k}"),
                        format!("Nova Canvas needs {k} between 320 and 4096 and divisible by 16 (got {v})"),
                    ));
                }
            }
        }
        if let (Some(ww), Some(hh)) = (int(w), int(h)) {
            if ww * hh > 4_194_304 || ww.max(hh) > 4 * ww.min(hh) {
                out.push(finding(
                    "nova-canvas-dimensions",
                    "/imageGenerationConfig/width",
                    format!("{ww}x{hh}: Nova Canvas allows at most 4,194,304 pixels and an aspect ratio between 1:4 and 4:1"),
                ));
            }
        }
        if let Some(seed) = int(cfg.and_then(|c| c.get("seed"))) {
            if seed > 858_993_459 {
                out.push(finding(
                    "nova-canvas-seed-range",
                    "/imageGenerationConfig/seed",
                    format!("Nova Canvas takes seeds 0 to 858,993,459 (got {seed})"),
                ));
            }
        }
    }
    if titan {
        if w.is_some() || h.is_some() {
            let ww = w.map_or(Some(1024), Value::as_i64);
            let hh = h.map_or(Some(1024), Value::as_i64);
            if let (Some(ww), Some(hh)) = (ww, hh) {
                if !TITAN_SIZES.contains(&(ww, hh)) {
                    out.push(finding(
                        "titan-image-dimensions",
                        "/imageGenerationConfig/width",
                        format!(
                            "{ww}x{hh} is not a Titan Image Generator size; use one of {}",
                            sizes(TITAN_SIZES)
                        ),
                    ));
                }
            }
        }
        for (_, p) in TASK_PARAMS {
            let Some(params) = b.get(*p).and_then(Value::as_object) else {
                continue;
            };
            for k in ["text", "negativeText"] {
                if let Some(s) = params.get(k).and_then(Value::as_str) {
                    let n = s.chars().count();
                    if n > 512 {
                        let mut f = finding(
                            "titan-image-text-512",
                            format!("/{p}/{k}"),
                            format!("Titan Image Generator takes at most 512 characters in `{k}` (got {n}; Nova Canvas allows 1024)"),
                        );
                        f.cause = Cause::InputTooLong;
                        out.push(f);
                    }
                }
            }
        }
        let t2i = b.get("textToImageParams").and_then(Value::as_object);
        if t2i.is_some_and(|t| t.contains_key("style")) {
            out.push(finding(
                "nova-canvas-only-features",
                "/textToImageParams/style",
                "`style` is a Nova Canvas feature; Titan Image Generator does not accept it",
            ));
        }
        if task == Some("VIRTUAL_TRY_ON") {
            out.push(finding(
                "nova-canvas-only-features",
                "/taskType",
                "VIRTUAL_TRY_ON is a Nova Canvas task",
            ));
        }
        if model.contains("titan-image-generator-v1") {
            let v1_tasks = ["TEXT_IMAGE", "INPAINTING", "OUTPAINTING", "IMAGE_VARIATION"];
            if let Some(t) = task.filter(|t| !v1_tasks.contains(t)) {
                out.push(finding(
                    "titan-image-v1-tasks",
                    "/taskType",
                    format!("Titan Image Generator v1 does not support {t}; use amazon.titan-image-generator-v2:0 or Nova Canvas"),
                ));
            }
            for k in ["conditionImage", "controlMode", "controlStrength"] {
                if t2i.is_some_and(|t| t.contains_key(k)) {
                    out.push(finding(
                        "titan-image-v1-tasks",
                        format!("/textToImageParams/{k}"),
                        format!("`{k}` (image conditioning) needs Titan Image Generator v2"),
                    ));
                }
            }
        }
    }
    if task == Some("BACKGROUND_REMOVAL") && cfg.is_some() {
        out.push(finding(
            "titan-image-background-removal-no-config",
            "/imageGenerationConfig",
            "BACKGROUND_REMOVAL takes no imageGenerationConfig: the output keeps the input's size",
        ));
    }
    out
}

// ---- Anthropic Messages ----------------------------------------------------------------------

/// Output-token limits per model (rules.md anthropic-max-tokens-model-limit).
/// Output limits (max_tokens). AWS model cards (model-card-anthropic-claude-*.html): Claude 3
/// Haiku 4K, Haiku 4.5 64K, Opus 4.1 32K, Opus 4.6 and 4.7 128K; the others from the same cards
/// of earlier years or, where AWS has no card text, Anthropic's model pages (Opus 4.5 64K,
/// Sonnet 4.6 128K).
const CLAUDE_MAX_TOKENS: &[(&str, i64)] = &[
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

/// The anthropic_beta flags of AWS's table (model-parameters-anthropic-claude-messages-request-
/// response.html, early 2026) with the first Claude generation each is listed for: 37 is
/// Claude 3.7, 40 Claude 4, 45 Claude 4.5.
const BETA_FLAGS: &[(&str, u32)] = &[
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
        let major: u32 = parts.next()?.parse().ok()?;
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
const CLAUDE_ONE_SAMPLER: &[&str] = &[
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
    "claude-opus-4-1",
    "claude-opus-4-5",
    "claude-opus-4-6",
    "claude-sonnet-4-6",
];

fn anthropic(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
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
        let beta_128k = b
            .get("anthropic_beta")
            .and_then(Value::as_array)
            .is_some_and(|a| {
                a.iter()
                    .any(|v| v.as_str().is_some_and(|s| s.starts_with("output-128k")))
            });
        let limit = CLAUDE_MAX_TOKENS
            .iter()
            .find(|(name, _)| model.contains(name))
            .map(|(name, limit)| {
                if *name == "claude-3-7-sonnet" && beta_128k {
                    128_000
                } else {
                    *limit
                }
            });
        if let Some(limit) = limit.filter(|l| max > *l) {
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

// ---- Amazon Titan Text and Nova --------------------------------------------------------------

fn titan_text(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
    let limit = if model.contains("lite") {
        4096
    } else if model.contains("premier") {
        3072
    } else {
        8192
    };
    let mtc = int(b
        .get("textGenerationConfig")
        .and_then(|c| c.get("maxTokenCount")));
    match mtc {
        Some(n) if n > limit => vec![finding(
            "titan-text-max-token-count",
            "/textGenerationConfig/maxTokenCount",
            format!("maxTokenCount {n} is above this model's limit of {limit}"),
        )],
        _ => Vec::new(),
    }
}

fn nova_text(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
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

// ---- Meta Llama, Mistral ---------------------------------------------------------------------

fn llama(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    let vision = ["llama3-2-11b", "llama3-2-90b", "llama4"]
        .iter()
        .any(|m| model.contains(m));
    if b.contains_key("images") && !vision {
        out.push(finding(
            "llama-images-vision-only",
            "/images",
            "only Llama 3.2 11B/90B Instruct and Llama 4 accept images",
        ));
    }
    if let (Some(images), Some(prompt)) = (
        b.get("images").and_then(Value::as_array),
        b.get("prompt").and_then(Value::as_str),
    ) {
        let tokens = prompt.matches("<|image|>").count();
        if vision && tokens != images.len() {
            out.push(finding(
                "llama-image-tokens-match",
                "/prompt",
                format!(
                    "the prompt has {tokens} <|image|> token(s) for {} image(s)",
                    images.len()
                ),
            ));
        }
    }
    out
}

fn mistral(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
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

// ---- Embeddings ------------------------------------------------------------------------------

fn cohere(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    let kinds = ["texts", "images", "inputs"];
    let given = kinds.iter().filter(|k| b.contains_key(**k)).count();
    if given != 1 {
        out.push(finding(
            "cohere-single-input-kind",
            "",
            format!("send exactly one of texts, images or inputs (found {given})"),
        ));
    }
    let v4 = model.contains("embed-v4");
    let truncate = b.get("truncate").and_then(Value::as_str);
    if !v4 {
        for k in ["inputs", "output_dimension", "max_tokens"] {
            if b.contains_key(k) {
                out.push(finding(
                    "cohere-v4-only-fields",
                    format!("/{k}"),
                    format!("`{k}` is an Embed v4 field (cohere.embed-v4:0); Embed v3 rejects it"),
                ));
            }
        }
        if matches!(truncate, Some("LEFT" | "RIGHT")) {
            out.push(finding(
                "cohere-truncate-by-version",
                "/truncate",
                "Embed v3 truncates with NONE, START or END (LEFT/RIGHT are Embed v4's names)",
            ));
        }
        if let Some(images) = b.get("images").and_then(Value::as_array) {
            let input_type = b.get("input_type").and_then(Value::as_str);
            if images.len() > 1 {
                out.push(finding(
                    "cohere-v3-one-image",
                    "/images",
                    "Embed v3 embeds one image per request",
                ));
            }
            if input_type.is_some_and(|t| t != "image") {
                out.push(finding(
                    "cohere-v3-one-image",
                    "/input_type",
                    "with images, Embed v3 needs \"input_type\": \"image\"",
                ));
            }
        }
        for (i, t) in b
            .get("texts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(n) = t.as_str().map(|s| s.chars().count()).filter(|n| *n > 2048) {
                let mut f = finding(
                    "cohere-v3-text-length",
                    format!("/texts/{i}"),
                    format!("Embed v3 takes at most 2048 characters per text (got {n})"),
                );
                f.cause = Cause::InputTooLong;
                out.push(f);
            }
        }
    } else {
        if matches!(truncate, Some("START" | "END")) {
            out.push(finding(
                "cohere-truncate-by-version",
                "/truncate",
                "Embed v4 truncates with NONE, LEFT or RIGHT (START/END are Embed v3's names)",
            ));
        }
        if b.get("input_type").and_then(Value::as_str) == Some("image") {
            out.push(finding(
                "cohere-v4-no-image-input-type",
                "/input_type",
                "Embed v4 has no input_type image: use search_document, search_query, classification or clustering",
            ));
        }
    }
    out
}

fn titan_embed(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    if model.contains("titan-embed-text-v1") || model.contains("titan-embed-g1-text-02") {
        for k in b.keys().filter(|k| *k != "inputText") {
            out.push(finding(
                "titan-embed-v1-input-text-only",
                format!("/{}", escape(k)),
                format!("Titan Text Embeddings G1 accepts only inputText; `{k}` needs amazon.titan-embed-text-v2:0"),
            ));
        }
    } else if model.contains("titan-embed-text-v2") {
        for k in ["inputImage", "embeddingConfig"] {
            if b.contains_key(k) {
                out.push(finding(
                    "titan-embed-v2-text-only",
                    format!("/{k}"),
                    format!("Titan Text Embeddings V2 embeds text only; `{k}` is for amazon.titan-embed-image-v1"),
                ));
            }
        }
    } else if model.contains("titan-embed-image-v1") {
        for k in ["dimensions", "normalize", "embeddingTypes"] {
            if b.contains_key(k) {
                out.push(finding(
                    "titan-embed-mm-fields",
                    format!("/{k}"),
                    format!("Titan Multimodal Embeddings takes embeddingConfig.outputEmbeddingLength, not `{k}`"),
                ));
            }
        }
    }
    out
}

// ---- Converse --------------------------------------------------------------------------------

fn converse(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
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
    out.extend(super::prompt_cache::check(
        model,
        &super::prompt_cache::converse_points(b),
    ));
    out.extend(super::structured_output::converse(b));
    if let Some(fields) = b.get("additionalModelRequestFields") {
        out.extend(beta_flags(model, fields).0.into_iter().map(|mut f| {
            f.path = format!("/additionalModelRequestFields{}", f.path);
            f
        }));
    }
    out
}

/// Advisories of a body: beta flags AWS's table does not list, wherever the body sends them.
pub fn advisories(family: &str, model: &str, body: &Value) -> Vec<RuleFinding> {
    let model = crate::knowledge::models::base_model_id(model).to_ascii_lowercase();
    match family {
        "anthropic-messages" => beta_flags(&model, body).1,
        "converse" => body
            .get("additionalModelRequestFields")
            .map(|fields| beta_flags(&model, fields).1)
            .unwrap_or_default()
            .into_iter()
            .map(|mut f| {
                f.path = format!("/additionalModelRequestFields{}", f.path);
                f
            })
            .collect(),
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
        let doc = include_str!("rules.md");
        let code = [
            include_str!("rules.rs"),
            include_str!("prompt_cache.rs"),
            include_str!("structured_output.rs"),
        ]
        .concat();
        let ids = regex::Regex::new(r#"(?s)finding\(\s*"([a-z0-9-]+)""#).unwrap();
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
