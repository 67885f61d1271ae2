//! The invocation, end to end: intake, truth, reconciliation, notifications, report.

use crate::aws::AwsError;
use crate::aws::accounts::AccountAccess;
use crate::aws::organization::Organization;
use crate::aws::topic::Topic;
use crate::config::Config;
use crate::intake::{self, Kind, MARKETPLACE_PRINCIPAL, Trigger};
use crate::messages::{self, Message, Run};
use crate::reconcile::{Reconciler, Scope, targets};
use crate::report::{Outcome, Report, SentNotification};
use aws_config::SdkConfig;
use lambda_runtime::Diagnostic;
use serde_json::Value;
use std::time::Instant;
use tracing::{error, info};

/// Why an invocation failed. Lambda retries a failed asynchronous invocation and, at last, leaves it
/// in the dead-letter queue; each variant carries the report, which is logged before it is raised.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("could not read {what}: {source}")]
    Unreadable {
        what: &'static str,
        source: AwsError,
        report: Box<Report>,
    },
    #[error(
        "the function must run in the organization's management account {management}, not {actual}"
    )]
    WrongAccount {
        management: String,
        actual: String,
        report: Box<Report>,
    },
    #[error("notification {event} for {audience} could not be published: {source}")]
    Notification {
        audience: String,
        event: String,
        source: AwsError,
        report: Box<Report>,
    },
}

impl HandlerError {
    /// The report logged before the error was raised.
    pub fn report(&self) -> &Report {
        match self {
            HandlerError::Unreadable { report, .. }
            | HandlerError::WrongAccount { report, .. }
            | HandlerError::Notification { report, .. } => report,
        }
    }

    fn report_mut(&mut self) -> &mut Report {
        match self {
            HandlerError::Unreadable { report, .. }
            | HandlerError::WrongAccount { report, .. }
            | HandlerError::Notification { report, .. } => report,
        }
    }
}

impl From<HandlerError> for Diagnostic {
    fn from(err: HandlerError) -> Diagnostic {
        let error_type = match &err {
            HandlerError::Unreadable { .. } => "AwsUnreadable",
            HandlerError::WrongAccount { .. } => "NotManagementAccount",
            HandlerError::Notification { .. } => "NotificationNotPublished",
        };
        Diagnostic {
            error_type: error_type.into(),
            error_message: err.to_string(),
        }
    }
}

/// Everything an invocation needs, built once at start-up.
#[derive(Debug, Clone)]
pub struct App {
    pub config: Config,
    pub reconciler: Reconciler,
    /// `None`: notifications are logged, not published.
    pub topic: Option<Topic>,
}

impl App {
    /// Clients for every service, from one SDK configuration.
    pub fn new(sdk: &SdkConfig, config: Config) -> App {
        let reconciler = Reconciler::new(
            Organization::new(aws_sdk_organizations::Client::new(sdk)),
            AccountAccess::new(sdk, &config.member_role_name),
            &config,
        );
        let topic = config
            .topic_arn
            .as_deref()
            .map(|arn| Topic::new(aws_sdk_sns::Client::new(sdk), arn));
        App {
            config,
            reconciler,
            topic,
        }
    }

    /// Handles one invocation. `deadline` is when Lambda stops the invocation.
    pub async fn handle(&self, payload: &Value, deadline: Instant) -> Result<Report, HandlerError> {
        let intake = intake::parse(payload);
        let command_dry_run = matches!(
            intake.kind,
            Kind::Handle(Trigger::Command { dry_run: true, .. })
        );
        // DRY_RUN=true is a lock: a command cannot lift it, only ask for a dry run on its own.
        let dry_run = self.config.dry_run || command_dry_run;
        let report = Report::new(
            &intake.name,
            intake.event_id.clone(),
            MARKETPLACE_PRINCIPAL,
            dry_run,
        );
        let trigger = match intake.kind {
            Kind::Ignore(reason) => return Ok(log(report.ignored(reason))),
            Kind::Handle(trigger) => trigger,
        };
        let org = &self.reconciler.org;
        let unreadable = |report, source| {
            fail(report, |report| HandlerError::Unreadable {
                what: "the organization",
                source,
                report,
            })
        };
        // Who the management account is comes first: an event recorded anywhere else is ignored
        // before the accounts are listed.
        let described = match org.describe().await {
            Ok(described) => described,
            Err(source) => return Err(unreadable(report, source)),
        };
        if let Some(recorded) = intake.recorded_in.as_deref().filter(|a| *a != described.1) {
            return Ok(log(report.ignored(format!(
                "the event was recorded in account {recorded}, not in the management account {}",
                described.1
            ))));
        }
        let truth = match org.read_truth(described, MARKETPLACE_PRINCIPAL).await {
            Ok(truth) => truth,
            Err(source) => return Err(unreadable(report, source)),
        };
        let mut report = report;
        report.trusted_access = Some(
            if truth.trusted_access {
                "enabled"
            } else {
                "disabled"
            }
            .to_string(),
        );
        let caller = match self.reconciler.access.caller().await {
            Ok(caller) => caller,
            Err(source) => {
                return Err(fail(report, |report| HandlerError::Unreadable {
                    what: "the function's own identity",
                    source,
                    report,
                }));
            }
        };
        if caller.account_id != truth.management_account_id {
            let management = truth.management_account_id.clone();
            let actual = caller.account_id.clone();
            return Err(fail(report, |report| HandlerError::WrongAccount {
                management,
                actual,
                report,
            }));
        }
        let scope = match &trigger {
            Trigger::TrustedAccess { .. }
            | Trigger::Sweep
            | Trigger::Command { accounts: None, .. } => Scope::Organization,
            Trigger::Command {
                accounts: Some(ids),
                ..
            } => Scope::Listed(ids.clone()),
            Trigger::AccountDeparted { account_id, .. } => Scope::Named {
                account_id: account_id.clone(),
                departed: true,
            },
            Trigger::AccountJoined { account_id, .. } => Scope::Named {
                account_id: account_id.clone(),
                departed: false,
            },
        };
        self.reconciler
            .run(
                &truth,
                &caller,
                targets(&truth, &scope),
                deadline,
                &mut report,
            )
            .await;
        let messages = messages::compose(Run {
            trigger: &trigger,
            organization_id: &truth.organization_id,
            management_account_id: &truth.management_account_id,
            accounts: &truth.accounts,
            on_disable: self.config.on_disable,
            on_departure: self.config.on_departure,
            report: &report,
        });
        self.notify(report, messages).await.map(log)
    }

    /// Publishes every message, or logs it when there is no topic or the run is a dry run (a dry run
    /// makes no mutating call, and `sns:Publish` is one). The first message that cannot be published
    /// fails the invocation, so that Lambda retries it; the retry repeats no role change because the
    /// reconciliation is level-triggered.
    async fn notify(
        &self,
        mut report: Report,
        messages: Vec<Message>,
    ) -> Result<Report, HandlerError> {
        let topic = self.topic.as_ref().filter(|_| !report.dry_run);
        for message in messages {
            let message_id = match topic {
                None => {
                    info!(
                        audience = message.audience.as_str(),
                        event = message.event.as_str(),
                        subject = %message.subject,
                        body = %message.body,
                        "notification logged, not published"
                    );
                    None
                }
                Some(topic) => match topic.publish(&message).await {
                    Ok(id) => Some(id),
                    Err(source) => {
                        return Err(fail(report, |report| HandlerError::Notification {
                            audience: message.audience.as_str().into(),
                            event: message.event.as_str().into(),
                            source,
                            report,
                        }));
                    }
                },
            };
            report.notifications.push(SentNotification {
                audience: message.audience.as_str().into(),
                event: message.event.as_str().into(),
                subject: message.subject.clone(),
                delivery: if message_id.is_some() {
                    "published"
                } else {
                    "logged"
                }
                .into(),
                message_id,
            });
        }
        Ok(report)
    }
}

/// Logs the report as one JSON line and returns it.
fn log(report: Report) -> Report {
    info!(target: "report", "{}", report.to_json_line());
    report
}

/// Marks the report failed, puts it into the error, with the error as its reason, and logs it.
fn fail(mut report: Report, make: impl FnOnce(Box<Report>) -> HandlerError) -> HandlerError {
    if report.outcome != Outcome::Incomplete {
        report.outcome = Outcome::Failed;
    }
    let mut err = make(Box::new(report));
    let reason = err.to_string();
    let report = err.report_mut();
    report.reason = Some(reason);
    error!(target: "report", "{}", report.to_json_line());
    err
}
