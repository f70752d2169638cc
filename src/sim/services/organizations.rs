//! AWS Organizations: the organization, the account's place in it and its SCPs.

use super::*;

impl World<'_> {
    pub(super) fn organizations(&self, op: &str, protocol: Protocol) -> Reply {
        let s = self.sim.scenario();
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
            _ => protocol.error(400, "UnknownOperationException", "Unknown operation", rid),
        }
    }
}
