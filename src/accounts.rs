//! `--accounts LIST|org|ou:ID` with `--assume-role NAME`: the account and model checks in
//! every account of an organization, each entered with STS AssumeRole from the caller's
//! identity, at most `--account-concurrency` accounts at once; one report with every
//! account's (docs/accounts.md).
//!
//! The organization is walked once (ListRoots, then ListAccountsForParent and ListChildren
//! from the root or the OU down, each OU side by side), by the management account or a
//! delegated administrator (API_ListAccountsForParent.html). The same identity reads the
//! organization's structure and SCPs for every account's `scp` check, once per run.
//! Accounts whose state is not ACTIVE are listed in the report and not entered. An account that cannot be entered gets its own verdict, with the cause
//! (checks/roles.rs); nothing is skipped silently.

use crate::aws::{self, AwsSetup, CallFailure, CallLimits};
use crate::checks::organization::Organization;
use crate::checks::roles::{self, RoleRequest};
use crate::cli::{AccountSet, DoctorArgs};
use crate::doctor::{self, UsageError};
use crate::report::{AccountReport, CheckResult, Report, Status, Target};
use futures::StreamExt;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

/// The calls that list an organization (for the doctor's own policy).
pub const ORGANIZATION_LISTING: [&str; 3] = [
    "organizations:ListRoots",
    "organizations:ListAccountsForParent",
    "organizations:ListChildren",
];

/// One account to enter, as the listing named it.
#[derive(Debug, Clone)]
struct Member {
    id: String,
    name: Option<String>,
    /// ACTIVE, or why it is not entered (SUSPENDED, PENDING_CLOSURE...).
    state: String,
}

/// Told how many accounts are listed so far (as the listing's pages arrive), and of each
/// account as it finishes.
pub trait AccountProgress: Sync {
    fn start(&self, _accounts: usize) {}
    fn finished(&self, _account: &AccountReport) {}
}

pub struct Quiet;
impl AccountProgress for Quiet {}

/// Run the doctor in every account and gather the reports.
pub async fn run(
    args: &DoctorArgs,
    environment: &aws::Environment,
    progress: &dyn AccountProgress,
) -> Result<Report, UsageError> {
    let started = tokio::time::Instant::now();
    let set = args
        .accounts
        .clone()
        .ok_or_else(|| UsageError("--accounts is not set".into()))?;
    let role = args.assume_role.clone().ok_or_else(|| {
        UsageError(
            "--accounts needs --assume-role NAME: the role the doctor enters in each account"
                .into(),
        )
    })?;
    // The caller's own identity: it lists the organization and enters each account.
    let setup = AwsSetup::resolve(
        environment,
        args.region.as_deref().map(aws::Sourced::flag),
        &args.regions,
        args.profile.as_deref(),
        args.endpoint_url.as_deref(),
    )
    .await;
    for s in &setup.secrets {
        crate::secrets::register(s);
    }
    let limits = CallLimits {
        operation_timeout: args.check_timeout.mul_f64(0.9),
        ..CallLimits::default()
    };
    let sdk = aws::sdk_config(&setup, environment, args.endpoint_url.as_deref(), limits).await;
    let calls = crate::calls::CallLog::default();
    let clients = aws::Clients::new(&sdk, &calls, usize::from(args.concurrency));
    let caller = match clients.sts.get_caller_identity().send().await {
        Ok(out) => out.arn().map(str::to_string),
        // Without the caller's own identity no account can be listed or entered: one row
        // that says why, not a refusal per account.
        Err(e) => {
            let failure = CallFailure::from_sdk(&e);
            let row = caller_failed(&failure);
            let target = account_target(args, "");
            let mut report = Report::new(target, vec![row], started.elapsed().as_millis() as u64);
            report.target.account = None;
            return Ok(report);
        }
    };
    // Each account's run: the same checks in the caller's region, as the role, with none of
    // the caller's profile.
    let mut member_args = args.clone();
    if member_args.region.is_none() && member_args.regions.is_empty() {
        member_args.region = setup.region_name().map(str::to_string);
    }
    member_args.accounts = None;
    member_args.profile = None;
    let member_args = &member_args;
    let misuse = std::sync::Mutex::new(None::<String>);
    let misuse = &misuse;

    // Accounts are entered as the listing's pages arrive: a large organization's listing
    // (20 accounts a page, one page after another) overlaps the checks instead of
    // preceding them.
    let (found, listed) = tokio::sync::mpsc::unbounded_channel::<Member>();
    // Accounts found by walking the organization are read about with the caller's identity
    // (their structure and SCPs, once for all of them): a member may not read them itself.
    // Accounts named by id may belong to another organization, so each reads its own.
    let walked = Arc::new(Organization::new(clients.organizations.clone()));
    let organization = (!matches!(set, AccountSet::Ids(_))).then(|| walked.clone());
    let (orgs, set_ref, org_ref) = (&clients.organizations, &set, &walked);
    let listing = async move {
        let mut seen = 0;
        list(orgs, set_ref, org_ref, |m| {
            seen += 1;
            progress.start(seen);
            let _ = found.send(m);
        })
        .await
    };
    let bound = usize::from(args.account_concurrency);
    let checking =
        futures::stream::unfold(
            listed,
            |mut rx| async move { rx.recv().await.map(|m| (m, rx)) },
        )
        .map(|m| {
            // Each account is a task of its own, so the runtime spreads the accounts' work
            // over every core.
            let (task_args, environment) = (member_args.clone(), environment.clone());
            let (clients, role) = (clients.clone(), role.clone());
            let organization = organization.clone();
            async move {
                let run = tokio::spawn({
                    let m = m.clone();
                    async move {
                        one_account(&task_args, &environment, &clients, &role, &m, organization)
                            .await
                    }
                });
                let report = match run.await {
                    Ok(Ok(report)) => report,
                    // Bad usage (an unreadable --body...) is the same in every account: the
                    // whole run stops with it.
                    Ok(Err(UsageError(why))) => {
                        misuse
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .get_or_insert(why.clone());
                        let row = entry_row(Status::Error, why, vec![]);
                        Report::new(account_target(member_args, &m.id), vec![row], 0)
                    }
                    Err(e) => {
                        let why = format!("the doctor failed while checking this account: {e}");
                        let row = entry_row(Status::Error, why, vec![]);
                        Report::new(account_target(member_args, &m.id), vec![row], 0)
                    }
                };
                AccountReport {
                    id: m.id.clone(),
                    name: m.name.clone(),
                    report,
                }
            }
        })
        .buffered(bound)
        .inspect(|r| progress.finished(r))
        .collect::<Vec<AccountReport>>();
    let (listed, mut accounts) = tokio::join!(listing, checking);
    // In id order: OUs are walked side by side, so the accounts arrive in no fixed order.
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(why) = misuse.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Err(UsageError(why));
    }
    let mut header = Vec::new();
    if let Err(failure) = listed {
        header.push(listing_failed(&set, &failure, caller.as_deref())?);
    }
    let target = Target {
        region: setup.region_name().map(str::to_string),
        profile: setup.profile_name().map(str::to_string),
        account: caller
            .as_deref()
            .and_then(|a| a.split(':').nth(4))
            .map(str::to_string),
        principal: caller,
        // The columns: every model any account checked (`--model all` lists each region's),
        // in the accounts' id order, so the same organization gives the same columns.
        models: models_of(&accounts),
        endpoint_url: args.endpoint_url.clone(),
    };
    let mut report = Report::new(target, header, started.elapsed().as_millis() as u64);
    report.accounts = accounts;
    report.recount();
    Ok(report)
}

/// The accounts `--accounts` names, each given to `found` as soon as its page arrives.
/// `org` and `ou:ID` walk the tree, each OU side by side with the others (a flat listing,
/// ListAccounts, is one chain of pages of 20), and tell `organization` every parent seen.
async fn list(
    orgs: &aws_sdk_organizations::Client,
    set: &AccountSet,
    organization: &Arc<Organization>,
    mut found: impl FnMut(Member),
) -> Result<(), CallFailure> {
    let top = match set {
        AccountSet::Ids(ids) => {
            for id in ids {
                found(Member {
                    id: id.clone(),
                    name: None,
                    state: "ACTIVE".into(),
                });
            }
            return Ok(());
        }
        AccountSet::Organization => {
            let roots = orgs
                .list_roots()
                .send()
                .await
                .map_err(|e| CallFailure::from_sdk(&e))?;
            // An organization has exactly one root (API_ListRoots.html).
            match roots.roots().first().and_then(|r| r.id()) {
                Some(root) => root.to_string(),
                None => return Ok(()),
            }
        }
        AccountSet::OrganizationalUnit(ou) => ou.clone(),
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    walk_under(orgs.clone(), top, 0, organization.clone(), tx);
    // The walk ends when every parent's task has ended (each holds a sender).
    let mut failure = None;
    while let Some(seen) = rx.recv().await {
        match seen {
            Ok(m) => found(m),
            Err(f) => {
                failure.get_or_insert(f);
            }
        }
    }
    failure.map_or(Ok(()), Err)
}

type Walked = tokio::sync::mpsc::UnboundedSender<Result<Member, CallFailure>>;

/// OUs nest at most five deep (API_CreateOrganizationalUnit.html); a walk deeper than this
/// is a looping answer, and stops.
const MAX_DEPTH: usize = 10;

/// One parent's accounts and child OUs, every page; each child OU is walked the same way in
/// a task of its own, so the OUs of a level are listed side by side. `depth` 0 is the parent
/// the person named (or the root).
fn walk_under(
    orgs: aws_sdk_organizations::Client,
    parent: String,
    depth: usize,
    organization: Arc<Organization>,
    tx: Walked,
) {
    let failed = tx.clone();
    let walked = walk_one(orgs, parent.clone(), depth, organization, tx);
    tokio::spawn(failing_on_panic(parent, walked, failed));
}

/// A walk task that panics must not take its subtree away unnoticed: the listing fails.
async fn failing_on_panic(parent: String, walked: impl Future<Output = ()>, failed: Walked) {
    let walked = std::panic::AssertUnwindSafe(walked);
    if futures::FutureExt::catch_unwind(walked).await.is_err() {
        let _ = failed.send(Err(CallFailure::BadResponse(format!(
            "the walk under {parent} stopped on an internal error"
        ))));
    }
}

async fn walk_one(
    orgs: aws_sdk_organizations::Client,
    parent: String,
    depth: usize,
    organization: Arc<Organization>,
    tx: Walked,
) {
    let accounts = async {
        let mut pages = orgs
            .list_accounts_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| CallFailure::from_sdk(&e))?;
            for a in page.accounts() {
                let m = member(a);
                organization.learn_parent(&m.id, &parent);
                let _ = tx.send(Ok(m));
            }
        }
        Ok(())
    };
    let children = async {
        let mut pages = orgs
            .list_children()
            .parent_id(&parent)
            .child_type(aws_sdk_organizations::types::ChildType::OrganizationalUnit)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| CallFailure::from_sdk(&e))?;
            for ou in page.children().iter().filter_map(|c| c.id()) {
                organization.learn_parent(ou, &parent);
                if depth < MAX_DEPTH {
                    walk_under(
                        orgs.clone(),
                        ou.to_string(),
                        depth + 1,
                        organization.clone(),
                        tx.clone(),
                    );
                }
            }
        }
        Ok(())
    };
    let (a, c): (Result<(), CallFailure>, Result<(), CallFailure>) =
        tokio::join!(accounts, children);
    match a.and(c) {
        // An OU deleted while the walk ran (it had to be empty to be deleted): nothing
        // is lost. Only the parent the person named is bad input when it is not found.
        Err(f) if depth > 0 && f.code() == Some("ParentNotFoundException") => {}
        Err(f) => {
            let _ = tx.send(Err(f));
        }
        Ok(()) => {}
    }
}

/// An account as listed: its State (Status is being retired, Organizations' API reference
/// says; read it only when State is absent).
fn member(a: &aws_sdk_organizations::types::Account) -> Member {
    let state = a
        .state()
        .map(|s| s.as_str().to_string())
        .or_else(|| a.status().map(|s| s.as_str().to_string()))
        .unwrap_or_else(|| "ACTIVE".into());
    Member {
        id: a.id().unwrap_or_default().to_string(),
        name: a.name().map(str::to_string),
        state,
    }
}

/// Enter one account and run the checks there; a refusal is that account's verdict.
async fn one_account(
    args: &DoctorArgs,
    environment: &aws::Environment,
    clients: &aws::Clients,
    role: &str,
    m: &Member,
    organization: Option<Arc<Organization>>,
) -> Result<Report, UsageError> {
    let started = tokio::time::Instant::now();
    let target = account_target(args, &m.id);
    // A closing account still works until it is closed (Organizations' account states).
    if m.state != "ACTIVE" && m.state != "PENDING_CLOSURE" {
        let row = entry_row(
            Status::Skip,
            format!(
                "not entered: Organizations lists the account as {}",
                m.state
            ),
            vec![],
        );
        return Ok(Report::new(target, vec![row], 0));
    }
    let request = RoleRequest {
        role_arn: format!("arn:aws:iam::{}:role/{role}", m.id),
        session_name: args
            .role_session_name
            .clone()
            .unwrap_or_else(|| "bedrock-doctor".into()),
        external_id: args.external_id.clone(),
        duration_secs: None,
        mfa_serial: None,
        origin: "--assume-role".into(),
    };
    let entered = roles::assume(&clients.sts, &request).await;
    let creds = match entered {
        Ok(c) => c,
        Err(failure) => {
            let findings = roles::diagnose(&clients.sts, &clients.iam, &request, &failure).await;
            let row = entry_row(
                Status::Fail,
                format!(
                    "could not enter {}: {}",
                    request.role_arn,
                    failure.describe()
                ),
                findings,
            );
            return Ok(Report::new(
                target,
                vec![row],
                started.elapsed().as_millis() as u64,
            ));
        }
    };
    // The account's run: the same checks, as the role, with no profile of the caller's.
    let mut vars = BTreeMap::new();
    vars.insert(
        "AWS_ACCESS_KEY_ID".to_string(),
        creds.access_key_id().to_string(),
    );
    vars.insert(
        "AWS_SECRET_ACCESS_KEY".to_string(),
        creds.secret_access_key().to_string(),
    );
    vars.insert(
        "AWS_SESSION_TOKEN".to_string(),
        creds.session_token().unwrap_or_default().to_string(),
    );
    vars.insert("AWS_PROFILE".to_string(), String::new());
    let inside = environment.with(&vars);
    doctor::run(args, &inside, &doctor::Silent, organization).await
}

/// Every model the accounts' runs checked, in the order first seen.
fn models_of(accounts: &[AccountReport]) -> Vec<String> {
    let mut models: Vec<String> = Vec::new();
    for m in accounts.iter().flat_map(|a| &a.report.target.models) {
        if !models.contains(m) {
            models.push(m.clone());
        }
    }
    models
}

/// The caller's own identity could not be established (sts:GetCallerIdentity).
fn caller_failed(failure: &CallFailure) -> CheckResult {
    use crate::causes::Cause;
    use crate::report::{Finding, Severity};
    let summary = format!(
        "the caller's identity could not be established, so no account was listed or entered: {}",
        failure.describe()
    );
    let mut row = entry_row(Status::Error, summary.clone(), vec![]);
    row.id = "identity".into();
    row.title = "Caller identity (STS)".into();
    if matches!(failure, CallFailure::NotSent(_)) {
        row.status = Status::Fail;
        row.findings.push(
            Finding::new(Cause::CredentialsMissing, Severity::Error, "no credentials to list or enter the accounts with")
                .evidence(format!("sts:GetCallerIdentity: {}", failure.describe()))
                .fix("run the doctor with the management account's (or a delegated administrator's) credentials: --profile NAME, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
                .doc("https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html"),
        );
    }
    row
}

/// What an account's report is about before its run says more.
fn account_target(args: &DoctorArgs, id: &str) -> Target {
    Target {
        region: args.region.clone(),
        profile: None,
        account: Some(id.to_string()),
        principal: None,
        models: args.models.clone(),
        endpoint_url: args.endpoint_url.clone(),
    }
}

/// The verdict on entering an account, where its `credentials` row stands.
fn entry_row(
    status: Status,
    summary: String,
    findings: Vec<crate::report::Finding>,
) -> CheckResult {
    CheckResult {
        id: "credentials".into(),
        title: "Credentials".into(),
        model: None,
        region: None,
        status,
        summary,
        details: vec![],
        findings,
        duration_ms: 0,
        shape: None,
    }
}

/// The organization could not be listed: a wrong OU id or no organization at all is bad
/// input (exit 2); a refusal is one row that says who can list it.
fn listing_failed(
    set: &AccountSet,
    failure: &CallFailure,
    caller: Option<&str>,
) -> Result<CheckResult, UsageError> {
    use crate::causes::Cause;
    use crate::report::{Finding, Severity};
    let who = caller.unwrap_or("the caller");
    match (failure.code(), set) {
        (Some("AWSOrganizationsNotInUseException"), _) => {
            return Err(UsageError(format!(
                "--accounts {}: the account of {who} is not in an organization",
                set.label()
            )))
        }
        (Some("ParentNotFoundException"), _) => {
            return Err(UsageError(format!(
                "--accounts {}: the organization has no OU or root with that id",
                set.label()
            )))
        }
        _ => {}
    }
    let call = match set {
        AccountSet::OrganizationalUnit(_) => {
            "organizations:ListAccountsForParent and organizations:ListChildren"
        }
        _ => "organizations:ListRoots, organizations:ListAccountsForParent and organizations:ListChildren",
    };
    let (status, summary) = if failure.is_access_denied() {
        (
            Status::Fail,
            format!("{who} may not list the organization's accounts"),
        )
    } else {
        (
            Status::Error,
            format!(
                "could not list the organization's accounts: {}",
                failure.describe()
            ),
        )
    };
    let mut row = CheckResult {
        id: "accounts".into(),
        title: "Organization's accounts".into(),
        model: None,
        region: None,
        status,
        summary: summary.clone(),
        details: vec![format!("{call} answered {}", failure.describe())],
        findings: vec![],
        duration_ms: 0,
        shape: None,
    };
    if failure.is_access_denied() {
        row.findings.push(
            Finding::new(Cause::IamNotAuthorized, Severity::Error, summary)
                .evidence(format!("{call} answered {}", failure.describe()))
                .fix("list the organization from its management account, or from a member account registered as a delegated administrator, with an identity allowed organizations:ListRoots, organizations:ListAccountsForParent and organizations:ListChildren (bedrock-doctor policy prints the doctor's whole policy)")
                .fix("or name the accounts yourself: --accounts 111122223333,444455556666")
                .doc("https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccountsForParent.html"),
        );
    }
    Ok(row)
}

/// `merge`: reports of several runs as one `--accounts` report. A single-account report
/// becomes one account; an account found in two reports is an error (a shard ran twice).
pub fn merge(reports: Vec<(String, Report)>) -> Result<Report, String> {
    let mut merged: Option<Report> = None;
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (file, report) in reports {
        if report.schema_version > crate::report::SCHEMA_VERSION {
            return Err(format!(
                "`{file}` is a schema version {} report; this bedrock-doctor reads up to {}",
                report.schema_version,
                crate::report::SCHEMA_VERSION
            ));
        }
        // A single-account report is one account; an --accounts report brings its accounts
        // and its rows about the organization (a listing that failed).
        let (rows, accounts) = if !report.is_accounts_run() {
            let id = report.target.account.clone().ok_or_else(|| {
                format!("`{file}` names no account (its run did not get as far as the caller's identity)")
            })?;
            let one = AccountReport {
                id,
                name: None,
                report: report.clone(),
            };
            (vec![], vec![one])
        } else {
            (report.checks.clone(), report.accounts.clone())
        };
        for a in &accounts {
            if let Some(other) = seen.insert(a.id.clone(), file.clone()) {
                return Err(format!(
                    "account {} is in both `{other}` and `{file}`",
                    a.id
                ));
            }
        }
        let into = merged.get_or_insert_with(|| Report {
            checks: vec![],
            accounts: vec![],
            ..report.clone()
        });
        into.checks.extend(rows);
        for m in &report.target.models {
            if !into.target.models.contains(m) {
                into.target.models.push(m.clone());
            }
        }
        into.duration_ms = into.duration_ms.max(report.duration_ms);
        into.accounts.extend(accounts);
    }
    let mut report = merged.ok_or("no report to merge")?;
    report.schema_version = crate::report::SCHEMA_VERSION;
    report.accounts.sort_by(|a, b| a.id.cmp(&b.id));
    report.recount();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_walk_task_that_panics_fails_the_listing() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let walked = async {
            panic!("a bug in the walk");
        };
        tokio::spawn(failing_on_panic("ou-ab12-cdef3456".into(), walked, tx))
            .await
            .expect("the guard itself does not panic");
        match rx.recv().await {
            Some(Err(failure)) => assert!(
                failure.describe().contains("under ou-ab12-cdef3456"),
                "{failure:?}"
            ),
            other => panic!("the listing did not fail: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_walk_task_that_ends_adds_no_failure() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let member = tx.clone();
        let walked = async move {
            let _ = member.send(Ok(Member {
                id: "111122223333".into(),
                name: None,
                state: "ACTIVE".into(),
            }));
        };
        failing_on_panic("r-ab12".into(), walked, tx).await;
        assert!(matches!(rx.recv().await, Some(Ok(m)) if m.id == "111122223333"));
        assert!(rx.recv().await.is_none(), "no failure after the member");
    }
}
