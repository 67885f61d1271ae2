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
use marketplace_trusted_access::decision::Action;
use marketplace_trusted_access::intake::{self, Kind, Trigger};
use marketplace_trusted_access::outcome::ActionResult;
use marketplace_trusted_access::report::{Report, ReportOutcome};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;

/// The `mta` binary under test: the one cargo built for the tests, or `MTA_TEST_CLI_BIN`
/// (`make release-e2e` sets it to the release build).
fn mta_binary() -> String {
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

async fn mta(endpoint: &str, args: &[&str]) -> Run {
    let mut c = mta_command(endpoint, true);
    c.args(args);
    finish(c).await
}

/// An endpoint where nothing may be called: a listener that counts the connections it gets.
async fn no_aws() -> (String, TcpListener) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    (endpoint, listener)
}

async fn nobody_called(listener: &TcpListener) -> bool {
    tokio::time::timeout(Duration::from_millis(200), listener.accept())
        .await
        .is_err()
}

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("events")
}

fn scratch(name: &str) -> PathBuf {
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
                    Trigger::ServiceAccess { .. } | Trigger::DelegatedAdmin { .. } => {
                        json!({"kind": "listed", "accounts": []})
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

// ---------------------------------------------------------------------------------------------
// Against the emulator

/// GIVEN trusted access enabled and an organization of `members` members, the last `suspended` of
/// them suspended.
async fn organization(members: usize, suspended: usize) -> (Shared, OrgFixture) {
    let emulator = shared().await;
    let org = emulator.seed_organization(members, suspended).await;
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
        .await;
    (emulator, org)
}

async fn create_marketplace_role(emulator: &Emulator, account: &str) {
    aws_sdk_iam::Client::new(&emulator.account_config(account).await)
        .create_service_linked_role()
        .aws_service_name(MARKETPLACE_PRINCIPAL)
        .send()
        .await
        .or_fail("CreateServiceLinkedRole");
}

fn all_accounts(org: &OrgFixture) -> Vec<String> {
    std::iter::once(&org.management)
        .chain(&org.active)
        .chain(&org.suspended)
        .cloned()
        .collect()
}

/// The row of `account` in a table, as its cells.
fn table_row<'t>(table: &'t str, account: &str) -> Vec<&'t str> {
    let line = table
        .lines()
        .find(|l| l.starts_with(account))
        .unwrap_or_else(|| panic!("no row for {account} in\n{table}"));
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

#[tokio::test]
async fn status_table_and_json_agree_with_the_emulator() {
    // GIVEN 3 ACTIVE members and 1 suspended; the role in the management account and in the first
    // member; the second member without it; the third member's role for the management account gone.
    let (emulator, org) = organization(4, 1).await;
    create_marketplace_role(&emulator, &org.management).await;
    create_marketplace_role(&emulator, &org.active[0]).await;
    emulator.delete_member_role(&org.active[2]).await;
    emulator.start_recording().await;

    // WHEN the operator asks, for a machine and for a person
    let json = mta(emulator.endpoint(), &["status", "--json"]).await;
    let table = mta(emulator.endpoint(), &["status"]).await;

    // THEN both say that the organization is out of place, and how, as the emulator holds it
    assert_eq!(json.code, 1, "{json:?}");
    assert_eq!(table.code, 1, "{table:?}");
    let view = json.json();
    assert_eq!(view["trustedAccess"], "enabled");
    assert_eq!(view["managementAccountId"], org.management.as_str());
    assert_eq!(view["organizationId"], org.org_id.as_str());
    assert_eq!(view["memberRoleName"], MEMBER_ROLE);
    assert_eq!(view["inPlace"], false);
    let rows = view["accounts"].as_array().expect("accounts");
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r["accountId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, all_accounts(&org));
    let expected = [
        (
            &org.management,
            "ACTIVE",
            "own-credentials",
            "present",
            "in-place",
        ),
        (&org.active[0], "ACTIVE", "assumed", "present", "in-place"),
        (&org.active[1], "ACTIVE", "assumed", "absent", "missing"),
        (
            &org.active[2],
            "ACTIVE",
            "not-assumable",
            "unknown",
            "failed",
        ),
        (
            &org.suspended[0],
            "SUSPENDED",
            "not-tried",
            "unknown",
            "not-entered",
        ),
    ];
    for (row, (id, state, member_role, role, verdict)) in rows.iter().zip(expected) {
        assert_eq!(row["accountId"], id.as_str());
        assert_eq!(row["state"], state, "{row}");
        assert_eq!(row["memberRole"], member_role, "{row}");
        assert_eq!(row["role"], role, "{row}");
        assert_eq!(row["verdict"], verdict, "{row}");
        if role != "unknown" {
            assert_eq!(
                role == "present",
                emulator.marketplace_role_exists(id).await,
                "{id}"
            );
        }
    }
    let error = rows[3]["error"].as_str().expect("the failure is said");
    assert!(error.starts_with("AssumeRole: "), "{error}");

    let t = &table.stdout;
    assert!(
        t.contains(&format!(
            "Organization {} (management account {})",
            org.org_id, org.management
        )),
        "{t}"
    );
    assert!(
        t.contains("Trusted access for license-management.marketplace.amazonaws.com: enabled"),
        "{t}"
    );
    assert_eq!(
        table_row(t, &org.management),
        [
            org.management.as_str(),
            "master",
            "ACTIVE",
            "own credentials",
            "present",
            "in place"
        ]
    );
    assert_eq!(
        table_row(t, &org.active[0])[2..],
        ["ACTIVE", "assumed", "present", "in place"]
    );
    assert_eq!(
        table_row(t, &org.active[1])[2..],
        ["ACTIVE", "assumed", "absent", "MISSING"]
    );
    assert_eq!(
        table_row(t, &org.active[2])[2..],
        ["ACTIVE", "NOT ASSUMABLE", "-", "NOT CHECKED"]
    );
    assert_eq!(
        table_row(t, &org.suspended[0])[2..],
        ["SUSPENDED", "-", "-", "not entered"]
    );
    assert!(
        t.contains(&format!("{}: AssumeRole: ", org.active[2])),
        "{t}"
    );
    assert!(
        t.contains("5 accounts: 2 in place, 1 missing the role, 1 not checked (failed), 1 not entered (inactive). Out of place"),
        "{t}"
    );
    // Read-only.
    assert_eq!(
        mutating(&emulator.recorded_actions().await),
        Vec::<String>::new()
    );

    // AND a named profile is honoured: the same answer with the credentials in a profile only.
    let dir = scratch("profile");
    std::fs::write(
        dir.join("config"),
        "[profile ops]\nregion = us-east-1\naws_access_key_id = testing\naws_secret_access_key = testing\n",
    )
    .expect("config");
    let mut c = mta_command(emulator.endpoint(), false);
    c.env("AWS_CONFIG_FILE", dir.join("config"))
        .args(["status", "--json", "--profile", "ops"]);
    let by_profile = finish(c).await;
    assert_eq!(by_profile.code, 1, "{by_profile:?}");
    assert_eq!(by_profile.json()["accounts"], view["accounts"]);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn plan_changes_nothing_and_apply_converges_then_status_exits_0() {
    let (emulator, org) = organization(4, 1).await;
    let entered: Vec<String> = std::iter::once(org.management.clone())
        .chain(org.active.iter().cloned())
        .collect();

    // WHEN the operator plans
    emulator.start_recording().await;
    let plan = mta(emulator.endpoint(), &["plan", "--json"]).await;
    let planned_text = mta(emulator.endpoint(), &["plan"]).await;

    // THEN nothing changed, and the plan is the function's own dry run
    assert_eq!(
        mutating(&emulator.recorded_actions().await),
        Vec::<String>::new()
    );
    assert_eq!(plan.code, 1, "{plan:?}");
    let report: Report = serde_json::from_str(&plan.stdout).expect("a report");
    let function = app(&emulator, Default::default())
        .handle(
            &json!({"command": "reconcile", "dryRun": true}),
            &no_deadline(),
        )
        .await;
    assert_eq!(report.actions, function.actions);
    assert_eq!(report.accounts, function.accounts);
    assert_eq!((report.trigger.as_str(), report.dry_run), ("command", true));
    assert_eq!(report.outcome, function.outcome);
    assert_eq!(report.accounts.planned, entered.len());
    for id in &entered {
        assert_eq!(
            table_row(&planned_text.stdout, id)[1..3],
            ["create", "planned"]
        );
    }
    assert_eq!(
        table_row(&planned_text.stdout, &org.suspended[0])[1],
        "skip"
    );
    assert!(
        planned_text.stdout.contains("4 change(s) planned"),
        "{}",
        planned_text.stdout
    );
    let one = mta(
        emulator.endpoint(),
        &["plan", "--json", "--account", &org.active[1]],
    )
    .await;
    let one: Report = serde_json::from_str(&one.stdout).expect("a report");
    assert_eq!(one.actions.len(), 1);
    assert_eq!(one.actions[0].account_id, org.active[1]);
    assert_eq!(
        mutating(&emulator.recorded_actions().await),
        Vec::<String>::new()
    );

    // WHEN the operator applies without being asked
    let applied = mta(emulator.endpoint(), &["apply", "--yes", "--json"]).await;

    // THEN every entered account has its role, and status is content
    assert_eq!(applied.code, 0, "{applied:?}");
    let report: Report = serde_json::from_str(&applied.stdout).expect("a report");
    assert!(!report.dry_run);
    assert_eq!(report.accounts.created, entered.len());
    for id in &entered {
        assert!(emulator.marketplace_role_exists(id).await, "{id}");
    }
    assert!(!emulator.marketplace_role_exists(&org.suspended[0]).await);
    let status = mta(emulator.endpoint(), &["status"]).await;
    assert_eq!(status.code, 0, "{status:?}");
    assert!(
        status.stdout.contains("Everything is in place."),
        "{}",
        status.stdout
    );
    let again = mta(emulator.endpoint(), &["plan"]).await;
    assert_eq!(again.code, 0, "{again:?}");
    assert!(
        again.stdout.contains("Nothing to change."),
        "{}",
        again.stdout
    );

    // WHEN trusted access is disabled, the defaults keep every role: never more permissive than
    // the function's
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, false)
        .await;
    emulator.start_recording().await;
    let kept = mta(emulator.endpoint(), &["apply", "--yes"]).await;
    assert_eq!(kept.code, 0, "{kept:?}");
    assert_eq!(
        mutating(&emulator.recorded_actions().await),
        Vec::<String>::new()
    );
    for id in &entered {
        assert!(emulator.marketplace_role_exists(id).await, "{id}");
    }
    let status = mta(emulator.endpoint(), &["status"]).await;
    assert_eq!(status.code, 0, "{status:?}");
    assert!(
        status
            .stdout
            .contains("may be deleted (`mta plan --on-disable delete`)"),
        "{}",
        status.stdout
    );

    // AND only --on-disable delete deletes them
    let plan = mta(
        emulator.endpoint(),
        &["plan", "--json", "--on-disable", "delete"],
    )
    .await;
    assert_eq!(plan.code, 1, "{plan:?}");
    let report: Report = serde_json::from_str(&plan.stdout).expect("a report");
    assert_eq!(report.accounts.planned, entered.len());
    assert!(
        report
            .actions
            .iter()
            .filter(|a| a.account_id != org.suspended[0])
            .all(|a| a.action == Action::Delete)
    );
    let deleted = mta(
        emulator.endpoint(),
        &["apply", "--yes", "--json", "--on-disable", "delete"],
    )
    .await;
    assert_eq!(deleted.code, 0, "{deleted:?}");
    let report: Report = serde_json::from_str(&deleted.stdout).expect("a report");
    assert_eq!(report.accounts.deleted, entered.len());
    for id in &entered {
        assert!(!emulator.marketplace_role_exists(id).await, "{id}");
    }
}

/// `mta`, run as an IAM user that may do everything but `action`, with IAM enforced.
async fn operator_denied(emulator: &Emulator, action: &str) -> tokio::process::Command {
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": action, "Resource": "*"}
    ]});
    let user = emulator.iam_user("operator", &policy).await;
    emulator.enforce_iam(true).await;
    let mut c = mta_command(emulator.endpoint(), false);
    c.env("AWS_ACCESS_KEY_ID", &user.key_id)
        .env("AWS_SECRET_ACCESS_KEY", &user.secret);
    c
}

#[tokio::test]
async fn a_permission_taken_away_is_named() {
    let (emulator, _org) = organization(1, 0).await;
    let mut c = operator_denied(&emulator, "organizations:ListAccounts").await;
    c.args(["status"]);
    let run = finish(c).await;
    emulator.enforce_iam(false).await;
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.starts_with(
            "mta: could not read the organization: organizations:ListAccounts failed: "
        ) && run
            .stderr
            .contains("The credentials lack permission for organizations:ListAccounts."),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

/// GIVEN an organization of two members, trusted access enabled for IAM Identity Center and for
/// GuardDuty, and the first member GuardDuty's delegated administrator.
async fn organization_with_services() -> (Shared, OrgFixture) {
    let emulator = shared().await;
    let org = emulator.seed_organization(2, 0).await;
    emulator.set_trusted_access("sso.amazonaws.com", true).await;
    emulator
        .set_trusted_access("guardduty.amazonaws.com", true)
        .await;
    aws_sdk_organizations::Client::new(&emulator.management_config())
        .register_delegated_administrator()
        .account_id(&org.active[0])
        .service_principal("guardduty.amazonaws.com")
        .send()
        .await
        .or_fail("RegisterDelegatedAdministrator");
    (emulator, org)
}

/// The row of `principal` in the JSON of `mta services`.
fn service<'v>(view: &'v Value, principal: &str) -> &'v Value {
    view["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["principal"] == principal)
        .unwrap_or_else(|| panic!("no {principal} in {view:#}"))
}

#[tokio::test]
async fn services_lists_the_enabled_ones_with_names_and_delegated_administrators() {
    let (emulator, org) = organization_with_services().await;
    emulator.start_recording().await;

    // WHEN the operator asks, with no expectation, for a machine and for a person
    let json = mta(emulator.endpoint(), &["services", "--json"]).await;
    let table = mta(emulator.endpoint(), &["services"]).await;

    // THEN both services are listed, named from the catalog, GuardDuty with its administrator, and
    // nothing is compared
    assert_eq!(json.code, 0, "{json:?}");
    assert_eq!(table.code, 0, "{table:?}");
    let view = json.json();
    assert_eq!(
        view["organization"],
        json!({"organizationId": org.org_id, "managementAccountId": org.management})
    );
    assert_eq!(view["drift"], false);
    let principals: Vec<&str> = view["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|s| s["principal"].as_str().expect("principal"))
        .collect();
    assert_eq!(principals, ["guardduty.amazonaws.com", "sso.amazonaws.com"]);
    for (principal, name, admins) in [
        (
            "guardduty.amazonaws.com",
            "Amazon GuardDuty",
            json!([{"accountId": org.active[0], "name": "member-0"}]),
        ),
        ("sso.amazonaws.com", "AWS IAM Identity Center", json!([])),
    ] {
        let s = service(&view, principal);
        assert_eq!(s["name"], name, "{s}");
        assert_eq!(s["delegatedAdministrators"], admins, "{s}");
        assert_eq!(s["expected"], Value::Null, "{s}");
        assert_eq!(s["state"], "enabled", "{s}");
        let at = s["enabledAt"].as_str().expect("enabledAt");
        assert!(at.len() >= 20 && at.ends_with('Z'), "{at}");
        let keys: BTreeSet<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from([
                "principal",
                "name",
                "enabledAt",
                "delegatedAdministrators",
                "expected",
                "state"
            ])
        );
    }

    let t = &table.stdout;
    assert!(
        t.contains(&format!(
            "Organization {} (management account {})",
            org.org_id, org.management
        )),
        "{t}"
    );
    assert!(
        t.contains("Expected services: none given (--expected or EXPECTED_SERVICES)"),
        "{t}"
    );
    let guardduty = table_row(t, "guardduty.amazonaws.com");
    assert_eq!(guardduty[1], "Amazon GuardDuty", "{t}");
    assert_eq!(
        guardduty[3..],
        [format!("{} (member-0)", org.active[0]).as_str(), "enabled"],
        "{t}"
    );
    assert_eq!(
        table_row(t, "sso.amazonaws.com")[3..],
        ["-", "enabled"],
        "{t}"
    );
    assert!(
        t.contains("2 service(s) with trusted access enabled. No expectation given"),
        "{t}"
    );
    // Read-only.
    assert_eq!(
        mutating(&emulator.recorded_actions().await),
        Vec::<String>::new()
    );

    // AND an expectation met, from the environment, is no drift
    let mut c = mta_command(emulator.endpoint(), true);
    c.env(
        "EXPECTED_SERVICES",
        "sso.amazonaws.com, GuardDuty.amazonaws.com",
    )
    .args(["services", "--json"]);
    let met = finish(c).await;
    assert_eq!(met.code, 0, "{met:?}");
    let met = met.json();
    assert_eq!(met["drift"], false);
    assert_eq!(service(&met, "sso.amazonaws.com")["expected"], true);
    assert_eq!(service(&met, "guardduty.amazonaws.com")["expected"], true);
}

#[tokio::test]
async fn services_exits_1_on_a_missing_or_unexpected_service() {
    let (emulator, org) = organization_with_services().await;

    // WHEN the operator expects Identity Center and CloudTrail, but not GuardDuty
    let expected = "sso.amazonaws.com,cloudtrail.amazonaws.com";
    let json = mta(
        emulator.endpoint(),
        &["services", "--json", "--expected", expected],
    )
    .await;
    let table = mta(emulator.endpoint(), &["services", "--expected", expected]).await;

    // THEN that is drift: CloudTrail is missing, GuardDuty is not expected
    assert_eq!(json.code, 1, "{json:?}");
    assert_eq!(table.code, 1, "{table:?}");
    let view = json.json();
    assert_eq!(view["drift"], true);
    assert_eq!(view["services"].as_array().expect("services").len(), 3);
    let sso = service(&view, "sso.amazonaws.com");
    assert_eq!(
        (&sso["expected"], &sso["state"]),
        (&json!(true), &json!("enabled"))
    );
    let guardduty = service(&view, "guardduty.amazonaws.com");
    assert_eq!(
        (&guardduty["expected"], &guardduty["state"]),
        (&json!(false), &json!("enabled"))
    );
    assert_eq!(
        guardduty["delegatedAdministrators"],
        json!([{"accountId": org.active[0], "name": "member-0"}])
    );
    assert_eq!(
        *service(&view, "cloudtrail.amazonaws.com"),
        json!({
            "principal": "cloudtrail.amazonaws.com",
            "name": "AWS CloudTrail",
            "enabledAt": null,
            "delegatedAdministrators": [],
            "expected": true,
            "state": "missing",
        })
    );
    // The missing one comes last.
    assert_eq!(
        view["services"][2]["principal"], "cloudtrail.amazonaws.com",
        "{view:#}"
    );

    let t = &table.stdout;
    assert!(t.contains("Expected services: 2 (from --expected)"), "{t}");
    assert_eq!(
        table_row(t, "guardduty.amazonaws.com").last(),
        Some(&"NOT EXPECTED"),
        "{t}"
    );
    assert_eq!(
        table_row(t, "sso.amazonaws.com").last(),
        Some(&"expected"),
        "{t}"
    );
    assert_eq!(
        table_row(t, "cloudtrail.amazonaws.com")[1..],
        ["AWS CloudTrail", "-", "-", "MISSING"],
        "{t}"
    );
    assert!(
        t.contains(
            "2 service(s) with trusted access enabled: 1 expected, 1 not expected; 1 expected but not enabled. Drift"
        ),
        "{t}"
    );

    // AND the flag wins over the environment
    let mut c = mta_command(emulator.endpoint(), true);
    c.env(
        "EXPECTED_SERVICES",
        "sso.amazonaws.com,guardduty.amazonaws.com",
    )
    .args(["services", "--json", "--expected", expected]);
    let flagged = finish(c).await;
    assert_eq!(flagged.code, 1, "{flagged:?}");
    assert_eq!(flagged.json(), view);
}

#[tokio::test]
async fn services_exits_3_naming_the_action_refused() {
    let (emulator, _org) = organization_with_services().await;
    let mut c = operator_denied(&emulator, "organizations:ListDelegatedAdministrators").await;
    c.args(["services", "--json"]);
    let run = finish(c).await;
    emulator.enforce_iam(false).await;
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.starts_with(
            "mta: could not read the organization: organizations:ListDelegatedAdministrators failed: "
        ) && run.stderr.contains(
            "The credentials lack permission for organizations:ListDelegatedAdministrators."
        ),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

/// A proxy in front of the emulator that holds every request back by `delay`, so that a run lasts
/// long enough to be watched or interrupted.
async fn slow_proxy(upstream: &str, delay: Duration) -> String {
    let upstream = upstream
        .strip_prefix("http://")
        .expect("http endpoint")
        .to_string();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    return;
                };
                let (mut from_client, mut to_client) = client.into_split();
                let (mut from_server, mut to_server) = server.into_split();
                let requests = async {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        match from_client.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                tokio::time::sleep(delay).await;
                                if to_server.write_all(&buf[..n]).await.is_err() {
                                    break;
                                }
                            }
                        }
                    }
                    let _ = to_server.shutdown().await;
                };
                let answers = tokio::io::copy(&mut from_server, &mut to_client);
                let _ = tokio::join!(requests, answers);
            });
        }
    });
    endpoint
}

#[tokio::test]
async fn an_interrupted_apply_finishes_the_accounts_in_flight_and_reports_the_rest() {
    // GIVEN 6 members, none with the role, and calls slowed down so that one account takes ~0.5 s
    let (emulator, org) = organization(6, 0).await;
    let everyone = all_accounts(&org);
    let slow = slow_proxy(emulator.endpoint(), Duration::from_millis(150)).await;
    emulator.start_recording().await;

    // WHEN Ctrl-C (SIGINT) reaches `apply` once its second account is being created
    let mut c = mta_command(&slow, true);
    c.args(["apply", "--yes", "--json", "--concurrency", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = c.spawn().expect("spawn mta");
    let pid = nix::unistd::Pid::from_raw(child.id().expect("pid") as i32);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let actions = emulator.recorded_actions().await;
        let creates = actions
            .iter()
            .filter(|a| *a == "iam:CreateServiceLinkedRole")
            .count();
        if creates >= 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "apply did not get going: {actions:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("SIGINT");
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("apply ends after Ctrl-C")
        .expect("wait");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };

    // THEN it exits 130 with the partial report: every account started was finished, the others
    // are listed as not reached, and nothing is left half-done
    assert_eq!(run.code, 130, "{run:?}");
    assert!(run.stderr.contains("mta: interrupted"), "{}", run.stderr);
    let report: Report = serde_json::from_str(&run.stdout).expect("a partial report");
    assert_eq!(report.outcome, ReportOutcome::Incomplete, "{report:?}");
    assert!(report.actions.len() >= 2, "{report:?}");
    assert!(
        !report.unreached.is_empty(),
        "the interruption came too late: {report:?}"
    );
    let reported: BTreeSet<&String> = report
        .actions
        .iter()
        .map(|a| &a.account_id)
        .chain(&report.unreached)
        .collect();
    assert_eq!(
        reported.len(),
        everyone.len(),
        "every account once: {report:?}"
    );
    assert_eq!(reported, everyone.iter().collect());
    for a in &report.actions {
        assert_eq!(
            (a.action, a.result),
            (Action::Create, ActionResult::Done),
            "{a:?}"
        );
        assert!(
            emulator.marketplace_role_exists(&a.account_id).await,
            "{a:?}"
        );
    }
    for id in &report.unreached {
        assert!(
            !emulator.marketplace_role_exists(id).await,
            "{id} was touched"
        );
    }
    let creates = emulator
        .recorded_actions()
        .await
        .iter()
        .filter(|a| *a == "iam:CreateServiceLinkedRole")
        .count();
    assert_eq!(creates, report.accounts.created);
}

// ---------------------------------------------------------------------------------------------
// On a terminal

/// A pseudo-terminal whose output is collected as it comes.
struct Terminal {
    master: std::fs::File,
    output: Arc<Mutex<Vec<u8>>>,
}

impl Terminal {
    const ROWS: u16 = 50;
    const COLUMNS: u16 = 160;

    /// Opens one; returns it and its other end.
    fn open() -> (Terminal, OwnedFd) {
        let size = nix::pty::Winsize {
            ws_row: Self::ROWS,
            ws_col: Self::COLUMNS,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = nix::pty::openpty(Some(&size), None).expect("openpty");
        let master = std::fs::File::from(pty.master);
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().expect("clone");
        let sink = Arc::clone(&output);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Ends with EIO once the program and this test have closed their ends.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        (Terminal { master, output }, pty.slave)
    }

    fn bytes(&self) -> Vec<u8> {
        self.output.lock().unwrap().clone()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }

    async fn wait_for(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.text().contains(what) {
            assert!(
                Instant::now() < deadline,
                "{what:?} never came: {}",
                self.text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn type_line(&mut self, line: &str) {
        use std::io::Write;
        self.master
            .write_all(format!("{line}\n").as_bytes())
            .expect("type");
    }

    fn parser() -> vt100::Parser {
        let size = |n: u16| std::num::NonZero::new(n).expect("a terminal has a size");
        vt100::Parser::new(size(Self::ROWS), size(Self::COLUMNS), 0)
    }

    /// What a person sees once the program is done.
    fn screen(&self) -> String {
        let mut parser = Self::parser();
        parser.process(&self.bytes());
        parser.screen().contents()
    }

    /// Every screen the output went through, one per carriage return.
    fn screens(&self) -> Vec<String> {
        let bytes = self.bytes();
        let mut parser = Self::parser();
        bytes
            .split_inclusive(|b| *b == b'\r')
            .map(|chunk| {
                parser.process(chunk);
                parser.screen().contents()
            })
            .collect()
    }
}

/// `mta` with the given standard streams on the terminal (`true`) or piped.
fn on_terminal(
    mut command: Command,
    slave: &OwnedFd,
    stdin: bool,
    stdout: bool,
    stderr: bool,
) -> tokio::process::Child {
    let end = |on: bool| -> Stdio {
        if on {
            Stdio::from(slave.try_clone().expect("dup"))
        } else {
            Stdio::piped()
        }
    };
    command
        .env("TERM", "xterm-256color")
        .stdin(if stdin { end(true) } else { Stdio::null() })
        .stdout(end(stdout))
        .stderr(end(stderr));
    command.spawn().expect("spawn mta")
}

/// The accounts done, as a bar line shows them: `… 3/9 accounts · …`.
fn position(line: &str, total: usize) -> Option<usize> {
    let before = &line[..line.find(&format!("/{total} accounts"))?];
    let digits: String = before
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

fn bar_line(screen: &str, total: usize) -> Option<&str> {
    screen
        .lines()
        .find(|l| l.contains(&format!("/{total} accounts ·")))
}

#[tokio::test]
async fn the_progress_bar_draws_on_a_terminal_then_clears_and_is_absent_when_piped() {
    let (emulator, org) = organization(8, 0).await;
    let total = all_accounts(&org).len();
    let slow = slow_proxy(emulator.endpoint(), Duration::from_millis(60)).await;

    // ON a terminal: the bar counts the accounts, then leaves only the table
    let (terminal, slave) = Terminal::open();
    let mut c = mta_command(&slow, true);
    c.args(["status", "--concurrency", "2"]);
    let mut child = on_terminal(c, &slave, true, true, true);
    drop(slave);
    let status = child.wait().await.expect("wait");
    assert_eq!(status.code(), Some(1));
    terminal.wait_for("missing the role").await;
    let screens = terminal.screens();
    let drawn: Vec<&str> = screens.iter().filter_map(|s| bar_line(s, total)).collect();
    let positions: BTreeSet<usize> = drawn.iter().filter_map(|l| position(l, total)).collect();
    assert!(
        positions.iter().any(|p| (1..total).contains(p)),
        "never drawn mid-run: {drawn:?}"
    );
    assert!(
        drawn
            .iter()
            .all(|l| l.contains("/s") && l.contains("failed")),
        "{drawn:?}"
    );
    let last = terminal.screen();
    assert_eq!(bar_line(&last, total), None, "the bar stayed:\n{last}");
    assert!(
        !last.contains("accounts ·") && !last.contains("reading the organization"),
        "{last}"
    );
    assert!(
        last.contains("ACCOUNT") && last.contains(&org.active[7]),
        "{last}"
    );

    // PIPED: no bar, no escape sequence, the same table
    let piped = mta(&slow, &["status", "--concurrency", "2"]).await;
    assert_eq!(piped.code, 1);
    assert_eq!(piped.stderr, "", "standard error is not a terminal");
    assert!(!piped.stdout.contains('\x1b'));
    for id in all_accounts(&org) {
        assert!(last.contains(&id) && piped.stdout.contains(&id), "{id}");
    }

    // QUIET on a terminal: no bar either
    let (terminal, slave) = Terminal::open();
    let mut c = mta_command(&slow, true);
    c.args(["status", "--quiet"]);
    let mut child = on_terminal(c, &slave, true, true, true);
    drop(slave);
    assert_eq!(child.wait().await.expect("wait").code(), Some(1));
    terminal.wait_for("missing the role").await;
    assert!(
        !terminal.text().contains("accounts ·"),
        "{}",
        terminal.text()
    );
}

#[tokio::test]
async fn apply_on_a_terminal_shows_the_plan_and_asks_first() {
    let (emulator, org) = organization(2, 0).await;
    let entered = all_accounts(&org);
    emulator.start_recording().await;

    // WHEN the operator answers no
    let (mut terminal, slave) = Terminal::open();
    let mut c = mta_command(emulator.endpoint(), true);
    c.args(["apply"]);
    let child = on_terminal(c, &slave, true, false, true);
    drop(slave);
    terminal.wait_for("[y/N] ").await;
    let asked = terminal.screen();
    assert!(
        asked.contains("Plan (dry run: nothing is changed)"),
        "{asked}"
    );
    for id in &entered {
        assert!(
            asked.lines().any(|l| l.starts_with(id.as_str())
                && l.contains("create")
                && l.contains("planned")),
            "{id} not in the plan shown:\n{asked}"
        );
    }
    assert!(
        asked.contains(&format!(
            "Apply 3 change(s) to organization {} (3 create, 0 delete)? [y/N]",
            org.org_id
        )),
        "{asked}"
    );
    terminal.type_line("n");
    let out = child.wait_with_output().await.expect("wait");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    terminal.wait_for("Nothing was changed.").await;
    assert_eq!(
        mutating(&emulator.recorded_actions().await),
        Vec::<String>::new()
    );

    // WHEN the operator answers yes
    let (mut terminal, slave) = Terminal::open();
    let mut c = mta_command(emulator.endpoint(), true);
    c.args(["apply"]);
    let child = on_terminal(c, &slave, true, false, true);
    drop(slave);
    terminal.wait_for("[y/N] ").await;
    terminal.type_line("y");
    let out = child.wait_with_output().await.expect("wait");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("Applied: "), "{stdout}");
    for id in &entered {
        assert!(emulator.marketplace_role_exists(id).await, "{id}");
    }
}
