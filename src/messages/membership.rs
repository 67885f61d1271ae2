//! Hand-offs about membership: an account left (or was closed), joined, or could not get the
//! member role.

use super::*;

pub(super) fn stack_set_origin() -> Origin {
    Origin {
        actor: "the member-role StackSet of this stack".into(),
        service: Some("cloudformation.amazonaws.com".into()),
        ..Origin::default()
    }
}

pub(super) fn member_role_failed(
    cx: Context<'_>,
    account_id: Option<&str>,
    stack_set: Option<&str>,
    reason: Option<&str>,
) -> Message {
    let mut b = Writer::new();
    let target = account_id.map_or_else(
        || "an account (CloudFormation's event names no stack, so no account)".to_string(),
        |id| format!("AWS account {id}"),
    );
    b.para(&format!(
        "The StackSet of this stack could not deploy the member role to {target} of \
         organization {}: {}",
        cx.about.organization.organization_id,
        reason.unwrap_or("CloudFormation gave no reason.")
    ));
    if let Some(arn) = stack_set {
        b.para(&format!("StackSet: {arn}"));
    }
    b.todo(&[
        "Fix the cause (often a service control policy that denies iam:CreateRole to StackSets), then \
         retry the stack instance from the CloudFormation console (StackSets > the member-role \
         StackSet > Stack instances)."
            .into(),
        "Until then the function cannot reach the account, and the account has no Marketplace \
         service-linked role unless its administrator creates it."
            .into(),
    ]);
    b.summary(cx);
    message(
        cx,
        Header {
            audience: Audience::OrganizationsAdmin,
            event: Event::AccountJoined,
            severity: Severity::Warning,
            subject: &match account_id {
                Some(id) => format!("Warning: member role not deployed to AWS account {id}"),
                None => "Warning: the member-role StackSet failed to deploy".to_string(),
            },
            origin: Some(&stack_set_origin()),
            account: account_id.map(|id| (id, None)),
        },
        b,
    )
}

pub(super) fn departed(
    cx: Context<'_>,
    account_id: &str,
    method: &DepartureMethod,
    origin: &Origin,
) -> Vec<Message> {
    let result = cx.outcome.account(account_id);
    if result.is_none_or(|a| a.membership != Membership::Departed) {
        // Organizations still lists the account: the event was stale or forged. The account was
        // reconciled as a member; only drift or failure is worth a message.
        return sweep(cx);
    }
    let organization = &cx.about.organization.organization_id;
    let how = match method {
        DepartureMethod::Removed => {
            format!("was removed from organization {organization} by its management account")
        }
        DepartureMethod::Closed => {
            format!("was closed, and removed from organization {organization} for good")
        }
        _ => format!("left organization {organization}"),
    };
    let closed = *method == DepartureMethod::Closed;
    let role_line = match result.map(|a| (a.action, a.result, a.failure.as_ref())) {
        Some((Action::Delete, ActionResult::Done, _)) => format!(
            "The Marketplace service-linked role was deleted from account {account_id} (ON_DEPARTURE=delete)."
        ),
        Some((Action::Delete, ActionResult::Planned, _)) => {
            format!("Dry run: the role would have been deleted from account {account_id}.")
        }
        // A closed account no longer exists: there is no role to keep or to delete.
        _ if closed => format!(
            "Account {account_id} no longer exists, so its Marketplace service-linked role needs \
             nothing from anyone."
        ),
        Some((_, ActionResult::Failed, failure)) => format!(
            "Deleting the role in account {account_id} failed: {}. {}",
            failure.map_or_else(|| "unknown error".to_string(), ToString::to_string),
            how_to_delete()
        ),
        _ => format!(
            "The role {ROLE} in account {account_id}, if present, was kept \
             (ON_DEPARTURE=retain). Now that the account is outside the organization, {}",
            how_to_delete()
        ),
    };
    let severity = match cx.failures().next() {
        Some(_) if !closed => Severity::Warning,
        None if cx.policy.on_departure == Removal::Retain && !closed => Severity::ActionRequired,
        _ => Severity::Info,
    };
    let subject =
        format!("AWS account {account_id} left the organization; Marketplace role status");
    [Audience::OrganizationsAdmin, Audience::AccountAdmin]
        .into_iter()
        .map(|audience| {
            let mut b = Writer::new();
            b.para(&format!(
                "AWS account {account_id} {how} (departure method: {method})."
            ));
            b.who(origin);
            b.para(&role_line);
            message(
                cx,
                Header {
                    audience,
                    event: Event::AccountDeparted,
                    severity,
                    subject: &subject,
                    origin: Some(origin),
                    account: Some((account_id, Some(method))),
                },
                b,
            )
        })
        .collect()
}

pub(super) fn joined(
    cx: Context<'_>,
    account_id: &str,
    method: Option<&JoinedMethod>,
    origin: &Origin,
) -> Vec<Message> {
    let o = cx.outcome;
    // Told once the role is in place (or cannot be): a new account still waiting for its member
    // role is no news.
    if o.changes().next().is_none() && cx.warnings() == 0 {
        return Vec::new();
    }
    let mut b = Writer::new();
    let how = method.map(|m| format!(" ({m})")).unwrap_or_default();
    b.para(&format!(
        "AWS account {account_id} joined organization {}{how}; trusted access for AWS Marketplace is enabled, so \
         the account needs the Marketplace service-linked role.",
        cx.about.organization.organization_id
    ));
    b.who(origin);
    b.summary(cx);
    let severity = if cx.warnings() > 0 {
        Severity::Warning
    } else {
        Severity::Info
    };
    vec![message(
        cx,
        Header {
            audience: Audience::OrganizationsAdmin,
            event: Event::AccountJoined,
            severity,
            subject: &format!(
                "AWS account {account_id} joined; Marketplace service-linked role status"
            ),
            origin: Some(origin),
            account: Some((account_id, None)),
        },
        b,
    )]
}

/// How an account's administrator deletes the role.
pub(super) fn how_to_delete() -> String {
    format!(
        "that account's administrator may delete it: IAM console > Roles > {ROLE} > Delete, or \
         `aws iam delete-service-linked-role --role-name {ROLE}`."
    )
}
