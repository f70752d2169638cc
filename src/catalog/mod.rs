//! The model catalog: models, regions, inference profiles and retired models, gathered from
//! AWS's documentation and API listings (catalog.json, sources in SOURCES.md beside it), and
//! everything derived from it that needs no account: lifecycles on a date, and ARNs in the
//! region's partition. Parsed here and nowhere else.
//!
//! Two views: the `snapshot` built into the binary (what the simulator serves, so scenarios do
//! not depend on the machine), and the catalog `in_use` for judging lifecycles, which is the
//! cache `bedrock-doctor catalog refresh` writes from an account's own listings when it is not
//! older than the snapshot.

use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

const SNAPSHOT: &str = include_str!("catalog.json");

#[derive(Debug, Clone, Deserialize)]
pub struct Catalog {
    /// The date (YYYY-MM-DD) the facts were collected.
    pub as_of: String,
    #[serde(default)]
    pub regions_with_bedrock: Vec<String>,
    pub models: Vec<CatalogModel>,
    #[serde(default)]
    pub end_of_life_models: Vec<RetiredModel>,
    #[serde(default)]
    pub inference_profiles: Vec<CatalogProfile>,
}

/// A model as ListFoundationModels describes it. The refreshed cache carries only the id, name,
/// lifecycle and regions; the other fields are empty there.
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogModel {
    pub model_id: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub model_name: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub input_modalities: Vec<String>,
    #[serde(default)]
    pub output_modalities: Vec<String>,
    #[serde(default)]
    pub response_streaming: bool,
    #[serde(default)]
    pub inference_types: Vec<String>,
    #[serde(default)]
    pub customizations: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub lifecycle: String,
    #[serde(default)]
    pub legacy_since: Option<String>,
    /// A Legacy date AWS has announced that was still ahead at the catalog's as_of.
    #[serde(default)]
    pub legacy_scheduled: Option<String>,
    #[serde(default)]
    pub end_of_life: Option<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub profile_source_regions: Vec<String>,
    #[serde(default)]
    pub variant_of: Option<String>,
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

impl CatalogModel {
    /// The model's lifecycle on `date` (YYYY-MM-DD): its dates decide, not the status the
    /// catalog recorded at as_of. `None` once it has reached end of life.
    pub fn lifecycle_on(&self, date: &str) -> Option<&'static str> {
        if self.end_of_life.as_deref().is_some_and(|eol| eol <= date) {
            return None;
        }
        let legacy = self
            .legacy_since
            .as_deref()
            .or(self.legacy_scheduled.as_deref());
        let is_legacy = match legacy {
            Some(l) => l <= date,
            None => self.lifecycle == "LEGACY",
        };
        Some(if is_legacy { "LEGACY" } else { "ACTIVE" })
    }

    /// The name, when the catalog has one.
    pub fn name(&self) -> Option<&str> {
        (!self.model_name.is_empty()).then_some(self.model_name.as_str())
    }
}

/// A system-defined cross-Region inference profile.
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogProfile {
    pub id: String,
    pub name: String,
    pub model_id: String,
    pub source_regions: Vec<String>,
    pub destination_regions: Vec<String>,
    #[serde(default)]
    pub destinations_by_source: BTreeMap<String, Vec<String>>,
}

impl CatalogProfile {
    /// Where a call made from `source` may be routed.
    pub fn destinations_from(&self, source: &str) -> &[String] {
        self.destinations_by_source
            .get(source)
            .unwrap_or(&self.destination_regions)
    }

    pub fn is_global(&self) -> bool {
        self.id.starts_with("global.")
    }
}

/// A model AWS has retired, with its end-of-life date and the suggested replacement.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RetiredModel {
    pub model_id: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub model_name: String,
    #[serde(default)]
    pub provider: String,
    pub end_of_life: String,
    #[serde(default)]
    pub replacement: Option<String>,
}

/// The catalog built into the binary; its validity is tested (`the_snapshot_loads`).
pub fn snapshot() -> &'static Catalog {
    static DATA: OnceLock<Catalog> = OnceLock::new();
    DATA.get_or_init(|| {
        serde_json::from_str(SNAPSHOT).unwrap_or_else(|e| panic!("src/catalog/catalog.json: {e}"))
    })
}

/// Which catalog judges lifecycles, and why: the refreshed cache, or the snapshot (with the
/// reason a cache was passed over, when there is one).
struct InUse {
    /// The cache and where it is, when it is used.
    cache: Option<(Catalog, PathBuf)>,
    passed_over: Option<String>,
}

impl InUse {
    fn catalog(&self) -> &Catalog {
        self.cache.as_ref().map_or(snapshot(), |(c, _)| c)
    }
}

fn in_use_with_source() -> &'static InUse {
    static C: OnceLock<InUse> = OnceLock::new();
    C.get_or_init(|| {
        let snapshot = snapshot();
        let from_snapshot = |passed_over| InUse {
            cache: None,
            passed_over,
        };
        let Some(path) = cache_path() else {
            return from_snapshot(None);
        };
        let Ok(text) = std::fs::read_to_string(&path) else {
            return from_snapshot(None);
        };
        match serde_json::from_str::<Catalog>(&text) {
            Ok(c) if c.as_of >= snapshot.as_of => InUse {
                cache: Some((c, path)),
                passed_over: None,
            },
            Ok(c) => from_snapshot(Some(format!(
                "the cache {} is from {}, older than the snapshot",
                path.display(),
                c.as_of
            ))),
            Err(e) => from_snapshot(Some(format!(
                "the cache {} could not be read ({e}); run bedrock-doctor catalog refresh again",
                path.display()
            ))),
        }
    })
}

/// The catalog lifecycles are judged with.
pub fn in_use() -> &'static Catalog {
    in_use_with_source().catalog()
}

/// Retired models: the snapshot's and the cache's together, since a cache written by an
/// older binary does not know the models retired since.
pub fn retired() -> &'static [RetiredModel] {
    static ALL: OnceLock<Vec<RetiredModel>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all = snapshot().end_of_life_models.clone();
        for m in &in_use().end_of_life_models {
            if !all.iter().any(|a| a.model_id == m.model_id) {
                all.push(m.clone());
            }
        }
        all
    })
}

/// The user cache `catalog refresh` writes: BEDROCK_DOCTOR_CACHE_DIR, else the platform's
/// cache directory.
pub fn cache_path() -> Option<PathBuf> {
    let dir = match std::env::var_os("BEDROCK_DOCTOR_CACHE_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => dirs::cache_dir()?.join("bedrock-doctor"),
    };
    Some(dir.join("catalog.json"))
}

/// One line: which catalog is in use and its date.
pub fn describe_source() -> String {
    let u = in_use_with_source();
    let c = u.catalog();
    match (&u.cache, &u.passed_over) {
        (Some((_, p)), _) => format!(
            "model catalog of {} from {} ({} models)",
            c.as_of,
            p.display(),
            c.models.len()
        ),
        (None, why) => format!(
            "model catalog of {}: the snapshot built into this bedrock-doctor ({} models){}",
            c.as_of,
            c.models.len(),
            why.as_deref().map(|w| format!("; {w}")).unwrap_or_default()
        ),
    }
}

/// The partition of a region, as the AWS SDKs' endpoint partitions define it.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else {
        "aws"
    }
}

/// `arn:<partition>:bedrock:<region>::foundation-model/<model>`.
pub fn foundation_model_arn(region: &str, model: &str) -> String {
    format!(
        "arn:{}:bedrock:{region}::foundation-model/{model}",
        partition(region)
    )
}

/// `arn:<partition>:bedrock:<region>:<account>:inference-profile/<id>`.
pub fn inference_profile_arn(region: &str, account: &str, id: &str) -> String {
    format!(
        "arn:{}:bedrock:{region}:{account}:inference-profile/{id}",
        partition(region)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snapshot_loads_with_about_a_hundred_models() {
        let c = snapshot();
        assert!(c.models.len() >= 100, "{}", c.models.len());
        assert!(c.regions_with_bedrock.contains(&"us-east-1".to_string()));
        assert!(c
            .end_of_life_models
            .iter()
            .any(|m| m.model_id == "stability.stable-diffusion-xl-v0"));
        for p in &c.inference_profiles {
            assert!(
                c.models.iter().any(|m| m.model_id == p.model_id),
                "profile {} names an unknown model",
                p.id
            );
        }
    }

    #[test]
    fn lifecycle_follows_the_dates() {
        let c = snapshot();
        let opus41 = c
            .models
            .iter()
            .find(|m| m.model_id == "anthropic.claude-opus-4-1-20250805-v1:0")
            .expect("Opus 4.1 is in the catalog");
        // AWS: Legacy 2026-07-08, end of life 2027-01-08 (model-lifecycle-legacy.html)
        assert_eq!(opus41.lifecycle_on("2026-07-07"), Some("ACTIVE"));
        assert_eq!(opus41.lifecycle_on("2026-07-08"), Some("LEGACY"));
        assert_eq!(opus41.lifecycle_on("2027-01-08"), None);
        // nothing in the catalog is past its end of life on the day it was taken
        for m in &c.models {
            assert!(
                m.lifecycle_on(&c.as_of).is_some(),
                "{} is past its end of life",
                m.model_id
            );
        }
    }

    /// The shape `catalog refresh` writes parses as a catalog: names may be null, and the
    /// fields the listing does not give are empty.
    #[test]
    fn a_refreshed_cache_parses() {
        let cache = r#"{"as_of": "2026-12-01", "source": "ListFoundationModels in us-east-1",
            "models": [{"model_id": "amazon.nova-lite-v1:0", "model_name": null,
                        "lifecycle": "ACTIVE", "legacy_since": null, "end_of_life": null,
                        "regions": ["us-east-1"]}],
            "inference_profile_ids": ["us.amazon.nova-lite-v1:0"],
            "end_of_life_models": [{"model_id": "x", "model_name": "X", "provider": "p",
                                    "end_of_life": "2024-01-01"}]}"#;
        let c: Catalog = serde_json::from_str(cache).unwrap();
        assert_eq!(c.models[0].name(), None);
        assert_eq!(c.models[0].lifecycle_on("2026-12-01"), Some("ACTIVE"));
    }

    #[test]
    fn arns_take_the_partition_of_their_region() {
        assert_eq!(
            foundation_model_arn("us-gov-west-1", "anthropic.claude-3-haiku-20240307-v1:0"),
            "arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
        );
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("eu-central-1"), "aws");
        assert_eq!(
            inference_profile_arn("us-east-1", "111122223333", "us.amazon.nova-pro-v1:0"),
            "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.amazon.nova-pro-v1:0"
        );
    }
}
