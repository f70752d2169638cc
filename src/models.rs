//! What the doctor knows about Bedrock model identifiers, independent of any account: the
//! grammar of ids, profile ids and ARNs, the retired models, and "did you mean".

/// Geographic and global prefixes of system-defined cross-region inference profiles, the one
/// list every module uses (`in.` for India appeared in 2026 on the OpenAI GPT-5.6 profiles).
pub const PROFILE_PREFIXES: &[&str] = &[
    "us-gov.", "global.", "apac.", "us.", "eu.", "jp.", "au.", "ca.", "in.",
];

/// What a `--model` value names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelRef {
    /// `anthropic.claude-3-haiku-20240307-v1:0`, or its foundation-model ARN.
    Foundation {
        model_id: String,
        arn_region: Option<String>,
    },
    /// `us.anthropic...` or an inference-profile ARN.
    SystemProfile {
        profile_id: String,
        model_id: String,
        arn_region: Option<String>,
    },
    /// `arn:aws:bedrock:...:application-inference-profile/<id>`.
    ApplicationProfile { arn: String, region: String },
    /// A model the account owns and calls by ARN: a provisioned throughput, a custom model,
    /// a custom model's on-demand deployment, or an imported model.
    Owned {
        kind: OwnedKind,
        arn: String,
        region: String,
    },
    /// Any other Bedrock resource type: not a model the checks know.
    Other { arn: String, kind: String },
}

/// The kinds of model an account owns, by the resource type in their ARN (the Bedrock API's
/// ProvisionedModelArn, CustomModelArn, CustomModelDeploymentArn, ImportedModelArn).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnedKind {
    Provisioned,
    Custom,
    CustomDeployment,
    Imported,
}

impl OwnedKind {
    fn from_resource_type(kind: &str) -> Option<OwnedKind> {
        Some(match kind {
            "provisioned-model" => OwnedKind::Provisioned,
            "custom-model" => OwnedKind::Custom,
            "custom-model-deployment" => OwnedKind::CustomDeployment,
            "imported-model" => OwnedKind::Imported,
            _ => return None,
        })
    }

    /// How a person names it, with its article.
    pub fn a_noun(self) -> &'static str {
        match self {
            OwnedKind::Imported => "an imported model",
            OwnedKind::Provisioned => "a provisioned throughput",
            OwnedKind::Custom => "a custom model",
            OwnedKind::CustomDeployment => "a custom model deployment",
        }
    }

    /// How a person names it.
    pub fn noun(self) -> &'static str {
        match self {
            OwnedKind::Provisioned => "provisioned throughput",
            OwnedKind::Custom => "custom model",
            OwnedKind::CustomDeployment => "custom model deployment",
            OwnedKind::Imported => "imported model",
        }
    }
}

impl ModelRef {
    /// The foundation model id behind it, when the id itself says.
    pub fn model_id(&self) -> Option<&str> {
        match self {
            ModelRef::Foundation { model_id, .. } | ModelRef::SystemProfile { model_id, .. } => {
                Some(model_id)
            }
            _ => None,
        }
    }
}

/// Parse a model id, profile id or ARN; the error says which rule it broke.
pub fn parse(input: &str) -> Result<ModelRef, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("the model id is empty".into());
    }
    if let Some(rest) = s.strip_prefix("arn:") {
        return parse_arn(s, rest);
    }
    let (profile_prefix, bare) = match PROFILE_PREFIXES.iter().find(|p| s.starts_with(*p)) {
        Some(p) => (Some(*p), &s[p.len()..]),
        None => (None, s),
    };
    check_model_id(bare)?;
    Ok(match profile_prefix {
        Some(_) => ModelRef::SystemProfile {
            profile_id: s.to_string(),
            model_id: bare.to_string(),
            arn_region: None,
        },
        None => ModelRef::Foundation {
            model_id: s.to_string(),
            arn_region: None,
        },
    })
}

fn parse_arn(full: &str, rest: &str) -> Result<ModelRef, String> {
    // arn:<partition>:bedrock:<region>:<account>:<type>/<id>
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    if parts.len() < 5 || !parts[0].starts_with("aws") || parts[1] != "bedrock" {
        return Err(format!("`{full}` is not a Bedrock ARN (expected arn:aws:bedrock:<region>:<account>:<type>/<id>)"));
    }
    let region = parts[2].to_string();
    let (kind, id) = parts[4]
        .split_once('/')
        .ok_or_else(|| format!("`{full}` has no resource type and id after the account"))?;
    let arn_region = (!region.is_empty()).then(|| region.clone());
    match kind {
        "foundation-model" => {
            check_model_id(id)?;
            Ok(ModelRef::Foundation {
                model_id: id.to_string(),
                arn_region,
            })
        }
        "inference-profile" => {
            let bare = PROFILE_PREFIXES.iter().find_map(|p| id.strip_prefix(p)).ok_or_else(|| {
                format!("`{id}` is not a system inference profile id (it should start with one of {})", PROFILE_PREFIXES.join(" "))
            })?;
            check_model_id(bare)?;
            Ok(ModelRef::SystemProfile {
                profile_id: id.to_string(),
                model_id: bare.to_string(),
                arn_region,
            })
        }
        "application-inference-profile" => Ok(ModelRef::ApplicationProfile {
            arn: full.to_string(),
            region,
        }),
        other => Ok(match OwnedKind::from_resource_type(other) {
            Some(kind) => ModelRef::Owned {
                kind,
                arn: full.to_string(),
                region,
            },
            None => ModelRef::Other {
                arn: full.to_string(),
                kind: other.to_string(),
            },
        }),
    }
}

/// The rule AWS applies to a bare model id: `provider.name`, then up to two `.x` or `:x`
/// parts, lowercase letters, digits and hyphens only.
pub fn check_model_id(id: &str) -> Result<(), String> {
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "-.:".contains(*c)))
    {
        let what = match c {
            c if c.is_ascii_uppercase() => "an uppercase letter".to_string(),
            c if c.is_whitespace() => "whitespace".to_string(),
            c => format!("`{c}`"),
        };
        return Err(format!("`{id}` contains {what}; model ids use lowercase letters, digits, `-`, `.` and `:` only"));
    }
    let Some((provider, rest)) = id.split_once('.') else {
        return Err(format!(
            "`{id}` has no provider prefix; model ids look like provider.model-name-v1:0"
        ));
    };
    if provider.is_empty() || rest.is_empty() || provider.len() > 63 {
        return Err(format!("`{id}` must be provider.model-name"));
    }
    let extra = rest.matches(['.', ':']).count();
    if extra > 2 || rest.split(['.', ':']).any(|p| p.is_empty() || p.len() > 63) {
        return Err(format!("`{id}` has empty or too many `.`/`:` parts"));
    }
    Ok(())
}

/// Today's date (UTC) as YYYY-MM-DD, the form lifecycle dates are compared in.
pub fn today() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()[..10].to_string()
}

/// The foundation-model id inside a model id, profile id or ARN.
pub fn base_model_id(model: &str) -> &str {
    let id = match model.rsplit_once('/') {
        Some((head, tail)) if head.starts_with("arn:") => tail,
        _ => model,
    };
    PROFILE_PREFIXES
        .iter()
        .find_map(|p| id.strip_prefix(p))
        .unwrap_or(id)
}

/// How many quota tokens one output token consumes (docs: quotas-token-burndown.html,
/// revision of 2026-10-07): 15 for Claude Opus 4.8; 10 for Claude Sonnet 5, Opus 5, Opus 5.5
/// and Fable 5.1 and for OpenAI GPT-5.6 Sol, Terra and Luna on bedrock-runtime; 5 for the
/// other Claude models from 3.7 up to 4.7; 1 for every other model. Input tokens count 1:1.
pub fn output_burndown(model: &str) -> f64 {
    let id = base_model_id(model);
    let ten = [
        "anthropic.claude-sonnet-5",
        "anthropic.claude-opus-5",
        "anthropic.claude-fable-5-1",
        "openai.gpt-5.6-",
    ];
    if id.starts_with("anthropic.claude-opus-4-8") {
        15.0
    } else if ten.iter().any(|p| id.starts_with(p))
        && !id.starts_with("anthropic.claude-sonnet-5-5")
    {
        10.0
    } else if id.starts_with("anthropic.claude-3-7")
        || id.starts_with("anthropic.claude-sonnet-4")
        || id.starts_with("anthropic.claude-opus-4")
        || id.starts_with("anthropic.claude-haiku-4")
    {
        5.0
    } else {
        1.0
    }
}

/// Providers whose models AWS does not sell through AWS Marketplace: they have no product id,
/// so Marketplace permissions and agreements never decide whether they can be called
/// (docs: model-access.html, "models not sold through AWS Marketplace": Amazon, DeepSeek,
/// Mistral AI, Meta, Qwen and OpenAI).
const NOT_SOLD_THROUGH_MARKETPLACE: [&str; 6] =
    ["amazon", "deepseek", "mistral", "meta", "qwen", "openai"];

/// Does calling this model (a base id, or a profile id) involve an AWS Marketplace
/// subscription?
pub fn sold_through_marketplace(model_id: &str) -> bool {
    let provider = base_model_id(model_id).split('.').next().unwrap_or("");
    !NOT_SOLD_THROUGH_MARKETPLACE.contains(&provider)
}

/// What `--model` asked for, decided once: every model the region offers (`all`, the
/// onboarding view), or the listed ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSelection {
    All,
    Listed(Vec<String>),
}

impl ModelSelection {
    pub fn of(models: &[String]) -> ModelSelection {
        if models.iter().any(|m| m == "all") {
            ModelSelection::All
        } else {
            ModelSelection::Listed(models.to_vec())
        }
    }
}

/// A `--model` value as given (the report's label for its rows), parsed once: checks read
/// what it names from `parsed`, and the rule it broke when it names nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenModel {
    pub text: String,
    pub parsed: Result<ModelRef, String>,
}

impl GivenModel {
    pub fn new(text: &str) -> GivenModel {
        GivenModel {
            text: text.to_string(),
            parsed: parse(text),
        }
    }
}

pub use crate::catalog::RetiredModel;

/// Models AWS has retired, with their end-of-life date and the suggested replacement.
pub fn retired() -> &'static [RetiredModel] {
    crate::catalog::retired()
}

/// The commercial regions that offer Bedrock (the snapshot's list: a refreshed cache lists
/// only the regions it read).
pub fn bedrock_regions() -> &'static [String] {
    &crate::catalog::snapshot().regions_with_bedrock
}

pub fn find_retired(model_id: &str) -> Option<&'static RetiredModel> {
    retired().iter().find(|m| m.model_id == model_id)
}

/// Known ids ranked by how likely they are what the person meant.
pub fn did_you_mean<'a>(wrong: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['.', '_', ' '], "-");
    let w = norm(wrong);
    let mut scored: Vec<(f64, &str)> = known
        .into_iter()
        .map(|k| {
            let kn = norm(k);
            let mut score = strsim::jaro_winkler(&w, &kn);
            // A missing version suffix (`-v1` vs `-v1:0`) is the most common slip.
            if kn.starts_with(&w) || w.starts_with(&kn) {
                score += 0.1;
            }
            (score, k)
        })
        .filter(|(s, _)| *s > 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(3)
        .map(|(_, k)| k.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ids_profiles_and_arns() {
        assert_eq!(
            parse("anthropic.claude-3-haiku-20240307-v1:0"),
            Ok(ModelRef::Foundation {
                model_id: "anthropic.claude-3-haiku-20240307-v1:0".into(),
                arn_region: None
            })
        );
        assert_eq!(
            parse("us.anthropic.claude-sonnet-4-5-20250929-v1:0")
                .unwrap()
                .model_id(),
            Some("anthropic.claude-sonnet-4-5-20250929-v1:0")
        );
        assert!(matches!(
            parse("global.amazon.nova-2-lite-v1:0"),
            Ok(ModelRef::SystemProfile { .. })
        ));
        assert_eq!(
            parse("arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-lite-v1:0"),
            Ok(ModelRef::Foundation {
                model_id: "amazon.nova-lite-v1:0".into(),
                arn_region: Some("eu-west-1".into())
            })
        );
        assert!(matches!(
            parse(
                "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.amazon.nova-pro-v1:0"
            ),
            Ok(ModelRef::SystemProfile { .. })
        ));
        assert!(matches!(
            parse("arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123"),
            Ok(ModelRef::ApplicationProfile { .. })
        ));
        assert!(matches!(
            parse("arn:aws:bedrock:us-east-1:1:provisioned-model/x"),
            Ok(ModelRef::Owned {
                kind: OwnedKind::Provisioned,
                ..
            })
        ));
        assert!(matches!(
            parse("arn:aws:bedrock:us-east-1:1:prompt-router/x"),
            Ok(ModelRef::Other { .. })
        ));
    }

    #[test]
    fn malformed_ids_name_the_rule() {
        assert!(parse("Claude 3.5 Sonnet")
            .unwrap_err()
            .contains("uppercase"));
        assert!(parse("claude-3-sonnet").unwrap_err().contains("provider"));
        assert!(parse("anthropic.claude_3").unwrap_err().contains("`_`"));
        assert!(parse("").is_err());
        assert!(parse("arn:aws:s3:::bucket")
            .unwrap_err()
            .contains("not a Bedrock ARN"));
        assert!(parse("anthropic.claude-v2:1:2:3").is_err());
    }

    #[test]
    fn suggestions_catch_the_usual_slips() {
        let known = [
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            "anthropic.claude-3-haiku-20240307-v1:0",
            "amazon.nova-lite-v1:0",
        ];
        assert_eq!(
            did_you_mean("anthropic.claude-3.5-sonnet-20240620-v1:0", known)[0],
            known[0]
        );
        assert_eq!(
            did_you_mean("anthropic.claude-3-5-sonnet-20240620-v1", known)[0],
            known[0]
        );
        assert_eq!(did_you_mean("amazon.nova-lite-v1", known)[0], known[2]);
        assert!(did_you_mean("cohere.embed-english", known).is_empty());
    }

    #[test]
    fn output_tokens_burn_down_by_family() {
        assert_eq!(output_burndown("us.anthropic.claude-opus-4-8"), 15.0);
        assert_eq!(output_burndown("global.anthropic.claude-sonnet-5"), 10.0);
        assert_eq!(output_burndown("anthropic.claude-opus-5-5"), 10.0);
        assert_eq!(output_burndown("us.openai.gpt-5.6-sol"), 10.0);
        assert_eq!(output_burndown("us.anthropic.claude-sonnet-4-6"), 5.0);
        assert_eq!(
            output_burndown("anthropic.claude-3-7-sonnet-20250219-v1:0"),
            5.0
        );
        assert_eq!(
            output_burndown("anthropic.claude-haiku-4-5-20251001-v1:0"),
            5.0
        );
        assert_eq!(
            output_burndown("anthropic.claude-3-haiku-20240307-v1:0"),
            1.0
        );
        assert_eq!(output_burndown("amazon.nova-lite-v1:0"), 1.0);
        assert_eq!(output_burndown("openai.gpt-oss-120b-1:0"), 1.0);
    }

    #[test]
    fn marketplace_sale_follows_the_provider() {
        assert!(!sold_through_marketplace("amazon.nova-lite-v1:0"));
        assert!(!sold_through_marketplace(
            "us.meta.llama4-scout-17b-instruct-v1:0"
        ));
        assert!(!sold_through_marketplace("in.openai.gpt-5.6-terra"));
        assert!(!sold_through_marketplace(
            "arn:aws:bedrock:us-east-1::foundation-model/mistral.mistral-large-3-675b-instruct"
        ));
        assert!(sold_through_marketplace(
            "global.anthropic.claude-sonnet-4-6"
        ));
        assert!(sold_through_marketplace("cohere.embed-v4:0"));
    }

    #[test]
    fn retired_models_are_known() {
        let sdxl = find_retired("stability.stable-diffusion-xl-v0").unwrap();
        assert!(sdxl.replacement.is_some());
        assert!(bedrock_regions().len() > 20);
    }
}
