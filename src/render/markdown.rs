//! Markdown for a GitHub step summary or a PR comment: a table, then each finding's fix.

use crate::report::{CheckResult, Report, Status};

fn mark(s: Status) -> &'static str {
    match s {
        Status::Pass => "✅ pass",
        Status::Warn => "⚠️ warn",
        Status::Fail => "❌ fail",
        Status::Error => "❔ error",
        Status::Skip => "➖ skip",
    }
}

/// Table cells cannot hold pipes or newlines.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn render(report: &Report) -> String {
    let mut out = String::from("## bedrock-doctor\n\n");
    if let Some(sim) = &report.simulation {
        out.push_str(&format!(
            "> **Simulation**: scenario `{sim}` on a local simulator, not a real AWS account.\n\n"
        ));
    }
    let s = &report.summary;
    out.push_str(&format!(
        "**{} pass, {} warn, {} fail, {} error, {} skip** · region `{}`{}\n\n",
        s.pass,
        s.warn,
        s.fail,
        s.error,
        s.skip,
        report.target.region.as_deref().unwrap_or("none"),
        report
            .target
            .account
            .as_ref()
            .map(|a| format!(" · account `{a}`"))
            .unwrap_or_default()
    ));
    for n in &report.notices {
        out.push_str(&format!("> **Notice**: {n}\n\n"));
    }
    if report.is_accounts_run() {
        accounts(&mut out, report);
        return out;
    }
    checks(&mut out, &report.checks, "###");
    out
}

/// `--accounts`: the account x model matrix, then each account with findings, its checks
/// that did not pass and how to fix them.
fn accounts(out: &mut String, report: &Report) {
    out.push_str("| account | account checks |");
    for m in &report.target.models {
        out.push_str(&format!(" `{}` |", cell(m)));
    }
    out.push_str("\n| --- | --- |");
    out.push_str(&" --- |".repeat(report.target.models.len()));
    out.push('\n');
    for a in &report.accounts {
        out.push_str(&format!(
            "| `{}`{} |",
            a.id,
            a.name
                .as_ref()
                .map(|n| format!(" {}", cell(n)))
                .unwrap_or_default(),
        ));
        for verdict in super::table::matrix_cells(&a.report, &report.target.models, "—") {
            out.push_str(&format!(" {} |", cell(&verdict)));
        }
        out.push('\n');
    }
    if !report.checks.is_empty() {
        out.push_str("\n### The organization\n\n");
        checks(out, &report.checks, "####");
    }
    for a in &report.accounts {
        let failing: Vec<CheckResult> = a
            .report
            .checks
            .iter()
            .filter(|c| !c.findings.is_empty())
            .cloned()
            .collect();
        if failing.is_empty() {
            continue;
        }
        let name = a
            .name
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        out.push_str(&format!("\n### Account `{}`{name}\n\n", a.id));
        checks(out, &failing, "####");
    }
}

/// The table of checks, then each finding's fix under `level` headings.
fn checks(out: &mut String, checks: &[CheckResult], level: &str) {
    out.push_str("| status | check | finding |\n| --- | --- | --- |\n");
    for c in checks {
        let name = match &c.model {
            Some(m) => format!("`{}` `{m}`", c.id),
            None => format!("`{}`", c.id),
        };
        let finding = match c.findings.first() {
            Some(f) if f.muted.is_some() => format!(
                "`{}` {} (muted: {})",
                f.cause.code(),
                f.summary,
                f.muted.as_deref().unwrap_or("")
            ),
            Some(f) => format!("`{}` {}", f.cause.code(), f.summary),
            None => c.summary.clone(),
        };
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            mark(c.status),
            name,
            cell(&finding)
        ));
    }
    let findings: Vec<_> = checks
        .iter()
        .flat_map(|c| c.findings.iter().map(move |f| (c, f)))
        .collect();
    if !findings.is_empty() {
        out.push_str(&format!("\n{level} How to fix\n"));
    }
    for (c, f) in findings {
        let model = c
            .model
            .as_ref()
            .map(|m| format!(" `{m}`"))
            .unwrap_or_default();
        out.push_str(&format!(
            "\n<details><summary><code>{}</code> ({}{model}): {}</summary>\n\n",
            f.cause.code(),
            c.id,
            f.summary
        ));
        for e in &f.evidence {
            out.push_str(&format!("- seen: {e}\n"));
        }
        let first_of_check = c.findings.first().is_some_and(|g| std::ptr::eq(g, f));
        if let Some(shape) = c.shape.as_ref().filter(|_| first_of_check) {
            out.push_str(&format!(
                "\n```\n{}\n```\n",
                super::shape_lines(shape).join("\n")
            ));
        }
        out.push('\n');
        for (i, step) in f.remediation.iter().enumerate() {
            if step.contains('\n') {
                let (first, rest) = step.split_once('\n').unwrap_or((step, ""));
                out.push_str(&format!("{}. {first}\n\n```json\n{rest}\n```\n", i + 1));
            } else {
                out.push_str(&format!("{}. {step}\n", i + 1));
            }
        }
        for d in &f.docs {
            out.push_str(&format!("\n[docs]({d})\n"));
        }
        out.push_str("\n</details>\n");
    }
}
