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
        c
    }
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
