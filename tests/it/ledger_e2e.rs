//! The hand-off ledger end to end: the function binary under `cargo lambda watch` and the `mta`
//! binary, against the emulator's DynamoDB and SNS. The time a reminder waits for is moved on the
//! item itself (its `lastToldAt`), the one clock the function reads it by: no sleep.

use crate::as_aws_sends::{TABLE, of, sample_with};
use crate::cargo_lambda::{Function, invoke, root};
use crate::cli::{Run, finish, mta_command};
use crate::common::{Emulator, IamUser, MARKETPLACE_PRINCIPAL, shared};
use crate::sns::{Received, Subscribers};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;
use std::collections::BTreeMap;

/// The scheduled sweep, as a new fact each time.
fn sweep(n: usize) -> std::path::PathBuf {
    sample_with(
        "scheduled.json",
        &[(
            "d2e3f4a5-b6c7-d8e9-f0a1-b2c3d4e5f6a7",
            &format!("sweep-{n}"),
        )],
    )
}

/// `mta handoffs ARGS` on the stage's table, as `user` (default: the emulator's static credentials).
pub async fn mta_handoffs(emulator: &Emulator, user: Option<&IamUser>, args: &[&str]) -> Run {
    let mut command = mta_command(emulator.endpoint(), user.is_none());
    if let Some(user) = user {
        command
            .env("AWS_ACCESS_KEY_ID", &user.key_id)
            .env("AWS_SECRET_ACCESS_KEY", &user.secret);
    }
    command
        .env("STATE_TABLE_NAME", TABLE)
        .arg("handoffs")
        .args(args);
    finish(command).await
}

/// `mta handoffs ARGS`, which must succeed.
async fn handoffs(emulator: &Emulator, args: &[&str]) -> Run {
    let run = mta_handoffs(emulator, None, args).await;
    assert_eq!(run.code, 0, "{run:?}");
    run
}

/// The ledger's items as `mta handoffs --all --json` lists them.
async fn listed(emulator: &Emulator) -> Vec<Value> {
    let run = handoffs(emulator, &["--all", "--json"]).await;
    run.json().as_array().unwrap().clone()
}

/// Moves an item's last telling back by `seconds`: as if that much time had passed.
async fn backdate(emulator: &Emulator, id: &str, seconds: u64) {
    let dynamodb = aws_sdk_dynamodb::Client::new(&emulator.management_config());
    dynamodb
        .update_item()
        .table_name(TABLE)
        .key("pk", AttributeValue::S("handoff#items".into()))
        .key("sk", AttributeValue::S(id.into()))
        .update_expression("SET lastToldAt = lastToldAt - :by")
        .expression_attribute_values(":by", AttributeValue::N(seconds.to_string()))
        .send()
        .await
        .unwrap();
}

fn with_event<'a>(
    received: &'a BTreeMap<&'static str, Vec<Received>>,
    audience: &str,
    event: &str,
) -> Vec<&'a Received> {
    of(received, audience)
        .into_iter()
        .filter(|m| m.attributes["event"] == event)
        .collect()
}

struct Stage {
    emulator: crate::common::Shared,
    subscribers: Subscribers,
    function: Function,
}

async fn stage(trusted_access: bool) -> Stage {
    let emulator = shared().await;
    emulator.seed_organization(1, 0).await;
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, trusted_access)
        .await;
    let subscribers = Subscribers::new(&emulator).await;
    let function = Function::with_state(&emulator, &subscribers, &[("REMIND_AFTER", "1h")]).await;
    Stage {
        emulator,
        subscribers,
        function,
    }
}

impl Stage {
    async fn invoke(&self, file: &std::path::Path) -> Value {
        let report = invoke(self.function.port, file, &self.function.log).await;
        assert!(report.get("errorType").is_none(), "{report}");
        report
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_enable_is_followed_reminded_once_and_done_once_through_both_binaries() {
    // GIVEN the function with its topic, its table and REMIND_AFTER=1h
    let s = stage(true).await;

    // WHEN trusted access is enabled with Organizations tools
    s.invoke(&root().join("events/enable-by-cli-iamuser.json"))
        .await;

    // THEN `mta handoffs --json` lists one open item for the Marketplace administrator
    let open = handoffs(&s.emulator, &["--json"]).await.json();
    let items = open.as_array().unwrap();
    assert_eq!(items.len(), 1, "{open}");
    assert_eq!(items[0]["audience"], "marketplace-admin");
    assert_eq!(items[0]["status"], "open");
    let id = items[0]["id"].as_str().unwrap().to_string();
    let received = s.subscribers.drain().await;
    let asked = with_event(&received, "marketplace-admin", "trusted-access-enabled");
    assert_eq!(asked.len(), 1);
    assert!(asked[0].body.contains(&id));

    // WHEN two sweeps run within REMIND_AFTER, THEN no reminder
    s.invoke(&sweep(1)).await;
    s.invoke(&sweep(2)).await;
    let received = s.subscribers.drain().await;
    assert!(with_event(&received, "marketplace-admin", "handoff-reminder").is_empty());

    // WHEN a sweep runs after REMIND_AFTER, THEN exactly one reminder
    backdate(&s.emulator, &id, 3_700).await;
    s.invoke(&sweep(3)).await;
    s.invoke(&sweep(4)).await;
    let received = s.subscribers.drain().await;
    assert_eq!(
        with_event(&received, "marketplace-admin", "handoff-reminder").len(),
        1
    );

    // WHEN a person says it is done, twice
    let done = handoffs(
        &s.emulator,
        &["--json", "done", &id, "--note", "set up in the console"],
    )
    .await;
    let recorded = done.json();
    let arn = recorded["doneBy"].as_str().unwrap().to_string();
    assert!(arn.starts_with("arn:aws:"), "{recorded}");
    assert!(done.stderr.contains("next invocation"), "{done:?}");
    let twice = handoffs(&s.emulator, &["done", &id]).await;
    assert!(twice.stderr.contains("already"), "{twice:?}");

    // THEN after the next invocation, the Organizations administrator has exactly one
    // `handoff-done`, naming the caller's ARN and the note; a later one sends nothing more
    s.invoke(&sweep(5)).await;
    s.invoke(&sweep(6)).await;
    let received = s.subscribers.drain().await;
    let told = with_event(&received, "organizations-admin", "handoff-done");
    assert_eq!(told.len(), 1, "{received:?}");
    assert!(told[0].body.contains(&arn));
    assert!(told[0].body.contains("set up in the console"));
    assert!(
        handoffs(&s.emulator, &["--json"])
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_requested_and_confirmed_disable_is_told_as_agreed_and_an_unagreed_one_opens_a_clean_up()
{
    // GIVEN trusted access enabled, and a disable requested with `mta`
    let s = stage(true).await;
    let requested = handoffs(&s.emulator, &["--json", "request-disable"])
        .await
        .json();
    let id = requested["id"].as_str().unwrap().to_string();
    assert_eq!(requested["audience"], "marketplace-admin");

    // WHEN the function runs, THEN one `disable-requested` to the Marketplace administrator
    s.invoke(&sweep(1)).await;
    s.invoke(&sweep(2)).await;
    let received = s.subscribers.drain().await;
    let asked = with_event(&received, "marketplace-admin", "disable-requested");
    assert_eq!(asked.len(), 1, "{received:?}");
    assert!(asked[0].body.contains(&format!("mta handoffs done {id}")));

    // WHEN they confirm, and trusted access is then disabled with Organizations tools
    let done = handoffs(
        &s.emulator,
        &["--json", "done", &id, "--note", "cleaned up"],
    )
    .await;
    let arn = done.json()["doneBy"].as_str().unwrap().to_string();
    s.emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, false)
        .await;
    s.invoke(&root().join("events/disable-by-cli.json")).await;

    // THEN the disable's hand-off is information naming who confirmed, and nothing is left open
    let received = s.subscribers.drain().await;
    let disabled = with_event(&received, "organizations-admin", "trusted-access-disabled");
    assert_eq!(disabled.len(), 1, "{received:?}");
    assert_eq!(disabled[0].attributes["severity"], "info");
    assert!(disabled[0].body.contains(&arn));
    // (the confirmation came before any invocation told it: the disable's hand-off tells it)
    assert!(with_event(&received, "organizations-admin", "handoff-done").is_empty());
    let open = handoffs(&s.emulator, &["--json"]).await.json();
    assert!(open.as_array().unwrap().is_empty(), "{open}");

    // WHEN trusted access is enabled and disabled again, with no request
    s.emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
        .await;
    s.invoke(&sample_with(
        "enable-by-cli-iamuser.json",
        &[("c7e2f9a1-0b3d-4e5f-8a6b-9c0d1e2f3a4b", "second-enable")],
    ))
    .await;
    s.emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, false)
        .await;
    s.invoke(&sample_with(
        "disable-by-cli.json",
        &[("9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a", "second-disable")],
    ))
    .await;

    // THEN the warning goes out as before, and a clean-up item is open for the Marketplace
    // administrator; the set-up the enable opened is closed as moot
    let received = s.subscribers.drain().await;
    let warned = with_event(&received, "organizations-admin", "trusted-access-disabled");
    assert_eq!(warned.len(), 1, "{received:?}");
    assert_eq!(warned[0].attributes["severity"], "warning");
    assert_eq!(
        with_event(&received, "organizations-admin", "handoff-closed").len(),
        1
    );
    let all = listed(&s.emulator).await;
    let open: Vec<&Value> = all.iter().filter(|i| i["status"] == "open").collect();
    assert_eq!(open.len(), 1, "{all:?}");
    assert_eq!(open[0]["situation"], "clean-up");
    assert_eq!(open[0]["audience"], "marketplace-admin");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_item_is_named_not_skipped() {
    // GIVEN an item whose status someone wrote by hand, in a word the function does not know
    let emulator = shared().await;
    emulator.create_state_table(TABLE).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&emulator.management_config());
    dynamodb
        .put_item()
        .table_name(TABLE)
        .item("pk", AttributeValue::S("handoff#items".into()))
        .item("sk", AttributeValue::S("ho-handmade".into()))
        .item("status", AttributeValue::S("finished".into()))
        .send()
        .await
        .unwrap();

    // WHEN `mta handoffs` reads the ledger
    let run = mta_handoffs(&emulator, None, &[]).await;

    // THEN it fails as AWS-side trouble (3), naming the item
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("ho-handmade"), "{run:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disable_made_by_control_tower_is_told_and_followed_as_a_person_s_naming_control_tower() {
    // GIVEN a disable of IAM Identity Center's trusted access requested with `mta`, not confirmed,
    // and trusted access then disabled in Organizations
    const SSO: &str = "sso.amazonaws.com";
    let s = stage(true).await;
    s.emulator.set_trusted_access(SSO, true).await;
    let requested = handoffs(
        &s.emulator,
        &["--json", "request-disable", "--service", SSO],
    )
    .await
    .json();
    let request = requested["id"].as_str().unwrap().to_string();
    s.invoke(&sweep(1)).await;
    s.subscribers.drain().await;
    s.emulator.set_trusted_access(SSO, false).await;

    // WHEN AWS Control Tower's disable arrives (`invokedBy: controltower.amazonaws.com`)
    let file = root().join("events/guardian-disable-sso-by-controltower.json");
    let report = s.invoke(&file).await;
    assert_eq!(report["outcome"], "observed", "{report}");

    // THEN both administrators are warned, and the message names Control Tower as the caller
    let received = s.subscribers.drain().await;
    for audience in ["organizations-admin", "service-admin"] {
        let warned = with_event(&received, audience, "trusted-access-disabled");
        assert_eq!(warned.len(), 1, "{audience}: {received:?}");
        assert_eq!(warned[0].attributes["severity"], "warning", "{audience}");
        assert!(
            warned[0]
                .body
                .contains("by AWS Control Tower (controltower.amazonaws.com)"),
            "{}",
            warned[0].body
        );
        assert!(!warned[0].body.contains("by the service itself"));
    }
    // …the pending request is closed with the reason a person's disable gives, and the same
    // clean-up item as a person's disable is open for the service's administrator
    let all = listed(&s.emulator).await;
    let closed = all.iter().find(|i| i["id"] == request.as_str()).unwrap();
    assert_eq!(closed["status"], "closed", "{closed}");
    assert!(
        closed["closedReason"]
            .as_str()
            .unwrap()
            .contains("before anyone confirmed the request"),
        "{closed}"
    );
    let open: Vec<&Value> = all.iter().filter(|i| i["status"] == "open").collect();
    assert_eq!(open.len(), 1, "{all:?}");
    assert_eq!(open[0]["situation"], "clean-up");
    assert_eq!(open[0]["service"], SSO);
    assert_eq!(open[0]["audience"], "service-admin");

    // WHEN IAM Identity Center's own principal makes the same disable
    let by_itself = sample_with(
        "guardian-disable-sso-by-controltower.json",
        &[
            ("\"controltower.amazonaws.com\"", "\"sso.amazonaws.com\""),
            (
                "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
                "disabled-by-sso-itself",
            ),
        ],
    );
    s.invoke(&by_itself).await;

    // THEN it stays information, for the Organizations administrator alone, and opens nothing
    let received = s.subscribers.drain().await;
    let told = with_event(&received, "organizations-admin", "trusted-access-disabled");
    assert_eq!(told.len(), 1, "{received:?}");
    assert_eq!(told[0].attributes["severity"], "info");
    assert!(with_event(&received, "service-admin", "trusted-access-disabled").is_empty());
    let open = handoffs(&s.emulator, &["--json"]).await.json();
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
}
