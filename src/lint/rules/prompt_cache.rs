//! Prompt-caching checkpoints, the same rules for a Converse request (`cachePoint` blocks) and an
//! Anthropic Messages body (`cache_control` on a block). Source: the Bedrock User Guide,
//! prompt-caching.html (versions of late 2025 to late 2026) and API_runtime_CachePointBlock.html:
//! at most 4 checkpoints; `ttl` is 5m (the default) or 1h; checkpoints are read in the order
//! tools, system, messages, and a longer TTL must come before a shorter one; Nova models take
//! checkpoints in system and messages only; only the models in the page's table cache.

use super::RuleFinding;
use crate::causes::Cause;
use serde_json::{Map, Value};

/// One checkpoint, in the order Bedrock reads them.
pub struct Point {
    pub path: String,
    /// "5m" or "1h"; none is the default, 5 minutes.
    pub ttl: Option<String>,
    pub in_tools: bool,
}

impl Point {
    fn one_hour(&self) -> bool {
        self.ttl.as_deref() == Some("1h")
    }
}

const MAX_POINTS: usize = 4;

/// What the model does with a checkpoint, as far as the page says.
#[derive(Debug, PartialEq)]
enum Support {
    Yes {
        one_hour: bool,
        in_tools: bool,
    },
    No,
    /// Not in the page's table and not clearly excluded (a model newer than this build).
    Unknown,
}

fn support(model: &str) -> Support {
    if let Some(claude) = model.strip_prefix("anthropic.claude-") {
        // 5-minute only: the models cached before the 1-hour TTL existed.
        const FIVE_MINUTES: &[&str] = &[
            "3-5-haiku",
            "3-7-sonnet",
            "3-5-sonnet-20241022-v2",
            "sonnet-4-2",
            "opus-4-2",
            "opus-4-1",
        ];
        const NO_CACHE: &[&str] = &[
            "3-haiku",
            "3-sonnet",
            "3-opus",
            "3-5-sonnet-20240620",
            "v2",
            "instant",
        ];
        if FIVE_MINUTES.iter().any(|m| claude.starts_with(m)) {
            return Support::Yes {
                one_hour: false,
                in_tools: true,
            };
        }
        if NO_CACHE.iter().any(|m| claude.starts_with(m)) {
            return Support::No;
        }
        // Haiku/Sonnet/Opus 4.5 and every later Claude model take the 1-hour TTL.
        return Support::Yes {
            one_hour: true,
            in_tools: true,
        };
    }
    if ["micro", "lite", "pro", "premier"]
        .iter()
        .any(|m| model.starts_with(&format!("amazon.nova-{m}-v1")))
    {
        return Support::Yes {
            one_hour: false,
            in_tools: false,
        };
    }
    // Providers whose models the page does not list for checkpoints (users report "You invoked
    // an unsupported model or your request did not allow prompt caching" for them).
    const NOT_LISTED: &[&str] = &[
        "amazon.titan",
        "meta.",
        "mistral.",
        "cohere.",
        "ai21.",
        "deepseek.",
        "qwen.",
        "google.",
        "nvidia.",
        "moonshot",
        "zai.",
        "minimax.",
        "writer.",
    ];
    if NOT_LISTED.iter().any(|p| model.starts_with(p)) {
        return Support::No;
    }
    Support::Unknown
}

fn ttl_of(v: &Value) -> Option<String> {
    v.get("ttl").and_then(Value::as_str).map(String::from)
}

fn indexed(v: Option<&Value>) -> impl Iterator<Item = (usize, &Value)> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

/// Converse: `cachePoint` members of toolConfig.tools, system and message content.
pub fn converse_points(b: &Map<String, Value>) -> Vec<Point> {
    let mut out = Vec::new();
    let tools = b.get("toolConfig").and_then(|t| t.get("tools"));
    for (i, t) in indexed(tools) {
        if let Some(p) = t.get("cachePoint") {
            out.push(Point {
                path: format!("/toolConfig/tools/{i}/cachePoint"),
                ttl: ttl_of(p),
                in_tools: true,
            });
        }
    }
    for (i, s) in indexed(b.get("system")) {
        if let Some(p) = s.get("cachePoint") {
            out.push(Point {
                path: format!("/system/{i}/cachePoint"),
                ttl: ttl_of(p),
                in_tools: false,
            });
        }
    }
    for (i, m) in indexed(b.get("messages")) {
        for (j, c) in indexed(m.get("content")) {
            if let Some(p) = c.get("cachePoint") {
                out.push(Point {
                    path: format!("/messages/{i}/content/{j}/cachePoint"),
                    ttl: ttl_of(p),
                    in_tools: false,
                });
            }
        }
    }
    out
}

/// Anthropic Messages: `cache_control` on tools, system blocks and content blocks.
pub fn anthropic_points(b: &Map<String, Value>) -> Vec<Point> {
    let mut out = Vec::new();
    let mut take = |v: &Value, path: String, in_tools: bool| {
        if let Some(p) = v.get("cache_control") {
            out.push(Point {
                path: format!("{path}/cache_control"),
                ttl: ttl_of(p),
                in_tools,
            });
        }
    };
    for (i, t) in indexed(b.get("tools")) {
        take(t, format!("/tools/{i}"), true);
    }
    for (i, s) in indexed(b.get("system")) {
        take(s, format!("/system/{i}"), false);
    }
    for (i, m) in indexed(b.get("messages")) {
        for (j, c) in indexed(m.get("content")) {
            take(c, format!("/messages/{i}/content/{j}"), false);
        }
    }
    out
}

fn finding(rule: &'static str, path: &str, message: String) -> RuleFinding {
    RuleFinding {
        rule,
        path: path.to_string(),
        message,
        hint: None,
        cause: Cause::InvalidRequestBody,
    }
}

/// The rules for `points` of a body sent to `model` (a base model id, lowercase).
pub fn check(model: &str, points: &[Point]) -> Vec<RuleFinding> {
    let Some(first) = points.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match support(model) {
        Support::No => out.push(finding(
            "prompt-cache-model",
            &first.path,
            format!("{model} does not support prompt caching (it is not in the Bedrock User Guide's prompt-caching table): remove the checkpoints"),
        )),
        Support::Yes { one_hour, in_tools } => {
            if !one_hour {
                if let Some(p) = points.iter().find(|p| p.one_hour()) {
                    out.push(finding(
                        "prompt-cache-ttl-model",
                        &p.path,
                        format!("{model} caches for 5 minutes only: the 1h TTL needs Claude Haiku, Sonnet or Opus 4.5 or later; drop `ttl` or set \"5m\""),
                    ));
                }
            }
            if !in_tools {
                if let Some(p) = points.iter().find(|p| p.in_tools) {
                    out.push(finding(
                        "prompt-cache-nova-tools",
                        &p.path,
                        "Amazon Nova models take cache checkpoints in system and messages only, not in tools".to_string(),
                    ));
                }
            }
        }
        Support::Unknown => {}
    }
    if let Some(extra) = points.get(MAX_POINTS) {
        out.push(finding(
            "prompt-cache-max-points",
            &extra.path,
            format!(
                "{} cache checkpoints: a request takes at most {MAX_POINTS} (counted over tools, system and messages)",
                points.len()
            ),
        ));
    }
    // Read in order tools -> system -> messages: once a 5-minute point is seen, a 1-hour one
    // may not follow.
    if let Some(short) = points.iter().position(|p| !p.one_hour()) {
        if let Some(long) = points[short..].iter().find(|p| p.one_hour()) {
            out.push(finding(
                "prompt-cache-ttl-order",
                &long.path,
                format!(
                    "a 1h checkpoint after a 5-minute one ({}): longer TTLs must come first, in the order tools, system, messages",
                    points[short].path
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(model: &str, body: Value) -> Vec<(&'static str, String)> {
        let b = body.as_object().unwrap().clone();
        let points = if b.contains_key("anthropic_version") {
            anthropic_points(&b)
        } else {
            converse_points(&b)
        };
        check(model, &points)
            .into_iter()
            .map(|f| (f.rule, f.path))
            .collect()
    }

    #[test]
    fn supported_models_by_the_page() {
        assert_eq!(
            support("anthropic.claude-3-haiku-20240307-v1:0"),
            Support::No
        );
        assert!(matches!(
            support("anthropic.claude-3-7-sonnet-20250219-v1:0"),
            Support::Yes {
                one_hour: false,
                ..
            }
        ));
        assert!(matches!(
            support("anthropic.claude-sonnet-4-5-20250929-v1:0"),
            Support::Yes { one_hour: true, .. }
        ));
        assert!(matches!(
            support("amazon.nova-pro-v1:0"),
            Support::Yes {
                in_tools: false,
                ..
            }
        ));
        assert_eq!(support("meta.llama3-70b-instruct-v1:0"), Support::No);
        assert_eq!(support("openai.gpt-oss-120b-1:0"), Support::Unknown);
    }

    #[test]
    fn count_order_and_ttl() {
        let point = |ttl: &str| json!({"cachePoint": {"type": "default", "ttl": ttl}});
        let body = json!({
            "toolConfig": {"tools": [{"toolSpec": {"name": "t"}}, point("5m")]},
            "system": [{"text": "s"}, point("1h")],
            "messages": [{"role": "user", "content": [{"text": "a"}, point("5m"), point("5m"), point("5m")]}]
        });
        let got = rules("anthropic.claude-opus-4-5-20251101-v1:0", body.clone());
        assert!(
            got.contains(&(
                "prompt-cache-max-points",
                "/messages/0/content/3/cachePoint".into()
            )),
            "{got:?}"
        );
        assert!(
            got.contains(&("prompt-cache-ttl-order", "/system/1/cachePoint".into())),
            "{got:?}"
        );
        let old = rules("anthropic.claude-3-7-sonnet-20250219-v1:0", body);
        assert!(
            old.iter().any(|(r, _)| *r == "prompt-cache-ttl-model"),
            "{old:?}"
        );
        let none = rules(
            "anthropic.claude-3-haiku-20240307-v1:0",
            json!({"messages": [{"role": "user", "content": [{"text": "a"}, point("5m")]}]}),
        );
        assert_eq!(
            none,
            vec![(
                "prompt-cache-model",
                "/messages/0/content/1/cachePoint".to_string()
            )]
        );
    }

    #[test]
    fn anthropic_cache_control_and_a_good_body() {
        let body = json!({
            "anthropic_version": "bedrock-2023-05-31",
            "tools": [{"name": "t", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
            "system": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": "a", "cache_control": {"type": "ephemeral"}}]}]
        });
        assert!(rules("anthropic.claude-haiku-4-5-20251001-v1:0", body.clone()).is_empty());
        let nova = json!({"toolConfig": {"tools": [{"cachePoint": {"type": "default"}}]}});
        assert_eq!(
            rules("amazon.nova-lite-v1:0", nova)[0].0,
            "prompt-cache-nova-tools"
        );
    }
}
