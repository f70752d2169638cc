//! The scheduler: every job starts the moment the jobs it depends on have finished (not
//! level by level), independent jobs run concurrently, each has a deadline, and a panic or
//! a timeout becomes that job's `error` result instead of taking the run down.

use crate::calls::InFlight;
use crate::facts::Facts;
use crate::report::{CheckResult, Finding, Status};
use futures::stream::{FuturesUnordered, StreamExt};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::time::Instant;

pub type CheckFuture = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// What a check hands back: its verdict, the findings, and facts for the checks after it.
#[derive(Debug, Default)]
pub struct Outcome {
    pub status: Option<Status>,
    pub summary: String,
    pub details: Vec<String>,
    pub findings: Vec<Finding>,
    pub facts: Facts,
    pub shape: Option<crate::report::Shape>,
}

impl Outcome {
    /// All is well; `summary` says what was seen.
    pub fn pass(summary: impl Into<String>) -> Self {
        Outcome {
            status: Some(Status::Pass),
            summary: summary.into(),
            ..Default::default()
        }
    }

    /// The doctor could not check; `why` names the permission or fault that stopped it.
    pub fn error(why: impl Into<String>) -> Self {
        Outcome {
            status: Some(Status::Error),
            summary: why.into(),
            ..Default::default()
        }
    }

    pub fn skip(why: impl Into<String>) -> Self {
        Outcome {
            status: Some(Status::Skip),
            summary: why.into(),
            ..Default::default()
        }
    }

    /// Adds a finding; the status becomes at least as bad as the finding.
    pub fn finding(mut self, f: Finding) -> Self {
        let s = f.status();
        self.status = Some(self.status.map_or(s, |cur| cur.max(s)));
        if self.summary.is_empty() {
            self.summary = f.summary.clone();
        }
        self.findings.push(f);
        self
    }

    pub fn detail(mut self, line: impl Into<String>) -> Self {
        self.details.push(line.into());
        self
    }

    pub fn shape(mut self, shape: Option<crate::report::Shape>) -> Self {
        self.shape = shape;
        self
    }

    pub fn fact<T: std::any::Any + Send + Sync>(mut self, fact: T) -> Self {
        self.facts.insert(fact);
        self
    }

    pub fn status(&self) -> Status {
        self.status.unwrap_or(Status::Pass)
    }
}

/// One unit of work: a check, for one model when the check is per model.
pub struct Job {
    pub id: String,
    pub title: String,
    pub model: Option<String>,
    /// Set when the run covers several regions.
    pub region: Option<String>,
    /// Jobs that must pass (or warn) first; otherwise this one is skipped.
    pub needs: Vec<usize>,
    /// Jobs to wait for and take facts from, whatever their verdict.
    pub after: Vec<usize>,
    pub start: Box<dyn FnOnce(Facts) -> CheckFuture + Send>,
}

#[derive(Debug, Clone)]
pub struct Limits {
    pub per_check: Duration,
    pub deadline: Instant,
    /// The run's call log: a check that runs out of time names the requests it waited on.
    pub calls: Option<crate::calls::CallLog>,
}

/// Below this, a check cannot do anything useful: it is skipped, naming what it waited for.
const MIN_BUDGET: Duration = Duration::from_millis(100);

/// What a check others wait for leaves them of the run's time, at most.
const RESERVE: Duration = Duration::from_secs(2);

/// Called as each job finishes (for progress display).
pub type OnFinish<'a> = &'a (dyn Fn(&CheckResult) + Sync);

/// A job's identity once its start function has been taken out.
struct Spec {
    id: String,
    title: String,
    model: Option<String>,
    region: Option<String>,
    needs: Vec<usize>,
    after: Vec<usize>,
}

type Start = Box<dyn FnOnce(Facts) -> CheckFuture + Send>;
type Running = Pin<Box<dyn Future<Output = (usize, Outcome, Duration)> + Send>>;

/// Run the jobs; results come back in the jobs' order, whatever order they finished in,
/// with the facts learnt by the account-wide (not per-model) jobs.
pub async fn run(
    jobs: Vec<Job>,
    limits: Limits,
    on_finish: OnFinish<'_>,
) -> (Vec<CheckResult>, Facts) {
    let n = jobs.len();
    let mut specs = Vec::with_capacity(n);
    let mut starts: Vec<Option<Start>> = Vec::with_capacity(n);
    for job in jobs {
        specs.push(Spec {
            id: job.id,
            title: job.title,
            model: job.model,
            region: job.region,
            needs: job.needs,
            after: job.after,
        });
        starts.push(Some(job.start));
    }
    let mut waiting_on = vec![0usize; n];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, spec) in specs.iter().enumerate() {
        let mut deps: Vec<usize> = spec.needs.iter().chain(&spec.after).copied().collect();
        deps.sort_unstable();
        deps.dedup();
        for &d in &deps {
            dependents[d].push(i);
        }
        waiting_on[i] = deps.len();
    }
    let mut results: Vec<Option<CheckResult>> = vec![None; n];
    // For a job that ran out of time: the requests it was waiting on.
    let mut stuck: Vec<Option<String>> = vec![None; n];
    let mut facts: Vec<Facts> = vec![Facts::default(); n];
    let mut running: FuturesUnordered<Running> = FuturesUnordered::new();
    // Ready jobs start in declared order, all at once: a job is a task that mostly waits,
    // and the AWS request rate is bounded where requests are made (aws::Clients).
    let mut ready: std::collections::BTreeSet<usize> =
        (0..n).filter(|&i| waiting_on[i] == 0).collect();

    loop {
        while let Some(i) = ready.pop_first() {
            let spec = &specs[i];
            let blocker = spec.needs.iter().find_map(|&d| {
                let dep = results[d].as_ref()?;
                (!matches!(dep.status, Status::Pass | Status::Warn)).then_some(dep)
            });
            if let Some(dep) = blocker {
                // A dependency that could not run says what stopped it: pass that on.
                let why = match dep.status {
                    Status::Error | Status::Skip => {
                        format!(
                            "needs `{}`, which {}: {}",
                            dep.id,
                            past_tense(dep.status),
                            dep.summary
                        )
                    }
                    s => format!("needs `{}`, which {}", dep.id, past_tense(s)),
                };
                running.push(Box::pin(std::future::ready((
                    i,
                    Outcome::skip(why),
                    Duration::ZERO,
                ))));
                continue;
            }
            // Facts flow down the whole chain: a job sees what every check before it learnt.
            let mut input = Facts::default();
            for &d in spec.needs.iter().chain(&spec.after) {
                input.extend(&facts[d]);
            }
            facts[i] = input.clone();
            let start = starts[i].take().expect("each job starts once");
            let now = Instant::now();
            let left = limits.deadline.saturating_duration_since(now);
            if left < MIN_BUDGET {
                // Waiting used up the run: say for what, instead of failing in no time.
                let waited = spec
                    .needs
                    .iter()
                    .chain(&spec.after)
                    .find_map(|&d| {
                        stuck[d]
                            .as_ref()
                            .map(|s| format!("waited for `{}`: {s}; ", specs[d].id))
                    })
                    .unwrap_or_default();
                let why =
                    format!("{waited}no time was left of the run's --timeout when it could start");
                running.push(Box::pin(std::future::ready((
                    i,
                    Outcome::skip(why),
                    Duration::ZERO,
                ))));
                continue;
            }
            // A check others wait for leaves them time (half of what is left, at most
            // RESERVE): when it cannot finish, they can still give what verdict they can.
            let budget = if dependents[i].is_empty() {
                left
            } else {
                left - (left / 2).min(RESERVE)
            };
            let deadline = now + budget.min(limits.per_check);
            running.push(Box::pin(supervise(
                i,
                spec.id.clone(),
                start,
                input,
                deadline,
                limits.calls.clone(),
            )));
        }
        let Some((i, outcome, took)) = running.next().await else {
            break;
        };
        stuck[i] = outcome.facts.get::<Stuck>().map(|s| s.0.clone());
        let spec = &specs[i];
        let result = CheckResult {
            id: spec.id.clone(),
            title: spec.title.clone(),
            model: spec.model.clone(),
            region: spec.region.clone(),
            status: outcome.status(),
            summary: outcome.summary,
            details: outcome.details,
            findings: outcome.findings,
            duration_ms: took.as_millis() as u64,
            shape: outcome.shape,
        };
        on_finish(&result);
        results[i] = Some(result);
        facts[i].extend(&outcome.facts);
        for &d in &dependents[i] {
            waiting_on[d] -= 1;
            if waiting_on[d] == 0 {
                ready.insert(d);
            }
        }
    }

    let mut account_facts = Facts::default();
    for (f, spec) in facts.iter().zip(&specs) {
        if spec.model.is_none() {
            account_facts.extend(f);
        }
    }
    let results = results
        .into_iter()
        .zip(specs)
        .map(|(r, spec)| {
            r.unwrap_or_else(|| CheckResult {
                id: spec.id,
                title: spec.title,
                model: spec.model,
                region: spec.region,
                status: Status::Error,
                summary: "never started: its dependencies form a cycle".into(),
                details: vec![],
                findings: vec![],
                duration_ms: 0,
                shape: None,
            })
        })
        .collect();
    (results, account_facts)
}

/// What a check that ran out of time was waiting on (for the checks that wait on it).
#[derive(Debug, Clone)]
struct Stuck(String);

/// Run one check on its own task, so a panic or a hang is contained and becomes `error`.
async fn supervise(
    i: usize,
    id: String,
    start: Start,
    input: Facts,
    deadline: Instant,
    calls: Option<crate::calls::CallLog>,
) -> (usize, Outcome, Duration) {
    let began = Instant::now();
    let handle = tokio::spawn(crate::calls::in_job(i, start(input)));
    let abort = handle.abort_handle();
    let outcome = match tokio::time::timeout_at(deadline, handle).await {
        Ok(Ok(outcome)) if outcome.status == Some(Status::Error) => match &calls {
            Some(c) => blame_the_queue(outcome, &c.never_sent(i)),
            None => outcome,
        },
        Ok(Ok(outcome)) => outcome,
        Ok(Err(join)) if join.is_panic() => {
            let msg = panic_message(join.into_panic());
            Outcome::error(format!("the `{id}` check crashed ({msg}); this is a bug in bedrock-doctor, please report it"))
        }
        Ok(Err(_)) => Outcome::error("the check was cancelled"),
        Err(_) => {
            let waited = began.elapsed();
            // Read before aborting: the aborted check's requests are what it waited on.
            // Its own requests, or (waiting on an answer another check asked for) those that
            // were in flight for most of its wait.
            let waiting: Vec<InFlight> = calls
                .as_ref()
                .map(|c| {
                    c.in_flight(Some(i))
                        .into_iter()
                        .filter(|f| f.job == Some(i) || f.start.elapsed() >= waited / 2)
                        .collect()
                })
                .unwrap_or_default();
            // When all it waited on is queued, what holds its client's slots is the fault.
            let holder = match (&calls, waiting.first()) {
                (Some(c), Some(first)) if waiting.iter().all(|f| !f.sent()) => {
                    c.holding_slots_of(first)
                }
                _ => None,
            };
            abort.abort();
            if let Some(c) = &calls {
                c.forget(i);
            }
            let took = began.elapsed().as_secs_f64();
            let mut what = if waiting.is_empty() {
                "it did not finish in time (no request of it was left unanswered: a busy machine?)"
                    .to_string()
            } else {
                waiting
                    .iter()
                    .map(|f| f.describe())
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            if let Some(holder) = holder {
                what.push_str(&format!(
                    "; its client's slots are held by requests still unanswered, e.g. {}",
                    holder.describe()
                ));
            }
            // A request still queued behind the run's own is a sign the bound, not AWS, was slow.
            let raise = if waiting.iter().any(|f| !f.sent()) {
                "raise --concurrency, --check-timeout or --timeout"
            } else {
                "raise --check-timeout or --timeout"
            };
            // A deadline under 0.1 s (--check-timeout 5ms) is shown in ms, never "0.0s".
            let took = if took < 0.1 {
                format!("{:.0} ms", took * 1000.0)
            } else {
                format!("{took:.1}s")
            };
            Outcome::error(format!("no verdict within {took}: {what} ({raise})")).fact(Stuck(what))
        }
    };
    (i, outcome, began.elapsed())
}

/// A check whose call the SDK gave up on (its operation timeout) while the request still
/// waited for a slot under `--concurrency` failed on the run's own bound, not on AWS, though
/// the SDK's "operation timeout" does not say which.
fn blame_the_queue(mut outcome: Outcome, never_sent: &[(InFlight, Duration)]) -> Outcome {
    let Some(longest) = never_sent.iter().map(|(_, waited)| *waited).max() else {
        return outcome;
    };
    let operations: std::collections::BTreeSet<&str> = never_sent
        .iter()
        .map(|(f, _)| f.operation.as_str())
        .collect();
    outcome.summary.push_str(&format!(
        " ({} never left: queued {:.1} s for a free slot among this run's --concurrency requests; raise --concurrency, --check-timeout or --timeout)",
        operations.into_iter().collect::<Vec<_>>().join(", "),
        longest.as_secs_f64()
    ));
    outcome
}

fn past_tense(s: Status) -> &'static str {
    match s {
        Status::Fail => "failed",
        Status::Error => "could not run",
        Status::Skip => "was skipped",
        Status::Warn => "warned",
        Status::Pass => "passed",
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}
