//! The hand-off of a change to the organization's resource-based delegation policy
//! (`PutResourcePolicy`, `DeleteResourcePolicy`): a warning to the Organizations administrator with
//! who made it and, statement by statement, which accounts may now do which actions, as
//! `DescribeResourcePolicy` reads it after the change (docs/design.md, "The delegation policy").

use super::observed::{ServiceFacts, facts, observed_message};
use super::*;
use crate::delegation_policy::DelegationPolicy;

/// The Organizations User Guide's page on delegating with a resource-based policy.
const GUIDE: &str =
    "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_delegate_policies.html";

/// The message of a put (`policy` the one in force now) or a delete (`policy` `None`).
pub fn delegation_policy_changed(
    o: About<'_>,
    principal: &str,
    origin: &Origin,
    policy: Option<&DelegationPolicy>,
) -> Message {
    let org = &o.organization.organization_id;
    let mut b = Writer::new();
    match policy {
        Some(policy) => {
            b.para(&format!(
                "The resource-based delegation policy of organization {org} was put: created or \
                 replaced{}. It lets the member accounts it names manage AWS Organizations \
                 policies, and read the organization, which by default only the management \
                 account can do.",
                policy
                    .id
                    .as_deref()
                    .map(|id| format!(" ({id})"))
                    .unwrap_or_default()
            ));
            b.who(origin);
            b.para(&what_it_allows(policy));
            b.todo(&[
                "Check that each account and each action above is meant; a wildcard, a NotAction \
                 or a NotResource reaches further than a list."
                    .into(),
                "If it was not meant, put the policy you intend from the management account \
                 (PutResourcePolicy), or delete it (DeleteResourcePolicy)."
                    .into(),
                "`mta services` shows the policy in force.".into(),
            ]);
        }
        None => {
            b.para(&format!(
                "The resource-based delegation policy of organization {org} was deleted: no \
                 member account is delegated AWS Organizations actions through it any more. A \
                 deleted delegation policy cannot be recovered: to restore it, put it again \
                 (PutResourcePolicy)."
            ));
            b.who(origin);
            b.todo(&[
                "Check that the delete was meant: the delegated administrators that managed \
                 policies through it can no longer do so."
                    .into(),
            ]);
        }
    }
    b.para(&format!(
        "How delegation with a resource-based policy works: {GUIDE}"
    ));
    let done = match policy {
        Some(_) => "changed",
        None => "deleted",
    };
    let subject = format!("Warning: the delegation policy of organization {org} was {done}");
    let event = Event::DelegationPolicyChanged;
    let audience = Audience::OrganizationsAdmin;
    let facts = ServiceFacts {
        actor: Some(origin.actor.as_str()),
        initiated_by: Some(origin.service.as_deref().unwrap_or("person")),
        event_time: origin.event_time.as_deref(),
        delegation_policy: policy,
        ..facts(o, event, audience, principal)
    };
    observed_message(o, (audience, event, Severity::Warning), &subject, b, &facts)
}

/// The policy's statements, one sentence each, as read.
fn what_it_allows(policy: &DelegationPolicy) -> String {
    if let Some(why) = &policy.unreadable {
        return format!(
            "Its content could not be read statement by statement ({why}); `mta services --json` \
             shows it as AWS returns it."
        );
    }
    let mut text = format!(
        "What it says now, as DescribeResourcePolicy returns it (accounts: {}):",
        match policy.accounts().as_slice() {
            [] => "none named".to_string(),
            accounts => accounts.join(", "),
        }
    );
    for grant in &policy.statements {
        let _ = write!(text, "\n- {}", grant.sentence());
    }
    text
}
