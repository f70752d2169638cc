//! `app` (only with `--app`): the application's own Bedrock settings. They are read before
//! the checks start (src/apps), because they decide the run: the region, the models, the
//! variables (an API key, a profile) and the call shape. This check reports where each
//! setting came from and what is wrong in the settings themselves; what the account says
//! about those models is the other checks' to find, and [`join`] names on their findings the
//! setting to change.

use super::credentials::CredentialInfo;
use super::{fixes, Ctx};
use crate::apps::{Api, ModelChoice, Plan, Problem};
use crate::causes::Cause;
use crate::report::{CheckResult, Finding, Severity};
use crate::runner::{CheckFuture, Outcome};

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move {
        let Some(plan) = &ctx.env.app else {
            return Outcome::skip("not applicable: no --app");
        };
        let region = ctx.env.setup.region.clone();
        let invoke = plan.models.iter().filter(|m| m.api == Api::Invoke).count();
        let call = match (plan.stream, invoke) {
            (true, n) if n == plan.models.len() => "streaming with InvokeModelWithResponseStream",
            (true, 0) => "streaming with ConverseStream",
            (true, _) => "streaming with ConverseStream and InvokeModelWithResponseStream",
            (false, n) if n == plan.models.len() => "with InvokeModel",
            (false, 0) => "with Converse",
            (false, _) => "with Converse and InvokeModel",
        };
        let checked = ctx.env.model_regions();
        let models: usize = checked.iter().map(|r| ctx.env.models_for(r).len()).sum();
        let mut out = Outcome::pass(format!(
            "{} calls Bedrock in {}, {models} model(s), {call}",
            plan.app,
            checked.join(", "),
        ));
        if let Some(r) = &region {
            out = out.detail(format!("region {} from {}", r.value, r.source));
        }
        for m in &plan.models {
            let region = m.region.as_deref().unwrap_or(ctx.region());
            let id = m.id(region);
            let api = match m.api {
                Api::Invoke => "InvokeModel",
                Api::Converse => "Converse",
            };
            out = out.detail(format!(
                "{}: {id} in {region} with {api} ({})",
                m.role, m.source
            ));
        }
        if let Some(p) = &plan.profile {
            out = out.detail(format!("profile {} from {}", p.value, p.source));
        }
        for s in &plan.settings {
            out = out.detail(format!("{}={} from {}", s.name, s.value, s.source));
        }
        for c in &plan.credential_commands {
            out = out.detail(format!(
                "{}: `{}` ({})",
                c.name,
                crate::apps::mask_command(&c.value),
                c.source
            ));
        }
        for n in &plan.notes {
            out = out.detail(n.clone());
        }
        for p in &plan.problems {
            out = out.finding(finding(plan, p));
        }
        if let Some(r) = &region {
            let falls_back = plan
                .region_fallback
                .as_ref()
                .is_some_and(|f| f.source == r.source);
            // Only a trap when a model is called in the run's own region.
            let used = plan.models.iter().any(|m| m.region.is_none());
            match &plan.profile_region_trap {
                Some(trap) if used && r.source.contains("~/.aws/config") => {
                    out = out.finding(
                        Finding::new(
                            Cause::RegionMissing,
                            Severity::Warning,
                            format!(
                                "{}'s region {} comes only from ~/.aws/config: {trap}",
                                plan.app, r.value
                            ),
                        )
                        .evidence(format!("region {} from {}", r.value, r.source))
                        .fixes(fixes(
                            "app",
                            "region-from-profile",
                            &[("region", &r.value), ("setting", &plan.region_setting)],
                        )),
                    );
                }
                _ if used && falls_back => {
                    out = out.finding(
                        Finding::new(
                            Cause::RegionMissing,
                            Severity::Warning,
                            format!(
                                "nothing sets {}'s region: it calls Bedrock in {}, its default",
                                plan.app, r.value
                            ),
                        )
                        .evidence(r.source.clone())
                        .fixes(fixes(
                            "app",
                            "region-default",
                            &[("setting", &plan.region_setting)],
                        )),
                    );
                }
                _ => {}
            }
        }
        // Temporary credentials nothing renews by itself: exported session keys and SSO
        // sessions (the SDK renews instance, container, web-identity and assumed-role ones).
        let temporary = ctx.facts.get::<CredentialInfo>().is_some_and(|c| {
            c.temporary
                && (c.source.starts_with("environment variables")
                    || c.source.starts_with("profile `")
                    || c.source.starts_with("SSO"))
        });
        if plan.renews_with_commands
            && temporary
            && plan.credential_commands.is_empty()
            && ctx.env.setup.api_key.is_none()
        {
            let profile = ctx.env.setup.profile_name().unwrap_or("default");
            out = out.finding(
                Finding::new(
                    Cause::CredentialsExpired,
                    Severity::Warning,
                    format!("{} runs on temporary credentials and has no command to renew them: when they expire, every call fails until it is restarted", plan.app),
                )
                .evidence("the credentials carry a session token; no awsAuthRefresh or awsCredentialExport is set in any settings file")
                .fixes(fixes("app", "no-refresh", &[("profile", profile)])),
            );
        }
        if !out.findings.is_empty() {
            if let Some(worst) = out
                .findings
                .iter()
                .filter(|f| f.severity != Severity::Info)
                .max_by_key(|f| f.severity)
            {
                out.summary = worst.summary.clone();
            }
        }
        out
    })
}

/// A problem of the settings, in words, with its fix.
fn finding(plan: &Plan, problem: &Problem) -> Finding {
    let app = plan.app;
    let settings = |severity, summary: String, evidence: String| {
        Finding::new(Cause::AppMisconfigured, severity, summary).evidence(evidence)
    };
    match problem {
        Problem::FileUnreadable { file, error } => settings(
            Severity::Error,
            format!("{app}'s settings file {file} cannot be read"),
            error.clone(),
        )
        .fixes(fixes("app", "file-unreadable", &[("file", file)])),
        Problem::FileNotJson {
            file,
            line,
            column,
            error,
        } => settings(
            Severity::Error,
            format!("{app}'s settings file {file} is not valid JSON (line {line}, column {column})"),
            format!("{file}:{line}:{column}: {error}"),
        )
        .fixes(fixes(
            "app",
            "file-not-json",
            &[("file", file), ("line", &line.to_string())],
        )),
        Problem::FileNotObject { file } => settings(
            Severity::Error,
            format!("{app}'s settings file {file} is not a JSON object"),
            "a settings file holds one JSON object, with the variables in its \"env\" object".into(),
        )
        .fixes(fixes("app", "file-not-json", &[("file", file), ("line", "1")])),
        Problem::BedrockOff { seen, mantle, file } => settings(
            Severity::Error,
            if *mantle {
                format!("{app} is set to use Bedrock's Mantle endpoint, not bedrock-runtime, which is what the doctor checks")
            } else {
                format!("{app} will not call Bedrock: CLAUDE_CODE_USE_BEDROCK is not on")
            },
            seen.clone(),
        )
        .fixes(fixes("app", "bedrock-off", &[("file", file)])),
        Problem::RegionNotARegion {
            name,
            value,
            source,
        } => Finding::new(
            Cause::RegionMissing,
            Severity::Error,
            format!("{name}=`{value}` is not a region name: {app} ignores it"),
        )
        .evidence(format!("{name} in {source}"))
        .fixes(fixes(
            "app",
            "region-not-a-region",
            &[("name", name), ("source", source)],
        )),
        Problem::CommandMissing {
            key,
            program,
            command,
            source,
        } => settings(
            Severity::Error,
            format!("{key} runs `{program}`, which is not on this machine's PATH: {app} cannot renew its credentials"),
            format!("{source}: `{}`", crate::apps::mask_command(command)),
        )
        .fixes(fixes(
            "app",
            "command-missing",
            &[("program", program), ("source", source)],
        )),
        Problem::Unresolved {
            setting,
            variable,
            source,
        } => settings(
            Severity::Error,
            format!("{setting} is os.environ/{variable}, which is not set: {app} cannot use the entry as written"),
            format!("{source}: {setting}: os.environ/{variable}; {variable} is not in the environment"),
        )
        .fixes(fixes(
            "app",
            "variable-unset",
            &[("variable", variable), ("source", source)],
        )),
        Problem::Deprecated {
            name,
            instead,
            value,
            source,
        } => settings(
            Severity::Info,
            format!("{name} is deprecated: {app} reads {instead} instead"),
            format!("{name}=`{value}` in {source}"),
        )
        .fixes(fixes(
            "app",
            "deprecated",
            &[("name", name), ("instead", instead), ("source", source)],
        )),
    }
}

/// On the model checks' findings about the model id itself, the line to change: the
/// application's setting that names it (or that it is the application's default).
pub fn join(results: &mut [CheckResult], plan: &Plan, run_region: &str) {
    const ABOUT_THE_ID: [Cause; 5] = [
        Cause::ModelIdInvalid,
        Cause::InferenceProfileRequired,
        Cause::ModelNotInRegion,
        Cause::ModelEndOfLife,
        Cause::ModelLegacy,
    ];
    for r in results.iter_mut() {
        let Some(model) = r.model.clone() else {
            continue;
        };
        let region = r.region.clone().unwrap_or_else(|| run_region.to_string());
        let uses = plan.uses_of(&model, &region, run_region);
        for f in r.findings.iter_mut() {
            if !ABOUT_THE_ID.contains(&f.cause) {
                // Not the id's fault, but which of the application's uses it hits.
                for u in &uses {
                    let line = format!("{} calls it for its {} ({})", plan.app, u.role, u.source);
                    if !f.evidence.contains(&line) {
                        f.evidence.push(line);
                    }
                }
                continue;
            }
            for u in &uses {
                let lines = match u.choice {
                    ModelChoice::Given(_) => fixes(
                        "app",
                        "model-set-here",
                        &[("app", plan.app), ("role", &u.role), ("source", &u.source)],
                    ),
                    ModelChoice::Default(_) => fixes(
                        "app",
                        "model-is-default",
                        &[("app", plan.app), ("role", &u.role), ("model", &model)],
                    ),
                };
                for l in lines.into_iter().rev() {
                    if !f.remediation.contains(&l) {
                        f.remediation.insert(0, l);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::AppModel;
    use crate::report::Status;

    fn row(model: &str, cause: Cause) -> CheckResult {
        CheckResult {
            id: "model-catalog".into(),
            title: String::new(),
            model: Some(model.into()),
            region: None,
            status: Status::Fail,
            summary: String::new(),
            details: vec![],
            findings: vec![Finding::new(cause, Severity::Error, "x").fix("the check's own fix")],
            duration_ms: 0,
            shape: None,
        }
    }

    #[test]
    fn findings_about_the_model_id_name_the_setting_that_chose_it() {
        let plan = Plan {
            app: "Claude Code",
            env: Default::default(),
            region: None,
            region_fallback: None,
            region_setting: String::new(),
            profile_region_trap: None,
            renews_with_commands: true,
            models: vec![
                AppModel {
                    role: "main model".into(),
                    choice: ModelChoice::Given("anthropic.claude-sonnet-4-6".into()),
                    source: "ANTHROPIC_MODEL in the env block of .claude/settings.json".into(),
                    region: None,
                    api: Api::Invoke,
                },
                AppModel {
                    role: "background tasks".into(),
                    choice: ModelChoice::Default(|r| format!("{r}-default")),
                    source: "its default".into(),
                    region: None,
                    api: Api::Invoke,
                },
            ],
            profile: None,
            stream: true,
            settings: vec![],
            problems: vec![],
            notes: vec![],
            credential_commands: vec![],
        };
        let mut results = vec![
            row(
                "anthropic.claude-sonnet-4-6",
                Cause::InferenceProfileRequired,
            ),
            row("anthropic.claude-sonnet-4-6", Cause::IamExplicitDeny),
            row("us-west-2-default", Cause::ModelLegacy),
            row("another-model", Cause::ModelIdInvalid),
        ];
        join(&mut results, &plan, "us-west-2");
        let fix = |i: usize| results[i].findings[0].remediation.clone();
        assert!(
            fix(0)[0].contains("change ANTHROPIC_MODEL in the env block of .claude/settings.json")
        );
        assert_eq!(fix(0).len(), 2, "the check's own fix stays");
        assert_eq!(
            fix(1),
            vec!["the check's own fix"],
            "a permission is not the id's fault"
        );
        assert_eq!(
            results[1].findings[0].evidence,
            vec!["Claude Code calls it for its main model (ANTHROPIC_MODEL in the env block of .claude/settings.json)"]
        );
        assert!(fix(2)[0].contains("because nothing pins a model"));
        assert_eq!(
            fix(3),
            vec!["the check's own fix"],
            "a model the app does not call"
        );
    }
}
