//! The report every invocation returns and logs as one JSON line (DESIGN §5). Its field names are a
//! contract with operators, tests and dashboards.

use crate::decision::Action;
use serde::{Deserialize, Serialize};

/// How the invocation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every account reached ended as planned or done.
    Reconciled,
    /// Nothing was done, for the `reason` given.
    Ignored,
    /// The deadline came first: `unreached` lists the accounts the next sweep will finish.
    Incomplete,
    /// The organization could not be read, or at least one account failed.
    Failed,
}

/// Whether an action was carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionResult {
    Done,
    Planned,
    Failed,
}

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
}

/// What happened in one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountAction {
    pub account_id: String,
    pub action: Action,
    pub result: ActionResult,
    /// Why, in a few words (`role present`, `account SUSPENDED`, `left the organization`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// `code: message` of the AWS answer that failed, prefixed by the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A notification sent, or logged when no topic is configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentNotification {
    pub audience: String,
    pub event: String,
    pub subject: String,
    /// The SNS message id; `None` when the message was only logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// `published` or `logged`.
    pub delivery: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub trigger: String,
    #[serde(default)]
    pub event_id: Option<String>,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub service_principal: String,
    /// `enabled` or `disabled`, as Organizations reported it; absent when it was not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_access: Option<String>,
    pub dry_run: bool,
    pub accounts: Counts,
    pub actions: Vec<AccountAction>,
    /// Accounts not started because the deadline came first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreached: Vec<String>,
    pub notifications: Vec<SentNotification>,
}

impl Report {
    /// A report for `trigger` with nothing done yet.
    pub fn new(trigger: &str, event_id: Option<String>, principal: &str, dry_run: bool) -> Report {
        Report {
            trigger: trigger.to_string(),
            event_id,
            outcome: Outcome::Reconciled,
            reason: None,
            service_principal: principal.to_string(),
            trusted_access: None,
            dry_run,
            accounts: Counts::default(),
            actions: Vec::new(),
            unreached: Vec::new(),
            notifications: Vec::new(),
        }
    }

    /// Marks the report ignored, with why.
    pub fn ignored(mut self, reason: impl Into<String>) -> Report {
        self.outcome = Outcome::Ignored;
        self.reason = Some(reason.into());
        self
    }

    /// Records one account's action and counts it.
    pub fn record(&mut self, action: AccountAction) {
        let c = &mut self.accounts;
        c.checked += 1;
        match (action.result, action.action) {
            (ActionResult::Failed, _) => c.failed += 1,
            (_, Action::Skip) => c.skipped += 1,
            (_, Action::Keep) => c.unchanged += 1,
            (ActionResult::Planned, _) => c.planned += 1,
            (ActionResult::Done, Action::Create) => c.created += 1,
            (ActionResult::Done, Action::Delete) => c.deleted += 1,
        }
        self.actions.push(action);
    }

    /// The accounts whose action failed.
    pub fn failures(&self) -> impl Iterator<Item = &AccountAction> {
        self.actions
            .iter()
            .filter(|a| a.result == ActionResult::Failed)
    }

    /// The accounts where a role was created or deleted (or would be, in a dry run).
    pub fn changes(&self) -> impl Iterator<Item = &AccountAction> {
        self.actions.iter().filter(|a| {
            a.result != ActionResult::Failed && matches!(a.action, Action::Create | Action::Delete)
        })
    }

    /// One JSON line.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|e| format!("{{\"error\":\"report not serializable: {e}\"}}"))
    }
}
