//! The function's contract with its code, as the template deploys it: its environment, bounds,
//! table and queue, how SAM builds it, and the chat topic (split from `template_params.rs`, which
//! renders the templates; the rendering is `common::render`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::common::render::*;
use crate::template_params::*;
use marketplace_trusted_access::config;

// ------------------------------------------------------------------------------------------------
// The function's contract with the code
// ------------------------------------------------------------------------------------------------

#[test]
fn the_function_gets_its_table_queue_and_bounds() {
    let template = load_yaml("template.yaml");
    let stack = main_stack(&[]);
    let function = stack.properties("ReconcilerFunction");
    assert_eq!(function["Timeout"], 900);
    assert_eq!(function["ReservedConcurrentExecutions"], 1);
    let variables = &function["Environment"]["Variables"];
    assert_eq!(variables["STATE_TABLE_NAME"], json!({"Ref": "StateTable"}));
    assert_eq!(
        variables["CONTINUATION_QUEUE_URL"],
        json!({"Ref": "ContinuationQueue"})
    );
    assert_eq!(variables["REMIND_AFTER"], json!({"Ref": "RemindAfter"}));
    assert_eq!(
        variables["MAX_CONCURRENCY"],
        json!({"Ref": "MaxConcurrency"})
    );

    // MaxConcurrency: what the code accepts, 1 to 256.
    let max = &template["Parameters"]["MaxConcurrency"];
    assert_eq!(
        (&max["MinValue"], &max["MaxValue"]),
        (&json!(1), &json!(256))
    );
    // RemindAfter: <n>m, <n>h or <n>d.
    let remind = &template["Parameters"]["RemindAfter"];
    assert_eq!(remind["Default"], "24h");
    let allowed = remind["AllowedPattern"].as_str().expect("AllowedPattern");
    for ok in ["24h", "90m", "7d", "1m"] {
        assert!(full_match(allowed, ok), "{ok}");
    }
    for bad in ["", "24", "h", "0h", "24 h", "1.5h", "24hours", "-1d"] {
        assert!(!full_match(allowed, bad), "{bad:?}");
    }

    // The state table: keys, TTL, recovery, on demand.
    let table = stack.properties("StateTable");
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        table["KeySchema"],
        json!([{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
    );
    assert_eq!(
        table["TimeToLiveSpecification"],
        json!({"AttributeName": "expiresAt", "Enabled": true})
    );
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );

    // The continuation queue and its event source mapping.
    let queue = stack.properties("ContinuationQueue");
    assert_eq!(queue["VisibilityTimeout"], 5400);
    assert_eq!(queue["RedrivePolicy"]["maxReceiveCount"], 10);
    let mapping = stack.properties("ContinuationEventSourceMapping");
    assert_eq!(mapping["BatchSize"], 1);
    assert_eq!(mapping["ScalingConfig"]["MaximumConcurrency"], 2);
    assert_eq!(
        mapping["EventSourceArn"],
        json!({"Fn::GetAtt": ["ContinuationQueue", "Arn"]})
    );

    // The code may use only its table and send only to its queue.
    let statements = function_statements(&stack);
    let on = |prefix: &str| -> Vec<(BTreeSet<String>, Value)> {
        statements
            .iter()
            .filter(|s| strings(&s["Action"]).iter().any(|a| a.starts_with(prefix)))
            .map(|s| {
                (
                    strings(&s["Action"]).into_iter().collect(),
                    s["Resource"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        on("dynamodb:"),
        [(
            [
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem"
            ]
            .map(String::from)
            .into(),
            json!({"Fn::Sub": "${StateTable.Arn}"})
        )]
    );
    let send: Vec<Value> = on("sqs:")
        .into_iter()
        .filter(|(a, _)| a.contains("sqs:SendMessage"))
        .map(|(a, r)| {
            assert_eq!(a.len(), 1, "{a:?}");
            r
        })
        .collect();
    assert_eq!(
        send,
        [
            json!({"Fn::Sub": "${ContinuationQueue.Arn}"}),
            json!({"Fn::Sub": "${FunctionDeadLetterQueue.Arn}"})
        ]
    );

    // Logs are kept, a year by default.
    let log_group = stack.resource("ReconcilerLogGroup");
    assert_eq!(log_group["DeletionPolicy"], "Retain");
    let retention = &template["Parameters"]["LogRetentionInDays"];
    assert!(retention["Default"].as_i64().expect("Default") >= 365);
    assert!(
        retention["AllowedValues"]
            .as_array()
            .expect("AllowedValues")
            .iter()
            .all(|d| d.as_i64().expect("days") >= 365)
    );
}

/// The release profile's lines of `Cargo.toml`, `key = value`, without comments.
fn release_profile() -> BTreeMap<String, String> {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    manifest
        .lines()
        .skip_while(|line| line.trim() != "[profile.release]")
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with('['))
        .filter_map(|line| {
            let (key, value) = line.split('#').next()?.split_once('=')?;
            Some((
                key.trim().to_owned(),
                value.trim().trim_matches('"').to_owned(),
            ))
        })
        .collect()
}

#[test]
fn sam_builds_the_function_binary_with_cargo_lambda_and_panics_that_unwind() {
    let template = load_yaml("template.yaml");
    let metadata = &template["Resources"]["ReconcilerFunction"]["Metadata"];
    assert_eq!(metadata["BuildMethod"], "rust-cargolambda");
    let binary = metadata["BuildProperties"]["Binary"]
        .as_str()
        .expect("Binary");
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    assert!(
        manifest.contains(&format!("[[bin]]\nname = \"{binary}\"")),
        "{binary} is not a binary of Cargo.toml"
    );
    // cargo lambda builds with panic=abort unless the profile names a strategy: the runtime could
    // then not report a panic as the invocation's error.
    let profile = release_profile();
    assert_eq!(
        profile.get("panic").map(String::as_str),
        Some("unwind"),
        "{profile:?}"
    );
    assert_eq!(
        profile.get("lto").map(String::as_str),
        Some("true"),
        "{profile:?}"
    );
}

#[test]
fn expected_services_reach_the_function_as_given_and_empty_by_default() {
    use marketplace_trusted_access::catalog::SERVICES;
    let template = load_yaml("template.yaml");
    let parameter = &template["Parameters"]["ExpectedServices"];
    assert_eq!(parameter["Type"], "String");
    assert_eq!(parameter["Default"], "");
    let description = parameter["Description"].as_str().expect("Description");
    for told in [
        "EXPECTED_SERVICES",
        "trusted-access-drift",
        "trusted-access-restored",
    ] {
        assert!(description.contains(told), "{told}: {description}");
    }
    let expected = |stack: &Rendered| {
        let variables = &stack.properties("ReconcilerFunction")["Environment"]["Variables"];
        assert_eq!(
            variables["EXPECTED_SERVICES"],
            json!({"Ref": "ExpectedServices"})
        );
        scalar(&variables["EXPECTED_SERVICES"], &stack.params)
    };

    // BY DEFAULT: empty, no comparison
    assert_eq!(expected(&main_stack(&[])), "");
    // WITH a list: passed through as given, for the function to validate at start-up
    let list = "guardduty.amazonaws.com,sso.amazonaws.com";
    assert_eq!(expected(&main_stack(&[("ExpectedServices", list)])), list);

    // The pattern refuses the usual typos at deploy time and accepts every principal the catalog
    // knows, alone or all together.
    let allowed = parameter["AllowedPattern"]
        .as_str()
        .expect("AllowedPattern");
    let principals: Vec<&str> = SERVICES
        .iter()
        .flat_map(|s| s.principals.iter().copied())
        .collect();
    assert!(principals.len() > 40, "{principals:?}");
    for principal in &principals {
        assert!(full_match(allowed, principal), "{principal}");
    }
    for ok in ["", list, &principals.join(",")] {
        assert!(full_match(allowed, ok), "{ok:?}");
    }
    for bad in [
        " ",
        "guardduty.amazonaws.com, sso.amazonaws.com",
        "GuardDuty.amazonaws.com",
        "guardduty",
        "guardduty.amazonaws.com,",
        ",guardduty.amazonaws.com",
        "guardduty.amazonaws.com;sso.amazonaws.com",
        "arn:aws:iam::123456789012:root",
    ] {
        assert!(!full_match(allowed, bad), "{bad:?}");
    }
}

#[test]
fn the_function_may_read_the_delegated_administrators_of_its_organization_only() {
    for given in [
        &[][..],
        &[("DryRun", "true")][..],
        &[
            ("OnDisable", "delete"),
            ("OnDeparture", "delete"),
            ("RetainMemberRoleOnDeparture", "true"),
        ][..],
    ] {
        let stack = main_stack(given);
        let statements = function_statements(&stack);
        let granting = |action: &str| -> Vec<Value> {
            statements
                .iter()
                .filter(|s| strings(&s["Action"]).iter().any(|a| a == action))
                .map(|s| resolve(s, &stack.params))
                .collect()
        };
        // ListDelegatedAdministrators has no resource type: "*", with the other reads of the
        // organization, and no condition.
        let list = granting("organizations:ListDelegatedAdministrators");
        assert_eq!(list.len(), 1, "{given:?}: {list:?}");
        assert_eq!(list[0]["Resource"], "*", "{given:?}");
        assert!(list[0].get("Condition").is_none(), "{given:?}");
        assert!(
            strings(&list[0]["Action"])
                .iter()
                .all(|a| a.starts_with("organizations:Describe")
                    || a.starts_with("organizations:List")),
            "{given:?}: {list:?}"
        );
        // ListDelegatedServicesForAccount: on the accounts of this organization only, alone.
        let services = granting("organizations:ListDelegatedServicesForAccount");
        assert_eq!(services.len(), 1, "{given:?}: {services:?}");
        assert_eq!(
            services[0]["Action"], "organizations:ListDelegatedServicesForAccount",
            "{given:?}"
        );
        assert_eq!(
            services[0]["Resource"],
            format!("arn:aws:organizations::{ACCOUNT}:account/o-exampleorgid/*"),
            "{given:?}"
        );
        assert!(services[0].get("Condition").is_none(), "{given:?}");
    }
}

// ------------------------------------------------------------------------------------------------
// The chat topic
// ------------------------------------------------------------------------------------------------

#[test]
fn the_chat_topic_exists_only_when_enabled_and_is_guarded_like_the_notification_topic() {
    let template = load_yaml("template.yaml");
    let parameter = &template["Parameters"]["ChatNotifications"];
    assert_eq!(parameter["Default"], "disabled");
    assert_eq!(parameter["AllowedValues"], json!(["enabled", "disabled"]));
    let grouped = template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
        .as_array()
        .expect("ParameterGroups")
        .iter()
        .any(|g| strings(&g["Parameters"]).contains(&"ChatNotifications".to_owned()));
    assert!(grouped, "ChatNotifications in no parameter group");
    assert_eq!(
        template["Outputs"]["ChatTopicArn"]["Condition"],
        "HasChatTopic"
    );

    let publish_targets = |stack: &Rendered| -> Vec<Value> {
        function_statements(stack)
            .into_iter()
            .filter(|s| strings(&s["Action"]).contains(&"sns:Publish".to_owned()))
            .map(|s| s["Resource"].clone())
            .collect()
    };
    for key in [None, Some(KEY)] {
        let mut given: Vec<(&str, &str)> = key.map(|k| ("KmsKeyArn", k)).into_iter().collect();

        // BY DEFAULT: no topic, no variable, no grant
        let off = main_stack(&given);
        for resource in ["ChatTopic", "ChatTopicPolicy"] {
            assert!(!off.resources.contains_key(resource), "{resource}");
        }
        let variables = &off.properties("ReconcilerFunction")["Environment"]["Variables"];
        assert!(variables.get("CHAT_TOPIC_ARN").is_none(), "{variables}");
        assert_eq!(publish_targets(&off), [json!({"Ref": "NotificationTopic"})]);

        // ENABLED: the topic, encrypted as the notification topic is, reaches the function
        given.push(("ChatNotifications", "enabled"));
        let on = main_stack(&given);
        assert_eq!(on.resource("ChatTopic")["Type"], "AWS::SNS::Topic");
        assert_eq!(
            on.properties("ChatTopic")["KmsMasterKeyId"],
            on.properties("NotificationTopic")["KmsMasterKeyId"],
            "{key:?}"
        );
        let variables = &on.properties("ReconcilerFunction")["Environment"]["Variables"];
        assert_eq!(variables["CHAT_TOPIC_ARN"], json!({"Ref": "ChatTopic"}));
        assert_eq!(
            publish_targets(&on),
            [
                json!({"Ref": "NotificationTopic"}),
                json!({"Ref": "ChatTopic"})
            ]
        );

        // AND its policy is the notification topic's, statement for statement: only the execution
        // role publishes, and nothing without TLS
        let chat = on.properties("ChatTopicPolicy");
        assert_eq!(chat["Topics"], json!([{"Ref": "ChatTopic"}]));
        let mirrored: Value = serde_json::from_str(
            &on.properties("NotificationTopicPolicy")["PolicyDocument"]
                .to_string()
                .replace("\"NotificationTopic\"", "\"ChatTopic\""),
        )
        .expect("JSON");
        assert_eq!(chat["PolicyDocument"], mirrored);
        let only = statements_of(&chat["PolicyDocument"])
            .into_iter()
            .find(|s| s["Sid"] == "OnlyTheReconcilerPublishes")
            .expect("OnlyTheReconcilerPublishes");
        assert_eq!(
            (&only["Effect"], &only["Principal"], &only["Action"]),
            (&json!("Deny"), &json!("*"), &json!("sns:Publish"))
        );
        assert_eq!(
            only["Condition"]["ArnNotEquals"]["aws:PrincipalArn"],
            json!({"Fn::Sub": "${ReconcilerFunctionRole.Arn}"})
        );
    }
}

#[test]
fn expected_delegated_admins_reach_the_function_as_given_and_empty_by_default() {
    let template = load_yaml("template.yaml");
    let parameter = &template["Parameters"]["ExpectedDelegatedAdmins"];
    assert_eq!(parameter["Default"], "");
    let description = parameter["Description"].as_str().expect("Description");
    for told in [
        "EXPECTED_DELEGATED_ADMINS",
        "delegated-admin-drift",
        "delegated-admin-restored",
    ] {
        assert!(description.contains(told), "{told}: {description}");
    }
    let given = |stack: &Rendered| {
        let variables = &stack.properties("ReconcilerFunction")["Environment"]["Variables"];
        scalar(&variables["EXPECTED_DELEGATED_ADMINS"], &stack.params)
    };
    assert_eq!(given(&main_stack(&[])), "");
    let pairs = "guardduty.amazonaws.com=111122223333,sso.amazonaws.com=";
    assert_eq!(
        given(&main_stack(&[("ExpectedDelegatedAdmins", pairs)])),
        pairs
    );
    // The pattern takes what the function reads, and refuses the usual typos at deploy time.
    let allowed = parameter["AllowedPattern"]
        .as_str()
        .expect("AllowedPattern");
    for value in ["", pairs, "storage-lens.s3.amazonaws.com=111122223333"] {
        assert!(full_match(allowed, value), "{value}");
        assert!(value.is_empty() || config::parse_expected_admins(value).is_ok());
    }
    for typo in [
        "guardduty.amazonaws.com",
        "guardduty.amazonaws.com=1111",
        "GuardDuty.amazonaws.com=111122223333",
        "guardduty.amazonaws.com=111122223333, sso.amazonaws.com=",
    ] {
        assert!(!full_match(allowed, typo), "{typo}");
    }
}
