//! `mta` against the emulator, as a person runs it (the harness is `cli.rs`): `status` (table and
//! JSON) against what the emulator holds; `services` listing the enabled services with their names
//! and delegated administrators, and the drift from `--expected`; `plan` making no mutating call and
//! giving the function's own dry-run report; `apply --yes` converging, then `status` exiting 0; the
//! removal flags; a permission taken away; Ctrl-C in the middle of `apply`.

use crate::cli::*;
use crate::common::*;
use marketplace_trusted_access::decision::Action;
use marketplace_trusted_access::outcome::ActionResult;
use marketplace_trusted_access::report::{Report, ReportOutcome};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// ---------------------------------------------------------------------------------------------
// Against the emulator

/// GIVEN trusted access enabled and an organization of `members` members, the last `suspended` of
/// them suspended.
pub(crate) async fn organization(members: usize, suspended: usize) -> (Shared, OrgFixture) {
    let emulator = shared().await;
    let org = emulator.seed_organization(members, suspended).await;
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
        .await;
    (emulator, org)
}

pub(crate) async fn create_marketplace_role(emulator: &Emulator, account: &str) {
    aws_sdk_iam::Client::new(&emulator.account_config(account).await)
        .create_service_linked_role()
        .aws_service_name(MARKETPLACE_PRINCIPAL)
        .send()
        .await
        .or_fail("CreateServiceLinkedRole");
}

pub(crate) fn all_accounts(org: &OrgFixture) -> Vec<String> {
    std::iter::once(&org.management)
        .chain(&org.active)
        .chain(&org.suspended)
        .cloned()
        .collect()
}

/// The row of `account` in a table, as its cells.
pub(crate) fn table_row<'t>(table: &'t str, account: &str) -> Vec<&'t str> {
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
pub(crate) async fn operator_denied(emulator: &Emulator, action: &str) -> tokio::process::Command {
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
pub(crate) async fn organization_with_services() -> (Shared, OrgFixture) {
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
pub(crate) fn service<'v>(view: &'v Value, principal: &str) -> &'v Value {
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
pub(crate) async fn slow_proxy(upstream: &str, delay: Duration) -> String {
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
