//! Every file in `events/` parses into the trigger it stands for, and no mutation of any of them
//! makes the parser panic.

use marketplace_trusted_access::intake::{JoinedMethod, Kind, MadeBy, Trigger, parse};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn load(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("events")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
}

/// What each sample must become: a handled trigger, checked by a predicate, or an ignore reason.
enum Expect {
    Handle(fn(&Trigger) -> bool),
    Ignore(&'static str),
}

fn expectations() -> Vec<(&'static str, &'static str, Expect)> {
    use Expect::*;
    fn enabled_by(t: &Trigger, enabled: bool, marketplace: bool) -> bool {
        matches!(t, Trigger::TrustedAccess { principal, enabled: e, origin } if principal == crate::common::MARKETPLACE_PRINCIPAL && *e == enabled && origin.is_service(crate::common::MARKETPLACE_PRINCIPAL) == marketplace)
    }
    fn departed(t: &Trigger, id: &str, method: &str) -> bool {
        matches!(t, Trigger::AccountDeparted { account_id, method: m, .. } if account_id == id && m.to_string() == method)
    }
    fn observed(t: &Trigger, service: &str, on: bool) -> bool {
        matches!(t, Trigger::TrustedAccess { principal, enabled, origin } if principal == service && t.observed().is_some() && *enabled == on && !origin.is_service(service))
    }
    fn joined(t: &Trigger, id: &str) -> bool {
        matches!(t, Trigger::AccountJoined { account_id, .. } if account_id == id)
    }
    vec![
        (
            "enable-by-cli-iamuser.json",
            "EnableAWSServiceAccess",
            Handle(|t| enabled_by(t, true, false)),
        ),
        (
            "enable-by-console-assumedrole.json",
            "EnableAWSServiceAccess",
            Handle(|t| enabled_by(t, true, false)),
        ),
        (
            "enable-by-marketplace.json",
            "EnableAWSServiceAccess",
            Handle(|t| enabled_by(t, true, true)),
        ),
        (
            "disable-by-cli.json",
            "DisableAWSServiceAccess",
            Handle(|t| enabled_by(t, false, false)),
        ),
        (
            "disable-by-marketplace.json",
            "DisableAWSServiceAccess",
            Handle(|t| enabled_by(t, false, true)),
        ),
        (
            "remove-account.json",
            "RemoveAccountFromOrganization",
            Handle(|t| departed(t, "210987654321", "Removed")),
        ),
        (
            "account-departed-service-event.json",
            "AccountDepartedOrganization",
            Handle(|t| departed(t, "333344445555", "Left")),
        ),
        (
            "account-departed-api-call.json",
            "AccountDepartedOrganization",
            Handle(|t| departed(t, "210987654321", "Removed")),
        ),
        (
            "account-joined.json",
            "AccountJoinedOrganization",
            Handle(|t| joined(t, "555566667777")),
        ),
        (
            "create-account-result.json",
            "CreateAccountResult",
            Handle(|t| joined(t, "444455556666")),
        ),
        (
            "accept-handshake.json",
            "AcceptHandshake",
            Handle(|t| joined(t, "555566667777")),
        ),
        (
            "scheduled.json",
            "schedule",
            Handle(|t| *t == Trigger::Sweep),
        ),
        (
            "stackset-instance-succeeded.json",
            "StackSetInstanceStatusChange",
            Handle(
                |t| matches!(t, Trigger::MemberRoleDeployed { account_id: Some(id), succeeded: true, .. } if id == "210987654321"),
            ),
        ),
        (
            "stackset-instance-failed.json",
            "StackSetInstanceStatusChange",
            Handle(
                |t| matches!(t, Trigger::MemberRoleDeployed { account_id: Some(id), succeeded: false, reason: Some(r), .. } if id == "555566667777" && r.contains("service control policy")),
            ),
        ),
        (
            "stackset-instance-succeeded-documented.json",
            "StackSetInstanceStatusChange",
            Handle(
                |t| matches!(t, Trigger::MemberRoleDeployed { account_id: Some(id), succeeded: true, .. } if id == "444455556666"),
            ),
        ),
        (
            "stackset-instance-failed-no-stack.json",
            "StackSetInstanceStatusChange",
            Handle(
                |t| matches!(t, Trigger::MemberRoleDeployed { account_id: None, succeeded: false, reason: Some(r), stack_set: Some(arn) } if r.contains("AWSCloudFormationStackSetExecutionRole") && arn.contains("stackset/marketplace-trusted-access-member-role")),
            ),
        ),
        (
            "ignored-stackset-instance-skipped.json",
            "StackSetInstanceStatusChange",
            Ignore("SKIPPED_SUSPENDED_ACCOUNT calls for nothing"),
        ),
        (
            "account-closed-cleaned.json",
            "AccountDepartedOrganization",
            Handle(|t| departed(t, "777788889999", "Closed")),
        ),
        (
            "account-joined-invited.json",
            "AccountJoinedOrganization",
            Handle(
                |t| matches!(t, Trigger::AccountJoined { account_id, method: Some(JoinedMethod::Invited), .. } if account_id == "888899990000"),
            ),
        ),
        (
            "command-reconcile.json",
            "command",
            Handle(|t| {
                *t == Trigger::Command {
                    dry_run: false,
                    accounts: None,
                }
            }),
        ),
        (
            "command-dry-run.json",
            "command",
            Handle(
                |t| matches!(t, Trigger::Command { dry_run: true, accounts: Some(a) } if a.len() == 2),
            ),
        ),
        // Recorded in another account: parsed, then ignored by the handler once it knows the
        // management account (tested against the emulator).
        (
            "ignored-other-account.json",
            "EnableAWSServiceAccess",
            Handle(|t| enabled_by(t, true, false)),
        ),
        (
            "create-account-failed.json",
            "CreateAccountResult",
            Ignore("did not succeed"),
        ),
        (
            "ignored-failed-call.json",
            "EnableAWSServiceAccess",
            Ignore("the API call failed (AccessDeniedException"),
        ),
        (
            "guardian-enable-config-by-cli.json",
            "EnableAWSServiceAccess",
            Handle(|t| observed(t, "config.amazonaws.com", true)),
        ),
        (
            "guardian-enable-guardduty-by-cli.json",
            "EnableAWSServiceAccess",
            Handle(|t| observed(t, "guardduty.amazonaws.com", true)),
        ),
        (
            "guardian-disable-sso-by-cli.json",
            "DisableAWSServiceAccess",
            Handle(|t| observed(t, "sso.amazonaws.com", false)),
        ),
        (
            "guardian-disable-sso-by-controltower.json",
            "DisableAWSServiceAccess",
            Handle(|t| {
                matches!(t, Trigger::TrustedAccess { principal, enabled: false, origin }
                    if principal == "sso.amazonaws.com"
                        && origin.made_by(principal)
                            == MadeBy::AnotherService("controltower.amazonaws.com"))
            }),
        ),
        (
            "guardian-disable-cloudtrail-by-cli.json",
            "DisableAWSServiceAccess",
            Handle(|t| observed(t, "cloudtrail.amazonaws.com", false)),
        ),
        (
            "guardian-register-delegated-admin-guardduty.json",
            "RegisterDelegatedAdministrator",
            Handle(
                |t| matches!(t, Trigger::DelegatedAdmin { principal, account_id, registered: true, .. } if principal == "guardduty.amazonaws.com" && account_id == "210987654321"),
            ),
        ),
        (
            "guardian-put-delegation-policy.json",
            "PutResourcePolicy",
            Handle(
                |t| matches!(t, Trigger::DelegationPolicy { principal, deleted: false, .. } if principal == "organizations.amazonaws.com"),
            ),
        ),
        (
            "guardian-delete-delegation-policy.json",
            "DeleteResourcePolicy",
            Handle(|t| matches!(t, Trigger::DelegationPolicy { deleted: true, .. })),
        ),
        (
            "ignored-unhandled-event.json",
            "CreateOrganizationalUnit",
            Ignore("is not handled"),
        ),
    ]
}

fn sample_files() -> BTreeSet<String> {
    std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("events"))
        .expect("events/ exists")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect()
}

#[test]
fn every_sample_event_parses_into_its_trigger() {
    let table = expectations();
    let listed: BTreeSet<String> = table.iter().map(|(f, _, _)| f.to_string()).collect();
    assert_eq!(
        listed,
        sample_files(),
        "every file in events/ has an expectation here"
    );
    for (file, name, expect) in table {
        let intake = parse(&load(file));
        assert_eq!(intake.name, name, "{file}");
        match (expect, intake.kind) {
            (Expect::Handle(ok), Kind::Handle(t)) => assert!(ok(&t), "{file}: {t:?}"),
            (Expect::Ignore(why), Kind::Ignore(reason)) => {
                assert!(reason.contains(why), "{file}: {reason}")
            }
            (_, kind) => panic!("{file}: unexpected {kind:?}"),
        }
    }
}

#[test]
fn cloudtrail_samples_carry_their_event_id_and_recording_account() {
    for file in sample_files()
        .iter()
        .filter(|f| !f.starts_with("command") && *f != "scheduled.json")
    {
        let intake = parse(&load(file));
        assert!(intake.event_id.is_some(), "{file}");
        let expected = if file == "ignored-other-account.json" {
            "999988887777"
        } else {
            "123456789012"
        };
        assert_eq!(intake.recorded_in.as_deref(), Some(expected), "{file}");
    }
}

/// Every variant of every sample with one value replaced by another JSON type, or removed.
fn mutations(value: &Value) -> Vec<Value> {
    let replacements = [
        Value::Null,
        Value::from(0),
        Value::from(""),
        Value::Array(vec![]),
        serde_json::json!({}),
    ];
    let mut out = Vec::new();
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                for r in &replacements {
                    let mut m = map.clone();
                    m.insert(key.clone(), r.clone());
                    out.push(Value::Object(m));
                }
                let mut removed = map.clone();
                removed.remove(key);
                out.push(Value::Object(removed));
                for mutated in mutations(child) {
                    let mut m = map.clone();
                    m.insert(key.clone(), mutated);
                    out.push(Value::Object(m));
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                for mutated in mutations(child) {
                    let mut v = items.clone();
                    v[i] = mutated;
                    out.push(Value::Array(v));
                }
            }
        }
        _ => {}
    }
    out
}

#[test]
fn no_mutation_of_any_sample_panics_the_parser() {
    let mut parsed = 0;
    for file in sample_files() {
        for variant in mutations(&load(&file)) {
            let intake = parse(&variant);
            assert!(!intake.name.is_empty());
            parsed += 1;
        }
    }
    assert!(parsed > 4_000, "only {parsed} variants");
}
