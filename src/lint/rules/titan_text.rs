//! Amazon Titan Text Lite / Express / Premier.

use super::*;

pub(super) fn titan_text(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
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
