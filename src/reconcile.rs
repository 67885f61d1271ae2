//! Level-triggered reconciliation (DESIGN §3): observe each target account, decide, act, report.
//!
//! The event only says where to look; the desired state comes from what Organizations says now, so a
//! replayed, late or forged event cannot drive an account into a wrong state.

use crate::aws::AwsError;
use crate::aws::accounts::{AccountAccess, Caller};
use crate::aws::organization::{OrgTruth, Organization};
use crate::aws::role::{Deletion, DeletionPolling, ServiceLinkedRole};
use crate::config::{Config, Removal};
use crate::decision::{Action, Facts, Membership, RoleState, decide, needs_observation};
use crate::intake::MARKETPLACE_PRINCIPAL;
use crate::report::{AccountAction, ActionResult, Outcome, Report};
use futures::StreamExt;
use std::time::{Duration, Instant};
use tracing::{info, warn};

/// The `detail` of an account that is not in the organization.
pub const DEPARTED_DETAIL: &str = "not in the organization";

/// One account to reconcile and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub account_id: String,
    pub membership: Membership,
    /// Why, for the report: the account state, `management account`, `not in the organization`.
    pub detail: String,
}

/// Which accounts a run looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The management account and every member.
    Organization,
    /// The accounts an operator listed; those outside the organization are skipped.
    Listed(Vec<String>),
    /// One account an event named. Outside the organization it counts as departed when `departed`.
    Named { account_id: String, departed: bool },
}

/// The accounts of `scope`, each with its membership as `truth` reports it.
pub fn targets(truth: &OrgTruth, scope: &Scope) -> Vec<Target> {
    let classify = |id: &str| -> Option<Target> {
        let (membership, detail) = if id == truth.management_account_id {
            (Membership::Management, "management account".to_string())
        } else {
            let account = truth.accounts.iter().find(|a| a.id == id)?;
            if account.is_active() {
                (Membership::ActiveMember, "ACTIVE member".to_string())
            } else {
                (Membership::Inactive, format!("account {}", account.state))
            }
        };
        Some(Target {
            account_id: id.to_string(),
            membership,
            detail,
        })
    };
    let outside = |id: &str, departed: bool| Target {
        account_id: id.to_string(),
        membership: if departed {
            Membership::Departed
        } else {
            Membership::Inactive
        },
        detail: DEPARTED_DETAIL.to_string(),
    };
    match scope {
        Scope::Organization => std::iter::once(truth.management_account_id.as_str())
            .chain(
                truth
                    .accounts
                    .iter()
                    .map(|a| a.id.as_str())
                    .filter(|id| *id != truth.management_account_id),
            )
            .filter_map(classify)
            .collect(),
        Scope::Listed(ids) => ids
            .iter()
            .map(|id| classify(id).unwrap_or_else(|| outside(id, false)))
            .collect(),
        Scope::Named {
            account_id,
            departed,
        } => {
            vec![classify(account_id).unwrap_or_else(|| outside(account_id, *departed))]
        }
    }
}

/// Runs reconciliations against AWS.
#[derive(Debug, Clone)]
pub struct Reconciler {
    pub org: Organization,
    pub access: AccountAccess,
    pub polling: DeletionPolling,
    /// No new account is started when less than this remains before the deadline (or a fifth of
    /// the time the run had, if less): one account's calls must still fit. Deletion polling stops at
    /// the deadline on its own.
    pub deadline_margin: Duration,
    pub on_disable: Removal,
    pub on_departure: Removal,
    pub max_concurrency: usize,
}

impl Reconciler {
    pub fn new(org: Organization, access: AccountAccess, config: &Config) -> Self {
        let polling = DeletionPolling::default();
        Reconciler {
            org,
            access,
            polling,
            deadline_margin: Duration::from_secs(20),
            on_disable: config.on_disable,
            on_departure: config.on_departure,
            max_concurrency: config.max_concurrency,
        }
    }

    /// Reconciles `targets`, at most `max_concurrency` at once, recording every account in `report`.
    /// One account's failure never stops the others: it is recorded with its step and AWS error.
    pub async fn run(
        &self,
        truth: &OrgTruth,
        caller: &Caller,
        targets: Vec<Target>,
        deadline: Instant,
        report: &mut Report,
    ) {
        let dry_run = report.dry_run;
        let margin = self
            .deadline_margin
            .min(deadline.saturating_duration_since(Instant::now()) / 5);
        let results: Vec<(String, Option<AccountAction>)> = futures::stream::iter(targets)
            .map(|target| async move {
                if Instant::now() + margin >= deadline {
                    return (target.account_id, None);
                }
                let action = self.one(truth, caller, &target, dry_run, deadline).await;
                (target.account_id, Some(action))
            })
            .buffered(self.max_concurrency.max(1))
            .collect()
            .await;
        for (account_id, action) in results {
            match action {
                Some(action) => report.record(action),
                None => report.unreached.push(account_id),
            }
        }
        report.outcome = if !report.unreached.is_empty() {
            Outcome::Incomplete
        } else if report.accounts.failed > 0 {
            Outcome::Failed
        } else {
            Outcome::Reconciled
        };
    }

    async fn one(
        &self,
        truth: &OrgTruth,
        caller: &Caller,
        target: &Target,
        dry_run: bool,
        deadline: Instant,
    ) -> AccountAction {
        let removal = match target.membership {
            Membership::Departed => self.on_departure,
            _ => self.on_disable,
        };
        let facts = Facts {
            trusted_access: truth.trusted_access,
            membership: target.membership,
            role: RoleState::Unknown,
            removal,
        };
        let id = &target.account_id;
        let done = |action: Action, result: ActionResult, detail: String| AccountAction {
            account_id: id.clone(),
            action,
            result,
            detail: Some(detail),
            error: None,
        };
        let failed = |action: Action, step: &str, err: AwsError| {
            warn!(account_id = %id, step, error = %err, "account not reconciled");
            AccountAction {
                account_id: id.clone(),
                action,
                result: ActionResult::Failed,
                detail: Some(target.detail.clone()),
                error: Some(format!("{step}: {err}")),
            }
        };
        if !needs_observation(target.membership, removal) {
            return done(decide(facts), ActionResult::Done, target.detail.clone());
        }
        let iam = match self.access.iam_for(id, caller).await {
            Ok(iam) => iam,
            Err(e) => return failed(Action::Keep, "AssumeRole", e),
        };
        let role = ServiceLinkedRole::new(iam, MARKETPLACE_PRINCIPAL);
        let present = match role.exists().await {
            Ok(present) => present,
            Err(e) => return failed(Action::Keep, "GetRole", e),
        };
        let action = decide(Facts {
            role: if present {
                RoleState::Present
            } else {
                RoleState::Absent
            },
            ..facts
        });
        let detail = format!(
            "{}, role {}",
            target.detail,
            if present { "present" } else { "absent" }
        );
        match action {
            Action::Keep | Action::Skip => done(action, ActionResult::Done, detail),
            _ if dry_run => done(action, ActionResult::Planned, detail),
            Action::Create => match role.create().await {
                Ok(()) => {
                    info!(account_id = %id, action = "create", "service-linked role created");
                    done(action, ActionResult::Done, detail)
                }
                Err(e) => failed(action, "CreateServiceLinkedRole", e),
            },
            Action::Delete => {
                // Read the truth again right before the one irreversible step: trusted access may
                // have been re-enabled, or the account may have rejoined, since the run began.
                match self.still_deletable(id, target.membership).await {
                    Ok(true) => {}
                    Ok(false) => {
                        return done(
                            Action::Keep,
                            ActionResult::Done,
                            format!("{detail}; kept: Organizations changed before the delete"),
                        );
                    }
                    Err(e) => return failed(action, "re-check before delete", e),
                }
                match role.delete(self.polling, deadline).await {
                    Ok(Deletion::Succeeded) => {
                        info!(account_id = %id, action = "delete", "service-linked role deleted");
                        done(action, ActionResult::Done, detail)
                    }
                    Ok(Deletion::Failed { reason, usage }) => failed(
                        action,
                        "DeleteServiceLinkedRole",
                        AwsError::new(
                            "DeletionFailed",
                            format!("{reason}; role still used by: {}", usage.join("; ")),
                        ),
                    ),
                    Ok(Deletion::StillRunning { task_id }) => failed(
                        action,
                        "GetServiceLinkedRoleDeletionStatus",
                        AwsError::new(
                            "DeletionStillInProgress",
                            format!("task {task_id} had not finished; the next sweep looks again"),
                        ),
                    ),
                    Ok(Deletion::StatusUnreadable { task_id, error }) => failed(
                        action,
                        "GetServiceLinkedRoleDeletionStatus",
                        AwsError::new(
                            error.code,
                            format!("{} (deletion task {task_id} was started)", error.message),
                        ),
                    ),
                    Err(e) => failed(action, "DeleteServiceLinkedRole", e),
                }
            }
        }
    }

    /// Whether the role may still be deleted: trusted access still off for an organization account,
    /// or the account still outside the organization.
    async fn still_deletable(
        &self,
        account_id: &str,
        membership: Membership,
    ) -> Result<bool, AwsError> {
        match membership {
            Membership::Departed => Ok(self.org.account(account_id).await?.is_none()),
            _ => Ok(!self.org.trusted_access(MARKETPLACE_PRINCIPAL).await?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::organization::MemberAccount;

    fn truth() -> OrgTruth {
        let account = |id: &str, state: &str| MemberAccount {
            id: id.into(),
            name: id.into(),
            state: state.into(),
        };
        OrgTruth {
            organization_id: "o-exampleorgid".into(),
            management_account_id: "123456789012".into(),
            trusted_access: true,
            accounts: vec![
                account("111111111111", "ACTIVE"),
                account("123456789012", "ACTIVE"),
                account("222222222222", "SUSPENDED"),
                account("333333333333", "PENDING_CLOSURE"),
            ],
        }
    }

    fn memberships(targets: &[Target]) -> Vec<(&str, Membership)> {
        targets
            .iter()
            .map(|t| (t.account_id.as_str(), t.membership))
            .collect()
    }

    /// Trusted access is re-enabled between the first read and the delete: an interleaving the
    /// emulator cannot produce on cue, so Organizations and IAM answer from `aws-smithy-mocks`.
    #[tokio::test]
    async fn the_state_is_read_again_right_before_a_delete_and_a_change_keeps_the_role() {
        use aws_sdk_organizations::operation::list_aws_service_access_for_organization::ListAwsServiceAccessForOrganizationOutput;
        use aws_sdk_organizations::types::EnabledServicePrincipal;
        use aws_smithy_mocks::{RuleMode, mock, mock_client};

        let reenabled =
            mock!(aws_sdk_organizations::Client::list_aws_service_access_for_organization)
                .then_output(|| {
                    ListAwsServiceAccessForOrganizationOutput::builder()
                        .enabled_service_principals(
                            EnabledServicePrincipal::builder()
                                .service_principal(MARKETPLACE_PRINCIPAL)
                                .build(),
                        )
                        .build()
                });
        let present =
            mock!(aws_sdk_iam::Client::get_role).then_output(crate::aws::role::role_found);
        let delete = mock!(aws_sdk_iam::Client::delete_service_linked_role)
            .then_output(|| unreachable!("the role must not be deleted"));
        let org = Organization::new(mock_client!(aws_sdk_organizations, [&reenabled]));
        let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&present, &delete]);
        let sts = mock_client!(aws_sdk_sts, []);
        let base = aws_config::SdkConfig::builder().build();
        let config = Config {
            on_disable: Removal::Delete,
            ..Config::default()
        };
        let reconciler = Reconciler::new(
            org,
            AccountAccess::with_clients(&base, sts, iam, "MemberRole"),
            &config,
        );

        // Disabled when the run began…
        let truth = OrgTruth {
            trusted_access: false,
            ..self::truth()
        };
        let caller = Caller {
            account_id: "123456789012".into(),
            partition: "aws".into(),
        };
        let mut report = Report::new(
            "DisableAWSServiceAccess",
            None,
            MARKETPLACE_PRINCIPAL,
            false,
        );
        let management = targets(&truth, &Scope::Listed(vec!["123456789012".into()]));
        let deadline = Instant::now() + Duration::from_secs(60);
        reconciler
            .run(&truth, &caller, management, deadline, &mut report)
            .await;

        // …re-enabled by the time of the delete: the role stays.
        assert_eq!(reenabled.num_calls(), 1, "the state was read again");
        assert_eq!(delete.num_calls(), 0);
        let action = &report.actions[0];
        assert_eq!(
            (action.action, action.result),
            (Action::Keep, ActionResult::Done)
        );
        assert!(
            action
                .detail
                .as_deref()
                .unwrap()
                .contains("Organizations changed before the delete")
        );
    }

    #[test]
    fn the_organization_scope_is_the_management_account_then_every_member_by_state() {
        let targets = targets(&truth(), &Scope::Organization);
        assert_eq!(
            memberships(&targets),
            [
                ("123456789012", Membership::Management),
                ("111111111111", Membership::ActiveMember),
                ("222222222222", Membership::Inactive),
                ("333333333333", Membership::Inactive),
            ]
        );
        assert_eq!(targets[3].detail, "account PENDING_CLOSURE");
    }

    #[test]
    fn a_listed_account_outside_the_organization_is_skipped_never_treated_as_departed() {
        let scope = Scope::Listed(vec!["111111111111".into(), "999999999999".into()]);
        let targets = targets(&truth(), &scope);
        assert_eq!(
            memberships(&targets),
            [
                ("111111111111", Membership::ActiveMember),
                ("999999999999", Membership::Inactive)
            ]
        );
        assert_eq!(targets[1].detail, DEPARTED_DETAIL);
    }

    #[test]
    fn a_named_account_is_departed_only_if_organizations_no_longer_lists_it() {
        let named = |id: &str| Scope::Named {
            account_id: id.into(),
            departed: true,
        };
        assert_eq!(
            memberships(&targets(&truth(), &named("999999999999"))),
            [("999999999999", Membership::Departed)]
        );
        assert_eq!(
            memberships(&targets(&truth(), &named("111111111111"))),
            [("111111111111", Membership::ActiveMember)]
        );
        let joined = Scope::Named {
            account_id: "999999999999".into(),
            departed: false,
        };
        assert_eq!(
            memberships(&targets(&truth(), &joined)),
            [("999999999999", Membership::Inactive)]
        );
    }
}
