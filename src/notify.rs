//! Delivering the hand-offs (docs/design.md, "Notifications"): publish each message, or log it when
//! there is no topic or the run is a dry run, and say what became of each.

use crate::messages::{Audience, Event, Message};
use crate::ports::{AwsError, Publisher};
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
