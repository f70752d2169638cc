//! The organization as one identity reads it: each account's and OU's parent, the SCPs
//! attached to each target and each policy's document. (The management account is each
//! run's own question: DescribeOrganization is open to every member, shared.rs.)
//!
//! Every piece is asked at most once per reader, a failure too: it comes after the SDK's
//! retries, and 500 accounts asking a failing API again would only hammer it. Every reader
//! is one run's: a single run
//! reads with its own identity; `--accounts org|ou:ID` gives one reader, the caller's, to all
//! its accounts, because a member account may not read the organization (ListParents,
//! ListPoliciesForTarget and DescribePolicy "can be called only from the organization's
//! management account or by a member account that is a delegated administrator",
//! API_ListPoliciesForTarget.html). So 500 accounts under one OU read that OU's SCPs once.

use super::shared::{cell, Cached};
use crate::aws::CallFailure;
use aws_sdk_organizations::types::PolicyType;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The SCPs that apply to an account: every policy attached to it, its OUs and the root.
#[derive(Debug, Clone)]
pub struct OrgPolicies {
    /// (target id, policy id, policy name, document)
    pub policies: Vec<(String, String, String, String)>,
    /// The account's parents, nearest first, up to the root.
    pub path: Vec<String>,
}

/// The SCPs attached to one target: (policy id, name).
type Attached = Vec<(String, String)>;

/// OUs nest at most five deep where SCPs are enabled (API_CreateOrganizationalUnit.html), so
/// a walk up from an account ends within six steps; ten bounds a looping answer.
const MAX_DEPTH: usize = 10;

/// One key's answer (or failure), once asked.
type Memo<T> = Mutex<HashMap<String, Cached<T>>>;

pub struct Organization {
    client: aws_sdk_organizations::Client,
    /// child id → its parent (None for a root).
    parents: Memo<Option<String>>,
    /// target id → (policy id, name) of the SCPs attached to it directly.
    attached: Memo<Attached>,
    /// policy id → its document.
    documents: Memo<String>,
}

impl Organization {
    pub fn new(client: aws_sdk_organizations::Client) -> Organization {
        Organization {
            client,
            parents: Default::default(),
            attached: Default::default(),
            documents: Default::default(),
        }
    }

    /// Record a parent the listing already saw (ListAccountsForParent, ListChildren), so the
    /// walk up from an account does not ask again.
    pub fn learn_parent(&self, child: &str, parent: &str) {
        let _ = cell(&self.parents, child).set(Ok(Arc::new(Some(parent.to_string()))));
    }

    /// The SCPs on the account's path, from the account up to the root.
    pub async fn policies(&self, account: &str) -> Result<OrgPolicies, CallFailure> {
        let path = self.path_of(account).await?;
        let mut targets = vec![account.to_string()];
        targets.extend(path.iter().cloned());
        // Each target's list, then each policy's document, asked side by side.
        let lists =
            futures::future::try_join_all(targets.iter().map(|t| self.attached_to(t))).await?;
        let attached: Vec<(&String, &(String, String))> = targets
            .iter()
            .zip(lists.iter())
            .flat_map(|(t, list)| list.iter().map(move |p| (t, p)))
            .collect();
        let documents =
            futures::future::try_join_all(attached.iter().map(|(_, (id, _))| self.document(id)))
                .await?;
        let policies = attached
            .iter()
            .zip(documents)
            .map(|((target, (id, name)), doc)| {
                (
                    target.to_string(),
                    id.clone(),
                    name.clone(),
                    doc.to_string(),
                )
            })
            .collect();
        Ok(OrgPolicies { policies, path })
    }

    /// The account's parents, nearest first, ending at the root.
    async fn path_of(&self, account: &str) -> Result<Vec<String>, CallFailure> {
        let mut path = Vec::new();
        let mut child = account.to_string();
        while path.len() < MAX_DEPTH {
            let Some(parent) = self.parent_of(&child).await?.as_ref().clone() else {
                break;
            };
            path.push(parent.clone());
            if parent.starts_with("r-") {
                break;
            }
            child = parent;
        }
        Ok(path)
    }

    async fn parent_of(&self, child: &str) -> Result<Arc<Option<String>>, CallFailure> {
        cell(&self.parents, child)
            .get_or_init(|| async {
                let out = self
                    .client
                    .list_parents()
                    .child_id(child)
                    .send()
                    .await
                    .map_err(|e| CallFailure::from_sdk(&e))?;
                let parent = out.parents().first().and_then(|p| p.id());
                Ok(Arc::new(parent.map(str::to_string)))
            })
            .await
            .clone()
    }

    /// The SCPs attached to the target itself, every page (a page may come back empty while
    /// more remain, says the API reference).
    async fn attached_to(&self, target: &str) -> Result<Arc<Attached>, CallFailure> {
        cell(&self.attached, target)
            .get_or_init(|| async {
                let mut pages = self
                    .client
                    .list_policies_for_target()
                    .target_id(target)
                    .filter(PolicyType::ServiceControlPolicy)
                    .into_paginator()
                    .send();
                let mut all = Vec::new();
                while let Some(page) = pages.next().await {
                    let page = page.map_err(|e| CallFailure::from_sdk(&e))?;
                    for p in page.policies() {
                        let id = p.id().unwrap_or_default();
                        all.push((id.to_string(), p.name().unwrap_or(id).to_string()));
                    }
                }
                Ok(Arc::new(all))
            })
            .await
            .clone()
    }

    async fn document(&self, policy: &str) -> Result<Arc<String>, CallFailure> {
        cell(&self.documents, policy)
            .get_or_init(|| async {
                let out = self
                    .client
                    .describe_policy()
                    .policy_id(policy)
                    .send()
                    .await
                    .map_err(|e| CallFailure::from_sdk(&e))?;
                let content = out.policy().and_then(|p| p.content()).unwrap_or_default();
                Ok(Arc::new(content.to_string()))
            })
            .await
            .clone()
    }
}
