//! The SNS topics that carry every hand-off (docs/design.md, "Notifications"): the notification
//! topic, in text, and the chat topic, in the custom-notification JSON of Amazon Q Developer in chat
//! applications; each with the attributes subscriptions filter on.

use super::AwsError;
use crate::message::chat::chat_payload;
use crate::message::{Format, Message};
use crate::ports::Publisher;
use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;

/// Publishes messages with the attributes subscriptions filter on.
#[derive(Debug, Clone)]
pub struct Topic {
    client: Client,
    arn: String,
    format: Format,
}

impl Topic {
    /// The notification topic: messages in text.
    pub fn new(client: Client, arn: &str) -> Self {
        Topic {
            client,
            arn: arn.to_string(),
            format: Format::Text,
        }
    }

    /// The chat topic: each message as a custom notification.
    pub fn chat(client: Client, arn: &str) -> Self {
        Topic {
            format: Format::Chat,
            ..Topic::new(client, arn)
        }
    }
}

#[async_trait]
impl Publisher for Topic {
    fn format(&self) -> Format {
        self.format
    }

    async fn publish(&self, message: &Message, thread: &str) -> Result<String, AwsError> {
        let attribute = |value: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| AwsError::new("InvalidMessageAttribute", e.to_string()))
        };
        let out = self
            .client
            .publish()
            .topic_arn(&self.arn)
            .subject(&message.subject)
            .message(match self.format {
                Format::Text => message.text(),
                Format::Chat => chat_payload(message, thread),
            })
            .message_attributes("audience", attribute(message.audience.as_str())?)
            .message_attributes("event", attribute(message.event.as_str())?)
            .message_attributes("organization", attribute(&message.organization)?)
            .message_attributes("severity", attribute(message.severity.as_str())?)
            .message_attributes("service", attribute(&message.service)?)
            .send()
            .await?;
        Ok(out.message_id.unwrap_or_default())
    }
}
