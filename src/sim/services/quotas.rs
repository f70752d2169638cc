//! Service Quotas: the applied Bedrock quotas of the region.

use super::*;

impl World<'_> {
    pub(super) fn quotas(&self) -> Reply {
        let s = self.scenario;
        let list: Vec<Value> = s
            .quotas
            .iter()
            .map(|q| {
                json!({
                    "ServiceCode": "bedrock",
                    "ServiceName": "Amazon Bedrock",
                    "QuotaArn": format!("arn:aws:servicequotas:{}:{}:bedrock/{}", self.region(), s.identity.account, q.code),
                    "QuotaCode": q.code,
                    "QuotaName": q.name,
                    "Value": q.value,
                    "Unit": "None",
                    "Adjustable": q.adjustable,
                    "GlobalQuota": false,
                })
            })
            .collect();
        awsjson(json!({ "Quotas": list }))
    }
}
