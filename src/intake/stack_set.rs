//! The member-role StackSet's instance events (events/README.md, "StackSet instance events").

use super::*;

/// A member-role stack instance that finished: its account is the one in `stack-id`
/// (`arn:aws:cloudformation:<region>:<account>:stack/…`). AWS's example of this event has no
/// `action`, and older versions of the page did not document it: an instance is acted on by its
/// `detailed-status` alone, unless `action` says it was a deletion or a drift check
/// (events/README.md).
pub(super) fn parse_stack_instance(detail: &Value) -> Kind {
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
