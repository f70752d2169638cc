//! Amazon Bedrock's control plane: the model list, models, their availability, inference
//! profiles (system-defined and application) and the use-case form.

use super::*;

impl World<'_> {
    pub(super) fn profiles_here(&self) -> Vec<&'static CatalogProfile> {
        let region = self.region().to_string();
        snapshot()
            .inference_profiles
            .iter()
            .filter(|p| p.source_regions.contains(&region))
            .collect()
    }

    pub(super) fn models_here(&self) -> Vec<ModelView<'static>> {
        let region = self.region();
        let profiles = self.profiles_here();
        let overrides = &self.scenario.catalog.overrides;
        snapshot()
            .models
            .iter()
            .filter_map(|m| {
                let mut types = Vec::new();
                let in_region = m.regions.iter().any(|r| r == region);
                if in_region && m.inference_types.iter().any(|t| t == "ON_DEMAND") {
                    types.push("ON_DEMAND".to_string());
                }
                if m.inference_types.iter().any(|t| t == "PROVISIONED") && in_region {
                    types.push("PROVISIONED".to_string());
                }
                if m.profile_source_regions.iter().any(|r| r == region)
                    || profiles.iter().any(|p| p.model_id == m.model_id)
                {
                    types.push("INFERENCE_PROFILE".to_string());
                }
                // Past its end of life a model leaves the listing (docs: model-lifecycle.html).
                let lifecycle = m.lifecycle_on(&self.today())?;
                let mut view = ModelView {
                    m,
                    lifecycle: lifecycle.to_string(),
                    end_of_life: m.end_of_life.clone(),
                    types,
                };
                for o in overrides
                    .iter()
                    .filter(|o| glob(&o.model, &m.model_id) && glob(&o.region, region))
                {
                    if o.remove {
                        return None;
                    }
                    if let Some(l) = &o.lifecycle {
                        view.lifecycle = l.as_str().to_string();
                    }
                    if let Some(e) = &o.end_of_life {
                        view.end_of_life = Some(e.clone());
                    }
                    if let Some(t) = &o.inference_types {
                        view.types = t.clone();
                    }
                }
                (!view.types.is_empty()).then_some(view)
            })
            .collect()
    }

    pub(super) fn model_json(&self, v: &ModelView) -> Value {
        let mut lifecycle = json!({ "status": v.lifecycle });
        if let Some(eol) = &v.end_of_life {
            lifecycle["endOfLifeTime"] = json!(format!("{eol}T00:00:00Z"));
        }
        json!({
            "modelArn": format!("arn:aws:bedrock:{}::foundation-model/{}", self.region(), v.m.model_id),
            "modelId": v.m.model_id,
            "modelName": v.m.model_name,
            "providerName": v.m.provider,
            "inputModalities": v.m.input_modalities,
            "outputModalities": v.m.output_modalities,
            "responseStreamingSupported": v.m.response_streaming,
            "customizationsSupported": v.m.customizations,
            "inferenceTypesSupported": v.types,
            "modelLifecycle": lifecycle,
        })
    }

    pub(super) fn list_models(&self) -> Reply {
        let c = self.call;
        let provider = c.param("byProvider").map(|p| p.to_ascii_lowercase());
        let output = c.param("byOutputModality");
        let inference = c.param("byInferenceType");
        let models: Vec<Value> = self
            .models_here()
            .iter()
            .filter(|v| {
                provider
                    .as_ref()
                    .is_none_or(|p| v.m.provider.to_ascii_lowercase().contains(p.as_str()))
            })
            .filter(|v| {
                output
                    .as_ref()
                    .is_none_or(|o| v.m.output_modalities.contains(o))
            })
            .filter(|v| inference.as_ref().is_none_or(|t| v.types.contains(t)))
            .map(|v| self.model_json(v))
            .collect();
        wire::json_ok(&json!({ "modelSummaries": models }))
    }

    /// A model id or foundation-model ARN, as the caller gave it.
    pub(super) fn find_model(&self, id: &str) -> Option<ModelView<'static>> {
        let bare = id.rsplit("foundation-model/").next().unwrap_or(id);
        self.models_here()
            .into_iter()
            .find(|v| v.m.model_id == bare)
    }

    pub(super) fn get_model(&self, protocol: Protocol) -> Reply {
        match self.find_model(&path_id(self.call, false)) {
            Some(v) => wire::json_ok(&json!({ "modelDetails": self.model_json(&v) })),
            None => self.not_valid(protocol),
        }
    }

    pub(super) fn access_for(&self, model_id: &str) -> Option<&crate::sim::scenario::Access> {
        self.scenario
            .access
            .iter()
            .find(|a| glob(&a.model, model_id) && glob(&a.region, self.region()))
    }

    pub(super) fn availability(&self, protocol: Protocol) -> Reply {
        let id = path_id(self.call, false);
        let Some(v) = self.find_model(&id) else {
            return self.not_valid(protocol);
        };
        let mut body = json!({
            "modelId": v.m.model_id,
            "agreementAvailability": { "status": "AVAILABLE" },
            "authorizationStatus": "AUTHORIZED",
            "entitlementAvailability": "AVAILABLE",
            "regionAvailability": "AVAILABLE",
        });
        if let Some(a) = self.access_for(&v.m.model_id) {
            body["authorizationStatus"] = json!(a.authorization.as_str());
            body["entitlementAvailability"] = json!(a.entitlement.as_str());
            body["regionAvailability"] = json!(a.region_availability.as_str());
            body["agreementAvailability"] = json!({ "status": a.agreement.as_str() });
            if let Some(msg) = &a.agreement_error {
                body["agreementAvailability"]["errorMessage"] = json!(msg);
            }
        }
        wire::json_ok(&body)
    }

    pub(super) fn profile_json(&self, p: &CatalogProfile) -> Value {
        let mut models: Vec<Value> = p
            .destinations_from(self.region())
            .iter()
            .map(|r| json!({ "modelArn": format!("arn:aws:bedrock:{r}::foundation-model/{}", p.model_id) }))
            .collect();
        if p.is_global() {
            models.push(
                json!({ "modelArn": format!("arn:aws:bedrock:::foundation-model/{}", p.model_id) }),
            );
        }
        json!({
            "inferenceProfileName": p.name,
            "description": format!("Routes requests to {} across regions.", p.model_id),
            "createdAt": "2024-08-27T00:00:00Z",
            "updatedAt": "2025-01-15T00:00:00Z",
            "inferenceProfileArn": format!("arn:aws:bedrock:{}:{}:inference-profile/{}", self.region(), self.account(), p.id),
            "models": models,
            "inferenceProfileId": p.id,
            "status": "ACTIVE",
            "type": "SYSTEM_DEFINED",
        })
    }

    pub(super) fn list_profiles(&self) -> Reply {
        // The SDK sends typeEquals as the `type` query parameter.
        if self.call.param("type").as_deref() == Some("APPLICATION") {
            let list: Vec<Value> = self
                .application_profiles_here()
                .iter()
                .filter_map(|a| self.application_profile_json(a))
                .collect();
            return wire::json_ok(&json!({ "inferenceProfileSummaries": list }));
        }
        let list: Vec<Value> = self
            .profiles_here()
            .iter()
            .map(|p| self.profile_json(p))
            .collect();
        wire::json_ok(&json!({ "inferenceProfileSummaries": list }))
    }

    pub(super) fn find_profile(&self, id: &str) -> Option<&'static CatalogProfile> {
        let bare = id.rsplit("inference-profile/").next().unwrap_or(id);
        self.profiles_here().into_iter().find(|p| p.id == bare)
    }

    /// The application profiles of this region.
    pub(super) fn application_profiles_here(
        &self,
    ) -> Vec<&crate::sim::scenario::ApplicationProfile> {
        let s = self.scenario;
        s.application_profiles
            .iter()
            .filter(|a| a.region.as_deref().unwrap_or(&s.region) == self.region())
            .collect()
    }

    /// An application profile by its id or ARN.
    pub(super) fn find_application_profile(
        &self,
        id: &str,
    ) -> Option<&crate::sim::scenario::ApplicationProfile> {
        let bare = id
            .rsplit("application-inference-profile/")
            .next()
            .unwrap_or(id);
        self.application_profiles_here()
            .into_iter()
            .find(|a| a.id == bare)
    }

    pub(super) fn application_profile_arn(
        &self,
        a: &crate::sim::scenario::ApplicationProfile,
    ) -> String {
        format!(
            "arn:aws:bedrock:{}:{}:application-inference-profile/{}",
            self.region(),
            self.account(),
            a.id
        )
    }

    /// What it routes to: the models of the system profile it copies, or its one model.
    pub(super) fn application_route(
        &self,
        a: &crate::sim::scenario::ApplicationProfile,
    ) -> Option<(ModelView<'static>, Option<&'static CatalogProfile>)> {
        if let Some(p) = self.find_profile(&a.copy_from) {
            let model = self
                .models_here()
                .into_iter()
                .find(|v| v.m.model_id == p.model_id)?;
            return Some((model, Some(p)));
        }
        self.find_model(&a.copy_from).map(|v| (v, None))
    }

    pub(super) fn application_profile_json(
        &self,
        a: &crate::sim::scenario::ApplicationProfile,
    ) -> Option<Value> {
        let (model, system) = self.application_route(a)?;
        let models = match system {
            Some(p) => self.profile_json(p)["models"].clone(),
            None => {
                json!([{ "modelArn": format!("arn:aws:bedrock:{}::foundation-model/{}", self.region(), model.m.model_id) }])
            }
        };
        Some(json!({
            "inferenceProfileName": a.name,
            "description": format!("Application profile copied from {}", a.copy_from),
            "createdAt": "2026-03-02T00:00:00Z",
            "updatedAt": "2026-03-02T00:00:00Z",
            "inferenceProfileArn": self.application_profile_arn(a),
            "models": models,
            "inferenceProfileId": a.id,
            "status": "ACTIVE",
            "type": "APPLICATION",
        }))
    }

    pub(super) fn get_profile(&self, protocol: Protocol) -> Reply {
        let id = path_id(self.call, false);
        if id.contains("application-inference-profile/") || self.find_profile(&id).is_none() {
            if let Some(body) = self
                .find_application_profile(&id)
                .and_then(|a| self.application_profile_json(a))
            {
                return wire::json_ok(&body);
            }
        }
        match self.find_profile(&id) {
            Some(p) => wire::json_ok(&self.profile_json(p)),
            None => protocol.error(
                404,
                "ResourceNotFoundException",
                "The specified inference profile couldn't be found.",
                self.rid,
            ),
        }
    }

    /// A guardrail of this region, by id or ARN (guardrails are regional).
    pub(super) fn find_guardrail(
        &self,
        identifier: &str,
    ) -> Option<&crate::sim::scenario::Guardrail> {
        let s = self.scenario;
        let id = identifier.rsplit("guardrail/").next().unwrap_or(identifier);
        s.guardrails
            .iter()
            .find(|g| g.id == id && g.region.as_deref().unwrap_or(&s.region) == self.region())
    }

    pub(super) fn guardrail_arn(&self, g: &crate::sim::scenario::Guardrail) -> String {
        format!(
            "arn:aws:bedrock:{}:{}:guardrail/{}",
            self.region(),
            self.account(),
            g.id
        )
    }

    /// GetGuardrail (GET /guardrails/{guardrailIdentifier}?guardrailVersion=): DRAFT when no
    /// version is asked (API_GetGuardrail.html). An unknown guardrail or version is a 404
    /// ResourceNotFoundException; its message is the API model's documentation of that error
    /// (the service's own words for this case were not found published).
    pub(super) fn get_guardrail(&self, protocol: Protocol) -> Reply {
        let id = path_id(self.call, false);
        let version = self
            .call
            .param("guardrailVersion")
            .unwrap_or_else(|| "DRAFT".into());
        let Some(g) = self
            .find_guardrail(&id)
            .filter(|g| g.versions.contains(&version))
        else {
            return protocol.error(
                404,
                "ResourceNotFoundException",
                "The specified resource Amazon Resource Name (ARN) was not found. Check the Amazon Resource Name (ARN) and try your request again.",
                self.rid,
            );
        };
        let mut body = json!({
            "name": g.name,
            "guardrailId": g.id,
            "guardrailArn": self.guardrail_arn(g),
            "version": version,
            "status": g.status.as_str(),
            "createdAt": "2026-05-04T00:00:00Z",
            "updatedAt": "2026-05-04T00:00:00Z",
            "blockedInputMessaging": "Sorry, the model cannot answer this question.",
            "blockedOutputsMessaging": "Sorry, the model cannot answer this question.",
        });
        if !g.status_reasons.is_empty() {
            body["statusReasons"] = json!(g.status_reasons);
        }
        if !g.failure_recommendations.is_empty() {
            body["failureRecommendations"] = json!(g.failure_recommendations);
        }
        wire::json_ok(&body)
    }

    pub(super) fn use_case(&self, protocol: Protocol) -> Reply {
        if self.scenario.use_case_submitted {
            // formData is a blob: base64 in JSON.
            wire::json_ok(&json!({ "formData": "eyJjb21wYW55TmFtZSI6IkV4YW1wbGUgQ29ycCJ9" }))
        } else {
            protocol.error(
                404,
                "ResourceNotFoundException",
                "Model use case details have not been submitted for this account.",
                self.rid,
            )
        }
    }
}
