//! Bad input through the real binary. Every malformed flag value, config file, request body
//! and pasted text gets one of three answers, never a panic or a backtrace:
//! - exit 2 with exactly one line on stderr that names the bad value (usage errors);
//! - where the value is what the person asks about (a model id, a region), a finding with
//!   the right cause code and exit 1;
//! - for explain, an honest `unknown` and exit 0.
//!
//! Inputs are generated in a temp dir at test time (the 50 MB ones too). The cases of a table
//! run on a few threads at once; each test prints how many inputs it tried.

mod common;

use common::*;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// What a case must answer.
#[derive(Debug, Clone)]
enum Expect {
    /// Exit 2, one line on stderr containing this text, nothing on stdout.
    Usage(String),
    /// Exit 1 and, in the JSON report, this check failing with this cause.
    Finding(&'static str, &'static str),
    /// explain: exit 0 and `unknown` as the only answer.
    Unknown,
    /// lint: exit 1 and at least one problem in the JSON report.
    LintProblems,
}

struct Case {
    what: String,
    args: Vec<OsString>,
    env: Vec<(&'static str, OsString)>,
    stdin: Option<PathBuf>,
    expect: Expect,
}

fn case(what: impl Into<String>, args: &[&str], expect: Expect) -> Case {
    Case {
        what: what.into(),
        args: args.iter().map(OsString::from).collect(),
        env: Vec::new(),
        stdin: None,
        expect,
    }
}

fn usage(named: impl Into<String>) -> Expect {
    Expect::Usage(named.into())
}

/// Runs one case: the binary in the clean environment of tests/common, with fake keys planted
/// so that a leak would show, stdin from a file or empty.
fn run_case(env: &Env, c: &Case) -> Output {
    let mut cmd: Command = env.cmd();
    cmd.args(&c.args)
        .env("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
        .env("AWS_SESSION_TOKEN", FAKE_TOKEN)
        .current_dir(env.home.path());
    for (k, v) in &c.env {
        cmd.env(k, v);
    }
    cmd.stdin(match &c.stdin {
        Some(path) => Stdio::from(std::fs::File::open(path).unwrap()),
        None => Stdio::null(),
    });
    cmd.output().expect("the binary runs")
}

/// The answer a case expects, and nothing a crash or a leak would print.
fn check(c: &Case, o: &Output) -> Result<(), String> {
    let (out, err) = (stdout(o), stderr(o));
    let what = &c.what;
    let code = o
        .status
        .code()
        .ok_or_else(|| format!("{what}: killed by a signal: {:?}", o.status))?;
    for text in [&out, &err] {
        for bad in [
            "panicked",
            "RUST_BACKTRACE",
            "stack overflow",
            "thread '",
            FAKE_SECRET,
            FAKE_TOKEN,
        ] {
            if text.contains(bad) {
                return Err(format!("{what}: output contains {bad:?}:\n{text}"));
            }
        }
    }
    let fail = |why: &str| {
        Err(format!(
            "{what}: {why}\nexit {code}\nstderr: {err}\nstdout: {out}"
        ))
    };
    match &c.expect {
        Expect::Usage(named) => {
            if code != 2 {
                return fail("expected exit 2");
            }
            if err.lines().count() != 1 || !err.ends_with('\n') {
                return fail("expected exactly one line on stderr");
            }
            if !err.contains(named.as_str()) {
                return fail(&format!("stderr does not name {named:?}"));
            }
            if !out.is_empty() {
                return fail("expected nothing on stdout");
            }
        }
        Expect::Finding(check, cause) => {
            if code != 1 {
                return fail("expected exit 1");
            }
            let r = report(o);
            let found = r.checks.iter().any(|c| {
                c.id == *check
                    && c.status.as_str() == "fail"
                    && c.findings.iter().any(|f| f.cause.code() == *cause)
            });
            if !found {
                return fail(&format!("expected {check} to fail with {cause}"));
            }
        }
        Expect::Unknown => {
            if code != 0 {
                return fail("expected exit 0");
            }
            let answer: bedrock_doctor::explain::JsonAnswer =
                serde_json::from_str(&out).map_err(|e| format!("{what}: not JSON ({e})"))?;
            let codes: Vec<&str> = answer.causes.iter().map(|c| c.code.as_str()).collect();
            if codes != ["unknown"] {
                return fail(&format!("expected an honest unknown, got {codes:?}"));
            }
        }
        Expect::LintProblems => {
            if code != 1 {
                return fail("expected exit 1");
            }
            let r: bedrock_doctor::lint::LintReport =
                serde_json::from_str(&out).map_err(|e| format!("{what}: not JSON ({e})"))?;
            if r.ok || r.problems.is_empty() {
                return fail("expected problems");
            }
        }
    }
    Ok(())
}

/// Runs every case on a few threads (each is a process that mostly waits) and fails with
/// every broken case at once. Returns how many cases ran.
fn run_table(env: &Env, cases: &[Case]) -> usize {
    let next = AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(c) = cases.get(i) else { break };
                if let Err(e) = check(c, &run_case(env, c)) {
                    failures.lock().unwrap().push(e);
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    cases.len()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A file of `size` bytes made of `chunk` repeated, written in pieces.
fn write_big(dir: &Path, name: &str, chunk: &[u8], size: usize) -> PathBuf {
    use std::io::Write;
    let p = dir.join(name);
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    let block = chunk.repeat((1 << 20) / chunk.len());
    let mut written = 0;
    while written < size {
        let n = block.len().min(size - written);
        f.write_all(&block[..n]).unwrap();
        written += n;
    }
    p
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

const FIFTY_MB: usize = 50 * 1024 * 1024;

// ---- flags the doctor refuses ----------------------------------------------------------------

#[test]
fn bad_flag_values_are_one_line_naming_the_value() {
    let env = Env::new();
    let mut cases = Vec::new();
    // IAM principals (--principal): not an ARN, wrong service or type, bad account, spaces.
    for (value, named) in [
        ("", "``"),
        ("garbage", "`garbage`"),
        ("arn:aws:iam::12:role/x", "arn:aws:iam::12:role/x"),
        ("arn:aws:iam::1234567890123:role/x", "1234567890123"),
        ("arn:aws:s3:::bucket", "arn:aws:s3:::bucket"),
        ("arn:aws:iam::123456789012:group/admins", "group/admins"),
        ("arn:aws:iam::123456789012:role/two words", "role/two words"),
        ("arn:aws:iam::123456789012:role/x\nfoo", "role/x\\nfoo"),
        ("arn:aws:iam::12345678901a:role/x", "12345678901a"),
        ("role/app", "role/app"),
    ] {
        cases.push(case(
            format!("--principal {value:?}"),
            &[&format!("--principal={value}")],
            usage(named),
        ));
    }
    // Guardrails (--guardrail): AWS's id and version patterns, ARNs of the right shape.
    for (value, named) in [
        ("", "``"),
        ("My-Guardrail", "`My-Guardrail`"),
        ("abc123:0", "`abc123:0`"),
        ("abc123:draft", "`abc123:draft`"),
        ("abc123:123456789", "`abc123:123456789`"),
        (
            "arn:aws:bedrock:us-east-1:123:guardrail/abc",
            "arn:aws:bedrock:us-east-1:123:guardrail/abc",
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:agent/abc",
            "agent/abc",
        ),
        ("abc 123", "`abc 123`"),
    ] {
        cases.push(case(
            format!("--guardrail {value:?}"),
            &[&format!("--guardrail={value}")],
            usage(named),
        ));
    }
    // Lambda functions and knowledge bases: AWS's name, ARN and id patterns.
    for (flag, value, named) in [
        ("--lambda", "has space", "`has space`"),
        (
            "--lambda",
            "arn:aws:lambda:us-east-1:123:function:x",
            "arn:aws:lambda:us-east-1:123:function:x",
        ),
        ("--lambda", "arn:aws:s3:::bucket", "arn:aws:s3:::bucket"),
        ("--knowledge-base", "KB123", "`KB123`"),
        ("--knowledge-base", "KB12345678-", "`KB12345678-`"),
    ] {
        cases.push(case(
            format!("{flag} {value:?}"),
            &[&format!("{flag}={value}")],
            usage(named),
        ));
    }
    cases.push(case(
        "--output-file in a missing directory",
        &["--output-file", "/nonexistent-dir-of-the-test/report.json"],
        usage("`/nonexistent-dir-of-the-test` is not a directory"),
    ));
    cases.push(case(
        "--kb-query without --knowledge-base",
        &["--kb-query", "hello"],
        usage("--knowledge-base"),
    ));
    cases.push(case(
        "--only guardrail without --guardrail",
        &["--only", "guardrail"],
        usage("runs only with --guardrail"),
    ));
    // --regions items (the person asks for several regions; a bad item is a usage error).
    for (value, named) in [
        ("BAD", "`BAD`"),
        ("us-east-1,nope", "`nope`"),
        ("us_east_1", "`us_east_1`"),
        ("", "``"),
        ("us-east-1,", "``"),
        ("all,US-EAST-1", "`US-EAST-1`"),
        ("us-east-1\nx", "`us-east-1\\nx`"),
        ("us-east-1a", "`us-east-1a`"),
        ("us-east-1,us-wset-2", "did you mean us-west-2"),
    ] {
        cases.push(case(
            format!("--regions {value:?}"),
            &[&format!("--regions={value}")],
            usage(named),
        ));
    }
    // Profile names.
    let long = "p".repeat(129);
    for (value, named) in [
        ("", "``"),
        ("a b", "`a b`"),
        ("a\tb", "`a\\tb`"),
        ("a\nb", "`a\\nb`"),
        ("prod;rm", "`prod;rm`"),
        ("caf\u{e9}", "`caf\u{e9}`"),
        ("[default]", "`[default]`"),
        (long.as_str(), long.as_str()),
    ] {
        cases.push(case(
            format!("--profile {value:?}"),
            &[&format!("--profile={value}")],
            usage(named),
        ));
    }
    // Durations of every flag that takes one.
    for flag in ["--timeout", "--check-timeout", "--wait"] {
        for (value, named) in [
            ("", "``"),
            ("soon", "`soon`"),
            ("0s", "`0s`"),
            ("-5s", "`-5s`"),
            ("25h", "`25h`"),
            ("1e3s", "`1e3s`"),
            ("5 parsecs", "`5 parsecs`"),
            ("9999999999999999999999s", "`9999999999999999999999s`"),
            ("5\nparsecs", "`5\\nparsecs`"),
        ] {
            cases.push(case(
                format!("{flag} {value:?}"),
                &[&format!("{flag}={value}")],
                usage(named),
            ));
        }
    }
    for (value, named) in [
        ("30s", "`30s`"),
        ("16d", "`16d`"),
        ("x", "`x`"),
        ("0", "`0`"),
    ] {
        cases.push(case(
            format!("--window {value:?}"),
            &[&format!("--window={value}")],
            usage(named),
        ));
    }
    // Other values with a grammar.
    for (args, named) in [
        (vec!["--endpoint-url=localhost:4566"], "localhost:4566"),
        (vec!["--endpoint-url=http://"], "http://"),
        (vec!["--concurrency=0"], "0"),
        (vec!["--concurrency=-1"], "-1"),
        (vec!["--concurrency=many"], "many"),
        (vec!["--output=yaml"], "yaml"),
        (vec!["--fail-on=sometimes"], "sometimes"),
        (vec!["--service-tier=turbo"], "turbo"),
        (vec!["--only=idenity"], "idenity"),
        (vec!["--skip=nope"], "nope"),
        (vec!["lint", "x.json", "--model="], "model id is empty"),
        (vec!["lint", "x.json", "--model=a b"], "`a b`"),
        (
            vec!["lint", "x.json", "--model=acme.unknown-v1"],
            "acme.unknown-v1",
        ),
        (vec!["demo", "no-such-scenario"], "no-such-scenario"),
    ] {
        cases.push(case(args.join(" "), &args, usage(named)));
    }
    // An argument that is not UTF-8 is named with its bytes escaped.
    let mut not_utf8 = case("--profile <a\\xffb>", &[], usage(r#""a\xFFb""#));
    not_utf8.args = vec!["--profile".into(), OsString::from_vec(b"a\xffb".to_vec())];
    cases.push(not_utf8);
    let mut explain_arg = case("explain <\\xff\\xfe>", &[], usage(r#""\xFF\xFE""#));
    explain_arg.args = vec!["explain".into(), OsString::from_vec(b"\xff\xfe".to_vec())];
    cases.push(explain_arg);

    let n = run_table(&env, &cases);
    println!("bad_input: {n} bad flag values, each exit 2 with one line naming it");
}

// ---- config files and --body files -----------------------------------------------------------

#[test]
fn bad_config_and_body_files_are_one_line_naming_the_file() {
    let env = Env::new();
    let dir = env.home.path();
    let mut cases = Vec::new();
    let config = |name: &str, text: &[u8], named: &str| {
        let p = write(dir, name, text);
        case(
            format!("--config {name}"),
            &["--config", &s(&p), "--region", "us-east-1"],
            usage(named),
        )
    };
    cases.extend([
        config("broken.toml", b"region = \n", "broken.toml` line 1"),
        config("unknown.toml", b"regoin = \"us-east-1\"\n", "regoin"),
        config("type.toml", b"concurrency = \"many\"\n", "\"many\""),
        config("models.toml", b"models = \"x\"\n", "expected a sequence"),
        config("big.toml", b"concurrency = 99999\n", "99999"),
        config("zero.toml", b"concurrency = 0\n", "concurrency: 0"),
        config("failon.toml", b"fail-on = \"sometimes\"\n", "sometimes"),
        config("timeout.toml", b"timeout = \"soon\"\n", "`soon`"),
        config("window.toml", b"window = \"1s\"\n", "window: `1s`"),
        config(
            "newline.toml",
            b"check-timeout = \"5\\nminutes please\"\n",
            "`5\\nminutes please`",
        ),
        config("principal.toml", b"principal = \"nope\"\n", "`nope`"),
        config("guardrail.toml", b"guardrail = \"NOPE:1\"\n", "`NOPE:1`"),
        config("lambda.toml", b"lambda = \"a b\"\n", "`a b`"),
        config("kb.toml", b"knowledge-base = \"short\"\n", "`short`"),
        config("profile.toml", b"profile = \"a b\"\n", "`a b`"),
        config(
            "mute.toml",
            b"[[mute]]\ncheck = \"nope\"\nreason = \"x\"\n",
            "`nope`",
        ),
        config(
            "until.toml",
            b"[[mute]]\ncause = \"model-legacy\"\nreason = \"x\"\nuntil = \"next\\nweek\"\n",
            "next\\nweek",
        ),
        config(
            "latin1.toml",
            b"region = \"caf\xe9\"\n",
            "latin1.toml`: stream did not contain valid UTF-8",
        ),
        config("binary.toml", b"\x00\x01\x02\x03", "binary.toml` line 1"),
        config(
            "deep.toml",
            format!("a = {}", "[".repeat(100_000)).as_bytes(),
            "deep.toml` line 1",
        ),
    ]);
    cases.push(case(
        "--config <a directory>",
        &["--config", &s(dir)],
        usage("Is a directory"),
    ));
    cases.push(case(
        "--config <missing>",
        &["--config", "no-such.toml"],
        usage("no-such.toml`: No such file"),
    ));

    // --body: the request body the invoke check would send.
    let body = |name: &str, path: PathBuf, named: &str| {
        case(
            format!("--body {name}"),
            &["--body", &s(&path), "--region", "us-east-1"],
            usage(named),
        )
    };
    cases.extend([
        body(
            "empty",
            write(dir, "empty.json", b""),
            "empty.json` is not JSON",
        ),
        body(
            "binary",
            write(dir, "image.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            "image.png` is not UTF-8",
        ),
        body(
            "latin-1",
            write(dir, "latin1.json", b"{\"prompt\": \"caf\xe9\"}"),
            "latin1.json` is not UTF-8",
        ),
        body(
            "50 MB",
            write_big(dir, "big.json", b"[1,", FIFTY_MB),
            "big.json` is 52428800 bytes",
        ),
        body(
            "100k nested arrays",
            write(dir, "nested.json", "[".repeat(100_000).as_bytes()),
            "nested.json` is not JSON: recursion limit exceeded",
        ),
        body("a directory", dir.join(".aws"), ".aws`: Is a directory"),
        body(
            "missing",
            dir.join("no-such.json"),
            "no-such.json`: No such file",
        ),
    ]);
    // Scenario files for demo and sim serve.
    let scenario = write(dir, "scenario.toml", b"name = \n");
    cases.push(case(
        "demo <broken scenario>",
        &["demo", &s(&scenario)],
        usage("scenario.toml"),
    ));
    cases.push(case(
        "sim serve --scenario <binary>",
        &["sim", "serve", "--scenario", &s(&dir.join("image.png"))],
        usage("image.png"),
    ));

    let n = run_table(&env, &cases);
    println!(
        "bad_input: {n} bad config, body and scenario files, each exit 2 with one line naming it"
    );
}

// ---- values that are the subject of the diagnosis --------------------------------------------

#[test]
fn a_bad_model_id_or_region_is_a_finding() {
    let env = Env::new();
    let mut cases = Vec::new();
    let long = format!("amazon.{}", "n".repeat(5000));
    for model in [
        "",
        " ",
        "Claude 3.5 Sonnet",
        "anthropic.Claude-v2",
        "anthropic",
        "anthropic.",
        ".claude",
        "anthropic.claude_3",
        "anthropic.claude-v2:1:2:3",
        "anthropic.claude..v2",
        "us.",
        "eu.claude",
        "a\nb.c",
        "caf\u{e9}.model",
        long.as_str(),
        "arn:aws:s3:::bucket",
        "arn:aws:bedrock",
        "arn:aws:bedrock:us-east-1::foundation-model",
        "arn:aws:bedrock:us-east-1::foundation-model/Bad_Id",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/xx.anthropic.claude",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.",
    ] {
        cases.push(case(
            format!("--model {model:.40?}"),
            &[
                &format!("--model={model}"),
                "--region=us-east-1",
                "--only=model-catalog",
                "--output=json",
            ],
            Expect::Finding("model-catalog", "model-id-invalid"),
        ));
    }
    let long = "r".repeat(1000);
    for region in [
        "",
        "US-EAST-1",
        "us-east",
        "useast1",
        "us_east_1",
        "us-east-1 ",
        " us-east-1",
        "us-east-1\nx",
        "mars-north-1x",
        "caf\u{e9}-east-1",
        "../../etc",
        long.as_str(),
    ] {
        cases.push(case(
            format!("--region {region:.40?}"),
            &[
                &format!("--region={region}"),
                "--only=config",
                "--output=json",
            ],
            Expect::Finding("config", "region-missing"),
        ));
    }
    // From the environment, and through a whole run (every check, nothing sent).
    let mut from_env = case(
        "AWS_REGION=\"US EAST\"",
        &["--model=amazon.nova-lite-v1:0", "--output=json"],
        Expect::Finding("config", "region-missing"),
    );
    from_env.env.push(("AWS_REGION", "US EAST".into()));
    cases.push(from_env);
    cases.push(case(
        "--region \"bad region\", full run",
        &[
            "--region=bad region",
            "--model=amazon.nova-lite-v1:0",
            "--output=json",
        ],
        Expect::Finding("config", "region-missing"),
    ));
    // A profile name from the environment is not checked by the flag parser: it is looked
    // up, and not found.
    let mut profile = case(
        "AWS_PROFILE=\"a b\"",
        &["--region=us-east-1", "--only=config", "--output=json"],
        Expect::Finding("config", "credentials-missing"),
    );
    profile.env.push(("AWS_PROFILE", "a b".into()));
    cases.push(profile);

    let n = run_table(&env, &cases);
    println!("bad_input: {n} bad model ids and regions, each a finding and exit 1");
}

// ---- explain and lint: empty, huge, binary, non-UTF-8, deeply nested ---------------------------

#[test]
fn explain_and_lint_on_hostile_input() {
    let env = Env::new();
    let dir = env.home.path();
    let inputs = [
        ("empty", write(dir, "empty.txt", b"")),
        ("blank", write(dir, "blank.txt", b" \n\t\n")),
        ("50 MB", write_big(dir, "big.txt", b"ab ", FIFTY_MB)),
        (
            "binary",
            write(dir, "image.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01"),
        ),
        (
            "non-UTF-8",
            write(dir, "latin1.txt", &b"caf\xe9 ".repeat(1000)),
        ),
        (
            "100k nested arrays",
            write(
                dir,
                "arrays.json",
                ("[".repeat(100_000) + &"]".repeat(100_000)).as_bytes(),
            ),
        ),
        (
            "100k nested objects",
            write(
                dir,
                "objects.json",
                ("{\"a\":".repeat(100_000) + "1" + &"}".repeat(100_000)).as_bytes(),
            ),
        ),
        (
            "100 nested arrays in a field",
            write(
                dir,
                "deep.json",
                format!("{{\"prompt\": {}{}}}", "[".repeat(100), "]".repeat(100)).as_bytes(),
            ),
        ),
    ];
    let lint_expect = |kind: &str, shown: &str| match kind {
        "empty" | "blank" => usage(format!("{shown} is empty")),
        "50 MB" if shown == "stdin" => usage("stdin is larger than the 10 MB limit"),
        "50 MB" => usage(format!("{shown} is 50 MB, larger than the 10 MB limit")),
        "binary" => usage(format!("{shown} is binary")),
        "non-UTF-8" => usage(format!(
            "{shown} is not UTF-8 text (invalid byte at offset 3)"
        )),
        "100k nested arrays" | "100k nested objects" => {
            usage(format!("{shown} is not valid JSON (line 1, column "))
        }
        _ => Expect::LintProblems,
    };
    let model = "--model=meta.llama3-1-70b-instruct-v1:0";
    let mut cases = Vec::new();
    for (kind, path) in &inputs {
        let explain = match *kind {
            "empty" | "blank" => usage("stdin is empty"),
            "50 MB" => usage("stdin is larger than the 10 MB limit"),
            "binary" => usage("stdin is binary"),
            // A pasted log with stray bytes is still explained; nothing here is an error.
            _ => Expect::Unknown,
        };
        let mut c = case(
            format!("explain < {kind}"),
            &["explain", "-o", "json"],
            explain,
        );
        c.stdin = Some(path.clone());
        cases.push(c);

        let mut c = case(
            format!("lint - < {kind}"),
            &["lint", "-", model, "-o", "json"],
            lint_expect(kind, "stdin"),
        );
        c.stdin = Some(path.clone());
        cases.push(c);

        let shown = format!("`{}`", path.display());
        cases.push(case(
            format!("lint {kind}"),
            &["lint", &s(path), model, "-o", "json"],
            lint_expect(kind, &shown),
        ));
    }
    // explain's text argument: empty, and nested deeper than any parser's limit (an argument
    // cannot hold 50 MB or a NUL byte).
    cases.push(case(
        "explain \"\"",
        &["explain", ""],
        usage("the error text argument is empty"),
    ));
    let nested = "[".repeat(50_000) + &"]".repeat(50_000);
    cases.push(case(
        "explain <50k nested arrays>",
        &["explain", "-o", "json", &nested],
        Expect::Unknown,
    ));
    cases.push(case(
        "explain <control characters>",
        &["explain", "-o", "json", "\u{1}\u{2}\u{7f}\u{1b}[31m"],
        Expect::Unknown,
    ));

    let n = run_table(&env, &cases);
    println!(
        "bad_input: {n} explain and lint runs on {} hostile inputs (stdin, file, argument)",
        inputs.len()
    );
}
