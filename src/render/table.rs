//! The terminal table: one row per check (mark, check, finding, fix), then the details
//! of each finding, then a summary line. Reads at 80 columns and in a wide terminal.

use crate::report::{CheckResult, Report, Status};
use colored::Colorize;
use comfy_table::{presets, ContentArrangement, Table};
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

fn check_label(c: &CheckResult) -> String {
    match (&c.model, &c.region) {
        (Some(m), Some(r)) => format!("{}\n{m}\n@ {r}", c.id),
        (Some(m), None) => format!("{}\n{m}", c.id),
        _ => c.id.clone(),
    }
}

fn finding_cell(c: &CheckResult) -> String {
    if c.findings.is_empty() {
        return c.summary.clone();
    }
    c.findings
        .iter()
        .map(|f| match &f.muted {
            Some(why) => format!("{}: {} (muted: {why})", f.cause.code().dimmed(), f.summary),
            None => format!("{}: {}", f.cause.code().bold(), f.summary),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first step of each finding's fix; long ones (policies) continue in the details.
fn fix_cell(c: &CheckResult) -> String {
    c.findings
        .iter()
        .filter_map(|f| f.remediation.first())
        .map(|step| match step.split_once('\n') {
            Some((first, _)) => format!("{first} (below)"),
            None => step.clone(),
        })
        .collect::<Vec<_>>()
        .join("\n")
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

fn overview(report: &Report, style: &Style) -> String {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_HORIZONTAL_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(style.width.unwrap_or(FALLBACK_WIDTH))
        .set_header(vec!["STATUS", "MODEL", "VERDICT", "NOTE"]);
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
            .map(|f| f.summary.clone())
            .next()
            .unwrap_or_default();
        table.add_row(vec![mark(worst), m.clone(), word, note]);
    }
    let counts: Vec<String> = tally.iter().map(|(w, n)| format!("{n} {w}")).collect();
    format!(
        "{table}
{} models: {}
",
        report.target.models.len(),
        counts.join(", ")
    )
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
fn hanging_at(out: &mut String, lead: &str, indent: usize, text: &str, width: usize) {
    let first_room = width.saturating_sub(visible_len(lead)).max(20);
    let room = width.saturating_sub(indent).max(20);
    let mut line = String::new();
    let mut first = true;
    let mut flush = |line: &mut String, first: &mut bool| {
        let pad = if *first {
            lead.to_string()
        } else {
            " ".repeat(indent)
        };
        let _ = writeln!(out, "{pad}{line}");
        line.clear();
        *first = false;
    };
    for word in text.split(' ') {
        let limit = if first { first_room } else { room };
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > limit {
            flush(&mut line, &mut first);
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || first {
        flush(&mut line, &mut first);
    }
}

pub fn render(report: &Report, style: &Style) -> String {
    let mut out = String::new();
    if let Some(sim) = &report.simulation {
        let _ = writeln!(
            out,
            "{}",
            format!("SIMULATION: scenario `{sim}` on a local simulator, not a real AWS account")
                .yellow()
                .bold()
        );
    }
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_HORIZONTAL_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(style.width.unwrap_or(FALLBACK_WIDTH))
        .set_header(vec!["STATUS", "CHECK", "FINDING", "FIX"]);
    let many = report.target.models.len() >= OVERVIEW_MIN_MODELS;
    // Checks skipped because one they wait for did not answer or failed: one row per reason
    // (every one with -v).
    let mut waited: Vec<(String, Vec<String>)> = Vec::new();
    let mut rows = 0;
    for c in &report.checks {
        // With many models, each model gets one overview row below instead.
        let passing = matches!(c.status, Status::Pass | Status::Skip);
        if (passing && style.quiet) || (many && c.model.is_some()) {
            continue;
        }
        if !style.verbose && is_waiting(c) {
            match waited.iter_mut().find(|(why, _)| *why == c.summary) {
                Some((_, ids)) if !ids.contains(&c.id) => ids.push(c.id.clone()),
                Some(_) => {}
                None => waited.push((c.summary.clone(), vec![c.id.clone()])),
            }
            continue;
        }
        rows += 1;
        table.add_row(vec![
            mark(c.status),
            check_label(c),
            finding_cell(c),
            fix_cell(c),
        ]);
    }
    for (why, ids) in &waited {
        rows += 1;
        table.add_row(vec![
            mark(Status::Skip),
            ids.join("\n"),
            why.clone(),
            String::new(),
        ]);
    }
    // -q with nothing to show prints no empty table.
    if rows > 0 {
        let _ = writeln!(out, "{table}");
    }
    if many {
        let _ = write!(out, "\n{}", overview(report, style));
    }

    for c in &report.checks {
        let has_details = style.verbose && !c.details.is_empty();
        // In the overview the per-model details are one -v away.
        let summarised = many && c.model.is_some() && !style.verbose;
        if (c.findings.is_empty() && !has_details) || summarised {
            continue;
        }
        let model = c
            .model
            .as_ref()
            .map(|m| format!(" [{m}]"))
            .unwrap_or_default();
        let width = usize::from(style.width.unwrap_or(FALLBACK_WIDTH));
        out.push('\n');
        hanging_at(
            &mut out,
            &format!("{} {}{}: ", mark(c.status), c.id.bold(), model),
            4,
            &c.summary,
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
                    hanging_at(&mut out, &lead, 4, &f.summary, width);
                }
            }
            for e in &f.evidence {
                hanging(&mut out, "    seen: ", e, width);
            }
            for (i, step) in f.remediation.iter().enumerate() {
                // A policy after the first line stays as it is, to be copied.
                let mut lines = step.lines();
                hanging(
                    &mut out,
                    &format!("    fix {}. ", i + 1),
                    lines.next().unwrap_or(""),
                    width,
                );
                for more in lines {
                    let _ = writeln!(out, "           {more}");
                }
            }
            for d in &f.docs {
                let _ = writeln!(out, "    docs: {}", d.dimmed());
            }
        }
    }

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
    out
}
