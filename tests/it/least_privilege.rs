//! Least privilege, proven: the real reconciliation runs against the emulator with IAM enforcement on,
//! signed with credentials whose only policies are the ones the templates grant — the function's
//! execution role with `template.yaml`'s statements, each member account's role with `member-role.yaml`'s
//! — read from the templates, not copied. The grants are enough for every kind of run (enable, disable,
//! departure), the run uses every one of them, and taking any one away makes the run fail with
//! AccessDenied naming that action.
//!
//! What the emulator checks, and what it cannot (moto's IAM enforcement, with the launcher's corrections
//! (g) to (j) in tests/emulator/launcher.py):
//! - checked: the action of every request against the identity policies of the caller (an assumed-role
//!   session here: the role's inline and attached policies), including `Deny`; the `Resource` of each
//!   statement against the ARN AWS authorizes the request on; the `iam:AWSServiceName` condition of
//!   `iam:CreateServiceLinkedRole` (StringEquals, and a key missing from the request fails it);
//!   `securityhub:BatchImportFindings` on the product ARN of every finding imported (the runs have
//!   findings on, `SecurityHubFindings=true`, with Security Hub enabled).
//! - assumed: for `iam:GetRole` on a role that does not exist, the ARN the role would have (AWS does
//!   not document which ARN it authorizes a missing role on).
//! - not checked: condition operators other than StringEquals (moto ignores them) and condition keys
//!   other than `iam:AWSServiceName` (neither role's policy uses one); the member role's
//!   trust policy (moto checks a trust policy only when the role is in the caller's own account, and
//!   compares the principal with the session ARN rather than the role ARN); service control policies,
//!   permission boundaries and session policies (none here); the SNS topic policy; actions matched
//!   case-sensitively (AWS ignores case; the templates use AWS's spelling).
//! - `sts:GetCallerIdentity` is always allowed, as in AWS.
//! - SAM also gives the execution role AWSLambdaBasicExecutionRole and `sqs:SendMessage` on the
//!   dead-letter queue; the Lambda service uses them, not the code, so they are left out here.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::common::policies::{self, MemberRole};
use crate::common::*;
use aws_config::SdkConfig;
use aws_sdk_iam::config::{Credentials, SharedCredentialsProvider};
use marketplace_trusted_access::config::{Config, Removal};
use marketplace_trusted_access::continuation::HandoverStatus;
use marketplace_trusted_access::decision::Action;
use marketplace_trusted_access::handler::{App, Invocation, InvocationError};
use marketplace_trusted_access::notify::DeduplicationMode;
use marketplace_trusted_access::outcome::ActionResult;
use marketplace_trusted_access::report::{AccountAction, Report, ReportOutcome as Outcome};
use serde_json::Value;

/// The execution role SAM creates for ReconcilerFunction (it adds a random suffix).
pub(crate) const EXECUTION_ROLE: &str = "ReconcilerFunctionRole";
pub(crate) const TOPIC: &str = "marketplace-trusted-access";

/// The account `events/remove-account.json` says was removed: never a member of the seeded
/// organization, so Organizations answers AccountNotFound for it, as for an account that left.
pub(crate) fn departed_account() -> String {
    crate::common::sample("remove-account.json")["detail"]["requestParameters"]["accountId"]
        .as_str()
        .expect("remove-account.json names an account")
        .to_owned()
}

/// An organization in the emulator with the deployment's roles in place, and the function built with
/// the execution role's credentials.
pub(crate) struct Stage {
    pub(crate) emulator: Shared,
    pub(crate) org: OrgFixture,
    pub(crate) app: App,
    /// The execution role's policy documents, resolved, as `template.yaml` grants them.
    pub(crate) function_policies: Vec<Value>,
    pub(crate) member_role: MemberRole,
    pub(crate) member_role_name: String,
    pub(crate) execution_role_arn: String,
    pub(crate) topic_arn: String,
    pub(crate) queue_url: String,
    /// Runs so far: each run's event gets an id of its own, so that its hand-offs are new ones.
    pub(crate) runs: std::sync::atomic::AtomicUsize,
}

pub(crate) const TABLE: &str = "state";
pub(crate) const QUEUE: &str = "continuation";
/// The service of `events/guardian-register-delegated-admin-guardduty.json`.
pub(crate) const GUARDDUTY: &str = "guardduty.amazonaws.com";

impl Stage {
    /// GIVEN an organization of four members, one of them suspended, plus the departed account; the
    /// notification topic; the execution role with the template's statements; the member role, with
    /// member-role.yaml's policy, in every member and in the departed account (as if its stack had
    /// been retained); and the function, signed as the execution role.
    pub(crate) async fn new() -> Stage {
        Stage::deployed_with(&policies::DELETING).await
    }

    /// The same, with the template deployed with `parameters`.
    pub(crate) async fn deployed_with(parameters: &[(&str, &str)]) -> Stage {
        let emulator = shared().await;
        let org = emulator.seed_organization(4, 1).await;
        let management = emulator.management_config();

        let topic_arn = aws_sdk_sns::Client::new(&management)
            .create_topic()
            .name(TOPIC)
            .send()
            .await
            .or_fail("CreateTopic")
            .topic_arn()
            .expect("topic ARN")
            .to_owned();

        emulator.create_state_table(TABLE).await;
        emulator.enable_security_hub().await;
        let queue_url = aws_sdk_sqs::Client::new(&management)
            .create_queue()
            .queue_name(QUEUE)
            .send()
            .await
            .or_fail("CreateQueue")
            .queue_url
            .expect("queue URL");

        let member_role_name = policies::member_role_name();
        let vars = BTreeMap::from([
            ("AWS::Partition", "aws".to_owned()),
            ("AWS::Region", REGION.to_owned()),
            ("AWS::AccountId", org.management.clone()),
            ("MemberRoleName", member_role_name.clone()),
            ("NotificationTopic", topic_arn.clone()),
            ("OrganizationId", org.org_id.clone()),
            (
                "StateTable.Arn",
                format!(
                    "arn:aws:dynamodb:us-east-1:{}:table/{TABLE}",
                    org.management
                ),
            ),
            (
                "ContinuationQueue.Arn",
                format!("arn:aws:sqs:us-east-1:{}:{QUEUE}", org.management),
            ),
        ]);
        let function_policies: Vec<Value> = policies::function_policies(parameters)
            .iter()
            .map(|p| policies::resolve(p, &vars))
            .collect();

        let iam = aws_sdk_iam::Client::new(&management);
        let lambda_trust = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
        });
        let execution_role_arn = iam
            .create_role()
            .role_name(EXECUTION_ROLE)
            .assume_role_policy_document(lambda_trust.to_string())
            .send()
            .await
            .or_fail("CreateRole (execution role)")
            .role()
            .expect("role")
            .arn()
            .to_owned();

        // The function is built once the execution role it signs as exists (below).
        let mut stage = Stage {
            app: App::new(&management, Config::default()),
            emulator,
            org,
            function_policies,
            member_role: policies::member_role(parameters),
            member_role_name,
            execution_role_arn,
            topic_arn,
            queue_url,
            runs: Default::default(),
        };
        stage.set_function_policies(&stage.function_policies).await;
        let members: Vec<String> = stage
            .org
            .active
            .iter()
            .chain(&stage.org.suspended)
            .cloned()
            .chain([departed_account()])
            .collect();
        for account in &members {
            stage.create_member_role(account).await;
        }

        let sdk = stage.execution_role_config().await;
        let app = app_as(
            &sdk,
            Config {
                topic_arn: Some(stage.topic_arn.clone()),
                member_role_name: stage.member_role_name.clone(),
                on_disable: Removal::Delete,
                on_departure: Removal::Delete,
                state_table: Some(TABLE.into()),
                continuation_queue_url: Some(stage.queue_url.clone()),
                // Findings on whenever the template grants them.
                security_hub_findings: parameters.contains(&("SecurityHubFindings", "true")),
                ..Config::default()
            },
        );
        // `app_as` polls deletions fast: the launcher completes one on its second status poll.
        stage.app = app;
        stage
    }

    /// `member-role.yaml`'s values for one account.
    pub(crate) fn member_vars(&self, account: &str) -> BTreeMap<&'static str, String> {
        BTreeMap::from([
            ("AWS::Partition", "aws".to_owned()),
            ("AWS::AccountId", account.to_owned()),
            ("MemberRoleName", self.member_role_name.clone()),
            ("ReconcilerRoleArn", self.execution_role_arn.clone()),
            ("OrganizationId", self.org.org_id.clone()),
        ])
    }

    /// The member role's policy in `account`, resolved: `(PolicyName, document)`.
    pub(crate) fn member_policies(&self, account: &str) -> Vec<(String, Value)> {
        let vars = self.member_vars(account);
        self.member_role
            .policies
            .iter()
            .map(|(name, doc)| (name.clone(), policies::resolve(doc, &vars)))
            .collect()
    }

    pub(crate) async fn create_member_role(&self, account: &str) {
        let iam = aws_sdk_iam::Client::new(&self.emulator.account_config(account).await);
        let trust = policies::resolve(&self.member_role.trust, &self.member_vars(account));
        iam.create_role()
            .role_name(&self.member_role_name)
            .assume_role_policy_document(trust.to_string())
            .max_session_duration(self.member_role.max_session_duration)
            .send()
            .await
            .or_fail("CreateRole (member role)");
        self.set_member_policies(account, &self.member_policies(account))
            .await;
    }

    /// Replaces the execution role's inline policies, named as SAM names them.
    pub(crate) async fn set_function_policies(&self, documents: &[Value]) {
        let iam = aws_sdk_iam::Client::new(&self.emulator.management_config());
        for (i, document) in documents.iter().enumerate() {
            iam.put_role_policy()
                .role_name(EXECUTION_ROLE)
                .policy_name(format!("{EXECUTION_ROLE}Policy{i}"))
                .policy_document(document.to_string())
                .send()
                .await
                .or_fail("PutRolePolicy (execution role)");
        }
    }

    pub(crate) async fn set_member_policies(&self, account: &str, documents: &[(String, Value)]) {
        let iam = aws_sdk_iam::Client::new(&self.emulator.account_config(account).await);
        for (name, document) in documents {
            iam.put_role_policy()
                .role_name(&self.member_role_name)
                .policy_name(name)
                .policy_document(document.to_string())
                .send()
                .await
                .or_fail("PutRolePolicy (member role)");
        }
    }

    /// What Lambda gives the function: a session of its execution role.
    pub(crate) async fn execution_role_config(&self) -> SdkConfig {
        let management = self.emulator.management_config();
        let session = aws_sdk_sts::Client::new(&management)
            .assume_role()
            .role_arn(&self.execution_role_arn)
            .role_session_name("marketplace-trusted-access")
            .send()
            .await
            .or_fail("AssumeRole (execution role)");
        let creds = session.credentials().expect("credentials");
        management
            .into_builder()
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                creds.access_key_id(),
                creds.secret_access_key(),
                Some(creds.session_token().to_owned()),
                None,
                "execution-role",
            )))
            .build()
    }

    /// Runs the function on `payload` with enforcement on; returns its answer and the AWS actions it
    /// called, in order.
    pub(crate) async fn invoke(&self, kind: Run) -> (Report, Vec<String>) {
        self.emulator.start_recording().await;
        self.emulator.enforce_iam(true).await;
        let deadline = Instant::now() + kind.time();
        let n = self.runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut event = kind.event();
        event["id"] = format!("run-{n}").into();
        if event["detail"].get("eventID").is_some() {
            event["detail"]["eventID"] = format!("run-{n}").into();
        }
        if kind == Run::Guardian {
            // The account the emulated organization registered (Stage::prepare), so that
            // Organizations confirms the event and the hand-offs go out.
            event["detail"]["requestParameters"]["accountId"] = self.delegated_admin().into();
        }
        let answer = self.app.handle(&event, &Invocation::until(deadline)).await;
        self.emulator.enforce_iam(false).await;
        (answer, self.emulator.recorded_actions().await)
    }

    /// The management account and the ACTIVE members: where the role must be while trusted access is on.
    pub(crate) fn in_scope(&self) -> Vec<String> {
        std::iter::once(self.org.management.clone())
            .chain(self.org.active.iter().cloned())
            .collect()
    }

    pub(crate) async fn role_presence(&self, accounts: &[String]) -> BTreeMap<String, bool> {
        let mut presence = BTreeMap::new();
        for account in accounts {
            presence.insert(
                account.clone(),
                self.emulator.marketplace_role_exists(account).await,
            );
        }
        presence
    }

    pub(crate) async fn create_marketplace_role(&self, account: &str) {
        if !self.emulator.marketplace_role_exists(account).await {
            aws_sdk_iam::Client::new(&self.emulator.account_config(account).await)
                .create_service_linked_role()
                .aws_service_name(MARKETPLACE_PRINCIPAL)
                .send()
                .await
                .or_fail("CreateServiceLinkedRole");
        }
    }

    /// Deletes the role the way AWS does: a deletion task, followed until it ends.
    pub(crate) async fn delete_marketplace_role(&self, account: &str) {
        if !self.emulator.marketplace_role_exists(account).await {
            return;
        }
        let iam = aws_sdk_iam::Client::new(&self.emulator.account_config(account).await);
        let task = iam
            .delete_service_linked_role()
            .role_name(MARKETPLACE_ROLE)
            .send()
            .await
            .or_fail("DeleteServiceLinkedRole")
            .deletion_task_id()
            .to_owned();
        for _ in 0..5 {
            iam.get_service_linked_role_deletion_status()
                .deletion_task_id(&task)
                .send()
                .await
                .or_fail("GetServiceLinkedRoleDeletionStatus");
            if !self.emulator.marketplace_role_exists(account).await {
                return;
            }
        }
        panic!("the role in {account} was not deleted after 5 status polls");
    }

    /// The member the organization registers as GuardDuty's delegated administrator.
    pub(crate) fn delegated_admin(&self) -> String {
        self.org.active[0].clone()
    }

    /// Registers [`Stage::delegated_admin`] for GuardDuty, once: the function then reads its
    /// services with ListDelegatedServicesForAccount.
    /// A delegation policy in force (PutResourcePolicy, correction (p) of the emulator).
    pub(crate) async fn put_delegation_policy(&self) {
        let org = aws_sdk_organizations::Client::new(&self.emulator.management_config());
        org.put_resource_policy()
            .content(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"organizations:DescribePolicy","Resource":"*"}]}"#,
            )
            .send()
            .await
            .or_fail("PutResourcePolicy");
    }

    pub(crate) async fn register_delegated_admin(&self) {
        let org = aws_sdk_organizations::Client::new(&self.emulator.management_config());
        let admins = org
            .list_delegated_administrators()
            .send()
            .await
            .or_fail("ListDelegatedAdministrators");
        let account = self.delegated_admin();
        if admins
            .delegated_administrators()
            .iter()
            .any(|a| a.id() == Some(account.as_str()))
        {
            return;
        }
        org.register_delegated_administrator()
            .account_id(&account)
            .service_principal(GUARDDUTY)
            .send()
            .await
            .or_fail("RegisterDelegatedAdministrator");
    }

    /// Puts the organization where a run of `kind` has work to do in every account it looks at.
    pub(crate) async fn prepare(&self, kind: Run) {
        let accounts = self.in_scope();
        match kind {
            Run::Enable => {
                self.emulator
                    .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
                    .await;
                for account in &accounts {
                    self.delete_marketplace_role(account).await;
                }
            }
            Run::Disable => {
                self.emulator
                    .set_trusted_access(MARKETPLACE_PRINCIPAL, false)
                    .await;
                for account in &accounts {
                    self.create_marketplace_role(account).await;
                }
            }
            Run::Departure => self.create_marketplace_role(&departed_account()).await,
            Run::CutShort => {}
            Run::Guardian => self.register_delegated_admin().await,
            Run::DelegationPolicy => self.put_delegation_policy().await,
        }
    }
}

/// The kinds of run that together need every grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Run {
    /// Trusted access enabled, the role missing everywhere: observe and create it.
    Enable,
    /// Trusted access disabled with ON_DISABLE=delete, the role everywhere: delete it.
    Disable,
    /// An account left with ON_DEPARTURE=delete, its role still there: re-check and delete it.
    Departure,
    /// A sweep whose time runs out before any account: hand the rest on to the continuation queue.
    CutShort,
    /// A delegated administrator registered for another service: read every delegated
    /// administrator and its services, and tell.
    Guardian,
    /// The delegation policy put: read it with DescribeResourcePolicy, and tell.
    DelegationPolicy,
}

impl Run {
    /// The time the run has: enough, or exactly what the hand-offs need (no account starts).
    pub(crate) fn time(self) -> Duration {
        match self {
            Run::CutShort => marketplace_trusted_access::handler::RESERVE,
            _ => Duration::from_secs(300),
        }
    }

    pub(crate) fn event(self) -> Value {
        crate::common::sample(match self {
            Run::Enable => "enable-by-cli-iamuser.json",
            Run::Disable => "disable-by-cli.json",
            Run::Departure => "remove-account.json",
            Run::CutShort => "scheduled.json",
            Run::Guardian => "guardian-register-delegated-admin-guardduty.json",
            Run::DelegationPolicy => "guardian-put-delegation-policy.json",
        })
    }
}

pub(crate) fn account_action<'a>(report: &'a Report, account: &str) -> &'a AccountAction {
    report
        .actions
        .iter()
        .find(|a| a.account_id == account)
        .unwrap_or_else(|| panic!("no action for {account} in {}", report.to_json_line()))
}

pub(crate) fn report(answer: Report) -> Report {
    let line = answer.to_json_line();
    answer
        .into_result()
        .unwrap_or_else(|e: InvocationError| panic!("the run failed: {e}\n{line}"))
}

#[tokio::test]
async fn the_templates_grant_enough_for_every_run_and_the_run_uses_every_grant() {
    // GIVEN the organization, its roles and the function (Stage::new)
    let stage = Stage::new().await;
    let mut called = BTreeSet::new();

    // WHEN trusted access is enabled and the function handles the event, as the execution role
    stage.prepare(Run::Enable).await;
    let (answer, actions) = stage.invoke(Run::Enable).await;
    called.extend(actions);

    // THEN the role is created in the management account and every ACTIVE member, and the
    // notifications are published
    let enabled = report(answer);
    assert_eq!(
        enabled.outcome,
        Outcome::Reconciled,
        "{}",
        enabled.to_json_line()
    );
    for account in stage.in_scope() {
        let action = account_action(&enabled, &account);
        assert_eq!(
            (action.action, action.result),
            (Action::Create, ActionResult::Done),
            "{account}"
        );
    }
    let suspended = &stage.org.suspended[0];
    assert_eq!(account_action(&enabled, suspended).action, Action::Skip);
    assert!(!enabled.notifications.is_empty());
    assert!(
        enabled.notifications.iter().all(|n| n.message_id.is_some()),
        "{}",
        enabled.to_json_line()
    );
    let everywhere = stage
        .in_scope()
        .into_iter()
        .chain([suspended.clone()])
        .collect::<Vec<_>>();
    let presence = stage.role_presence(&everywhere).await;
    assert!(stage.in_scope().iter().all(|a| presence[a]), "{presence:?}");
    assert!(!presence[suspended], "{presence:?}");

    // WHEN trusted access is disabled and the function handles the event, with ON_DISABLE=delete
    stage
        .emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, false)
        .await;
    let (answer, actions) = stage.invoke(Run::Disable).await;
    called.extend(actions);

    // THEN the role is deleted everywhere, and the notifications are published
    let disabled = report(answer);
    assert_eq!(
        disabled.outcome,
        Outcome::Reconciled,
        "{}",
        disabled.to_json_line()
    );
    assert_eq!(
        disabled.accounts.deleted,
        stage.in_scope().len(),
        "{}",
        disabled.to_json_line()
    );
    assert!(!disabled.notifications.is_empty());
    assert!(
        disabled
            .notifications
            .iter()
            .all(|n| n.message_id.is_some())
    );
    let presence = stage.role_presence(&everywhere).await;
    assert!(presence.values().all(|present| !present), "{presence:?}");

    // WHEN an account that left still has the role and the function handles its removal, with
    // ON_DEPARTURE=delete
    let departed = departed_account();
    stage.prepare(Run::Departure).await;
    let (answer, actions) = stage.invoke(Run::Departure).await;
    called.extend(actions);

    // THEN Organizations is asked again that the account is gone, and its role is deleted
    let removed = report(answer);
    assert_eq!(
        removed.outcome,
        Outcome::Reconciled,
        "{}",
        removed.to_json_line()
    );
    let action = account_action(&removed, &departed);
    assert_eq!(
        (action.action, action.result),
        (Action::Delete, ActionResult::Done)
    );
    assert!(!stage.emulator.marketplace_role_exists(&departed).await);
    // AND every hand-off went through the state table
    assert_eq!(
        removed.deduplication,
        Some(DeduplicationMode::On),
        "{}",
        removed.to_json_line()
    );

    // WHEN a sweep's time runs out before any account
    let (answer, actions) = stage.invoke(Run::CutShort).await;
    called.extend(actions);

    // THEN the rest is handed on to the continuation queue
    let cut = report(answer);
    assert_eq!(cut.outcome, Outcome::Incomplete, "{}", cut.to_json_line());
    let handover = cut.continuation.as_ref().expect("a continuation");
    assert_eq!(
        handover.status,
        HandoverStatus::HandedOn,
        "{}",
        cut.to_json_line()
    );

    // WHEN a delegated administrator is registered for another service (GuardDuty)
    stage.prepare(Run::Guardian).await;
    let (answer, actions) = stage.invoke(Run::Guardian).await;
    called.extend(actions);

    // THEN Organizations is asked who administers what, and the change is told, nothing changed
    let observed = report(answer);
    assert_eq!(
        observed.outcome,
        Outcome::Observed,
        "{}",
        observed.to_json_line()
    );
    assert!(
        observed.reason.is_none(),
        "Organizations confirms the event: {}",
        observed.to_json_line()
    );
    assert!(!observed.notifications.is_empty());
    assert!(
        observed
            .notifications
            .iter()
            .all(|n| n.message_id.is_some()),
        "{}",
        observed.to_json_line()
    );

    // WHEN the delegation policy is put
    stage.prepare(Run::DelegationPolicy).await;
    let (answer, actions) = stage.invoke(Run::DelegationPolicy).await;
    called.extend(actions);

    // THEN the policy in force is read and told
    let told = report(answer);
    assert_eq!(told.outcome, Outcome::Observed, "{}", told.to_json_line());
    assert!(
        told.notifications.iter().any(|n| n.message_id.is_some()),
        "{}",
        told.to_json_line()
    );

    // AND the runs called exactly the actions the execution role is granted: none is missing (they
    // all succeeded) and none is granted for nothing. sts:GetCallerIdentity needs no permission.
    let granted: BTreeSet<String> = policies::actions(&stage.function_policies)
        .into_iter()
        .collect();
    let mut needed: BTreeSet<String> = called
        .iter()
        .map(|a| policies::authorized_as(a).to_owned())
        .collect();
    needed.remove("sts:GetCallerIdentity");
    assert_eq!(needed, granted, "called (left) vs granted (right)");
}
