//! AWS Organizations: the organization, the account's place in it and its SCPs.

use super::*;

impl World<'_> {
    pub(super) fn organizations(&self, op: &str, protocol: Protocol) -> Reply {
        let s = self.scenario;
        let o = &s.organizations;
        let rid = self.rid;
        if !o.enabled {
            return protocol.error(
                400,
                "AWSOrganizationsNotInUseException",
                "Your account is not a member of an organization.",
                rid,
            );
        }
        // Any member account may describe its organization; the rest needs the management
        // account or a delegated administrator.
        if !o.readable && op != "DescribeOrganization" {
            return protocol.error(
                400,
                "AccessDeniedException",
                "You don't have permissions to access this resource.",
                rid,
            );
        }
        let req: Value = serde_json::from_slice(&self.call.body).unwrap_or(json!({}));
        let mgmt = o
            .management_account
            .clone()
            .unwrap_or_else(|| s.identity.account.clone());
        let summary = |id: &str, name: &str, managed: bool| {
            json!({
                "Id": id,
                "Arn": format!("arn:aws:organizations::{mgmt}:policy/o-sim/service_control_policy/{id}"),
                "Name": name,
                "Description": name,
                "Type": "SERVICE_CONTROL_POLICY",
                "AwsManaged": managed,
            })
        };
        match op {
            "DescribeOrganization" => awsjson(json!({ "Organization": {
                "Id": "o-sim0example",
                "Arn": format!("arn:aws:organizations::{mgmt}:organization/o-sim0example"),
                "FeatureSet": "ALL",
                "MasterAccountArn": format!("arn:aws:organizations::{mgmt}:account/o-sim0example/{mgmt}"),
                "MasterAccountId": mgmt,
                "MasterAccountEmail": "aws-admin@example.com",
                "AvailablePolicyTypes": [{ "Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED" }],
            }})),
            "ListParents" => {
                let child = req["ChildId"].as_str().unwrap_or("");
                match o.parents.get(child) {
                    Some(p) => {
                        let kind = if p.starts_with("r-") { "ROOT" } else { "ORGANIZATIONAL_UNIT" };
                        awsjson(json!({ "Parents": [{ "Id": p, "Type": kind }] }))
                    }
                    None => protocol.error(400, "ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.", rid),
                }
            }
            "ListPoliciesForTarget" => {
                let target = req["TargetId"].as_str().unwrap_or("");
                let mut list = vec![summary("p-FullAWSAccess", "FullAWSAccess", true)];
                list.extend(
                    o.policies
                        .iter()
                        .filter(|p| p.targets.iter().any(|t| t == target))
                        .map(|p| summary(&p.id, &p.name, false)),
                );
                awsjson(json!({ "Policies": list }))
            }
            "DescribePolicy" => {
                let id = req["PolicyId"].as_str().unwrap_or("");
                if id == "p-FullAWSAccess" {
                    let content = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
                    return awsjson(
                        json!({ "Policy": { "PolicySummary": summary(id, "FullAWSAccess", true), "Content": content } }),
                    );
                }
                match o.policies.iter().find(|p| p.id == id) {
                    Some(p) => awsjson(
                        json!({ "Policy": { "PolicySummary": summary(&p.id, &p.name, false), "Content": p.content } }),
                    ),
                    None => protocol.error(
                        400,
                        "PolicyNotFoundException",
                        "We can't find a policy with the PolicyId that you specified.",
                        rid,
                    ),
                }
            }
            "ListRoots" => {
                let root = o.root_id.as_deref().unwrap_or("r-sim0");
                awsjson(json!({ "Roots": [{
                    "Id": root,
                    "Arn": format!("arn:aws:organizations::{mgmt}:root/o-sim0example/{root}"),
                    "Name": "Root",
                    "PolicyTypes": [{ "Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED" }],
                }]}))
            }
            "ListAccounts" => page(&req, "Accounts", self.org_accounts(None)),
            "ListAccountsForParent" | "ListChildren"
                if !self.org_parent_exists(req["ParentId"].as_str().unwrap_or("")) =>
            {
                protocol.error(
                    400,
                    "ParentNotFoundException",
                    "We can't find a root or OU with the ParentId that you specified.",
                    rid,
                )
            }
            "ListAccountsForParent" => {
                let parent = req["ParentId"].as_str().unwrap_or("");
                page(&req, "Accounts", self.org_accounts(Some(parent)))
            }
            "ListChildren" => {
                let parent = req["ParentId"].as_str().unwrap_or("");
                let wanted = req["ChildType"].as_str().unwrap_or("");
                let children: Vec<Value> = match wanted {
                    "ORGANIZATIONAL_UNIT" => o
                        .parents
                        .iter()
                        .filter(|(child, p)| *p == parent && child.starts_with("ou-"))
                        .map(|(child, _)| json!({ "Id": child, "Type": wanted }))
                        .collect(),
                    "ACCOUNT" => self
                        .org_accounts(Some(parent))
                        .iter()
                        .map(|a| json!({ "Id": a["Id"], "Type": wanted }))
                        .collect(),
                    _ => {
                        return protocol.error(
                            400,
                            "InvalidInputException",
                            "You provided a value that does not match the required pattern.",
                            rid,
                        )
                    }
                };
                page(&req, "Children", children)
            }
            _ => protocol.error(400, "UnknownOperationException", "Unknown operation", rid),
        }
    }

    /// The organization's accounts (the management account first), or those directly under
    /// one parent, as ListAccounts and ListAccountsForParent describe them.
    fn org_accounts(&self, parent: Option<&str>) -> Vec<Value> {
        let s = self.sim.scenario();
        let o = &s.organizations;
        let root = o.root_id.clone().unwrap_or_else(|| "r-sim0".into());
        let mgmt = o
            .management_account
            .clone()
            .unwrap_or_else(|| s.identity.account.clone());
        let mut all = vec![(mgmt.clone(), "management".to_string(), "ACTIVE".to_string())];
        if s.identity.account != mgmt {
            all.push((
                s.identity.account.clone(),
                "delegated-admin".into(),
                "ACTIVE".into(),
            ));
        }
        all.extend(
            s.accounts
                .iter()
                .map(|a| (a.id.clone(), a.name.clone(), a.status.clone())),
        );
        all.into_iter()
            .filter(|(id, _, _)| parent.is_none_or(|p| o.parents.get(id).unwrap_or(&root) == p))
            .map(|(id, name, status)| {
                json!({
                    "Id": id,
                    "Arn": format!("arn:aws:organizations::{mgmt}:account/o-sim0example/{id}"),
                    "Email": format!("aws+{name}@example.com"),
                    "Name": name,
                    "Status": status,
                    "State": status,
                    "JoinedMethod": "CREATED",
                    "JoinedTimestamp": 1.7e9,
                })
            })
            .collect()
    }

    fn org_parent_exists(&self, id: &str) -> bool {
        let o = &self.sim.scenario().organizations;
        let root = o.root_id.as_deref().unwrap_or("r-sim0");
        id == root || o.parents.contains_key(id) && id.starts_with("ou-")
    }
}

/// One page of a listing: Organizations' listing calls answer at most 20 items by default
/// (MaxResults up to 20) with a NextToken for the rest.
fn page(req: &Value, key: &str, items: Vec<Value>) -> Reply {
    let size = req["MaxResults"].as_u64().unwrap_or(20).clamp(1, 20) as usize;
    let start: usize = req["NextToken"]
        .as_str()
        .and_then(|t| t.strip_prefix("sim-page-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let end = start.saturating_add(size).min(items.len());
    let mut answer = json!({ key: items.get(start..end).unwrap_or_default() });
    if end < items.len() {
        answer["NextToken"] = json!(format!("sim-page-{end}"));
    }
    awsjson(answer)
}
