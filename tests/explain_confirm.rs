//! `explain --confirm`: for every library scenario whose model call fails, the message the
//! simulator answers (read through the Rust SDK, the way an application sees it) is pasted
//! into `explain --confirm` against the same account. The scenario's cause must come back
//! confirmed, and at least one other candidate ruled out.

mod common;

use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use bedrock_doctor::sim::scenario::{Scenario, LIBRARY};
use common::*;

/// The application's view: one Converse call, and the error text an SDK prints.
fn failure_message(running: &bedrock_doctor::sim::Running, s: &Scenario) -> Option<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(s.region.clone()))
            .endpoint_url(running.url())
            .credentials_provider(aws_credential_types::Credentials::new(
                FAKE_KEY_ID,
                FAKE_SECRET,
                None,
                None,
                "test",
            ))
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .load()
            .await;
        let msg = hi();
        let err = aws_sdk_bedrockruntime::Client::new(&cfg)
            .converse()
            .model_id(s.models.first()?)
            .messages(msg)
            .send()
            .await
            .err()?;
        let e = err.as_service_error()?;
        Some(format!(
            "An error occurred ({}) when calling the Converse operation: {}",
            e.code()?,
            e.message().unwrap_or_default()
        ))
    })
}

#[test]
fn a_pasted_failure_is_confirmed_against_the_account_it_came_from() {
    let mut checked = 0;
    let mut problems = Vec::new();
    for (name, text) in LIBRARY {
        let s = Scenario::parse(text).unwrap();
        let c = &s.client;
        // The application must see the same identity and setup as the doctor (and call
        // bedrock-runtime, as the message is made with Converse).
        if c.bearer_token
            || c.mantle
            || c.no_region
            || c.unreachable
            || c.credentials != bedrock_doctor::sim::scenario::ClientCredentials::Static
            || c.body.is_some()
            || c.service_tier.is_some()
        {
            continue;
        }
        let (_rt, running) = start_sim(s.clone());
        let Some(message) = failure_message(&running, &s) else {
            continue;
        };
        let env = Env::new();
        // As a person would: the model the application calls, in case the text names none.
        let model = s.models.first().cloned().unwrap_or_default();
        let mut args = vec![
            "explain",
            "--confirm",
            "--output",
            "json",
            "--model",
            &model,
            &message,
        ];
        if let Some(p) = &c.principal {
            args.extend(["--principal", p]);
        }
        let mut cmd = env.cmd_with(&args);
        aim(&mut cmd, &running);
        cmd.env("AWS_REGION", &s.region);
        let o = run(cmd);
        let answer: serde_json::Value = match serde_json::from_slice(&o.stdout) {
            Ok(v) => v,
            Err(_) => {
                problems.push(format!("{name}: no JSON: {}", stderr(&o)));
                continue;
            }
        };
        let verdicts: Vec<(String, String)> = answer["confirm"]["causes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| {
                        (
                            v["code"].as_str().unwrap_or("").to_string(),
                            v["verdict"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let expected: Vec<&str> = s
            .expect
            .iter()
            .filter_map(|e| e.split(':').nth(1))
            .collect();
        let confirmed = verdicts
            .iter()
            .any(|(code, v)| v == "confirmed" && expected.contains(&code.as_str()));
        let ruled_out = verdicts
            .iter()
            .any(|(code, v)| v == "ruled-out" && !expected.contains(&code.as_str()));
        checked += 1;
        if !confirmed || !ruled_out {
            problems.push(format!("{name}: expected one of {expected:?} confirmed and another ruled out\n  message: {message}\n  verdicts: {verdicts:?}\n  conclusion: {}", answer["confirm"]["conclusion"]));
        }
    }
    println!("explain --confirm: {checked} scenarios whose model call fails");
    assert!(checked >= 15, "only {checked} scenarios were checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What the message names aims the run by itself: the model (a global profile, from the
/// Region-less resource it was denied on), and the region, which differs from the shell's.
#[test]
fn the_message_aims_the_run_and_a_region_mismatch_is_noted() {
    let s = Scenario::load("scp-global-unspecified").unwrap();
    let (_rt, running) = start_sim(s.clone());
    let message = failure_message(&running, &s).expect("the call fails");
    let env = Env::new();
    let mut cmd = env.cmd_with(&["explain", "--confirm", "--output", "json", &message]);
    aim(&mut cmd, &running);
    let answer: serde_json::Value = serde_json::from_slice(&run(cmd).stdout).unwrap();
    let confirm = &answer["confirm"];
    assert!(
        confirm["conclusion"]
            .as_str()
            .unwrap()
            .starts_with("confirmed: scp:"),
        "{confirm}"
    );
    assert!(
        confirm["notes"]
            .to_string()
            .contains("global.anthropic.claude-sonnet-4-6"),
        "{confirm}"
    );

    let s = Scenario::load("iam-not-authorized").unwrap();
    let (_rt, running) = start_sim(s.clone());
    let message = failure_message(&running, &s).expect("the call fails");
    assert!(message.contains("us-east-1"), "{message}");
    let mut cmd = env.cmd_with(&["explain", "--confirm", "--output", "json", &message]);
    aim(&mut cmd, &running);
    cmd.env("AWS_REGION", "eu-west-1");
    let answer: serde_json::Value = serde_json::from_slice(&run(cmd).stdout).unwrap();
    let notes = answer["confirm"]["notes"].to_string();
    assert!(
        notes.contains("names region us-east-1, but this shell is configured for eu-west-1"),
        "{notes}"
    );
    let verdicts = answer["confirm"]["causes"].to_string();
    assert!(
        verdicts.contains(r#""code":"iam-not-authorized","verdict":"confirmed""#),
        "{verdicts}"
    );
}

/// Without --confirm, explain stays offline: no AWS call at all.
/// A denial of a principal the doctor cannot simulate (another account's role) leaves the IAM
/// causes open: nothing was simulated, so nothing is ruled out; and a Legacy model the text
/// only noted does not become the headline of an IAM denial.
#[test]
fn what_was_not_simulated_is_not_ruled_out() {
    let (_rt, running) = start_sim(Scenario::load("healthy").unwrap());
    let message = "An error occurred (AccessDeniedException) when calling the InvokeModel operation: User: arn:aws:sts::123456789012:assumed-role/lambda-exec/fn is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0 because no identity-based policy allows the bedrock:InvokeModel action";
    let env = Env::new();
    let mut cmd = env.cmd_with(&["explain", "--confirm", "--output", "json", message]);
    aim(&mut cmd, &running);
    let answer: serde_json::Value = serde_json::from_slice(&run(cmd).stdout).unwrap();
    let confirm = &answer["confirm"];
    let verdict = |code: &str| {
        confirm["causes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["code"] == code)
            .map(|v| v["verdict"].as_str().unwrap().to_string())
    };
    for code in ["iam-not-authorized", "iam-explicit-deny", "scp-deny"] {
        assert_eq!(
            verdict(code).as_deref(),
            Some("could-not-check"),
            "{code}: {confirm}"
        );
    }
    let conclusion = confirm["conclusion"].as_str().unwrap();
    assert!(
        conclusion.starts_with(
            "nothing confirmed; the most likely cause still open is iam-not-authorized"
        ),
        "{conclusion}"
    );
}

#[test]
fn plain_explain_makes_no_call() {
    let (_rt, running) = start_sim(Scenario::load("healthy").unwrap());
    let env = Env::new();
    let mut cmd = env.cmd_with(&[
        "explain",
        "AccessDeniedException: not authorized to perform: bedrock:InvokeModel",
    ]);
    aim(&mut cmd, &running);
    assert_eq!(run(cmd).status.code(), Some(0));
    assert!(running.log().is_empty(), "{:?}", running.log());
}
