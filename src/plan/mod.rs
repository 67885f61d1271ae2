//! One plan, then its effects (docs/design.md, "One plan, then its effects"): from what an
//! invocation read (the trigger, what Organizations says, the reconciler's outcome or the guardian's
//! observation, and a snapshot of the state table), a pure function says everything it means to do:
//! the messages, the ledger's changes, the memory to save, the follow-ups. It takes no port and
//! reads no clock; [`crate::apply`] carries it out, and the report is built once from both.

pub mod evidence;
pub mod needs;
pub mod snapshot;
#[cfg(test)]
mod tests;

use crate::config::ExpectedAdmins;
use crate::decision::Policy;
use crate::drift::{self, Intent, ServicesSeen};
use crate::findings::Findings;
use crate::guardian::Observation;
use crate::handoff::Handoff;
use crate::intake::{Intake, Trigger};
use crate::ledger::{self, FollowUp};
use crate::message::Message;
use crate::messages::guardian::compose_observed;
use crate::messages::{self, About, Context};
use crate::notify::outbox_key;
use crate::outcome::Outcome;
use crate::ports::{DriftSet, FailureSet, OrgIdentity};
use crate::sweep_memory::{self, SweepMemory};
pub use snapshot::Snapshot;
use std::time::Duration;

/// What the invocation found before the plan: the reconciler's outcome, or, for a service other
/// than Marketplace, the guardian's observation.
#[derive(Debug, Clone, Copy)]
pub enum Found<'a> {
    Reconciled {
        outcome: &'a Outcome,
        /// The rest of the run was handed on to a later invocation.
        continuing: bool,
    },
    Observed(&'a Observation),
}

/// The settings the plan follows, from the configuration (or `mta`'s flags).
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    pub policy: Policy,
    /// `EXPECTED_SERVICES` and `EXPECTED_DELEGATED_ADMINS`, each if set.
    pub intent: Intent<'a>,
    pub remind_after: Duration,
    /// `SECURITY_HUB_FINDINGS`: where findings go; `None`, no findings.
    pub findings: Option<evidence::Place<'a>>,
}

/// Everything the plan is made from.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub intake: &'a Intake,
    pub trigger: &'a Trigger,
    pub dry_run: bool,
    pub organization: &'a OrgIdentity,
    pub found: Found<'a>,
    pub snapshot: &'a Snapshot,
    pub settings: Settings<'a>,
    /// The clock port's time, in seconds since the Unix epoch.
    pub now: u64,
}

/// What an invocation means to do.
#[derive(Debug, Default)]
pub struct Plan {
    /// The identity of the fact its messages are about: the outbox they go through.
    pub key: Option<String>,
    /// The trigger's messages, in order.
    pub messages: Vec<Message>,
    /// The ledger's items to save: closed by the trigger, or opened.
    pub ledger: Vec<Handoff>,
    /// The failing accounts to remember (a sweep, when they changed or were told again).
    pub failures: Option<FailureSet>,
    /// The differences from `EXPECTED_SERVICES` to remember.
    pub drift: Option<DriftSet>,
    /// The differences from `EXPECTED_DELEGATED_ADMINS` to remember.
    pub admin_drift: Option<DriftSet>,
    /// The account whose join to remember, and when it joined.
    pub joined: Option<(String, u64)>,
    /// What the ledger holds to tell, each through its own outbox, after the messages.
    pub follow_ups: Vec<FollowUp>,
    /// What a sweep saw of the organization's services, for the report.
    pub services: Option<ServicesSeen>,
    /// The findings to import, after the messages.
    pub findings: Option<Findings>,
}

impl Plan {
    /// How many messages the plan sends, follow-ups included.
    pub fn message_count(&self) -> usize {
        self.messages.len() + self.follow_ups.len()
    }
}

/// The plan of an invocation: a pure function of what it read.
pub fn plan(input: Input<'_>) -> Plan {
    let (intake, trigger, organization) = (input.intake, input.trigger, input.organization);
    let (found, snapshot, settings, now) = (input.found, input.snapshot, input.settings, input.now);
    let dry_run = input.dry_run;
    let sweep = matches!(trigger, Trigger::Sweep);
    let key = outbox_key(intake, trigger, snapshot.joined);
    let holds = match found {
        Found::Reconciled { outcome, .. } => {
            matches!(trigger, Trigger::TrustedAccess { enabled, .. } if *enabled == outcome.trusted_access)
        }
        Found::Observed(observation) => observation.holds,
    };
    let items = snapshot.handoffs.as_deref().unwrap_or_default();
    let judgement = ledger::judge(items, trigger, key.as_deref(), holds, now);
    let outside_intent = outside_intent(trigger, holds, settings.intent.admins);
    let about = About {
        agreed: judgement.agreed.as_ref(),
        outside_intent: outside_intent.is_some(),
        ..About::of(intake, trigger, organization)
    };
    let mut plan = Plan {
        key: key.clone(),
        ..Plan::default()
    };
    plan.messages = match found {
        Found::Reconciled {
            outcome,
            continuing,
        } => {
            let memory = match (&snapshot.failures, sweep) {
                (Some(before), true) => {
                    sweep_memory::recall(before, outcome, continuing, settings.remind_after, now)
                }
                _ => SweepMemory::default(),
            };
            let messages = composed(
                about,
                outcome,
                dry_run,
                settings.policy,
                continuing,
                &memory,
            );
            plan.failures = memory.save;
            messages
        }
        Found::Observed(observation) if holds => compose_observed(about, observation),
        Found::Observed(_) => Vec::new(),
    };
    if let (Some(read), true) = (&snapshot.services, sweep && settings.intent.is_set()) {
        let o = About::of(intake, trigger, organization);
        let watched = drift::watch(read, settings.intent, o, settings.remind_after, now);
        plan.messages.extend(watched.messages);
        plan.drift = watched.save;
        plan.admin_drift = watched.save_admins;
        plan.services = Some(watched.seen);
    }
    // A registration outside intent was told as it happened: the next sweep does not repeat it.
    if let (Some(subject), Some(told)) = (&outside_intent, &snapshot.admins_told) {
        plan.admin_drift = crate::delegation::told_at_registration(told, subject, now);
    }
    // An item is opened only where the ledger can keep it: a message says it is followed only then.
    let ledger_key = key.as_deref().filter(|_| snapshot.handoffs.is_some());
    let opened = ledger::open(&mut plan.messages, about, ledger_key, holds, now);
    plan.ledger = judgement.changes.into_iter().chain(opened).collect();
    plan.joined = joining(trigger, snapshot.joined, dry_run);
    if let Some(items) = &snapshot.handoffs {
        let items = ledger::after(items, &plan.ledger);
        let remind = sweep.then_some(settings.remind_after);
        let enabled = snapshot.enabled.as_deref();
        let organization = &organization.organization_id;
        plan.follow_ups = ledger::follow_ups(items, organization, enabled, remind, now);
    }
    if let (Some(place), Some(before)) = (settings.findings, &snapshot.findings) {
        plan.findings = Some(evidence::findings(&plan, input, before, place));
    }
    plan
}

/// The messages of a reconciliation.
fn composed(
    about: About<'_>,
    outcome: &Outcome,
    dry_run: bool,
    policy: Policy,
    continuing: bool,
    memory: &SweepMemory,
) -> Vec<Message> {
    messages::compose(Context {
        about,
        outcome,
        dry_run,
        policy,
        continuing,
        failures_told: memory.told,
        recovered: &memory.recovered,
    })
}

/// The subject of a registration of a delegated administrator that holds and is outside
/// `EXPECTED_DELEGATED_ADMINS` (when set).
fn outside_intent(
    trigger: &Trigger,
    holds: bool,
    admins: Option<&ExpectedAdmins>,
) -> Option<String> {
    let Trigger::DelegatedAdmin {
        principal,
        account_id,
        registered: true,
        ..
    } = trigger
    else {
        return None;
    };
    let outside = !crate::delegation::intended(admins?, principal, account_id);
    (holds && outside).then(|| crate::delegation::subject(principal, account_id))
}

/// The join to remember: the account of a join, and when Organizations says it joined (not in a
/// dry run).
fn joining(trigger: &Trigger, joined: Option<u64>, dry_run: bool) -> Option<(String, u64)> {
    let account_id = match trigger {
        Trigger::AccountJoined { account_id, .. }
        | Trigger::MemberRoleDeployed {
            account_id: Some(account_id),
            ..
        } => account_id,
        _ => return None,
    };
    (!dry_run).then_some((account_id.clone(), joined?))
}
