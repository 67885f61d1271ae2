//! The state table in DynamoDB (docs/design.md, "State"): each trigger's outbox as one item, so that
//! it is stored whole or not at all, and the failure set the last sweep told.
//!
//! Keys: `pk` (S) and `sk` (S). Items expire through the table's TTL on `expiresAt`.

use super::AwsError;
use crate::messages::{Audience, Event, Message, Severity};
use crate::ports::{FailureSet, StateStore, StoredMessage};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long an outbox is kept: longer than Lambda and EventBridge retry an event (6 and 24 hours),
/// short enough that an account that leaves and rejoins is told again within the week.
pub const OUTBOX_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long the failure set is kept after the last sweep that wrote it.
pub const FAILURES_TTL: Duration = Duration::from_secs(90 * 24 * 3600);

/// The table.
#[derive(Debug, Clone)]
pub struct StateTable {
    client: Client,
    name: String,
}

/// A message as the outbox item keeps it.
#[derive(Serialize, Deserialize)]
struct Kept {
    audience: Audience,
    event: Event,
    severity: Severity,
    organization: String,
    subject: String,
    body: String,
}

impl StateTable {
    pub fn new(client: Client, name: &str) -> Self {
        StateTable {
            client,
            name: name.to_string(),
        }
    }
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn expires_in(ttl: Duration) -> AttributeValue {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    AttributeValue::N((now + ttl).as_secs().to_string())
}

fn corrupt(what: &str) -> AwsError {
    AwsError::new(
        "CorruptState",
        format!("the state table holds an unreadable {what}"),
    )
}

#[async_trait]
impl StateStore for StateTable {
    async fn outbox(&self, key: &str) -> Result<Vec<StoredMessage>, AwsError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.name)
            .key("pk", s(format!("outbox#{key}")))
            .key("sk", s("messages"))
            .consistent_read(true)
            .send()
            .await?
            .item;
        let Some(item) = item else {
            return Ok(Vec::new());
        };
        let kept: Vec<Kept> = item
            .get("messages")
            .and_then(|v| v.as_s().ok())
            .and_then(|text| serde_json::from_str(text).ok())
            .ok_or_else(|| corrupt("outbox"))?;
        let published = item.get("published").and_then(|v| v.as_m().ok());
        Ok(kept
            .into_iter()
            .enumerate()
            .map(|(index, k)| StoredMessage {
                index,
                message_id: published
                    .and_then(|p| p.get(&index.to_string()))
                    .and_then(|v| v.as_s().ok())
                    .cloned(),
                message: Message {
                    audience: k.audience,
                    event: k.event,
                    severity: k.severity,
                    organization: k.organization,
                    subject: k.subject,
                    body: k.body,
                },
            })
            .collect())
    }

    async fn store(&self, key: &str, messages: &[StoredMessage]) -> Result<bool, AwsError> {
        let kept: Vec<Kept> = messages
            .iter()
            .map(|m| Kept {
                audience: m.message.audience,
                event: m.message.event,
                severity: m.message.severity,
                organization: m.message.organization.clone(),
                subject: m.message.subject.clone(),
                body: m.message.body.clone(),
            })
            .collect();
        let text = serde_json::to_string(&kept)
            .map_err(|e| AwsError::new("InvalidState", e.to_string()))?;
        let stored = self
            .client
            .put_item()
            .table_name(&self.name)
            .item("pk", s(format!("outbox#{key}")))
            .item("sk", s("messages"))
            .item("messages", s(text))
            .item("published", AttributeValue::M(HashMap::new()))
            .item("expiresAt", expires_in(OUTBOX_TTL))
            // The first composition of a trigger's messages wins: a retry or a duplicate event
            // publishes what was composed then, not what the world looks like now.
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match stored {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn published(&self, key: &str, index: usize, message_id: &str) -> Result<(), AwsError> {
        self.client
            .update_item()
            .table_name(&self.name)
            .key("pk", s(format!("outbox#{key}")))
            .key("sk", s("messages"))
            .update_expression("SET published.#i = :id")
            .expression_attribute_names("#i", index.to_string())
            .expression_attribute_values(":id", s(message_id))
            .send()
            .await?;
        Ok(())
    }

    async fn failures(&self) -> Result<FailureSet, AwsError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.name)
            .key("pk", s("failures"))
            .key("sk", s("sweep"))
            .consistent_read(true)
            .send()
            .await?
            .item;
        match item.as_ref().and_then(|i| i.get("set")).map(|v| v.as_s()) {
            None => Ok(FailureSet::default()),
            Some(Ok(text)) => serde_json::from_str(text).map_err(|_| corrupt("failure set")),
            Some(Err(_)) => Err(corrupt("failure set")),
        }
    }

    async fn save_failures(&self, set: &FailureSet) -> Result<(), AwsError> {
        let text =
            serde_json::to_string(set).map_err(|e| AwsError::new("InvalidState", e.to_string()))?;
        self.client
            .put_item()
            .table_name(&self.name)
            .item("pk", s("failures"))
            .item("sk", s("sweep"))
            .item("set", s(text))
            .item("expiresAt", expires_in(FAILURES_TTL))
            .send()
            .await?;
        Ok(())
    }
}
