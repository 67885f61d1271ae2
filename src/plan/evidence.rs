//! The findings of a plan (docs/design.md, "Findings"): the standing conditions of what the
//! invocation read and decided, given the findings open before.

use super::{Found, Input, Plan};
use crate::findings::{self, Conditions, Findings, asff};
use crate::intake::Trigger;
use crate::ledger;
use crate::ports::FindingsSet;

/// Where findings are imported: the function's region and partition.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub region: &'a str,
    pub partition: &'a str,
}

/// The findings of `plan`, made from what it was made from (`sources`), given those open before.
pub fn findings(
    plan: &Plan,
    sources: Input<'_>,
    before: &FindingsSet,
    place: Place<'_>,
) -> Findings {
    let sweep = matches!(sources.trigger, Trigger::Sweep);
    let mut conditions = Conditions::default();
    if let Some(seen) = plan.services.as_ref().filter(|s| s.error.is_none()) {
        if !seen.expected.is_empty() {
            conditions.services(&seen.differing);
        }
        if seen.expected_delegated_administrators.is_some() {
            conditions.admins(&seen.differing_delegated_administrators);
        }
    }
    if let Some(items) = &sources.snapshot.handoffs {
        conditions.handoffs(&ledger::after(items, &plan.ledger));
    }
    match (sources.found, sources.trigger) {
        (
            Found::Reconciled {
                outcome,
                continuing,
            },
            Trigger::Sweep,
        ) => {
            conditions.accounts(outcome, continuing, before);
        }
        (Found::Reconciled { outcome, .. }, Trigger::AccountDeparted { account_id, .. }) => {
            // Only a departure Organizations confirms: the account is no longer listed.
            let left = outcome.account(account_id).map(|a| a.membership);
            if left == Some(crate::decision::Membership::Departed) {
                conditions.departed(account_id);
            }
        }
        _ => {}
    }
    let context = asff::Context {
        organization: sources.organization,
        region: place.region,
        partition: place.partition,
        now: sources.now,
    };
    findings::plan(&conditions, before, sweep, &context)
}
