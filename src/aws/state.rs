//! The state table in DynamoDB (docs/design.md, "State"): each trigger's outbox as one item, so that
//! it is stored whole or not at all, and the failure set the last sweep told.
//!
//! Keys: `pk` (S) and `sk` (S). Items expire through the table's TTL on `expiresAt`.

use super::AwsError;
use crate::messages::message::{Audience, Event, Message, Severity};
use crate::ports::{
    Claim, Claimant, DriftSet, FailureSet, StateStore, StoredMessage, epoch_millis,
};
use crate::service::MARKETPLACE;
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
    /// Outboxes stored before messages named their service were all AWS Marketplace's.
    #[serde(default = "marketplace")]
    service: String,
    subject: String,
    body: String,
}

fn marketplace() -> String {
    MARKETPLACE.principal.to_string()
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

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

fn expires_in(ttl: Duration) -> AttributeValue {
    n((since_epoch() + ttl).as_secs())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The attribute that holds the claim on message `index` of an outbox: a map `{holder, until}`.
/// A top-level attribute rather than an entry of a map, so that items stored before claims
/// existed take one too.
fn claim_attribute(index: usize) -> String {
    format!("claim{index}")
}

/// Whether a write was refused by its condition.
fn refused<E, R>(e: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    e.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

fn corrupt(what: &str) -> AwsError {
    AwsError::new(
        "CorruptState",
        format!("the state table holds an unreadable {what}"),
    )
}

/// The keys of the items a sweep remembers (`pk`, `sk`).
const FAILURES: (&str, &str) = ("failures", "sweep");
const DRIFT: (&str, &str) = ("drift", "services");

impl StateTable {
    /// A remembered set and its version (0: never written), read consistently.
    async fn versioned<T: serde::de::DeserializeOwned + Default>(
        &self,
        (pk, sk): (&str, &str),
        what: &str,
    ) -> Result<(T, u64), AwsError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.name)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await?
            .item;
        let version = item
            .as_ref()
            .and_then(|i| i.get("version"))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let set = match item.as_ref().and_then(|i| i.get("set")).map(|v| v.as_s()) {
            None => T::default(),
            Some(Ok(text)) => serde_json::from_str(text).map_err(|_| corrupt(what))?,
            Some(Err(_)) => return Err(corrupt(what)),
        };
        Ok((set, version))
    }

    /// Saves a set as version `read + 1`, provided the stored one is still at `read`: a sweep that
    /// saved in between makes this one fail rather than be overwritten unseen.
    async fn save_versioned(
        &self,
        (pk, sk): (&str, &str),
        set: &impl serde::Serialize,
        read: u64,
    ) -> Result<(), AwsError> {
        let text =
            serde_json::to_string(set).map_err(|e| AwsError::new("InvalidState", e.to_string()))?;
        self.client
            .put_item()
            .table_name(&self.name)
            .item("pk", s(pk))
            .item("sk", s(sk))
            .item("set", s(text))
            .item("version", n(read.saturating_add(1)))
            .item("expiresAt", expires_in(FAILURES_TTL))
            .condition_expression("attribute_not_exists(#v) OR #v = :read")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":read", n(read))
            .send()
            .await?;
        Ok(())
    }

    /// The outbox item of `key`, read consistently.
    async fn outbox_item(
        &self,
        key: &str,
    ) -> Result<Option<HashMap<String, AttributeValue>>, AwsError> {
        Ok(self
            .client
            .get_item()
            .table_name(&self.name)
            .key("pk", s(format!("outbox#{key}")))
            .key("sk", s("messages"))
            .consistent_read(true)
            .send()
            .await?
            .item)
    }
}

#[async_trait]
impl StateStore for StateTable {
    async fn outbox(&self, key: &str) -> Result<Vec<StoredMessage>, AwsError> {
        let Some(item) = self.outbox_item(key).await? else {
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
                    service: k.service,
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
                service: m.message.service.clone(),
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
            Err(e) if refused(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn claim(&self, claimant: &Claimant<'_>) -> Result<Claim, AwsError> {
        let Claimant {
            key,
            index,
            holder,
            lease,
        } = *claimant;
        let now = epoch_millis();
        let claim = HashMap::from([
            ("holder".to_string(), s(holder)),
            ("until".to_string(), n(now.saturating_add(millis(lease)))),
        ]);
        let claimed = self
            .client
            .update_item()
            .table_name(&self.name)
            .key("pk", s(format!("outbox#{key}")))
            .key("sk", s("messages"))
            .update_expression("SET #c = :claim")
            // Not published, and no live claim of another invocation: one conditional write, so
            // that of two invocations at the same moment exactly one holds the message.
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(published.#i) \
                 AND (attribute_not_exists(#c) OR #c.#until < :now OR #c.#holder = :me)",
            )
            .expression_attribute_names("#i", index.to_string())
            .expression_attribute_names("#c", claim_attribute(index))
            .expression_attribute_names("#until", "until")
            .expression_attribute_names("#holder", "holder")
            .expression_attribute_values(":claim", AttributeValue::M(claim))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":me", s(holder))
            .send()
            .await;
        match claimed {
            Ok(_) => Ok(Claim::Held),
            Err(e) if refused(&e) => {
                let item = self
                    .outbox_item(key)
                    .await?
                    .ok_or_else(|| corrupt("outbox"))?;
                let published = item
                    .get("published")
                    .and_then(|v| v.as_m().ok())
                    .and_then(|p| p.get(&index.to_string()))
                    .and_then(|v| v.as_s().ok());
                if let Some(id) = published {
                    return Ok(Claim::Published(id.clone()));
                }
                // No claim any more: its holder gave it up in between. As a lapsed one, it is
                // claimed again at once.
                let Some(claim) = item
                    .get(&claim_attribute(index))
                    .and_then(|v| v.as_m().ok())
                else {
                    return Ok(Claim::Busy {
                        holder: String::new(),
                        until_ms: 0,
                    });
                };
                let field = |name: &str| claim.get(name).and_then(|v| v.as_s().or(v.as_n()).ok());
                Ok(Claim::Busy {
                    holder: field("holder").cloned().unwrap_or_default(),
                    until_ms: field("until").and_then(|u| u.parse().ok()).unwrap_or(0),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn release(&self, key: &str, index: usize, holder: &str) -> Result<(), AwsError> {
        let released = self
            .client
            .update_item()
            .table_name(&self.name)
            .key("pk", s(format!("outbox#{key}")))
            .key("sk", s("messages"))
            .update_expression("REMOVE #c")
            .condition_expression("#c.#holder = :me")
            .expression_attribute_names("#c", claim_attribute(index))
            .expression_attribute_names("#holder", "holder")
            .expression_attribute_values(":me", s(holder))
            .send()
            .await;
        match released {
            // Taken over already: the claim is no longer ours to give up.
            Err(e) if refused(&e) => Ok(()),
            other => other.map(|_| ()).map_err(AwsError::from),
        }
    }

    async fn published(&self, key: &str, index: usize, message_id: &str) -> Result<(), AwsError> {
        self.client
            .update_item()
            .table_name(&self.name)
            .key("pk", s(format!("outbox#{key}")))
            .key("sk", s("messages"))
            .update_expression("SET published.#i = :id REMOVE #c")
            .expression_attribute_names("#i", index.to_string())
            .expression_attribute_names("#c", claim_attribute(index))
            .expression_attribute_values(":id", s(message_id))
            .send()
            .await?;
        Ok(())
    }

    async fn failures(&self) -> Result<FailureSet, AwsError> {
        let (set, version): (FailureSet, u64) = self.versioned(FAILURES, "failure set").await?;
        Ok(FailureSet { version, ..set })
    }

    async fn save_failures(&self, set: &FailureSet) -> Result<(), AwsError> {
        self.save_versioned(FAILURES, set, set.version).await
    }

    async fn drift(&self) -> Result<DriftSet, AwsError> {
        let (set, version): (DriftSet, u64) = self.versioned(DRIFT, "drift set").await?;
        Ok(DriftSet { version, ..set })
    }

    async fn save_drift(&self, set: &DriftSet) -> Result<(), AwsError> {
        self.save_versioned(DRIFT, set, set.version).await
    }
}
