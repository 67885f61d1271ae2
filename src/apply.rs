//! The plan's effects (docs/design.md, "One plan, then its effects"): the only code that writes
//! what a plan decided. It remembers a join, saves the ledger's changes, delivers the messages
//! through their outbox, saves the sweep's memory, then tells the ledger's follow-ups, and says
//! what happened to each.

use crate::findings::send::{Sent, send};
use crate::invocation::FOLLOW_UP_CONCURRENCY;
use crate::notify::{self, Channel, Deduplication, Delivery};
use crate::plan::Plan;
use crate::ports::{DriftOf, SecurityHub, StateStore};
use crate::report::{Store, Trouble};
use futures::StreamExt;
use tracing::warn;

/// What became of a plan.
#[derive(Debug)]
pub struct Applied {
    /// Every copy of every message, the follow-ups' last.
    pub deliveries: Vec<Delivery>,
    /// How the outbox served them.
    pub deduplication: Deduplication,
    /// The parts of the state table that failed.
    pub troubles: Vec<Trouble>,
    /// What became of the findings, when they are on.
    pub findings: Option<Sent>,
}

/// Where findings go (`SECURITY_HUB_FINDINGS`, not in a dry run): Security Hub, and the state
/// table that remembers the open ones.
#[derive(Clone, Copy)]
pub struct Evidence<'a> {
    pub hub: &'a dyn SecurityHub,
    pub state: &'a dyn StateStore,
}

/// Carries `plan` out through `channel`, publishing nothing past its deadline, then imports its
/// findings through `evidence`. The follow-ups wait for a retry when a message of the trigger could
/// not be published: the invocation then fails, and its retry tells them.
pub async fn apply(plan: &Plan, channel: &Channel<'_>, evidence: Option<Evidence<'_>>) -> Applied {
    let mut applied = deliver(plan, channel).await;
    if let (Some(evidence), Some(findings)) = (evidence, &plan.findings) {
        let deadline = channel.deadline;
        let sent = send(findings, evidence.hub, evidence.state, deadline).await;
        // Why findings were not sent (or not remembered) is one of the run's troubles too.
        if let Some(error) = &sent.error {
            let store = Store::Findings;
            let error = error.clone();
            applied.troubles.push(Trouble { store, error });
        }
        applied.findings = Some(sent);
    }
    applied
}

/// The plan's messages, state and follow-ups.
async fn deliver(plan: &Plan, channel: &Channel<'_>) -> Applied {
    let mut troubles = Vec::new();
    let mut trouble = |store, e: &crate::ports::AwsError| troubles.push(Trouble::new(store, e));
    if let (Some(state), Some((account_id, joined))) = (channel.state, &plan.joined)
        && let Err(e) = state.remember_joined(account_id, *joined).await
    {
        warn!(error = %e, account_id, "the account's join could not be remembered");
        trouble(Store::Membership, &e);
    }
    if let Some(state) = channel.state {
        for item in &plan.ledger {
            if let Err(e) = state.save_handoff(item).await {
                warn!(error = %e, id = item.id, "a hand-off could not be saved");
                trouble(Store::Ledger, &e);
            }
        }
    }
    let (mut deliveries, mut deduplication) =
        notify::send(channel, plan.key.as_deref(), &plan.messages).await;
    if let Some(state) = channel.state {
        if let Some(set) = &plan.failures
            && let Err(e) = state.save_failures(set).await
        {
            warn!(error = %e, "the sweep's failure set could not be saved");
            trouble(Store::SweepMemory, &e);
        }
        let sets = [
            (DriftOf::Services, &plan.drift),
            (DriftOf::DelegatedAdmins, &plan.admin_drift),
        ];
        for (of, set) in sets {
            if let Some(set) = set
                && let Err(e) = state.save_drift(of, set).await
            {
                warn!(error = %e, ?of, "a drift set could not be saved");
                trouble(Store::Drift, &e);
            }
        }
    }
    let failed = |d: &Delivery| d.status.is_unpublished();
    if deliveries.iter().any(failed) {
        return Applied {
            deliveries,
            deduplication,
            troubles,
            findings: None,
        };
    }
    let told: Vec<_> = futures::stream::iter(&plan.follow_ups)
        .map(|follow_up| async move {
            let message = std::slice::from_ref(&follow_up.message);
            let sent = notify::send(channel, Some(&follow_up.key), message).await;
            (follow_up, sent)
        })
        .buffered(FOLLOW_UP_CONCURRENCY)
        .collect()
        .await;
    for (follow_up, (told, outbox)) in told {
        if let Deduplication::Unavailable(e) = outbox {
            deduplication = Deduplication::Unavailable(e);
        }
        let all_told = !told.iter().any(failed);
        deliveries.extend(told);
        if let (true, Some(state)) = (all_told, channel.state)
            && let Err(e) = state.save_handoff(&follow_up.item).await
        {
            trouble(Store::Ledger, &e);
        }
    }
    Applied {
        deliveries,
        deduplication,
        troubles,
        findings: None,
    }
}
