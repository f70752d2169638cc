//! The terminal report: one row per check (status, check, finding with the first fix step),
//! grouped under a heading per model (and region) so that no id is squeezed into a column,
//! then the details of each finding, then a summary line. Words are never cut: at 80 columns
//! an ARN that does not fit its column gets a line of its own.

use crate::report::{CheckResult, Report, Status};
use colored::Colorize;
use std::fmt::Write;

pub struct Style {
    /// Terminal width, when known; otherwise the table is laid out for `fallback_width`.
    pub width: Option<u16>,
    pub verbose: bool,
    pub quiet: bool,
}

const FALLBACK_WIDTH: u16 = 100;

pub fn mark(status: Status) -> String {
    let text = match status {
        Status::Pass => "✔ pass",
        Status::Warn => "▲ warn",
        Status::Fail => "✘ fail",
        Status::Error => "? error",
        Status::Skip => "- skip",
    };
    match status {
        Status::Pass => text.green().to_string(),
        Status::Warn => text.yellow().to_string(),
        Status::Fail => text.red().bold().to_string(),
        Status::Error => text.magenta().to_string(),
        Status::Skip => text.dimmed().to_string(),
    }
}

/// The text column of a check's row: each finding (cause: summary) with the first step of its
/// fix, or the check's summary when it found nothing. A multi-line fix (a policy) continues in
/// the details.
fn row_text(c: &CheckResult) -> Vec<String> {
    if c.findings.is_empty() {
        return vec![c.summary.clone()];
    }
    let mut lines = Vec::new();
    for f in &c.findings {
        lines.push(match &f.muted {
            Some(why) => format!("{}: {} (muted: {why})", f.cause.code(), f.summary),
            None => format!("{}: {}", f.cause.code(), f.summary),
        });
        if f.muted.is_none() {
            if let Some(step) = f.remediation.first() {
                lines.push(match step.split_once('\n') {
                    Some((first, _)) => format!("fix: {first} (below)"),
                    None => format!("fix: {step}"),
                });
            }
        }
    }
    // Throttling and quota findings show the traffic's shape over the window.
    if let Some(shape) = &c.shape {
        lines.extend(super::shape_lines(shape));
    }
    lines
}

/// Above this many models the table shows one overview row per model instead of every check.
const OVERVIEW_MIN_MODELS: usize = 6;

/// One word for what a model's checks add up to, for the overview.
fn verdict(checks: &[&CheckResult]) -> (Status, String) {
    let worst = checks
        .iter()
        .map(|c| c.status)
        .filter(|s| *s != Status::Skip)
        .max()
        .unwrap_or(Status::Skip);
    let causes: Vec<&str> = checks
        .iter()
        .flat_map(|c| c.findings.iter().map(|f| f.cause.code()))
        .collect();
    let word = if causes.contains(&"model-end-of-life") {
        "end of life"
    } else if causes.contains(&"inference-profile-required") {
        "needs a profile"
    } else if causes.iter().any(|c| {
        [
            "model-access-not-granted",
            "use-case-form-required",
            "marketplace-subscription",
            "payment-instrument-invalid",
        ]
        .contains(c)
    }) {
        "not granted"
    } else if causes.contains(&"model-legacy") {
        "usable, legacy"
    } else {
        match worst {
            Status::Pass | Status::Skip => "usable",
            Status::Error => "unknown (check error)",
            _ => "problem",
        }
    };
    (worst, word.to_string())
}

fn overview(out: &mut String, report: &Report, style: &Style) {
    let width = usize::from(style.width.unwrap_or(FALLBACK_WIDTH));
    heading(
        out,
        &format!("{} models", report.target.models.len()),
        width,
    );
    let mut tally: std::collections::BTreeMap<String, usize> = Default::default();
    for m in &report.target.models {
        let checks: Vec<&CheckResult> = report
            .checks
            .iter()
            .filter(|c| c.model.as_deref() == Some(m))
            .collect();
        let (worst, word) = verdict(&checks);
        *tally.entry(word.clone()).or_default() += 1;
        if style.quiet && worst == Status::Pass {
            continue;
        }
        let note = checks
            .iter()
            .flat_map(|c| c.findings.first())
            .map(|f| format!(": {}", f.summary))
            .next()
            .unwrap_or_default();
        hanging_at(
            out,
            &format!("{}   ", padded_mark(worst)),
            STATUS_WIDTH + 3,
            &format!("{m} — {word}{note}"),
            width,
        );
    }
    let counts: Vec<String> = tally.iter().map(|(w, n)| format!("{n} {w}")).collect();
    let _ = writeln!(
        out,
        "{} models: {}",
        report.target.models.len(),
        counts.join(", ")
    );
}

/// The rows under one heading: a model in a region, or the account.
struct Group<'a> {
    name: String,
    rows: Vec<&'a CheckResult>,
    /// Checks skipped while waiting, one entry per reason with the checks it held back.
    waited: Vec<(&'a String, Vec<&'a String>)>,
}

/// The status column is as wide as its widest word, `? error`.
const STATUS_WIDTH: usize = 7;

fn padded_mark(status: Status) -> String {
    let m = mark(status);
    let pad = STATUS_WIDTH.saturating_sub(visible_len(&m));
    format!("{m}{}", " ".repeat(pad))
}

/// A group's heading: a rule with the group's name in it, so it stands out without colour.
fn heading(out: &mut String, name: &str, width: usize) {
    let used = name.chars().count() + 4;
    if used > width {
        // A long ARN: the name wraps like any text, without a rule.
        hanging(out, "── ", name, width);
        return;
    }
    let rule = "─".repeat(width - used);
    let _ = writeln!(out, "── {} {rule}", name.bold());
}

/// Characters a terminal shows: ANSI colour sequences take no room.
fn visible_len(s: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for ch in s.chars() {
        match (in_escape, ch) {
            (false, '\u{1b}') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

/// A row skipped because a check it waits for did not give what it needed.
fn is_waiting(c: &CheckResult) -> bool {
    c.status == Status::Skip
        && (c.summary.starts_with("needs `") || c.summary.starts_with("waited for"))
}

/// `text` after `lead`, wrapped at `width` on spaces, continuation lines indented under the
/// text. A word longer than the line stays whole (an ARN is never cut).
fn hanging(out: &mut String, lead: &str, text: &str, width: usize) {
    hanging_at(out, lead, lead.chars().count(), text, width);
}

/// The same, with continuation lines indented by `indent` (the lead may be long or coloured).
/// A word wider than its line (an ARN) gets a line of its own, moved left as far as it needs
/// to fit the width, and is never cut.
fn hanging_at(out: &mut String, lead: &str, indent: usize, text: &str, width: usize) {
    let room = width.saturating_sub(indent).max(20);
    let mut lines: Vec<(usize, String)> = vec![(visible_len(lead), String::new())];
    for word in text.split(' ') {
        let len = word.chars().count();
        let (start, line) = lines.last_mut().expect("one line at least");
        let used = *start + line.chars().count();
        let gap = usize::from(!line.is_empty());
        let fits = used + gap + len <= width.max(*start + 20);
        if fits {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        } else if len > room {
            let start = width.saturating_sub(len).min(indent);
            lines.push((start, word.to_string()));
            lines.push((indent, String::new()));
        } else {
            lines.push((indent, word.to_string()));
        }
    }
    for (i, (start, line)) in lines.iter().enumerate() {
        if i > 0 && line.is_empty() {
            continue;
        }
        let pad = if i == 0 {
            lead.to_string()
        } else {
            " ".repeat(*start)
        };
        let _ = writeln!(out, "{pad}{line}");
    }
}

pub fn render(report: &Report, style: &Style) -> String {
    if report.is_accounts_run() {
        return accounts(report, style);
    }
    let mut out = String::new();
    banner(&mut out, report, style);
    body(&mut out, report, style);
    totals(&mut out, report);
    out
}

/// SIMULATION, when the run was against the simulator.
fn banner(out: &mut String, report: &Report, style: &Style) {
    if let Some(sim) = &report.simulation {
        let mut banner = String::new();
        hanging(
            &mut banner,
            "SIMULATION: ",
            &format!("scenario `{sim}` on a local simulator, not a real AWS account"),
            usize::from(style.width.unwrap_or(FALLBACK_WIDTH)),
        );
        for line in banner.lines() {
            let _ = writeln!(out, "{}", line.yellow().bold());
        }
    }
}

/// One account's rows and findings.
fn body(out: &mut String, report: &Report, style: &Style) {
    let width = usize::from(style.width.unwrap_or(FALLBACK_WIDTH));
    let many = report.target.models.len() >= OVERVIEW_MIN_MODELS;
    // Rows grouped under a heading per model (and region), account checks first, so a model id
    // is printed once and never squeezed into a column. Checks skipped because one they wait
    // for did not answer or failed: one row per reason (every one with -v).
    let mut groups: Vec<Group> = Vec::new();
    for c in &report.checks {
        // With many models, each model gets one overview row below instead.
        let passing = matches!(c.status, Status::Pass | Status::Skip);
        if (passing && style.quiet) || (many && c.model.is_some()) {
            continue;
        }
        let region = c.region.as_ref().or(report.target.region.as_ref());
        let name = match (&c.model, region) {
            (Some(m), Some(r)) => format!("{m} · {r}"),
            (Some(m), None) => m.clone(),
            (None, Some(r)) => format!("account · {r}"),
            (None, None) => "account".to_string(),
        };
        let group = match groups.iter().position(|g| g.name == name) {
            Some(i) => &mut groups[i],
            None => {
                groups.push(Group {
                    name,
                    rows: Vec::new(),
                    waited: Vec::new(),
                });
                groups.last_mut().expect("just pushed")
            }
        };
        if !style.verbose && is_waiting(c) {
            match group.waited.iter_mut().find(|(why, _)| **why == c.summary) {
                Some((_, ids)) => ids.push(&c.id),
                None => group.waited.push((&c.summary, vec![&c.id])),
            }
        } else {
            group.rows.push(c);
        }
    }
    let id_width = report
        .checks
        .iter()
        .map(|c| c.id.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let indent = STATUS_WIDTH + 3 + id_width + 2;
    // -q with nothing to show prints no empty table.
    if !groups.is_empty() {
        let _ = writeln!(
            out,
            "{:STATUS_WIDTH$}   {:id_width$}  FINDING",
            "STATUS", "CHECK"
        );
    }
    for g in &groups {
        heading(out, &g.name, width);
        for c in &g.rows {
            let lead = format!("{}   {:id_width$}  ", padded_mark(c.status), c.id);
            for (i, line) in row_text(c).iter().enumerate() {
                let lead = if i == 0 {
                    lead.clone()
                } else {
                    " ".repeat(indent)
                };
                hanging_at(out, &lead, indent, line, width);
            }
        }
        for (why, ids) in &g.waited {
            let lead = format!("{}   {:id_width$}  ", padded_mark(Status::Skip), ids[0]);
            hanging_at(out, &lead, indent, why, width);
            for id in &ids[1..] {
                let _ = writeln!(out, "{}{id}", " ".repeat(STATUS_WIDTH + 3));
            }
        }
    }
    if many {
        out.push('\n');
        overview(out, report, style);
    }

    findings(out, &report.checks, many, style, width);
}

/// The notices and the one-line summary of the run.
fn totals(out: &mut String, report: &Report) {
    for n in &report.notices {
        let _ = writeln!(out, "\n{} {n}", "notice:".yellow().bold());
    }
    let s = &report.summary;
    let mut parts = vec![format!("{} pass", s.pass)];
    for (n, word) in [
        (s.warn, "warn"),
        (s.fail, "fail"),
        (s.error, "error"),
        (s.skip, "skip"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    let region = report.target.region.as_deref().unwrap_or("no region");
    let _ = writeln!(
        out,
        "\n{} · {} · {:.2}s",
        parts.join(", "),
        region,
        report.duration_ms as f64 / 1000.0
    );
}

/// Each finding with its evidence and every fix step (and with -v each check's details).
fn findings(out: &mut String, checks: &[CheckResult], many: bool, style: &Style, width: usize) {
    for c in checks {
        let has_details = style.verbose && !c.details.is_empty();
        // In the overview the per-model details are one -v away.
        let summarised = many && c.model.is_some() && !style.verbose;
        if (c.findings.is_empty() && !has_details) || summarised {
            continue;
        }
        // The model id goes in the wrapped text, where it can move to a line of its own.
        let model = c
            .model
            .as_ref()
            .map(|m| format!("[{m}] "))
            .unwrap_or_default();
        out.push('\n');
        hanging_at(
            out,
            &format!("{} {}: ", mark(c.status), c.id.bold()),
            4,
            &format!("{model}{}", c.summary),
            width,
        );
        if style.verbose {
            for d in &c.details {
                let _ = writeln!(out, "    · {d}");
            }
        }
        for f in &c.findings {
            match &f.muted {
                Some(why) => {
                    let _ = writeln!(
                        out,
                        "  {} {} {}",
                        f.cause.code().dimmed(),
                        f.summary,
                        format!("(muted: {why})").dimmed()
                    );
                }
                None => {
                    let lead = format!("  {} ", f.cause.code().bold());
                    hanging_at(out, &lead, 4, &f.summary, width);
                }
            }
            for e in &f.evidence {
                hanging(out, "    seen: ", e, width);
            }
            for (i, step) in f.remediation.iter().enumerate() {
                // A policy after the first line stays as it is, to be copied.
                let mut lines = step.lines();
                hanging(
                    out,
                    &format!("    fix {}. ", i + 1),
                    lines.next().unwrap_or(""),
                    width,
                );
                for more in lines {
                    let _ = writeln!(out, "           {more}");
                }
            }
            for d in &f.docs {
                hanging(out, "    docs: ", d, width);
            }
        }
    }
}

/// An account's row of the matrix after its id and name: its account-wide verdict, then one
/// cell per model (`not_entered` for each when the account was not entered).
pub fn matrix_cells(account: &Report, models: &[String], not_entered: &str) -> Vec<String> {
    let entered = account.checks.iter().any(|c| c.model.is_some());
    let mut cells = vec![account_cell(account)];
    cells.extend(models.iter().map(|m| {
        if entered {
            model_cell(account, m)
        } else {
            not_entered.to_string()
        }
    }));
    cells
}

/// The cause codes the checks found, muted or not as asked, sorted, once each,
/// comma-separated.
fn causes_of(checks: &[&CheckResult], muted: bool) -> String {
    let mut causes: Vec<&str> = checks
        .iter()
        .flat_map(|c| c.findings.iter())
        .filter(|f| f.muted.is_some() == muted)
        .map(|f| f.cause.code())
        .collect();
    causes.sort_unstable();
    causes.dedup();
    causes.join(", ")
}

/// The verdict of one model in one account of an `--accounts` run: `usable`, the cause codes
/// its checks found, or why it was not checked.
pub fn model_cell(account: &Report, model: &str) -> String {
    let checks: Vec<&CheckResult> = account
        .checks
        .iter()
        .filter(|c| c.model.as_deref() == Some(model))
        .collect();
    if checks.is_empty() {
        return "not checked".into();
    }
    let causes = causes_of(&checks, false);
    if !causes.is_empty() {
        return causes;
    }
    if verdict(&checks).0 == Status::Error {
        return "unknown (check error)".into();
    }
    // "usable" only when every check had its say.
    let unjudged: Vec<&str> = checks
        .iter()
        .filter(|c| !c.had_its_say())
        .map(|c| c.id.as_str())
        .collect();
    if !unjudged.is_empty() {
        return format!("unknown (not checked: {})", unjudged.join(", "));
    }
    // A muted finding is accepted, not gone: the cell says what was muted.
    match causes_of(&checks, true) {
        muted if muted.is_empty() => "usable".into(),
        muted => format!("usable (muted: {muted})"),
    }
}

/// The verdict of an account itself: `ok`, the causes of its account-wide findings, or that
/// it could not be entered.
pub fn account_cell(account: &Report) -> String {
    let rows: Vec<&CheckResult> = account
        .checks
        .iter()
        .filter(|c| c.model.is_none())
        .collect();
    let causes = causes_of(&rows, false);
    if let Some(skipped) = rows
        .iter()
        .find(|c| c.id == "credentials" && c.status == Status::Skip)
    {
        return skipped.summary.clone();
    }
    if !causes.is_empty() {
        return causes;
    }
    if rows.iter().any(|c| c.status == Status::Error) {
        return "unknown (check error)".into();
    }
    "ok".into()
}

/// `--accounts`: the account × model matrix, then the findings of each account that has any.
fn accounts(report: &Report, style: &Style) -> String {
    let width = usize::from(style.width.unwrap_or(FALLBACK_WIDTH));
    let mut out = String::new();
    banner(&mut out, report, style);
    for c in &report.checks {
        // Rows about the organization itself (its listing).
        findings(&mut out, std::slice::from_ref(c), false, style, width);
    }
    matrix(&mut out, report, style, width);
    for a in &report.accounts {
        if !a.report.checks.iter().any(|c| !c.findings.is_empty()) {
            continue;
        }
        out.push('\n');
        let title = match &a.name {
            Some(n) => format!("account {} ({n})", a.id),
            None => format!("account {}", a.id),
        };
        heading(&mut out, &title, width);
        let many = a.report.target.models.len() >= OVERVIEW_MIN_MODELS;
        findings(&mut out, &a.report.checks, many, style, width);
    }
    let entered = report
        .accounts
        .iter()
        .filter(|a| a.report.target.principal.is_some())
        .count();
    let _ = writeln!(
        out,
        "\n{} accounts, {entered} entered",
        report.accounts.len()
    );
    totals(&mut out, report);
    out
}

/// The account x model matrix: a table when every column fits at its natural width (words are
/// never cut), otherwise one block per account with a line per column.
fn matrix(out: &mut String, report: &Report, style: &Style, width: usize) {
    let models = &report.target.models;
    let mut head = vec![
        "STATUS".to_string(),
        "ACCOUNT".to_string(),
        "NAME".to_string(),
        "ACCOUNT CHECKS".to_string(),
    ];
    head.extend(models.iter().cloned());
    let mut rows: Vec<(Status, Vec<String>)> = Vec::new();
    for a in &report.accounts {
        let worst = a
            .report
            .checks
            .iter()
            .map(|c| c.status)
            .filter(|s| *s != Status::Skip)
            .max()
            .unwrap_or(Status::Skip);
        if style.quiet && worst <= Status::Pass {
            continue;
        }
        let mut row = vec![a.id.clone(), a.name.clone().unwrap_or_default()];
        row.extend(matrix_cells(&a.report, models, "—"));
        rows.push((worst, row));
    }
    let natural: usize = (0..head.len())
        .map(|i| {
            let cells = rows.iter().map(|(_, r)| match i {
                0 => STATUS_WIDTH,
                _ => r[i - 1].chars().count(),
            });
            cells.chain([head[i].chars().count()]).max().unwrap_or(0) + 2
        })
        .sum();
    if natural <= width {
        let mut table = comfy_table::Table::new();
        table
            .load_preset(comfy_table::presets::NOTHING)
            .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
            .set_header(head);
        for (status, row) in &rows {
            let mut cells = vec![mark(*status)];
            cells.extend(row.iter().cloned());
            table.add_row(cells);
        }
        for line in table.to_string().lines() {
            let _ = writeln!(out, "{}", line.trim_end());
        }
        return;
    }
    for (status, row) in &rows {
        let name = if row[1].is_empty() {
            String::new()
        } else {
            format!(" ({})", row[1])
        };
        let _ = writeln!(out, "{} {}{name}", mark(*status), row[0]);
        for (label, value) in head[3..].iter().zip(&row[2..]) {
            hanging_at(
                out,
                &format!("{}{}: ", " ".repeat(STATUS_WIDTH + 1), label.to_lowercase()),
                STATUS_WIDTH + 3,
                value,
                width,
            );
        }
    }
}

#[cfg(test)]
mod cell_tests {
    use super::*;
    use crate::causes::Cause;
    use crate::report::{Finding, Severity, Target};

    fn row(id: &str, status: Status, summary: &str, findings: Vec<Finding>) -> CheckResult {
        CheckResult {
            id: id.into(),
            title: id.into(),
            model: Some("m".into()),
            region: None,
            status,
            summary: summary.into(),
            details: vec![],
            findings,
            duration_ms: 0,
            shape: None,
        }
    }

    fn cell(checks: Vec<CheckResult>) -> String {
        let target = Target {
            region: None,
            profile: None,
            account: None,
            principal: None,
            models: vec!["m".into()],
            endpoint_url: None,
        };
        model_cell(&Report::new(target, checks, 0), "m")
    }

    #[test]
    fn usable_only_when_every_check_had_its_say() {
        let na = row(
            "marketplace",
            Status::Skip,
            "not applicable: not sold there",
            vec![],
        );
        assert_eq!(
            cell(vec![row("invoke", Status::Pass, "ok", vec![]), na.clone()]),
            "usable"
        );
        let waited = row(
            "iam-permissions",
            Status::Skip,
            "needs `principal`, which could not run",
            vec![],
        );
        assert_eq!(
            cell(vec![row("invoke", Status::Pass, "ok", vec![]), na, waited]),
            "unknown (not checked: iam-permissions)"
        );
        let mut muted = Finding::new(Cause::ModelAccessNotGranted, Severity::Error, "no access");
        muted.muted = Some("accepted until the form is in".into());
        assert_eq!(
            cell(vec![row(
                "model-access",
                Status::Pass,
                "muted",
                vec![muted]
            )]),
            "usable (muted: model-access-not-granted)"
        );
    }
}
