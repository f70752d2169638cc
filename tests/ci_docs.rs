//! docs/ci.md's commands, run as written against the simulator.

mod common;

use bedrock_doctor::sim::scenario::Scenario;
use common::*;

fn commands() -> Vec<String> {
    let doc = include_str!("../docs/ci.md");
    doc.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            l.strip_prefix("run: ")
                .or_else(|| l.strip_prefix("- "))
                .filter(|c| c.starts_with("bedrock-doctor "))
                .map(str::to_string)
        })
        .collect()
}

/// A command of docs/ci.md through a shell (for its redirections and globs), in the harness's
/// clean environment, as the CI job's identity against `running`, the binary on PATH.
fn shell(
    env: &Env,
    running: &bedrock_doctor::sim::Running,
    summary: &std::path::Path,
    cmd: &str,
) -> std::process::Output {
    let bin_dir = std::path::Path::new(BIN).parent().unwrap().to_path_buf();
    let mut c = env.cmd();
    c.env(
        "PATH",
        format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    )
    .env("AWS_ENDPOINT_URL", running.url())
    .env("AWS_REGION", "us-east-1")
    .env("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
    .env("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    .env("MODEL", "us.anthropic.claude-sonnet-4-6")
    .env("GITHUB_STEP_SUMMARY", summary);
    let mut sh = std::process::Command::new("sh");
    sh.arg("-c").arg(cmd).env_clear();
    for (k, v) in c.get_envs() {
        if let Some(v) = v {
            sh.env(k, v);
        }
    }
    sh.current_dir(env.home.path());
    sh.output().unwrap()
}

#[test]
fn every_command_in_ci_md_runs_against_the_simulator() {
    let cmds = commands();
    assert!(cmds.len() >= 3, "{cmds:?}");
    let (_rt, running) = start_sim(Scenario::load("healthy").unwrap());
    let env = Env::new();
    let summary = env.home.path().join("summary.md");
    for cmd in &cmds {
        let o = shell(&env, &running, &summary, cmd);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{cmd}\n{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let xml = std::fs::read_to_string(env.home.path().join("bedrock-doctor.xml")).unwrap();
    assert!(roxmltree::Document::parse(&xml).is_ok());
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("## bedrock-doctor"), "{md}");
}

#[test]
fn the_config_example_in_ci_md_loads() {
    let doc = include_str!("../docs/ci.md");
    let start = doc.find("# bedrock-doctor.toml").unwrap();
    let end = start + doc[start..].find("```").unwrap();
    let env = Env::new();
    let path = env.home.path().join("bedrock-doctor.toml");
    std::fs::write(&path, &doc[start..end]).unwrap();
    bedrock_doctor::config_file::load(&path).unwrap();
}

/// The organization example: its shard command once per OU of the simulated organization,
/// then its merge commands, as written (shell globs and redirections included).
#[test]
fn the_organization_example_in_ci_md_runs_against_the_simulated_organization() {
    let doc = include_str!("../docs/ci.md");
    let section = doc
        .split("## An organization, one OU per job")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("the section exists");
    let cmds: Vec<&str> = section
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("bedrock-doctor "))
        .collect();
    assert_eq!(cmds.len(), 4, "{cmds:?}");
    let (_rt, running) = start_sim(Scenario::load("org-onboarding").unwrap());
    let env = Env::new();
    let summary = env.home.path().join("summary.md");
    let sh = |cmd: &str| shell(&env, &running, &summary, cmd);
    for ou in ["ou-sim0-prod0001", "ou-sim0-dev00001"] {
        let o = sh(&cmds[0].replace("${{ matrix.ou }}", ou));
        assert_eq!(o.status.code(), Some(0), "{}: {}", cmds[0], stderr(&o));
    }
    for cmd in &cmds[1..3] {
        let o = sh(cmd);
        assert_eq!(o.status.code(), Some(0), "{cmd}: {}", stderr(&o));
    }
    // The gate: the simulated organization has problems, so the last merge fails the job.
    let o = sh(cmds[3]);
    assert_eq!(o.status.code(), Some(1), "{}: {}", cmds[3], stderr(&o));
    let csv = std::fs::read_to_string(env.home.path().join("organization.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 3, "{csv}");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("| `444455556666` sandbox | role-not-assumable |"),
        "{md}"
    );
    assert!(env.home.path().join("organization.xml").exists());
}
