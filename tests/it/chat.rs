//! The chat copy through the emulator's SNS (docs/design.md, "Notifications"): with
//! `CHAT_TOPIC_ARN` set, every hand-off the samples of `events/` give also arrives on the chat
//! topic, once, as a custom notification of Amazon Q Developer in chat applications, with the
//! attributes of its e-mail copy; a partial publish, retried, leaves each copy once on each topic.
//! The wording of the payload is tested next to it, in `src/message/chat.rs`.

use crate::common::{MARKETPLACE_PRINCIPAL, no_deadline, ports_as, remove_account, sample};
use crate::sns::{Received, Subscribers, pairs};
use crate::state::{Refusing, Stage, create_member_role};
use marketplace_trusted_access::aws::topic::Topic;
use marketplace_trusted_access::config::Config;
use marketplace_trusted_access::handler::App;
use marketplace_trusted_access::messages::{Audience, Format, MESSAGE_LIMIT};
use marketplace_trusted_access::notify::DeliveryStatus;
use marketplace_trusted_access::report::{Report, ReportOutcome};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The attributes a chat copy is matched to its e-mail copy by.
const MATCHED_ON: [&str; 4] = ["audience", "event", "organization", "service"];

/// GIVEN [`Stage`] and the chat topic, with one queue per audience of its own.
struct ChatStage {
    stage: Stage,
    chat: Subscribers,
}

impl ChatStage {
    async fn new(members: usize) -> ChatStage {
        let stage = Stage::new(members).await;
        let chat = Subscribers::named(&stage.emulator, "handoffs-chat").await;
        ChatStage { stage, chat }
    }

    /// The stage's configuration, with `CHAT_TOPIC_ARN`.
    fn config(&self) -> Config {
        Config {
            chat_topic_arn: Some(self.chat.topic_arn.clone()),
            ..self.stage.config()
        }
    }

    /// Handles `event`, whose every copy must be delivered.
    async fn handle(&self, event: &Value) -> Report {
        let report = self.stage.handle(self.config(), event).await;
        assert!(
            report
                .notifications
                .iter()
                .all(|n| n.delivery != DeliveryStatus::Failed),
            "{}",
            report.to_json_line()
        );
        report
    }

    /// What each topic delivered since the last call: the text copies, the chat copies.
    async fn drain(&self) -> (ByAudience, ByAudience) {
        (
            self.stage.subscribers.drain().await,
            self.chat.drain().await,
        )
    }
}

/// What one topic's subscribers received, by audience.
type ByAudience = BTreeMap<&'static str, Vec<Received>>;

/// A chat payload, parsed, once it is shown to be a custom notification as AWS requires one:
/// `version` "1.0", `source` "custom", a description and a thread, within SNS's limit.
pub fn custom_notification(payload: &str) -> Value {
    assert!(payload.len() <= MESSAGE_LIMIT, "{} bytes", payload.len());
    let p: Value = serde_json::from_str(payload).unwrap_or_else(|e| panic!("{e}: {payload}"));
    assert_eq!(p["version"], "1.0", "{p}");
    assert_eq!(p["source"], "custom", "{p}");
    let non_empty = |v: &Value| v.as_str().is_some_and(|s| !s.trim().is_empty());
    assert!(non_empty(&p["content"]["description"]), "{p}");
    assert!(non_empty(&p["metadata"]["threadId"]), "{p}");
    p
}

/// Every text copy has exactly one chat copy, with its attributes and its subject as the title, and
/// every chat copy is a custom notification of one of them.
pub fn assert_one_chat_copy_each(text: &ByAudience, chat: &ByAudience) {
    let chat: Vec<&Received> = chat.values().flatten().collect();
    for m in text.values().flatten() {
        let copies: Vec<&&Received> = chat
            .iter()
            .filter(|c| {
                MATCHED_ON
                    .iter()
                    .all(|a| c.attributes[*a] == m.attributes[*a])
            })
            .filter(|c| custom_notification(&c.body)["content"]["title"] == m.subject.as_str())
            .collect();
        assert_eq!(copies.len(), 1, "{}: {:?}", m.subject, m.attributes);
        assert_eq!(copies[0].attributes, m.attributes, "{}", m.subject);
    }
    assert_eq!(
        chat.len(),
        text.values().flatten().count(),
        "no chat copy without its text"
    );
}

#[tokio::test]
async fn every_hand_off_of_the_samples_arrives_on_the_chat_topic_once_with_its_attributes() {
    // GIVEN an organization with trusted access enabled, the state table and both topics
    let stage = ChatStage::new(3).await;
    let (emulator, org) = (&stage.stage.emulator, &stage.stage.org);
    let (leaver, failing) = (org.active[0].clone(), org.active[1].clone());
    let sweep = |id: &str| {
        let mut event = sample("scheduled.json");
        event["id"] = id.into();
        event
    };

    // WHEN the samples come, each after what makes it tell: an enable by a person and by
    // Marketplace, a departure, a failed StackSet, a sweep that cannot reach an account and one
    // after it recovers, a service other than Marketplace enabled, and a disable
    let mut reports = Vec::new();
    reports.push(stage.handle(&sample("enable-by-cli-iamuser.json")).await);
    reports.push(stage.handle(&sample("enable-by-marketplace.json")).await);
    let departed = remove_account(emulator, &leaver).await;
    reports.push(stage.handle(&departed).await);
    reports.push(
        stage
            .handle(&sample("stackset-instance-failed-no-stack.json"))
            .await,
    );
    emulator.delete_member_role(&failing).await;
    reports.push(stage.handle(&sweep("sweep-failing")).await);
    create_member_role(emulator, &failing).await;
    reports.push(stage.handle(&sweep("sweep-recovered")).await);
    emulator
        .set_trusted_access("config.amazonaws.com", true)
        .await;
    reports.push(
        stage
            .handle(&sample("guardian-enable-config-by-cli.json"))
            .await,
    );
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, false)
        .await;
    reports.push(stage.handle(&sample("disable-by-cli.json")).await);

    // THEN each message went out on both topics, and each chat copy matches its text: the
    // samples' own messages at least, and whatever else the function tells along the way
    let (text, chat) = stage.drain().await;
    let told: Vec<(String, String)> = text
        .values()
        .flatten()
        .map(|m| {
            (
                m.attributes["audience"].clone(),
                m.attributes["event"].clone(),
            )
        })
        .collect();
    for expected in pairs(&[
        ("account-admin", "account-departed"),
        ("marketplace-admin", "trusted-access-disabled"),
        ("marketplace-admin", "trusted-access-enabled"),
        ("organizations-admin", "account-departed"),
        ("organizations-admin", "account-joined"),
        ("organizations-admin", "reconcile-failed"),
        ("organizations-admin", "reconcile-recovered"),
        ("organizations-admin", "trusted-access-disabled"),
        ("organizations-admin", "trusted-access-enabled"),
        ("service-admin", "trusted-access-enabled"),
    ]) {
        assert!(told.contains(&expected), "{expected:?} not in {told:?}");
    }
    let enabled = (
        "organizations-admin".into(),
        "trusted-access-enabled".into(),
    );
    assert_eq!(
        told.iter().filter(|t| **t == enabled).count(),
        2,
        "Marketplace's and AWS Config's"
    );
    assert_one_chat_copy_each(&text, &chat);

    // AND the reports name both copies of each, published
    for report in &reports {
        let copies = |format: Option<Format>| {
            report
                .notifications
                .iter()
                .filter(|n| n.copy == format && n.delivery == DeliveryStatus::Published)
                .count()
        };
        assert_eq!(
            copies(None),
            copies(Some(Format::Chat)),
            "{}",
            report.trigger
        );
        assert_eq!(
            copies(None) * 2,
            report.notifications.len(),
            "{}",
            report.to_json_line()
        );
    }
    assert_eq!(
        reports.iter().map(|r| r.notifications.len()).sum::<usize>(),
        told.len() * 2
    );
}

#[tokio::test]
async fn a_retry_after_a_partial_publish_leaves_each_copy_once_on_each_topic() {
    // GIVEN trusted access disabled; on the first delivery of the disable event, the
    // notification topic refuses the second message (the Organizations administrator's) and the
    // chat topic the first (the Marketplace administrator's)
    let stage = ChatStage::new(1).await;
    stage
        .stage
        .emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, false)
        .await;
    let config = stage.config();
    let sdk = stage.stage.emulator.management_config();
    let sns = aws_sdk_sns::Client::new(&sdk);
    let mut ports = ports_as(&sdk, &config);
    let text_topic = &stage.stage.subscribers.topic_arn;
    ports.publisher = Some(Arc::new(Refusing::new(
        Topic::new(sns.clone(), text_topic),
        &[Audience::OrganizationsAdmin],
    )));
    ports.chat = Some(Arc::new(Refusing::new(
        Topic::chat(sns, &stage.chat.topic_arn),
        &[Audience::MarketplaceAdmin],
    )));
    let event = sample("disable-by-cli.json");
    let first = App::with_ports(config.clone(), ports)
        .handle(&event, &no_deadline())
        .await;
    let copies = |report: &Report| {
        report
            .notifications
            .iter()
            .map(|n| (n.copy, n.delivery))
            .collect::<Vec<_>>()
    };
    let chat = Some(Format::Chat);
    assert_eq!(first.outcome, ReportOutcome::Failed);
    assert_eq!(
        copies(&first),
        [
            (None, DeliveryStatus::Published),
            (chat, DeliveryStatus::Failed),
            (None, DeliveryStatus::Failed),
            (chat, DeliveryStatus::Published),
        ]
    );

    // WHEN Lambda retries it
    let retry = stage.handle(&event).await;

    // THEN the retry publishes only the copies refused, says the others were published already,
    // and each topic holds each copy once
    assert_eq!(
        copies(&retry),
        [
            (None, DeliveryStatus::AlreadyPublished),
            (chat, DeliveryStatus::Published),
            (None, DeliveryStatus::Published),
            (chat, DeliveryStatus::AlreadyPublished),
        ]
    );
    for (before, after) in first.notifications.iter().zip(&retry.notifications) {
        if before.delivery == DeliveryStatus::Published {
            assert_eq!(before.message_id, after.message_id, "{}", after.subject);
        }
    }
    let (text, chat) = stage.drain().await;
    assert_eq!(text.values().flatten().count(), 2);
    assert_one_chat_copy_each(&text, &chat);
}
