//! One invocation, end to end: intake, truth, reconciliation, hand-offs, report
//! (docs/design.md, "Architecture").

use crate::aws::accounts::AccountAccess;
use crate::aws::organization::Organization;
use crate::aws::topic::Topic;
use crate::config::Config;
use crate::decision::{Policy, Scope, targets};
use crate::intake::{self, Intake, Kind, MARKETPLACE_PRINCIPAL, Trigger};
use crate::messages::{self, Audience, Context, Event};
use crate::notify;
use crate::outcome::Outcome;
use crate::ports::{AwsError, Directory, MemberAccount, OrgIdentity, Publisher, RoleStore};
use crate::reconcile::{Reconciler, Session};
use crate::report::{Ending, Report};
use aws_config::SdkConfig;
use lambda_runtime::Diagnostic;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{error, info};

/// Time kept back from the deadline for publishing each hand-off: the SNS client's operation
/// timeout (see `main.rs`).
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);
/// Hand-offs one invocation may send: the trigger's own (at most two) and a failure summary.
const MAX_MESSAGES: u32 = 3;
/// Time kept back for logging the report and answering.
const REPORT_MARGIN: Duration = Duration::from_secs(2);

/// Why an invocation fails. Lambda retries a failed asynchronous invocation and, at last, leaves it
/// in the dead-letter queue. The report has been logged before; the error carries only its reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvocationError {
    #[error("could not read {what}: {source}")]
    Unreadable {
        what: &'static str,
        source: AwsError,
    },
    #[error(
        "the function must run in the organization's management account {management}, not {actual}"
    )]
    WrongAccount { management: String, actual: String },
    #[error("notification {} for {} could not be published: {source}", .event.as_str(), .audience.as_str())]
    Notification {
        audience: Audience,
        event: Event,
        source: AwsError,
    },
}

impl From<InvocationError> for Diagnostic {
    fn from(err: InvocationError) -> Diagnostic {
        let error_type = match &err {
            InvocationError::Unreadable { .. } => "AwsUnreadable",
            InvocationError::WrongAccount { .. } => "NotManagementAccount",
            InvocationError::Notification { .. } => "NotificationNotPublished",
        };
        Diagnostic {
            error_type: error_type.into(),
            error_message: err.to_string(),
        }
    }
}

/// One invocation's context: the Lambda request id, which names the session in member accounts'
/// CloudTrail, and the time Lambda stops the invocation.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    pub deadline: Instant,
}

impl Invocation {
    /// An invocation that must end by `deadline`.
    pub fn until(deadline: Instant) -> Invocation {
        Invocation {
            request_id: "local".into(),
            deadline,
        }
    }

    /// The session name AssumeRole records in member accounts: at most 64 characters of
    /// `[\w+=,.@-]`.
    fn session_name(&self) -> String {
        let id: String = self
            .request_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(*c))
            .take(60)
            .collect();
        format!("mta-{id}")
    }

    /// When the last account must be done: the deadline less the time the hand-offs and the report
    /// need.
    fn cutoff(&self) -> Instant {
        self.deadline
            .checked_sub(PUBLISH_TIMEOUT * MAX_MESSAGES + REPORT_MARGIN)
            .unwrap_or(self.deadline)
    }
}

/// Everything an invocation needs, built once at start-up: the configuration and the adapters.
pub struct App {
    pub config: Config,
    directory: Arc<dyn Directory>,
    roles: Arc<dyn RoleStore>,
    /// `None`: notifications are logged, not published.
    publisher: Option<Arc<dyn Publisher>>,
}

impl App {
    /// The AWS adapters, from one SDK configuration.
    pub fn new(sdk: &SdkConfig, config: Config) -> App {
        let publisher = config.topic_arn.as_deref().map(|arn| {
            let sns = aws_sdk_sns::config::Builder::from(sdk)
                .timeout_config(
                    aws_config::timeout::TimeoutConfig::builder()
                        .operation_timeout(PUBLISH_TIMEOUT)
                        .build(),
                )
                .build();
            Arc::new(Topic::new(aws_sdk_sns::Client::from_conf(sns), arn)) as Arc<dyn Publisher>
        });
        App::with_ports(
            config.clone(),
            Arc::new(Organization::new(aws_sdk_organizations::Client::new(sdk))),
            Arc::new(AccountAccess::new(sdk, &config.member_role_name)),
            publisher,
        )
    }

    /// Any adapters behind the ports: the AWS ones, or in-memory fakes in tests.
    pub fn with_ports(
        config: Config,
        directory: Arc<dyn Directory>,
        roles: Arc<dyn RoleStore>,
        publisher: Option<Arc<dyn Publisher>>,
    ) -> App {
        App {
            config,
            directory,
            roles,
            publisher,
        }
    }

    /// Handles one invocation and returns its report, logged. The report says, through
    /// [`Report::into_result`], whether the invocation must fail.
    pub async fn handle(&self, payload: &Value, invocation: &Invocation) -> Report {
        let intake = intake::parse(payload);
        let command_dry_run = matches!(
            intake.kind,
            Kind::Handle(Trigger::Command { dry_run: true, .. })
        );
        // DRY_RUN=true is a lock: a command cannot lift it, only ask for a dry run on its own.
        let dry_run = self.config.dry_run || command_dry_run;
        let report = match &intake.kind {
            Kind::Ignore(reason) => {
                Report::build(&intake, dry_run, Ending::Ignored(reason.clone()))
            }
            Kind::Handle(trigger) => self.run(&intake, trigger, dry_run, invocation).await,
        };
        log(&report);
        report
    }

    async fn run(
        &self,
        intake: &Intake,
        trigger: &Trigger,
        dry_run: bool,
        invocation: &Invocation,
    ) -> Report {
        let stopped = |trusted_access, error| {
            Report::build(
                intake,
                dry_run,
                Ending::Stopped {
                    trusted_access,
                    error,
                },
            )
        };
        let unreadable = |what, source| InvocationError::Unreadable { what, source };
        // Who the management account is comes first: an event recorded anywhere else is ignored
        // before anything else is read.
        let organization = match self.directory.identity().await {
            Ok(organization) => organization,
            Err(e) => return stopped(None, unreadable("the organization", e)),
        };
        if let Some(recorded) = intake
            .recorded_in
            .as_deref()
            .filter(|a| *a != organization.management_account_id)
        {
            let reason = format!(
                "the event was recorded in account {recorded}, not in the management account {}",
                organization.management_account_id
            );
            return Report::build(intake, dry_run, Ending::Ignored(reason));
        }
        let scope = scope_of(trigger);
        let trusted_access = match self.directory.trusted_access(MARKETPLACE_PRINCIPAL).await {
            Ok(enabled) => enabled,
            Err(e) => return stopped(None, unreadable("the organization", e)),
        };
        let known = match self.known_accounts(&scope).await {
            Ok(known) => known,
            Err(e) => return stopped(Some(trusted_access), unreadable("the organization", e)),
        };
        let caller = match self.roles.caller().await {
            Ok(caller) => caller,
            Err(e) => {
                return stopped(
                    Some(trusted_access),
                    unreadable("the function's own identity", e),
                );
            }
        };
        if caller.account_id != organization.management_account_id {
            let error = InvocationError::WrongAccount {
                management: organization.management_account_id.clone(),
                actual: caller.account_id.clone(),
            };
            return stopped(Some(trusted_access), error);
        }
        let policy = Policy {
            on_disable: self.config.on_disable,
            on_departure: self.config.on_departure,
        };
        let reconciler = Reconciler {
            directory: self.directory.as_ref(),
            roles: self.roles.as_ref(),
            policy,
            max_concurrency: self.config.max_concurrency,
            dry_run,
            on_account: None,
            stop: None,
        };
        let session_name = invocation.session_name();
        let session = Session {
            caller: &caller,
            name: &session_name,
        };
        let targets = targets(&organization.management_account_id, &known, &scope);
        let outcome = reconciler
            .run(trusted_access, &session, targets, invocation.cutoff())
            .await;
        self.hand_off(intake, trigger, dry_run, &organization, &outcome, policy)
            .await
    }

    /// The accounts Organizations reports for `scope`: every account for a sweep or a change of
    /// trusted access, only the named ones otherwise (`ListAccounts` is throttled in large
    /// organizations, `DescribeAccount` is not needed more than once or twice).
    async fn known_accounts(&self, scope: &Scope) -> Result<Vec<MemberAccount>, AwsError> {
        let ids = match scope {
            Scope::Organization => return self.directory.accounts().await,
            Scope::Listed(ids) => ids.clone(),
            Scope::Named { account_id, .. } => vec![account_id.clone()],
        };
        let mut known = Vec::with_capacity(ids.len());
        for id in ids {
            known.extend(self.directory.account(&id).await?);
        }
        Ok(known)
    }

    async fn hand_off(
        &self,
        intake: &Intake,
        trigger: &Trigger,
        dry_run: bool,
        organization: &OrgIdentity,
        outcome: &Outcome,
        policy: Policy,
    ) -> Report {
        let messages = messages::compose(Context {
            trigger,
            trigger_name: &intake.name,
            event_id: intake.event_id.as_deref(),
            organization,
            outcome,
            dry_run,
            policy,
        });
        let publisher = self.publisher.as_deref().filter(|_| !dry_run);
        let deliveries = notify::deliver(publisher, &messages).await;
        Report::build(
            intake,
            dry_run,
            Ending::Ran {
                outcome,
                deliveries: &deliveries,
            },
        )
    }
}

/// Which accounts a trigger asks to look at.
fn scope_of(trigger: &Trigger) -> Scope {
    match trigger {
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
    }
}

/// Logs the report as one JSON line.
fn log(report: &Report) {
    if report.failure.is_some() {
        error!(target: "report", "{}", report.to_json_line());
    } else {
        info!(target: "report", "{}", report.to_json_line());
    }
}
