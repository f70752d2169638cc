//! The real binary: exit codes, stdin, --output json read back through the crate's own types,
//! and every kind of bad input answered with one line and exit 2, never a panic.

use bedrock_doctor::explain::JsonAnswer;
use bedrock_doctor::lint::LintReport;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bedrock-doctor"));
    // Nothing here touches the network; this keeps the SDK's credential chain away from IMDS
    // should anything ever try.
    c.env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION");
    c
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = bin();
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("binary starts");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        // The binary may stop reading early (size limit); a broken pipe is then expected.
        let _ = pipe.write_all(input);
    }
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit 2 with exactly one line on stderr that contains `needle`, nothing on stdout.
fn assert_usage_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line expected: {err:?}");
    assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(o.stdout.is_empty(), "stdout: {}", stdout(o));
}

fn lint_data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/lint")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

const SCP_DENY: &str = "An error occurred (AccessDeniedException) when calling the ConverseStream operation: User: arn:aws:sts::123456789012:assumed-role/app/session is not authorized to perform: bedrock:InvokeModelWithResponseStream on resource: arn:aws:bedrock:eu-west-3::foundation-model/amazon.nova-pro-v1:0 with an explicit deny in a service control policy";

// ---- explain ---------------------------------------------------------------------------------

#[test]
fn explain_argument_prints_causes_and_exits_0() {
    let o = run(&["explain", SCP_DENY], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("1. scp-deny  high confidence"), "{out}");
    assert!(
        out.contains("bedrock-doctor --region eu-west-3 --model amazon.nova-pro-v1:0 --only scp"),
        "{out}"
    );
    assert!(
        out.contains("principal    arn:aws:sts::123456789012:assumed-role/app/session"),
        "{out}"
    );
}

#[test]
fn explain_unquoted_words_are_joined() {
    let o = run(
        &[
            "explain",
            "Input",
            "is",
            "too",
            "long",
            "for",
            "requested",
            "model.",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("input-too-long"));
}

#[test]
fn explain_reads_stdin_and_json_reads_back() {
    let log = "2025-01-01 ERROR worker-3\nTraceback (most recent call last):\n  File \"app.py\", line 9\nbotocore.errorfactory.ValidationException: An error occurred (ValidationException) when calling the InvokeModel operation: Invocation of model ID anthropic.claude-3-7-sonnet-20250219-v1:0 with on-demand throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference profile that contains this model.\n";
    for args in [
        &["explain", "--output", "json"][..],
        &["explain", "-", "-o", "json"][..],
    ] {
        let o = run(args, Some(log.as_bytes()));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let answer: JsonAnswer = serde_json::from_slice(&o.stdout).expect("JSON parses back");
        assert_eq!(answer.causes[0].code, "inference-profile-required");
        assert_eq!(
            answer.extracted.model_id.as_deref(),
            Some("anthropic.claude-3-7-sonnet-20250219-v1:0")
        );
        assert_eq!(answer.extracted.operation.as_deref(), Some("InvokeModel"));
        assert!(answer.causes[0].fix[0].contains("us.anthropic.claude-3-7-sonnet-20250219-v1:0"));
        assert!(answer.causes[0].confirm.starts_with("bedrock-doctor"));
    }
}

#[test]
fn explain_unknown_is_honest_and_exits_0() {
    let o = run(&["explain", "-o", "json", "ERR_HTTP2_STREAM_CANCEL"], None);
    assert_eq!(o.status.code(), Some(0));
    let answer: JsonAnswer = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(answer.causes.len(), 1);
    assert_eq!(answer.causes[0].code, "unknown");
    assert!(!answer.causes[0].fix.is_empty());
    let o = run(&["explain", "ERR_HTTP2_STREAM_CANCEL"], None);
    assert!(stdout(&o).contains("unknown  The text does not say why the request failed"));
}

#[test]
fn explain_bad_inputs_exit_2() {
    assert_usage_error(
        &run(&["explain", ""], None),
        "the error text argument is empty",
    );
    assert_usage_error(
        &run(&["explain", "  "], None),
        "the error text argument is empty",
    );
    assert_usage_error(&run(&["explain"], Some(b"")), "stdin is empty");
    assert_usage_error(&run(&["explain"], Some(b"\n \n")), "stdin is empty");
    assert_usage_error(
        &run(&["explain"], Some(b"\x89PNG\r\n\x1a\n\0\0\0")),
        "stdin is binary",
    );
    let big = vec![b'a'; 11 * 1024 * 1024];
    assert_usage_error(
        &run(&["explain"], Some(&big)),
        "stdin is larger than the 10 MB limit",
    );
    assert_usage_error(&run(&["explain", "-o", "yaml", "x"], None), "yaml");
}

#[test]
fn explain_stray_bytes_in_a_log_are_tolerated() {
    let mut text = b"\xff\xfe log: ".to_vec();
    text.extend_from_slice(
        b"ThrottlingException: Too many tokens, please wait before trying again.",
    );
    let o = run(&["explain"], Some(&text));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("throttled"));
}

#[test]
fn explain_masks_secrets_it_was_given() {
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY9";
    let text = format!(
        "export aws_secret_access_key={secret}\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-west-2/bedrock/aws4_request, SignedHeaders=host, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024\nThe security token included in the request is invalid."
    );
    for output in ["table", "json"] {
        let o = run(&["explain", "-o", output], Some(text.as_bytes()));
        assert_eq!(o.status.code(), Some(0));
        let out = stdout(&o);
        assert!(!out.contains(secret), "{out}");
        assert!(!out.contains("fe5f80f77d5fa3beca038a248ff027d0"), "{out}");
        assert!(out.contains("credentials-invalid"));
        assert!(
            out.contains("us-west-2"),
            "the region of the credential scope: {out}"
        );
    }
}

#[test]
fn explain_help_teaches() {
    let o = run(&["explain", "--help"], None);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("Examples:") && out.contains("pbpaste | bedrock-doctor explain"));
}

// ---- lint ------------------------------------------------------------------------------------

#[test]
fn lint_exit_codes_follow_the_body() {
    let ok = run(
        &[
            "lint",
            &lint_data("anthropic-messages.ok.json"),
            "--model",
            "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
        ],
        None,
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("no problems found"));

    let bad = run(
        &[
            "lint",
            &lint_data("anthropic-messages.bad.json"),
            "--model",
            "anthropic.claude-3-haiku-20240307-v1:0",
        ],
        None,
    );
    assert_eq!(bad.status.code(), Some(1));
    let out = stdout(&bad);
    assert!(out.contains("7 problems"), "{out}");
    assert!(out.contains("/max_tokens_to_sample"), "{out}");
}

#[test]
fn lint_seed_json_reads_back() {
    let o = run(
        &[
            "lint",
            &lint_data("seed-sdxl-v0.json"),
            "--model",
            "stability.stable-diffusion-xl-v0",
            "--output",
            "json",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let report: LintReport = serde_json::from_slice(&o.stdout).expect("JSON parses back");
    assert!(!report.ok);
    let paths: Vec<&str> = report.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/generation_impact",
            "/prompt_details",
            "/steps",
            "/text_prompts"
        ]
    );
    assert_eq!(report.advisories[0].cause.code(), "model-end-of-life");

    let fixed = run(
        &[
            "lint",
            &lint_data("seed-sdxl-v0.fixed.json"),
            "--model",
            "stability.stable-diffusion-xl-v0",
            "-o",
            "json",
        ],
        None,
    );
    assert_eq!(
        fixed.status.code(),
        Some(0),
        "advisories do not fail the body"
    );
    let report: LintReport = serde_json::from_slice(&fixed.stdout).unwrap();
    assert!(report.ok && report.problems.is_empty());
    assert_eq!(report.advisories.len(), 1);
}

#[test]
fn lint_names_a_model_id_the_catalog_does_not_know() {
    let body = br#"{"messages": [{"role": "user", "content": [{"text": "hi"}]}], "inferenceConfig": {"maxTokens": 256}}"#;
    let lint = |model: &str| {
        let o = run(
            &[
                "lint",
                "-",
                "--model",
                model,
                "--operation",
                "converse",
                "-o",
                "json",
            ],
            Some(body),
        );
        assert_eq!(
            o.status.code(),
            Some(0),
            "an advisory does not fail the body"
        );
        serde_json::from_slice::<LintReport>(&o.stdout).unwrap()
    };
    let typo = lint("us.anthropic.claude-sonet-4-6");
    assert_eq!(typo.advisories.len(), 1, "{:?}", typo.advisories);
    assert_eq!(typo.advisories[0].cause.code(), "model-id-invalid");
    assert!(
        typo.advisories[0]
            .message
            .contains("did you mean anthropic.claude-sonnet-4-6"),
        "{}",
        typo.advisories[0].message
    );
    assert!(lint("us.anthropic.claude-sonnet-4-6").advisories.is_empty());
}

#[test]
fn lint_reads_stdin_and_converse() {
    let body = br#"{"messages": [{"role": "user", "content": [{"text": "hi"}]}], "inferenceConfig": {"maxTokens": 256}}"#;
    let o = run(
        &[
            "lint",
            "-",
            "--model",
            "us.amazon.nova-pro-v1:0",
            "--operation",
            "converse",
        ],
        Some(body),
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let o = run(
        &["lint", "-", "--model", "us.meta.llama3-2-90b-instruct-v1:0"],
        Some(body),
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "a Converse body is not Llama's native body"
    );
    let out = stdout(&o);
    assert!(
        out.contains("/messages") && out.contains("/prompt"),
        "{out}"
    );
}

fn temp_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn lint_bad_inputs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let model = ["--model", "meta.llama3-1-70b-instruct-v1:0"];
    let lint = |file: &str| {
        let mut args = vec!["lint", file];
        args.extend_from_slice(&model);
        run(&args, None)
    };
    let missing = dir.path().join("nope.json");
    assert_usage_error(
        &lint(&missing.to_string_lossy()),
        "nope.json` does not exist",
    );
    assert_usage_error(&lint(&dir.path().to_string_lossy()), "is a directory");

    let empty = temp_file(dir.path(), "empty.json", b"");
    assert_usage_error(&lint(&empty.to_string_lossy()), "empty.json` is empty");

    let binary = temp_file(dir.path(), "image.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    assert_usage_error(&lint(&binary.to_string_lossy()), "image.png` is binary");

    let latin1 = temp_file(dir.path(), "latin1.json", b"{\"prompt\": \"caf\xe9\"}");
    assert_usage_error(
        &lint(&latin1.to_string_lossy()),
        "is not UTF-8 text (invalid byte at offset 15)",
    );

    let broken = temp_file(
        dir.path(),
        "broken.json",
        b"{\n  \"prompt\": \"hi\",\n  \"temperature\": 0.5,\n}\n",
    );
    assert_usage_error(
        &lint(&broken.to_string_lossy()),
        "is not valid JSON (line 4, column 1)",
    );

    // 50 MB of text, generated here rather than committed.
    let big_path = dir.path().join("big.json");
    let mut f = std::fs::File::create(&big_path).unwrap();
    let chunk =
        "{\"prompt\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}\n".repeat(16 * 1024);
    while f.metadata().unwrap().len() < 50 * 1024 * 1024 {
        f.write_all(chunk.as_bytes()).unwrap();
    }
    drop(f);
    assert_usage_error(
        &lint(&big_path.to_string_lossy()),
        "larger than the 10 MB limit",
    );

    let ok = temp_file(dir.path(), "ok.json", br#"{"prompt": "hi"}"#);
    let unknown_model = run(
        &[
            "lint",
            &ok.to_string_lossy(),
            "--model",
            "acme.unknown-model-v1",
        ],
        None,
    );
    assert_usage_error(
        &unknown_model,
        "`acme.unknown-model-v1` matches no request-body family",
    );
    assert_usage_error(
        &run(&["lint", &ok.to_string_lossy(), "--model", ""], None),
        "model id is empty",
    );
    assert_usage_error(&run(&["lint", &ok.to_string_lossy()], None), "--model");
    assert_usage_error(
        &run(
            &["lint", "-", "--model", "meta.llama3-8b-instruct-v1:0"],
            Some(b""),
        ),
        "stdin is empty",
    );
}

#[test]
fn lint_help_teaches() {
    let o = run(&["lint", "--help"], None);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("Examples:") && out.contains("--operation converse"));
}
