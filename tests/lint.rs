//! Every fixture of tests/data/lint: bad bodies report exactly the expected (path, kind) pairs,
//! ok and fixed bodies pass, and the seed's SDXL v0 request has all its problems named.

use bedrock_doctor::causes::Cause;
use bedrock_doctor::cli::LintOperation;
use bedrock_doctor::lint::{self, LintReport};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
struct Expect {
    family: String,
    model: String,
    operation: String,
    body: String,
    problems: Vec<Expected>,
    #[serde(default)]
    advisories: Vec<Expected>,
    #[serde(default)]
    ok_model: Option<String>,
    #[serde(default)]
    fixed: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Expected {
    path: String,
    kind: String,
    #[serde(default)]
    hint: Option<String>,
}

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lint")
}

fn op(s: &str) -> LintOperation {
    match s {
        "converse" => LintOperation::Converse,
        _ => LintOperation::Invoke,
    }
}

fn lint_file(name: &str, model: &str, operation: LintOperation) -> LintReport {
    let text = std::fs::read_to_string(data().join(name)).unwrap();
    lint::lint_text(&text, name, model, operation).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn pairs(items: &[lint::Problem]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|p| (p.path.clone(), p.kind.clone()))
        .collect()
}

fn expectations() -> Vec<Expect> {
    expectations_in("")
}

/// The fixtures of one folder of tests/data/lint ("" is the folder itself).
fn expectations_in(folder: &str) -> Vec<Expect> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(data().join(folder)).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".expect.json") {
            let e: Expect = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            out.push(e);
        }
    }
    out.sort_by(|a, b| a.body.cmp(&b.body));
    out
}

#[test]
fn bad_bodies_report_exactly_the_expected_problems() {
    let all = expectations();
    assert_eq!(all.len(), 12, "one bad fixture per family plus the seed");
    let failures = compare(&all);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The bodies that fail most in 2026 (tests/data/lint/2026): prompt-cache checkpoints, blank
/// blocks, empty tool results, structured-output schemas, beta flags, output limits. Each bad
/// body reports exactly its expected problems and its corrected twin passes.
#[test]
fn bodies_that_fail_most_in_2026() {
    let all = expectations_in("2026");
    assert_eq!(all.len(), 2);
    let failures = compare(&all);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for e in &all {
        let name = e.body.replace(".bad.json", ".ok.json");
        let model = e.ok_model.clone().unwrap_or_else(|| e.model.clone());
        let report = lint_file(&name, &model, op(&e.operation));
        assert!(report.ok, "{name} with {model}: {:#?}", report.problems);
    }
}

/// What differs between each fixture's expected and reported problems, hints and advisories.
fn compare(all: &[Expect]) -> Vec<String> {
    let mut failures = Vec::new();
    for e in all {
        let family = lint::family_for(&e.model, op(&e.operation)).unwrap();
        assert_eq!(
            family.id, e.family,
            "{}: {} maps to {}",
            e.body, e.model, family.id
        );
        let report = lint_file(&e.body, &e.model, op(&e.operation));
        let got = pairs(&report.problems);
        let want: BTreeSet<(String, String)> = e
            .problems
            .iter()
            .map(|p| (p.path.clone(), p.kind.clone()))
            .collect();
        if got != want {
            failures.push(format!(
                "{}:\n  missing {:?}\n  extra   {:?}",
                e.body,
                want.difference(&got).collect::<Vec<_>>(),
                got.difference(&want).collect::<Vec<_>>()
            ));
        }
        for p in e.problems.iter().filter(|p| p.hint.is_some()) {
            let found = report
                .problems
                .iter()
                .find(|q| q.path == p.path && q.kind == p.kind)
                .and_then(|q| q.hint.clone());
            if found != p.hint {
                failures.push(format!(
                    "{} {}: hint {found:?}, want {:?}",
                    e.body, p.path, p.hint
                ));
            }
        }
        if !e.advisories.is_empty() {
            let want: BTreeSet<(String, String)> = e
                .advisories
                .iter()
                .map(|p| (p.path.clone(), p.kind.clone()))
                .collect();
            assert_eq!(pairs(&report.advisories), want, "{} advisories", e.body);
        }
        assert!(!report.ok, "{} must not be ok", e.body);
    }
    failures
}

#[test]
fn ok_and_fixed_bodies_pass() {
    for e in expectations() {
        let name = e
            .fixed
            .clone()
            .unwrap_or_else(|| e.body.replace(".bad.json", ".ok.json"));
        let model = e.ok_model.clone().unwrap_or_else(|| e.model.clone());
        let report = lint_file(&name, &model, op(&e.operation));
        assert!(
            report.ok && report.problems.is_empty(),
            "{name} with {model} should pass: {:#?}",
            report.problems
        );
    }
}

#[test]
fn every_ok_fixture_is_exercised() {
    let expected: BTreeSet<String> = expectations()
        .iter()
        .map(|e| {
            e.fixed
                .clone()
                .unwrap_or_else(|| e.body.replace(".bad.json", ".ok.json"))
        })
        .collect();
    for entry in std::fs::read_dir(data()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if name.ends_with(".ok.json") {
            assert!(expected.contains(&name), "{name} has no expectation");
        }
    }
}

/// The seed's Lambda (seeds/003): SDXL v0 with prompt_details, generation_impact, steps 120.
#[test]
fn seed_sdxl_v0_request_is_fully_diagnosed() {
    let model = "stability.stable-diffusion-xl-v0";
    let report = lint_file("seed-sdxl-v0.json", model, LintOperation::Invoke);
    assert_eq!(report.family, "stability-sdxl-v1");
    let got = pairs(&report.problems);
    let want: BTreeSet<(String, String)> = [
        ("/generation_impact", "unknown-field"),
        ("/prompt_details", "unknown-field"),
        ("/steps", "out-of-range"),
        ("/text_prompts", "missing-required"),
    ]
    .iter()
    .map(|(p, k)| (p.to_string(), k.to_string()))
    .collect();
    assert_eq!(got, want);
    let prompt = report
        .problems
        .iter()
        .find(|p| p.path == "/prompt_details")
        .unwrap();
    assert_eq!(prompt.hint.as_deref(), Some("text_prompts"));
    assert!(prompt.message.contains("did you mean `text_prompts`"));
    let steps = report.problems.iter().find(|p| p.path == "/steps").unwrap();
    assert_eq!(steps.message, "120 is above the maximum 50");
    assert!(report
        .problems
        .iter()
        .all(|p| p.cause == Cause::InvalidRequestBody));

    assert_eq!(report.advisories.len(), 1);
    let eol = &report.advisories[0];
    assert_eq!(eol.cause, Cause::ModelEndOfLife);
    assert_eq!(eol.kind, "rule:sdxl-v0-retired");
    assert!(
        eol.message.contains("stability.stable-diffusion-xl-v1"),
        "{}",
        eol.message
    );

    let fixed = lint_file("seed-sdxl-v0.fixed.json", model, LintOperation::Invoke);
    assert!(
        fixed.ok && fixed.problems.is_empty(),
        "{:#?}",
        fixed.problems
    );
    assert_eq!(fixed.advisories.len(), 1, "the model is still end of life");
}

#[test]
fn long_text_is_input_too_long() {
    let body = serde_json::json!({"text_prompts": [{"text": "x".repeat(2001)}]});
    let family =
        lint::family_for("stability.stable-diffusion-xl-v1", LintOperation::Invoke).unwrap();
    let report = lint::lint_value(&body, "stability.stable-diffusion-xl-v1", family);
    assert_eq!(report.problems.len(), 1);
    assert_eq!(report.problems[0].path, "/text_prompts/0/text");
    assert_eq!(report.problems[0].cause, Cause::InputTooLong);
}

#[test]
fn every_family_has_a_model_id_example() {
    let examples = [
        ("stability.stable-diffusion-xl-v1", "stability-sdxl-v1"),
        ("us.stability.stable-image-core-v1:1", "stability-image"),
        ("amazon.titan-image-generator-v2:0", "amazon-image"),
        ("amazon.nova-canvas-v1:0", "amazon-image"),
        ("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0", "anthropic-messages"),
        ("amazon.titan-text-premier-v1:0", "amazon-titan-text"),
        ("eu.amazon.nova-lite-v1:0", "amazon-nova-text"),
        ("meta.llama3-3-70b-instruct-v1:0", "meta-llama"),
        ("mistral.mistral-small-2402-v1:0", "mistral"),
        ("cohere.embed-v4:0", "cohere-embed"),
        ("amazon.titan-embed-image-v1", "amazon-titan-embed"),
    ];
    for (model, family) in examples {
        assert_eq!(
            lint::family_for(model, LintOperation::Invoke).unwrap().id,
            family,
            "{model}"
        );
    }
}

/// A model no family covers (an imported model's ARN, a model newer than this build): the body's
/// own keys choose the shape, and the report says which it assumed. A body no shape fits, or an
/// OpenAI-style body lint has no schema for, stays a one-line error.
#[test]
fn the_shape_is_guessed_when_no_family_covers_the_model() {
    let model = "arn:aws:bedrock:us-east-1:123456789012:imported-model/k1a2b3";
    let body = r#"{"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10, "messages": [{"role": "assistant", "content": "hi"}]}"#;
    let r = lint::lint_text(body, "b", model, LintOperation::Invoke).unwrap();
    assert_eq!(r.family, "anthropic-messages");
    let assumed = r.assumed_shape.as_deref().unwrap_or_default();
    assert!(assumed.contains("anthropic_version"), "{assumed}");
    assert!(r
        .problems
        .iter()
        .any(|p| p.kind == "rule:anthropic-first-message-user"));

    let nova_like = r#"{"schemaVersion": "messages-v1", "messages": [{"role": "user", "content": [{"text": "hi"}]}], "inferenceConfig": {"max_new_tokens": 5}}"#;
    let r = lint::lint_text(nova_like, "b", model, LintOperation::Invoke).unwrap();
    assert_eq!(r.family, "amazon-nova-text");
    assert!(r.ok, "{:#?}", r.problems);

    let openai = r#"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}"#;
    let e = lint::lint_text(
        openai,
        "b",
        "openai.gpt-oss-120b-1:0",
        LintOperation::Invoke,
    )
    .unwrap_err();
    assert!(e.0.contains("OpenAI Chat Completions"), "{}", e.0);
    let e = lint::lint_text(r#"{"x": 1}"#, "b", model, LintOperation::Invoke).unwrap_err();
    assert!(e.0.contains("matches no request-body family"), "{}", e.0);

    // A covered model is never guessed for.
    let r = lint::lint_text(
        openai,
        "b",
        "meta.llama3-8b-instruct-v1:0",
        LintOperation::Invoke,
    )
    .unwrap();
    assert_eq!(r.family, "meta-llama");
    assert!(r.assumed_shape.is_none());
}
