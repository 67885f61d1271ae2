//! What a reconciliation found and did, as typed values: the one result the report and the
//! messages are built from (docs/design.md, "Data flow").

use crate::decision::{Action, Membership, RoleState};
use crate::ports::{AccountState, AwsError, ErrorKind};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether an account's action was carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionResult {
    Done,
    /// A dry run: what would have been done.
    Planned,
    Failed,
    /// A new account whose member role is not deployed yet: the StackSet's instance event, or the
    /// next sweep, finishes it. Not a failure.
    Pending,
}

/// The AWS call an account's failure happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    AssumeRole,
    GetRole,
    CreateServiceLinkedRole,
    /// Reading Organizations again right before a delete.
    Recheck,
    DeleteServiceLinkedRole,
    GetServiceLinkedRoleDeletionStatus,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::AssumeRole => "AssumeRole",
            Step::GetRole => "GetRole",
            Step::CreateServiceLinkedRole => "CreateServiceLinkedRole",
            Step::Recheck => "re-check before delete",
            Step::DeleteServiceLinkedRole => "DeleteServiceLinkedRole",
            Step::GetServiceLinkedRoleDeletionStatus => "GetServiceLinkedRoleDeletionStatus",
        })
    }
}

/// Why one account was not reconciled: the step and the AWS answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{step}: {error}")]
pub struct Failure {
    pub step: Step,
    pub error: AwsError,
}

impl Failure {
    pub fn kind(&self) -> ErrorKind {
        self.error.kind
    }
}

/// What happened in one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountResult {
    pub account_id: String,
    pub membership: Membership,
    /// The account's state, when Organizations lists it.
    pub state: Option<AccountState>,
    /// The role as observed, before any action.
    pub role: RoleState,
    pub action: Action,
    pub result: ActionResult,
    /// A delete was decided, but Organizations changed before it, so the role was kept.
    pub kept_on_recheck: bool,
    pub failure: Option<Failure>,
}

/// How many accounts ended which way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub checked: usize,
    pub created: usize,
    pub deleted: usize,
    pub unchanged: usize,
    pub skipped: usize,
    pub failed: usize,
    /// Creations and deletions a dry run would have made.
    pub planned: usize,
    /// New accounts waiting for their member role.
    #[serde(default)]
    pub pending: usize,
}

/// How a run ended, as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Every account reached ended as planned, done or pending.
    Reconciled,
    /// Some accounts were not reached before the cutoff.
    Incomplete,
    /// At least one account failed.
    Failed,
}

#[cfg(test)]
impl AccountResult {
    /// An ACTIVE member's create, for a test: `result`, and when it failed, AssumeRole refused.
    pub fn example(id: &str, result: ActionResult) -> AccountResult {
        AccountResult {
            account_id: id.into(),
            membership: Membership::Active,
            state: Some(AccountState::Active),
            role: RoleState::Unknown,
            action: Action::Create,
            result,
            kept_on_recheck: false,
            failure: (result == ActionResult::Failed).then(|| Failure {
                step: Step::AssumeRole,
                error: AwsError::new("AccessDenied", "denied"),
            }),
        }
    }
}

/// The result of one reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Whether Organizations reported trusted access enabled when the run began.
    pub trusted_access: bool,
    /// One result per account reached, in the order the accounts were listed.
    pub accounts: Vec<AccountResult>,
    /// Accounts not reached before the cutoff.
    pub unreached: Vec<String>,
}

impl Outcome {
    pub fn failures(&self) -> impl Iterator<Item = &AccountResult> {
        self.accounts
            .iter()
            .filter(|a| a.result == ActionResult::Failed)
    }

    /// The accounts where a role was created or deleted (or would be, in a dry run).
    pub fn changes(&self) -> impl Iterator<Item = &AccountResult> {
        self.accounts.iter().filter(|a| {
            matches!(a.result, ActionResult::Done | ActionResult::Planned)
                && matches!(a.action, Action::Create | Action::Delete)
        })
    }

    /// The failures to tell now: all of them, but the transient ones when a continuation carries
    /// them on (`continuing`).
    pub fn failures_to_tell(&self, continuing: bool) -> impl Iterator<Item = &AccountResult> {
        self.failures()
            .filter(move |a| !(continuing && a.failed_transiently()))
    }

    pub fn pending(&self) -> impl Iterator<Item = &AccountResult> {
        self.accounts
            .iter()
            .filter(|a| a.result == ActionResult::Pending)
    }

    /// The result for one account.
    pub fn account(&self, account_id: &str) -> Option<&AccountResult> {
        self.accounts.iter().find(|a| a.account_id == account_id)
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for a in &self.accounts {
            c.checked += 1;
            let n = match (a.result, a.action) {
                (ActionResult::Failed, _) => &mut c.failed,
                (ActionResult::Pending, _) => &mut c.pending,
                (_, Action::Skip) => &mut c.skipped,
                (_, Action::Keep) => &mut c.unchanged,
                (ActionResult::Planned, _) => &mut c.planned,
                (ActionResult::Done, Action::Create) => &mut c.created,
                (ActionResult::Done, Action::Delete) => &mut c.deleted,
            };
            *n += 1;
        }
        c
    }

    pub fn status(&self) -> Status {
        if !self.unreached.is_empty() {
            Status::Incomplete
        } else if self.failures().next().is_some() {
            Status::Failed
        } else {
            Status::Reconciled
        }
    }
}

/// Trusted access as the report and the messages spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrustedAccess {
    Enabled,
    Disabled,
}

impl From<bool> for TrustedAccess {
    fn from(enabled: bool) -> Self {
        if enabled {
            TrustedAccess::Enabled
        } else {
            TrustedAccess::Disabled
        }
    }
}

impl fmt::Display for TrustedAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrustedAccess::Enabled => "enabled",
            TrustedAccess::Disabled => "disabled",
        })
    }
}

impl AccountResult {
    /// Whether the account failed for a reason that a later try may not meet.
    pub fn failed_transiently(&self) -> bool {
        self.result == ActionResult::Failed
            && self
                .failure
                .as_ref()
                .is_some_and(|f| f.kind() == ErrorKind::Transient)
    }

    /// Why, in a few words: where the account stands, what was seen of the role, and anything that
    /// changed the plan.
    pub fn detail(&self) -> String {
        let mut text = match (self.membership, &self.state) {
            (Membership::Management, _) => "management account".to_string(),
            (Membership::Active, _) => "ACTIVE member".to_string(),
            (Membership::Inactive, Some(state)) => format!("account {state}"),
            (Membership::Inactive, None) => "inactive account".to_string(),
            (Membership::Departed | Membership::Outside, _) => {
                "not in the organization".to_string()
            }
        };
        match self.role {
            RoleState::Present => text.push_str(", role present"),
            RoleState::Absent => text.push_str(", role absent"),
            RoleState::Unknown => {}
        }
        if self.result == ActionResult::Pending {
            text.push_str("; its member role is not deployed yet");
        }
        if self.kept_on_recheck {
            text.push_str("; kept: Organizations changed before the delete");
        }
        text
    }
}
