//! The continuation (docs/design.md, "Continuation"): the accounts a run did not finish, handed to
//! a later invocation with a growing delay, at most [`MAX_ATTEMPTS`] runs per chain.

use crate::intake::{Intake, Trigger};
use crate::outcome::Outcome;
use crate::ports::{Continuation, ContinuationRequest, MAX_ATTEMPTS};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The delay before the first continuation; each next one waits twice as long.
const FIRST_DELAY: Duration = Duration::from_secs(30);

/// What became of the rest of a run (the report's `continuation.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HandoverStatus {
    /// Sent to the continuation queue.
    HandedOn,
    /// The queue refused it: the next sweep finishes the run.
    Failed,
    /// The chain's last attempt: the next sweep finishes the run.
    Exhausted,
}

/// The rest of a run, as the report tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handover {
    pub status: HandoverStatus,
    /// The attempt that was handed on, or the last one made.
    pub attempt: u32,
    /// How many accounts it carries.
    pub accounts: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The run whose rest may be handed on.
pub struct Run<'a> {
    pub intake: &'a Intake,
    pub trigger: &'a Trigger,
    pub dry_run: bool,
    /// Names the chain when the event had no id.
    pub request_id: &'a str,
}

/// Hands the accounts a run did not finish (unreached, or failed for a reason that passes) to
/// a later invocation, with a growing delay, at most [`MAX_ATTEMPTS`] runs per chain.
pub async fn hand_on(
    continuation: Option<&dyn Continuation>,
    run: &Run<'_>,
    outcome: &Outcome,
) -> Option<Handover> {
    let continuation = continuation?;
    // Sending a message is a change: a dry run leaves the rest to the next one.
    if run.dry_run {
        return None;
    }
    let transient = outcome.accounts.iter().filter(|a| a.failed_transiently());
    let accounts: Vec<String> = outcome
        .unreached
        .iter()
        .cloned()
        .chain(transient.map(|a| a.account_id.clone()))
        .collect();
    if accounts.is_empty() {
        return None;
    }
    let attempt = match run.trigger {
        Trigger::Continuation(request) => request.attempt.saturating_add(1),
        _ => 2,
    };
    if attempt > MAX_ATTEMPTS {
        return Some(Handover {
            status: HandoverStatus::Exhausted,
            attempt: MAX_ATTEMPTS,
            accounts: accounts.len(),
            delay_seconds: None,
            error: None,
        });
    }
    let request = ContinuationRequest {
        trigger: run.intake.name.clone(),
        event_id: run
            .intake
            .event_id
            .clone()
            .unwrap_or_else(|| run.request_id.to_string()),
        attempt,
        accounts,
        dry_run: run.dry_run,
    };
    // attempt is 2..=MAX_ATTEMPTS here; the arithmetic saturates all the same.
    let doublings = attempt.saturating_sub(2).min(MAX_ATTEMPTS);
    let delay = FIRST_DELAY.saturating_mul(1 << doublings);
    let handover = |status, error: Option<String>| Handover {
        status,
        attempt,
        accounts: request.accounts.len(),
        delay_seconds: Some(delay.as_secs()),
        error,
    };
    match continuation.hand_on(&request, delay).await {
        Ok(()) => Some(handover(HandoverStatus::HandedOn, None)),
        Err(e) => {
            tracing::warn!(error = %e, "the rest of the run could not be handed on");
            Some(handover(HandoverStatus::Failed, Some(e.to_string())))
        }
    }
}
