//! The reconciler against the AWS emulator, with an organization of 20 members (DESIGN §3).
//! Each test is GIVEN (the organization) / WHEN (an event) / THEN (what AWS holds, what the report says).

mod common;

use common::{Emulator, MARKETPLACE_PRINCIPAL, OrgFixture, app, mutating, no_deadline, sample};
use marketplace_trusted_access::config::{Config, Removal};
use marketplace_trusted_access::decision::Action;
use marketplace_trusted_access::report::{ActionResult, Outcome, Report};
use std::time::Instant;

const MEMBERS: usize = 20;

async fn organization(trusted_access: bool) -> (Emulator, OrgFixture) {
    let emulator = Emulator::start().await;
    let org = emulator.seed_organization(MEMBERS, 1).await;
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, trusted_access)
        .await;
    (emulator, org)
}

fn organization_accounts(org: &OrgFixture) -> Vec<&String> {
    std::iter::once(&org.management)
        .chain(&org.active)
        .collect()
}

async fn roles_present(emulator: &Emulator, accounts: &[&String]) -> usize {
    let mut n = 0;
    for a in accounts {
        n += emulator.marketplace_role_exists(a).await as usize;
    }
    n
}

fn action_of<'r>(
    report: &'r Report,
    account: &str,
) -> &'r marketplace_trusted_access::report::AccountAction {
    report
        .actions
        .iter()
        .find(|a| a.account_id == account)
        .unwrap_or_else(|| panic!("no action for {account}: {report:?}"))
}

async fn run(emulator: &Emulator, config: Config, event: &str) -> Report {
    app(emulator, config)
        .handle(&sample(event), no_deadline())
        .await
        .unwrap_or_else(|e| panic!("{event}: {e}"))
}

#[tokio::test]
async fn enable_creates_the_role_everywhere_it_must_be_and_a_replay_changes_nothing() {
    // GIVEN 20 members, one suspended, one whose member role is missing; trusted access enabled
    let (emulator, org) = organization(true).await;
    let broken = org.active[3].clone();
    emulator.delete_member_role(&broken).await;

    // WHEN the EnableAWSServiceAccess event arrives
    let report = run(&emulator, Config::default(), "enable-by-cli-iamuser.json").await;

    // THEN every reachable ACTIVE account and the management account hold the role
    let reachable: Vec<&String> = organization_accounts(&org)
        .into_iter()
        .filter(|a| **a != broken)
        .collect();
    assert_eq!(roles_present(&emulator, &reachable).await, reachable.len());
    assert!(!emulator.marketplace_role_exists(&broken).await);
    assert_eq!(report.trusted_access.as_deref(), Some("enabled"));
    assert_eq!(report.accounts.checked, MEMBERS + 1);
    assert_eq!(report.accounts.created, MEMBERS - 1); // 19 active (incl. management) minus broken + management
    assert_eq!(report.accounts.skipped, 1);
    assert_eq!(report.accounts.failed, 1);
    assert_eq!(action_of(&report, &org.suspended[0]).action, Action::Skip);
    let failed = action_of(&report, &broken);
    assert_eq!(failed.result, ActionResult::Failed);
    assert!(
        failed
            .error
            .as_deref()
            .unwrap()
            .starts_with("AssumeRole: AccessDenied"),
        "{failed:?}"
    );
    assert_eq!(report.outcome, Outcome::Failed);

    // WHEN the same event is replayed
    emulator.start_recording().await;
    let replay = run(&emulator, Config::default(), "enable-by-cli-iamuser.json").await;

    // THEN nothing changes: every reachable account is unchanged
    assert_eq!(
        mutating(&emulator.recorded_actions().await),
        Vec::<String>::new()
    );
    assert_eq!(replay.accounts.unchanged, reachable.len());
    assert_eq!((replay.accounts.created, replay.accounts.deleted), (0, 0));
    assert_eq!((replay.accounts.skipped, replay.accounts.failed), (1, 1));
}

#[tokio::test]
async fn disable_keeps_every_role_by_default_and_deletes_every_role_when_asked() {
    // GIVEN every account holds the role, then trusted access is disabled
    let (emulator, org) = organization(true).await;
    run(&emulator, Config::default(), "enable-by-cli-iamuser.json").await;
    let accounts = organization_accounts(&org);
    assert_eq!(roles_present(&emulator, &accounts).await, accounts.len());
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, false)
        .await;

    // WHEN the DisableAWSServiceAccess event arrives with ON_DISABLE=retain
    let kept = run(&emulator, Config::default(), "disable-by-cli.json").await;
    // THEN every role is kept
    assert_eq!(roles_present(&emulator, &accounts).await, accounts.len());
    assert_eq!(kept.accounts.unchanged, accounts.len());
    assert_eq!(kept.trusted_access.as_deref(), Some("disabled"));

    // WHEN it arrives with ON_DISABLE=delete
    let config = Config {
        on_disable: Removal::Delete,
        ..Config::default()
    };
    let deleted = run(&emulator, config, "disable-by-cli.json").await;
    // THEN every role is gone
    assert_eq!(roles_present(&emulator, &accounts).await, 0);
    assert_eq!(deleted.accounts.deleted, accounts.len(), "{deleted:?}");
    assert_eq!(deleted.outcome, Outcome::Reconciled);
}

#[tokio::test]
async fn a_disable_event_while_organizations_says_enabled_deletes_nothing() {
    // GIVEN every account holds the role and trusted access is still enabled (a forged or stale event)
    let (emulator, org) = organization(true).await;
    run(&emulator, Config::default(), "enable-by-cli-iamuser.json").await;

    // WHEN a DisableAWSServiceAccess event arrives with ON_DISABLE=delete
    emulator.start_recording().await;
    let config = Config {
        on_disable: Removal::Delete,
        ..Config::default()
    };
    let report = run(&emulator, config, "disable-by-cli.json").await;

    // THEN no role is deleted: Organizations, not the event, says what must be
    assert_eq!(
        mutating(&emulator.recorded_actions().await),
        Vec::<String>::new()
    );
    let accounts = organization_accounts(&org);
    assert_eq!(roles_present(&emulator, &accounts).await, accounts.len());
    assert_eq!(report.accounts.deleted, 0);
    assert_eq!(report.trusted_access.as_deref(), Some("enabled"));
}

#[tokio::test]
async fn a_dry_run_makes_no_mutating_call() {
    // GIVEN trusted access enabled and no role anywhere
    let (emulator, org) = organization(true).await;

    // WHEN an operator asks for a dry run
    emulator.start_recording().await;
    let report = app(&emulator, Config::default())
        .handle(
            &serde_json::json!({"command": "reconcile", "dryRun": true}),
            no_deadline(),
        )
        .await
        .unwrap();

    // THEN the plan lists every creation, and the emulator saw only reads
    let recorded = emulator.recorded_actions().await;
    assert!(recorded.iter().any(|a| a == "iam:GetRole"), "{recorded:?}");
    assert_eq!(mutating(&recorded), Vec::<String>::new());
    let accounts = organization_accounts(&org);
    assert_eq!(roles_present(&emulator, &accounts).await, 0);
    assert!(report.dry_run);
    assert_eq!(report.accounts.planned, accounts.len());
    assert!(
        report
            .actions
            .iter()
            .filter(|a| a.action == Action::Create)
            .all(|a| a.result == ActionResult::Planned)
    );

    // AND DRY_RUN=true cannot be lifted by a command, even one that asks to act
    emulator.start_recording().await;
    let locked = Config {
        dry_run: true,
        ..Config::default()
    };
    app(&emulator, locked)
        .handle(
            &serde_json::json!({"command": "reconcile", "dryRun": false}),
            no_deadline(),
        )
        .await
        .unwrap();
    assert_eq!(
        mutating(&emulator.recorded_actions().await),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn every_ignored_sample_leaves_the_emulator_unchanged() {
    let (emulator, _org) = organization(true).await;
    for event in [
        "ignored-failed-call.json",
        "ignored-other-principal.json",
        "ignored-other-account.json",
        "ignored-unhandled-event.json",
        "create-account-failed.json",
    ] {
        emulator.start_recording().await;
        let report = run(&emulator, Config::default(), event).await;
        assert_eq!(report.outcome, Outcome::Ignored, "{event}");
        assert!(
            report.reason.as_deref().is_some_and(|r| !r.is_empty()),
            "{event}"
        );
        assert!(
            report.actions.is_empty() && report.notifications.is_empty(),
            "{event}"
        );
        let recorded = emulator.recorded_actions().await;
        assert_eq!(mutating(&recorded), Vec::<String>::new(), "{event}");
        // Only learning the management account is needed to ignore an event recorded elsewhere;
        // every other ignored event needs no call at all.
        let reads = if event == "ignored-other-account.json" {
            vec!["organizations:DescribeOrganization".to_string()]
        } else {
            vec![]
        };
        assert_eq!(recorded, reads, "{event}");
    }
}

#[tokio::test]
async fn a_departed_account_keeps_its_role_by_default_and_loses_it_when_asked() {
    // GIVEN every account holds the role, then one account is removed from the organization
    let (emulator, org) = organization(true).await;
    run(&emulator, Config::default(), "enable-by-cli-iamuser.json").await;
    let leaver = org.active[0].clone();
    let event = common::remove_account(&emulator, &leaver).await;

    // WHEN the removal event arrives with ON_DEPARTURE=retain
    let kept = app(&emulator, Config::default())
        .handle(&event, no_deadline())
        .await
        .unwrap();
    // THEN the role stays, and the account is reported as outside the organization
    assert!(emulator.marketplace_role_exists(&leaver).await);
    assert_eq!(action_of(&kept, &leaver).action, Action::Keep);

    // WHEN it arrives with ON_DEPARTURE=delete
    let config = Config {
        on_departure: Removal::Delete,
        ..Config::default()
    };
    let deleted = app(&emulator, config)
        .handle(&event, no_deadline())
        .await
        .unwrap();
    // THEN the role is deleted in that account only
    assert!(!emulator.marketplace_role_exists(&leaver).await);
    assert_eq!(action_of(&deleted, &leaver).action, Action::Delete);
    assert_eq!(deleted.actions.len(), 1);
    assert!(emulator.marketplace_role_exists(&org.active[1]).await);
}

#[tokio::test]
async fn a_removal_event_for_an_account_still_in_the_organization_deletes_nothing() {
    // GIVEN a forged removal event naming an ACTIVE member, with ON_DEPARTURE=delete
    let (emulator, org) = organization(true).await;
    run(&emulator, Config::default(), "enable-by-cli-iamuser.json").await;
    let mut event = sample("remove-account.json");
    event["detail"]["requestParameters"]["accountId"] = org.active[0].clone().into();

    let config = Config {
        on_departure: Removal::Delete,
        ..Config::default()
    };
    let report = app(&emulator, config)
        .handle(&event, no_deadline())
        .await
        .unwrap();

    // THEN the account is reconciled as the member it is: its role stays
    assert!(emulator.marketplace_role_exists(&org.active[0]).await);
    assert_eq!(action_of(&report, &org.active[0]).action, Action::Keep);
}

#[tokio::test]
async fn a_new_account_gets_the_role() {
    let (emulator, org) = organization(true).await;
    let mut event = sample("create-account-result.json");
    event["detail"]["serviceEventDetails"]["createAccountStatus"]["accountId"] =
        org.active[5].clone().into();
    let report = app(&emulator, Config::default())
        .handle(&event, no_deadline())
        .await
        .unwrap();
    assert_eq!(report.accounts.created, 1);
    assert!(emulator.marketplace_role_exists(&org.active[5]).await);
    assert!(
        !emulator.marketplace_role_exists(&org.active[6]).await,
        "only the named account is touched"
    );
}

#[tokio::test]
async fn when_time_runs_short_no_new_account_is_started_and_the_run_is_incomplete() {
    let (emulator, org) = organization(true).await;
    // The deadline has come by the time the organization is read: nothing may start.
    let report = app(&emulator, Config::default())
        .handle(&sample("scheduled.json"), Instant::now())
        .await
        .unwrap();
    assert_eq!(report.outcome, Outcome::Incomplete);
    assert_eq!(report.unreached.len(), MEMBERS + 1);
    assert!(report.actions.is_empty());
    assert_eq!(
        roles_present(&emulator, &organization_accounts(&org)).await,
        0
    );
}

#[tokio::test]
async fn a_command_limited_to_accounts_touches_only_those() {
    let (emulator, org) = organization(true).await;
    let command = serde_json::json!({
        "command": "reconcile",
        "accounts": [org.active[0], org.suspended[0], "999999999999"]
    });
    let report = app(&emulator, Config::default())
        .handle(&command, no_deadline())
        .await
        .unwrap();
    let actions: Vec<(&str, Action)> = report
        .actions
        .iter()
        .map(|a| (a.account_id.as_str(), a.action))
        .collect();
    assert_eq!(
        actions,
        [
            (org.active[0].as_str(), Action::Create),
            (org.suspended[0].as_str(), Action::Skip),
            ("999999999999", Action::Skip)
        ]
    );
    assert!(!emulator.marketplace_role_exists(&org.management).await);
}

#[tokio::test]
async fn malformed_payloads_are_ignored_with_a_reason_and_change_nothing() {
    let (emulator, _org) = organization(true).await;
    let app = app(&emulator, Config::default());
    emulator.start_recording().await;
    for payload in [
        serde_json::json!(null),
        serde_json::json!([1, 2]),
        serde_json::json!("EnableAWSServiceAccess"),
        serde_json::json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.organizations", "detail": null}),
        serde_json::json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.organizations", "detail": {"eventName": "EnableAWSServiceAccess", "requestParameters": {"servicePrincipal": 42}}}),
        serde_json::json!({"command": "reconcile", "accounts": "all"}),
    ] {
        let report = app.handle(&payload, no_deadline()).await.unwrap();
        assert_eq!(report.outcome, Outcome::Ignored, "{payload}");
        assert!(report.reason.is_some_and(|r| !r.is_empty()), "{payload}");
    }
    assert_eq!(
        emulator.recorded_actions().await,
        Vec::<String>::new(),
        "not even a read"
    );
}

#[tokio::test]
async fn outside_the_management_account_the_function_refuses_to_act() {
    // GIVEN the function deployed, by mistake, in a member account
    let (emulator, org) = organization(true).await;
    let member = emulator.account_config(&org.active[0]).await;
    let app = marketplace_trusted_access::handler::App::new(&member, Config::default());

    // WHEN an event arrives
    emulator.start_recording().await;
    let err = app
        .handle(&sample("scheduled.json"), no_deadline())
        .await
        .unwrap_err();

    // THEN it fails, saying where it must run, and changes nothing
    assert!(
        matches!(
            err,
            marketplace_trusted_access::handler::HandlerError::WrongAccount { .. }
        ),
        "{err}"
    );
    assert!(err.to_string().contains(&org.management), "{err}");
    assert_eq!(err.report().outcome, Outcome::Failed);
    assert_eq!(
        mutating(&emulator.recorded_actions().await),
        Vec::<String>::new()
    );
}
