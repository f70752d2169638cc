//! The built-in model catalog (data/catalog.json: models, regions, inference profiles and
//! retired models, gathered from AWS documentation; sources in data/SOURCES.md).

use crate::models::RetiredModel;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Deserialize)]
pub struct CatalogData {
    pub as_of: String,
    pub regions_with_bedrock: Vec<String>,
    pub models: Vec<CatalogModel>,
    pub end_of_life_models: Vec<RetiredModel>,
    pub inference_profiles: Vec<CatalogProfile>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CatalogModel {
    pub model_id: String,
    pub model_name: String,
    pub provider: String,
    pub input_modalities: Vec<String>,
    pub output_modalities: Vec<String>,
    pub response_streaming: bool,
    pub inference_types: Vec<String>,
    #[serde(default)]
    pub customizations: Vec<String>,
    pub lifecycle: String,
    #[serde(default)]
    pub legacy_since: Option<String>,
    /// A Legacy date AWS has announced that was still ahead at the catalog's as_of.
    #[serde(default)]
    pub legacy_scheduled: Option<String>,
    #[serde(default)]
    pub end_of_life: Option<String>,
    pub regions: Vec<String>,
    #[serde(default)]
    pub profile_source_regions: Vec<String>,
    #[serde(default)]
    pub variant_of: Option<String>,
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
}

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

pub fn catalog() -> &'static CatalogData {
    static DATA: OnceLock<CatalogData> = OnceLock::new();
    DATA.get_or_init(|| {
        serde_json::from_str(include_str!("data/catalog.json"))
            .expect("catalog.json is checked by tests")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_follows_the_dates() {
        let c = catalog();
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

    #[test]
    fn catalog_loads_with_about_a_hundred_models() {
        let c = catalog();
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
}
