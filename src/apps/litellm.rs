//! `--app litellm --app-config config.yaml`: the Bedrock entries of a LiteLLM proxy's
//! `model_list`, each resolved as LiteLLM resolves it. Facts, from LiteLLM's documentation
//! (docs.litellm.ai: proxy/configs, providers/bedrock) and its code
//! (litellm/llms/bedrock/base_aws_llm.py, common_utils.py; commits in src/catalog/SOURCES.md
//! "LiteLLM"):
//! - an entry is `model_name` (what clients ask for) and `litellm_params`, whose `model` is
//!   `bedrock/<id>`, `bedrock/converse/<id>` or `bedrock/invoke/<id>` (plus routes for
//!   imported model families and other Bedrock services); `model_id` overrides the id (for
//!   provisioned or imported ARNs); a value `os.environ/NAME` is that variable, read at load;
//! - the region: `aws_region_name`, then the region of an ARN model, then `AWS_REGION_NAME`,
//!   then `AWS_REGION`, then boto3's own (AWS_DEFAULT_REGION, the profile), then `us-west-2`;
//! - the identity, first that applies: web identity, `aws_role_name` (AssumeRole),
//!   `aws_profile_name`, access keys in the entry, the ambient boto3 chain; `api_key` (or
//!   AWS_BEARER_TOKEN_BEDROCK) is a Bedrock API key; unset parameters fall back to
//!   `AWS_PROFILE_NAME`, `AWS_ROLE_NAME` (not AWS_PROFILE);
//! - a plain `bedrock/<id>` goes to Converse when LiteLLM's own model list says the model
//!   supports it, else to InvokeModel; the list depends on LiteLLM's version, so the doctor
//!   calls Converse and says so.

use super::{Api, App, AppModel, Machine, ModelChoice, Plan, Problem};
use crate::aws::Sourced;
use std::collections::BTreeMap;
use yaml_serde::Value;

pub struct LiteLlm;

/// Routes after `bedrock/` that call InvokeModel with the model family's own body.
const INVOKE_ROUTES: &[&str] = &[
    "invoke/",
    "llama/",
    "deepseek_r1/",
    "qwen3/",
    "qwen2/",
    "openai/",
    "moonshot/",
];

/// Routes to other Bedrock services or endpoints, which the doctor does not check.
const OTHER_ROUTES: &[&str] = &[
    "agent/",
    "agentcore/",
    "async_invoke/",
    "mantle/",
    "converse_like/",
    "claude_platform/",
];

/// Who an entry calls Bedrock as.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Identity {
    /// The proxy's own credentials (environment, AWS_PROFILE, SSO, instance role).
    Ambient,
    Profile(String),
    Keys(String),
    ApiKey,
    Role(String),
    WebToken,
}

impl Identity {
    fn describe(&self) -> String {
        match self {
            Identity::Ambient => "the proxy's own credentials".into(),
            Identity::Profile(p) => format!("profile `{p}`"),
            Identity::Keys(k) => format!(
                "the access key {} of its settings",
                crate::secrets::mask_key_id(k)
            ),
            Identity::ApiKey => "a Bedrock API key of its settings".into(),
            Identity::Role(r) => format!("the role {r}"),
            Identity::WebToken => "a web identity token".into(),
        }
    }
}

/// One Bedrock entry of model_list, resolved.
struct Entry {
    name: String,
    at: String,
    model: String,
    region: Option<Sourced>,
    identity: Identity,
    api: Api,
    /// Resolved credentials of its own (key id, secret, session token or API key).
    secrets: BTreeMap<String, String>,
}

impl App for LiteLlm {
    fn name(&self) -> &'static str {
        "LiteLLM"
    }

    fn resolve(&self, machine: &Machine) -> Result<Plan, String> {
        let Some(path) = &machine.config else {
            return Err(
                "--app litellm needs --app-config FILE: the proxy's config.yaml".to_string(),
            );
        };
        let shown = path.display().to_string();
        let text = match machine.files.read(path, &shown) {
            None => return Err(format!("cannot read --app-config `{shown}`: no such file")),
            Some(Err(e)) => return Err(format!("cannot read --app-config `{shown}`: {e}")),
            Some(Ok(text)) => text,
        };
        let doc: Value = yaml_serde::from_str(&text).map_err(|e| {
            let why = e
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            match e.location() {
                Some(l) => format!("{shown}:{}:{}: not valid YAML: {why}", l.line(), l.column()),
                None => format!("{shown}: not valid YAML: {why}"),
            }
        })?;
        let Some(list) = doc.get("model_list").and_then(Value::as_sequence) else {
            return Err(format!(
                "{shown}: no `model_list` list: a LiteLLM proxy config names its models there"
            ));
        };
        let mut plan = Plan {
            app: self.name(),
            env: BTreeMap::new(),
            region: None,
            region_fallback: Some(Sourced {
                value: "us-west-2".into(),
                source: "LiteLLM's default: no aws_region_name, AWS_REGION_NAME, AWS_REGION or boto3 region".into(),
            }),
            region_setting: format!(
                "aws_region_name in each entry of {shown}, or AWS_REGION_NAME in the proxy's environment"
            ),
            profile_region_trap: None,
            renews_with_commands: false,
            profile: None,
            models: Vec::new(),
            stream: false,
            settings: Vec::new(),
            problems: Vec::new(),
            notes: Vec::new(),
            credential_commands: Vec::new(),
        };
        let lines = entry_lines(&text);
        let mut entries = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let at = match lines.get(i) {
                Some(line) => format!("{shown}:{line}"),
                None => format!("{shown}, entry {} of model_list", i + 1),
            };
            let layout = |what: &str| format!("{at}: {what}");
            let name = item
                .get("model_name")
                .and_then(scalar)
                .ok_or_else(|| layout("an entry of model_list without a model_name"))?;
            let params = item
                .get("litellm_params")
                .filter(|p| p.is_mapping())
                .ok_or_else(|| layout(&format!("entry `{name}` has no litellm_params")))?;
            let model = params
                .get("model")
                .and_then(scalar)
                .ok_or_else(|| layout(&format!("entry `{name}` has no litellm_params.model")))?;
            if let Some(entry) = read_entry(machine, &mut plan, name, &at, params, &model) {
                entries.push(entry);
            }
        }
        if entries.is_empty() {
            plan.notes.push(format!(
                "{shown} lists no Bedrock model (litellm_params.model starting with bedrock/)"
            ));
            return Ok(plan);
        }

        // The identity this run checks: the proxy's own when an entry uses it, else the
        // first entry's that the doctor can take on.
        let checked = entries
            .iter()
            .map(|e| &e.identity)
            .find(|i| **i == Identity::Ambient)
            .or_else(|| {
                entries
                    .iter()
                    .map(|e| &e.identity)
                    .find(|i| !matches!(i, Identity::Role(_) | Identity::WebToken))
            })
            .cloned();
        for e in &entries {
            if Some(&e.identity) != checked.as_ref() {
                plan.notes.push(not_checked(e));
                continue;
            }
            match &e.identity {
                Identity::Profile(p) if plan.profile.is_none() => {
                    plan.profile = Some(Sourced {
                        value: p.clone(),
                        source: format!("aws_profile_name of entry `{}` ({})", e.name, e.at),
                    })
                }
                Identity::Keys(_) | Identity::ApiKey => plan.env.extend(e.secrets.clone()),
                _ => {}
            }
            // The region's source, unless it is the entry's own aws_region_name.
            let region_note = match &e.region {
                Some(r)
                    if !r.source.starts_with("aws_region_name of")
                        || r.source.contains("os.environ") =>
                {
                    format!("; region: {}", r.source)
                }
                _ => String::new(),
            };
            plan.models.push(AppModel {
                role: format!("entry `{}`", e.name),
                choice: ModelChoice::Given(e.model.clone()),
                source: format!(
                    "litellm_params.model of `{}` ({}){region_note}",
                    e.name, e.at
                ),
                region: e.region.as_ref().map(|r| r.value.clone()),
                api: e.api,
            });
        }
        if let Some(identity) = &checked {
            let using = entries.iter().filter(|e| &e.identity == identity).count();
            plan.notes.push(format!(
                "{using} of its {} Bedrock entries call as {}: the identity this run checks",
                entries.len(),
                identity.describe()
            ));
        }
        if entries.iter().any(|e| e.api == Api::Converse) {
            plan.notes.push(
                "a plain bedrock/<id> goes to Converse or InvokeModel by LiteLLM's own model list, which changes with its version: the doctor calls Converse; write bedrock/converse/ or bedrock/invoke/ to pin it".into(),
            );
        }
        Ok(plan)
    }
}

/// One entry's model, region, identity and route; None (with a note) for one that is not a
/// Bedrock runtime call.
fn read_entry(
    machine: &Machine,
    plan: &mut Plan,
    name: String,
    at: &str,
    params: &Value,
    model: &str,
) -> Option<Entry> {
    let rest = model.strip_prefix("bedrock/")?;
    if let Some(route) = OTHER_ROUTES.iter().find(|r| rest.starts_with(**r)) {
        plan.notes.push(format!(
            "entry `{name}` ({at}) calls bedrock/{route}: not a model runtime call the doctor checks"
        ));
        return None;
    }
    let (api, id) = if let Some(id) = rest.strip_prefix("converse/") {
        (Api::Converse, id)
    } else if let Some(route) = INVOKE_ROUTES.iter().find(|r| rest.starts_with(**r)) {
        (Api::Invoke, &rest[route.len()..])
    } else {
        (Api::Converse, rest)
    };
    // A parameter as LiteLLM reads it: the entry's value (an os.environ/ reference read from
    // the environment), else the variable it falls back to.
    let problems = std::cell::RefCell::new(Vec::new());
    let param = |key: &str, fallback: Option<&str>| -> Option<(String, String)> {
        match params.get(key).and_then(scalar) {
            Some(v) => match v.strip_prefix("os.environ/") {
                Some(var) => match machine.environment.var(var) {
                    Some(value) => {
                        Some((value, format!("{key} of `{name}` ({at}), os.environ/{var}")))
                    }
                    None => {
                        problems.borrow_mut().push(Problem::Unresolved {
                            setting: format!("{key} of entry `{name}`"),
                            variable: var.to_string(),
                            source: at.to_string(),
                        });
                        None
                    }
                },
                None => Some((v, format!("{key} of `{name}` ({at})"))),
            },
            None => fallback.and_then(|var| {
                machine
                    .environment
                    .var(var)
                    .map(|v| (v, format!("{var} in the proxy's environment")))
            }),
        }
    };
    let id = param("model_id", None)
        .map(|(v, _)| v)
        .unwrap_or_else(|| id.to_string());
    let region_param = param("aws_region_name", None).or_else(|| param("region_name", None));
    let region = match region_param {
        Some((value, source))
            if value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && crate::aws::region_looks_valid(&value) =>
        {
            Some(Sourced { value, source })
        }
        Some((value, source)) => {
            problems.borrow_mut().push(Problem::RegionNotARegion {
                name: "aws_region_name".into(),
                value,
                source,
            });
            None
        }
        None => None,
    }
    .or_else(|| {
        Some(Sourced {
            value: arn_region(&id)?,
            source: format!("the ARN of `{name}` ({at})"),
        })
    })
    .or_else(|| {
        ["AWS_REGION_NAME", "AWS_REGION"].iter().find_map(|var| {
            machine.environment.var(var).map(|value| Sourced {
                value,
                source: format!("{var} in the proxy's environment"),
            })
        })
    });
    let mut secrets = BTreeMap::new();
    let identity = if param("aws_web_identity_token", Some("AWS_WEB_IDENTITY_TOKEN")).is_some() {
        Identity::WebToken
    } else if let Some((role, _)) = param("aws_role_name", Some("AWS_ROLE_NAME")) {
        Identity::Role(role)
    } else if let Some((profile, _)) = param("aws_profile_name", Some("AWS_PROFILE_NAME")) {
        Identity::Profile(profile)
    } else if let Some((key_id, _)) = param("aws_access_key_id", None) {
        crate::secrets::register_key_id(&key_id);
        secrets.insert("AWS_ACCESS_KEY_ID".to_string(), key_id.clone());
        // An entry's keys come whole: no token of the shell's is paired with them.
        for (p, var) in [
            ("aws_secret_access_key", "AWS_SECRET_ACCESS_KEY"),
            ("aws_session_token", "AWS_SESSION_TOKEN"),
        ] {
            let value = param(p, None).map(|(v, _)| v).unwrap_or_default();
            crate::secrets::register(&value);
            secrets.insert(var.to_string(), value);
        }
        Identity::Keys(key_id)
    } else if let Some((key, _)) = param("api_key", None) {
        crate::secrets::register(&key);
        secrets.insert("AWS_BEARER_TOKEN_BEDROCK".to_string(), key);
        Identity::ApiKey
    } else {
        Identity::Ambient
    };
    plan.problems.extend(problems.into_inner());
    Some(Entry {
        name,
        at: at.to_string(),
        model: id,
        region,
        identity,
        api,
        secrets,
    })
}

/// What the doctor says about an entry it does not check in this run, and how to check it.
fn not_checked(e: &Entry) -> String {
    let region = e
        .region
        .as_ref()
        .map(|r| format!(" --region {}", r.value))
        .unwrap_or_default();
    let how = match &e.identity {
        Identity::Profile(p) => format!("bedrock-doctor --profile {p}{region} --model {}", e.model),
        Identity::Role(r) => format!(
            "the doctor does not assume roles yet; its permissions: bedrock-doctor --principal {r}{region} --model {}",
            e.model
        ),
        _ => format!(
            "export those credentials and run bedrock-doctor{region} --model {}",
            e.model
        ),
    };
    format!(
        "entry `{}` ({}) calls Bedrock as {}, not the identity this run checks: {how}",
        e.name,
        e.at,
        e.identity.describe()
    )
}

/// The region of a Bedrock ARN (arn:PARTITION:bedrock:REGION:...).
fn arn_region(id: &str) -> Option<String> {
    let parts: Vec<&str> = id.splitn(5, ':').collect();
    (parts.len() == 5 && parts[0] == "arn" && !parts[3].is_empty()).then(|| parts[3].to_string())
}

/// A scalar as text (YAML may read `1` or `true` where LiteLLM reads a string).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The line of each `model_name:` in the file, in order: where each entry is, for the
/// report (the YAML value keeps no positions).
fn entry_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start().trim_start_matches("- ").trim_start();
            t.starts_with("model_name:")
        })
        .map(|(i, _)| i + 1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::Files;
    use crate::aws::Environment;

    fn resolve(shell: &[(&str, &str)], yaml: &str) -> Result<Plan, String> {
        let environment = Environment::given(shell);
        let files = Files::Given([("config.yaml".to_string(), yaml.to_string())].into());
        LiteLlm.resolve(&Machine {
            environment: &environment,
            files: &files,
            home: None,
            config: Some("config.yaml".into()),
            cwd: "/srv".into(),
            programs: vec![],
        })
    }

    const CONFIG: &str = r#"
model_list:
  - model_name: claude
    litellm_params:
      model: bedrock/us.anthropic.claude-sonnet-4-6
      aws_region_name: us-east-1
  - model_name: nova
    litellm_params:
      model: bedrock/converse/amazon.nova-lite-v1:0
      aws_region_name: os.environ/NOVA_REGION
  - model_name: claude-native
    litellm_params:
      model: bedrock/invoke/anthropic.claude-3-5-haiku-20241022-v1:0
  - model_name: gpt
    litellm_params:
      model: openai/gpt-4o
  - model_name: prod-claude
    litellm_params:
      model: bedrock/us.anthropic.claude-sonnet-4-6
      aws_profile_name: prod
"#;

    #[test]
    fn entries_resolve_region_route_and_identity_as_litellm_does() {
        let p = resolve(
            &[("NOVA_REGION", "eu-west-1"), ("AWS_REGION", "us-west-2")],
            CONFIG,
        )
        .unwrap();
        let ids: Vec<(String, Option<String>, Api)> = p
            .models
            .iter()
            .map(|m| (m.id("x"), m.region.clone(), m.api))
            .collect();
        assert_eq!(
            ids,
            vec![
                (
                    "us.anthropic.claude-sonnet-4-6".into(),
                    Some("us-east-1".into()),
                    Api::Converse
                ),
                (
                    "amazon.nova-lite-v1:0".into(),
                    Some("eu-west-1".into()),
                    Api::Converse
                ),
                // No aws_region_name: AWS_REGION, as LiteLLM falls back to it.
                (
                    "anthropic.claude-3-5-haiku-20241022-v1:0".into(),
                    Some("us-west-2".into()),
                    Api::Invoke
                ),
            ]
        );
        assert!(p.models[1].source.contains("os.environ/NOVA_REGION"));
        assert!(
            p.models[0].source.contains("config.yaml:3"),
            "{}",
            p.models[0].source
        );
        // The profile entry is another identity: named, with the command that checks it.
        assert!(p
            .notes
            .iter()
            .any(|n| n.contains("entry `prod-claude`") && n.contains("--profile prod")));
        assert_eq!(
            p.regions("us-west-2"),
            vec!["us-west-2", "us-east-1", "eu-west-1"]
        );
        assert_eq!(
            p.model_ids("us-east-1", "us-west-2"),
            vec!["us.anthropic.claude-sonnet-4-6"]
        );
        assert!(p.invokes(
            "anthropic.claude-3-5-haiku-20241022-v1:0",
            "us-west-2",
            "us-west-2"
        ));
    }

    #[test]
    fn an_unset_environment_reference_is_a_problem_naming_the_entry() {
        let p = resolve(&[], CONFIG).unwrap();
        assert!(
            p.problems.contains(&Problem::Unresolved {
                setting: "aws_region_name of entry `nova`".into(),
                variable: "NOVA_REGION".into(),
                source: "config.yaml:7".into(),
            }),
            "{:?}",
            p.problems
        );
    }

    #[test]
    fn keys_in_an_entry_become_the_runs_credentials_and_stay_secret() {
        let yaml = "model_list:\n  - model_name: a\n    litellm_params:\n      model: bedrock/amazon.nova-lite-v1:0\n      aws_access_key_id: AKIAENTRYKEY00000000\n      aws_secret_access_key: os.environ/ENTRY_SECRET\n";
        let p = resolve(
            &[
                ("ENTRY_SECRET", "entry-secret-value-123456"),
                ("AWS_SESSION_TOKEN", "the-shells-own-token"),
            ],
            yaml,
        )
        .unwrap();
        assert_eq!(p.env["AWS_ACCESS_KEY_ID"], "AKIAENTRYKEY00000000");
        assert_eq!(p.env["AWS_SECRET_ACCESS_KEY"], "entry-secret-value-123456");
        // The shell's token belongs to other keys: unset over it.
        assert_eq!(p.env["AWS_SESSION_TOKEN"], "");
        // What the report shows of the plan names no secret.
        let shown = format!("{:?} {:?} {:?}", p.settings, p.notes, p.models);
        assert!(!shown.contains("entry-secret-value"), "{shown}");
        assert!(crate::secrets::scrub("x entry-secret-value-123456 y").contains("x "));
        assert!(!crate::secrets::scrub("x entry-secret-value-123456 y").contains("entry-secret"));
    }

    #[test]
    fn bad_yaml_and_unknown_layouts_are_one_line_naming_file_and_line() {
        let e = resolve(&[], "model_list:\n  - model_name: a\n   litellm_params: {").unwrap_err();
        assert!(e.starts_with("config.yaml:3:"), "{e}");
        let e = resolve(&[], "models:\n  - a\n").unwrap_err();
        assert!(e.contains("no `model_list`"), "{e}");
        let e = resolve(&[], "model_list:\n  - model_name: a\n    params: {}\n").unwrap_err();
        assert!(
            e.starts_with("config.yaml:2: entry `a` has no litellm_params"),
            "{e}"
        );
        assert!(!e.contains('\n'));
    }
}
