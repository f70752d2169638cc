//! Account data several checks need, fetched once per run (and region) and shared: the
//! model lists, the inference profiles, metrics, quotas, the use-case form (the organization's
//! structure and SCPs: organization.rs).

use crate::aws::{CallFailure, Clients};
use aws_sdk_bedrock::types::{FoundationModelSummary, InferenceProfileSummary};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// An applied Service Quotas value of Amazon Bedrock.
#[derive(Debug, Clone, PartialEq)]
pub struct Quota {
    pub code: String,
    pub name: String,
    pub value: f64,
    /// False: only an AWS Support case can change it.
    pub adjustable: bool,
}

pub(super) type Cached<T> = Arc<OnceCell<Result<Arc<T>, CallFailure>>>;

#[derive(Default)]
pub struct Shared {
    models: Mutex<HashMap<String, Cached<Vec<FoundationModelSummary>>>>,
    profiles: Mutex<HashMap<String, Cached<Vec<InferenceProfileSummary>>>>,
    use_case: OnceCell<Result<bool, CallFailure>>,
    management_account: OnceCell<Result<Option<String>, CallFailure>>,
    metrics: Mutex<HashMap<String, Cached<HashMap<String, super::metrics::ModelMetrics>>>>,
    quotas: Mutex<HashMap<String, Cached<Vec<Quota>>>>,
}

pub(super) fn cell<T>(map: &Mutex<HashMap<String, Cached<T>>>, region: &str) -> Cached<T> {
    map.lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(region.to_string())
        .or_default()
        .clone()
}

impl Shared {
    /// ListFoundationModels in one region (one call: the API has no pagination).
    pub async fn models(
        &self,
        env: &super::RunEnv,
        region: &str,
    ) -> Result<Arc<Vec<FoundationModelSummary>>, CallFailure> {
        let c = cell(&self.models, region);
        c.get_or_init(|| async {
            match env
                .clients_in(region)
                .bedrock
                .list_foundation_models()
                .send()
                .await
            {
                Ok(out) => Ok(Arc::new(out.model_summaries.unwrap_or_default())),
                Err(e) => Err(CallFailure::from_sdk(&e)),
            }
        })
        .await
        .clone()
    }

    /// Every system-defined inference profile callable from the region (all pages).
    pub async fn profiles(
        &self,
        env: &super::RunEnv,
        region: &str,
    ) -> Result<Arc<Vec<InferenceProfileSummary>>, CallFailure> {
        let c = cell(&self.profiles, region);
        c.get_or_init(|| async {
            let clients = env.clients_in(region);
            let mut pages = clients
                .bedrock
                .list_inference_profiles()
                .type_equals(aws_sdk_bedrock::types::InferenceProfileType::SystemDefined)
                .max_results(1000)
                .into_paginator()
                .send();
            let mut all = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| CallFailure::from_sdk(&e))?;
                all.extend(page.inference_profile_summaries.unwrap_or_default());
            }
            Ok(Arc::new(all))
        })
        .await
        .clone()
    }

    /// The region's model list if it has been read (or failed to be): None when no read
    /// finished. Never starts a read.
    pub fn models_read(
        &self,
        region: &str,
    ) -> Option<Result<Arc<Vec<FoundationModelSummary>>, CallFailure>> {
        cell(&self.models, region).get().cloned()
    }

    /// The metrics if a check already read them (or failed to): None when no read finished,
    /// e.g. the throttling check ran out of time. Never starts a read.
    pub fn metrics_read(
        &self,
        region: &str,
    ) -> Option<Result<Arc<HashMap<String, super::metrics::ModelMetrics>>, CallFailure>> {
        cell(&self.metrics, region).get().cloned()
    }

    /// CloudWatch metrics for every model checked in the region, in as few calls as possible.
    pub async fn metrics(
        &self,
        env: &super::RunEnv,
        region: &str,
    ) -> Result<Arc<HashMap<String, super::metrics::ModelMetrics>>, CallFailure> {
        cell(&self.metrics, region)
            .get_or_init(|| async {
                let clients = env.clients_in(region);
                super::metrics::fetch(&clients, env.models_for(region), env.settings.window)
                    .await
                    .map(Arc::new)
            })
            .await
            .clone()
    }

    /// The applied Bedrock quotas of the region: (code, name, value), all pages.
    pub async fn quotas(
        &self,
        env: &super::RunEnv,
        region: &str,
    ) -> Result<Arc<Vec<Quota>>, CallFailure> {
        cell(&self.quotas, region)
            .get_or_init(|| async {
                let clients = env.clients_in(region);
                let mut pages = clients
                    .quotas
                    .list_service_quotas()
                    .service_code("bedrock")
                    .max_results(100)
                    .into_paginator()
                    .send();
                let mut all = Vec::new();
                while let Some(page) = pages.next().await {
                    let page = page.map_err(|e| CallFailure::from_sdk(&e))?;
                    all.extend(page.quotas().iter().map(|q| Quota {
                        code: q.quota_code().unwrap_or_default().to_string(),
                        name: q.quota_name().unwrap_or_default().to_string(),
                        value: q.value().unwrap_or(0.0),
                        adjustable: q.adjustable(),
                    }));
                }
                Ok(Arc::new(all))
            })
            .await
            .clone()
    }

    /// The organization's management account (DescribeOrganization, which any member account
    /// may call), or None when the account belongs to no organization. Asked once per run.
    pub async fn management_account(
        &self,
        clients: &Clients,
    ) -> Result<Option<String>, CallFailure> {
        self.management_account
            .get_or_init(|| async {
                match clients.organizations.describe_organization().send().await {
                    Ok(o) => Ok(o
                        .organization()
                        .and_then(|o| o.master_account_id())
                        .map(str::to_string)),
                    Err(e) => answer_when(
                        CallFailure::from_sdk(&e),
                        "AWSOrganizationsNotInUseException",
                        None,
                    ),
                }
            })
            .await
            .clone()
    }

    /// Whether the Anthropic use-case form was submitted (404 means it was not).
    pub async fn use_case_submitted(&self, clients: &Clients) -> Result<bool, CallFailure> {
        self.use_case
            .get_or_init(|| async {
                match clients.bedrock.get_use_case_for_model_access().send().await {
                    Ok(_) => Ok(true),
                    Err(e) => answer_when(
                        CallFailure::from_sdk(&e),
                        "ResourceNotFoundException",
                        false,
                    ),
                }
            })
            .await
            .clone()
    }
}

/// A refusal whose error `code` is itself the answer (no organization, no form submitted):
/// `answer`; any other failure stays one.
fn answer_when<T>(failure: CallFailure, code: &str, answer: T) -> Result<T, CallFailure> {
    if failure.code() == Some(code) {
        Ok(answer)
    } else {
        Err(failure)
    }
}
