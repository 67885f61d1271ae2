//! The hand-off ledger in the state table (docs/design.md, "Hand-offs"): every item in the one
//! partition `handoff#items`, sort key its id, each field an attribute of its own, so that the
//! responders' policy can grant the ledger alone (`dynamodb:LeadingKeys` `handoff#*`) and one
//! `Query` lists it.

use super::AwsError;
use crate::handoff::Handoff;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// The ledger's partition key.
pub const PARTITION: &str = "handoff#items";

type Item = HashMap<String, AttributeValue>;

/// An item's fields as attributes, through serde (text as S, numbers as N, flags as BOOL); an
/// error, never a dropped field, when one does not map.
fn attributes(item: &Handoff) -> Result<Item, AwsError> {
    serde_dynamo::aws_sdk_dynamodb_1::to_item(item)
        .map_err(|e| AwsError::new("InvalidState", format!("a hand-off does not map: {e}")))
}

/// An item read back, or why it does not read as a hand-off.
fn handoff(item: &Item) -> Result<Handoff, serde_dynamo::Error> {
    serde_dynamo::aws_sdk_dynamodb_1::from_item(item.clone())
}

/// The ledger's items of one table: the function's and `mta handoffs`'s way to them.
#[derive(Debug, Clone)]
pub struct LedgerTable {
    client: Client,
    name: String,
}

impl LedgerTable {
    pub fn new(client: Client, name: &str) -> Self {
        LedgerTable {
            client,
            name: name.to_string(),
        }
    }

    /// Every item of one partition of the table, read consistently, every page: the ledger's, or
    /// a trigger's outbox.
    pub(super) async fn partition(&self, pk: AttributeValue) -> Result<Vec<Item>, AwsError> {
        Ok(self
            .client
            .query()
            .table_name(&self.name)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", pk)
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await?)
    }

    /// Every item, read consistently, every page.
    pub async fn read(&self) -> Result<Vec<Handoff>, AwsError> {
        let items = self.partition(AttributeValue::S(PARTITION.into())).await?;
        items
            .iter()
            .map(|i| {
                handoff(i).map_err(|e| {
                    let id = i
                        .get("sk")
                        .and_then(|v| v.as_s().ok())
                        .map_or("?", String::as_str);
                    AwsError::new(
                        "CorruptState",
                        format!(
                            "the state table holds an unreadable hand-off, {id} (pk {PARTITION}): \
                             a field is missing or has a value the function does not know ({e})"
                        ),
                    )
                })
            })
            .collect()
    }

    /// Writes every field of `item` with one `UpdateItem` (which the responders' policy grants;
    /// it creates the item when it is new), as version `item.version + 1`, over the version it
    /// was read at. `false`: the condition failed, someone saved it in between.
    pub async fn save(&self, item: &Handoff) -> Result<bool, AwsError> {
        let saved = Handoff {
            version: item.version.saturating_add(1),
            ..item.clone()
        };
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut sets = Vec::new();
        for (i, (name, value)) in attributes(&saved)?.into_iter().enumerate() {
            sets.push(format!("#a{i} = :a{i}"));
            names.insert(format!("#a{i}"), name);
            values.insert(format!(":a{i}"), value);
        }
        let condition = match item.version {
            0 => "attribute_not_exists(pk)",
            read => {
                names.insert("#v".into(), "version".into());
                values.insert(":read".into(), AttributeValue::N(read.to_string()));
                "#v = :read"
            }
        };
        let saved = self
            .client
            .update_item()
            .table_name(&self.name)
            .key("pk", AttributeValue::S(PARTITION.into()))
            .key("sk", AttributeValue::S(item.id.clone()))
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        match saved {
            Ok(_) => Ok(true),
            Err(e) if super::refused(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handoff::{Situation, Status};
    use crate::message::Audience;

    #[test]
    fn an_item_reads_back_as_it_was_written() {
        let item = Handoff {
            id: "ho-abcdefgh".into(),
            situation: Situation::DisableRequest,
            service: "s.amazonaws.com".into(),
            organization: "o-exampleorgid".into(),
            audience: Audience::MarketplaceAdmin,
            ask: "Disable it".into(),
            opened_by: "mta".into(),
            opened_at: 1_700_000_000,
            opened_key: "k".into(),
            last_told_at: 0,
            reminders: 2,
            status: Status::Done,
            done_by: Some("arn:aws:iam::123456789012:user/alice".into()),
            done_at: Some(1_700_000_100),
            note: Some("cleaned up".into()),
            closed_reason: None,
            closed_at: None,
            closed_key: None,
            ending_told: true,
            expires_at: Some(1_731_536_100),
            version: 3,
        };
        let mut stored = attributes(&item).unwrap();
        assert_eq!(stored["status"].as_s().unwrap(), "done");
        assert_eq!(stored["audience"].as_s().unwrap(), "marketplace-admin");
        assert_eq!(
            stored["expiresAt"].as_n().unwrap(),
            "1731536100",
            "the table's TTL"
        );
        stored.insert("pk".into(), AttributeValue::S(PARTITION.into()));
        assert_eq!(handoff(&stored).unwrap(), item);
    }
}
