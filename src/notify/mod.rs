//! Delivering the hand-offs (docs/design.md, "Notifications" and "State"): publish each message, or
//! log it when there is no topic or the run is a dry run, and say what became of each. With a state
//! table, a trigger's messages go through its outbox (`outbox.rs`), so that each is published once.
//! Copies are published several at a time, and none after the invocation's time is up: what does
//! not fit is deferred to Lambda's retry.

mod outbox;

use crate::message::{Audience, Event, Format, Message};
use crate::ports::{AwsError, Ports, Publisher, StateStore};
use futures::StreamExt;
pub use outbox::{LEASE, WAIT_FOR_CLAIM, outbox_key};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::time::Instant;
use tracing::{info, warn};

/// The SNS client's operation timeout: the longest one publish may take.
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);
/// How many copies are published at once: the invocation keeps [`PUBLISH_TIMEOUT`] back for each
/// round of this many.
pub const PUBLISH_CONCURRENCY: usize = 8;
/// The least time a publish is started with: a copy with less time left is deferred.
const LEAST_TIME_TO_PUBLISH: Duration = Duration::from_millis(500);

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryStatus {
    /// Published now.
    Published,
    /// Published by an earlier delivery of the same trigger.
    AlreadyPublished,
    /// Written to the log only: no topic configured, or a dry run.
    Logged,
    /// Could not be published: the invocation fails so that Lambda retries it.
    Failed,
    /// Not published because the invocation's time was up: the invocation fails so that Lambda's
    /// retry publishes it (through the outbox, only the copies not published yet).
    Deferred,
}

impl DeliveryStatus {
    /// Not published, and not to be: the invocation fails so that Lambda retries it.
    pub fn is_unpublished(self) -> bool {
        matches!(self, DeliveryStatus::Failed | DeliveryStatus::Deferred)
    }
}

/// One copy of a message, and its delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub audience: Audience,
    pub event: Event,
    pub subject: String,
    /// The text for e-mail, or the chat copy.
    pub format: Format,
    pub message_id: Option<String>,
    pub status: DeliveryStatus,
    pub error: Option<AwsError>,
}

impl Delivery {
    fn of(message: &Message, format: Format, status: DeliveryStatus) -> Delivery {
        Delivery {
            audience: message.audience,
            event: message.event,
            subject: message.subject.clone(),
            format,
            message_id: None,
            status,
            error: None,
        }
    }
}

/// The conversation a message's chat copy belongs to: its hand-off, else the fact (`key`), else
/// its event in its organization.
pub fn thread(message: &Message, key: Option<&str>) -> String {
    match (&message.handoff, key) {
        (Some(id), _) => id.clone(),
        (None, Some(key)) => key.to_string(),
        (None, None) => format!("{}#{}", message.event.as_str(), message.organization),
    }
}

/// Whether the time left before `deadline` is too little to start a publish.
fn too_late(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() + LEAST_TIME_TO_PUBLISH > d)
}

/// A copy not published because the invocation's time is up.
fn deferred(message: &Message, format: Format) -> Delivery {
    warn!(
        audience = message.audience.as_str(),
        event = message.event.as_str(),
        format = format.as_str(),
        "notification deferred: the invocation's time is up"
    );
    Delivery::of(message, format, DeliveryStatus::Deferred)
}

/// Publishes one copy before `deadline`; a copy with too little time left is deferred, and one
/// whose publish outlasts the deadline fails.
async fn publish(
    publisher: &dyn Publisher,
    message: &Message,
    thread: &str,
    deadline: Option<Instant>,
) -> Delivery {
    let format = publisher.format();
    if too_late(deadline) {
        return deferred(message, format);
    }
    let answer = match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, publisher.publish(message, thread))
            .await
            .unwrap_or_else(|_| {
                Err(AwsError::new(
                    "TimeoutError",
                    "the publish did not answer before the invocation's time was up",
                ))
            }),
        None => publisher.publish(message, thread).await,
    };
    match answer {
        Ok(id) => Delivery {
            message_id: Some(id),
            ..Delivery::of(message, format, DeliveryStatus::Published)
        },
        Err(error) => {
            warn!(
                audience = message.audience.as_str(),
                event = message.event.as_str(),
                format = format.as_str(),
                %error,
                "notification not published"
            );
            Delivery {
                error: Some(error),
                ..Delivery::of(message, format, DeliveryStatus::Failed)
            }
        }
    }
}

/// Publishes every message on every topic of `topics`, or logs it when there is none (no topic, or
/// a dry run: `sns:Publish` is a mutating call), [`PUBLISH_CONCURRENCY`] copies at once, none
/// after `deadline`. One copy that cannot be published does not keep the others from their
/// audiences; it is marked failed. The deliveries are in the order of the messages.
pub async fn deliver(
    topics: &Topics<'_>,
    key: Option<&str>,
    messages: &[Message],
    deadline: Option<Instant>,
) -> Vec<Delivery> {
    if topics.is_empty() {
        return messages.iter().map(logged).collect();
    }
    let copies = messages
        .iter()
        .flat_map(|m| topics.each().map(move |publisher| (m, publisher)));
    futures::stream::iter(copies)
        .map(|(message, publisher)| {
            let thread = thread(message, key);
            async move { publish(publisher, message, &thread, deadline).await }
        })
        .buffered(PUBLISH_CONCURRENCY)
        .collect()
        .await
}

/// A message written to the log only.
fn logged(message: &Message) -> Delivery {
    info!(
        audience = message.audience.as_str(),
        event = message.event.as_str(),
        subject = %message.subject,
        body = %message.text(),
        "notification logged, not published"
    );
    Delivery::of(message, Format::Text, DeliveryStatus::Logged)
}

/// How hand-offs were delivered, as the report's `deduplication` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeduplicationMode {
    /// Each hand-off published once, through the state table.
    On,
    /// At least once.
    Off,
    /// The table failed: at least once; `deduplicationError` says how.
    Unavailable,
}

/// Whether the hand-offs were de-duplicated through the state table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deduplication {
    /// No state table, no topic, a dry run, or a trigger with no identity (a command): at least once.
    Off,
    /// Through the trigger's outbox.
    On,
    /// The table could not be used: the messages went out anyway, at least once.
    Unavailable(AwsError),
}

impl Deduplication {
    /// The report's word for it.
    pub fn mode(&self) -> DeduplicationMode {
        match self {
            Deduplication::Off => DeduplicationMode::Off,
            Deduplication::On => DeduplicationMode::On,
            Deduplication::Unavailable(_) => DeduplicationMode::Unavailable,
        }
    }
}

/// The topics a message is published on: the notification topic (text) and the chat topic, each
/// optional.
#[derive(Clone, Copy, Default)]
pub struct Topics<'a> {
    pub text: Option<&'a dyn Publisher>,
    pub chat: Option<&'a dyn Publisher>,
}

impl<'a> Topics<'a> {
    /// How many topics each message goes to.
    pub fn count(&self) -> usize {
        self.each().count()
    }

    /// None: every message is logged.
    pub fn is_empty(&self) -> bool {
        self.text.is_none() && self.chat.is_none()
    }

    fn each(&self) -> impl Iterator<Item = &'a dyn Publisher> + use<'a> {
        self.text.into_iter().chain(self.chat)
    }

    fn of(&self, format: Format) -> Option<&'a dyn Publisher> {
        match format {
            Format::Text => self.text,
            Format::Chat => self.chat,
        }
    }
}

/// Where an invocation's messages go: the topics (none in a dry run, or without one), the state
/// table (none without one), the invocation that delivers, whose request id names its claims, and
/// when its time for them is up.
#[derive(Clone, Copy)]
pub struct Channel<'a> {
    pub topics: Topics<'a>,
    pub state: Option<&'a dyn StateStore>,
    pub holder: &'a str,
    /// No publish starts or waits past it.
    pub deadline: Option<Instant>,
}

impl<'a> Channel<'a> {
    /// An invocation's: the topics unless it is a dry run, and the state table when there is a
    /// topic to deliver through it.
    pub fn of(
        ports: &'a Ports,
        dry_run: bool,
        holder: &'a str,
        deadline: Option<Instant>,
    ) -> Channel<'a> {
        let topics = Topics {
            text: ports.publisher.as_deref().filter(|_| !dry_run),
            chat: ports.chat.as_deref().filter(|_| !dry_run),
        };
        let state = ports.state.as_deref().filter(|_| !topics.is_empty());
        Channel {
            topics,
            state,
            holder,
            deadline,
        }
    }
}

/// Delivers a trigger's messages: effectively once through its outbox when there is a topic, a
/// state table and an identity of the fact (`key`), and otherwise at least once, or logged. The
/// cases in which the outbox sends a copy twice are in docs/design.md, "State".
pub async fn send(
    channel: &Channel<'_>,
    key: Option<&str>,
    messages: &[Message],
) -> (Vec<Delivery>, Deduplication) {
    if !channel.topics.is_empty() && too_late(channel.deadline) {
        // Nothing is stored or claimed once the time is up: the retry delivers the messages,
        // through the outbox when there is one.
        let copies = messages.iter().flat_map(|m| {
            let formats = channel.topics.each().map(|p| p.format());
            formats.map(move |format| deferred(m, format))
        });
        let mode = match (channel.state, key) {
            (Some(_), Some(_)) => Deduplication::On,
            _ => Deduplication::Off,
        };
        return (copies.collect(), mode);
    }
    match (channel.topics.is_empty(), channel.state, key) {
        (false, Some(state), Some(key)) => {
            outbox::deliver_once(channel, state, key, messages).await
        }
        _ => (
            deliver(&channel.topics, key, messages, channel.deadline).await,
            Deduplication::Off,
        ),
    }
}
