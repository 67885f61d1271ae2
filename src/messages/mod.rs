//! What is said, and to whom (docs/design.md, "Notifications"): the wording of every hand-off, a
//! pure function of the trigger, the organization, the outcome and the configuration.
//!
//! Each message is plain text a person reads in an e-mail, ending with the same facts as a compact
//! JSON block for machines. Nothing here calls AWS. Lists are capped so that every message fits SNS
//! however large the organization; the full lists are in the report.

use crate::config::Removal;
use crate::decision::{Action, Membership, Policy};
use crate::handoff::Handoff;
use crate::intake::{DepartureMethod, Intake, JoinedMethod, MadeBy, Origin, Trigger};
use crate::outcome::{AccountResult, ActionResult, Counts, Outcome, TrustedAccess};
use crate::ports::{ErrorKind, OrgIdentity};
use crate::service::{MARKETPLACE, MARKETPLACE_ROLE};
mod body;
pub mod delegation_policy;
pub mod guardian;
pub mod handoffs;
mod membership;
mod observed;
mod sweep;
mod trusted_access;

use body::{Writer, made_with};
use membership::{departed, joined, member_role_failed, stack_set_origin};
use sweep::{recovered, sweep};
use trusted_access::{disabled, enabled_by_marketplace, enabled_by_person};

pub use crate::message::{
    Audience, Event, Format, MESSAGE_LIMIT, Message, SUBJECT_LIMIT, Severity,
};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

pub use crate::message::email::FACTS_HEADER;
/// Accounts a person reads in a list before the rest is summed up.
pub const TEXT_LIST_CAP: usize = 50;
/// Accounts listed in the facts block before the rest is counted only.
pub const FACTS_LIST_CAP: usize = 500;

// The service's facts, as the wording names them.
const MARKETPLACE_PRINCIPAL: &str = MARKETPLACE.principal;
const ROLE: &str = MARKETPLACE_ROLE.name;
const ORGANIZATIONS_CONSOLE: &str =
    "AWS Organizations console (https://console.aws.amazon.com/organizations/v2/home/services)";

/// The facts block that ends every message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Facts {
    pub event: Event,
    pub audience: Audience,
    pub organization: String,
    pub management_account: String,
    pub trigger: String,
    pub event_id: Option<String>,
    pub actor: Option<String>,
    /// `person` or the AWS service that made the change.
    pub initiated_by: Option<String>,
    pub event_time: Option<String>,
    pub account_id: Option<String>,
    pub departure_method: Option<String>,
    pub trusted_access: Option<TrustedAccess>,
    pub dry_run: bool,
    pub accounts: Counts,
    /// At most [`FACTS_LIST_CAP`] ids each; `accounts` and `unreachedCount` give the totals.
    pub changed: Vec<String>,
    pub failed: Vec<String>,
    pub unreached: Vec<String>,
    #[serde(default)]
    pub unreached_count: usize,
}

/// What a message is about: the trigger, as the report names it, and the organization.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    pub trigger: &'a Trigger,
    /// The trigger's name and event id, as the report gives them.
    pub trigger_name: &'a str,
    pub event_id: Option<&'a str>,
    pub organization: &'a OrgIdentity,
    /// The confirmed request that makes a disable an agreed one (docs/design.md, "Hand-offs").
    pub agreed: Option<&'a Handoff>,
    /// A delegated administrator registered outside `EXPECTED_DELEGATED_ADMINS`: a warning.
    pub outside_intent: bool,
}

impl<'a> About<'a> {
    /// The trigger of `intake`, in `organization`.
    pub fn of(intake: &'a Intake, trigger: &'a Trigger, organization: &'a OrgIdentity) -> Self {
        About {
            trigger,
            trigger_name: &intake.name,
            event_id: intake.event_id.as_deref(),
            organization,
            agreed: None,
            outside_intent: false,
        }
    }
}

/// What a message speaks of.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub about: About<'a>,
    pub outcome: &'a Outcome,
    pub dry_run: bool,
    pub policy: Policy,
    /// The rest of the run was handed on: unreached accounts and transient failures are in
    /// progress, not failures to tell.
    pub continuing: bool,
    /// The accounts failing now were told to the administrators lately: no new warning.
    pub failures_told: bool,
    /// Accounts an earlier sweep told failing, all reconciled now.
    pub recovered: &'a [String],
}

impl Context<'_> {
    /// The failures to tell: all of them, but those still in progress or told lately.
    fn failures(&self) -> impl Iterator<Item = &AccountResult> {
        self.outcome.failures_to_tell(self.continuing)
    }

    /// How many accounts to warn of: failures to tell, and unreached accounts nobody continues with.
    fn warnings(&self) -> usize {
        if self.failures_told {
            return 0;
        }
        self.failures().count()
            + if self.continuing {
                0
            } else {
                self.outcome.unreached.len()
            }
    }
}

/// Every message the run calls for; empty when there is nothing to tell (a sweep that changed nothing).
pub fn compose(cx: Context<'_>) -> Vec<Message> {
    let o = cx.outcome;
    let has_failures = cx.warnings() > 0;
    let mut out = match cx.about.trigger {
        // The event says one thing, Organizations another (a late, replayed or forged event): the
        // hand-off it would call for is not true, so only drift or failure is worth a message.
        // Observed services are told by `guardian::compose_observed`.
        trigger if trigger.observed().is_some() => Vec::new(),
        Trigger::TrustedAccess { enabled, .. } if *enabled != o.trusted_access => sweep(cx),
        Trigger::TrustedAccess {
            principal,
            enabled: true,
            origin,
        } if origin.is_service(principal) => vec![enabled_by_marketplace(cx, origin)],
        Trigger::TrustedAccess {
            enabled: true,
            origin,
            ..
        } => vec![enabled_by_person(cx, origin)],
        Trigger::TrustedAccess {
            enabled: false,
            origin,
            ..
        } => disabled(cx, origin),
        Trigger::AccountDeparted {
            account_id,
            method,
            origin,
        } => departed(cx, account_id, method, origin),
        Trigger::AccountJoined {
            account_id,
            method,
            origin,
        } => joined(cx, account_id, method.as_ref(), origin),
        Trigger::MemberRoleDeployed {
            account_id: Some(account_id),
            succeeded: true,
            ..
        } => joined(cx, account_id, None, &stack_set_origin()),
        // Intake hands on a success only with its account.
        Trigger::MemberRoleDeployed {
            succeeded: true, ..
        } => Vec::new(),
        Trigger::MemberRoleDeployed {
            account_id,
            succeeded: false,
            reason,
            stack_set,
        } => vec![member_role_failed(
            cx,
            account_id.as_deref(),
            stack_set.as_deref(),
            reason.as_deref(),
        )],
        Trigger::Sweep | Trigger::Command { .. } => sweep(cx),
        Trigger::DelegatedAdmin { .. } | Trigger::DelegationPolicy { .. } => Vec::new(),
        // The chain's first run told the trigger's hand-off; the rest tells only what still fails.
        Trigger::Continuation(_) => Vec::new(),
    };
    if !cx.recovered.is_empty() {
        out.push(recovered(cx));
    }
    // Failures are the Organizations administrator's to fix: make sure they hear of them.
    if has_failures
        && !out
            .iter()
            .any(|m| m.audience == Audience::OrganizationsAdmin)
    {
        out.extend(sweep(cx));
    }
    out
}

/// The fixed part of a message: for whom, what, how urgent, its subject, and what it is about.
struct Header<'a> {
    audience: Audience,
    event: Event,
    severity: Severity,
    subject: &'a str,
    origin: Option<&'a Origin>,
    /// The account and how it left, for membership hand-offs.
    account: Option<(&'a str, Option<&'a DepartureMethod>)>,
}

fn message(cx: Context<'_>, h: Header<'_>, mut body: Writer) -> Message {
    let o = cx.outcome;
    let capped = |ids: &mut dyn Iterator<Item = String>| ids.take(FACTS_LIST_CAP).collect();
    let facts = Facts {
        event: h.event,
        audience: h.audience,
        organization: cx.about.organization.organization_id.clone(),
        management_account: cx.about.organization.management_account_id.clone(),
        trigger: cx.about.trigger_name.to_string(),
        event_id: cx.about.event_id.map(str::to_string),
        actor: h.origin.map(|o| o.actor.clone()),
        initiated_by: h
            .origin
            .map(|o| o.service.clone().unwrap_or_else(|| "person".into())),
        event_time: h.origin.and_then(|o| o.event_time.clone()),
        account_id: h.account.map(|(id, _)| id.to_string()),
        departure_method: h.account.and_then(|(_, m)| m.map(ToString::to_string)),
        trusted_access: Some(o.trusted_access.into()),
        dry_run: cx.dry_run,
        accounts: o.counts(),
        changed: capped(&mut o.changes().map(|a| a.account_id.clone())),
        failed: capped(&mut o.failures().map(failure_line)),
        unreached: capped(&mut o.unreached.iter().cloned()),
        unreached_count: o.unreached.len(),
    };
    body.facts(&facts);
    Message {
        audience: h.audience,
        event: h.event,
        severity: h.severity,
        organization: cx.about.organization.organization_id.clone(),
        service: MARKETPLACE.principal.to_string(),
        subject: fit_subject(h.subject),
        body: body.body,
        handoff: None,
    }
}

/// `account: step: code: message`.
fn failure_line(a: &AccountResult) -> String {
    format!("{}: {}", a.account_id, failure_text(a))
}

/// `step: code: message`.
fn failure_text(a: &AccountResult) -> String {
    a.failure
        .as_ref()
        .map_or_else(|| "unknown error".to_string(), ToString::to_string)
}

/// A subject SNS accepts: printable ASCII on one line, at most [`SUBJECT_LIMIT`] characters.
pub fn fit_subject(subject: &str) -> String {
    let clean: String = subject
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                ' '
            }
        })
        .collect();
    if clean.len() <= SUBJECT_LIMIT {
        clean
    } else {
        format!("{}...", &clean[..SUBJECT_LIMIT - 3])
    }
}

/// The facts of a message composed here, typed again.
pub fn facts_of(body: &crate::message::Body) -> Option<Facts> {
    serde_json::from_str(&body.facts).ok()
}

#[cfg(test)]
mod tests;
