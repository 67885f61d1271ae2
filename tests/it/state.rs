//! The state table, the continuation queue and the topic through the real SDK clients against the
//! emulator (docs/design.md, "State" and "Continuation"): what `handoffs` shows on fakes, with
//! DynamoDB's conditional writes, SQS's delivery and SNS's limits.

use crate::common::{
    MARKETPLACE_PRINCIPAL, OrFail, OrgFixture, Shared, app_as, no_deadline, ports_as, sample,
    shared,
};
use crate::reconcile::naming;
use crate::sns::{Subscribers, pairs, who_got_what};
use async_trait::async_trait;
use marketplace_trusted_access::aws::queue::ContinuationQueue;
use marketplace_trusted_access::aws::state::StateTable;
use marketplace_trusted_access::aws::topic::Topic;
use marketplace_trusted_access::config::{Config, Removal};
use marketplace_trusted_access::continuation::HandoverStatus;
use marketplace_trusted_access::fake::FakeCloud;
use marketplace_trusted_access::handler::{App, Invocation, Ports, RESERVE, report_lines};
use marketplace_trusted_access::message::{Block, Body};
use marketplace_trusted_access::messages::{
    Audience, Event, Format, MESSAGE_LIMIT, Message, SUBJECT_LIMIT, Severity,
};
use marketplace_trusted_access::notify::DeduplicationMode;
use marketplace_trusted_access::notify::DeliveryStatus;
use marketplace_trusted_access::outcome::ActionResult;
use marketplace_trusted_access::ports::{
    AwsError, Claim, Claimant, Publisher, StateStore, StoredMessage,
};
use marketplace_trusted_access::report::log::LogFormat;
use marketplace_trusted_access::report::{Report, ReportOutcome};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

const TABLE: &str = "handoff-state";

/// GIVEN an organization of `members` (one suspended), trusted access enabled, the state table, the
/// continuation queue, and the topic with one queue per audience.
pub(crate) struct Stage {
    pub(crate) emulator: Shared,
    pub(crate) org: OrgFixture,
    pub(crate) subscribers: Subscribers,
    queue_url: String,
}

impl Stage {
    pub(crate) async fn new(members: usize) -> Stage {
        let emulator = shared().await;
        let org = emulator.seed_organization(members, 1).await;
        emulator
            .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
            .await;
        let subscribers = Subscribers::new(&emulator).await;
        emulator.create_state_table(TABLE).await;
        let queue_url = aws_sdk_sqs::Client::new(&emulator.management_config())
            .create_queue()
            .queue_name("continuation")
            .send()
            .await
            .or_fail("CreateQueue")
            .queue_url
            .expect("queue URL");
        Stage {
            emulator,
            org,
            subscribers,
            queue_url,
        }
    }

    pub(crate) fn config(&self) -> Config {
        Config {
            topic_arn: Some(self.subscribers.topic_arn.clone()),
            state_table: Some(TABLE.into()),
            continuation_queue_url: Some(self.queue_url.clone()),
            ..Config::default()
        }
    }

    fn app(&self, config: Config) -> App {
        app_as(&self.emulator.management_config(), config)
    }

    pub(crate) async fn handle(&self, config: Config, event: &Value) -> Report {
        self.app(config).handle(event, &no_deadline()).await
    }
}

/// The real topic, refusing the first publish to each audience named.
pub(crate) struct Refusing {
    topic: Topic,
    refuse: std::sync::Mutex<Vec<Audience>>,
}

impl Refusing {
    /// Refuses the first publish of a message to each of `audiences`: by audience, not by the
    /// order of the calls, since copies are published several at a time.
    pub(crate) fn new(topic: Topic, audiences: &[Audience]) -> Refusing {
        Refusing {
            topic,
            refuse: std::sync::Mutex::new(audiences.to_vec()),
        }
    }
}

#[async_trait]
impl Publisher for Refusing {
    fn format(&self) -> Format {
        self.topic.format()
    }

    async fn publish(&self, message: &Message, thread: &str) -> Result<String, AwsError> {
        let refused = {
            let mut refuse = self.refuse.lock().unwrap();
            let at = refuse.iter().position(|a| *a == message.audience);
            at.map(|at| refuse.remove(at)).is_some()
        };
        if refused {
            return Err(AwsError::new("InternalError", "refused by the test"));
        }
        self.topic.publish(message, thread).await
    }
}

#[tokio::test]
async fn a_retry_after_a_partial_publish_delivers_every_message_exactly_once_as_first_composed() {
    // GIVEN ON_DEPARTURE=delete and an account that left with its role; the topic refuses the
    // second message of the departure hand-off (the account administrator's)
    let stage = Stage::new(3).await;
    let leaver = stage.org.active[0].clone();
    stage
        .handle(stage.config(), &sample("enable-by-marketplace.json"))
        .await;
    stage.subscribers.drain().await;
    let event = crate::common::remove_account(&stage.emulator, &leaver).await;
    let config = Config {
        on_departure: Removal::Delete,
        ..stage.config()
    };
    let sdk = stage.emulator.management_config();
    let mut ports = ports_as(&sdk, &config);
    ports.publisher = Some(Arc::new(Refusing::new(
        Topic::new(aws_sdk_sns::Client::new(&sdk), &stage.subscribers.topic_arn),
        &[Audience::AccountAdmin],
    )));
    let first = App::with_ports(config.clone(), ports)
        .handle(&event, &no_deadline())
        .await;
    assert_eq!(first.outcome, ReportOutcome::Failed);
    assert!(!stage.emulator.marketplace_role_exists(&leaver).await);

    // WHEN Lambda retries, now that the role is gone
    let retry = stage.handle(config, &event).await;

    // THEN each audience received its message exactly once, saying the role was deleted
    let delivered: Vec<DeliveryStatus> = retry.notifications.iter().map(|n| n.delivery).collect();
    assert_eq!(
        delivered,
        [DeliveryStatus::AlreadyPublished, DeliveryStatus::Published]
    );
    let received = stage.subscribers.drain().await;
    assert_eq!(
        who_got_what(&received),
        pairs(&[
            ("account-admin", "account-departed"),
            ("organizations-admin", "account-departed")
        ])
    );
    for m in received.values().flatten() {
        assert!(m.body.contains("was deleted from account"), "{}", m.body);
    }
}

#[tokio::test]
async fn duplicates_give_one_hand_off_per_audience() {
    let stage = Stage::new(3).await;
    // The same enable event, delivered twice.
    let enable = sample("enable-by-cli-iamuser.json");
    stage.handle(stage.config(), &enable).await;
    let again = stage.handle(stage.config(), &enable).await;
    assert_eq!(
        again.notifications[0].delivery,
        DeliveryStatus::AlreadyPublished
    );
    assert_eq!(
        who_got_what(&stage.subscribers.drain().await),
        pairs(&[("marketplace-admin", "trusted-access-enabled")])
    );

    // RemoveAccountFromOrganization and AccountDepartedOrganization for one account.
    let leaver = stage.org.active[1].clone();
    let removed = crate::common::remove_account(&stage.emulator, &leaver).await;
    let mut departed = sample("account-departed-service-event.json");
    departed["detail"]["serviceEventDetails"]["accountDepartedOrganizationDetails"]["accountId"] =
        leaver.clone().into();
    stage.handle(stage.config(), &removed).await;
    stage.handle(stage.config(), &departed).await;
    assert_eq!(
        who_got_what(&stage.subscribers.drain().await),
        pairs(&[
            ("account-admin", "account-departed"),
            ("organizations-admin", "account-departed")
        ])
    );
}

#[tokio::test]
async fn a_new_account_is_pending_until_its_member_role_then_joined_is_told_once() {
    // GIVEN a new account whose member role is not there yet
    let stage = Stage::new(3).await;
    let newcomer = stage.org.active[1].clone();
    stage.emulator.delete_member_role(&newcomer).await;

    // WHEN it joins: pending, no warning
    let joined = stage
        .handle(
            stage.config(),
            &naming("create-account-result.json", &newcomer),
        )
        .await;
    assert_eq!(
        joined.actions[0].result,
        ActionResult::Pending,
        "{}",
        joined.to_json_line()
    );
    assert!(joined.notifications.is_empty());

    // WHEN the StackSet deploys the member role and says so
    create_member_role(&stage.emulator, &newcomer).await;
    let mut deployed = sample("stackset-instance-succeeded.json");
    deployed["detail"]["stack-id"] =
        format!("arn:aws:cloudformation:us-east-1:{newcomer}:stack/StackSet-x/1").into();
    let report = stage.handle(stage.config(), &deployed).await;

    // THEN the role is created and one "joined" message is sent, even if the event comes again
    assert_eq!(report.accounts.created, 1, "{}", report.to_json_line());
    assert!(stage.emulator.marketplace_role_exists(&newcomer).await);
    stage.handle(stage.config(), &deployed).await;
    assert_eq!(
        who_got_what(&stage.subscribers.drain().await),
        pairs(&[("organizations-admin", "account-joined")])
    );
}

/// The member role as Organizations creates it: trusting the management account, administrator.
pub(crate) async fn create_member_role(emulator: &Shared, account: &str) {
    let iam = aws_sdk_iam::Client::new(&emulator.account_config(account).await);
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]});
    iam.create_role()
        .role_name(crate::common::MEMBER_ROLE)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .or_fail("CreateRole");
    let everything = json!({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    iam.put_role_policy()
        .role_name(crate::common::MEMBER_ROLE)
        .policy_name("administrator")
        .policy_document(everything.to_string())
        .send()
        .await
        .or_fail("PutRolePolicy");
}

#[tokio::test]
async fn a_lasting_failure_is_warned_once_a_new_one_again_and_recovery_once() {
    let stage = Stage::new(4).await;
    stage
        .handle(stage.config(), &sample("enable-by-marketplace.json"))
        .await;
    stage.subscribers.drain().await;
    let sweep = |n: usize| {
        let mut event = sample("scheduled.json");
        event["id"] = format!("sweep-{n}").into();
        event
    };
    let (first, second) = (stage.org.active[0].clone(), stage.org.active[1].clone());
    stage.emulator.delete_member_role(&first).await;
    for n in 0..3 {
        stage.handle(stage.config(), &sweep(n)).await;
    }
    let warned = |received: &std::collections::BTreeMap<&str, Vec<crate::sns::Received>>| {
        received
            .values()
            .flatten()
            .map(|m| m.attributes["event"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        warned(&stage.subscribers.drain().await),
        ["reconcile-failed"]
    );

    stage.emulator.delete_member_role(&second).await;
    stage.handle(stage.config(), &sweep(3)).await;
    let received = stage.subscribers.drain().await;
    assert_eq!(warned(&received), ["reconcile-failed"]);
    assert!(received["organizations-admin"][0].body.contains(&second));

    create_member_role(&stage.emulator, &first).await;
    create_member_role(&stage.emulator, &second).await;
    stage.handle(stage.config(), &sweep(4)).await;
    stage.handle(stage.config(), &sweep(5)).await;
    assert_eq!(
        warned(&stage.subscribers.drain().await),
        ["reconcile-recovered"]
    );
}

#[tokio::test]
async fn with_the_state_table_unreachable_hand_offs_are_published_and_the_report_says_so() {
    let stage = Stage::new(2).await;
    let config = Config {
        state_table: Some("no-such-table".into()),
        ..stage.config()
    };
    let report = stage
        .handle(config, &sample("enable-by-cli-iamuser.json"))
        .await;
    assert_eq!(report.deduplication, Some(DeduplicationMode::Unavailable));
    assert!(
        report
            .deduplication_error
            .as_deref()
            .unwrap()
            .contains("ResourceNotFoundException"),
        "{}",
        report.to_json_line()
    );
    assert_eq!(
        who_got_what(&stage.subscribers.drain().await),
        pairs(&[("marketplace-admin", "trusted-access-enabled")])
    );
    assert!(report.into_result().is_ok());
}

#[tokio::test]
async fn a_run_cut_short_finishes_through_its_continuation_and_each_hand_off_is_sent_once() {
    // GIVEN the enable event and no time for any account
    let stage = Stage::new(6).await;
    let config = stage.config();
    let sdk = stage.emulator.management_config();
    let mut queue = ContinuationQueue::new(aws_sdk_sqs::Client::new(&sdk), &stage.queue_url);
    // The emulator honours SQS delays; the backoff itself is tested on fakes (`handoffs`).
    queue.max_delay = std::time::Duration::ZERO;
    let ports = Ports {
        continuation: Some(Arc::new(queue)),
        ..ports_as(&sdk, &config)
    };
    let app = App::with_ports(config, ports);
    let first = app
        .handle(
            &sample("enable-by-cli-iamuser.json"),
            &Invocation::until(Instant::now() + RESERVE),
        )
        .await;
    assert_eq!(first.outcome, ReportOutcome::Incomplete);
    assert_eq!(
        first.continuation.as_ref().unwrap().status,
        HandoverStatus::HandedOn
    );

    // WHEN the queue delivers the continuation (the test receives it as Lambda's poller would)
    let sqs = aws_sdk_sqs::Client::new(&stage.emulator.management_config());
    let mut bodies = Vec::new();
    for _ in 0..3 {
        let out = sqs
            .receive_message()
            .queue_url(&stage.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .send()
            .await
            .or_fail("ReceiveMessage");
        bodies.extend(
            out.messages
                .unwrap_or_default()
                .into_iter()
                .filter_map(|m| m.body),
        );
        if !bodies.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let delivered = json!({"Records": [{"eventSource": "aws:sqs", "body": bodies[0]}]});
    let second = app.handle(&delivered, &no_deadline()).await;

    // THEN every account is done, and the marketplace administrator was told once
    assert_eq!(
        second.outcome,
        ReportOutcome::Reconciled,
        "{}",
        second.to_json_line()
    );
    for account in std::iter::once(&stage.org.management).chain(&stage.org.active) {
        assert!(
            stage.emulator.marketplace_role_exists(account).await,
            "{account}"
        );
    }
    assert_eq!(
        who_got_what(&stage.subscribers.drain().await),
        pairs(&[("marketplace-admin", "trusted-access-enabled")])
    );
}

#[tokio::test]
async fn at_five_thousand_accounts_with_fifteen_hundred_unreachable_the_hand_off_fits_sns_and_the_logs()
 {
    // GIVEN 5,000 accounts (in memory: the emulator would take minutes to create them), 1,500 of
    // them without the member role; the real topics and state table on the emulator
    let stage = Stage::new(1).await;
    let chat = Subscribers::named(&stage.emulator, "handoffs-chat").await;
    let cloud = FakeCloud::organization(4_999);
    cloud.set_trusted_access(true);
    for id in cloud.members().iter().step_by(3).take(1_500) {
        cloud.with_account(id, |a| a.member_role = false);
    }
    let sdk = stage.emulator.management_config();
    let ports = Ports {
        publisher: Some(Arc::new(Topic::new(
            aws_sdk_sns::Client::new(&sdk),
            &stage.subscribers.topic_arn,
        ))),
        chat: Some(Arc::new(Topic::chat(
            aws_sdk_sns::Client::new(&sdk),
            &chat.topic_arn,
        ))),
        state: Some(Arc::new(StateTable::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            TABLE,
        ))),
        continuation: None,
        ..cloud.ports()
    };

    // WHEN the enable event arrives
    let config = Config {
        max_concurrency: 64,
        ..stage.config()
    };
    let report = App::with_ports(config, ports)
        .handle(&sample("enable-by-cli-iamuser.json"), &no_deadline())
        .await;

    // THEN the invocation succeeds, both hand-offs are published and fit SNS, as text and as chat
    // payloads, and every log line fits CloudWatch Logs
    assert_eq!(report.accounts.failed, 1_500);
    assert!(report.failure.is_none(), "{:?}", report.failure);
    let received = stage.subscribers.drain().await;
    // Each chat copy parses as a custom notification within SNS's 256 KiB (`custom_notification`).
    crate::chat::assert_one_chat_copy_each(&received, &chat.drain().await);
    assert_eq!(
        who_got_what(&received),
        pairs(&[
            ("marketplace-admin", "trusted-access-enabled"),
            ("organizations-admin", "reconcile-failed")
        ])
    );
    for m in received.values().flatten() {
        assert!(m.subject.len() <= SUBJECT_LIMIT);
        assert!(m.body.len() <= MESSAGE_LIMIT, "{}", m.body.len());
        assert!(
            m.body.contains("the first 50 of 1500"),
            "a capped list says so"
        );
    }
    // AND the table holds them one item per message, each well within DynamoDB's 400 KB (the
    // emulator refuses an item over about 405,000 bytes, as AWS does over 400 KB)
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let items = stored_items(&dynamodb).await;
    let sizes: Vec<usize> = items.iter().map(item_size).collect();
    assert_eq!(
        items.len(),
        4,
        "an outbox head, two messages, and the set-up hand-off the enable opened: {sizes:?}"
    );
    let largest = received
        .values()
        .flatten()
        .map(|m| m.body.len())
        .max()
        .unwrap();
    assert!(
        largest > 50_000,
        "the largest hand-off is a large one: {largest}"
    );
    for size in &sizes {
        assert!(*size < 400_000, "{sizes:?}");
    }
    let lines = report_lines(&report, LogFormat::Text);
    assert!(lines.len() > 1, "a large report is logged in chunks");
    for line in &lines {
        assert!(line.len() < 256 * 1024, "{}", line.len());
    }
    let logged: usize = lines[1..]
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["actions"]
                .as_array()
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(
        logged,
        report.actions.len(),
        "every account is in the chunks"
    );
}

#[tokio::test]
async fn an_outbox_of_four_messages_at_the_sns_limit_is_stored_and_each_copy_recorded() {
    // GIVEN four messages of 256 KiB each, 1 MiB in all: more than one item could ever hold
    let stage = Stage::new(1).await;
    let sdk = stage.emulator.management_config();
    let table = StateTable::new(aws_sdk_dynamodb::Client::new(&sdk), TABLE);
    let body = Body {
        blocks: vec![Block::Paragraph("x".repeat(MESSAGE_LIMIT - 100))],
        facts: "{}".into(),
        accounts: vec!["111122223333".into()],
    };
    let stored: Vec<StoredMessage> = (0..4)
        .map(|index| StoredMessage {
            index,
            message: Message {
                audience: Audience::OrganizationsAdmin,
                event: Event::ReconcileFailed,
                severity: Severity::Warning,
                organization: "o-exampleorgid".into(),
                service: "license-management.marketplace.amazonaws.com".into(),
                subject: format!("message {index}"),
                body: body.clone(),
                handoff: None,
            },
            published: Default::default(),
        })
        .collect();

    // WHEN the outbox is stored, read back, and a copy of the last message claimed and recorded
    assert!(table.store("large", &stored).await.unwrap());
    assert!(!table.store("large", &stored).await.unwrap(), "stored once");
    let claimant = Claimant {
        key: "large",
        index: 3,
        format: Format::Text,
        holder: "the-test",
        lease: std::time::Duration::from_secs(30),
    };
    assert_eq!(table.claim(&claimant).await.unwrap(), Claim::Held);
    table.published(&claimant, "id-3").await.unwrap();

    // THEN every message is read back whole, the last one published, and no item nears 400 KB
    let read = table.outbox("large").await.unwrap();
    assert_eq!(read.len(), 4);
    assert!(read.iter().all(|m| m.message.body == body));
    assert_eq!(
        read[3].published.get(&Format::Text).map(String::as_str),
        Some("id-3")
    );
    let items = stored_items(&aws_sdk_dynamodb::Client::new(&sdk)).await;
    let sizes: Vec<usize> = items.iter().map(item_size).collect();
    assert_eq!(items.len(), 5, "a head and four messages: {sizes:?}");
    assert!(sizes.iter().all(|s| *s < 300_000), "{sizes:?}");
}

type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// Every item of the state table.
#[tokio::test]
async fn an_outbox_past_its_expiry_is_gone_though_dynamodb_has_not_deleted_it() {
    // GIVEN a fact's outbox, stored and then past its `expiresAt` (DynamoDB deletes expired items
    // up to days late, so the items are still there)
    let stage = Stage::new(1).await;
    let sdk = stage.emulator.management_config();
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let table = StateTable::new(dynamodb.clone(), TABLE);
    let stored = |subject: &str| {
        vec![StoredMessage {
            index: 0,
            message: Message {
                audience: Audience::OrganizationsAdmin,
                event: Event::AccountDeparted,
                severity: Severity::Info,
                organization: "o-exampleorgid".into(),
                service: "license-management.marketplace.amazonaws.com".into(),
                subject: subject.into(),
                body: Body::default(),
                handoff: None,
            },
            published: Default::default(),
        }]
    };
    assert!(
        table
            .store("departed#210987654321", &stored("first"))
            .await
            .unwrap()
    );
    for item in stored_items(&dynamodb).await {
        dynamodb
            .update_item()
            .table_name(TABLE)
            .key("pk", item["pk"].clone())
            .key("sk", item["sk"].clone())
            .update_expression("SET expiresAt = :past")
            .expression_attribute_values(
                ":past",
                aws_sdk_dynamodb::types::AttributeValue::N("1000".into()),
            )
            .send()
            .await
            .unwrap();
    }

    // WHEN it is read, and the same key's new fact is stored
    let read = table.outbox("departed#210987654321").await.unwrap();
    let replaced = table
        .store("departed#210987654321", &stored("second"))
        .await
        .unwrap();

    // THEN the expired outbox reads as none, and the new one takes its place
    assert!(read.is_empty(), "{read:?}");
    assert!(replaced);
    let now = table.outbox("departed#210987654321").await.unwrap();
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].message.subject, "second");
    // …and a live outbox still wins over a later composition
    assert!(
        !table
            .store("departed#210987654321", &stored("third"))
            .await
            .unwrap()
    );
}

async fn stored_items(dynamodb: &aws_sdk_dynamodb::Client) -> Vec<Item> {
    dynamodb
        .scan()
        .table_name(TABLE)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
}

/// An item's size as DynamoDB counts it: attribute names and values, a number or a map counted
/// generously.
fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value.as_s().map_or(64, String::len))
        .sum()
}
