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

pub(crate) const KEY: &str =
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn load_yaml(name: &str) -> Value {
    let path = root().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{name} is not plain YAML: {e}"))
}

pub(crate) fn load_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ------------------------------------------------------------------------------------------------
// Rendering
// ------------------------------------------------------------------------------------------------

// ------------------------------------------------------------------------------------------------
// Policies
// ------------------------------------------------------------------------------------------------

pub(crate) fn statements_of(document: &Value) -> Vec<Value> {
    match &document["Statement"] {
        Value::Array(items) => items.clone(),
        Value::Null => panic!("no Statement in {document}"),
        one => vec![one.clone()],
    }
}

/// The statements of the function's execution role, as written in `Policies`.
pub(crate) fn function_statements(stack: &Rendered) -> Vec<Value> {
    stack.properties("ReconcilerFunction")["Policies"]
        .as_array()
        .expect("Policies")
        .iter()
        .flat_map(statements_of)
        .collect()
}

/// The statements of every inline policy of an `AWS::IAM::Role`.
pub(crate) fn role_statements(stack: &Rendered, role: &str) -> Vec<Value> {
    stack.properties(role)["Policies"]
        .as_array()
        .expect("Policies")
        .iter()
        .flat_map(|p| statements_of(&p["PolicyDocument"]))
        .collect()
}

pub(crate) fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().expect("a string").to_owned())
            .collect(),
        other => panic!("neither a string nor a list: {other}"),
    }
}

pub(crate) fn actions(statements: &[Value]) -> BTreeSet<String> {
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
pub(crate) fn full_match(pattern: &str, text: &str) -> bool {
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
