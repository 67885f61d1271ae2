//! Hand-offs through SNS on the emulator, read back from one SQS queue per audience subscribed with a
//! filter policy on `audience`, exactly as administrators' e-mail subscriptions filter
//! (docs/design.md, "Notifications"). Who hears what in every situation is tested on fakes in
//! `notifications`; this shows the real topic, attributes and filter policies.

use crate::common::{
    Emulator, MARKETPLACE_PRINCIPAL, OrgFixture, Shared, app, mutating, no_deadline, sample, shared,
};
use marketplace_trusted_access::config::Config;
use marketplace_trusted_access::handler::InvocationError;
use marketplace_trusted_access::messages::{FACTS_HEADER, Facts};
use marketplace_trusted_access::notify::DeliveryStatus;
use marketplace_trusted_access::report::{Report, ReportOutcome};
use serde_json::Value;
use std::collections::BTreeMap;

const AUDIENCES: [&str; 4] = [
    "organizations-admin",
    "marketplace-admin",
    "account-admin",
    "service-admin",
];

/// A message as a subscriber receives it.
#[derive(Debug)]
pub struct Received {
    pub message_id: String,
    pub subject: String,
    pub body: String,
    pub attributes: BTreeMap<String, String>,
}

pub struct Subscribers {
    pub topic_arn: String,
    sqs: aws_sdk_sqs::Client,
    queues: BTreeMap<&'static str, String>,
}

impl Subscribers {
    /// The notification topic; one queue per audience, subscribed with `{"audience": [<audience>]}`.
    pub async fn new(emulator: &Emulator) -> Subscribers {
        Subscribers::named(emulator, "handoffs").await
    }

    /// The topic `name`, with queues of its own (`<name>-<audience>`), subscribed as in [`Self::new`].
    pub async fn named(emulator: &Emulator, name: &str) -> Subscribers {
        let config = emulator.management_config();
        let sns = aws_sdk_sns::Client::new(&config);
        let sqs = aws_sdk_sqs::Client::new(&config);
        let topic_arn = sns
            .create_topic()
            .name(name)
            .send()
            .await
            .unwrap()
            .topic_arn
            .unwrap();
        let mut queues = BTreeMap::new();
        for audience in AUDIENCES {
            let url = sqs
                .create_queue()
                .queue_name(format!("{name}-{audience}"))
                .send()
                .await
                .unwrap()
                .queue_url
                .unwrap();
            let arn = sqs
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .send()
                .await
                .unwrap()
                .attributes
                .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
                .clone();
            sns.subscribe()
                .topic_arn(&topic_arn)
                .protocol("sqs")
                .endpoint(arn)
                .attributes("FilterPolicy", format!(r#"{{"audience": ["{audience}"]}}"#))
                .send()
                .await
                .unwrap();
            queues.insert(audience, url);
        }
        Subscribers {
            topic_arn,
            sqs,
            queues,
        }
    }

    /// Everything each audience received since the last call (queues are drained).
    pub async fn drain(&self) -> BTreeMap<&'static str, Vec<Received>> {
        let mut all = BTreeMap::new();
        for (audience, url) in &self.queues {
            let mut received = Vec::new();
            loop {
                let out = self
                    .sqs
                    .receive_message()
                    .queue_url(url)
                    .max_number_of_messages(10)
                    .send()
                    .await
                    .unwrap();
                let messages = out.messages.unwrap_or_default();
                if messages.is_empty() {
                    break;
                }
                for m in messages {
                    let envelope: Value = serde_json::from_str(m.body().unwrap()).unwrap();
                    received.push(Received {
                        message_id: envelope["MessageId"].as_str().unwrap().into(),
                        subject: envelope["Subject"].as_str().unwrap_or_default().into(),
                        body: envelope["Message"].as_str().unwrap().into(),
                        attributes: envelope["MessageAttributes"]
                            .as_object()
                            .unwrap()
                            .iter()
                            .map(|(k, v)| (k.clone(), v["Value"].as_str().unwrap().to_string()))
                            .collect(),
                    });
                    self.sqs
                        .delete_message()
                        .queue_url(url)
                        .receipt_handle(m.receipt_handle().unwrap())
                        .send()
                        .await
                        .unwrap();
                }
            }
            all.insert(*audience, received);
        }
        all
    }
}

async fn setup() -> (Shared, OrgFixture, Subscribers, Config) {
    let emulator = shared().await;
    let org = emulator.seed_organization(5, 1).await;
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
        .await;
    let subscribers = Subscribers::new(&emulator).await;
    let config = Config {
        topic_arn: Some(subscribers.topic_arn.clone()),
        ..Config::default()
    };
    (emulator, org, subscribers, config)
}

async fn handle(emulator: &Emulator, config: &Config, event: &Value) -> Report {
    app(emulator, config.clone())
        .handle(event, &no_deadline())
        .await
        .into_result()
        .unwrap()
}

/// (audience, event) of everything received, in audience order.
pub fn who_got_what(received: &BTreeMap<&'static str, Vec<Received>>) -> Vec<(String, String)> {
    received
        .iter()
        .flat_map(|(audience, msgs)| {
            msgs.iter()
                .map(move |m| (audience.to_string(), m.attributes["event"].clone()))
        })
        .collect()
}

pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, e)| (a.to_string(), e.to_string()))
        .collect()
}

#[tokio::test]
async fn a_person_enabling_tells_the_marketplace_administrator_to_enable_integration_in_its_console()
 {
    let (emulator, org, subscribers, config) = setup().await;
    let report = handle(&emulator, &config, &sample("enable-by-cli-iamuser.json")).await;
    let received = subscribers.drain().await;
    assert_eq!(
        who_got_what(&received),
        pairs(&[("marketplace-admin", "trusted-access-enabled")])
    );

    let m = &received["marketplace-admin"][0];
    assert_eq!(m.attributes["audience"], "marketplace-admin");
    assert_eq!(m.attributes["severity"], "action-required");
    assert_eq!(m.attributes["organization"], org.org_id);
    assert!(
        m.subject.starts_with("Action required") && m.subject.len() <= 100,
        "{}",
        m.subject
    );
    assert!(m.body.contains("AWS Marketplace console"), "{}", m.body);
    assert!(m.body.contains("AWS recommends"));
    assert!(
        m.body
            .contains("arn:aws:iam::123456789012:user/diego.ramirez")
    );
    // As a subscriber reads it: the JSON after the facts header of the e-mail text.
    let (_, json) = m.body.rsplit_once(FACTS_HEADER).expect("facts block");
    let facts: Facts = serde_json::from_str(json.trim()).expect("the facts parse");
    assert_eq!(facts.accounts.created, 5, "management + 4 active members");
    assert_eq!(facts.initiated_by.as_deref(), Some("person"));

    // The report names the message SNS delivered.
    assert_eq!(report.notifications.len(), 1);
    assert_eq!(
        report.notifications[0].message_id.as_deref(),
        Some(m.message_id.as_str())
    );
    assert_eq!(report.notifications[0].delivery, DeliveryStatus::Published);
}

#[tokio::test]
async fn a_notification_that_cannot_be_published_fails_the_invocation_after_logging_the_report() {
    let (emulator, org, subscribers, _) = setup().await;
    let missing = Config {
        topic_arn: Some("arn:aws:sns:us-east-1:123456789012:no-such-topic".into()),
        ..Config::default()
    };

    // WHEN publishing fails
    let report = app(&emulator, missing)
        .handle(&sample("enable-by-cli-iamuser.json"), &no_deadline())
        .await;

    // THEN the invocation fails (Lambda retries it, then the dead-letter queue keeps it) and the
    // report it carries, logged before, lists what was reconciled
    assert_eq!(report.outcome, ReportOutcome::Failed);
    assert_eq!(report.accounts.created, 5);
    assert!(
        report
            .reason
            .as_deref()
            .unwrap()
            .contains("could not be published")
    );
    assert!(emulator.marketplace_role_exists(&org.active[0]).await);
    let err = report.into_result().unwrap_err();
    assert!(matches!(err, InvocationError::Notification { .. }), "{err}");

    // AND the retry, once the topic is back, repeats no role change and delivers the message
    emulator.start_recording().await;
    let config = Config {
        topic_arn: Some(subscribers.topic_arn.clone()),
        ..Config::default()
    };
    let retry = handle(&emulator, &config, &sample("enable-by-cli-iamuser.json")).await;
    let changes: Vec<String> = mutating(&emulator.recorded_actions().await)
        .into_iter()
        .filter(|a| !a.starts_with("sns:"))
        .collect();
    assert_eq!(changes, Vec::<String>::new());
    assert_eq!(retry.accounts.unchanged, 5);
    assert_eq!(
        who_got_what(&subscribers.drain().await),
        pairs(&[("marketplace-admin", "trusted-access-enabled")])
    );
}
