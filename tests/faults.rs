//! The simulator's injected faults (docs/simulator.md, `[[faults]]`) on each service the
//! doctor calls, in turn: the run ends within --timeout, nothing panics, the checks that call
//! the broken service say what broke, the others keep their healthy verdict, the exit code
//! says "could not check" or "problems" (never "healthy"), and retries are bounded and shown
//! with -v. Also: fifty runs at once against one simulator give the same report.

mod common;

use bedrock_doctor::checks;
use bedrock_doctor::report::Report;
use bedrock_doctor::sim::scenario::{glob, Fault, FaultKind, Scenario};
use bedrock_doctor::sim::{iam_action, LogEntry, Running};
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// A cross-region profile of an Anthropic model: every check has something to call for it
/// (the inference profile, the use-case form, the Marketplace agreement...).
const MODEL: &str = "us.anthropic.claude-sonnet-4-6";
/// Generous for a loaded 2-core CI machine running debug builds: a check that takes longer
/// than --check-timeout would read as a fault.
const TIMEOUT: Duration = Duration::from_secs(6);
const ARGS: [&str; 7] = [
    "--output",
    "json",
    "-v",
    "--timeout",
    "6s",
    "--check-timeout",
    "4s",
];

/// How the doctor is asked: one model, every model of the region, one model in two regions.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    One,
    All,
    TwoRegions,
}

impl Shape {
    fn args(self) -> Vec<&'static str> {
        match self {
            Shape::One => vec!["--model", MODEL],
            Shape::All => vec!["--model", "all"],
            Shape::TwoRegions => vec!["--model", MODEL, "--regions", "us-east-1,us-west-2"],
        }
    }
}

/// A service as the simulator routes it: its signing name, the operations of it to break,
/// its error codes as its protocol spells them, and the account in which the doctor calls it.
struct Service {
    name: &'static str,
    signing: &'static str,
    operations: &'static [&'static str],
    /// (HTTP 500, HTTP 503, HTTP 429) error codes.
    codes: [&'static str; 3],
    base: &'static str,
}

const SERVICES: [Service; 7] = [
    Service {
        name: "sts",
        signing: "sts",
        operations: &["*"],
        codes: ["InternalFailure", "ServiceUnavailable", "Throttling"],
        base: "healthy",
    },
    Service {
        name: "iam",
        signing: "iam",
        operations: &["*"],
        codes: ["ServiceFailure", "ServiceUnavailable", "Throttling"],
        base: "healthy",
    },
    // The control plane and the runtime share the `bedrock` signing name.
    Service {
        name: "bedrock control plane",
        signing: "bedrock",
        operations: &["List*", "Get*"],
        codes: [
            "InternalServerException",
            "ServiceUnavailableException",
            "ThrottlingException",
        ],
        base: "healthy",
    },
    Service {
        name: "bedrock runtime",
        signing: "bedrock",
        operations: &["InvokeModel", "Converse"],
        codes: [
            "InternalServerException",
            "ServiceUnavailableException",
            "ThrottlingException",
        ],
        base: "healthy",
    },
    // CloudWatch's JSON and CBOR protocols keep its query-era codes.
    Service {
        name: "cloudwatch",
        signing: "monitoring",
        operations: &["*"],
        codes: ["InternalServiceFault", "ServiceUnavailable", "Throttling"],
        base: "healthy",
    },
    // A healthy account never reads Organizations: only a denied call sends the scp check
    // to name the policy.
    Service {
        name: "organizations",
        signing: "organizations",
        operations: &["*"],
        codes: [
            "ServiceException",
            "ServiceException",
            "TooManyRequestsException",
        ],
        base: "scp-deny",
    },
    Service {
        name: "service quotas",
        signing: "servicequotas",
        operations: &["*"],
        codes: [
            "ServiceException",
            "ServiceException",
            "TooManyRequestsException",
        ],
        base: "healthy",
    },
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Status(u16),
    Blackhole,
    Reset,
    Malformed,
    Truncated,
    /// 8 bytes every 400 ms: even the smallest answer takes longer than --check-timeout, so
    /// this is a response that has started (status and headers) and never finishes in time.
    /// A drip that finishes would only be a slow healthy run; the simulator's pause is at
    /// least 50 ms per 8 bytes, too slow to finish the doctor's larger answers in a test.
    Drip,
}

const KINDS: [Kind; 8] = [
    Kind::Status(500),
    Kind::Status(503),
    Kind::Status(429),
    Kind::Blackhole,
    Kind::Reset,
    Kind::Malformed,
    Kind::Truncated,
    Kind::Drip,
];

impl Kind {
    fn faults(self, s: &Service) -> Vec<Fault> {
        let (kind, status, code, ms) = match self {
            Kind::Status(n) => {
                let code = match n {
                    500 => s.codes[0],
                    503 => s.codes[1],
                    _ => s.codes[2],
                };
                (FaultKind::Status, Some(n), Some(code.to_string()), 0)
            }
            Kind::Blackhole => (FaultKind::Blackhole, None, None, 0),
            Kind::Reset => (FaultKind::Reset, None, None, 0),
            Kind::Malformed => (FaultKind::Malformed, None, None, 0),
            Kind::Truncated => (FaultKind::Truncated, None, None, 0),
            Kind::Drip => (FaultKind::Drip, None, None, 400),
        };
        s.operations
            .iter()
            .map(|op| Fault {
                service: s.signing.into(),
                operation: op.to_string(),
                kind,
                status,
                code: code.clone(),
                message: Some("injected by the fault matrix".into()),
                ms,
                times: 0,
                when_request_contains: None,
            })
            .collect()
    }

    /// Does a check's text describe this fault? Running out of time is always a truthful
    /// description: on a slow machine, retries of a storm can outlast --check-timeout.
    fn described_in(self, text: &str, s: &Service) -> bool {
        if text.contains("in time")
            || text.contains("timed out")
            || text.contains("no answer after")
        {
            return true;
        }
        match self {
            Kind::Status(n) => {
                text.contains(&format!("HTTP {n}")) || s.codes.iter().any(|c| text.contains(c))
            }
            Kind::Blackhole | Kind::Drip => false,
            Kind::Reset | Kind::Truncated => {
                text.contains("connection closed")
                    || text.contains("no connection")
                    || text.contains("unreadable")
            }
            Kind::Malformed => text.contains("unreadable"),
        }
    }

    /// The causes a `fail` may truthfully give for this fault (otherwise it is `error`).
    fn truthful_causes(self) -> &'static [&'static str] {
        match self {
            Kind::Status(429) => &["throttled"],
            Kind::Status(_) => &["service-unavailable"],
            Kind::Blackhole | Kind::Drip => &["model-timeout", "network-unreachable"],
            Kind::Reset | Kind::Truncated => &["network-unreachable"],
            Kind::Malformed => &[],
        }
    }

    /// The SDK retries these (the probe invocation is never retried).
    fn retried(self) -> bool {
        matches!(self, Kind::Status(_) | Kind::Reset)
    }
}

/// The tests of this file each keep many processes busy, and the matrix asserts wall-clock
/// bounds: they take turns rather than starve each other.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

/// (check, model, region) -> (status, causes)
type Verdicts = BTreeMap<(String, Option<String>, Option<String>), (String, Vec<String>)>;

struct Run {
    code: Option<i32>,
    took: Duration,
    report: Report,
    stderr: String,
    log: Vec<LogEntry>,
}

fn doctor(running: &Running, shape: Shape) -> Run {
    let env = Env::new();
    let mut args = ARGS.to_vec();
    args.extend(shape.args());
    let mut c = env.cmd_with(&args);
    aim(&mut c, running);
    let started = Instant::now();
    let o = run(c);
    Run {
        code: o.status.code(),
        took: started.elapsed(),
        report: report(&o),
        stderr: stderr(&o),
        log: running.log(),
    }
}

fn verdicts(r: &Report) -> Verdicts {
    r.checks
        .iter()
        .map(|c| {
            (
                (c.id.clone(), c.model.clone(), c.region.clone()),
                (
                    c.status.as_str().to_string(),
                    c.findings
                        .iter()
                        .map(|f| f.cause.code().to_string())
                        .collect(),
                ),
            )
        })
        .collect()
}

/// An AWS operation named the way the doctor names them: `bedrock:ListFoundationModels`.
fn names_an_operation(text: &str) -> bool {
    static OP: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"\b[a-z][a-z-]*:[A-Z][A-Za-z]+\b").unwrap());
    OP.is_match(text)
}

fn counts(log: &[LogEntry]) -> BTreeMap<(String, String), usize> {
    let mut m = BTreeMap::new();
    for e in log {
        *m.entry((e.service.clone(), e.operation.clone()))
            .or_default() += 1;
    }
    m
}

/// Everything a check says: summary, observations, findings and their evidence.
fn text_of(c: &bedrock_doctor::report::CheckResult) -> String {
    let mut t = vec![c.summary.clone()];
    t.extend(c.details.iter().cloned());
    for f in &c.findings {
        t.push(f.summary.clone());
        t.extend(f.evidence.iter().cloned());
    }
    t.join("\n")
}

/// The checks that wait for any of `roots`, directly or through others (`depends_on`/`after`).
fn downstream_of(roots: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    loop {
        let before = found.len();
        for c in checks::all() {
            let waits = c.meta.depends_on.iter().chain(&c.meta.after);
            if waits
                .into_iter()
                .any(|d| roots.contains(d) || found.contains(d))
            {
                found.insert(c.meta.id.clone());
            }
        }
        if found.len() == before {
            return found;
        }
    }
}

struct Baseline {
    verdicts: Verdicts,
    calls: BTreeMap<(String, String), usize>,
}

fn baseline(name: &str, shape: Shape) -> Baseline {
    let (_rt, running) = start_sim(Scenario::load(name).unwrap());
    let r = doctor(&running, shape);
    let expected = if name == "healthy" { 0 } else { 1 };
    assert_eq!(r.code, Some(expected), "{name}: {:#?}", verdicts(&r.report));
    Baseline {
        verdicts: verdicts(&r.report),
        calls: counts(&r.log),
    }
}

/// One fault on one service: every problem found, as lines.
fn case(s: &Service, kind: Kind, base: &Baseline, shape: Shape) -> Vec<String> {
    let mut problems = Vec::new();
    let mut scenario = Scenario::load(s.base).unwrap();
    scenario.faults = kind.faults(s);
    let (_rt, running) = start_sim(scenario);
    let r = doctor(&running, shape);
    let mut problem = |p: String| problems.push(format!("{} / {kind:?} / {shape:?}: {p}", s.name));

    if r.took >= TIMEOUT + Duration::from_secs(1) {
        problem(format!("took {:?} with --timeout {TIMEOUT:?}", r.took));
    }
    if !matches!(r.code, Some(1) | Some(3)) {
        problem(format!("exit code {:?}", r.code));
    }
    if r.stderr.contains("panicked") {
        problem(format!("panicked: {}", r.stderr));
    }

    // Which operations broke, and which checks call them (from checks/*.toml).
    let broken: Vec<&(String, String)> = base
        .calls
        .keys()
        .filter(|(svc, op)| svc == s.signing && s.operations.iter().any(|g| glob(g, op)))
        .collect();
    if broken.is_empty() {
        problem("the baseline run never calls this service".into());
    }
    let actions: BTreeSet<String> = broken.iter().map(|(svc, op)| iam_action(svc, op)).collect();
    let touching: BTreeSet<String> = checks::all()
        .iter()
        .filter(|c| c.meta.iam_actions.iter().any(|a| actions.contains(a)))
        .map(|c| c.meta.id.clone())
        .collect();
    let downstream = downstream_of(&touching);

    let mut shown = 0;
    for c in &r.report.checks {
        let key = (c.id.clone(), c.model.clone(), c.region.clone());
        let status = c.status.as_str();
        let causes: Vec<String> = c.findings.iter().map(|f| f.cause.code().into()).collect();
        let healthy = base.verdicts.get(&key);
        let unchanged = healthy == Some(&(status.to_string(), causes.clone()));
        let text = text_of(c);
        let described = kind.described_in(&text, s);
        if c.summary.contains("crashed") {
            problem(format!("{} crashed: {}", c.id, c.summary));
        }
        if c.model.as_deref() == Some("all") {
            problem(format!("{} has a row for a model called `all`", c.id));
        }
        if c.summary.contains("within 0.0s") {
            problem(format!("{} {:?}: {}", c.id, c.model, c.summary));
        }
        // Every error, and every skip the fault caused, says which call it is about.
        let fault_skip = status == "skip" && !unchanged && !c.summary.starts_with("not applicable");
        if (status == "error" || fault_skip) && !names_an_operation(&text) {
            problem(format!(
                "{} {:?} is {status} without naming an operation: {}",
                c.id, c.model, c.summary
            ));
        }
        if status == "skip" && downstream.contains(&c.id) {
            // Skipped because a check it waits for broke first: that one names the fault.
        } else if touching.contains(&c.id) {
            let truthful_fail = status == "fail"
                && causes.iter().all(|cause| {
                    kind.truthful_causes().contains(&cause.as_str())
                        || healthy.is_some_and(|(_, h)| h.contains(cause))
                });
            if (status == "error" || truthful_fail || unchanged) && described {
                shown += 1;
            } else if !unchanged {
                problem(format!(
                    "{} {:?} is {status} {causes:?} without naming the fault: {text}",
                    c.id, c.model
                ));
            }
        } else if downstream.contains(&c.id) {
            // Waits on a broken check without calling the broken service itself: its healthy
            // verdict (it works around the missing fact), or a skip naming what it waited on.
            if !unchanged && status != "skip" {
                problem(format!(
                    "{} {:?} waits on a broken check and changed from {healthy:?} to {status} {causes:?}: {}",
                    c.id, c.model, c.summary
                ));
            }
        } else if !unchanged {
            problem(format!(
                "{} {:?} does not call {} but changed from {healthy:?} to {status} {causes:?}: {}",
                c.id, c.model, s.name, c.summary
            ));
        }
    }
    if shown == 0 {
        problem(format!(
            "no check names the fault ({touching:?}): {:#?}",
            verdicts(&r.report)
        ));
    }
    // The rest of the matrix (retries against the healthy run's counts) is about one model.
    if shape != Shape::One {
        return problems;
    }

    // Retries: bounded by the SDK's attempts (none for the probe), and shown with -v.
    let attempts = bedrock_doctor::aws::CallLimits::default().max_attempts as usize;
    let runtime = s.name == "bedrock runtime";
    let now = counts(&r.log);
    for key in &broken {
        let before = base.calls[*key];
        let bound = if runtime { before } else { before * attempts };
        let after = now.get(*key).copied().unwrap_or(0);
        if after > bound {
            problem(format!(
                "{key:?} called {after} times (healthy: {before}, bound {bound})"
            ));
        }
    }
    if kind.retried() && !runtime {
        for line in [
            ": retrying, attempt 2 of at most 3".to_string(),
            format!("gave up after {attempts} of at most {attempts} attempts"),
        ] {
            if !r.stderr.contains(&line) {
                problem(format!("-v does not show `{line}`: {}", r.stderr));
            }
        }
    }
    if runtime && r.stderr.contains("retrying") {
        problem(format!("the probe was retried: {}", r.stderr));
    }
    problems
}

fn matrix(shape: Shape, workers: usize) {
    let _turn = turn();
    let healthy = baseline("healthy", shape);
    let scp_deny = baseline("scp-deny", shape);
    let cases: Vec<(&Service, Kind)> = SERVICES
        .iter()
        .flat_map(|s| KINDS.iter().map(move |k| (s, *k)))
        .collect();
    let n = cases.len();
    let problems: Vec<String> = parallel(cases, workers, |(s, kind)| {
        let base = if s.base == "healthy" {
            &healthy
        } else {
            &scp_deny
        };
        case(s, kind, base, shape)
    })
    .into_iter()
    .flatten()
    .collect();
    println!(
        "fault matrix ({shape:?}): {} faults x {} services = {n} runs",
        KINDS.len(),
        SERVICES.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_fault_on_every_service_is_named_bounded_and_contained() {
    matrix(Shape::One, 6);
}

/// The same with `--model all`: the account checks are never starved by the expansion.
#[test]
fn every_fault_under_model_all() {
    matrix(Shape::All, 2);
}

/// The same in two regions at once.
#[test]
fn every_fault_in_two_regions() {
    matrix(Shape::TwoRegions, 6);
}

#[test]
fn model_all_with_a_silent_bedrock_still_ends_by_the_timeout() {
    let _turn = turn();
    let mut scenario = Scenario::load("healthy").unwrap();
    scenario.faults = Kind::Blackhole.faults(&SERVICES[2]);
    let (_rt, running) = start_sim(scenario);
    let env = Env::new();
    // --check-timeout stays at its default (20s): the run's --timeout must bound the
    // expansion of `all`, which happens before any check starts.
    let mut c = env.cmd_with(&["--output", "json", "--model", "all", "--timeout", "3s"]);
    aim(&mut c, &running);
    let started = Instant::now();
    let o = run(c);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_ne!(status_of(&report(&o), "model-catalog"), "pass");
}

/// The JSON report without what differs from run to run: durations and timestamps.
fn without_timings(stdout: &[u8]) -> String {
    static TIMING: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ|\b\d+(\.\d+)? ?(ms|s)\b").unwrap()
    });
    let timing = &*TIMING;
    fn strip(v: &mut serde_json::Value, timing: &regex::Regex) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("duration_ms");
                m.values_mut().for_each(|v| strip(v, timing));
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|v| strip(v, timing)),
            serde_json::Value::String(s) => *s = timing.replace_all(s, "<time>").into_owned(),
            _ => {}
        }
    }
    let mut v: serde_json::Value = serde_json::from_slice(stdout).expect("a JSON report");
    strip(&mut v, timing);
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn fifty_runs_at_once_against_one_simulator_give_one_report() {
    let _turn = turn();
    const RUNS: usize = 50;
    let mut total = 0;
    for name in ["healthy", "scp-deny"] {
        let (_rt, running) = start_sim(Scenario::load(name).unwrap());
        let outputs = parallel((0..RUNS).collect(), RUNS, |_| {
            let env = Env::new();
            let mut c = env.cmd_with(&["--output", "json", "--model", "amazon.nova-lite-v1:0"]);
            aim(&mut c, &running);
            let o = run(c);
            (o.status.code(), without_timings(&o.stdout))
        });
        total += outputs.len();
        let (code, first) = &outputs[0];
        assert_eq!(
            *code,
            Some(if name == "healthy" { 0 } else { 1 }),
            "{first}"
        );
        for (i, (c, r)) in outputs.iter().enumerate() {
            assert_eq!(c, code, "{name}: run {i} exit code");
            assert!(
                r == first,
                "{name}: run {i} differs from run 0:\n{r}\n---\n{first}"
            );
        }
        let identities = running
            .log()
            .iter()
            .filter(|e| e.operation == "GetCallerIdentity")
            .count();
        assert_eq!(identities, RUNS, "each run asks STS once");
    }
    println!("concurrency: {total} runs, {RUNS} at once per scenario");
}

/// The two runs of issue 21: a silent Bedrock control plane, everything else healthy.
/// The account checks pass; what broke is named with its operation and endpoint; the IAM,
/// SCP, quota and invoke checks give their verdict from the model id, or skip naming what
/// they waited for; nothing claims a verdict "within 0.0s"; no row is about a model `all`.
#[test]
fn a_silent_control_plane_is_named_and_the_rest_still_answers() {
    let _turn = turn();
    let mut scenario = Scenario::load("healthy").unwrap();
    scenario.faults = Kind::Blackhole.faults(&SERVICES[2]);
    let (_rt, running) = start_sim(scenario);
    for model in ["amazon.nova-lite-v1:0", "all"] {
        let env = Env::new();
        let mut c = env.cmd_with(&["--output", "json", "--model", model, "--timeout", "3s"]);
        aim(&mut c, &running);
        let r = report(&run(c));
        let row = |id: &str| r.checks.iter().find(|c| c.id == id).unwrap();
        for id in ["config", "credentials", "identity", "principal"] {
            assert_eq!(
                row(id).status.as_str(),
                "pass",
                "{model}: {id}: {}",
                row(id).summary
            );
        }
        let catalog = row("model-catalog");
        assert_eq!(
            catalog.status.as_str(),
            "error",
            "{model}: {}",
            catalog.summary
        );
        assert!(
            catalog
                .summary
                .contains("bedrock:ListFoundationModels at http://127.0.0.1:"),
            "{model}: {}",
            catalog.summary
        );
        for c in &r.checks {
            assert!(
                !c.summary.contains("within 0.0s"),
                "{model}: {}: {}",
                c.id,
                c.summary
            );
            assert_ne!(c.model.as_deref(), Some("all"), "{model}: {}", c.id);
        }
        if model == "all" {
            continue;
        }
        for id in ["iam-permissions", "scp", "quotas", "invoke"] {
            let c = row(id);
            let verdict = c.status.as_str() == "pass";
            let named_skip = c.status.as_str() == "skip" && c.summary.contains("waited for");
            assert!(
                verdict || named_skip,
                "{id}: {} {}",
                c.status.as_str(),
                c.summary
            );
        }
        assert_eq!(row("iam-permissions").status.as_str(), "pass");
        assert_eq!(row("invoke").status.as_str(), "pass");
    }
}
