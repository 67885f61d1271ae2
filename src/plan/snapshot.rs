//! What the state table (and, for a sweep, Organizations' list of services) says before the plan is
//! made: read once, so that the plan itself reads nothing (docs/design.md, "One plan, then its
//! effects").

use crate::drift::{self, Intent, ServicesRead};
use crate::handoff::Handoff;
use crate::intake::Trigger;
use crate::ledger;
use crate::ports::{
    AwsError, Directory, DriftOf, DriftSet, EnabledService, FailureSet, FindingsSet, StateStore,
};
use crate::report::{Store, Trouble};

/// What was read for the plan. Without a state table (or in a dry run) nothing of the table is
/// read: nothing is remembered, and nothing is followed.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The hand-off ledger's items; `None` without a table, or when it could not be read.
    pub handoffs: Option<Vec<Handoff>>,
    /// The failing accounts a sweep told last (a sweep with a table).
    pub failures: Option<FailureSet>,
    /// What a sweep with `EXPECTED_SERVICES` or `EXPECTED_DELEGATED_ADMINS` compares, or why it
    /// could not be read.
    pub services: Option<Result<ServicesRead, AwsError>>,
    /// The differences from `EXPECTED_DELEGATED_ADMINS` told, for a registration (the sweep's are
    /// in `services`).
    pub admins_told: Option<DriftSet>,
    /// The services Organizations lists as enabled, for a sweep that finds hand-offs made moot.
    pub enabled: Option<Vec<EnabledService>>,
    /// When the account of a join or a departure joined, naming its membership episode.
    pub joined: Option<u64>,
    /// The findings open in Security Hub (`SECURITY_HUB_FINDINGS`); `None` when findings are off
    /// or the memory could not be read (then no finding is sent).
    pub findings: Option<FindingsSet>,
    /// The parts of the table that could not be read.
    pub troubles: Vec<Trouble>,
}

/// What the reading needs to know of the invocation.
pub struct Reading<'a> {
    pub trigger: &'a Trigger,
    /// What the organization means to have.
    pub intent: Intent<'a>,
    /// For a join: when Organizations says the account joined.
    pub joined_now: Option<u64>,
    /// With findings on, the state table that remembers the open ones (none in a dry run).
    pub findings: Option<&'a dyn StateStore>,
}

impl Snapshot {
    /// Reads what the plan of `reading` needs, through `state` (none without a table, in a dry run
    /// or without a topic) and `directory`.
    pub async fn read(
        state: Option<&dyn StateStore>,
        directory: &dyn Directory,
        reading: Reading<'_>,
    ) -> Snapshot {
        let sweep = matches!(reading.trigger, Trigger::Sweep);
        let mut snapshot = Snapshot {
            joined: reading.joined_now,
            ..Snapshot::default()
        };
        if reading.intent.is_set() && sweep {
            let read = drift::read(directory, state, reading.intent).await;
            if let Err(e) = &read {
                tracing::warn!(error = %e, "the organization's services could not be compared");
            }
            snapshot.services = Some(read);
        }
        if let Some(table) = reading.findings {
            match table.findings().await {
                Ok(set) => snapshot.findings = Some(set),
                Err(e) => {
                    tracing::warn!(error = %e, "the open findings could not be read");
                    snapshot.troubles.push(Trouble::new(Store::Findings, &e));
                }
            }
        }
        let Some(state) = state else {
            return snapshot;
        };
        let trouble = |store, e: &AwsError| {
            tracing::warn!(error = %e, ?store, "the state table could not be read");
            Trouble::new(store, e)
        };
        match state.handoffs().await {
            Ok(items) => snapshot.handoffs = Some(items),
            Err(e) => snapshot.troubles.push(trouble(Store::Ledger, &e)),
        }
        if sweep {
            match state.failures().await {
                Ok(set) => snapshot.failures = Some(set),
                Err(e) => snapshot.troubles.push(trouble(Store::SweepMemory, &e)),
            }
            let needs = snapshot
                .handoffs
                .as_deref()
                .is_some_and(ledger::needs_enabled);
            let listed = snapshot
                .services
                .as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|r| r.enabled.clone());
            snapshot.enabled = match (needs, listed) {
                (false, _) => None,
                (true, Some(listed)) => Some(listed),
                (true, None) => match directory.enabled_services().await {
                    Ok(services) => Some(services),
                    Err(e) => {
                        snapshot.troubles.push(trouble(Store::Ledger, &e));
                        None
                    }
                },
            };
        }
        if let (Trigger::DelegatedAdmin { .. }, Some(_)) = (reading.trigger, reading.intent.admins)
        {
            match state.drift(DriftOf::DelegatedAdmins).await {
                Ok(set) => snapshot.admins_told = Some(set),
                Err(e) => snapshot.troubles.push(trouble(Store::Drift, &e)),
            }
        }
        if let Trigger::AccountDeparted { account_id, .. } = reading.trigger {
            match state.joined(account_id).await {
                Ok(joined) => snapshot.joined = joined,
                Err(e) => snapshot.troubles.push(trouble(Store::Membership, &e)),
            }
        }
        snapshot
    }
}
