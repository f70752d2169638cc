//! `catalog refresh`: the live account's model list becomes the offline catalog that `lint`
//! and `explain` judge lifecycles with (the real binary against the simulator).

mod common;

use bedrock_doctor::sim::scenario::Scenario;
use common::*;

/// In the `model-legacy` account Nova Pro is LEGACY; the built-in snapshot says ACTIVE.
#[test]
fn a_refreshed_catalog_is_what_lint_judges_lifecycle_with() {
    let (_rt, running) = start_sim(Scenario::load("model-legacy").unwrap());
    let env = Env::new();
    let cache = tempfile::tempdir().unwrap();
    let lint = |with_cache: bool| {
        let mut c = env.cmd_with(&[
            "lint",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/data/lint/amazon-nova-text.ok.json"
            ),
            "--model",
            "amazon.nova-pro-v1:0",
        ]);
        if with_cache {
            c.env("BEDROCK_DOCTOR_CACHE_DIR", cache.path());
        }
        stdout(&run(c))
    };
    assert!(!lint(true).contains("Legacy"), "no cache yet: the snapshot");

    let mut refresh = env.cmd_with(&["catalog", "refresh", "--regions", "us-east-1,eu-west-1"]);
    aim(&mut refresh, &running);
    refresh.env("BEDROCK_DOCTOR_CACHE_DIR", cache.path());
    let o = run(refresh);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("from 2 region(s)"), "{}", stdout(&o));
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cache.path().join("catalog.json")).unwrap()).unwrap();
    let pro = written["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model_id"] == "amazon.nova-pro-v1:0")
        .unwrap();
    assert_eq!(pro["lifecycle"], "LEGACY");
    assert_eq!(pro["end_of_life"], "2027-03-01");
    // only the listing calls, in each region asked for
    let ops: Vec<String> = running
        .log()
        .iter()
        .map(|e| format!("{}:{}", e.operation, e.region))
        .collect();
    assert_eq!(ops.len(), 4, "{ops:?}");
    assert!(
        ops.iter()
            .all(|o| o.starts_with("ListFoundationModels:")
                || o.starts_with("ListInferenceProfiles:"))
    );

    let with = lint(true);
    assert!(
        with.contains("is Legacy") && with.contains("2027-03-01"),
        "{with}"
    );
    assert!(
        !lint(false).contains("Legacy"),
        "without the cache: the snapshot"
    );

    let mut status = env.cmd_with(&["catalog", "status"]);
    status.env("BEDROCK_DOCTOR_CACHE_DIR", cache.path());
    let text = stdout(&run(status));
    assert!(text.contains(&cache.path().display().to_string()), "{text}");
}

#[test]
fn refresh_without_a_region_or_with_a_bad_one_is_a_usage_error() {
    let env = Env::new();
    let o = run(env.cmd_with(&["catalog", "refresh", "--regions", "us_east_1"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("us_east_1"), "{}", stderr(&o));
    let o = run(env.cmd_with(&["catalog", "refresh"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim().lines().count(), 1, "{}", stderr(&o));
}
