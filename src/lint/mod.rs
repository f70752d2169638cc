//! `bedrock-doctor lint`: a request body checked offline against its model family's JSON Schema
//! (schemas/*.json, Draft 2020-12) and the cross-field rules of rules.md. The schemas are data;
//! rules/ holds only what a schema cannot say, one file per family behind one registry.

pub mod rules;

use crate::causes::Cause;
use crate::cli::{LintArgs, LintOperation, Output};
use crate::input;
use crate::knowledge::models::{self, Lifecycle};
use crate::report::exit;
use colored::Colorize;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::OnceLock;

const FAMILIES_JSON: &str = include_str!("families.json");

#[derive(Debug, Deserialize)]
struct FamilySpec {
    family: String,
    operation: String,
    model_id_patterns: Vec<String>,
    title: String,
    docs: String,
}

/// A model family: which model ids it covers and where its request body is documented.
#[derive(Debug)]
pub struct Family {
    pub id: String,
    pub operation: LintOperation,
    pub title: String,
    pub docs: String,
    patterns: Vec<Regex>,
}

impl Family {
    pub fn covers(&self, model: &str) -> bool {
        self.patterns.iter().any(|p| p.is_match(model))
    }
}

fn load_families() -> Result<Vec<Family>, String> {
    let specs: Vec<FamilySpec> = serde_json::from_str(FAMILIES_JSON).map_err(|e| e.to_string())?;
    specs
        .into_iter()
        .map(|s| {
            let operation = match s.operation.as_str() {
                "invoke" => LintOperation::Invoke,
                "converse" => LintOperation::Converse,
                other => return Err(format!("{}: unknown operation {other}", s.family)),
            };
            let patterns = s
                .model_id_patterns
                .iter()
                .map(|p| Regex::new(p).map_err(|e| format!("{}: {e}", s.family)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Family {
                id: s.family,
                operation,
                title: s.title,
                docs: s.docs,
                patterns,
            })
        })
        .collect()
}

/// families.json, parsed once; its validity is tested (`families_and_schemas_load`).
pub fn families() -> &'static [Family] {
    static F: OnceLock<Vec<Family>> = OnceLock::new();
    F.get_or_init(|| {
        load_families().unwrap_or_else(|e| panic!("src/lint/families.json is invalid: {e}"))
    })
}

/// The family whose request body `model` takes for `operation`.
pub fn family_for(model: &str, operation: LintOperation) -> Result<&'static Family, LintError> {
    let found = families()
        .iter()
        .find(|f| f.operation == operation && f.covers(model));
    found.ok_or_else(|| {
        let known: Vec<&str> = families()
            .iter()
            .filter(|f| f.operation == LintOperation::Invoke)
            .map(|f| f.id.as_str())
            .collect();
        LintError(format!(
            "`{model}` matches no request-body family (known: {}); for a Converse body pass --operation converse",
            known.join(", ")
        ))
    })
}

pub fn schema(family: &str) -> Option<Value> {
    let r = rules::REGISTRY.iter().find(|r| r.id == family)?;
    serde_json::from_str(r.schema).ok()
}

/// Why lint could not run: one line, exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintError(pub String);

impl std::fmt::Display for LintError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LintError {}

/// One problem of the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub cause: Cause,
    /// JSON Pointer into the body; "" is the body itself.
    pub path: String,
    /// unknown-field, missing-required, wrong-type, out-of-range, invalid-enum, invalid-format,
    /// invalid-value, or rule:<id> (rules.md).
    pub kind: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// The `--output json` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LintReport {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub model: String,
    pub operation: String,
    pub family: String,
    pub family_title: String,
    pub docs: String,
    /// True when there are no problems (advisories do not count).
    pub ok: bool,
    pub problems: Vec<Problem>,
    /// Not wrong in the body, but worth knowing (an end-of-life model...).
    pub advisories: Vec<Problem>,
    /// Set when no family covers the model and the body's keys chose the shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assumed_shape: Option<String>,
}

/// The family a body's own keys point to, for a model no family covers (a model newer than
/// this build, a custom or imported model's ARN): the family and the keys that decided.
pub fn guess_family(body: &Value) -> Result<(&'static Family, &'static str), LintError> {
    let has = |k: &str| body.get(k).is_some();
    let converse_blocks = body
        .get("messages")
        .and_then(Value::as_array)
        .and_then(|m| m.first())
        .and_then(|m| m.get("content"))
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .is_some_and(|b| b.get("text").is_some() && b.get("type").is_none());
    let (id, why) = if has("anthropic_version") {
        ("anthropic-messages", "anthropic_version")
    } else if has("text_prompts") {
        ("stability-sdxl-v1", "text_prompts")
    } else if has("taskType") {
        ("amazon-image", "taskType")
    } else if has("inputText") && has("textGenerationConfig") {
        ("amazon-titan-text", "inputText and textGenerationConfig")
    } else if has("inputText") {
        ("amazon-titan-embed", "inputText")
    } else if has("texts") && has("input_type") {
        ("cohere-embed", "texts and input_type")
    } else if has("max_gen_len") {
        ("meta-llama", "max_gen_len")
    } else if has("schemaVersion") || has("inferenceConfig") || has("toolConfig") || converse_blocks
    {
        // InvokeModel never takes a Converse request; the native body with these names is
        // Amazon Nova's (custom and imported Nova deployments have ARNs no family covers).
        (
            "amazon-nova-text",
            "Nova's native field names (schemaVersion, inferenceConfig, {\"text\": ...} blocks)",
        )
    } else if has("prompt") && (has("mode") || has("aspect_ratio") || has("output_format")) {
        (
            "stability-image",
            "prompt with mode, aspect_ratio or output_format",
        )
    } else if has("prompt") && has("max_tokens") {
        ("mistral", "prompt with max_tokens")
    } else if has("messages") && (has("max_tokens") || has("max_completion_tokens")) {
        return Err(LintError(
            "the body looks like an OpenAI Chat Completions request (messages with max_tokens), which lint has no schema for yet; lint the same conversation as a Converse request with --operation converse".into(),
        ));
    } else {
        return Err(LintError(
            "its keys match no known request body either".into(),
        ));
    };
    let family = families()
        .iter()
        .find(|f| f.id == id)
        .expect("guessed families exist in families.json");
    Ok((family, why))
}

/// Lints JSON text; invalid JSON is a LintError naming line and column. When no family covers
/// the model, the body's own keys choose one and the report says so (`assumed_shape`).
pub fn lint_text(
    text: &str,
    what: &str,
    model: &str,
    operation: LintOperation,
) -> Result<LintReport, LintError> {
    let body: Value = serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        LintError(format!(
            "{what} is not valid JSON (line {}, column {}): {msg}",
            e.line(),
            e.column()
        ))
    })?;
    match family_for(model, operation) {
        Ok(family) => Ok(lint_value(&body, model, family)),
        Err(none) => {
            let (family, why) =
                guess_family(&body).map_err(|e| LintError(format!("{none}; {e}")))?;
            let mut report = lint_value(&body, model, family);
            report.assumed_shape = Some(format!(
                "no family covers {model}; the body has {why}, so it was linted as {} ({})",
                family.id, family.title
            ));
            Ok(report)
        }
    }
}

pub fn lint_value(body: &Value, model: &str, family: &Family) -> LintReport {
    let mut problems = schema_problems(&family.id, body);
    for r in rules::check(&family.id, model, body) {
        problems.push(Problem {
            cause: r.cause,
            path: r.path,
            kind: format!("rule:{}", r.rule),
            message: r.message,
            hint: r.hint,
        });
    }
    // One finding per (path, kind): two dependentRequired entries can both ask for init_image.
    let mut seen = BTreeSet::new();
    problems.retain(|p| seen.insert((p.path.clone(), p.kind.clone())));
    problems.sort_by(|a, b| (&a.path, &a.kind).cmp(&(&b.path, &b.kind)));
    let mut advisories = advisories(&family.id, model);
    advisories.extend(
        rules::advisories(&family.id, model, body)
            .into_iter()
            .map(|r| Problem {
                cause: r.cause,
                path: r.path,
                kind: format!("rule:{}", r.rule),
                message: r.message,
                hint: r.hint,
            }),
    );
    LintReport {
        file: None,
        model: model.to_string(),
        operation: match family.operation {
            LintOperation::Invoke => "invoke",
            LintOperation::Converse => "converse",
        }
        .to_string(),
        family: family.id.clone(),
        family_title: family.title.clone(),
        docs: family.docs.clone(),
        ok: problems.is_empty(),
        problems,
        advisories,
        assumed_shape: None,
    }
}

fn schema_problems(family: &str, body: &Value) -> Vec<Problem> {
    let Some(schema) = schema(family) else {
        return Vec::new();
    };
    // The schemas are self-contained ($ref only to #/$defs); formats are annotations, as in the
    // reference validator the fixtures were made with.
    let validator = match jsonschema::draft202012::options()
        .should_validate_formats(false)
        .build(&schema)
    {
        Ok(v) => v,
        Err(e) => {
            return vec![Problem {
                cause: Cause::InvalidRequestBody,
                path: String::new(),
                kind: "invalid-value".into(),
                message: format!("the {family} schema does not compile: {e}"),
                hint: None,
            }]
        }
    };
    let hints = schema.get("x-did-you-mean").and_then(Value::as_object);
    let mut out = Vec::new();
    for error in validator.iter_errors(body) {
        let path = error.instance_path().as_str().to_string();
        let instance = error.instance();
        let mut push = |path: String, kind: &str, message: String, hint: Option<String>| {
            let cause = if matches!(error.kind(), ValidationErrorKind::MaxLength { .. }) {
                Cause::InputTooLong
            } else {
                Cause::InvalidRequestBody
            };
            out.push(Problem {
                cause,
                path,
                kind: kind.to_string(),
                message,
                hint,
            });
        };
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected }
            | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
                let siblings = sibling_properties(&schema, error.schema_path().as_str());
                for key in unexpected {
                    let hint = hints
                        .and_then(|h| h.get(key))
                        .and_then(Value::as_str)
                        .map(String::from)
                        .or_else(|| closest(key, siblings.iter().map(String::as_str)));
                    let message = match &hint {
                        Some(h) if h.starts_with("nothing: ") => {
                            format!("`{key}` is not accepted here: {}", &h["nothing: ".len()..])
                        }
                        Some(h) if h.starts_with("nothing") => {
                            format!("`{key}` is not accepted here: {h}")
                        }
                        // An identifier or a dotted path; prose hints are advice, not a name.
                        Some(h) if !h.contains(char::is_whitespace) => {
                            format!("`{key}` is not accepted here; did you mean `{h}`?")
                        }
                        Some(h) => format!("`{key}` is not accepted here; use {h}"),
                        None => format!("`{key}` is not accepted here"),
                    };
                    push(
                        format!("{path}/{}", rules::escape(key)),
                        "unknown-field",
                        message,
                        hint,
                    );
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property
                    .as_str()
                    .map_or_else(|| property.to_string(), String::from);
                push(
                    format!("{path}/{}", rules::escape(&name)),
                    "missing-required",
                    format!("`{name}` is required"),
                    None,
                );
            }
            ValidationErrorKind::Type { kind } => {
                let expected = match kind {
                    TypeKind::Single(t) => t.to_string(),
                    TypeKind::Multiple(set) => set
                        .iter()
                        .map(|t| t.to_string())
                        .collect::<Vec<_>>()
                        .join(" or "),
                };
                push(
                    path,
                    "wrong-type",
                    format!(
                        "expected {expected}, found {} {}",
                        type_name(instance),
                        preview(instance)
                    ),
                    None,
                );
            }
            ValidationErrorKind::Enum { options } => {
                let list = enum_list(options);
                let hint = instance.as_str().and_then(|s| {
                    let opts = options.as_array()?;
                    closest(s, opts.iter().filter_map(Value::as_str))
                });
                let message = match &hint {
                    Some(h) => format!(
                        "{} is not one of {list}; did you mean `{h}`?",
                        preview(instance)
                    ),
                    None => format!("{} is not one of {list}", preview(instance)),
                };
                push(path, "invalid-enum", message, hint);
            }
            ValidationErrorKind::Constant { expected_value } => push(
                path,
                "invalid-enum",
                format!("{} must be {}", preview(instance), preview(expected_value)),
                None,
            ),
            ValidationErrorKind::Minimum { limit } => push(
                path,
                "out-of-range",
                format!("{} is below the minimum {limit}", preview(instance)),
                None,
            ),
            ValidationErrorKind::Maximum { limit } => push(
                path,
                "out-of-range",
                format!("{} is above the maximum {limit}", preview(instance)),
                None,
            ),
            ValidationErrorKind::ExclusiveMinimum { limit } => push(
                path,
                "out-of-range",
                format!("{} must be above {limit}", preview(instance)),
                None,
            ),
            ValidationErrorKind::ExclusiveMaximum { limit } => push(
                path,
                "out-of-range",
                format!("{} must be below {limit}", preview(instance)),
                None,
            ),
            ValidationErrorKind::MultipleOf { multiple_of } => push(
                path,
                "out-of-range",
                format!("{} is not a multiple of {multiple_of}", preview(instance)),
                None,
            ),
            ValidationErrorKind::MinLength { limit } => push(
                path,
                "out-of-range",
                format!("must be at least {limit} character(s) long"),
                None,
            ),
            ValidationErrorKind::MaxLength { limit } => push(
                path,
                "out-of-range",
                format!(
                    "{} characters, more than the {limit} allowed",
                    instance.as_str().map_or(0, |s| s.chars().count())
                ),
                None,
            ),
            ValidationErrorKind::MinItems { limit } => push(
                path,
                "out-of-range",
                format!(
                    "needs at least {limit} item(s), found {}",
                    array_len(instance)
                ),
                None,
            ),
            ValidationErrorKind::MaxItems { limit } => push(
                path,
                "out-of-range",
                format!(
                    "at most {limit} item(s) allowed, found {}",
                    array_len(instance)
                ),
                None,
            ),
            ValidationErrorKind::MinProperties { limit }
            | ValidationErrorKind::MaxProperties { limit }
                if *limit == 1 && is_union(&schema, error.schema_path().as_str()) =>
            {
                let members = sibling_properties(&schema, error.schema_path().as_str());
                push(
                    path,
                    "out-of-range",
                    format!("set exactly one of {}", members.join(", ")),
                    None,
                )
            }
            ValidationErrorKind::MinProperties { limit } => push(
                path,
                "out-of-range",
                format!("needs at least {limit} member(s)"),
                None,
            ),
            ValidationErrorKind::MaxProperties { limit } => push(
                path,
                "out-of-range",
                format!("at most {limit} member(s) allowed"),
                None,
            ),
            ValidationErrorKind::UniqueItems => {
                push(path, "out-of-range", "items must be unique".into(), None)
            }
            ValidationErrorKind::Pattern { pattern } => push(
                path,
                "invalid-format",
                format!("{} does not match {pattern}", preview(instance)),
                None,
            ),
            ValidationErrorKind::Format { format } => push(
                path,
                "invalid-format",
                format!("{} is not a valid {format}", preview(instance)),
                None,
            ),
            ValidationErrorKind::PropertyNames { error } => push(
                path,
                "invalid-format",
                format!("a member name is not allowed: {error}"),
                None,
            ),
            _ => push(path, "invalid-value", error.to_string(), None),
        }
    }
    out
}

/// The `properties` next to the keyword that failed (`.../additionalProperties` -> `.../properties`).
fn sibling_properties(schema: &Value, schema_path: &str) -> Vec<String> {
    let parent = schema_path.rsplit_once('/').map_or("", |(head, _)| head);
    schema
        .pointer(parent)
        .and_then(|node| node.get("properties"))
        .and_then(Value::as_object)
        .map(|props| props.keys().cloned().collect())
        .unwrap_or_default()
}

/// An object whose members are alternatives ("Set exactly one member") rather than fields.
fn is_union(schema: &Value, schema_path: &str) -> bool {
    let parent = schema_path.rsplit_once('/').map_or("", |(head, _)| head);
    schema.pointer(parent).is_some_and(|node| {
        node.get("minProperties").and_then(Value::as_u64) == Some(1)
            && node.get("maxProperties").and_then(Value::as_u64) == Some(1)
    })
}

/// The closest name: same letters ignoring case, `_` and `-`, or a near spelling.
fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect()
    };
    let w = squash(word);
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        if c == word {
            continue;
        }
        let score = if squash(c) == w {
            1.0
        } else {
            strsim::jaro_winkler(&w, &squash(c))
        };
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.filter(|(s, _)| *s >= 0.88).map(|(_, c)| c.to_string())
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn preview(v: &Value) -> String {
    let s = match v {
        Value::Array(a) => format!("[{} item(s)]", a.len()),
        Value::Object(o) => format!("{{{} member(s)}}", o.len()),
        other => other.to_string(),
    };
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(57).collect::<String>())
    } else {
        s
    }
}

fn array_len(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

fn enum_list(options: &Value) -> String {
    let items: Vec<String> = options
        .as_array()
        .map(|a| a.iter().map(Value::to_string).collect())
        .unwrap_or_default();
    if items.len() > 12 {
        format!("{}, ... ({} values)", items[..12].join(", "), items.len())
    } else {
        items.join(", ")
    }
}

/// Facts about the model rather than the body: end of life, Legacy.
fn advisories(family: &str, model: &str) -> Vec<Problem> {
    let base = models::base_model_id(model);
    let mut out = Vec::new();
    if family == "stability-sdxl-v1" && base == "stability.stable-diffusion-xl-v0" {
        let (eol, replacement) = match models::lifecycle(model) {
            Some(Lifecycle::EndOfLife {
                end_of_life,
                replacement,
                ..
            }) => (end_of_life, replacement),
            _ => ("2024-04-30".to_string(), None),
        };
        let replacement = replacement.unwrap_or_else(|| "stability.stable-diffusion-xl-v1".into());
        let mut message = format!(
            "stability.stable-diffusion-xl-v0 (SDXL 0.8) reached end of life on {eol} and can no longer be invoked; its successor is {replacement} (same request body)"
        );
        if let Some(Lifecycle::EndOfLife {
            end_of_life,
            replacement: next,
            ..
        }) = models::lifecycle(&replacement)
        {
            message.push_str(&format!(
                ", which itself reached end of life on {end_of_life}: move to {} (a different body: lint it with --model {})",
                next.as_deref().unwrap_or("a current Stability model"),
                next.as_deref().unwrap_or("<model-id>")
            ));
        }
        out.push(Problem {
            cause: Cause::ModelEndOfLife,
            path: String::new(),
            kind: "rule:sdxl-v0-retired".into(),
            message,
            hint: Some(replacement),
        });
        return out;
    }
    match models::lifecycle(model) {
        Some(Lifecycle::EndOfLife {
            model_id,
            end_of_life,
            replacement,
            ..
        }) => out.push(Problem {
            cause: Cause::ModelEndOfLife,
            path: String::new(),
            kind: "rule:model-end-of-life".into(),
            message: format!(
                "{model_id} reached end of life on {end_of_life} and can no longer be invoked{}",
                replacement
                    .as_deref()
                    .map(|r| format!(
                        "; its successor is {} (check its body with --model {r})",
                        crate::knowledge::models::how_to_call(r, None)
                    ))
                    .unwrap_or_default()
            ),
            hint: replacement,
        }),
        Some(Lifecycle::Legacy {
            model_id,
            end_of_life,
        }) => out.push(Problem {
            cause: Cause::ModelLegacy,
            path: String::new(),
            kind: "rule:model-legacy".into(),
            message: format!(
                "{model_id} is Legacy: only accounts that used it recently can call it{}",
                end_of_life
                    .as_deref()
                    .map(|d| format!(", and it reaches end of life on {d}"))
                    .unwrap_or_default()
            ),
            hint: None,
        }),
        None if !models::is_known(model) => {
            let closest = models::closest_known(model).into_iter().next();
            out.push(Problem {
                cause: Cause::ModelIdInvalid,
                path: String::new(),
                kind: "rule:model-unknown".into(),
                message: format!(
                    "`{model}` is not a model the catalog (as of {}) knows: rules tied to a model (output limits, prompt caching, beta flags) only applied where its name matched{}",
                    models::as_of().unwrap_or("?"),
                    closest
                        .as_deref()
                        .map(|m| format!("; did you mean {m}?"))
                        .unwrap_or_default()
                ),
                hint: closest,
            })
        }
        None => {}
    }
    out
}

// ---- the command -----------------------------------------------------------------------------

pub fn run(args: &LintArgs) -> i32 {
    let stdin = args.file.as_os_str() == "-";
    let what = if stdin {
        "stdin".to_string()
    } else {
        format!("`{}`", args.file.display())
    };
    let result = {
        let text = if stdin {
            input::read_stdin(true)
        } else {
            input::read_text_file(&args.file)
        }
        .map_err(|e| LintError(e.0));
        match text {
            Ok(text) => lint_text(&text, &what, &args.model, args.operation),
            // Without a body the shape cannot be guessed: a model no family covers is the
            // first thing to say, as it was before guessing existed.
            Err(e) => Err(family_for(&args.model, args.operation).err().unwrap_or(e)),
        }
    };
    let mut report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bedrock-doctor: {e}");
            return exit::USAGE;
        }
    };
    report.file = Some(if stdin {
        "-".to_string()
    } else {
        args.file.display().to_string()
    });
    let out = match args.output {
        Output::Json => {
            let mut s = serde_json::to_string_pretty(&report)
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
            s.push('\n');
            s
        }
        Output::Table => render_text(&report),
    };
    crate::sink::print(&out);
    if report.ok {
        exit::HEALTHY
    } else {
        exit::PROBLEMS
    }
}

pub fn render_text(r: &LintReport) -> String {
    let mut out = String::new();
    let api = if r.operation == "converse" {
        "Converse request"
    } else {
        "InvokeModel body"
    };
    out.push_str(&format!(
        "{} {} for {} ({}: {})\n",
        r.file.as_deref().unwrap_or("body"),
        format!("as {api}").dimmed(),
        r.model.bold(),
        r.family,
        r.family_title
    ));
    if let Some(assumed) = &r.assumed_shape {
        out.push_str(&format!("{} {assumed}\n", "shape guessed:".yellow()));
    }
    let width = r
        .problems
        .iter()
        .chain(&r.advisories)
        .map(|p| shown_path(&p.path).len())
        .max()
        .unwrap_or(0)
        .clamp(6, 40);
    let kind_width = r
        .problems
        .iter()
        .chain(&r.advisories)
        .map(|p| p.kind.len())
        .max()
        .unwrap_or(0);
    if r.problems.is_empty() {
        out.push_str(&format!("{}\n", "✔ no problems found".green()));
    } else {
        let n = r.problems.len();
        out.push_str(&format!(
            "{}\n",
            format!("✘ {n} problem{}", if n == 1 { "" } else { "s" })
                .red()
                .bold()
        ));
        for p in &r.problems {
            out.push_str(&line(p, width, kind_width));
        }
    }
    if !r.advisories.is_empty() {
        out.push_str(&format!("{}\n", "▲ advisory".yellow()));
        for p in &r.advisories {
            out.push_str(&line(p, width, kind_width));
        }
    }
    let causes: BTreeSet<&str> = r
        .problems
        .iter()
        .chain(&r.advisories)
        .map(|p| p.cause.code())
        .collect();
    if !causes.is_empty() {
        out.push_str(&format!(
            "{} {}\n",
            "causes:".dimmed(),
            causes.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    out.push_str(&format!("{} {}\n", "reference:".dimmed(), r.docs));
    out
}

fn shown_path(path: &str) -> &str {
    if path.is_empty() {
        "(body)"
    } else {
        path
    }
}

fn line(p: &Problem, width: usize, kind_width: usize) -> String {
    format!(
        "  {:<width$}  {:<kind_width$}  {}\n",
        shown_path(&p.path).cyan(),
        p.kind,
        p.message
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_schemas_load() {
        let fams = load_families().unwrap();
        let ids: BTreeSet<&str> = fams.iter().map(|f| f.id.as_str()).collect();
        let schema_ids: BTreeSet<&str> = rules::REGISTRY.iter().map(|r| r.id).collect();
        assert_eq!(
            ids, schema_ids,
            "families.json and the rules' registry disagree"
        );
        for id in schema_ids {
            let s = schema(id).unwrap_or_else(|| panic!("{id} is not JSON"));
            jsonschema::draft202012::new(&s).unwrap_or_else(|e| panic!("{id}: {e}"));
        }
    }

    #[test]
    fn unknown_model_is_an_error() {
        let e = family_for("openai.gpt-oss-120b-1:0", LintOperation::Invoke).unwrap_err();
        assert!(e
            .0
            .starts_with("`openai.gpt-oss-120b-1:0` matches no request-body family"));
        assert!(family_for("openai.gpt-oss-120b-1:0", LintOperation::Converse).is_ok());
    }

    #[test]
    fn did_you_mean() {
        let c = ["max_tokens", "temperature", "top_p"];
        assert_eq!(
            closest("maxTokens", c.iter().copied()).as_deref(),
            Some("max_tokens")
        );
        assert_eq!(
            closest("temprature", c.iter().copied()).as_deref(),
            Some("temperature")
        );
        assert_eq!(closest("generation_impact", c.iter().copied()), None);
    }

    #[test]
    fn invalid_json_names_line_and_column() {
        let e = lint_text(
            "{\n  \"a\": 1,\n  }",
            "`b.json`",
            "meta.llama3-8b-instruct-v1:0",
            LintOperation::Invoke,
        )
        .unwrap_err();
        assert!(
            e.0.starts_with("`b.json` is not valid JSON (line 3, column 3)"),
            "{}",
            e.0
        );
    }
}
