//! Models the account owns, on the control plane: GetProvisionedModelThroughput,
//! GetCustomModel, GetCustomModelDeployment, GetImportedModel (restJson1, as in the Bedrock API
//! reference), found by id or ARN in the call's region.

use super::*;
use crate::sim::scenario::{CustomDeployment, CustomModel, ImportedModel, Provisioned};

/// The ARN's last segment, or the identifier itself (a name or id).
fn last_segment(identifier: &str) -> &str {
    identifier.rsplit('/').next().unwrap_or(identifier)
}

impl World<'_> {
    fn owned_arn(&self, kind: &str, tail: &str) -> String {
        format!(
            "arn:aws:bedrock:{}:{}:{kind}/{tail}",
            self.region(),
            self.account()
        )
    }

    fn not_found(&self, protocol: Protocol) -> Reply {
        protocol.error(
            404,
            "ResourceNotFoundException",
            "The specified resource Amazon Resource Name (ARN) was not found. Check the Amazon Resource Name (ARN) and try your request again.",
            self.rid,
        )
    }

    /// Owned models live in the scenario's region only.
    fn home(&self) -> bool {
        self.region() == self.scenario.region
    }

    pub(super) fn find_provisioned(&self, identifier: &str) -> Option<&Provisioned> {
        let key = last_segment(identifier);
        self.scenario
            .provisioned
            .iter()
            .find(|p| self.home() && (p.id == key || p.name == key))
    }

    pub(super) fn provisioned_arn(&self, p: &Provisioned) -> String {
        self.owned_arn("provisioned-model", &p.id)
    }

    pub(super) fn find_custom_model(&self, identifier: &str) -> Option<&CustomModel> {
        let key = last_segment(identifier);
        self.scenario
            .custom_models
            .iter()
            .find(|m| self.home() && (m.id == key || m.name == key))
    }

    pub(super) fn custom_model_arn(&self, m: &CustomModel) -> String {
        self.owned_arn("custom-model", &format!("{}/{}", m.base, m.id))
    }

    pub(super) fn find_deployment(&self, identifier: &str) -> Option<&CustomDeployment> {
        let key = last_segment(identifier);
        self.scenario
            .custom_deployments
            .iter()
            .find(|d| self.home() && (d.id == key || d.name == key))
    }

    pub(super) fn deployment_arn(&self, d: &CustomDeployment) -> String {
        self.owned_arn("custom-model-deployment", &d.id)
    }

    pub(super) fn find_imported(&self, identifier: &str) -> Option<&ImportedModel> {
        let key = last_segment(identifier);
        self.scenario
            .imported_models
            .iter()
            .find(|m| self.home() && (m.id == key || m.name == key))
    }

    pub(super) fn imported_arn(&self, m: &ImportedModel) -> String {
        self.owned_arn("imported-model", &m.id)
    }

    /// GET /provisioned-model-throughput/{provisionedModelId}.
    pub(super) fn get_provisioned(&self, protocol: Protocol) -> Reply {
        let Some(p) = self.find_provisioned(&path_id(self.call, false)) else {
            return self.not_found(protocol);
        };
        let model_arn = format!(
            "arn:aws:bedrock:{}::foundation-model/{}",
            self.region(),
            p.model
        );
        let mut body = json!({
            "modelUnits": p.model_units,
            "desiredModelUnits": p.model_units,
            "provisionedModelName": p.name,
            "provisionedModelArn": self.provisioned_arn(p),
            "modelArn": model_arn,
            "desiredModelArn": model_arn,
            "foundationModelArn": model_arn,
            "status": p.status.as_str(),
            "creationTime": "2026-09-01T00:00:00Z",
            "lastModifiedTime": "2026-09-01T00:00:00Z",
        });
        if let Some(m) = &p.failure_message {
            body["failureMessage"] = json!(m);
        }
        wire::json_ok(&body)
    }

    /// GET /custom-models/{modelIdentifier} (the ARN's `/` arrive percent-encoded).
    pub(super) fn get_custom_model(&self, protocol: Protocol) -> Reply {
        let Some(m) = self.find_custom_model(&path_id(self.call, false)) else {
            return self.not_found(protocol);
        };
        wire::json_ok(&json!({
            "modelArn": self.custom_model_arn(m),
            "modelName": m.name,
            "baseModelArn": format!("arn:aws:bedrock:{}::foundation-model/{}", self.region(), m.base),
            "customizationType": "FINE_TUNING",
            "creationTime": "2026-08-01T00:00:00Z",
            "modelStatus": m.status.as_str(),
        }))
    }

    /// GET /model-customization/custom-model-deployments/{customModelDeploymentIdentifier}.
    pub(super) fn get_custom_deployment(&self, protocol: Protocol) -> Reply {
        let segs = segments(&self.call.path);
        let id = segs.get(2..).map(|s| s.join("/")).unwrap_or_default();
        let Some(d) = self.find_deployment(&id) else {
            return self.not_found(protocol);
        };
        let model_arn = self
            .find_custom_model(&d.custom_model)
            .map(|m| self.custom_model_arn(m))
            .unwrap_or_default();
        let mut body = json!({
            "customModelDeploymentArn": self.deployment_arn(d),
            "modelDeploymentName": d.name,
            "modelArn": model_arn,
            "createdAt": "2026-08-02T00:00:00Z",
            "status": d.status.as_str(),
        });
        if let Some(m) = &d.failure_message {
            body["failureMessage"] = json!(m);
        }
        wire::json_ok(&body)
    }

    /// GET /imported-models/{modelIdentifier}.
    pub(super) fn get_imported_model(&self, protocol: Protocol) -> Reply {
        let Some(m) = self.find_imported(&path_id(self.call, false)) else {
            return self.not_found(protocol);
        };
        wire::json_ok(&json!({
            "modelArn": self.imported_arn(m),
            "modelName": m.name,
            "modelArchitecture": m.architecture,
            "instructSupported": m.instruct_supported,
            "creationTime": "2026-07-01T00:00:00Z",
        }))
    }
}
