//! The report every invocation returns and logs (docs/design.md, "The report"). Its field names are
//! a contract with operators, tests and dashboards. It is built in one place, [`Report::build`], from
//! what the invocation learned; nothing else writes it.

use crate::decision::Action;
pub mod log;

pub use crate::continuation::{Handover, HandoverStatus};
use crate::drift::ServicesSeen;
use crate::error::InvocationError;
use crate::findings::send::Sent;
use crate::guardian::Observation;
use crate::intake::Intake;
use crate::message::{Audience, Event, Format};
use crate::notify::{Deduplication, DeduplicationMode, Delivery, DeliveryStatus};
use crate::outcome::{AccountResult, ActionResult, Counts, Outcome, Status, TrustedAccess};
use crate::ports::ErrorKind;
use crate::service::MARKETPLACE;
use serde::{Deserialize, Serialize};

/// How the invocation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportOutcome {
    /// Every account reached ended as planned, done or pending.
    Reconciled,
    /// Nothing was done, for the `reason` given.
    Ignored,
    /// Time ran out first: `unreached` lists the accounts still to do.
    Incomplete,
    /// The organization could not be read, a hand-off could not be published, or at least one
    /// account failed.
    Failed,
    /// A service other than AWS Marketplace changed: observed and told, nothing changed.
    Observed,
}

/// Which part of the state table gave trouble.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Store {
    /// The outbox of a trigger's messages (`deduplication` speaks of it).
    Outbox,
    /// The hand-off ledger.
    Ledger,
    /// What a sweep remembers of the failures it told.
    SweepMemory,
    /// What a sweep remembers of the differences from `EXPECTED_SERVICES` it told.
    Drift,
    /// When an account joined, which names its membership episode.
    Membership,
    /// Security Hub's findings (`SECURITY_HUB_FINDINGS`): their import, or the memory of those open.
    Findings,
}

/// A part of the state table that failed, and how: told per store, so that an operator is not
/// told the outbox failed when the ledger did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trouble {
    pub store: Store,
    pub error: String,
}

impl Trouble {
    pub fn new(store: Store, error: &crate::ports::AwsError) -> Trouble {
        Trouble {
            store,
            error: error.to_string(),
        }
    }
}

/// What happened in one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountAction {
    pub account_id: String,
    pub action: Action,
    pub result: ActionResult,
    /// Why, in a few words (`ACTIVE member, role present`, `account SUSPENDED`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// `step: code: message` of the AWS answer that failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<ErrorKind>,
}

impl From<&AccountResult> for AccountAction {
    fn from(a: &AccountResult) -> Self {
        AccountAction {
            account_id: a.account_id.clone(),
            action: a.action,
            result: a.result,
            detail: Some(a.detail()),
            error: a.failure.as_ref().map(ToString::to_string),
            error_kind: a.failure.as_ref().map(|f| f.kind()),
        }
    }
}

/// A notification, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentNotification {
    pub audience: Audience,
    pub event: Event,
    pub subject: String,
    /// `chat` for the copy on the chat topic; absent for the text on the notification topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy: Option<Format>,
    /// The SNS message id, once published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    pub delivery: DeliveryStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl From<&Delivery> for SentNotification {
    fn from(d: &Delivery) -> Self {
        SentNotification {
            audience: d.audience,
            event: d.event,
            subject: d.subject.clone(),
            copy: (d.format == Format::Chat).then_some(d.format),
            message_id: d.message_id.clone(),
            delivery: d.status,
            error: d.error.as_ref().map(ToString::to_string),
        }
    }
}

/// The report. Its fields are in the order they are written: the outcome, the trigger and the
/// counts first, the lists last, so that CloudWatch Logs Insights, which discovers a limited number
/// of fields per log event, finds the ones dashboards query (docs/design.md, "The report").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub outcome: ReportOutcome,
    pub trigger: String,
    #[serde(default)]
    pub event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub service_principal: String,
    /// As Organizations reported it; absent when it was not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_access: Option<TrustedAccess>,
    pub dry_run: bool,
    pub accounts: Counts,
    /// `on` (each hand-off published once, through the state table), `off` (at least once), or
    /// `unavailable` (the table failed; `deduplicationError` says how).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deduplication: Option<DeduplicationMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deduplication_error: Option<String>,
    /// What was handed on to a later invocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuation: Option<Handover>,
    /// The parts of the state table other than the outbox that failed, each with its error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub troubles: Vec<Trouble>,
    pub actions: Vec<AccountAction>,
    /// Accounts not reached before the cutoff.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreached: Vec<String>,
    pub notifications: Vec<SentNotification>,
    /// A sweep with `EXPECTED_SERVICES`: the services enabled, expected and differing, and the
    /// delegated administrators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<ServicesSeen>,
    /// `SECURITY_HUB_FINDINGS`: what became of the findings (docs/design.md, "Findings").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings: Option<Sent>,
    /// Why the invocation must fail (Lambda then retries it), if it must.
    #[serde(skip)]
    pub failure: Option<InvocationError>,
}

/// How far an invocation got.
#[derive(Debug)]
pub enum Ending<'a> {
    /// Nothing to do, and why.
    Ignored(String),
    /// Stopped before reconciling: the organization or the function's identity could not be read,
    /// or the function runs in the wrong account.
    Stopped {
        trusted_access: Option<bool>,
        error: InvocationError,
    },
    /// A service other than Marketplace observed, and the hand-offs delivered as said.
    Observed {
        observation: &'a Observation,
        effects: Effects<'a>,
    },
    /// Reconciled, and the hand-offs delivered as said.
    Ran {
        outcome: &'a Outcome,
        continuation: Option<Handover>,
        effects: Effects<'a>,
    },
}

/// What the plan's effects came to, as the report tells it.
#[derive(Debug)]
pub struct Effects<'a> {
    /// Every copy of every message.
    pub deliveries: &'a [Delivery],
    /// How the outbox served them.
    pub deduplication: &'a Deduplication,
    /// The parts of the state table other than the outbox that failed, read or written.
    pub troubles: Vec<Trouble>,
    /// What a sweep saw of the organization's services.
    pub services: Option<ServicesSeen>,
    /// What became of the findings, when they are on.
    pub findings: Option<Sent>,
}

impl Report {
    /// The report of an invocation that got as far as `ending`.
    pub fn build(intake: &Intake, dry_run: bool, ending: Ending<'_>) -> Report {
        let mut report = Report {
            trigger: intake.name.clone(),
            event_id: intake.event_id.clone(),
            outcome: ReportOutcome::Reconciled,
            reason: None,
            service_principal: MARKETPLACE.principal.to_string(),
            trusted_access: None,
            dry_run,
            accounts: Counts::default(),
            actions: Vec::new(),
            unreached: Vec::new(),
            notifications: Vec::new(),
            deduplication: None,
            deduplication_error: None,
            continuation: None,
            troubles: Vec::new(),
            services: None,
            findings: None,
            failure: None,
        };
        match ending {
            Ending::Ignored(reason) => {
                report.outcome = ReportOutcome::Ignored;
                report.reason = Some(reason);
            }
            Ending::Stopped {
                trusted_access,
                error,
            } => {
                report.outcome = ReportOutcome::Failed;
                report.trusted_access = trusted_access.map(TrustedAccess::from);
                report.reason = Some(error.to_string());
                report.failure = Some(error);
            }
            Ending::Observed {
                observation,
                effects,
            } => {
                report.outcome = ReportOutcome::Observed;
                report.service_principal = observation.principal.clone();
                report.trusted_access = observation.trusted_access.map(TrustedAccess::from);
                report.reason = observation.contradicted();
                report.effects(effects);
            }
            Ending::Ran {
                outcome,
                continuation,
                effects,
            } => {
                report.continuation = continuation;
                report.trusted_access = Some(outcome.trusted_access.into());
                report.accounts = outcome.counts();
                report.actions = outcome.accounts.iter().map(AccountAction::from).collect();
                report.unreached = outcome.unreached.clone();
                report.outcome = match outcome.status() {
                    Status::Reconciled => ReportOutcome::Reconciled,
                    Status::Incomplete => ReportOutcome::Incomplete,
                    Status::Failed => ReportOutcome::Failed,
                };
                report.effects(effects);
            }
        }
        report
    }

    fn effects(&mut self, effects: Effects<'_>) {
        let Effects {
            deliveries,
            deduplication,
            troubles,
            services,
            findings,
        } = effects;
        self.troubles = troubles;
        self.services = services;
        self.findings = findings;
        self.deduplication = Some(deduplication.mode());
        if let Deduplication::Unavailable(e) = deduplication {
            self.deduplication_error = Some(e.to_string());
        }
        self.notifications = deliveries.iter().map(SentNotification::from).collect();
        self.fail_on_unpublished(deliveries);
    }

    /// A hand-off that could not be published fails the invocation, so that Lambda retries it: it
    /// must never be lost silently.
    fn fail_on_unpublished(&mut self, deliveries: &[Delivery]) {
        let Some(d) = deliveries.iter().find(|d| d.status.is_unpublished()) else {
            return;
        };
        let error = InvocationError::Notification {
            audience: d.audience,
            event: d.event,
            source: d
                .error
                .clone()
                .unwrap_or_else(|| crate::ports::AwsError::new("Unknown", "no error was recorded")),
        };
        if self.outcome != ReportOutcome::Incomplete {
            self.outcome = ReportOutcome::Failed;
        }
        self.reason = Some(error.to_string());
        self.failure = Some(error);
    }

    /// The accounts whose action failed.
    pub fn failures(&self) -> impl Iterator<Item = &AccountAction> {
        self.actions
            .iter()
            .filter(|a| a.result == ActionResult::Failed)
    }

    /// The report without its per-account lists (actions, unreached accounts), which are not
    /// copied: the summary line of a report logged in chunks.
    pub fn without_accounts(&self) -> Report {
        Report {
            trigger: self.trigger.clone(),
            event_id: self.event_id.clone(),
            outcome: self.outcome,
            reason: self.reason.clone(),
            service_principal: self.service_principal.clone(),
            trusted_access: self.trusted_access,
            dry_run: self.dry_run,
            accounts: self.accounts.clone(),
            actions: Vec::new(),
            unreached: Vec::new(),
            notifications: self.notifications.clone(),
            deduplication: self.deduplication,
            deduplication_error: self.deduplication_error.clone(),
            continuation: self.continuation.clone(),
            troubles: self.troubles.clone(),
            services: self.services.clone(),
            findings: self.findings.clone(),
            failure: self.failure.clone(),
        }
    }

    /// One JSON line.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|e| format!("{{\"error\":\"report not serializable: {e}\"}}"))
    }

    /// The report as the invocation's answer: an error when the invocation must fail.
    pub fn into_result(mut self) -> Result<Report, InvocationError> {
        match self.failure.take() {
            Some(error) => Err(error),
            None => Ok(self),
        }
    }
}
