//! Security Hub findings end to end (`SECURITY_HUB_FINDINGS=true`): the function binary under
//! `cargo lambda watch`, against the emulator with Security Hub CSPM enabled in the management
//! account. The emulator's `BatchImportFindings` is its launcher's correction (o): it refuses, as
//! AWS documents, a call of more than 100 findings, a finding without a required attribute, and an
//! account that has not enabled Security Hub. The lifecycle itself is tested in
//! `src/findings/tests.rs`.

use crate::as_aws_sends::TABLE;
use crate::cargo_lambda::{Function, invoke, root};
use crate::cli::{finish, mta_command};
use crate::common::{Emulator, MARKETPLACE_PRINCIPAL, Shared, shared};
use crate::guardian::sweep;
use crate::ledger_e2e::mta_handoffs;
use crate::sns::Subscribers;
use serde_json::Value;
use std::collections::BTreeMap;

const SSO: &str = "sso.amazonaws.com";

/// The attributes AWS requires of every finding a provider imports: written here again, not taken
/// from the library's `asff::REQUIRED`, so that a name missing there is caught here.
const REQUIRED: [&str; 12] = [
    "AwsAccountId",
    "CreatedAt",
    "Description",
    "GeneratorId",
    "Id",
    "ProductArn",
    "Resources",
    "SchemaVersion",
    "Severity",
    "Title",
    "Types",
    "UpdatedAt",
];

/// An organization of `members` members with AWS Marketplace's trusted access on, Security Hub
/// enabled (unless `hub` is false), and the function with its topic, its state table, findings on
/// and `env` besides.
async fn stage(
    members: usize,
    hub: bool,
    env: &[(&str, &str)],
) -> (Shared, Vec<String>, Subscribers, Function) {
    let emulator = shared().await;
    let org = emulator.seed_organization(members, 0).await;
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
        .await;
    if hub {
        emulator.enable_security_hub().await;
    }
    let subscribers = Subscribers::new(&emulator).await;
    let mut all = vec![("SECURITY_HUB_FINDINGS", "true")];
    all.extend_from_slice(env);
    let function = Function::with_state(&emulator, &subscribers, &all).await;
    (emulator, org.active, subscribers, function)
}

/// The findings of one check, by `Id`.
async fn of_check(emulator: &Emulator, check: &str) -> BTreeMap<String, Value> {
    let all = emulator.findings().await;
    let generator = format!("mta/{check}");
    all.into_iter()
        .filter(|(_, f)| f["GeneratorId"] == generator.as_str())
        .collect()
}

fn status(finding: &Value) -> (&str, &str) {
    (
        finding["Compliance"]["Status"].as_str().unwrap_or_default(),
        finding["RecordState"].as_str().unwrap_or_default(),
    )
}

fn only(findings: &BTreeMap<String, Value>) -> &Value {
    assert_eq!(findings.len(), 1, "{findings:#?}");
    findings.values().next().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_expected_but_off_is_one_failed_finding_updated_by_each_sweep_then_passed() {
    // GIVEN IAM Identity Center expected but not enabled
    let expected = format!("{MARKETPLACE_PRINCIPAL},{SSO}");
    let env = [("EXPECTED_SERVICES", expected.as_str())];
    let (emulator, _, _subscribers, function) = stage(1, true, &env).await;

    // WHEN a sweep runs, THEN one FAILED finding names it, with every required attribute
    let report = invoke(function.port, &sweep(301), &function.log).await;
    assert!(
        report["findings"]["imported"].as_u64() >= Some(1),
        "{report}"
    );
    let first = of_check(&emulator, "trusted-access-intent").await;
    let finding = only(&first).clone();
    for attribute in REQUIRED {
        assert!(!finding[attribute].is_null(), "{attribute}: {finding:#}");
    }
    assert_eq!(status(&finding), ("FAILED", "ACTIVE"));
    assert!(
        finding["Id"].as_str().unwrap().ends_with(SSO),
        "{finding:#}"
    );
    assert!(
        finding["Title"]
            .as_str()
            .unwrap()
            .contains("IAM Identity Center")
    );
    let account = finding["AwsAccountId"].as_str().unwrap();
    let product = format!(":{account}:product/{account}/default");
    assert!(
        finding["ProductArn"].as_str().unwrap().ends_with(&product),
        "{finding:#}"
    );

    // WHEN a second sweep runs (a second later: UpdatedAt is in seconds), THEN the same Id, no
    // second finding, a later UpdatedAt and the same CreatedAt
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    invoke(function.port, &sweep(302), &function.log).await;
    let second = of_check(&emulator, "trusted-access-intent").await;
    let again = only(&second);
    assert_eq!(again["Id"], finding["Id"]);
    assert_eq!(again["CreatedAt"], finding["CreatedAt"]);
    assert!(again["UpdatedAt"].as_str() > finding["UpdatedAt"].as_str());

    // WHEN it is enabled, THEN the next sweep makes it PASSED
    emulator.set_trusted_access(SSO, true).await;
    invoke(function.port, &sweep(303), &function.log).await;
    let third = of_check(&emulator, "trusted-access-intent").await;
    assert_eq!(status(only(&third)), ("PASSED", "ACTIVE"));
    assert_eq!(only(&third)["Id"], finding["Id"]);
}

/// Makes the member role again in `account_id`, trusting the management account.
async fn restore_member_role(emulator: &Emulator, account_id: &str) {
    let iam = aws_sdk_iam::Client::new(&emulator.account_config(account_id).await);
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                       "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}],
    });
    iam.create_role()
        .role_name("OrganizationAccountAccessRole")
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .expect("CreateRole");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_without_its_member_role_is_a_failed_finding_on_that_account_until_it_is_back() {
    // GIVEN two members, the second without its member role
    let (emulator, members, _subscribers, function) = stage(2, true, &[]).await;
    let lost = &members[1];
    emulator.delete_member_role(lost).await;

    // WHEN a sweep runs, THEN one FAILED finding whose resource is that account
    invoke(function.port, &sweep(311), &function.log).await;
    let found = of_check(&emulator, "marketplace-role").await;
    let finding = only(&found);
    assert_eq!(status(finding), ("FAILED", "ACTIVE"));
    let resource = &finding["Resources"][0];
    assert_eq!(resource["Type"], "AwsAccount");
    assert_eq!(resource["Id"], format!("AWS::::Account:{lost}").as_str());
    assert_ne!(
        finding["AwsAccountId"],
        lost.as_str(),
        "the management account's"
    );

    // WHEN the role is back, THEN the next sweep makes it PASSED
    restore_member_role(&emulator, lost).await;
    let report = invoke(function.port, &sweep(312), &function.log).await;
    assert_eq!(report["accounts"]["failed"], 0, "{report}");
    let found = of_check(&emulator, "marketplace-role").await;
    assert_eq!(status(only(&found)), ("PASSED", "ACTIVE"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_open_hand_off_has_a_finding_until_a_person_says_it_is_done() {
    // GIVEN trusted access enabled with Organizations tools: a hand-off opens
    let (emulator, _, _subscribers, function) = stage(1, true, &[]).await;
    let event = root().join("events/enable-by-cli-iamuser.json");
    invoke(function.port, &event, &function.log).await;
    let open = of_check(&emulator, "open-handoff").await;
    let finding = only(&open).clone();
    assert_eq!(status(&finding), ("FAILED", "ACTIVE"));
    let id = finding["ProductFields"]["mta/HandoffId"].as_str().unwrap();
    assert!(id.starts_with("ho-"), "{finding:#}");
    assert_eq!(
        finding["ProductFields"]["mta/Audience"],
        "marketplace-admin"
    );

    // WHEN a person says it is done, THEN the next sweep makes it PASSED
    let done = mta_handoffs(&emulator, None, &["done", id]).await;
    assert_eq!(done.code, 0, "{done:?}");
    invoke(function.port, &sweep(321), &function.log).await;
    let after = of_check(&emulator, "open-handoff").await;
    assert_eq!(status(only(&after)), ("PASSED", "ACTIVE"));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_security_hub_the_hand_offs_go_out_and_the_report_says_why_no_finding_was_sent() {
    // GIVEN Security Hub not enabled, and IAM Identity Center expected but off
    let expected = format!("{MARKETPLACE_PRINCIPAL},{SSO}");
    let env = [("EXPECTED_SERVICES", expected.as_str())];
    let (emulator, _, subscribers, function) = stage(1, false, &env).await;

    // WHEN a sweep runs
    let report = invoke(function.port, &sweep(331), &function.log).await;

    // THEN it succeeds, its warning is published, and the report names Security Hub's refusal
    assert!(report.get("errorType").is_none(), "{report}");
    let received = subscribers.drain().await;
    let warned = received.values().flatten();
    let drift = warned.filter(|m| {
        m.attributes
            .get("event")
            .is_some_and(|e| e == "trusted-access-drift")
    });
    assert_eq!(drift.count(), 1);
    let error = report["findings"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("InvalidAccessException"), "{report}");
    assert!(error.contains("enabled"), "{report}");
    assert_eq!(report["findings"]["imported"], 0);
    let troubles = report["troubles"].as_array().cloned().unwrap_or_default();
    assert!(
        troubles.iter().any(|t| t["store"] == "findings"),
        "{report}"
    );
    emulator.enable_security_hub().await;
    assert!(emulator.findings().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_imports_nothing() {
    let expected = format!("{MARKETPLACE_PRINCIPAL},{SSO}");
    let env = [
        ("EXPECTED_SERVICES", expected.as_str()),
        ("DRY_RUN", "true"),
    ];
    let (emulator, _, _subscribers, function) = stage(1, true, &env).await;
    emulator.start_recording().await;
    let report = invoke(function.port, &sweep(341), &function.log).await;
    assert_eq!(report["dryRun"], true, "{report}");
    let recorded = emulator.recorded_actions().await;
    assert!(
        !recorded.iter().any(|a| a.starts_with("securityhub:")),
        "{recorded:?}"
    );
    assert!(emulator.findings().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_fifty_unreachable_accounts_are_imported_a_hundred_at_most_per_call() {
    // GIVEN 250 members the function cannot enter
    let (emulator, members, _subscribers, function) = stage(250, true, &[]).await;
    for account in &members {
        emulator.delete_member_role(account).await;
    }

    // WHEN a sweep runs
    emulator.start_recording().await;
    let report = invoke(function.port, &sweep(351), &function.log).await;

    // THEN every one has its finding; the emulator refuses a call of more than 100, so each of the
    // three calls carried at most 100
    assert_eq!(
        report["findings"]["imported"], 250,
        "{}",
        report["findings"]
    );
    let calls = emulator.recorded_actions().await;
    let imports = calls
        .iter()
        .filter(|a| *a == "securityhub:BatchImportFindings");
    assert_eq!(imports.count(), 3);
    let found = of_check(&emulator, "marketplace-role").await;
    assert_eq!(found.len(), 250);
    assert!(found.values().all(|f| status(f) == ("FAILED", "ACTIVE")));
}

#[tokio::test(flavor = "multi_thread")]
async fn mta_findings_prints_the_documents_the_function_then_imports() {
    // GIVEN IAM Identity Center expected but off, and a member without its member role
    let expected = format!("{MARKETPLACE_PRINCIPAL},{SSO}");
    let env = [("EXPECTED_SERVICES", expected.as_str())];
    let (emulator, members, _subscribers, function) = stage(2, true, &env).await;
    emulator.delete_member_role(&members[1]).await;

    // WHEN `mta findings --json` runs on the stack's table, THEN it imports nothing and names
    // both conditions, exiting 1
    let mut command = mta_command(emulator.endpoint(), true);
    command.env("EXPECTED_SERVICES", &expected).args([
        "findings",
        "--json",
        "--quiet",
        "--state-table",
        TABLE,
    ]);
    let run = finish(command).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(emulator.findings().await.is_empty());
    let printed = run.json();
    let printed: BTreeMap<String, Value> = printed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["Id"].as_str().unwrap().to_string(), d.clone()))
        .collect();
    assert_eq!(printed.len(), 2, "{printed:#?}");

    // AND the function's sweep imports the same documents (but for their times)
    invoke(function.port, &sweep(361), &function.log).await;
    let imported = emulator.findings().await;
    let timeless = |d: &Value| {
        let mut d = d.clone();
        for time in ["CreatedAt", "UpdatedAt"] {
            d.as_object_mut().unwrap().remove(time);
        }
        d
    };
    assert_eq!(
        printed.keys().collect::<Vec<_>>(),
        imported.keys().collect::<Vec<_>>()
    );
    for (id, document) in &printed {
        assert_eq!(timeless(document), timeless(&imported[id]), "{id}");
    }
}
