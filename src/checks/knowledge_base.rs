//! `knowledge-base` (only with `--knowledge-base`): the knowledge base the application queries
//! is there and ready, its data is ingested, its service role can do its work, and the
//! principal may retrieve from it.
//!
//! Facts from AWS (the Agents for Amazon Bedrock API reference, kb-permissions.html):
//! - GetKnowledgeBase: status CREATING | ACTIVE | DELETING | UPDATING | FAILED |
//!   DELETE_UNSUCCESSFUL | UPDATE_UNSUCCESSFUL ("ACTIVE – The knowledge base is ready to be
//!   queried"), failureReasons, roleArn, and the embedding model of a vector knowledge base.
//! - ListDataSources: status AVAILABLE | ...; ListIngestionJobs (sorted by STARTED_AT,
//!   descending) gives each job's status and statistics; only GetIngestionJob has its
//!   failureReasons.
//! - The service role is assumed by bedrock.amazonaws.com (its trust policy) and needs
//!   bedrock:InvokeModel on the embedding model.
//! - Retrieve and RetrieveAndGenerate are authorized as bedrock:Retrieve and
//!   bedrock:RetrieveAndGenerate on the knowledge base's ARN.

use super::iam_permissions::{simulate, Target};
use super::principal::Principal;
use super::{fixes, Ctx};
use crate::aws::CallFailure;
use crate::causes::Cause;
use crate::report::{Finding, Severity};
use crate::runner::{CheckFuture, Outcome};
use aws_sdk_bedrockagent::types::{IngestionJobSortBy, IngestionJobSortByAttribute, SortOrder};

const DOC: &str = "https://docs.aws.amazon.com/bedrock/latest/userguide/knowledge-base.html";

pub fn run(ctx: Ctx) -> CheckFuture {
    Box::pin(async move {
        let Some(id) = ctx.env.settings.knowledge_base.clone() else {
            return Outcome::skip("not applicable: no --knowledge-base");
        };
        let mut out = check(&ctx, &id).await;
        if let Some(f) = out.findings.first() {
            out.summary = f.summary.clone();
        }
        out
    })
}

fn unavailable(summary: String, severity: Severity) -> Finding {
    Finding::new(Cause::KnowledgeBaseUnavailable, severity, summary).doc(DOC)
}

async fn check(ctx: &Ctx, id: &str) -> Outcome {
    let region = ctx.region().to_string();
    let clients = ctx.clients();
    let kb = match clients
        .agent
        .get_knowledge_base()
        .knowledge_base_id(id)
        .send()
        .await
    {
        Ok(o) => o,
        Err(e) => {
            let f = CallFailure::from_sdk(&e);
            if f.code() != Some("ResourceNotFoundException") {
                return Outcome::error(f.could_not(
                    &format!("read the knowledge base {id}"),
                    "bedrock:GetKnowledgeBase",
                ));
            }
            return Outcome::default().finding(
                unavailable(
                    format!("no knowledge base {id} in {region}"),
                    Severity::Error,
                )
                .evidence(f.describe())
                .fixes(fixes(
                    "knowledge-base",
                    "not-found",
                    &[("region", &region)],
                )),
            );
        }
    };
    let Some(kb) = kb.knowledge_base() else {
        return Outcome::error(format!(
            "GetKnowledgeBase({id}) answered without the knowledge base"
        ));
    };
    let status = kb.status().as_str().to_string();
    let mut out = Outcome::pass(format!(
        "knowledge base `{}` is ACTIVE and its data is ingested",
        kb.name()
    ))
    .detail(format!(
        "GetKnowledgeBase({id}) in {region}: `{}`, status {status}, role {}",
        kb.name(),
        kb.role_arn()
    ));
    if status != "ACTIVE" {
        let mut f = unavailable(
            format!(
                "knowledge base `{}` is {status}, not ACTIVE: it cannot be queried",
                kb.name()
            ),
            Severity::Error,
        )
        .fixes(fixes(
            "knowledge-base",
            "not-active",
            &[("id", id), ("region", &region)],
        ));
        for r in kb.failure_reasons() {
            f = f.evidence(format!("AWS says: {r}"));
        }
        out = out.finding(f);
    }
    out = data_sources(ctx, out, id).await;
    let embedding = kb
        .knowledge_base_configuration()
        .and_then(|c| c.vector_knowledge_base_configuration())
        .map(|v| v.embedding_model_arn().to_string());
    out = service_role(ctx, out, kb.role_arn(), embedding.as_deref()).await;
    let principal = ctx.facts.get::<Principal>().map(|p| p.iam_arn.clone());
    out = match principal {
        Some(p) => may_retrieve(ctx, out, &p, kb.knowledge_base_arn()).await,
        None => out.detail("bedrock:Retrieve was not simulated: the principal is unknown (see the principal check)"),
    };
    match &ctx.env.settings.kb_query {
        Some(q) => retrieve(ctx, out, id, q).await,
        None => out,
    }
}

/// Each data source is AVAILABLE and its latest ingestion job completed and indexed something.
async fn data_sources(ctx: &Ctx, mut out: Outcome, kb: &str) -> Outcome {
    let agent = &ctx.clients().agent;
    let listed = match agent.list_data_sources().knowledge_base_id(kb).send().await {
        Ok(l) => l,
        Err(e) => {
            return out.detail(
                CallFailure::from_sdk(&e)
                    .could_not("list its data sources", "bedrock:ListDataSources"),
            )
        }
    };
    if listed.data_source_summaries().is_empty() {
        return out.finding(
            unavailable(
                "the knowledge base has no data source: retrieval finds nothing".into(),
                Severity::Warning,
            )
            .fixes(fixes("knowledge-base", "no-data-source", &[("id", kb)])),
        );
    }
    for ds in listed.data_source_summaries() {
        let (ds_id, name) = (ds.data_source_id(), ds.name());
        let status = ds.status().as_str();
        out = out.detail(format!("data source `{name}` ({ds_id}): {status}"));
        // A data source that needs a (new) sync before anything of it can be retrieved.
        let needs_sync = |summary: String| {
            unavailable(summary, Severity::Error).fixes(fixes(
                "knowledge-base",
                "sync",
                &[("id", kb), ("ds", ds_id)],
            ))
        };
        if status != "AVAILABLE" {
            out = out.finding(needs_sync(format!(
                "data source `{name}` is {status}, not AVAILABLE"
            )));
            continue;
        }
        let newest = IngestionJobSortBy::builder()
            .attribute(IngestionJobSortByAttribute::StartedAt)
            .order(SortOrder::Descending)
            .build()
            .expect("attribute and order are set");
        let jobs = match agent
            .list_ingestion_jobs()
            .knowledge_base_id(kb)
            .data_source_id(ds_id)
            .sort_by(newest)
            .max_results(1)
            .send()
            .await
        {
            Ok(j) => j,
            Err(e) => {
                out = out.detail(CallFailure::from_sdk(&e).could_not(
                    &format!("list the ingestion jobs of `{name}`"),
                    "bedrock:ListIngestionJobs",
                ));
                continue;
            }
        };
        let Some(job) = jobs.ingestion_job_summaries().first() else {
            out = out.finding(needs_sync(format!(
                "data source `{name}` was never synced: nothing of it can be retrieved"
            )));
            continue;
        };
        let job_status = job.status().as_str();
        let stats = job.statistics();
        let n = |f: fn(&aws_sdk_bedrockagent::types::IngestionJobStatistics) -> i64| {
            stats.map(f).unwrap_or(0)
        };
        let (scanned, indexed, failed) = (
            n(|s| s.number_of_documents_scanned()),
            n(|s| s.number_of_new_documents_indexed() + s.number_of_modified_documents_indexed()),
            n(|s| s.number_of_documents_failed()),
        );
        let seen = format!("latest ingestion job {} of `{name}`: {job_status}, {scanned} scanned, {indexed} indexed, {failed} failed", job.ingestion_job_id());
        out = out.detail(seen.clone());
        let facts = [("id", kb), ("ds", ds_id), ("job", job.ingestion_job_id())];
        match job_status {
            "FAILED" => {
                let mut f = unavailable(
                    format!("the latest sync of `{name}` FAILED"),
                    Severity::Error,
                )
                .evidence(seen);
                if let Ok(j) = agent
                    .get_ingestion_job()
                    .knowledge_base_id(kb)
                    .data_source_id(ds_id)
                    .ingestion_job_id(job.ingestion_job_id())
                    .send()
                    .await
                {
                    for r in j
                        .ingestion_job()
                        .map(|j| j.failure_reasons())
                        .unwrap_or_default()
                    {
                        f = f.evidence(format!("AWS says: {r}"));
                    }
                }
                out = out.finding(f.fixes(fixes("knowledge-base", "sync-failed", &facts)));
            }
            "COMPLETE" if failed > 0 => {
                out = out.finding(
                    unavailable(
                        format!("the latest sync of `{name}` left {failed} document(s) out"),
                        Severity::Warning,
                    )
                    .evidence(seen)
                    .fixes(fixes("knowledge-base", "sync-failed", &facts)),
                );
            }
            "COMPLETE" if scanned == 0 => {
                out = out.finding(
                    unavailable(format!("the latest sync of `{name}` found no document: retrieval finds nothing of it"), Severity::Warning)
                        .evidence(seen)
                        .fixes(fixes("knowledge-base", "empty-source", &facts)),
                );
            }
            _ => {}
        }
    }
    out
}

/// The service role: bedrock.amazonaws.com may assume it, and it may invoke the embedding model.
async fn service_role(
    ctx: &Ctx,
    mut out: Outcome,
    role_arn: &str,
    embedding: Option<&str>,
) -> Outcome {
    let name = role_arn.rsplit('/').next().unwrap_or(role_arn);
    match ctx.env.clients.iam.get_role().role_name(name).send().await {
        Ok(r) => {
            let trust = r
                .role()
                .map(|r| r.assume_role_policy_document().unwrap_or_default())
                .unwrap_or_default();
            if !trusts_bedrock(trust) {
                out = out.finding(
                    Finding::new(Cause::IamNotAuthorized, Severity::Error, format!("Amazon Bedrock may not assume the knowledge base's role {name}: ingestion and retrieval fail"))
                        .evidence(format!("the trust policy of {role_arn} does not let bedrock.amazonaws.com call sts:AssumeRole"))
                        .fixes(fixes("knowledge-base", "trust", &[("role", name)]))
                        .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/kb-permissions.html"),
                );
            }
        }
        Err(e) => {
            out = out.detail(CallFailure::from_sdk(&e).could_not(
                &format!("read the trust policy of {role_arn}"),
                "iam:GetRole",
            ))
        }
    }
    let Some(model) = embedding else {
        return out;
    };
    let region = ctx.region().to_string();
    // The embedding model must be offered here (the region's list, read once per run).
    let model_id = model.rsplit("foundation-model/").next().unwrap_or(model);
    if let Ok(listed) = ctx.env.shared.models(&ctx.env, &region).await {
        if model.contains(":foundation-model/") && !listed.iter().any(|m| m.model_id() == model_id)
        {
            out = out.finding(
                Finding::new(Cause::ModelNotInRegion, Severity::Error, format!("the knowledge base's embedding model {model_id} is not offered in {region}: ingestion and retrieval fail"))
                    .evidence(format!("ListFoundationModels in {region} does not list {model_id}"))
                    .fixes(fixes("knowledge-base", "embedding-not-here", &[("region", &region)]))
                    .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/knowledge-base-supported.html"),
            );
        }
    }
    let target = Target {
        arn: model.to_string(),
        region,
    };
    match simulate(ctx, role_arn, &["bedrock:InvokeModel"], &[target], &[]).await {
        Ok(results) => {
            for (_, r) in &results {
                let decision = r.eval_decision().as_str();
                out = out.detail(format!(
                    "the role's bedrock:InvokeModel on the embedding model {model}: {decision}"
                ));
                if decision != "allowed" {
                    let statement = serde_json::to_string_pretty(&serde_json::json!({
                        "Effect": "Allow", "Action": ["bedrock:InvokeModel"], "Resource": [model],
                    }))
                    .unwrap_or_default();
                    out = out.finding(
                        Finding::new(Cause::IamNotAuthorized, Severity::Error, "the knowledge base's role may not invoke its embedding model: ingestion and retrieval fail")
                            .evidence(format!("simulated bedrock:InvokeModel on {model} for {role_arn}: {decision}"))
                            .fixes(fixes("knowledge-base", "embedding-denied", &[("role", role_arn), ("statement", &statement)]))
                            .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/kb-permissions.html"),
                    );
                }
            }
        }
        Err(f) => {
            out = out.detail(f.could_not(
                &format!("simulate the role {role_arn}"),
                "iam:SimulatePrincipalPolicy",
            ))
        }
    }
    out
}

/// A trust policy (IAM answers it URL-encoded) with an Allow of sts:AssumeRole for the
/// bedrock.amazonaws.com service principal.
fn trusts_bedrock(document: &str) -> bool {
    let decoded: String = form_urlencoded::parse(format!("d={document}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(&decoded) else {
        return false;
    };
    let list = |v: &serde_json::Value| -> Vec<String> {
        match v {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => vec![],
        }
    };
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    statements.iter().any(|st| {
        st["Effect"] == "Allow"
            && list(&st["Action"])
                .iter()
                .any(|a| a == "sts:AssumeRole" || a == "sts:*" || a == "*")
            && list(&st["Principal"]["Service"])
                .iter()
                .any(|s| s == "bedrock.amazonaws.com")
    })
}

/// The principal may Retrieve (and RetrieveAndGenerate) from the knowledge base.
async fn may_retrieve(ctx: &Ctx, out: Outcome, principal: &str, kb_arn: &str) -> Outcome {
    let target = Target {
        arn: kb_arn.to_string(),
        region: ctx.region().to_string(),
    };
    let actions = ["bedrock:Retrieve", "bedrock:RetrieveAndGenerate"];
    let results = match simulate(ctx, principal, &actions, &[target], &[]).await {
        Ok(r) => r,
        Err(f) => {
            return out.detail(f.could_not(
                &format!("simulate {principal}"),
                "iam:SimulatePrincipalPolicy",
            ))
        }
    };
    let denied = super::iam_permissions::denials(&results);
    if denied.is_empty() {
        return out.detail(format!(
            "{principal} may Retrieve and RetrieveAndGenerate on {kb_arn}"
        ));
    }
    let statement = serde_json::to_string_pretty(&serde_json::json!({
        "Effect": "Allow", "Action": actions, "Resource": [kb_arn],
    }))
    .unwrap_or_default();
    out.finding(
        Finding::new(
            Cause::IamNotAuthorized,
            Severity::Error,
            format!("{principal} may not retrieve from the knowledge base"),
        )
        .evidence(format!("simulated on {kb_arn}: {}", denied.join("; ")))
        .fixes(fixes(
            "knowledge-base",
            "retrieve-denied",
            &[("principal", principal), ("statement", &statement)],
        ))
        .doc("https://docs.aws.amazon.com/bedrock/latest/userguide/kb-permissions.html"),
    )
}

/// One Retrieve call (read-only): how many chunks come back, and how well they match.
async fn retrieve(ctx: &Ctx, out: Outcome, kb: &str, query: &str) -> Outcome {
    use aws_sdk_bedrockagentruntime::types::KnowledgeBaseQuery;
    let asked = ctx
        .clients()
        .agent_runtime
        .retrieve()
        .knowledge_base_id(kb)
        .retrieval_query(KnowledgeBaseQuery::builder().text(query).build())
        .send()
        .await;
    let got = match asked {
        Ok(r) => r,
        Err(e) => {
            return out.detail(
                CallFailure::from_sdk(&e).could_not("retrieve with --kb-query", "bedrock:Retrieve"),
            )
        }
    };
    let mut scores: Vec<f64> = got
        .retrieval_results()
        .iter()
        .filter_map(|r| r.score())
        .collect();
    scores.sort_by(|a, b| b.total_cmp(a));
    let n = got.retrieval_results().len();
    if n == 0 {
        return out.finding(
            unavailable("Retrieve found nothing for --kb-query: the knowledge base answers, but has nothing that matches".into(), Severity::Warning)
                .evidence(format!("Retrieve({kb}, {} characters of query): 0 results", query.chars().count()))
                .fixes(fixes("knowledge-base", "retrieves-nothing", &[("id", kb)])),
        );
    }
    let top: Vec<String> = scores.iter().take(3).map(|s| format!("{s:.2}")).collect();
    out.detail(format!(
        "Retrieve with --kb-query: {n} result(s), best scores {}",
        top.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trust_policy_for_bedrock_is_recognised_in_its_url_encoded_form() {
        let trusting = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        let encoded: String = form_urlencoded::byte_serialize(trusting.as_bytes()).collect();
        assert!(trusts_bedrock(&encoded.replace('+', "%20")));
        let lambda = trusting.replace("bedrock.amazonaws.com", "lambda.amazonaws.com");
        let encoded: String = form_urlencoded::byte_serialize(lambda.as_bytes()).collect();
        assert!(!trusts_bedrock(&encoded));
        assert!(!trusts_bedrock("not json"));
    }
}
