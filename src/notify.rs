//! Delivering the hand-offs (docs/design.md, "Notifications" and "State"): publish each message, or
//! log it when there is no topic or the run is a dry run, and say what became of each. With a state
//! table, a trigger's messages go through its outbox, so that each is published once.

use crate::messages::{Audience, Event, Message};
use crate::ports::{AwsError, Publisher, StateStore, StoredMessage};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

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

/// Delivers `messages` through the outbox `key` of `state`: the first composition of a trigger's
/// messages is stored before anything is published, and a retry or a duplicate publishes only what
/// is not published yet, with the content first composed. When the table cannot be used, the
/// messages are published anyway: a duplicate is better than silence.
pub async fn deliver_once(
    publisher: &dyn Publisher,
    state: &dyn StateStore,
    key: &str,
    messages: &[Message],
) -> (Vec<Delivery>, Deduplication) {
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
        let delivery = deliver(Some(publisher), std::slice::from_ref(message))
            .await
            .remove(0);
        if let Some(id) = &delivery.message_id
            && let Err(error) = state.published(key, kept.index, id).await
        {
            // Published, but not remembered: a retry would publish it again.
            warn!(%error, key, "a published hand-off could not be recorded");
            deduplication = Deduplication::Unavailable(error);
        }
        deliveries.push(delivery);
    }
    (deliveries, deduplication)
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
