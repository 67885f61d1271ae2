//! The state table in DynamoDB (docs/design.md, "State"): each trigger's outbox, one item per
//! message so that none can outgrow DynamoDB's 400 KB, stored whole or not at all in one
//! transaction; and the sets the last sweep told.
//!
//! Keys: `pk` (S) and `sk` (S). Items expire through the table's TTL on `expiresAt`.

use super::ledger::LedgerTable;
use super::outbox::{
    HEAD, Item, TRANSACTION_ACTIONS, TRANSACTION_BYTES, cancelled_by_condition, claim_attribute,
    item_bytes, message_item, message_sk, n, outbox_pk, published_attribute, s, stored_message,
};
use super::{AwsError, refused};
use crate::handoff::Handoff;
use crate::ports::{
    Claim, Claimant, DriftOf, DriftSet, FailureSet, FindingsSet, StateStore, StoredMessage,
    epoch_millis,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long an outbox is kept: longer than Lambda and EventBridge retry an event (6 and 24 hours),
/// short enough that an account that leaves and rejoins is told again within the week.
pub const OUTBOX_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long the failure set is kept after the last sweep that wrote it.
pub const FAILURES_TTL: Duration = Duration::from_secs(90 * 24 * 3600);
/// How long an account's join is remembered: longer than any outbox lives, so that a departure
/// within it names the episode it ends.
pub const MEMBER_TTL: Duration = Duration::from_secs(2 * 365 * 24 * 3600);

/// The table.
#[derive(Debug, Clone)]
pub struct StateTable {
    client: Client,
    name: String,
    ledger: LedgerTable,
}

impl StateTable {
    pub fn new(client: Client, name: &str) -> Self {
        StateTable {
            ledger: LedgerTable::new(client.clone(), name),
            client,
            name: name.to_string(),
        }
    }
}

fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// Whether an item is before its `expiresAt` (an item without one does not expire).
fn live(item: &Item, now: u64) -> bool {
    item.get("expiresAt")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_none_or(|at| at > now)
}

fn expires_in(ttl: Duration) -> AttributeValue {
    n((since_epoch() + ttl).as_secs())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
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
/// The differences from `EXPECTED_DELEGATED_ADMINS` told, beside those from `EXPECTED_SERVICES`.
const ADMIN_DRIFT: (&str, &str) = ("drift", "delegated-administrators");
/// The findings open in Security Hub: at about 26 bytes an account, the item's 400 KB hold
/// some 15,000 accounts' findings.
const FINDINGS: (&str, &str) = ("findings", "open");

/// The item of a drift set.
fn drift_item(of: DriftOf) -> (&'static str, &'static str) {
    match of {
        DriftOf::Services => DRIFT,
        DriftOf::DelegatedAdmins => ADMIN_DRIFT,
    }
}

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

    /// One message's item of an outbox, read consistently.
    async fn message_item(&self, key: &str, index: usize) -> Result<Option<Item>, AwsError> {
        Ok(self
            .client
            .get_item()
            .table_name(&self.name)
            .key("pk", outbox_pk(key))
            .key("sk", message_sk(index))
            .consistent_read(true)
            .send()
            .await?
            .item)
    }
}

#[async_trait]
impl StateStore for StateTable {
    async fn outbox(&self, key: &str) -> Result<Vec<StoredMessage>, AwsError> {
        let items = self.ledger.partition(outbox_pk(key)).await?;
        // DynamoDB deletes an expired item up to a few days after its `expiresAt` ("Using time to
        // live (TTL) in DynamoDB"): an item past it is read as gone, so that an old fact's outbox
        // cannot swallow the same key's new one.
        let now = since_epoch().as_secs();
        let items: Vec<Item> = items.into_iter().filter(|i| live(i, now)).collect();
        let head = items.iter().find(|i| {
            i.get("sk")
                .and_then(|v| v.as_s().ok())
                .is_some_and(|sk| sk == HEAD)
        });
        let Some(head) = head else {
            // No head: nothing stored, or a store that did not commit.
            return Ok(Vec::new());
        };
        let count: usize = head
            .get("count")
            .and_then(|v| v.as_n().ok())
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| corrupt("outbox"))?;
        let mut messages: Vec<StoredMessage> = items
            .iter()
            .filter(|i| !std::ptr::eq(*i, head))
            .map(|i| stored_message(i).ok_or_else(|| corrupt("outbox message")))
            .collect::<Result<_, _>>()?;
        messages.sort_by_key(|m| m.index);
        if messages.len() != count {
            return Err(corrupt("outbox"));
        }
        Ok(messages)
    }

    async fn store(&self, key: &str, messages: &[StoredMessage]) -> Result<bool, AwsError> {
        let ttl = expires_in(OUTBOX_TTL);
        let head = HashMap::from([
            ("pk".to_string(), outbox_pk(key)),
            ("sk".to_string(), s(HEAD)),
            ("count".to_string(), n(messages.len())),
            ("expiresAt".to_string(), ttl.clone()),
        ]);
        let items: Vec<Item> = std::iter::once(head)
            .chain(
                messages
                    .iter()
                    .map(|m| message_item(key, m.index, &m.message, &ttl)),
            )
            .collect();
        let bytes: usize = items.iter().map(item_bytes).sum();
        if items.len() > TRANSACTION_ACTIONS || bytes > TRANSACTION_BYTES {
            return Err(AwsError::new(
                "OutboxTooLarge",
                format!(
                    "{} messages of {bytes} bytes in all do not fit one DynamoDB transaction",
                    messages.len()
                ),
            ));
        }
        let mut puts = Vec::with_capacity(items.len());
        for item in items {
            let put = aws_sdk_dynamodb::types::Put::builder()
                .table_name(&self.name)
                .set_item(Some(item))
                // The first composition of a trigger's messages wins: a retry or a duplicate
                // event publishes what was composed then, not what the world looks like now. An
                // item past its expiry, which DynamoDB has not deleted yet, is gone already.
                .condition_expression("attribute_not_exists(pk) OR expiresAt <= :now")
                .expression_attribute_values(":now", n(since_epoch().as_secs()))
                .build()
                .map_err(|e| AwsError::new("InvalidState", e.to_string()))?;
            puts.push(TransactWriteItem::builder().put(put).build());
        }
        let stored = self
            .client
            .transact_write_items()
            .set_transact_items(Some(puts))
            .send()
            .await;
        match stored {
            Ok(_) => Ok(true),
            Err(e) if cancelled_by_condition(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn claim(&self, claimant: &Claimant<'_>) -> Result<Claim, AwsError> {
        let Claimant {
            key,
            index,
            format,
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
            .key("pk", outbox_pk(key))
            .key("sk", message_sk(index))
            .update_expression("SET #c = :claim")
            // Not published, and no live claim of another invocation: one conditional write, so
            // that of two invocations at the same moment exactly one holds the copy.
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(#p) \
                 AND (attribute_not_exists(#c) OR #c.#until < :now OR #c.#holder = :me)",
            )
            .expression_attribute_names("#p", published_attribute(format))
            .expression_attribute_names("#c", claim_attribute(format))
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
                    .message_item(key, index)
                    .await?
                    .ok_or_else(|| corrupt("outbox"))?;
                let published = item
                    .get(published_attribute(format))
                    .and_then(|v| v.as_s().ok());
                if let Some(id) = published {
                    return Ok(Claim::Published(id.clone()));
                }
                // No claim any more: its holder gave it up in between. As a lapsed one, it is
                // claimed again at once.
                let Some(claim) = item
                    .get(claim_attribute(format))
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

    async fn release(&self, claimant: &Claimant<'_>) -> Result<(), AwsError> {
        let released = self
            .client
            .update_item()
            .table_name(&self.name)
            .key("pk", outbox_pk(claimant.key))
            .key("sk", message_sk(claimant.index))
            .update_expression("REMOVE #c")
            .condition_expression("#c.#holder = :me")
            .expression_attribute_names("#c", claim_attribute(claimant.format))
            .expression_attribute_names("#holder", "holder")
            .expression_attribute_values(":me", s(claimant.holder))
            .send()
            .await;
        match released {
            // Taken over already: the claim is no longer ours to give up.
            Err(e) if refused(&e) => Ok(()),
            other => other.map(|_| ()).map_err(AwsError::from),
        }
    }

    async fn published(&self, claimant: &Claimant<'_>, message_id: &str) -> Result<(), AwsError> {
        self.client
            .update_item()
            .table_name(&self.name)
            .key("pk", outbox_pk(claimant.key))
            .key("sk", message_sk(claimant.index))
            .update_expression("SET #p = :id REMOVE #c")
            .expression_attribute_names("#p", published_attribute(claimant.format))
            .expression_attribute_names("#c", claim_attribute(claimant.format))
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

    async fn drift(&self, of: DriftOf) -> Result<DriftSet, AwsError> {
        let (set, version): (DriftSet, u64) = self.versioned(drift_item(of), "drift set").await?;
        Ok(DriftSet { version, ..set })
    }

    async fn save_drift(&self, of: DriftOf, set: &DriftSet) -> Result<(), AwsError> {
        self.save_versioned(drift_item(of), set, set.version).await
    }

    async fn findings(&self) -> Result<FindingsSet, AwsError> {
        let (set, version): (FindingsSet, u64) = self.versioned(FINDINGS, "findings set").await?;
        Ok(FindingsSet { version, ..set })
    }

    async fn save_findings(&self, set: &FindingsSet) -> Result<(), AwsError> {
        self.save_versioned(FINDINGS, set, set.version).await
    }

    async fn joined(&self, account_id: &str) -> Result<Option<u64>, AwsError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.name)
            .key("pk", s(format!("member#{account_id}")))
            .key("sk", s("joined"))
            .consistent_read(true)
            .send()
            .await?
            .item;
        Ok(item
            .as_ref()
            .and_then(|i| i.get("joined"))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok()))
    }

    async fn remember_joined(&self, account_id: &str, joined: u64) -> Result<(), AwsError> {
        self.client
            .put_item()
            .table_name(&self.name)
            .item("pk", s(format!("member#{account_id}")))
            .item("sk", s("joined"))
            .item("joined", n(joined))
            .item("expiresAt", expires_in(MEMBER_TTL))
            .send()
            .await?;
        Ok(())
    }

    async fn handoffs(&self) -> Result<Vec<Handoff>, AwsError> {
        self.ledger.read().await
    }

    async fn save_handoff(&self, item: &Handoff) -> Result<bool, AwsError> {
        self.ledger.save(item).await
    }
}
