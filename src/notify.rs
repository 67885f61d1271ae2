//! Delivering the hand-offs (docs/design.md, "Notifications" and "State"): publish each message, or
//! log it when there is no topic or the run is a dry run, and say what became of each. With a state
//! table, a trigger's messages go through its outbox, so that each is published once.

use crate::intake::{Intake, Trigger};
use crate::messages::message::{Audience, Event, Message};
use crate::ports::{AwsError, Claim, Claimant, Publisher, StateStore, StoredMessage, epoch_millis};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tracing::{info, warn};

/// The SNS client's operation timeout: the longest one publish may take. The invocation keeps
/// this much time back from its deadline for each hand-off.
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claim on a stored message lasts: longer than its holder needs to publish it and
/// record it (one publish, one write), shorter than Lambda waits before it retries a failed
/// asynchronous invocation (about a minute) and than the continuation queue's visibility timeout,
/// so that the retry after a holder that died finds the claim lapsed and delivers.
pub const LEASE: Duration = Duration::from_secs(30);
/// How long an invocation waits for another's live claim before it gives up and fails, so that
/// Lambda retries it: as long as the holder's publish can take.
const WAIT_FOR_CLAIM: Duration = PUBLISH_TIMEOUT;
/// How often it looks while it waits.
const WAIT_STEP: Duration = Duration::from_millis(500);

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryStatus {
    /// Published now.
    Published,
    /// Published by an earlier delivery of the same trigger.
    AlreadyPublished,
    /// Written to the log only: no topic configured, or a dry run.
    Logged,
    /// Could not be published: the invocation fails so that Lambda retries it.
    Failed,
}

/// One message's delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub audience: Audience,
    pub event: Event,
    pub subject: String,
    pub message_id: Option<String>,
    pub status: DeliveryStatus,
    pub error: Option<AwsError>,
}

impl Delivery {
    fn of(message: &Message, status: DeliveryStatus) -> Delivery {
        Delivery {
            audience: message.audience,
            event: message.event,
            subject: message.subject.clone(),
            message_id: None,
            status,
            error: None,
        }
    }
}

/// Publishes every message through `publisher`, or logs it when there is none (no topic, or a dry
/// run: `sns:Publish` is a mutating call). One message that cannot be published does not keep the
/// others from their audiences; it is marked failed.
pub async fn deliver(publisher: Option<&dyn Publisher>, messages: &[Message]) -> Vec<Delivery> {
    let mut deliveries = Vec::with_capacity(messages.len());
    for message in messages {
        let delivery = match publisher {
            None => {
                info!(
                    audience = message.audience.as_str(),
                    event = message.event.as_str(),
                    subject = %message.subject,
                    body = %message.body,
                    "notification logged, not published"
                );
                Delivery::of(message, DeliveryStatus::Logged)
            }
            Some(publisher) => match publisher.publish(message).await {
                Ok(id) => Delivery {
                    message_id: Some(id),
                    ..Delivery::of(message, DeliveryStatus::Published)
                },
                Err(error) => {
                    warn!(
                        audience = message.audience.as_str(),
                        event = message.event.as_str(),
                        %error,
                        "notification not published"
                    );
                    Delivery {
                        error: Some(error),
                        ..Delivery::of(message, DeliveryStatus::Failed)
                    }
                }
            },
        };
        deliveries.push(delivery);
    }
    deliveries
}

/// How hand-offs were delivered, as the report's `deduplication` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeduplicationMode {
    /// Each hand-off published once, through the state table.
    On,
    /// At least once.
    Off,
    /// The table failed: at least once; `deduplicationError` says how.
    Unavailable,
}

/// Whether the hand-offs were de-duplicated through the state table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deduplication {
    /// No state table, no topic, a dry run, or a trigger with no identity (a command): at least once.
    Off,
    /// Through the trigger's outbox.
    On,
    /// The table could not be used: the messages went out anyway, at least once.
    Unavailable(AwsError),
}

/// Where a trigger's messages go exactly once: the state table, the outbox's key, and the
/// invocation that delivers (its request id names its claims).
pub struct Outbox<'a> {
    pub state: &'a dyn StateStore,
    pub key: &'a str,
    pub holder: &'a str,
}

impl Deduplication {
    /// The report's word for it.
    pub fn mode(&self) -> DeduplicationMode {
        match self {
            Deduplication::Off => DeduplicationMode::Off,
            Deduplication::On => DeduplicationMode::On,
            Deduplication::Unavailable(_) => DeduplicationMode::Unavailable,
        }
    }
}

/// Where an invocation's messages go: the topic (none in a dry run, or without one), the state
/// table (none without one), and the invocation that delivers, whose request id names its claims.
#[derive(Clone, Copy)]
pub struct Channel<'a> {
    pub publisher: Option<&'a dyn Publisher>,
    pub state: Option<&'a dyn StateStore>,
    pub holder: &'a str,
}

/// Delivers a trigger's messages: exactly once through its outbox when there is a topic, a state
/// table and an identity of the fact (`key`), and otherwise at least once, or logged.
pub async fn send(
    channel: &Channel<'_>,
    key: Option<&str>,
    messages: &[Message],
) -> (Vec<Delivery>, Deduplication) {
    match (channel.publisher, channel.state, key) {
        (Some(publisher), Some(state), Some(key)) => {
            let at = Outbox {
                state,
                key,
                holder: channel.holder,
            };
            deliver_once(publisher, &at, messages).await
        }
        (publisher, _, _) => (deliver(publisher, messages).await, Deduplication::Off),
    }
}

/// Delivers `messages` through the outbox: the first composition of a trigger's messages is
/// stored before anything is published, and a retry or a duplicate publishes only what is not
/// published yet, with the content first composed. Each message is claimed before it is
/// published, so that of two invocations at the same moment only one publishes it; the other waits
/// for it, or fails so that Lambda retries it. When the table cannot be used, the messages are
/// published anyway: a duplicate is better than silence.
pub async fn deliver_once(
    publisher: &dyn Publisher,
    outbox_at: &Outbox<'_>,
    messages: &[Message],
) -> (Vec<Delivery>, Deduplication) {
    let Outbox { state, key, holder } = *outbox_at;
    let stored = match outbox(state, key, messages).await {
        Ok(stored) => stored,
        Err(error) => {
            warn!(%error, key, "state table unavailable: hand-offs sent at least once");
            let deliveries = deliver(Some(publisher), messages).await;
            return (deliveries, Deduplication::Unavailable(error));
        }
    };
    let mut deduplication = Deduplication::On;
    let mut deliveries = Vec::with_capacity(stored.len());
    for kept in &stored {
        let message = &kept.message;
        if let Some(id) = &kept.message_id {
            deliveries.push(Delivery {
                message_id: Some(id.clone()),
                ..Delivery::of(message, DeliveryStatus::AlreadyPublished)
            });
            continue;
        }
        match claim(state, key, kept.index, holder).await {
            Ok(Claim::Held) => {}
            Ok(Claim::Published(id)) => {
                deliveries.push(Delivery {
                    message_id: Some(id),
                    ..Delivery::of(message, DeliveryStatus::AlreadyPublished)
                });
                continue;
            }
            Ok(Claim::Busy { holder: other, .. }) => {
                warn!(key, other, "another invocation is publishing this hand-off");
                let error = AwsError::new(
                    "HandOffBeingPublished",
                    format!(
                        "invocation {other} holds the hand-off and has not published it yet; \
                         a retry delivers it if that invocation does not"
                    ),
                );
                deliveries.push(Delivery {
                    error: Some(error),
                    ..Delivery::of(message, DeliveryStatus::Failed)
                });
                continue;
            }
            Err(error) => {
                warn!(%error, key, "the hand-off could not be claimed: sent at least once");
                deduplication = Deduplication::Unavailable(error);
            }
        }
        let delivery = deliver(Some(publisher), std::slice::from_ref(message))
            .await
            .remove(0);
        let recorded = match &delivery.message_id {
            Some(id) => state.published(key, kept.index, id).await,
            // Not published: give the claim up, so that a retry need not wait for its lease.
            None => state.release(key, kept.index, holder).await,
        };
        if let Err(error) = recorded {
            // Published, but not remembered: a retry after the lease would publish it again.
            warn!(%error, key, "a hand-off's delivery could not be recorded");
            deduplication = Deduplication::Unavailable(error);
        }
        deliveries.push(delivery);
    }
    (deliveries, deduplication)
}

/// Claims a message, waiting up to [`WAIT_FOR_CLAIM`] for another invocation's live claim to end:
/// published (then it is already published) or lapsed (then it is taken over).
async fn claim(
    state: &dyn StateStore,
    key: &str,
    index: usize,
    holder: &str,
) -> Result<Claim, AwsError> {
    let waited_until = tokio::time::Instant::now() + WAIT_FOR_CLAIM;
    loop {
        let claimant = Claimant {
            key,
            index,
            holder,
            lease: LEASE,
        };
        let claim = state.claim(&claimant).await?;
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
            message_id: None,
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
pub fn outbox_key(intake: &Intake, trigger: &Trigger) -> Option<String> {
    match trigger {
        // One departure, one hand-off, whether it comes as RemoveAccountFromOrganization,
        // AccountDepartedOrganization or both; likewise for a join and its member role.
        Trigger::AccountDeparted { account_id, .. } => Some(format!("departed#{account_id}")),
        Trigger::AccountJoined { account_id, .. }
        | Trigger::MemberRoleDeployed {
            account_id: Some(account_id),
            succeeded: true,
            ..
        } => Some(format!("joined#{account_id}")),
        Trigger::Continuation(request) => Some(format!("{}#{}", request.event_id, request.attempt)),
        Trigger::Command { .. } => None,
        _ => intake.event_id.clone(),
    }
}
