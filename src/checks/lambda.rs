//! `lambda` (only with `--lambda`): the function that calls Bedrock. Its configuration is
//! read before the checks start (GetFunctionConfiguration), because it decides the run: its
//! role is the principal the permission checks simulate, and the model ids in its environment
//! are the models checked, unless the command line names them. The check then compares the
//! function's timeout with the latency its models showed (CloudWatch InvocationLatency, p99),
//! and, with no traffic to go by, with what image and video models are known to take.
//!
//! Facts from AWS: GetFunctionConfiguration (GET /2015-03-31/functions/{FunctionName}/
//! configuration) answers Role, Timeout (seconds; 3 by default, 900 at most), Environment and
//! State; a function that does not exist is ResourceNotFoundException (API_GetFunctionConfiguration,
//! API_CreateFunction). InvocationLatency is "the time from when a request is sent to when
//! the last token is received" (monitoring-runtime-metrics.html).

use super::{fixes, Ctx};
use crate::aws::{CallFailure, Clients};
use crate::causes::Cause;
use crate::cli::{DoctorArgs, LambdaRef};
use crate::report::{Finding, Severity};
use crate::runner::{CheckFuture, Outcome};

/// The function as GetFunctionConfiguration describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub name: String,
    pub arn: String,
    pub role: String,
    pub timeout_secs: i32,
    pub runtime: String,
    pub state: String,
    /// The environment variables whose value is a Bedrock model id, profile id or ARN.
    pub model_vars: Vec<(String, String)>,
}

/// What reading the function gave, kept for the check to report.
pub type Read = Result<Function, CallFailure>;

/// Read the function (in the run's region, where a name is looked up).
pub async fn read(clients: &Clients, function: &LambdaRef) -> Read {
    let c = clients
        .lambda
        .get_function_configuration()
        .function_name(&function.function)
        .send()
        .await
        .map_err(|e| CallFailure::from_sdk(&e))?;
    let mut model_vars: Vec<(String, String)> = c
        .environment()
        .and_then(|e| e.variables())
        .map(|vars| {
            vars.iter()
                .filter(|(_, v)| names_a_model(v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    model_vars.sort();
    Ok(Function {
        name: c.function_name().unwrap_or_default().to_string(),
        arn: c.function_arn().unwrap_or_default().to_string(),
        role: c.role().unwrap_or_default().to_string(),
        timeout_secs: c.timeout().unwrap_or(3),
        runtime: c
            .runtime()
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
        state: c
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        model_vars,
    })
}

/// A value that names a Bedrock model: a Bedrock ARN, or an id whose provider (after any
/// profile prefix) is one the catalog knows. `python3.12` parses as an id; it is no model.
fn names_a_model(value: &str) -> bool {
    let v = value.trim();
    if v.starts_with("arn:") {
        return v.contains(":bedrock:") && crate::models::parse(v).is_ok();
    }
    let bare = crate::models::PROFILE_PREFIXES
        .iter()
        .find_map(|p| v.strip_prefix(p))
        .unwrap_or(v);
    let provider = bare.split('.').next().unwrap_or("");
    crate::models::parse(v).is_ok()
        && crate::catalog::snapshot()
            .models
            .iter()
            .any(|m| m.model_id.split('.').next() == Some(provider))
}

/// The function's settings become the run's where the command line gave none: its role the
/// principal, its model ids the models.
pub fn apply(f: &Function, args: &mut DoctorArgs) {
    if args.principal.is_none() && crate::cli::parse_principal(&f.role).is_ok() {
        args.principal = Some(f.role.clone());
    }
    if args.models.is_empty() {
        args.models = f
            .model_vars
            .iter()
            .map(|(_, v)| v.trim().to_string())
            .collect();
        args.models.dedup();
    }
}

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move {
        let (Some(asked), Some(read)) = (&ctx.env.settings.lambda, &ctx.env.lambda) else {
            return Outcome::skip("not applicable: no --lambda");
        };
        let f = match read {
            Ok(f) => f,
            Err(e) if e.code() == Some("ResourceNotFoundException") => {
                return Outcome::error(format!(
                    "the function `{}` does not exist in {} (lambda:GetFunctionConfiguration: {}): give its ARN, or the region it is in with --region",
                    asked.function,
                    ctx.region(),
                    e.describe()
                ))
            }
            Err(e) => {
                return Outcome::error(e.could_not(
                    &format!("read the function `{}`", asked.function),
                    "lambda:GetFunctionConfiguration",
                ))
            }
        };
        check(&ctx, f).await
    })
}

async fn check(ctx: &Ctx, f: &Function) -> Outcome {
    let mut out = Outcome::pass(format!(
        "function `{}` calls Bedrock as {} (timeout {} s)",
        f.name, f.role, f.timeout_secs
    ))
    .detail(format!(
        "{}: runtime {}, state {}, timeout {} s",
        f.arn, f.runtime, f.state, f.timeout_secs
    ));
    for (k, v) in &f.model_vars {
        out = out.detail(format!("model from its environment: {k}={v}"));
    }
    if f.model_vars.is_empty() {
        if ctx.env.models.is_empty() {
            // Nothing of the function's Bedrock use was checked: that is not a pass.
            return Outcome::error(format!(
                "no model was checked: no environment variable of function `{}` holds a model id; give the model it calls with --model",
                f.name
            ));
        }
        out = out.detail("no environment variable holds a model id: give the model with --model");
    }
    if ctx.env.settings.principal.as_deref() != Some(f.role.as_str()) {
        out = out.detail(
            "--principal was given: its permissions are checked instead of the function's role",
        );
    }
    let metrics = ctx.env.shared.metrics(&ctx.env, ctx.region()).await;
    let timeout_ms = f64::from(f.timeout_secs) * 1000.0;
    for model in &ctx.env.models {
        let observed = match &metrics {
            Ok(m) => m.get(model).and_then(|m| m.latency_p99_ms),
            Err(e) => {
                out =
                    out.detail(e.could_not("read the models' latency", "cloudwatch:GetMetricData"));
                None
            }
        };
        if let Some(finding) = headroom(f, model, observed, timeout_ms, ctx.region()) {
            out.summary = String::new();
            out = out.finding(finding);
        }
    }
    out
}

/// The function's timeout against the model's latency: at the p99 it saw, or, without
/// traffic, what image and video models take (seed 003's image Lambda: 3 s by default).
fn headroom(
    f: &Function,
    model: &str,
    p99_ms: Option<f64>,
    timeout_ms: f64,
    region: &str,
) -> Option<Finding> {
    let suggested = |ms: f64| {
        ((ms * 2.0 / 1000.0).ceil() as i64)
            .clamp(30, 900)
            .to_string()
    };
    let (severity, summary, seen, target) = match p99_ms {
        Some(p99) if p99 >= timeout_ms * 0.8 => (
            if p99 >= timeout_ms { Severity::Error } else { Severity::Warning },
            format!(
                "the function's timeout of {} s leaves no headroom for {model}: its p99 latency was {:.1} s",
                f.timeout_secs,
                p99 / 1000.0
            ),
            format!("CloudWatch AWS/Bedrock InvocationLatency p99 for {model} over the window: {p99:.0} ms; the function stops after {timeout_ms:.0} ms"),
            suggested(p99),
        ),
        None if slow_model(model) && timeout_ms < 60_000.0 => (
            Severity::Warning,
            format!(
                "the function's timeout of {} s is short for {model}: image and video models often take 10 to 60 s",
                f.timeout_secs
            ),
            "no recent invocations to measure; an image or video model answers in seconds to minutes".to_string(),
            "120".to_string(),
        ),
        _ => return None,
    };
    let facts = [
        ("function", f.name.as_str()),
        ("timeout", target.as_str()),
        ("region", region),
    ];
    Some(
        Finding::new(Cause::ModelTimeout, severity, summary)
            .evidence(seen)
            .fixes(fixes("lambda", "timeout-headroom", &facts))
            .doc("https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html"),
    )
}

/// An image or video model, by the offline catalog's output modalities.
fn slow_model(model: &str) -> bool {
    let id = crate::models::base_model_id(model);
    crate::catalog::snapshot().models.iter().any(|m| {
        m.model_id == id
            && m.output_modalities
                .iter()
                .any(|o| o == "IMAGE" || o == "VIDEO")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(timeout: i32) -> Function {
        Function {
            name: "image-gen".into(),
            arn: "arn:aws:lambda:us-east-1:111122223333:function:image-gen".into(),
            role: "arn:aws:iam::111122223333:role/image-gen-role".into(),
            timeout_secs: timeout,
            runtime: "python3.12".into(),
            state: "Active".into(),
            model_vars: vec![],
        }
    }

    #[test]
    fn model_ids_are_told_from_other_values() {
        assert!(names_a_model("stability.stable-image-core-v1:1"));
        assert!(names_a_model("us.anthropic.claude-sonnet-4-6"));
        assert!(names_a_model(
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"
        ));
        assert!(!names_a_model("python3.12"));
        assert!(!names_a_model("my-bucket"));
        assert!(!names_a_model("arn:aws:s3:::my-bucket"));
    }

    #[test]
    fn a_timeout_below_the_latency_fails_and_a_close_one_warns() {
        let f = function(3);
        let late = headroom(
            &f,
            "amazon.nova-lite-v1:0",
            Some(4_200.0),
            3_000.0,
            "us-east-1",
        )
        .unwrap();
        assert_eq!(
            (late.cause, late.severity),
            (Cause::ModelTimeout, Severity::Error)
        );
        assert!(
            late.remediation[0].contains("--timeout 30"),
            "{:?}",
            late.remediation
        );
        let close = headroom(
            &f,
            "amazon.nova-lite-v1:0",
            Some(2_600.0),
            3_000.0,
            "us-east-1",
        )
        .unwrap();
        assert_eq!(close.severity, Severity::Warning);
        assert!(headroom(
            &f,
            "amazon.nova-lite-v1:0",
            Some(900.0),
            3_000.0,
            "us-east-1"
        )
        .is_none());
        // No traffic: only an image or video model is known to be slow.
        assert!(headroom(
            &f,
            "stability.stable-image-core-v1:1",
            None,
            3_000.0,
            "us-east-1"
        )
        .is_some());
        assert!(headroom(&f, "amazon.nova-lite-v1:0", None, 3_000.0, "us-east-1").is_none());
        assert!(headroom(
            &function(300),
            "stability.stable-image-core-v1:1",
            None,
            300_000.0,
            "us-east-1"
        )
        .is_none());
    }
}
