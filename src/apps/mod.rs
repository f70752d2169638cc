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

use crate::aws::{Environment, Sourced};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use crate::cli::AppKind;

/// The reader of an application's settings.
pub fn app(kind: AppKind) -> &'static dyn App {
    match kind {
        AppKind::ClaudeCode => &claude_code::ClaudeCode,
    }
}

/// An application whose Bedrock settings the doctor can read.
pub trait App: Sync {
    /// The application's name as people know it.
    fn name(&self) -> &'static str;
    /// Its settings, resolved with the precedence it applies.
    fn resolve(&self, machine: &Machine) -> Plan;
}

/// Where an application's settings are read from.
pub struct Machine<'a> {
    /// The shell's variables (the demo's simulated machine, or this process's).
    pub environment: &'a Environment,
    pub files: &'a Files,
    /// The home directory (`~`).
    pub home: Option<PathBuf>,
    /// The project directory (`--app-config`, default: the current directory).
    pub project: PathBuf,
    /// Whether `--app-config` named the project (then paths are shown in full).
    pub project_given: bool,
}

/// The files an application reads: this machine's disk, or a scenario's, keyed by the path
/// as the report shows it (`~/.claude/settings.json`, `.claude/settings.json`).
#[derive(Debug, Clone)]
pub enum Files {
    Disk,
    Given(BTreeMap<String, String>),
}

impl Files {
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
    /// The models it calls, each with what it calls it for and where that was set.
    pub models: Vec<AppModel>,
    /// It calls InvokeModel (its own request body) rather than Converse.
    pub invoke_api: bool,
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
    /// The models to check in `region`, each id once, in the order the application uses them.
    pub fn model_ids(&self, region: &str) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for m in &self.models {
            let id = m.id(region);
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }

    /// What the application calls `model` for, and where each was set.
    pub fn uses_of(&self, model: &str, region: &str) -> Vec<&AppModel> {
        self.models
            .iter()
            .filter(|m| m.id(region) == model)
            .collect()
    }
}

/// The plan decides what the command line left open: the models, the region (through
/// `region`, at setup), how the test call is made.
pub fn apply(plan: &Plan, region: Option<&str>, args: &mut crate::cli::DoctorArgs) {
    if args.models.is_empty() {
        if let Some(r) = region {
            args.models = plan.model_ids(r);
        }
    }
    args.stream |= plan.stream;
    args.invoke_api |= plan.invoke_api;
}
