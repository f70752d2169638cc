//! The scheduler with fake checks: order, concurrency, panics, deadlines, skips, facts.
//! Concurrency is proven by checks that can only finish together, not by timing.

use bedrock_doctor::causes::Cause;
use bedrock_doctor::report::{CheckResult, Finding, Severity, Status};
use bedrock_doctor::runner::{run, CheckFuture, Job, Limits, Outcome};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Barrier, Notify};
use tokio::time::Instant;

fn job(
    id: &str,
    needs: &[usize],
    after: &[usize],
    f: impl FnOnce(bedrock_doctor::facts::Facts) -> CheckFuture + Send + 'static,
) -> Job {
    Job {
        id: id.into(),
        title: id.into(),
        model: None,
        region: None,
        needs: needs.to_vec(),
        after: after.to_vec(),
        start: Box::new(f),
    }
}

fn pass(id: &str, needs: &[usize]) -> Job {
    let summary = format!("{id} ok");
    job(id, needs, &[], move |_| {
        Box::pin(async move { Outcome::pass(summary) })
    })
}

fn fail(id: &str) -> Job {
    job(id, &[], &[], |_| {
        Box::pin(async {
            Outcome::default().finding(Finding::new(
                Cause::RegionMissing,
                Severity::Error,
                "no region",
            ))
        })
    })
}

fn limits(per_check: Duration) -> Limits {
    Limits {
        per_check,
        deadline: Instant::now() + Duration::from_secs(3600),
        calls: None,
    }
}

async fn go(jobs: Vec<Job>, per_check: Duration) -> Vec<CheckResult> {
    run(jobs, limits(per_check), &|_| {}).await.0
}

fn statuses(r: &[CheckResult]) -> Vec<(String, Status)> {
    r.iter().map(|c| (c.id.clone(), c.status)).collect()
}

#[tokio::test(start_paused = true)]
async fn results_come_in_declared_order_whatever_finishes_first() {
    let slow = job("slow", &[], &[], |_| {
        Box::pin(async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Outcome::pass("slow")
        })
    });
    let r = go(vec![slow, pass("fast", &[])], Duration::from_secs(5)).await;
    assert_eq!(
        statuses(&r),
        [("slow".into(), Status::Pass), ("fast".into(), Status::Pass)]
    );
}

#[tokio::test(start_paused = true)]
async fn independent_checks_run_at_the_same_time() {
    // Each waits for the other at a barrier: run one after the other, both would hit the deadline.
    let barrier = Arc::new(Barrier::new(2));
    let mk = |id: &str| {
        let b = barrier.clone();
        job(id, &[], &[], move |_| {
            Box::pin(async move {
                b.wait().await;
                Outcome::pass("met")
            })
        })
    };
    let r = go(vec![mk("a"), mk("b")], Duration::from_secs(1)).await;
    assert_eq!(
        statuses(&r),
        [("a".into(), Status::Pass), ("b".into(), Status::Pass)]
    );
}

#[tokio::test(start_paused = true)]
async fn two_200ms_checks_take_200ms_of_clock_not_400() {
    let nap = |id: &str| {
        job(id, &[], &[], |_| {
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(200)).await;
                Outcome::pass("slept")
            })
        })
    };
    let began = Instant::now();
    go(vec![nap("a"), nap("b")], Duration::from_secs(5)).await;
    // Paused (virtual) time: exact and independent of machine load.
    assert_eq!(began.elapsed().as_millis(), 200);
}

#[tokio::test(start_paused = true)]
async fn a_check_starts_when_its_own_dependencies_finish_not_its_level() {
    // `blocked` only finishes once `dependent` (which needs `quick`) has run: a level-by-level
    // scheduler would wait for `blocked` before starting `dependent`, and time out.
    let release = Arc::new(Notify::new());
    let r1 = release.clone();
    let blocked = job("blocked", &[], &[], move |_| {
        Box::pin(async move {
            r1.notified().await;
            Outcome::pass("released")
        })
    });
    let r2 = release.clone();
    let dependent = job("dependent", &[1], &[], move |_| {
        Box::pin(async move {
            r2.notify_one();
            Outcome::pass("ran early")
        })
    });
    let r = go(
        vec![blocked, pass("quick", &[]), dependent],
        Duration::from_secs(2),
    )
    .await;
    assert!(
        r.iter().all(|c| c.status == Status::Pass),
        "{:?}",
        statuses(&r)
    );
}

#[tokio::test(start_paused = true)]
async fn a_panic_is_that_checks_error_and_the_run_goes_on() {
    let boom = job("boom", &[], &[], |_| Box::pin(async { panic!("kaboom") }));
    let r = go(vec![boom, pass("fine", &[])], Duration::from_secs(5)).await;
    assert_eq!(
        statuses(&r),
        [
            ("boom".into(), Status::Error),
            ("fine".into(), Status::Pass)
        ]
    );
    assert!(
        r[0].summary.contains("kaboom") && r[0].summary.contains("bug"),
        "{}",
        r[0].summary
    );
}

#[tokio::test(start_paused = true)]
async fn a_deadline_under_a_tenth_of_a_second_is_told_in_milliseconds() {
    let hang = job("hang", &[], &[], |_| Box::pin(std::future::pending()));
    let r = go(vec![hang], Duration::from_millis(5)).await;
    assert!(
        r[0].summary.contains("no verdict within 5 ms"),
        "{}",
        r[0].summary
    );
}

#[tokio::test(start_paused = true)]
async fn a_hanging_check_hits_its_deadline() {
    let hang = job("hang", &[], &[], |_| Box::pin(std::future::pending()));
    let r = go(
        vec![hang, pass("fine", &[]), pass("after-hang", &[0])],
        Duration::from_secs(3),
    )
    .await;
    assert_eq!(r[0].status, Status::Error);
    assert!(
        r[0].summary.contains("no verdict within 3.0s"),
        "{}",
        r[0].summary
    );
    assert_eq!(r[1].status, Status::Pass);
    assert_eq!(r[2].status, Status::Skip);
}

#[tokio::test(start_paused = true)]
async fn the_run_deadline_bounds_every_check() {
    let hang = job("hang", &[], &[], |_| Box::pin(std::future::pending()));
    let began = Instant::now();
    let limits = Limits {
        per_check: Duration::from_secs(60),
        deadline: Instant::now() + Duration::from_secs(5),
        calls: None,
    };
    let r = run(vec![hang], limits, &|_| {}).await.0;
    assert_eq!(r[0].status, Status::Error);
    assert_eq!(began.elapsed().as_secs(), 5);
}

#[tokio::test]
async fn skips_propagate_with_the_reason_but_after_does_not_skip() {
    let observer = job("observer", &[], &[0], |_| {
        Box::pin(async { Outcome::pass("ran anyway") })
    });
    let r = go(
        vec![
            fail("root"),
            pass("child", &[0]),
            pass("grandchild", &[1]),
            observer,
        ],
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        statuses(&r),
        [
            ("root".into(), Status::Fail),
            ("child".into(), Status::Skip),
            ("grandchild".into(), Status::Skip),
            ("observer".into(), Status::Pass)
        ]
    );
    assert_eq!(r[1].summary, "needs `root`, which failed");
    assert_eq!(
        r[2].summary,
        "needs `child`, which was skipped: needs `root`, which failed"
    );
}

#[derive(Debug, PartialEq)]
struct Answer(u32);

#[tokio::test]
async fn facts_flow_to_dependents() {
    let teller = job("teller", &[], &[], |_| {
        Box::pin(async { Outcome::pass("told").fact(Answer(42)) })
    });
    let listener = job("listener", &[0], &[], |facts| {
        let got = facts.get::<Answer>().map(|a| a.0);
        Box::pin(async move { Outcome::pass(format!("heard {got:?}")) })
    });
    let (r, account_facts) = run(
        vec![teller, listener],
        limits(Duration::from_secs(5)),
        &|_| {},
    )
    .await;
    assert_eq!(r[1].summary, "heard Some(42)");
    assert_eq!(account_facts.get::<Answer>(), Some(&Answer(42)));
}

/// A check others wait for gets half of what is left of the run: when it hangs, the checks
/// after it still have time for the verdict they can give without it.
#[tokio::test(start_paused = true)]
async fn a_hanging_dependency_leaves_its_dependents_time() {
    let hang = job("hang", &[], &[], |_| Box::pin(std::future::pending()));
    let after = job("after", &[], &[0], |_| {
        Box::pin(async { Outcome::pass("gave the verdict it could") })
    });
    let limits = Limits {
        per_check: Duration::from_secs(60),
        deadline: Instant::now() + Duration::from_secs(4),
        calls: None,
    };
    let began = Instant::now();
    let r = run(vec![hang, after], limits, &|_| {}).await.0;
    assert_eq!(
        began.elapsed().as_secs(),
        2,
        "the hanging check got half of 4 s"
    );
    assert_eq!(r[0].status, Status::Error);
    assert!(
        r[0].summary.contains("no verdict within 2.0s"),
        "{}",
        r[0].summary
    );
    assert_eq!(r[1].status, Status::Pass, "{}", r[1].summary);
}

/// Waiting is not failing: a check that could only start when the run had no time left is
/// skipped with what it waited for, never an error "within 0.0s".
#[tokio::test(start_paused = true)]
async fn a_check_left_without_time_is_skipped_naming_what_it_waited_for() {
    let hang = job("hang", &[], &[], |_| Box::pin(std::future::pending()));
    let late = job("late", &[], &[0], |_| {
        Box::pin(async { Outcome::pass("never") })
    });
    let limits = Limits {
        per_check: Duration::from_secs(60),
        // `hang` gets half of 150 ms; 75 ms is too little for `late` to start
        deadline: Instant::now() + Duration::from_millis(150),
        calls: None,
    };
    let r = run(vec![hang, late], limits, &|_| {}).await.0;
    for c in &r {
        assert!(!c.summary.contains("0.0s"), "{}: {}", c.id, c.summary);
    }
    assert_eq!(r[1].status, Status::Skip, "{}", r[1].summary);
    assert!(
        r[1].summary
            .starts_with("waited for `hang`: it did not finish in time")
            && r[1].summary.contains("; no time was left"),
        "{}",
        r[1].summary
    );
}
