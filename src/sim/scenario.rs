//! Scenarios: one TOML file each, describing a simulated AWS account (docs/scenarios.md).
//! Everything a scenario leaves out is healthy, so a scenario states only what is wrong.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    /// One line: what is wrong in this account.
    pub summary: String,
    /// The story's region: `demo` runs the doctor there.
    #[serde(default = "default_region")]
    pub region: String,
    /// The models `demo` checks when no --model is given.
    #[serde(default)]
    pub models: Vec<String>,
    /// What the doctor must report against this scenario, as `check-id:cause-code`
    /// (asserted by tests/scenarios.rs as soon as that check exists).
    #[serde(default)]
    pub expect: Vec<String>,
    /// The simulated account's calendar date (YYYY-MM-DD) for model lifecycles: a model past
    /// its end-of-life date is gone, one past its Legacy date is LEGACY. Default: today.
    #[serde(default)]
    pub today: Option<String>,
    /// Added latency for every response, in milliseconds (`--latency-ms` overrides).
    #[serde(default)]
    pub latency_ms: u64,
    #[serde(default)]
    pub client: Client,
    #[serde(default)]
    pub identity: Identity,
    #[serde(default)]
    pub catalog: Catalog,
    #[serde(default)]
    pub access: Vec<Access>,
    /// Application inference profiles the account has created (CreateInferenceProfile).
    #[serde(default)]
    pub application_profiles: Vec<ApplicationProfile>,
    /// Guardrails the account has (CreateGuardrail), each in one region.
    #[serde(default)]
    pub guardrails: Vec<Guardrail>,
    /// Provisioned throughputs the account bought (CreateProvisionedModelThroughput).
    #[serde(default)]
    pub provisioned: Vec<Provisioned>,
    /// Custom models (fine-tuned, distilled...) and their on-demand deployments.
    #[serde(default)]
    pub custom_models: Vec<CustomModel>,
    #[serde(default)]
    pub custom_deployments: Vec<CustomDeployment>,
    /// Models brought with Custom Model Import.
    #[serde(default)]
    pub imported_models: Vec<ImportedModel>,
    /// Knowledge bases (bedrock-agent), in the scenario's region.
    #[serde(default)]
    pub knowledge_bases: Vec<KnowledgeBase>,
    /// Lambda functions (GetFunctionConfiguration), in the scenario's region.
    #[serde(default)]
    pub functions: Vec<Function>,
    #[serde(default = "yes")]
    pub use_case_submitted: bool,
    /// The organization's management account submitted the Anthropic form: this member
    /// account inherits it (calls work) though GetUseCaseForModelAccess finds none here.
    #[serde(default)]
    pub use_case_inherited: bool,
    #[serde(default)]
    pub iam: Iam,
    #[serde(default)]
    pub organizations: Organizations,
    #[serde(default)]
    pub invoke: Vec<InvokeRule>,
    #[serde(default)]
    pub metrics: Vec<MetricSeries>,
    #[serde(default)]
    pub quotas: Vec<Quota>,
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// The caller's own IAM policy (JSON): when set, every call it does not allow is refused
    /// with AccessDenied, so the doctor's least-privilege policy can be proven.
    #[serde(default)]
    pub caller_policy: Option<String>,
    /// Regions whose STS endpoint the account has deactivated (AssumeRole there answers
    /// RegionDisabledException).
    #[serde(default)]
    pub sts_disabled_regions: Vec<String>,
    /// The organization's other accounts (`[[accounts]]`), each the scenario's own settings
    /// with the entry's laid over them (see `Scenario::parse`).
    #[serde(skip)]
    pub accounts: Vec<MemberAccount>,
    /// The `[[accounts]]` entries as written, read into `accounts` by `Scenario::parse`.
    #[serde(default, rename = "accounts")]
    account_entries: Vec<toml::Table>,
}

/// One more account of the organization: an `[[accounts]]` entry. Its `id`, `name`,
/// `parent` and `status` place it in the organization; every other key is a scenario
/// setting for that account alone (tables merge into the scenario's, lists replace).
#[derive(Debug, Clone)]
pub struct MemberAccount {
    pub id: String,
    pub name: String,
    /// The OU (or root) it sits under; default the organization's root.
    pub parent: String,
    /// ACTIVE, SUSPENDED or PENDING_CLOSURE, as Organizations lists it.
    pub status: String,
    pub scenario: Scenario,
}

fn default_region() -> String {
    "us-east-1".into()
}

fn yes() -> bool {
    true
}

/// How `demo` sets up the doctor's side (what the person's machine looks like).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    /// `static` (fake long-term keys), `session` (fake temporary keys) or `none`.
    #[serde(default = "static_creds")]
    pub credentials: ClientCredentials,
    /// Give the doctor no region at all.
    #[serde(default)]
    pub no_region: bool,
    /// Set AWS_BEARER_TOKEN_BEDROCK: a short-term Bedrock API key for the scenario's region.
    #[serde(default)]
    pub bearer_token: bool,
    /// Make that key for another region.
    #[serde(default)]
    pub bearer_token_region: Option<String>,
    /// Make that key one that expired an hour ago.
    #[serde(default)]
    pub bearer_token_expired: bool,
    /// Point the doctor at a closed port instead of the simulator.
    #[serde(default)]
    pub unreachable: bool,
    /// `--accounts` for the demo (an organization run), with `assume_role`.
    #[serde(default, deserialize_with = "account_set")]
    pub accounts: Option<crate::cli::AccountSet>,
    #[serde(default)]
    pub assume_role: Option<String>,
    /// `--principal` for the demo (e.g. the Lambda's role).
    #[serde(default)]
    pub principal: Option<String>,
    /// `--body` for the demo: the request body the application sends (JSON text).
    #[serde(default)]
    pub body: Option<String>,
    /// `--service-tier` for the demo: the tier the application asks for.
    #[serde(default)]
    pub service_tier: Option<String>,
    /// `--stream` for the demo: the application streams.
    #[serde(default)]
    pub stream: bool,
    /// `--guardrail` for the demo: the guardrail the application attaches (ID[:VERSION]).
    #[serde(default, deserialize_with = "guardrail_ref")]
    pub guardrail: Option<crate::cli::GuardrailRef>,
    /// `--lambda` for the demo: the function that calls Bedrock.
    #[serde(default, deserialize_with = "lambda_ref")]
    pub lambda: Option<crate::cli::LambdaRef>,
    /// `--knowledge-base` and `--kb-query` for the demo.
    #[serde(default, deserialize_with = "knowledge_base_id")]
    pub knowledge_base: Option<String>,
    #[serde(default)]
    pub kb_query: Option<String>,
    /// `--app` for the demo: the application whose settings decide the run.
    #[serde(default, deserialize_with = "app_kind")]
    pub app: Option<crate::cli::AppKind>,
    /// `--app-config` for the demo (LiteLLM: the config file's name in `app_files`).
    #[serde(default)]
    pub app_config: Option<String>,
    /// The application's settings files on the client machine, by the path the report shows
    /// (`~/.claude/settings.json`, `.claude/settings.json`, ...).
    #[serde(default)]
    pub app_files: std::collections::BTreeMap<String, String>,
    /// More variables of the client machine's shell.
    #[serde(default)]
    pub env: std::collections::BTreeMap<String, String>,
    /// The client machine's ~/.aws/config (default: none).
    #[serde(default)]
    pub aws_config: Option<String>,
    /// `--endpoint-kind` for the demo: the application calls bedrock-mantle.
    #[serde(default)]
    pub mantle: bool,
    /// The programs the client machine has on its PATH (default: the AWS CLI and a shell).
    #[serde(default = "usual_programs")]
    pub programs: Vec<String>,
}

fn usual_programs() -> Vec<String> {
    ["aws", "sh", "bash"].map(String::from).to_vec()
}

/// The same values as `--app`.
fn app_kind<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<crate::cli::AppKind>, D::Error> {
    use clap::ValueEnum;
    let text = String::deserialize(d)?;
    crate::cli::AppKind::from_str(&text, false)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// The same grammar as `--guardrail`, so a typo is an error naming the line.
fn guardrail_ref<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<crate::cli::GuardrailRef>, D::Error> {
    let text = String::deserialize(d)?;
    crate::cli::parse_guardrail(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// The same grammar as `--accounts`.
fn account_set<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<crate::cli::AccountSet>, D::Error> {
    let text = String::deserialize(d)?;
    crate::cli::parse_accounts(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// The same grammar as `--lambda`.
fn lambda_ref<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<crate::cli::LambdaRef>, D::Error> {
    let text = String::deserialize(d)?;
    crate::cli::parse_lambda(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// The same grammar as `--knowledge-base`.
fn knowledge_base_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    crate::cli::parse_knowledge_base(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn static_creds() -> ClientCredentials {
    ClientCredentials::Static
}

impl Default for Client {
    fn default() -> Self {
        Client {
            credentials: static_creds(),
            no_region: false,
            bearer_token: false,
            bearer_token_region: None,
            bearer_token_expired: false,
            unreachable: false,
            accounts: None,
            assume_role: None,
            principal: None,
            body: None,
            service_tier: None,
            stream: false,
            guardrail: None,
            lambda: None,
            knowledge_base: None,
            kb_query: None,
            app: None,
            app_config: None,
            app_files: Default::default(),
            env: Default::default(),
            aws_config: None,
            mantle: false,
            programs: usual_programs(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
    /// Access key ids AWS does not recognise; `*` means every key.
    #[serde(default)]
    pub invalid_keys: Vec<String>,
    /// Access key ids whose session has expired; `*` means every key.
    #[serde(default)]
    pub expired_keys: Vec<String>,
    /// Seconds AWS's clock is ahead of the real one (negative: behind).
    #[serde(default)]
    pub clock_offset_secs: i64,
}

impl Default for Identity {
    fn default() -> Self {
        Identity {
            account: "111122223333".into(),
            arn: "arn:aws:sts::111122223333:assumed-role/BedrockDeveloper/alice".into(),
            user_id: "AROAEXAMPLEROLEID:alice".into(),
            invalid_keys: vec![],
            expired_keys: vec![],
            clock_offset_secs: 0,
        }
    }
}

/// Changes to the built-in model catalog (src/catalog/catalog.json).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Regions that answer Bedrock calls (default: every region of the catalog).
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default, rename = "override")]
    pub overrides: Vec<ModelOverride>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelOverride {
    pub model: String,
    #[serde(default = "any")]
    pub region: String,
    /// What ListFoundationModels says (AWS has ACTIVE and LEGACY; a retired model is one
    /// past its `end_of_life`).
    pub lifecycle: Option<Lifecycle>,
    pub end_of_life: Option<String>,
    pub inference_types: Option<Vec<String>>,
    /// Take the model out of this region's list.
    #[serde(default)]
    pub remove: bool,
}

fn any() -> String {
    "*".into()
}

/// A knowledge base (bedrock-agent GetKnowledgeBase), its data sources and their ingestion
/// jobs, newest first; `results` is how many chunks Retrieve finds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnowledgeBase {
    /// 10 letters or digits.
    pub id: String,
    pub name: String,
    #[serde(default = "kb_active")]
    pub status: KnowledgeBaseStatus,
    #[serde(default)]
    pub failure_reasons: Vec<String>,
    /// Its service role's ARN.
    pub role: String,
    pub embedding_model: String,
    #[serde(default)]
    pub data_sources: Vec<DataSource>,
    #[serde(default)]
    pub results: u32,
}

fn kb_active() -> KnowledgeBaseStatus {
    KnowledgeBaseStatus::Active
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSource {
    pub id: String,
    pub name: String,
    #[serde(default = "ds_available")]
    pub status: DataSourceStatus,
    /// Newest first.
    #[serde(default)]
    pub jobs: Vec<IngestionJob>,
}

fn ds_available() -> DataSourceStatus {
    DataSourceStatus::Available
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestionJob {
    pub id: String,
    pub status: IngestionJobStatus,
    #[serde(default)]
    pub scanned: u64,
    #[serde(default)]
    pub indexed: u64,
    #[serde(default)]
    pub failed: u64,
    #[serde(default)]
    pub failure_reasons: Vec<String>,
}

/// A Lambda function (API_GetFunctionConfiguration.html).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Function {
    pub name: String,
    /// The execution role's ARN.
    pub role: String,
    /// Seconds; Lambda's default is 3.
    #[serde(default = "three")]
    pub timeout: u32,
    #[serde(default = "python")]
    pub runtime: String,
    #[serde(default)]
    pub env: std::collections::BTreeMap<String, String>,
}

fn three() -> u32 {
    3
}

fn python() -> String {
    "python3.12".into()
}

/// A provisioned throughput (API_GetProvisionedModelThroughput.html): its ARN ends in a
/// 12-character id, and it serves a foundation model (or a custom model) while InService.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provisioned {
    /// `[a-z0-9]{12}`: arn:aws:bedrock:<region>:<account>:provisioned-model/<id>.
    pub id: String,
    pub name: String,
    /// The foundation model it serves.
    pub model: String,
    #[serde(default = "in_service")]
    pub status: ProvisionedStatus,
    #[serde(default)]
    pub failure_message: Option<String>,
    #[serde(default = "one")]
    pub model_units: u32,
}

fn in_service() -> ProvisionedStatus {
    ProvisionedStatus::InService
}

fn one() -> u32 {
    1
}

/// A custom model (API_GetCustomModel.html):
/// arn:aws:bedrock:<region>:<account>:custom-model/<base model id>/<id>.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomModel {
    /// `[a-z0-9]{12}`.
    pub id: String,
    pub name: String,
    /// The foundation model it was customized from.
    pub base: String,
    #[serde(default = "model_active")]
    pub status: CustomModelStatus,
}

fn model_active() -> CustomModelStatus {
    CustomModelStatus::Active
}

/// A custom model's on-demand deployment (API_GetCustomModelDeployment.html):
/// arn:aws:bedrock:<region>:<account>:custom-model-deployment/<id>.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomDeployment {
    pub id: String,
    pub name: String,
    /// The id of the custom model it serves.
    pub custom_model: String,
    #[serde(default = "model_active")]
    pub status: CustomModelStatus,
    #[serde(default)]
    pub failure_message: Option<String>,
}

/// An imported model (API_GetImportedModel.html): arn:...:imported-model/<id>. It has no
/// status; `instruct_supported` says whether Converse serves it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportedModel {
    pub id: String,
    pub name: String,
    pub architecture: String,
    #[serde(default = "yes")]
    pub instruct_supported: bool,
}

/// A guardrail (docs: API_GetGuardrail.html): its versions, status and whether its policies
/// block the doctor's one-word probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guardrail {
    /// `[a-z0-9]+`, the id in its ARN: arn:aws:bedrock:<region>:<account>:guardrail/<id>.
    pub id: String,
    pub name: String,
    /// Its region (default: the scenario's).
    #[serde(default)]
    pub region: Option<String>,
    /// The versions that exist: DRAFT always, numbered ones once published.
    #[serde(default = "draft_only")]
    pub versions: Vec<String>,
    #[serde(default = "guardrail_ready")]
    pub status: GuardrailStatus,
    #[serde(default)]
    pub status_reasons: Vec<String>,
    #[serde(default)]
    pub failure_recommendations: Vec<String>,
    /// Its policies intervene on the probe ("Hi"): the call is answered, and blocked.
    #[serde(default)]
    pub blocks: bool,
}

fn draft_only() -> Vec<String> {
    vec!["DRAFT".into()]
}

fn guardrail_ready() -> GuardrailStatus {
    GuardrailStatus::Ready
}

/// An application inference profile: a tagged copy of a system profile (routing like it) or
/// of a foundation model in one region (docs: inference-profiles-create.html).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationProfile {
    /// The id in its ARN: arn:aws:bedrock:<region>:<account>:application-inference-profile/<id>.
    pub id: String,
    pub name: String,
    /// The system profile id (us.anthropic...) or foundation-model id it was copied from.
    pub copy_from: String,
    /// Its region (default: the scenario's).
    #[serde(default)]
    pub region: Option<String>,
}

/// GetFoundationModelAvailability answers (default: everything AVAILABLE / AUTHORIZED).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Access {
    pub model: String,
    #[serde(default = "any")]
    pub region: String,
    #[serde(default = "authorized")]
    pub authorization: Authorization,
    #[serde(default = "available")]
    pub entitlement: Availability,
    #[serde(default = "available")]
    pub region_availability: Availability,
    #[serde(default = "agreement_available")]
    pub agreement: AgreementStatus,
    pub agreement_error: Option<String>,
}

fn authorized() -> Authorization {
    Authorization::Authorized
}

fn available() -> Availability {
    Availability::Available
}

fn agreement_available() -> AgreementStatus {
    AgreementStatus::Available
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Iam {
    #[serde(default)]
    pub roles: Vec<NamedPath>,
    #[serde(default)]
    pub users: Vec<NamedPath>,
    /// Decisions of SimulatePrincipalPolicy and of runtime calls, stated outright; the first
    /// matching rule wins. Requests no rule matches are judged from `policies` and the
    /// organization's SCPs by the simulator's own evaluator (iam_eval.rs).
    #[serde(default)]
    pub rules: Vec<IamRule>,
    /// Identity-based policies of principals. A principal with none is allowed everything
    /// (the default healthy account); one with some gets exactly what they allow.
    #[serde(default)]
    pub policies: Vec<IdentityPolicy>,
    /// The doctor may not call iam:SimulatePrincipalPolicy.
    #[serde(default)]
    pub simulate_denied: bool,
    /// The doctor may not call iam:GetRole / iam:GetUser.
    #[serde(default)]
    pub get_denied: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedPath {
    pub name: String,
    #[serde(default = "root_path")]
    pub path: String,
    /// A role's trust policy (JSON), as GetRole answers it. None: the account's own
    /// principals may assume it (`arn:aws:iam::ACCOUNT:root`).
    #[serde(default)]
    pub trust: Option<String>,
    /// The role's maximum session duration in seconds (IAM's default is 3600).
    #[serde(default = "an_hour")]
    pub max_session_secs: u32,
}

fn an_hour() -> u32 {
    3600
}

fn root_path() -> String {
    "/".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityPolicy {
    /// The IAM ARN (glob) of the user or role the policy is attached to.
    #[serde(default = "any")]
    pub principal: String,
    /// The policy's name, reported as SourcePolicyId by SimulatePrincipalPolicy.
    pub id: String,
    /// The policy document (JSON).
    pub document: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamRule {
    #[serde(default = "any")]
    pub principal: String,
    #[serde(default = "any")]
    pub action: String,
    #[serde(default = "any")]
    pub resource: String,
    /// Applies when aws:RequestedRegion is one of these (empty: any).
    #[serde(default)]
    pub regions: Vec<String>,
    pub decision: Decision,
    #[serde(default)]
    pub policy_id: Option<String>,
    #[serde(default)]
    pub policy_type: Option<PolicyType>,
    #[serde(default = "yes")]
    pub allowed_by_boundary: bool,
    #[serde(default = "yes")]
    pub allowed_by_organizations: bool,
    #[serde(default)]
    pub missing_context: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organizations {
    /// The account belongs to an organization.
    #[serde(default)]
    pub enabled: bool,
    /// The caller may read the organization (management account or delegated admin).
    #[serde(default)]
    pub readable: bool,
    #[serde(default)]
    pub management_account: Option<String>,
    #[serde(default)]
    pub root_id: Option<String>,
    /// Parent of each child (account id or OU id) up to the root.
    #[serde(default)]
    pub parents: BTreeMap<String, String>,
    #[serde(default)]
    pub policies: Vec<ScpPolicy>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScpPolicy {
    pub id: String,
    pub name: String,
    pub targets: Vec<String>,
    pub content: String,
}

/// What a runtime call to a model does (default: answers).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvokeRule {
    #[serde(default = "any")]
    pub model: String,
    #[serde(default = "any")]
    pub region: String,
    /// Only when the request body contains this text (to refuse one bad body).
    #[serde(default)]
    pub body_contains: Option<String>,
    /// Only when the request asks for this service tier (Converse `serviceTier.type`, or
    /// InvokeModel's X-Amzn-Bedrock-Service-Tier header).
    #[serde(default)]
    pub service_tier: Option<String>,
    pub behavior: Behavior,
    pub status: Option<u16>,
    pub code: Option<String>,
    pub message: Option<String>,
    /// Streaming calls: milliseconds before the first token, and between the chunks after it.
    #[serde(default)]
    pub first_token_ms: u64,
    #[serde(default)]
    pub chunk_ms: u64,
    /// Streaming calls: the answer's content chunks (a stream-* behaviour comes after them).
    #[serde(default = "one_chunk")]
    pub chunks: u32,
}

fn one_chunk() -> u32 {
    1
}

/// CloudWatch datapoints for one metric of one model, one value per minute.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSeries {
    pub model: String,
    pub metric: String,
    /// The value of every minute of the last `minutes`, unless `peaks` says otherwise.
    #[serde(default)]
    pub base: f64,
    #[serde(default = "day")]
    pub minutes: u32,
    /// [minutes ago, value] pairs.
    #[serde(default)]
    pub peaks: Vec<(u32, f64)>,
}

fn day() -> u32 {
    1440
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    pub code: String,
    pub name: String,
    pub value: f64,
    #[serde(default = "yes")]
    pub adjustable: bool,
}

/// Misbehaviour injected for matching calls.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Signing name (sts, iam, bedrock, monitoring, organizations, servicequotas) or `*`.
    #[serde(default = "any")]
    pub service: String,
    #[serde(default = "any")]
    pub operation: String,
    pub kind: FaultKind,
    pub status: Option<u16>,
    pub code: Option<String>,
    pub message: Option<String>,
    /// For `latency` and `drip`: milliseconds.
    #[serde(default)]
    pub ms: u64,
    /// Only the first N matching calls (0: all).
    #[serde(default)]
    pub times: u32,
    /// Only calls whose raw request body contains this text (e.g. one OU's id as ParentId;
    /// awsQuery form bodies are percent-encoded, so match their encoded form).
    #[serde(default)]
    pub when_request_contains: Option<String>,
}

/// The scenario's enumerations are types, so a typo is an error naming the line rather than
/// a silently healthy account.
macro_rules! spelled {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),*
        }

        impl $name {
            /// The word the scenario file uses.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),*
                }
            }
        }
    };
}

spelled!(
    /// What SimulatePrincipalPolicy answers for a rule.
    Decision {
        Allowed = "allowed",
        ImplicitDeny = "implicitDeny",
        ExplicitDeny = "explicitDeny",
    }
);

spelled!(
    /// What a runtime call does.
    Behavior {
        Answer = "answer",
        Throttle = "throttle",
        Timeout = "timeout",
        NotReady = "not-ready",
        Unavailable = "unavailable",
        Filtered = "filtered",
        Restricted = "restricted",
        Error = "error",
        // Streaming calls only: the stream starts, then a modelStreamErrorException event,
        // a throttlingException event, or its end without messageStop.
        StreamError = "stream-error",
        StreamThrottle = "stream-throttle",
        StreamCut = "stream-cut",
        // The last event's frame cut in half: what a proxy that drops the connection leaves.
        StreamTruncated = "stream-truncated",
    }
);

spelled!(
    /// The demo's credentials.
    ClientCredentials {
        Static = "static",
        Session = "session",
        None = "none",
    }
);

// The values below are AWS's own, from the SDK's enums (aws-sdk-bedrock: AuthorizationStatus,
// EntitlementAvailability, RegionAvailability, AgreementStatus,
// FoundationModelLifecycleStatus; aws-sdk-iam: PolicySourceType).
spelled!(
    /// GetFoundationModelAvailability's authorizationStatus.
    Authorization {
        Authorized = "AUTHORIZED",
        NotAuthorized = "NOT_AUTHORIZED",
    }
);

spelled!(
    /// GetFoundationModelAvailability's entitlementAvailability and regionAvailability.
    Availability {
        Available = "AVAILABLE",
        NotAvailable = "NOT_AVAILABLE",
    }
);

spelled!(
    /// GetFoundationModelAvailability's agreementAvailability.status.
    AgreementStatus {
        Available = "AVAILABLE",
        Pending = "PENDING",
        NotAvailable = "NOT_AVAILABLE",
        Error = "ERROR",
    }
);

spelled!(
    /// GetGuardrail's status (aws-sdk-bedrock: GuardrailStatus).
    GuardrailStatus {
        Creating = "CREATING",
        Updating = "UPDATING",
        Versioning = "VERSIONING",
        Ready = "READY",
        Failed = "FAILED",
        Deleting = "DELETING",
    }
);

spelled!(
    /// GetProvisionedModelThroughput's status (aws-sdk-bedrock: ProvisionedModelStatus).
    ProvisionedStatus {
        Creating = "Creating",
        InService = "InService",
        Updating = "Updating",
        Failed = "Failed",
    }
);

spelled!(
    /// GetCustomModel's modelStatus and GetCustomModelDeployment's status (aws-sdk-bedrock:
    /// ModelStatus, CustomModelDeploymentStatus: the same three words).
    CustomModelStatus {
        Active = "Active",
        Creating = "Creating",
        Failed = "Failed",
    }
);

spelled!(
    /// GetKnowledgeBase's status (aws-sdk-bedrockagent: KnowledgeBaseStatus).
    KnowledgeBaseStatus {
        Creating = "CREATING",
        Active = "ACTIVE",
        Deleting = "DELETING",
        Updating = "UPDATING",
        Failed = "FAILED",
        DeleteUnsuccessful = "DELETE_UNSUCCESSFUL",
        UpdateUnsuccessful = "UPDATE_UNSUCCESSFUL",
    }
);

spelled!(
    /// A data source's status (aws-sdk-bedrockagent: DataSourceStatus).
    DataSourceStatus {
        Available = "AVAILABLE",
        Deleting = "DELETING",
        DeleteUnsuccessful = "DELETE_UNSUCCESSFUL",
        Creating = "CREATING",
        Updating = "UPDATING",
        Failed = "FAILED",
    }
);

spelled!(
    /// An ingestion job's status (aws-sdk-bedrockagent: IngestionJobStatus).
    IngestionJobStatus {
        Starting = "STARTING",
        InProgress = "IN_PROGRESS",
        Complete = "COMPLETE",
        Failed = "FAILED",
        Stopping = "STOPPING",
        Stopped = "STOPPED",
    }
);

spelled!(
    /// A foundation model's modelLifecycle.status.
    Lifecycle {
        Active = "ACTIVE",
        Legacy = "LEGACY",
    }
);

spelled!(
    /// SimulatePrincipalPolicy's SourcePolicyType of a matched statement.
    PolicyType {
        User = "user",
        Group = "group",
        Role = "role",
        AwsManaged = "aws-managed",
        UserManaged = "user-managed",
        Resource = "resource",
        None = "none",
    }
);

spelled!(
    /// How a fault misbehaves.
    FaultKind {
        Status = "status",
        Blackhole = "blackhole",
        Reset = "reset",
        Malformed = "malformed",
        Truncated = "truncated",
        Drip = "drip",
        Latency = "latency",
    }
);

macro_rules! library {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("scenarios/", $name, ".toml")))),*]
    };
}

/// The scenario library, embedded for `demo` and `sim serve --scenario NAME`: a name is
/// its file's stem, so `healthy` is scenarios/healthy.toml.
pub const LIBRARY: &[(&str, &str)] = library![
    "healthy",
    "seed-image-lambda",
    "invalid-request-body",
    "service-tier-unavailable",
    "region-missing",
    "credentials-missing",
    "credentials-invalid",
    "credentials-expired",
    "clock-skew",
    "network-unreachable",
    "bearer-token-overrides",
    "api-key-blocked",
    "api-key-wrong-region",
    "iam-not-authorized",
    "iam-explicit-deny",
    "iam-stream-denied",
    "stream-denied-streaming-app",
    "stream-model-error",
    "stream-cut",
    "permissions-boundary-deny",
    "scp-deny",
    "scp-region-deny",
    "scp-global-unspecified",
    "iam-profile-scoped-policy",
    "scp-deny-member-account",
    "model-access-not-granted",
    "use-case-form-required",
    "use-case-form-inherited",
    "marketplace-subscription",
    "marketplace-not-involved",
    "marketplace-called-via-bedrock",
    "payment-instrument-invalid",
    "model-not-in-region",
    "model-id-invalid",
    "inference-profile-required",
    "application-profile-legacy-model",
    "application-profile-not-allowed",
    "model-end-of-life",
    "model-legacy",
    "throttled",
    "quota-headroom-low",
    "quota-zero-new-account",
    "quota-tokens-burndown",
    "service-unavailable",
    "model-timeout",
    "content-filtered",
    "account-restricted",
    "guardrail-blocks-probe",
    "guardrail-other-region",
    "guardrail-version-missing",
    "guardrail-failed",
    "guardrail-apply-denied",
    "guardrail-required-by-policy",
    "provisioned-creating",
    "provisioned-in-service",
    "provisioned-failed",
    "custom-model-called-directly",
    "custom-deployment-failed",
    "imported-no-converse",
    "lambda-image-timeout",
    "lambda-latency-p99",
    "knowledge-base-sync-failed",
    "knowledge-base-role-cannot-embed",
    "knowledge-base-retrieves-nothing",
    "knowledge-base-embedding-elsewhere",
    "claude-code-healthy",
    "claude-code-region-in-aws-config",
    "claude-code-no-region",
    "claude-code-bare-model-id",
    "claude-code-cannot-stream",
    "claude-code-no-refresh",
    "claude-code-refresh-missing",
    "claude-code-settings-not-json",
    "claude-code-bedrock-off",
    "claude-code-defaults",
    "litellm-proxy",
    "litellm-env-unset",
    "stream-paced",
    "stream-truncated-frame",
    "mantle-healthy",
    "mantle-not-authorized",
    "mantle-claude-chat",
    "mantle-prefixed-id",
    "role-profile",
    "role-missing",
    "role-untrusted",
    "role-no-permission",
    "role-external-id",
    "role-mfa",
    "role-duration",
    "role-sts-region-disabled",
    "role-scp-deny",
    "org-onboarding",
    "org-scp-deny",
];

impl Scenario {
    pub fn parse(text: &str) -> Result<Scenario, String> {
        let mut scenario: Scenario = toml::from_str(text).map_err(|e| e.to_string())?;
        let entries = std::mem::take(&mut scenario.account_entries);
        if entries.is_empty() {
            return Ok(scenario);
        }
        let mut table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        table.remove("accounts");
        // A member account shares the scenario's catalog, models and faults; what is about
        // the person's machine or the story is the scenario's alone.
        for key in ["client", "expect"] {
            table.remove(key);
        }
        let root = scenario
            .organizations
            .root_id
            .clone()
            .unwrap_or_else(|| "r-sim0".into());
        for mut entry in entries {
            let mut take = |key: &str| match entry.remove(key) {
                Some(toml::Value::String(v)) => Ok(Some(v)),
                None => Ok(None),
                Some(_) => Err(format!("[[accounts]] `{key}` must be a string")),
            };
            let id = take("id")?.ok_or("an [[accounts]] entry has no `id`")?;
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("[[accounts]] id `{id}` is not 12 digits"));
            }
            if id == scenario.identity.account || scenario.accounts.iter().any(|a| a.id == id) {
                return Err(format!("[[accounts]] id `{id}` is given twice"));
            }
            let name = take("name")?.unwrap_or_else(|| format!("account-{id}"));
            let parent = take("parent")?.unwrap_or_else(|| root.clone());
            let status = take("status")?.unwrap_or_else(|| "ACTIVE".into());
            // A member may list the organization only as a delegated administrator, said
            // in its own entry.
            let delegated = entry
                .get("organizations")
                .and_then(|o| o.get("readable"))
                .and_then(toml::Value::as_bool)
                .unwrap_or(false);
            let mut merged = table.clone();
            merge(&mut merged, entry);
            let mut member: Scenario = merged
                .try_into()
                .map_err(|e| format!("[[accounts]] `{id}`: {e}"))?;
            member.name = format!("{}/{id}", scenario.name);
            member.identity.account = id.clone();
            member.identity.arn = format!("arn:aws:iam::{id}:root");
            member.identity.user_id = id.clone();
            member.organizations.readable = delegated;
            scenario
                .organizations
                .parents
                .insert(id.clone(), parent.clone());
            scenario.accounts.push(MemberAccount {
                id,
                name,
                parent,
                status,
                scenario: member,
            });
        }
        // Every account sees the same organization; only the management account (or a
        // delegated administrator, stated in its own entry) may list it.
        let organizations = scenario.organizations.clone();
        for a in &mut scenario.accounts {
            a.scenario.organizations = Organizations {
                readable: a.scenario.organizations.readable,
                ..organizations.clone()
            };
        }
        Ok(scenario)
    }

    /// The account with this id: the scenario's own or one of its `[[accounts]]`.
    pub fn account(&self, id: &str) -> Option<&Scenario> {
        if self.identity.account == id {
            return Some(self);
        }
        self.accounts
            .iter()
            .find(|a| a.id == id)
            .map(|a| &a.scenario)
    }

    /// A library name, or a path to a TOML file.
    pub fn load(name_or_path: &str) -> Result<Scenario, String> {
        if let Some((_, text)) = LIBRARY.iter().find(|(n, _)| *n == name_or_path) {
            return Scenario::parse(text)
                .map_err(|e| format!("built-in scenario `{name_or_path}`: {e}"));
        }
        let path = std::path::Path::new(name_or_path);
        if path.extension().is_some_and(|e| e == "toml") || path.exists() {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read scenario `{name_or_path}`: {e}"))?;
            let one_line = |e: String| {
                e.lines()
                    .filter(|l| !l.trim().is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            return Scenario::parse(&text)
                .map_err(|e| format!("scenario `{name_or_path}`: {}", one_line(e)));
        }
        // A typo gets the closest names, not the whole library.
        let names = LIBRARY.iter().map(|(n, _)| *n);
        let close = crate::models::did_you_mean(name_or_path, names);
        let hint = if close.is_empty() {
            String::new()
        } else {
            format!("did you mean {}? ", close.join(", "))
        };
        Err(format!(
            "unknown scenario `{name_or_path}` ({hint}`bedrock-doctor demo --list` lists all {})",
            LIBRARY.len()
        ))
    }
}

/// Lay `over` onto `base`: tables merge key by key, anything else replaces.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// `*` matches any run of characters; everything else literally.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first)
        || !text[first.len()..].ends_with(last)
        || text.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_library_scenario_parses_and_is_named_after_its_file() {
        for (name, text) in LIBRARY {
            let s = Scenario::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&s.name, name);
            for e in &s.expect {
                let (check, cause) = e
                    .split_once(':')
                    .unwrap_or_else(|| panic!("{name}: `{e}` is not check:cause"));
                assert!(!check.is_empty(), "{name}: `{e}`");
                cause
                    .parse::<crate::causes::Cause>()
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
    }

    #[test]
    fn a_misspelt_enumeration_is_an_error_naming_its_line() {
        let text = "name = \"x\"\nsummary = \"y\"\n\n[[invoke]]\nbehavior = \"throttel\"\n";
        let e = Scenario::parse(text).unwrap_err();
        assert!(e.contains("throttel") && e.contains("line 5"), "{e}");
        let text = "name = \"x\"\nsummary = \"y\"\n[[iam.rules]]\ndecision = \"explicitdeny\"\n";
        assert!(Scenario::parse(text).unwrap_err().contains("explicitdeny"));
        // AWS's own values: a status AWS never answers cannot be staged.
        for (table, line) in [
            ("[[access]]", "model = \"m\"\nagreement = \"PENDNG\""),
            ("[[access]]", "model = \"m\"\nentitlement = \"available\""),
            (
                "[[catalog.override]]",
                "model = \"m\"\nlifecycle = \"END_OF_LIFE\"",
            ),
            ("[client]", "stream = true\ncredentials = \"sesion\""),
            ("[client]", "stream = true\nlambda = \"has space\""),
            ("[client]", "stream = true\nknowledge_base = \"KB1\""),
        ] {
            let text = format!("name = \"x\"\nsummary = \"y\"\n{table}\n{line}\n");
            let e = Scenario::parse(&text).unwrap_err();
            assert!(e.contains("line 5"), "{line}: {e}");
        }
    }

    #[test]
    fn globs() {
        assert!(glob("*", "anything"));
        assert!(glob("bedrock:Invoke*", "bedrock:InvokeModel"));
        assert!(glob(
            "arn:*:foundation-model/*",
            "arn:aws:bedrock:us-east-1::foundation-model/x"
        ));
        assert!(!glob("bedrock:Invoke*", "bedrock:ListFoundationModels"));
        assert!(glob("a*b*c", "aXbYc") && !glob("a*b*c", "aXc") && !glob("ab*ba", "aba"));
    }
}
