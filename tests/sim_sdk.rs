//! The simulator answers the Rust SDK for every operation the doctor calls, with the same
//! typed errors AWS gives (boto3 is checked by tests/fidelity/boto3_fidelity.py).

mod common;

use aws_config::BehaviorVersion;
use aws_sdk_bedrock::types::InferenceProfileType;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use bedrock_doctor::sim::{self, scenario::Scenario, Running};
use common::hi;
use std::time::{Duration, SystemTime};

async fn config(running: &Running, region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .endpoint_url(running.url())
        .credentials_provider(aws_credential_types::Credentials::new(
            "AKIARUSTSDKTEST00000",
            "secret",
            None,
            None,
            "test",
        ))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await
}

async fn start(name: &str) -> Running {
    sim::start(Scenario::load(name).unwrap(), sim::Options::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn sts_and_iam() {
    let running = start("healthy").await;
    let cfg = config(&running, "us-east-1").await;
    let me = aws_sdk_sts::Client::new(&cfg)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.account(), Some("111122223333"));
    let iam = aws_sdk_iam::Client::new(&cfg);
    let role = iam
        .get_role()
        .role_name("BedrockDeveloper")
        .send()
        .await
        .unwrap();
    assert_eq!(
        role.role().unwrap().arn(),
        "arn:aws:iam::111122223333:role/BedrockDeveloper"
    );
    let user = iam.get_user().user_name("ci-bot").send().await.unwrap();
    assert_eq!(user.user().unwrap().path(), "/automation/");
    let missing = iam
        .get_role()
        .role_name("ghost")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(missing.is_no_such_entity_exception(), "{missing:?}");
    let sim = iam
        .simulate_principal_policy()
        .policy_source_arn("arn:aws:iam::111122223333:role/BedrockDeveloper")
        .action_names("bedrock:InvokeModel")
        .resource_arns("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0")
        .send()
        .await
        .unwrap();
    let r = &sim.evaluation_results()[0];
    assert_eq!(r.eval_decision().as_str(), "allowed");
    assert!(r
        .organizations_decision_detail()
        .unwrap()
        .allowed_by_organizations());
}

#[tokio::test]
async fn bedrock_control_plane() {
    let running = start("healthy").await;
    let b = aws_sdk_bedrock::Client::new(&config(&running, "us-east-1").await);
    let models = b.list_foundation_models().send().await.unwrap();
    let lite = models
        .model_summaries()
        .iter()
        .find(|m| m.model_id() == "amazon.nova-lite-v1:0")
        .unwrap();
    assert!(lite
        .inference_types_supported()
        .iter()
        .any(|t| t.as_str() == "ON_DEMAND"));
    let sonnet = models
        .model_summaries()
        .iter()
        .find(|m| m.model_id() == "anthropic.claude-sonnet-4-6")
        .unwrap();
    // A value newer than some SDK enums: read as a raw string.
    assert_eq!(
        sonnet
            .inference_types_supported()
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>(),
        ["INFERENCE_PROFILE"]
    );
    let got = b
        .get_foundation_model()
        .model_identifier("amazon.nova-lite-v1:0")
        .send()
        .await
        .unwrap();
    assert_eq!(got.model_details().unwrap().model_name(), Some("Nova Lite"));
    let bad = b
        .get_foundation_model()
        .model_identifier("amazon.nova-lyte")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(bad.is_validation_exception(), "{bad:?}");
    let avail = b
        .get_foundation_model_availability()
        .model_id("amazon.nova-lite-v1:0")
        .send()
        .await
        .unwrap();
    assert_eq!(avail.authorization_status().as_str(), "AUTHORIZED");
    let profiles = b
        .list_inference_profiles()
        .type_equals(InferenceProfileType::SystemDefined)
        .send()
        .await
        .unwrap();
    assert!(profiles.inference_profile_summaries().len() > 10);
    let p = b
        .get_inference_profile()
        .inference_profile_identifier("us.anthropic.claude-sonnet-4-6")
        .send()
        .await
        .unwrap();
    assert_eq!(p.models().len(), 3);
    assert!(
        b.get_use_case_for_model_access()
            .send()
            .await
            .unwrap()
            .form_data()
            .as_ref()
            .len()
            > 4
    );
}

#[tokio::test]
async fn bedrock_runtime_and_its_errors() {
    let running = start("throttled").await;
    let rt = aws_sdk_bedrockruntime::Client::new(&config(&running, "us-east-1").await);
    let msg = hi();
    let throttled = rt
        .converse()
        .model_id("amazon.nova-lite-v1:0")
        .messages(msg.clone())
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(throttled.is_throttling_exception(), "{throttled:?}");
    let ok = rt
        .converse()
        .model_id("amazon.nova-pro-v1:0")
        .messages(msg.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(ok.stop_reason().as_str(), "end_turn");
    let profile_only = rt
        .converse()
        .model_id("anthropic.claude-sonnet-4-6")
        .messages(msg)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        profile_only.is_validation_exception()
            && profile_only
                .message()
                .unwrap()
                .contains("inference profile"),
        "{profile_only:?}"
    );
}

#[tokio::test]
async fn cloudwatch_over_rpcv2_cbor() {
    let running = start("throttled").await;
    let cw = aws_sdk_cloudwatch::Client::new(&config(&running, "us-east-1").await);
    let q = |id: &str, name: &str| {
        MetricDataQuery::builder()
            .id(id)
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace("AWS/Bedrock")
                            .metric_name(name)
                            .dimensions(
                                Dimension::builder()
                                    .name("ModelId")
                                    .value("amazon.nova-lite-v1:0")
                                    .build(),
                            )
                            .build(),
                    )
                    .period(60)
                    .stat("Sum")
                    .build(),
            )
            .build()
    };
    let now = SystemTime::now();
    let out = cw
        .get_metric_data()
        .metric_data_queries(q("inv", "Invocations"))
        .metric_data_queries(q("thr", "InvocationThrottles"))
        .start_time((now - Duration::from_secs(86_400)).into())
        .end_time(now.into())
        .send()
        .await
        .unwrap();
    let results = out.metric_data_results();
    assert_eq!(results.len(), 2);
    let peak = results[0].values().iter().cloned().fold(0.0, f64::max);
    assert_eq!(peak, 950.0);
    assert_eq!(results[0].timestamps().len(), results[0].values().len());
}

#[tokio::test]
async fn organizations_and_quotas() {
    let running = start("scp-deny").await;
    let cfg = config(&running, "us-east-1").await;
    let orgs = aws_sdk_organizations::Client::new(&cfg);
    assert_eq!(
        orgs.describe_organization()
            .send()
            .await
            .unwrap()
            .organization()
            .unwrap()
            .master_account_id(),
        Some("999988887777")
    );
    let parents = orgs
        .list_parents()
        .child_id("111122223333")
        .send()
        .await
        .unwrap();
    assert_eq!(parents.parents()[0].id(), Some("ou-sim1-workloads"));
    let policies = orgs
        .list_policies_for_target()
        .target_id("ou-sim1-workloads")
        .filter(aws_sdk_organizations::types::PolicyType::ServiceControlPolicy)
        .send()
        .await
        .unwrap();
    assert_eq!(policies.policies().len(), 2);
    let p = orgs
        .describe_policy()
        .policy_id("p-denygenai")
        .send()
        .await
        .unwrap();
    assert!(p
        .policy()
        .unwrap()
        .content()
        .unwrap()
        .contains("DenyBedrockInvoke"));

    let running = start("healthy").await;
    let cfg = config(&running, "us-east-1").await;
    let err = aws_sdk_organizations::Client::new(&cfg)
        .describe_organization()
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_aws_organizations_not_in_use_exception(), "{err:?}");
    let q = aws_sdk_servicequotas::Client::new(&cfg)
        .list_service_quotas()
        .service_code("bedrock")
        .send()
        .await
        .unwrap();
    assert!(q
        .quotas()
        .iter()
        .any(|q| q.quota_name().unwrap_or("").contains("Nova Lite")));
}

#[tokio::test]
async fn faults_are_what_they_say() {
    let mut scenario = Scenario::load("healthy").unwrap();
    scenario.faults = toml::from_str::<FaultList>(
        r#"
        [[faults]]
        service = "sts"
        kind = "status"
        status = 503
        code = "ServiceUnavailable"
        [[faults]]
        service = "bedrock"
        operation = "ListFoundationModels"
        kind = "malformed"
        "#,
    )
    .unwrap()
    .faults;
    let running = sim::start(scenario, sim::Options::default()).await.unwrap();
    let cfg = config(&running, "us-east-1").await;
    let err = aws_sdk_sts::Client::new(&cfg)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ServiceUnavailable"));
    let err = aws_sdk_bedrock::Client::new(&cfg)
        .list_foundation_models()
        .send()
        .await
        .unwrap_err();
    // A 200 with a broken body: the SDK reports an error with no AWS error code.
    assert_eq!(err.code(), None, "{err:?}");
    assert!(format!("{err:?}").contains("DeserializeError"), "{err:?}");
    let log = running.log();
    assert_eq!(log.iter().map(|e| e.status).collect::<Vec<_>>(), [503, 200]);
}

#[derive(serde::Deserialize)]
struct FaultList {
    faults: Vec<bedrock_doctor::sim::scenario::Fault>,
}

#[tokio::test]
async fn unknown_operations_answer_like_aws() {
    let running = start("healthy").await;
    let b = aws_sdk_bedrock::Client::new(&config(&running, "us-east-1").await);
    let err = b.list_custom_models().send().await.unwrap_err();
    assert_eq!(err.code(), Some("UnknownOperationException"));
}

/// The simulator plays time: a model's lifecycle follows its dates on the scenario's clock.
/// Claude Opus 4.1: Legacy from 2026-07-08, end of life 2027-01-08 (AWS model lifecycle page).
#[tokio::test]
async fn models_age_on_the_scenarios_clock() {
    let opus = "anthropic.claude-opus-4-1-20250805-v1:0";
    for (today, expected) in [
        ("2026-07-07", Some("ACTIVE")),
        ("2026-12-01", Some("LEGACY")),
        ("2027-01-08", None),
    ] {
        let mut scenario = Scenario::load("healthy").unwrap();
        scenario.today = Some(today.to_string());
        let running = sim::start(scenario, sim::Options::default()).await.unwrap();
        let cfg = config(&running, "us-east-1").await;
        let listed = aws_sdk_bedrock::Client::new(&cfg)
            .list_foundation_models()
            .send()
            .await
            .unwrap();
        let status = listed
            .model_summaries()
            .iter()
            .find(|m| m.model_id() == opus)
            .and_then(|m| m.model_lifecycle())
            .map(|l| l.status().as_str().to_string());
        assert_eq!(status.as_deref(), expected, "on {today}");
        if expected.is_none() {
            let err = aws_sdk_bedrockruntime::Client::new(&cfg)
                .invoke_model()
                .model_id(opus)
                .body(aws_smithy_types::Blob::new("{}"))
                .send()
                .await
                .unwrap_err()
                .into_service_error();
            assert!(err.is_resource_not_found_exception(), "{err:?}");
            assert!(err.to_string().contains("end of its life"), "{err}");
        }
    }
}

/// AWS authorizes the Region-less model ARN of a global profile with
/// aws:RequestedRegion = "unspecified": a region lock that does not list it denies the call,
/// in SimulatePrincipalPolicy and at the runtime alike.
#[tokio::test]
async fn a_global_call_is_authorized_in_the_unspecified_region() {
    let running = start("scp-global-unspecified").await;
    let cfg = config(&running, "us-east-1").await;
    let iam = aws_sdk_iam::Client::new(&cfg);
    let decide = |region: &'static str| {
        let iam = iam.clone();
        async move {
            let out = iam
                .simulate_principal_policy()
                .policy_source_arn("arn:aws:iam::111122223333:role/BedrockDeveloper")
                .action_names("bedrock:InvokeModel")
                .resource_arns("arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-6")
                .context_entries(
                    aws_sdk_iam::types::ContextEntry::builder()
                        .context_key_name("aws:RequestedRegion")
                        .context_key_type(aws_sdk_iam::types::ContextKeyTypeEnum::String)
                        .context_key_values(region)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            let r = out.evaluation_results()[0].clone();
            r.organizations_decision_detail()
                .unwrap()
                .allowed_by_organizations()
        }
    };
    assert!(!decide("unspecified").await);
    assert!(decide("us-east-1").await);
    let msg = hi();
    let err = aws_sdk_bedrockruntime::Client::new(&cfg)
        .converse()
        .model_id("global.anthropic.claude-sonnet-4-6")
        .messages(msg)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_access_denied_exception(), "{err:?}");
    assert!(
        err.to_string()
            .contains("arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-6"),
        "{err}"
    );
}

/// Application inference profiles: listed with typeEquals=APPLICATION (not in the default,
/// system-defined listing), resolved by ARN, and callable by ARN.
#[tokio::test]
async fn application_inference_profiles() {
    let running = start("application-profile-legacy-model").await;
    let cfg = config(&running, "us-east-1").await;
    let bedrock = aws_sdk_bedrock::Client::new(&cfg);
    let apps = bedrock
        .list_inference_profiles()
        .type_equals(InferenceProfileType::Application)
        .send()
        .await
        .unwrap();
    let arn = "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/team0chat01";
    assert_eq!(apps.inference_profile_summaries().len(), 1);
    assert_eq!(
        apps.inference_profile_summaries()[0].inference_profile_arn(),
        arn
    );
    let system = bedrock.list_inference_profiles().send().await.unwrap();
    assert!(system
        .inference_profile_summaries()
        .iter()
        .all(|p| p.r#type() == &InferenceProfileType::SystemDefined));
    let got = bedrock
        .get_inference_profile()
        .inference_profile_identifier(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(got.r#type(), &InferenceProfileType::Application);
    assert!(got.models().iter().any(|m| m.model_arn()
        == Some("arn:aws:bedrock:us-east-2::foundation-model/amazon.nova-pro-v1:0")));
    let answered = aws_sdk_bedrockruntime::Client::new(&cfg)
        .invoke_model()
        .model_id(arn)
        .body(aws_smithy_types::Blob::new(
            r#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}"#,
        ))
        .send()
        .await;
    assert!(answered.is_ok(), "{answered:?}");
}

/// ConverseStream and InvokeModelWithResponseStream answer in the event-stream encoding the
/// SDK reads: the events of a whole answer in AWS's order, an exception event inside a broken
/// stream, and a streaming call authorized as InvokeModelWithResponseStream.
#[tokio::test]
async fn streaming_calls_and_errors_inside_the_stream() {
    use aws_sdk_bedrockruntime::types::ConverseStreamOutput as Event;
    let running = start("healthy").await;
    let rt = aws_sdk_bedrockruntime::Client::new(&config(&running, "us-east-1").await);
    let mut out = rt
        .converse_stream()
        .model_id("amazon.nova-lite-v1:0")
        .messages(hi())
        .send()
        .await
        .unwrap();
    let mut kinds = Vec::new();
    while let Some(event) = out.stream.recv().await.unwrap() {
        kinds.push(match event {
            Event::MessageStart(_) => "messageStart",
            Event::ContentBlockDelta(_) => "contentBlockDelta",
            Event::ContentBlockStop(_) => "contentBlockStop",
            Event::MessageStop(m) => {
                assert_eq!(m.stop_reason().as_str(), "end_turn");
                "messageStop"
            }
            Event::Metadata(_) => "metadata",
            _ => "other",
        });
    }
    assert_eq!(
        kinds,
        [
            "messageStart",
            "contentBlockDelta",
            "contentBlockStop",
            "messageStop",
            "metadata"
        ]
    );
    let mut chunks = rt
        .invoke_model_with_response_stream()
        .model_id("amazon.nova-lite-v1:0")
        .content_type("application/json")
        .body(aws_sdk_bedrockruntime::primitives::Blob::new(
            br#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}"#.to_vec(),
        ))
        .send()
        .await
        .unwrap();
    let first = chunks.body.recv().await.unwrap().unwrap();
    let bytes = first.as_chunk().unwrap().bytes().unwrap().as_ref().to_vec();
    assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_ok());

    let broken = start("stream-model-error").await;
    let rt = aws_sdk_bedrockruntime::Client::new(&config(&broken, "us-east-1").await);
    let mut out = rt
        .converse_stream()
        .model_id("amazon.nova-lite-v1:0")
        .messages(hi())
        .send()
        .await
        .expect("the call itself succeeds");
    let mut events = 0;
    let err = loop {
        match out.stream.recv().await {
            Ok(Some(_)) => events += 1,
            Ok(None) => panic!("the stream ended without its exception"),
            Err(e) => break e.into_service_error(),
        }
    };
    assert_eq!(events, 2);
    assert!(err.is_model_stream_error_exception(), "{err:?}");

    let denied = start("stream-denied-streaming-app").await;
    let rt = aws_sdk_bedrockruntime::Client::new(&config(&denied, "us-east-1").await);
    let refused = rt
        .converse_stream()
        .model_id("amazon.nova-lite-v1:0")
        .messages(hi())
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        refused.is_access_denied_exception()
            && refused
                .message()
                .unwrap()
                .contains("bedrock:InvokeModelWithResponseStream"),
        "{refused:?}"
    );
    rt.converse()
        .model_id("amazon.nova-lite-v1:0")
        .messages(hi())
        .send()
        .await
        .expect("plain Converse is allowed");
}
