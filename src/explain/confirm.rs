//! `explain --confirm`: from a pasted error to a verified cause. The offline classification
//! gives the candidate causes; what the message names (model, region, caller) aims the doctor;
//! only the checks that can report a candidate run; each candidate comes back confirmed,
//! ruled out (with the evidence) or not checkable (with what stopped it).

use crate::causes::Cause;
use crate::cli::{Cli, ExplainArgs};
use crate::knowledge::Classification;
use crate::report::{Report, Status};
use clap::Parser;
use serde::{Deserialize, Serialize};

/// What the account said about one candidate cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CauseVerdict {
    /// A cause code of docs/causes.md.
    pub code: String,
    /// `confirmed`, `ruled-out` or `could-not-check`.
    pub verdict: String,
    /// True when the text did not suggest it and the account showed it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub found_beyond_the_text: bool,
    /// True when the text did not name it, but the same exception often stands for it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub same_exception: bool,
    /// The checks' words: the finding, what they saw, or what stopped them.
    pub evidence: Vec<String>,
    /// For a confirmed cause: the fix, from the finding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fix: Vec<String>,
}

/// The `confirm` object of `explain --confirm --output json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confirmation {
    /// One line: the confirmed root cause and its fix, or what to look at next.
    pub conclusion: String,
    /// Candidates in the text's order, then causes the account showed beyond them.
    pub causes: Vec<CauseVerdict>,
    /// Where the message and the local setup differ, and facts the message lacked.
    pub notes: Vec<String>,
    /// The checks that ran.
    pub checks: Vec<String>,
}

/// What the run is aimed at, and why.
struct Aim {
    argv: Vec<String>,
    notes: Vec<String>,
    checks: Vec<String>,
}

/// The causes that surface as the same exception (docs/causes.md: "the same
/// AccessDeniedException can be ..."): checked too, so the answer can rule them out.
fn siblings(c: &Classification) -> Vec<Cause> {
    let e = &c.extracted;
    let exception = e
        .exception
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let status = e.http_status.as_deref().unwrap_or_default();
    let codes: &[&str] = if exception.contains("accessdenied") || status == "403" {
        &[
            "iam-not-authorized",
            "iam-explicit-deny",
            "permissions-boundary-deny",
            "scp-deny",
            "model-access-not-granted",
            "marketplace-subscription",
        ]
    } else if exception.contains("resourcenotfound") || status == "404" {
        &[
            "model-id-invalid",
            "model-end-of-life",
            "use-case-form-required",
            "model-not-in-region",
        ]
    } else if exception.contains("validation") || status == "400" {
        &[
            "model-id-invalid",
            "inference-profile-required",
            "model-not-in-region",
            "model-end-of-life",
        ]
    } else if exception.contains("throttl") || status == "429" {
        // per-minute quotas, a daily one, or a new account's quota of 0
        &["throttled", "quota-headroom-low", "account-restricted"]
    } else {
        &[]
    };
    codes.iter().filter_map(|c| c.parse().ok()).collect()
}

/// The candidates: the text's causes first, then the siblings of its exception.
fn candidates(c: &Classification) -> Vec<(Cause, bool)> {
    let mut out: Vec<(Cause, bool)> = c.causes.iter().map(|r| (r.cause, false)).collect();
    for s in siblings(c) {
        if !out.iter().any(|(c, _)| *c == s) {
            out.push((s, true));
        }
    }
    out
}

/// Causes only a real call shows in full: the account's restriction, the service's or the
/// model's state, what the request itself carries (the other checks see some of them, e.g.
/// a quota of 0, but not all).
const SEEN_BY_CALLING: [&str; 6] = [
    "account-restricted",
    "service-unavailable",
    "model-timeout",
    "content-filtered",
    "invalid-request-body",
    "input-too-long",
];

/// The checks that can report `cause`, from checks/*.toml.
/// The checks a plain run has that can confirm `cause`. Checks that need a flag (the guardrail
/// the application attaches) cannot run from a pasted message; a cause only they and the test
/// call report (a missing guardrail) cannot be judged without it, so no check is named.
fn checks_for(cause: Cause) -> Vec<&'static str> {
    let reporting: Vec<&crate::checks::Check> = crate::checks::all()
        .iter()
        .filter(|c| c.meta.causes.contains(&cause))
        .collect();
    let plain: Vec<&'static str> = reporting
        .iter()
        .filter(|c| c.meta.only_with.is_none())
        .map(|c| c.meta.id.as_str())
        .collect();
    let needs_flag = reporting.iter().any(|c| c.meta.only_with.is_some());
    if needs_flag && plain == ["invoke"] {
        return Vec::new();
    }
    plain
}

fn aim(args: &ExplainArgs, c: &Classification) -> Aim {
    let e = &c.extracted;
    let mut notes = Vec::new();
    let mut argv: Vec<String> = vec!["bedrock-doctor".into(), "--output".into(), "json".into()];
    let set = |argv: &mut Vec<String>, flag: &str, value: &str| {
        argv.push(flag.into());
        argv.push(value.into());
    };
    // Flags win over what the message says; a difference is often the cause itself.
    let configured_region = crate::aws::ENV_REGION
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    match (&args.region, &e.region) {
        (Some(flag), Some(said)) if flag != said => {
            notes.push(format!(
                "the message names region {said}, but --region says {flag}: checking {flag}"
            ));
            set(&mut argv, "--region", flag);
        }
        (Some(flag), _) => set(&mut argv, "--region", flag),
        (None, Some(said)) => {
            if let Some(local) = configured_region.as_deref().filter(|l| *l != said) {
                notes.push(format!("the message names region {said}, but this shell is configured for {local}: the application may run in another region than you (checking {said})"));
            }
            set(&mut argv, "--region", said);
        }
        (None, None) => {
            notes.push("the message names no region: checking the configured one".into())
        }
    }
    // A denial on the Region-less model ARN comes from a call through a global profile.
    let said_model = match (&e.model_id, e.resource_arn.as_deref()) {
        (Some(m), Some(arn)) if arn.starts_with("arn:aws:bedrock:::foundation-model/") => {
            notes.push(format!("the denied resource is the Region-less model ARN: the call went through the global profile global.{m}"));
            Some(format!("global.{m}"))
        }
        (m, _) => m.clone(),
    };
    let model = match (&args.model, &said_model) {
        (Some(flag), Some(said)) if flag != said => {
            notes.push(format!(
                "the message names model {said}, but --model says {flag}: checking {flag}"
            ));
            Some(flag.clone())
        }
        (Some(flag), _) => Some(flag.clone()),
        (None, Some(said)) => Some(said.clone()),
        (None, None) => {
            notes.push("the message names no model: the model checks need --model".into());
            None
        }
    };
    if let Some(m) = &model {
        set(&mut argv, "--model", m);
    }
    let principal = args.principal.clone().or_else(|| {
        let p = e.principal_arn.clone()?;
        notes.push(format!(
            "evaluating the caller the message names, {p}, as --principal"
        ));
        Some(p)
    });
    if let Some(p) = &principal {
        set(&mut argv, "--principal", p);
    }
    if let Some(p) = &args.profile {
        set(&mut argv, "--profile", p);
    }
    if let Some(u) = &args.endpoint_url {
        set(&mut argv, "--endpoint-url", u);
    }
    set(
        &mut argv,
        "--timeout",
        &format!("{}s", args.timeout.as_secs().max(1)),
    );

    let mut checks: Vec<String> = Vec::new();
    for (cause, _) in candidates(c) {
        for id in checks_for(cause) {
            if !checks.iter().any(|c| c == id) {
                checks.push(id.to_string());
            }
        }
    }
    // The test call only when a cause the text suggests shows only in a real call.
    let invoke_only = c
        .causes
        .iter()
        .any(|r| SEEN_BY_CALLING.contains(&r.cause.code()) || checks_for(r.cause) == ["invoke"]);
    if args.no_invoke || !invoke_only {
        checks.retain(|c| c != "invoke");
        argv.push("--no-invoke".into());
    }
    if model.is_none() {
        checks.retain(|id| {
            crate::checks::all()
                .iter()
                .any(|c| c.meta.id == *id && c.meta.scope == crate::checks::Scope::Account)
        });
    }
    if !checks.is_empty() {
        set(&mut argv, "--only", &checks.join(","));
    }
    Aim {
        argv,
        notes,
        checks,
    }
}

/// Run the checks that can confirm or rule out the candidates, and judge each candidate.
pub fn confirm(args: &ExplainArgs, c: &Classification) -> Result<Confirmation, String> {
    let aim = aim(args, c);
    if aim.checks.is_empty() {
        return Ok(judge(c, None, aim));
    }
    let cli = Cli::try_parse_from(&aim.argv)
        .map_err(|e| e.to_string().lines().next().unwrap_or_default().to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let report = runtime
        .block_on(crate::doctor::run(
            &cli.doctor,
            &crate::aws::Environment::Process,
            &crate::doctor::Silent,
            None,
        ))
        .map_err(|e| e.0)?;
    Ok(judge(c, Some(&report), aim))
}

fn judge(c: &Classification, report: Option<&Report>, aim: Aim) -> Confirmation {
    let rows = report.map(|r| r.checks.as_slice()).unwrap_or_default();
    let found: Vec<(Cause, &crate::report::Finding, &str)> = rows
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (f.cause, f, r.id.as_str())))
        .collect();
    let mut causes: Vec<CauseVerdict> = Vec::new();
    for (candidate, sibling) in candidates(c) {
        let mut v = verdict_for(candidate, rows, &found, false);
        v.same_exception = sibling;
        causes.push(v);
    }
    // What the account showed that the text did not suggest: only when the text does not say
    // which exception it was (an AccessDenied cannot come from, say, an on-demand model id).
    let open_ended = siblings(c).is_empty();
    for (cause, _, _) in found.iter().filter(|_| open_ended) {
        if !causes.iter().any(|v| v.code == cause.code()) {
            causes.push(verdict_for(*cause, rows, &found, true));
        }
    }
    // A lifecycle fact the text only appended as a note (a Legacy model under an IAM denial)
    // may be true without explaining the message: it does not make the headline.
    let is_note = |v: &CauseVerdict| {
        c.causes
            .iter()
            .position(|r| r.cause.code() == v.code)
            .is_some_and(|i| i > 0 && c.causes[i].confidence == crate::knowledge::Confidence::Low)
    };
    let also = causes
        .iter()
        .find(|v| v.verdict == "confirmed" && is_note(v))
        .map(|v| format!(" (the account also shows {})", v.code))
        .unwrap_or_default();
    let conclusion = match causes
        .iter()
        .find(|v| v.verdict == "confirmed" && !is_note(v))
    {
        Some(v) => format!(
            "confirmed: {}{}",
            v.evidence.first().cloned().unwrap_or_else(|| v.code.clone()),
            v.fix
                .first()
                .map(|f| format!(". Fix: {}", f.lines().next().unwrap_or_default()))
                .unwrap_or_default()
        ),
        None => match causes.iter().find(|v| v.verdict == "could-not-check") {
            Some(v) => format!(
                "nothing confirmed; the most likely cause still open is {}: {}{also}",
                v.code,
                v.evidence.first().cloned().unwrap_or_default()
            ),
            None if causes.is_empty() => {
                "the text names no cause this doctor knows: see the offline answer above".into()
            }
            None => format!("every candidate was ruled out in this account and region: the failure may come from another region, identity or time (the application's own settings are the next place to look){also}"),
        },
    };
    Confirmation {
        conclusion,
        causes,
        notes: aim.notes,
        checks: aim.checks,
    }
}

fn verdict_for(
    cause: Cause,
    rows: &[crate::report::CheckResult],
    found: &[(Cause, &crate::report::Finding, &str)],
    beyond: bool,
) -> CauseVerdict {
    let hits: Vec<&(Cause, &crate::report::Finding, &str)> =
        found.iter().filter(|(c, _, _)| *c == cause).collect();
    if let Some((_, f, check)) = hits.first() {
        let mut evidence = vec![format!("{check}: {}", f.summary)];
        evidence.extend(f.evidence.iter().take(3).cloned());
        return CauseVerdict {
            code: cause.code().into(),
            verdict: "confirmed".into(),
            found_beyond_the_text: beyond,
            same_exception: false,
            evidence,
            fix: f.remediation.clone(),
        };
    }
    let able = checks_for(cause);
    let ran: Vec<&crate::report::CheckResult> = rows
        .iter()
        .filter(|r| able.contains(&r.id.as_str()))
        .collect();
    // Ruled out only when every check that can see it (the test call aside, which only
    // classifies what it is told) ran and had its say.
    let missing: Vec<&str> = able
        .iter()
        .copied()
        .filter(|id| *id != "invoke" && !ran.iter().any(|r| r.id == *id))
        .collect();
    // A check that does not apply rules its cause out; one that could not run, or waited on
    // one that did not establish what it needs, leaves the cause open (the test call's skip
    // aside: it only classifies what it is told).
    let judged: Vec<&&crate::report::CheckResult> =
        ran.iter().filter(|r| r.had_its_say()).collect();
    let stopped: Vec<&&crate::report::CheckResult> = ran
        .iter()
        .filter(|r| r.status == Status::Error || (r.id != "invoke" && !r.had_its_say()))
        .collect();
    let line =
        |r: &crate::report::CheckResult| format!("{}: {} ({})", r.id, r.summary, r.status.as_str());
    if !judged.is_empty() && stopped.is_empty() && missing.is_empty() {
        CauseVerdict {
            code: cause.code().into(),
            verdict: "ruled-out".into(),
            found_beyond_the_text: beyond,
            same_exception: false,
            evidence: judged.iter().map(|r| line(r)).collect(),
            fix: vec![],
        }
    } else {
        let mut evidence: Vec<String> = stopped.iter().map(|r| line(r)).collect();
        if able.is_empty() {
            evidence.push("no check of the doctor can see this cause against an account".into());
        } else if !missing.is_empty() || ran.is_empty() {
            let not_run: Vec<&str> = if missing.is_empty() {
                able.clone()
            } else {
                missing
            };
            evidence.push(format!(
                "not run: {} (per-model checks need the model: pass --model if the message names none; the test call runs only when a candidate needs it)",
                not_run.join(", ")
            ));
        }
        CauseVerdict {
            code: cause.code().into(),
            verdict: "could-not-check".into(),
            found_beyond_the_text: beyond,
            same_exception: false,
            evidence,
            fix: vec![],
        }
    }
}

/// The text rendering, after the offline answer.
pub fn render(c: &Confirmation, width: usize) -> String {
    let mut out = String::from("\nChecked against your account\n");
    for line in super::wrap(&c.conclusion, width.saturating_sub(2)) {
        out.push_str(&format!("  {line}\n"));
    }
    for n in &c.notes {
        for (i, line) in super::wrap(n, width.saturating_sub(4)).iter().enumerate() {
            out.push_str(&format!(
                "{} {line}\n",
                if i == 0 { "  note" } else { "      " }
            ));
        }
    }
    out.push('\n');
    for v in &c.causes {
        let label = match v.verdict.as_str() {
            "confirmed" => "CONFIRMED",
            "ruled-out" => "ruled out",
            _ => "could not check",
        };
        let beyond = if v.found_beyond_the_text {
            " (not suggested by the text)"
        } else if v.same_exception {
            " (the same exception often means this)"
        } else {
            ""
        };
        out.push_str(&format!("  {label:<16} {}{beyond}\n", v.code));
        for e in v.evidence.iter().take(3) {
            for (i, line) in super::wrap(e, width.saturating_sub(22)).iter().enumerate() {
                out.push_str(&format!(
                    "  {:<16}   {} {line}\n",
                    "",
                    if i == 0 { "-" } else { " " }
                ));
            }
        }
    }
    if !c.checks.is_empty() {
        out.push_str(&format!("\n  checks run: {}\n", c.checks.join(", ")));
    }
    out
}
