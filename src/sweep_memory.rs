//! What a sweep remembers of the failures it told (docs/design.md, "State"): whether the failing
//! accounts are new, a reminder is due, or they recovered. The failing set is one condition of the
//! generic memory ([`crate::memory`]); the state table keeps it as one item.

use crate::memory::{self, Memory, Tell, Told};
use crate::outcome::Outcome;
use crate::ports::FailureSet;
use std::collections::BTreeMap;
use std::time::Duration;

/// The one subject of the failure set in the generic memory.
const FAILING: &str = "failing";

/// What a sweep remembers of the failures it told.
#[derive(Debug, Default)]
pub struct SweepMemory {
    /// The failing accounts are those told lately: no new warning.
    pub told: bool,
    /// Accounts told failing before, reconciled now.
    pub recovered: Vec<String>,
    /// The set to remember after this sweep, if it changed or was told again.
    pub save: Option<FailureSet>,
}

/// The stored set, as the generic memory holds it.
fn remembered(set: &FailureSet) -> Memory<BTreeMap<String, String>> {
    let told = (!set.accounts.is_empty()).then(|| {
        let value = set.accounts.clone();
        let told = Told {
            value,
            warned_at: set.warned_at,
        };
        (FAILING.to_string(), told)
    });
    Memory {
        told: told.into_iter().collect(),
        version: set.version,
    }
}

/// The generic memory, as the state table stores it.
fn stored(memory: Memory<BTreeMap<String, String>>) -> FailureSet {
    let version = memory.version;
    match memory.told.into_iter().next() {
        Some((_, told)) => FailureSet {
            accounts: told.value,
            warned_at: told.warned_at,
            version,
        },
        None => FailureSet {
            version,
            ..FailureSet::default()
        },
    }
}

/// A sweep warns when the set of failing accounts (or their errors) changes, repeats an unchanged
/// one at most once per `remind_after` (`now` is the clock port's time), and announces recovery once
/// (docs/design.md, "State"). `before` is the set the table holds.
pub fn recall(
    before: &FailureSet,
    outcome: &Outcome,
    continuing: bool,
    remind_after: Duration,
    now: u64,
) -> SweepMemory {
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
    let failing = (!accounts.is_empty()).then(|| (FAILING.to_string(), accounts));
    let failing: BTreeMap<_, _> = failing.into_iter().collect();
    let (tell, save) = memory::recall(&remembered(before), &failing, now, remind_after);
    let mut out = SweepMemory {
        told: !failing.is_empty(),
        recovered: Vec::new(),
        save: save.map(stored),
    };
    for (_, told) in tell {
        match told {
            Tell::Stands(_) => out.told = false,
            Tell::Ended(accounts) => out.recovered = accounts.into_keys().collect(),
        }
    }
    out
}
