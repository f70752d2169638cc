//! Model lifecycle facts (Legacy, end of life, successor), judged from the model catalog in use
//! (src/catalog: the refreshed cache or the built-in snapshot), so the doctor has one list of
//! retired models rather than one per feature.

use crate::catalog;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lifecycle {
    /// Still callable by accounts that used it recently; retires on `end_of_life` if known.
    Legacy {
        model_id: String,
        end_of_life: Option<String>,
    },
    /// No longer callable.
    EndOfLife {
        model_id: String,
        name: Option<String>,
        end_of_life: String,
        replacement: Option<String>,
    },
}

/// How old a catalog may be before lifecycle answers are flagged as possibly stale.
pub const STALE_AFTER_DAYS: i64 = 120;

/// A note when the catalog in use is older than 120 days on `today` (YYYY-MM-DD).
pub fn stale_note(today: &str) -> Option<String> {
    let as_of = as_of()?;
    let days = days_between(as_of, today)?;
    (days > STALE_AFTER_DAYS).then(|| {
        format!("the model catalog is from {as_of}, {days} days ago: lifecycle facts (Legacy, end of life) may be out of date; refresh it with `bedrock-doctor catalog refresh --regions all`")
    })
}

fn days_between(from: &str, to: &str) -> Option<i64> {
    let day = |d: &str| {
        humantime::parse_rfc3339(&format!("{d}T00:00:00Z"))
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|s| (s.as_secs() / 86_400) as i64)
    };
    Some(day(to)? - day(from)?)
}

/// The model's name in the offline catalog (`Claude Sonnet 4.6`), for when the live list
/// did not answer.
pub fn name_of(model_id: &str) -> Option<&'static str> {
    let id = base_model_id(model_id);
    catalog::in_use()
        .models
        .iter()
        .find(|m| same_model(id, &m.model_id))
        .and_then(|m| m.name())
}

/// The retired models a refreshed cache keeps: the live listing no longer shows them.
pub fn retired_for_cache() -> &'static [catalog::RetiredModel] {
    &catalog::snapshot().end_of_life_models
}

/// The date the lifecycle facts were collected.
pub fn as_of() -> Option<&'static str> {
    Some(catalog::in_use().as_of.as_str())
}

/// The foundation-model id inside a model id, profile id or ARN.
pub use crate::models::base_model_id;

/// `stability.stable-diffusion-xl-v1:0` is the same model as catalog id
/// `stability.stable-diffusion-xl-v1`; other version suffixes are different models.
fn same_model(asked: &str, catalog_id: &str) -> bool {
    asked == catalog_id || asked.strip_suffix(":0") == Some(catalog_id)
}

/// The model's lifecycle today, judged from its dates (a model can reach Legacy or end of
/// life after the catalog was taken).
pub fn lifecycle(model: &str) -> Option<Lifecycle> {
    lifecycle_on(model, &crate::models::today())
}

/// The model's lifecycle on `date` (YYYY-MM-DD).
pub fn lifecycle_on(model: &str, date: &str) -> Option<Lifecycle> {
    let c = catalog::in_use();
    let id = base_model_id(model);
    if let Some(e) = catalog::retired()
        .iter()
        .find(|e| same_model(id, &e.model_id))
    {
        return Some(Lifecycle::EndOfLife {
            model_id: e.model_id.clone(),
            name: (!e.model_name.is_empty()).then(|| e.model_name.clone()),
            end_of_life: e.end_of_life.clone(),
            replacement: e.replacement.clone(),
        });
    }
    let m = c.models.iter().find(|m| same_model(id, &m.model_id))?;
    if let Some(eol) = m.end_of_life.as_deref().filter(|eol| *eol <= date) {
        return Some(Lifecycle::EndOfLife {
            model_id: m.model_id.clone(),
            name: m.name().map(String::from),
            end_of_life: eol.to_string(),
            replacement: None,
        });
    }
    let legacy = match m.legacy_since.as_deref().or(m.legacy_scheduled.as_deref()) {
        Some(since) => since <= date,
        None => m.lifecycle == "LEGACY",
    };
    legacy.then(|| Lifecycle::Legacy {
        model_id: m.model_id.clone(),
        end_of_life: m.end_of_life.clone(),
    })
}

/// Whether the catalog in use knows the model (listed, or retired) behind a model id,
/// profile id or foundation-model ARN. Ids of the account's own resources (application
/// profiles, provisioned or custom models) name no catalog model and count as known.
pub fn is_known(model: &str) -> bool {
    if model.starts_with("arn:")
        && !model.contains(":foundation-model/")
        && !model.contains(":inference-profile/")
    {
        return true;
    }
    let id = base_model_id(model);
    catalog::in_use()
        .models
        .iter()
        .any(|m| same_model(id, &m.model_id))
        || catalog::retired()
            .iter()
            .any(|e| same_model(id, &e.model_id))
}

/// The catalog ids closest to an id it does not know, best first.
pub fn closest_known(model: &str) -> Vec<String> {
    crate::models::did_you_mean(
        base_model_id(model),
        catalog::in_use().models.iter().map(|m| m.model_id.as_str()),
    )
}

/// Whether the catalog says `model` (a model id, or a system profile id) can be called by
/// that id from `region`: on demand there, or a profile that `region` is a source of.
pub fn offered_in(model: &str, region: &str) -> bool {
    let c = catalog::in_use();
    if let Some(p) = c.inference_profiles.iter().find(|p| p.id == model) {
        return p.source_regions.iter().any(|s| s == region);
    }
    c.models
        .iter()
        .any(|m| same_model(model, &m.model_id) && m.regions.iter().any(|r| r == region))
}

/// How to call `model_id` from `region` (`None`: not known), for advice that names a
/// model to move to: its id where the catalog offers it on demand there, else the system
/// inference profile that serves that region (a profile-only model called by its bare id is
/// refused: "on-demand throughput isn't supported", docs: inference-profiles-support.html).
/// Geographic profiles come before global ones: they keep the data in the geography.
pub fn how_to_call(model_id: &str, region: Option<&str>) -> String {
    let c = catalog::in_use();
    let id = base_model_id(model_id);
    let Some(m) = c.models.iter().find(|m| same_model(id, &m.model_id)) else {
        return model_id.to_string();
    };
    let mut profiles: Vec<&catalog::CatalogProfile> = c
        .inference_profiles
        .iter()
        .filter(|p| p.model_id == m.model_id)
        .collect();
    profiles.sort_by_key(|p| {
        (
            p.is_global(),
            std::cmp::Reverse(p.source_regions.len()),
            p.id.clone(),
        )
    });
    match region {
        Some(r) if m.regions.iter().any(|x| x == r) => model_id.to_string(),
        Some(r) => match profiles
            .iter()
            .find(|p| p.source_regions.iter().any(|s| s == r))
        {
            Some(p) => format!("{} (its inference profile in {r})", p.id),
            None => model_id.to_string(),
        },
        // Offered on demand in fewer regions than through a profile: say so.
        None if m.profile_source_regions.len() > m.regions.len() && !profiles.is_empty() => {
            let ids: Vec<&str> = profiles.iter().map(|p| p.id.as_str()).collect();
            format!(
                "{model_id} (in most regions only through an inference profile: {})",
                ids.join(", ")
            )
        }
        None => model_id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offered_by_id_or_through_a_source_region() {
        assert!(offered_in("amazon.nova-lite-v1:0", "us-east-1"));
        assert!(offered_in("us.anthropic.claude-sonnet-4-6", "us-east-1"));
        assert!(!offered_in("us.anthropic.claude-sonnet-4-6", "eu-west-1"));
        assert!(!offered_in("anthropic.claude-sonnet-4-6", "us-east-1"));
    }

    #[test]
    fn catalog_models_are_known_and_a_typo_is_not() {
        assert!(is_known("us.anthropic.claude-sonnet-4-6"));
        assert!(is_known("stability.stable-diffusion-xl-v0"));
        assert!(!is_known("anthropic.claude-sonet-4-6"));
        assert_eq!(
            closest_known("anthropic.claude-sonet-4-6")
                .first()
                .map(String::as_str),
            Some("anthropic.claude-sonnet-4-6")
        );
        assert!(is_known(
            "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123"
        ));
    }

    #[test]
    fn a_profile_only_successor_is_named_with_its_profile() {
        assert_eq!(
            how_to_call("anthropic.claude-sonnet-4-6", Some("us-east-1")),
            "us.anthropic.claude-sonnet-4-6 (its inference profile in us-east-1)"
        );
        // Offered on demand there (the catalog's `regions`).
        assert_eq!(
            how_to_call("anthropic.claude-sonnet-4-6", Some("eu-west-2")),
            "anthropic.claude-sonnet-4-6"
        );
        assert!(how_to_call("anthropic.claude-sonnet-4-6", None)
            .contains("us.anthropic.claude-sonnet-4-6"));
        assert_eq!(
            how_to_call("amazon.nova-lite-v1:0", Some("us-east-1")),
            "amazon.nova-lite-v1:0"
        );
        assert_eq!(
            how_to_call("stability.sd3-5-large-v1:0", None),
            "stability.sd3-5-large-v1:0"
        );
    }

    #[test]
    fn sdxl_lifecycle() {
        match lifecycle("stability.stable-diffusion-xl-v0") {
            Some(Lifecycle::EndOfLife { replacement, .. }) => {
                assert_eq!(
                    replacement.as_deref(),
                    Some("stability.stable-diffusion-xl-v1")
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            lifecycle(
                "arn:aws:bedrock:us-west-2::foundation-model/stability.stable-diffusion-xl-v1:0"
            ),
            Some(Lifecycle::EndOfLife { .. })
        ));
        assert_eq!(lifecycle("us.anthropic.claude-sonnet-4-6"), None);
        assert!(matches!(
            lifecycle("us.anthropic.claude-3-7-sonnet-20250219-v1:0"),
            Some(Lifecycle::EndOfLife { .. })
        ));
    }

    #[test]
    fn an_old_catalog_says_so() {
        let as_of = as_of().unwrap();
        assert_eq!(stale_note(as_of), None);
        let later = |days: u64| {
            let t = humantime::parse_rfc3339(&format!("{as_of}T00:00:00Z")).unwrap()
                + std::time::Duration::from_secs(days * 86_400);
            humantime::format_rfc3339_seconds(t).to_string()[..10].to_string()
        };
        assert_eq!(stale_note(&later(120)), None);
        let note = stale_note(&later(121)).unwrap();
        assert!(
            note.contains("121 days ago") && note.contains("bedrock-doctor catalog refresh"),
            "{note}"
        );
    }

    #[test]
    fn lifecycle_is_judged_on_the_day_asked() {
        // Claude Opus 4.1: Legacy 2026-07-08, end of life 2027-01-08 (model-lifecycle-legacy.html)
        let id = "anthropic.claude-opus-4-1-20250805-v1:0";
        assert_eq!(lifecycle_on(id, "2026-07-01"), None);
        assert!(matches!(
            lifecycle_on(id, "2026-12-01"),
            Some(Lifecycle::Legacy { .. })
        ));
        assert!(matches!(
            lifecycle_on(id, "2027-01-08"),
            Some(Lifecycle::EndOfLife { .. })
        ));
    }
}
