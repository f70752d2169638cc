//! `--app`: the real binary reads an application's settings files (fixtures under
//! tests/data, never the real home directory) and checks what the application will call,
//! against the simulator.

mod common;

use bedrock_doctor::sim::scenario::Scenario;
use common::*;
use std::path::{Path, PathBuf};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/claude-code")
        .join(path)
}

/// The doctor with `--app APP --app-config CONFIG` and more arguments.
fn app_cmd(env: &Env, app: &str, config: &Path, extra: &[&str]) -> std::process::Command {
    let mut args = vec!["--app", app, "--app-config", config.to_str().unwrap()];
    args.extend_from_slice(extra);
    env.cmd_with(&args)
}

/// A home directory holding the fixture's ~/.claude/settings.json.
fn home_with_claude_settings(env: &Env) {
    let dir = env.home.path().join(".claude");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        fixture("home/.claude/settings.json"),
        dir.join("settings.json"),
    )
    .unwrap();
}

#[test]
fn claude_code_settings_decide_region_models_credentials_and_the_call() {
    let (_rt, sim) = start_sim(Scenario::load("claude-code-healthy").unwrap());
    let env = Env::new();
    home_with_claude_settings(&env);
    let project = fixture("project");
    let mut c = app_cmd(&env, "claude-code", &project, &["--output", "json", "-v"]);
    // The shell says another region and has no keys: the settings' env block wins over it
    // and brings the keys, as Claude Code applies it.
    c.env("AWS_ENDPOINT_URL", sim.url())
        .env("AWS_REGION", "eu-west-1");
    let o = run(c);
    let r = report(&o);
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        !all.contains(FAKE_SECRET),
        "a secret from a settings file was printed"
    );

    assert_eq!(r.target.region.as_deref(), Some("us-west-2"));
    // The local settings' bare id overrides the user's main model; background tasks keep the
    // user's Haiku.
    assert_eq!(
        r.target.models,
        vec![
            "anthropic.claude-sonnet-4-6".to_string(),
            "us.anthropic.claude-haiku-4-5-20251001-v1:0".to_string()
        ]
    );
    let config = r.checks.iter().find(|c| c.id == "config").unwrap();
    assert!(
        config
            .summary
            .contains("AWS_REGION in the env block of ~/.claude/settings.json"),
        "{}",
        config.summary
    );
    assert_eq!(status_of(&r, "credentials"), "pass");
    assert_eq!(status_of(&r, "app"), "pass");

    // The bare id fails, and the fix names the file and variable that set it.
    let catalog = r
        .checks
        .iter()
        .find(|c| {
            c.id == "model-catalog" && c.model.as_deref() == Some("anthropic.claude-sonnet-4-6")
        })
        .unwrap();
    let finding = &catalog.findings[0];
    assert_eq!(finding.cause.code(), "inference-profile-required");
    let local = format!(
        "ANTHROPIC_MODEL in the env block of {}",
        project.join(".claude/settings.local.json").display()
    );
    assert!(
        finding.remediation[0].contains(&local),
        "{:?}",
        finding.remediation
    );

    // Claude Code streams with InvokeModel and Anthropic's own body: so does the test call.
    let invoke = r
        .checks
        .iter()
        .find(|c| {
            c.id == "invoke"
                && c.model.as_deref() == Some("us.anthropic.claude-haiku-4-5-20251001-v1:0")
        })
        .unwrap();
    assert_eq!(invoke.status.as_str(), "pass", "{invoke:?}");
    assert!(
        invoke.summary.contains("streamed its answer"),
        "{}",
        invoke.summary
    );
    assert!(
        invoke
            .details
            .iter()
            .any(|d| d.contains("InvokeModelWithResponseStream(")
                && d.contains("Anthropic Messages")),
        "{:?}",
        invoke.details
    );
}

#[test]
fn bad_app_input_is_one_line_and_exit_2() {
    let env = Env::new();
    let o = run(env.cmd_with(&["--app", "cursor"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cursor"), "{}", stderr(&o));

    let o = run(app_cmd(
        &env,
        "claude-code",
        Path::new("/nonexistent/project"),
        &[],
    ));
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/project"), "{err}");

    let file = fixture("home/.claude/settings.json");
    let o = run(app_cmd(&env, "claude-code", &file, &[]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is a file"), "{}", stderr(&o));

    let o = run(env.cmd_with(&["--app-config", "."]));
    assert_eq!(o.status.code(), Some(2), "--app-config without --app");
}

#[test]
fn the_app_check_runs_only_with_app() {
    let env = Env::new();
    let o = run(env.cmd_with(&["--only", "app"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--app"), "{}", stderr(&o));
}

fn litellm(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/litellm")
        .join(path)
}

#[test]
fn litellm_entries_are_checked_in_their_regions_with_their_routes() {
    let (_rt, sim) = start_sim(Scenario::load("healthy").unwrap());
    let env = Env::new();
    let config = litellm("config.yaml");
    let mut c = app_cmd(&env, "litellm", &config, &["--output", "json"]);
    aim(&mut c, &sim);
    c.env("BEDROCK_REGION", "us-west-2")
        .env("NOVA_KEY_ID", "AKIANOVAKEY000000000")
        .env("NOVA_SECRET", FAKE_SECRET);
    let o = run(c);
    let r = report(&o);
    assert!(!format!("{}{}", stdout(&o), stderr(&o)).contains(FAKE_SECRET));
    // The run's own region (AWS_REGION) first, then the entries'.
    assert_eq!(r.target.region.as_deref(), Some("us-east-1,us-west-2"));
    let rows: Vec<(String, String)> = r
        .checks
        .iter()
        .filter(|c| c.id == "invoke")
        .map(|c| (c.model.clone().unwrap(), c.region.clone().unwrap()))
        .collect();
    // The nova entry has keys of its own: another identity, named instead of checked.
    assert_eq!(
        rows,
        vec![
            (
                "us.anthropic.claude-sonnet-4-6".to_string(),
                "us-west-2".to_string()
            ),
            (
                "us.anthropic.claude-haiku-4-5-20251001-v1:0".to_string(),
                "us-west-2".to_string()
            ),
        ]
    );
    let app = r.checks.iter().find(|c| c.id == "app").unwrap();
    assert!(
        app.details
            .iter()
            .any(|d| d.contains("entry `nova`") && d.contains("not the identity this run checks")),
        "{:?}",
        app.details
    );
    // The invoke route sends Anthropic's own body with InvokeModel; the plain route, Converse.
    let detail = |model: &str| {
        r.checks
            .iter()
            .find(|c| c.id == "invoke" && c.model.as_deref() == Some(model))
            .unwrap()
            .details
            .join(" ")
    };
    assert!(detail("us.anthropic.claude-haiku-4-5-20251001-v1:0").contains("InvokeModel(modelId="));
    assert!(detail("us.anthropic.claude-sonnet-4-6").contains("Converse(modelId="));
}

#[test]
fn an_entrys_own_keys_are_the_runs_credentials_and_never_printed() {
    let (_rt, sim) = start_sim(Scenario::load("healthy").unwrap());
    let env = Env::new();
    let config = litellm("keys.yaml");
    // The shell has no keys at all: only the entry's can make the run work.
    let mut c = app_cmd(&env, "litellm", &config, &["--output", "json", "-vv"]);
    c.env("AWS_ENDPOINT_URL", sim.url())
        .env("AWS_REGION", "us-east-1")
        .env("NOVA_KEY_ID", FAKE_KEY_ID)
        .env("NOVA_SECRET", FAKE_SECRET);
    let o = run(c);
    let r = report(&o);
    assert!(!format!("{}{}", stdout(&o), stderr(&o)).contains(FAKE_SECRET));
    assert_eq!(status_of(&r, "credentials"), "pass", "{:?}", verdicts(&r));
    let invoke = r.checks.iter().find(|c| c.id == "invoke").unwrap();
    assert_eq!(invoke.status.as_str(), "pass", "{invoke:?}");
}

#[test]
fn bad_litellm_configs_are_one_line_naming_file_and_line() {
    let env = Env::new();
    let broken = litellm("broken.yaml");
    let o = run(app_cmd(&env, "litellm", &broken, &[]));
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains(&format!("{}:", broken.display())), "{err}");

    let o = run(env.cmd_with(&["--app", "litellm"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("needs --app-config"), "{}", stderr(&o));
}

#[test]
fn mantle_flags_are_checked_before_anything_runs() {
    let env = Env::new();
    let o = run(env.cmd_with(&["--endpoint-kind", "openai"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("openai"), "{}", stderr(&o));
    // The bedrock-runtime checks do not apply to bedrock-mantle: asking for one is a usage error.
    let o = run(env.cmd_with(&["--endpoint-kind", "mantle", "--only", "invoke"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not --endpoint-kind mantle"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn mantle_with_an_api_key_needs_call_with_bearer_token_too() {
    // mantle-healthy's role may CreateInference but was given no CallWithBearerToken.
    let (_rt, sim) = start_sim(Scenario::load("mantle-healthy").unwrap());
    let env = Env::new();
    let mut c = env.cmd_with(&[
        "--endpoint-kind",
        "mantle",
        "--model",
        "openai.gpt-oss-120b",
        "--output",
        "json",
    ]);
    aim(&mut c, &sim);
    // A short-term key: it carries the permissions of the principal that made it.
    let key = bedrock_doctor::api_key::make_short_term(
        FAKE_KEY_ID,
        "us-east-1",
        std::time::SystemTime::now(),
        std::time::Duration::from_secs(3600),
    );
    c.env("AWS_BEARER_TOKEN_BEDROCK", &key);
    let o = run(c);
    assert!(!format!("{}{}", stdout(&o), stderr(&o)).contains(&key));
    let r = report(&o);
    let mantle = r.checks.iter().find(|c| c.id == "mantle").unwrap();
    let f = &mantle.findings[0];
    assert_eq!(f.cause.code(), "iam-not-authorized", "{mantle:?}");
    assert!(
        f.summary.contains("bedrock-mantle:CallWithBearerToken"),
        "{}",
        f.summary
    );
    // The call with the key was refused for the same reason, and says so.
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("the chat completion confirms it")),
        "{:?}",
        f.evidence
    );
}
