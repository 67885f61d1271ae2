//! What the templates deploy follows their parameters. `template.yaml` and `member-role.yaml` are read
//! with a plain YAML parser and rendered the way CloudFormation would for a given set of parameter
//! values: `Conditions` evaluated (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`, `Ref`),
//! every `Fn::If` replaced by the branch it selects (`AWS::NoValue` removes the item), resources whose
//! `Condition` is false dropped, and the StackSet's parameters handed to the member template. The
//! `Rules`, the parameters' `AllowedPattern` (with the `regex` crate) and the
//! EventBridge patterns (against the samples in `events/`) are evaluated too.
//!
//! The rendering is `common::render`, shared with the least-privilege and template-action tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::render::*;

const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load_yaml(name: &str) -> Value {
    let path = root().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{name} is not plain YAML: {e}"))
}

fn load_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ------------------------------------------------------------------------------------------------
// Rendering
// ------------------------------------------------------------------------------------------------

// ------------------------------------------------------------------------------------------------
// Policies
// ------------------------------------------------------------------------------------------------

fn statements_of(document: &Value) -> Vec<Value> {
    match &document["Statement"] {
        Value::Array(items) => items.clone(),
        Value::Null => panic!("no Statement in {document}"),
        one => vec![one.clone()],
    }
}

/// The statements of the function's execution role, as written in `Policies`.
fn function_statements(stack: &Rendered) -> Vec<Value> {
    stack.properties("ReconcilerFunction")["Policies"]
        .as_array()
        .expect("Policies")
        .iter()
        .flat_map(statements_of)
        .collect()
}

/// The statements of every inline policy of an `AWS::IAM::Role`.
fn role_statements(stack: &Rendered, role: &str) -> Vec<Value> {
    stack.properties(role)["Policies"]
        .as_array()
        .expect("Policies")
        .iter()
        .flat_map(|p| statements_of(&p["PolicyDocument"]))
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().expect("a string").to_owned())
            .collect(),
        other => panic!("neither a string nor a list: {other}"),
    }
}

fn actions(statements: &[Value]) -> BTreeSet<String> {
    statements
        .iter()
        .flat_map(|s| strings(&s["Action"]))
        .collect()
}

const DELETE_ACTIONS: [&str; 2] = [
    "iam:DeleteServiceLinkedRole",
    "iam:GetServiceLinkedRoleDeletionStatus",
];

#[test]
fn deletion_is_granted_only_when_a_removal_is_delete_and_creation_never_in_a_dry_run() {
    let mut seen_delete = false;
    let mut seen_no_delete = false;
    for on_disable in ["retain", "delete"] {
        for on_departure in ["retain", "delete"] {
            for dry_run in ["false", "true"] {
                // GIVEN a configuration the template accepts
                let retain = if on_departure == "delete" {
                    "true"
                } else {
                    "false"
                };
                let main = main_stack(&[
                    ("OnDisable", on_disable),
                    ("OnDeparture", on_departure),
                    ("DryRun", dry_run),
                    ("RetainMemberRoleOnDeparture", retain),
                ]);
                let member = member_stack(&main);
                let case =
                    format!("OnDisable={on_disable} OnDeparture={on_departure} DryRun={dry_run}");
                let function = actions(&function_statements(&main));
                let member_role = actions(&role_statements(&member, "MemberRole"));

                // THEN the delete statements exist in both roles exactly when a removal is `delete`
                // (and the run is not a dry run, which never deletes)
                let deletes =
                    (on_disable == "delete" || on_departure == "delete") && dry_run == "false";
                for action in DELETE_ACTIONS {
                    assert_eq!(
                        function.contains(action),
                        deletes,
                        "function, {action}, {case}"
                    );
                    assert_eq!(
                        member_role.contains(action),
                        deletes,
                        "member role, {action}, {case}"
                    );
                }
                seen_delete |= deletes;
                seen_no_delete |= !deletes;
                // AND reading one account (a join or departure, the re-check before a delete) is
                // always granted
                assert!(function.contains("organizations:DescribeAccount"), "{case}");
                // AND creation is granted unless DRY_RUN=true
                for (holder, granted) in [("function", &function), ("member role", &member_role)] {
                    assert_eq!(
                        granted.contains("iam:CreateServiceLinkedRole"),
                        dry_run == "false",
                        "{holder}, {case}"
                    );
                    // AND observing the role is always granted
                    assert!(granted.contains("iam:GetRole"), "{holder}, {case}");
                }
            }
        }
    }
    assert!(seen_delete && seen_no_delete);
}

#[test]
fn role_assumption_is_tied_to_the_organization_and_to_a_traceable_session_name() {
    let org = REQUIRED[0].1;
    for (on_departure, retain, reaches_departed) in [
        ("retain", "false", false),
        ("retain", "true", false),
        ("delete", "true", true),
    ] {
        let main = main_stack(&[
            ("OnDeparture", on_departure),
            ("RetainMemberRoleOnDeparture", retain),
        ]);
        let assume: Vec<Value> = function_statements(&main)
            .into_iter()
            .filter(|s| strings(&s["Action"]).contains(&"sts:AssumeRole".to_owned()))
            .collect();
        assert_eq!(assume.len(), 1, "{assume:?}");
        let condition = resolve(&assume[0]["Condition"], &main.params);
        // The session name carries the Lambda request id: mta-<request id>.
        assert_eq!(condition["StringLike"]["sts:RoleSessionName"], "mta-*");
        // Only the organization's accounts, unless accounts that left must be reached.
        let org_condition = condition["StringEquals"]["aws:ResourceOrgID"].clone();
        if reaches_departed {
            assert!(org_condition.is_null(), "{condition}");
        } else {
            assert_eq!(
                org_condition, org,
                "OnDeparture={on_departure} Retain={retain}"
            );
        }

        // The member role trusts the execution role only, from the organization, with that session name.
        let member = member_stack(&main);
        let trust = resolve(
            &member.properties("MemberRole")["AssumeRolePolicyDocument"],
            &member.params,
        );
        let statements = statements_of(&trust);
        assert_eq!(statements.len(), 1);
        let trust = &statements[0];
        assert_eq!(trust["Principal"], json!({"AWS": EXECUTION_ROLE}));
        assert_eq!(trust["Action"], "sts:AssumeRole");
        assert_eq!(
            trust["Condition"]["StringEquals"]["aws:PrincipalOrgID"],
            org
        );
        assert_eq!(
            trust["Condition"]["StringLike"]["sts:RoleSessionName"],
            "mta-*"
        );
    }
    // The shape of a session name the code will use fits both the condition and STS's 64 characters.
    let session = "mta-3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b";
    assert!(session.starts_with("mta-") && session.len() <= 64);
}

#[test]
fn every_policy_statement_is_plain_once_the_conditions_are_evaluated() {
    // What the least-privilege tests resolve: only `Ref` and the string form of `Fn::Sub`.
    fn intrinsics(value: &Value, found: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    if k.starts_with("Fn::") || k == "Ref" {
                        found.insert(k.clone());
                    }
                    intrinsics(v, found);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| intrinsics(v, found)),
            _ => {}
        }
    }
    let main = main_stack(&[
        ("OnDisable", "delete"),
        ("OnDeparture", "delete"),
        ("RetainMemberRoleOnDeparture", "true"),
        ("KmsKeyArn", KEY),
    ]);
    let member = member_stack(&main);
    let mut found = BTreeSet::new();
    for statement in function_statements(&main)
        .iter()
        .chain(&role_statements(&member, "MemberRole"))
    {
        intrinsics(statement, &mut found);
        assert_eq!(statement["Effect"], "Allow", "{statement}");
        assert!(statement["Sid"].is_string(), "{statement}");
    }
    let allowed: BTreeSet<String> = ["Fn::Sub", "Ref"].map(String::from).into();
    assert!(found.is_subset(&allowed), "{found:?}");
    assert!(found.contains("Fn::Sub"));
}

// ------------------------------------------------------------------------------------------------
// Rules
// ------------------------------------------------------------------------------------------------

/// The descriptions of the template `Rules` assertions that fail with these parameters.
fn refusals(template: &Value, params: &Params) -> Vec<String> {
    let conditions = &template["Conditions"];
    let mut refused = Vec::new();
    for (name, rule) in template["Rules"].as_object().expect("Rules") {
        if let Some(when) = rule.get("RuleCondition")
            && !condition(when, params, conditions)
        {
            continue;
        }
        for assertion in rule["Assertions"].as_array().expect("Assertions") {
            if !condition(&assertion["Assert"], params, conditions) {
                refused.push(format!(
                    "{name}: {}",
                    assertion["AssertDescription"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    refused
}

#[test]
fn the_template_refuses_departure_deletion_without_a_retained_member_role() {
    let template = load_yaml("template.yaml");
    let refused = |given: &[(&str, &str)]| refusals(&template, &main_params(given));

    // WHEN OnDeparture=delete and the member role would leave with the account: refused
    let refused_alone = refused(&[
        ("OnDeparture", "delete"),
        ("RetainMemberRoleOnDeparture", "false"),
    ]);
    assert_eq!(refused_alone.len(), 1, "{refused_alone:?}");
    assert!(
        refused_alone[0].contains("RetainMemberRoleOnDeparture=true"),
        "{refused_alone:?}"
    );
    // WHEN the member role stays: accepted
    assert!(
        refused(&[
            ("OnDeparture", "delete"),
            ("RetainMemberRoleOnDeparture", "true")
        ])
        .is_empty()
    );
    // WHEN the role is retained on departure: accepted either way, as are the defaults
    for retain in ["true", "false"] {
        assert!(
            refused(&[
                ("OnDeparture", "retain"),
                ("RetainMemberRoleOnDeparture", retain)
            ])
            .is_empty()
        );
    }
    assert!(refused(&[]).is_empty());
    // AND another region is refused too (the evaluator reads pseudo parameters)
    let mut elsewhere = main_params(&[]);
    elsewhere.insert("AWS::Region".into(), "eu-west-1".into());
    let refused_region = refusals(&template, &elsewhere);
    assert_eq!(refused_region.len(), 1, "{refused_region:?}");
    assert!(refused_region[0].starts_with("OnlyUsEast1"));
}

// ------------------------------------------------------------------------------------------------
// Alarms
// ------------------------------------------------------------------------------------------------

/// The queues that are some sender's dead-letter queue: a redrive target, an EventBridge or
/// Scheduler `DeadLetterConfig`, or Lambda's `OnFailure` destination.
fn dead_letter_queues(stack: &Rendered) -> BTreeSet<String> {
    const PLACES: [[&str; 2]; 3] = [
        ["RedrivePolicy", "deadLetterTargetArn"],
        ["DeadLetterConfig", "Arn"],
        ["OnFailure", "Destination"],
    ];
    fn collect(value: &Value, path: &mut Vec<String>, found: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                let place = path.len() >= 2 && PLACES.iter().any(|p| path[path.len() - 2..] == *p);
                if place && let Some(target) = map.get("Fn::GetAtt") {
                    assert_eq!(target[1], "Arn", "{value}");
                    found.insert(target[0].as_str().expect("a name").to_owned());
                }
                for (k, v) in map {
                    path.push(k.clone());
                    collect(v, path, found);
                    path.pop();
                }
            }
            Value::Array(items) => items.iter().for_each(|v| collect(v, path, found)),
            _ => {}
        }
    }
    let mut found = BTreeSet::new();
    for resource in stack.resources.values() {
        collect(resource, &mut Vec::new(), &mut found);
    }
    for queue in &found {
        assert_eq!(stack.resource(queue)["Type"], "AWS::SQS::Queue", "{queue}");
    }
    found
}

/// (namespace, metric, dimension name, dimension value, comparison, threshold) of each alarm.
fn alarms(stack: &Rendered) -> BTreeMap<String, (String, String, String, Value, String, f64)> {
    stack
        .of_type("AWS::CloudWatch::Alarm")
        .into_iter()
        .map(|name| {
            let p = stack.properties(&name);
            let dimensions = p["Dimensions"].as_array().expect("Dimensions");
            assert_eq!(dimensions.len(), 1, "{name}: one dimension");
            // Every alarm notifies the alarm topic, when it fires and when it clears.
            assert_eq!(p["AlarmActions"], json!([{"Ref": "AlarmTopic"}]), "{name}");
            assert_eq!(p["OKActions"], json!([{"Ref": "AlarmTopic"}]), "{name}");
            assert_eq!(p["TreatMissingData"], "notBreaching", "{name}");
            let entry = (
                p["Namespace"].as_str().expect("Namespace").to_owned(),
                p["MetricName"].as_str().expect("MetricName").to_owned(),
                dimensions[0]["Name"].as_str().expect("Name").to_owned(),
                dimensions[0]["Value"].clone(),
                p["ComparisonOperator"]
                    .as_str()
                    .expect("ComparisonOperator")
                    .to_owned(),
                p["Threshold"].as_f64().expect("Threshold"),
            );
            (name, entry)
        })
        .collect()
}

#[test]
fn every_alarm_watches_its_metric_and_notifies_the_alarm_topic() {
    let stack = main_stack(&[]);
    let alarms = alarms(&stack);
    let watched: BTreeSet<(String, String, String, String)> = alarms
        .values()
        .map(|(ns, m, dn, dv, _, _)| (ns.clone(), m.clone(), dn.clone(), dv.to_string()))
        .collect();
    let function = json!({"Ref": "ReconcilerFunction"});
    let has = |ns: &str, metric: &str, dimension: &str, value: &Value| {
        watched.contains(&(
            ns.into(),
            metric.into(),
            dimension.into(),
            value.to_string(),
        ))
    };

    // Every dead-letter queue: any message visible.
    let queues = dead_letter_queues(&stack);
    assert_eq!(
        queues,
        [
            "ContinuationDeadLetterQueue",
            "EventDeliveryDeadLetterQueue",
            "FunctionDeadLetterQueue"
        ]
        .map(String::from)
        .into()
    );
    for queue in &queues {
        let value = json!({"Fn::GetAtt": [queue, "QueueName"]});
        let alarm = alarms
            .values()
            .find(|(ns, m, _, v, _, _)| {
                ns == "AWS/SQS" && m == "ApproximateNumberOfMessagesVisible" && *v == value
            })
            .unwrap_or_else(|| panic!("no alarm on {queue}"));
        assert_eq!(
            (alarm.4.as_str(), alarm.5),
            ("GreaterThanThreshold", 0.0),
            "{queue}"
        );
    }
    // The function: Errors, AsyncEventsDropped and RecursiveInvocationsDropped.
    assert!(has("AWS/Lambda", "Errors", "FunctionName", &function));
    assert!(has(
        "AWS/Lambda",
        "AsyncEventsDropped",
        "FunctionName",
        &function
    ));
    assert!(has(
        "AWS/Lambda",
        "RecursiveInvocationsDropped",
        "FunctionName",
        &function
    ));
    // Every EventBridge rule: FailedInvocations.
    let rules = stack.of_type("AWS::Events::Rule");
    assert_eq!(rules.len(), 2, "{rules:?}");
    for rule in &rules {
        assert!(
            has(
                "AWS/Events",
                "FailedInvocations",
                "RuleName",
                &json!({"Ref": rule})
            ),
            "{rule}"
        );
    }
    // The function's own metric: at least one account failed.
    assert!(has(
        "MarketplaceTrustedAccess",
        "AccountsFailed",
        "FunctionName",
        &function
    ));
    // Counts fire on the first occurrence.
    for (name, (_, metric, _, _, comparison, threshold)) in &alarms {
        if metric != "ApproximateNumberOfMessagesVisible" {
            assert_eq!(
                (comparison.as_str(), *threshold),
                ("GreaterThanOrEqualToThreshold", 1.0),
                "{name}"
            );
        }
    }
    // Nothing else, nothing twice.
    assert_eq!(alarms.len(), queues.len() + 3 + rules.len() + 1);
    assert_eq!(watched.len(), alarms.len());

    // The alarm topic takes CloudWatch's messages, and an optional e-mail subscription.
    let policy = resolve(
        &stack.properties("AlarmTopicPolicy")["PolicyDocument"],
        &stack.params,
    );
    assert!(statements_of(&policy).iter().any(|s| s["Effect"] == "Allow"
        && s["Principal"] == json!({"Service": "cloudwatch.amazonaws.com"})
        && s["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT));
    assert!(!stack.resources.contains_key("AlarmSubscription"));
    let subscribed = main_stack(&[("AlarmEmail", "oncall@example.com")]);
    assert_eq!(
        subscribed.properties("AlarmSubscription")["TopicArn"],
        json!({"Ref": "AlarmTopic"})
    );
}

// ------------------------------------------------------------------------------------------------
// Encryption
// ------------------------------------------------------------------------------------------------

#[test]
fn encryption_uses_the_customer_managed_key_when_given_and_aws_managed_keys_otherwise() {
    let key = json!({"Ref": "KmsKeyArn"});
    let kms_actions = |stack: &Rendered| -> BTreeSet<String> {
        function_statements(stack)
            .iter()
            .chain(&role_statements(stack, "SweepSchedulerRole"))
            .flat_map(|s| strings(&s["Action"]))
            .filter(|a| a.starts_with("kms:"))
            .collect()
    };

    // WITH a key: every topic, queue, the table, the log group and the function's environment
    let with = main_stack(&[("KmsKeyArn", KEY)]);
    assert_eq!(scalar(&key, &with.params), KEY);
    for topic in with.of_type("AWS::SNS::Topic") {
        assert_eq!(with.properties(&topic)["KmsMasterKeyId"], key, "{topic}");
    }
    let queues = with.of_type("AWS::SQS::Queue");
    assert_eq!(queues.len(), 4, "{queues:?}");
    for queue in &queues {
        let p = with.properties(queue);
        assert_eq!(p["KmsMasterKeyId"], key, "{queue}");
        assert!(p.get("SqsManagedSseEnabled").is_none(), "{queue}");
    }
    let sse = &with.properties("StateTable")["SSESpecification"];
    assert_eq!(
        (&sse["SSEEnabled"], &sse["SSEType"]),
        (&json!(true), &json!("KMS"))
    );
    assert_eq!(sse["KMSMasterKeyId"], key);
    assert_eq!(with.properties("ReconcilerLogGroup")["KmsKeyId"], key);
    assert_eq!(with.properties("ReconcilerFunction")["KmsKeyArn"], key);
    // AND the roles that write through SQS, SNS and DynamoDB may use the key through them only
    assert!(kms_actions(&with).contains("kms:GenerateDataKey"));
    for statement in function_statements(&with)
        .iter()
        .chain(&role_statements(&with, "SweepSchedulerRole"))
        .filter(|s| strings(&s["Action"]).iter().any(|a| a.starts_with("kms:")))
    {
        assert_eq!(statement["Resource"], key, "{statement}");
        assert!(
            statement["Condition"]["StringEquals"]["kms:ViaService"].is_array()
                || statement["Condition"]["StringEquals"]["kms:ViaService"].is_object(),
            "{statement}"
        );
    }

    // WITHOUT a key: AWS managed keys where the service allows one
    let without = main_stack(&[]);
    assert_eq!(
        without.properties("NotificationTopic")["KmsMasterKeyId"],
        "alias/aws/sns"
    );
    // CloudWatch cannot publish to a topic under alias/aws/sns (checkov suppression in the template).
    assert!(
        without
            .properties("AlarmTopic")
            .get("KmsMasterKeyId")
            .is_none()
    );
    for queue in without.of_type("AWS::SQS::Queue") {
        let p = without.properties(&queue);
        if queue == "EventDeliveryDeadLetterQueue" {
            // EventBridge cannot write to a queue under alias/aws/sqs: SQS managed encryption.
            assert_eq!(p["SqsManagedSseEnabled"], true, "{queue}");
            assert!(p.get("KmsMasterKeyId").is_none(), "{queue}");
        } else {
            assert_eq!(p["KmsMasterKeyId"], "alias/aws/sqs", "{queue}");
        }
    }
    let sse = &without.properties("StateTable")["SSESpecification"];
    assert_eq!(
        (&sse["SSEEnabled"], &sse["SSEType"]),
        (&json!(true), &json!("KMS"))
    );
    assert!(sse.get("KMSMasterKeyId").is_none(), "aws/dynamodb: {sse}");
    assert!(
        without
            .properties("ReconcilerLogGroup")
            .get("KmsKeyId")
            .is_none()
    );
    assert!(
        without
            .properties("ReconcilerFunction")
            .get("KmsKeyArn")
            .is_none()
    );
    assert!(
        kms_actions(&without).is_empty(),
        "{:?}",
        kms_actions(&without)
    );
}

#[test]
fn the_permissions_boundary_applies_to_every_role() {
    let boundary = "arn:aws:iam::123456789012:policy/org/workload-boundary";
    let with = main_stack(&[("PermissionsBoundaryArn", boundary)]);
    let without = main_stack(&[]);
    let reference = json!({"Ref": "PermissionsBoundaryArn"});
    assert_eq!(
        with.properties("ReconcilerFunction")["PermissionsBoundary"],
        reference
    );
    assert_eq!(
        with.properties("SweepSchedulerRole")["PermissionsBoundary"],
        reference
    );
    assert!(
        without
            .properties("ReconcilerFunction")
            .get("PermissionsBoundary")
            .is_none()
    );
    assert!(
        without
            .properties("SweepSchedulerRole")
            .get("PermissionsBoundary")
            .is_none()
    );
    // The scheduler role is the only role declared here beside SAM's execution role.
    assert_eq!(with.of_type("AWS::IAM::Role"), ["SweepSchedulerRole"]);
    // The member role gets the policy of the same path and name in its own account.
    let member = member_stack(&with);
    let set = member.properties("MemberRole")["PermissionsBoundary"].clone();
    let sub = set["Fn::Sub"].as_array().expect("Fn::Sub with variables");
    assert_eq!(
        sub[0],
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:${PolicyPathAndName}"
    );
    let select = &sub[1]["PolicyPathAndName"]["Fn::Select"];
    let index = select[0].as_u64().expect("index") as usize;
    let source = scalar(&select[1]["Fn::Split"][1], &member.params);
    let separator = select[1]["Fn::Split"][0].as_str().expect("separator");
    assert_eq!(
        source.split(separator).nth(index),
        Some("policy/org/workload-boundary")
    );
    assert!(
        member_stack(&without)
            .properties("MemberRole")
            .get("PermissionsBoundary")
            .is_none()
    );
}

// ------------------------------------------------------------------------------------------------
// Scope: the organization root only
// ------------------------------------------------------------------------------------------------

/// Whether a parameter's `AllowedPattern` accepts a whole value, as CloudFormation applies it.
fn full_match(pattern: &str, text: &str) -> bool {
    regex::Regex::new(&format!("^(?:{pattern})$"))
        .unwrap_or_else(|e| panic!("{pattern:?} is not a regular expression: {e}"))
        .is_match(text)
}

#[test]
fn only_the_organization_root_is_accepted_as_the_stackset_target() {
    let template = load_yaml("template.yaml");
    let parameter = &template["Parameters"]["TargetOrganizationalUnitIds"];
    // One value, not a list: the StackSet targets exactly one root.
    assert_eq!(parameter["Type"], "String");
    let allowed = parameter["AllowedPattern"]
        .as_str()
        .expect("AllowedPattern");
    for root in [
        "r-ab12",
        "r-0a1b2c3d4e5f",
        "r-abcdefghijklmnopqrstuvwxyz012345",
    ] {
        assert!(full_match(allowed, root), "{root}");
    }
    for not_root in [
        "",
        "r-",
        "r-ab1",
        "r-AB12",
        "ou-ab12-cdefghij",
        "r-ab12,ou-ab12-cdefghij",
        "r-ab12 ",
        "o-abcdefghij",
        "r-abcdefghijklmnopqrstuvwxyz0123456",
    ] {
        assert!(!full_match(allowed, not_root), "{not_root:?}");
    }
    // And the StackSet deploys to that root and nothing else.
    let stack = main_stack(&[]);
    let groups = stack.properties("MemberRoleStackSet")["StackInstancesGroup"]
        .as_array()
        .expect("StackInstancesGroup");
    assert_eq!(groups.len(), 1);
    assert_eq!(
        groups[0]["DeploymentTargets"],
        json!({"OrganizationalUnitIds": [{"Ref": "TargetOrganizationalUnitIds"}]})
    );
    // The organization id that conditions role assumption has a pattern too.
    let org = template["Parameters"]["OrganizationId"]["AllowedPattern"]
        .as_str()
        .expect("AllowedPattern");
    assert!(full_match(org, "o-exampleorgid"));
    assert!(!full_match(org, "r-ab12"));
}

// ------------------------------------------------------------------------------------------------
// EventBridge: the StackSet instance rule
// ------------------------------------------------------------------------------------------------

/// Whether an EventBridge pattern matches an event (the comparisons the templates use: values,
/// `prefix` and `exists`).
fn pattern_matches(pattern: &Value, event: &Value) -> bool {
    pattern
        .as_object()
        .expect("a pattern object")
        .iter()
        .all(|(key, expected)| {
            let actual = event.get(key);
            match expected {
                Value::Object(_) => {
                    actual.is_some_and(|a| a.is_object() && pattern_matches(expected, a))
                }
                Value::Array(alternatives) => {
                    alternatives.iter().any(|alt| value_matches(alt, actual))
                }
                other => panic!("unsupported pattern value {other}"),
            }
        })
}

fn value_matches(alternative: &Value, actual: Option<&Value>) -> bool {
    if let Some(Value::Array(items)) = actual {
        return items
            .iter()
            .any(|item| value_matches(alternative, Some(item)));
    }
    match alternative {
        Value::Object(map) if map.contains_key("exists") => {
            map["exists"].as_bool().expect("exists: bool") == actual.is_some()
        }
        Value::Object(map) if map.contains_key("prefix") => {
            let prefix = map["prefix"].as_str().expect("a prefix");
            actual
                .and_then(Value::as_str)
                .is_some_and(|a| a.starts_with(prefix))
        }
        Value::Object(map) => panic!("unsupported comparison {map:?}"),
        literal => actual == Some(literal),
    }
}

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
