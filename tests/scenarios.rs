//! End to end: the real binary against the simulator, for every scenario of the library.
//! A scenario's expectations (`check:cause`) are asserted as soon as that check exists, so
//! each check's issue turns on its scenarios' assertions by itself.

mod common;

use bedrock_doctor::checks;
use bedrock_doctor::sim::{scenario::Scenario, scenario::LIBRARY};
use common::*;
use std::collections::BTreeSet;

fn registered() -> BTreeSet<String> {
    checks::all().iter().map(|c| c.meta.id.clone()).collect()
}

fn demo(name: &str, extra: &[&str]) -> bedrock_doctor::report::Report {
    let env = Env::new();
    let mut args = vec!["demo", name, "--output", "json", "--fail-on", "never"];
    args.extend_from_slice(extra);
    let o = run(env.cmd_with(&args));
    assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
    report(&o)
}

#[test]
fn every_scenario_reports_its_causes() {
    let checks = registered();
    for (name, text) in LIBRARY {
        let scenario = Scenario::parse(text).unwrap();
        let r = demo(name, &[]);
        assert_eq!(
            r.simulation.as_deref(),
            Some(*name),
            "the report must say it is a simulation"
        );
        let found: Vec<String> = r
            .findings()
            .map(|(c, f)| format!("{}:{}", c.id, f.cause.code()))
            .collect();
        for e in &scenario.expect {
            let check = e.split(':').next().unwrap_or_default();
            if checks.contains(check) {
                assert!(
                    found.contains(e),
                    "scenario {name}: expected {e}, found {found:?}\n{:#?}",
                    verdicts(&r)
                );
            }
        }
        // Causes the scenario does not set up must not appear (no false alarms).
        let expected: Vec<&str> = scenario
            .expect
            .iter()
            .filter_map(|e| e.split(':').nth(1))
            .collect();
        for cause in causes_of(&r) {
            assert!(
                expected.contains(&cause.as_str()),
                "scenario {name}: unexpected {cause}\n{:#?}",
                verdicts(&r)
            );
        }
    }
}

#[test]
fn the_healthy_account_passes_every_check() {
    let r = demo("healthy", &[]);
    assert!(r.checks.len() >= 3);
    for c in &r.checks {
        // The only skips allowed are checks that do not apply (no profile, an Amazon model).
        let not_applicable = c.status.as_str() == "skip" && c.summary.starts_with("not applicable");
        assert!(
            c.status.as_str() == "pass" || not_applicable,
            "{} {:?}: {} {}",
            c.id,
            c.model,
            c.status.as_str(),
            c.summary
        );
        assert!(c.findings.is_empty(), "{}: {:?}", c.id, c.findings);
    }
}

#[test]
fn the_healthy_run_calls_each_operation_once() {
    let (_rt, running) = start_sim(Scenario::load("healthy").unwrap());
    let env = Env::new();
    let mut c = env.cmd_with(&["--output", "json", "--model", "amazon.nova-lite-v1:0"]);
    aim(&mut c, &running);
    let o = run(c);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let log = running.log();
    let mut ops: Vec<String> = log
        .iter()
        .map(|e| format!("{}:{}", e.service, e.operation))
        .collect();
    let total = ops.len();
    ops.sort();
    ops.dedup();
    assert_eq!(ops.len(), total, "an operation was called twice: {log:?}");
    assert!(
        ops.contains(&"sts:GetCallerIdentity".to_string()),
        "{ops:?}"
    );
}

/// Every operation the doctor may call (as the simulator logs them): reads only.
const READS: [(&str, &str); 30] = [
    ("sts", "GetCallerIdentity"),
    // entering a role (a role_arn profile, --assume-role) changes nothing in the account
    ("sts", "AssumeRole"),
    ("organizations", "ListRoots"),
    ("organizations", "ListAccountsForParent"),
    ("organizations", "ListChildren"),
    ("iam", "GetRole"),
    ("iam", "GetUser"),
    ("iam", "SimulatePrincipalPolicy"),
    ("bedrock", "ListFoundationModels"),
    ("bedrock", "ListInferenceProfiles"),
    ("bedrock", "GetInferenceProfile"),
    ("bedrock", "GetFoundationModelAvailability"),
    ("bedrock", "GetUseCaseForModelAccess"),
    ("bedrock", "GetGuardrail"),
    ("bedrock", "GetProvisionedModelThroughput"),
    ("bedrock", "GetCustomModel"),
    ("bedrock", "GetCustomModelDeployment"),
    ("bedrock", "GetImportedModel"),
    ("bedrock", "GetKnowledgeBase"),
    ("bedrock", "ListDataSources"),
    ("bedrock", "ListIngestionJobs"),
    ("bedrock", "GetIngestionJob"),
    ("bedrock", "Retrieve"),
    ("lambda", "GetFunctionConfiguration"),
    ("monitoring", "GetMetricData"),
    ("organizations", "DescribeOrganization"),
    ("organizations", "ListParents"),
    ("organizations", "ListPoliciesForTarget"),
    ("organizations", "DescribePolicy"),
    ("servicequotas", "ListServiceQuotas"),
];

/// ...and the probe: at most one call per model, none with --no-invoke.
const PROBES: [(&str, &str); 5] = [
    ("bedrock", "InvokeModel"),
    ("bedrock", "Converse"),
    ("bedrock", "ConverseStream"),
    ("bedrock", "InvokeModelWithResponseStream"),
    // --endpoint-kind mantle: one chat completion.
    ("bedrock-mantle", "CreateInference"),
];

#[test]
fn the_read_allow_list_is_the_doctors_published_policy() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/doctor-policy.json"
    ))
    .unwrap();
    let policy: serde_json::Value = serde_json::from_str(&text).unwrap();
    let published: BTreeSet<String> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|st| st["Action"].as_array().unwrap())
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let allowed: BTreeSet<String> = READS
        .iter()
        .chain(&PROBES)
        .map(|(svc, op)| bedrock_doctor::sim::iam_action(svc, op))
        // Not an operation the doctor calls: a probe made with --guardrail is authorized on
        // the guardrail as well.
        .chain(["bedrock:ApplyGuardrail".to_string()])
        .collect();
    assert_eq!(allowed, published);
}

/// `aws service-quotas request-service-quota-increase` -> the simulator's log entry
/// ("servicequotas", "RequestServiceQuotaIncrease").
fn cli_command_op(service: &str, command: &str) -> (String, String) {
    let op = command
        .split('-')
        .map(|w| w[..1].to_uppercase() + &w[1..])
        .collect();
    let signing = match service {
        "cloudwatch" => "monitoring".to_string(),
        other => other.replace('-', ""),
    };
    (signing, op)
}

#[test]
fn every_scenario_only_reads_and_probes_each_model_at_most_once() {
    // A command that would change the account, printed for the person to run.
    let changes = regex::Regex::new(
        r"\baws ([a-z0-9-]+) ((?:put|create|request|attach|update|delete|submit|subscribe|accept)-[a-z0-9-]+)",
    )
    .unwrap();
    let runs: Vec<(&str, bool)> = LIBRARY
        .iter()
        .flat_map(|(name, _)| [(*name, false), (*name, true)])
        .collect();
    let n = runs.len();
    let results = parallel(runs, 4, |(name, no_invoke)| {
        let scenario = Scenario::load(name).unwrap();
        let (_rt, running) = start_sim(scenario.clone());
        let env = Env::new();
        let mut args = vec!["--output", "json", "--fail-on", "never"];
        if no_invoke {
            args.push("--no-invoke");
        }
        let mut c = scenario_cmd(&env, &scenario, &running, &args);
        demo_credentials(&mut c, &scenario);
        let o = run(c);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        let r = report(&o);
        let calls: Vec<(String, String)> = running
            .log()
            .into_iter()
            .map(|e| (e.service, e.operation))
            .collect();
        let printed: Vec<(String, String)> = r
            .findings()
            .flat_map(|(_, f)| f.remediation.iter())
            .flat_map(|step| changes.captures_iter(step))
            .map(|m| (m[1].to_string(), m[2].to_string()))
            .collect();
        if no_invoke {
            for c in r.checks.iter().filter(|c| c.id == "invoke") {
                assert_eq!(c.status.as_str(), "skip", "{name}: {}", c.summary);
            }
        }
        (name, no_invoke, scenario.models.len(), calls, printed)
    });
    let mut printed_changes = BTreeSet::new();
    for (name, no_invoke, models, calls, printed) in results {
        let is = |list: &[(&str, &str)], (svc, op): &(String, String)| {
            list.iter().any(|(s, o)| s == svc && o == op)
        };
        for call in &calls {
            assert!(
                is(&READS, call) || (!no_invoke && is(&PROBES, call)),
                "{name} (--no-invoke: {no_invoke}): {call:?} is not a read"
            );
        }
        if name == "healthy" {
            assert!(
                calls.iter().any(|(_, op)| op == "ListFoundationModels"),
                "the other checks ran (--no-invoke: {no_invoke}): {calls:?}"
            );
        }
        let probes = calls.iter().filter(|c| is(&PROBES, c)).count();
        let most = if no_invoke { 0 } else { models };
        assert!(
            probes <= most,
            "{name} (--no-invoke: {no_invoke}): {probes} probes for {models} models"
        );
        for (service, command) in printed {
            let op = cli_command_op(&service, &command);
            assert!(!calls.contains(&op), "{name}: the doctor ran {op:?} itself");
            printed_changes.insert(format!("{service} {command}"));
        }
    }
    // The changes the doctor prints instead of making: a form, an agreement, a policy, a quota.
    for change in [
        "bedrock put-use-case-for-model-access",
        "bedrock create-foundation-model-agreement",
        "iam put-role-policy",
        "service-quotas request-service-quota-increase",
    ] {
        assert!(
            printed_changes.contains(change),
            "no scenario prints `aws {change}`: {printed_changes:?}"
        );
    }
    println!(
        "read-only: {} scenarios, with and without --no-invoke: {n} runs; {} account changes printed, none made",
        LIBRARY.len(),
        printed_changes.len()
    );
}

#[test]
fn demo_list_names_every_scenario_one_a_line() {
    let o = run(Env::new().cmd_with(&["demo", "--list"]));
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), LIBRARY.len());
    // The summaries start in one column, however long the name.
    let column = |line: &str| {
        line.find("  ")
            .map(|i| i + line[i..].len() - line[i..].trim_start().len())
    };
    let first = column(lines[0]);
    for ((name, _), line) in LIBRARY.iter().zip(&lines) {
        assert!(
            line.starts_with(name) && line.len() > name.len() + 5,
            "{line}"
        );
        assert_eq!(column(line), first, "{line}");
    }
}

/// The demo is a simulated client machine passed to the doctor as a value: nothing of the
/// person's own environment or AWS files reaches it, and the process environment is never
/// edited (it used to be, before the runtime started).
#[test]
fn the_demo_reads_nothing_of_the_persons_own_aws_setup() {
    let env = Env::new();
    env.aws_file(
        "config",
        "[default]\nregion = ap-south-1\n[profile work]\nregion = eu-west-3\n",
    );
    env.aws_file(
        "credentials",
        "[work]\naws_access_key_id = AKIAPERSONALKEY00001\naws_secret_access_key = personal\n",
    );
    let mut c = env.cmd_with(&["demo", "healthy", "--output", "json", "--fail-on", "never"]);
    c.env("AWS_PROFILE", "work")
        .env("AWS_REGION", "eu-west-3")
        .env("AWS_ACCESS_KEY_ID", "AKIAPERSONALKEY00002")
        .env("AWS_SECRET_ACCESS_KEY", "personal")
        .env(
            "AWS_BEARER_TOKEN_BEDROCK",
            "ABSKpersonalkeythatmustnotbeused",
        )
        .env(
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
            format!("http://127.0.0.1:{}", closed_port()),
        );
    let o = run(c);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = report(&o);
    let text = serde_json::to_string(&r).unwrap();
    assert_eq!(r.target.region.as_deref(), Some("us-east-1"), "{text}");
    assert_eq!(r.target.profile, None, "{text}");
    assert!(!text.contains("PERSONALKEY"), "{text}");
    assert_eq!(status_of(&r, "api-key"), "skip", "{text}");
    assert_eq!(status_of(&r, "invoke"), "pass", "{text}");
}

#[test]
fn the_default_demo_table_names_several_causes_with_fixes() {
    let env = Env::new();
    let o = run(env.cmd_with(&["demo", "--color", "never"]));
    let text = stdout(&o);
    assert!(text.starts_with("SIMULATION"), "{text}");
    assert!(text.contains("fix 1."), "{text}");
}

fn finding<'a>(
    r: &'a bedrock_doctor::report::Report,
    check: &str,
    cause: &str,
) -> &'a bedrock_doctor::report::Finding {
    r.findings()
        .find(|(c, f)| c.id == check && f.cause.code() == cause)
        .map(|(_, f)| f)
        .unwrap_or_else(|| panic!("no {check}:{cause} in {:#?}", verdicts(r)))
}

#[test]
fn the_scp_is_named_to_the_statement() {
    let r = demo("scp-deny", &[]);
    let f = finding(&r, "scp", "scp-deny");
    assert!(
        f.summary.contains("DenyGenerativeAI") && f.summary.contains("DenyBedrockInvoke"),
        "{}",
        f.summary
    );
}

#[test]
fn a_region_deny_scp_names_the_denied_destination_regions() {
    let r = demo("scp-region-deny", &[]);
    let f = finding(&r, "scp", "scp-deny");
    assert!(
        f.summary.contains("RegionLockUsEast1") && f.summary.contains("DenyOutsideUsEast1"),
        "{}",
        f.summary
    );
    let text = f.evidence.join("\n");
    assert!(
        text.contains("us-east-2") && text.contains("us-west-2") && text.contains("cross-region"),
        "{text}"
    );
    assert!(
        !text.contains("evaluated in us-east-1"),
        "us-east-1 is allowed: {text}"
    );
}

#[test]
fn from_a_member_account_the_scp_is_reported_on_the_simulations_word() {
    let r = demo("scp-deny-member-account", &[]);
    let f = finding(&r, "scp", "scp-deny");
    assert!(
        f.evidence.iter().any(|e| e.contains("could not be named")),
        "{:?}",
        f.evidence
    );
    assert!(
        f.remediation
            .iter()
            .any(|s| s.contains("organizations:ListParents")),
        "{:?}",
        f.remediation
    );
}

#[test]
fn missing_permissions_get_the_exact_statement_for_a_role_with_a_path() {
    let r = demo("seed-image-lambda", &[]);
    let principal = r.checks.iter().find(|c| c.id == "principal").unwrap();
    assert!(
        principal
            .summary
            .contains("role/service-role/image-generator-role-x7k2"),
        "{}",
        principal.summary
    );
    let f = finding(&r, "iam-permissions", "iam-not-authorized");
    let policy = &f.remediation[0];
    assert!(
        policy.contains(
            "arn:aws:bedrock:us-west-2::foundation-model/stability.stable-image-core-v1:1"
        ),
        "{policy}"
    );
    assert!(
        policy.contains("bedrock:InvokeModelWithResponseStream"),
        "{policy}"
    );
    assert!(
        f.remediation[1].contains("put-role-policy --role-name image-generator-role-x7k2"),
        "{:?}",
        f.remediation
    );
    let m = finding(&r, "marketplace", "marketplace-subscription");
    assert!(
        m.remediation[0].contains("aws-marketplace:Subscribe"),
        "{:?}",
        m.remediation
    );
}

#[test]
fn explicit_denies_and_boundaries_are_told_apart() {
    let r = demo("iam-explicit-deny", &[]);
    assert!(
        finding(&r, "iam-permissions", "iam-explicit-deny").evidence[0].contains("DenyAnthropic")
    );
    let r = demo("permissions-boundary-deny", &[]);
    finding(&r, "iam-permissions", "permissions-boundary-deny");
}

#[test]
fn the_healthy_run_invokes_each_text_model_once_and_never_an_image_model() {
    let (_rt, running) = start_sim(Scenario::load("healthy").unwrap());
    let env = Env::new();
    let models = [
        "amazon.nova-lite-v1:0",
        "us.anthropic.claude-sonnet-4-6",
        "us.stability.stable-image-inpaint-v1:0",
    ];
    let mut args = vec!["--output", "json"];
    for m in &models {
        args.extend(["--model", m]);
    }
    let mut c = env.cmd_with(&args);
    aim(&mut c, &running);
    let r = report(&run(c));
    let invoke: Vec<_> = r
        .checks
        .iter()
        .filter(|c| c.id == "invoke")
        .map(|c| (c.model.clone().unwrap(), c.status.as_str()))
        .collect();
    assert_eq!(invoke.len(), 3);
    assert_eq!(
        invoke[2],
        ("us.stability.stable-image-inpaint-v1:0".to_string(), "skip")
    );
    let calls = running
        .log()
        .iter()
        .filter(|e| e.operation == "Converse" || e.operation == "InvokeModel")
        .count();
    assert_eq!(
        calls, 2,
        "one call per text model, none for the image model"
    );
}

#[test]
fn body_reproduces_a_failing_request_from_a_file() {
    let body = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/lint/seed-sdxl-v0.json"
    );
    let r = demo(
        "invalid-request-body",
        &["--body", body, "--only", "invoke"],
    );
    let f = finding(&r, "invoke", "invalid-request-body");
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("extraneous key [prompt_details]")),
        "{:?}",
        f.evidence
    );
    // The body is linted before it is sent: lint's own finding names the paths.
    let linted = r
        .findings()
        .filter(|(c, f)| c.id == "invoke" && f.summary.starts_with("lint finds"))
        .count();
    assert_eq!(linted, 1, "{:#?}", verdicts(&r));
    let fixed = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/lint/stability-image.ok.json"
    );
    let r = demo(
        "invalid-request-body",
        &["--body", fixed, "--only", "invoke"],
    );
    assert_eq!(status_of(&r, "invoke"), "pass");
}

/// Run the doctor against the healthy account whose caller has exactly `policy`.
fn under_policy(policy: &str) -> (bedrock_doctor::report::Report, Vec<String>) {
    // The healthy account with its application's guardrail, so the guardrail's calls are in
    // the policy's test too.
    let mut scenario = Scenario::load("guardrail-blocks-probe").unwrap();
    scenario.guardrails[0].blocks = false;
    scenario.models = Scenario::load("healthy").unwrap().models;
    // ...and the function that calls Bedrock and the knowledge base it queries.
    let kb = Scenario::load("knowledge-base-retrieves-nothing").unwrap();
    scenario.knowledge_bases = kb.knowledge_bases;
    scenario.iam.roles.extend(kb.iam.roles);
    let function = Scenario::load("lambda-latency-p99").unwrap();
    scenario.functions = function.functions;
    scenario.iam.roles.extend(function.iam.roles);
    scenario.caller_policy = Some(policy.to_string());
    let (_rt, running) = start_sim(scenario);
    let env = Env::new();
    let mut c = env.cmd_with(&[
        "--output",
        "json",
        "--fail-on",
        "never",
        "--model",
        "amazon.nova-lite-v1:0",
        "--model",
        "us.anthropic.claude-sonnet-4-6",
        "--guardrail",
        "gr7strict01:1",
        "--lambda",
        "support-chat",
        "--knowledge-base",
        "KB9HRDOCS0",
        "--kb-query",
        "vacation days",
    ]);
    aim(&mut c, &running);
    let r = report(&run(c));
    let mut actions: Vec<String> = running
        .log()
        .iter()
        .map(|e| bedrock_doctor::sim::iam_action(&e.service, &e.operation))
        .collect();
    actions.sort();
    actions.dedup();
    (r, actions)
}

#[test]
fn the_printed_policy_is_enough_and_every_action_in_it_is_needed() {
    let o = run(Env::new().cmd_with(&["policy"]));
    let policy = stdout(&o);
    let (r, called) = under_policy(&policy);
    for c in &r.checks {
        assert_ne!(
            c.status.as_str(),
            "error",
            "{} {:?}: {}",
            c.id,
            c.model,
            c.summary
        );
    }
    assert!(called.len() >= 8, "{called:?}");
    for flagged in [
        "bedrock:GetGuardrail",
        "lambda:GetFunctionConfiguration",
        "bedrock:GetKnowledgeBase",
        "bedrock:ListIngestionJobs",
        "bedrock:Retrieve",
    ] {
        assert!(
            called.iter().any(|c| c == flagged),
            "{flagged} was not called: {called:?}"
        );
    }
    // Take each action the run used out of the policy: the check that needs it must say so.
    let doc: serde_json::Value = serde_json::from_str(&policy).unwrap();
    for action in &called {
        let mut reduced = doc.clone();
        for st in reduced["Statement"].as_array_mut().unwrap() {
            if let Some(list) = st["Action"].as_array_mut() {
                list.retain(|a| a.as_str() != Some(action.as_str()));
            }
        }
        let (r, _) = under_policy(&reduced.to_string());
        // An `error` naming it, or a check that carried on with a stated assumption.
        let named = r.checks.iter().any(|c| {
            (c.status.as_str() == "error" && c.summary.contains(action.as_str()))
                || c.details
                    .iter()
                    .any(|d| d.contains(action.as_str()) && d.contains("lacks"))
        });
        let invoke_denied = action == "bedrock:InvokeModel"
            && r.checks
                .iter()
                .any(|c| c.id == "invoke" && c.status.as_str() == "fail");
        assert!(
            named || invoke_denied,
            "without {action}, no check says it lacks it: {:#?}",
            verdicts(&r)
        );
    }
}

#[test]
fn regions_runs_the_model_checks_in_each_region_at_once() {
    let r = demo(
        "healthy",
        &[
            "--regions",
            "us-east-1,us-west-2",
            "--model",
            "amazon.nova-lite-v1:0",
            "--no-invoke",
        ],
    );
    let catalog: Vec<_> = r
        .checks
        .iter()
        .filter(|c| c.id == "model-catalog")
        .map(|c| (c.region.clone().unwrap(), c.status.as_str()))
        .collect();
    // Nova Lite is on demand in us-east-1 and profile-only in us-west-2 (per the catalog).
    assert_eq!(
        catalog,
        [
            ("us-east-1".to_string(), "pass"),
            ("us-west-2".to_string(), "fail")
        ]
    );
    assert_eq!(
        r.checks.iter().filter(|c| c.id == "identity").count(),
        1,
        "account checks run once"
    );
    let all = demo(
        "healthy",
        &[
            "--regions",
            "all",
            "--model",
            "amazon.nova-lite-v1:0",
            "--no-invoke",
            "--only",
            "model-catalog",
        ],
    );
    let n = all
        .checks
        .iter()
        .filter(|c| c.id == "model-catalog")
        .count();
    assert_eq!(n, bedrock_doctor::models::bedrock_regions().len());
}

/// Operations the simulator served, `service:Operation` -> how many times.
fn served(running: &bedrock_doctor::sim::Running) -> std::collections::BTreeMap<String, usize> {
    let mut n = std::collections::BTreeMap::new();
    for e in running.log() {
        *n.entry(format!("{}:{}", e.service, e.operation))
            .or_insert(0) += 1;
    }
    n
}

#[test]
fn regions_all_asks_account_questions_once_and_each_region_its_own() {
    let (_rt, running) = start_sim(Scenario::load("healthy").unwrap());
    let env = Env::new();
    let mut c = env.cmd_with(&[
        "--output",
        "json",
        "--regions",
        "all",
        "--model",
        "amazon.nova-lite-v1:0",
        "--no-invoke",
    ]);
    aim(&mut c, &running);
    let r = report(&run(c));
    let regions = bedrock_doctor::models::bedrock_regions();
    let n = served(&running);
    assert_eq!(n.get("sts:GetCallerIdentity"), Some(&1), "{n:?}");
    assert_eq!(n.get("iam:GetRole"), Some(&1), "{n:?}");
    assert_eq!(
        n.get("bedrock:ListFoundationModels"),
        Some(&regions.len()),
        "{n:?}"
    );
    let catalog_regions: BTreeSet<_> = r
        .checks
        .iter()
        .filter(|c| c.id == "model-catalog")
        .filter_map(|c| c.region.clone())
        .collect();
    assert_eq!(catalog_regions.len(), regions.len());
}

#[test]
fn a_throttling_storm_is_retried_with_backoff_and_the_run_still_finishes() {
    let mut scenario = Scenario::load("healthy").unwrap();
    let storm = fault(
        r#"
        service = "bedrock"
        operation = "GetFoundationModelAvailability"
        kind = "status"
        status = 429
        code = "ThrottlingException"
        message = "Too many requests, please wait before trying again."
        times = 12
        "#,
    );
    scenario.faults.push(storm);
    let (_rt, running) = start_sim(scenario);
    let env = Env::new();
    let mut c = env.cmd_with(&[
        "--output",
        "json",
        "-v",
        "--model",
        "all",
        "--only",
        "model-access",
        // One request at a time: the semaphore is fair, so each throttled call's retry
        // queues behind the first attempts of the others and no call is throttled twice.
        "--concurrency",
        "1",
    ]);
    aim(&mut c, &running);
    let o = run(c);
    let r = report(&o);
    let access: Vec<_> = r.checks.iter().filter(|c| c.id == "model-access").collect();
    assert!(access.len() > 20, "{}", access.len());
    for c in &access {
        assert_ne!(c.status.as_str(), "error", "{:?}: {}", c.model, c.summary);
    }
    let throttled = running.log().iter().filter(|e| e.status == 429).count();
    assert_eq!(throttled, 12, "the storm was served");
    let err = stderr(&o);
    assert!(
        err.contains("Bedrock GetFoundationModelAvailability: retrying, attempt 2 of at most 3"),
        "retries are visible with -v: {err}"
    );
}

/// `--concurrency N` is at most N requests of a service in flight, as the simulator sees them
/// arrive: `--model all` simulates IAM for every model at once, so without the bound the
/// requests would all overlap (they did, until the clients shared one HTTP client to wrap).
#[test]
fn concurrency_bounds_each_service_as_aws_sees_it() {
    let mut scenario = Scenario::load("healthy").unwrap();
    scenario.latency_ms = 20;
    let (_rt, running) = start_sim(scenario);
    let env = Env::new();
    let mut c = env.cmd_with(&[
        "--output",
        "json",
        "--model",
        "all",
        "--only",
        "iam-permissions",
        "--concurrency",
        "3",
    ]);
    aim(&mut c, &running);
    let o = run(c);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let simulated = running
        .log()
        .iter()
        .filter(|e| e.operation == "SimulatePrincipalPolicy")
        .count();
    assert!(simulated > 50, "{simulated}");
    assert_eq!(running.peak_in_flight("iam"), 3);
}

/// `--output json --only iam-permissions` for the first `n` of seven US profiles of the
/// healthy account: each is simulated in its three regions, one IAM request per region.
fn iam_only_for_profiles(n: usize) -> Vec<&'static str> {
    const PROFILES: [&str; 7] = [
        "us.amazon.nova-2-lite-v1:0",
        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        "us.deepseek.r1-v1:0",
        "us.meta.llama3-3-70b-instruct-v1:0",
        "us.meta.llama4-scout-17b-instruct-v1:0",
        "us.meta.llama3-1-8b-instruct-v1:0",
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ];
    let mut args = vec!["--output", "json", "--only", "iam-permissions"];
    for model in &PROFILES[..n] {
        args.extend(["--model", *model]);
    }
    args
}

/// A request held back by `--concurrency` is not a stalled upload: the SDK's upload stall
/// check used to fail a request that waited more than its 5 s grace period for a slot, and
/// the SDK retried it without it ever having been sent. Here one IAM request at a time, at
/// 400 ms each, keeps the last of 21 simulations waiting about 8 s.
#[test]
fn a_request_waiting_for_a_slot_is_not_failed_as_stalled() {
    let mut scenario = Scenario::load("healthy").unwrap();
    scenario.latency_ms = 400;
    let (_rt, running) = start_sim(scenario);
    let env = Env::new();
    let mut args = vec!["-v"];
    args.extend(iam_only_for_profiles(7));
    args.extend([
        "--concurrency",
        "1",
        "--check-timeout",
        "30s",
        "--timeout",
        "60s",
    ]);
    let mut c = env.cmd_with(&args);
    aim(&mut c, &running);
    let o = run(c);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        !err.contains("retrying"),
        "a queued request was retried:\n{err}"
    );
    let simulated = running
        .log()
        .iter()
        .filter(|e| e.operation == "SimulatePrincipalPolicy")
        .count();
    assert!(simulated >= 19, "{simulated}");
    assert!(
        err.contains("for a --concurrency slot"),
        "-v says how long requests queued:\n{err}"
    );
}

/// A check that runs out of time while its requests wait for a `--concurrency` slot says so,
/// and points at the bound rather than at AWS (the SDK's "operation timeout" names neither).
#[test]
fn a_check_timing_out_in_the_queue_blames_the_bound() {
    let mut scenario = Scenario::load("healthy").unwrap();
    scenario.latency_ms = 300;
    let (_rt, running) = start_sim(scenario);
    let env = Env::new();
    // Seven models' 21 simulations behind one slot: at most about four are sent before the
    // deadline, so most checks' first failing request is one still queued, even when a
    // loaded machine answers late.
    let mut args = iam_only_for_profiles(7);
    args.extend(["--concurrency", "1", "--check-timeout", "1500ms"]);
    let mut c = env.cmd_with(&args);
    aim(&mut c, &running);
    let r = report(&run(c));
    // The models' simulations queue behind each other's; those that ran out of time say so.
    let errors: Vec<&str> = r
        .checks
        .iter()
        .filter(|c| c.id == "iam-permissions" && c.status == bedrock_doctor::report::Status::Error)
        .map(|c| c.summary.as_str())
        .collect();
    // At least two models' requests were still queued when their time ran out (given up by
    // the SDK's operation timeout, or stopped at the check's deadline).
    let queued: Vec<&&str> = errors
        .iter()
        .filter(|s| s.contains("never left") || s.contains("not sent yet"))
        .collect();
    assert!(queued.len() >= 2, "{errors:#?}");
    assert!(
        queued.iter().all(|s| s.contains("raise --concurrency")),
        "{queued:#?}"
    );
}

/// Every model of the healthy account's region is usable or at worst Legacy: a model past its
/// end-of-life date is no longer offered (the simulator plays time), so the onboarding view of
/// a healthy account exits 0.
#[test]
fn the_healthy_account_is_healthy_for_every_model() {
    let env = Env::new();
    let o = run(env.cmd_with(&["demo", "healthy", "--model", "all", "--output", "json"]));
    let r = report(&o);
    let failing: Vec<String> = r
        .checks
        .iter()
        .filter(|c| matches!(c.status.as_str(), "fail" | "error"))
        .map(|c| format!("{} {:?}: {}", c.id, c.model, c.summary))
        .collect();
    assert!(failing.is_empty(), "{failing:#?}");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(r.checks.iter().filter(|c| c.id == "model-catalog").count() > 50);
    assert!(!causes_of(&r).iter().any(|c| c == "model-end-of-life"));
}

/// A deny of streaming alone is a warning that says plain calls work, not a failure that reads
/// as "nothing can be called".
#[test]
fn a_streaming_only_deny_says_so() {
    let r = demo("iam-stream-denied", &[]);
    let iam = r.checks.iter().find(|c| c.id == "iam-permissions").unwrap();
    assert_eq!(iam.status.as_str(), "warn", "{}", iam.summary);
    assert!(
        iam.summary.contains("not InvokeModelWithResponseStream"),
        "{}",
        iam.summary
    );
    let f = finding(&r, "iam-permissions", "iam-explicit-deny");
    assert!(f.summary.contains("streaming only"), "{}", f.summary);
    let invoke = r.checks.iter().find(|c| c.id == "invoke").unwrap();
    assert_eq!(invoke.status.as_str(), "pass", "{}", invoke.summary);
}

/// Region advice only when the decisive statement's condition is on the region: a blanket
/// deny reached through a geographic profile is not "add these regions to the list".
#[test]
fn a_blanket_deny_through_a_profile_gets_no_region_advice() {
    let r = demo("scp-deny", &["--model", "us.anthropic.claude-sonnet-4-6"]);
    let f = finding(&r, "scp", "scp-deny");
    assert!(
        f.summary.contains("statement DenyBedrockInvoke"),
        "{}",
        f.summary
    );
    for line in f.remediation.iter().chain(&f.evidence) {
        assert!(!line.contains("aws:RequestedRegion"), "{line}");
    }
    let r = demo("scp-region-deny", &[]);
    let f = finding(&r, "scp", "scp-deny");
    assert!(
        f.remediation
            .iter()
            .any(|l| l.contains("us-east-2, us-west-2")),
        "{:?}",
        f.remediation
    );
}

/// Outside GovCloud the Model access page is retired (docs: model-access.html): no fix of any
/// scenario sends a person there.
#[test]
fn no_fix_sends_a_commercial_region_to_the_model_access_page() {
    for (name, _) in LIBRARY {
        let r = demo(name, &[]);
        for (c, f) in r.findings() {
            for fix in &f.remediation {
                let lower = fix.to_ascii_lowercase();
                assert!(
                    !(lower.contains("model access") && lower.contains("console"))
                        || lower.contains("govcloud"),
                    "{name} {}: {fix}",
                    c.id
                );
            }
        }
    }
}

#[test]
fn a_principal_of_another_account_is_not_looked_up_in_the_callers() {
    // The healthy account (111122223333) has a role of this name: the doctor must not
    // read or simulate it in place of the other account's.
    let other = "arn:aws:iam::999999999999:role/BedrockDeveloper";
    let r = demo("healthy", &["--principal", other]);
    assert_eq!(status_of(&r, "principal"), "error");
    let principal = r.checks.iter().find(|c| c.id == "principal").unwrap();
    assert!(
        principal.summary.contains("999999999999") && principal.summary.contains("111122223333"),
        "{}",
        principal.summary
    );
    assert_ne!(status_of(&r, "iam-permissions"), "pass");
}

#[test]
fn a_model_or_region_named_twice_is_checked_once() {
    let r = demo(
        "healthy",
        &[
            "--model",
            "amazon.nova-lite-v1:0",
            "--model",
            "amazon.nova-lite-v1:0",
            "--regions",
            "us-east-1,us-east-1",
        ],
    );
    assert_eq!(r.target.models, vec!["amazon.nova-lite-v1:0"]);
    let invokes = r.checks.iter().filter(|c| c.id == "invoke").count();
    assert_eq!(invokes, 1, "one invoke row for one model in one region");
}

#[test]
fn a_misspelt_demo_name_gets_the_closest_names_in_one_line() {
    let o = run(Env::new().cmd_with(&["demo", "healty"]));
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("did you mean healthy"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn an_unknown_model_has_no_traffic_to_judge() {
    // The healthy scenario's metrics are a pattern ("*"); CloudWatch has no datapoints for an
    // id no call could have used.
    let r = demo("healthy", &["--model", "foo.bar-v1:0"]);
    let throttling = r.checks.iter().find(|c| c.id == "throttling").unwrap();
    assert!(
        throttling.summary.contains("no invocations"),
        "{}",
        throttling.summary
    );
}

#[test]
fn an_endpoint_variable_set_to_nothing_is_no_override() {
    // `AWS_ENDPOINT_URL_STS=` in a CI file: the SDK took "" as a URL and every call crashed
    // on an assertion. Unset, STS falls back to AWS_ENDPOINT_URL (the simulator).
    let (_rt, running) = start_sim(Scenario::load("healthy").unwrap());
    let env = Env::new();
    let mut c = env.cmd_with(&["--output", "json", "--model", "amazon.nova-lite-v1:0"]);
    aim(&mut c, &running);
    c.env("AWS_ENDPOINT_URL_STS", "")
        .env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "");
    let r = report(&run(c));
    assert_eq!(status_of(&r, "identity"), "pass");
    assert_eq!(status_of(&r, "invoke"), "pass");
    assert!(!r.checks.iter().any(|c| c.summary.contains("crashed")));
}

#[test]
fn a_lambda_whose_model_is_unknown_is_not_a_pass() {
    // The function's environment names no model and the command line gave none: nothing of
    // its Bedrock use was checked, so CI must not go green.
    let mut scenario = Scenario::load("lambda-latency-p99").unwrap();
    scenario.functions[0].env.clear();
    let (_rt, running) = start_sim(scenario);
    let env = Env::new();
    let mut c = env.cmd_with(&["--output", "json", "--lambda", "support-chat"]);
    aim(&mut c, &running);
    let o = run(c);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let r = report(&o);
    assert_eq!(status_of(&r, "lambda"), "error");
    let lambda = r.checks.iter().find(|c| c.id == "lambda").unwrap();
    assert!(lambda.summary.contains("--model"), "{}", lambda.summary);
}
