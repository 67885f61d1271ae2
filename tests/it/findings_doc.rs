//! `docs/findings.md`: one finding of each check as the function imports it, generated from the
//! code (`UPDATE_DOCS=1 cargo test --test it findings_doc` rewrites it).

use marketplace_trusted_access::decision::{Action, Membership, RoleState};
use marketplace_trusted_access::findings::asff::Context;
use marketplace_trusted_access::findings::{Check, Conditions, State, plan};
use marketplace_trusted_access::handoff::Handoff;
use marketplace_trusted_access::outcome::{AccountResult, ActionResult, Failure, Outcome, Step};
use marketplace_trusted_access::ports::{AccountState, AwsError, Drift, FindingsSet, OrgIdentity};
use std::collections::BTreeMap;

/// 2026-06-15T12:00:00Z, and a day later.
const T0: u64 = 1_781_524_800;
const DAY: u64 = 86_400;

fn organization() -> OrgIdentity {
    OrgIdentity {
        organization_id: "o-exampleorgid".into(),
        management_account_id: "111111111111".into(),
    }
}

fn handoff() -> Handoff {
    serde_json::from_value(serde_json::json!({
        "id": "ho-3kq7x2mz",
        "situation": "setup",
        "service": "license-management.marketplace.amazonaws.com",
        "organization": "o-exampleorgid",
        "audience": "marketplace-admin",
        "ask": "Finish the integration in the AWS Marketplace console (Settings, AWS Organizations integration).",
        "openedBy": "trusted access enabled by arn:aws:iam::111111111111:user/alice with the AWS CLI (event 5f6e7d8c)",
        "openedAt": T0 - DAY,
        "openedKey": "example",
        "lastToldAt": T0 - DAY,
        "status": "open",
    }))
    .expect("a ledger item")
}

/// Each check's conditions, as a sweep finds them.
fn conditions() -> Conditions {
    let mut found = Conditions::default();
    found.services(&BTreeMap::from([
        ("sso.amazonaws.com".to_string(), Drift::Missing),
        ("config.amazonaws.com".to_string(), Drift::Unexpected),
    ]));
    found.admins(&BTreeMap::from([(
        "guardduty.amazonaws.com=222222222222".to_string(),
        Drift::Unexpected,
    )]));
    found.handoffs(&[handoff()]);
    let failing = Outcome {
        trusted_access: true,
        accounts: vec![AccountResult {
            account_id: "333333333333".into(),
            membership: Membership::Active,
            state: Some(AccountState::Active),
            role: RoleState::Unknown,
            action: Action::Create,
            result: ActionResult::Failed,
            kept_on_recheck: false,
            failure: Some(Failure {
                step: Step::AssumeRole,
                error: AwsError::new("AccessDenied", "not authorized to perform sts:AssumeRole"),
            }),
        }],
        unreached: Vec::new(),
    };
    found.accounts(&failing, false, &FindingsSet::default());
    found
}

fn heading(check: Check) -> &'static str {
    match check {
        Check::TrustedAccessIntent => {
            "A service's trusted access differs from `EXPECTED_SERVICES` (one finding per principal)"
        }
        Check::MarketplaceRole => {
            "An ACTIVE account without AWS Marketplace's role while trusted access is on (one finding per account)"
        }
        Check::OpenHandoff => "A hand-off still open (one finding per `ho-…` item)",
        Check::DelegatedAdminIntent => {
            "A delegated administrator differs from `EXPECTED_DELEGATED_ADMINS` (one finding per principal and account)"
        }
    }
}

fn render() -> String {
    let org = organization();
    let context = |now| Context {
        organization: &org,
        region: "us-east-1",
        partition: "aws",
        now,
    };
    let failed = plan(&conditions(), &FindingsSet::default(), true, &context(T0));
    let mut out = String::from(
        "# Security Hub findings\n\n\
         Generated from the code by `UPDATE_DOCS=1 cargo test --test it findings_doc`; do not edit.\n\n\
         With `SECURITY_HUB_FINDINGS=true`, each condition below is one finding in AWS Security Hub \
         CSPM, in the function's own account and region, under its default product \
         (`product/<account>/default`). It is sent \
         `FAILED` while the condition stands (again by every sweep, with a new `UpdatedAt`), and \
         once more `PASSED` when it ends; an account that left the organization is also archived. \
         docs/design.md, \"Findings\", says how and why; `mta findings --json` prints what a sweep \
         would send now.\n",
    );
    for check in Check::ALL {
        out.push_str(&format!("\n## `{}`\n\n{}.\n", check.id(), heading(check)));
        let example = failed.planned.iter().find(|p| p.check == check);
        let example = example.expect("every check has an example");
        let json = serde_json::to_string_pretty(&example.document).unwrap();
        out.push_str(&format!("\n```json\n{json}\n```\n"));
    }
    // The end of a condition, and the archive of an account that left.
    let mut open = FindingsSet::default();
    open.open.insert(
        Check::MarketplaceRole.id().to_string(),
        BTreeMap::from([("333333333333".to_string(), T0 - DAY)]),
    );
    let mut gone = Conditions::default();
    let left = Outcome {
        trusted_access: true,
        accounts: Vec::new(),
        unreached: Vec::new(),
    };
    gone.accounts(&left, false, &open);
    let ended = plan(&gone, &open, true, &context(T0 + DAY));
    let archived = ended
        .planned
        .iter()
        .find(|p| p.state == State::Archived)
        .expect("the account that left is archived");
    let json = serde_json::to_string_pretty(&archived.document).unwrap();
    out.push_str(&format!(
        "\n## When a condition ends\n\nThe same `Id` and `CreatedAt`, `Compliance.Status` `PASSED`, \
         severity `INFORMATIONAL`; for an account that left the organization, `RecordState` \
         `ARCHIVED` too:\n\n```json\n{json}\n```\n"
    ));
    out
}

#[test]
fn the_findings_document_is_generated_from_the_code() {
    crate::common::assert_generated("docs/findings.md", &render(), "findings_doc");
}
