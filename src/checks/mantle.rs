//! `mantle` (only with `--endpoint-kind mantle`): a model called through bedrock-mantle, the
//! OpenAI-compatible endpoint. Its permissions are its own IAM prefix: inference is
//! `bedrock-mantle:CreateInference` on a project (every account has `project/default`), with
//! the model in `bedrock-mantle:Model`, and a call with a Bedrock API key also needs
//! `bedrock-mantle:CallWithBearerToken` (Service Authorization Reference, list_bedrock-mantle;
//! user guide bedrock-mantle.html). The check simulates those as the principal, then makes
//! one chat completion and reads the answer (src/mantle.rs).

use super::iam_permissions::context_entry;
use super::identity::CallerIdentity;
use super::principal::Principal;
use super::{fixes, Ctx};
use crate::aws::CallFailure;
use crate::causes::Cause;
use crate::mantle::{self, Auth};
use crate::report::{Finding, Severity};
use crate::runner::{CheckFuture, Outcome};
use aws_credential_types::provider::ProvideCredentials;

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move {
        let model = ctx.model_text();
        let region = ctx.region().to_string();
        let api_key = ctx.env.setup.api_key_token.clone();
        let account = ctx.facts.get::<CallerIdentity>().map(|c| c.account.clone());
        let principal = ctx.facts.get::<Principal>().cloned();
        let project = account.as_ref().map(|a| {
            format!(
                "arn:{}:bedrock-mantle:{region}:{a}:project/default",
                crate::catalog::partition(&region)
            )
        });
        let role = principal
            .as_ref()
            .and_then(|p| p.iam_arn.split(":role/").nth(1))
            .map(|r| r.rsplit('/').next().unwrap_or(r).to_string());
        let mut out = Outcome::default();

        // The simulation, when the caller's principal and account are known, and the call
        // runs as them: SigV4, or a short-term API key (it carries the permissions of the
        // principal that made it; a long-term key acts as its own IAM user).
        let long_term_key = matches!(
            ctx.env.setup.api_key,
            Some(crate::api_key::ApiKey::LongTerm)
        );
        let mut denial: Option<Finding> = None;
        match (&principal, &project) {
            _ if long_term_key => {
                out = out.detail("not simulated: a long-term API key acts as the IAM user it was made for, not as the caller the doctor can name");
            }
            (Some(p), Some(project)) => {
                match simulate(&ctx, &p.iam_arn, project, &model, api_key.is_some()).await {
                    Ok(results) => {
                        for (action, decision, statements) in &results {
                            out = out.detail(format!(
                                "{action} on {}: {decision}",
                                if action.ends_with("CallWithBearerToken") {
                                    "*"
                                } else {
                                    project
                                }
                            ));
                            if decision == "allowed" {
                                continue;
                            }
                            let explicit = decision == "explicitDeny";
                            let situation = if action.ends_with("CallWithBearerToken") {
                                "bearer-denied"
                            } else {
                                "iam-denied"
                            };
                            let denied_by = statements.join("; ");
                            let mut facts =
                                vec![("project", project.as_str()), ("region", region.as_str())];
                            if let Some(r) = &role {
                                facts.push(("role", r.as_str()));
                            }
                            if explicit {
                                facts.push(("denied_by", denied_by.as_str()));
                            }
                            let f = Finding::new(
                                if explicit { Cause::IamExplicitDeny } else { Cause::IamNotAuthorized },
                                Severity::Error,
                                format!("{} may not call {model} through bedrock-mantle: {action} is {}", p.iam_arn, if explicit { "explicitly denied" } else { "not allowed by any policy" }),
                            )
                            .evidence(format!("iam:SimulatePrincipalPolicy for {} with bedrock-mantle:Model={model}: {action} {decision}", p.iam_arn))
                            .fixes(fixes("mantle", situation, &facts))
                            .doc("https://docs.aws.amazon.com/service-authorization/latest/reference/list_bedrock-mantle.html");
                            if denial.is_none() {
                                denial = Some(f.clone());
                            }
                            out = out.finding(f);
                        }
                    }
                    Err(e) => {
                        out = out.detail(e.could_not(
                            "simulate bedrock-mantle:CreateInference",
                            "iam:SimulatePrincipalPolicy",
                        ))
                    }
                }
            }
            _ => {
                out = out.detail("not simulated: the caller's principal or account is not known (see the identity and principal checks)");
            }
        }

        if ctx.env.settings.no_invoke {
            return finish(out, "--no-invoke: no chat completion sent");
        }
        let auth = match api_key {
            Some(key) => Auth::ApiKey(key),
            None => match credentials(&ctx).await {
                Ok(c) => Auth::SigV4(c),
                Err(why) => return Outcome::error(format!("no chat completion sent: {why}")),
            },
        };
        let endpoint = ctx
            .env
            .setup
            .endpoint_for("BEDROCK_MANTLE")
            .map(|e| e.value.clone());
        let base = mantle::base_url(&region, endpoint.as_deref());
        // A Bedrock API key travels as it is: never in clear text off this machine.
        if matches!(auth, Auth::ApiKey(_)) && !mantle::safe_for_a_key(&base) {
            return Outcome::error(format!(
                "no chat completion sent: the endpoint {base} is plain http and not on this machine, and the request would carry the API key in clear text"
            ));
        }
        let request = format!(
            "POST {base}{} (model {model}, one user message \"Hi\", max_tokens 32, {}): well under $0.001",
            mantle::CHAT_PATH,
            match auth {
                Auth::ApiKey(_) => "Bedrock API key",
                Auth::SigV4(_) => "SigV4 for bedrock-mantle",
            }
        );
        let timeout = ctx.env.settings.check_timeout.mul_f64(0.9);
        let answer = match mantle::chat_completion(&base, &region, &model, &auth, timeout).await {
            Ok(a) => a,
            Err(why) => {
                return Outcome::error(format!("the chat completion got no answer: {why}"))
                    .detail(format!("request: {request}"))
            }
        };
        if (200..300).contains(&answer.status) {
            return finish(
                out.detail(format!("request: {request}")),
                &format!(
                    "{model} answered on bedrock-mantle in {region} in {} ms",
                    answer.took_ms
                ),
            );
        }
        let refusal = classify(answer.status, &answer.body);
        let said = format!(
            "bedrock-mantle answered HTTP {} after {} ms: {}{}",
            answer.status,
            answer.took_ms,
            if refusal.code.is_empty() {
                String::new()
            } else {
                format!("{}: ", refusal.code)
            },
            refusal.message
        );
        // The simulation already named this denial: the call confirms it.
        if let Some(d) = denial.filter(|d| d.cause == refusal.cause) {
            for f in out.findings.iter_mut().filter(|f| f.summary == d.summary) {
                f.evidence
                    .push(format!("the chat completion confirms it: {said}"));
            }
            out.summary = d.summary;
            return out.detail(format!("request: {request}"));
        }
        let project_arn = project.unwrap_or_else(|| {
            format!("arn:aws:bedrock-mantle:{region}:(your account):project/default")
        });
        let mut facts = vec![
            ("project", project_arn.as_str()),
            ("region", region.as_str()),
        ];
        if let Some(r) = &role {
            facts.push(("role", r.as_str()));
        }
        let f = Finding::new(
            refusal.cause,
            Severity::Error,
            // The endpoint's own words when they are short enough to be the summary.
            if refusal.message.len() <= 120 {
                format!("bedrock-mantle refused {model}: {}", refusal.message)
            } else {
                format!("bedrock-mantle refused {model}: {}", refusal.cause.title())
            },
        )
        .evidence(format!("request: {request}"))
        .evidence(said)
        .fixes(fixes("mantle", refusal.situation, &facts))
        .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/bedrock-mantle.html");
        out.summary = f.summary.clone();
        out.finding(f)
    })
}

/// A pass unless something was found.
fn finish(mut out: Outcome, pass: &str) -> Outcome {
    out.summary = match out.findings.first() {
        Some(f) => f.summary.clone(),
        None => pass.to_string(),
    };
    out
}

async fn credentials(ctx: &Ctx) -> Result<aws_credential_types::Credentials, String> {
    let provider = ctx
        .env
        .credentials
        .clone()
        .ok_or("no credentials provider was configured")?;
    provider.provide_credentials().await.map_err(|e| {
        format!(
            "no credentials to sign it with: {}",
            crate::calls::error_chain(&e)
        )
    })
}

/// (action, decision, the statements that decided a deny) for CreateInference on the
/// project, and CallWithBearerToken (on `*`) when an API key is used.
async fn simulate(
    ctx: &Ctx,
    principal: &str,
    project: &str,
    model: &str,
    bearer: bool,
) -> Result<Vec<(String, String, Vec<String>)>, CallFailure> {
    let mut context = vec![
        context_entry("aws:RequestedRegion", ctx.region()),
        context_entry("bedrock-mantle:Model", model),
    ];
    if let Some(kind) = ctx.env.setup.api_key.as_ref().and_then(|k| k.token_type()) {
        context.push(context_entry("bedrock-mantle:BearerTokenType", kind));
    }
    let mut asks = vec![("bedrock-mantle:CreateInference", project.to_string())];
    if bearer {
        asks.push(("bedrock-mantle:CallWithBearerToken", "*".to_string()));
    }
    let mut results = Vec::new();
    for (action, resource) in asks {
        let out = ctx
            .env
            .clients
            .iam
            .simulate_principal_policy()
            .policy_source_arn(principal)
            .action_names(action)
            .resource_arns(resource)
            .set_context_entries(Some(context.clone()))
            .send()
            .await
            .map_err(|e| CallFailure::from_sdk(&e))?;
        for r in out.evaluation_results() {
            let statements = r
                .matched_statements()
                .iter()
                .map(|s| s.source_policy_id().unwrap_or("a policy").to_string())
                .collect();
            results.push((
                r.eval_action_name().to_string(),
                r.eval_decision().as_str().to_string(),
                statements,
            ));
        }
    }
    Ok(results)
}

/// What an error answer means: the cause, and the endpoint's own words.
#[derive(Debug, Clone, PartialEq)]
struct Refusal {
    cause: Cause,
    /// The error's `code` or `type`, and its message.
    code: String,
    message: String,
    /// Which situation of checks/mantle.toml's `[fix]` applies.
    situation: &'static str,
}

/// Read a non-2xx answer. Matched on the message and code, not the status alone: public
/// reports show the same IAM denial as 401 and as 403.
fn classify(status: u16, body: &str) -> Refusal {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let error = &v["error"];
    let message = error["message"]
        .as_str()
        .or_else(|| v["message"].as_str())
        .or_else(|| v["Message"].as_str())
        .unwrap_or(body)
        .trim()
        .to_string();
    let code = error["code"]
        .as_str()
        .or_else(|| error["type"].as_str())
        .unwrap_or("")
        .to_string();
    let lower = message.to_ascii_lowercase();
    let (cause, situation) = if lower.contains("callwithbearertoken") {
        (Cause::IamNotAuthorized, "bearer-denied")
    } else if lower.contains("not authorized to perform") && lower.contains("explicit deny") {
        if lower.contains("service control policy") {
            (Cause::ScpDeny, "scp-denied")
        } else {
            (Cause::IamExplicitDeny, "iam-denied")
        }
    } else if lower.contains("not authorized to perform") {
        (Cause::IamNotAuthorized, "iam-denied")
    } else if lower.contains("credential should be scoped") {
        (Cause::WrongServiceOrOperation, "wrong-signing-name")
    } else if lower.contains("does not support the '/v1/chat/completions' api")
        || lower.contains("isn't supported on this route")
        || lower.contains("is not enabled for this account")
    {
        (Cause::WrongServiceOrOperation, "wrong-route")
    } else if lower.contains("does not exist") || status == 404 {
        (Cause::ModelIdInvalid, "model-not-found")
    } else if status == 429 {
        (Cause::Throttled, "throttled")
    } else if status == 401 || status == 403 || lower.contains("api key") {
        (Cause::CredentialsInvalid, "key-refused")
    } else if status >= 500 {
        (Cause::ServiceUnavailable, "unavailable")
    } else {
        (Cause::InvalidRequestBody, "bad-request")
    };
    Refusal {
        cause,
        code,
        message,
        situation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers as users quote them in public threads (SOURCES.md, "bedrock-mantle").
    #[test]
    fn refusals_are_read_by_their_words() {
        let denied = r#"{"error":{"code":"access_denied","message":"User: arn:aws:sts::111122223333:assumed-role/app/s is not authorized to perform: bedrock-mantle:CreateInference on resource: arn:aws:bedrock-mantle:us-east-1:111122223333:project/default because no session policy allows the bedrock-mantle:CreateInference action","param":null,"type":"permission_denied_error"}}"#;
        for status in [401, 403] {
            let r = classify(status, denied);
            assert_eq!(
                (r.cause, r.situation),
                (Cause::IamNotAuthorized, "iam-denied")
            );
            assert_eq!(r.code, "access_denied");
        }
        let cases = [
            (
                404,
                r#"{"error":{"code":"not_found_error","message":"The model 'us.openai.gpt-oss-120b' does not exist","param":null,"type":"invalid_request_error"}}"#,
                Cause::ModelIdInvalid,
            ),
            (
                400,
                r#"{"error":{"code":"invalid_request_error","message":"The model 'anthropic.claude-opus-5' does not support the '/v1/chat/completions' API","param":null,"type":"invalid_request_error"}}"#,
                Cause::WrongServiceOrOperation,
            ),
            (
                401,
                r#"{"error":{"code":"access_denied","message":"Berm is not enabled for this account","param":null,"type":"permission_denied_error"}}"#,
                Cause::WrongServiceOrOperation,
            ),
            (
                401,
                r#"{"message":"Credential should be scoped to correct service: 'bedrock-mantle'."}"#,
                Cause::WrongServiceOrOperation,
            ),
            (
                403,
                r#"{"error":{"code":"access_denied","message":"User: arn:aws:iam::1:user/u is not authorized to perform: bedrock-mantle:CallWithBearerToken on resource: *","type":"permission_denied_error"}}"#,
                Cause::IamNotAuthorized,
            ),
            (
                429,
                r#"{"error":{"code":"rate_limit_exceeded","message":"Too many tokens","type":"rate_limit_error"}}"#,
                Cause::Throttled,
            ),
            (
                401,
                r#"{"Message":"Authentication failed: Please make sure your API Key is valid."}"#,
                Cause::CredentialsInvalid,
            ),
            (503, "", Cause::ServiceUnavailable),
        ];
        for (status, body, cause) in cases {
            assert_eq!(classify(status, body).cause, cause, "{body}");
        }
    }
}
