//! `--app`: an application's own Bedrock settings, read the way that application reads them,
//! so the doctor checks what the application will call (its region, its models, its
//! identity), called the way it calls them.
//!
//! One module per application, each an [`App`]: it turns the application's files and
//! variables into a [`Plan`]. The doctor applies the plan before the checks start (as it does
//! with `--lambda`); the `app` check (src/checks/app.rs) reports where each setting came from
//! and what is wrong in the settings themselves, and names the line to change on the model
//! checks' findings. This module only reads: the words are the check's. Adding an application is one file here, one value of `cli::AppKind` and one arm in
//! [`app`].

pub mod claude_code;
pub mod litellm;

use crate::aws::{Environment, Sourced};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use crate::cli::AppKind;

/// The reader of an application's settings.
pub fn app(kind: AppKind) -> &'static dyn App {
    match kind {
        AppKind::ClaudeCode => &claude_code::ClaudeCode,
        AppKind::Litellm => &litellm::LiteLlm,
    }
}

/// An application whose Bedrock settings the doctor can read.
pub trait App: Sync {
    /// The application's name as people know it.
    fn name(&self) -> &'static str;
    /// Its settings, resolved with the precedence it applies. Err: the settings cannot be
    /// read at all (a one-line usage error naming the file); what the application itself
    /// would trip on is a `Problem` of the plan instead.
    fn resolve(&self, machine: &Machine) -> Result<Plan, String>;
}

/// Where an application's settings are read from.
pub struct Machine<'a> {
    /// The shell's variables (the demo's simulated machine, or this process's).
    pub environment: &'a Environment,
    pub files: &'a Files,
    /// The home directory (`~`).
    pub home: Option<PathBuf>,
    /// `--app-config`: where the application's settings are, as given.
    pub config: Option<PathBuf>,
    /// The current directory.
    pub cwd: PathBuf,
    /// A simulated machine's programs (by name); a real machine's are looked up on disk.
    pub programs: Vec<String>,
}

/// The files an application reads: this machine's disk, or a scenario's, keyed by the path
/// as the report shows it (`~/.claude/settings.json`, `.claude/settings.json`).
#[derive(Debug, Clone)]
pub enum Files {
    Disk,
    Given(BTreeMap<String, String>),
}

impl Files {
    /// Whether these are this machine's files (paths can be checked on disk).
    pub fn on_disk(&self) -> bool {
        matches!(self, Files::Disk)
    }

    /// The files of the machine this environment is.
    pub fn of(environment: &Environment) -> Files {
        match environment {
            Environment::Given(m) => Files::Given(m.app_files.clone()),
            _ => Files::Disk,
        }
    }

    /// A file's text: None when it does not exist, Err when it exists but cannot be read.
    pub fn read(&self, path: &Path, shown: &str) -> Option<Result<String, String>> {
        match self {
            Files::Disk => match std::fs::read_to_string(path) {
                Ok(text) => Some(Ok(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => Some(Err(e.to_string())),
            },
            Files::Given(files) => files.get(shown).cloned().map(Ok),
        }
    }
}

/// What an application will do, as its settings say.
#[derive(Debug, Clone)]
pub struct Plan {
    pub app: &'static str,
    /// The variables the application sets over the shell's (an empty value unsets).
    pub env: BTreeMap<String, String>,
    /// The region, when the application's own settings or rules decide it; None leaves it to
    /// the AWS setup (the profile's region), then `region_fallback`.
    pub region: Option<Sourced>,
    /// The application's region when nothing else gives one.
    pub region_fallback: Option<Sourced>,
    /// Where a person sets the application's region (for the fix).
    pub region_setting: String,
    /// Why a region found only in ~/.aws/config is a trap for this application, if it is.
    pub profile_region_trap: Option<String>,
    /// Temporary credentials need one of `credential_commands` to be renewed.
    pub renews_with_commands: bool,
    /// The profile its AWS calls use, when its settings name one.
    pub profile: Option<Sourced>,
    /// The models it calls, each with what it calls it for and where that was set.
    pub models: Vec<AppModel>,
    /// It streams (InvokeModelWithResponseStream / ConverseStream).
    pub stream: bool,
    /// Every setting the plan was made from, with where it came from (secrets masked).
    pub settings: Vec<Setting>,
    /// What is wrong in the settings themselves, found while reading them (the `app`
    /// check words them).
    pub problems: Vec<Problem>,
    /// Notes on what the doctor does not check the way the application would.
    pub notes: Vec<String>,
    /// Commands the application runs to renew or export credentials (never run here).
    pub credential_commands: Vec<Setting>,
}

/// Something wrong in the settings, as facts (the `app` check turns it into a finding).
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    FileUnreadable {
        file: String,
        error: String,
    },
    FileNotJson {
        file: String,
        line: usize,
        column: usize,
        error: String,
    },
    FileNotObject {
        file: String,
    },
    /// The application's switch for Bedrock is off; `seen` says what was found, `mantle`
    /// that it is set to Bedrock's Mantle endpoint instead.
    BedrockOff {
        seen: String,
        mantle: bool,
        file: String,
    },
    RegionNotARegion {
        name: String,
        value: String,
        source: String,
    },
    /// A credential command whose program is not on the machine.
    CommandMissing {
        key: String,
        program: String,
        command: String,
        source: String,
    },
    /// A setting that names an environment variable (`os.environ/NAME`) which is not set.
    Unresolved {
        setting: String,
        variable: String,
        source: String,
    },
    /// A deprecated variable still in use, and its replacement.
    Deprecated {
        name: String,
        instead: String,
        value: String,
        source: String,
    },
}

/// One setting and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub name: String,
    pub value: String,
    pub source: String,
}

/// A model the application calls.
#[derive(Debug, Clone)]
pub struct AppModel {
    /// What it calls the model for ("main model", "background tasks").
    pub role: String,
    pub choice: ModelChoice,
    /// Where the id was set, or that it is the application's default.
    pub source: String,
    /// The region it is called in, when the application sets one per model (else the run's).
    pub region: Option<String>,
    /// How it is called.
    pub api: Api,
}

/// The runtime API an application calls a model with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Converse,
    /// InvokeModel with the model's own request body.
    Invoke,
}

/// A model id as set, or the application's default, which depends on the region.
#[derive(Debug, Clone)]
pub enum ModelChoice {
    Given(String),
    Default(fn(&str) -> String),
}

impl AppModel {
    pub fn id(&self, region: &str) -> String {
        match &self.choice {
            ModelChoice::Given(id) => id.clone(),
            ModelChoice::Default(id_for) => id_for(region),
        }
    }
}

impl Plan {
    /// The regions it calls models in: the run's own first, then those its settings name.
    pub fn regions(&self, run_region: &str) -> Vec<String> {
        let mut out = vec![run_region.to_string()];
        for m in &self.models {
            if let Some(r) = &m.region {
                if !out.contains(r) {
                    out.push(r.clone());
                }
            }
        }
        out
    }

    /// Whether `m` is called in `region`.
    fn called_in(m: &AppModel, region: &str, run_region: &str) -> bool {
        m.region.as_deref().unwrap_or(run_region) == region
    }

    /// The models to check in `region`, each id once, in the order the application uses them.
    pub fn model_ids(&self, region: &str, run_region: &str) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for m in self
            .models
            .iter()
            .filter(|m| Self::called_in(m, region, run_region))
        {
            let id = m.id(region);
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }

    /// What the application calls `model` for in `region`, and where each was set.
    pub fn uses_of(&self, model: &str, region: &str, run_region: &str) -> Vec<&AppModel> {
        self.models
            .iter()
            .filter(|m| Self::called_in(m, region, run_region) && m.id(region) == model)
            .collect()
    }

    /// Whether it calls `model` in `region` with InvokeModel and the model's own body.
    pub fn invokes(&self, model: &str, region: &str, run_region: &str) -> bool {
        self.uses_of(model, region, run_region)
            .iter()
            .any(|m| m.api == Api::Invoke)
    }
}

impl Plan {
    /// Each region the run checks and the models the application calls there. With
    /// `--regions` given, those regions, each standing in for the application's own (a model
    /// with no region of its own is checked in every one); else the application's regions.
    pub fn models_by_region(&self, run: &str, given: &[String]) -> Vec<(String, Vec<String>)> {
        if given.is_empty() {
            self.regions(run)
                .into_iter()
                .map(|r| {
                    let ids = self.model_ids(&r, run);
                    (r, ids)
                })
                .collect()
        } else {
            given
                .iter()
                .map(|r| (r.clone(), self.model_ids(r, r)))
                .collect()
        }
    }
}

/// The plan decides what the command line left open: the models (per region when it calls
/// models in several) and whether the test call streams. The region and profile go in through
/// the AWS setup.
pub fn apply(plan: &Plan, run_region: Option<&str>, args: &mut crate::cli::DoctorArgs) {
    if let (true, Some(run)) = (args.models.is_empty(), run_region) {
        let by_region = plan.models_by_region(run, &args.regions);
        if by_region.len() > 1 && args.regions.is_empty() {
            args.regions = by_region.iter().map(|(r, _)| r.clone()).collect();
        }
        for (_, ids) in &by_region {
            for id in ids {
                if !args.models.contains(id) {
                    args.models.push(id.clone());
                }
            }
        }
    }
    args.stream |= plan.stream;
}

/// A shell command as the report shows it: a value after `NAME=` or after a flag whose name
/// says secret, token, key or password is masked (a command in a settings file may carry one).
pub fn mask_command(command: &str) -> String {
    let secretish = |name: &str| {
        let n = name.to_ascii_lowercase();
        ["secret", "token", "password", "key"]
            .iter()
            .any(|w| n.contains(w))
    };
    let mut out = Vec::new();
    let mut mask_next = false;
    for word in command.split_whitespace() {
        if mask_next {
            out.push("****".to_string());
            mask_next = false;
            continue;
        }
        match word.split_once('=') {
            Some((name, _)) if secretish(name) => out.push(format!("{name}=****")),
            _ if word.starts_with("--") && secretish(word) => {
                out.push(word.to_string());
                mask_next = true;
            }
            _ => out.push(word.to_string()),
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn commands_are_shown_without_their_secrets() {
        assert_eq!(
            super::mask_command("aws sso login --profile dev"),
            "aws sso login --profile dev"
        );
        assert_eq!(
            super::mask_command(
                "AWS_SECRET_ACCESS_KEY=abc123 get-creds --token xyz --region us-east-1"
            ),
            "AWS_SECRET_ACCESS_KEY=**** get-creds --token **** --region us-east-1"
        );
    }
}
