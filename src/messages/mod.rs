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
pub mod guardian;
pub mod handoffs;
mod membership;
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
        Trigger::TrustedAccess { enabled, .. } if *enabled != o.trusted_access => sweep(cx),
        Trigger::TrustedAccess {
            enabled: true,
            origin,
        } if origin.is_service(MARKETPLACE_PRINCIPAL) => vec![enabled_by_marketplace(cx, origin)],
        Trigger::TrustedAccess {
            enabled: true,
            origin,
        } => vec![enabled_by_person(cx, origin)],
        Trigger::TrustedAccess {
            enabled: false,
            origin,
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
        // Observed services are told by `guardian::compose_observed`.
        Trigger::ServiceAccess { .. } | Trigger::DelegatedAdmin { .. } => Vec::new(),
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
mod tests {
    use super::*;
    use crate::decision::RoleState;
    use crate::outcome::{Failure, Step};
    use crate::ports::{AccountState, AwsError};

    fn person() -> Origin {
        Origin {
            actor: "arn:aws:iam::123456789012:user/alice".into(),
            service: None,
            event_time: Some("2026-11-20T10:00:00Z".into()),
            source_ip: Some("203.0.113.10".into()),
            user_agent: Some("aws-cli/2.15.0".into()),
        }
    }

    fn marketplace() -> Origin {
        Origin {
            actor: MARKETPLACE_PRINCIPAL.into(),
            service: Some(MARKETPLACE_PRINCIPAL.into()),
            ..person()
        }
    }

    fn organization() -> OrgIdentity {
        OrgIdentity {
            organization_id: "o-exampleorgid".into(),
            management_account_id: "123456789012".into(),
        }
    }

    fn result(id: &str, action: Action, result: ActionResult) -> AccountResult {
        AccountResult {
            account_id: id.to_string(),
            membership: if action == Action::Skip {
                Membership::Inactive
            } else {
                Membership::Active
            },
            state: Some(if action == Action::Skip {
                AccountState::Suspended
            } else {
                AccountState::Active
            }),
            role: RoleState::Unknown,
            action,
            result,
            kept_on_recheck: false,
            failure: (result == ActionResult::Failed).then(|| Failure {
                step: Step::AssumeRole,
                error: AwsError::new("AccessDenied", "denied"),
            }),
        }
    }

    fn report(actions: &[(&str, Action, ActionResult)]) -> Outcome {
        Outcome {
            trusted_access: true,
            accounts: actions
                .iter()
                .map(|(id, action, r)| result(id, *action, *r))
                .collect(),
            unreached: Vec::new(),
        }
    }

    fn run<'a>(trigger: &'a Trigger, outcome: &'a Outcome) -> Context<'a> {
        static ORGANIZATION: std::sync::OnceLock<OrgIdentity> = std::sync::OnceLock::new();
        Context {
            about: About {
                trigger,
                trigger_name: "EnableAWSServiceAccess",
                event_id: Some("e-1"),
                organization: ORGANIZATION.get_or_init(organization),
                agreed: None,
            },
            outcome,
            dry_run: false,
            policy: Policy {
                on_disable: Removal::Retain,
                on_departure: Removal::Retain,
            },
            continuing: false,
            failures_told: false,
            recovered: &[],
        }
    }

    fn audiences(messages: &[Message]) -> Vec<(&'static str, &'static str)> {
        messages
            .iter()
            .map(|m| (m.audience.as_str(), m.event.as_str()))
            .collect()
    }

    #[test]
    fn a_person_enabling_reaches_the_marketplace_administrator_with_the_console_step() {
        let r = report(&[("111122223333", Action::Create, ActionResult::Done)]);
        let t = Trigger::TrustedAccess {
            enabled: true,
            origin: person(),
        };
        let m = compose(run(&t, &r));
        assert_eq!(
            audiences(&m),
            [("marketplace-admin", "trusted-access-enabled")]
        );
        assert_eq!(m[0].severity, Severity::ActionRequired);
        assert!(m[0].text().contains("AWS Marketplace console"));
        assert!(m[0].text().contains("arn:aws:iam::123456789012:user/alice"));
        assert!(m[0].text().contains("2026-11-20T10:00:00Z"));
        assert!(m[0].text().contains("AWS recommends"));
    }

    #[test]
    fn marketplace_enabling_tells_the_organizations_administrator_it_is_complete() {
        let r = report(&[]);
        let t = Trigger::TrustedAccess {
            enabled: true,
            origin: marketplace(),
        };
        let m = compose(run(&t, &r));
        assert_eq!(
            audiences(&m),
            [("organizations-admin", "trusted-access-enabled")]
        );
        assert!(m[0].subject.contains("complete"));
    }

    #[test]
    fn a_person_disabling_warns_both_administrators() {
        let mut r = report(&[("111122223333", Action::Keep, ActionResult::Done)]);
        r.trusted_access = false;
        let t = Trigger::TrustedAccess {
            enabled: false,
            origin: person(),
        };
        let m = compose(run(&t, &r));
        assert_eq!(
            audiences(&m),
            [
                ("marketplace-admin", "trusted-access-disabled"),
                ("organizations-admin", "trusted-access-disabled")
            ]
        );
        assert!(m.iter().all(|m| m.severity == Severity::Warning));
        assert!(
            m[1].text()
                .contains("Wait until the AWS Marketplace administrator")
        );
        assert!(m[1].text().contains("kept in every account"));
    }

    #[test]
    fn a_departure_names_the_account_for_both_audiences() {
        let mut r = report(&[]);
        r.accounts.push(AccountResult {
            membership: Membership::Departed,
            state: None,
            ..result("210987654321", Action::Keep, ActionResult::Done)
        });
        let t = Trigger::AccountDeparted {
            account_id: "210987654321".into(),
            method: DepartureMethod::Left,
            origin: person(),
        };
        let m = compose(run(&t, &r));
        assert_eq!(
            audiences(&m),
            [
                ("organizations-admin", "account-departed"),
                ("account-admin", "account-departed")
            ]
        );
        assert!(
            m.iter()
                .all(|m| m.subject.contains("210987654321") && m.text().contains("may delete it"))
        );
    }

    #[test]
    fn an_event_that_organizations_contradicts_calls_for_no_hand_off() {
        let mut r = report(&[("111122223333", Action::Keep, ActionResult::Done)]);
        r.trusted_access = true;
        let stale_disable = Trigger::TrustedAccess {
            enabled: false,
            origin: person(),
        };
        assert!(compose(run(&stale_disable, &r)).is_empty());
        r.trusted_access = false;
        let stale_enable = Trigger::TrustedAccess {
            enabled: true,
            origin: person(),
        };
        assert!(compose(run(&stale_enable, &r)).is_empty());
    }

    #[test]
    fn a_departure_of_an_account_organizations_still_lists_calls_for_no_hand_off() {
        // Organizations still lists the account: it was reconciled as an ACTIVE member.
        let still_member = report(&[("210987654321", Action::Keep, ActionResult::Done)]);
        let t = Trigger::AccountDeparted {
            account_id: "210987654321".into(),
            method: DepartureMethod::Removed,
            origin: person(),
        };
        assert!(compose(run(&t, &still_member)).is_empty());
        let mut gone = report(&[]);
        gone.accounts.push(AccountResult {
            membership: Membership::Departed,
            state: None,
            ..result("210987654321", Action::Keep, ActionResult::Done)
        });
        assert_eq!(
            compose(run(&t, &gone)).len(),
            2,
            "once it is gone, both audiences hear"
        );
    }

    #[test]
    fn a_sweep_that_changes_nothing_says_nothing_and_one_that_fails_says_so() {
        let quiet = report(&[("111122223333", Action::Keep, ActionResult::Done)]);
        assert!(compose(run(&Trigger::Sweep, &quiet)).is_empty());
        let fixed = report(&[("111122223333", Action::Create, ActionResult::Done)]);
        assert_eq!(
            audiences(&compose(run(&Trigger::Sweep, &fixed))),
            [("organizations-admin", "drift-corrected")]
        );
        let broken = report(&[("111122223333", Action::Keep, ActionResult::Failed)]);
        let m = compose(run(&Trigger::Sweep, &broken));
        assert_eq!(audiences(&m), [("organizations-admin", "reconcile-failed")]);
        assert!(
            m[0].text()
                .contains("111122223333 failed: AssumeRole: AccessDenied")
        );
    }

    #[test]
    fn failures_during_an_enable_also_reach_the_organizations_administrator() {
        let r = report(&[("111122223333", Action::Keep, ActionResult::Failed)]);
        let t = Trigger::TrustedAccess {
            enabled: true,
            origin: person(),
        };
        assert_eq!(
            audiences(&compose(run(&t, &r))),
            [
                ("marketplace-admin", "trusted-access-enabled"),
                ("organizations-admin", "reconcile-failed")
            ]
        );
    }

    #[test]
    fn subjects_fit_sns_and_the_facts_block_round_trips() {
        let many: Vec<_> = (0..40).map(|i| (format!("1111222233{i:02}"), i)).collect();
        let actions: Vec<_> = many
            .iter()
            .map(|(id, _)| (id.as_str(), Action::Keep, ActionResult::Failed))
            .collect();
        let r = report(&actions);
        let departed = Trigger::AccountDeparted {
            account_id: "210987654321".into(),
            method: DepartureMethod::Other("x".repeat(300)),
            origin: person(),
        };
        for t in [
            Trigger::TrustedAccess {
                enabled: true,
                origin: person(),
            },
            Trigger::TrustedAccess {
                enabled: true,
                origin: marketplace(),
            },
            Trigger::TrustedAccess {
                enabled: false,
                origin: person(),
            },
            Trigger::TrustedAccess {
                enabled: false,
                origin: marketplace(),
            },
            departed,
            Trigger::AccountJoined {
                account_id: "210987654321".into(),
                method: Some(JoinedMethod::Invited),
                origin: marketplace(),
            },
            Trigger::Sweep,
        ] {
            for m in compose(run(&t, &r)) {
                assert!(m.subject.len() <= SUBJECT_LIMIT, "{}", m.subject);
                assert!(m.subject.chars().all(|c| c.is_ascii_graphic() || c == ' '));
                let facts = facts_of(&m.body).expect("facts block");
                assert_eq!(facts.event, m.event);
                assert_eq!(facts.audience, m.audience);
                assert_eq!(facts.failed.len(), 40);
                let again: Facts =
                    serde_json::from_str(&serde_json::to_string(&facts).unwrap()).unwrap();
                assert_eq!(again, facts);
            }
        }
        assert_eq!(fit_subject(&"é".repeat(200)).len(), SUBJECT_LIMIT);
    }
}
