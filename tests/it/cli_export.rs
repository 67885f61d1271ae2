//! `--format csv`: an auditor's export of `mta status` and `mta services`, through the built `mta`
//! against the emulator. RFC 4180 and the neutralising of formulas are tested on the table itself
//! (`src/bin/mta/cli/table.rs`); this shows the columns and rows of each command.

use crate::cli::mta;
use crate::cli_emulator::{organization, organization_with_services};
use crate::common::MARKETPLACE_PRINCIPAL;

#[tokio::test]
async fn services_and_status_export_one_row_each_as_csv_with_no_formula() {
    // GIVEN an organization with a member named like a spreadsheet formula
    let (emulator, org) = organization(2, 0).await;
    let named = aws_sdk_organizations::Client::new(&emulator.management_config())
        .create_account()
        .email("formula@example.com")
        .account_name("=1+1")
        .send()
        .await
        .expect("CreateAccount");
    assert!(named.create_account_status().is_some());

    // WHEN the operator exports the services and the accounts
    let services = mta(emulator.endpoint(), &["services", "--format", "csv"]).await;
    let status = mta(
        emulator.endpoint(),
        &["status", "--format", "csv", "--quiet"],
    )
    .await;

    // THEN each has its header and one row per principal or account, in CRLF records
    let records = |out: &str| -> Vec<String> {
        assert!(out.ends_with("\r\n"), "{out:?}");
        out.split_terminator("\r\n").map(str::to_string).collect()
    };
    let services = records(&services.stdout);
    assert_eq!(
        services[0],
        "service_principal,name,enabled,enabled_at,expected,delegated_administrators"
    );
    assert_eq!(services.len(), 2, "{services:?}");
    assert!(
        services[1].starts_with(&format!("{MARKETPLACE_PRINCIPAL},AWS Marketplace,true,")),
        "{services:?}"
    );
    let status = records(&status.stdout);
    assert_eq!(
        status[0],
        "account_id,name,state,member_role,marketplace_role,status"
    );
    assert_eq!(status.len(), 1 + 1 + org.active.len() + 1, "{status:?}");
    // The formula is written as text, never as a formula.
    assert!(
        status.iter().any(|r| r.contains(",'=1+1,ACTIVE,")),
        "{status:?}"
    );
    assert!(!status.iter().any(|r| r.contains(",=1+1")), "{status:?}");

    // And --json with --format is refused as a usage error.
    let both = mta(
        emulator.endpoint(),
        &["services", "--json", "--format", "csv"],
    )
    .await;
    assert_eq!(both.code, 2, "{both:?}");
}

#[tokio::test]
async fn services_csv_lists_each_delegated_administrator_by_account() {
    // GIVEN GuardDuty's delegated administrator registered, and nothing said of what is expected
    let (emulator, org) = organization_with_services().await;
    let out = mta(emulator.endpoint(), &["services", "--format", "csv"]).await;
    let rows: Vec<&str> = out.stdout.split_terminator("\r\n").skip(1).collect();
    // THEN one row per enabled principal, each with the header's six columns, the expectation
    // empty, and GuardDuty's row naming the administrator's account
    assert_eq!(rows.len(), 2, "{rows:?}");
    for row in &rows {
        assert_eq!(row.matches(',').count(), 5, "{row}");
    }
    let guardduty = rows
        .iter()
        .find(|r| r.starts_with("guardduty.amazonaws.com,"))
        .expect("GuardDuty's row");
    assert!(
        guardduty.ends_with(&format!(",true,,,{}", org.active[0]))
            || guardduty.contains(&format!(",,{}", org.active[0])),
        "{guardduty}"
    );
}
