//! The report: plain serde data, the one thing every renderer reads.
//! Its JSON form is a public, versioned interface (docs/report-schema.md).

use crate::causes::Cause;
use serde::{Deserialize, Serialize};

/// Bumped on any incompatible change of the JSON shape.
pub const SCHEMA_VERSION: u32 = 2;

/// A check's verdict, ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Skip,
    Warn,
    /// The doctor could not check (it lacks a permission, the service did not answer...).
    Error,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Skip => "skip",
            Status::Warn => "warn",
            Status::Error => "error",
            Status::Fail => "fail",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// One problem found, with everything a person needs to act on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub cause: Cause,
    pub severity: Severity,
    /// One line: what is wrong.
    pub summary: String,
    /// What was observed, as facts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// Steps a person can follow: commands, policy snippets.
    pub remediation: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub docs: Vec<String>,
    /// Set when a mute of the config file silences this finding: the mute's reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted: Option<String>,
}

impl Finding {
    pub fn new(cause: Cause, severity: Severity, summary: impl Into<String>) -> Self {
        Finding {
            cause,
            severity,
            summary: summary.into(),
            evidence: Vec::new(),
            remediation: Vec::new(),
            docs: Vec::new(),
            muted: None,
        }
    }

    pub fn evidence(mut self, line: impl Into<String>) -> Self {
        self.evidence.push(line.into());
        self
    }

    pub fn fix(mut self, step: impl Into<String>) -> Self {
        self.remediation.push(step.into());
        self
    }

    pub fn fixes(mut self, steps: Vec<String>) -> Self {
        self.remediation.extend(steps);
        self
    }

    pub fn doc(mut self, url: impl Into<String>) -> Self {
        self.docs.push(url.into());
        self
    }

    /// The status a check with this finding gets.
    pub fn status(&self) -> Status {
        match self.severity {
            Severity::Error => Status::Fail,
            Severity::Warning => Status::Warn,
            Severity::Info => Status::Pass,
        }
    }
}

/// The result of one check (for one model, when the check is per model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The region of a per-model check, when the run covered several (`--regions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub status: Status,
    /// One line saying what the check saw.
    pub summary: String,
    /// Observations worth showing even when all is well (source of credentials, ARN...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    pub findings: Vec<Finding>,
    pub duration_ms: u64,
    /// Requests over the metrics window, for the throttling and quota checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<Shape>,
}

impl CheckResult {
    /// Whether the check judged what it looks at: it passed, warned or failed, or does not
    /// apply ("not applicable: no API key is set"). An error, or a skip for want of what it
    /// needs (iam-permissions without a principal), is not a judgement either way.
    pub fn had_its_say(&self) -> bool {
        matches!(self.status, Status::Pass | Status::Warn | Status::Fail)
            || (self.status == Status::Skip && self.summary.starts_with("not applicable"))
    }
}

/// The minute-by-minute shape of a model's traffic over the metrics window, bucketed: each
/// value is the busiest minute of its bucket, oldest bucket first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    pub bucket_minutes: u64,
    /// Requests per minute: Invocations + InvocationThrottles.
    pub requests: Vec<f64>,
    pub throttled: Vec<f64>,
    /// The applied requests-per-minute quota, when the quota check found it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_per_minute: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub account: Option<String>,
    pub principal: Option<String>,
    pub models: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
    pub error: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: String,
    pub version: String,
    /// Set when the run was against the built-in simulator (`demo`), never a real account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulation: Option<String>,
    pub target: Target,
    pub checks: Vec<CheckResult>,
    pub summary: Summary,
    /// Things the person should know about the run itself (e.g. an expired mute).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
    /// `--accounts`: each account's own report (then `checks` has only rows about the
    /// organization itself, and `summary` counts every account's checks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountReport>,
    pub duration_ms: u64,
}

/// One account of an `--accounts` run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountReport {
    pub id: String,
    /// The account's name in the organization, when it was listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub report: Report,
}

impl Report {
    pub fn new(target: Target, checks: Vec<CheckResult>, duration_ms: u64) -> Self {
        let mut report = Report {
            schema_version: SCHEMA_VERSION,
            tool: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            simulation: None,
            target,
            checks,
            summary: Summary::default(),
            notices: Vec::new(),
            accounts: Vec::new(),
            duration_ms,
        };
        report.recount();
        report
    }

    /// A report of an `--accounts` run (or `merge`): it has accounts, or it has none because
    /// the listing found none or failed. A single account's run always has checks, and no
    /// row about the organization.
    pub fn is_accounts_run(&self) -> bool {
        !self.accounts.is_empty()
            || self.checks.is_empty()
            || self.checks.iter().any(|c| c.id == "accounts")
    }

    /// Every check of the run: its own, then each account's (`--accounts`).
    pub fn all_checks(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks
            .iter()
            .chain(self.accounts.iter().flat_map(|a| a.report.checks.iter()))
    }

    /// Recompute the summary from the checks' statuses.
    pub fn recount(&mut self) {
        let mut summary = Summary::default();
        for c in self.all_checks() {
            match c.status {
                Status::Pass => summary.pass += 1,
                Status::Warn => summary.warn += 1,
                Status::Fail => summary.fail += 1,
                Status::Skip => summary.skip += 1,
                Status::Error => summary.error += 1,
            }
        }
        self.summary = summary;
    }

    /// Every finding of the run (every account's, with --accounts) with its check.
    pub fn findings(&self) -> impl Iterator<Item = (&CheckResult, &Finding)> {
        self.all_checks()
            .flat_map(|c| c.findings.iter().map(move |f| (c, f)))
    }
}

/// Silence a known finding: by check and/or cause, optionally for one model, with a reason
/// and an optional expiry (set in bedrock-doctor.toml). A muted finding still shows, marked
/// as muted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mute {
    pub check: Option<String>,
    pub cause: Option<Cause>,
    pub model: Option<String>,
    pub reason: String,
    /// YYYY-MM-DD; from the day after, the mute no longer applies and is reported.
    pub until: Option<String>,
}

/// How bad a run must be before the exit code says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Exit 1 on a failed check.
    Fail,
    /// Exit 1 on a failed check or a warning.
    Warn,
    /// Exit 0 whatever was found (usage errors still exit 2).
    Never,
}

/// The documented exit codes (README.md, "Exit codes").
pub mod exit {
    pub const HEALTHY: i32 = 0;
    pub const PROBLEMS: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const COULD_NOT_CHECK: i32 = 3;
}

pub fn exit_code(report: &Report, fail_on: FailOn) -> i32 {
    let threshold = match fail_on {
        FailOn::Never => return exit::HEALTHY,
        FailOn::Fail => Status::Fail,
        FailOn::Warn => Status::Warn,
    };
    let problems = report
        .all_checks()
        .any(|c| c.status != Status::Error && c.status >= threshold);
    if problems {
        exit::PROBLEMS
    } else if report.summary.error > 0 {
        exit::COULD_NOT_CHECK
    } else {
        exit::HEALTHY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(status: Status) -> CheckResult {
        CheckResult {
            id: "x".into(),
            title: "x".into(),
            model: None,
            region: None,
            status,
            summary: String::new(),
            details: vec![],
            findings: vec![],
            duration_ms: 0,
            shape: None,
        }
    }

    fn report(statuses: &[Status]) -> Report {
        let target = Target {
            region: None,
            profile: None,
            account: None,
            principal: None,
            models: vec![],
            endpoint_url: None,
        };
        Report::new(target, statuses.iter().map(|s| result(*s)).collect(), 0)
    }

    #[test]
    fn exit_codes_follow_fail_on() {
        use Status::*;
        assert_eq!(exit_code(&report(&[Pass, Skip]), FailOn::Fail), 0);
        assert_eq!(exit_code(&report(&[Pass, Warn]), FailOn::Fail), 0);
        assert_eq!(exit_code(&report(&[Pass, Warn]), FailOn::Warn), 1);
        assert_eq!(exit_code(&report(&[Fail, Error]), FailOn::Fail), 1);
        assert_eq!(exit_code(&report(&[Pass, Error]), FailOn::Fail), 3);
        assert_eq!(exit_code(&report(&[Warn, Error]), FailOn::Warn), 1);
        assert_eq!(exit_code(&report(&[Fail, Error]), FailOn::Never), 0);
    }

    #[test]
    fn summary_counts_each_status() {
        use Status::*;
        let r = report(&[Pass, Pass, Warn, Fail, Skip, Error]);
        assert_eq!(
            r.summary,
            Summary {
                pass: 2,
                warn: 1,
                fail: 1,
                skip: 1,
                error: 1
            }
        );
    }
}
