//! One invocation, end to end: intake, truth, reconciliation, hand-offs, report
//! (docs/design.md, "Architecture").

use crate::aws::accounts::AccountAccess;
use crate::aws::organization::Organization;
use crate::aws::queue::ContinuationQueue;
use crate::aws::state::StateTable;
use crate::aws::topic::Topic;
use crate::config::Config;
use crate::decision::{Policy, Scope, targets};
use crate::intake::{self, Intake, Kind, Trigger};
use crate::messages::{self, Context};
use crate::notify::{self, Deduplication, Outbox, PUBLISH_TIMEOUT};
use crate::outcome::Outcome;
use crate::ports::{
    Continuation, ContinuationRequest, Directory, FailureSet, MAX_ATTEMPTS, Publisher, RoleStore,
    StateStore,
};
use crate::reconcile::{Reconciler, Session, known_accounts};
use crate::report::{Ending, Handover, Report};
use crate::service::MARKETPLACE;
use aws_config::SdkConfig;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{error, info};

/// Hand-offs one invocation may send: the trigger's own (at most two), a failure summary and a
/// recovery.
const MAX_MESSAGES: u32 = 4;
/// The delay before the first continuation; each next one waits twice as long.
const FIRST_DELAY: Duration = Duration::from_secs(30);
/// Time kept back for logging the report and answering.
const REPORT_MARGIN: Duration = Duration::from_secs(2);
/// Time kept back from the deadline for the hand-offs and the report: no account runs later than
/// the deadline less this.
pub const RESERVE: Duration =
    Duration::from_secs(PUBLISH_TIMEOUT.as_secs() * MAX_MESSAGES as u64 + REPORT_MARGIN.as_secs());

pub use crate::error::InvocationError;

/// One invocation's context: the Lambda request id, which names the session in member accounts'
/// CloudTrail, and the time Lambda stops the invocation.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    pub deadline: Instant,
}

impl Invocation {
    /// An invocation outside Lambda (`mta`, tests) that must end by `deadline`. Its id is unique
    /// in this process and across processes, as a Lambda request id is: it names the invocation's
    /// claims on hand-offs.
    pub fn until(deadline: Instant) -> Invocation {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Invocation {
            request_id: format!("local-{}-{n}", std::process::id()),
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
        self.deadline.checked_sub(RESERVE).unwrap_or(self.deadline)
    }
}

/// The adapters an `App` works through.
#[derive(Clone)]
pub struct Ports {
    pub directory: Arc<dyn Directory>,
    pub roles: Arc<dyn RoleStore>,
    /// `None`: notifications are logged, not published.
    pub publisher: Option<Arc<dyn Publisher>>,
    /// `None`: hand-offs are sent at least once, and sweep failures told every time.
    pub state: Option<Arc<dyn StateStore>>,
    /// `None`: what a run leaves is left to the next sweep.
    pub continuation: Option<Arc<dyn Continuation>>,
}

/// Everything an invocation needs, built once at start-up: the configuration and the adapters.
pub struct App {
    pub config: Config,
    ports: Ports,
}

impl App {
    /// The AWS adapters, from one SDK configuration.
    pub fn new(sdk: &SdkConfig, config: Config) -> App {
        let ports = Ports::aws(
            sdk,
            &config,
            AccountAccess::new(sdk, &config.member_role_name),
        );
        App::with_ports(config, ports)
    }

    /// Any adapters behind the ports: the AWS ones, or in-memory fakes in tests.
    pub fn with_ports(config: Config, ports: Ports) -> App {
        App { config, ports }
    }

    /// Handles one invocation and returns its report, logged. The report says, through
    /// [`Report::into_result`], whether the invocation must fail.
    pub async fn handle(&self, payload: &Value, invocation: &Invocation) -> Report {
        let started = Instant::now();
        let intake = intake::parse(payload);
        let command_dry_run = matches!(
            intake.kind,
            Kind::Handle(Trigger::Command { dry_run: true, .. })
                | Kind::Handle(Trigger::Continuation(ContinuationRequest {
                    dry_run: true,
                    ..
                }))
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
        crate::metrics::emit(&report, started.elapsed());
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
        let directory = self.ports.directory.as_ref();
        // Who the management account is comes first: an event recorded anywhere else is ignored
        // before anything else is read.
        let organization = match directory.identity().await {
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
        let trusted_access = match directory.trusted_access(MARKETPLACE.principal).await {
            Ok(enabled) => enabled,
            Err(e) => return stopped(None, unreadable("the organization", e)),
        };
        let known = match known_accounts(directory, &scope).await {
            Ok(known) => known,
            Err(e) => return stopped(Some(trusted_access), unreadable("the organization", e)),
        };
        let caller = match self.ports.roles.caller().await {
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
            directory,
            roles: self.ports.roles.as_ref(),
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
        let handover = self
            .hand_on(intake, trigger, dry_run, &outcome, invocation)
            .await;
        let continuing = handover.as_ref().is_some_and(|h| h.status == "handed-on");
        let live = !dry_run && self.ports.publisher.is_some();
        let state = self.ports.state.as_deref().filter(|_| live);
        let (memory, mut deduplication) = match (state, trigger) {
            (Some(state), Trigger::Sweep) => {
                sweep_memory(state, &outcome, continuing, self.config.remind_after).await
            }
            _ => (SweepMemory::default(), Deduplication::Off),
        };
        let messages = messages::compose(Context {
            trigger,
            trigger_name: &intake.name,
            event_id: intake.event_id.as_deref(),
            organization: &organization,
            outcome: &outcome,
            dry_run,
            policy,
            continuing,
            failures_told: memory.told,
            recovered: &memory.recovered,
        });
        let publisher = self.ports.publisher.as_deref().filter(|_| !dry_run);
        let deliveries = match (publisher, state, outbox_key(intake, trigger)) {
            (Some(publisher), Some(state), Some(key)) => {
                let at = Outbox {
                    state,
                    key: &key,
                    holder: &invocation.request_id,
                };
                let (deliveries, outbox) = notify::deliver_once(publisher, &at, &messages).await;
                if !matches!(deduplication, Deduplication::Unavailable(_)) {
                    deduplication = outbox;
                }
                deliveries
            }
            _ => notify::deliver(publisher, &messages).await,
        };
        if let Some(state) = state
            && let Some(set) = memory.save
            && let Err(e) = state.save_failures(&set).await
        {
            tracing::warn!(error = %e, "the sweep's failure set could not be saved");
            deduplication = Deduplication::Unavailable(e);
        }
        Report::build(
            intake,
            dry_run,
            Ending::Ran {
                outcome: &outcome,
                deliveries: &deliveries,
                deduplication: &deduplication,
                continuation: handover,
            },
        )
    }

    /// Hands the accounts a run did not finish (unreached, or failed for a reason that passes) to
    /// a later invocation, with a growing delay, at most [`MAX_ATTEMPTS`] runs per chain.
    async fn hand_on(
        &self,
        intake: &Intake,
        trigger: &Trigger,
        dry_run: bool,
        outcome: &Outcome,
        invocation: &Invocation,
    ) -> Option<Handover> {
        let continuation = self.ports.continuation.as_ref()?;
        // Sending a message is a change: a dry run leaves the rest to the next one.
        if dry_run {
            return None;
        }
        let transient = outcome.accounts.iter().filter(|a| a.failed_transiently());
        let accounts: Vec<String> = outcome
            .unreached
            .iter()
            .cloned()
            .chain(transient.map(|a| a.account_id.clone()))
            .collect();
        if accounts.is_empty() {
            return None;
        }
        let attempt = match trigger {
            Trigger::Continuation(request) => request.attempt.saturating_add(1),
            _ => 2,
        };
        if attempt > MAX_ATTEMPTS {
            return Some(Handover {
                status: "exhausted".into(),
                attempt: MAX_ATTEMPTS,
                accounts: accounts.len(),
                delay_seconds: None,
                error: None,
            });
        }
        let request = ContinuationRequest {
            trigger: intake.name.clone(),
            event_id: intake
                .event_id
                .clone()
                .unwrap_or_else(|| invocation.request_id.clone()),
            attempt,
            accounts,
            dry_run,
        };
        // attempt is 2..=MAX_ATTEMPTS here; the arithmetic saturates all the same.
        let doublings = attempt.saturating_sub(2).min(MAX_ATTEMPTS);
        let delay = FIRST_DELAY.saturating_mul(1 << doublings);
        let handover = |status: &str, error: Option<String>| Handover {
            status: status.into(),
            attempt,
            accounts: request.accounts.len(),
            delay_seconds: Some(delay.as_secs()),
            error,
        };
        match continuation.hand_on(&request, delay).await {
            Ok(()) => Some(handover("handed-on", None)),
            Err(e) => {
                tracing::warn!(error = %e, "the rest of the run could not be handed on");
                Some(handover("failed", Some(e.to_string())))
            }
        }
    }
}

impl Ports {
    /// The AWS adapters, from one SDK configuration, with `roles` for the accounts' roles.
    pub fn aws(sdk: &SdkConfig, config: &Config, roles: AccountAccess) -> Ports {
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
        let state = config.state_table.as_deref().map(|name| {
            Arc::new(StateTable::new(aws_sdk_dynamodb::Client::new(sdk), name))
                as Arc<dyn StateStore>
        });
        let continuation = config.continuation_queue_url.as_deref().map(|url| {
            Arc::new(ContinuationQueue::new(aws_sdk_sqs::Client::new(sdk), url))
                as Arc<dyn Continuation>
        });
        Ports {
            directory: Arc::new(Organization::new(aws_sdk_organizations::Client::new(sdk))),
            roles: Arc::new(roles),
            publisher,
            state,
            continuation,
        }
    }
}

/// What a sweep remembers of the failures it told.
#[derive(Default)]
struct SweepMemory {
    /// The failing accounts are those told lately: no new warning.
    told: bool,
    /// Accounts told failing before, reconciled now.
    recovered: Vec<String>,
    /// The set to remember after this sweep, if it changed or was told again.
    save: Option<FailureSet>,
}

/// A sweep warns when the set of failing accounts (or their errors) changes, repeats an unchanged
/// one at most once per `remind_after`, and announces recovery once (docs/design.md, "State").
async fn sweep_memory(
    state: &dyn StateStore,
    outcome: &Outcome,
    continuing: bool,
    remind_after: Duration,
) -> (SweepMemory, Deduplication) {
    let before = match state.failures().await {
        Ok(before) => before,
        Err(e) => return (SweepMemory::default(), Deduplication::Unavailable(e)),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let accounts: std::collections::BTreeMap<String, String> = outcome
        .failures_to_tell(continuing)
        .filter_map(|a| {
            let f = a.failure.as_ref()?;
            Some((
                a.account_id.clone(),
                format!("{}: {}", f.step, f.error.code),
            ))
        })
        .collect();
    let memory = if accounts.is_empty() {
        SweepMemory {
            told: false,
            recovered: before.accounts.keys().cloned().collect(),
            save: (!before.accounts.is_empty()).then(|| FailureSet {
                version: before.version,
                ..FailureSet::default()
            }),
        }
    } else if accounts == before.accounts
        && now.saturating_sub(before.warned_at) < remind_after.as_secs()
    {
        SweepMemory {
            told: true,
            ..SweepMemory::default()
        }
    } else {
        SweepMemory {
            told: false,
            recovered: Vec::new(),
            save: Some(FailureSet {
                accounts,
                warned_at: now,
                version: before.version,
            }),
        }
    };
    (memory, Deduplication::On)
}

/// The identity of the fact a trigger's hand-offs are about: the same for every delivery of it.
/// `None` for a command, which has no identity: its messages go out at least once.
fn outbox_key(intake: &Intake, trigger: &Trigger) -> Option<String> {
    match trigger {
        // One departure, one hand-off, whether it comes as RemoveAccountFromOrganization,
        // AccountDepartedOrganization or both; likewise for a join and its member role.
        Trigger::AccountDeparted { account_id, .. } => Some(format!("departed#{account_id}")),
        Trigger::AccountJoined { account_id, .. }
        | Trigger::MemberRoleDeployed {
            account_id: Some(account_id),
            succeeded: true,
            ..
        } => Some(format!("joined#{account_id}")),
        Trigger::Continuation(request) => Some(format!("{}#{}", request.event_id, request.attempt)),
        Trigger::Command { .. } => None,
        _ => intake.event_id.clone(),
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
        Trigger::Continuation(request) => Scope::Listed(request.accounts.clone()),
        Trigger::AccountDeparted { account_id, .. } => Scope::Named {
            account_id: account_id.clone(),
            departed: true,
            joining: false,
        },
        Trigger::AccountJoined { account_id, .. } => Scope::Named {
            account_id: account_id.clone(),
            departed: false,
            joining: true,
        },
        Trigger::MemberRoleDeployed {
            account_id: Some(account_id),
            ..
        } => Scope::Named {
            account_id: account_id.clone(),
            departed: false,
            joining: false,
        },
        // A deployment that failed before its stack was named: no account to look at, only the
        // failure to tell.
        Trigger::MemberRoleDeployed {
            account_id: None, ..
        } => Scope::Listed(Vec::new()),
    }
}

/// The largest report logged as one line: under the 256 KiB that Lambda's log capture keeps whole
/// (docs/design.md, "The report"; CloudWatch Logs' 1 MB applies to `PutLogEvents` callers only).
pub const LOG_LINE_LIMIT: usize = 200_000;

/// Logs the report as one JSON line or, when that would be too long for CloudWatch Logs, as one
/// summary line (the report without its actions) and the actions in numbered chunks, each line
/// under [`LOG_LINE_LIMIT`] (docs/design.md, "The report").
fn log(report: &Report) {
    each_report_line(report, |line| {
        if report.failure.is_some() {
            error!(target: "report", "{line}");
        } else {
            info!(target: "report", "{line}");
        }
    });
}

/// The log lines of a report (see [`log`]), collected.
pub fn report_lines(report: &Report) -> Vec<String> {
    let mut lines = Vec::new();
    each_report_line(report, |line| lines.push(line));
    lines
}

/// Hands the log lines of a report to `emit` one at a time, so that a large organization's report
/// is never held as text more than one line at a time: its length is counted before it is written.
fn each_report_line(report: &Report, mut emit: impl FnMut(String)) {
    if json_length(report) <= LOG_LINE_LIMIT {
        return emit(report.to_json_line());
    }
    let chunks = chunk_actions(report);
    let mut summary = serde_json::to_value(report.without_accounts()).unwrap_or_default();
    summary["actionChunks"] = chunks.len().into();
    summary["unreachedCount"] = report.unreached.len().into();
    emit(summary.to_string());
    let total = chunks.len();
    for (i, (actions, unreached)) in chunks.into_iter().enumerate() {
        emit(
            serde_json::json!({
                "eventId": report.event_id,
                "trigger": report.trigger,
                "chunk": i + 1,
                "of": total,
                "actions": actions,
                "unreached": unreached,
            })
            .to_string(),
        );
    }
}

/// The length of a value's JSON, counted without writing it.
fn json_length(value: &impl serde::Serialize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).map_or(usize::MAX, |()| count.0)
}

/// The report's actions and unreached accounts, split so that each chunk's line stays well under
/// the limit.
fn chunk_actions(report: &Report) -> Vec<(Vec<&crate::report::AccountAction>, Vec<&String>)> {
    const BUDGET: usize = LOG_LINE_LIMIT - 1_000;
    let mut chunks = Vec::new();
    let mut current: (Vec<_>, Vec<_>) = (Vec::new(), Vec::new());
    let mut size = 0;
    for action in &report.actions {
        let n = json_length(action) + 1;
        if size + n > BUDGET && !current.0.is_empty() {
            chunks.push(std::mem::take(&mut current));
            size = 0;
        }
        current.0.push(action);
        size += n;
    }
    for id in &report.unreached {
        if size + id.len() + 3 > BUDGET {
            chunks.push(std::mem::take(&mut current));
            size = 0;
        }
        current.1.push(id);
        size += id.len() + 3;
    }
    if !current.0.is_empty() || !current.1.is_empty() {
        chunks.push(current);
    }
    chunks
}
