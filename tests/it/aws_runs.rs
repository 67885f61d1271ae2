//! One run per trigger family through the real SDK clients against the emulator, with an
//! organization of 20 members: the adapters, the pagination, the request log and the emulator's IAM
//! prove here what the behaviour tests in `reconcile` and `notifications` take from fakes.
//! Each test is GIVEN (the organization) / WHEN (an event) / THEN (what AWS holds, what the report says).

use crate::common::{
    MARKETPLACE_PRINCIPAL, OrgFixture, Shared, app, app_as, mutating, no_deadline, sample, shared,
};
use marketplace_trusted_access::config::{Config, Removal};
use marketplace_trusted_access::decision::Action;
use marketplace_trusted_access::handler::InvocationError;
use marketplace_trusted_access::outcome::{ActionResult, TrustedAccess};
use marketplace_trusted_access::report::{Report, ReportOutcome};

const MEMBERS: usize = 20;

async fn organization(trusted_access: bool) -> (Shared, OrgFixture) {
    let emulator = shared().await;
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

async fn roles_present(emulator: &Shared, accounts: &[&String]) -> usize {
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

async fn run(emulator: &Shared, config: Config, event: &str) -> Report {
    handle(emulator, config, &sample(event)).await
}

async fn handle(emulator: &Shared, config: Config, event: &serde_json::Value) -> Report {
    app(emulator, config)
        .handle(event, &no_deadline())
        .await
        .into_result()
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
    assert_eq!(report.trusted_access, Some(TrustedAccess::Enabled));
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
    assert_eq!(
        failed.error_kind,
        Some(marketplace_trusted_access::ports::ErrorKind::Permanent)
    );
    assert_eq!(report.outcome, ReportOutcome::Failed);

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
    assert_eq!(kept.trusted_access, Some(TrustedAccess::Disabled));

    // WHEN it arrives with ON_DISABLE=delete
    let config = Config {
        on_disable: Removal::Delete,
        ..Config::default()
    };
    let deleted = run(&emulator, config, "disable-by-cli.json").await;
    // THEN every role is gone
    assert_eq!(roles_present(&emulator, &accounts).await, 0);
    assert_eq!(deleted.accounts.deleted, accounts.len(), "{deleted:?}");
    assert_eq!(deleted.outcome, ReportOutcome::Reconciled);
}

#[tokio::test]
async fn a_dry_run_makes_no_mutating_call() {
    // GIVEN trusted access enabled and no role anywhere
    let (emulator, org) = organization(true).await;

    // WHEN an operator asks for a dry run
    emulator.start_recording().await;
    let command = serde_json::json!({"command": "reconcile", "dryRun": true});
    let report = handle(&emulator, Config::default(), &command).await;

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
    handle(
        &emulator,
        locked,
        &serde_json::json!({"command": "reconcile", "dryRun": false}),
    )
    .await;
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
        "ignored-other-account.json",
        "ignored-unhandled-event.json",
        "create-account-failed.json",
    ] {
        emulator.start_recording().await;
        let report = run(&emulator, Config::default(), event).await;
        assert_eq!(report.outcome, ReportOutcome::Ignored, "{event}");
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
    let event = crate::common::remove_account(&emulator, &leaver).await;

    // WHEN the removal event arrives with ON_DEPARTURE=retain
    let kept = handle(&emulator, Config::default(), &event).await;
    // THEN the role stays, and the account is reported as outside the organization
    assert!(emulator.marketplace_role_exists(&leaver).await);
    assert_eq!(action_of(&kept, &leaver).action, Action::Keep);

    // WHEN it arrives with ON_DEPARTURE=delete
    let config = Config {
        on_departure: Removal::Delete,
        ..Config::default()
    };
    let deleted = handle(&emulator, config, &event).await;
    // THEN the role is deleted in that account only
    assert!(!emulator.marketplace_role_exists(&leaver).await);
    assert_eq!(action_of(&deleted, &leaver).action, Action::Delete);
    assert_eq!(deleted.actions.len(), 1);
    assert!(emulator.marketplace_role_exists(&org.active[1]).await);
}

#[tokio::test]
async fn a_new_account_gets_the_role() {
    let (emulator, org) = organization(true).await;
    let mut event = sample("create-account-result.json");
    event["detail"]["serviceEventDetails"]["createAccountStatus"]["accountId"] =
        org.active[5].clone().into();
    let report = handle(&emulator, Config::default(), &event).await;
    assert_eq!(report.accounts.created, 1);
    assert!(emulator.marketplace_role_exists(&org.active[5]).await);
    assert!(
        !emulator.marketplace_role_exists(&org.active[6]).await,
        "only the named account is touched"
    );
}

#[tokio::test]
async fn outside_the_management_account_the_function_refuses_to_act() {
    // GIVEN the function deployed, by mistake, in a member account
    let (emulator, org) = organization(true).await;
    let member = emulator.account_config(&org.active[0]).await;
    let app = app_as(&member, Config::default());

    // WHEN an event arrives
    emulator.start_recording().await;
    let report = app.handle(&sample("scheduled.json"), &no_deadline()).await;

    // THEN it fails, saying where it must run, and changes nothing
    assert_eq!(report.outcome, ReportOutcome::Failed);
    let err = report.into_result().unwrap_err();
    assert!(matches!(err, InvocationError::WrongAccount { .. }), "{err}");
    assert!(err.to_string().contains(&org.management), "{err}");
    assert_eq!(
        mutating(&emulator.recorded_actions().await),
        Vec::<String>::new()
    );
}
