//! What a plan's effects will need, counted before the accounts are reconciled, so that the
//! reconciler stops in time for them (docs/design.md, "One plan, then its effects"): the messages
//! the trigger may send, the drift warnings and ledger follow-ups the snapshot already calls for.

use super::{Settings, Snapshot};
use crate::drift;
use crate::intake::Trigger;
use crate::ledger;

/// The most messages a trigger's own composition sends: its own (at most two), a failure summary
/// and a recovery.
pub const TRIGGER_MESSAGES: usize = 4;

/// The messages a plan will send at most, by how they go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Needs {
    /// Through the trigger's outbox: its own messages and the drift warnings.
    pub messages: usize,
    /// Each through an outbox of its own, after them.
    pub follow_ups: usize,
    /// Whether findings are imported after them.
    pub findings: bool,
}

/// Counts what the plan of `trigger` will send at most, from what was read before reconciling.
pub fn needs(trigger: &Trigger, snapshot: &Snapshot, settings: Settings<'_>, now: u64) -> Needs {
    let sweep = matches!(trigger, Trigger::Sweep);
    let intent = settings.intent;
    let drift = match (&snapshot.services, sweep) {
        (Some(Ok(read)), true) => {
            let services = intent.services.map_or(0, |expected| {
                let differing = drift::compare(expected, &read.enabled);
                drift::recall(&read.told, &differing, now, settings.remind_after)
                    .0
                    .len()
            });
            let admins = intent.admins.map_or(0, |expected| {
                let differing = crate::delegation::compare(expected, &read.admins);
                drift::recall(&read.admins_told, &differing, now, settings.remind_after)
                    .0
                    .len()
            });
            services + admins
        }
        _ => 0,
    };
    let follow_ups = snapshot.handoffs.as_ref().map_or(0, |items| {
        let remind = sweep.then_some(settings.remind_after);
        let enabled = snapshot.enabled.as_deref();
        let due = ledger::follow_ups(items.clone(), "", enabled, remind, now).len();
        // An open item the trigger closes is told ended too.
        due + items.iter().filter(|i| i.is_open()).count()
    });
    Needs {
        messages: TRIGGER_MESSAGES + drift,
        follow_ups,
        findings: settings.findings.is_some() && snapshot.findings.is_some(),
    }
}
