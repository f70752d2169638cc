//! The run's call log: every round trip the SDK makes, tagged with the job that made it.
//! From it `-v` shows the critical path (the longest chain of calls in which each had to
//! wait for the one before) and how much of the run's waiting the scheduler overlapped.
//! It also makes retries visible: with -v, every call the SDK retries is logged with its
//! attempt number and the bound, and how it ended; calls that needed one try log nothing.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextMut, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::retry::RetryConfig;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

tokio::task_local! {
    static JOB: usize;
}

/// Whether the running code is a check's (whose panic the runner reports as its `error`).
pub fn in_a_job() -> bool {
    JOB.try_with(|_| ()).is_ok()
}

/// Run `f` as job `job`: the calls it makes are attributed to that job.
pub fn in_job<F: Future>(job: usize, f: F) -> impl Future<Output = F::Output> {
    JOB.scope(job, f)
}

/// One attempt of one operation.
#[derive(Debug, Clone)]
pub struct Call {
    pub job: Option<usize>,
    /// `service:Operation`, e.g. `sts:GetCallerIdentity`.
    pub operation: String,
    pub attempt: u32,
    /// When the request was sent (after any wait for a `--concurrency` slot).
    pub start: Instant,
    pub end: Instant,
    /// How long it waited for a slot before it was sent.
    pub queued: Duration,
}

/// A request's passage through the `--concurrency` bound (`aws::BoundedConnector`): when it
/// joined the queue for a slot and when it got one and left for AWS. Time queued behind the
/// run's own requests is then not counted as a slow answer. A client without the bound (unit
/// tests' given clients) marks neither: its requests count as sent when handed over.
#[derive(Debug, Clone, Default)]
pub struct SentAt {
    queued: Arc<OnceLock<Instant>>,
    sent: Arc<OnceLock<Instant>>,
}

impl SentAt {
    pub fn mark_queued(&self) {
        let _ = self.queued.set(Instant::now());
    }

    pub fn mark(&self) {
        let _ = self.sent.set(Instant::now());
    }

    pub(crate) fn get(&self) -> Option<Instant> {
        self.sent.get().copied()
    }

    /// Waiting for a slot: queued and not yet sent.
    fn waiting(&self) -> bool {
        self.queued.get().is_some() && self.sent.get().is_none()
    }
}

/// A request not yet answered: what a check that ran out of time was waiting on.
#[derive(Debug, Clone)]
pub struct InFlight {
    pub job: Option<usize>,
    pub operation: String,
    /// scheme://host:port of the request (no path or query).
    pub endpoint: String,
    /// When the SDK handed the request over (it may then wait for a slot).
    pub start: Instant,
    sent: SentAt,
}

impl InFlight {
    /// Whether the request has left (false only while it waits for a `--concurrency` slot).
    pub fn sent(&self) -> bool {
        !self.sent.waiting()
    }

    /// When it left for AWS (or, through a client without the bound, was handed over).
    fn sent_at(&self) -> Instant {
        self.sent.get().unwrap_or(self.start)
    }

    /// `bedrock:ListFoundationModels at https://bedrock.us-east-1.amazonaws.com (no answer
    /// after 3.0 s)`, or, for a request still queued behind the run's own, how long it
    /// waited to be sent.
    pub fn describe(&self) -> String {
        match self.sent() {
            true => format!(
                "{} at {} (no answer after {:.1} s)",
                self.operation,
                self.endpoint,
                self.sent_at().elapsed().as_secs_f64()
            ),
            false => format!(
                "{} at {} (not sent yet: waited {:.1} s for a free slot among its client's --concurrency requests)",
                self.operation,
                self.endpoint,
                self.start.elapsed().as_secs_f64()
            ),
        }
    }
}

/// Shared by every client of a run (an SDK interceptor).
#[derive(Debug, Clone, Default)]
pub struct CallLog {
    calls: Arc<Mutex<Vec<Call>>>,
    in_flight: Arc<Mutex<Vec<(u64, InFlight)>>>,
    /// Requests given up (the SDK's operation timeout) while queued for a slot, with how
    /// long they had waited.
    never_sent: Arc<Mutex<Vec<(InFlight, Duration)>>>,
    /// Requests of checks stopped at their deadline, and when: they held their slots until
    /// then, but are no longer waited on.
    abandoned: Arc<Mutex<Vec<(InFlight, Instant)>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl CallLog {
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.calls).clone()
    }

    /// The requests of `job` still waiting for an answer; when it has none, the requests it
    /// may be waiting on through a shared answer (those of other jobs, or of none).
    pub fn in_flight(&self, job: Option<usize>) -> Vec<InFlight> {
        let all: Vec<InFlight> = lock(&self.in_flight)
            .iter()
            .map(|(_, c)| c.clone())
            .collect();
        let mine: Vec<InFlight> = all.iter().filter(|c| c.job == job).cloned().collect();
        if mine.is_empty() {
            all
        } else {
            mine
        }
    }

    /// The requests of `job` that were given up while still queued for a `--concurrency`
    /// slot: the SDK's timeout then names no slow service, only the bound.
    pub fn never_sent(&self, job: usize) -> Vec<(InFlight, Duration)> {
        lock(&self.never_sent)
            .iter()
            .filter(|(f, _)| f.job == Some(job))
            .cloned()
            .collect()
    }

    /// Forget the requests of `job`, a check the runner stopped at its deadline: its dropped
    /// requests hold no slot and will never be answered.
    pub fn forget(&self, job: usize) {
        let now = Instant::now();
        let mut gone = Vec::new();
        lock(&self.in_flight).retain(|(_, f)| {
            let mine = f.job == Some(job);
            if mine {
                gone.push((f.clone(), now));
            }
            !mine
        });
        lock(&self.abandoned).extend(gone);
    }

    /// The sent, unanswered request that has waited longest on the client (service and
    /// endpoint) of `queued`: what held that client's slots while `queued` waited (including
    /// requests of checks stopped since it began waiting).
    pub fn holding_slots_of(&self, queued: &InFlight) -> Option<InFlight> {
        let client = |f: &InFlight| {
            (
                f.operation.split(':').next().map(str::to_string),
                f.endpoint.clone(),
            )
        };
        let live: Vec<InFlight> = lock(&self.in_flight)
            .iter()
            .map(|(_, f)| f.clone())
            .collect();
        let stopped: Vec<InFlight> = lock(&self.abandoned)
            .iter()
            .filter(|(_, when)| *when >= queued.start)
            .map(|(f, _)| f.clone())
            .collect();
        live.into_iter()
            .chain(stopped)
            .filter(|f| f.sent() && client(f) == client(queued))
            .min_by_key(|f| f.sent_at())
    }
}

/// An attempt's id in the in-flight list, kept in its config bag. An attempt whose future is
/// dropped (its check stopped at the deadline) stays listed until the runner forgets it:
/// it is what the check was waiting on.
#[derive(Debug)]
struct Attempt(u64);

impl Storable for Attempt {
    type Storer = StoreReplace<Self>;
}

impl CallLog {
    /// Take request `id` off the in-flight list (its attempt ended, answered or not): the
    /// request if it was sent; one given up while queued for a slot is kept among the never
    /// sent instead.
    fn settle(&self, id: u64) -> Option<InFlight> {
        let flight = {
            let mut live = lock(&self.in_flight);
            let at = live.iter().position(|(i, _)| *i == id)?;
            live.remove(at).1
        };
        if flight.sent() {
            return Some(flight);
        }
        let waited = flight.start.elapsed();
        lock(&self.never_sent).push((flight, waited));
        None
    }
}

static NEXT_REQUEST: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// (service, operation) as the SDK names them, e.g. ("STS", "GetCallerIdentity").
fn names(cfg: &ConfigBag) -> (String, String) {
    match cfg.load::<Metadata>() {
        Some(m) => (m.service().to_string(), m.name().to_string()),
        None => ("an AWS".into(), "call".into()),
    }
}

/// `sts:GetCallerIdentity`, the call log's spelling.
fn operation(cfg: &ConfigBag) -> String {
    let (service, name) = names(cfg);
    format!("{}:{name}", service.to_lowercase().replace(' ', "-"))
}

/// (this attempt, the most attempts allowed)
fn attempts(cfg: &ConfigBag) -> (u32, u32) {
    let n = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
    let max = cfg.load::<RetryConfig>().map_or(1, |r| r.max_attempts());
    (n, max)
}

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "CallLog"
    }

    fn read_before_attempt(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (n, max) = attempts(cfg);
        if n > 1 {
            let (service, name) = names(cfg);
            tracing::info!("{service} {name}: retrying, attempt {n} of at most {max}");
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (n, max) = attempts(cfg);
        if n > 1 {
            let (service, name) = names(cfg);
            let call = format!("{service} {name}");
            match (context.output_or_error(), context.response()) {
                (Some(Ok(_)), _) => tracing::info!("{call}: answered on attempt {n}"),
                (_, Some(r)) => tracing::info!(
                    "{call}: gave up after {n} of at most {max} attempts (last answer: HTTP {})",
                    r.status().as_u16()
                ),
                (Some(Err(e)), None) => tracing::info!(
                    "{call}: gave up after {n} of at most {max} attempts ({})",
                    error_chain(e)
                ),
                (None, None) => {}
            }
        }
        Ok(())
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let sent = SentAt::default();
        context.request_mut().add_extension(sent.clone());
        let id = NEXT_REQUEST.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let start = Instant::now();
        let endpoint = http::Uri::try_from(context.request().uri())
            .ok()
            .map(|u| {
                format!(
                    "{}://{}",
                    u.scheme_str().unwrap_or("https"),
                    u.authority().map(|a| a.as_str()).unwrap_or("?")
                )
            })
            .unwrap_or_else(|| "its endpoint".into());
        let flight = InFlight {
            job: JOB.try_with(|j| *j).ok(),
            operation: operation(cfg),
            endpoint,
            start,
            sent,
        };
        lock(&self.in_flight).push((id, flight));
        cfg.interceptor_state().store_put(Attempt(id));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Attempts that failed before sending (e.g. no credentials) made no round trip.
        let Some(Attempt(id)) = cfg.load::<Attempt>() else {
            return Ok(());
        };
        // An attempt given up while queued (the operation timed out) made no round trip.
        let Some(flight) = self.settle(*id) else {
            return Ok(());
        };
        let start = flight.sent_at();
        let call = Call {
            job: JOB.try_with(|j| *j).ok(),
            operation: operation(cfg),
            attempt: attempts(cfg).0,
            // The round trip, not the wait for a slot before it.
            start,
            end: Instant::now(),
            queued: start.duration_since(flight.start),
        };
        let outcome = match (context.response(), context.output_or_error()) {
            (Some(r), _) => format!("HTTP {}", r.status().as_u16()),
            (None, Some(Err(e))) => format!("no response ({})", error_chain(e)),
            _ => "no response".into(),
        };
        tracing::debug!(
            "{} attempt {} took {} ms: {outcome}",
            call.operation,
            call.attempt,
            call.end.duration_since(call.start).as_millis()
        );
        lock(&self.calls).push(call);
        Ok(())
    }
}

/// What the call log says about a run's waiting.
#[derive(Debug, Clone)]
pub struct Timing {
    pub calls: usize,
    /// The critical path, first call first.
    pub path: Vec<Call>,
    /// The round trips' durations added up.
    pub busy: Duration,
    /// The waits for a `--concurrency` slot added up.
    pub queued: Duration,
    pub wall: Duration,
}

impl Timing {
    /// `deps[j]`: the jobs job `j` waits for (directly). A call can follow an earlier one on
    /// the critical path when it started after that one ended, and was made by the same job
    /// or by a job that (transitively) waited for the earlier one's job.
    pub fn of(calls: &[Call], deps: &[Vec<usize>], wall: Duration) -> Timing {
        let upstream = transitive(deps);
        let mut calls = calls.to_vec();
        calls.sort_by_key(|c| c.start);
        // Longest chain ending at each call, and the call before it on that chain.
        let mut length = vec![1usize; calls.len()];
        let mut before: Vec<Option<usize>> = vec![None; calls.len()];
        for b in 0..calls.len() {
            for a in 0..b {
                // Against when b was handed over: a wait for a slot is not a dependency.
                let follows = calls[a].end <= calls[b].start - calls[b].queued
                    && match (calls[a].job, calls[b].job) {
                        (Some(x), Some(y)) => x == y || upstream[y].contains(&x),
                        _ => false,
                    };
                if follows && length[a] + 1 > length[b] {
                    length[b] = length[a] + 1;
                    before[b] = Some(a);
                }
            }
        }
        let mut path = Vec::new();
        let mut at = (0..calls.len()).max_by_key(|&i| (length[i], std::cmp::Reverse(i)));
        while let Some(i) = at {
            path.push(calls[i].clone());
            at = before[i];
        }
        path.reverse();
        Timing {
            calls: calls.len(),
            busy: calls.iter().map(|c| c.end.duration_since(c.start)).sum(),
            queued: calls.iter().map(|c| c.queued).sum(),
            path,
            wall,
        }
    }

    /// One line for `-v`: the chain, by job name and operation, and the overlap.
    pub fn summary(&self, job_name: impl Fn(usize) -> String) -> String {
        let chain: Vec<String> = self
            .path
            .iter()
            .map(|c| match c.job {
                Some(j) => format!("{} {}", job_name(j), c.operation),
                None => c.operation.clone(),
            })
            .collect();
        let overlap = self.busy.as_secs_f64() / self.wall.as_secs_f64().max(1e-9);
        let queued = if self.queued.is_zero() {
            String::new()
        } else {
            format!(
                "; requests waited {:.2} s in all for a --concurrency slot",
                self.queued.as_secs_f64()
            )
        };
        format!(
            "critical path {} calls: {}; {} calls in {:.2} s, {:.2} s of round trips (overlap {:.1}x){queued}",
            self.path.len(),
            if chain.is_empty() {
                "none".to_string()
            } else {
                chain.join(" -> ")
            },
            self.calls,
            self.wall.as_secs_f64(),
            self.busy.as_secs_f64(),
            overlap
        )
    }
}

/// For each job, every job it waits for directly or through others.
fn transitive(deps: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut up: Vec<Vec<usize>> = Vec::with_capacity(deps.len());
    // Jobs only wait for earlier jobs (the declared order is topological), so one pass works.
    for (j, direct) in deps.iter().enumerate() {
        let mut all: Vec<usize> = Vec::new();
        for &d in direct {
            all.push(d);
            if d < j {
                all.extend(up[d].iter().copied());
            }
        }
        all.sort_unstable();
        all.dedup();
        up.push(all);
    }
    up
}

/// An error and its sources, joined by ": " (each level once, no Debug dumps).
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    one_line(&parts.join(": "))
}

/// An error's text on one line, so the report can wrap it: the SDK's credential chain, for
/// one, lists each provider it tried on a line of its own ("Attempted:\n  Environment: ...").
fn one_line(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !out.is_empty() {
            out.push_str(if out.ends_with(':') { " " } else { "; " });
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queued_request_is_not_described_as_unanswered() {
        let flight = InFlight {
            job: Some(0),
            operation: "iam:SimulatePrincipalPolicy".into(),
            endpoint: "https://iam.amazonaws.com".into(),
            start: Instant::now(),
            sent: SentAt::default(),
        };
        assert!(flight.sent(), "a client without the bound sends at once");
        flight.sent.mark_queued();
        assert!(!flight.sent());
        assert!(
            flight.describe().contains("not sent yet"),
            "{}",
            flight.describe()
        );
        flight.sent.mark();
        assert!(flight.sent());
        assert!(
            flight.describe().contains("(no answer after 0.0 s)"),
            "{}",
            flight.describe()
        );
    }

    #[test]
    fn an_error_listed_over_several_lines_reads_as_one() {
        let chain = "no credentials found in chain. Attempted:\n  Environment: environment variable not set\n  Profile: the credential provider was not enabled\n";
        assert_eq!(
            one_line(chain),
            "no credentials found in chain. Attempted: Environment: environment variable not set; Profile: the credential provider was not enabled"
        );
    }

    fn call(job: usize, op: &str, from_ms: u64, to_ms: u64, t0: Instant) -> Call {
        Call {
            job: Some(job),
            operation: op.into(),
            attempt: 1,
            start: t0 + Duration::from_millis(from_ms),
            end: t0 + Duration::from_millis(to_ms),
            queued: Duration::ZERO,
        }
    }

    #[test]
    fn the_path_follows_dependencies_not_mere_timing() {
        let t0 = Instant::now();
        // job 0 -> job 1 -> job 2; job 3 is independent but its calls happen to come late.
        let deps = vec![vec![], vec![0], vec![1], vec![]];
        let calls = vec![
            call(0, "sts:GetCallerIdentity", 0, 100, t0),
            call(1, "iam:GetRole", 100, 200, t0),
            call(2, "iam:SimulatePrincipalPolicy", 200, 300, t0),
            call(3, "bedrock:ListFoundationModels", 0, 100, t0),
            call(3, "bedrock:GetFoundationModel", 250, 350, t0),
        ];
        let t = Timing::of(&calls, &deps, Duration::from_millis(350));
        let ops: Vec<&str> = t.path.iter().map(|c| c.operation.as_str()).collect();
        assert_eq!(
            ops,
            [
                "sts:GetCallerIdentity",
                "iam:GetRole",
                "iam:SimulatePrincipalPolicy"
            ]
        );
        assert_eq!(t.calls, 5);
        assert_eq!(t.busy, Duration::from_millis(500));
        let line = t.summary(|j| format!("job{j}"));
        assert!(
            line.starts_with(
                "critical path 3 calls: job0 sts:GetCallerIdentity -> job1 iam:GetRole"
            ),
            "{line}"
        );
        assert!(line.contains("overlap 1.4x"), "{line}");
    }

    #[test]
    fn calls_in_flight_together_count_once() {
        let t0 = Instant::now();
        let deps = vec![vec![]];
        let calls = vec![
            call(0, "a", 0, 100, t0),
            call(0, "b", 10, 110, t0),
            call(0, "c", 120, 220, t0),
        ];
        let t = Timing::of(&calls, &deps, Duration::from_millis(220));
        assert_eq!(t.path.len(), 2);
        assert_eq!(Timing::of(&[], &deps, Duration::ZERO).path.len(), 0);
    }

    #[test]
    fn upstream_is_transitive() {
        let up = transitive(&[vec![], vec![0], vec![1], vec![0, 2]]);
        assert_eq!(up[2], vec![0, 1]);
        assert_eq!(up[3], vec![0, 1, 2]);
    }
}
