//! SARIF 2.1.0: one rule per cause code (its remediation as help text), one result per
//! finding, logically located at the check (and model). Built with serde-sarif's types.

use crate::causes::Cause;
use crate::report::{Report, Severity};
use serde_sarif::sarif::{
    Location, LogicalLocation, Message, MultiformatMessageString, ReportingDescriptor,
    Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};
use std::collections::BTreeMap;

fn text(s: impl Into<String>) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s.into()).build()
}

pub fn render(report: &Report) -> String {
    // One rule per cause code that occurs, with the remediation of its first finding.
    let mut rules: BTreeMap<Cause, ReportingDescriptor> = BTreeMap::new();
    let mut results = Vec::new();
    // With --accounts, each finding's logical location starts with its account.
    let located = report
        .checks
        .iter()
        .map(|c| (None, c))
        .chain(report.accounts.iter().flat_map(|a| {
            a.report
                .checks
                .iter()
                .map(move |c| (Some(a.id.as_str()), c))
        }))
        .flat_map(|(account, c)| c.findings.iter().map(move |f| (account, c, f)));
    for (account, c, f) in located {
        rules.entry(f.cause).or_insert_with(|| {
            let help = f
                .remediation
                .iter()
                .enumerate()
                .map(|(i, s)| format!("{}. {s}", i + 1))
                .collect::<Vec<_>>()
                .join("\n");
            let mut rule = ReportingDescriptor::builder()
                .id(f.cause.code())
                .name(f.cause.code())
                .short_description(text(f.cause.title()))
                .full_description(text(format!(
                    "bedrock-doctor cause `{}`: {}",
                    f.cause.code(),
                    f.cause.title()
                )))
                .help(text(help))
                .build();
            if let Some(doc) = f.docs.first() {
                rule.help_uri = Some(doc.clone());
            }
            rule
        });
        let level = match f.severity {
            Severity::Error => ResultLevel::Error,
            Severity::Warning => ResultLevel::Warning,
            Severity::Info => ResultLevel::Note,
        };
        let check = match &c.model {
            Some(m) => format!("{}/{m}", c.id),
            None => c.id.clone(),
        };
        let where_ = match account {
            Some(id) => format!("{id}/{check}"),
            None => check,
        };
        let mut message = f.summary.clone();
        for e in &f.evidence {
            message.push_str(&format!("\nseen: {e}"));
        }
        for (i, step) in f.remediation.iter().enumerate() {
            message.push_str(&format!("\nfix {}. {step}", i + 1));
        }
        let location = Location::builder()
            .logical_locations(vec![LogicalLocation::builder()
                .fully_qualified_name(where_.clone())
                .name(where_)
                .kind("module")
                .build()])
            .build();
        let mut result = SarifResult::builder()
            .rule_id(f.cause.code())
            .message(Message::builder().text(message).build())
            .level(level)
            .locations(vec![location])
            .build();
        // A muted finding is suppressed outside the code, by the config file: SARIF's
        // "external" suppression, with the mute's reason (SARIF 2.1.0, 3.35 suppression).
        if let Some(reason) = &f.muted {
            result.suppressions = Some(vec![serde_sarif::sarif::Suppression::builder()
                .kind(serde_json::json!("external"))
                .justification(reason.clone())
                .build()]);
        }
        results.push(result);
    }
    let driver = ToolComponent::builder()
        .name("bedrock-doctor")
        .version(report.version.clone())
        .information_uri("https://github.com/bedrock-doctor/bedrock-doctor")
        .rules(rules.into_values().collect::<Vec<_>>())
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .build();
    let sarif = Sarif::builder()
        .version(serde_json::json!("2.1.0"))
        .schema(serde_sarif::sarif::SCHEMA_URL)
        .runs(vec![run])
        .build();
    let mut out =
        serde_json::to_string_pretty(&sarif).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
}
