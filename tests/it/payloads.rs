//! Generated payloads for the property tests and for `make fuzz`: arbitrary JSON, and JSON shaped
//! like what the function is invoked with (EventBridge envelopes of the event types it handles,
//! continuations, queue records, commands), with every value free to be of any type. Field names
//! and values are drawn from the vocabulary of the real events, so that generated payloads reach
//! the parser's deep paths rather than its first "not an EventBridge event".

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

const KEYS: &[&str] = &[
    "detail-type",
    "source",
    "detail",
    "id",
    "account",
    "resources",
    "eventName",
    "eventID",
    "eventTime",
    "errorCode",
    "errorMessage",
    "userIdentity",
    "type",
    "arn",
    "accountId",
    "invokedBy",
    "principalId",
    "sessionContext",
    "sessionIssuer",
    "sourceIPAddress",
    "userAgent",
    "recipientAccountId",
    "requestParameters",
    "responseElements",
    "serviceEventDetails",
    "additionalEventData",
    "servicePrincipal",
    "accountDepartedOrganizationDetails",
    "accountJoinedOrganizationDetails",
    "departedMethod",
    "departureMethod",
    "joinedMethod",
    "createAccountStatus",
    "state",
    "failureReason",
    "handshake",
    "parties",
    "ARN",
    "stack-id",
    "stack-set-arn",
    "action",
    "status-details",
    "detailed-status",
    "status-reason",
    "command",
    "dryRun",
    "accounts",
    "continuation",
    "attempt",
    "trigger",
    "eventId",
    "Records",
    "eventSource",
    "body",
];

const WORDS: &[&str] = &[
    "AWS API Call via CloudTrail",
    "AWS Service Event via CloudTrail",
    "CloudFormation StackSet StackInstance Status Change",
    "Scheduled Event",
    "aws.organizations",
    "aws.cloudformation",
    "aws.events",
    "aws.scheduler",
    "aws:sqs",
    "EnableAWSServiceAccess",
    "DisableAWSServiceAccess",
    "RemoveAccountFromOrganization",
    "AccountDepartedOrganization",
    "AccountJoinedOrganization",
    "CreateAccountResult",
    "AcceptHandshake",
    marketplace_trusted_access::service::MARKETPLACE.principal,
    "sso.amazonaws.com",
    "SUCCEEDED",
    "FAILED",
    "FAILED_IMPORT",
    "INOPERABLE",
    "CANCELLED",
    "SKIPPED_SUSPENDED_ACCOUNT",
    "CREATE",
    "UPDATE",
    "DELETE",
    "DETECT_DRIFT",
    "LEFT",
    "REMOVED",
    "CLEANED",
    "INVITED",
    "CREATED",
    "Root",
    "IAMUser",
    "AssumedRole",
    "ACCOUNT",
    "reconcile",
    "123456789012",
    "210987654321",
    "arn:aws:organizations::123456789012:account/o-exampleorgid/210987654321",
    "arn:aws:cloudformation:us-east-1:210987654321:stack/StackSet-x/1",
    "arn:aws:",
    "é",
    "",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(KEYS).prop_map(str::to_string),
        1 => "\\PC{0,12}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        4 => select(WORDS).prop_map(Value::from),
        2 => "\\PC{0,40}".prop_map(Value::from),
        1 => "[0-9]{10,14}".prop_map(Value::from),
    ]
}

/// Any JSON value, a few levels deep.
pub fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn eventbridge() -> impl Strategy<Value = Value> {
    (
        leaf(),
        leaf(),
        leaf(),
        prop::collection::vec(leaf(), 0..3),
        json(),
        leaf(),
    )
        .prop_map(|(detail_type, source, name, resources, mut detail, id)| {
            if let Value::Object(map) = &mut detail {
                map.insert("eventName".into(), name);
            }
            json!({
                "version": "0", "id": id, "detail-type": detail_type, "source": source,
                "account": "123456789012", "region": "us-east-1", "resources": resources,
                "detail": detail,
            })
        })
}

fn continuation() -> impl Strategy<Value = Value> {
    (
        leaf(),
        leaf(),
        prop::collection::vec(leaf(), 0..4),
        leaf(),
        any::<bool>(),
    )
        .prop_map(|(attempt, event_id, accounts, dry_run, queued)| {
            let request = json!({"continuation": {
                "trigger": "schedule", "eventId": event_id, "attempt": attempt,
                "accounts": accounts, "dryRun": dry_run,
            }});
            if queued {
                json!({"Records": [{"eventSource": "aws:sqs", "body": request.to_string()}]})
            } else {
                request
            }
        })
}

fn command() -> impl Strategy<Value = Value> {
    (leaf(), leaf(), json())
        .prop_map(|(command, dry_run, accounts)| {
            json!({"command": command, "dryRun": dry_run, "accounts": accounts})
        })
}

/// A payload the function could be invoked with: any JSON, or JSON of the shapes it handles.
pub fn payload() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => json(),
        3 => eventbridge(),
        1 => continuation(),
        1 => command(),
    ]
}
