//! The fake topics: the notification topic and the chat topic of a [`FakeCloud`], whose scripted
//! failures count every publish attempt on both.

use super::FakeCloud;
use crate::message::{Format, Message};
use crate::ports::{AwsError, Publisher};
use async_trait::async_trait;
use std::sync::Arc;

impl FakeCloud {
    /// One publish on either topic: the scripted failures count every attempt on both.
    pub(super) async fn publish_on(
        &self,
        message: &Message,
        chat: Option<&str>,
    ) -> Result<String, AwsError> {
        let slow = self.world().publish_delay;
        tokio::time::sleep(slow).await;
        self.call("", "sns:Publish").await?;
        let mut world = self.world();
        world.publish_attempts += 1;
        let attempt = world.publish_attempts;
        if let Some(error) = world.publish_failures_at.remove(&attempt) {
            return Err(error);
        }
        if let Some(error) = world.publish_failures.pop_front() {
            return Err(error);
        }
        Ok(match chat {
            None => {
                world.published.push(message.clone());
                format!("message-{}", world.published.len())
            }
            Some(thread) => {
                world
                    .chat_published
                    .push((message.clone(), thread.to_string()));
                format!("chat-{}", world.chat_published.len())
            }
        })
    }

    /// The chat topic, on this cloud.
    pub fn chat(&self) -> Arc<dyn Publisher> {
        Arc::new(FakeChat(self.clone()))
    }
}

#[async_trait]
impl Publisher for FakeCloud {
    async fn publish(&self, message: &Message, _thread: &str) -> Result<String, AwsError> {
        self.publish_on(message, None).await
    }
}

/// The chat topic of a [`FakeCloud`].
struct FakeChat(FakeCloud);

#[async_trait]
impl Publisher for FakeChat {
    fn format(&self) -> Format {
        Format::Chat
    }

    async fn publish(&self, message: &Message, thread: &str) -> Result<String, AwsError> {
        self.0.publish_on(message, Some(thread)).await
    }
}
