//! `--app claude-code`: Claude Code's Bedrock settings, resolved as Claude Code resolves them.
//! Facts, from Claude Code's documentation (code.claude.com/docs: amazon-bedrock, settings,
//! env-vars, model-config; read from the docs as published 2026-08-22, see
//! src/catalog/SOURCES.md "Claude Code"):
//! - settings files, highest first: managed (`/etc/claude-code/managed-settings.json` on
//!   Linux), `.claude/settings.local.json`, `.claude/settings.json`, `~/.claude/settings.json`
//!   (`$CLAUDE_CONFIG_DIR/settings.json` when set); an `env` block's variable wins over the
//!   shell's, and `""` unsets it;
//! - Bedrock is on with `CLAUDE_CODE_USE_BEDROCK=1`; the region is `AWS_REGION`, then
//!   `AWS_DEFAULT_REGION`, then the profile's `region`, then `us-east-1` (v2.1.172 on;
//!   v2.1.171 and earlier required `AWS_REGION` and never read ~/.aws); a value with a
//!   slash, dot or space is not a region and counts as unset;
//! - the main model: `ANTHROPIC_MODEL`, then the `model` setting, then
//!   `ANTHROPIC_DEFAULT_MODEL`, then the default (Opus 5 with the region's profile prefix);
//!   background tasks: `ANTHROPIC_DEFAULT_HAIKU_MODEL` (or the deprecated
//!   `ANTHROPIC_SMALL_FAST_MODEL`), else the main model when one was chosen, else the default
//!   Sonnet (4.5); `CLAUDE_CODE_SUBAGENT_MODEL` for subagents (`inherit` is unset); the
//!   prefix is `us.`/`eu.`/`apac.`/`us-gov.` by the region's name, else `global.`, and
//!   `ANTHROPIC_BEDROCK_REGION_PREFIX` chooses another;
//! - it calls the Invoke API, not Converse, and streams;
//! - `awsAuthRefresh` (runs when credentials fail) and `awsCredentialExport` (always runs
//!   when set; its output is the Bedrock client's credentials) are shell commands.

use super::{Api, App, AppModel, Files, Machine, ModelChoice, Plan, Problem, Setting};
use crate::aws::Sourced;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub struct ClaudeCode;

/// The variables that decide Claude Code's Bedrock calls, listed in the report when set.
const VARIABLES: &[&str] = &[
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_MANTLE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_BEARER_TOKEN_BEDROCK",
    "ANTHROPIC_MODEL",
    "ANTHROPIC_DEFAULT_MODEL",
    "ANTHROPIC_DEFAULT_OPUS_MODEL",
    "ANTHROPIC_DEFAULT_SONNET_MODEL",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL",
    "ANTHROPIC_SMALL_FAST_MODEL",
    "ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION",
    "CLAUDE_CODE_SUBAGENT_MODEL",
    "ANTHROPIC_BEDROCK_REGION_PREFIX",
    "ANTHROPIC_BEDROCK_BASE_URL",
    "CLAUDE_CODE_SKIP_BEDROCK_AUTH",
];

/// Variables whose values are secrets: named in the report, never shown.
const SECRET_VARIABLES: &[&str] = &[
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_BEARER_TOKEN_BEDROCK",
];

/// One settings file as Claude Code reads it.
struct SettingsFile {
    shown: String,
    object: serde_json::Map<String, Value>,
}

impl App for ClaudeCode {
    fn name(&self) -> &'static str {
        "Claude Code"
    }

    fn resolve(&self, machine: &Machine) -> Result<Plan, String> {
        let mut plan = Plan {
            app: self.name(),
            env: BTreeMap::new(),
            region: None,
            region_fallback: Some(Sourced {
                value: "us-east-1".into(),
                source:
                    "Claude Code's default: no AWS_REGION, AWS_DEFAULT_REGION or profile region"
                        .into(),
            }),
            region_setting: "an AWS_REGION entry in the env block of ~/.claude/settings.json"
                .into(),
            profile_region_trap: Some("Claude Code before v2.1.172 does not read it".into()),
            renews_with_commands: true,
            models: Vec::new(),
            profile: None,
            stream: true,
            settings: Vec::new(),
            problems: Vec::new(),
            notes: Vec::new(),
            credential_commands: Vec::new(),
        };
        let project = project_dir(machine)?;
        let files = read_files(machine, &project, &mut plan);

        // The env blocks, lowest precedence first, so the managed file's value stands.
        let mut env_source: BTreeMap<String, String> = BTreeMap::new();
        for f in &files {
            let Some(Value::Object(env)) = f.object.get("env") else {
                continue;
            };
            for (k, v) in env {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => continue,
                };
                plan.env.insert(k.clone(), text);
                env_source.insert(k.clone(), format!("the env block of {}", f.shown));
            }
        }
        for (k, v) in &plan.env {
            if k == "AWS_ACCESS_KEY_ID" {
                crate::secrets::register_key_id(v);
            } else if is_secret(k) {
                crate::secrets::register(v);
            }
        }
        // A variable as Claude Code sees it: its settings' env blocks over the shell.
        let var = |name: &str| -> Option<(String, String)> {
            match plan.env.get(name) {
                Some(v) if v.trim().is_empty() => None,
                Some(v) => Some((v.trim().to_string(), env_source[name].clone())),
                None => machine
                    .environment
                    .var(name)
                    .map(|v| (v.trim().to_string(), "the shell's environment".to_string())),
            }
        };
        // A scalar setting: the highest-precedence file that sets it.
        let setting = |key: &str| -> Option<(String, String)> {
            files.iter().rev().find_map(|f| {
                f.object
                    .get(key)
                    .and_then(Value::as_str)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (v.trim().to_string(), format!("`{key}` in {}", f.shown)))
            })
        };

        for name in VARIABLES {
            if let Some((value, source)) = var(name) {
                let value = if is_secret(name) || *name == "AWS_ACCESS_KEY_ID" {
                    "(set)".to_string()
                } else {
                    crate::secrets::mask_url_password(&value)
                };
                plan.settings.push(Setting {
                    name: name.to_string(),
                    value,
                    source,
                });
            }
        }

        let user_file = files
            .first()
            .map(|f| f.shown.clone())
            .unwrap_or_else(|| "~/.claude/settings.json".into());
        match var("CLAUDE_CODE_USE_BEDROCK") {
            Some((v, _)) if truthy(&v) => {}
            other => {
                // The file that turned it off, when one did.
                let file = other
                    .as_ref()
                    .and_then(|(_, s)| s.strip_prefix("the env block of "))
                    .map(str::to_string)
                    .unwrap_or_else(|| user_file.clone());
                let seen = other
                    .map(|(v, s)| format!("CLAUDE_CODE_USE_BEDROCK=`{v}` from {s}"))
                    .unwrap_or_else(|| {
                        "CLAUDE_CODE_USE_BEDROCK is set in no settings file and not in the shell"
                            .into()
                    });
                let mantle = var("CLAUDE_CODE_USE_MANTLE").is_some_and(|(v, _)| truthy(&v));
                plan.problems
                    .push(Problem::BedrockOff { seen, mantle, file });
            }
        }

        // The region: AWS_REGION, AWS_DEFAULT_REGION (each only when shaped like a region);
        // the profile's region and the default are the AWS setup's to find.
        for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            let Some((value, source)) = var(name) else {
                continue;
            };
            if value.contains(['/', '.', ' ']) || !crate::aws::region_looks_valid(&value) {
                plan.problems.push(Problem::RegionNotARegion {
                    name: name.to_string(),
                    value,
                    source,
                });
                continue;
            }
            plan.region = Some(Sourced {
                value,
                source: format!("{name} in {source}"),
            });
            break;
        }

        // The models.
        let prefix = match var("ANTHROPIC_BEDROCK_REGION_PREFIX") {
            Some((p, _)) if ["us", "eu", "apac", "jp", "au", "global"].contains(&p.as_str()) => {
                Some(p)
            }
            _ => None,
        };
        let default = |tier: Tier| -> (ModelChoice, String) {
            match &prefix {
                Some(p) => (
                    ModelChoice::Given(format!("{p}.{}", tier.bare_id())),
                    format!(
                        "Claude Code's default for {}, with ANTHROPIC_BEDROCK_REGION_PREFIX={p}",
                        tier.name()
                    ),
                ),
                None => (
                    ModelChoice::Default(tier.default_id()),
                    format!(
                        "Claude Code's default for {} (the region's profile prefix)",
                        tier.name()
                    ),
                ),
            }
        };
        // An alias (`opus`, `sonnet`, `haiku`) is the tier's variable, or its default.
        let choose = |value: String, source: String| -> (ModelChoice, String) {
            // `[1m]` asks for the 1M-token context; the model id is what precedes it.
            let value = value.strip_suffix("[1m]").unwrap_or(&value).to_string();
            if value.eq_ignore_ascii_case("default") {
                let (choice, default_source) = default(Tier::Opus);
                return (choice, format!("{source}, `default`: {default_source}"));
            }
            let Some(tier) = Tier::of_alias(&value) else {
                return (ModelChoice::Given(value), source);
            };
            match var(tier.variable()) {
                Some((id, from)) => (
                    ModelChoice::Given(id),
                    format!(
                        "{source}, the alias `{value}`: {} in {from}",
                        tier.variable()
                    ),
                ),
                None => {
                    let (choice, default_source) = default(tier);
                    (
                        choice,
                        format!("{source}, the alias `{value}`: {default_source}"),
                    )
                }
            }
        };
        let main = var("ANTHROPIC_MODEL")
            .map(|(v, s)| (v, format!("ANTHROPIC_MODEL in {s}")))
            .or_else(|| setting("model"))
            .or_else(|| {
                var("ANTHROPIC_DEFAULT_MODEL")
                    .map(|(v, s)| (v, format!("ANTHROPIC_DEFAULT_MODEL in {s}")))
            });
        let main_pinned = main.is_some();
        let opusplan = main
            .as_ref()
            .is_some_and(|(v, _)| v.eq_ignore_ascii_case("opusplan"));
        let (main_choice, main_source) = match main {
            Some((v, s)) => choose(v, s),
            None => default(Tier::Opus),
        };
        plan.models.push(called(
            "main model",
            main_choice.clone(),
            main_source.clone(),
        ));
        if opusplan {
            // Outside plan mode, `opusplan` works with the Sonnet tier.
            let (choice, source) =
                choose("sonnet".into(), format!("{main_source}, outside plan mode"));
            plan.models
                .push(called("main model outside plan mode", choice, source));
        }

        let background = if let Some((v, s)) = var("ANTHROPIC_DEFAULT_HAIKU_MODEL") {
            (
                ModelChoice::Given(v),
                format!("ANTHROPIC_DEFAULT_HAIKU_MODEL in {s}"),
            )
        } else if let Some((v, s)) = var("ANTHROPIC_SMALL_FAST_MODEL") {
            plan.problems.push(Problem::Deprecated {
                name: "ANTHROPIC_SMALL_FAST_MODEL".into(),
                instead: "ANTHROPIC_DEFAULT_HAIKU_MODEL".into(),
                value: v.clone(),
                source: s.clone(),
            });
            (
                ModelChoice::Given(v),
                format!("ANTHROPIC_SMALL_FAST_MODEL in {s}"),
            )
        } else if main_pinned {
            (main_choice, format!("the main model ({main_source})"))
        } else {
            default(Tier::Sonnet)
        };
        plan.models
            .push(called("background tasks", background.0, background.1));
        for tier in [Tier::Opus, Tier::Sonnet] {
            if let Some((v, s)) = var(tier.variable()) {
                plan.models.push(called(
                    format!("`/model {}`", tier.alias()),
                    ModelChoice::Given(v),
                    format!("{} in {s}", tier.variable()),
                ));
            }
        }
        if let Some((v, s)) = var("CLAUDE_CODE_SUBAGENT_MODEL").filter(|(v, _)| v != "inherit") {
            let (choice, source) = choose(v, format!("CLAUDE_CODE_SUBAGENT_MODEL in {s}"));
            plan.models.push(called("subagents", choice, source));
        }
        if let Some((value, source)) = setting("model") {
            plan.settings.push(Setting {
                name: "model".into(),
                value,
                source,
            });
        }

        // Credentials.
        for key in ["awsAuthRefresh", "awsCredentialExport"] {
            if let Some((command, source)) = setting(key) {
                if let Some(missing) = missing_program(&command, machine) {
                    plan.problems.push(Problem::CommandMissing {
                        key: key.into(),
                        program: missing,
                        command: command.clone(),
                        source: source.clone(),
                    });
                }
                plan.credential_commands.push(Setting {
                    name: key.into(),
                    value: command,
                    source,
                });
            }
        }
        if let Some(export) = plan
            .credential_commands
            .iter()
            .find(|c| c.name == "awsCredentialExport")
        {
            plan.notes.push(format!(
                "Claude Code's Bedrock client uses the credentials awsCredentialExport prints ({}); the doctor runs no command from a settings file, so it checked the credentials this shell resolves: to check that identity, export the credentials the command prints and run the doctor again",
                export.source
            ));
        }
        if let Some((url, s)) = var("ANTHROPIC_BEDROCK_BASE_URL") {
            let url = crate::secrets::mask_url_password(&url);
            plan.notes.push(format!(
                "Claude Code sends its Bedrock calls to {url} (ANTHROPIC_BEDROCK_BASE_URL from {s}), a gateway: the doctor checks the account behind it directly, as this machine's identity"
            ));
        }
        if let Some((r, s)) = var("ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION") {
            plan.notes.push(format!(
                "background tasks may be called in {r} (ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION from {s}); the doctor checks every model in the main region only: run it again with --region {r} and the background model as --model"
            ));
        }
        Ok(plan)
    }
}

/// A model Claude Code calls: always in the run's region, always with InvokeModel.
fn called(role: impl Into<String>, choice: ModelChoice, source: String) -> AppModel {
    AppModel {
        role: role.into(),
        choice,
        source,
        region: None,
        api: Api::Invoke,
    }
}

/// Claude Code's model tiers, with the defaults its documentation gives for Bedrock.
#[derive(Debug, Clone, Copy)]
enum Tier {
    Opus,
    Sonnet,
    Haiku,
}

impl Tier {
    fn of_alias(value: &str) -> Option<Tier> {
        match value.to_ascii_lowercase().as_str() {
            // opusplan: Opus while planning; the Sonnet tier otherwise, checked as `/model sonnet`.
            "opus" | "opusplan" => Some(Tier::Opus),
            "sonnet" => Some(Tier::Sonnet),
            "haiku" => Some(Tier::Haiku),
            _ => None,
        }
    }
    fn alias(self) -> &'static str {
        match self {
            Tier::Opus => "opus",
            Tier::Sonnet => "sonnet",
            Tier::Haiku => "haiku",
        }
    }
    fn name(self) -> &'static str {
        match self {
            Tier::Opus => "the main model (Opus 5)",
            Tier::Sonnet => "Sonnet (4.5)",
            Tier::Haiku => "Haiku (4.5)",
        }
    }
    fn variable(self) -> &'static str {
        match self {
            Tier::Opus => "ANTHROPIC_DEFAULT_OPUS_MODEL",
            Tier::Sonnet => "ANTHROPIC_DEFAULT_SONNET_MODEL",
            Tier::Haiku => "ANTHROPIC_DEFAULT_HAIKU_MODEL",
        }
    }
    fn bare_id(self) -> &'static str {
        match self {
            Tier::Opus => "anthropic.claude-opus-5",
            Tier::Sonnet => "anthropic.claude-sonnet-4-5-20250929-v1:0",
            Tier::Haiku => "anthropic.claude-haiku-4-5-20251001-v1:0",
        }
    }
    fn default_id(self) -> fn(&str) -> String {
        match self {
            Tier::Opus => |r| format!("{}{}", prefix(r), Tier::Opus.bare_id()),
            Tier::Sonnet => |r| format!("{}{}", prefix(r), Tier::Sonnet.bare_id()),
            Tier::Haiku => |r| format!("{}{}", prefix(r), Tier::Haiku.bare_id()),
        }
    }
}

/// The cross-region profile prefix Claude Code puts on its default ids, by region name.
fn prefix(region: &str) -> &'static str {
    if region.starts_with("us-gov-") {
        "us-gov."
    } else if region.starts_with("us-") {
        "us."
    } else if region.starts_with("eu-") {
        "eu."
    } else if region.starts_with("ap-") {
        "apac."
    } else {
        "global."
    }
}

fn truthy(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
}

fn is_secret(name: &str) -> bool {
    SECRET_VARIABLES.contains(&name)
        || ["SECRET", "TOKEN", "API_KEY", "PASSWORD"]
            .iter()
            .any(|w| name.contains(w))
}

/// The settings files that exist, lowest precedence first; a file that cannot be read or
/// parsed is a finding (Claude Code stops on it too) and is left out.
fn read_files(machine: &Machine, project: &std::path::Path, plan: &mut Plan) -> Vec<SettingsFile> {
    let mut candidates: Vec<(PathBuf, String)> = Vec::new();
    match machine.environment.var("CLAUDE_CONFIG_DIR") {
        Some(dir) => {
            let path = PathBuf::from(&dir).join("settings.json");
            candidates.push((path.clone(), path.display().to_string()));
        }
        None => {
            if let Some(home) = &machine.home {
                candidates.push((
                    home.join(".claude/settings.json"),
                    "~/.claude/settings.json".into(),
                ));
            }
        }
    }
    for name in ["settings.json", "settings.local.json"] {
        let path = project.join(".claude").join(name);
        let shown = if machine.config.is_some() {
            path.display().to_string()
        } else {
            format!(".claude/{name}")
        };
        candidates.push((path, shown));
    }
    let managed = managed_settings_path();
    candidates.push((managed.clone(), managed.display().to_string()));

    let mut files = Vec::new();
    for (path, shown) in candidates {
        let text = match machine.files.read(&path, &shown) {
            None => continue,
            Some(Ok(text)) => text,
            Some(Err(error)) => {
                plan.problems
                    .push(Problem::FileUnreadable { file: shown, error });
                continue;
            }
        };
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(object)) => files.push(SettingsFile { shown, object }),
            Ok(_) => plan.problems.push(Problem::FileNotObject { file: shown }),
            Err(e) => plan.problems.push(Problem::FileNotJson {
                file: shown,
                line: e.line(),
                column: e.column(),
                error: e.to_string(),
            }),
        }
    }
    files
}

/// The project whose .claude/ Claude Code reads: `--app-config`, a directory, or the current
/// directory.
fn project_dir(machine: &Machine) -> Result<PathBuf, String> {
    let Some(dir) = &machine.config else {
        return Ok(machine.cwd.clone());
    };
    if machine.files.on_disk() {
        let meta = std::fs::metadata(dir)
            .map_err(|e| format!("cannot read --app-config `{}`: {e}", dir.display()))?;
        if !meta.is_dir() {
            return Err(format!(
                "--app-config `{}` is a file: for --app claude-code it names the project directory whose .claude/ settings Claude Code reads",
                dir.display()
            ));
        }
    }
    Ok(dir.clone())
}

/// Where Claude Code reads managed (administrator) settings on this platform.
fn managed_settings_path() -> PathBuf {
    if cfg!(target_os = "macos") {
        PathBuf::from("/Library/Application Support/ClaudeCode/managed-settings.json")
    } else if cfg!(windows) {
        PathBuf::from(r"C:\Program Files\ClaudeCode\managed-settings.json")
    } else {
        PathBuf::from("/etc/claude-code/managed-settings.json")
    }
}

/// The program a shell command starts, when this machine does not have it. None when it
/// cannot be told: a shell construct or builtin, quotes, a path relative to wherever Claude
/// Code runs it, no PATH, Windows.
fn missing_program(command: &str, machine: &Machine) -> Option<String> {
    let program = command
        .split_whitespace()
        .find(|w| !(w.contains('=') && !w.starts_with('/') && !w.starts_with('~')))?;
    if cfg!(windows) || program.contains(['(', '$', '`', '|', '&', ';', '"', '\'', '<', '>']) {
        return None;
    }
    if [
        "cd", "echo", "exec", "export", "source", ".", "eval", "command", "builtin",
    ]
    .contains(&program)
    {
        return None;
    }
    let exists = |path: &std::path::Path| match machine.files {
        Files::Disk => path.is_file(),
        // The simulated machine has the programs its scenario lists, wherever PATH points.
        Files::Given(_) => machine.programs.iter().any(|p| path.ends_with(p)),
    };
    if let Some(rest) = program.strip_prefix("~/") {
        let path = machine.home.as_ref()?.join(rest);
        return (!exists(&path)).then(|| program.to_string());
    }
    if program.starts_with('/') {
        return (!exists(std::path::Path::new(program))).then(|| program.to_string());
    }
    if program.contains('/') {
        return None;
    }
    let path = machine.environment.var("PATH")?;
    let found = std::env::split_paths(&path).any(|dir| exists(&dir.join(program)));
    (!found).then(|| program.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::Files;
    use crate::aws::Environment;

    fn plan(shell: &[(&str, &str)], files: &[(&str, &str)]) -> Plan {
        let environment = Environment::given(shell);
        let files = Files::Given(
            files
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        ClaudeCode
            .resolve(&Machine {
                environment: &environment,
                files: &files,
                home: Some("/home/someone".into()),
                config: None,
                cwd: "/work/project".into(),
                programs: vec!["aws".into()],
            })
            .unwrap()
    }

    #[test]
    fn env_blocks_follow_settings_precedence_and_beat_the_shell() {
        let p = plan(
            &[
                ("AWS_REGION", "eu-west-1"),
                ("CLAUDE_CODE_USE_BEDROCK", "1"),
            ],
            &[
                (
                    "~/.claude/settings.json",
                    r#"{"env":{"AWS_REGION":"us-west-2","ANTHROPIC_MODEL":"us.anthropic.claude-sonnet-4-6"}}"#,
                ),
                (
                    ".claude/settings.local.json",
                    r#"{"env":{"ANTHROPIC_MODEL":"eu.anthropic.claude-sonnet-4-6"}}"#,
                ),
            ],
        );
        let region = p.region.clone().unwrap();
        assert_eq!(region.value, "us-west-2");
        assert_eq!(
            region.source,
            "AWS_REGION in the env block of ~/.claude/settings.json"
        );
        assert_eq!(
            p.models[0].id("us-west-2"),
            "eu.anthropic.claude-sonnet-4-6"
        );
        assert!(p.models[0].source.contains(".claude/settings.local.json"));
        // Background tasks follow a chosen main model.
        assert_eq!(
            p.model_ids("us-west-2", "us-west-2"),
            vec!["eu.anthropic.claude-sonnet-4-6"]
        );
        assert!(p.problems.is_empty(), "{:?}", p.problems);
    }

    #[test]
    fn unpinned_models_are_the_documented_defaults_with_the_regions_prefix() {
        let p = plan(&[("CLAUDE_CODE_USE_BEDROCK", "1")], &[]);
        assert!(p.region.is_none());
        assert_eq!(
            p.model_ids("eu-central-1", "eu-central-1"),
            vec![
                "eu.anthropic.claude-opus-5",
                "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
            ]
        );
        assert_eq!(
            p.model_ids("us-east-1", "us-east-1")[0],
            "us.anthropic.claude-opus-5"
        );
        assert_eq!(
            p.model_ids("ap-northeast-1", "ap-northeast-1")[0],
            "apac.anthropic.claude-opus-5"
        );
        assert_eq!(
            p.model_ids("ca-central-1", "ca-central-1")[0],
            "global.anthropic.claude-opus-5"
        );
        let p = plan(
            &[
                ("CLAUDE_CODE_USE_BEDROCK", "1"),
                ("ANTHROPIC_BEDROCK_REGION_PREFIX", "global"),
            ],
            &[],
        );
        assert_eq!(
            p.model_ids("us-east-1", "us-east-1")[0],
            "global.anthropic.claude-opus-5"
        );
    }

    #[test]
    fn aliases_tiers_subagents_and_the_deprecated_small_fast_variable() {
        let p = plan(
            &[
                ("CLAUDE_CODE_USE_BEDROCK", "1"),
                (
                    "ANTHROPIC_DEFAULT_OPUS_MODEL",
                    "us.anthropic.claude-opus-4-8",
                ),
                (
                    "ANTHROPIC_SMALL_FAST_MODEL",
                    "us.anthropic.claude-haiku-4-5-20251001-v1:0",
                ),
                ("CLAUDE_CODE_SUBAGENT_MODEL", "inherit"),
            ],
            &[("~/.claude/settings.json", r#"{"model":"opus"}"#)],
        );
        assert_eq!(
            p.model_ids("us-east-1", "us-east-1"),
            vec![
                "us.anthropic.claude-opus-4-8",
                "us.anthropic.claude-haiku-4-5-20251001-v1:0"
            ]
        );
        assert!(p.models[0]
            .source
            .contains("`model` in ~/.claude/settings.json"));
        assert!(matches!(
            &p.problems[..],
            [Problem::Deprecated { name, .. }] if name == "ANTHROPIC_SMALL_FAST_MODEL"
        ));
        assert!(!p.models.iter().any(|m| m.role == "subagents"));
    }

    #[test]
    fn broken_settings_and_missing_switches_are_problems_that_name_the_place() {
        let p = plan(
            &[],
            &[(
                ".claude/settings.json",
                "{\n  \"env\": {\n    \"AWS_REGION\": \"us-west-2\",\n  }\n}",
            )],
        );
        assert!(
            p.problems.contains(&Problem::FileNotJson {
                file: ".claude/settings.json".into(),
                line: 4,
                column: 3,
                error: "trailing comma at line 4 column 3".into(),
            }),
            "{:?}",
            p.problems
        );
        assert!(p
            .problems
            .iter()
            .any(|x| matches!(x, Problem::BedrockOff { mantle: false, .. })));
        // The broken file is left out, as Claude Code cannot use it.
        assert!(p.region.is_none());

        let p = plan(
            &[
                ("CLAUDE_CODE_USE_BEDROCK", "1"),
                ("AWS_REGION", "us-west-2"),
            ],
            &[(
                "~/.claude/settings.json",
                r#"{"env":{"AWS_REGION":"bedrock.us-west-2"}}"#,
            )],
        );
        assert!(
            matches!(&p.problems[0], Problem::RegionNotARegion { value, .. } if value == "bedrock.us-west-2")
        );
        // Not a region in the env block means unset: the shell's is not used either, as
        // the block's value replaced it.
        assert!(p.region.is_none());
    }

    #[test]
    fn default_opusplan_and_the_1m_suffix_resolve_as_claude_code_resolves_them() {
        let with_model = |m: &str| {
            plan(
                &[("CLAUDE_CODE_USE_BEDROCK", "1"), ("ANTHROPIC_MODEL", m)],
                &[],
            )
            .model_ids("us-east-1", "us-east-1")
        };
        assert_eq!(with_model("default")[0], "us.anthropic.claude-opus-5");
        assert_eq!(
            with_model("us.anthropic.claude-sonnet-4-6[1m]")[0],
            "us.anthropic.claude-sonnet-4-6"
        );
        assert_eq!(
            with_model("opusplan")[..2],
            [
                "us.anthropic.claude-opus-5".to_string(),
                "us.anthropic.claude-sonnet-4-5-20250929-v1:0".to_string()
            ]
        );
    }

    #[test]
    fn secrets_in_env_blocks_are_named_never_shown() {
        let p = plan(
            &[("CLAUDE_CODE_USE_BEDROCK", "1")],
            &[(
                "~/.claude/settings.json",
                r#"{"env":{"AWS_BEARER_TOKEN_BEDROCK":"ABSKsecretvalue0123456789"}}"#,
            )],
        );
        let s = p
            .settings
            .iter()
            .find(|s| s.name == "AWS_BEARER_TOKEN_BEDROCK")
            .unwrap();
        assert_eq!(s.value, "(set)");
        assert_eq!(
            p.env["AWS_BEARER_TOKEN_BEDROCK"],
            "ABSKsecretvalue0123456789"
        );
    }

    #[test]
    fn a_refresh_command_whose_program_is_missing_is_an_error() {
        let refresh = |command: &str| {
            let settings = serde_json::json!({ "awsAuthRefresh": command }).to_string();
            plan(
                &[("CLAUDE_CODE_USE_BEDROCK", "1"), ("PATH", "/usr/bin:/bin")],
                &[("~/.claude/settings.json", &settings)],
            )
        };
        let p = refresh("aws-sso-util login --profile dev");
        assert!(matches!(
            &p.problems[..],
            [Problem::CommandMissing { program, .. }] if program == "aws-sso-util"
        ));
        assert_eq!(p.credential_commands[0].name, "awsAuthRefresh");
        // The machine has `aws`, even behind a variable; what cannot be told is no problem.
        for fine in [
            "aws sso login --profile dev",
            "AWS_PROFILE=dev aws sso login",
            "./refresh.sh",
            "eval \"$(aws configure export-credentials --format env)\"",
            "\"/opt/my tools/refresh\"",
        ] {
            assert!(
                refresh(fine).problems.is_empty(),
                "{fine}: {:?}",
                refresh(fine).problems
            );
        }
        assert!(
            !refresh("~/bin/refresh").problems.is_empty(),
            "~ is the home directory"
        );
    }
}
