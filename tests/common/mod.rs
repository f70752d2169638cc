//! Shared test harness: the real binary in a clean environment that can only reach loopback.

#![allow(dead_code)]

use bedrock_doctor::report::Report;
use std::path::PathBuf;
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_bedrock-doctor");

/// Fake secrets planted in the environment; no output may contain them.
pub const FAKE_SECRET: &str = "SECRETfakeSECRETfakeSECRETfake0123456789";
pub const FAKE_TOKEN: &str = "TOKENfakeTOKENfakeTOKENfakeTOKEN";
pub const FAKE_KEY_ID: &str = "AKIAFAKEKEYID0123456";
pub const FAKE_BEARER: &str = "ABSKbedrockFAKEapiKEY0123456789";

/// A closed loopback port: nothing listens there.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub struct Env {
    pub home: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".aws")).unwrap();
        Env { home }
    }

    pub fn aws_file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.home.path().join(".aws").join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// The binary with nothing inherited: no real profiles, no metadata service, and every
    /// AWS endpoint on loopback (a closed port unless the test says otherwise).
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(BIN);
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env(
                "AWS_ENDPOINT_URL",
                format!("http://127.0.0.1:{}", closed_port()),
            )
            .env("NO_COLOR", "1");
        if let Some(pem) = one_root_certificate() {
            c.env("SSL_CERT_FILE", pem);
        }
        c
    }
}

/// Loopback needs no TLS, yet the SDK's HTTP client parses every root certificate of the
/// system when a run starts: in a debug build, about half the CPU of a short run. One
/// certificate will do (none at all trips a debug assertion in the SDK). None when the system
/// has no bundle where Linux keeps it: then the SDK reads whatever the system has.
fn one_root_certificate() -> Option<&'static std::path::Path> {
    static PEM: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    PEM.get_or_init(|| {
        let bundle = [
            "/etc/ssl/certs/ca-certificates.crt",
            "/etc/pki/tls/certs/ca-bundle.crt",
        ]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())?;
        let end = "-----END CERTIFICATE-----";
        let start = bundle.find("-----BEGIN CERTIFICATE-----")?;
        let stop = start + bundle[start..].find(end)? + end.len();
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let path = dir.join("one-root-certificate.pem");
        // Written under another name, then renamed: test binaries may race for it.
        let mine = dir.join(format!("one-root-certificate.{}.pem", std::process::id()));
        std::fs::write(&mine, format!("{}\n", &bundle[start..stop])).ok()?;
        std::fs::rename(&mine, &path).ok()?;
        Some(path)
    })
    .as_deref()
}

pub fn run(mut c: Command) -> Output {
    c.output().expect("the binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn report(o: &Output) -> Report {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not a JSON report ({e}):\n{}\n{}", stdout(o), stderr(o)))
}

/// (check id, model, status, causes) of every check.
pub fn verdicts(r: &Report) -> Vec<(String, Option<String>, String, Vec<String>)> {
    r.checks
        .iter()
        .map(|c| {
            (
                c.id.clone(),
                c.model.clone(),
                c.status.as_str().to_string(),
                c.findings
                    .iter()
                    .map(|f| f.cause.code().to_string())
                    .collect(),
            )
        })
        .collect()
}

pub fn causes_of(r: &Report) -> Vec<String> {
    let mut v: Vec<String> = r
        .findings()
        .map(|(_, f)| f.cause.code().to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

pub fn status_of(r: &Report, id: &str) -> String {
    r.checks
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.status.as_str().to_string())
        .unwrap_or_else(|| "absent".into())
}

impl Env {
    pub fn cmd_with(&self, args: &[&str]) -> Command {
        let mut c = self.cmd();
        c.args(args);
        c
    }
}

/// The simulator on a runtime of its own (keep the runtime alive as long as the server).
pub fn start_sim(
    scenario: bedrock_doctor::sim::scenario::Scenario,
) -> (tokio::runtime::Runtime, bedrock_doctor::sim::Running) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = rt
        .block_on(bedrock_doctor::sim::start(
            scenario,
            bedrock_doctor::sim::Options::default(),
        ))
        .unwrap();
    (rt, running)
}

/// Point a command at the simulator, in us-east-1, with the fake static keys.
pub fn aim(c: &mut Command, running: &bedrock_doctor::sim::Running) {
    c.env("AWS_ENDPOINT_URL", running.url())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", FAKE_SECRET);
}

/// Run `f` on every item with `workers` threads; results in the items' order.
pub fn parallel<T: Send, R: Send>(
    items: Vec<T>,
    workers: usize,
    f: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let n = items.len();
    let queue = std::sync::Mutex::new(items.into_iter().enumerate());
    let results = std::sync::Mutex::new((0..n).map(|_| None).collect::<Vec<Option<R>>>());
    std::thread::scope(|s| {
        for _ in 0..workers.max(1) {
            s.spawn(|| loop {
                let next = queue.lock().unwrap().next();
                let Some((i, item)) = next else { break };
                let r = f(item);
                results.lock().unwrap()[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

/// The doctor set up against `running` the way `demo` sets up a scenario's client machine
/// (region, models, --principal, --body, an unreachable endpoint), without credentials:
/// the caller adds them (`demo` itself replaces every credential source with its own keys).
pub fn scenario_cmd(
    env: &Env,
    scenario: &bedrock_doctor::sim::scenario::Scenario,
    running: &bedrock_doctor::sim::Running,
    args: &[&str],
) -> Command {
    let client = &scenario.client;
    let mut c = env.cmd_with(args);
    if !client.unreachable {
        c.env("AWS_ENDPOINT_URL", running.url());
    }
    if !client.no_region {
        c.env("AWS_REGION", &scenario.region);
    }
    for m in &scenario.models {
        c.args(["--model", m]);
    }
    if let Some(p) = &client.principal {
        c.args(["--principal", p]);
    }
    // The scenario machine's ~/.aws/config and the profile it selects (role profiles).
    if let Some(config) = &client.aws_config {
        let path = env.home.path().join("aws-config");
        std::fs::write(&path, config).unwrap();
        c.env("AWS_CONFIG_FILE", path);
    }
    if let Some(profile) = client.env.get("AWS_PROFILE") {
        c.env("AWS_PROFILE", profile);
    }
    if client.mantle {
        c.args(["--endpoint-kind", "mantle"]);
    }
    if let Some(body) = &client.body {
        let path = env.home.path().join("body.json");
        std::fs::write(&path, body).unwrap();
        c.arg("--body").arg(path);
    }
    c
}

/// The scenario's own kind of credentials, as `demo` gives them (the FAKE_* values).
pub fn demo_credentials(c: &mut Command, scenario: &bedrock_doctor::sim::scenario::Scenario) {
    let client = &scenario.client;
    if client.credentials != bedrock_doctor::sim::scenario::ClientCredentials::None {
        c.env("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", FAKE_SECRET);
    }
    if client.credentials == bedrock_doctor::sim::scenario::ClientCredentials::Session {
        c.env("AWS_SESSION_TOKEN", FAKE_TOKEN);
    }
    if client.bearer_token {
        c.env("AWS_BEARER_TOKEN_BEDROCK", FAKE_BEARER);
    }
}

/// The one-word user message an application's smallest Converse call sends.
pub fn hi() -> aws_sdk_bedrockruntime::types::Message {
    use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, Message};
    Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text("Hi".into()))
        .build()
        .expect("role and content are set")
}

/// A simulator fault, written as one `[[faults]]` table of a scenario file.
pub fn fault(toml: &str) -> bedrock_doctor::sim::scenario::Fault {
    toml::from_str(toml).expect("the fault parses")
}
