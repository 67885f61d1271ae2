//! Events shaped as AWS documents them, settings and messages that once broke a promise, and two
//! instances at once: each through the function binary under `cargo lambda watch`, against the
//! emulator (events/README.md names the documentation each sample follows).

use crate::cargo_lambda::{Function, function_binary, invoke, invoke_raw, read, root};
use crate::common::{MARKETPLACE_PRINCIPAL, shared};
use crate::sns::{Received, Subscribers};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub const TABLE: &str = "handoff-state";

/// A sample with some of its text replaced, written to a file for `cargo lambda invoke`.
pub fn sample_with(name: &str, replacements: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(root().join("events").join(name)).unwrap();
    for (from, to) in replacements {
        assert!(text.contains(from), "{name} holds {from}");
        text = text.replace(from, to);
    }
    payload_file(name, &text)
}

pub fn payload_file(name: &str, text: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!(
        "mta-as-aws-sends-{}-{n}-{name}",
        std::process::id()
    ));
    std::fs::write(&path, text).unwrap();
    path
}

/// (event, body) of what one audience received.
pub fn of<'a>(
    received: &'a BTreeMap<&'static str, Vec<Received>>,
    audience: &str,
) -> Vec<&'a Received> {
    received
        .get(audience)
        .map(|r| r.iter().collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_documented_stack_instance_event_without_action_reconciles_its_account() {
    // GIVEN an organization with trusted access enabled and a member without the role
    let emulator = shared().await;
    let org = emulator.seed_organization(2, 0).await;
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
        .await;
    let member = &org.active[0];
    assert!(!emulator.marketplace_role_exists(member).await);
    let function = Function::start(&emulator, &[]).await;

    // WHEN CloudFormation reports the member role's stack instance SUCCEEDED, with no `action`,
    // as in AWS's example of the event
    let file = sample_with(
        "stackset-instance-succeeded-documented.json",
        &[("444455556666", member)],
    );
    let report = invoke(function.port, &file, &function.log).await;

    // THEN the account is reconciled: its role is created
    assert_eq!(report["outcome"], "reconciled", "{report}");
    assert_eq!(report["accounts"]["created"], 1, "{report}");
    assert!(emulator.marketplace_role_exists(member).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_stack_instance_warns_the_organizations_administrator_once_with_or_without_a_stack()
 {
    // GIVEN the function with its topic and state table
    let emulator = shared().await;
    emulator.seed_organization(1, 0).await;
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
        .await;
    let subscribers = Subscribers::new(&emulator).await;
    let function = Function::with_state(&emulator, &subscribers, &[]).await;

    // WHEN each failed instance event arrives twice (EventBridge delivers at least once)
    for name in [
        "stackset-instance-failed.json",
        "stackset-instance-failed-no-stack.json",
    ] {
        for _ in 0..2 {
            let report = invoke(
                function.port,
                &root().join("events").join(name),
                &function.log,
            )
            .await;
            assert_ne!(report["outcome"], "ignored", "{name}: {report}");
        }
    }

    // THEN the Organizations administrator is warned once per event, with the StackSet's reason
    let received = subscribers.drain().await;
    let warnings = of(&received, "organizations-admin");
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    for m in &warnings {
        assert_eq!(m.attributes["event"], "account-joined");
        assert_eq!(m.attributes["severity"], "warning");
    }
    assert!(warnings[0].body.contains("service control policy"));
    assert!(
        warnings[1]
            .body
            .contains("AWSCloudFormationStackSetExecutionRole")
    );
    assert!(
        warnings[1]
            .body
            .contains("stackset/marketplace-trusted-access-member-role")
    );
    assert!(of(&received, "marketplace-admin").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_account_is_told_as_closed_with_no_advice_about_its_role() {
    let emulator = shared().await;
    emulator.seed_organization(1, 0).await;
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
        .await;
    let subscribers = Subscribers::new(&emulator).await;
    let function = Function::start(
        &emulator,
        &[("NOTIFICATION_TOPIC_ARN", &subscribers.topic_arn)],
    )
    .await;

    // WHEN Organizations reports `departureMethod: CLEANED`, the account named only in the
    // record's resources
    let report = invoke(
        function.port,
        &root().join("events/account-closed-cleaned.json"),
        &function.log,
    )
    .await;
    assert_eq!(report["outcome"], "reconciled", "{report}");

    // THEN both audiences hear that the account was closed and removed, and nothing about its role
    let received = subscribers.drain().await;
    for audience in ["organizations-admin", "account-admin"] {
        let told = of(&received, audience);
        assert_eq!(told.len(), 1, "{audience}");
        let body = &told[0].body;
        assert!(
            body.contains("777788889999 was closed, and removed"),
            "{body}"
        );
        assert!(!body.contains("CLEANED"), "{body}");
        assert!(!body.to_lowercase().contains("may delete"), "{body}");
        assert!(!body.contains("delete-service-linked-role"), "{body}");
        assert_eq!(told[0].attributes["severity"], "info");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_setting_that_is_not_text_stops_the_function_with_the_configuration_error() {
    for value in ["5é", "é", "5\u{1F600}", "\u{0301}h"] {
        let run = tokio::process::Command::new(function_binary())
            .env("REMIND_AFTER", value)
            .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
            .env("AWS_REGION", "us-east-1")
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(Duration::from_secs(30), run)
            .await
            .expect("the function stops at start-up")
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.status.success(), "{value}: {text}");
        assert!(text.contains("REMIND_AFTER"), "{value}: {text}");
        assert!(
            text.contains(&format!(
                "invalid REMIND_AFTER={value:?}: expected a duration"
            )),
            "{value}: {text}"
        );
        assert!(!text.contains("panicked"), "{value}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn continuations_with_any_attempt_are_answered_and_stay_within_the_chain() {
    let emulator = shared().await;
    let org = emulator.seed_organization(1, 0).await;
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
        .await;
    let function = Function::start(&emulator, &[]).await;
    for attempt in [
        json!(0),
        json!(-1),
        json!(4_294_967_295u64),
        json!(18_446_744_073_709_551_615u64),
        // 2^64 itself: no integer type of the message holds it.
        serde_json::from_str::<Value>("18446744073709551616").unwrap(),
        json!(1.5),
        json!("2"),
        Value::Null,
    ] {
        let body = json!({"continuation": {
            "trigger": "schedule", "eventId": "chain-1", "attempt": attempt,
            "accounts": [org.active[0]], "dryRun": false,
        }});
        let queued = json!({"Records": [{"eventSource": "aws:sqs", "body": body.to_string()}]});
        let file = payload_file("continuation.json", &queued.to_string());
        let report = invoke(function.port, &file, &function.log).await;
        assert_eq!(report["outcome"], "reconciled", "{attempt}: {report}");
        assert_eq!(report["trigger"], "schedule", "{attempt}: {report}");
        assert_eq!(report["accounts"]["checked"], 1, "{attempt}: {report}");
    }
    assert!(!read(&function.log).contains("panicked"));
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_given_the_same_enable_event_at_once_tell_each_audience_once() {
    // GIVEN two instances of the function, sharing the topic and the state table, as Lambda runs
    // them when its concurrency is above one (the emulator isolates their transactions as DynamoDB
    // does: correction (l) of tests/emulator/launcher.py)
    let emulator = shared().await;
    emulator.seed_organization(3, 0).await;
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
        .await;
    emulator.create_state_table(TABLE).await;
    let subscribers = Subscribers::new(&emulator).await;
    let env = [
        ("NOTIFICATION_TOPIC_ARN", subscribers.topic_arn.as_str()),
        ("STATE_TABLE_NAME", TABLE),
    ];
    let (first, second) = tokio::join!(
        Function::start(&emulator, &env),
        Function::start(&emulator, &env)
    );

    // WHEN both get the same enable event at the same moment, and Lambda retries any that failed
    let file = root().join("events/enable-by-cli-iamuser.json");
    let (a, b) = tokio::join!(
        invoke_raw(first.port, &file, &first.log),
        invoke_raw(second.port, &file, &second.log)
    );
    for (out, function) in [(a, &first), (b, &second)] {
        if !out.status.success() {
            let retry = invoke(function.port, &file, &function.log).await;
            assert_ne!(retry["outcome"], "failed", "{retry}");
        }
    }

    // THEN each audience received the hand-off exactly once
    let received = subscribers.drain().await;
    let told: Vec<(&str, usize)> = received.iter().map(|(a, m)| (*a, m.len())).collect();
    assert_eq!(
        told,
        [
            ("account-admin", 0),
            ("marketplace-admin", 1),
            ("organizations-admin", 0),
            ("service-admin", 0)
        ],
        "{}\n{}",
        read(&first.log),
        read(&second.log)
    );
    // …and both instances did the work and reported it.
    let reports: Vec<Value> = first
        .logged_reports()
        .into_iter()
        .chain(second.logged_reports())
        .collect();
    assert!(reports.len() >= 2);
}
