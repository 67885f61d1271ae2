//! End to end through the real Lambda runtime emulator: `cargo lambda watch` serves the Lambda runtime
//! API, the function binary built for these tests runs against it, pointed at the AWS emulator, and
//! every file in `events/` is sent with `cargo lambda invoke --data-file`.
//!
//! `cargo lambda watch --only-lambda-apis` is used instead of letting it `cargo run` the function,
//! because `cargo test` holds the build directory lock while tests run.

use crate::common::Emulator;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const PRINCIPAL: &str = crate::common::MARKETPLACE_PRINCIPAL;

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `cargo-lambda` from the project's venv (installed by `.ci/setup`), else from PATH.
pub fn cargo_lambda() -> PathBuf {
    let venv = root().join(".venv/bin/cargo-lambda");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("cargo-lambda")
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills the child when the test ends, passed or not.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_for_port(port: u16) {
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cargo lambda watch did not listen on {port}");
}

/// `cargo lambda invoke --data-file`, bounded in time; `log` is the function's output, shown on failure.
pub async fn invoke_raw(port: u16, file: &Path, log: &Path) -> std::process::Output {
    let run = tokio::process::Command::new(cargo_lambda())
        .args([
            "lambda",
            "invoke",
            "--invoke-address",
            "127.0.0.1",
            "--invoke-port",
        ])
        .arg(port.to_string())
        .arg("--data-file")
        .arg(file)
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{}: no answer in 120 s; function log:\n{}",
                file.display(),
                read(log)
            )
        })
        .expect("run cargo lambda invoke")
}

/// An invocation that must succeed; its JSON report.
pub async fn invoke(port: u16, file: &Path, log: &Path) -> Value {
    let out = invoke_raw(port, file, log).await;
    assert!(
        out.status.success(),
        "{}: {}{}\nfunction log:\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        read(log)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: not a JSON report ({e}): {}",
            file.display(),
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// `cargo lambda watch` serving the runtime API, and the function binary running against it and
/// the emulator, with `env` added to its environment. Both are killed when this is dropped.
/// The function binary under test: the one cargo built for the tests, or `MTA_TEST_FUNCTION_BIN`
/// (`make release-e2e` sets it to the release build).
pub fn function_binary() -> PathBuf {
    std::env::var_os("MTA_TEST_FUNCTION_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_marketplace-trusted-access")))
}

pub struct Function {
    pub port: u16,
    pub log: PathBuf,
    _watch: Killed,
    _function: Killed,
}

impl Function {
    pub async fn start(emulator: &Emulator, env: &[(&str, &str)]) -> Function {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("marketplace-trusted-access-e2e-{port}.log"));
        let log_file = std::fs::File::create(&log).unwrap();
        let watch = Killed(
            Command::new(cargo_lambda())
                .args([
                    "lambda",
                    "watch",
                    "--only-lambda-apis",
                    "--invoke-address",
                    "127.0.0.1",
                ])
                .args(["--invoke-port", &port.to_string()])
                .current_dir(root())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start cargo lambda watch (run .ci/setup to install cargo-lambda)"),
        );
        wait_for_port(port).await;
        let function = Killed(
            Command::new(function_binary())
                .env(
                    "AWS_LAMBDA_RUNTIME_API",
                    format!("http://127.0.0.1:{port}/.rt"),
                )
                .env("AWS_LAMBDA_FUNCTION_NAME", "_")
                .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
                .env("AWS_ENDPOINT_URL", emulator.endpoint())
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env("AWS_REGION", "us-east-1")
                .env_remove("NOTIFICATION_TOPIC_ARN")
                .envs(env.iter().copied())
                .stdout(Stdio::from(log_file.try_clone().unwrap()))
                .stderr(Stdio::from(log_file))
                .spawn()
                .expect("start the function binary"),
        );
        Function {
            port,
            log,
            _watch: watch,
            _function: function,
        }
    }

    /// The function with the topic and the state table (created here, `TABLE` of `as_aws_sends`),
    /// and `env` besides.
    pub async fn with_state(
        emulator: &Emulator,
        subscribers: &crate::sns::Subscribers,
        env: &[(&str, &str)],
    ) -> Function {
        let table = crate::as_aws_sends::TABLE;
        emulator.create_state_table(table).await;
        let mut all = vec![
            ("NOTIFICATION_TOPIC_ARN", subscribers.topic_arn.as_str()),
            ("STATE_TABLE_NAME", table),
        ];
        all.extend_from_slice(env);
        Function::start(emulator, &all).await
    }

    /// The metric lines (CloudWatch Embedded Metric Format) the function wrote, parsed.
    /// Any key order: the release build's `serde_json` sorts keys, the test build's (with
    /// `preserve_order`, which a dev-dependency turns on) keeps them as written.
    fn metric_lines(&self) -> Vec<Value> {
        read(&self.log)
            .lines()
            .filter(|line| line.starts_with('{'))
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| line.get("_aws").is_some())
            .collect()
    }

    /// The report lines the function logged, parsed.
    pub fn logged_reports(&self) -> Vec<Value> {
        read(&self.log)
            .lines()
            .filter_map(|line| line.find("{\"outcome\"").map(|at| &line[at..]))
            .map(|json| serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}")))
            .collect()
    }
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_sample_event_through_cargo_lambda() {
    let emulator = Emulator::start().await;
    let org = emulator.seed_organization(4, 1).await;
    emulator.set_trusted_access(PRINCIPAL, true).await;
    // Both topics, each with one queue per audience: every message on each.
    let text = crate::sns::Subscribers::new(&emulator).await;
    let chat = crate::sns::Subscribers::named(&emulator, "handoffs-chat").await;
    let function = Function::start(
        &emulator,
        &[
            ("NOTIFICATION_TOPIC_ARN", &text.topic_arn),
            ("CHAT_TOPIC_ARN", &chat.topic_arn),
        ],
    )
    .await;

    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 19, "events/ holds {} samples", files.len());
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy();
        let expected = if name.starts_with("ignored-") || name == "create-account-failed.json" {
            "ignored"
        } else if name.starts_with("guardian-") {
            "observed"
        } else {
            "reconciled"
        };
        let report = invoke(function.port, file, &function.log).await;
        assert_eq!(report["outcome"], expected, "{name}: {report}");
        if expected == "ignored" {
            assert!(
                report["reason"].as_str().is_some_and(|r| !r.is_empty()),
                "{name}: {report}"
            );
            assert_eq!(report["actions"], Value::Array(vec![]), "{name}");
        }
        if name == "command-dry-run.json" {
            assert_eq!(report["dryRun"], true);
        }
    }

    // Every message the samples gave went to the chat topic too: the same messages, each as a custom
    // notification with its subject as title and the attributes of its e-mail copy.
    let sent = |received: std::collections::BTreeMap<&str, Vec<crate::sns::Received>>, chat| {
        let mut all: Vec<_> = received
            .into_values()
            .flatten()
            .map(|m| {
                let title = match chat {
                    true => crate::chat::custom_notification(&m.body)["content"]["title"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    false => m.subject,
                };
                (m.attributes, title)
            })
            .collect();
        all.sort();
        all
    };
    let by_mail = sent(text.drain().await, false);
    assert!(
        by_mail.len() >= files.len() / 2,
        "{} messages",
        by_mail.len()
    );
    assert_eq!(by_mail, sent(chat.drain().await, true));

    // Every invocation logged its report as one JSON line, the same as it returned.
    let reports = function.logged_reports();
    assert_eq!(reports.len(), files.len());

    // …and wrote its metrics in Embedded Metric Format, with the report's figures.
    let metrics = function.metric_lines();
    assert_eq!(metrics.len(), files.len());
    for (report, m) in reports.iter().zip(&metrics) {
        let declared = &m["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Namespace"], "MarketplaceTrustedAccess");
        assert_eq!(m["FunctionName"], "_");
        assert_eq!(m["eventId"], report["eventId"]);
        for (metric, figure) in [
            ("AccountsChecked", &report["accounts"]["checked"]),
            ("AccountsCreated", &report["accounts"]["created"]),
            ("AccountsDeleted", &report["accounts"]["deleted"]),
            ("AccountsFailed", &report["accounts"]["failed"]),
        ] {
            assert_eq!(&m[metric], figure, "{metric}: {m} vs {report}");
        }
        let unreached = report["unreached"].as_array().map_or(0, Vec::len);
        assert_eq!(m["AccountsUnreached"], unreached);
        assert!(m["Duration"].is_u64());
    }

    // The enable sample ran against the emulator for real: every ACTIVE account has the role.
    for account in std::iter::once(&org.management).chain(&org.active) {
        assert!(emulator.marketplace_role_exists(account).await, "{account}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_notification_that_cannot_be_published_fails_the_invocation_after_the_report_is_logged() {
    let emulator = Emulator::start().await;
    let org = emulator.seed_organization(2, 0).await;
    emulator.set_trusted_access(PRINCIPAL, true).await;
    let missing = "arn:aws:sns:us-east-1:123456789012:no-such-topic";
    let function = Function::start(&emulator, &[("NOTIFICATION_TOPIC_ARN", missing)]).await;

    let out = invoke_raw(
        function.port,
        &root().join("events/enable-by-cli-iamuser.json"),
        &function.log,
    )
    .await;

    // The Lambda runtime reports the typed error, so Lambda retries the event and then dead-letters it…
    let answer = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{answer}");
    assert!(answer.contains("NotificationNotPublished"), "{answer}");
    // …and the report logged before it says what was reconciled.
    let reports = function.logged_reports();
    assert_eq!(reports.len(), 1, "{}", read(&function.log));
    assert_eq!(reports[0]["outcome"], "failed");
    assert_eq!(reports[0]["accounts"]["created"], 3);
    assert!(
        reports[0]["reason"]
            .as_str()
            .unwrap()
            .contains("could not be published")
    );
    assert!(emulator.marketplace_role_exists(&org.active[0]).await);
    // The runtime's error line carries the reason, not a dump of the report.
    let log = read(&function.log);
    assert!(!log.contains("Report {"), "{log}");
    let metrics = function.metric_lines();
    assert_eq!(metrics[0]["NotificationsFailed"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn under_the_json_log_format_the_report_is_a_log_event_whose_fields_are_queried_as_they_are()
{
    // GIVEN the function under Lambda's JSON log format (the template's `LogFormat: JSON`), with an
    // emulator of its own: its 2,200 look-ups run beside the tests of the shared one
    let emulator = Emulator::start().await;
    emulator.seed_organization(2, 0).await;
    emulator.set_trusted_access(PRINCIPAL, true).await;
    let function = Function::start(&emulator, &[("AWS_LAMBDA_LOG_FORMAT", "JSON")]).await;

    // WHEN it reconciles an enable, and then plans 2,200 named accounts: a report too long for
    // one log event
    let small = invoke(
        function.port,
        &root().join("events/enable-by-cli-iamuser.json"),
        &function.log,
    )
    .await;
    let ids: Vec<String> = (0..2_200u64)
        .map(|i| format!("{}", 900_000_000_000 + i))
        .collect();
    let command = serde_json::json!({"command": "reconcile", "dryRun": true, "accounts": ids});
    let file = crate::as_aws_sends::payload_file("many-accounts.json", &command.to_string());
    let large = invoke(function.port, &file, &function.log).await;

    // THEN every line the function wrote is a JSON object, each under what Lambda keeps whole…
    let log = read(&function.log);
    let events: Vec<Value> = log
        .lines()
        .map(|line| {
            assert!(line.len() < 256 * 1024, "{} bytes", line.len());
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: not JSON: {line}"))
        })
        .collect();
    let of_type =
        |kind: &str| -> Vec<&Value> { events.iter().filter(|e| e["type"] == kind).collect() };

    // …the report is one event whose fields are read as they are, with no second parse…
    let reports = of_type("report");
    assert_eq!(reports.len(), 1, "{log}");
    let report = reports[0];
    assert_eq!(report["level"], "INFO");
    assert_eq!(report["outcome"], "reconciled");
    assert_eq!(report["trigger"], "EnableAWSServiceAccess");
    assert_eq!(report["accounts"]["created"], 3);
    assert_eq!(report["accounts"], small["accounts"]);
    // …with the outcome, the trigger and the counts ahead of any list…
    let line = log
        .lines()
        .find(|l| l.contains("\"type\":\"report\""))
        .unwrap();
    let at = |key: &str| line.find(&format!("\"{key}\":")).unwrap();
    assert!(
        at("outcome") < at("trigger") && at("trigger") < at("accounts"),
        "{line}"
    );
    assert!(at("accounts") < at("actions") && at("accounts") < at("notifications"));

    // …and the large report is a summary and its chunks, each an event with fields of its own
    let summaries = of_type("report-summary");
    assert_eq!(summaries.len(), 1, "{log}");
    let summary = summaries[0];
    assert_eq!(summary["outcome"], large["outcome"]);
    assert_eq!(summary["dryRun"], true);
    assert_eq!(summary["accounts"], large["accounts"]);
    let chunks = of_type("report-chunk");
    assert!(chunks.len() >= 2, "{} chunks", chunks.len());
    assert_eq!(summary["actionChunks"], chunks.len());
    let logged: usize = chunks
        .iter()
        .map(|c| c["actions"].as_array().unwrap().len())
        .sum();
    assert_eq!(logged, 2_200);
    assert_eq!(large["actions"].as_array().unwrap().len(), 2_200);
}
