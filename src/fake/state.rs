//! The fake state table: outboxes, claims and the sets a sweep remembers, in the world's memory.

use super::FakeCloud;
use crate::handoff::Handoff;
use crate::message::Format;
use crate::ports::{
    AwsError, Claim, Claimant, DriftOf, DriftSet, FailureSet, FindingsSet, StateStore,
    StoredMessage, epoch_millis,
};
use async_trait::async_trait;

/// What DynamoDB answers a write whose condition fails.
fn conflict() -> AwsError {
    AwsError::new(
        "ConditionalCheckFailedException",
        "The conditional request failed",
    )
}

/// A claimant's copy, as the world keys it, and its holder.
fn slot<'a>(claimant: &Claimant<'a>) -> (String, usize, Format, &'a str) {
    let c = *claimant;
    (c.key.to_string(), c.index, c.format, c.holder)
}

#[async_trait]
impl StateStore for FakeCloud {
    async fn outbox(&self, key: &str) -> Result<Vec<StoredMessage>, AwsError> {
        self.call("", "dynamodb:Query").await?;
        Ok(self.world().outboxes.get(key).cloned().unwrap_or_default())
    }

    async fn store(&self, key: &str, messages: &[StoredMessage]) -> Result<bool, AwsError> {
        self.call("", "dynamodb:TransactWriteItems").await?;
        let mut world = self.world();
        if world.outboxes.contains_key(key) {
            return Ok(false);
        }
        world.outboxes.insert(key.to_string(), messages.to_vec());
        Ok(true)
    }

    async fn claim(&self, claimant: &Claimant<'_>) -> Result<Claim, AwsError> {
        let (key, index, format, holder) = slot(claimant);
        self.call("", "dynamodb:UpdateItem").await?;
        let now = epoch_millis();
        let mut world = self.world();
        let published = world
            .outboxes
            .get(&key)
            .and_then(|o| o.iter().find(|m| m.index == index))
            .and_then(|m| m.published.get(&format).cloned());
        if let Some(id) = published {
            return Ok(Claim::Published(id));
        }
        let slot = (key, index, format);
        match world.claims.get(&slot) {
            Some((other, until)) if other != holder && *until >= now => Ok(Claim::Busy {
                holder: other.clone(),
                until_ms: *until,
            }),
            _ => {
                let until = now.saturating_add(claimant.lease.as_millis() as u64);
                world.claims.insert(slot, (holder.to_string(), until));
                Ok(Claim::Held)
            }
        }
    }

    async fn release(&self, claimant: &Claimant<'_>) -> Result<(), AwsError> {
        let (key, index, format, holder) = slot(claimant);
        self.call("", "dynamodb:UpdateItem").await?;
        let mut world = self.world();
        let slot = (key, index, format);
        if world.claims.get(&slot).is_some_and(|(h, _)| h == holder) {
            world.claims.remove(&slot);
        }
        Ok(())
    }

    async fn published(&self, claimant: &Claimant<'_>, message_id: &str) -> Result<(), AwsError> {
        let (key, index, format, _) = slot(claimant);
        self.call("", "dynamodb:UpdateItem").await?;
        let mut world = self.world();
        world.claims.remove(&(key.clone(), index, format));
        if let Some(m) = world
            .outboxes
            .get_mut(&key)
            .and_then(|o| o.iter_mut().find(|m| m.index == index))
        {
            m.published.insert(format, message_id.to_string());
        }
        Ok(())
    }

    async fn failures(&self) -> Result<FailureSet, AwsError> {
        self.call("", "dynamodb:GetItem").await?;
        Ok(self.world().failure_set.clone())
    }

    async fn findings(&self) -> Result<FindingsSet, AwsError> {
        self.call("", "dynamodb:GetItem").await?;
        Ok(self.world().findings_set.clone())
    }

    async fn save_findings(&self, set: &FindingsSet) -> Result<(), AwsError> {
        self.call("", "dynamodb:PutItem").await?;
        let mut world = self.world();
        if world.findings_set.version != set.version {
            return Err(conflict());
        }
        world.findings_set = FindingsSet {
            version: set.version + 1,
            ..set.clone()
        };
        Ok(())
    }

    async fn joined(&self, account_id: &str) -> Result<Option<u64>, AwsError> {
        self.call("", "dynamodb:GetItem").await?;
        Ok(self.world().joined.get(account_id).copied())
    }

    async fn remember_joined(&self, account_id: &str, joined: u64) -> Result<(), AwsError> {
        self.call("", "dynamodb:PutItem").await?;
        self.world().joined.insert(account_id.to_string(), joined);
        Ok(())
    }

    async fn drift(&self, of: DriftOf) -> Result<DriftSet, AwsError> {
        self.call("", "dynamodb:GetItem").await?;
        let world = self.world();
        Ok(match of {
            DriftOf::Services => world.drift_set.clone(),
            DriftOf::DelegatedAdmins => world.admin_drift_set.clone(),
        })
    }

    async fn save_drift(&self, of: DriftOf, set: &DriftSet) -> Result<(), AwsError> {
        self.call("", "dynamodb:PutItem").await?;
        let mut world = self.world();
        let stored = match of {
            DriftOf::Services => &mut world.drift_set,
            DriftOf::DelegatedAdmins => &mut world.admin_drift_set,
        };
        if stored.version != set.version {
            return Err(conflict());
        }
        *stored = DriftSet {
            version: set.version + 1,
            ..set.clone()
        };
        Ok(())
    }

    async fn save_failures(&self, set: &FailureSet) -> Result<(), AwsError> {
        self.call("", "dynamodb:PutItem").await?;
        let mut world = self.world();
        if world.failure_set.version != set.version {
            return Err(conflict());
        }
        world.failure_set = FailureSet {
            version: set.version + 1,
            ..set.clone()
        };
        Ok(())
    }

    async fn handoffs(&self) -> Result<Vec<Handoff>, AwsError> {
        self.call("", "dynamodb:Query").await?;
        Ok(self.world().handoffs.values().cloned().collect())
    }

    async fn save_handoff(&self, item: &Handoff) -> Result<bool, AwsError> {
        self.call("", "dynamodb:UpdateItem").await?;
        let mut world = self.world();
        let stored = world.handoffs.get(&item.id).map_or(0, |h| h.version);
        if stored != item.version {
            return Ok(false);
        }
        let saved = Handoff {
            version: item.version + 1,
            ..item.clone()
        };
        world.handoffs.insert(item.id.clone(), saved);
        Ok(true)
    }
}
