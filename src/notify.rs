//! Delivering the hand-offs (docs/design.md, "Notifications" and "State"): publish each message, or
//! log it when there is no topic or the run is a dry run, and say what became of each. With a state
//! table, a trigger's messages go through its outbox, so that each is published once.

use crate::intake::{Intake, Trigger};
use crate::message::{Audience, Event, Format, Message};
use crate::ports::{
    AwsError, Claim, Claimant, Ports, Publisher, StateStore, StoredMessage, epoch_millis,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tracing::{info, warn};

/// The SNS client's operation timeout: the longest one publish may take. The invocation keeps
/// this much time back from its deadline for each hand-off.
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claim on a stored message lasts: longer than its holder needs to publish it and
/// record it (one publish, one write), shorter than Lambda waits before it retries a failed
/// asynchronous invocation (about a minute) and than the continuation queue's visibility timeout,
/// so that the retry after a holder that died finds the claim lapsed and delivers.
pub const LEASE: Duration = Duration::from_secs(30);
/// How long an invocation waits for another's live claim before it gives up and fails, so that
/// Lambda retries it: as long as the holder's publish can take.
const WAIT_FOR_CLAIM: Duration = PUBLISH_TIMEOUT;
/// How often it looks while it waits.
const WAIT_STEP: Duration = Duration::from_millis(500);

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

/// Publishes one copy, or logs it when there is no topic.
async fn publish(publisher: &dyn Publisher, message: &Message, thread: &str) -> Delivery {
    let format = publisher.format();
    match publisher.publish(message, thread).await {
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
/// a dry run: `sns:Publish` is a mutating call). One copy that cannot be published does not keep
/// the others from their audiences; it is marked failed.
pub async fn deliver(
    topics: &Topics<'_>,
    key: Option<&str>,
    messages: &[Message],
) -> Vec<Delivery> {
    let mut deliveries = Vec::with_capacity(messages.len());
    for message in messages {
        if topics.is_empty() {
            info!(
                audience = message.audience.as_str(),
                event = message.event.as_str(),
                subject = %message.subject,
                body = %message.text(),
                "notification logged, not published"
            );
            deliveries.push(Delivery::of(message, Format::Text, DeliveryStatus::Logged));
        }
        for publisher in topics.each() {
            deliveries.push(publish(publisher, message, &thread(message, key)).await);
        }
    }
    deliveries
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
    /// None: every message is logged.
    pub fn is_empty(&self) -> bool {
        self.text.is_none() && self.chat.is_none()
    }

    fn each(&self) -> impl Iterator<Item = &'a dyn Publisher> {
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
/// table (none without one), and the invocation that delivers, whose request id names its claims.
#[derive(Clone, Copy)]
pub struct Channel<'a> {
    pub topics: Topics<'a>,
    pub state: Option<&'a dyn StateStore>,
    pub holder: &'a str,
}

impl<'a> Channel<'a> {
    /// An invocation's: the topics unless it is a dry run, and the state table when there is a
    /// topic to deliver through it.
    pub fn of(ports: &'a Ports, dry_run: bool, holder: &'a str) -> Channel<'a> {
        let topics = Topics {
            text: ports.publisher.as_deref().filter(|_| !dry_run),
            chat: ports.chat.as_deref().filter(|_| !dry_run),
        };
        let state = ports.state.as_deref().filter(|_| !topics.is_empty());
        Channel {
            topics,
            state,
            holder,
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
    match (channel.topics.is_empty(), channel.state, key) {
        (false, Some(state), Some(key)) => {
            deliver_once(&channel.topics, state, key, channel.holder, messages).await
        }
        _ => (
            deliver(&channel.topics, key, messages).await,
            Deduplication::Off,
        ),
    }
}

/// Delivers `messages` through the outbox: the first composition of a trigger's messages is
/// stored before anything is published, and a retry or a duplicate publishes only the copies not
/// published yet, with the content first composed. Each copy is claimed before it is published, so
/// that of two invocations at the same moment only one publishes it; the other waits for it, or
/// fails so that Lambda retries it. When the table cannot be used, the messages are published
/// anyway: a duplicate is better than silence.
async fn deliver_once(
    topics: &Topics<'_>,
    state: &dyn StateStore,
    key: &str,
    holder: &str,
    messages: &[Message],
) -> (Vec<Delivery>, Deduplication) {
    let stored = match outbox(state, key, messages).await {
        Ok(stored) => stored,
        Err(error) => {
            warn!(%error, key, "state table unavailable: hand-offs sent at least once");
            let deliveries = deliver(topics, Some(key), messages).await;
            return (deliveries, Deduplication::Unavailable(error));
        }
    };
    let mut deduplication = Deduplication::On;
    let mut deliveries = Vec::with_capacity(stored.len());
    for kept in &stored {
        for format in [Format::Text, Format::Chat] {
            let Some(publisher) = topics.of(format) else {
                continue;
            };
            let claimant = Claimant {
                key,
                index: kept.index,
                format,
                holder,
                lease: LEASE,
            };
            let (delivery, trouble) = deliver_copy(publisher, state, &claimant, kept).await;
            if let Some(error) = trouble {
                deduplication = Deduplication::Unavailable(error);
            }
            deliveries.push(delivery);
        }
    }
    (deliveries, deduplication)
}

/// Delivers one copy of a stored message, unless it is published already; with the trouble the
/// table gave, if any.
async fn deliver_copy(
    publisher: &dyn Publisher,
    state: &dyn StateStore,
    claimant: &Claimant<'_>,
    kept: &StoredMessage,
) -> (Delivery, Option<AwsError>) {
    let (message, format, key) = (&kept.message, claimant.format, claimant.key);
    let already = |id: String| Delivery {
        message_id: Some(id),
        ..Delivery::of(message, format, DeliveryStatus::AlreadyPublished)
    };
    if let Some(id) = kept.published.get(&format) {
        return (already(id.clone()), None);
    }
    let mut trouble = None;
    match claim(state, claimant).await {
        Ok(Claim::Held) => {}
        Ok(Claim::Published(id)) => return (already(id), None),
        Ok(Claim::Busy { holder: other, .. }) => {
            warn!(key, other, "another invocation is publishing this hand-off");
            let error = AwsError::new(
                "HandOffBeingPublished",
                format!(
                    "invocation {other} holds the hand-off and has not published it yet; \
                     a retry delivers it if that invocation does not"
                ),
            );
            let failed = Delivery {
                error: Some(error),
                ..Delivery::of(message, format, DeliveryStatus::Failed)
            };
            return (failed, None);
        }
        Err(error) => {
            warn!(%error, key, "the hand-off could not be claimed: sent at least once");
            trouble = Some(error);
        }
    }
    let delivery = publish(publisher, message, &thread(message, Some(key))).await;
    let recorded = match &delivery.message_id {
        Some(id) => state.published(claimant, id).await,
        // Not published: give the claim up, so that a retry need not wait for its lease.
        None => state.release(claimant).await,
    };
    if let Err(error) = recorded {
        // Published, but not remembered: a retry after the lease would publish it again.
        warn!(%error, key, "a hand-off's delivery could not be recorded");
        trouble = Some(error);
    }
    (delivery, trouble)
}

/// Claims a copy, waiting up to [`WAIT_FOR_CLAIM`] for another invocation's live claim to end:
/// published (then it is already published) or lapsed (then it is taken over).
async fn claim(state: &dyn StateStore, claimant: &Claimant<'_>) -> Result<Claim, AwsError> {
    let waited_until = tokio::time::Instant::now() + WAIT_FOR_CLAIM;
    loop {
        let claim = state.claim(claimant).await?;
        let Claim::Busy { until_ms, .. } = claim else {
            return Ok(claim);
        };
        let now = tokio::time::Instant::now();
        if now >= waited_until {
            return Ok(claim);
        }
        // Look again soon, or when the lease lapses if that comes first.
        let lapses_in = Duration::from_millis(until_ms.saturating_sub(epoch_millis()));
        tokio::time::sleep(WAIT_STEP.min(lapses_in).min(waited_until - now)).await;
    }
}

/// The trigger's outbox: the one stored, or `messages`, stored now.
async fn outbox(
    state: &dyn StateStore,
    key: &str,
    messages: &[Message],
) -> Result<Vec<StoredMessage>, AwsError> {
    let stored = state.outbox(key).await?;
    if !stored.is_empty() || messages.is_empty() {
        return Ok(stored);
    }
    let composed: Vec<StoredMessage> = messages
        .iter()
        .enumerate()
        .map(|(index, message)| StoredMessage {
            index,
            message: message.clone(),
            published: Default::default(),
        })
        .collect();
    if state.store(key, &composed).await? {
        Ok(composed)
    } else {
        // Another delivery of the same trigger stored its messages first: those are the ones.
        state.outbox(key).await
    }
}

/// The identity of the fact a trigger's hand-offs are about: the same for every delivery of it.
/// `None` for a command, which has no identity: its messages go out at least once.
///
/// A join or a departure is one membership episode of its account, named by when the account
/// joined (`joined`: as Organizations reports it for a join, as remembered at the join for a
/// departure), so that the events of one departure make one hand-off and a departure after a
/// rejoin makes another (docs/design.md, "State").
pub fn outbox_key(intake: &Intake, trigger: &Trigger, joined: Option<u64>) -> Option<String> {
    let episode = |kind: &str, account_id: &str| match joined {
        Some(at) => format!("{kind}#{account_id}#{at}"),
        None => format!("{kind}#{account_id}"),
    };
    match trigger {
        // One departure, one hand-off, whether it comes as RemoveAccountFromOrganization,
        // AccountDepartedOrganization or both; likewise for a join and its member role.
        Trigger::AccountDeparted { account_id, .. } => Some(episode("departed", account_id)),
        Trigger::AccountJoined { account_id, .. }
        | Trigger::MemberRoleDeployed {
            account_id: Some(account_id),
            succeeded: true,
            ..
        } => Some(episode("joined", account_id)),
        Trigger::Continuation(request) => Some(format!("{}#{}", request.event_id, request.attempt)),
        Trigger::Command { .. } => None,
        _ => intake.event_id.clone(),
    }
}
