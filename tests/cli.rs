//! The real binary, as a person or a CI job runs it. Loopback only.

mod common;

use bedrock_doctor::sim::scenario::Scenario;
use common::*;

#[test]
fn help_teaches_and_exits_zero() {
    let o = run(Env::new().cmd_with(&["--help"]));
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    for needle in [
        "--region",
        "--model",
        "--fail-on",
        "Exit codes",
        "AWS_PROFILE",
        "Examples",
    ] {
        assert!(text.contains(needle), "--help lacks {needle}");
    }
}

#[test]
fn version_prints_the_version() {
    let o = run(Env::new().cmd_with(&["--version"]));
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn bad_usage_is_one_line_naming_the_value_and_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["--bogus"], "--bogus"),
        (&["--timeout", "soon"], "soon"),
        (&["--output", "xml"], "xml"),
        (&["--only", "idenity"], "idenity"),
        (&["--endpoint-url", "localhost:4566"], "localhost:4566"),
        (&["--profile", "two words"], "two words"),
        (&["demo", "no-such-scenario"], "no-such-scenario"),
    ];
    for (args, named) in cases {
        let o = run(Env::new().cmd_with(args));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?} printed more than one line:\n{err}"
        );
        assert!(
            err.contains(named),
            "{args:?}: error does not name `{named}`: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn nothing_configured_fails_fast_with_region_and_credentials_missing() {
    let o = run(Env::new().cmd_with(&["--output", "json"]));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = report(&o);
    assert_eq!(r.schema_version, 1);
    assert_eq!(
        verdicts(&r),
        [
            (
                "config".into(),
                None,
                "fail".into(),
                vec!["region-missing".into()]
            ),
            (
                "credentials".into(),
                None,
                "fail".into(),
                vec!["credentials-missing".into()]
            ),
            ("identity".into(), None, "skip".into(), vec![]),
            ("principal".into(), None, "skip".into(), vec![]),
        ]
    );
    assert!(
        r.checks[2].summary.contains("needs `config`"),
        "{}",
        r.checks[2].summary
    );
}

#[test]
fn an_unknown_profile_is_named_with_the_ones_that_exist() {
    let env = Env::new();
    env.aws_file(
        "config",
        "[default]\nregion = eu-west-1\n\n[profile dev]\nregion = us-west-2\n",
    );
    let o = run(env.cmd_with(&["--output", "json", "--profile", "prod"]));
    let r = report(&o);
    let config = &r.checks[0];
    assert_eq!(config.status.as_str(), "fail");
    let f = config
        .findings
        .iter()
        .find(|f| f.cause.code() == "credentials-missing")
        .expect("a profile finding");
    assert!(f.summary.contains("`prod`"), "{}", f.summary);
    assert!(f.evidence[0].contains("default, dev"), "{:?}", f.evidence);
}

#[test]
fn region_comes_from_the_profile_and_says_so() {
    let env = Env::new();
    env.aws_file("config", "[profile dev]\nregion = eu-central-1\n");
    let o = run(env.cmd_with(&["--output", "json", "--profile", "dev", "--only", "config"]));
    let r = report(&o);
    assert_eq!(r.target.region.as_deref(), Some("eu-central-1"));
    assert!(
        r.checks[0].summary.contains("profile `dev`"),
        "{}",
        r.checks[0].summary
    );
}

#[test]
fn a_closed_port_is_network_unreachable_not_a_hang() {
    let env = Env::new();
    let mut c = env.cmd_with(&["--output", "json", "--timeout", "20s"]);
    c.env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", FAKE_SECRET);
    let o = run(c);
    assert_eq!(o.status.code(), Some(1));
    let r = report(&o);
    assert_eq!(status_of(&r, "identity"), "fail");
    assert_eq!(causes_of(&r), ["network-unreachable"]);
}

#[test]
fn identity_passes_against_a_loopback_sts_and_shows_its_arn() {
    let (_rt, running) = start_sim(Scenario::load("healthy").unwrap());
    let env = Env::new();
    let mut c = env.cmd_with(&["--output", "json"]);
    aim(&mut c, &running);
    c.env("AWS_SESSION_TOKEN", FAKE_TOKEN);
    let o = run(c);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let r = report(&o);
    assert_eq!(status_of(&r, "identity"), "pass");
    let arn = "arn:aws:sts::111122223333:assumed-role/BedrockDeveloper/alice";
    assert!(r.checks[2].summary.contains(arn), "{}", r.checks[2].summary);
    assert_eq!(r.target.principal.as_deref(), Some(arn));
    assert_eq!(r.target.account.as_deref(), Some("111122223333"));
    let log = running.log();
    assert_eq!(
        log.iter()
            .filter(|e| e.operation == "GetCallerIdentity")
            .count(),
        1,
        "{log:?}"
    );
}

#[test]
fn no_secret_reaches_any_output_format() {
    for args in [
        &["--output", "json", "-vvv"][..],
        &["-vvv"][..],
        &["--output", "json", "--color", "always"][..],
    ] {
        let env = Env::new();
        let mut c = env.cmd_with(args);
        c.env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
            .env("AWS_SESSION_TOKEN", FAKE_TOKEN)
            .env(
                "AWS_BEARER_TOKEN_BEDROCK",
                "ABSKbedrockFAKEapiKEY0123456789",
            )
            .env("HTTPS_PROXY", "http://user:proxyPASSWORD99@127.0.0.1:9");
        let o = run(c);
        let all = format!("{}{}", stdout(&o), stderr(&o));
        for secret in [
            FAKE_SECRET,
            FAKE_TOKEN,
            FAKE_KEY_ID,
            "ABSKbedrockFAKEapiKEY0123456789",
            "proxyPASSWORD99",
        ] {
            assert!(!all.contains(secret), "{args:?} leaked {secret}");
        }
        assert!(
            all.contains("AKIA…3456"),
            "the masked key id should be shown"
        );
    }
}

#[test]
fn fail_on_changes_the_exit_code() {
    let (_rt, running) = start_sim(Scenario::load("clock-skew").unwrap());
    let code = |fail_on: &str| {
        let env = Env::new();
        let mut c = env.cmd_with(&["--output", "json", "--fail-on", fail_on]);
        aim(&mut c, &running);
        c.env(
            "AWS_BEARER_TOKEN_BEDROCK",
            "ABSKbedrockFAKEapiKEY0123456789",
        );
        run(c).status.code()
    };
    // bearer-token-overrides is a warning; a 7-minute skew fails.
    assert_eq!(code("warn"), Some(1));
    assert_eq!(code("fail"), Some(1));
    assert_eq!(code("never"), Some(0));
}

#[test]
fn the_table_fits_80_columns() {
    let env = Env::new();
    let mut c = env.cmd_with(&[]);
    c.env("COLUMNS", "80");
    let o = run(c);
    let text = stdout(&o);
    assert!(
        text.contains("STATUS") && text.contains("region-missing"),
        "{text}"
    );
    let table_end = text.find("\n\n").unwrap_or(text.len());
    for line in text[..table_end].lines() {
        assert!(
            line.chars().count() <= 80,
            "too wide ({}): {line}",
            line.chars().count()
        );
    }
}
