//! `lint` on any bytes, as the command does it: strict decoding, JSON parsing, the family's
//! schema and rules, and both renderings. The first byte picks the model family.
#![no_main]

use bedrock_doctor::cli::LintOperation;
use bedrock_doctor::{input, lint};
use libfuzzer_sys::fuzz_target;

/// One model of every family (lint::families()).
const MODELS: &[(&str, LintOperation)] = &[
    ("stability.stable-diffusion-xl-v1", LintOperation::Invoke),
    ("stability.sd3-5-large-v1:0", LintOperation::Invoke),
    ("amazon.nova-canvas-v1:0", LintOperation::Invoke),
    (
        "anthropic.claude-3-haiku-20240307-v1:0",
        LintOperation::Invoke,
    ),
    ("amazon.titan-text-express-v1", LintOperation::Invoke),
    ("amazon.nova-lite-v1:0", LintOperation::Invoke),
    ("meta.llama3-1-70b-instruct-v1:0", LintOperation::Invoke),
    ("mistral.mistral-large-2407-v1:0", LintOperation::Invoke),
    ("cohere.embed-english-v3", LintOperation::Invoke),
    ("amazon.titan-embed-text-v2:0", LintOperation::Invoke),
    ("us.amazon.nova-pro-v1:0", LintOperation::Converse),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let (model, operation) = MODELS[usize::from(pick) % MODELS.len()];
    lint::family_for(model, operation).expect("every model of MODELS has a family");
    let Ok(text) = input::decode_strict(body.to_vec(), "stdin") else {
        return;
    };
    match lint::lint_text(&text, "stdin", model, operation) {
        Ok(report) => {
            assert_eq!(report.ok, report.problems.is_empty());
            serde_json::to_string(&report).expect("the report serializes");
            lint::render_text(&report);
        }
        Err(e) => assert!(!e.0.contains('\n'), "a usage error is one line: {e}"),
    }
});
