//! CloudTrail records of Organizations, as EventBridge delivers them, read leniently: every identity
//! shape, both spellings of the departure method, records without `requestID`, and the account
//! named wherever the sources put it (events/README.md).

use super::*;
use crate::principal::{Principal, normalize};
use serde::Deserialize;

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

/// Organizations' own service principal: the service a delegation policy delegates.
pub const ORGANIZATIONS: &str = "organizations.amazonaws.com";

pub(super) fn parse_cloudtrail(detail: &Value, resources: &[String], intake: &mut Intake) {
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
            match text(&["requestParameters", "servicePrincipal"]).map(|p| Principal::new(&p)) {
                Some(p) if is_principal(&p) => Kind::Handle(Trigger::TrustedAccess {
                    principal: p,
                    enabled: name == "EnableAWSServiceAccess",
                    origin,
                }),
                Some(p) => Kind::Ignore(format!("{p:?} is not a service principal")),
                None => Kind::Ignore("the record has no requestParameters.servicePrincipal".into()),
            }
        }
        "RegisterDelegatedAdministrator" | "DeregisterDelegatedAdministrator" => {
            let principal =
                text(&["requestParameters", "servicePrincipal"]).map(|p| Principal::new(&p));
            match (text(&["requestParameters", "accountId"]), principal) {
                (Some(id), Some(p)) if is_account_id(&id) && is_principal(&p) => {
                    Kind::Handle(Trigger::DelegatedAdmin {
                        principal: p,
                        account_id: id,
                        registered: name == "RegisterDelegatedAdministrator",
                        origin,
                    })
                }
                _ => Kind::Ignore(
                    "the record names no valid requestParameters.accountId and servicePrincipal"
                        .into(),
                ),
            }
        }
        "PutResourcePolicy" | "DeleteResourcePolicy" => Kind::Handle(Trigger::DelegationPolicy {
            principal: Principal::new(ORGANIZATIONS),
            deleted: name == "DeleteResourcePolicy",
            origin,
        }),
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
    // A service principal, normalised here, where it enters.
    let service_of = |s: &Option<String>| {
        s.as_deref()
            .map(normalize)
            .filter(|s| s.ends_with(".amazonaws.com") && is_principal(s))
    };
    let service = service_of(&identity.invoked_by)
        .or_else(|| service_of(&record.source_ip_address))
        .or_else(|| service_of(&record.user_agent));
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
