//! Event intake: turns whatever the function was invoked with into a [`Trigger`], or says why it is
//! ignored (docs/design.md, "Triggers").
//!
//! CloudTrail records are read leniently from JSON rather than through a strict struct: real records
//! lack `userIdentity.type` (service events), `requestID` (`CreateAccountResult`) or spell the departure
//! method two ways, and the parser must accept all of them and never panic on anything.

mod cloudtrail;
mod direct;
mod origin;
mod stack_set;

use crate::catalog;
use crate::ports::ContinuationRequest;
use crate::principal::{Principal, is_principal};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use cloudtrail::parse_cloudtrail;
use direct::{parse_command, parse_continuation, parse_queue};
pub use origin::{MadeBy, Origin};
use serde::Deserialize;
use serde_json::Value;
use stack_set::parse_stack_instance;

/// An invocation, understood.
#[derive(Debug, Clone, PartialEq)]
pub struct Intake {
    /// The name the report gives the trigger (`EnableAWSServiceAccess`, `schedule`, `command`, …).
    pub name: String,
    /// The CloudTrail `eventID` or the EventBridge `id`.
    pub event_id: Option<String>,
    /// The account whose trail recorded the event; it must be the management account.
    pub recorded_in: Option<String>,
    /// What to do with it.
    pub kind: Kind,
}

/// Whether an invocation is handled, and how.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Handle(Trigger),
    /// Ignored, with the reason the report gives.
    Ignore(String),
}

/// What happened, as far as the event says. It tells the function *where to look*; what is true is
/// read from Organizations.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// Trusted access for a service was turned on (`enabled`) or off. For the service whose role
    /// the function keeps (its catalog entry's `keeps_role`: AWS Marketplace), the accounts are
    /// reconciled; every other service is observed and told, never acted on.
    TrustedAccess {
        principal: Principal,
        enabled: bool,
        origin: Origin,
    },
    /// A delegated administrator was registered (`registered`) or deregistered for a service.
    DelegatedAdmin {
        principal: Principal,
        account_id: String,
        registered: bool,
        origin: Origin,
    },
    /// The organization's resource-based delegation policy was put (`deleted` false) or deleted.
    /// `principal` is Organizations' own, the service the policy delegates; what the policy says
    /// is read from `DescribeResourcePolicy`, never from the event.
    DelegationPolicy {
        principal: Principal,
        deleted: bool,
        origin: Origin,
    },
    /// An account was removed or left.
    AccountDeparted {
        account_id: String,
        method: DepartureMethod,
        origin: Origin,
    },
    /// An account joined or was created.
    AccountJoined {
        account_id: String,
        /// How, when the record says (`joinedMethod`) or its event implies it.
        method: Option<JoinedMethod>,
        origin: Origin,
    },
    /// The member-role StackSet finished deploying to an account (`succeeded`), or failed to.
    MemberRoleDeployed {
        /// The account of the stack in `stack-id`: always known when it succeeded; a failure may
        /// come before the stack exists, and is told all the same.
        account_id: Option<String>,
        succeeded: bool,
        /// CloudFormation's `status-reason`.
        reason: Option<String>,
        /// The StackSet's ARN (`stack-set-arn`).
        stack_set: Option<String>,
    },
    /// The rest of a run cut short, handed on by an earlier invocation.
    Continuation(ContinuationRequest),
    /// The scheduled sweep.
    Sweep,
    /// An operator's direct request.
    Command {
        dry_run: bool,
        accounts: Option<Vec<String>>,
    },
}

/// How an account left the organization. Sources spell it differently (`departedMethod` or
/// `departureMethod`; `LEFT`, `REMOVED`, `CLEANED` in the Organizations API model, `Left`,
/// `Removed` in older text), so it is read leniently (events/README.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepartureMethod {
    /// The management account removed it.
    Removed,
    /// The account left on its own (`LeaveOrganization`).
    Left,
    /// The account was closed, and removed for good (`CLEANED`).
    Closed,
    /// Another spelling, kept as given.
    Other(String),
    /// The record did not say.
    Unknown,
}

impl DepartureMethod {
    pub fn parse(text: &str) -> DepartureMethod {
        let lower = text.to_ascii_lowercase();
        match lower.as_str() {
            "removed" | "remove" => DepartureMethod::Removed,
            "left" | "leave" => DepartureMethod::Left,
            "" => DepartureMethod::Unknown,
            "cleaned" => DepartureMethod::Closed,
            _ if lower.contains("clos") => DepartureMethod::Closed,
            _ => DepartureMethod::Other(text.to_string()),
        }
    }
}

impl std::fmt::Display for DepartureMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DepartureMethod::Removed => "Removed",
            DepartureMethod::Left => "Left",
            DepartureMethod::Closed => "Closed",
            DepartureMethod::Other(text) => text,
            DepartureMethod::Unknown => "unknown",
        })
    }
}

/// How an account joined the organization: `joinedMethod`, `INVITED` or `CREATED` in the
/// Organizations API model (`Invited`, `Created` in older text), read case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinedMethod {
    /// It accepted an invitation (a handshake).
    Invited,
    /// It was created in the organization.
    Created,
    /// Another spelling, kept as given.
    Other(String),
}

impl JoinedMethod {
    pub fn parse(text: &str) -> JoinedMethod {
        match text.to_ascii_lowercase().as_str() {
            "invited" | "invite" => JoinedMethod::Invited,
            "created" | "create" => JoinedMethod::Created,
            _ => JoinedMethod::Other(text.to_string()),
        }
    }
}

impl std::fmt::Display for JoinedMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            JoinedMethod::Invited => "it accepted the organization's invitation",
            JoinedMethod::Created => "it was created in the organization",
            JoinedMethod::Other(text) => text,
        })
    }
}

/// Understands any JSON payload. Never fails: what cannot be used is ignored with a reason.
pub fn parse(payload: &Value) -> Intake {
    if payload.get("command").is_some() {
        return parse_command(payload);
    }
    if let Some(request) = payload.get("continuation") {
        return parse_continuation(request);
    }
    if let Some(records) = payload.get("Records").and_then(Value::as_array) {
        return parse_queue(records);
    }
    if payload.get("detail-type").is_some() {
        return match EventBridgeEvent::<Value>::deserialize(payload) {
            Ok(event) => parse_eventbridge(event),
            Err(e) => unknown(format!("not a valid EventBridge event: {e}")),
        };
    }
    unknown(
        "the payload is neither an EventBridge event nor a command \
         (expected `detail-type` or `command`)"
            .to_string(),
    )
}

fn unknown(reason: String) -> Intake {
    Intake {
        name: "unknown".into(),
        event_id: None,
        recorded_in: None,
        kind: Kind::Ignore(reason),
    }
}

fn parse_eventbridge(event: EventBridgeEvent<Value>) -> Intake {
    let mut intake = Intake {
        name: if event.detail_type.is_empty() {
            "unknown".into()
        } else {
            event.detail_type.clone()
        },
        event_id: event.id.clone(),
        recorded_in: event.account.clone(),
        kind: Kind::Ignore(String::new()),
    };
    match (event.source.as_str(), event.detail_type.as_str()) {
        ("aws.events" | "aws.scheduler", "Scheduled Event") => {
            intake.name = "schedule".into();
            intake.kind = Kind::Handle(Trigger::Sweep);
        }
        (_, "AWS API Call via CloudTrail" | "AWS Service Event via CloudTrail") => {
            let resources = event.resources.as_deref().unwrap_or_default();
            parse_cloudtrail(&event.detail, resources, &mut intake)
        }
        ("aws.cloudformation", "CloudFormation StackSet StackInstance Status Change") => {
            intake.name = "StackSetInstanceStatusChange".into();
            intake.kind = parse_stack_instance(&event.detail);
        }
        (source, detail_type) => {
            intake.kind = Kind::Ignore(format!(
                "events of type {detail_type:?} from {source:?} are not handled"
            ))
        }
    }
    intake
}

/// The string at a path of object keys, if every step exists and the leaf is a string.
fn str_at(value: &Value, path: &[&str]) -> Option<String> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The first string value under any of `keys`, searched depth-first through objects and arrays
/// (bounded: CloudTrail records are small, and the recursion depth is that of the JSON).
fn find_key(value: &Value, keys: &[&str]) -> Option<String> {
    match value {
        Value::Object(map) => keys
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_str).map(str::to_string))
            .or_else(|| map.values().find_map(|v| find_key(v, keys))),
        Value::Array(items) => items.iter().find_map(|v| find_key(v, keys)),
        _ => None,
    }
}

impl Trigger {
    /// The principal of a service whose role the function does not keep that the trigger is
    /// about: such a trigger is observed and told, never acted on.
    pub fn observed(&self) -> Option<&Principal> {
        match self {
            Trigger::TrustedAccess { principal, .. } if !catalog::keeps_role(principal) => {
                Some(principal)
            }
            Trigger::DelegatedAdmin { principal, .. }
            | Trigger::DelegationPolicy { principal, .. } => Some(principal),
            _ => None,
        }
    }
}

/// Whether `s` is a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::MARKETPLACE;
    const MARKETPLACE_PRINCIPAL: &str = MARKETPLACE.principal;
    use serde_json::json;

    fn cloudtrail(detail: Value) -> Value {
        json!({
            "version": "0", "id": "6f8a5d2e-0000-4000-8000-000000000000",
            "detail-type": "AWS API Call via CloudTrail", "source": "aws.organizations",
            "account": "123456789012", "time": "2026-11-20T10:00:00Z", "region": "us-east-1",
            "resources": [], "detail": detail
        })
    }

    fn handled(payload: Value) -> Trigger {
        match parse(&payload).kind {
            Kind::Handle(t) => t,
            Kind::Ignore(r) => panic!("ignored: {r}"),
        }
    }

    fn ignored(payload: Value) -> String {
        match parse(&payload).kind {
            Kind::Ignore(r) => r,
            Kind::Handle(t) => panic!("handled: {t:?}"),
        }
    }

    #[test]
    fn enable_by_a_person_is_not_marketplace() {
        let t = handled(cloudtrail(json!({
            "eventName": "EnableAWSServiceAccess", "eventID": "e1",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice"},
            "sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2.15.0",
            "requestParameters": {"servicePrincipal": MARKETPLACE_PRINCIPAL}
        })));
        let Trigger::TrustedAccess {
            enabled: true,
            origin,
            ..
        } = t
        else {
            panic!("{t:?}")
        };
        assert_eq!(origin.actor, "arn:aws:iam::123456789012:user/alice");
        assert!(!origin.is_service(MARKETPLACE_PRINCIPAL));
    }

    #[test]
    fn enable_invoked_by_marketplace_is_marketplace() {
        let t = handled(cloudtrail(json!({
            "eventName": "EnableAWSServiceAccess",
            "userIdentity": {"type": "AssumedRole", "invokedBy": MARKETPLACE_PRINCIPAL},
            "sourceIPAddress": MARKETPLACE_PRINCIPAL, "userAgent": MARKETPLACE_PRINCIPAL,
            "requestParameters": {"servicePrincipal": MARKETPLACE_PRINCIPAL}
        })));
        let Trigger::TrustedAccess { origin, .. } = t else {
            panic!("{t:?}")
        };
        assert!(origin.is_service(MARKETPLACE_PRINCIPAL));
    }

    #[test]
    fn every_identity_shape_names_its_caller() {
        let actor = |identity: Value| {
            let t = handled(cloudtrail(json!({
                "eventName": "EnableAWSServiceAccess", "userIdentity": identity,
                "requestParameters": {"servicePrincipal": MARKETPLACE_PRINCIPAL}
            })));
            let Trigger::TrustedAccess { origin, .. } = t else {
                panic!("{t:?}")
            };
            origin.actor
        };
        assert_eq!(
            actor(json!({"type": "Root", "accountId": "123456789012"})),
            "root user of 123456789012"
        );
        assert_eq!(
            actor(
                json!({"type": "AssumedRole", "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::1:role/Admin"}}})
            ),
            "arn:aws:iam::1:role/Admin"
        );
        assert_eq!(
            actor(json!({"accountId": "123456789012", "invokedBy": "AWS Internal"})),
            "AWS Internal"
        );
        // A field of an unexpected type reads as absent rather than rejecting the record.
        assert_eq!(
            actor(json!({"type": 7, "arn": ["x"], "principalId": "AIDAEXAMPLE"})),
            "AIDAEXAMPLE"
        );
        assert_eq!(actor(json!("not an object")), "an unknown caller");
    }

    #[test]
    fn a_failed_call_is_ignored_with_its_error() {
        let r = ignored(cloudtrail(json!({
            "eventName": "EnableAWSServiceAccess", "errorCode": "AccessDeniedException",
            "errorMessage": "nope", "requestParameters": {"servicePrincipal": MARKETPLACE_PRINCIPAL}
        })));
        assert!(r.contains("AccessDeniedException"), "{r}");
    }

    #[test]
    fn departure_method_is_read_under_either_key() {
        for key in ["departedMethod", "departureMethod"] {
            let mut p = cloudtrail(json!({
                "eventName": "AccountDepartedOrganization",
                "userIdentity": {"accountId": "123456789012", "invokedBy": "organizations.amazonaws.com"},
                "serviceEventDetails": {"accountDepartedOrganizationDetails": {"accountId": "210987654321", key: "Left"}}
            }));
            p["detail-type"] = json!("AWS Service Event via CloudTrail");
            assert_eq!(
                handled(p),
                Trigger::AccountDeparted {
                    account_id: "210987654321".into(),
                    method: DepartureMethod::Left,
                    origin: Origin {
                        actor: "organizations.amazonaws.com".into(),
                        service: Some("organizations.amazonaws.com".into()),
                        ..Origin::default()
                    }
                }
            );
        }
    }

    #[test]
    fn commands_are_validated() {
        assert_eq!(
            handled(json!({"command": "reconcile", "dryRun": true, "accounts": ["111122223333"]})),
            Trigger::Command {
                dry_run: true,
                accounts: Some(vec!["111122223333".into()])
            }
        );
        assert!(ignored(json!({"command": "nuke"})).contains("unknown command"));
        assert!(ignored(json!({"command": "reconcile", "dryRun": "yes"})).contains("dryRun"));
        assert!(ignored(json!({"command": "reconcile", "accounts": ["12"]})).contains("12-digit"));
    }

    #[test]
    fn malformed_input_never_panics() {
        let samples = [
            json!(null),
            json!(1),
            json!("x"),
            json!([]),
            json!({}),
            json!({"detail-type": 5}),
            json!({"detail-type": "x", "source": "y", "detail": null}),
            json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.organizations", "detail": []}),
            json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.organizations", "detail": {"eventName": 7}}),
            cloudtrail(
                json!({"eventName": "AccountDepartedOrganization", "serviceEventDetails": [1, {"accountId": 5}]}),
            ),
            cloudtrail(
                json!({"eventName": "CreateAccountResult", "serviceEventDetails": {"createAccountStatus": "x"}}),
            ),
            cloudtrail(
                json!({"eventName": "AcceptHandshake", "responseElements": {"handshake": {"parties": "x"}}}),
            ),
            json!({"command": null}),
            json!({"command": "reconcile", "accounts": {"a": 1}}),
        ];
        for s in samples {
            assert!(matches!(parse(&s).kind, Kind::Ignore(_)), "{s}");
        }
    }
}
