//! The CI formats of every scenario, read back by parsers that did not write them.

mod common;

use bedrock_doctor::sim::scenario::LIBRARY;
use common::*;

fn demo_output(name: &str, format: &str) -> (String, bedrock_doctor::report::Report) {
    let env = Env::new();
    let json = run(env.cmd_with(&[
        "demo",
        name,
        "--output",
        "json",
        "--fail-on",
        "never",
        "--no-invoke",
    ]));
    let r = report(&json);
    let o = run(env.cmd_with(&[
        "demo",
        name,
        "--output",
        format,
        "--fail-on",
        "never",
        "--no-invoke",
    ]));
    assert_eq!(o.status.code(), Some(0), "{name} {format}: {}", stderr(&o));
    (stdout(&o), r)
}

#[test]
fn junit_of_every_scenario_parses_and_counts_right() {
    for (name, _) in LIBRARY {
        let (xml, r) = demo_output(name, "junit");
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{name}: {e}\n{xml}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        let cases: Vec<_> = root
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(
            cases.len(),
            r.all_checks().count(),
            "{name}: one testcase per check and model (of every account)"
        );
        let count = |tag: &str| {
            cases
                .iter()
                .filter(|c| c.children().any(|k| k.has_tag_name(tag)))
                .count()
        };
        assert_eq!(count("failure"), r.summary.fail, "{name}");
        assert_eq!(count("error"), r.summary.error, "{name}");
        assert_eq!(count("skipped"), r.summary.skip, "{name}");
    }
}

#[test]
fn sarif_of_every_scenario_is_2_1_0_with_one_rule_per_cause() {
    for (name, _) in LIBRARY {
        let (text, r) = demo_output(name, "sarif");
        let v: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v["version"], "2.1.0");
        assert!(
            v["$schema"].as_str().unwrap_or("").contains("sarif"),
            "{name}"
        );
        let run = &v["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "bedrock-doctor");
        let rules: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .map(|a| a.iter().filter_map(|r| r["id"].as_str()).collect())
            .unwrap_or_default();
        let results = run["results"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            results.len(),
            r.findings().count(),
            "{name}: one result per finding"
        );
        let mut causes: Vec<String> = r
            .findings()
            .map(|(_, f)| f.cause.code().to_string())
            .collect();
        causes.sort();
        causes.dedup();
        assert_eq!(rules.len(), causes.len(), "{name}: one rule per cause code");
        for res in &results {
            let id = res["ruleId"].as_str().unwrap();
            assert!(
                rules.contains(&id),
                "{name}: result names unknown rule {id}"
            );
            assert!(
                ["error", "warning", "note"].contains(&res["level"].as_str().unwrap()),
                "{name}"
            );
            assert!(!res["message"]["text"].as_str().unwrap().is_empty());
        }
        for rule in run["tool"]["driver"]["rules"]
            .as_array()
            .into_iter()
            .flatten()
        {
            assert!(
                !rule["help"]["text"].as_str().unwrap_or("").is_empty(),
                "{name}: a rule without remediation"
            );
        }
    }
}

#[test]
fn markdown_of_every_scenario_has_a_row_per_check() {
    for (name, _) in LIBRARY {
        let (md, r) = demo_output(name, "markdown");
        let rows = md
            .lines()
            .filter(|l| {
                l.starts_with("| ") && !l.starts_with("| status") && !l.starts_with("| ---")
            })
            .count();
        // With --accounts: a row per account, then the rows of the checks with findings.
        let expected = if r.accounts.is_empty() {
            r.checks.len()
        } else {
            1 + r.accounts.len() + r.all_checks().filter(|c| !c.findings.is_empty()).count()
        };
        assert_eq!(rows, expected, "{name}\n{md}");
        assert_eq!(
            md.matches("<details>").count(),
            r.findings().count(),
            "{name}"
        );
        assert_eq!(
            md.matches("<details>").count(),
            md.matches("</details>").count()
        );
    }
}

#[test]
fn output_file_gets_the_report_and_the_terminal_the_table() {
    let env = Env::new();
    let file = env.home.path().join("doctor.xml");
    let o = run(env.cmd_with(&[
        "demo",
        "healthy",
        "--no-invoke",
        "--output",
        "junit",
        "--output-file",
        file.to_str().unwrap(),
    ]));
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("STATUS"),
        "the table goes to the terminal"
    );
    let xml = std::fs::read_to_string(&file).unwrap();
    assert!(roxmltree::Document::parse(&xml).is_ok());
}

#[test]
fn a_config_file_drives_the_run_mutes_findings_and_reports_expired_mutes() {
    let env = Env::new();
    let cfg = env.home.path().join("bedrock-doctor.toml");
    std::fs::write(
        &cfg,
        "models = [\"amazon.nova-pro-v1:0\"]\nfail-on = \"warn\"\nno-invoke = true\n\n[[mute]]\ncause = \"model-legacy\"\nreason = \"migrating to Nova 2 in Q1\"\n\n[[mute]]\ncheck = \"throttling\"\nreason = \"storm over\"\nuntil = \"2020-01-31\"\n",
    )
    .unwrap();
    let args = [
        "demo",
        "model-legacy",
        "--output",
        "json",
        "--config",
        cfg.to_str().unwrap(),
    ];
    let o = run(env.cmd_with(&args));
    // fail-on warn from the file, but the only warning is muted: healthy.
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let r = report(&o);
    let legacy = r
        .findings()
        .find(|(_, f)| f.cause.code() == "model-legacy")
        .map(|(_, f)| f.clone())
        .expect("still shown");
    assert_eq!(legacy.muted.as_deref(), Some("migrating to Nova 2 in Q1"));
    assert_eq!(
        status_of(&r, "invoke"),
        "skip",
        "no-invoke came from the file"
    );
    assert!(
        r.notices
            .iter()
            .any(|n| n.contains("expired on 2020-01-31")),
        "{:?}",
        r.notices
    );
    // SARIF marks the muted finding suppressed, with the mute's reason.
    let mut sarif_args = args.to_vec();
    sarif_args[3] = "sarif";
    let sarif: serde_json::Value =
        serde_json::from_str(&stdout(&run(env.cmd_with(&sarif_args)))).unwrap();
    let legacy = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "model-legacy")
        .expect("the muted finding is still a result");
    assert_eq!(legacy["suppressions"][0]["kind"], "external", "{legacy}");
    assert_eq!(
        legacy["suppressions"][0]["justification"],
        "migrating to Nova 2 in Q1"
    );
    // A flag overrides the file: without the mute file's fail-on, --fail-on never.
    let mut over = args.to_vec();
    over.extend(["--model", "amazon.nova-lite-v1:0"]);
    let r = report(&run(env.cmd_with(&over)));
    assert_eq!(r.target.models, ["amazon.nova-lite-v1:0"]);
}

#[test]
fn a_bad_config_file_is_one_line_naming_the_key_and_line() {
    let env = Env::new();
    let cfg = env.home.path().join("bad.toml");
    std::fs::write(&cfg, "region = \"us-east-1\"\nfail_on = \"warn\"\n").unwrap();
    let o = run(env.cmd_with(&["--config", cfg.to_str().unwrap()]));
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("line 2") && err.contains("fail_on"), "{err}");
}

#[test]
fn list_policy_completions_and_man() {
    let env = Env::new();
    let list = stdout(&run(env.cmd_with(&["list"])));
    for id in bedrock_doctor::checks::ids() {
        assert!(list.contains(id), "{id}");
    }
    assert!(list.contains("scp-deny"));
    let policy: serde_json::Value =
        serde_json::from_str(&stdout(&run(env.cmd_with(&["policy", "--skip", "invoke"])))).unwrap();
    let text = policy.to_string();
    assert!(
        text.contains("iam:SimulatePrincipalPolicy") && !text.contains("bedrock:InvokeModel\""),
        "{text}"
    );
    let bash = stdout(&run(env.cmd_with(&["completions", "bash"])));
    assert!(bash.contains("bedrock-doctor") && bash.contains("--fail-on"));
    let man = stdout(&run(env.cmd_with(&["man"])));
    assert!(
        man.contains(".TH") && man.contains("bedrock\\-doctor"),
        "{}",
        &man[..200.min(man.len())]
    );
}

#[test]
fn a_closed_pipe_ends_completions_and_man_quietly() {
    // `bedrock-doctor completions bash | head -1`: the reader is gone before the write.
    let env = Env::new();
    for args in [&["completions", "bash"][..], &["man"]] {
        let mut child = env
            .cmd_with(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).is_empty(), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn wait_retries_the_failing_checks_until_time_is_up() {
    let env = Env::new();
    let o = run(env.cmd_with(&[
        "demo",
        "throttled",
        "--output",
        "json",
        "--wait",
        // Long enough that a first run on a loaded machine still leaves time to retry.
        "4s",
        "--only",
        "throttling",
    ]));
    assert_eq!(
        o.status.code(),
        Some(1),
        "a storm in the metrics does not pass by waiting"
    );
    let err = stderr(&o);
    assert!(err.contains("waiting for throttling"), "{err}");
}

/// `stream = true` in the config file (or `--stream`) makes the test call a ConverseStream
/// read to its end: the summary says the time to the first token, the request it describes is
/// a ConverseStream, and a stream broken inside is a finding.
#[test]
fn a_streaming_application_gets_a_streamed_test_call() {
    let env = Env::new();
    let cfg = env.home.path().join("bedrock-doctor.toml");
    std::fs::write(&cfg, "stream = true\n").unwrap();
    let o = run(env.cmd_with(&[
        "demo",
        "healthy",
        "--model",
        "amazon.nova-lite-v1:0",
        "--output",
        "json",
        "--config",
        cfg.to_str().unwrap(),
    ]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = report(&o);
    let invoke = r.checks.iter().find(|c| c.id == "invoke").unwrap();
    assert!(
        invoke.summary.contains("first token after"),
        "{}",
        invoke.summary
    );
    assert!(
        invoke.details.iter().any(|d| d.contains("ConverseStream(")),
        "{:?}",
        invoke.details
    );
    let o = run(env.cmd_with(&[
        "demo",
        "stream-model-error",
        "--output",
        "json",
        "--fail-on",
        "never",
    ]));
    let r = report(&o);
    let (_, f) = r
        .findings()
        .find(|(c, _)| c.id == "invoke")
        .expect("the broken stream is a finding");
    assert_eq!(f.cause.code(), "service-unavailable");
    assert!(
        f.evidence.iter().any(|e| e.contains("inside it")),
        "{:?}",
        f.evidence
    );

    // A --body is streamed with InvokeModelWithResponseStream: a stream that stops after a
    // partial chunk is cut; an embedding model is never streamed (it has no streaming form).
    let body = env.home.path().join("body.json");
    std::fs::write(
        &body,
        r#"{"schemaVersion":"messages-v1","messages":[{"role":"user","content":[{"text":"Hi"}]}]}"#,
    )
    .unwrap();
    let o = run(env.cmd_with(&[
        "demo",
        "stream-cut",
        "--body",
        body.to_str().unwrap(),
        "--output",
        "json",
        "--fail-on",
        "never",
    ]));
    let r = report(&o);
    let invoke = r.checks.iter().find(|c| c.id == "invoke").unwrap();
    assert_eq!(invoke.status.as_str(), "fail", "{}", invoke.summary);
    assert!(
        invoke.summary.contains("before the model finished"),
        "{}",
        invoke.summary
    );
    let o = run(env.cmd_with(&[
        "demo",
        "healthy",
        "--stream",
        "--model",
        "amazon.titan-embed-text-v2:0",
        "--output",
        "json",
    ]));
    let r = report(&o);
    let invoke = r.checks.iter().find(|c| c.id == "invoke").unwrap();
    assert_eq!(invoke.status.as_str(), "pass", "{}", invoke.summary);
    assert!(
        invoke.details.iter().any(|d| d.starts_with("not streamed")),
        "{:?}",
        invoke.details
    );
}
