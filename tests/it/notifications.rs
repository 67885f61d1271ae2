//! The hand-offs: who hears what, on the in-memory organization and topic of `fake`
//! (docs/design.md, "Notifications"). `sns` shows the same messages reaching each audience's
//! subscription through SNS's filter policies on the emulator.

use crate::common::sample;
use crate::reconcile::{app, naming, run};
use marketplace_trusted_access::config::{Config, Removal};
use marketplace_trusted_access::fake::FakeCloud;
use marketplace_trusted_access::handler::InvocationError;
use marketplace_trusted_access::messages::{FACTS_HEADER, Message, Severity, facts_of};
use marketplace_trusted_access::notify::DeliveryStatus;
use marketplace_trusted_access::ports::AwsError;
use marketplace_trusted_access::report::ReportOutcome;

/// (audience, event) of every message published since the last call, in order; forgets them.
fn who_got_what(cloud: &FakeCloud) -> Vec<(&'static str, &'static str)> {
    drain(cloud)
        .iter()
        .map(|m| (m.audience.as_str(), m.event.as_str()))
        .collect()
}

fn drain(cloud: &FakeCloud) -> Vec<Message> {
    std::mem::take(&mut cloud.world().published)
}

/// A small organization: 5 members, the last suspended, trusted access enabled.
fn small() -> FakeCloud {
    let cloud = FakeCloud::organization(5);
    let last = cloud.members().pop().unwrap();
    cloud.with_account(&last, |a| {
        a.state = marketplace_trusted_access::ports::AccountState::Suspended
    });
    cloud.set_trusted_access(true);
    cloud
}

#[tokio::test]
async fn a_person_enabling_tells_the_marketplace_administrator_to_enable_integration_in_its_console()
 {
    let cloud = small();
    let report = run(
        &cloud,
        Config::default(),
        &sample("enable-by-cli-iamuser.json"),
    )
    .await;
    let sent = drain(&cloud);
    assert_eq!(sent.len(), 1);
    let m = &sent[0];
    assert_eq!(
        (m.audience.as_str(), m.event.as_str()),
        ("marketplace-admin", "trusted-access-enabled")
    );
    assert_eq!(m.severity, Severity::ActionRequired);
    assert_eq!(m.organization, "o-exampleorgid");
    assert!(
        m.subject.starts_with("Action required") && m.subject.len() <= 100,
        "{}",
        m.subject
    );
    assert!(m.text().contains("AWS Marketplace console"), "{}", m.text());
    assert!(m.text().contains("AWS recommends"));
    assert!(
        m.text()
            .contains("arn:aws:iam::123456789012:user/diego.ramirez")
    );
    let facts = facts_of(&m.body).expect("facts block");
    assert_eq!(facts.accounts.created, 5, "management + 4 active members");
    assert_eq!(facts.initiated_by.as_deref(), Some("person"));

    // The report names the message that was published.
    assert_eq!(report.notifications.len(), 1);
    assert_eq!(
        report.notifications[0].message_id.as_deref(),
        Some("message-1")
    );
    assert_eq!(report.notifications[0].delivery, DeliveryStatus::Published);
}

#[tokio::test]
async fn marketplace_enabling_tells_the_organizations_administrator_integration_is_complete() {
    let cloud = small();
    run(
        &cloud,
        Config::default(),
        &sample("enable-by-marketplace.json"),
    )
    .await;
    let sent = drain(&cloud);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].audience.as_str(), "organizations-admin");
    assert_eq!(sent[0].severity, Severity::Info);
    assert!(sent[0].subject.contains("complete"));
}

#[tokio::test]
async fn a_person_disabling_warns_both_administrators() {
    let cloud = small();
    run(
        &cloud,
        Config::default(),
        &sample("enable-by-marketplace.json"),
    )
    .await;
    drain(&cloud);
    cloud.set_trusted_access(false);

    run(&cloud, Config::default(), &sample("disable-by-cli.json")).await;
    let sent = drain(&cloud);
    let pairs: Vec<_> = sent
        .iter()
        .map(|m| (m.audience.as_str(), m.event.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("marketplace-admin", "trusted-access-disabled"),
            ("organizations-admin", "trusted-access-disabled")
        ]
    );
    for m in &sent {
        assert_eq!(m.severity, Severity::Warning);
        assert!(m.subject.starts_with("Warning"));
        assert!(
            m.text().contains("kept in every account") || m.text().contains("unchanged"),
            "{}",
            m.text()
        );
    }
    assert!(
        sent[1]
            .text()
            .contains("Wait until the AWS Marketplace administrator")
    );
    assert!(
        sent[0]
            .text()
            .contains("Tell the AWS Organizations administrator")
    );
}

#[tokio::test]
async fn a_departure_names_the_account_to_the_organizations_and_account_administrators() {
    let cloud = small();
    let leaver = cloud.members()[0].clone();
    cloud.with_account(&leaver, |a| a.in_organization = false);
    run(
        &cloud,
        Config::default(),
        &naming("remove-account.json", &leaver),
    )
    .await;
    let sent = drain(&cloud);
    let pairs: Vec<_> = sent
        .iter()
        .map(|m| (m.audience.as_str(), m.event.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("organizations-admin", "account-departed"),
            ("account-admin", "account-departed")
        ]
    );
    for m in &sent {
        assert!(m.subject.contains(&leaver), "{}", m.subject);
        assert!(
            m.text().contains(&leaver) && m.text().contains("may delete it"),
            "{}",
            m.text()
        );
        assert_eq!(m.severity, Severity::ActionRequired);
    }
}

#[tokio::test]
async fn a_sweep_says_nothing_when_nothing_changed_and_one_summary_when_it_corrected_drift() {
    let cloud = small();
    run(
        &cloud,
        Config::default(),
        &sample("enable-by-marketplace.json"),
    )
    .await;
    drain(&cloud);

    // Nothing to do: nothing sent.
    let quiet = run(&cloud, Config::default(), &sample("scheduled.json")).await;
    assert!(quiet.notifications.is_empty());
    assert!(who_got_what(&cloud).is_empty());

    // Someone deleted the role in one account: the sweep puts it back and says so, once.
    cloud.with_account(&cloud.members()[2], |a| a.role = false);
    let fixed = run(&cloud, Config::default(), &sample("scheduled.json")).await;
    assert_eq!(fixed.accounts.created, 1);
    let sent = drain(&cloud);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].audience.as_str(), sent[0].event.as_str()),
        ("organizations-admin", "drift-corrected")
    );
    assert!(sent[0].text().contains("1 created"));
}

#[tokio::test]
async fn a_sweep_that_fails_in_an_account_says_which_and_why_and_how_lasting_it_is() {
    let cloud = small();
    let (denied, throttled) = (cloud.members()[1].clone(), cloud.members()[2].clone());
    cloud.with_account(&denied, |a| a.member_role = false);
    cloud.with_account(&throttled, |a| {
        a.errors
            .insert("iam:GetRole", AwsError::new("Throttling", "Rate exceeded"));
    });
    let report = run(&cloud, Config::default(), &sample("scheduled.json")).await;
    assert_eq!(report.outcome, ReportOutcome::Failed);
    let sent = drain(&cloud);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].audience.as_str(), sent[0].event.as_str()),
        ("organizations-admin", "reconcile-failed")
    );
    let body = sent[0].text();
    assert!(
        body.contains(&format!("{denied} failed: AssumeRole: AccessDenied")),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "{throttled} failed (transient): GetRole: Throttling"
        )),
        "{body}"
    );
    assert!(
        body.contains("fix the cause"),
        "a permanent failure asks for a fix: {body}"
    );
    assert!(body.contains(FACTS_HEADER));

    // Only transient failures: the message says they usually pass.
    cloud.with_account(&denied, |a| a.member_role = true);
    run(&cloud, Config::default(), &sample("scheduled.json")).await;
    let sent = drain(&cloud);
    assert!(
        sent[0].text().contains("usually pass"),
        "{}",
        sent[0].text()
    );
    assert!(!sent[0].text().contains("fix the cause"));
}

#[tokio::test]
async fn a_notification_that_cannot_be_published_fails_the_invocation_and_the_retry_changes_no_role()
 {
    let cloud = small();
    cloud
        .world()
        .publish_failures
        .push_back(AwsError::new("NotFound", "Topic does not exist"));

    // WHEN publishing fails
    let report = run(
        &cloud,
        Config::default(),
        &sample("enable-by-cli-iamuser.json"),
    )
    .await;

    // THEN the invocation fails (Lambda retries it, then the dead-letter queue keeps it) and the
    // report, logged, lists what was reconciled and which message failed
    assert_eq!(report.outcome, ReportOutcome::Failed);
    assert_eq!(report.accounts.created, 5);
    assert_eq!(report.notifications[0].delivery, DeliveryStatus::Failed);
    assert!(
        report
            .reason
            .as_deref()
            .unwrap()
            .contains("could not be published")
    );
    let err = report.into_result().unwrap_err();
    assert!(matches!(err, InvocationError::Notification { .. }), "{err}");
    assert!(
        format!("{err:?}").len() < 500,
        "the error carries its reason, not the report"
    );

    // AND the retry repeats no role change and delivers the message
    cloud.world().calls.clear();
    let retry = run(
        &cloud,
        Config::default(),
        &sample("enable-by-cli-iamuser.json"),
    )
    .await;
    let changes: Vec<_> = cloud
        .mutating_calls()
        .into_iter()
        .filter(|(_, c)| *c != "sns:Publish")
        .collect();
    assert_eq!(changes, vec![]);
    assert_eq!(retry.accounts.unchanged, 5);
    assert_eq!(
        who_got_what(&cloud),
        [("marketplace-admin", "trusted-access-enabled")]
    );
}

#[tokio::test]
async fn one_message_that_fails_does_not_keep_the_other_audience_from_its_own() {
    let cloud = small();
    cloud.set_trusted_access(false);
    cloud
        .world()
        .publish_failures
        .push_back(AwsError::new("Throttled", "slow down"));
    let report = run(&cloud, Config::default(), &sample("disable-by-cli.json")).await;
    let deliveries: Vec<_> = report.notifications.iter().map(|n| n.delivery).collect();
    assert_eq!(
        deliveries,
        [DeliveryStatus::Failed, DeliveryStatus::Published]
    );
    assert_eq!(
        who_got_what(&cloud),
        [("organizations-admin", "trusted-access-disabled")]
    );
    assert!(report.into_result().is_err());
}

#[tokio::test]
async fn without_a_topic_or_in_a_dry_run_messages_are_logged_not_published() {
    let cloud = small();
    let logged_only = marketplace_trusted_access::handler::App::with_ports(
        Config::default(),
        marketplace_trusted_access::handler::Ports {
            publisher: None,
            ..cloud.ports()
        },
    );
    let report = logged_only
        .handle(
            &sample("enable-by-cli-iamuser.json"),
            &crate::reconcile::far(),
        )
        .await;
    assert_eq!(report.notifications[0].delivery, DeliveryStatus::Logged);
    let dry = Config {
        dry_run: true,
        ..Config::default()
    };
    let planned = app(&cloud, dry)
        .handle(
            &sample("enable-by-cli-iamuser.json"),
            &crate::reconcile::far(),
        )
        .await;
    assert_eq!(planned.notifications[0].delivery, DeliveryStatus::Logged);
    assert_eq!(cloud.count("sns:Publish"), 0);
}

#[tokio::test]
async fn a_disable_event_that_organizations_contradicts_sends_no_hand_off() {
    // GIVEN trusted access still enabled and every role in place
    let cloud = small();
    run(
        &cloud,
        Config::default(),
        &sample("enable-by-marketplace.json"),
    )
    .await;
    drain(&cloud);

    // WHEN a (late, replayed or forged) disable event arrives
    let report = run(&cloud, Config::default(), &sample("disable-by-cli.json")).await;

    // THEN nobody is told to wait for a clean-up that is not happening
    assert!(report.notifications.is_empty());
    assert!(who_got_what(&cloud).is_empty());
}

#[tokio::test]
async fn a_departed_account_that_cannot_be_reached_is_left_to_its_administrator() {
    // GIVEN ON_DEPARTURE=delete, and an account that left taking the member role with it
    let cloud = small();
    let leaver = cloud.members()[0].clone();
    cloud.with_account(&leaver, |a| {
        a.in_organization = false;
        a.member_role = false;
    });
    let config = Config {
        on_departure: Removal::Delete,
        ..Config::default()
    };

    // WHEN the removal event arrives
    let report = run(&cloud, config, &naming("remove-account.json", &leaver)).await;

    // THEN the account is reported failed, and both administrators are told who must act and how
    assert_eq!(report.outcome, ReportOutcome::Failed);
    let sent = drain(&cloud);
    let pairs: Vec<_> = sent
        .iter()
        .map(|m| (m.audience.as_str(), m.event.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("organizations-admin", "account-departed"),
            ("account-admin", "account-departed")
        ]
    );
    for m in &sent {
        assert_eq!(m.severity, Severity::Warning);
        assert!(
            m.text().contains("failed: AssumeRole: AccessDenied"),
            "{}",
            m.text()
        );
        assert!(
            m.text().contains("aws iam delete-service-linked-role"),
            "{}",
            m.text()
        );
    }
}

#[tokio::test]
async fn a_departed_account_whose_role_was_deleted_is_reported_as_such() {
    // GIVEN ON_DEPARTURE=delete and an account that left with its role and member role in place
    let cloud = small();
    let leaver = cloud.members()[0].clone();
    cloud.with_account(&leaver, |a| {
        a.in_organization = false;
        a.role = true;
    });
    let config = Config {
        on_departure: Removal::Delete,
        ..Config::default()
    };

    // WHEN the removal event arrives
    let report = run(&cloud, config, &naming("remove-account.json", &leaver)).await;

    // THEN the role is gone and both administrators are told so
    assert_eq!(report.accounts.deleted, 1);
    let sent = drain(&cloud);
    assert_eq!(sent.len(), 2);
    for m in &sent {
        assert!(
            m.text().contains("was deleted from account"),
            "{}",
            m.text()
        );
    }
}
