//! Hand-offs a person can trust (docs/design.md, "State"): sent once per fact, never lost, never
//! false, at any organization size. On fakes; `aws_runs` and `scale` repeat the parts that depend on
//! DynamoDB, SQS and SNS against the emulator.

use crate::common::sample;
use crate::reconcile::{far, naming, organization};
use marketplace_trusted_access::config::Config;
use marketplace_trusted_access::continuation::HandoverStatus;
use marketplace_trusted_access::fake::FakeCloud;
use marketplace_trusted_access::handler::{App, Invocation, RESERVE};
use marketplace_trusted_access::messages::{Format, Message};
use marketplace_trusted_access::notify::DeduplicationMode;
use marketplace_trusted_access::notify::DeliveryStatus;
use marketplace_trusted_access::outcome::ActionResult;
use marketplace_trusted_access::ports::AwsError;
use marketplace_trusted_access::report::{Report, ReportOutcome, Store};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The function with every port, the state table and the continuation queue included.
fn app(cloud: &FakeCloud) -> App {
    App::with_ports(Config::default(), cloud.ports())
}

async fn run(cloud: &FakeCloud, event: &Value) -> Report {
    app(cloud).handle(event, &far()).await
}

fn published(cloud: &FakeCloud) -> Vec<(String, &'static str, &'static str)> {
    cloud
        .world()
        .published
        .iter()
        .map(|m: &Message| (m.subject.clone(), m.audience.as_str(), m.event.as_str()))
        .collect()
}

fn deliveries(report: &Report) -> Vec<DeliveryStatus> {
    report.notifications.iter().map(|n| n.delivery).collect()
}

#[tokio::test]
async fn the_same_enable_event_delivered_twice_gives_one_message_per_audience() {
    let cloud = organization(true);
    let event = sample("enable-by-cli-iamuser.json");
    let first = run(&cloud, &event).await;
    let again = run(&cloud, &event).await;
    assert_eq!(deliveries(&first), [DeliveryStatus::Published]);
    assert_eq!(deliveries(&again), [DeliveryStatus::AlreadyPublished]);
    assert_eq!(
        again.notifications[0].message_id,
        first.notifications[0].message_id
    );
    assert_eq!(published(&cloud).len(), 1);
    assert_eq!(again.deduplication, Some(DeduplicationMode::On));
    // The duplicate still reconciled: it only sent nothing new.
    assert_eq!(again.accounts.checked, first.accounts.checked);
}

#[tokio::test]
async fn a_removal_and_its_departure_event_give_one_departure_hand_off_per_audience() {
    let cloud = organization(true);
    let leaver = cloud.members()[0].clone();
    cloud.with_account(&leaver, |a| a.in_organization = false);
    let mut departed = sample("account-departed-service-event.json");
    departed["detail"]["serviceEventDetails"]["accountDepartedOrganizationDetails"]["accountId"] =
        leaver.clone().into();
    run(&cloud, &naming("remove-account.json", &leaver)).await;
    let second = run(&cloud, &departed).await;
    assert_eq!(
        deliveries(&second),
        [
            DeliveryStatus::AlreadyPublished,
            DeliveryStatus::AlreadyPublished
        ]
    );
    let audiences: Vec<_> = published(&cloud).into_iter().map(|(_, a, _)| a).collect();
    assert_eq!(audiences, ["organizations-admin", "account-admin"]);
}

#[tokio::test]
async fn a_second_departure_of_the_same_account_after_it_rejoined_is_told() {
    // GIVEN an account that left, its departure told once for its two events
    let cloud = organization(true);
    let leaver = cloud.members()[0].clone();
    let departures = |cloud: &FakeCloud| {
        published(cloud)
            .into_iter()
            .filter(|(_, _, event)| *event == "account-departed")
            .count()
    };
    let mut departed = sample("account-departed-service-event.json");
    departed["detail"]["serviceEventDetails"]["accountDepartedOrganizationDetails"]["accountId"] =
        leaver.clone().into();
    cloud.with_account(&leaver, |a| a.in_organization = false);
    run(&cloud, &naming("remove-account.json", &leaver)).await;
    run(&cloud, &departed).await;
    assert_eq!(
        departures(&cloud),
        2,
        "one per audience: {:?}",
        published(&cloud)
    );

    // WHEN it joins again (Organizations reports a new JoinedTimestamp), and leaves again
    cloud.with_account(&leaver, |a| {
        a.in_organization = true;
        a.joined = 1_800_000_000;
    });
    let joined = run(&cloud, &naming("create-account-result.json", &leaver)).await;
    assert_eq!(
        joined.outcome,
        ReportOutcome::Reconciled,
        "{}",
        joined.to_json_line()
    );
    cloud.with_account(&leaver, |a| a.in_organization = false);
    run(&cloud, &naming("remove-account.json", &leaver)).await;
    run(&cloud, &departed).await;

    // THEN the second departure is told too, once for its two events
    assert_eq!(departures(&cloud), 4, "{:?}", published(&cloud));
    assert_eq!(cloud.world().joined.get(&leaver), Some(&1_800_000_000));
}

#[tokio::test]
async fn a_retry_after_a_partial_publish_sends_only_what_is_missing_as_first_composed() {
    // GIVEN ON_DEPARTURE=delete and a departed account whose role is there
    let cloud = organization(true);
    let leaver = cloud.members()[0].clone();
    cloud.with_account(&leaver, |a| {
        a.in_organization = false;
        a.role = true;
    });
    let config = Config {
        on_departure: marketplace_trusted_access::config::Removal::Delete,
        ..Config::default()
    };
    let app = App::with_ports(config, cloud.ports());
    let event = naming("remove-account.json", &leaver);
    // WHEN the second of the two messages cannot be published
    cloud
        .world()
        .publish_failures_at
        .insert(2, AwsError::new("InternalError", "SNS is unavailable"));
    let first = app.handle(&event, &far()).await;
    assert_eq!(
        deliveries(&first),
        [DeliveryStatus::Published, DeliveryStatus::Failed]
    );
    assert!(
        first.failure.is_some(),
        "the invocation fails, so that Lambda retries it"
    );
    assert!(
        !cloud.role_exists(&leaver),
        "the role was deleted in the first run"
    );

    // WHEN Lambda retries, after the role is already gone
    let retry = app.handle(&event, &far()).await;

    // THEN only the missing message goes out, saying what the first run did: the role was deleted
    assert_eq!(
        deliveries(&retry),
        [DeliveryStatus::AlreadyPublished, DeliveryStatus::Published]
    );
    let sent = cloud.world().published.clone();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].audience.as_str(), "organizations-admin");
    assert_eq!(sent[1].audience.as_str(), "account-admin");
    assert!(
        sent[1].text().contains("was deleted from account"),
        "{}",
        sent[1].text()
    );
    assert!(retry.into_result().is_ok());
}

#[tokio::test]
async fn a_new_account_waits_for_its_member_role_without_a_warning_then_is_told_once() {
    // GIVEN a new account whose member role the StackSet has not deployed yet
    let cloud = organization(true);
    let newcomer = cloud.members()[2].clone();
    cloud.with_account(&newcomer, |a| a.member_role = false);

    // WHEN its join events arrive (both of them)
    let created = run(&cloud, &naming("create-account-result.json", &newcomer)).await;
    let mut joined = sample("account-joined.json");
    joined["detail"]["serviceEventDetails"]["accountJoinedOrganizationDetails"] =
        json!({"accountId": newcomer});
    let joined = run(&cloud, &joined).await;

    // THEN it is pending, not failed, and nobody is warned
    for report in [&created, &joined] {
        assert_eq!(
            report.outcome,
            ReportOutcome::Reconciled,
            "{}",
            report.to_json_line()
        );
        assert_eq!(report.actions[0].result, ActionResult::Pending);
        assert_eq!(report.accounts.pending, 1);
        assert!(report.notifications.is_empty());
    }

    // WHEN the StackSet's instance event says the member role is there
    cloud.with_account(&newcomer, |a| a.member_role = true);
    let mut deployed = sample("stackset-instance-succeeded.json");
    deployed["detail"]["stack-id"] =
        format!("arn:aws:cloudformation:us-east-1:{newcomer}:stack/StackSet-x/1").into();
    let report = run(&cloud, &deployed).await;

    // THEN the role is created and one "joined" message is sent; a replay sends nothing new
    assert_eq!(report.accounts.created, 1);
    assert!(cloud.role_exists(&newcomer));
    assert_eq!(published(&cloud).len(), 1);
    assert_eq!(published(&cloud)[0].2, "account-joined");
    run(&cloud, &deployed).await;
    assert_eq!(published(&cloud).len(), 1);
}

#[tokio::test]
async fn a_member_role_that_could_not_be_deployed_warns_the_organizations_administrator() {
    let cloud = organization(true);
    let report = run(&cloud, &sample("stackset-instance-failed.json")).await;
    let sent = published(&cloud);
    assert_eq!(sent.len(), 1, "{}", report.to_json_line());
    assert_eq!(sent[0].1, "organizations-admin");
    assert!(
        sent[0].0.starts_with("Warning: member role not deployed"),
        "{}",
        sent[0].0
    );
    let body = cloud.world().published[0].text();
    assert!(body.contains("service control policy"), "{body}");
}

#[tokio::test]
async fn a_lasting_failure_is_warned_once_a_new_one_again_and_recovery_once() {
    let cloud = organization(true);
    run(&cloud, &sample("enable-by-marketplace.json")).await;
    cloud.world().published.clear();
    let (first, second) = (cloud.members()[1].clone(), cloud.members()[2].clone());
    cloud.with_account(&first, |a| a.member_role = false);
    let sweep = |n: usize| {
        let mut event = sample("scheduled.json");
        event["id"] = format!("sweep-{n}").into();
        event
    };
    let events = |cloud: &FakeCloud| -> Vec<&'static str> {
        published(cloud).into_iter().map(|(_, _, e)| e).collect()
    };

    // A failure that persists over three sweeps is warned once.
    for n in 0..3 {
        run(&cloud, &sweep(n)).await;
    }
    assert_eq!(events(&cloud), ["reconcile-failed"]);

    // A new failing account warns again.
    cloud.with_account(&second, |a| a.member_role = false);
    run(&cloud, &sweep(3)).await;
    assert_eq!(events(&cloud), ["reconcile-failed", "reconcile-failed"]);
    assert!(cloud.world().published[1].text().contains(&second));

    // Once REMIND_AFTER has passed, the same failure is told again.
    cloud.advance(Duration::from_secs(25 * 3600));
    run(&cloud, &sweep(4)).await;
    assert_eq!(events(&cloud).len(), 3);

    // Recovery is announced once.
    for id in [&first, &second] {
        cloud.with_account(id, |a| a.member_role = true);
    }
    run(&cloud, &sweep(5)).await;
    run(&cloud, &sweep(6)).await;
    let told = events(&cloud);
    assert_eq!(told[3..], ["reconcile-recovered"], "{told:?}");
    let recovery = cloud.world().published[3].clone();
    assert!(recovery.text().contains(&first) && recovery.text().contains(&second));
}

#[tokio::test]
async fn with_the_state_table_down_the_hand_offs_still_go_out_and_the_report_says_so() {
    let cloud = organization(true);
    cloud.world().state_down = Some(AwsError::new("ResourceNotFoundException", "no such table"));
    let report = run(&cloud, &sample("enable-by-cli-iamuser.json")).await;
    assert_eq!(deliveries(&report), [DeliveryStatus::Published]);
    assert_eq!(report.deduplication, Some(DeduplicationMode::Unavailable));
    assert!(
        report
            .deduplication_error
            .as_deref()
            .unwrap()
            .contains("ResourceNotFoundException")
    );
    assert!(report.into_result().is_ok());
}

#[tokio::test]
async fn a_trouble_of_the_sweep_s_memory_is_told_as_such_not_as_the_outbox_s() {
    // GIVEN a state table whose GetItem fails (the sweep's memory), its outbox working
    let cloud = organization(true);
    cloud.world().state_errors.insert(
        "dynamodb:GetItem",
        AwsError::new("ThrottlingException", "slow down"),
    );

    // WHEN a sweep runs
    let report = run(&cloud, &sample("scheduled.json")).await;

    // THEN the report names the store that failed, and the outbox is still on
    assert_eq!(
        report.deduplication,
        Some(DeduplicationMode::On),
        "{}",
        report.to_json_line()
    );
    assert_eq!(report.deduplication_error, None);
    assert_eq!(report.troubles.len(), 1, "{:?}", report.troubles);
    assert_eq!(report.troubles[0].store, Store::SweepMemory);
    assert!(report.troubles[0].error.contains("ThrottlingException"));
    assert!(
        report
            .to_json_line()
            .contains(r#""troubles":[{"store":"sweep-memory""#)
    );
}

#[tokio::test]
async fn a_run_cut_short_hands_the_rest_on_and_its_continuation_finishes_without_a_second_hand_off()
{
    // GIVEN the enable event, and no time for any account
    let cloud = organization(true);
    let deadline = Instant::now() + RESERVE;
    let first = app(&cloud)
        .handle(
            &sample("enable-by-cli-iamuser.json"),
            &Invocation::until(deadline),
        )
        .await;

    // THEN every account is handed on, and the marketplace administrator is told once
    assert_eq!(first.outcome, ReportOutcome::Incomplete);
    let (request, delay) = cloud.world().handed_on[0].clone();
    assert_eq!(request.attempt, 2);
    assert_eq!(request.accounts.len(), first.unreached.len());
    assert_eq!(delay, Duration::from_secs(30));
    assert_eq!(published(&cloud).len(), 1);
    assert!(!cloud.world().published[0].text().contains("Warning"));

    // WHEN the continuation arrives from its queue
    let body = json!({"continuation": request}).to_string();
    let delivered = json!({"Records": [{"eventSource": "aws:sqs", "body": body}]});
    let second = run(&cloud, &delivered).await;

    // THEN the accounts are done, nothing more is handed on, and no hand-off is repeated
    assert_eq!(
        second.outcome,
        ReportOutcome::Reconciled,
        "{}",
        second.to_json_line()
    );
    assert_eq!(second.accounts.created, crate::reconcile::MEMBERS);
    assert_eq!(second.event_id, first.event_id);
    assert_eq!(cloud.world().handed_on.len(), 1);
    assert_eq!(published(&cloud).len(), 1);
}

#[tokio::test]
async fn transient_failures_are_retried_with_a_growing_delay_and_told_at_the_end_of_the_chain() {
    let cloud = organization(true);
    for id in cloud.members() {
        cloud.with_account(&id, |a| a.role = true);
    }
    cloud.with_account(marketplace_trusted_access::fake::MANAGEMENT, |a| {
        a.role = true
    });
    let slow = cloud.members()[0].clone();
    cloud.with_account(&slow, |a| {
        a.errors
            .insert("iam:GetRole", AwsError::new("Throttling", "Rate exceeded"));
    });
    let mut payload = sample("scheduled.json");
    let mut delays = Vec::new();
    for attempt in 1..=marketplace_trusted_access::ports::MAX_ATTEMPTS {
        let report = run(&cloud, &payload).await;
        let handed = cloud.world().handed_on.clone();
        if attempt < marketplace_trusted_access::ports::MAX_ATTEMPTS {
            // Still in progress: no warning yet.
            assert!(report.notifications.is_empty(), "{}", report.to_json_line());
            let (request, delay) = handed.last().unwrap().clone();
            assert_eq!(request.accounts, std::slice::from_ref(&slow));
            delays.push(delay.as_secs());
            let body = json!({"continuation": request}).to_string();
            payload = json!({"Records": [{"eventSource": "aws:sqs", "body": body}]});
        } else {
            // The chain's end: the failure goes through the normal warning.
            assert_eq!(
                report.continuation.as_ref().unwrap().status,
                HandoverStatus::Exhausted
            );
            let sent = published(&cloud);
            assert_eq!(sent.len(), 1);
            assert_eq!(sent[0].2, "reconcile-failed");
        }
    }
    assert_eq!(delays, [30, 60, 120, 240]);
}

#[tokio::test(start_paused = true)]
async fn two_invocations_of_the_same_event_at_once_publish_each_message_once() {
    // GIVEN AWS-like latency, so that the two invocations interleave at every call: both find the
    // outbox empty, both compose, and both reach the publish
    let cloud = organization(true);
    cloud.world().latency = Duration::from_millis(40);
    let event = sample("disable-by-cli.json");
    cloud.set_trusted_access(false);
    let (one, two) = (app(&cloud), app(&cloud));
    let (a, b) = (
        Invocation::until(Instant::now() + Duration::from_secs(900)),
        Invocation::until(Instant::now() + Duration::from_secs(900)),
    );

    // WHEN both handle the same event at the same moment
    let (first, second) = tokio::join!(one.handle(&event, &a), two.handle(&event, &b));

    // THEN each message went out once: one invocation published it, the other waited for its
    // claim and found it published
    let sent = published(&cloud);
    assert_eq!(sent.len(), 2, "{sent:?}");
    let mut statuses: Vec<DeliveryStatus> = deliveries(&first)
        .into_iter()
        .chain(deliveries(&second))
        .collect();
    statuses.sort_by_key(|s| format!("{s:?}"));
    assert_eq!(
        statuses,
        [
            DeliveryStatus::AlreadyPublished,
            DeliveryStatus::AlreadyPublished,
            DeliveryStatus::Published,
            DeliveryStatus::Published
        ]
    );
    assert!(first.failure.is_none() && second.failure.is_none());
}

#[tokio::test(start_paused = true)]
async fn a_claim_whose_holder_died_is_taken_over_and_a_live_one_is_waited_for_then_retried() {
    let cloud = organization(true);
    let event = sample("enable-by-cli-iamuser.json");
    // GIVEN an earlier invocation stored the hand-off, claimed it and died before publishing
    let key = event["detail"]["eventID"].as_str().unwrap().to_string();
    let live = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
            + 60_000
    };
    let first = {
        // Composed and stored by a run whose publish failed, then claimed by a holder still alive.
        cloud
            .world()
            .publish_failures
            .push_back(AwsError::new("InternalError", "x"));
        let report = run(&cloud, &event).await;
        assert_eq!(deliveries(&report), [DeliveryStatus::Failed]);
        cloud.world().claims.insert(
            (key.clone(), 0, Format::Text),
            ("a-live-invocation".into(), live()),
        );
        report
    };
    assert!(first.failure.is_some());

    // WHEN a retry comes while that holder is alive: it waits, then fails, publishing nothing
    let waiting = run(&cloud, &event).await;
    assert_eq!(deliveries(&waiting), [DeliveryStatus::Failed]);
    assert!(
        waiting.notifications[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("a-live-invocation")),
        "{}",
        waiting.to_json_line()
    );
    assert!(published(&cloud).is_empty());

    // …and once its lease has lapsed (the holder died), the next retry takes the claim over
    cloud
        .world()
        .claims
        .insert((key, 0, Format::Text), ("a-dead-invocation".into(), 0));
    let retried = run(&cloud, &event).await;
    assert_eq!(deliveries(&retried), [DeliveryStatus::Published]);
    assert_eq!(published(&cloud).len(), 1);
}

#[tokio::test]
async fn continuations_with_any_attempt_hand_on_within_the_chain_and_stop_after_five_runs() {
    let cloud = organization(true);
    for id in cloud.members() {
        cloud.with_account(&id, |a| a.role = true);
    }
    let slow = cloud.members()[0].clone();
    cloud.with_account(&slow, |a| {
        a.errors
            .insert("iam:GetRole", AwsError::new("Throttling", "Rate exceeded"));
    });
    let queued = |attempt: Value| {
        let body = json!({"continuation": {
            "trigger": "schedule", "eventId": "chain-1", "attempt": attempt,
            "accounts": [slow], "dryRun": false,
        }});
        json!({"Records": [{"eventSource": "aws:sqs", "body": body.to_string()}]})
    };
    let max = marketplace_trusted_access::ports::MAX_ATTEMPTS;
    for attempt in [
        json!(0),
        json!(-1),
        json!(4_294_967_295u64),
        serde_json::from_str::<Value>("18446744073709551616").unwrap(),
        json!(1.5),
        json!("2"),
        Value::Null,
    ] {
        let report = run(&cloud, &queued(attempt.clone())).await;
        let handover = report
            .continuation
            .as_ref()
            .expect("the account still fails");
        assert!(handover.attempt <= max, "{attempt}: {handover:?}");
        assert!(
            handover.delay_seconds.is_none_or(|d| d <= 240),
            "{attempt}: {handover:?}"
        );
        assert!(
            [HandoverStatus::HandedOn, HandoverStatus::Exhausted].contains(&handover.status),
            "{attempt}: {handover:?}"
        );
    }
    // A chain begun by a message with attempt 0 still ends after five runs.
    cloud.world().handed_on.clear();
    let mut payload = queued(json!(0));
    let mut runs = 0;
    loop {
        runs += 1;
        let report = run(&cloud, &payload).await;
        if report.continuation.as_ref().unwrap().status == HandoverStatus::Exhausted {
            break;
        }
        let (request, _) = cloud.world().handed_on.last().unwrap().clone();
        payload = json!({"Records": [{"eventSource": "aws:sqs",
            "body": json!({"continuation": request}).to_string()}]});
        assert!(runs < 10, "the chain does not end");
    }
    assert_eq!(runs, max);
}

#[tokio::test]
async fn copies_that_do_not_fit_before_the_deadline_are_deferred_and_the_retry_publishes_them() {
    // GIVEN a sweep with the chat topic and five services not expected: six messages (five drift
    // warnings and the unreached accounts' warning), twelve copies, published eight at a time;
    // each publish takes 39.7 s, and the deadline is the time the plan asks for (nine messages at
    // most, eighteen copies: three rounds of 10 s, a claim's 10 s and the report's 2 s), so that
    // no account starts and the effects must end by 40 s
    let cloud = organization(true);
    cloud.world().services = (1..=5)
        .map(|n| format!("service{n}.amazonaws.com"))
        .collect();
    cloud.world().publish_delay = Duration::from_millis(39_700);
    let config = Config {
        expected_services: Some(vec![
            marketplace_trusted_access::service::MARKETPLACE
                .principal
                .to_string(),
        ]),
        ..Config::default()
    };
    let ports = marketplace_trusted_access::handler::Ports {
        chat: Some(cloud.chat()),
        continuation: None,
        ..cloud.ports()
    };
    let app = App::with_ports(config, ports);
    tokio::time::pause();
    let deadline = Instant::now() + Duration::from_secs(3 * 10 + 10 + 2);
    let event = sample("scheduled.json");
    let first = app.handle(&event, &Invocation::until(deadline)).await;

    // THEN the first round is published by 39.7 s, the second deferred (it would start after the
    // effects' deadline less the least time a publish is given), and the invocation fails so that
    // Lambda retries it
    let statuses = deliveries(&first);
    let count = |status| statuses.iter().filter(|s| **s == status).count();
    assert_eq!(count(DeliveryStatus::Published), 8, "{statuses:?}");
    assert_eq!(count(DeliveryStatus::Deferred), 4, "{statuses:?}");
    assert!(first.failure.is_some());
    assert_ne!(first.outcome, ReportOutcome::Reconciled);
    assert!(first.to_json_line().contains(r#""delivery":"deferred""#));

    // WHEN Lambda retries it with time enough, THEN only the deferred copies are published
    cloud.world().publish_delay = Duration::ZERO;
    let before = published(&cloud).len() + cloud.world().chat_published.len();
    let retry = app.handle(&event, &far()).await;
    let after = published(&cloud).len() + cloud.world().chat_published.len();
    assert_eq!(after - before, 4, "{:?}", deliveries(&retry));
    let already = deliveries(&retry)
        .iter()
        .filter(|s| **s == DeliveryStatus::AlreadyPublished)
        .count();
    assert_eq!(already, 8, "{:?}", deliveries(&retry));
}
