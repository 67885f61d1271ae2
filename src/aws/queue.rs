//! The continuation queue in SQS (docs/design.md, "Continuation"): the rest of a run, delivered to
//! the function again after a delay.

use super::AwsError;
use crate::ports::{Continuation, ContinuationRequest};
use async_trait::async_trait;
use aws_sdk_sqs::Client;
use std::time::Duration;

/// SQS delays a message by at most 15 minutes.
pub const MAX_DELAY: Duration = Duration::from_secs(900);

#[derive(Debug, Clone)]
pub struct ContinuationQueue {
    client: Client,
    url: String,
    /// The longest delay asked of SQS: [`MAX_DELAY`], or less where waiting serves no purpose (a
    /// test against an emulator).
    pub max_delay: Duration,
}

impl ContinuationQueue {
    pub fn new(client: Client, url: &str) -> Self {
        ContinuationQueue {
            client,
            url: url.to_string(),
            max_delay: MAX_DELAY,
        }
    }
}

#[async_trait]
impl Continuation for ContinuationQueue {
    async fn hand_on(
        &self,
        request: &ContinuationRequest,
        delay: Duration,
    ) -> Result<(), AwsError> {
        let body = serde_json::json!({ "continuation": request }).to_string();
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .delay_seconds(delay.min(self.max_delay).as_secs() as i32)
            .send()
            .await?;
        Ok(())
    }
}
