//! Knowledge bases (restJson1, signed as `bedrock`): bedrock-agent's GetKnowledgeBase,
//! ListDataSources, ListIngestionJobs and GetIngestionJob, and bedrock-agent-runtime's
//! Retrieve, as the Agents for Amazon Bedrock API reference describes them.

use super::*;
use crate::sim::scenario::{IngestionJob, KnowledgeBase};

/// The operation of a path under /knowledgebases/.
pub(super) fn operation(method: &str, segs: &[String]) -> Option<&'static str> {
    let last = segs.last().map(String::as_str).unwrap_or("");
    Some(match (method, segs.len()) {
        ("GET", 2) => "GetKnowledgeBase",
        ("POST", 3) if last == "datasources" => "ListDataSources",
        ("POST", 3) if last == "retrieve" => "Retrieve",
        ("POST", 5) if last == "ingestionjobs" => "ListIngestionJobs",
        ("GET", 6) if segs[4] == "ingestionjobs" => "GetIngestionJob",
        _ => return None,
    })
}

fn statistics(j: &IngestionJob) -> Value {
    json!({
        "numberOfDocumentsScanned": j.scanned,
        "numberOfMetadataDocumentsScanned": 0,
        "numberOfNewDocumentsIndexed": j.indexed,
        "numberOfModifiedDocumentsIndexed": 0,
        "numberOfMetadataDocumentsModified": 0,
        "numberOfDocumentsDeleted": 0,
        "numberOfDocumentsFailed": j.failed,
    })
}

impl World<'_> {
    fn knowledge_base(&self) -> Option<&KnowledgeBase> {
        let s = self.scenario;
        let segs = segments(&self.call.path);
        let id = segs.get(1)?.rsplit('/').next()?.to_string();
        s.knowledge_bases
            .iter()
            .find(|k| k.id == id && self.region() == s.region)
    }

    fn knowledge_base_arn(&self, kb: &KnowledgeBase) -> String {
        format!(
            "arn:aws:bedrock:{}:{}:knowledge-base/{}",
            self.region(),
            self.account(),
            kb.id
        )
    }

    pub(super) fn knowledge(&self, op: &str, protocol: Protocol) -> Reply {
        let missing = || {
            protocol.error(
                404,
                "ResourceNotFoundException",
                "The specified resource Amazon Resource Name (ARN) was not found. Check the Amazon Resource Name (ARN) and try your request again.",
                self.rid,
            )
        };
        let Some(kb) = self.knowledge_base() else {
            return missing();
        };
        let segs = segments(&self.call.path);
        let source = segs
            .get(3)
            .and_then(|id| kb.data_sources.iter().find(|d| &d.id == id));
        let stamp = "2026-11-28T09:00:00Z";
        match op {
            "GetKnowledgeBase" => {
                let mut body = json!({ "knowledgeBase": {
                    "knowledgeBaseId": kb.id,
                    "name": kb.name,
                    "knowledgeBaseArn": self.knowledge_base_arn(kb),
                    "roleArn": kb.role,
                    "knowledgeBaseConfiguration": {
                        "type": "VECTOR",
                        "vectorKnowledgeBaseConfiguration": {
                            "embeddingModelArn": format!("arn:aws:bedrock:{}::foundation-model/{}", self.region(), kb.embedding_model),
                        },
                    },
                    "status": kb.status.as_str(),
                    "createdAt": stamp,
                    "updatedAt": stamp,
                }});
                if !kb.failure_reasons.is_empty() {
                    body["knowledgeBase"]["failureReasons"] = json!(kb.failure_reasons);
                }
                wire::json_ok(&body)
            }
            "ListDataSources" => wire::json_ok(&json!({
                "dataSourceSummaries": kb.data_sources.iter().map(|d| json!({
                    "knowledgeBaseId": kb.id,
                    "dataSourceId": d.id,
                    "name": d.name,
                    "status": d.status.as_str(),
                    "updatedAt": stamp,
                })).collect::<Vec<_>>(),
            })),
            // Newest first, as sortBy STARTED_AT DESCENDING asks; maxResults honoured.
            "ListIngestionJobs" => {
                let Some(d) = source else {
                    return missing();
                };
                let body: Value = serde_json::from_slice(&self.call.body).unwrap_or_default();
                let max = body["maxResults"].as_u64().unwrap_or(1000) as usize;
                wire::json_ok(&json!({
                    "ingestionJobSummaries": d.jobs.iter().take(max).map(|j| json!({
                        "knowledgeBaseId": kb.id,
                        "dataSourceId": d.id,
                        "ingestionJobId": j.id,
                        "status": j.status.as_str(),
                        "startedAt": stamp,
                        "updatedAt": stamp,
                        "statistics": statistics(j),
                    })).collect::<Vec<_>>(),
                }))
            }
            "GetIngestionJob" => {
                let job = source.and_then(|d| {
                    let id = segs.get(5)?;
                    d.jobs.iter().find(|j| &j.id == id).map(|j| (d, j))
                });
                let Some((d, j)) = job else {
                    return missing();
                };
                wire::json_ok(&json!({ "ingestionJob": {
                    "knowledgeBaseId": kb.id,
                    "dataSourceId": d.id,
                    "ingestionJobId": j.id,
                    "status": j.status.as_str(),
                    "statistics": statistics(j),
                    "failureReasons": j.failure_reasons,
                    "startedAt": stamp,
                    "updatedAt": stamp,
                }}))
            }
            _ => {
                let arn = self.knowledge_base_arn(kb);
                if let Some(denied) =
                    self.denied(&arn, "bedrock:Retrieve", &iam_eval::Context::new())
                {
                    return protocol.error(403, "AccessDeniedException", &denied, self.rid);
                }
                wire::json_ok(&json!({
                    "retrievalResults": (0..kb.results).map(|i| json!({
                        "content": { "type": "TEXT", "text": format!("Chunk {} of the simulated documents.", i + 1) },
                        "location": { "type": "S3", "s3Location": { "uri": format!("s3://kb-source-{}/doc-{i}.pdf", kb.id.to_ascii_lowercase()) } },
                        "score": 0.82 - 0.07 * f64::from(i),
                    })).collect::<Vec<_>>(),
                }))
            }
        }
    }
}
