//! The reconciler's behaviour, on the in-memory organization of `fake` behind the same ports as AWS
//! (docs/design.md, "Level-triggered reconciliation"). Each test is GIVEN (the organization) / WHEN
//! (an event) / THEN (what the accounts hold, what the report says). `aws_runs` repeats one run per
//! trigger family against the emulator through the real SDK clients.

use crate::common::sample;
use marketplace_trusted_access::config::{Config, Removal};
use marketplace_trusted_access::decision::Action;
use marketplace_trusted_access::fake::{FakeCloud, MANAGEMENT};
use marketplace_trusted_access::handler::{App, Invocation, Ports};
use marketplace_trusted_access::invocation::REPORT_MARGIN;
use marketplace_trusted_access::notify::PUBLISH_TIMEOUT;
use marketplace_trusted_access::outcome::{ActionResult, TrustedAccess};
use marketplace_trusted_access::ports::{AccountState, AwsError, Deletion, ErrorKind};
use marketplace_trusted_access::report::{AccountAction, Report, ReportOutcome};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub const MEMBERS: usize = 20;

/// An organization of 20 members, the last one suspended, trusted access as given.
pub fn organization(trusted_access: bool) -> FakeCloud {
    let cloud = FakeCloud::organization(MEMBERS);
    let last = cloud.members().pop().unwrap();
    cloud.with_account(&last, |a| a.state = AccountState::Suspended);
    cloud.set_trusted_access(trusted_access);
    cloud
}

/// The function on `cloud`: organization, roles and topic; no state table and no continuation
/// queue, so hand-offs go out at least once and what a run leaves waits for the next sweep.
pub fn app(cloud: &FakeCloud, config: Config) -> App {
    let ports = Ports {
        state: None,
        continuation: None,
        ..cloud.ports()
    };
    App::with_ports(config, ports)
}

pub fn far() -> Invocation {
    Invocation::until(Instant::now() + Duration::from_secs(600))
}

pub async fn run(cloud: &FakeCloud, config: Config, event: &Value) -> Report {
    app(cloud, config).handle(event, &far()).await
}

/// The ACTIVE accounts: the management account and every member but the suspended one.
fn active(cloud: &FakeCloud) -> Vec<String> {
    let mut members = cloud.members();
    members.pop();
    std::iter::once(MANAGEMENT.to_string())
        .chain(members)
        .collect()
}

fn roles_present(cloud: &FakeCloud, accounts: &[String]) -> usize {
    accounts.iter().filter(|a| cloud.role_exists(a)).count()
}

pub fn action_of<'r>(report: &'r Report, account: &str) -> &'r AccountAction {
    report
        .actions
        .iter()
        .find(|a| a.account_id == account)
        .unwrap_or_else(|| panic!("no action for {account}: {report:?}"))
}

fn deleting(on_disable: Removal, on_departure: Removal) -> Config {
    Config {
        on_disable,
        on_departure,
        ..Config::default()
    }
}

/// The sample event naming `account_id` where it names an account.
pub fn naming(file: &str, account_id: &str) -> Value {
    let mut event = sample(file);
    let detail = &mut event["detail"];
    if file == "remove-account.json" {
        detail["requestParameters"]["accountId"] = account_id.into();
    } else {
        detail["serviceEventDetails"]["createAccountStatus"]["accountId"] = account_id.into();
    }
    event
}

#[tokio::test]
async fn enable_creates_the_role_everywhere_it_must_be_and_a_replay_changes_nothing() {
    // GIVEN 20 members, one suspended, one whose member role is missing; trusted access enabled
    let cloud = organization(true);
    let broken = cloud.members()[3].clone();
    cloud.with_account(&broken, |a| a.member_role = false);
    let suspended = cloud.members()[MEMBERS - 1].clone();

    // WHEN the EnableAWSServiceAccess event arrives
    let event = sample("enable-by-cli-iamuser.json");
    let report = run(&cloud, Config::default(), &event).await;

    // THEN every reachable ACTIVE account and the management account hold the role
    let reachable: Vec<String> = active(&cloud)
        .into_iter()
        .filter(|a| *a != broken)
        .collect();
    assert_eq!(roles_present(&cloud, &reachable), reachable.len());
    assert!(!cloud.role_exists(&broken) && !cloud.role_exists(&suspended));
    assert_eq!(report.trusted_access, Some(TrustedAccess::Enabled));
    assert_eq!(report.accounts.checked, MEMBERS + 1);
    assert_eq!(report.accounts.created, MEMBERS - 1);
    assert_eq!((report.accounts.skipped, report.accounts.failed), (1, 1));
    assert_eq!(action_of(&report, &suspended).action, Action::Skip);
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
    assert_eq!(failed.error_kind, Some(ErrorKind::Permanent));
    assert_eq!(report.outcome, ReportOutcome::Failed);
    assert_eq!(
        report.actions[0].account_id, MANAGEMENT,
        "management account first"
    );

    // WHEN the same event is replayed
    cloud.world().calls.clear();
    let replay = run(&cloud, Config::default(), &event).await;

    // THEN nothing changes but the hand-off
    let changes: Vec<_> = cloud
        .mutating_calls()
        .into_iter()
        .filter(|(_, c)| *c != "sns:Publish")
        .collect();
    assert_eq!(changes, vec![]);
    assert_eq!(replay.accounts.unchanged, reachable.len());
    assert_eq!((replay.accounts.created, replay.accounts.deleted), (0, 0));
}

#[tokio::test]
async fn disable_keeps_every_role_by_default_and_deletes_every_role_when_asked() {
    // GIVEN every account holds the role, then trusted access is disabled
    let cloud = organization(true);
    run(
        &cloud,
        Config::default(),
        &sample("enable-by-cli-iamuser.json"),
    )
    .await;
    let accounts = active(&cloud);
    cloud.set_trusted_access(false);

    // WHEN the DisableAWSServiceAccess event arrives with ON_DISABLE=retain, THEN every role is kept
    let event = sample("disable-by-cli.json");
    let kept = run(&cloud, Config::default(), &event).await;
    assert_eq!(roles_present(&cloud, &accounts), accounts.len());
    assert_eq!(kept.accounts.unchanged, accounts.len());
    assert_eq!(kept.trusted_access, Some(TrustedAccess::Disabled));

    // WHEN it arrives with ON_DISABLE=delete, THEN every role is gone
    let deleted = run(&cloud, deleting(Removal::Delete, Removal::Retain), &event).await;
    assert_eq!(roles_present(&cloud, &accounts), 0);
    assert_eq!(deleted.accounts.deleted, accounts.len(), "{deleted:?}");
    assert_eq!(deleted.outcome, ReportOutcome::Reconciled);
}

#[tokio::test]
async fn a_disable_event_while_organizations_says_enabled_deletes_nothing() {
    // GIVEN every account holds the role and trusted access is still enabled (a forged or stale event)
    let cloud = organization(true);
    run(
        &cloud,
        Config::default(),
        &sample("enable-by-cli-iamuser.json"),
    )
    .await;
    cloud.world().calls.clear();

    // WHEN a DisableAWSServiceAccess event arrives with ON_DISABLE=delete
    let config = deleting(Removal::Delete, Removal::Retain);
    let report = run(&cloud, config, &sample("disable-by-cli.json")).await;

    // THEN no role is deleted: Organizations, not the event, says what must be
    assert_eq!(cloud.mutating_calls(), vec![]);
    let accounts = active(&cloud);
    assert_eq!(roles_present(&cloud, &accounts), accounts.len());
    assert_eq!(report.accounts.deleted, 0);
    assert_eq!(report.trusted_access, Some(TrustedAccess::Enabled));
}

#[tokio::test]
async fn trusted_access_re_enabled_between_the_first_read_and_the_delete_keeps_the_role() {
    // GIVEN trusted access disabled when the run begins, the role present, ON_DISABLE=delete
    let cloud = organization(false);
    cloud.with_account(MANAGEMENT, |a| a.role = true);
    // …and enabled again by the time the state is read again, right before the delete
    cloud.world().trusted_access_script.extend([false, true]);
    let command = json!({"command": "reconcile", "accounts": [MANAGEMENT]});

    let report = run(&cloud, deleting(Removal::Delete, Removal::Retain), &command).await;

    // THEN the state was read again and the role stays
    assert_eq!(
        cloud.count("organizations:ListAWSServiceAccessForOrganization"),
        2
    );
    assert_eq!(cloud.count("iam:DeleteServiceLinkedRole"), 0);
    assert!(cloud.role_exists(MANAGEMENT));
    let action = action_of(&report, MANAGEMENT);
    assert_eq!(
        (action.action, action.result),
        (Action::Keep, ActionResult::Done)
    );
    assert!(
        action
            .detail
            .as_deref()
            .unwrap()
            .contains("Organizations changed before the delete")
    );
}

#[tokio::test]
async fn a_dry_run_makes_no_mutating_call_and_dry_run_true_cannot_be_lifted() {
    // GIVEN trusted access enabled and no role anywhere
    let cloud = organization(true);

    // WHEN an operator asks for a dry run
    let report = run(
        &cloud,
        Config::default(),
        &json!({"command": "reconcile", "dryRun": true}),
    )
    .await;

    // THEN the plan lists every creation, and only reads were made
    assert!(cloud.count("iam:GetRole") > 0);
    assert_eq!(cloud.mutating_calls(), vec![]);
    let accounts = active(&cloud);
    assert_eq!(roles_present(&cloud, &accounts), 0);
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
    let locked = Config {
        dry_run: true,
        ..Config::default()
    };
    run(
        &cloud,
        locked,
        &json!({"command": "reconcile", "dryRun": false}),
    )
    .await;
    assert_eq!(cloud.mutating_calls(), vec![]);
}

#[tokio::test]
async fn every_ignored_sample_makes_no_call_but_the_one_that_names_the_management_account() {
    let cloud = organization(true);
    for event in [
        "ignored-failed-call.json",
        "ignored-other-account.json",
        "ignored-unhandled-event.json",
        "create-account-failed.json",
    ] {
        cloud.world().calls.clear();
        let report = run(&cloud, Config::default(), &sample(event)).await;
        assert_eq!(report.outcome, ReportOutcome::Ignored, "{event}");
        assert!(
            report.reason.as_deref().is_some_and(|r| !r.is_empty()),
            "{event}"
        );
        assert!(
            report.actions.is_empty() && report.notifications.is_empty(),
            "{event}"
        );
        // Only learning the management account is needed to ignore an event recorded elsewhere;
        // every other ignored event needs no call at all.
        let calls: Vec<&str> = cloud.world().calls.iter().map(|(_, c)| *c).collect();
        let expected: &[&str] = if event == "ignored-other-account.json" {
            &["organizations:DescribeOrganization"]
        } else {
            &[]
        };
        assert_eq!(calls, expected, "{event}");
    }
}

#[tokio::test]
async fn a_departed_account_keeps_its_role_by_default_and_loses_it_when_asked() {
    // GIVEN every account holds the role, then one account is removed from the organization
    let cloud = organization(true);
    run(
        &cloud,
        Config::default(),
        &sample("enable-by-cli-iamuser.json"),
    )
    .await;
    let leaver = cloud.members()[0].clone();
    cloud.with_account(&leaver, |a| a.in_organization = false);
    let event = naming("remove-account.json", &leaver);

    // WHEN the removal event arrives with ON_DEPARTURE=retain, THEN the role stays
    let kept = run(&cloud, Config::default(), &event).await;
    assert!(cloud.role_exists(&leaver));
    assert_eq!(action_of(&kept, &leaver).action, Action::Keep);
    assert!(
        action_of(&kept, &leaver)
            .detail
            .as_deref()
            .unwrap()
            .contains("not in the organization")
    );

    // WHEN it arrives with ON_DEPARTURE=delete, THEN the role is deleted in that account only
    let deleted = run(&cloud, deleting(Removal::Retain, Removal::Delete), &event).await;
    assert!(!cloud.role_exists(&leaver));
    assert_eq!(action_of(&deleted, &leaver).action, Action::Delete);
    assert_eq!(deleted.actions.len(), 1);
    assert!(cloud.role_exists(&cloud.members()[1]));
}

#[tokio::test]
async fn a_removal_event_for_an_account_still_in_the_organization_deletes_nothing() {
    // GIVEN a forged removal event naming an ACTIVE member, with ON_DEPARTURE=delete
    let cloud = organization(true);
    run(
        &cloud,
        Config::default(),
        &sample("enable-by-cli-iamuser.json"),
    )
    .await;
    let member = cloud.members()[0].clone();
    let config = deleting(Removal::Retain, Removal::Delete);
    let report = run(&cloud, config, &naming("remove-account.json", &member)).await;

    // THEN the account is reconciled as the member it is: its role stays
    assert!(cloud.role_exists(&member));
    assert_eq!(action_of(&report, &member).action, Action::Keep);
}

#[tokio::test]
async fn a_new_account_gets_the_role_and_only_it_is_read() {
    let cloud = organization(true);
    let newcomer = cloud.members()[5].clone();
    let report = run(
        &cloud,
        Config::default(),
        &naming("create-account-result.json", &newcomer),
    )
    .await;
    assert_eq!(report.accounts.created, 1);
    assert!(cloud.role_exists(&newcomer));
    assert!(
        !cloud.role_exists(&cloud.members()[6]),
        "only the named account is touched"
    );
    // A membership event reads only what it needs: never the whole account list.
    assert_eq!(cloud.count("organizations:ListAccounts"), 0);
    assert_eq!(cloud.count("organizations:DescribeAccount"), 1);
}

#[tokio::test]
async fn when_time_runs_short_no_new_account_is_started_and_the_run_is_incomplete() {
    let cloud = organization(true);
    // The deadline has come by the time the organization is read: nothing may start.
    let report = app(&cloud, Config::default())
        .handle(
            &sample("scheduled.json"),
            &Invocation::until(Instant::now()),
        )
        .await;
    assert_eq!(report.outcome, ReportOutcome::Incomplete);
    assert_eq!(report.unreached.len(), MEMBERS + 1);
    assert!(report.actions.is_empty());
    assert_eq!(roles_present(&cloud, &active(&cloud)), 0);
}

#[tokio::test]
async fn a_command_limited_to_accounts_touches_only_those() {
    let cloud = organization(true);
    let (first, suspended) = (
        cloud.members()[0].clone(),
        cloud.members()[MEMBERS - 1].clone(),
    );
    let command = json!({"command": "reconcile", "accounts": [first, suspended, "999999999999"]});
    let report = run(&cloud, Config::default(), &command).await;
    let actions: Vec<(&str, Action)> = report
        .actions
        .iter()
        .map(|a| (a.account_id.as_str(), a.action))
        .collect();
    assert_eq!(
        actions,
        [
            (first.as_str(), Action::Create),
            (suspended.as_str(), Action::Skip),
            ("999999999999", Action::Skip)
        ]
    );
    assert!(!cloud.role_exists(MANAGEMENT));
}

#[tokio::test]
async fn malformed_payloads_are_ignored_with_a_reason_and_make_no_call() {
    let cloud = organization(true);
    for payload in [
        json!(null),
        json!([1, 2]),
        json!("EnableAWSServiceAccess"),
        json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.organizations", "detail": null}),
        json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.organizations", "detail": {"eventName": "EnableAWSServiceAccess", "requestParameters": {"servicePrincipal": 42}}}),
        json!({"command": "reconcile", "accounts": "all"}),
    ] {
        let report = run(&cloud, Config::default(), &payload).await;
        assert_eq!(report.outcome, ReportOutcome::Ignored, "{payload}");
        assert!(report.reason.is_some_and(|r| !r.is_empty()), "{payload}");
    }
    assert!(cloud.world().calls.is_empty(), "not even a read");
}

#[tokio::test]
async fn an_unreadable_organization_fails_the_invocation_and_changes_nothing() {
    let cloud = organization(true);
    cloud.world().organizations_down = Some(AwsError::new("AccessDeniedException", "no"));
    let report = run(&cloud, Config::default(), &sample("scheduled.json")).await;
    assert_eq!(report.outcome, ReportOutcome::Failed);
    assert!(
        report
            .reason
            .as_deref()
            .unwrap()
            .contains("could not read the organization")
    );
    assert_eq!(cloud.mutating_calls(), vec![]);
    let err = report.into_result().unwrap_err();
    assert_eq!(
        lambda_runtime::Diagnostic::from(err).error_type,
        "AwsUnreadable"
    );
}

#[tokio::test]
async fn one_slow_account_does_not_delay_the_start_of_the_others() {
    // GIVEN the first member answers after 10 s; every other call takes 5 ms; 4 accounts in flight
    let cloud = organization(true);
    let slow = cloud.members()[0].clone();
    cloud.with_account(&slow, |a| a.delay = Duration::from_secs(10));
    cloud.world().latency = Duration::from_millis(5);
    let config = Config {
        max_concurrency: 4,
        ..Config::default()
    };

    // WHEN a sweep runs, on a paused clock (time advances only when every task waits)
    tokio::time::pause();
    let started = tokio::time::Instant::now();
    let report = run(&cloud, config, &sample("scheduled.json")).await;

    // THEN the slow account is done, and the 19 others did not wait for it: every one of them had
    // its role created before the slow account's first call (10 s) even answered
    assert_eq!(report.outcome, ReportOutcome::Reconciled, "{report:?}");
    assert_eq!(report.accounts.created, MEMBERS);
    let calls = cloud.world().calls.clone();
    let slow_get = calls
        .iter()
        .position(|(a, c)| *a == slow && *c == "iam:GetRole")
        .unwrap();
    let last_other_create = calls
        .iter()
        .rposition(|(a, c)| *a != slow && *c == "iam:CreateServiceLinkedRole")
        .unwrap();
    assert!(last_other_create < slow_get, "{calls:?}");
    assert!(
        started.elapsed() < Duration::from_secs(31),
        "{:?}",
        started.elapsed()
    );
    let order: Vec<&str> = report
        .actions
        .iter()
        .map(|a| a.account_id.as_str())
        .collect();
    assert_eq!(
        order[1], slow,
        "results are reported in the organization's order"
    );
}

#[tokio::test]
async fn accounts_that_hang_past_the_deadline_are_unreached_and_the_rest_is_done_in_time() {
    // GIVEN three members whose calls hang for an hour, and a 60-second deadline
    let cloud = organization(true);
    let hung: Vec<String> = cloud.members()[..3].to_vec();
    for id in &hung {
        cloud.with_account(id, |a| a.delay = Duration::from_secs(3600));
    }
    tokio::time::pause();
    let started = tokio::time::Instant::now();
    let deadline = Instant::now() + Duration::from_secs(60);

    // WHEN the enable event arrives
    let report = app(&cloud, Config::default())
        .handle(
            &sample("enable-by-cli-iamuser.json"),
            &Invocation::until(deadline),
        )
        .await;

    // THEN the report comes before the deadline, with time left for the hand-offs: every other
    // account is done, the hung ones are unreached, and the hand-offs are published
    let took = started.elapsed();
    // (no state table: one round of publishes and the report's margin are kept back; the
    // paused clock adds a millisecond)
    let kept = PUBLISH_TIMEOUT + REPORT_MARGIN - Duration::from_millis(10);
    assert!(took <= Duration::from_secs(60) - kept, "{took:?}");
    assert_eq!(report.outcome, ReportOutcome::Incomplete);
    assert_eq!(report.unreached, hung);
    assert_eq!(report.accounts.created, MEMBERS + 1 - 1 - 3);
    assert!(!report.notifications.is_empty());
    assert!(
        report.notifications.iter().all(|n| n.message_id.is_some()),
        "{:?}",
        report.notifications
    );
}

#[tokio::test]
async fn a_deletion_that_fails_reports_where_the_role_is_used_and_a_vanished_role_counts_as_deleted()
 {
    let cloud = organization(false);
    let (used, vanished) = (cloud.members()[0].clone(), cloud.members()[1].clone());
    for id in [&used, &vanished] {
        cloud.with_account(id, |a| a.role = true);
    }
    cloud.with_account(&used, |a| {
        a.deletion = Some(Deletion::Failed {
            reason: "in use".into(),
            usage: vec!["us-east-1: arn:aws:license-manager::1:grant:g-1".into()],
        })
    });
    cloud.with_account(&vanished, |a| a.deletion = Some(Deletion::AlreadyGone));
    let command = json!({"command": "reconcile", "accounts": [used, vanished]});
    let report = run(&cloud, deleting(Removal::Delete, Removal::Retain), &command).await;
    let failed = action_of(&report, &used);
    assert_eq!(failed.result, ActionResult::Failed);
    assert!(
        failed
            .error
            .as_deref()
            .unwrap()
            .contains("arn:aws:license-manager::1:grant:g-1")
    );
    assert_eq!(action_of(&report, &vanished).result, ActionResult::Done);
    assert_eq!(report.accounts.deleted, 1);
}
