//! `invoke`: ask the service itself, with one minimal request (or the person's own body).

use super::model_catalog::{NotCallable, ResolvedModel};
use super::Ctx;
use crate::aws::CallFailure;
use crate::causes::Cause;
use crate::report::{Finding, Severity};
use crate::runner::{CheckFuture, Outcome};
use aws_sdk_bedrockruntime::config::retry::RetryConfig;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, GuardrailConfiguration, GuardrailStreamConfiguration,
    InferenceConfiguration, Message,
};
use std::time::Instant;

/// Enough for reasoning models that refuse tiny limits, small enough to cost nothing.
const PROBE_MAX_TOKENS: i32 = 32;

/// The request the probe sends, decided from the model's output modality and family.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    Converse,
    Invoke { body: String, what: &'static str },
    Skip(String),
}

/// The model id without its profile prefix (`us.anthropic.x` is `anthropic.x`).
fn family(model_id: &str) -> String {
    model_id
        .split('.')
        .skip_while(|p| crate::models::PROFILE_PREFIXES.contains(&format!("{p}.").as_str()))
        .collect::<Vec<_>>()
        .join(".")
}

/// The minimal request in the model's own format, for applications that call InvokeModel
/// with it (Claude Code). Anthropic's Messages body: anthropic_version `bedrock-2023-05-31`,
/// max_tokens and messages are its required fields
/// (docs: model-parameters-anthropic-claude-messages-request-response.html).
pub fn native_probe(model_id: &str) -> Probe {
    let family = family(model_id);
    if family.starts_with("anthropic.") {
        return Probe::Invoke {
            body: format!(
                r#"{{"anthropic_version":"bedrock-2023-05-31","max_tokens":{PROBE_MAX_TOKENS},"messages":[{{"role":"user","content":"Hi"}}]}}"#
            ),
            what: "one user message \"Hi\" in the Anthropic Messages format, as the application sends it: well under $0.001",
        };
    }
    Probe::Skip(format!(
        "not called: the application calls InvokeModel with {model_id}'s own request format, which the doctor does not know: give one with --body FILE"
    ))
}

pub fn probe_for(model_id: &str, outputs: &[String], invoke_images: bool) -> Probe {
    let has = |m: &str| outputs.iter().any(|o| o == m);
    let family = family(model_id);
    if has("EMBEDDING") {
        return if family.starts_with("amazon.titan-embed") {
            Probe::Invoke {
                body: r#"{"inputText":"hello"}"#.into(),
                what: "an embedding of one word",
            }
        } else if family.starts_with("cohere.embed") {
            Probe::Invoke {
                body: r#"{"texts":["hello"],"input_type":"search_query"}"#.into(),
                what: "an embedding of one word",
            }
        } else {
            Probe::Skip(format!(
                "no known minimal request body for the embedding model {model_id}"
            ))
        };
    }
    if has("IMAGE") || has("VIDEO") {
        if !invoke_images {
            return Probe::Skip("an image or video model: not invoked without --invoke-images, because each call costs money".into());
        }
        return if family.starts_with("stability.") {
            Probe::Invoke {
                body: r#"{"prompt":"a small red dot"}"#.into(),
                what: "one image (about $0.04-0.08)",
            }
        } else if family.starts_with("amazon.titan-image")
            || family.starts_with("amazon.nova-canvas")
        {
            Probe::Invoke {
                body: r#"{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a small red dot"},"imageGenerationConfig":{"numberOfImages":1,"width":512,"height":512}}"#.into(),
                what: "one 512x512 image (about $0.01-0.04)",
            }
        } else {
            Probe::Skip(format!("no known minimal request body for {model_id}"))
        };
    }
    Probe::Converse
}

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move {
        if ctx.env.settings.no_invoke {
            return Outcome::skip("--no-invoke: no runtime call made");
        }
        let model = ctx.model_text();
        let resolved = ctx.facts.get::<ResolvedModel>().cloned();
        if let Some(NotCallable(why)) = ctx.facts.get::<NotCallable>() {
            return Outcome::skip(format!(
                "not called: model-catalog found it cannot be called as given ({why})"
            ));
        }
        let outputs = resolved
            .as_ref()
            .map(|r| r.output_modalities.clone())
            .unwrap_or_else(|| vec!["TEXT".into()]);
        let owned = resolved.as_ref().and_then(|r| r.owned.as_ref());
        // An application that calls InvokeModel with the model's own body (--app).
        let invokes = ctx
            .env
            .app
            .as_ref()
            .is_some_and(|p| p.invokes(&model, ctx.region(), ctx.env.region()));
        let probe = match &ctx.env.body {
            Some(body) => Probe::Invoke {
                body: body.clone(),
                what: "your request body (--body): its cost depends on what it asks for",
            },
            None if owned.is_some_and(|o| !o.converse) => Probe::Skip(
                "not called: Converse does not serve this imported model, and its architecture's own body is not known here: give it with --body FILE".into(),
            ),
            None => {
                let id = resolved
                    .as_ref()
                    .and_then(|r| r.model_id.as_deref())
                    .unwrap_or(&model);
                match probe_for(id, &outputs, ctx.env.settings.invoke_images) {
                    // An application that calls the native API gets its own request shape.
                    Probe::Converse if invokes => native_probe(id),
                    probe => probe,
                }
            }
        };
        let started = Instant::now();
        let no_retry = aws_sdk_bedrockruntime::config::Builder::default()
            .retry_config(RetryConfig::disabled());
        let clients = ctx.clients();
        let rt = &clients.runtime;
        let (request, result) = match &probe {
            Probe::Skip(why) => return Outcome::skip(why.clone()),
            Probe::Converse => {
                let msg = Message::builder()
                    .role(ConversationRole::User)
                    .content(ContentBlock::Text("Hi".into()))
                    .build()
                    .expect("role and content are set");
                let tier = ctx.env.settings.service_tier.map(|t| {
                    aws_sdk_bedrockruntime::types::ServiceTier::builder()
                        .r#type(t.as_str().into())
                        .build()
                        .expect("the tier type is set")
                });
                let request = format!(
                    "{}(modelId={model}, one user message \"Hi\", maxTokens={PROBE_MAX_TOKENS}{}{}): well under $0.001",
                    if ctx.env.settings.stream { "ConverseStream" } else { "Converse" },
                    tier_note(&ctx),
                    guardrail_note(&ctx)
                );
                let guardrail = ctx
                    .env
                    .settings
                    .guardrail
                    .as_ref()
                    .map(|g| (g.identifier(), g.version.clone()));
                let config = InferenceConfiguration::builder()
                    .max_tokens(PROBE_MAX_TOKENS)
                    .build();
                if ctx.env.settings.stream {
                    let sent = rt
                        .converse_stream()
                        .model_id(&model)
                        .messages(msg)
                        .inference_config(config)
                        .set_service_tier(tier)
                        .set_guardrail_config(guardrail.map(|(id, version)| {
                            GuardrailStreamConfiguration::builder()
                                .guardrail_identifier(id)
                                .guardrail_version(version)
                                .build()
                        }))
                        .customize()
                        .config_override(no_retry)
                        .send()
                        .await;
                    let streamed = match sent {
                        Ok(out) => read_stream(out.stream, started, converse_event).await,
                        Err(e) => Err(StreamFailure::Call(CallFailure::from_sdk(&e))),
                    };
                    return streamed_outcome(&ctx, &model, &request, streamed, started);
                }
                let sent = rt
                    .converse()
                    .model_id(&model)
                    .messages(msg)
                    .inference_config(config)
                    .set_service_tier(tier)
                    .set_guardrail_config(guardrail.map(|(id, version)| {
                        GuardrailConfiguration::builder()
                            .guardrail_identifier(id)
                            .guardrail_version(version)
                            .build()
                    }))
                    .customize()
                    .config_override(no_retry)
                    .send()
                    .await;
                (
                    request,
                    sent.map(|o| Some(o.stop_reason().as_str().to_string()))
                        .map_err(|e| CallFailure::from_sdk(&e)),
                )
            }
            // A built-in embedding or image probe is never streamed: those models do not stream.
            Probe::Invoke { body, what }
                if ctx.env.settings.stream && (ctx.env.body.is_some() || invokes) =>
            {
                let request = format!(
                    "InvokeModelWithResponseStream(modelId={model}, {} byte body{}{}): {what}",
                    body.len(),
                    tier_note(&ctx),
                    guardrail_note(&ctx)
                );
                let guardrail = ctx.env.settings.guardrail.as_ref();
                let sent = rt
                    .invoke_model_with_response_stream()
                    .model_id(&model)
                    .content_type("application/json")
                    .accept("application/json")
                    .body(Blob::new(body.as_bytes().to_vec()))
                    .set_service_tier(ctx.env.settings.service_tier.map(|t| t.as_str().into()))
                    .set_guardrail_identifier(guardrail.map(|g| g.identifier()))
                    .set_guardrail_version(guardrail.map(|g| g.version.clone()))
                    .customize()
                    .config_override(no_retry)
                    .send()
                    .await;
                let streamed = match sent {
                    Ok(out) => read_stream(out.body, started, response_chunk).await,
                    Err(e) => Err(StreamFailure::Call(CallFailure::from_sdk(&e))),
                };
                let out = streamed_outcome(&ctx, &model, &request, streamed, started);
                let resolved_id = resolved.as_ref().and_then(|r| r.model_id.as_deref());
                let linted = ctx
                    .env
                    .body
                    .as_deref()
                    .and_then(|b| lint_body(&ctx, b, resolved_id.unwrap_or(&model)));
                return match linted {
                    Some(f) => out.finding(f),
                    None => out,
                };
            }
            Probe::Invoke { body, what } => {
                let guardrail = ctx.env.settings.guardrail.as_ref();
                let sent = rt
                    .invoke_model()
                    .model_id(&model)
                    .content_type("application/json")
                    .accept("application/json")
                    .body(Blob::new(body.as_bytes().to_vec()))
                    .set_service_tier(ctx.env.settings.service_tier.map(|t| t.as_str().into()))
                    .set_guardrail_identifier(guardrail.map(|g| g.identifier()))
                    .set_guardrail_version(guardrail.map(|g| g.version.clone()))
                    .customize()
                    .config_override(no_retry)
                    .send()
                    .await;
                let request = format!(
                    "InvokeModel(modelId={model}, {} byte body{}{}): {what}",
                    body.len(),
                    tier_note(&ctx),
                    guardrail_note(&ctx)
                );
                (
                    request,
                    sent.map(|o| filtered_in_body(o.body().as_ref()))
                        .map_err(|e| CallFailure::from_sdk(&e)),
                )
            }
        };
        let took = started.elapsed().as_millis();
        let linted = ctx.env.body.as_deref().and_then(|b| {
            lint_body(
                &ctx,
                b,
                resolved
                    .as_ref()
                    .and_then(|r| r.model_id.as_deref())
                    .unwrap_or(&model),
            )
        });
        let out = match result {
            Ok(stop) if is_filtered(stop.as_deref()) => Outcome::default().finding(filtered(
                &ctx,
                &model,
                &request,
                stop.as_deref(),
                "filtered",
            )),
            Ok(stop) => {
                let out = Outcome::pass(format!("{model} answered in {took} ms"))
                    .detail(format!("request: {request}"))
                    .detail(format!(
                        "stop reason: {}",
                        stop.unwrap_or_else(|| "n/a".into())
                    ));
                if ctx.env.settings.stream {
                    out.detail("not streamed: embedding and image models have no streaming form")
                } else {
                    out
                }
            }
            Err(f) => failed(&ctx, &model, &request, &f, took),
        };
        match linted {
            Some(f) => out.finding(f),
            None => out,
        }
    })
}

/// What a streamed test call saw when it ended as a stream should.
struct Streamed {
    stop: Option<String>,
    first_token_ms: Option<u128>,
    events: usize,
}

/// How a streamed test call failed: the call itself or an exception inside the stream (with
/// how many events came first), or a stream that ended without its closing event.
enum StreamFailure {
    Call(CallFailure),
    InStream {
        failure: CallFailure,
        events: usize,
    },
    /// The stream ended without its closing event: cleanly, or (`broke`) in the middle of a
    /// frame or on a reading error, as the SDK said.
    Cut {
        events: usize,
        broke: Option<String>,
    },
}

/// Reads a stream to its end, counting its events and letting `note` read each one (the
/// first token, the stop reason). It is whole once a stop reason was seen; a modelled
/// exception inside it is classified like any failure, anything else means it was cut.
async fn read_stream<T, E>(
    mut stream: aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver<T, E>,
    started: Instant,
    note: impl Fn(T, &mut Streamed, Instant),
) -> Result<Streamed, StreamFailure>
where
    E: aws_sdk_bedrockruntime::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut seen = Streamed {
        stop: None,
        first_token_ms: None,
        events: 0,
    };
    loop {
        match stream.recv().await {
            Ok(Some(event)) => {
                seen.events += 1;
                note(event, &mut seen, started);
            }
            Ok(None) if seen.stop.is_some() => return Ok(seen),
            Ok(None) => {
                return Err(StreamFailure::Cut {
                    events: seen.events,
                    broke: None,
                })
            }
            Err(aws_sdk_bedrockruntime::error::SdkError::ServiceError(se)) => {
                let e = aws_sdk_bedrockruntime::error::SdkError::ServiceError(se);
                return Err(StreamFailure::InStream {
                    failure: CallFailure::from_stream(&e),
                    events: seen.events,
                });
            }
            Err(e) => {
                return Err(StreamFailure::Cut {
                    events: seen.events,
                    broke: Some(crate::calls::error_chain(&e)),
                })
            }
        }
    }
}

/// ConverseStream (API_runtime_ConverseStream: messageStart, content block events,
/// messageStop, metadata): the first text delta is the first token, messageStop the stop.
fn converse_event(
    event: aws_sdk_bedrockruntime::types::ConverseStreamOutput,
    seen: &mut Streamed,
    started: Instant,
) {
    use aws_sdk_bedrockruntime::types::ConverseStreamOutput as Event;
    match event {
        Event::ContentBlockDelta(_) if seen.first_token_ms.is_none() => {
            seen.first_token_ms = Some(started.elapsed().as_millis());
        }
        Event::MessageStop(m) => seen.stop = Some(m.stop_reason().as_str().to_string()),
        _ => {}
    }
}

/// InvokeModelWithResponseStream: the first chunk is the first token. Each chunk is the
/// model's native JSON: a stop reason in the model's own names, or the
/// amazon-bedrock-invocationMetrics object on the last chunk, says it is whole. (That object
/// is how AWS's streaming examples end; it was not re-read on an AWS page in this change.)
fn response_chunk(
    event: aws_sdk_bedrockruntime::types::ResponseStream,
    seen: &mut Streamed,
    started: Instant,
) {
    let chunk: Option<serde_json::Value> = event
        .as_chunk()
        .ok()
        .and_then(|c| c.bytes())
        .and_then(|b| serde_json::from_slice(b.as_ref()).ok());
    // Anthropic's chunks are its stream events (message_start, content_block_delta, ...,
    // message_delta with the stop reason, message_stop; AWS's InvokeModelWithResponseStream
    // example for Claude reads the text of content_block_delta): the first token is the
    // first delta. Other models' first chunk is their first token.
    let event_type = chunk
        .as_ref()
        .and_then(|c| c["type"].as_str())
        .map(str::to_string);
    if event_type
        .as_deref()
        .is_none_or(|t| t == "content_block_delta")
    {
        seen.first_token_ms
            .get_or_insert_with(|| started.elapsed().as_millis());
    }
    let Some(c) = chunk else { return };
    if let Some(r) = c["delta"]["stop_reason"].as_str() {
        seen.stop = Some(r.to_string());
    }
    if event_type.as_deref() == Some("message_stop") {
        seen.stop.get_or_insert_with(|| "message_stop".into());
    }
    if c.get("amazon-bedrock-invocationMetrics").is_some() {
        seen.stop.get_or_insert_with(|| "end".into());
    }
    let reason = [
        "stop_reason",
        "stopReason",
        "completionReason",
        "finish_reason",
    ]
    .iter()
    .find_map(|k| c.get(*k).and_then(|v| v.as_str()))
    .or_else(|| c["artifacts"][0]["finishReason"].as_str())
    .or_else(|| c["finish_reasons"][0].as_str());
    if let Some(r) = reason {
        seen.stop = Some(r.to_string());
    }
}

/// The verdict of a streamed test call: the time to the first token and in all, or what
/// broke the stream, classified like any other failure.
fn streamed_outcome(
    ctx: &Ctx,
    model: &str,
    request: &str,
    streamed: Result<Streamed, StreamFailure>,
    started: Instant,
) -> Outcome {
    let took = started.elapsed().as_millis();
    match streamed {
        Ok(s) if is_filtered(s.stop.as_deref()) => Outcome::default().finding(filtered(
            ctx,
            model,
            request,
            s.stop.as_deref(),
            "filtered-stream",
        )),
        Ok(s) => Outcome::pass(format!(
            "{model} streamed its answer: first token after {} ms, {took} ms in all",
            s.first_token_ms.map_or("n/a".to_string(), |t| t.to_string())
        ))
        .detail(format!("request: {request}"))
        .detail(format!("{} events; stop reason: {}", s.events, s.stop.unwrap_or_else(|| "n/a".into()))),
        Err(StreamFailure::Call(f)) => failed(ctx, model, request, &f, took),
        Err(StreamFailure::InStream { failure, events }) => {
            let mut out = failed(ctx, model, request, &failure, took);
            let note = format!("the call succeeded and the stream started: the error came inside it, after {events} event(s); a non-streaming call may well pass");
            for f in &mut out.findings {
                f.evidence.push(note.clone());
            }
            out
        }
        Err(StreamFailure::Cut { events, broke }) => Outcome::default().finding(
            Finding::new(Cause::ServiceUnavailable, Severity::Error, format!("the stream from {model} ended before the model finished"))
                .evidence(format!("request: {request}"))
                .evidence(match broke {
                    None => format!("{events} event(s) arrived, then the stream closed after {took} ms without its end (messageStop, or the final chunk with the invocation metrics) and without an error"),
                    Some(why) => format!("{events} event(s) arrived, then the stream broke after {took} ms, before its end: {why}"),
                })
                .fixes(super::fixes("invoke", "stream-cut", &[]))
                .doc("https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html"),
        ),
    }
}

fn tier_note(ctx: &Ctx) -> String {
    ctx.env
        .settings
        .service_tier
        .map(|t| format!(", serviceTier={}", t.as_str()))
        .unwrap_or_default()
}

/// `--body` is linted before it is sent: the problems lint finds become evidence.
fn lint_body(ctx: &Ctx, body: &str, model: &str) -> Option<Finding> {
    let report =
        match crate::lint::lint_text(body, "--body", model, crate::cli::LintOperation::Invoke) {
            Ok(r) => r,
            Err(_) => return None,
        };
    if report.problems.is_empty() {
        return None;
    }
    let mut f = Finding::new(
        Cause::InvalidRequestBody,
        Severity::Error,
        format!(
            "lint finds {} problem(s) in the --body for {model} ({})",
            report.problems.len(),
            report.family_title
        ),
    );
    let file = ctx
        .env
        .settings
        .body
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "<body file>".into());
    for p in &report.problems {
        let hint = p
            .hint
            .as_deref()
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        f = f.evidence(format!(
            "{} {}: {}{hint}",
            if p.path.is_empty() { "(body)" } else { &p.path },
            p.kind,
            p.message
        ));
    }
    Some(
        f.fixes(super::fixes(
            "invoke",
            "body-problems",
            &[("model", model), ("file", &file)],
        ))
        .doc(report.docs.clone()),
    )
}

/// `, guardrail ID:VERSION` for the request line, when the call carries one.
fn guardrail_note(ctx: &Ctx) -> String {
    ctx.env
        .settings
        .guardrail
        .as_ref()
        .map(|g| format!(", guardrail {}:{}", g.id, g.version))
        .unwrap_or_default()
}

/// The test call was answered and blocked. With `--guardrail`, a guardrail intervention is
/// that guardrail's decision, named, not a failure of the account.
fn filtered(ctx: &Ctx, model: &str, request: &str, stop: Option<&str>, situation: &str) -> Finding {
    let stop = stop.unwrap_or_default();
    let finding = |summary: String| {
        Finding::new(Cause::ContentFiltered, Severity::Error, summary)
            .evidence(format!("request: {request}"))
            .evidence(format!("stop reason: {stop}"))
            .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails.html")
    };
    match (&ctx.env.settings.guardrail, stop) {
        (Some(g), "guardrail_intervened") => {
            let name = ctx
                .facts
                .get::<super::guardrail::GuardrailInUse>()
                .map(|u| format!("`{}` ", u.name))
                .unwrap_or_default();
            let facts = [
                ("id", g.id.as_str()),
                ("version", g.version.as_str()),
                ("region", ctx.region()),
            ];
            finding(format!("the guardrail {name}({}:{}) blocked the test call to {model}", g.id, g.version))
                .evidence("the model and the account answered; the guardrail's policies decided to block a one-word prompt")
                .fixes(super::fixes("invoke", "guardrail-blocked", &facts))
        }
        _ => finding(format!(
            "{model} answered, but a content filter or guardrail blocked the reply"
        ))
        .fixes(super::fixes("invoke", situation, &[])),
    }
}

fn is_filtered(stop: Option<&str>) -> bool {
    matches!(
        stop,
        Some("content_filtered" | "guardrail_intervened" | "CONTENT_FILTERED")
    )
}

/// InvokeModel says "filtered" inside a 200 body: a guardrail with
/// `"amazon-bedrock-guardrailAction": "INTERVENED"` (API_runtime_InvokeModel.html), image
/// models with their finish reason.
fn filtered_in_body(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    if v["amazon-bedrock-guardrailAction"] == "INTERVENED" {
        return Some("guardrail_intervened".into());
    }
    let reason = v["artifacts"][0]["finishReason"]
        .as_str()
        .or_else(|| v["finish_reasons"][0].as_str())?;
    Some(reason.to_string())
}

fn failed(ctx: &Ctx, model: &str, request: &str, f: &CallFailure, took: u128) -> Outcome {
    let (cause, why, fix) = match f {
        CallFailure::Service {
            code,
            message,
            status,
        } => {
            // The id as the fix should name it: the one called when it is a model or system
            // profile id, else (an ARN) the foundation model resolved behind it.
            let named = match ctx.model.as_ref().map(|m| &m.parsed) {
                Some(Ok(
                    crate::models::ModelRef::Foundation { .. }
                    | crate::models::ModelRef::SystemProfile { .. },
                )) => model.to_string(),
                _ => super::model_id_of(ctx).unwrap_or_default(),
            };
            let c = crate::knowledge::classify_error(
                Some(code),
                message,
                *status,
                (ctx.region(), &named),
            );
            match c.top() {
                Some(top) => (Some(top.cause), top.why.clone(), top.fix.clone()),
                None => (None, vec![], vec![]),
            }
        }
        CallFailure::Unreachable(_) => (
            Some(Cause::NetworkUnreachable),
            vec![],
            super::fixes("invoke", "unreachable", &[]),
        ),
        CallFailure::TimedOut(_) => (
            Some(Cause::ModelTimeout),
            vec![],
            super::fixes("invoke", "timed-out", &[]),
        ),
        _ => (None, vec![], vec![]),
    };
    let Some(cause) = cause else {
        return Outcome::error(format!(
            "the test call (bedrock-runtime:{}) failed in a way the doctor does not recognise: {}",
            request.split('(').next().unwrap_or("InvokeModel"),
            f.describe()
        ))
        .detail(format!("request: {request}"));
    };
    let mut finding = Finding::new(
        cause,
        Severity::Error,
        format!("the test call to {model} failed: {}", cause.title()),
    )
    .evidence(format!("request: {request}"))
    .evidence(format!("AWS answered after {took} ms: {}", f.describe()));
    if !why.is_empty() {
        finding = finding.evidence(format!("recognised by: {}", why.join(" | ")));
    }
    finding = finding.fixes(fix);
    let denied = matches!(
        cause,
        Cause::IamNotAuthorized
            | Cause::IamExplicitDeny
            | Cause::ScpDeny
            | Cause::PermissionsBoundaryDeny
    );
    if denied && f.describe().contains("bedrock:ApplyGuardrail") {
        finding = finding.evidence(GUARDRAIL_DENIED);
    }
    Outcome::default().finding(finding)
}

const GUARDRAIL_DENIED: &str = "the denied action is bedrock:ApplyGuardrail, which every call made with a guardrail needs: see the iam-permissions check";

/// The join of the test call and the IAM simulation, made once both have finished (the test
/// call does not wait for the simulation): a denial the simulation allowed for the same model
/// and region points at what the simulation cannot see.
pub fn join_simulation(results: &mut [crate::report::CheckResult], api_key: bool) {
    let key = |r: &crate::report::CheckResult| (r.model.clone(), r.region.clone());
    // What the simulation predicted: a denial by IAM (iam-permissions) or by an SCP (scp).
    let predicted: Vec<_> = results
        .iter()
        .filter(|r| (r.id == "iam-permissions" || r.id == "scp") && !r.findings.is_empty())
        .map(key)
        .collect();
    let allowed: Vec<_> = results
        .iter()
        .filter(|r| r.id == "iam-permissions" && r.status == crate::report::Status::Pass)
        .map(key)
        .filter(|k| !predicted.contains(k))
        .collect();
    for r in results.iter_mut().filter(|r| r.id == "invoke") {
        if !allowed.contains(&(r.model.clone(), r.region.clone())) {
            continue;
        }
        for f in &mut r.findings {
            let denied = matches!(
                f.cause,
                Cause::IamNotAuthorized
                    | Cause::IamExplicitDeny
                    | Cause::ScpDeny
                    | Cause::PermissionsBoundaryDeny
            );
            if !denied || f.evidence.iter().any(|e| e == GUARDRAIL_DENIED) {
                continue;
            }
            let mut note = "the IAM simulation allowed this call, yet the service denied it: look for what the simulation cannot see (a session policy, a VPC endpoint policy, a resource control policy".to_string();
            if api_key {
                note.push_str(
                    ", or AWS_BEARER_TOKEN_BEDROCK making the call as the API key's identity",
                );
            }
            note.push(')');
            f.evidence.push(note);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(m: &[&str]) -> Vec<String> {
        m.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn probes_fit_the_model_and_never_spend_on_images_by_default() {
        assert_eq!(
            probe_for("amazon.nova-lite-v1:0", &out(&["TEXT"]), false),
            Probe::Converse
        );
        assert!(matches!(
            probe_for("amazon.titan-embed-text-v2:0", &out(&["EMBEDDING"]), false),
            Probe::Invoke { .. }
        ));
        assert!(matches!(
            probe_for("us.cohere.embed-v4:0", &out(&["EMBEDDING"]), false),
            Probe::Invoke { .. }
        ));
        assert!(matches!(
            probe_for("stability.stable-image-core-v1:1", &out(&["IMAGE"]), false),
            Probe::Skip(_)
        ));
        assert!(matches!(
            probe_for("stability.stable-image-core-v1:1", &out(&["IMAGE"]), true),
            Probe::Invoke { .. }
        ));
        assert!(matches!(
            probe_for("amazon.nova-reel-v1:0", &out(&["VIDEO"]), true),
            Probe::Skip(_)
        ));
    }

    #[test]
    fn a_denial_the_simulation_allowed_is_called_out_once_both_finished() {
        use crate::report::{CheckResult, Status};
        let row = |id: &str, model: &str, status: Status, findings: Vec<Finding>| CheckResult {
            id: id.into(),
            title: id.into(),
            model: Some(model.into()),
            region: None,
            status,
            summary: String::new(),
            details: vec![],
            findings,
            duration_ms: 0,
            shape: None,
        };
        let denial = || {
            vec![Finding::new(
                Cause::IamNotAuthorized,
                Severity::Error,
                "denied",
            )]
        };
        let mut results = vec![
            row("iam-permissions", "a", Status::Pass, vec![]),
            row("iam-permissions", "b", Status::Fail, denial()),
            row("iam-permissions", "c", Status::Pass, vec![]),
            row("scp", "c", Status::Fail, denial()),
            row("invoke", "a", Status::Fail, denial()),
            row("invoke", "b", Status::Fail, denial()),
            row("invoke", "c", Status::Fail, denial()),
        ];
        join_simulation(&mut results, true);
        let note = |r: &CheckResult| {
            r.findings[0].evidence.iter().any(|e| {
                e.contains("the IAM simulation allowed this call")
                    && e.contains("AWS_BEARER_TOKEN_BEDROCK")
            })
        };
        assert!(note(&results[4]), "model a: the simulation allowed it");
        assert!(!note(&results[5]), "model b: IAM predicted the denial");
        assert!(
            !note(&results[6]),
            "model c: the SCP simulation predicted it"
        );
    }

    #[test]
    fn filtered_answers_are_recognised() {
        assert!(is_filtered(Some("content_filtered")));
        assert!(is_filtered(
            filtered_in_body(br#"{"artifacts":[{"finishReason":"CONTENT_FILTERED"}]}"#).as_deref()
        ));
        // InvokeModel with a guardrail that intervened (API_runtime_InvokeModel.html).
        let intervened = br#"{"amazon-bedrock-guardrailAction":"INTERVENED","outputs":[]}"#;
        assert_eq!(
            filtered_in_body(intervened).as_deref(),
            Some("guardrail_intervened")
        );
        let passed = br#"{"amazon-bedrock-guardrailAction":"NONE","outputs":[]}"#;
        assert!(!is_filtered(filtered_in_body(passed).as_deref()));
        assert!(!is_filtered(Some("end_turn")));
    }
}
