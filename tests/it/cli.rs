//! `mta`, the operator's command line, run as a person runs it: the built binary
//! (`CARGO_BIN_EXE_mta`) in a clean environment, against the shared emulator with static credentials,
//! through a pipe or a pseudo-terminal.
//!
//! - offline: `explain` on every file of `events/` and on malformed files; usage errors; missing
//!   credentials; `apply` refusing to go on without a terminal or `--yes`; a bad `services
//!   --expected` or `EXPECTED_SERVICES`;
//! - emulator: `status` (table and JSON) against what the emulator holds; `services` listing the
//!   enabled services with their names and delegated administrators, and the drift from
//!   `--expected`; `plan` making no mutating call and giving the function's own dry-run report;
//!   `apply --yes` converging, then `status` exiting 0; the removal flags; a permission taken away;
//!   Ctrl-C in the middle of `apply`;
//! - terminal: the progress bar drawn then cleared on a pseudo-terminal, absent when piped or
//!   `--quiet`; `apply`'s question on a terminal.

use crate::common::*;
use marketplace_trusted_access::intake::{self, Kind, Trigger};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::process::Command;

/// The `mta` binary under test: the one cargo built for the tests, or `MTA_TEST_CLI_BIN`
/// (`make release-e2e` sets it to the release build).
pub(crate) fn mta_binary() -> String {
    std::env::var("MTA_TEST_CLI_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_mta").to_string())
}

/// What one run of `mta` left.
#[derive(Debug)]
pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }
}

/// `mta` with nothing of this machine's AWS set-up: no profile files, no instance metadata, and the
/// emulator's static credentials unless `credentials` is false.
pub(crate) fn mta_command(endpoint: &str, credentials: bool) -> Command {
    let mut c = Command::new(mta_binary());
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent-mta-test-home")
        .env("AWS_CONFIG_FILE", "/nonexistent-mta-test-home/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent-mta-test-home/credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", REGION)
        .env("AWS_ENDPOINT_URL", endpoint)
        .kill_on_drop(true);
    if credentials {
        c.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
    }
    c
}

/// Runs `command` to its end with no standard input; it must never panic.
pub(crate) async fn finish(mut command: Command) -> Run {
    let out = command
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", mta_binary()));
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("stack backtrace"),
        "{run:?}"
    );
    run
}

pub(crate) async fn mta(endpoint: &str, args: &[&str]) -> Run {
    let mut c = mta_command(endpoint, true);
    c.args(args);
    finish(c).await
}

/// An endpoint where nothing may be called: a listener that counts the connections it gets.
pub(crate) async fn no_aws() -> (String, TcpListener) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    (endpoint, listener)
}

pub(crate) async fn nobody_called(listener: &TcpListener) -> bool {
    tokio::time::timeout(Duration::from_millis(200), listener.accept())
        .await
        .is_err()
}

pub(crate) fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("events")
}

pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mta-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

// ---------------------------------------------------------------------------------------------
// Offline

#[tokio::test]
async fn explain_reads_every_sample_as_the_function_does() {
    let (endpoint, listener) = no_aws().await;
    let mut files: Vec<PathBuf> = std::fs::read_dir(events_dir())
        .expect("events/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 19, "events/ has {} samples", files.len());
    for file in &files {
        let path = file.to_str().expect("utf-8 path");
        let payload: Value = serde_json::from_slice(&std::fs::read(file).expect("sample"))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let intake = intake::parse(&payload);
        let explained = mta(&endpoint, &["explain", "--json", path]).await;
        let e = explained.json();
        assert_eq!(e["trigger"], intake.name.as_str(), "{path}");
        match &intake.kind {
            Kind::Ignore(reason) => {
                assert_eq!(explained.code, 1, "{path}: {explained:?}");
                assert_eq!(e["handled"], false, "{path}");
                assert_eq!(e["reason"], reason.as_str(), "{path}");
                assert_eq!(e["looksAt"], json!({"kind": "nothing"}), "{path}");
            }
            Kind::Handle(trigger) => {
                assert_eq!(explained.code, 0, "{path}: {explained:?}");
                assert_eq!(e["handled"], true, "{path}");
                let looks = match trigger {
                    // Observed services: no account is looked at.
                    trigger if trigger.observed().is_some() => {
                        json!({"kind": "listed", "accounts": []})
                    }
                    Trigger::DelegatedAdmin { .. } | Trigger::DelegationPolicy { .. } => {
                        unreachable!("observed")
                    }
                    Trigger::TrustedAccess { .. }
                    | Trigger::Sweep
                    | Trigger::Command { accounts: None, .. } => json!({"kind": "organization"}),
                    Trigger::Command {
                        accounts: Some(ids),
                        ..
                    } => json!({"kind": "listed", "accounts": ids}),
                    Trigger::AccountDeparted { account_id, .. } => {
                        json!({"kind": "account", "account": account_id, "departed": true})
                    }
                    Trigger::AccountJoined { account_id, .. }
                    | Trigger::MemberRoleDeployed {
                        account_id: Some(account_id),
                        ..
                    } => {
                        json!({"kind": "account", "account": account_id, "departed": false})
                    }
                    Trigger::MemberRoleDeployed {
                        account_id: None, ..
                    } => json!({"kind": "listed", "accounts": []}),
                    Trigger::Continuation(request) => {
                        json!({"kind": "listed", "accounts": request.accounts})
                    }
                };
                assert_eq!(e["looksAt"], looks, "{path}");
                let dry_run = matches!(trigger, Trigger::Command { dry_run: true, .. });
                assert_eq!(e["dryRun"], dry_run, "{path}");
                // Who made a change, as the messages and the ledger judge it.
                let what = e["what"].as_str().unwrap_or_default();
                if path.ends_with("guardian-disable-sso-by-controltower.json") {
                    assert!(
                        what.contains("by AWS Control Tower (controltower.amazonaws.com) for whoever used it, not by AWS IAM Identity Center itself"),
                        "{path}: {what}"
                    );
                }
                if path.ends_with("enable-by-marketplace.json") {
                    assert!(what.contains("by AWS Marketplace itself"), "{path}: {what}");
                }
                if path.ends_with("guardian-disable-sso-by-cli.json") {
                    assert!(what.contains("with Organizations tools"), "{path}: {what}");
                }
            }
        }
        // The same, for a person.
        let text = mta(&endpoint, &["explain", path]).await;
        assert_eq!(text.code, explained.code, "{path}");
        // Both, word for word as they were accepted (tests/it/snapshots/): a change of wording
        // shows as a diff to review, never silently.
        let stem = file.file_stem().and_then(|s| s.to_str()).expect("a name");
        insta::assert_snapshot!(
            format!("explain-{stem}"),
            format!(
                "{}\n---- explain --json ----\n{}",
                text.stdout, explained.stdout
            )
        );
        assert!(
            text.stdout
                .starts_with(&format!("Trigger:   {}\n", intake.name)),
            "{path}: {}",
            text.stdout
        );
        match &intake.kind {
            Kind::Ignore(reason) => {
                assert!(
                    text.stdout.contains(&format!("Ignored:   {reason}")),
                    "{}",
                    text.stdout
                )
            }
            Kind::Handle(_) => assert!(text.stdout.contains("Handled:   "), "{}", text.stdout),
        }
    }
    // Where the event was recorded is known to be wrong only with the management account.
    let other = events_dir().join("ignored-other-account.json");
    let other = other.to_str().expect("utf-8 path");
    let unsure = mta(&endpoint, &["explain", other]).await;
    assert_eq!(unsure.code, 0, "{unsure:?}");
    assert!(
        unsure.stdout.contains("that 999988887777, where the event was recorded, is the organization's management account"),
        "{}",
        unsure.stdout
    );
    let sure = mta(
        &endpoint,
        &["explain", other, "--management-account", MANAGEMENT_ACCOUNT],
    )
    .await;
    assert_eq!(sure.code, 1, "{sure:?}");
    assert!(
        sure.stdout.contains(
            "Ignored:   the event was recorded in account 999988887777, not in the management account 123456789012"
        ),
        "{}",
        sure.stdout
    );
    assert!(nobody_called(&listener).await, "explain called AWS");
}

#[tokio::test]
async fn explain_refuses_malformed_files_with_exit_2() {
    let (endpoint, listener) = no_aws().await;
    let dir = scratch("malformed");
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write");
        path.to_str().expect("utf-8").to_string()
    };
    let truncated = write("truncated.json", br#"{"detail-type": "Scheduled Event", "#);
    let empty = write("empty.json", b"");
    let binary = write("binary.json", &[0xff, 0xfe, 0x00, 0x7b]);
    let trailing = write("trailing.json", br#"{"command": "reconcile"} x"#);
    let missing = dir
        .join("missing.json")
        .to_str()
        .expect("utf-8")
        .to_string();
    let directory = dir.to_str().expect("utf-8").to_string();
    for (file, says) in [
        (&missing, "cannot read"),
        (&directory, "cannot read"),
        (&truncated, "is not valid JSON: EOF while parsing"),
        (&empty, "is not valid JSON"),
        (&binary, "is not valid JSON"),
        (
            &trailing,
            "is not valid JSON: trailing characters at line 1",
        ),
    ] {
        let run = mta(&endpoint, &["explain", file]).await;
        assert_eq!(run.code, 2, "{file}: {run:?}");
        assert!(
            run.stderr.starts_with("mta: ")
                && run.stderr.contains(file)
                && run.stderr.contains(says),
            "{file}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{file}: {}", run.stdout);
    }
    // Valid JSON that is not an event: the function ignores it, and says why.
    let list = write("list.json", b"[1, 2]");
    let run = mta(&endpoint, &["explain", &list]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("neither an EventBridge event nor a command"),
        "{}",
        run.stdout
    );
    let odd = write("odd.json", br#"{"detail-type": 5, "source": "aws.events"}"#);
    let run = mta(&endpoint, &["explain", &odd]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("not a valid EventBridge event"),
        "{}",
        run.stdout
    );
    // `-` reads standard input.
    let mut c = mta_command(&endpoint, true);
    c.args(["explain", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn");
    let sample = std::fs::read(events_dir().join("scheduled.json")).expect("sample");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(&sample).await.expect("write");
    drop(stdin);
    let out = child.wait_with_output().await.expect("wait");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Trigger:   schedule\n"));
    std::fs::remove_dir_all(&dir).ok();
    assert!(nobody_called(&listener).await, "explain called AWS");
}

#[tokio::test]
async fn usage_errors_exit_2_naming_what_is_wrong_before_any_call() {
    let (endpoint, listener) = no_aws().await;
    for (args, says) in [
        (&["status", "--nope"][..], "unexpected argument '--nope'"),
        (
            &["plan", "--account", "12345"],
            "expected a 12-digit AWS account id",
        ),
        (&["apply", "--account", "12345678901x"], "12-digit"),
        (
            &["status", "--concurrency", "0"],
            "a whole number from 1 to 256",
        ),
        (
            &["status", "--concurrency", "300"],
            "a whole number from 1 to 256",
        ),
        (
            &["plan", "--member-role-name", "bad/name"],
            "an IAM role name",
        ),
        (&["apply", "--on-disable", "delet"], "`retain` or `delete`"),
        (
            &["apply", "--on-departure", "always"],
            "`retain` or `delete`",
        ),
        (&[], "Usage: mta <COMMAND>"),
        (&["frobnicate"], "unrecognized subcommand 'frobnicate'"),
        (&["explain"], "EVENT.json"),
        (
            &[
                "plan",
                "--account",
                "111111111111",
                "--departed",
                "111111111111",
            ],
            "account 111111111111 is given both with --account and with --departed",
        ),
        (&["handoffs"], "no state table: pass --state-table NAME"),
        (
            &["handoffs", "--state-table", "t", "done", "ho-12"],
            "is not a hand-off id",
        ),
        (
            &[
                "handoffs",
                "--state-table",
                "t",
                "request-disable",
                "--service",
                "Not a principal",
            ],
            "is not a service principal",
        ),
    ] {
        let run = mta(&endpoint, args).await;
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    }
    // Each command's help shows its own exit codes, and only the flags it uses.
    for (command, unused) in [
        ("status", &[][..]),
        ("services", &["--member-role-name", "--concurrency"][..]),
        ("plan", &[][..]),
        ("apply", &[][..]),
        (
            "explain",
            &["--profile", "--member-role-name", "--quiet"][..],
        ),
        (
            "handoffs",
            &["--member-role-name", "--concurrency", "--quiet"][..],
        ),
    ] {
        let run = mta(&endpoint, &[command, "--help"]).await;
        assert_eq!(run.code, 0, "{command}: {run:?}");
        assert!(
            run.stdout.contains(&format!("Usage: mta {command}"))
                && run.stdout.contains("Exit codes: 0 ")
                && !run.stdout.contains("130  interrupted"),
            "{command}: {}",
            run.stdout
        );
        for flag in unused {
            assert!(!run.stdout.contains(flag), "{command} offers {flag}");
        }
    }
    // The top-level help speaks for the whole tool, and gives the exit codes once.
    let help = mta(&endpoint, &["--help"]).await;
    assert!(
        help.stdout
            .starts_with("Keeps trusted access in an AWS organization honest"),
        "{}",
        help.stdout
    );
    assert_eq!(
        help.stdout.matches("Exit codes").count(),
        1,
        "{}",
        help.stdout
    );
    assert!(help.stdout.contains("130  interrupted"), "{}", help.stdout);
    for command in ["status", "services", "plan", "apply", "explain", "handoffs"] {
        assert!(help.stdout.contains(command), "{}", help.stdout);
    }
    let plan_help = mta(&endpoint, &["plan", "--help"]).await.stdout;
    for flag in [
        "--profile",
        "--region",
        "--member-role-name",
        "[default: OrganizationAccountAccessRole]",
        "--concurrency",
        "[default: 16]",
        "--on-disable",
        "--on-departure",
        "[default: retain]",
        "--json",
        "--quiet",
    ] {
        assert!(plan_help.contains(flag), "{flag}: {plan_help}");
    }
    assert!(nobody_called(&listener).await, "a usage error called AWS");
}

#[tokio::test]
async fn apply_without_a_terminal_or_yes_refuses_before_any_call() {
    let (endpoint, listener) = no_aws().await;
    let run = mta(&endpoint, &["apply"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("standard input is not a terminal")
            && run.stderr.contains("pass --yes"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    assert!(nobody_called(&listener).await, "apply called AWS");
}

#[tokio::test]
async fn a_bad_expectation_of_services_exits_2_before_any_call() {
    let (endpoint, listener) = no_aws().await;
    for list in [
        "sso.amazonaws.com,not a principal",
        "",
        "sso.amazonaws.com,,guardduty.amazonaws.com",
        "https://sso.amazonaws.com",
    ] {
        let run = mta(&endpoint, &["services", "--json", "--expected", list]).await;
        assert_eq!(run.code, 2, "{list:?}: {run:?}");
        assert!(
            run.stderr.contains("--expected")
                && run
                    .stderr
                    .contains("service principals separated by commas"),
            "{list:?}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{list:?}: {}", run.stdout);
    }
    // The variable is read as the function reads it, and refused the same way.
    let mut c = mta_command(&endpoint, true);
    c.env(
        "EXPECTED_SERVICES",
        "sso.amazonaws.com;guardduty.amazonaws.com",
    )
    .args(["services"]);
    let run = finish(c).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.starts_with(
            "mta: invalid EXPECTED_SERVICES=\"sso.amazonaws.com;guardduty.amazonaws.com\": expected service principals separated by commas"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        nobody_called(&listener).await,
        "a bad expectation called AWS"
    );
}

#[tokio::test]
async fn missing_credentials_exit_3_saying_how_to_sign_in() {
    let (endpoint, listener) = no_aws().await;
    let mut c = mta_command(&endpoint, false);
    c.args(["status"]);
    let run = finish(c).await;
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr
            .starts_with("mta: no AWS credentials from the standard chain")
            && run.stderr.contains("aws sso login"),
        "{}",
        run.stderr
    );
    let mut c = mta_command(&endpoint, false);
    c.args(["plan", "--profile", "nosuch"]);
    let run = finish(c).await;
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr
            .starts_with("mta: no AWS credentials from profile \"nosuch\""),
        "{}",
        run.stderr
    );
    assert!(
        nobody_called(&listener).await,
        "called AWS without credentials"
    );
}
