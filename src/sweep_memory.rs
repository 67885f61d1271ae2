//! What a sweep remembers of the failures it told (docs/design.md, "State"): whether the failing
//! accounts are new, a reminder is due, or they recovered.

use crate::notify::Deduplication;
use crate::outcome::Outcome;
use crate::ports::{FailureSet, StateStore};
use std::collections::BTreeMap;
use std::time::Duration;

/// What a sweep remembers of the failures it told.
#[derive(Default)]
pub struct SweepMemory {
    /// The failing accounts are those told lately: no new warning.
    pub told: bool,
    /// Accounts told failing before, reconciled now.
    pub recovered: Vec<String>,
    /// The set to remember after this sweep, if it changed or was told again.
    pub save: Option<FailureSet>,
}

/// A sweep warns when the set of failing accounts (or their errors) changes, repeats an unchanged
/// one at most once per `remind_after` (`now` is the clock port's time), and announces recovery once
/// (docs/design.md, "State").
pub async fn recall(
    state: &dyn StateStore,
    outcome: &Outcome,
    continuing: bool,
    remind_after: Duration,
    now: u64,
) -> (SweepMemory, Deduplication) {
    let before = match state.failures().await {
        Ok(before) => before,
        Err(e) => return (SweepMemory::default(), Deduplication::Unavailable(e)),
    };
    let accounts: BTreeMap<String, String> = outcome
        .failures_to_tell(continuing)
        .filter_map(|a| {
            let f = a.failure.as_ref()?;
            Some((
                a.account_id.clone(),
                format!("{}: {}", f.step, f.error.code),
            ))
        })
        .collect();
    let memory = if accounts.is_empty() {
        SweepMemory {
            told: false,
            recovered: before.accounts.keys().cloned().collect(),
            save: (!before.accounts.is_empty()).then(|| FailureSet {
                version: before.version,
                ..FailureSet::default()
            }),
        }
    } else if accounts == before.accounts
        && now.saturating_sub(before.warned_at) < remind_after.as_secs()
    {
        SweepMemory {
            told: true,
            ..SweepMemory::default()
        }
    } else {
        SweepMemory {
            told: false,
            recovered: Vec::new(),
            save: Some(FailureSet {
                accounts,
                warned_at: now,
                version: before.version,
            }),
        }
    };
    (memory, Deduplication::On)
}
