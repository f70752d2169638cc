//! The scheduler: every job starts the moment the jobs it depends on have finished (not
//! level by level), independent jobs run concurrently, each has a deadline, and a panic or
//! a timeout becomes that job's `error` result instead of taking the run down.

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
    /// Jobs that must pass (or warn) first; otherwise this one is skipped.
    pub needs: Vec<usize>,
    /// Jobs to wait for and take facts from, whatever their verdict.
    pub after: Vec<usize>,
    pub start: Box<dyn FnOnce(Facts) -> CheckFuture + Send>,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_check: Duration,
    pub deadline: Instant,
}

/// Called as each job finishes (for progress display).
pub type OnFinish<'a> = &'a (dyn Fn(&CheckResult) + Sync);

/// Run the jobs; results come back in the jobs' order, whatever order they finished in,
/// with the facts learnt by the account-wide (not per-model) jobs.
pub async fn run(
    jobs: Vec<Job>,
    limits: Limits,
    on_finish: OnFinish<'_>,
) -> (Vec<CheckResult>, Facts) {
    let n = jobs.len();
    let mut waiting_on: Vec<usize> = vec![0; n];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, job) in jobs.iter().enumerate() {
        let mut deps: Vec<usize> = job.needs.iter().chain(&job.after).copied().collect();
        deps.sort_unstable();
        deps.dedup();
        for &d in &deps {
            dependents[d].push(i);
        }
        waiting_on[i] = deps.len();
    }
    let mut specs: Vec<(String, String, Option<String>, Vec<usize>, Vec<usize>)> =
        Vec::with_capacity(n);
    let mut starts: Vec<Option<Box<dyn FnOnce(Facts) -> CheckFuture + Send>>> =
        Vec::with_capacity(n);
    for job in jobs {
        specs.push((job.id, job.title, job.model, job.needs, job.after));
        starts.push(Some(job.start));
    }
    let mut results: Vec<Option<CheckResult>> = vec![None; n];
    let mut facts: Vec<Facts> = vec![Facts::default(); n];
    let mut running = FuturesUnordered::new();
    let mut ready: Vec<usize> = (0..n).filter(|&i| waiting_on[i] == 0).collect();
    let mut done = 0;

    loop {
        for i in ready.drain(..) {
            let (id, _, _, needs, after) = &specs[i];
            let blocked = needs.iter().find(|&&d| {
                let s = results[d]
                    .as_ref()
                    .map(|r| r.status)
                    .unwrap_or(Status::Error);
                !matches!(s, Status::Pass | Status::Warn)
            });
            if let Some(&d) = blocked {
                let dep = results[d].as_ref().expect("dependency finished");
                let why = format!("needs `{}`, which {}", dep.id, past_tense(dep.status));
                running.push(
                    Box::pin(ready_outcome(i, Outcome::skip(why), Duration::ZERO)) as CheckFuture2,
                );
                continue;
            }
            let mut input = Facts::default();
            for &d in needs.iter().chain(after) {
                input.extend(&facts[d]);
            }
            let start = starts[i].take().expect("each job starts once");
            let deadline = limits.deadline.min(Instant::now() + limits.per_check);
            let check_id = id.clone();
            running.push(Box::pin(async move {
                let began = Instant::now();
                let handle = tokio::spawn(start(input));
                let abort = handle.abort_handle();
                let outcome = match tokio::time::timeout_at(deadline, handle).await {
                    Ok(Ok(outcome)) => outcome,
                    Ok(Err(join)) if join.is_panic() => {
                        let msg = panic_message(join.into_panic());
                        Outcome::error(format!("the `{check_id}` check crashed ({msg}); this is a bug in bedrock-doctor, please report it"))
                    }
                    Ok(Err(_)) => Outcome::error("the check was cancelled"),
                    Err(_) => {
                        abort.abort();
                        Outcome::error(format!(
                            "no verdict within {:.1}s: the services it calls did not answer in time (raise --check-timeout or --timeout)",
                            began.elapsed().as_secs_f64()
                        ))
                    }
                };
                (i, outcome, began.elapsed())
            }) as CheckFuture2);
        }
        let Some((i, outcome, took)) = running.next().await else {
            break;
        };
        let (id, title, model, _, _) = &specs[i];
        let result = CheckResult {
            id: id.clone(),
            title: title.clone(),
            model: model.clone(),
            status: outcome.status(),
            summary: outcome.summary,
            details: outcome.details,
            findings: outcome.findings,
            duration_ms: took.as_millis() as u64,
        };
        on_finish(&result);
        results[i] = Some(result);
        facts[i] = outcome.facts;
        done += 1;
        for &d in &dependents[i] {
            waiting_on[d] -= 1;
            if waiting_on[d] == 0 {
                ready.push(d);
            }
        }
        if done == n {
            break;
        }
    }
    let mut account_facts = Facts::default();
    for (f, spec) in facts.iter().zip(&specs) {
        if spec.2.is_none() {
            account_facts.extend(f);
        }
    }
    let results = results
        .into_iter()
        .zip(specs)
        .map(|(r, (id, title, model, _, _))| {
            r.unwrap_or_else(|| CheckResult {
                id,
                title,
                model,
                status: Status::Error,
                summary: "never started: its dependencies form a cycle".into(),
                details: vec![],
                findings: vec![],
                duration_ms: 0,
            })
        })
        .collect();
    (results, account_facts)
}

type CheckFuture2 = Pin<Box<dyn Future<Output = (usize, Outcome, Duration)> + Send>>;

async fn ready_outcome(i: usize, o: Outcome, d: Duration) -> (usize, Outcome, Duration) {
    (i, o, d)
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
