//! The emulator answers like AWS where the reconciler depends on it: one test per correction the
//! launcher makes to moto, through the same SDK clients the function uses, and the harness's helpers.

use std::error::Error;
use std::time::Instant;

use crate::common::*;
use aws_config::SdkConfig;
use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_iam::operation::create_service_linked_role::{
    CreateServiceLinkedRoleError, CreateServiceLinkedRoleOutput,
};
use aws_sdk_iam::types::DeletionTaskStatusType;
use aws_sdk_organizations::types::AccountState;
use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

const MARKETPLACE_POLICY_ARN: &str =
    "arn:aws:iam::aws:policy/aws-service-role/AWSMarketplaceLicenseManagementServiceRolePolicy";

/// HTTP status, AWS error code and message of a call that must have failed with an AWS error answer.
fn error_answer<T, E>(result: Result<T, SdkError<E, HttpResponse>>) -> (u16, String, String)
where
    E: ProvideErrorMetadata + Error + 'static,
{
    let Err(err) = result else {
        panic!("the call succeeded; AWS answers it with an error")
    };
    let Some(raw) = err.raw_response() else {
        panic!("no HTTP answer: {}", DisplayErrorContext(&err))
    };
    (
        raw.status().as_u16(),
        err.code().unwrap_or_default().to_owned(),
        err.message().unwrap_or_default().to_owned(),
    )
}

fn iam(config: &SdkConfig) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(config)
}

async fn create_marketplace_role(
    iam: &aws_sdk_iam::Client,
) -> Result<CreateServiceLinkedRoleOutput, SdkError<CreateServiceLinkedRoleError, HttpResponse>> {
    iam.create_service_linked_role()
        .aws_service_name(MARKETPLACE_PRINCIPAL)
        .send()
        .await
}

/// Parses a policy document from IAM. AWS URL-encodes them (RFC 3986); moto does not, and decoding
/// plain JSON leaves it unchanged, so this accepts both.
fn policy_document(encoded: &str) -> serde_json::Value {
    let bytes = encoded.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii escape");
                decoded.push(u8::from_str_radix(hex, 16).expect("hex escape"));
                i += 3;
            }
            byte => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    serde_json::from_slice(&decoded).expect("policy document is JSON")
}

#[tokio::test]
async fn create_service_linked_role_uses_the_aws_name_path_and_managed_policy() {
    // GIVEN an organization with two members
    let emulator = Emulator::start().await;
    let org = emulator.seed_organization(2, 0).await;
    let member = &org.active[0];
    let iam = iam(&emulator.account_config(member).await);

    // WHEN the first member creates the Marketplace service-linked role
    let created = create_marketplace_role(&iam)
        .await
        .or_fail("CreateServiceLinkedRole");

    // THEN it has AWS's name, path, ARN and managed policy, in that account only
    let role = created.role().expect("role");
    assert_eq!(role.role_name(), MARKETPLACE_ROLE);
    assert_eq!(
        role.path(),
        format!("/aws-service-role/{MARKETPLACE_PRINCIPAL}/")
    );
    assert_eq!(
        role.arn(),
        format!(
            "arn:aws:iam::{member}:role/aws-service-role/{MARKETPLACE_PRINCIPAL}/{MARKETPLACE_ROLE}"
        )
    );
    let attached = iam
        .list_attached_role_policies()
        .role_name(MARKETPLACE_ROLE)
        .send()
        .await
        .or_fail("ListAttachedRolePolicies");
    let arns: Vec<_> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .collect();
    assert_eq!(arns, [MARKETPLACE_POLICY_ARN]);
    assert!(emulator.marketplace_role_exists(member).await);
    assert!(!emulator.marketplace_role_exists(&org.active[1]).await);
    assert!(!emulator.marketplace_role_exists(&org.management).await);
}

#[tokio::test]
async fn second_create_service_linked_role_is_invalid_input_has_been_taken() {
    // GIVEN the role exists in the management account
    let emulator = Emulator::start().await;
    let iam = iam(&emulator.management_config());
    create_marketplace_role(&iam)
        .await
        .or_fail("first CreateServiceLinkedRole");

    // WHEN it is created again
    let answer = error_answer(create_marketplace_role(&iam).await);

    // THEN AWS's answer: 400 InvalidInput, "has been taken"
    assert_eq!(
        answer,
        (
            400,
            "InvalidInput".to_owned(),
            format!(
                "Service role name {MARKETPLACE_ROLE} has been taken in this account, please try a different suffix."
            )
        )
    );
}

#[tokio::test]
async fn delete_service_linked_role_is_a_task_that_completes_on_the_second_poll() {
    // GIVEN the role exists
    let emulator = Emulator::start().await;
    let iam = iam(&emulator.management_config());
    create_marketplace_role(&iam)
        .await
        .or_fail("CreateServiceLinkedRole");

    // WHEN it is deleted
    let deleted = iam
        .delete_service_linked_role()
        .role_name(MARKETPLACE_ROLE)
        .send()
        .await
        .or_fail("DeleteServiceLinkedRole");

    // THEN the task id has AWS's shape and the role stays until a status poll finds the task done
    let task_id = deleted.deletion_task_id();
    let prefix = format!("task/aws-service-role/{MARKETPLACE_PRINCIPAL}/{MARKETPLACE_ROLE}/");
    let uuid = task_id
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("task id {task_id}"));
    assert_eq!(uuid.len(), 36, "task id {task_id}");
    assert_eq!(uuid.matches('-').count(), 4, "task id {task_id}");
    assert!(emulator.marketplace_role_exists(MANAGEMENT_ACCOUNT).await);

    let poll = || async {
        iam.get_service_linked_role_deletion_status()
            .deletion_task_id(task_id)
            .send()
            .await
            .or_fail("GetServiceLinkedRoleDeletionStatus")
            .status()
            .clone()
    };
    assert_eq!(poll().await, DeletionTaskStatusType::InProgress);
    assert!(emulator.marketplace_role_exists(MANAGEMENT_ACCOUNT).await);
    assert_eq!(poll().await, DeletionTaskStatusType::Succeeded);
    assert!(!emulator.marketplace_role_exists(MANAGEMENT_ACCOUNT).await);
    assert_eq!(poll().await, DeletionTaskStatusType::Succeeded);

    // AND an unknown task is NoSuchEntity
    let unknown = error_answer(
        iam.get_service_linked_role_deletion_status()
            .deletion_task_id(format!("{prefix}00000000-0000-0000-0000-000000000000"))
            .send()
            .await,
    );
    assert_eq!((unknown.0, unknown.1.as_str()), (404, "NoSuchEntity"));
}

#[tokio::test]
async fn assume_role_is_denied_when_the_role_does_not_exist() {
    // GIVEN a member account, reachable through its member role
    let emulator = Emulator::start().await;
    let org = emulator.seed_organization(1, 0).await;
    let member = &org.active[0];
    let management = emulator.management_config();
    let sts = aws_sdk_sts::Client::new(&management);
    let caller = sts
        .get_caller_identity()
        .send()
        .await
        .or_fail("GetCallerIdentity");
    let caller_arn = caller.arn().expect("caller arn");
    let member_role_arn = format!("arn:aws:iam::{member}:role/{MEMBER_ROLE}");
    let assume = |arn: String| {
        sts.assume_role()
            .role_arn(arn)
            .role_session_name("emulator-test")
            .send()
    };

    // WHEN the member role is assumed, THEN the credentials act in the member account
    let assumed = assume(member_role_arn.clone()).await.or_fail("AssumeRole");
    let credentials = assumed.credentials().expect("credentials");
    let as_member = management
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            credentials.access_key_id(),
            credentials.secret_access_key(),
            Some(credentials.session_token().to_owned()),
            None,
            "assumed",
        )))
        .build();
    let identity = aws_sdk_sts::Client::new(&as_member)
        .get_caller_identity()
        .send()
        .await
        .or_fail("GetCallerIdentity as member");
    assert_eq!(identity.account(), Some(member.as_str()));

    // WHEN a role that does not exist is assumed, THEN 403 AccessDenied as AWS words it
    let missing_arn = format!("arn:aws:iam::{member}:role/DoesNotExist");
    let denied = error_answer(assume(missing_arn.clone()).await);
    assert_eq!(
        denied,
        (
            403,
            "AccessDenied".to_owned(),
            format!(
                "User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {missing_arn}"
            )
        )
    );

    // WHEN the member role has been deleted, THEN assuming it is denied too
    emulator.delete_member_role(member).await;
    let denied = error_answer(assume(member_role_arn).await);
    assert_eq!((denied.0, denied.1.as_str()), (403, "AccessDenied"));
}

#[tokio::test]
async fn create_account_makes_an_administrator_member_role_trusting_the_management_account() {
    // GIVEN an account created in the organization
    let emulator = Emulator::start().await;
    let org = emulator.seed_organization(1, 0).await;
    let iam = iam(&emulator.account_config(&org.active[0]).await);

    // THEN it holds OrganizationAccountAccessRole, trusting the management account's root
    let role = iam
        .get_role()
        .role_name(MEMBER_ROLE)
        .send()
        .await
        .or_fail("GetRole");
    let trust = policy_document(
        role.role()
            .and_then(|r| r.assume_role_policy_document())
            .expect("trust policy"),
    );
    let statement = &trust["Statement"][0];
    assert_eq!(statement["Effect"], "Allow");
    assert_eq!(statement["Action"], "sts:AssumeRole");
    assert_eq!(
        statement["Principal"]["AWS"],
        format!("arn:aws:iam::{}:root", org.management)
    );

    // AND an inline AdministratorAccess policy allowing everything
    let policy = iam
        .get_role_policy()
        .role_name(MEMBER_ROLE)
        .policy_name("AdministratorAccess")
        .send()
        .await
        .or_fail("GetRolePolicy");
    let document = policy_document(policy.policy_document());
    let statement = &document["Statement"][0];
    assert_eq!(
        (
            &statement["Effect"],
            &statement["Action"],
            &statement["Resource"]
        ),
        (&"Allow".into(), &"*".into(), &"*".into())
    );
}

#[tokio::test]
async fn seeded_organization_lists_twenty_members_one_suspended() {
    let started = Instant::now();
    let emulator = Emulator::start().await;
    let ready = started.elapsed();
    let org = emulator.seed_organization(20, 1).await;
    println!(
        "start {ready:?}, start + seed_organization(20, 1) {:?}",
        started.elapsed()
    );

    assert_eq!((org.active.len(), org.suspended.len()), (19, 1));
    assert_eq!(org.management, MANAGEMENT_ACCOUNT);
    let organizations = aws_sdk_organizations::Client::new(&emulator.management_config());
    let pages: Vec<_> = organizations
        .list_accounts()
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .or_fail("ListAccounts");
    let accounts: Vec<_> = pages.iter().flat_map(|page| page.accounts()).collect();
    assert_eq!(accounts.len(), 21, "20 members and the management account");
    let in_state = |state: AccountState| -> Vec<String> {
        let mut ids: Vec<_> = accounts
            .iter()
            .filter(|a| a.state() == Some(&state))
            .filter_map(|a| a.id().map(str::to_owned))
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(in_state(AccountState::Suspended), org.suspended);
    let mut active = org.active.clone();
    active.push(org.management.clone());
    active.sort();
    assert_eq!(in_state(AccountState::Active), active);
}

#[tokio::test]
async fn trusted_access_can_be_enabled_and_disabled() {
    let emulator = Emulator::start().await;
    emulator.seed_organization(0, 0).await;
    let organizations = aws_sdk_organizations::Client::new(&emulator.management_config());
    let enabled = || async {
        organizations
            .list_aws_service_access_for_organization()
            .send()
            .await
            .or_fail("ListAWSServiceAccessForOrganization")
            .enabled_service_principals()
            .iter()
            .any(|p| p.service_principal() == Some(MARKETPLACE_PRINCIPAL))
    };

    assert!(!enabled().await);
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
        .await;
    assert!(enabled().await);
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, false)
        .await;
    assert!(!enabled().await);
}

#[tokio::test]
async fn recording_lists_the_calls_made_since_it_started() {
    // GIVEN calls made before recording starts
    let emulator = Emulator::start().await;
    emulator.seed_organization(1, 0).await;
    let iam = iam(&emulator.management_config());

    // WHEN recording starts and a read and a mutating call follow
    emulator.start_recording().await;
    assert_eq!(emulator.recorded_actions().await, Vec::<String>::new());
    let _ = iam.get_role().role_name(MARKETPLACE_ROLE).send().await;
    create_marketplace_role(&iam)
        .await
        .or_fail("CreateServiceLinkedRole");

    // THEN exactly those are recorded, failed ones included
    assert_eq!(
        emulator.recorded_actions().await,
        ["iam:GetRole", "iam:CreateServiceLinkedRole"]
    );
    emulator.start_recording().await;
    assert_eq!(emulator.recorded_actions().await, Vec::<String>::new());
}

#[tokio::test]
async fn test_event_pattern_answers_with_moto_s_matcher() {
    // Correction (m): moto left events:TestEventPattern unimplemented.
    let emulator = shared().await;
    let event = sample("enable-by-cli-iamuser.json");
    let source = |s: &str| serde_json::json!({"source": [s]});
    assert!(
        emulator
            .test_event_pattern(&source("aws.organizations"), &event)
            .await
    );
    assert!(
        !emulator
            .test_event_pattern(&source("aws.iam"), &event)
            .await
    );
    // `exists: false` asks whether the field is absent: errorCode is absent from a call that went
    // through.
    let absent = serde_json::json!({"detail": {"errorCode": [{"exists": false}]}});
    assert!(emulator.test_event_pattern(&absent, &event).await);
}

#[tokio::test]
async fn a_delegated_administrator_is_accepted_for_every_service_that_supports_one() {
    // Correction (n): moto accepted six principals only; the catalog says which support one.
    use marketplace_trusted_access::catalog::SERVICES;
    let emulator = shared().await;
    let org = emulator.seed_organization(1, 0).await;
    let client = aws_sdk_organizations::Client::new(&emulator.management_config());
    let register = |principal: &'static str| {
        client
            .register_delegated_administrator()
            .account_id(&org.active[0])
            .service_principal(principal)
            .send()
    };
    let supporting: Vec<&str> = SERVICES
        .iter()
        .filter(|s| s.delegated_admin)
        .map(|s| s.principal)
        .collect();
    assert!(supporting.len() > 20, "{supporting:?}");
    for principal in &supporting {
        register(principal)
            .await
            .unwrap_or_else(|e| panic!("{principal}: {}", DisplayErrorContext(&e)));
    }
    // A service whose page says it supports none is still refused.
    let none = SERVICES.iter().find(|s| !s.delegated_admin).expect("one");
    let (status, code, _) = error_answer(register(none.principal).await);
    assert_eq!((status, code.as_str()), (400, "InvalidInputException"));
}

#[tokio::test]
async fn the_delegation_policy_is_put_described_and_deleted_as_aws_documents() {
    // Correction (p): moto has no PutResourcePolicy, DescribeResourcePolicy nor DeleteResourcePolicy.
    use marketplace_trusted_access::aws::organization::Organization;
    use marketplace_trusted_access::ports::Directory;
    let emulator = shared().await;
    let org = emulator.seed_organization(1, 0).await;
    let config = emulator.management_config();
    let client = aws_sdk_organizations::Client::new(&config);
    let not_found = (
        400,
        "ResourcePolicyNotFoundException".to_string(),
        "We can't find a resource policy request with the parameter that you specified."
            .to_string(),
    );
    assert_eq!(
        error_answer(client.describe_resource_policy().send().await),
        not_found
    );
    assert_eq!(
        error_answer(client.delete_resource_policy().send().await),
        not_found
    );
    // The adapter reads "none" from that answer.
    let directory = Organization::new(client.clone());
    assert_eq!(directory.delegation_policy().await.expect("read"), None);

    let (status, code, _) = error_answer(
        client
            .put_resource_policy()
            .content("not json")
            .send()
            .await,
    );
    assert_eq!((status, code.as_str()), (400, "InvalidInputException"));
    let huge = format!("{{\"Statement\": \"{}\"}}", "x".repeat(40_000));
    let (status, code, _) = error_answer(client.put_resource_policy().content(huge).send().await);
    assert_eq!(
        (status, code.as_str()),
        (400, "ConstraintViolationException")
    );

    let content = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"organizations:DescribePolicy","Resource":"*"}]}"#;
    let put = client
        .put_resource_policy()
        .content(content)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}", DisplayErrorContext(&e)));
    let summary = put
        .resource_policy()
        .and_then(|p| p.resource_policy_summary())
        .expect("summary");
    let id = summary.id().expect("id").to_string();
    assert!(id.starts_with("rp-"), "{id}");
    assert_eq!(
        summary.arn(),
        Some(
            format!(
                "arn:aws:organizations::{}:resourcepolicy/{}/{id}",
                org.management, org.org_id
            )
            .as_str()
        )
    );
    let read = directory
        .delegation_policy()
        .await
        .expect("read")
        .expect("a policy");
    assert_eq!(
        (read.id.as_deref(), read.content.as_str()),
        (Some(id.as_str()), content)
    );
    // Only the management account may put it.
    let member = aws_sdk_organizations::Client::new(&emulator.account_config(&org.active[0]).await);
    let (_, code, _) = error_answer(member.put_resource_policy().content(content).send().await);
    assert_eq!(code, "AccessDeniedException");

    client
        .delete_resource_policy()
        .send()
        .await
        .expect("deleted");
    assert_eq!(directory.delegation_policy().await.expect("read"), None);
}
