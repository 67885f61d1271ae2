//! The SNS topic that carries every hand-off (docs/design.md, "Notifications").

use super::AwsError;
use crate::messages::message::Message;
use crate::ports::Publisher;
use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;

/// Publishes messages with the attributes subscriptions filter on.
#[derive(Debug, Clone)]
pub struct Topic {
    client: Client,
    arn: String,
}

impl Topic {
    pub fn new(client: Client, arn: &str) -> Self {
        Topic {
            client,
            arn: arn.to_string(),
        }
    }
}

#[async_trait]
impl Publisher for Topic {
    async fn publish(&self, message: &Message, _thread: &str) -> Result<String, AwsError> {
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
            .message(&message.body)
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
