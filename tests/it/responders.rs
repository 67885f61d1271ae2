//! The responders' policy (`HandoffRespondersPolicy` of template.yaml, as deployed) enforced by the
//! emulator's IAM: `mta handoffs` lists, requests and says done with it alone, and each of its
//! actions taken away is refused and named. The emulator does not judge `dynamodb:LeadingKeys`, so
//! this cannot show that the condition keeps a responder to the ledger's items: AWS's evaluation
//! does that (docs/operations.md, "Who answers hand-offs").

use crate::as_aws_sends::TABLE;
use crate::common::policies::{actions, resolve, without_action};
use crate::common::render::main_stack;
use crate::common::shared;
use crate::ledger_e2e::mta_handoffs;
use serde_json::Value;
use std::collections::BTreeMap;

/// The policy's document, resolved for the emulator's account and table.
fn responders_policy(account: &str) -> Value {
    let stack = main_stack(&[]);
    let document = &stack.properties("HandoffRespondersPolicy")["PolicyDocument"];
    let vars = BTreeMap::from([
        ("AWS::Partition", "aws".to_owned()),
        ("AWS::AccountId", account.to_owned()),
        (
            "StateTable.Arn",
            format!("arn:aws:dynamodb:us-east-1:{account}:table/{TABLE}"),
        ),
    ]);
    resolve(document, &vars)
}

#[tokio::test]
async fn the_responders_policy_is_enough_for_mta_handoffs_and_each_action_is_needed() {
    // GIVEN the state table, and a person holding the responders' policy only
    let emulator = shared().await;
    let org = emulator.seed_organization(1, 0).await;
    emulator.create_state_table(TABLE).await;
    let policy = responders_policy(&org.management);
    let mut granted = actions(std::slice::from_ref(&policy));
    granted.sort();
    assert_eq!(
        granted,
        ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"],
        "without a customer managed key, the DynamoDB actions only"
    );
    let alice = emulator.iam_user("alice", &policy).await;
    emulator.enforce_iam(true).await;

    // WHEN they request a disable, list the ledger, and say the request is done
    let requested = mta_handoffs(&emulator, Some(&alice), &["--json", "request-disable"]).await;
    let listed = mta_handoffs(&emulator, Some(&alice), &["--json"]).await;
    let id = requested.json()["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let done = mta_handoffs(
        &emulator,
        Some(&alice),
        &["--json", "done", &id, "--note", "ok"],
    )
    .await;

    // AND each action is taken away in turn
    let mut refused = Vec::new();
    emulator.enforce_iam(false).await;
    for (n, action) in ["dynamodb:Query", "dynamodb:UpdateItem"].iter().enumerate() {
        let less = emulator
            .iam_user(&format!("bob{n}"), &without_action(&policy, action))
            .await;
        emulator.enforce_iam(true).await;
        let args: &[&str] = match *action {
            "dynamodb:Query" => &["--json"],
            _ => &["request-disable", "--service", "guardduty.amazonaws.com"],
        };
        refused.push((*action, mta_handoffs(&emulator, Some(&less), args).await));
        emulator.enforce_iam(false).await;
    }

    // THEN every command succeeded, and the item records the caller's own ARN
    for run in [&requested, &listed, &done] {
        assert_eq!(run.code, 0, "{run:?}");
    }
    assert_eq!(listed.json().as_array().map(Vec::len), Some(1));
    assert_eq!(done.json()["doneBy"], alice.arn.as_str());
    assert_eq!(done.json()["status"], "done");
    // AND without Query or UpdateItem, mta exits 3 naming the refused action
    for (action, run) in &refused {
        assert_eq!(run.code, 3, "{action}: {run:?}");
        assert!(run.stderr.contains(action), "{action}: {run:?}");
    }
}
