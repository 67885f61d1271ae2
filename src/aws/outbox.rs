//! The layout of an outbox in the state table (docs/design.md, "State"): a head that says how many
//! messages the trigger's first composition had, and one item per message, each field an attribute
//! of its own, with the message id and the claim of each copy; and DynamoDB's bounds on the one
//! transaction that stores them.

use crate::message::{Body, Format, Message};
use crate::ports::StoredMessage;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The attribute of a message's item that holds the claim on its copy in `format`: a map
/// `{holder, until}`.
pub(super) fn claim_attribute(format: Format) -> &'static str {
    match format {
        Format::Text => "textClaim",
        Format::Chat => "chatClaim",
    }
}

/// The attribute of a message's item that holds the SNS message id of its copy in `format`.
pub(super) fn published_attribute(format: Format) -> &'static str {
    match format {
        Format::Text => "textMessageId",
        Format::Chat => "chatMessageId",
    }
}

/// The partition of a trigger's outbox, and the sort keys of its head and of its messages.
pub(super) fn outbox_pk(key: &str) -> AttributeValue {
    s(format!("outbox#{key}"))
}
pub(super) const HEAD: &str = "head";
pub(super) fn message_sk(index: usize) -> AttributeValue {
    s(format!("message#{index:04}"))
}

/// DynamoDB's bounds on one transaction: 100 actions, 4 MB in all ("Amazon DynamoDB Transactions:
/// How it works", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html).
pub(super) const TRANSACTION_ACTIONS: usize = 100;
pub(super) const TRANSACTION_BYTES: usize = 4_000_000;

pub(super) type Item = HashMap<String, AttributeValue>;

/// A message's item, as it is stored: every field an attribute of its own, the body as composed
/// (its paragraphs and steps as JSON, its facts and the accounts they name as they are), so that an
/// item is about the message's size plus a few hundred bytes, within 400 KB since SNS takes 256 KiB
/// at most.
pub(super) fn message_item(key: &str, index: usize, m: &Message, ttl: &AttributeValue) -> Item {
    let mut item = HashMap::from([
        ("pk".to_string(), outbox_pk(key)),
        ("sk".to_string(), message_sk(index)),
        ("index".to_string(), n(index)),
        ("audience".to_string(), s(m.audience.as_str())),
        ("event".to_string(), s(m.event.as_str())),
        ("severity".to_string(), s(m.severity.as_str())),
        ("organization".to_string(), s(&m.organization)),
        ("service".to_string(), s(&m.service)),
        ("subject".to_string(), s(&m.subject)),
        (
            "blocks".to_string(),
            s(serde_json::to_string(&m.body.blocks).unwrap_or_default()),
        ),
        ("facts".to_string(), s(&m.body.facts)),
        (
            "accounts".to_string(),
            AttributeValue::L(m.body.accounts.iter().map(s).collect()),
        ),
        ("expiresAt".to_string(), ttl.clone()),
    ]);
    if let Some(id) = &m.handoff {
        item.insert("handoff".to_string(), s(id));
    }
    item
}

/// A message's item, read back.
pub(super) fn stored_message(item: &Item) -> Option<StoredMessage> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    fn parse<T: serde::de::DeserializeOwned>(item: &Item, name: &str) -> Option<T> {
        let word = item.get(name)?.as_s().ok()?;
        serde_json::from_value(serde_json::Value::String(word.clone())).ok()
    }
    let published = [Format::Text, Format::Chat]
        .into_iter()
        .filter_map(|f| Some((f, text(published_attribute(f))?)))
        .collect();
    Some(StoredMessage {
        index: item.get("index")?.as_n().ok()?.parse().ok()?,
        message: Message {
            audience: parse(item, "audience")?,
            event: parse(item, "event")?,
            severity: parse(item, "severity")?,
            organization: text("organization")?,
            service: text("service")?,
            subject: text("subject")?,
            body: Body {
                blocks: serde_json::from_str(&text("blocks")?).ok()?,
                facts: text("facts")?,
                accounts: match item.get("accounts") {
                    Some(AttributeValue::L(items)) => items
                        .iter()
                        .map(|v| v.as_s().ok().cloned())
                        .collect::<Option<_>>()?,
                    _ => return None,
                },
            },
            handoff: text("handoff"),
        },
        published,
    })
}

/// An item's size as DynamoDB counts it: the lengths of its attribute names and values.
pub(super) fn item_bytes(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_bytes(value))
        .sum()
}

/// A value's size as DynamoDB counts it: a string's length, a list's items and 3 bytes each.
fn value_bytes(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::L(items) => 3 + items.iter().map(|v| 1 + value_bytes(v)).sum::<usize>(),
        _ => 16,
    }
}

/// Whether a transaction was cancelled because an item's condition failed: the outbox was stored
/// already.
pub(super) fn cancelled_by_condition(
    e: &aws_sdk_dynamodb::error::SdkError<
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
        aws_smithy_runtime_api::http::Response,
    >,
) -> bool {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(c)) => c
            .cancellation_reasons()
            .iter()
            .any(|r| r.code() == Some("ConditionalCheckFailed")),
        _ => false,
    }
}
