//! The unit tests of `messages`: who is told what, for each trigger.

use super::*;
use crate::decision::RoleState;
use crate::outcome::{Failure, Step};
use crate::ports::{AccountState, AwsError};

fn person() -> Origin {
    Origin {
        actor: "arn:aws:iam::123456789012:user/alice".into(),
        service: None,
        event_time: Some("2026-11-20T10:00:00Z".into()),
        source_ip: Some("203.0.113.10".into()),
        user_agent: Some("aws-cli/2.15.0".into()),
    }
}

fn marketplace() -> Origin {
    Origin {
        actor: MARKETPLACE_PRINCIPAL.into(),
        service: Some(MARKETPLACE_PRINCIPAL.into()),
        ..person()
    }
}

fn organization() -> OrgIdentity {
    OrgIdentity {
        organization_id: "o-exampleorgid".into(),
        management_account_id: "123456789012".into(),
    }
}

fn result(id: &str, action: Action, result: ActionResult) -> AccountResult {
    AccountResult {
        account_id: id.to_string(),
        membership: if action == Action::Skip {
            Membership::Inactive
        } else {
            Membership::Active
        },
        state: Some(if action == Action::Skip {
            AccountState::Suspended
        } else {
            AccountState::Active
        }),
        role: RoleState::Unknown,
        action,
        result,
        kept_on_recheck: false,
        failure: (result == ActionResult::Failed).then(|| Failure {
            step: Step::AssumeRole,
            error: AwsError::new("AccessDenied", "denied"),
        }),
    }
}

fn report(actions: &[(&str, Action, ActionResult)]) -> Outcome {
    Outcome {
        trusted_access: true,
        accounts: actions
            .iter()
            .map(|(id, action, r)| result(id, *action, *r))
            .collect(),
        unreached: Vec::new(),
    }
}

fn run<'a>(trigger: &'a Trigger, outcome: &'a Outcome) -> Context<'a> {
    static ORGANIZATION: std::sync::OnceLock<OrgIdentity> = std::sync::OnceLock::new();
    Context {
        about: About {
            trigger,
            trigger_name: "EnableAWSServiceAccess",
            event_id: Some("e-1"),
            organization: ORGANIZATION.get_or_init(organization),
            agreed: None,
            outside_intent: false,
        },
        outcome,
        dry_run: false,
        policy: Policy {
            on_disable: Removal::Retain,
            on_departure: Removal::Retain,
        },
        continuing: false,
        failures_told: false,
        recovered: &[],
    }
}

fn audiences(messages: &[Message]) -> Vec<(&'static str, &'static str)> {
    messages
        .iter()
        .map(|m| (m.audience.as_str(), m.event.as_str()))
        .collect()
}

#[test]
fn a_person_enabling_reaches_the_marketplace_administrator_with_the_console_step() {
    let r = report(&[("111122223333", Action::Create, ActionResult::Done)]);
    let t = Trigger::TrustedAccess {
        principal: MARKETPLACE_PRINCIPAL.into(),
        enabled: true,
        origin: person(),
    };
    let m = compose(run(&t, &r));
    assert_eq!(
        audiences(&m),
        [("marketplace-admin", "trusted-access-enabled")]
    );
    assert_eq!(m[0].severity, Severity::ActionRequired);
    assert!(m[0].text().contains("AWS Marketplace console"));
    assert!(m[0].text().contains("arn:aws:iam::123456789012:user/alice"));
    assert!(m[0].text().contains("2026-11-20T10:00:00Z"));
    assert!(m[0].text().contains("AWS recommends"));
}

#[test]
fn marketplace_enabling_tells_the_organizations_administrator_it_is_complete() {
    let r = report(&[]);
    let t = Trigger::TrustedAccess {
        principal: MARKETPLACE_PRINCIPAL.into(),
        enabled: true,
        origin: marketplace(),
    };
    let m = compose(run(&t, &r));
    assert_eq!(
        audiences(&m),
        [("organizations-admin", "trusted-access-enabled")]
    );
    assert!(m[0].subject.contains("complete"));
}

#[test]
fn a_person_disabling_warns_both_administrators() {
    let mut r = report(&[("111122223333", Action::Keep, ActionResult::Done)]);
    r.trusted_access = false;
    let t = Trigger::TrustedAccess {
        principal: MARKETPLACE_PRINCIPAL.into(),
        enabled: false,
        origin: person(),
    };
    let m = compose(run(&t, &r));
    assert_eq!(
        audiences(&m),
        [
            ("marketplace-admin", "trusted-access-disabled"),
            ("organizations-admin", "trusted-access-disabled")
        ]
    );
    assert!(m.iter().all(|m| m.severity == Severity::Warning));
    assert!(
        m[1].text()
            .contains("Wait until the AWS Marketplace administrator")
    );
    assert!(m[1].text().contains("kept in every account"));
}

#[test]
fn a_departure_names_the_account_for_both_audiences() {
    let mut r = report(&[]);
    r.accounts.push(AccountResult {
        membership: Membership::Departed,
        state: None,
        ..result("210987654321", Action::Keep, ActionResult::Done)
    });
    let t = Trigger::AccountDeparted {
        account_id: "210987654321".into(),
        method: DepartureMethod::Left,
        origin: person(),
    };
    let m = compose(run(&t, &r));
    assert_eq!(
        audiences(&m),
        [
            ("organizations-admin", "account-departed"),
            ("account-admin", "account-departed")
        ]
    );
    assert!(
        m.iter()
            .all(|m| m.subject.contains("210987654321") && m.text().contains("may delete it"))
    );
}

#[test]
fn an_event_that_organizations_contradicts_calls_for_no_hand_off() {
    let mut r = report(&[("111122223333", Action::Keep, ActionResult::Done)]);
    r.trusted_access = true;
    let stale_disable = Trigger::TrustedAccess {
        principal: MARKETPLACE_PRINCIPAL.into(),
        enabled: false,
        origin: person(),
    };
    assert!(compose(run(&stale_disable, &r)).is_empty());
    r.trusted_access = false;
    let stale_enable = Trigger::TrustedAccess {
        principal: MARKETPLACE_PRINCIPAL.into(),
        enabled: true,
        origin: person(),
    };
    assert!(compose(run(&stale_enable, &r)).is_empty());
}

#[test]
fn a_departure_of_an_account_organizations_still_lists_calls_for_no_hand_off() {
    // Organizations still lists the account: it was reconciled as an ACTIVE member.
    let still_member = report(&[("210987654321", Action::Keep, ActionResult::Done)]);
    let t = Trigger::AccountDeparted {
        account_id: "210987654321".into(),
        method: DepartureMethod::Removed,
        origin: person(),
    };
    assert!(compose(run(&t, &still_member)).is_empty());
    let mut gone = report(&[]);
    gone.accounts.push(AccountResult {
        membership: Membership::Departed,
        state: None,
        ..result("210987654321", Action::Keep, ActionResult::Done)
    });
    assert_eq!(
        compose(run(&t, &gone)).len(),
        2,
        "once it is gone, both audiences hear"
    );
}

#[test]
fn a_sweep_that_changes_nothing_says_nothing_and_one_that_fails_says_so() {
    let quiet = report(&[("111122223333", Action::Keep, ActionResult::Done)]);
    assert!(compose(run(&Trigger::Sweep, &quiet)).is_empty());
    let fixed = report(&[("111122223333", Action::Create, ActionResult::Done)]);
    assert_eq!(
        audiences(&compose(run(&Trigger::Sweep, &fixed))),
        [("organizations-admin", "drift-corrected")]
    );
    let broken = report(&[("111122223333", Action::Keep, ActionResult::Failed)]);
    let m = compose(run(&Trigger::Sweep, &broken));
    assert_eq!(audiences(&m), [("organizations-admin", "reconcile-failed")]);
    assert!(
        m[0].text()
            .contains("111122223333 failed: AssumeRole: AccessDenied")
    );
}

#[test]
fn failures_during_an_enable_also_reach_the_organizations_administrator() {
    let r = report(&[("111122223333", Action::Keep, ActionResult::Failed)]);
    let t = Trigger::TrustedAccess {
        principal: MARKETPLACE_PRINCIPAL.into(),
        enabled: true,
        origin: person(),
    };
    assert_eq!(
        audiences(&compose(run(&t, &r))),
        [
            ("marketplace-admin", "trusted-access-enabled"),
            ("organizations-admin", "reconcile-failed")
        ]
    );
}

#[test]
fn subjects_fit_sns_and_the_facts_block_round_trips() {
    let many: Vec<_> = (0..40).map(|i| (format!("1111222233{i:02}"), i)).collect();
    let actions: Vec<_> = many
        .iter()
        .map(|(id, _)| (id.as_str(), Action::Keep, ActionResult::Failed))
        .collect();
    let r = report(&actions);
    let departed = Trigger::AccountDeparted {
        account_id: "210987654321".into(),
        method: DepartureMethod::Other("x".repeat(300)),
        origin: person(),
    };
    for t in [
        Trigger::TrustedAccess {
            principal: MARKETPLACE_PRINCIPAL.into(),
            enabled: true,
            origin: person(),
        },
        Trigger::TrustedAccess {
            principal: MARKETPLACE_PRINCIPAL.into(),
            enabled: true,
            origin: marketplace(),
        },
        Trigger::TrustedAccess {
            principal: MARKETPLACE_PRINCIPAL.into(),
            enabled: false,
            origin: person(),
        },
        Trigger::TrustedAccess {
            principal: MARKETPLACE_PRINCIPAL.into(),
            enabled: false,
            origin: marketplace(),
        },
        departed,
        Trigger::AccountJoined {
            account_id: "210987654321".into(),
            method: Some(JoinedMethod::Invited),
            origin: marketplace(),
        },
        Trigger::Sweep,
    ] {
        for m in compose(run(&t, &r)) {
            assert!(m.subject.len() <= SUBJECT_LIMIT, "{}", m.subject);
            assert!(m.subject.chars().all(|c| c.is_ascii_graphic() || c == ' '));
            let facts = facts_of(&m.body).expect("facts block");
            assert_eq!(facts.event, m.event);
            assert_eq!(facts.audience, m.audience);
            assert_eq!(facts.failed.len(), 40);
            let again: Facts =
                serde_json::from_str(&serde_json::to_string(&facts).unwrap()).unwrap();
            assert_eq!(again, facts);
        }
    }
    assert_eq!(fit_subject(&"é".repeat(200)).len(), SUBJECT_LIMIT);
}
