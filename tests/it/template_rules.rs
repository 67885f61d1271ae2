//! The templates' EventBridge rules forward what the function handles, and nothing else: each rule's
//! pattern evaluated against the samples in `events/` and against calls Organizations refused
//! (split from `template_params.rs`, which renders the templates; the rendering is `common::render`).

use serde_json::{Value, json};

use crate::common::pattern::pattern_matches;
use crate::common::render::*;
use crate::template_params::*;

// ------------------------------------------------------------------------------------------------
// EventBridge: the StackSet instance rule
// ------------------------------------------------------------------------------------------------

fn samples() -> Vec<(String, Value)> {
    let dir = root().join("events");
    let mut files: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, load_json(&p))
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

#[test]
fn the_stackset_rule_forwards_its_instance_events_and_nothing_else() {
    let stack = main_stack(&[]);
    let rule = stack.properties("StackSetInstanceEventRule");
    let pattern = resolve(&rule["EventPattern"], &stack.params);

    // The rule names this stack's StackSet.
    let name = resolve(
        &stack.properties("MemberRoleStackSet")["StackSetName"],
        &stack.params,
    );
    assert_eq!(name, format!("{STACK}-member-role"));
    assert_eq!(
        pattern["detail"]["stack-set-arn"],
        json!([{"prefix": format!("arn:aws:cloudformation:us-east-1:{ACCOUNT}:stackset/{STACK}-member-role:")}])
    );

    // Every sample: the StackSet instance events and only they.
    let samples = samples();
    let forwarded: Vec<&str> = samples
        .iter()
        .filter(|(_, event)| pattern_matches(&pattern, event))
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(
        forwarded,
        [
            "stackset-instance-failed-no-stack.json",
            "stackset-instance-failed.json",
            "stackset-instance-succeeded-documented.json",
            "stackset-instance-succeeded.json"
        ]
    );
    assert!(
        samples.len() > forwarded.len() + 10,
        "the other samples were read"
    );

    // The Organizations rule forwards none of them.
    let organizations = resolve(
        &stack.properties("OrganizationsEventRule")["EventPattern"],
        &stack.params,
    );
    for (name, event) in samples
        .iter()
        .filter(|(n, _)| n.starts_with("stackset-instance-"))
    {
        assert!(!pattern_matches(&organizations, event), "{name}");
    }

    // Another StackSet, even one whose name starts the same, is not ours.
    let (_, succeeded) = samples
        .iter()
        .find(|(n, _)| n == "stackset-instance-succeeded.json")
        .expect("sample");
    for other in [
        format!(
            "arn:aws:cloudformation:us-east-1:{ACCOUNT}:stackset/{STACK}-member-role-old:5f2b9c1e-8d4a-4e6b-9a3c-1d2e3f4a5b6c"
        ),
        format!(
            "arn:aws:cloudformation:us-east-1:{ACCOUNT}:stackset/other-member-role:5f2b9c1e-8d4a-4e6b-9a3c-1d2e3f4a5b6c"
        ),
        format!(
            "arn:aws:cloudformation:us-east-1:999988887777:stackset/{STACK}-member-role:5f2b9c1e-8d4a-4e6b-9a3c-1d2e3f4a5b6c"
        ),
    ] {
        let mut event = succeeded.clone();
        event["detail"]["stack-set-arn"] = json!(other);
        assert!(!pattern_matches(&pattern, &event), "{other}");
    }
    // Nor another kind of CloudFormation event about our StackSet.
    let mut operation = succeeded.clone();
    operation["detail-type"] = json!("CloudFormation StackSet Operation Status Change");
    assert!(!pattern_matches(&pattern, &operation));

    // The samples are the management account's events about member stacks.
    for name in [
        "stackset-instance-failed.json",
        "stackset-instance-succeeded.json",
    ] {
        let (_, event) = samples.iter().find(|(n, _)| n == name).expect("sample");
        assert_eq!(event["account"], ACCOUNT, "{name}");
        assert_eq!(event["detail"]["action"], "CREATE", "{name}");
        let stack_id = event["detail"]["stack-id"].as_str().expect("stack-id");
        assert!(
            stack_id.starts_with("arn:aws:cloudformation:us-east-1:"),
            "{name}"
        );
        assert!(
            !stack_id.contains(ACCOUNT),
            "a member account's stack: {name}"
        );
    }

    // Delivered like the Organizations rule's events: the same retries and dead-letter queue.
    let target = |rule: &str| stack.properties(rule)["Targets"][0].clone();
    let (ours, theirs) = (
        target("StackSetInstanceEventRule"),
        target("OrganizationsEventRule"),
    );
    assert_eq!(
        ours["Arn"],
        json!({"Fn::GetAtt": ["ReconcilerFunction", "Arn"]})
    );
    assert_eq!(ours["RetryPolicy"], theirs["RetryPolicy"]);
    assert_eq!(ours["DeadLetterConfig"], theirs["DeadLetterConfig"]);
    // The dead-letter queue admits both rules.
    let queue_policy = &stack.properties("EventDeliveryDeadLetterQueuePolicy")["PolicyDocument"];
    let sources = &statements_of(queue_policy)[0]["Condition"]["ArnEquals"]["aws:SourceArn"];
    assert_eq!(
        *sources,
        json!([
            {"Fn::Sub": "${OrganizationsEventRule.Arn}"},
            {"Fn::Sub": "${StackSetInstanceEventRule.Arn}"}
        ])
    );
}

// ------------------------------------------------------------------------------------------------
// EventBridge: the Organizations rule, for every trusted service
// ------------------------------------------------------------------------------------------------

/// `enable-by-cli-iamuser.json` as another call: `event_name` with `request_parameters`.
fn organizations_call(event_name: &str, request_parameters: Value) -> Value {
    let mut event = crate::common::sample("enable-by-cli-iamuser.json");
    event["detail"]["eventName"] = json!(event_name);
    event["detail"]["requestParameters"] = request_parameters;
    event
}

/// The same call as CloudTrail records it when Organizations refused it.
fn failed(mut event: Value) -> Value {
    event["detail"]["errorCode"] = json!("AccessDeniedException");
    event["detail"]["errorMessage"] = json!("You don't have permissions to access this resource.");
    event
}

#[test]
fn the_organizations_rule_forwards_trusted_access_and_delegated_administrator_changes_of_every_service()
 {
    let stack = main_stack(&[]);
    let pattern = resolve(
        &stack.properties("OrganizationsEventRule")["EventPattern"],
        &stack.params,
    );
    // No filter on the service principal: every service's changes reach the function.
    assert!(
        pattern["detail"].get("requestParameters").is_none(),
        "{pattern}"
    );

    let member = "210987654321";
    let calls = [
        (
            "EnableAWSServiceAccess",
            json!({"servicePrincipal": "sso.amazonaws.com"}),
        ),
        (
            "DisableAWSServiceAccess",
            json!({"servicePrincipal": "guardduty.amazonaws.com"}),
        ),
        (
            "RegisterDelegatedAdministrator",
            json!({"accountId": member, "servicePrincipal": "securityhub.amazonaws.com"}),
        ),
        (
            "DeregisterDelegatedAdministrator",
            json!({"accountId": member, "servicePrincipal": "guardduty.amazonaws.com"}),
        ),
        // AWS Marketplace's own, as before.
        (
            "EnableAWSServiceAccess",
            json!({"servicePrincipal": "license-management.marketplace.amazonaws.com"}),
        ),
    ];
    for (name, parameters) in calls {
        let event = organizations_call(name, parameters.clone());
        // WHEN the call succeeded: forwarded
        assert!(pattern_matches(&pattern, &event), "{name} {parameters}");
        // WHEN Organizations refused it: it changed nothing, not forwarded
        assert!(
            !pattern_matches(&pattern, &failed(event)),
            "failed {name} {parameters}"
        );
    }

    // Reads and other Organizations calls are still not forwarded.
    for name in [
        "ListDelegatedAdministrators",
        "ListAWSServiceAccessForOrganization",
        "TagResource",
        "AttachPolicy",
    ] {
        let event = organizations_call(name, json!({"servicePrincipal": "sso.amazonaws.com"}));
        assert!(!pattern_matches(&pattern, &event), "{name}");
    }
    // Nor the same call from another source.
    let mut elsewhere = organizations_call(
        "RegisterDelegatedAdministrator",
        json!({"accountId": member, "servicePrincipal": "securityhub.amazonaws.com"}),
    );
    elsewhere["detail"]["eventSource"] = json!("securityhub.amazonaws.com");
    assert!(!pattern_matches(&pattern, &elsewhere));
}

/// Whether `event` carries every field TestEventPattern requires of an event: the shape of an
/// event EventBridge delivers (the samples of commands and continuations are not).
fn is_eventbridge_event(event: &Value) -> bool {
    [
        "id",
        "account",
        "source",
        "time",
        "region",
        "resources",
        "detail-type",
    ]
    .iter()
    .all(|field| event.get(field).is_some())
}

#[tokio::test]
async fn the_rules_matcher_answers_as_the_emulators_test_event_pattern() {
    // GIVEN every rule pattern of the template, and every sample EventBridge could deliver, as it
    // is and as the call Organizations refused
    let stack = main_stack(&[]);
    let patterns: Vec<(&str, Value)> = ["OrganizationsEventRule", "StackSetInstanceEventRule"]
        .into_iter()
        .map(|rule| {
            let pattern = resolve(&stack.properties(rule)["EventPattern"], &stack.params);
            (rule, pattern)
        })
        .collect();
    let mut events: Vec<(String, Value)> = samples()
        .into_iter()
        .filter(|(_, event)| is_eventbridge_event(event))
        .collect();
    let refused: Vec<(String, Value)> = events
        .iter()
        .filter(|(_, e)| e["detail"].get("eventName").is_some())
        .map(|(name, e)| (format!("{name}, refused"), failed(e.clone())))
        .collect();
    events.extend(refused);
    assert!(events.len() > 30, "{}", events.len());

    // WHEN the emulator's events:TestEventPattern answers for each pair (correction (m))
    let emulator = crate::common::shared().await;
    let mut matched = 0;
    for (rule, pattern) in &patterns {
        for (name, event) in &events {
            let oracle = emulator.test_event_pattern(pattern, event).await;
            // THEN the tests' matcher says the same
            assert_eq!(pattern_matches(pattern, event), oracle, "{rule} on {name}");
            matched += usize::from(oracle);
        }
    }
    // Both answers occur: the comparison is not empty on either side.
    assert!(matched > 0 && matched < patterns.len() * events.len());
}
