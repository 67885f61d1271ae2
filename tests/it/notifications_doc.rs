//! `docs/notifications.md` shows one real rendering of every notification, produced by the code that
//! words them, and per situation the chat copy of one of them. This test renders them again and fails when the committed file is stale; run
//! `UPDATE_DOCS=1 cargo test --test it notifications_doc` to rewrite it.

use crate::common::MARKETPLACE_PRINCIPAL;
use marketplace_trusted_access::config::Removal;
use marketplace_trusted_access::decision::{Action, Membership, Policy, RoleState};
use marketplace_trusted_access::delegation_policy::{DelegationPolicy, PolicyDocument};
use marketplace_trusted_access::guardian::Observation;
use marketplace_trusted_access::handoff::{Handoff, Situation, Status, id_for};
use marketplace_trusted_access::intake::{
    DepartureMethod, Intake, JoinedMethod, Kind, Origin, Trigger,
};
use marketplace_trusted_access::ledger;
use marketplace_trusted_access::message::chat::chat_payload;
use marketplace_trusted_access::messages::guardian::{
    admin_drift_message, compose_observed, drift_message,
};
use marketplace_trusted_access::messages::handoffs::{ask, ended, reminder, requested};
use marketplace_trusted_access::messages::{About, Audience};
use marketplace_trusted_access::messages::{Context, Message, compose};
use marketplace_trusted_access::notify::{outbox_key, thread};
use marketplace_trusted_access::outcome::{AccountResult, ActionResult, Failure, Outcome, Step};
use marketplace_trusted_access::ports::{AccountState, AwsError, Drift, OrgIdentity};
use std::fmt::Write;

fn person() -> Origin {
    Origin {
        actor: "arn:aws:iam::123456789012:user/diego.ramirez".into(),
        service: None,
        event_time: Some("2026-06-09T14:21:07Z".into()),
        source_ip: Some("203.0.113.42".into()),
        user_agent: Some("aws-cli/2.27.31".into()),
    }
}

/// The outcome of a departure: the account is no longer in the organization; its role is kept.
fn departed(id: &str) -> Outcome {
    Outcome {
        trusted_access: true,
        accounts: vec![AccountResult {
            state: None,
            ..account(
                id,
                Action::Keep,
                ActionResult::Done,
                Membership::Departed,
                None,
            )
        }],
        unreached: Vec::new(),
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
    membership: Membership,
    failure: Option<Failure>,
) -> AccountResult {
    AccountResult {
        account_id: id.into(),
        membership,
        state: Some(if membership == Membership::Inactive {
            AccountState::Suspended
        } else {
            AccountState::Active
        }),
        role: if membership == Membership::Active {
            RoleState::Absent
        } else {
            RoleState::Unknown
        },
        action,
        result,
        kept_on_recheck: false,
        failure,
    }
}

/// A 6-account organization: the management account, four members, one suspended.
fn outcome(trusted: bool, action: Action) -> Outcome {
    let mut accounts: Vec<AccountResult> = [
        "123456789012",
        "111122223333",
        "210987654321",
        "444455556666",
        "555566667777",
    ]
    .into_iter()
    .map(|id| account(id, action, ActionResult::Done, Membership::Active, None))
    .collect();
    accounts.push(account(
        "666677778888",
        Action::Skip,
        ActionResult::Done,
        Membership::Inactive,
        None,
    ));
    Outcome {
        trusted_access: trusted,
        accounts,
        unreached: Vec::new(),
    }
}

struct Case {
    title: &'static str,
    trigger: Trigger,
    name: &'static str,
    event_id: &'static str,
    outcome: Outcome,
    recovered: Vec<String>,
}

fn render() -> String {
    const EVENT: &str = "c7e2f9a1-0b3d-4e5f-8a6b-9c0d1e2f3a4b";
    let case = |title, trigger, name, outcome| Case {
        title,
        trigger,
        name,
        event_id: EVENT,
        outcome,
        recovered: Vec::new(),
    };
    let mut cases = vec![
        case(
            "Trusted access enabled with Organizations tools",
            Trigger::TrustedAccess {
                principal: MARKETPLACE_PRINCIPAL.into(),
                enabled: true,
                origin: person(),
            },
            "EnableAWSServiceAccess",
            outcome(true, Action::Create),
        ),
        case(
            "Trusted access enabled by AWS Marketplace",
            Trigger::TrustedAccess {
                principal: MARKETPLACE_PRINCIPAL.into(),
                enabled: true,
                origin: marketplace(),
            },
            "EnableAWSServiceAccess",
            outcome(true, Action::Create),
        ),
        case(
            "Trusted access disabled with Organizations tools",
            Trigger::TrustedAccess {
                principal: MARKETPLACE_PRINCIPAL.into(),
                enabled: false,
                origin: person(),
            },
            "DisableAWSServiceAccess",
            outcome(false, Action::Keep),
        ),
        case(
            "Trusted access disabled by AWS Marketplace",
            Trigger::TrustedAccess {
                principal: MARKETPLACE_PRINCIPAL.into(),
                enabled: false,
                origin: marketplace(),
            },
            "DisableAWSServiceAccess",
            outcome(false, Action::Keep),
        ),
    ];
    cases.push(Case {
        title: "An account was removed",
        trigger: Trigger::AccountDeparted {
            account_id: "210987654321".into(),
            method: DepartureMethod::Removed,
            origin: person(),
        },
        name: "RemoveAccountFromOrganization",
        event_id: "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
        outcome: departed("210987654321"),
        recovered: Vec::new(),
    });
    let organizations = Origin {
        actor: "AWS Internal".into(),
        service: None,
        event_time: Some("2026-06-12T09:14:03Z".into()),
        source_ip: None,
        user_agent: None,
    };
    cases.push(Case {
        title: "An account joined",
        trigger: Trigger::AccountJoined {
            account_id: "444455556666".into(),
            method: Some(JoinedMethod::Created),
            origin: organizations,
        },
        name: "CreateAccountResult",
        event_id: "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
        outcome: Outcome {
            trusted_access: true,
            accounts: vec![account(
                "444455556666",
                Action::Create,
                ActionResult::Done,
                Membership::Active,
                None,
            )],
            unreached: Vec::new(),
        },
        recovered: Vec::new(),
    });
    let mut drift = outcome(true, Action::Keep);
    drift.accounts[2] = account(
        "210987654321",
        Action::Create,
        ActionResult::Done,
        Membership::Active,
        None,
    );
    cases.push(case(
        "A sweep corrected drift",
        Trigger::Sweep,
        "schedule",
        drift,
    ));
    let mut failed = outcome(true, Action::Keep);
    failed.accounts[3] = AccountResult {
        role: RoleState::Unknown,
        ..account(
            "444455556666",
            Action::Keep,
            ActionResult::Failed,
            Membership::Active,
            Some(Failure {
                step: Step::AssumeRole,
                error: AwsError::new(
                    "AccessDenied",
                    "User: arn:aws:sts::123456789012:assumed-role/marketplace-trusted-access-reconciler/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444455556666:role/MarketplaceTrustedAccessReconciler",
                ),
            }),
        )
    };
    cases.push(case(
        "A sweep could not reconcile an account",
        Trigger::Sweep,
        "schedule",
        failed,
    ));
    cases.push(case(
        "The member role could not be deployed to a new account",
        Trigger::MemberRoleDeployed {
            account_id: Some("555566667777".into()),
            stack_set: None,
            succeeded: false,
            reason: Some(
                "ResourceLogicalId:MemberRole, ResourceType:AWS::IAM::Role, ResourceStatusReason:User: \
                 arn:aws:sts::555566667777:assumed-role/stacksets-exec-2f1e/1718453101234 is not authorized \
                 to perform: iam:CreateRole with an explicit deny in a service control policy."
                    .into(),
            ),
        },
        "StackSetInstanceStatusChange",
        Outcome {
            trusted_access: true,
            accounts: vec![AccountResult {
                role: RoleState::Unknown,
                ..account(
                    "555566667777",
                    Action::Keep,
                    ActionResult::Failed,
                    Membership::Active,
                    Some(Failure {
                        step: Step::AssumeRole,
                        error: AwsError::new("AccessDenied", "not authorized to perform sts:AssumeRole"),
                    }),
                )
            }],
            unreached: Vec::new(),
        },
    ));
    cases.push(case(
        "The member-role StackSet failed before its stack was named",
        Trigger::MemberRoleDeployed {
            account_id: None,
            stack_set: Some(
                "arn:aws:cloudformation:us-east-1:123456789012:stackset/marketplace-trusted-access-member-role:5f2b9c1e-8d4a-4e6b-9a3c-1d2e3f4a5b6c"
                    .into(),
            ),
            succeeded: false,
            reason: Some(
                "Account 666677778888 should have 'AWSCloudFormationStackSetExecutionRole' role with \
                 trust relationship to Role 'AWSCloudFormationStackSetAdministrationRole'."
                    .into(),
            ),
        },
        "StackSetInstanceStatusChange",
        Outcome {
            trusted_access: true,
            accounts: Vec::new(),
            unreached: Vec::new(),
        },
    ));
    cases.push(Case {
        title: "A closed account was removed for good",
        trigger: Trigger::AccountDeparted {
            account_id: "777788889999".into(),
            method: DepartureMethod::parse("CLEANED"),
            origin: Origin {
                actor: "organizations.amazonaws.com".into(),
                service: Some("organizations.amazonaws.com".into()),
                event_time: Some("2026-09-14T03:12:40Z".into()),
                source_ip: Some("organizations.amazonaws.com".into()),
                user_agent: Some("organizations.amazonaws.com".into()),
            },
        },
        name: "AccountDepartedOrganization",
        event_id: "7b8c9d0e-1f2a-4b3c-9d4e-5f6a7b8c9d0e",
        outcome: departed("777788889999"),
        recovered: Vec::new(),
    });
    cases.push(Case {
        recovered: vec!["444455556666".into()],
        ..case(
            "Accounts a sweep could not reconcile are reconciled again",
            Trigger::Sweep,
            "schedule",
            outcome(true, Action::Keep),
        )
    });
    let organization = OrgIdentity {
        organization_id: "o-exampleorgid".into(),
        management_account_id: "123456789012".into(),
    };

    let mut out = String::from(
        "# Notifications, as sent\n\n\
         Every message the function sends, rendered by `src/messages/` for a six-account example \
         organization, and after each situation the chat copy of its first message, as the chat \
         topic carries it. Generated by `tests/it/notifications_doc.rs`; do not edit \
         by hand (`UPDATE_DOCS=1 cargo test --test it notifications_doc` rewrites it).\n",
    );
    for c in &cases {
        let _ = write!(out, "\n## {}\n", c.title);
        let context = Context {
            about: About {
                trigger: &c.trigger,
                trigger_name: c.name,
                event_id: Some(c.event_id),
                organization: &organization,
                agreed: None,
                outside_intent: false,
            },
            outcome: &c.outcome,
            dry_run: false,
            policy: Policy {
                on_disable: Removal::Retain,
                on_departure: Removal::Retain,
            },
            continuing: false,
            failures_told: false,
            recovered: &c.recovered,
        };
        let messages = compose(context);
        for m in &messages {
            write_message(&mut out, m);
        }
        write_chat(&mut out, &messages, c.name, c.event_id, &c.trigger);
    }
    guardian_cases(&mut out, &organization);
    handoff_cases(&mut out, &organization);
    out
}

/// The hand-offs of the ledger: the mark on the message that opens an item, the request `mta`
/// opens, a reminder, an item done, one made moot, and a disable agreed beforehand.
fn handoff_cases(out: &mut String, organization: &OrgIdentity) {
    const OPENED_AT: u64 = 1_796_112_000; // 2026-12-01T08:00:00Z
    let enable = Trigger::TrustedAccess {
        principal: MARKETPLACE_PRINCIPAL.into(),
        enabled: true,
        origin: person(),
    };
    let about = |trigger| About {
        trigger,
        trigger_name: "EnableAWSServiceAccess",
        event_id: Some("c7e2f9a1-0b3d-4e5f-8a6b-9c0d1e2f3a4b"),
        organization,
        agreed: None,
        outside_intent: false,
    };
    let policy = Policy {
        on_disable: Removal::Retain,
        on_departure: Removal::Retain,
    };
    let cx = |about, outcome| Context {
        about,
        outcome,
        dry_run: false,
        policy,
        continuing: false,
        failures_told: false,
        recovered: &[],
    };
    let enabled = outcome(true, Action::Create);
    let mut messages = compose(cx(about(&enable), &enabled));
    let key = "c7e2f9a1-0b3d-4e5f-8a6b-9c0d1e2f3a4b";
    let opened = ledger::open(&mut messages, about(&enable), Some(key), true, OPENED_AT);
    let setup = opened[0].clone();
    let _ = write!(
        out,
        "\n## A hand-off followed: the enable's message names its item\n"
    );
    for m in messages.iter().filter(|m| m.handoff.is_some()) {
        write_message(out, m);
    }
    write_chat(out, &messages, "EnableAWSServiceAccess", key, &enable);

    let request = Handoff {
        id: id_for(
            "mta#example",
            Situation::DisableRequest,
            MARKETPLACE_PRINCIPAL,
        ),
        situation: Situation::DisableRequest,
        audience: Audience::MarketplaceAdmin,
        ask: ask(Situation::DisableRequest, MARKETPLACE_PRINCIPAL),
        opened_by:
            "`mta handoffs request-disable`, run by arn:aws:iam::123456789012:user/diego.ramirez"
                .into(),
        last_told_at: 0,
        ..setup.clone()
    };
    let done = |item: &Handoff, note: &str| Handoff {
        status: Status::Done,
        done_by: Some("arn:aws:sts::123456789012:assumed-role/MarketplaceAdmin/priya.shah".into()),
        done_at: Some(OPENED_AT + 3 * 3600),
        note: Some(note.into()),
        ..item.clone()
    };
    let mut moot = setup.clone();
    moot.close(
        "trusted access was disabled before the set-up was finished",
        "9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a",
        OPENED_AT + 600,
    );
    let confirmed = done(&request, "integration disabled; shared licenses removed");
    let cases = [
        (
            "A disable requested with `mta handoffs request-disable`",
            requested(&request),
        ),
        (
            "A hand-off still open after `REMIND_AFTER`",
            reminder(&setup, OPENED_AT + 25 * 3600),
        ),
        (
            "A hand-off said done with `mta handoffs done`",
            ended(&done(
                &setup,
                "integration created in the Marketplace console",
            )),
        ),
        ("A hand-off made moot", ended(&moot)),
    ];
    for (title, m) in cases {
        let _ = write!(out, "\n## {title}\n");
        write_message(out, &m);
        write_chat(
            out,
            std::slice::from_ref(&m),
            "handoff",
            &m.handoff.clone().unwrap(),
            &Trigger::Sweep,
        );
    }

    let disable = Trigger::TrustedAccess {
        principal: MARKETPLACE_PRINCIPAL.into(),
        enabled: false,
        origin: person(),
    };
    let agreed = About {
        trigger_name: "DisableAWSServiceAccess",
        event_id: Some("9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a"),
        agreed: Some(&confirmed),
        ..about(&disable)
    };
    let disabled = outcome(false, Action::Keep);
    let messages = compose(cx(agreed, &disabled));
    let _ = write!(out, "\n## Trusted access disabled as agreed\n");
    for m in &messages {
        write_message(out, m);
    }
    write_chat(
        out,
        &messages,
        "DisableAWSServiceAccess",
        "9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a",
        &disable,
    );
}

fn write_message(out: &mut String, m: &Message) {
    let _ = write!(
        out,
        "\n### To `{}`\n\nAttributes: `audience={}` `event={}` `severity={}` `organization={}` \
         `service={}`\n\nSubject: **{}**\n\n```text\n{}```\n",
        m.audience.as_str(),
        m.audience.as_str(),
        m.event.as_str(),
        m.severity.as_str(),
        m.organization,
        m.service,
        m.subject,
        m.text()
    );
}

/// The chat copy of the first of a situation's `messages`, in the thread the function gives it.
fn write_chat(
    out: &mut String,
    messages: &[Message],
    name: &str,
    event_id: &str,
    trigger: &Trigger,
) {
    let Some(m) = messages.first() else {
        return;
    };
    let intake = Intake {
        name: name.into(),
        event_id: Some(event_id.into()),
        recorded_in: None,
        kind: Kind::Handle(trigger.clone()),
    };
    // An account the function never saw join: its episode is the account alone.
    let key = outbox_key(&intake, trigger, None);
    let payload: serde_json::Value =
        serde_json::from_str(&chat_payload(m, &thread(m, key.as_deref()))).unwrap();
    let _ = write!(
        out,
        "\n### Chat copy of the message to `{}`\n\n```json\n{}\n```\n",
        m.audience.as_str(),
        serde_json::to_string_pretty(&payload).unwrap()
    );
}

/// The messages about services other than AWS Marketplace: observed, never changed.
fn guardian_cases(out: &mut String, organization: &OrgIdentity) {
    const GUARDIAN_EVENT: &str = "d8e9f0a1-b2c3-4d4e-9f5a-6b7c8d9e0f1a";
    let by_service = |principal: &str| Origin {
        actor: principal.into(),
        service: Some(principal.into()),
        event_time: Some("2026-06-11T08:02:11Z".into()),
        source_ip: Some(principal.into()),
        user_agent: Some(principal.into()),
    };
    let changes = [
        (
            "Trusted access for IAM Identity Center disabled with Organizations tools",
            "DisableAWSServiceAccess",
            Trigger::TrustedAccess {
                principal: "sso.amazonaws.com".into(),
                enabled: false,
                origin: person(),
            },
        ),
        (
            "Trusted access for AWS Config enabled with Organizations tools",
            "EnableAWSServiceAccess",
            Trigger::TrustedAccess {
                principal: "config.amazonaws.com".into(),
                enabled: true,
                origin: person(),
            },
        ),
        (
            "Trusted access for Amazon GuardDuty enabled by the service itself",
            "EnableAWSServiceAccess",
            Trigger::TrustedAccess {
                principal: "guardduty.amazonaws.com".into(),
                enabled: true,
                origin: by_service("guardduty.amazonaws.com"),
            },
        ),
        (
            "Trusted access for a service the catalog does not know, disabled",
            "DisableAWSServiceAccess",
            Trigger::TrustedAccess {
                principal: "newservice.amazonaws.com".into(),
                enabled: false,
                origin: person(),
            },
        ),
        (
            "A delegated administrator registered for GuardDuty",
            "RegisterDelegatedAdministrator",
            Trigger::DelegatedAdmin {
                principal: "guardduty.amazonaws.com".into(),
                account_id: "210987654321".into(),
                registered: true,
                origin: person(),
            },
        ),
    ];
    let outside = (
        "A delegated administrator registered outside EXPECTED_DELEGATED_ADMINS",
        "RegisterDelegatedAdministrator",
        Trigger::DelegatedAdmin {
            principal: "securityhub.amazonaws.com".into(),
            account_id: "444455556666".into(),
            registered: true,
            origin: person(),
        },
    );
    let put = (
        "The delegation policy put",
        "PutResourcePolicy",
        Trigger::DelegationPolicy {
            principal: "organizations.amazonaws.com".into(),
            deleted: false,
            origin: person(),
        },
    );
    let deleted = (
        "The delegation policy deleted",
        "DeleteResourcePolicy",
        Trigger::DelegationPolicy {
            principal: "organizations.amazonaws.com".into(),
            deleted: true,
            origin: person(),
        },
    );
    let changes = changes.iter().map(|change| (change, false)).chain([
        (&outside, true),
        (&put, false),
        (&deleted, false),
    ]);
    for ((title, name, trigger), outside_intent) in changes {
        let _ = write!(out, "\n## {title}\n");
        let observed = About {
            trigger,
            trigger_name: name,
            event_id: Some(GUARDIAN_EVENT),
            organization,
            agreed: None,
            outside_intent,
        };
        // The policy in force after a put, as DescribeResourcePolicy would give it.
        let policy = matches!(trigger, Trigger::DelegationPolicy { deleted: false, .. })
            .then(|| DelegationPolicy::read(&example_delegation_policy()));
        let observation = Observation {
            principal: trigger
                .observed()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            trusted_access: None,
            holds: true,
            policy,
        };
        let messages = compose_observed(observed, &observation);
        for m in &messages {
            write_message(out, m);
        }
        write_chat(out, &messages, name, GUARDIAN_EVENT, trigger);
    }
    const SWEEP_EVENT: &str = "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa";
    let sweep = Trigger::Sweep;
    let observed = About {
        trigger: &sweep,
        trigger_name: "schedule",
        event_id: Some(SWEEP_EVENT),
        organization,
        agreed: None,
        outside_intent: false,
    };
    for (title, principal, drift) in [
        (
            "A service enabled that EXPECTED_SERVICES does not name",
            "config.amazonaws.com",
            Some(Drift::Unexpected),
        ),
        (
            "A service EXPECTED_SERVICES names, not enabled",
            "cloudtrail.amazonaws.com",
            Some(Drift::Missing),
        ),
        (
            "Trusted access as expected again",
            "config.amazonaws.com",
            None,
        ),
    ] {
        let _ = write!(out, "\n## {title}\n");
        let message = drift_message(observed, principal, drift);
        write_message(out, &message);
        write_chat(out, &[message], "schedule", SWEEP_EVENT, &sweep);
    }
    for (title, subject, drift) in [
        (
            "A delegated administrator EXPECTED_DELEGATED_ADMINS does not name",
            "securityhub.amazonaws.com=444455556666",
            Some(Drift::Unexpected),
        ),
        (
            "A delegated administrator EXPECTED_DELEGATED_ADMINS names, missing",
            "guardduty.amazonaws.com=111122223333",
            Some(Drift::Missing),
        ),
        (
            "A delegated administrator as expected again",
            "securityhub.amazonaws.com=444455556666",
            None,
        ),
    ] {
        let _ = write!(out, "\n## {title}\n");
        let message = admin_drift_message(observed, subject, drift);
        write_message(out, &message);
        write_chat(out, &[message], "schedule", SWEEP_EVENT, &sweep);
    }
}

#[test]
fn the_committed_examples_are_what_the_code_renders() {
    let rendered = render();
    crate::common::assert_generated("docs/notifications.md", &rendered, "notifications_doc");
    for situation in [
        "marketplace-admin",
        "organizations-admin",
        "account-admin",
        "service-admin",
    ] {
        assert!(
            rendered.contains(&format!("### To `{situation}`")),
            "{situation}"
        );
    }
}

#[test]
fn every_situation_shows_one_chat_copy_a_custom_notification() {
    let rendered = render();
    let situations = rendered.matches("\n## ").count();
    let chat: Vec<&str> = rendered
        .split("```json\n")
        .skip(1)
        .map(|block| block.split_once("\n```").unwrap().0)
        .collect();
    assert_eq!(chat.len(), situations);
    assert_eq!(rendered.matches("\n### Chat copy").count(), situations);
    for payload in chat {
        crate::chat::custom_notification(payload);
    }
}

/// A delegation policy of two statements: AWS's example of delegating the policy reads to one
/// account, and a wider one with a wildcard and a `NotResource`.
fn example_delegation_policy() -> PolicyDocument {
    let content = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DelegatingNecessaryDescribeListActions",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": ["organizations:DescribeOrganization", "organizations:ListRoots"],
                "Resource": "*"
            },
            {
                "Sid": "DelegatingPolicyManagement",
                "Effect": "Allow",
                "Principal": {"AWS": ["444455556666"]},
                "Action": "organizations:*Policy",
                "NotResource": "arn:aws:organizations::123456789012:policy/o-exampleorgid/service_control_policy/p-FullAWSAccess"
            }
        ]
    });
    PolicyDocument {
        id: Some("rp-example1".into()),
        arn: None,
        content: content.to_string(),
    }
}
