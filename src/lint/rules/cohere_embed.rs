//! Cohere Embed v3 and v4.

use super::*;

pub(super) fn cohere(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
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
