//! Properties that hold for any input: intake returns a trigger or a reason for every payload,
//! configuration returns a value or the error that names its variable for every environment, any
//! delegation policy is read or said unreadable, and every composed message fits SNS. `make fuzz`
//! runs the intake property over a million payloads (docs/benchmarks.md); here each property runs
//! proptest's default number of cases.

use crate::payloads::payload;
use marketplace_trusted_access::config::{Config, Removal};
use marketplace_trusted_access::decision::{Action, Membership, Policy, RoleState};
use marketplace_trusted_access::intake::{
    self, DepartureMethod, JoinedMethod, Kind, Origin, Trigger,
};
use marketplace_trusted_access::message::chat::chat_payload;
use marketplace_trusted_access::messages::{About, Context, MESSAGE_LIMIT, SUBJECT_LIMIT, compose};
use marketplace_trusted_access::outcome::{AccountResult, ActionResult, Failure, Outcome, Step};
use marketplace_trusted_access::ports::{AccountState, AwsError, OrgIdentity};
use marketplace_trusted_access::service::MARKETPLACE;
use proptest::prelude::*;
use proptest::sample::select;
use std::collections::HashMap;

const VARIABLES: &[&str] = &[
    "NOTIFICATION_TOPIC_ARN",
    "CHAT_TOPIC_ARN",
    "MEMBER_ROLE_NAME",
    "ON_DISABLE",
    "ON_DEPARTURE",
    "DRY_RUN",
    "MAX_CONCURRENCY",
    "STATE_TABLE_NAME",
    "CONTINUATION_QUEUE_URL",
    "REMIND_AFTER",
    "EXPECTED_SERVICES",
];

proptest! {
    #[test]
    fn intake_answers_every_payload_with_a_trigger_or_a_reason(payload in payload()) {
        let intake = intake::parse(&payload);
        prop_assert!(!intake.name.is_empty());
        if let Kind::Ignore(reason) = &intake.kind {
            prop_assert!(!reason.is_empty());
        }
        if let Kind::Handle(Trigger::Continuation(request)) = &intake.kind {
            prop_assert!((1..=marketplace_trusted_access::ports::MAX_ATTEMPTS).contains(&request.attempt));
        }
    }

    #[test]
    fn configuration_is_a_value_or_an_error_naming_its_variable(
        vars in prop::collection::hash_map(select(VARIABLES), any::<String>(), 0..6),
        suffixed in ("[0-9]{0,3}", "\\PC{0,2}"),
    ) {
        let mut vars: HashMap<String, String> =
            vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        vars.entry("REMIND_AFTER".into()).or_insert(format!("{}{}", suffixed.0, suffixed.1));
        match Config::from_vars(&vars) {
            Ok(_) => {}
            Err(e) => {
                prop_assert!(VARIABLES.contains(&e.variable));
                prop_assert!(e.to_string().contains(e.variable));
            }
        }
    }

}

proptest! {
    // Outcomes of up to 1,500 accounts: fewer cases, each heavier.
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn every_composed_message_fits_sns(
        trigger in trigger(),
        outcome in outcome(),
        dry_run in any::<bool>(),
        continuing in any::<bool>(),
        told in any::<bool>(),
        recovered in prop::collection::vec("[0-9]{12}", 0..80),
        event_id in "\\PC{0,80}",
    ) {
        let organization = OrgIdentity {
            organization_id: "o-exampleorgid".into(),
            management_account_id: "123456789012".into(),
        };
        let messages = compose(Context {
            about: About {
                trigger: &trigger,
                trigger_name: "generated",
                event_id: Some(&event_id),
                organization: &organization,
                agreed: None,
                outside_intent: false,
            },
            outcome: &outcome,
            dry_run,
            policy: Policy {
                on_disable: Removal::Retain,
                on_departure: Removal::Retain,
            },
            continuing,
            failures_told: told,
            recovered: &recovered,
        });
        for m in &messages {
            prop_assert!(m.subject.chars().count() <= SUBJECT_LIMIT, "{}", m.subject);
            prop_assert!(!m.subject.is_empty());
            prop_assert!(m.subject.len() + m.text().len() <= MESSAGE_LIMIT, "{}", m.text().len());
            // The chat copy, as JSON, fits too.
            let chat = chat_payload(m, &event_id);
            prop_assert!(chat.len() <= MESSAGE_LIMIT, "{}", chat.len());
            prop_assert!(serde_json::from_str::<serde_json::Value>(&chat).is_ok());
        }
    }
}

/// Free text as AWS or a person could put it in a record: any characters, sometimes long.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "\\PC{0,60}",
        1 => "\\PC{0,3000}",
    ]
}

fn origin() -> impl Strategy<Value = Origin> {
    (
        text(),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(text()),
    )
        .prop_map(|(actor, service, event_time, user_agent)| Origin {
            actor,
            service,
            event_time,
            source_ip: None,
            user_agent,
        })
}

fn trigger() -> impl Strategy<Value = Trigger> {
    let account = "[0-9]{12}";
    prop_oneof![
        (
            any::<bool>(),
            origin(),
            select(&[MARKETPLACE.principal, "sso.amazonaws.com"][..])
        )
            .prop_map(|(enabled, origin, principal)| Trigger::TrustedAccess {
                principal: principal.into(),
                enabled,
                origin
            }),
        (account, text(), origin()).prop_map(|(account_id, method, origin)| {
            Trigger::AccountDeparted {
                account_id,
                method: DepartureMethod::parse(&method),
                origin,
            }
        }),
        (account, prop::option::of(text()), origin()).prop_map(|(account_id, method, origin)| {
            Trigger::AccountJoined {
                account_id,
                method: method.map(|m| JoinedMethod::parse(&m)),
                origin,
            }
        }),
        (
            prop::option::of(account),
            any::<bool>(),
            prop::option::of(text()),
            prop::option::of(text())
        )
            .prop_map(|(account_id, succeeded, reason, stack_set)| {
                Trigger::MemberRoleDeployed {
                    succeeded: succeeded && account_id.is_some(),
                    account_id,
                    reason,
                    stack_set,
                }
            }),
        Just(Trigger::Sweep),
    ]
}

fn account_result() -> impl Strategy<Value = AccountResult> {
    (
        "[0-9]{12}",
        select(vec![
            Membership::Management,
            Membership::Active,
            Membership::Inactive,
            Membership::Departed,
            Membership::Outside,
        ]),
        select(vec![
            Action::Create,
            Action::Delete,
            Action::Keep,
            Action::Skip,
        ]),
        select(vec![
            ActionResult::Done,
            ActionResult::Planned,
            ActionResult::Failed,
            ActionResult::Pending,
        ]),
        prop::option::of((select(vec!["Throttling", "AccessDenied", "x"]), text())),
    )
        .prop_map(
            |(account_id, membership, action, result, error)| AccountResult {
                account_id,
                membership,
                state: Some(AccountState::Active),
                role: RoleState::Absent,
                action,
                result,
                kept_on_recheck: false,
                failure: error
                    .filter(|_| result == ActionResult::Failed)
                    .map(|(code, message)| Failure {
                        step: Step::AssumeRole,
                        error: AwsError::new(code, message),
                    }),
            },
        )
}

fn outcome() -> impl Strategy<Value = Outcome> {
    (
        any::<bool>(),
        prop_oneof![
            4 => prop::collection::vec(account_result(), 0..40),
            1 => prop::collection::vec(account_result(), 500..1500),
        ],
        prop::collection::vec("[0-9]{12}", 0..60),
    )
        .prop_map(|(trusted_access, accounts, unreached)| Outcome {
            trusted_access,
            accounts,
            unreached,
        })
}

proptest! {
    /// Whatever DescribeResourcePolicy returns, the policy is read statement by statement or said
    /// unreadable: never a panic, and every statement gets a sentence.
    #[test]
    fn any_delegation_policy_content_is_read_or_said_unreadable(
        statements in prop::collection::vec(crate::payloads::json(), 0..6),
        raw in "\\PC{0,60}",
        as_text in any::<bool>(),
    ) {
        use marketplace_trusted_access::delegation_policy::{DelegationPolicy, PolicyDocument};
        let content = match as_text {
            true => raw,
            false => serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string(),
        };
        // Readable exactly when the content is JSON with a Statement that is a list or an object.
        let readable = serde_json::from_str::<serde_json::Value>(&content)
            .ok()
            .and_then(|v| v.get("Statement").cloned())
            .is_some_and(|s| s.is_array() || s.is_object());
        let policy = DelegationPolicy::read(&PolicyDocument { content, ..PolicyDocument::default() });
        prop_assert_eq!(policy.unreadable.is_none(), readable);
        if !as_text {
            prop_assert_eq!(policy.statements.len(), statements.len());
        }
        for grant in &policy.statements {
            let sentence = grant.sentence();
            prop_assert!(sentence.ends_with('.') && sentence.contains(" may "), "{}", sentence);
        }
    }
}
