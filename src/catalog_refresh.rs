//! `bedrock-doctor catalog refresh | status`: the offline catalog that `explain` and `lint`
//! judge model lifecycles with. The embedded snapshot (src/catalog/catalog.json) ages; a
//! refresh reads the live account's model and profile lists (the read-only calls the doctor
//! already makes) and writes a user cache, which the offline commands prefer while it is the
//! newer of the two.

use crate::aws::{self, AwsSetup, CallLimits, Clients};
use crate::cli::{CatalogCommand, CatalogRefreshArgs};
use crate::knowledge::models as offline;
use crate::report::exit;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub fn run(command: &CatalogCommand) -> i32 {
    match command {
        CatalogCommand::Status => {
            crate::sink::print(&format!("{}\n", crate::catalog::describe_source()));
            if let Some(note) = offline::stale_note(&crate::models::today()) {
                crate::sink::print(&format!("{note}\n"));
            }
            exit::HEALTHY
        }
        CatalogCommand::Refresh(args) => {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("bedrock-doctor: cannot start the runtime: {e}");
                    return exit::USAGE;
                }
            };
            runtime.block_on(refresh(args))
        }
    }
}

async fn refresh(args: &CatalogRefreshArgs) -> i32 {
    let regions: Vec<String> = if args.regions.iter().any(|r| r == "all") {
        crate::models::bedrock_regions().to_vec()
    } else {
        args.regions.clone()
    };
    if let Some(bad) = regions.iter().find(|r| !aws::region_looks_valid(r)) {
        eprintln!("bedrock-doctor: `{bad}` in --regions is not a region name");
        return exit::USAGE;
    }
    let setup = AwsSetup::resolve(
        &aws::Environment::Process,
        args.region.as_deref().map(aws::Sourced::flag),
        &[],
        args.profile.as_deref(),
        args.endpoint_url.as_deref(),
    )
    .await;
    for s in &setup.secrets {
        crate::secrets::register(s);
    }
    let regions = if regions.is_empty() {
        match setup.region_name() {
            Some(r) => vec![r.to_string()],
            None => {
                eprintln!("bedrock-doctor: no region: pass --region or --regions LIST|all (or set AWS_REGION)");
                return exit::USAGE;
            }
        }
    } else {
        regions
    };
    let limits = CallLimits {
        operation_timeout: args.timeout,
        ..CallLimits::default()
    };
    let sdk = aws::sdk_config(
        &setup,
        &aws::Environment::Process,
        args.endpoint_url.as_deref(),
        limits,
    )
    .await;
    let clients = Clients::new(&sdk, &crate::calls::CallLog::default(), 16);
    let lists = futures::future::join_all(regions.iter().map(|r| list(&clients, r))).await;

    let mut models: BTreeMap<String, Value> = BTreeMap::new();
    let mut profiles: Vec<String> = Vec::new();
    let mut read = Vec::new();
    for (region, answer) in regions.iter().zip(lists) {
        match answer {
            Ok((listed, profile_ids)) => {
                read.push(region.clone());
                for m in listed {
                    let id = m["model_id"].as_str().unwrap_or_default().to_string();
                    let entry = models.entry(id).or_insert_with(|| m.clone());
                    if let Some(r) = entry["regions"].as_array_mut() {
                        r.push(json!(region));
                    }
                }
                profiles.extend(profile_ids);
            }
            Err(e) => eprintln!("bedrock-doctor: {region}: {e}"),
        }
    }
    if read.is_empty() {
        eprintln!("bedrock-doctor: no region answered: the cache was not written");
        return exit::COULD_NOT_CHECK;
    }
    profiles.sort();
    profiles.dedup();
    let today = crate::models::today();
    let document = json!({
        "as_of": today,
        "source": format!("ListFoundationModels and ListInferenceProfiles in {} (bedrock-doctor catalog refresh)", read.join(", ")),
        "models": models.into_values().collect::<Vec<_>>(),
        "inference_profile_ids": profiles,
        "end_of_life_models": offline::retired_for_cache(),
    });
    let path = match crate::catalog::cache_path() {
        Some(p) => p,
        None => {
            eprintln!("bedrock-doctor: no cache directory (set BEDROCK_DOCTOR_CACHE_DIR)");
            return exit::USAGE;
        }
    };
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|_| {
            let text = serde_json::to_string_pretty(&document).unwrap_or_default();
            std::fs::write(&path, text + "\n")
        });
    match written {
        Ok(()) => {
            crate::sink::print(&format!(
                "wrote {} models and {} inference profiles from {} region(s) to {}\n",
                document["models"].as_array().map_or(0, Vec::len),
                document["inference_profile_ids"]
                    .as_array()
                    .map_or(0, Vec::len),
                read.len(),
                path.display()
            ));
            if read.len() < regions.len() {
                exit::COULD_NOT_CHECK
            } else {
                exit::HEALTHY
            }
        }
        Err(e) => {
            eprintln!("bedrock-doctor: cannot write {}: {e}", path.display());
            exit::USAGE
        }
    }
}

/// One region's models (in the cache's shape) and system profile ids.
async fn list(clients: &Clients, region: &str) -> Result<(Vec<Value>, Vec<String>), String> {
    let c = clients.in_region(region);
    let (models, profiles) = tokio::join!(
        c.bedrock.list_foundation_models().send(),
        c.bedrock
            .list_inference_profiles()
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
    );
    let models = models.map_err(|e| aws::CallFailure::from_sdk(&e).describe())?;
    let mut ids = Vec::new();
    for p in profiles {
        match p {
            Ok(p) => ids.push(p.inference_profile_id().to_string()),
            Err(e) => return Err(aws::CallFailure::from_sdk(&e).describe()),
        }
    }
    let date = |t: Option<&aws_smithy_types::DateTime>| {
        t.and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
            .map(|s| s[..10].to_string())
    };
    let out = models
        .model_summaries()
        .iter()
        .map(|m| {
            let life = m.model_lifecycle();
            json!({
                "model_id": m.model_id(),
                "model_name": m.model_name(),
                "lifecycle": life.map(|l| l.status().as_str()).unwrap_or("ACTIVE"),
                "legacy_since": date(life.and_then(|l| l.legacy_time())),
                "end_of_life": date(life.and_then(|l| l.end_of_life_time())),
                "regions": [],
            })
        })
        .collect();
    Ok((out, ids))
}
