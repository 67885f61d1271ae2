//! Hand-off notifications through SNS, read back from one SQS queue per audience subscribed with a
//! filter policy on `audience`, exactly as administrators' e-mail subscriptions filter (DESIGN §4).

mod common;

use common::{Emulator, MARKETPLACE_PRINCIPAL, OrgFixture, app, mutating, no_deadline, sample};
use marketplace_trusted_access::config::Config;
use marketplace_trusted_access::handler::HandlerError;
use marketplace_trusted_access::messages::{FACTS_HEADER, facts_of};
use marketplace_trusted_access::report::{Outcome, Report};
use serde_json::Value;
use std::collections::BTreeMap;

const AUDIENCES: [&str; 3] = ["organizations-admin", "marketplace-admin", "account-admin"];

/// A message as a subscriber receives it.
#[derive(Debug)]
struct Received {
    message_id: String,
    subject: String,
    body: String,
    attributes: BTreeMap<String, String>,
}

struct Subscribers {
    topic_arn: String,
    sqs: aws_sdk_sqs::Client,
    queues: BTreeMap<&'static str, String>,
}

impl Subscribers {
    /// One topic; one queue per audience, subscribed with `{"audience": [<audience>]}`.
    async fn new(emulator: &Emulator) -> Subscribers {
        let config = emulator.management_config();
        let sns = aws_sdk_sns::Client::new(&config);
        let sqs = aws_sdk_sqs::Client::new(&config);
        let topic_arn = sns
            .create_topic()
            .name("handoffs")
            .send()
            .await
            .unwrap()
            .topic_arn
            .unwrap();
        let mut queues = BTreeMap::new();
        for audience in AUDIENCES {
            let url = sqs
                .create_queue()
                .queue_name(audience)
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
    async fn drain(&self) -> BTreeMap<&'static str, Vec<Received>> {
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

async fn setup() -> (Emulator, OrgFixture, Subscribers, Config) {
    let emulator = Emulator::start().await;
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
        .handle(event, no_deadline())
        .await
        .unwrap()
}

/// (audience, event) of everything received, in audience order.
fn who_got_what(received: &BTreeMap<&'static str, Vec<Received>>) -> Vec<(String, String)> {
    received
        .iter()
        .flat_map(|(audience, msgs)| {
            msgs.iter()
                .map(move |m| (audience.to_string(), m.attributes["event"].clone()))
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
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
    let facts = facts_of(&m.body).expect("facts block");
    assert_eq!(facts.accounts.created, 5, "management + 4 active members");
    assert_eq!(facts.initiated_by.as_deref(), Some("person"));

    // The report names the message SNS delivered.
    assert_eq!(report.notifications.len(), 1);
    assert_eq!(
        report.notifications[0].message_id.as_deref(),
        Some(m.message_id.as_str())
    );
    assert_eq!(report.notifications[0].delivery, "published");
}

#[tokio::test]
async fn marketplace_enabling_tells_the_organizations_administrator_integration_is_complete() {
    let (emulator, _org, subscribers, config) = setup().await;
    handle(&emulator, &config, &sample("enable-by-marketplace.json")).await;
    let received = subscribers.drain().await;
    assert_eq!(
        who_got_what(&received),
        pairs(&[("organizations-admin", "trusted-access-enabled")])
    );
    let m = &received["organizations-admin"][0];
    assert_eq!(m.attributes["severity"], "info");
    assert!(m.subject.contains("complete"));
}

#[tokio::test]
async fn a_person_disabling_warns_both_administrators() {
    let (emulator, _org, subscribers, config) = setup().await;
    handle(&emulator, &config, &sample("enable-by-marketplace.json")).await;
    subscribers.drain().await;
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, false)
        .await;

    handle(&emulator, &config, &sample("disable-by-cli.json")).await;
    let received = subscribers.drain().await;
    assert_eq!(
        who_got_what(&received),
        pairs(&[
            ("marketplace-admin", "trusted-access-disabled"),
            ("organizations-admin", "trusted-access-disabled")
        ])
    );
    for msgs in received.values() {
        for m in msgs {
            assert_eq!(m.attributes["severity"], "warning");
            assert!(m.subject.starts_with("Warning"));
            assert!(
                m.body.contains("kept in every account") || m.body.contains("unchanged"),
                "{}",
                m.body
            );
        }
    }
    assert!(
        received["organizations-admin"][0]
            .body
            .contains("Wait until the AWS Marketplace administrator")
    );
    assert!(
        received["marketplace-admin"][0]
            .body
            .contains("Tell the AWS Organizations administrator")
    );
}

#[tokio::test]
async fn a_departure_names_the_account_to_the_organizations_and_account_administrators() {
    let (emulator, org, subscribers, config) = setup().await;
    let leaver = org.active[0].clone();
    let event = common::remove_account(&emulator, &leaver).await;

    handle(&emulator, &config, &event).await;
    let received = subscribers.drain().await;
    assert_eq!(
        who_got_what(&received),
        pairs(&[
            ("account-admin", "account-departed"),
            ("organizations-admin", "account-departed")
        ])
    );
    for msgs in received.values() {
        for m in msgs {
            assert!(m.subject.contains(&leaver), "{}", m.subject);
            assert!(
                m.body.contains(&leaver) && m.body.contains("may delete it"),
                "{}",
                m.body
            );
        }
    }
}

#[tokio::test]
async fn a_sweep_says_nothing_when_nothing_changed_and_one_summary_when_it_corrected_drift() {
    let (emulator, org, subscribers, config) = setup().await;
    handle(&emulator, &config, &sample("enable-by-marketplace.json")).await;
    subscribers.drain().await;

    // Nothing to do: nothing sent.
    let quiet = handle(&emulator, &config, &sample("scheduled.json")).await;
    assert!(quiet.notifications.is_empty());
    assert!(who_got_what(&subscribers.drain().await).is_empty());

    // Someone deleted the role in one account: the sweep puts it back and says so, once.
    let iam = aws_sdk_iam::Client::new(&emulator.account_config(&org.active[2]).await);
    let attached = iam
        .list_attached_role_policies()
        .role_name(common::MARKETPLACE_ROLE)
        .send()
        .await
        .unwrap();
    for policy in attached.attached_policies() {
        iam.detach_role_policy()
            .role_name(common::MARKETPLACE_ROLE)
            .policy_arn(policy.policy_arn().unwrap())
            .send()
            .await
            .unwrap();
    }
    iam.delete_role()
        .role_name(common::MARKETPLACE_ROLE)
        .send()
        .await
        .unwrap();
    let fixed = handle(&emulator, &config, &sample("scheduled.json")).await;
    assert_eq!(fixed.accounts.created, 1);
    let received = subscribers.drain().await;
    assert_eq!(
        who_got_what(&received),
        pairs(&[("organizations-admin", "drift-corrected")])
    );
    assert!(
        received["organizations-admin"][0]
            .body
            .contains("1 created")
    );
}

#[tokio::test]
async fn a_sweep_that_fails_in_an_account_says_which_and_why() {
    let (emulator, org, subscribers, config) = setup().await;
    emulator.delete_member_role(&org.active[1]).await;
    let report = handle(&emulator, &config, &sample("scheduled.json")).await;
    assert_eq!(report.outcome, Outcome::Failed);
    let received = subscribers.drain().await;
    assert_eq!(
        who_got_what(&received),
        pairs(&[("organizations-admin", "reconcile-failed")])
    );
    let body = &received["organizations-admin"][0].body;
    assert!(
        body.contains(&format!(
            "{} failed: AssumeRole: AccessDenied",
            org.active[1]
        )),
        "{body}"
    );
    assert!(body.contains(FACTS_HEADER));
}

#[tokio::test]
async fn a_notification_that_cannot_be_published_fails_the_invocation_after_logging_the_report() {
    let (emulator, org, subscribers, _) = setup().await;
    let missing = Config {
        topic_arn: Some("arn:aws:sns:us-east-1:123456789012:no-such-topic".into()),
        ..Config::default()
    };

    // WHEN publishing fails
    let err = app(&emulator, missing)
        .handle(&sample("enable-by-cli-iamuser.json"), no_deadline())
        .await
        .unwrap_err();

    // THEN the invocation fails (Lambda retries it, then the dead-letter queue keeps it) and the
    // report it carries, logged before, lists what was reconciled
    assert!(matches!(err, HandlerError::Notification { .. }), "{err}");
    let report = err.report();
    assert_eq!(report.outcome, Outcome::Failed);
    assert_eq!(report.accounts.created, 5);
    assert!(
        report
            .reason
            .as_deref()
            .unwrap()
            .contains("could not be published")
    );
    assert!(emulator.marketplace_role_exists(&org.active[0]).await);

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

#[tokio::test]
async fn a_disable_event_that_organizations_contradicts_sends_no_hand_off() {
    // GIVEN trusted access still enabled and every role in place
    let (emulator, _org, subscribers, config) = setup().await;
    handle(&emulator, &config, &sample("enable-by-marketplace.json")).await;
    subscribers.drain().await;

    // WHEN a (late, replayed or forged) disable event arrives
    let report = handle(&emulator, &config, &sample("disable-by-cli.json")).await;

    // THEN nobody is told to wait for a clean-up that is not happening
    assert_eq!(report.trusted_access.as_deref(), Some("enabled"));
    assert!(report.notifications.is_empty());
    assert!(who_got_what(&subscribers.drain().await).is_empty());
}

#[tokio::test]
async fn a_departed_account_that_cannot_be_reached_is_left_to_its_administrator() {
    // GIVEN ON_DEPARTURE=delete, and an account that left taking the member role with it
    let (emulator, org, subscribers, config) = setup().await;
    let leaver = org.active[0].clone();
    emulator.delete_member_role(&leaver).await;
    let event = common::remove_account(&emulator, &leaver).await;
    let config = Config {
        on_departure: marketplace_trusted_access::config::Removal::Delete,
        ..config
    };

    // WHEN the removal event arrives
    let report = handle(&emulator, &config, &event).await;

    // THEN the account is reported failed, and both administrators are told who must act and how
    assert_eq!(report.outcome, Outcome::Failed);
    let received = subscribers.drain().await;
    assert_eq!(
        who_got_what(&received),
        pairs(&[
            ("account-admin", "account-departed"),
            ("organizations-admin", "account-departed")
        ])
    );
    for m in received.values().flatten() {
        assert_eq!(m.attributes["severity"], "warning");
        assert!(
            m.body.contains("failed: AssumeRole: AccessDenied"),
            "{}",
            m.body
        );
        assert!(
            m.body.contains("aws iam delete-service-linked-role"),
            "{}",
            m.body
        );
    }
}

#[tokio::test]
async fn a_departed_account_whose_role_was_deleted_is_reported_as_such() {
    // GIVEN ON_DEPARTURE=delete and an account that left with its role and member role in place
    let (emulator, org, subscribers, config) = setup().await;
    handle(&emulator, &config, &sample("enable-by-marketplace.json")).await;
    subscribers.drain().await;
    let leaver = org.active[0].clone();
    let event = common::remove_account(&emulator, &leaver).await;
    let config = Config {
        on_departure: marketplace_trusted_access::config::Removal::Delete,
        ..config
    };

    // WHEN the removal event arrives
    let report = handle(&emulator, &config, &event).await;

    // THEN the role is gone and both administrators are told so
    assert_eq!(report.accounts.deleted, 1);
    let received = subscribers.drain().await;
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
