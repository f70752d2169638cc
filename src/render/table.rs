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
    match &c.model {
        Some(m) => format!("{}\n{}", c.id, m),
        None => c.id.clone(),
    }
}

fn finding_cell(c: &CheckResult) -> String {
    if c.findings.is_empty() {
        return c.summary.clone();
    }
    c.findings
        .iter()
        .map(|f| format!("{}: {}", f.cause.code().bold(), f.summary))
        .collect::<Vec<_>>()
        .join("\n")
}

fn fix_cell(c: &CheckResult) -> String {
    c.findings
        .iter()
        .filter_map(|f| f.remediation.first().cloned())
        .collect::<Vec<_>>()
        .join("\n")
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
    for c in &report.checks {
        if style.quiet && c.status == Status::Pass {
            continue;
        }
        table.add_row(vec![
            mark(c.status),
            check_label(c),
            finding_cell(c),
            fix_cell(c),
        ]);
    }
    let _ = writeln!(out, "{table}");

    for c in &report.checks {
        let has_details = style.verbose && !c.details.is_empty();
        if c.findings.is_empty() && !has_details {
            continue;
        }
        let model = c
            .model
            .as_ref()
            .map(|m| format!(" [{m}]"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "\n{} {}{}: {}",
            mark(c.status),
            c.id.bold(),
            model,
            c.summary
        );
        if style.verbose {
            for d in &c.details {
                let _ = writeln!(out, "    · {d}");
            }
        }
        for f in &c.findings {
            let _ = writeln!(out, "  {} {}", f.cause.code().bold(), f.summary);
            for e in &f.evidence {
                let _ = writeln!(out, "    seen: {e}");
            }
            for (i, step) in f.remediation.iter().enumerate() {
                let mut lines = step.lines();
                let _ = writeln!(out, "    fix {}. {}", i + 1, lines.next().unwrap_or(""));
                for more in lines {
                    let _ = writeln!(out, "           {more}");
                }
            }
            for d in &f.docs {
                let _ = writeln!(out, "    docs: {}", d.dimmed());
            }
        }
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
