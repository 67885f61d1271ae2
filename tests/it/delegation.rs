//! Delegated administrators held to intent (`EXPECTED_DELEGATED_ADMINS`) through the function
//! binary under `cargo lambda watch`, against the emulator with the state table: a difference told
//! at the sweep that finds it, not again at the next, and its end told once; a registration outside
//! intent told as a warning when it happens, and not again by the sweep after it (docs/design.md,
//! "The guardian"). The comparison itself is tested in `src/delegation.rs` and as plans in
//! `src/plan/tests.rs`.

use crate::as_aws_sends::{of, sample_with};
use crate::cargo_lambda::{Function, invoke};
use crate::common::{Emulator, MARKETPLACE_PRINCIPAL, OrgFixture, Shared, shared};
use crate::guardian::sweep;
use crate::sns::{Received, Subscribers};
use std::collections::BTreeMap;

const GUARDDUTY: &str = "guardduty.amazonaws.com";
const MACIE: &str = "macie.amazonaws.com";

async fn register(emulator: &Emulator, account: &str, principal: &str, registered: bool) {
    let org = aws_sdk_organizations::Client::new(&emulator.management_config());
    if registered {
        org.register_delegated_administrator()
            .account_id(account)
            .service_principal(principal)
            .send()
            .await
            .expect("RegisterDelegatedAdministrator");
    } else {
        org.deregister_delegated_administrator()
            .account_id(account)
            .service_principal(principal)
            .send()
            .await
            .expect("DeregisterDelegatedAdministrator");
    }
}

/// The Organizations administrator's messages about delegated administrators: event, service,
/// severity.
fn told(received: &BTreeMap<&'static str, Vec<Received>>) -> Vec<(String, String, String)> {
    let mut told: Vec<_> = of(received, "organizations-admin")
        .into_iter()
        .filter(|m| m.attributes["event"].starts_with("delegated-admin-"))
        .map(|m| {
            let attribute = |name: &str| m.attributes[name].clone();
            (
                attribute("event"),
                attribute("service"),
                attribute("severity"),
            )
        })
        .collect();
    told.sort();
    told
}

fn one(event: &str, service: &str, severity: &str) -> (String, String, String) {
    (event.into(), service.into(), severity.into())
}

/// An organization of two members, AWS Marketplace's trusted access and `enabled`'s on, the
/// function running with the topic, the state table, and GuardDuty's administrator meant to be
/// the first member.
async fn stage(enabled: &[&str]) -> (Shared, OrgFixture, Subscribers, Function) {
    let emulator = shared().await;
    let org = emulator.seed_organization(2, 0).await;
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
        .await;
    for principal in enabled {
        emulator.set_trusted_access(principal, true).await;
    }
    let subscribers = Subscribers::new(&emulator).await;
    let intent = format!("{GUARDDUTY}={}", org.active[0]);
    let function = Function::with_state(
        &emulator,
        &subscribers,
        &[("EXPECTED_DELEGATED_ADMINS", &intent)],
    )
    .await;
    (emulator, org, subscribers, function)
}

#[tokio::test(flavor = "multi_thread")]
async fn each_difference_from_intent_is_told_once_reminded_never_early_and_its_end_once() {
    // GIVEN GuardDuty's administrator meant to be the first member, and nothing registered yet
    let (emulator, org, subscribers, function) = stage(&[GUARDDUTY, MACIE]).await;
    let (first, second) = (&org.active[0], &org.active[1]);

    // The administrator meant is missing: warned at the sweep, not again at the next.
    let report = invoke(function.port, &sweep(101), &function.log).await;
    let differing = &report["services"]["differingDelegatedAdministrators"];
    assert_eq!(
        differing[format!("{GUARDDUTY}={first}")],
        "missing",
        "{report}"
    );
    let warning = one("delegated-admin-drift", GUARDDUTY, "warning");
    assert_eq!(told(&subscribers.drain().await), [warning]);
    invoke(function.port, &sweep(102), &function.log).await;
    assert!(told(&subscribers.drain().await).is_empty());

    // WHEN it is registered, and Macie's is registered behind the function's back
    register(&emulator, first, GUARDDUTY, true).await;
    register(&emulator, second, MACIE, true).await;
    invoke(function.port, &sweep(103), &function.log).await;

    // THEN GuardDuty's end is told, and Macie's administrator warned, once
    assert_eq!(
        told(&subscribers.drain().await),
        [
            one("delegated-admin-drift", MACIE, "warning"),
            one("delegated-admin-restored", GUARDDUTY, "info"),
        ]
    );
    invoke(function.port, &sweep(104), &function.log).await;
    assert!(told(&subscribers.drain().await).is_empty());

    // AND once Macie's administrator is deregistered, that end is told once too
    register(&emulator, second, MACIE, false).await;
    invoke(function.port, &sweep(105), &function.log).await;
    let restored = one("delegated-admin-restored", MACIE, "info");
    assert_eq!(told(&subscribers.drain().await), [restored]);
    invoke(function.port, &sweep(106), &function.log).await;
    assert!(told(&subscribers.drain().await).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registration_outside_intent_is_a_warning_and_the_next_sweep_does_not_repeat_it() {
    // GIVEN GuardDuty's administrator meant to be the first member, and registered
    let (emulator, org, subscribers, function) = stage(&[GUARDDUTY]).await;
    let (first, second) = (&org.active[0], &org.active[1]);
    register(&emulator, first, GUARDDUTY, true).await;

    // WHEN the second member is registered too, and the event arrives
    register(&emulator, second, GUARDDUTY, true).await;
    let event = sample_with(
        "guardian-register-delegated-admin-guardduty.json",
        &[("210987654321", second)],
    );
    let report = invoke(function.port, &event, &function.log).await;

    // THEN both administrators are warned, naming the account and the service
    assert_eq!(report["outcome"], "observed", "{report}");
    let received = subscribers.drain().await;
    for audience in ["organizations-admin", "service-admin"] {
        let message = &of(&received, audience)[0];
        assert_eq!(message.attributes["severity"], "warning", "{audience}");
        assert_eq!(message.attributes["service"], GUARDDUTY);
        assert!(
            message.subject.starts_with("Warning: "),
            "{}",
            message.subject
        );
        assert!(message.body.contains(second.as_str()), "{}", message.body);
        assert!(message.body.contains("EXPECTED_DELEGATED_ADMINS"));
    }
    // AND the next sweep does not tell it again
    let report = invoke(function.port, &sweep(201), &function.log).await;
    let differing = &report["services"]["differingDelegatedAdministrators"];
    assert_eq!(
        differing[format!("{GUARDDUTY}={second}")],
        "unexpected",
        "{report}"
    );
    assert!(told(&subscribers.drain().await).is_empty());
}

#[tokio::test]
async fn mta_services_holds_the_administrators_to_the_same_intent() {
    // GIVEN GuardDuty's administrator meant to be the first member, and the second registered
    let emulator = shared().await;
    let org = emulator.seed_organization(2, 0).await;
    let (first, second) = (&org.active[0], &org.active[1]);
    emulator.set_trusted_access(GUARDDUTY, true).await;
    register(&emulator, second, GUARDDUTY, true).await;

    // WHEN the operator asks, with the function's variable
    let mut command = crate::cli::mta_command(emulator.endpoint(), true);
    command
        .env("EXPECTED_DELEGATED_ADMINS", format!("{GUARDDUTY}={first}"))
        .args(["services", "--json"]);
    let run = crate::cli::finish(command).await;

    // THEN the view says which administrator is meant and which differs, and is out of place
    assert_eq!(run.code, 1, "{run:?}");
    let view = run.json();
    let drift = &view["delegatedAdministratorDrift"];
    assert_eq!(drift[format!("{GUARDDUTY}={first}")], "missing", "{view}");
    assert_eq!(
        drift[format!("{GUARDDUTY}={second}")],
        "unexpected",
        "{view}"
    );
    let row = crate::cli_emulator::service(&view, GUARDDUTY);
    assert_eq!(
        row["delegatedAdministrators"][0]["accountId"],
        second.as_str()
    );
    assert_eq!(row["delegatedAdministrators"][0]["expected"], false);
}

/// The delegation policy's change, through the function and `mta services`: told from what
/// DescribeResourcePolicy says (correction (p) of the emulator), never from the event's content.
#[tokio::test(flavor = "multi_thread")]
async fn a_put_delegation_policy_is_told_from_what_organizations_holds_and_mta_services_shows_it() {
    // GIVEN a delegation policy put for both members: one may read, the other manage policies.
    // AWS rejects a new `NotAction` since 30 June 2026 but keeps one stored before; the emulator
    // still accepts it (its correction (p)), so this stands for such a stored policy.
    let (emulator, org, subscribers, function) = stage(&[]).await;
    let (first, second) = (&org.active[0], &org.active[1]);
    let content = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{first}:root")},
             "Action": ["organizations:DescribeOrganization", "organizations:ListAccounts"], "Resource": "*"},
            {"Sid": "ManagePolicies", "Effect": "Allow", "Principal": {"AWS": second},
             "NotAction": "organizations:DeletePolicy", "Resource": "*"}
        ]
    });
    let client = aws_sdk_organizations::Client::new(&emulator.management_config());
    client
        .put_resource_policy()
        .content(content.to_string())
        .send()
        .await
        .expect("PutResourcePolicy");

    // WHEN its event arrives (whose own copy of the content names account 999999999999)
    let event = sample_with("guardian-put-delegation-policy.json", &[]);
    let report = invoke(function.port, &event, &function.log).await;

    // THEN the Organizations administrator is warned with the accounts and actions in force
    assert_eq!(report["outcome"], "observed", "{report}");
    let received = subscribers.drain().await;
    let messages = of(&received, "organizations-admin");
    let [message] = messages.as_slice() else {
        panic!("one message: {messages:?}")
    };
    assert_eq!(message.attributes["event"], "delegation-policy-changed");
    assert_eq!(message.attributes["severity"], "warning");
    assert_eq!(message.attributes["service"], "organizations.amazonaws.com");
    for said in [
        format!(
            "AWS account {first} may call organizations:DescribeOrganization and organizations:ListAccounts"
        ),
        format!(
            "AWS account {second} may call every action except organizations:DeletePolicy (NotAction)"
        ),
        "diego.ramirez".to_string(),
    ] {
        assert!(message.body.contains(&said), "{said:?} in {}", message.body);
    }
    assert!(!message.body.contains("999999999999"), "{}", message.body);
    assert!(of(&received, "service-admin").is_empty());

    // AND `mta services --json` shows the policy in force
    let services = |emulator: &Emulator| {
        let mut command = crate::cli::mta_command(emulator.endpoint(), true);
        command.args(["services", "--json"]);
        crate::cli::finish(command)
    };
    let view = services(&emulator).await.json();
    let policy = &view["delegationPolicy"];
    assert_eq!(policy["state"], "in-force", "{view}");
    let mut accounts = vec![first.clone(), second.clone()];
    accounts.sort();
    assert_eq!(policy["accounts"], serde_json::json!(accounts));
    assert_eq!(policy["statements"][1]["notAction"], true, "{policy}");

    // WHEN it is deleted, and that event arrives
    client
        .delete_resource_policy()
        .send()
        .await
        .expect("DeleteResourcePolicy");
    let event = sample_with("guardian-delete-delegation-policy.json", &[]);
    invoke(function.port, &event, &function.log).await;

    // THEN the delete is told, and `mta services` shows none
    let received = subscribers.drain().await;
    let messages = of(&received, "organizations-admin");
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].body.contains("was deleted"),
        "{}",
        messages[0].body
    );
    assert_eq!(
        services(&emulator).await.json()["delegationPolicy"]["state"],
        "none"
    );
}
