//! Level-triggered reconciliation (docs/design.md, "Level-triggered reconciliation"): observe each
//! target account, decide, act, and return what happened as an [`Outcome`].
//!
//! The event only says where to look; the desired state comes from what Organizations says now, so a
//! replayed, late or forged event cannot drive an account into a wrong state.

use crate::decision::{
    Action, Facts, Membership, Policy, RoleState, Scope, Target, decide, needs_observation,
};
use crate::outcome::{AccountResult, ActionResult, Failure, Outcome, Step};
use crate::ports::{AwsError, Caller, Deletion, Directory, ErrorKind, MemberAccount, RoleStore};
use crate::service::MARKETPLACE;
use futures::StreamExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use tracing::{info, warn};

/// The accounts Organizations reports for `scope`: every account for the whole organization, only
/// the named ones otherwise (`ListAccounts` is throttled in large organizations; an event about one
/// account needs one `DescribeAccount`).
pub async fn known_accounts(
    directory: &dyn Directory,
    scope: &Scope,
) -> Result<Vec<MemberAccount>, AwsError> {
    let ids = match scope {
        Scope::Organization => return directory.accounts().await,
        Scope::Listed(ids) => ids.clone(),
        Scope::Named { account_id, .. } => vec![account_id.clone()],
    };
    // A continuation names the thousands of accounts a run left: they are looked up a few at a
    // time, in order, rather than one after the other; the SDK retries a throttled call.
    let found: Vec<Option<MemberAccount>> = futures::stream::iter(ids)
        .map(|id| async move { directory.account(&id).await })
        .buffered(DESCRIBE_CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    Ok(found.into_iter().flatten().collect())
}

/// `DescribeAccount` calls in flight at once for a listed scope.
const DESCRIBE_CONCURRENCY: usize = 4;

/// Observes, decides and acts across accounts through the ports.
pub struct Reconciler<'a> {
    pub directory: &'a dyn Directory,
    pub roles: &'a dyn RoleStore,
    pub policy: Policy,
    /// Accounts in flight at once.
    pub max_concurrency: usize,
    /// Plan only: no mutating call.
    pub dry_run: bool,
    /// Told of each account as it finishes (a progress bar, for instance).
    pub on_account: Option<&'a (dyn Fn(&AccountResult) + Sync)>,
    /// Once set, no new account is started; those in flight finish. The rest are unreached.
    pub stop: Option<&'a AtomicBool>,
}

/// Who the run acts as, and how it names itself in member accounts' CloudTrail.
pub struct Session<'a> {
    pub caller: &'a Caller,
    pub name: &'a str,
}

impl Reconciler<'_> {
    /// Reconciles `targets`, at most `max_concurrency` at once. One account's failure never stops
    /// the others: it is recorded with its step and AWS error. No account runs past `cutoff`: one
    /// not started, or not finished, by then is reported unreached, so that the invocation keeps the
    /// time it needs for its hand-offs and its report. Results are collected as they come, so a slow
    /// account holds back no other, and are returned in the order of `targets`.
    pub async fn run(
        &self,
        trusted_access: bool,
        session: &Session<'_>,
        targets: Vec<Target>,
        cutoff: Instant,
    ) -> Outcome {
        let cutoff = tokio::time::Instant::from_std(cutoff);
        let mut results: Vec<(usize, String, Option<AccountResult>)> =
            futures::stream::iter(targets.into_iter().enumerate())
                .map(|(i, target)| async move {
                    let id = target.account_id.clone();
                    let stopped = self.stop.is_some_and(|s| s.load(Ordering::Relaxed));
                    if stopped || tokio::time::Instant::now() >= cutoff {
                        return (i, id, None);
                    }
                    let one = self.one(trusted_access, session, target, cutoff.into_std());
                    let result = tokio::time::timeout_at(cutoff, one).await.ok();
                    if let (Some(tell), Some(result)) = (self.on_account, &result) {
                        tell(result);
                    }
                    (i, id, result)
                })
                .buffer_unordered(self.max_concurrency.max(1))
                .collect()
                .await;
        results.sort_unstable_by_key(|(i, ..)| *i);
        let mut outcome = Outcome {
            trusted_access,
            accounts: Vec::with_capacity(results.len()),
            unreached: Vec::new(),
        };
        for (_, id, result) in results {
            match result {
                Some(result) => outcome.accounts.push(result),
                None => outcome.unreached.push(id),
            }
        }
        outcome
    }

    async fn one(
        &self,
        trusted_access: bool,
        session: &Session<'_>,
        target: Target,
        cutoff: Instant,
    ) -> AccountResult {
        let removal = self.policy.removal(target.membership);
        let facts = Facts {
            trusted_access,
            membership: target.membership,
            role: RoleState::Unknown,
            removal,
        };
        let mut result = AccountResult {
            account_id: target.account_id,
            membership: target.membership,
            state: target.state,
            role: RoleState::Unknown,
            action: decide(facts),
            result: ActionResult::Done,
            kept_on_recheck: false,
            failure: None,
        };
        if !needs_observation(target.membership, removal) {
            return result;
        }
        let id = result.account_id.clone();
        let failed = |mut result: AccountResult, step: Step, error: AwsError| {
            warn!(account_id = %result.account_id, %step, error = %error, "account not reconciled");
            result.result = ActionResult::Failed;
            result.failure = Some(Failure { step, error });
            result
        };
        let role = match self.roles.open(&id, session.caller, session.name).await {
            Ok(role) => role,
            // A new account's member role comes with the StackSet, often after the join event:
            // not a failure, and its instance event reconciles the account once it is there.
            Err(e) if target.joining && e.kind == ErrorKind::Permanent => {
                info!(account_id = %id, error = %e, "member role not deployed yet");
                result.action = Action::Keep;
                result.result = ActionResult::Pending;
                return result;
            }
            Err(e) => {
                result.action = Action::Keep;
                return failed(result, Step::AssumeRole, e);
            }
        };
        result.role = match role.exists().await {
            Ok(true) => RoleState::Present,
            Ok(false) => RoleState::Absent,
            Err(e) => {
                result.action = Action::Keep;
                return failed(result, Step::GetRole, e);
            }
        };
        result.action = decide(Facts {
            role: result.role,
            ..facts
        });
        match result.action {
            Action::Keep | Action::Skip => result,
            _ if self.dry_run => AccountResult {
                result: ActionResult::Planned,
                ..result
            },
            Action::Create => match role.create().await {
                Ok(()) => {
                    info!(account_id = %id, action = "create", "service-linked role created");
                    result
                }
                Err(e) => failed(result, Step::CreateServiceLinkedRole, e),
            },
            Action::Delete => {
                // Read the truth again right before the one irreversible step: trusted access may
                // have been re-enabled, or the account may have rejoined, since the run began.
                match self.still_deletable(&id, target.membership).await {
                    Ok(true) => {}
                    Ok(false) => {
                        result.action = Action::Keep;
                        result.kept_on_recheck = true;
                        return result;
                    }
                    Err(e) => return failed(result, Step::Recheck, e),
                }
                let permanent = |code: &str, message: String| {
                    AwsError::new(code, message).of_kind(ErrorKind::Permanent)
                };
                match role.delete(cutoff).await {
                    Ok(Deletion::Succeeded | Deletion::AlreadyGone) => {
                        info!(account_id = %id, action = "delete", "service-linked role deleted");
                        result
                    }
                    Ok(Deletion::Failed { reason, usage }) => failed(
                        result,
                        Step::DeleteServiceLinkedRole,
                        permanent(
                            "DeletionFailed",
                            format!("{reason}; role still used by: {}", usage.join("; ")),
                        ),
                    ),
                    Ok(Deletion::StillRunning { task_id }) => failed(
                        result,
                        Step::GetServiceLinkedRoleDeletionStatus,
                        AwsError::new(
                            "DeletionStillInProgress",
                            format!("task {task_id} had not finished; the next run looks again"),
                        )
                        .of_kind(ErrorKind::Transient),
                    ),
                    Ok(Deletion::StatusUnreadable { task_id, error }) => failed(
                        result,
                        Step::GetServiceLinkedRoleDeletionStatus,
                        AwsError {
                            message: format!(
                                "{} (deletion task {task_id} was started)",
                                error.message
                            ),
                            ..error
                        },
                    ),
                    Err(e) => failed(result, Step::DeleteServiceLinkedRole, e),
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
            Membership::Departed => Ok(self.directory.account(account_id).await?.is_none()),
            _ => Ok(!self.directory.trusted_access(MARKETPLACE.principal).await?),
        }
    }
}
