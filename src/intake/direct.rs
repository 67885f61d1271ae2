//! What an operator or the function itself sends directly: commands, continuations and the SQS
//! record that carries a continuation.

use super::*;
use crate::ports::ContinuationRequest;
use serde::Deserialize;

pub(super) fn parse_command(payload: &Value) -> Intake {
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
pub(super) fn parse_queue(records: &[Value]) -> Intake {
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

pub(super) fn parse_continuation(request: &Value) -> Intake {
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
