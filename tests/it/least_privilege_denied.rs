//! Least privilege, from the other side (the harness is `least_privilege.rs`): each grant taken away
//! makes the run fail with AWS's refusal naming the action, a grant for another service or role is
//! denied, and with the default parameters deletion is denied.

use std::collections::BTreeSet;

use crate::common::policies;
use crate::least_privilege::*;
use marketplace_trusted_access::outcome::ActionResult;
use marketplace_trusted_access::report::ReportOutcome as Outcome;
use serde_json::Value;

/// Which account a mutated policy belongs to.
#[derive(Debug, Clone, Copy)]
enum Holder {
    ExecutionRole,
    /// The member role of the first ACTIVE member.
    FirstMember,
    /// The member role of the departed account.
    Departed,
}

/// Every grant is needed: the same run with one action taken away fails, with AccessDenied naming it.
#[tokio::test]
async fn each_grant_taken_away_makes_the_run_fail_with_access_denied() {
    let stage = Stage::new().await;
    let member = stage.org.active[0].clone();
    let departed = departed_account();

    // The run in which each action is first needed.
    let run_for = |action: &str| match action {
        "organizations:DescribeAccount" => Run::Departure,
        "iam:DeleteServiceLinkedRole" | "iam:GetServiceLinkedRoleDeletionStatus" => Run::Disable,
        // A sweep reads the failure set it told last.
        "sqs:SendMessage" | "dynamodb:GetItem" => Run::CutShort,
        "organizations:ListDelegatedAdministrators"
        | "organizations:ListDelegatedServicesForAccount" => Run::Guardian,
        "organizations:DescribeResourcePolicy" => Run::DelegationPolicy,
        _ => Run::Enable,
    };
    let mut cases: Vec<(Holder, String)> = policies::actions(&stage.function_policies)
        .into_iter()
        .map(|a| (Holder::ExecutionRole, a))
        .collect();
    let member_actions = policies::actions(
        &stage
            .member_policies(&member)
            .into_iter()
            .map(|(_, d)| d)
            .collect::<Vec<_>>(),
    );
    cases.extend(
        member_actions
            .iter()
            .map(|a| (Holder::FirstMember, a.clone())),
    );
    // In a departed account, the role is observed and deleted: those grants are needed there too.
    cases.extend(
        [
            "iam:GetRole",
            "iam:DeleteServiceLinkedRole",
            "iam:GetServiceLinkedRoleDeletionStatus",
        ]
        .map(|a| (Holder::Departed, a.to_owned())),
    );

    let mut unexpected = Vec::new();
    for (holder, action) in cases {
        let kind = match holder {
            Holder::Departed => Run::Departure,
            _ => run_for(&action),
        };
        // GIVEN the organization where the run has work to do, and one grant taken away
        stage.prepare(kind).await;
        let (account, restore) = match holder {
            Holder::ExecutionRole => {
                let reduced: Vec<Value> = stage
                    .function_policies
                    .iter()
                    .map(|d| policies::without_action(d, &action))
                    .collect();
                stage.set_function_policies(&reduced).await;
                (stage.org.management.clone(), None)
            }
            Holder::FirstMember | Holder::Departed => {
                let account = if matches!(holder, Holder::FirstMember) {
                    member.clone()
                } else {
                    departed.clone()
                };
                let full = stage.member_policies(&account);
                let reduced: Vec<(String, Value)> = full
                    .iter()
                    .map(|(n, d)| (n.clone(), policies::without_action(d, &action)))
                    .collect();
                stage.set_member_policies(&account, &reduced).await;
                (account, Some(full))
            }
        };

        // WHEN the function runs
        let (answer, _) = stage.invoke(kind).await;

        // THEN it fails, in the accounts that needed the grant, with AWS's refusal naming the action
        let report = &answer;
        let mut errors: Vec<String> = match &answer.failure {
            None => report.failures().filter_map(|a| a.error.clone()).collect(),
            Some(e) => vec![e.to_string()],
        };
        // The state table and the continuation queue fail softly: the hand-offs go out anyway
        // (at least once) and the rest waits for the next sweep; the report says why.
        errors.extend(report.deduplication_error.clone());
        errors.extend(report.troubles.iter().map(|t| t.error.clone()));
        errors.extend(report.continuation.as_ref().and_then(|c| c.error.clone()));
        // Findings too: Security Hub's refusal is reported, and costs no hand-off.
        errors.extend(report.findings.as_ref().and_then(|f| f.error.clone()));
        let soft = ["dynamodb:", "sqs:", "securityhub:"]
            .iter()
            .any(|service| action.starts_with(service));
        let failed_accounts: BTreeSet<String> =
            report.failures().map(|a| a.account_id.clone()).collect();
        let expected_accounts: BTreeSet<String> = match (holder, action.as_str()) {
            (Holder::FirstMember, _) => [member.clone()].into(),
            (Holder::Departed, _) => [departed.clone()].into(),
            (_, "sts:AssumeRole") => stage.org.active.iter().cloned().collect(),
            (_, iam) if iam.starts_with("iam:") => [stage.org.management.clone()].into(),
            // Reading the organization (a departure reads the one account with DescribeAccount)
            // or publishing: the invocation itself fails.
            _ => BTreeSet::new(),
        };
        let denial = format!("is not authorized to perform: {action}");
        let refused = |e: &String| {
            e.contains(&denial)
                && [
                    "AccessDenied",
                    "AccessDeniedException",
                    "AuthorizationError",
                ]
                .iter()
                .any(|code| e.contains(&format!("{code}: User: ")))
        };
        let as_expected = (soft || report.outcome == Outcome::Failed)
            && !errors.is_empty()
            && errors.iter().all(refused)
            && failed_accounts == expected_accounts;
        if !as_expected {
            unexpected.push(format!(
                "{holder:?} without {action}: {:?}, failed in {failed_accounts:?} (expected \
                 {expected_accounts:?}), errors {errors:?}",
                report.outcome
            ));
        }

        match restore {
            None => stage.set_function_policies(&stage.function_policies).await,
            Some(full) => stage.set_member_policies(&account, &full).await,
        }
    }
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}

/// A change to one statement of the execution role's policy.
type Alteration = fn(&mut Value);

/// The condition and the resource of a grant are checked too, not just its action.
#[tokio::test]
async fn a_grant_for_another_service_or_another_role_is_denied() {
    let stage = Stage::new().await;
    let management = stage.org.management.clone();
    let cases: [(&str, &str, Alteration); 2] = [
        (
            "iam:AWSServiceName names another service",
            "iam:CreateServiceLinkedRole",
            |statement| {
                if statement.get("Condition").is_some() {
                    statement["Condition"]["StringEquals"]["iam:AWSServiceName"] =
                        "license-manager.amazonaws.com".into();
                }
            },
        ),
        ("the resource is another role", "iam:GetRole", |statement| {
            let other = |arn: &str| {
                Value::from(arn.replace(
                    "AWSServiceRoleForMarketplaceLicenseManagement",
                    "AWSServiceRoleForOrganizations",
                ))
            };
            statement["Resource"] = match &statement["Resource"] {
                Value::String(arn) => other(arn),
                Value::Array(arns) => arns.iter().filter_map(Value::as_str).map(other).collect(),
                unexpected => panic!("Resource {unexpected}"),
            };
        }),
    ];
    for (what, action, mutate) in cases {
        // GIVEN trusted access enabled, no role anywhere, and the execution role's grant altered
        stage.prepare(Run::Enable).await;
        let altered: Vec<Value> = stage
            .function_policies
            .iter()
            .map(|document| {
                let mut document = document.clone();
                for statement in document["Statement"].as_array_mut().expect("statements") {
                    if policies::strings(statement, "Action")
                        .iter()
                        .any(|a| a == action)
                    {
                        mutate(statement);
                    }
                }
                document
            })
            .collect();
        assert_ne!(altered, stage.function_policies, "{what}: nothing altered");
        stage.set_function_policies(&altered).await;

        // WHEN the function runs
        let report = report(stage.invoke(Run::Enable).await.0);

        // THEN the management account fails on that action; the members, untouched, succeed
        assert_eq!(
            report.outcome,
            Outcome::Failed,
            "{what}: {}",
            report.to_json_line()
        );
        let failed = account_action(&report, &management);
        let error = failed.error.as_deref().unwrap_or_default();
        assert!(
            error.contains(&format!("not authorized to perform: {action}")),
            "{what}: {error}"
        );
        for member in &stage.org.active {
            assert_eq!(
                account_action(&report, member).result,
                ActionResult::Done,
                "{what}"
            );
        }
        stage.set_function_policies(&stage.function_policies).await;
    }
}

#[tokio::test]
async fn with_the_default_parameters_the_run_passes_and_deletion_is_denied() {
    // GIVEN the templates deployed with their defaults (OnDisable=retain, OnDeparture=retain): the
    // delete grants are absent, and member roles are entered only in the organization's accounts
    let stage = Stage::deployed_with(&[]).await;
    let granted = policies::actions(&stage.function_policies);
    assert!(!granted.iter().any(|a| a == "iam:DeleteServiceLinkedRole"));

    // WHEN trusted access is enabled, THEN the run creates the role everywhere, with these grants
    stage.prepare(Run::Enable).await;
    let (answer, _) = stage.invoke(Run::Enable).await;
    let created = report(answer);
    assert_eq!(
        created.outcome,
        Outcome::Reconciled,
        "{}",
        created.to_json_line()
    );
    assert_eq!(created.accounts.created, stage.in_scope().len());

    // WHEN the function is nevertheless configured to delete (ON_DISABLE=delete), THEN AWS refuses:
    // the role stays wherever the template did not opt in
    stage.prepare(Run::Disable).await;
    let (answer, _) = stage.invoke(Run::Disable).await;
    assert_eq!(answer.outcome, Outcome::Failed, "{}", answer.to_json_line());
    for account in stage.in_scope() {
        let action = account_action(&answer, &account);
        assert_eq!(action.result, ActionResult::Failed, "{account}");
        assert!(
            action.error.as_deref().is_some_and(
                |e| e.contains("not authorized to perform: iam:DeleteServiceLinkedRole")
            ),
            "{action:?}"
        );
        assert!(stage.emulator.marketplace_role_exists(&account).await);
    }
}
