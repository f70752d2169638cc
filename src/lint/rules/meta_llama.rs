//! Meta Llama prompt bodies.

use super::*;

pub(super) fn llama(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
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
