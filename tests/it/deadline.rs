//! The function answers before its deadline whatever its effects need (docs/design.md, "One plan,
//! then its effects"): the function binary (the release build under `make release-e2e`) runs a
//! scheduled sweep against the emulator, with the chat topic, the state table, five services that
//! differ from `EXPECTED_SERVICES`, three member accounts whose `AssumeRole` hangs, and SNS answering
//! each publish after 4 s, under a 60 s deadline.
//!
//! The deadline is Lambda's own: this file serves the Lambda runtime API the binary polls, and
//! hands it the event with `Lambda-Runtime-Deadline-Ms` 60 s ahead, as Lambda does. A proxy in
//! front of the emulator's STS and SNS (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL_SNS`) makes them
//! slow or hung.

use crate::cargo_lambda::function_binary;
use crate::common::proxy::{CountingProxy, find, next_request};
use crate::common::{Emulator, MARKETPLACE_PRINCIPAL, sample};
use crate::sns::Subscribers;
use serde_json::Value;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const DEADLINE: Duration = Duration::from_secs(60);
const SLOW_PUBLISH: Duration = Duration::from_secs(4);
const HUNG: Duration = Duration::from_secs(3600);
const DIFFERING: [&str; 5] = [
    "config.amazonaws.com",
    "guardduty.amazonaws.com",
    "sso.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "ram.amazonaws.com",
];

/// What the function answered through the runtime API: the path it posted to (`…/response` or
/// `…/error`), its body, and when.
struct Answer {
    path: String,
    body: Vec<u8>,
    at: Instant,
}

/// Serves the Lambda runtime API for one invocation of `event`, due `deadline_ms` (milliseconds
/// since the Unix epoch); every later poll for an event waits forever, as Lambda's does between
/// invocations.
async fn runtime_api(event: Value, deadline_ms: u128) -> (String, mpsc::Receiver<Answer>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let (answers, received) = mpsc::channel(4);
    let event = Arc::new(event.to_string());
    tokio::spawn(async move {
        let handed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        while let Ok((client, _)) = listener.accept().await {
            let (answers, event, handed) = (answers.clone(), event.clone(), handed.clone());
            tokio::spawn(async move {
                serve(client, &event, deadline_ms, &handed, &answers).await;
            });
        }
    });
    (address, received)
}

async fn serve(
    mut client: TcpStream,
    event: &str,
    deadline_ms: u128,
    handed: &std::sync::atomic::AtomicBool,
    answers: &mpsc::Sender<Answer>,
) {
    let mut pending = Vec::new();
    while let Ok(Some(request)) = next_request(&mut client, &mut pending).await {
        let head_end = find(&request, b"\r\n\r\n").expect("a request head");
        let head = String::from_utf8_lossy(&request[..head_end]).to_string();
        let line = head.lines().next().unwrap_or_default().to_string();
        let path = line.split(' ').nth(1).unwrap_or_default().to_string();
        let reply = if path.ends_with("/runtime/invocation/next") {
            if handed.swap(true, std::sync::atomic::Ordering::SeqCst) {
                // One invocation only: the next poll waits, as between Lambda invocations.
                tokio::time::sleep(HUNG).await;
            }
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                 Lambda-Runtime-Aws-Request-Id: deadline-test-1\r\n\
                 Lambda-Runtime-Deadline-Ms: {deadline_ms}\r\n\
                 Lambda-Runtime-Invoked-Function-Arn: \
                 arn:aws:lambda:us-east-1:123456789012:function:mta\r\n\
                 Content-Length: {}\r\n\r\n{event}",
                event.len()
            )
        } else {
            let body = request[head_end + 4..].to_vec();
            let answer = Answer {
                path: path.clone(),
                body,
                at: Instant::now(),
            };
            let _ = answers.send(answer).await;
            "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}".to_string()
        };
        if client.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn epoch_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_millis()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_with_slow_sns_hung_accounts_and_drift_answers_before_a_60_second_deadline() {
    // GIVEN an organization of six members, three of whose AssumeRole hangs; AWS Marketplace's
    // trusted access on, and five services on that EXPECTED_SERVICES does not name; SNS answering
    // each publish after 4 s; both topics and the state table
    let emulator = Emulator::start().await;
    let org = emulator.seed_organization(6, 0).await;
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
        .await;
    for principal in DIFFERING {
        emulator.set_trusted_access(principal, true).await;
    }
    let hung: Vec<String> = org.active[..3].to_vec();
    let held = hung.clone();
    let delay = Arc::new(move |request: &[u8]| {
        let text = String::from_utf8_lossy(request);
        if text.contains("Action=AssumeRole") && held.iter().any(|a| text.contains(a.as_str())) {
            HUNG
        } else if text.contains("Action=Publish") {
            SLOW_PUBLISH
        } else {
            Duration::ZERO
        }
    });
    let proxy = CountingProxy::delaying(emulator.endpoint(), delay).await;
    let text = Subscribers::new(&emulator).await;
    let chat = Subscribers::named(&emulator, "handoffs-chat").await;
    let table = "deadline-state";
    emulator.create_state_table(table).await;

    // WHEN the scheduled sweep arrives with 60 s to its deadline
    let started = Instant::now();
    let (api, mut answers) = runtime_api(sample("scheduled.json"), epoch_ms() + 60_000).await;
    let log = std::env::temp_dir().join(format!("mta-deadline-{}.log", std::process::id()));
    let log_file = std::fs::File::create(&log).expect("log file");
    let _function = tokio::process::Command::new(function_binary())
        .env("AWS_LAMBDA_RUNTIME_API", &api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "mta")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_ENDPOINT_URL", emulator.endpoint())
        .env("AWS_ENDPOINT_URL_STS", proxy.endpoint())
        .env("AWS_ENDPOINT_URL_SNS", proxy.endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("NOTIFICATION_TOPIC_ARN", &text.topic_arn)
        .env("CHAT_TOPIC_ARN", &chat.topic_arn)
        .env("STATE_TABLE_NAME", table)
        .env("EXPECTED_SERVICES", MARKETPLACE_PRINCIPAL)
        .stdout(Stdio::from(log_file.try_clone().expect("log")))
        .stderr(Stdio::from(log_file))
        .kill_on_drop(true)
        .spawn()
        .expect("start the function binary");
    let answer = tokio::time::timeout(DEADLINE + Duration::from_secs(30), answers.recv())
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("no answer 90 s after the event; the function's log:\n{log}")
        });

    // THEN it answers before the deadline, with the report: the three hung accounts unreached,
    // the others reconciled, the five differences found, and every copy of every hand-off (a
    // failure summary and five drift warnings, on both topics) published, 4 s each
    let took = answer.at - started;
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(took < DEADLINE, "answered after {took:?}; log:\n{log}");
    assert!(
        answer.path.ends_with("/response"),
        "{}: {}",
        answer.path,
        String::from_utf8_lossy(&answer.body)
    );
    let report: Value = serde_json::from_slice(&answer.body).expect("a JSON report");
    assert_eq!(report["outcome"], "incomplete", "{report}");
    let mut unreached: Vec<String> = serde_json::from_value(report["unreached"].clone()).unwrap();
    unreached.sort();
    let mut expected_unreached = hung.clone();
    expected_unreached.sort();
    assert_eq!(unreached, expected_unreached);
    let differing = report["services"]["differing"].as_object().expect("drift");
    assert_eq!(differing.len(), DIFFERING.len(), "{report}");
    let notifications = report["notifications"].as_array().expect("notifications");
    assert_eq!(notifications.len(), (1 + DIFFERING.len()) * 2, "{report}");
    assert!(
        notifications.iter().all(|n| n["delivery"] == "published"),
        "{report}"
    );
    assert!(proxy.requests() >= notifications.len());
    let received = text.drain().await;
    let drift_warnings = received
        .values()
        .flatten()
        .filter(|m| m.attributes.get("event").map(String::as_str) == Some("trusted-access-drift"))
        .count();
    assert_eq!(drift_warnings, DIFFERING.len());
}
