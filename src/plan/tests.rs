//! The plan as a table: for each trigger, what was found and what the state table held, the plan
//! expected, in milliseconds and without a port.

use super::*;
use crate::config::{Removal, parse_expected_admins};
use crate::decision::{Action, Membership};
use crate::drift::ServicesRead;
use crate::handoff::{Situation, Status};
use crate::intake::Kind;
use crate::outcome::{AccountResult, ActionResult};
use crate::ports::EnabledService;
use crate::ports::{DelegatedAdmin, DriftSet};
use crate::service::MARKETPLACE;
use serde_json::Value;

const NOW: u64 = 1_800_000_000;
const DAY: Duration = Duration::from_secs(86_400);

fn sample(name: &str) -> Value {
    let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("sample")).expect("JSON")
}

fn organization() -> OrgIdentity {
    OrgIdentity {
        organization_id: "o-exampleorgid".into(),
        management_account_id: "123456789012".into(),
    }
}

fn account(id: &str, result: ActionResult) -> AccountResult {
    AccountResult::example(id, result)
}

fn outcome(trusted_access: bool, accounts: &[(&str, ActionResult)]) -> Outcome {
    Outcome {
        trusted_access,
        accounts: accounts.iter().map(|(id, r)| account(id, *r)).collect(),
        unreached: Vec::new(),
    }
}

fn item(situation: Situation, service: &str, last_told_at: u64) -> Handoff {
    Handoff {
        last_told_at,
        ..Handoff::opened(situation, "earlier-event", service, NOW - 10 * 86_400)
    }
}

/// A plan, in the few words a table compares.
#[derive(Debug, PartialEq, Eq)]
struct Summary {
    key: Option<String>,
    /// Audience and event of each message; `+` when it names an item of the ledger (the one it
    /// opened, or the request that makes a disable agreed).
    messages: Vec<String>,
    /// Situation and status of each item to save.
    ledger: Vec<(Situation, Status)>,
    /// How many failing accounts and differences to remember, if any.
    failures: Option<usize>,
    drift: Option<usize>,
    admin_drift: Option<usize>,
    joined: Option<u64>,
    /// The follow-ups' outbox keys, without the item's id.
    follow_ups: Vec<String>,
}

fn summary(plan: &Plan) -> Summary {
    Summary {
        key: plan.key.clone(),
        messages: plan
            .messages
            .iter()
            .map(|m| {
                let mark = if m.handoff.is_some() { "+" } else { "" };
                format!("{} {}{mark}", m.audience.as_str(), m.event.as_str())
            })
            .collect(),
        ledger: plan
            .ledger
            .iter()
            .map(|i| (i.situation, i.status))
            .collect(),
        failures: plan.failures.as_ref().map(|f| f.accounts.len()),
        drift: plan.drift.as_ref().map(|d| d.principals.len()),
        admin_drift: plan.admin_drift.as_ref().map(|d| d.principals.len()),
        joined: plan.joined.as_ref().map(|(_, at)| *at),
        follow_ups: plan
            .follow_ups
            .iter()
            .map(|f| f.key.split('#').skip(2).collect::<Vec<_>>().join("#"))
            .collect(),
    }
}

/// One row: an event sample, what was found, what the table held; the plan it calls for.
struct Row {
    name: &'static str,
    event: &'static str,
    found: Finding,
    snapshot: Snapshot,
    expected: Option<&'static [&'static str]>,
    /// `EXPECTED_DELEGATED_ADMINS`, as the variable says it.
    admins: Option<&'static str>,
    want: Summary,
}

enum Finding {
    Reconciled(Outcome),
    Observed(bool),
}

fn messages(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn with_ledger(items: Vec<Handoff>) -> Snapshot {
    Snapshot {
        handoffs: Some(items),
        ..Snapshot::default()
    }
}

fn nothing() -> Summary {
    Summary {
        key: None,
        messages: Vec::new(),
        ledger: Vec::new(),
        failures: None,
        drift: None,
        admin_drift: None,
        joined: None,
        follow_ups: Vec::new(),
    }
}

fn rows() -> Vec<Row> {
    let done = outcome(true, &[("111111111111", ActionResult::Done)]);
    let failing = outcome(true, &[("111111111111", ActionResult::Failed)]);
    let marketplace = MARKETPLACE.principal;
    let mut confirmed = item(Situation::DisableRequest, marketplace, NOW - 86_400);
    confirmed.status = Status::Done;
    // A sweep's outbox is its event's id, as for every event.
    let sweep_key: Option<String> = None;
    let departed = Outcome {
        accounts: vec![AccountResult {
            membership: Membership::Departed,
            state: None,
            action: Action::Keep,
            ..account("210987654321", ActionResult::Done)
        }],
        ..outcome(true, &[])
    };
    let mut drift_read = ServicesRead {
        enabled: EnabledService::each(&[marketplace, "config.amazonaws.com"]),
        ..ServicesRead::default()
    };
    drift_read.admins = Vec::new();
    vec![
        Row {
            name: "an enable by a person opens a set-up, and its message says so",
            event: "enable-by-cli-iamuser.json",
            found: Finding::Reconciled(done.clone()),
            snapshot: with_ledger(Vec::new()),
            expected: None,
            admins: None,
            want: Summary {
                messages: messages(&["marketplace-admin trusted-access-enabled+"]),
                ledger: vec![(Situation::Setup, Status::Open)],
                ..nothing()
            },
        },
        Row {
            name: "without a ledger nothing is opened, and no message says it is followed",
            event: "enable-by-cli-iamuser.json",
            found: Finding::Reconciled(done.clone()),
            snapshot: Snapshot::default(),
            expected: None,
            admins: None,
            want: Summary {
                messages: messages(&["marketplace-admin trusted-access-enabled"]),
                ..nothing()
            },
        },
        Row {
            name: "an enable the event claims but Organizations denies opens nothing",
            event: "enable-by-cli-iamuser.json",
            found: Finding::Reconciled(outcome(false, &[])),
            snapshot: with_ledger(Vec::new()),
            expected: None,
            admins: None,
            want: nothing(),
        },
        Row {
            name: "a disable by a person closes the open set-up, told at once, and opens a clean-up",
            event: "disable-by-cli.json",
            found: Finding::Reconciled(outcome(false, &[])),
            snapshot: with_ledger(vec![item(Situation::Setup, marketplace, NOW)]),
            expected: None,
            admins: None,
            want: Summary {
                messages: messages(&[
                    "marketplace-admin trusted-access-disabled+",
                    "organizations-admin trusted-access-disabled",
                ]),
                ledger: vec![
                    (Situation::Setup, Status::Closed),
                    (Situation::CleanUp, Status::Open),
                ],
                follow_ups: vec!["ended".into()],
                ..nothing()
            },
        },
        Row {
            name: "a disable a person confirmed is agreed: its request closes, no clean-up opens",
            event: "disable-by-cli.json",
            found: Finding::Reconciled(outcome(false, &[])),
            snapshot: with_ledger(vec![confirmed]),
            expected: None,
            admins: None,
            want: Summary {
                messages: messages(&[
                    "organizations-admin trusted-access-disabled+",
                    "marketplace-admin trusted-access-disabled+",
                ]),
                ledger: vec![(Situation::DisableRequest, Status::Closed)],
                ..nothing()
            },
        },
        Row {
            name: "a sweep tells new failures and remembers them",
            event: "scheduled.json",
            found: Finding::Reconciled(failing.clone()),
            snapshot: Snapshot {
                failures: Some(FailureSet::default()),
                ..with_ledger(Vec::new())
            },
            expected: None,
            admins: None,
            want: Summary {
                key: sweep_key.clone(),
                messages: messages(&["organizations-admin reconcile-failed"]),
                failures: Some(1),
                ..nothing()
            },
        },
        Row {
            name: "a sweep is quiet about failures told within REMIND_AFTER",
            event: "scheduled.json",
            found: Finding::Reconciled(failing),
            snapshot: Snapshot {
                failures: Some(FailureSet {
                    accounts: [("111111111111".into(), "AssumeRole: AccessDenied".into())].into(),
                    warned_at: NOW - 3_600,
                    version: 1,
                }),
                ..with_ledger(Vec::new())
            },
            expected: None,
            admins: None,
            want: Summary {
                key: sweep_key.clone(),
                ..nothing()
            },
        },
        Row {
            name: "a sweep warns of a service enabled but not expected, and remembers it",
            event: "scheduled.json",
            found: Finding::Reconciled(outcome(true, &[])),
            snapshot: Snapshot {
                services: Some(Ok(drift_read)),
                ..Snapshot::default()
            },
            expected: Some(&[MARKETPLACE.principal]),
            admins: None,
            want: Summary {
                key: sweep_key.clone(),
                messages: messages(&["organizations-admin trusted-access-drift"]),
                drift: Some(1),
                ..nothing()
            },
        },
        Row {
            name: "a sweep reminds of an item open for REMIND_AFTER, and closes one made moot",
            event: "scheduled.json",
            found: Finding::Reconciled(outcome(true, &[])),
            snapshot: Snapshot {
                enabled: Some(EnabledService::each(&[marketplace])),
                ..with_ledger(vec![
                    item(Situation::Setup, marketplace, NOW - 2 * 86_400),
                    item(Situation::Setup, "config.amazonaws.com", NOW - 3_600),
                ])
            },
            expected: None,
            admins: None,
            want: Summary {
                key: sweep_key,
                follow_ups: vec!["reminder#1".into(), "ended".into()],
                ..nothing()
            },
        },
        Row {
            name: "a departure names the membership episode it ends",
            event: "remove-account.json",
            found: Finding::Reconciled(departed),
            snapshot: Snapshot {
                joined: Some(1_700_000_000),
                ..with_ledger(Vec::new())
            },
            expected: None,
            admins: None,
            want: Summary {
                key: Some("departed#210987654321#1700000000".into()),
                messages: messages(&[
                    "organizations-admin account-departed",
                    "account-admin account-departed",
                ]),
                ..nothing()
            },
        },
        Row {
            name: "a join remembers when the account joined",
            event: "account-joined.json",
            found: Finding::Reconciled(done),
            snapshot: Snapshot {
                joined: Some(1_750_000_000),
                ..with_ledger(Vec::new())
            },
            expected: None,
            admins: None,
            want: Summary {
                key: Some("joined#555566667777#1750000000".into()),
                messages: messages(&["organizations-admin account-joined"]),
                joined: Some(1_750_000_000),
                ..nothing()
            },
        },
        Row {
            name: "another service enabled by a person is told to both administrators, and its \
                   console's set-up followed (AWS Config's page leaves a step there)",
            event: "guardian-enable-config-by-cli.json",
            found: Finding::Observed(true),
            snapshot: with_ledger(Vec::new()),
            expected: None,
            admins: None,
            want: Summary {
                messages: messages(&[
                    "organizations-admin trusted-access-enabled",
                    "service-admin trusted-access-enabled+",
                ]),
                ledger: vec![(Situation::Setup, Status::Open)],
                ..nothing()
            },
        },
        Row {
            name: "a sweep warns of an administrator EXPECTED_DELEGATED_ADMINS does not name and \
                   of one it names that is missing, and remembers both",
            event: "scheduled.json",
            found: Finding::Reconciled(outcome(true, &[])),
            snapshot: Snapshot {
                services: Some(Ok(ServicesRead {
                    admins: vec![DelegatedAdmin {
                        account_id: "444455556666".into(),
                        name: String::new(),
                        principals: vec!["sso.amazonaws.com".into()],
                    }],
                    ..ServicesRead::default()
                })),
                ..Snapshot::default()
            },
            expected: None,
            admins: Some("guardduty.amazonaws.com=111122223333"),
            want: Summary {
                messages: messages(&[
                    "organizations-admin delegated-admin-drift",
                    "organizations-admin delegated-admin-drift",
                ]),
                admin_drift: Some(2),
                ..nothing()
            },
        },
        Row {
            name: "a registration outside EXPECTED_DELEGATED_ADMINS is told as it happens and \
                   remembered, so that the next sweep does not repeat it",
            event: "guardian-register-delegated-admin-guardduty.json",
            found: Finding::Observed(true),
            snapshot: Snapshot {
                admins_told: Some(DriftSet::default()),
                ..with_ledger(Vec::new())
            },
            expected: None,
            admins: Some("guardduty.amazonaws.com=111122223333"),
            want: Summary {
                messages: messages(&[
                    "organizations-admin delegated-admin-registered",
                    "service-admin delegated-admin-registered",
                ]),
                admin_drift: Some(1),
                ..nothing()
            },
        },
        Row {
            name: "a delegation policy put that Organizations holds warns the Organizations \
                   administrator only, and opens no hand-off",
            event: "guardian-put-delegation-policy.json",
            found: Finding::Observed(true),
            snapshot: with_ledger(Vec::new()),
            expected: None,
            admins: None,
            want: Summary {
                messages: messages(&["organizations-admin delegation-policy-changed"]),
                ..nothing()
            },
        },
        Row {
            name: "a delegation policy delete that Organizations contradicts (a policy is back) \
                   tells nothing",
            event: "guardian-delete-delegation-policy.json",
            found: Finding::Observed(false),
            snapshot: with_ledger(Vec::new()),
            expected: None,
            admins: None,
            want: nothing(),
        },
        Row {
            name: "another service's change that Organizations contradicts tells nothing",
            event: "guardian-enable-config-by-cli.json",
            found: Finding::Observed(false),
            snapshot: with_ledger(Vec::new()),
            expected: None,
            admins: None,
            want: nothing(),
        },
    ]
}

#[test]
fn each_trigger_plans_what_it_found_calls_for() {
    for row in rows() {
        let payload = sample(row.event);
        let intake = crate::intake::parse(&payload);
        let Kind::Handle(trigger) = &intake.kind else {
            panic!("{}: {} is handled", row.name, row.event);
        };
        let observation;
        let found = match &row.found {
            Finding::Reconciled(outcome) => Found::Reconciled {
                outcome,
                continuing: false,
            },
            Finding::Observed(holds) => {
                observation = Observation {
                    principal: trigger
                        .observed()
                        .map(|p| p.to_string())
                        .unwrap_or_default(),
                    trusted_access: Some(*holds),
                    holds: *holds,
                    policy: None,
                };
                Found::Observed(&observation)
            }
        };
        let admins = row.admins.map(|a| parse_expected_admins(a).expect("valid"));
        let expected: Option<Vec<String>> = row
            .expected
            .map(|e| e.iter().map(|p| p.to_string()).collect());
        let plan = plan(Input {
            intake: &intake,
            trigger,
            dry_run: false,
            organization: &organization(),
            found,
            snapshot: &row.snapshot,
            settings: Settings {
                policy: Policy {
                    on_disable: Removal::Retain,
                    on_departure: Removal::Retain,
                },
                intent: Intent {
                    services: expected.as_deref(),
                    admins: admins.as_ref(),
                },
                remind_after: DAY,
                findings: None,
            },
            now: NOW,
        });
        let mut want = row.want;
        // The key of an event is its id, unless the row says otherwise.
        if want.key.is_none() {
            want.key = intake.event_id.clone();
        }
        assert_eq!(summary(&plan), want, "{}", row.name);
    }
}
