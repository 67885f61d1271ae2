//! `docs/notifications.md` shows one real rendering of every notification, produced by the code that
//! words them. This test renders them again and fails when the committed file is stale; run
//! `UPDATE_DOCS=1 cargo test --test notifications_doc` to rewrite it.

use marketplace_trusted_access::config::Removal;
use marketplace_trusted_access::decision::Action;
use marketplace_trusted_access::intake::{MARKETPLACE_PRINCIPAL, Origin, Trigger};
use marketplace_trusted_access::messages::{Run, compose};
use marketplace_trusted_access::reconcile::DEPARTED_DETAIL;
use marketplace_trusted_access::report::{AccountAction, ActionResult, Report};
use std::fmt::Write;
use std::path::Path;

fn person() -> Origin {
    Origin {
        actor: "arn:aws:iam::123456789012:user/diego.ramirez".into(),
        service: None,
        event_time: Some("2026-06-09T14:21:07Z".into()),
        source_ip: Some("203.0.113.42".into()),
        user_agent: Some("aws-cli/2.27.31".into()),
    }
}

fn marketplace() -> Origin {
    Origin {
        actor: "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b/priya.nair".into(),
        service: Some(MARKETPLACE_PRINCIPAL.into()),
        event_time: Some("2026-06-09T15:02:44Z".into()),
        source_ip: Some(MARKETPLACE_PRINCIPAL.into()),
        user_agent: Some(MARKETPLACE_PRINCIPAL.into()),
    }
}

fn account(
    id: &str,
    action: Action,
    result: ActionResult,
    detail: &str,
    error: Option<&str>,
) -> AccountAction {
    AccountAction {
        account_id: id.into(),
        action,
        result,
        detail: Some(detail.into()),
        error: error.map(str::to_string),
    }
}

/// A 6-account organization: the management account, four members, one suspended.
fn report(trigger: &str, trusted: bool, action: Action) -> Report {
    let mut r = Report::new(
        trigger,
        Some("c7e2f9a1-0b3d-4e5f-8a6b-9c0d1e2f3a4b".into()),
        MARKETPLACE_PRINCIPAL,
        false,
    );
    r.trusted_access = Some(if trusted { "enabled" } else { "disabled" }.into());
    for id in [
        "123456789012",
        "111122223333",
        "210987654321",
        "444455556666",
        "555566667777",
    ] {
        r.record(account(
            id,
            action,
            ActionResult::Done,
            "ACTIVE member, role absent",
            None,
        ));
    }
    r.record(account(
        "666677778888",
        Action::Skip,
        ActionResult::Done,
        "account SUSPENDED",
        None,
    ));
    r
}

fn run<'a>(trigger: &'a Trigger, report: &'a Report, on_departure: Removal) -> Run<'a> {
    Run {
        trigger,
        organization_id: "o-exampleorgid",
        management_account_id: "123456789012",
        accounts: &[],
        on_disable: Removal::Retain,
        on_departure,
        report,
    }
}

fn render() -> String {
    let mut cases: Vec<(&str, Trigger, Report, Removal)> = vec![
        (
            "Trusted access enabled with Organizations tools",
            Trigger::TrustedAccess {
                enabled: true,
                origin: person(),
            },
            report("EnableAWSServiceAccess", true, Action::Create),
            Removal::Retain,
        ),
        (
            "Trusted access enabled by AWS Marketplace",
            Trigger::TrustedAccess {
                enabled: true,
                origin: marketplace(),
            },
            report("EnableAWSServiceAccess", true, Action::Create),
            Removal::Retain,
        ),
        (
            "Trusted access disabled with Organizations tools",
            Trigger::TrustedAccess {
                enabled: false,
                origin: person(),
            },
            report("DisableAWSServiceAccess", false, Action::Keep),
            Removal::Retain,
        ),
        (
            "Trusted access disabled by AWS Marketplace",
            Trigger::TrustedAccess {
                enabled: false,
                origin: marketplace(),
            },
            report("DisableAWSServiceAccess", false, Action::Keep),
            Removal::Retain,
        ),
    ];
    let mut departed = Report::new(
        "RemoveAccountFromOrganization",
        Some("5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9".into()),
        MARKETPLACE_PRINCIPAL,
        false,
    );
    departed.trusted_access = Some("enabled".into());
    departed.record(account(
        "210987654321",
        Action::Keep,
        ActionResult::Done,
        DEPARTED_DETAIL,
        None,
    ));
    cases.push((
        "An account was removed",
        Trigger::AccountDeparted {
            account_id: "210987654321".into(),
            method: "Removed".into(),
            origin: person(),
        },
        departed,
        Removal::Retain,
    ));
    let mut joined = Report::new(
        "CreateAccountResult",
        Some("7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d".into()),
        MARKETPLACE_PRINCIPAL,
        false,
    );
    joined.trusted_access = Some("enabled".into());
    joined.record(account(
        "444455556666",
        Action::Create,
        ActionResult::Done,
        "ACTIVE member, role absent",
        None,
    ));
    let organizations = Origin {
        actor: "AWS Internal".into(),
        service: None,
        event_time: Some("2026-06-12T09:14:03Z".into()),
        source_ip: None,
        user_agent: None,
    };
    cases.push((
        "An account joined",
        Trigger::AccountJoined {
            account_id: "444455556666".into(),
            origin: organizations,
        },
        joined,
        Removal::Retain,
    ));
    let mut drift = report("schedule", true, Action::Keep);
    drift.actions[2] = account(
        "210987654321",
        Action::Create,
        ActionResult::Done,
        "ACTIVE member, role absent",
        None,
    );
    drift.accounts.unchanged -= 1;
    drift.accounts.created += 1;
    cases.push((
        "A sweep corrected drift",
        Trigger::Sweep,
        drift,
        Removal::Retain,
    ));
    let mut failed = report("schedule", true, Action::Keep);
    failed.actions[3] = account(
        "444455556666",
        Action::Keep,
        ActionResult::Failed,
        "ACTIVE member",
        Some(
            "AssumeRole: AccessDenied: User: arn:aws:sts::123456789012:assumed-role/marketplace-trusted-access-reconciler/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444455556666:role/MarketplaceTrustedAccessReconciler",
        ),
    );
    failed.accounts.unchanged -= 1;
    failed.accounts.failed += 1;
    cases.push((
        "A sweep could not reconcile an account",
        Trigger::Sweep,
        failed,
        Removal::Retain,
    ));

    let mut out = String::from(
        "# Notifications, as sent\n\n\
         Every message the function sends, rendered by `src/messages.rs` for a six-account example \
         organization. Generated by `tests/notifications_doc.rs`; do not edit by hand \
         (`UPDATE_DOCS=1 cargo test --test notifications_doc` rewrites it).\n",
    );
    for (title, trigger, report, on_departure) in &cases {
        let _ = write!(out, "\n## {title}\n");
        for m in compose(run(trigger, report, *on_departure)) {
            let _ = write!(
                out,
                "\n### To `{}`\n\nAttributes: `audience={}` `event={}` `severity={}` `organization={}`\n\n\
                 Subject: **{}**\n\n```text\n{}```\n",
                m.audience.as_str(),
                m.audience.as_str(),
                m.event.as_str(),
                m.severity.as_str(),
                m.organization,
                m.subject,
                m.body
            );
        }
    }
    out
}

#[test]
fn the_committed_examples_are_what_the_code_renders() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/notifications.md");
    let rendered = render();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "docs/notifications.md is stale: run `UPDATE_DOCS=1 cargo test --test notifications_doc`"
    );
    for situation in ["marketplace-admin", "organizations-admin", "account-admin"] {
        assert!(
            rendered.contains(&format!("### To `{situation}`")),
            "{situation}"
        );
    }
}
