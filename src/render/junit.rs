//! JUnit XML: one testcase per check (and model); fail -> failure, error -> error,
//! skip -> skipped. Written by quick-junit, the serializer CI systems' own tools use.

use crate::report::{CheckResult, Report, Status};
use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

fn case_name(c: &CheckResult) -> String {
    match &c.model {
        Some(m) => format!("{} [{m}]", c.id),
        None => c.id.clone(),
    }
}

fn body(c: &CheckResult) -> String {
    let mut text = String::new();
    for f in &c.findings {
        text.push_str(&format!("{}: {}\n", f.cause.code(), f.summary));
        for e in &f.evidence {
            text.push_str(&format!("  seen: {e}\n"));
        }
        for (i, step) in f.remediation.iter().enumerate() {
            text.push_str(&format!("  fix {}. {step}\n", i + 1));
        }
    }
    for d in &c.details {
        text.push_str(&format!("  · {d}\n"));
    }
    text
}

/// One test suite for a single account; with `--accounts`, one per account (named by its
/// id and name), after the organization's own rows.
pub fn render(report: &Report) -> String {
    let mut report_xml = JReport::new("bedrock-doctor");
    if !report.is_accounts_run() || !report.checks.is_empty() {
        report_xml.add_test_suite(suite("bedrock-doctor", &report.checks));
    }
    for a in &report.accounts {
        let name = match &a.name {
            Some(n) => format!("bedrock-doctor account {} ({n})", a.id),
            None => format!("bedrock-doctor account {}", a.id),
        };
        report_xml.add_test_suite(suite(&name, &a.report.checks));
    }
    report_xml
        .to_string()
        .unwrap_or_else(|e| format!("<!-- could not write JUnit XML: {e} -->\n"))
}

fn suite(name: &str, checks: &[CheckResult]) -> TestSuite {
    let mut suite = TestSuite::new(name);
    for c in checks {
        let status = match c.status {
            Status::Pass | Status::Warn => TestCaseStatus::success(),
            Status::Skip => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(c.summary.clone());
                s
            }
            Status::Fail | Status::Error => {
                let kind = if c.status == Status::Fail {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                };
                let mut s = TestCaseStatus::non_success(kind);
                let message = c
                    .findings
                    .first()
                    .map(|f| format!("{}: {}", f.cause.code(), f.summary))
                    .unwrap_or_else(|| c.summary.clone());
                s.set_message(message);
                s.set_description(body(c));
                s
            }
        };
        let mut case = TestCase::new(case_name(c), status);
        case.set_classname(format!("bedrock-doctor.{}", c.id));
        case.set_time(Duration::from_millis(c.duration_ms));
        if c.status == Status::Warn {
            case.set_system_out(body(c));
        }
        suite.add_test_case(case);
    }
    suite
}
