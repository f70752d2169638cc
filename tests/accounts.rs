//! Several accounts in one run (`--accounts LIST|org|ou:ID --assume-role NAME`), `merge`,
//! and a profile with `role_arn`: the real binary against the simulator's organization and
//! its STS AssumeRole.

mod common;

use bedrock_doctor::report::Report;
use bedrock_doctor::sim::scenario::Scenario;
use common::*;

const ROLE: &str = "BedrockDoctorAudit";
const NOVA: &str = "amazon.nova-lite-v1:0";
const SONNET: &str = "us.anthropic.claude-sonnet-4-6";

/// The doctor as the organization's administrator (keys in the environment), against `sim`,
/// with `args` (and the region).
fn caller_cmd(
    env: &Env,
    sim: &bedrock_doctor::sim::Running,
    args: &[&str],
) -> std::process::Command {
    let mut c = env.cmd_with(&["--region", "us-east-1"]);
    c.args(args)
        .env("AWS_ENDPOINT_URL", sim.url())
        .env("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", FAKE_SECRET);
    c
}

/// `caller_cmd` with the two models of org-onboarding.
fn fleet_cmd(
    env: &Env,
    sim: &bedrock_doctor::sim::Running,
    args: &[&str],
) -> std::process::Command {
    let mut c = caller_cmd(env, sim, &["--model", NOVA, "--model", SONNET]);
    c.args(args);
    c
}

fn ids(r: &Report) -> Vec<&str> {
    r.accounts.iter().map(|a| a.id.as_str()).collect()
}

/// The `scp` row's finding in one account's report.
fn scp_finding<'r>(r: &'r Report, account: &str) -> &'r bedrock_doctor::report::Finding {
    let a = r.accounts.iter().find(|a| a.id == account).unwrap();
    let (_, f) = a
        .report
        .findings()
        .find(|(c, _)| c.id == "scp")
        .expect("an scp finding");
    f
}

fn causes_in(r: &Report, account: &str) -> Vec<String> {
    let a = r.accounts.iter().find(|a| a.id == account).unwrap();
    a.report
        .findings()
        .map(|(c, f)| format!("{}:{}", c.id, f.cause.code()))
        .collect()
}

#[test]
fn every_account_of_the_organization_gets_its_verdict() {
    let (_rt, sim) = start_sim(Scenario::load("org-onboarding").unwrap());
    let env = Env::new();
    let o = run(fleet_cmd(
        &env,
        &sim,
        &["--accounts", "org", "--assume-role", ROLE, "-o", "json"],
    ));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = report(&o);
    assert_eq!(r.schema_version, 2);
    assert_eq!(
        ids(&r),
        [
            "111122223333",
            "222233334444",
            "333344445555",
            "444455556666"
        ]
    );
    // The healthy accounts were entered and checked as the role, and found nothing.
    for healthy in ["111122223333", "333344445555"] {
        assert_eq!(causes_in(&r, healthy), Vec::<String>::new(), "{healthy}");
        let a = r.accounts.iter().find(|a| a.id == healthy).unwrap();
        let principal = a.report.target.principal.as_deref().unwrap_or_default();
        assert!(
            principal.starts_with(&format!("arn:aws:sts::{healthy}:assumed-role/{ROLE}/")),
            "{principal}"
        );
    }
    assert_eq!(
        causes_in(&r, "222233334444")
            .iter()
            .filter(|c| *c == "model-access:model-access-not-granted")
            .count(),
        1
    );
    // The account without the role: its own verdict, naming what only that account can show.
    let sandbox = causes_in(&r, "444455556666");
    assert_eq!(sandbox, ["credentials:role-not-assumable"]);
    // The organization is walked once (the root and its two OUs, each listed once); every
    // account is entered once.
    let log = sim.log();
    let count = |op: &str| log.iter().filter(|e| e.operation == op).count();
    assert_eq!(count("ListRoots"), 1);
    assert_eq!(count("ListAccountsForParent"), 3);
    assert_eq!(count("ListChildren"), 3);
    assert_eq!(count("ListAccounts"), 0);
    assert_eq!(count("AssumeRole"), 4);
    // No session credentials STS handed out reach any output.
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        !all.contains("simulated/assumed/role/secret"),
        "a secret key was printed"
    );
    assert!(
        !all.contains("simulated-session-token-for-"),
        "a session token was printed"
    );
    assert!(!all.contains(FAKE_SECRET));
    assert!(
        stderr(&o).contains("4/4 accounts checked, 2 with failures so far"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_ou_is_walked_down_to_its_accounts() {
    let (_rt, sim) = start_sim(Scenario::load("org-onboarding").unwrap());
    let env = Env::new();
    let dev = |ou: &str| {
        let o = run(fleet_cmd(
            &env,
            &sim,
            &[
                "--accounts",
                ou,
                "--assume-role",
                ROLE,
                "-o",
                "json",
                "--no-invoke",
            ],
        ));
        report(&o)
    };
    assert_eq!(
        ids(&dev("ou:ou-sim0-dev00001")),
        ["222233334444", "444455556666"]
    );
    assert_eq!(ids(&dev("ou:r-sim0")).len(), 4);
}

/// An OU deleted while the walk runs: its parent's listing still names it, and listing it
/// answers ParentNotFoundException. An OU must be empty to be deleted
/// (API_DeleteOrganizationalUnit.html), so no account is lost and the run goes on.
#[test]
fn an_ou_deleted_during_the_walk_loses_nothing() {
    let mut scenario = Scenario::load("org-onboarding").unwrap();
    scenario
        .organizations
        .parents
        .insert("ou-sim0-gone0001".into(), "r-sim0".into());
    for operation in ["ListAccountsForParent", "ListChildren"] {
        let gone = fault(&format!(
            r#"
            service = "organizations"
            operation = "{operation}"
            kind = "status"
            status = 400
            code = "ParentNotFoundException"
            message = "We can't find a root or OU with the ParentId that you specified."
            when_request_contains = "ou-sim0-gone0001"
            "#
        ));
        scenario.faults.push(gone);
    }
    let (_rt, sim) = start_sim(scenario);
    let env = Env::new();
    let o = run(fleet_cmd(
        &env,
        &sim,
        &[
            "--accounts",
            "org",
            "--assume-role",
            ROLE,
            "-o",
            "json",
            "--no-invoke",
        ],
    ));
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(ids(&report(&o)).len(), 4, "{}", stderr(&o));
    let asked_gone = sim
        .log()
        .iter()
        .filter(|e| e.operation == "ListChildren" && e.status == 400)
        .count();
    assert_eq!(asked_gone, 1, "the vanished OU was listed once");
}

#[test]
fn named_accounts_are_entered_as_given_and_the_csv_is_the_matrix() {
    let (_rt, sim) = start_sim(Scenario::load("org-onboarding").unwrap());
    let env = Env::new();
    let o = run(fleet_cmd(
        &env,
        &sim,
        &[
            "--accounts",
            "222233334444,999999999999",
            "--assume-role",
            ROLE,
            "-o",
            "csv",
        ],
    ));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            format!("account,name,account_checks,{NOVA},{SONNET}").as_str(),
            "222233334444,,ok,usable,model-access-not-granted",
            "999999999999,,role-not-assumable,not checked,not checked",
        ]
    );
    // No listing: the accounts were named.
    assert!(sim
        .log()
        .iter()
        .all(|e| e.service != "organizations" || !e.operation.starts_with("List")));
}

#[test]
fn an_identity_that_may_not_list_the_organization_is_told_who_can() {
    let mut scenario = Scenario::load("org-onboarding").unwrap();
    scenario.organizations.readable = false;
    let (_rt, sim) = start_sim(scenario);
    let env = Env::new();
    let o = run(fleet_cmd(
        &env,
        &sim,
        &["--accounts", "org", "--assume-role", ROLE, "-o", "json"],
    ));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = report(&o);
    assert!(r.accounts.is_empty());
    let row = r.checks.iter().find(|c| c.id == "accounts").unwrap();
    assert_eq!(row.findings[0].cause.code(), "iam-not-authorized");
    assert!(
        row.findings[0].remediation[0].contains("delegated administrator"),
        "{:?}",
        row.findings[0].remediation
    );
}

#[test]
fn a_required_external_id_is_sent_with_the_flag() {
    let mut scenario = Scenario::load("org-onboarding").unwrap();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"audit-7f3a"}}}]}"#;
    for a in &mut scenario.accounts {
        for r in &mut a.scenario.iam.roles {
            r.trust = Some(trust.into());
        }
    }
    let (_rt, sim) = start_sim(scenario);
    let env = Env::new();
    let entered = |extra: &[&str]| {
        let mut args = vec![
            "--accounts",
            "333344445555",
            "--assume-role",
            ROLE,
            "-o",
            "json",
            "--no-invoke",
        ];
        args.extend_from_slice(extra);
        let r = report(&run(fleet_cmd(&env, &sim, &args)));
        causes_in(&r, "333344445555")
    };
    assert_eq!(entered(&[]), ["credentials:role-not-assumable"]);
    assert_eq!(
        entered(&["--external-id", "audit-7f3a"]),
        Vec::<String>::new()
    );
}

#[test]
fn bad_account_flags_are_one_line_and_exit_2() {
    let env = Env::new();
    for (args, named) in [
        (
            vec!["--accounts", "12345", "--assume-role", ROLE],
            "`12345`",
        ),
        (
            vec!["--accounts", "ou:ou-12", "--assume-role", ROLE],
            "`ou-12`",
        ),
        (
            vec![
                "--accounts",
                "org",
                "--assume-role",
                "arn:aws:iam::111122223333:role/R",
            ],
            "is an ARN",
        ),
        (
            vec!["--accounts", "org", "--assume-role", "bad name"],
            "`bad name`",
        ),
        (
            vec![
                "--accounts",
                "org",
                "--assume-role",
                ROLE,
                "--external-id",
                "x",
            ],
            "`x`",
        ),
        (vec!["--accounts", "org"], "--assume-role"),
    ] {
        let o = run(env.cmd_with(&args));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(named), "{args:?}: {}", stderr(&o));
        assert_eq!(
            stderr(&o).trim_end().lines().count(),
            1,
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(stdout(&o).is_empty(), "{args:?}");
    }
}

#[test]
fn merged_shards_are_one_report() {
    let (_rt, sim) = start_sim(Scenario::load("org-onboarding").unwrap());
    let env = Env::new();
    let shard = |ou: &str, file: &str| {
        let path = env.home.path().join(file);
        let o = run(fleet_cmd(
            &env,
            &sim,
            &[
                "--accounts",
                ou,
                "--assume-role",
                ROLE,
                "-o",
                "json",
                "--no-invoke",
                "--output-file",
                path.to_str().unwrap(),
            ],
        ));
        assert!(path.exists(), "{}", stderr(&o));
        path
    };
    let dev = shard("ou:ou-sim0-dev00001", "dev.json");
    let prod = shard("ou:ou-sim0-prod0001", "prod.json");
    let o = run(env.cmd_with(&["merge", dev.to_str().unwrap(), prod.to_str().unwrap()]));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = report(&o);
    assert_eq!(ids(&r), ["222233334444", "333344445555", "444455556666"]);
    let fails: usize = r.accounts.iter().map(|a| a.report.summary.fail).sum();
    assert_eq!(r.summary.fail, fails);
    // The same shard twice is a mistake worth stopping for.
    let o = run(env.cmd_with(&["merge", dev.to_str().unwrap(), dev.to_str().unwrap()]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("222233334444"), "{}", stderr(&o));
}

/// `--profile dev` with this ~/.aws/config, against the simulator, without the test call.
fn run_profile_dev(
    env: &Env,
    sim: &bedrock_doctor::sim::Running,
    config: &str,
) -> std::process::Output {
    env.aws_file("config", config);
    let mut c = env.cmd_with(&[
        "--profile",
        "dev",
        "--model",
        NOVA,
        "-o",
        "json",
        "--no-invoke",
    ]);
    c.env("AWS_ENDPOINT_URL", sim.url());
    run(c)
}

/// A profile with role_arn and source_profile, as a person's ~/.aws/config has it: the
/// doctor enters the role (at the run's endpoint) and names why STS refused.
#[test]
fn a_role_profile_is_entered_and_a_refusal_is_diagnosed() {
    let config = |role: &str| {
        format!(
            "[profile base]\naws_access_key_id = {FAKE_KEY_ID}\naws_secret_access_key = {FAKE_SECRET}\n\n[profile dev]\nrole_arn = arn:aws:iam::111122223333:role/{role}\nsource_profile = base\nregion = us-east-1\n"
        )
    };
    let go = |scenario: &str, role: &str| {
        let (_rt, sim) = start_sim(Scenario::load(scenario).unwrap());
        let o = run_profile_dev(&Env::new(), &sim, &config(role));
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(
            !all.contains(FAKE_SECRET),
            "the source profile's secret was printed"
        );
        (report(&o), sim.log())
    };
    let (r, log) = go("role-profile", "BedrockDeveloper");
    assert_eq!(status_of(&r, "credentials"), "pass");
    assert!(r
        .target
        .principal
        .as_deref()
        .unwrap_or_default()
        .starts_with("arn:aws:sts::111122223333:assumed-role/BedrockDeveloper/"));
    assert_eq!(
        log.iter().filter(|e| e.operation == "AssumeRole").count(),
        1
    );

    let (r, _) = go("role-untrusted", "BedrockDeveloper");
    let f = &r
        .checks
        .iter()
        .find(|c| c.id == "credentials")
        .unwrap()
        .findings[0];
    assert_eq!(f.cause.code(), "role-not-assumable");
    assert!(
        f.summary
            .contains("does not trust arn:aws:iam::111122223333:user/dev-alice"),
        "{}",
        f.summary
    );
    assert!(
        f.remediation[0].contains("update-assume-role-policy"),
        "{:?}",
        f.remediation
    );

    let (r, _) = go("role-no-permission", "BedrockDeveloper");
    let f = &r
        .checks
        .iter()
        .find(|c| c.id == "credentials")
        .unwrap()
        .findings[0];
    assert_eq!(f.cause.code(), "iam-not-authorized");
    assert!(
        f.remediation[0].contains(r#""Action":"sts:AssumeRole""#),
        "{:?}",
        f.remediation
    );
}

/// An organization larger than a page (Organizations answers 20 at a time), with an OU inside
/// an OU: every account is found once, every parent listed once, and `ou:` walks down to the
/// leaves.
#[test]
fn a_large_organization_is_listed_page_by_page_and_ous_recursively() {
    let mut text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/sim/scenarios/org-onboarding.toml"
    ))
    .unwrap();
    text = text.split("[[accounts]]").next().unwrap().to_string();
    text = text.replace(
        "[organizations.parents]\n",
        "[organizations.parents]\n\"ou-sim0-team0001\" = \"ou-sim0-dev00001\"\n",
    );
    for i in 0..44 {
        let parent = if i % 2 == 0 {
            "ou-sim0-team0001"
        } else {
            "ou-sim0-prod0001"
        };
        text.push_str(&format!(
            "[[accounts]]\nid = \"{}\"\nparent = \"{parent}\"\n",
            600000000000u64 + i
        ));
    }
    let (_rt, sim) = start_sim(Scenario::parse(&text).unwrap());
    let env = Env::new();
    let go = |set: &str| {
        let args = [
            "--model",
            NOVA,
            "--no-invoke",
            "-o",
            "json",
            "--accounts",
            set,
            "--assume-role",
            ROLE,
        ];
        report(&run(caller_cmd(&env, &sim, &args)))
    };
    let all = go("org");
    assert_eq!(all.accounts.len(), 45);
    let mut unique: Vec<&str> = ids(&all);
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 45);
    let log = sim.log();
    let count = |op: &str| log.iter().filter(|e| e.operation == op).count();
    // The root (the management account), the dev OU (none), its team OU (22: two pages) and
    // the prod OU (22: two pages).
    assert_eq!(
        count("ListAccountsForParent"),
        6,
        "22 accounts an OU, 20 a page"
    );
    assert_eq!(count("ListChildren"), 4, "the root and three OUs");
    // The dev OU has no account of its own; its child OU has the even ones.
    assert_eq!(go("ou:ou-sim0-dev00001").accounts.len(), 22);
}

/// `--model all` in each account: the matrix's columns are the models the accounts checked.
#[test]
fn model_all_gives_the_matrix_its_columns() {
    let (_rt, sim) = start_sim(Scenario::load("org-onboarding").unwrap());
    let env = Env::new();
    let args = [
        "--model",
        "all",
        "--no-invoke",
        "-o",
        "csv",
        "--accounts",
        "222233334444",
        "--assume-role",
        ROLE,
    ];
    let o = run(caller_cmd(&env, &sim, &args));
    let text = stdout(&o);
    let head = text.lines().next().unwrap_or_default();
    assert!(!head.contains(",all"), "{head}");
    assert!(head.split(',').count() > 10, "{head}");
    assert!(text.contains("model-access-not-granted"), "{text}");
}

/// The caller's [default] profile enters a role of its own; the keys of each account's
/// session must win over it, as keys in the environment win in the SDK's chain.
#[test]
fn each_account_runs_as_its_role_whatever_the_default_profile_says() {
    let (_rt, sim) = start_sim(Scenario::load("org-onboarding").unwrap());
    let env = Env::new();
    env.aws_file(
        "config",
        "[default]\nrole_arn = arn:aws:iam::111122223333:role/Other\ncredential_source = Environment\n",
    );
    let o = run(fleet_cmd(
        &env,
        &sim,
        &[
            "--accounts",
            "333344445555",
            "--assume-role",
            ROLE,
            "-o",
            "json",
            "--no-invoke",
        ],
    ));
    let r = report(&o);
    let principal = r.accounts[0]
        .report
        .target
        .principal
        .clone()
        .unwrap_or_default();
    assert!(
        principal.starts_with(&format!("arn:aws:sts::333344445555:assumed-role/{ROLE}/")),
        "{principal}"
    );
}

/// A shard whose OU holds no account is still a shard: merged, it adds nothing.
#[test]
fn an_empty_shard_merges_as_no_accounts() {
    let mut scenario = Scenario::load("org-onboarding").unwrap();
    scenario
        .organizations
        .parents
        .insert("ou-sim0-empty0001".into(), "r-sim0".into());
    let (_rt, sim) = start_sim(scenario);
    let env = Env::new();
    let shard = |ou: &str, file: &str| {
        let path = env.home.path().join(file);
        run(fleet_cmd(
            &env,
            &sim,
            &[
                "--accounts",
                ou,
                "--assume-role",
                ROLE,
                "--no-invoke",
                "-o",
                "json",
                "--output-file",
                path.to_str().unwrap(),
            ],
        ));
        path
    };
    let empty = shard("ou:ou-sim0-empty0001", "empty.json");
    let root = shard("ou:r-sim0", "root.json");
    let o = run(env.cmd_with(&[
        "merge",
        empty.to_str().unwrap(),
        root.to_str().unwrap(),
        "-o",
        "json",
    ]));
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(report(&o).accounts.len(), 4);
}

/// Bad usage inside the accounts' runs (an unreadable --body) stops the whole run once.
#[test]
fn bad_usage_in_the_accounts_runs_is_exit_2() {
    let (_rt, sim) = start_sim(Scenario::load("org-onboarding").unwrap());
    let env = Env::new();
    let o = run(fleet_cmd(
        &env,
        &sim,
        &[
            "--accounts",
            "333344445555",
            "--assume-role",
            ROLE,
            "--body",
            "/nonexistent/body.json",
        ],
    ));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("/nonexistent/body.json"),
        "{}",
        stderr(&o)
    );
}

/// Member accounts may not read the organization, so the caller reads its structure and SCPs
/// for them, once per run: both accounts under the regulated OU get the SCP named, and the
/// OU's and the root's policies are read once, not once per account.
#[test]
fn the_callers_reading_of_the_scps_serves_every_account() {
    let (_rt, sim) = start_sim(Scenario::load("org-scp-deny").unwrap());
    let env = Env::new();
    let o = run(fleet_cmd(
        &env,
        &sim,
        &["--accounts", "org", "--assume-role", ROLE, "-o", "json"],
    ));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = report(&o);
    for regulated in ["222233334444", "333344445555"] {
        let a = r.accounts.iter().find(|a| a.id == regulated).unwrap();
        let scp: Vec<_> = a
            .report
            .findings()
            .filter(|(c, f)| c.id == "scp" && f.cause.code() == "scp-deny")
            .map(|(_, f)| f.summary.clone())
            .collect();
        assert_eq!(
            scp,
            ["denied by SCP NoAnthropicModels (p-noanthropic) attached to ou-sim0-regulated, statement DenyAnthropic"],
            "{regulated}"
        );
    }
    for free in ["111122223333", "444455556666"] {
        assert_eq!(causes_in(&r, free), Vec::<String>::new(), "{free}");
    }
    let log = sim.log();
    let count = |op: &str| log.iter().filter(|e| e.operation == op).count();
    // Two accounts' paths share the OU and the root: 2 accounts + OU + root = 4 targets, each
    // listed once; FullAWSAccess and the OU's policy, each described once. The walk already
    // told the parents, so none is asked.
    assert_eq!(count("ListPoliciesForTarget"), 4);
    assert_eq!(count("DescribePolicy"), 2);
    assert_eq!(count("ListParents"), 0);
    // The structure and the SCPs were read by the caller; a member session only asked who
    // manages the organization (DescribeOrganization, open to every member), once for each
    // of the two denied accounts.
    let by_sessions: Vec<_> = log
        .iter()
        .filter(|e| e.service == "organizations" && e.identity.starts_with("ASIA"))
        .map(|e| e.operation.clone())
        .collect();
    assert_eq!(
        by_sessions,
        ["DescribeOrganization", "DescribeOrganization"]
    );
}

/// A read of the organization that fails (after the SDK's retries) is remembered for the
/// run: both denied accounts need the same two policy documents, and one refused
/// DescribePolicy reaches both as the reason their policy is not named, without either
/// asking again (500 accounts asking a failing API again would only hammer it).
#[test]
fn a_failed_read_of_the_organization_is_reported_not_repeated() {
    let mut scenario = Scenario::load("org-scp-deny").unwrap();
    let refusal = fault(
        r#"
        service = "organizations"
        operation = "DescribePolicy"
        kind = "status"
        status = 400
        code = "AccessDeniedException"
        message = "You don't have permissions to access this resource."
        times = 1
        "#,
    );
    scenario.faults.push(refusal);
    let (_rt, sim) = start_sim(scenario);
    let env = Env::new();
    let o = run(fleet_cmd(
        &env,
        &sim,
        &["--accounts", "org", "--assume-role", ROLE, "-o", "json"],
    ));
    let r = report(&o);
    for id in ["222233334444", "333344445555"] {
        let f = scp_finding(&r, id);
        assert_eq!(f.cause.code(), "scp-deny", "{id}");
        assert!(
            f.evidence
                .iter()
                .any(|e| e.contains("the policy could not be named") && e.contains("AccessDenied")),
            "{id}: {:?}",
            f.evidence
        );
    }
    let described = sim
        .log()
        .iter()
        .filter(|e| e.operation == "DescribePolicy")
        .count();
    assert!(
        described <= 2,
        "a refused read was asked again: {described}"
    );
}

/// Accounts named by id may be in another organization: each reads its own, and a member
/// that may not read it says so instead of naming the policy.
#[test]
fn accounts_named_by_id_read_their_own_organization() {
    let (_rt, sim) = start_sim(Scenario::load("org-scp-deny").unwrap());
    let env = Env::new();
    let o = run(fleet_cmd(
        &env,
        &sim,
        &[
            "--accounts",
            "222233334444",
            "--assume-role",
            ROLE,
            "-o",
            "json",
        ],
    ));
    let r = report(&o);
    let f = scp_finding(&r, "222233334444");
    assert_eq!(f.cause.code(), "scp-deny");
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("the policy could not be named")),
        "{:?}",
        f.evidence
    );
}

/// A role profile without a region (the run takes the region of the profile in use):
/// STS cannot be called, and that is a missing region, not a role that refuses.
#[test]
fn a_role_profile_without_a_region_is_a_missing_region() {
    let (_rt, sim) = start_sim(Scenario::load("role-profile").unwrap());
    let config = format!(
        "[profile base]\naws_access_key_id = {FAKE_KEY_ID}\naws_secret_access_key = {FAKE_SECRET}\nregion = us-east-1\n\n[profile dev]\nrole_arn = arn:aws:iam::111122223333:role/BedrockDeveloper\nsource_profile = base\n"
    );
    let r = report(&run_profile_dev(&Env::new(), &sim, &config));
    let credentials = r.checks.iter().find(|c| c.id == "credentials").unwrap();
    let causes: Vec<&str> = credentials
        .findings
        .iter()
        .map(|f| f.cause.code())
        .collect();
    assert_eq!(causes, ["region-missing"], "{credentials:?}");
    assert!(credentials.findings[0].remediation[0].contains("region"));
}

/// `--profile` on the command line outranks keys in the environment, as in the AWS CLI;
/// AWS_PROFILE, an environment variable itself, does not.
#[test]
fn a_profile_named_on_the_command_line_outranks_keys_in_the_environment() {
    let (_rt, sim) = start_sim(Scenario::load("healthy").unwrap());
    let env = Env::new();
    env.aws_file(
        "credentials",
        "[ci]\naws_access_key_id = AKIAPROFILEKEY000001\naws_secret_access_key = profile-secret-not-real-0000000000000\n",
    );
    let source = |args: &[&str], profile_var: Option<&str>| {
        let mut all = vec!["--model", NOVA, "-o", "json", "--only", "credentials"];
        all.extend_from_slice(args);
        let mut c = env.cmd_with(&all);
        aim(&mut c, &sim);
        if let Some(p) = profile_var {
            c.env("AWS_PROFILE", p);
        }
        let r = report(&run(c));
        r.checks
            .iter()
            .find(|c| c.id == "credentials")
            .unwrap()
            .summary
            .clone()
    };
    let named = source(&["--profile", "ci"], None);
    assert!(
        named.contains("profile `ci`") && named.contains("AKIA…0001"),
        "{named}"
    );
    let by_variable = source(&[], Some("ci"));
    assert!(
        by_variable.contains("environment variables"),
        "{by_variable}"
    );
}
