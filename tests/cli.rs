//! The real binary, as a person or a CI job runs it. Loopback only.

mod common;

use bedrock_doctor::sim::scenario::Scenario;
use common::*;
use std::process::Command;

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
    assert_eq!(r.schema_version, 2);
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
            ("api-key".into(), None, "skip".into(), vec![]),
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

/// A profile of its own in the temporary HOME, with secrets unlike the environment's.
const PROFILE_KEY_ID: &str = "AKIAPROFILEKEY000111";
const PROFILE_SECRET: &str = "PROFILEsecretPROFILEsecret0123456789abcd";
const PROFILE_TOKEN: &str = "PROFILEtokenPROFILEtoken0123456789";
const PROXY_PASSWORD: &str = "proxyPASSWORD99";

/// No output may contain any of these; key ids may only appear masked.
const NEVER: [&str; 8] = [
    FAKE_SECRET,
    FAKE_TOKEN,
    FAKE_BEARER,
    FAKE_KEY_ID,
    PROFILE_SECRET,
    PROFILE_TOKEN,
    PROFILE_KEY_ID,
    PROXY_PASSWORD,
];

/// The formats `--output-file` writes; the table goes to stdout at the same time.
const FILE_FORMATS: [&str; 4] = ["json", "junit", "sarif", "markdown"];

/// ~/.aws/credentials and ~/.aws/config with the `leaky` profile (and `extra` lines).
fn leaky_profile(env: &Env, region: Option<&str>, extra: &str) {
    env.aws_file(
        "credentials",
        &format!("[leaky]\naws_access_key_id = {PROFILE_KEY_ID}\naws_secret_access_key = {PROFILE_SECRET}\naws_session_token = {PROFILE_TOKEN}\n{extra}"),
    );
    let region = region
        .map(|r| format!("region = {r}\n"))
        .unwrap_or_default();
    env.aws_file("config", &format!("[profile leaky]\n{region}"));
}

/// The environment's secrets: keys, session token, a Bedrock API key.
fn env_secrets(c: &mut Command, keys: bool) {
    if keys {
        c.env("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
            .env("AWS_SESSION_TOKEN", FAKE_TOKEN);
    }
    c.env("AWS_BEARER_TOKEN_BEDROCK", FAKE_BEARER);
}

/// Run; everything it printed or wrote, or the problems found in it.
fn leaks(label: &str, mut c: Command, file: Option<&std::path::Path>) -> (String, Vec<String>) {
    let o = c.output().expect("the binary runs");
    let mut all = format!("{}{}", stdout(&o), stderr(&o));
    if let Some(text) = file.and_then(|f| std::fs::read_to_string(f).ok()) {
        all.push_str(&text);
    }
    let mut problems: Vec<String> = NEVER
        .iter()
        .filter(|s| all.contains(*s))
        .map(|s| format!("{label}: printed {s}"))
        .collect();
    if all.contains("panicked") {
        problems.push(format!("{label}: panicked"));
    }
    (all, problems)
}

#[test]
fn no_secret_reaches_any_output_of_any_scenario() {
    use bedrock_doctor::secrets::mask_key_id;
    use bedrock_doctor::sim::scenario::LIBRARY;
    // Not `demo`: it replaces every credential source with its own keys. The simulator runs
    // here instead and the doctor gets the scenario's client setup plus the planted secrets.
    let scenarios: Vec<(usize, Scenario)> = LIBRARY
        .iter()
        .map(|(_, text)| Scenario::parse(text).unwrap())
        .enumerate()
        .collect();
    let per_scenario = parallel(scenarios, 4, |(i, scenario)| {
        let (_rt, running) = start_sim(scenario.clone());
        let region = (!scenario.client.no_region).then_some(scenario.region.as_str());
        let keys =
            scenario.client.credentials != bedrock_doctor::sim::scenario::ClientCredentials::None;
        // Every format, each from one of the two sources, alternating from one scenario to
        // the next: every (scenario, format), (scenario, source) and (format, source) pair
        // is covered in 4 runs a scenario instead of 8. The table comes from both sources.
        let runs = FILE_FORMATS
            .iter()
            .enumerate()
            .map(|(j, f)| ((i + j) % 2 == 1, *f));
        let mut problems = Vec::new();
        let mut formats = std::collections::BTreeSet::new();
        for (from_profile, format) in runs {
            let env = Env::new();
            leaky_profile(&env, region, "");
            let file = env.home.path().join(format!("report.{format}"));
            let file_arg = file.to_string_lossy().into_owned();
            let args = ["-vvv", "--output", format, "--output-file", &file_arg];
            let mut c = scenario_cmd(&env, &scenario, &running, &args);
            env_secrets(&mut c, keys && !from_profile);
            if from_profile {
                c.env("AWS_PROFILE", "leaky");
            }
            let label = format!("{} {format} (profile: {from_profile})", scenario.name);
            let (all, found) = leaks(&label, c, Some(&file));
            problems.extend(found);
            let key = if from_profile {
                PROFILE_KEY_ID
            } else {
                FAKE_KEY_ID
            };
            if (keys || from_profile) && !all.contains(&mask_key_id(key)) {
                problems.push(format!("{label}: the masked key id is not shown"));
            }
            formats.insert((from_profile, format));
            formats.insert((from_profile, "table"));
        }
        (problems, formats.len())
    });
    let runs = LIBRARY.len() * FILE_FORMATS.len();
    let combinations: usize = per_scenario.iter().map(|(_, n)| n).sum();
    let mut problems: Vec<String> = per_scenario.into_iter().flat_map(|(p, _)| p).collect();

    // Error paths: nothing listening, a profile that does not exist, a credentials file that
    // does not parse, bad usage.
    let broken = "[leaky\n";
    let errors: [(&str, &[&str], &str, Option<&str>); 4] = [
        ("closed port", &[], "", None),
        ("unknown profile", &[], "", Some("nosuch")),
        ("unparsable credentials file", &[], broken, Some("leaky")),
        ("bad usage", &["--endpoint-url", "localhost:4566"], "", None),
    ];
    let mut error_runs = 0;
    for (label, extra, file_tail, profile) in errors {
        for output in [&["--output", "json"][..], &["--color", "always"][..]] {
            let env = Env::new();
            leaky_profile(&env, Some("us-east-1"), file_tail);
            let mut c = env.cmd_with(&[&["-vvv"][..], output, extra].concat());
            c.env("AWS_REGION", "us-east-1").env(
                "HTTPS_PROXY",
                format!("http://user:{PROXY_PASSWORD}@127.0.0.1:9"),
            );
            match profile {
                Some(p) => {
                    c.env("AWS_PROFILE", p);
                    env_secrets(&mut c, false);
                }
                None => env_secrets(&mut c, true),
            }
            let (all, found) = leaks(&format!("{label} {output:?}"), c, None);
            problems.extend(found);
            if profile.is_none() && extra.is_empty() {
                assert!(
                    all.contains("AKIA…3456"),
                    "the masked key id should be shown: {all}"
                );
            }
            error_runs += 1;
        }
    }
    println!(
        "secrets: {} scenarios, {combinations} (scenario, format, source) combinations of {} \
         formats and 2 sources in {runs} runs at -vvv, plus {error_runs} error-path runs",
        LIBRARY.len(),
        FILE_FORMATS.len() + 1
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
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

/// At -q a healthy run prints no empty table; checks skipped for the same reason are one
/// row; details wrap on spaces at the width with a hanging indent, never inside a word.
#[test]
fn the_report_stays_readable() {
    let env = Env::new();
    let mut c = env.cmd_with(&["demo", "healthy", "-q"]);
    c.env("COLUMNS", "80");
    let text = stdout(&run(c));
    assert!(!text.contains("STATUS"), "{text}");
    assert!(text.contains(" pass"), "{text}");

    let mut c = env.cmd_with(&[
        "demo",
        "credentials-expired",
        "--model",
        "amazon.nova-lite-v1:0",
    ]);
    c.env("COLUMNS", "80");
    let text = stdout(&run(c));
    let details = &text[text.find("\n\n").unwrap()..];
    for line in details.lines() {
        let long_word = line.split(' ').any(|w| w.chars().count() > 60);
        assert!(line.chars().count() <= 80 || long_word, "too wide: {line}");
    }
    let mut c = env.cmd_with(&[
        "demo",
        "credentials-expired",
        "--model",
        "amazon.nova-lite-v1:0",
        "-v",
    ]);
    c.env("COLUMNS", "80");
    let verbose = stdout(&run(c));
    assert!(
        verbose.matches("- skip").count() > text.matches("- skip").count(),
        "{verbose}"
    );
}
