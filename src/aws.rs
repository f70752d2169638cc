//! Everything about talking to AWS: where the region, profile and endpoints come from,
//! the SdkConfig with bounded retries and timeouts, the clients, and reading SDK errors.

use aws_config::{retry::RetryConfig, timeout::TimeoutConfig, BehaviorVersion, SdkConfig};
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::os_shim_internal::{Env as EnvShim, Fs};
use aws_types::region::Region;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where a setting came from, shown to the person so they can change the right place.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced {
    pub value: String,
    pub source: String,
}

impl Sourced {
    /// A value given by the `--region` flag.
    pub fn flag(value: &str) -> Sourced {
        Sourced {
            value: value.to_string(),
            source: "--region".into(),
        }
    }
}

/// The AWS settings in force for this run, resolved once before any check starts.
#[derive(Debug, Clone)]
pub struct AwsSetup {
    pub region: Option<Sourced>,
    pub profile: Option<Sourced>,
    /// None when no profile was named; Some(false) when the named profile is in no file.
    pub profile_found: Option<bool>,
    pub profile_names: Vec<String>,
    /// Problems reading ~/.aws/config or ~/.aws/credentials.
    pub profile_file_error: Option<String>,
    /// Key/value pairs of the selected profile that matter for a diagnosis (no secrets).
    pub profile_settings: Vec<(String, String)>,
    pub endpoint_overrides: Vec<Sourced>,
    /// Proxy variables, with any user:password part masked.
    pub proxies: Vec<Sourced>,
    /// The Bedrock API key in AWS_BEARER_TOKEN_BEDROCK, as far as it can be read (never the key).
    pub api_key: Option<crate::api_key::ApiKey>,
    /// The key itself, only for the one call that must send it by hand (bedrock-mantle has
    /// no SDK); registered as a secret, never printed.
    pub api_key_token: Option<String>,
    pub imds_disabled: bool,
    /// Variables that look like secrets, so every output can be scrubbed of them.
    pub secrets: Vec<String>,
}

pub const ENV_REGION: [&str; 2] = ["AWS_REGION", "AWS_DEFAULT_REGION"];
pub const BEARER_TOKEN_VAR: &str = "AWS_BEARER_TOKEN_BEDROCK";
const SECRET_VARS: [&str; 3] = [
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    BEARER_TOKEN_VAR,
];
const PROXY_VARS: [&str; 6] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// Settings of a profile worth showing (never a secret; an external id is not one either:
/// AWS's guidance is that it is an identifier, not a password).
const PROFILE_KEYS: &[&str] = &[
    "region",
    "sso_session",
    "sso_start_url",
    "sso_account_id",
    "sso_role_name",
    "role_arn",
    "source_profile",
    "credential_source",
    "external_id",
    "role_session_name",
    "duration_seconds",
    "mfa_serial",
    "credential_process",
    "web_identity_token_file",
];

/// Where the AWS setup is read from: this process's environment with the person's files
/// and instance metadata (with, under `--app`, the variables the application sets over the
/// shell's), or a given machine with no instance metadata (the demo's simulated client,
/// passed as a value so the process environment is never edited).
#[derive(Debug, Clone)]
pub enum Environment {
    Process,
    /// This process's environment, with these variables set over it (an application's own
    /// settings, e.g. Claude Code's `env` blocks); an empty value unsets.
    ProcessWith(BTreeMap<String, String>),
    Given(GivenMachine),
}

/// A simulated client machine: its variables, and its ~/.aws/config (empty: no AWS files).
#[derive(Debug, Clone, Default)]
pub struct GivenMachine {
    pub vars: BTreeMap<String, String>,
    pub aws_config: String,
    /// An application's settings files (`--app`), by the path the report shows.
    pub app_files: BTreeMap<String, String>,
    /// The programs on the machine's PATH (for an application's credential commands).
    pub programs: Vec<String>,
}

use std::collections::BTreeMap;

impl Environment {
    /// A variable's value; unset and blank are the same.
    pub fn var(&self, name: &str) -> Option<String> {
        match self {
            Environment::Process => std::env::var(name).ok(),
            Environment::ProcessWith(over) => match over.get(name) {
                Some(v) => Some(v.clone()),
                None => std::env::var(name).ok(),
            },
            Environment::Given(m) => m.vars.get(name).cloned(),
        }
        .filter(|v| !v.trim().is_empty())
    }

    /// The home directory (`~`).
    pub fn home(&self) -> Option<std::path::PathBuf> {
        match self {
            Environment::Given(_) => Some(GIVEN_HOME.into()),
            _ => self.var("HOME").map(Into::into),
        }
    }

    /// Every variable, as the processes that read this environment see them.
    pub fn vars(&self) -> BTreeMap<String, String> {
        match self {
            Environment::Process => std::env::vars().collect(),
            Environment::ProcessWith(over) => {
                let mut all: BTreeMap<String, String> = std::env::vars().collect();
                all.extend(over.clone());
                all
            }
            Environment::Given(m) => m.vars.clone(),
        }
    }

    /// A simulated machine with just these shell variables (unit tests).
    #[cfg(test)]
    pub fn given(vars: &[(&str, &str)]) -> Environment {
        Environment::Given(GivenMachine {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        })
    }

    /// The same machine with these variables set over its own (an application's settings).
    pub fn with(&self, over: &BTreeMap<String, String>) -> Environment {
        if over.is_empty() {
            return self.clone();
        }
        match self {
            Environment::Process => Environment::ProcessWith(over.clone()),
            Environment::ProcessWith(mine) => {
                let mut all = mine.clone();
                all.extend(over.clone());
                Environment::ProcessWith(all)
            }
            Environment::Given(m) => {
                let mut m = m.clone();
                m.vars.extend(over.clone());
                Environment::Given(m)
            }
        }
    }

    /// Every variable whose name starts with `prefix`, sorted by name.
    fn vars_starting(&self, prefix: &str) -> Vec<(String, String)> {
        let mut vars: Vec<(String, String)> = self.vars().into_iter().collect();
        vars.retain(|(k, v)| k.starts_with(prefix) && !v.is_empty());
        vars
    }
}

impl AwsSetup {
    /// Resolve region, profile and endpoint settings the way the AWS CLI and SDKs do:
    /// flag, then environment, then the profile's files, then (on EC2) instance metadata.
    /// Everything about the AWS setup, each value with where it came from. The region is
    /// resolved here and nowhere else: --region, AWS_REGION / AWS_DEFAULT_REGION, the
    /// profile, instance metadata, and last the first of --regions (`regions_flag`).
    pub async fn resolve(
        environment: &Environment,
        region_flag: Option<Sourced>,
        regions_flag: &[String],
        profile_flag: Option<&str>,
        endpoint_flag: Option<&str>,
    ) -> AwsSetup {
        let env = |name: &str| environment.var(name);
        let profile = match (profile_flag, env("AWS_PROFILE")) {
            (Some(p), _) => Some(Sourced {
                value: p.to_string(),
                source: "--profile".into(),
            }),
            (None, Some(p)) => Some(Sourced {
                value: p,
                source: "AWS_PROFILE".into(),
            }),
            (None, None) => None,
        };
        let selected = profile.as_ref().map(|p| p.value.clone());
        let shim = |vars: &BTreeMap<String, String>| {
            let pairs: Vec<(&str, &str)> =
                vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            EnvShim::from_slice(&pairs)
        };
        let (fs, env_shim) = match environment {
            Environment::Process => (Fs::real(), EnvShim::real()),
            Environment::ProcessWith(_) => (Fs::real(), shim(&environment.vars())),
            Environment::Given(m) => {
                // The machine's ~/.aws/config where the SDK looks for it.
                let mut vars = m.vars.clone();
                vars.insert("HOME".into(), GIVEN_HOME.into());
                let config = format!("{GIVEN_HOME}/.aws/config");
                (
                    Fs::from_slice(&[(config.as_str(), m.aws_config.as_str())]),
                    shim(&vars),
                )
            }
        };
        let loaded = aws_config::profile::load(
            &fs,
            &env_shim,
            &Default::default(),
            selected.clone().map(Into::into),
        )
        .await;
        let (profile_names, profile_file_error, profile_settings, profile_found, profile_region) =
            match &loaded {
                Ok(set) => {
                    let mut names: Vec<String> = set.profiles().map(str::to_string).collect();
                    names.sort();
                    let name = selected.as_deref().unwrap_or("default");
                    let found = set.get_profile(name);
                    let settings: Vec<(String, String)> = found
                        .map(|p| {
                            PROFILE_KEYS
                                .iter()
                                .filter_map(|k| p.get(k).map(|v| (k.to_string(), v.to_string())))
                                .collect()
                        })
                        .unwrap_or_default();
                    let region = found.and_then(|p| p.get("region")).map(str::to_string);
                    (
                        names,
                        None,
                        settings,
                        selected.as_ref().map(|_| found.is_some()),
                        region,
                    )
                }
                Err(e) => (vec![], Some(e.to_string()), vec![], None, None),
            };

        let imds_disabled = env("AWS_EC2_METADATA_DISABLED")
            .map(|v| v.eq_ignore_ascii_case("true"))
            .unwrap_or(false);
        let region = if let Some(r) = region_flag {
            Some(r)
        } else if let Some((var, r)) = ENV_REGION.iter().find_map(|v| env(v).map(|r| (v, r))) {
            Some(Sourced {
                value: r,
                source: var.to_string(),
            })
        } else if let Some(r) = profile_region {
            let name = selected.as_deref().unwrap_or("default");
            Some(Sourced {
                value: r,
                source: format!("profile `{name}` in ~/.aws/config"),
            })
        } else {
            let from_imds = if !imds_disabled && profile_found != Some(false) {
                imds_region().await
            } else {
                None
            };
            match from_imds {
                Some(r) => Some(Sourced {
                    value: r,
                    source: "EC2 instance metadata".into(),
                }),
                None => regions_flag.first().map(|r| Sourced {
                    value: r.clone(),
                    source: "--regions (the first)".into(),
                }),
            }
        };

        let mut endpoint_overrides = Vec::new();
        if let Some(url) = endpoint_flag {
            endpoint_overrides.push(Sourced {
                value: url.to_string(),
                source: "--endpoint-url".into(),
            });
        }
        for (k, v) in environment.vars_starting("AWS_ENDPOINT_URL") {
            endpoint_overrides.push(Sourced {
                value: v,
                source: k,
            });
        }
        let proxies = PROXY_VARS
            .iter()
            .filter_map(|k| {
                env(k).map(|v| Sourced {
                    value: crate::secrets::mask_url_password(&v),
                    source: k.to_string(),
                })
            })
            .collect();
        let secrets = SECRET_VARS.iter().filter_map(|k| env(k)).collect();
        if let Some(id) = env("AWS_ACCESS_KEY_ID") {
            crate::secrets::register_key_id(&id);
        }

        AwsSetup {
            region,
            profile,
            profile_found,
            profile_names,
            profile_file_error,
            profile_settings,
            endpoint_overrides,
            proxies,
            api_key: env(BEARER_TOKEN_VAR).map(|k| crate::api_key::ApiKey::read(&k)),
            api_key_token: env(BEARER_TOKEN_VAR),
            imds_disabled,
            secrets,
        }
    }

    /// A setting of the selected profile (one of those worth showing).
    pub fn profile_setting(&self, key: &str) -> Option<String> {
        self.profile_settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    pub fn profile_name(&self) -> Option<&str> {
        self.profile.as_ref().map(|p| p.value.as_str())
    }

    /// The endpoint override in force for one service (its AWS_ENDPOINT_URL_<SERVICE>
    /// suffix, e.g. `STS`, `BEDROCK_RUNTIME`), if any.
    pub fn endpoint_for(&self, service_env_suffix: &str) -> Option<&Sourced> {
        let specific = format!("AWS_ENDPOINT_URL_{service_env_suffix}");
        self.endpoint_overrides
            .iter()
            .find(|e| e.source == "--endpoint-url")
            .or_else(|| {
                self.endpoint_overrides
                    .iter()
                    .find(|e| e.source == specific)
            })
            .or_else(|| {
                self.endpoint_overrides
                    .iter()
                    .find(|e| e.source == "AWS_ENDPOINT_URL")
            })
    }

    pub fn region_name(&self) -> Option<&str> {
        self.region.as_ref().map(|r| r.value.as_str())
    }
}

/// Instance metadata is link-local and may not exist: one quick attempt, never a hang.
fn imds_client() -> aws_config::imds::Client {
    aws_config::imds::Client::builder()
        .max_attempts(1)
        .connect_timeout(Duration::from_millis(300))
        .read_timeout(Duration::from_millis(500))
        .operation_timeout(Duration::from_secs(1))
        .build()
}

async fn imds_region() -> Option<String> {
    aws_config::imds::region::ImdsRegionProvider::builder()
        .imds_client(imds_client())
        .build()
        .region()
        .await
        .map(|r| r.to_string())
}

/// Limits for the doctor's own AWS calls.
#[derive(Debug, Clone, Copy)]
pub struct CallLimits {
    pub connect_timeout: Duration,
    pub operation_timeout: Duration,
    pub max_attempts: u32,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            connect_timeout: Duration::from_secs(3),
            operation_timeout: Duration::from_secs(20),
            max_attempts: 3,
        }
    }
}

/// Build the SdkConfig every client shares: region and profile as resolved, bounded
/// retries that start fast, connect and operation timeouts, capped instance metadata. With
/// a given environment, credentials, the Bedrock API key and endpoint settings come from
/// its variables alone and no AWS file is read.
pub async fn sdk_config(
    setup: &AwsSetup,
    environment: &Environment,
    endpoint_flag: Option<&str>,
    limits: CallLimits,
) -> SdkConfig {
    use aws_credential_types::provider::SharedCredentialsProvider;
    let region = setup.region_name().map(|r| Region::new(r.to_string()));
    let role = role_of_profile(setup, environment);
    let named = named_on_command_line(setup);
    let chain = match environment {
        // A profile with role_arn: the source identity's credentials here; the role is
        // entered below, by the doctor, so a refusal can be diagnosed.
        _ if role.is_some() => role_source(setup, environment, region.clone()).await,
        // Keys an application sets over the shell are its credentials: the SDK's chain
        // would read the shell's.
        Environment::ProcessWith(over)
            if over
                .get("AWS_ACCESS_KEY_ID")
                .is_some_and(|v| !v.trim().is_empty()) =>
        {
            SharedCredentialsProvider::new(GivenCredentials::from(environment))
        }
        // `--profile` on the command line outranks the environment's keys, as in the AWS CLI
        // (cli-chap-configure.html, "Configuration and credentials precedence": command line
        // options override environment variables): that profile's credentials, and only
        // them. AWS_PROFILE is itself an environment variable and keeps the SDK's chain, keys
        // in the environment first.
        Environment::Process | Environment::ProcessWith(_) if named.is_some() => {
            let config =
                aws_config::provider_config::ProviderConfig::default().with_region(region.clone());
            SharedCredentialsProvider::new(
                aws_config::profile::ProfileFileCredentialsProvider::builder()
                    .profile_name(named.unwrap_or_default())
                    .configure(&config)
                    .build(),
            )
        }
        Environment::Process | Environment::ProcessWith(_) => {
            let mut chain =
                aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
                    .imds_client(imds_client());
            if let Some(r) = &region {
                chain = chain.region(r.clone());
            }
            if let Some(p) = setup.profile_name() {
                chain = chain.profile_name(p);
            }
            SharedCredentialsProvider::new(chain.build().await)
        }
        Environment::Given(_) => {
            SharedCredentialsProvider::new(GivenCredentials::from(environment))
        }
    };
    let credentials = SharedCredentialsProvider::new(ResolveOnce::new(chain));

    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .credentials_provider(credentials)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(limits.max_attempts)
                .with_initial_backoff(Duration::from_millis(100))
                .with_max_backoff(Duration::from_secs(2)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(limits.connect_timeout)
                .operation_timeout(limits.operation_timeout)
                .build(),
        )
        // The SDK's upload stall check times the connector's whole future (aws-smithy-runtime
        // 1.16: orchestrator.rs wraps `connector.call` in MaybeUploadThroughputCheckFuture;
        // a body never polled reads as 0 B/s after the grace period), so a request
        // held back by `--concurrency` (in `BoundedConnector`) read as a stalled upload after
        // the 5 s grace period and was failed and retried without ever being sent. The
        // doctor's request bodies are a few KB written at once; the download check, which
        // catches a response that stops arriving, stays on with the SDK's default grace
        // period (the builder's own default is 20 s).
        .stalled_stream_protection(
            aws_config::stalled_stream_protection::StalledStreamProtectionConfig::enabled()
                .upload_enabled(false)
                .grace_period(Duration::from_secs(5))
                .build(),
        );
    if let Some(p) = setup.profile_name() {
        loader = loader.profile_name(p);
    }
    if let Some(url) = endpoint_flag {
        loader = loader.endpoint_url(url);
    }
    loader = loader.http_client(shared_http());
    let sdk = match environment {
        Environment::Process => loader.load().await,
        // The service settings (AWS_BEARER_TOKEN_BEDROCK, AWS_ENDPOINT_URL_<SERVICE>) from
        // the variables as the application sets them.
        Environment::ProcessWith(_) => loader
            .load()
            .await
            .into_builder()
            .service_config(GivenServiceConfig(environment.vars()))
            .build(),
        Environment::Given(m) => {
            // The machine's config file in place of ~/.aws/config and ~/.aws/credentials.
            let files = aws_runtime::env_config::file::EnvConfigFiles::builder()
                .with_contents(
                    aws_runtime::env_config::file::EnvConfigFileKind::Config,
                    m.aws_config.clone(),
                )
                .build();
            loader
                .profile_files(files)
                .use_fips(false)
                .use_dual_stack(false)
                .load()
                .await
                .into_builder()
                .service_config(GivenServiceConfig(m.vars.clone()))
                .build()
        }
    };
    match role {
        None => sdk,
        Some(request) => {
            let entered = crate::checks::roles::RoleProfileCredentials::new(
                request,
                aws_sdk_sts::Client::new(&sdk),
                aws_sdk_iam::Client::new(&sdk),
            );
            sdk.into_builder()
                .credentials_provider(SharedCredentialsProvider::new(entered))
                .build()
        }
    }
}

/// The role a selected profile enters with a source identity (`role_arn` with
/// `source_profile` or `credential_source`; a web identity role is the SDK's own). Keys in
/// the environment come first in the SDK's chain, so with them no profile role is entered.
fn role_of_profile(
    setup: &AwsSetup,
    environment: &Environment,
) -> Option<crate::checks::roles::RoleRequest> {
    let get = |k: &str| setup.profile_setting(k);
    let role_arn = get("role_arn")?;
    if get("web_identity_token_file").is_some() || environment.var("AWS_ACCESS_KEY_ID").is_some() {
        return None;
    }
    Some(crate::checks::roles::RoleRequest {
        role_arn,
        // The name CloudTrail shows for the doctor's sessions, as with --accounts.
        session_name: get("role_session_name").unwrap_or_else(|| "bedrock-doctor".into()),
        external_id: get("external_id"),
        // Sent as the AWS CLI sends it (the Rust SDK's own provider leaves it out).
        duration_secs: get("duration_seconds").and_then(|d| d.trim().parse().ok()),
        mfa_serial: get("mfa_serial"),
        origin: format!("profile `{}`", setup.profile_name().unwrap_or("default")),
    })
}

/// The profile `--profile` named, if the command line named one.
fn named_on_command_line(setup: &AwsSetup) -> Option<&str> {
    setup
        .profile
        .as_ref()
        .filter(|p| p.source == "--profile")
        .map(|p| p.value.as_str())
}

/// The source identity of a role profile: its source_profile's credentials (any kind the
/// SDK reads), or its credential_source.
async fn role_source(
    setup: &AwsSetup,
    environment: &Environment,
    region: Option<Region>,
) -> aws_credential_types::provider::SharedCredentialsProvider {
    use aws_credential_types::provider::SharedCredentialsProvider;
    let get = |k: &str| setup.profile_setting(k);
    if let Some(source) = get("source_profile") {
        if let Environment::Given(m) = environment {
            return SharedCredentialsProvider::new(GivenCredentials::of_profile(m, &source).await);
        }
        let mut chain =
            aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
                .imds_client(imds_client())
                .profile_name(&source);
        if let Some(r) = region {
            chain = chain.region(r);
        }
        return SharedCredentialsProvider::new(chain.build().await);
    }
    match get("credential_source").as_deref() {
        Some("Ec2InstanceMetadata") => SharedCredentialsProvider::new(
            aws_config::imds::credentials::ImdsCredentialsProvider::builder()
                .imds_client(imds_client())
                .build(),
        ),
        Some("EcsContainer") => SharedCredentialsProvider::new(
            aws_config::ecs::EcsCredentialsProvider::builder().build(),
        ),
        // Environment, or nothing said: the keys in the environment.
        _ => SharedCredentialsProvider::new(GivenCredentials::from(environment)),
    }
}

/// One HTTP client per process, set on every SdkConfig the doctor builds. Without it each
/// service client made its own (aws-config leaves SdkConfig's client unset, and each service
/// falls back to a default of its own), which meant two things: `--concurrency` bounded
/// nothing, since `Clients` wraps the config's client and found none, and every client parsed
/// the root certificates again for its TLS configuration, about a fifth of `--accounts`'
/// CPU (measured with perf). It is the SDK's default client, built the same way: hyper with
/// rustls on aws-lc, proxy settings from the environment (aws-smithy-runtime's
/// `default_https_client`). Its connectors are cached per timeout settings, and every run of
/// the process shares them and their connection pools. Credentials are per request.
fn shared_http() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::{proxy::ProxyConfig, tls, Builder, ConnectorBuilder};
    static SHARED_HTTP: std::sync::OnceLock<
        aws_smithy_runtime_api::client::http::SharedHttpClient,
    > = std::sync::OnceLock::new();
    SHARED_HTTP
        .get_or_init(|| {
            Builder::new().build_with_connector_fn(|settings, components| {
                let mut connector = ConnectorBuilder::default().tls_provider(
                    tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc),
                );
                connector.set_connector_settings(settings.cloned());
                if let Some(components) = components {
                    connector.set_sleep_impl(components.sleep_impl());
                }
                connector.set_proxy_config(Some(ProxyConfig::from_env()));
                connector.build()
            })
        })
        .clone()
}

/// The simulated machine's home directory (its ~/.aws/config is the scenario's).
const GIVEN_HOME: &str = "/home/simulated";

/// Credentials from a given environment's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
/// AWS_SESSION_TOKEN, recorded as the SDK records its own environment provider's.
#[derive(Debug)]
struct GivenCredentials(Option<aws_credential_types::Credentials>);

impl From<&Environment> for GivenCredentials {
    fn from(environment: &Environment) -> Self {
        let var = |name| environment.var(name);
        GivenCredentials(
            var("AWS_ACCESS_KEY_ID")
                .zip(var("AWS_SECRET_ACCESS_KEY"))
                .map(|(id, secret)| {
                    let mut c = aws_credential_types::Credentials::new(
                        id,
                        secret,
                        var("AWS_SESSION_TOKEN"),
                        None,
                        "Environment",
                    );
                    c.get_property_mut_or_default::<Vec<aws_credential_types::credential_feature::AwsCredentialFeature>>()
                        .push(aws_credential_types::credential_feature::AwsCredentialFeature::CredentialsEnvVars);
                    c
                }),
        )
    }
}

impl GivenCredentials {
    /// The keys a profile of the given machine's config file holds.
    async fn of_profile(m: &GivenMachine, name: &str) -> GivenCredentials {
        let config = format!("{GIVEN_HOME}/.aws/config");
        let fs = Fs::from_slice(&[(config.as_str(), m.aws_config.as_str())]);
        let env = EnvShim::from_slice(&[("HOME", GIVEN_HOME)]);
        let set = aws_config::profile::load(
            &fs,
            &env,
            &Default::default(),
            Some(name.to_string().into()),
        )
        .await
        .ok();
        let profile = set.as_ref().and_then(|s| s.get_profile(name));
        let key = |k: &str| profile.and_then(|p| p.get(k)).map(str::to_string);
        GivenCredentials(
            key("aws_access_key_id")
                .zip(key("aws_secret_access_key"))
                .map(|(id, secret)| {
                    crate::secrets::register(&secret);
                    let mut c = aws_credential_types::Credentials::new(
                        id,
                        secret,
                        key("aws_session_token"),
                        None,
                        "Profile",
                    );
                    c.get_property_mut_or_default::<Vec<aws_credential_types::credential_feature::AwsCredentialFeature>>()
                        .push(aws_credential_types::credential_feature::AwsCredentialFeature::CredentialsProfile);
                    c
                }),
        )
    }
}

impl aws_credential_types::provider::ProvideCredentials for GivenCredentials {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::ready(match &self.0 {
            Some(c) => Ok(c.clone()),
            None => Err(aws_credential_types::provider::error::CredentialsError::not_loaded(
                "AWS_ACCESS_KEY_ID is not set, and this machine has no AWS files, SSO session or instance metadata",
            )),
        })
    }
}

/// Service settings (an AWS_ENDPOINT_URL_<SERVICE>, AWS_BEARER_TOKEN_BEDROCK) from a given
/// environment: the service's own variable first, then the general one, as the SDK looks.
#[derive(Debug)]
struct GivenServiceConfig(std::collections::BTreeMap<String, String>);

impl aws_types::service_config::LoadServiceConfig for GivenServiceConfig {
    fn load_config(&self, key: aws_types::service_config::ServiceConfigKey<'_>) -> Option<String> {
        let service = key.service_id().to_uppercase().replace(' ', "_");
        [format!("{}_{service}", key.env()), key.env().to_string()]
            .iter()
            .find_map(|name| self.0.get(name).filter(|v| !v.is_empty()).cloned())
    }
}

/// The clients, built once per run from one SdkConfig (building is cheap: no I/O, and
/// every client shares the config's HTTP connection pool and credentials).
#[derive(Clone, Debug)]
pub struct Clients {
    pub sts: aws_sdk_sts::Client,
    pub bedrock: aws_sdk_bedrock::Client,
    pub iam: aws_sdk_iam::Client,
    pub organizations: aws_sdk_organizations::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub quotas: aws_sdk_servicequotas::Client,
    pub runtime: aws_sdk_bedrockruntime::Client,
    /// Knowledge bases (bedrock-agent) and retrieval (bedrock-agent-runtime).
    pub agent: aws_sdk_bedrockagent::Client,
    pub agent_runtime: aws_sdk_bedrockagentruntime::Client,
    pub lambda: aws_sdk_lambda::Client,
    /// None when the clients were given (tests): then every region uses the same ones.
    made_from: Option<MadeFrom>,
}

#[derive(Clone, Debug)]
struct MadeFrom {
    sdk: SdkConfig,
    log: crate::calls::CallLog,
    in_flight: usize,
}

impl MadeFrom {
    /// The config's HTTP client, letting at most `in_flight` requests out at once.
    fn http_client(&self) -> Option<Bounded> {
        self.sdk.http_client().map(|inner| Bounded {
            inner,
            permits: Arc::new(tokio::sync::Semaphore::new(self.in_flight.max(1))),
        })
    }
}

macro_rules! client {
    ($sdk:ident, $from:expr, $region:expr) => {{
        let from: &MadeFrom = $from;
        // Every client times its calls and logs its retries (-v) in the call log.
        let mut conf = $sdk::config::Builder::from(&from.sdk).interceptor(from.log.clone());
        if let Some(http) = from.http_client() {
            conf = conf.http_client(http);
        }
        if let Some(region) = $region {
            conf = conf.region(Region::new(region));
        }
        $sdk::Client::from_conf(conf.build())
    }};
}

impl Clients {
    /// The clients of a run. Every call they make is recorded in `log`, and each client
    /// (one service in one region: the unit AWS rate-limits) has at most `in_flight`
    /// requests out at once, so a wide run does not throttle the account it diagnoses.
    pub fn new(sdk: &SdkConfig, log: &crate::calls::CallLog, in_flight: usize) -> Clients {
        let from = MadeFrom {
            sdk: sdk.clone(),
            log: log.clone(),
            in_flight,
        };
        let home: Option<String> = None;
        Clients {
            sts: client!(aws_sdk_sts, &from, home.clone()),
            bedrock: client!(aws_sdk_bedrock, &from, home.clone()),
            iam: client!(aws_sdk_iam, &from, home.clone()),
            organizations: client!(aws_sdk_organizations, &from, home.clone()),
            cloudwatch: client!(aws_sdk_cloudwatch, &from, home.clone()),
            quotas: client!(aws_sdk_servicequotas, &from, home.clone()),
            runtime: client!(aws_sdk_bedrockruntime, &from, home.clone()),
            agent: client!(aws_sdk_bedrockagent, &from, home.clone()),
            agent_runtime: client!(aws_sdk_bedrockagentruntime, &from, home.clone()),
            lambda: client!(aws_sdk_lambda, &from, home),
            made_from: Some(from),
        }
    }

    /// Given clients (mocked in unit tests) that answer for every region; the services
    /// not given point at a closed loopback port, so an unexpected call fails fast.
    pub fn from_clients(sts: aws_sdk_sts::Client, bedrock: aws_sdk_bedrock::Client) -> Clients {
        let nowhere = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .build();
        Clients {
            sts,
            bedrock,
            iam: aws_sdk_iam::Client::new(&nowhere),
            organizations: aws_sdk_organizations::Client::new(&nowhere),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&nowhere),
            quotas: aws_sdk_servicequotas::Client::new(&nowhere),
            runtime: aws_sdk_bedrockruntime::Client::new(&nowhere),
            agent: aws_sdk_bedrockagent::Client::new(&nowhere),
            agent_runtime: aws_sdk_bedrockagentruntime::Client::new(&nowhere),
            lambda: aws_sdk_lambda::Client::new(&nowhere),
            made_from: None,
        }
    }

    /// The clients for another region: Bedrock, its runtime, CloudWatch and Service Quotas
    /// are regional; STS, IAM and Organizations stay the run's own (IAM and Organizations
    /// are global, so one client keeps their request rate bounded across regions).
    pub fn in_region(&self, region: &str) -> Clients {
        let Some(from) = &self.made_from else {
            return self.clone();
        };
        let r = || Some(region.to_string());
        Clients {
            sts: self.sts.clone(),
            iam: self.iam.clone(),
            organizations: self.organizations.clone(),
            bedrock: client!(aws_sdk_bedrock, from, r()),
            cloudwatch: client!(aws_sdk_cloudwatch, from, r()),
            quotas: client!(aws_sdk_servicequotas, from, r()),
            runtime: client!(aws_sdk_bedrockruntime, from, r()),
            agent: client!(aws_sdk_bedrockagent, from, r()),
            agent_runtime: client!(aws_sdk_bedrockagentruntime, from, r()),
            lambda: client!(aws_sdk_lambda, from, r()),
            made_from: self.made_from.clone(),
        }
    }
}

/// An HTTP client that holds each request until fewer than N of its client's are in flight.
#[derive(Debug, Clone)]
struct Bounded {
    inner: aws_smithy_runtime_api::client::http::SharedHttpClient,
    permits: Arc<tokio::sync::Semaphore>,
}

impl aws_smithy_runtime_api::client::http::HttpClient for Bounded {
    fn http_connector(
        &self,
        settings: &aws_smithy_runtime_api::client::http::HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> aws_smithy_runtime_api::client::http::SharedHttpConnector {
        aws_smithy_runtime_api::client::http::SharedHttpConnector::new(BoundedConnector {
            inner: self.inner.http_connector(settings, components),
            permits: self.permits.clone(),
        })
    }
}

#[derive(Debug)]
struct BoundedConnector {
    inner: aws_smithy_runtime_api::client::http::SharedHttpConnector,
    permits: Arc<tokio::sync::Semaphore>,
}

impl aws_smithy_runtime_api::client::http::HttpConnector for BoundedConnector {
    fn call(
        &self,
        request: aws_smithy_runtime_api::client::orchestrator::HttpRequest,
    ) -> aws_smithy_runtime_api::client::http::HttpConnectorFuture {
        let inner = self.inner.clone();
        let permits = self.permits.clone();
        aws_smithy_runtime_api::client::http::HttpConnectorFuture::new(async move {
            let slot = request.extension::<crate::calls::SentAt>().cloned();
            if let Some(s) = &slot {
                s.mark_queued();
            }
            // The semaphore is never closed, so acquiring only waits.
            let _permit = permits.acquire_owned().await.ok();
            if let Some(s) = &slot {
                s.mark();
            }
            inner.call(request).await
        })
    }
}

/// Remembers the `Date` header of the last response, to compare AWS's clock with ours.
#[derive(Debug, Clone, Default)]
pub struct ServerDate(Arc<Mutex<Option<std::time::SystemTime>>>);

impl ServerDate {
    pub fn get(&self) -> Option<std::time::SystemTime> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Intercept for ServerDate {
    fn name(&self) -> &'static str {
        "ServerDate"
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let date = context
            .response()
            .headers()
            .get("date")
            .and_then(|d| httpdate::parse_http_date(d).ok());
        if date.is_some() {
            *self.0.lock().unwrap_or_else(|p| p.into_inner()) = date;
        }
        Ok(())
    }
}

/// What went wrong with one AWS call, in the terms a diagnosis needs.
#[derive(Debug, Clone, PartialEq)]
pub enum CallFailure {
    /// The request never got an answer: connection refused, DNS, TLS, connect timeout.
    Unreachable(String),
    /// No answer in time.
    TimedOut(String),
    /// AWS answered with an error.
    Service {
        code: String,
        message: String,
        status: Option<u16>,
    },
    /// An answer came that could not be read.
    BadResponse(String),
    /// The request could not be built or signed (no region, no credentials...).
    NotSent(String),
}

impl CallFailure {
    pub fn from_sdk<E>(err: &SdkError<E, HttpResponse>) -> CallFailure
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let detail = crate::calls::error_chain(err);
        match err {
            // A 2xx body the SDK could not read comes back as a service error without a code.
            SdkError::ServiceError(se) if se.err().code().is_none() => {
                CallFailure::BadResponse(format!(
                    "HTTP {} with an unreadable body: {detail}",
                    se.raw().status().as_u16()
                ))
            }
            SdkError::ServiceError(se) => {
                let e = se.err();
                let status = Some(se.raw().status().as_u16());
                CallFailure::Service {
                    code: e.code().unwrap_or("Unknown").to_string(),
                    message: e.message().unwrap_or("").to_string(),
                    status,
                }
            }
            SdkError::TimeoutError(_) => CallFailure::TimedOut(detail),
            SdkError::DispatchFailure(d) if d.is_timeout() => CallFailure::TimedOut(detail),
            SdkError::DispatchFailure(d) if d.is_io() => CallFailure::Unreachable(detail),
            SdkError::DispatchFailure(_) if looks_like_identity_error(&detail) => {
                CallFailure::NotSent(detail)
            }
            SdkError::DispatchFailure(_) => CallFailure::Unreachable(detail),
            SdkError::ResponseError(_) => CallFailure::BadResponse(detail),
            SdkError::ConstructionFailure(_) => CallFailure::NotSent(detail),
            _ => CallFailure::BadResponse(detail),
        }
    }

    /// An error that arrived inside an event stream (ConverseStream,
    /// InvokeModelWithResponseStream) after the call itself succeeded: a modelled exception
    /// keeps its code and message; there is no HTTP status of its own.
    pub fn from_stream<E>(
        err: &SdkError<E, aws_smithy_types::event_stream::RawMessage>,
    ) -> CallFailure
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match err {
            SdkError::ServiceError(se) => {
                // An exception event carries its type in a header the SDK turns into the
                // typed error, not into the metadata's code; the type's name leads its text.
                let e = se.err();
                let shown = e.to_string();
                let named = shown.split(':').next().filter(|n| n.ends_with("Exception"));
                CallFailure::Service {
                    code: e.code().or(named).unwrap_or("Unknown").to_string(),
                    message: e.message().unwrap_or("").to_string(),
                    status: None,
                }
            }
            other => CallFailure::BadResponse(crate::calls::error_chain(other)),
        }
    }

    /// One line for a report: the error code and message, or what broke.
    pub fn describe(&self) -> String {
        match self {
            CallFailure::Service {
                code,
                message,
                status,
            } => match status {
                Some(s) => format!("{code} (HTTP {s}): {message}"),
                None => format!("{code}: {message}"),
            },
            CallFailure::Unreachable(d) => format!("no connection: {d}"),
            CallFailure::TimedOut(d) => format!("timed out: {d}"),
            CallFailure::BadResponse(d) => format!("unreadable response: {d}"),
            CallFailure::NotSent(d) => format!("request not sent: {d}"),
        }
    }

    pub fn is_access_denied(&self) -> bool {
        self.code()
            .is_some_and(|c| c.starts_with("AccessDenied") || c == "UnauthorizedOperation")
    }

    /// The `error` summary of a check whose call failed: what the doctor lacks, or what broke.
    pub fn could_not(&self, what: &str, action: &str) -> String {
        let text = self.describe();
        if text.contains("CallWithBearerToken") || text.contains("API Key is valid") {
            // Bedrock clients authenticate with the API key when one is set.
            format!("could not {what}: Bedrock refused the API key in {BEARER_TOKEN_VAR} (see the api-key check): {text}")
        } else if self.is_access_denied() {
            format!(
                "could not {what}: the doctor's identity lacks {action} ({})",
                self.describe()
            )
        } else {
            format!("could not {what} ({action}): {text}")
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            CallFailure::Service { code, .. } => Some(code),
            _ => None,
        }
    }
}

fn looks_like_identity_error(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    d.contains("credentials") || d.contains("identity") || d.contains("token")
}

/// Every AWS Region as of November 2026: the commercial ones, GovCloud and China
/// (docs: global-infrastructure/latest/regions/aws-regions.html; ap-east-2 and
/// ap-southeast-6 opened in 2025). A region opened since is not here; see `misspelt_region`.
#[rustfmt::skip]
pub const AWS_REGIONS: &[&str] = &[
    "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    "af-south-1",
    "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
    "ca-central-1", "ca-west-1",
    "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3",
    "eu-south-1", "eu-south-2", "eu-north-1",
    "il-central-1", "me-south-1", "me-central-1", "mx-central-1", "sa-east-1",
    "us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
];

/// The region a name that is not one was most likely meant to be: one within two edits
/// (a swap of neighbours counts as one). A name far from every region may be one opened
/// after this list, so it is not second-guessed.
pub fn misspelt_region(region: &str) -> Option<&'static str> {
    if AWS_REGIONS.contains(&region) {
        return None;
    }
    // A name that differs from a Region only in its number may be a Region opened since
    // (ap-southeast-8 after ap-southeast-7): not a misspelling.
    let stem = |r: &str| r.rsplit_once('-').map(|(s, _)| s.to_string());
    AWS_REGIONS
        .iter()
        .filter(|known| stem(known) != stem(region))
        .map(|known| (strsim::osa_distance(region, known), *known))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, known)| known)
}

/// A region name as AWS spells them: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`.
pub fn region_looks_valid(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    if parts.len() < 3 || parts.len() > 4 {
        return false;
    }
    let letters = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase());
    let last = parts[parts.len() - 1];
    parts[0].len() == 2
        && parts[..parts.len() - 1].iter().all(|p| letters(p))
        && !last.is_empty()
        && last.len() <= 2
        && last.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_region_is_named_and_a_real_one_is_not() {
        assert_eq!(misspelt_region("us-esat-1"), Some("us-east-1"));
        assert_eq!(misspelt_region("eu-wset-3"), Some("eu-west-3"));
        assert_eq!(misspelt_region("ap-southeast-1"), None);
        assert_eq!(misspelt_region("af-south-1"), None);
        // Far from every region, or a new number of a known stem: possibly opened since.
        assert_eq!(misspelt_region("xx-newplace-9"), None);
        assert_eq!(misspelt_region("ap-southeast-8"), None);
    }

    #[test]
    fn every_region_the_catalog_offers_bedrock_in_is_a_known_region() {
        for r in crate::models::bedrock_regions() {
            assert!(AWS_REGIONS.contains(&r.as_str()), "{r}");
        }
    }

    #[test]
    fn region_names() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-5",
            "cn-north-1",
        ] {
            assert!(region_looks_valid(ok), "{ok}");
        }
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "useast1",
            "us-east-1a",
            "us_east_1",
            "global",
            "us-east-1 ",
        ] {
            assert!(!region_looks_valid(bad), "{bad}");
        }
    }
}

/// Resolves credentials once per run and hands the same ones to every client, so an SSO
/// or instance-metadata lookup is not repeated per service. Failures are not cached.
#[derive(Debug)]
pub struct ResolveOnce {
    inner: aws_credential_types::provider::SharedCredentialsProvider,
    cell: tokio::sync::OnceCell<aws_credential_types::Credentials>,
}

impl ResolveOnce {
    pub fn new(inner: aws_credential_types::provider::SharedCredentialsProvider) -> Self {
        ResolveOnce {
            inner,
            cell: tokio::sync::OnceCell::new(),
        }
    }
}

impl aws_credential_types::provider::ProvideCredentials for ResolveOnce {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            self.cell
                .get_or_try_init(|| self.inner.provide_credentials())
                .await
                .cloned()
        })
    }
}

#[cfg(test)]
mod bounded_tests {
    use super::*;
    use aws_smithy_runtime_api::client::http::{
        HttpConnector, HttpConnectorFuture, SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A connector that answers after 100 ms and remembers how many calls it held at once.
    #[derive(Debug, Default)]
    struct Counting {
        live: Arc<AtomicUsize>,
        peak: Arc<AtomicUsize>,
    }

    impl HttpConnector for Counting {
        fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
            let (live, peak) = (self.live.clone(), self.peak.clone());
            HttpConnectorFuture::new(async move {
                let now = live.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                live.fetch_sub(1, Ordering::SeqCst);
                Ok(HttpResponse::new(
                    200.try_into().unwrap(),
                    aws_smithy_types::body::SdkBody::empty(),
                ))
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_has_at_most_n_requests_in_flight() {
        let counting = Counting::default();
        let peak = counting.peak.clone();
        let bounded = BoundedConnector {
            inner: SharedHttpConnector::new(counting),
            permits: Arc::new(tokio::sync::Semaphore::new(3)),
        };
        let began = tokio::time::Instant::now();
        let calls = (0..10).map(|_| bounded.call(HttpRequest::empty()));
        let answers = futures::future::join_all(calls).await;
        assert!(answers.iter().all(|a| a.is_ok()));
        assert_eq!(peak.load(Ordering::SeqCst), 3);
        // Ten calls three at a time: four rounds of 100 ms on the paused clock.
        assert_eq!(began.elapsed(), Duration::from_millis(400));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_counts_as_sent_only_once_it_has_a_slot() {
        let bounded = BoundedConnector {
            inner: SharedHttpConnector::new(Counting::default()),
            permits: Arc::new(tokio::sync::Semaphore::new(1)),
        };
        let marks = [
            crate::calls::SentAt::default(),
            crate::calls::SentAt::default(),
        ];
        let calls: Vec<_> = marks
            .iter()
            .map(|m| {
                let mut request = HttpRequest::empty();
                request.add_extension(m.clone());
                tokio::spawn(bounded.call(request))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(marks[0].get().is_some(), "the first request has the slot");
        assert!(marks[1].get().is_none(), "the second still waits for it");
        for call in calls {
            assert!(call.await.unwrap().is_ok());
        }
        assert!(marks[1].get().is_some());
    }
}
