//! Event intake: turns whatever the function was invoked with into a [`Trigger`], or says why it is
//! ignored (docs/design.md, "Triggers").
//!
//! CloudTrail records are read leniently from JSON rather than through a strict struct: real records
//! lack `userIdentity.type` (service events), `requestID` (`CreateAccountResult`) or spell the departure
//! method two ways, and the parser must accept all of them and never panic on anything.

use crate::ports::ContinuationRequest;
use crate::service::MARKETPLACE;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::Deserialize;
use serde_json::Value;

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
    /// Trusted access for the Marketplace principal was turned on (`enabled`) or off.
    TrustedAccess { enabled: bool, origin: Origin },
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

/// Who made a change and when, from the CloudTrail record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Origin {
    /// A readable name for the caller: an ARN, `root of <account>`, or the invoking service.
    pub actor: String,
    /// The AWS service that made the call, when it was one (`userIdentity.invokedBy`, a service
    /// `sourceIPAddress` or `userAgent`); `None` for a person or the CLI.
    pub service: Option<String>,
    pub event_time: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Origin {
    /// Whether AWS Marketplace itself made the call (as its console does when it enables integration).
    pub fn is_marketplace(&self) -> bool {
        self.service
            .as_deref()
            .is_some_and(|s| s.contains("marketplace"))
    }
}

/// A CloudTrail record as EventBridge delivers it in `detail`, of this project's own making because
/// real records vary: service events have no `userIdentity.type`, `CreateAccountResult` has no
/// `requestID`, failed calls carry `errorCode`. Every field is optional and a field of an unexpected
/// JSON type reads as absent, so no shape is rejected; the parts whose layout varies by event stay JSON.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CloudTrailRecord {
    #[serde(deserialize_with = "lenient")]
    pub event_name: Option<String>,
    #[serde(rename = "eventID", deserialize_with = "lenient")]
    pub event_id: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub event_time: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub error_code: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub error_message: Option<String>,
    #[serde(rename = "sourceIPAddress", deserialize_with = "lenient")]
    pub source_ip_address: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub user_agent: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub recipient_account_id: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub user_identity: Option<UserIdentity>,
    pub request_parameters: Value,
    pub response_elements: Value,
    pub service_event_details: Value,
    pub additional_event_data: Value,
}

/// `userIdentity`: IAMUser, AssumedRole (with `sessionContext.sessionIssuer`), Root, or for service
/// events only `{accountId, invokedBy}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserIdentity {
    #[serde(rename = "type", deserialize_with = "lenient")]
    pub identity_type: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub arn: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub principal_id: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub account_id: Option<String>,
    #[serde(deserialize_with = "lenient")]
    pub invoked_by: Option<String>,
    pub session_context: Value,
}

/// Reads a value as `T`, or as absent when it has another shape.
fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(serde_json::from_value(Value::deserialize(deserializer)?).ok())
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

fn parse_command(payload: &Value) -> Intake {
    let ignore = |reason: String| Intake {
        name: "command".into(),
        event_id: None,
        recorded_in: None,
        kind: Kind::Ignore(reason),
    };
    match payload.get("command").and_then(Value::as_str) {
        Some("reconcile") => {}
        Some(other) => {
            return ignore(format!(
                "unknown command {other:?}; the only command is \"reconcile\""
            ));
        }
        None => return ignore("`command` must be the string \"reconcile\"".into()),
    }
    let dry_run = match payload.get("dryRun") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => return ignore(format!("`dryRun` must be true or false, not {other}")),
    };
    let accounts = match payload.get("accounts") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let ids: Vec<String> = items
                .iter()
                .filter_map(|v| v.as_str().filter(|s| is_account_id(s)).map(str::to_string))
                .collect();
            if ids.len() != items.len() {
                return ignore(format!(
                    "`accounts` must list 12-digit account ids, got {}",
                    Value::Array(items.clone())
                ));
            }
            Some(ids)
        }
        Some(other) => {
            return ignore(format!(
                "`accounts` must be a list of account ids, not {other}"
            ));
        }
    };
    Intake {
        name: "command".into(),
        event_id: None,
        recorded_in: None,
        kind: Kind::Handle(Trigger::Command { dry_run, accounts }),
    }
}

/// A continuation as its queue delivers it: one record whose body is `{"continuation": …}`. The
/// template maps the queue with a batch size of one.
fn parse_queue(records: &[Value]) -> Intake {
    let body = match records {
        [record] if record.get("eventSource").and_then(Value::as_str) == Some("aws:sqs") => {
            record.get("body").and_then(Value::as_str)
        }
        [_] => return unknown("the record is not from an SQS queue".into()),
        _ => {
            return unknown(format!(
                "expected exactly one queue record (batch size 1), got {}",
                records.len()
            ));
        }
    };
    match body.and_then(|b| serde_json::from_str::<Value>(b).ok()) {
        Some(payload) => match payload.get("continuation") {
            Some(request) => parse_continuation(request),
            None => unknown("the queue message is not a continuation".into()),
        },
        None => unknown("the queue message's body is not JSON".into()),
    }
}

fn parse_continuation(request: &Value) -> Intake {
    match ContinuationRequest::deserialize(request) {
        Ok(request) if request.accounts.iter().all(|a| is_account_id(a)) => Intake {
            name: request.trigger.clone(),
            event_id: Some(request.event_id.clone()),
            recorded_in: None,
            kind: Kind::Handle(Trigger::Continuation(request)),
        },
        Ok(_) => unknown("a continuation must list 12-digit account ids".into()),
        Err(e) => unknown(format!("not a valid continuation: {e}")),
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

/// A member-role stack instance that finished: its account is the one in `stack-id`
/// (`arn:aws:cloudformation:<region>:<account>:stack/…`). AWS's example of this event has no
/// `action`, and older versions of the page did not document it: an instance is acted on by its
/// `detailed-status` alone, unless `action` says it was a deletion or a drift check
/// (events/README.md).
fn parse_stack_instance(detail: &Value) -> Kind {
    let account_id = str_at(detail, &["stack-id"])
        .and_then(|arn| arn.split(':').nth(4).map(str::to_string))
        .filter(|id| is_account_id(id));
    let action = str_at(detail, &["action"]);
    let status = str_at(detail, &["status-details", "detailed-status"]).unwrap_or_default();
    let reason = str_at(detail, &["status-details", "status-reason"]);
    let stack_set = str_at(detail, &["stack-set-arn"]);
    if let Some(action @ ("DELETE" | "DETECT_DRIFT")) = action.as_deref() {
        return Kind::Ignore(format!(
            "stack instance {action} {status} calls for nothing: only a deployment (CREATE or \
             UPDATE, or no action) that SUCCEEDED or FAILED does"
        ));
    }
    let deployed = |succeeded| {
        Kind::Handle(Trigger::MemberRoleDeployed {
            account_id: account_id.clone(),
            succeeded,
            reason: reason.clone(),
            stack_set: stack_set.clone(),
        })
    };
    match status.as_str() {
        "SUCCEEDED" if account_id.is_some() => deployed(true),
        "SUCCEEDED" => Kind::Ignore("the stack instance event names no account in stack-id".into()),
        "FAILED" | "FAILED_IMPORT" | "INOPERABLE" => deployed(false),
        "SKIPPED_SUSPENDED_ACCOUNT" => Kind::Ignore(
            "stack instance SKIPPED_SUSPENDED_ACCOUNT calls for nothing: CloudFormation skips a \
             suspended account, and the function reconciles only ACTIVE ones"
                .into(),
        ),
        "CANCELLED" => Kind::Ignore(
            "stack instance CANCELLED calls for nothing: the operation was stopped before it \
             reached the account, and the next one will report it"
                .into(),
        ),
        "" => Kind::Ignore("the stack instance event has no status-details.detailed-status".into()),
        other => Kind::Ignore(format!(
            "stack instance {other} calls for nothing (only SUCCEEDED, FAILED, FAILED_IMPORT or \
             INOPERABLE does)"
        )),
    }
}

fn parse_cloudtrail(detail: &Value, resources: &[String], intake: &mut Intake) {
    let record = CloudTrailRecord::deserialize(detail).unwrap_or_default();
    let name = record.event_name.clone().unwrap_or_default();
    intake.name = if name.is_empty() {
        "unknown".into()
    } else {
        name.clone()
    };
    intake.event_id = record.event_id.clone().or(intake.event_id.take());
    intake.recorded_in = record
        .recipient_account_id
        .clone()
        .or(intake.recorded_in.take());
    if let Some(code) = &record.error_code {
        let message = record.error_message.as_deref().unwrap_or_default();
        intake.kind = Kind::Ignore(format!("the API call failed ({code}: {message})"));
        return;
    }
    let text = |path: &[&str]| str_at(detail, path);
    let origin = origin(&record);
    intake.kind = match name.as_str() {
        "EnableAWSServiceAccess" | "DisableAWSServiceAccess" => {
            match text(&["requestParameters", "servicePrincipal"]) {
                Some(p) if p == MARKETPLACE.principal => Kind::Handle(Trigger::TrustedAccess {
                    enabled: name == "EnableAWSServiceAccess",
                    origin,
                }),
                Some(p) => Kind::Ignore(format!(
                    "service principal {p} is not managed by this function (it manages {})",
                    MARKETPLACE.principal
                )),
                None => Kind::Ignore("the record has no requestParameters.servicePrincipal".into()),
            }
        }
        "RemoveAccountFromOrganization" => match text(&["requestParameters", "accountId"]) {
            Some(id) if is_account_id(&id) => Kind::Handle(Trigger::AccountDeparted {
                account_id: id,
                method: DepartureMethod::Removed,
                origin,
            }),
            _ => Kind::Ignore("the record names no valid requestParameters.accountId".into()),
        },
        "AccountDepartedOrganization" => match named_account(detail, resources) {
            Some(account_id) => Kind::Handle(Trigger::AccountDeparted {
                account_id,
                method: find_key(detail, &["departedMethod", "departureMethod"])
                    .map_or(DepartureMethod::Unknown, |m| DepartureMethod::parse(&m)),
                origin,
            }),
            None => Kind::Ignore("the record names no departed account id".into()),
        },
        "CreateAccountResult" => {
            let status = |key: &str| text(&["serviceEventDetails", "createAccountStatus", key]);
            match (status("state").as_deref(), status("accountId")) {
                (Some("SUCCEEDED"), Some(id)) if is_account_id(&id) => {
                    Kind::Handle(Trigger::AccountJoined {
                        account_id: id,
                        method: Some(JoinedMethod::Created),
                        origin,
                    })
                }
                (Some("SUCCEEDED"), _) => {
                    Kind::Ignore("the record names no created account id".into())
                }
                (state, _) => Kind::Ignore(format!(
                    "account creation did not succeed (state {}{})",
                    state.unwrap_or("missing"),
                    status("failureReason")
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                )),
            }
        }
        "AccountJoinedOrganization" | "AcceptHandshake" => match named_account(detail, resources) {
            Some(account_id) => Kind::Handle(Trigger::AccountJoined {
                account_id,
                method: find_key(detail, &["joinedMethod"])
                    .map(|m| JoinedMethod::parse(&m))
                    .or_else(|| (name == "AcceptHandshake").then_some(JoinedMethod::Invited)),
                origin,
            }),
            None => Kind::Ignore("the record names no joining account id".into()),
        },
        "" => Kind::Ignore("the CloudTrail record has no eventName".into()),
        other => Kind::Ignore(format!("event {other} is not handled")),
    };
}

/// The member account an account event is about. Never `userIdentity` (that is the caller), nor
/// `resources[].accountId` (the management account's, whose trail recorded it): searched in the
/// parts of the record where the sources put it, then in the ARNs of type account that the record's
/// `resources` (or the EventBridge event's) list.
fn named_account(detail: &Value, resources: &[String]) -> Option<String> {
    [
        "serviceEventDetails",
        "requestParameters",
        "responseElements",
        "additionalEventData",
    ]
    .iter()
    .filter_map(|part| detail.get(part))
    .find_map(|v| {
        find_key(v, &["accountId", "departedAccountId", "account"]).filter(|s| is_account_id(s))
    })
    .or_else(|| handshake_account(detail))
    .or_else(|| {
        let in_record = detail
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("ARN").and_then(Value::as_str));
        in_record
            .chain(resources.iter().map(String::as_str))
            .find_map(account_of_arn)
    })
}

/// The member account of an Organizations account ARN:
/// `arn:<partition>:organizations::<management>:account/o-<id>/<member>`.
fn account_of_arn(arn: &str) -> Option<String> {
    let resource = arn.strip_prefix("arn:")?.split(':').nth(4)?;
    let mut parts = resource.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("account"), Some(org), Some(member), None)
            if org.starts_with("o-") && is_account_id(member) =>
        {
            Some(member.to_string())
        }
        _ => None,
    }
}

/// For `AcceptHandshake`: the party of type ACCOUNT in the handshake.
fn handshake_account(detail: &Value) -> Option<String> {
    detail
        .pointer("/responseElements/handshake/parties")?
        .as_array()?
        .iter()
        .find(|p| p.get("type").and_then(Value::as_str) == Some("ACCOUNT"))
        .and_then(|p| p.get("id")?.as_str())
        .filter(|s| is_account_id(s))
        .map(str::to_string)
}

fn origin(record: &CloudTrailRecord) -> Origin {
    let identity = record.user_identity.clone().unwrap_or_default();
    let is_service = |s: &String| s.ends_with(".amazonaws.com") && !s.contains(' ');
    let service = identity
        .invoked_by
        .clone()
        .filter(is_service)
        .or_else(|| record.source_ip_address.clone().filter(is_service))
        .or_else(|| record.user_agent.clone().filter(is_service));
    let actor = match identity.identity_type.as_deref() {
        Some("Root") => identity
            .account_id
            .as_ref()
            .map(|a| format!("root user of {a}")),
        _ => None,
    }
    .or(identity.arn)
    .or_else(|| str_at(&identity.session_context, &["sessionIssuer", "arn"]))
    .or(identity.principal_id)
    .or_else(|| service.clone())
    .or(identity.invoked_by)
    .unwrap_or_else(|| "an unknown caller".into());
    Origin {
        actor,
        service,
        event_time: record.event_time.clone(),
        source_ip: record.source_ip_address.clone(),
        user_agent: record.user_agent.clone(),
    }
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

/// Whether `s` is a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
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
        } = t
        else {
            panic!("{t:?}")
        };
        assert_eq!(origin.actor, "arn:aws:iam::123456789012:user/alice");
        assert!(!origin.is_marketplace());
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
        assert!(origin.is_marketplace());
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
