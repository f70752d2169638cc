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
    #[serde(default)]
    pub end_of_life: Option<String>,
    pub regions: Vec<String>,
    #[serde(default)]
    pub profile_source_regions: Vec<String>,
    #[serde(default)]
    pub variant_of: Option<String>,
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
