//! Amazon Titan Embeddings (text v1/v2, multimodal).

use super::*;

pub(super) fn titan_embed(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
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
