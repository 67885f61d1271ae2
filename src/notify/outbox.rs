//! The outbox (docs/design.md, "State"): a trigger's messages stored before anything is published,
//! each copy claimed before it is published and recorded once it is, so that each goes out once
//! however many times the trigger is delivered.

use super::{Channel, Deduplication, Delivery, DeliveryStatus, PUBLISH_CONCURRENCY, Topics};
use super::{PUBLISH_TIMEOUT, deferred, publish, thread, too_late};
use crate::intake::{Intake, Trigger};
use crate::message::{Format, Message};
use crate::ports::{AwsError, Claim, Claimant, Publisher, StateStore, StoredMessage, epoch_millis};
use futures::StreamExt;
use std::time::Duration;
use tokio::time::Instant;
use tracing::warn;

/// How long a claim on a stored message lasts: longer than its holder needs to publish it and
/// record it (one publish, one write), shorter than Lambda waits before it retries a failed
/// asynchronous invocation (about a minute) and than the continuation queue's visibility timeout,
/// so that the retry after a holder that died finds the claim lapsed and delivers.
pub const LEASE: Duration = Duration::from_secs(30);
/// How long an invocation waits for another's live claim before it gives up and fails, so that
/// Lambda retries it: as long as the holder's publish can take.
pub const WAIT_FOR_CLAIM: Duration = PUBLISH_TIMEOUT;
/// How often it looks while it waits.
const WAIT_STEP: Duration = Duration::from_millis(500);

/// Delivers `messages` through the outbox: the first composition of a trigger's messages is
/// stored before anything is published, and a retry or a duplicate publishes only the copies not
/// published yet, with the content first composed. Each copy is claimed before it is published, so
/// that of two invocations at the same moment only one publishes it; the other waits for it, or
/// fails so that Lambda retries it. When the table cannot be used, the messages are published
/// anyway: a duplicate is better than silence.
pub(super) async fn deliver_once(
    channel: &Channel<'_>,
    state: &dyn StateStore,
    key: &str,
    messages: &[Message],
) -> (Vec<Delivery>, Deduplication) {
    let topics: &Topics<'_> = &channel.topics;
    let stored = match outbox(state, key, messages).await {
        Ok(stored) => stored,
        Err(error) => {
            warn!(%error, key, "state table unavailable: hand-offs sent at least once");
            let deliveries = super::deliver(topics, Some(key), messages, channel.deadline).await;
            return (deliveries, Deduplication::Unavailable(error));
        }
    };
    let copies = stored.iter().flat_map(|kept| {
        [Format::Text, Format::Chat]
            .into_iter()
            .filter_map(move |format| Some((kept, topics.of(format)?, format)))
    });
    let delivered: Vec<(Delivery, Option<AwsError>)> = futures::stream::iter(copies)
        .map(|(kept, publisher, format)| {
            let claimant = Claimant {
                key,
                index: kept.index,
                format,
                holder: channel.holder,
                lease: LEASE,
            };
            async move { deliver_copy(publisher, state, claimant, kept, channel.deadline).await }
        })
        .buffered(PUBLISH_CONCURRENCY)
        .collect()
        .await;
    let mut deduplication = Deduplication::On;
    let mut deliveries = Vec::with_capacity(delivered.len());
    for (delivery, trouble) in delivered {
        if let Some(error) = trouble {
            deduplication = Deduplication::Unavailable(error);
        }
        deliveries.push(delivery);
    }
    (deliveries, deduplication)
}

/// Delivers one copy of a stored message, unless it is published already; with the trouble the
/// table gave, if any.
async fn deliver_copy(
    publisher: &dyn Publisher,
    state: &dyn StateStore,
    claimant: Claimant<'_>,
    kept: &StoredMessage,
    deadline: Option<Instant>,
) -> (Delivery, Option<AwsError>) {
    let claimant = &claimant;
    let (message, format, key) = (&kept.message, claimant.format, claimant.key);
    let already = |id: String| Delivery {
        message_id: Some(id),
        ..Delivery::of(message, format, DeliveryStatus::AlreadyPublished)
    };
    if let Some(id) = kept.published.get(&format) {
        return (already(id.clone()), None);
    }
    // No claim once the time is up: the copy waits for the retry, unclaimed.
    if too_late(deadline) {
        return (deferred(message, format), None);
    }
    let mut trouble = None;
    match claim(state, claimant, deadline).await {
        Ok(Claim::Held) => {}
        Ok(Claim::Published(id)) => return (already(id), None),
        Ok(Claim::Busy { holder: other, .. }) => {
            warn!(key, other, "another invocation is publishing this hand-off");
            let error = AwsError::new(
                "HandOffBeingPublished",
                format!(
                    "invocation {other} holds the hand-off and has not published it yet; \
                     a retry delivers it if that invocation does not"
                ),
            );
            let failed = Delivery {
                error: Some(error),
                ..Delivery::of(message, format, DeliveryStatus::Failed)
            };
            return (failed, None);
        }
        Err(error) => {
            warn!(%error, key, "the hand-off could not be claimed: sent at least once");
            trouble = Some(error);
        }
    }
    let delivery = publish(publisher, message, &thread(message, Some(key)), deadline).await;
    // The claim's wait may have used the time up.
    if delivery.status == DeliveryStatus::Deferred {
        // Not published: give the claim up, so that a retry need not wait for its lease.
        if let Err(error) = state.release(claimant).await {
            trouble = Some(error);
        }
        return (delivery, trouble);
    }
    let recorded = match &delivery.message_id {
        Some(id) => state.published(claimant, id).await,
        // Not published: give the claim up, so that a retry need not wait for its lease.
        None => state.release(claimant).await,
    };
    if let Err(error) = recorded {
        // Published, but not remembered: a retry after the lease would publish it again.
        warn!(%error, key, "a hand-off's delivery could not be recorded");
        trouble = Some(error);
    }
    (delivery, trouble)
}

/// Claims a copy, waiting up to [`WAIT_FOR_CLAIM`] (and not past `deadline`) for another
/// invocation's live claim to end: published (then it is already published) or lapsed (then it is
/// taken over).
async fn claim(
    state: &dyn StateStore,
    claimant: &Claimant<'_>,
    deadline: Option<Instant>,
) -> Result<Claim, AwsError> {
    let waited = tokio::time::Instant::now() + WAIT_FOR_CLAIM;
    let waited_until = deadline.map_or(waited, |d| d.min(waited));
    loop {
        let claim = state.claim(claimant).await?;
        let Claim::Busy { until_ms, .. } = claim else {
            return Ok(claim);
        };
        let now = tokio::time::Instant::now();
        if now >= waited_until {
            return Ok(claim);
        }
        // Look again soon, or when the lease lapses if that comes first.
        let lapses_in = Duration::from_millis(until_ms.saturating_sub(epoch_millis()));
        tokio::time::sleep(WAIT_STEP.min(lapses_in).min(waited_until - now)).await;
    }
}

/// The trigger's outbox: the one stored, or `messages`, stored now.
async fn outbox(
    state: &dyn StateStore,
    key: &str,
    messages: &[Message],
) -> Result<Vec<StoredMessage>, AwsError> {
    let stored = state.outbox(key).await?;
    if !stored.is_empty() || messages.is_empty() {
        return Ok(stored);
    }
    let composed: Vec<StoredMessage> = messages
        .iter()
        .enumerate()
        .map(|(index, message)| StoredMessage {
            index,
            message: message.clone(),
            published: Default::default(),
        })
        .collect();
    if state.store(key, &composed).await? {
        Ok(composed)
    } else {
        // Another delivery of the same trigger stored its messages first: those are the ones.
        state.outbox(key).await
    }
}

/// The identity of the fact a trigger's hand-offs are about: the same for every delivery of it.
/// `None` for a command, which has no identity: its messages go out at least once.
///
/// A join or a departure is one membership episode of its account, named by when the account
/// joined (`joined`: as Organizations reports it for a join, as remembered at the join for a
/// departure), so that the events of one departure make one hand-off and a departure after a
/// rejoin makes another (docs/design.md, "State").
pub fn outbox_key(intake: &Intake, trigger: &Trigger, joined: Option<u64>) -> Option<String> {
    let episode = |kind: &str, account_id: &str| match joined {
        Some(at) => format!("{kind}#{account_id}#{at}"),
        None => format!("{kind}#{account_id}"),
    };
    match trigger {
        // One departure, one hand-off, whether it comes as RemoveAccountFromOrganization,
        // AccountDepartedOrganization or both; likewise for a join and its member role.
        Trigger::AccountDeparted { account_id, .. } => Some(episode("departed", account_id)),
        Trigger::AccountJoined { account_id, .. }
        | Trigger::MemberRoleDeployed {
            account_id: Some(account_id),
            succeeded: true,
            ..
        } => Some(episode("joined", account_id)),
        Trigger::Continuation(request) => Some(format!("{}#{}", request.event_id, request.attempt)),
        Trigger::Command { .. } => None,
        _ => intake.event_id.clone(),
    }
}
