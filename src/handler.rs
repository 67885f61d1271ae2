//! One invocation, end to end: intake, truth, reconciliation, hand-offs, report
//! (docs/design.md, "Architecture").

use crate::aws::accounts::AccountAccess;
use crate::config::Config;
use crate::continuation::{self, HandoverStatus};
use crate::decision::Policy;
use crate::drift;
use crate::guardian;
use crate::intake::{self, Intake, Kind, Trigger};
use crate::ledger;
use crate::messages::{self, About, Context};
use crate::notify::{self, Channel, Deduplication};
pub use crate::ports::Ports;
use crate::ports::{ContinuationRequest, StateStore};
use crate::reconcile::{Reconciler, Session};
pub use crate::report::log::report_lines;
use crate::report::{self, Ending, Report, ReportOutcome, Store, Trouble};
use crate::sweep_memory::{self, SweepMemory};
use crate::truth::{self, Truth};
use aws_config::SdkConfig;
use serde_json::Value;
use std::time::Instant;

pub use crate::error::InvocationError;
pub use crate::invocation::{Invocation, RESERVE};

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
            Kind::Handle(trigger) => {
                let mut report = self.run(&intake, trigger, dry_run, invocation).await;
                let channel = Channel::of(&self.ports, dry_run, &invocation.request_id);
                let told = report.failure.is_none() && report.outcome != ReportOutcome::Ignored;
                if let (Some(state), true) = (channel.state, told) {
                    let remind =
                        matches!(trigger, Trigger::Sweep).then_some(self.config.remind_after);
                    let (directory, now) = (self.ports.directory.as_ref(), self.ports.clock.now());
                    let told = ledger::follow_up(state, directory, &channel, remind, now).await;
                    report.followed_up(told);
                }
                report
            }
        };
        report::log::log(&report);
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
        let directory = self.ports.directory.as_ref();
        // Who the management account is comes first: an event recorded anywhere else is ignored
        // before anything else is read.
        let organization = match truth::identity(directory).await {
            Ok(organization) => organization,
            Err(e) => return stopped(None, e.into()),
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
        let channel = Channel::of(&self.ports, dry_run, &invocation.request_id);
        let state = channel.state;
        let seen = guardian::Seen {
            intake,
            trigger,
            dry_run,
            now: self.ports.clock.now(),
        };
        if let Some(report) = guardian::observe(directory, &channel, seen, &organization).await {
            return report;
        }
        let scope = trigger.scope();
        let roles = self.ports.roles.as_ref();
        let truth =
            match truth::read(directory, roles, organization, std::slice::from_ref(&scope)).await {
                Ok(truth) => truth,
                Err(e) => return stopped(e.trusted_access(), e.into()),
            };
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
            caller: &truth.caller,
            name: &session_name,
        };
        let targets = truth.targets(std::slice::from_ref(&scope));
        let outcome = reconciler
            .run(truth.trusted_access, &session, targets, invocation.cutoff())
            .await;
        let run = continuation::Run {
            intake,
            trigger,
            dry_run,
            request_id: &invocation.request_id,
        };
        let handover =
            continuation::hand_on(self.ports.continuation.as_deref(), &run, &outcome).await;
        let continuing = handover
            .as_ref()
            .is_some_and(|h| h.status == HandoverStatus::HandedOn);
        let mut troubles = Vec::new();
        let memory = match (state, trigger) {
            (Some(state), Trigger::Sweep) => {
                let remind = self.config.remind_after;
                let (memory, read) =
                    sweep_memory::recall(state, &outcome, continuing, remind, seen.now).await;
                if let Deduplication::Unavailable(e) = read {
                    troubles.push(Trouble::new(Store::SweepMemory, &e));
                }
                memory
            }
            _ => SweepMemory::default(),
        };
        let watched = match (&self.config.expected_services, trigger) {
            (Some(expected), Trigger::Sweep) => {
                let o = About::of(intake, trigger, &truth.organization);
                let remind = self.config.remind_after;
                Some(drift::watch(directory, state, expected, o, remind, seen.now).await)
            }
            _ => None,
        };
        let joined = episode(state, trigger, &truth, dry_run, &mut troubles).await;
        let key = notify::outbox_key(intake, trigger, joined);
        let holds = matches!(trigger, Trigger::TrustedAccess { enabled, .. } if *enabled == truth.trusted_access);
        let judgement = ledger::judge(state, trigger, key.as_deref(), holds, seen.now).await;
        let agreed = judgement.agreed.clone();
        let about = About {
            agreed: agreed.as_ref(),
            ..About::of(intake, trigger, &truth.organization)
        };
        let mut messages = messages::compose(Context {
            about,
            outcome: &outcome,
            dry_run,
            policy,
            continuing,
            failures_told: memory.told,
            recovered: &memory.recovered,
        });
        messages.extend(watched.iter().flat_map(|w| w.messages.iter().cloned()));
        let opened = ledger::open(&mut messages, about, key.as_deref(), holds, seen.now);
        if let Some(e) = ledger::record(state, judgement, opened).await {
            troubles.push(Trouble::new(Store::Ledger, &e));
        }
        let (deliveries, deduplication) = notify::send(&channel, key.as_deref(), &messages).await;
        if let Some(state) = state
            && let Some(set) = memory.save
            && let Err(e) = state.save_failures(&set).await
        {
            tracing::warn!(error = %e, "the sweep's failure set could not be saved");
            troubles.push(Trouble::new(Store::SweepMemory, &e));
        }
        if let Some(state) = state
            && let Some(set) = watched.as_ref().and_then(|w| w.save.as_ref())
            && let Err(e) = state.save_drift(set).await
        {
            tracing::warn!(error = %e, "the sweep's drift set could not be saved");
            troubles.push(Trouble::new(Store::Drift, &e));
        }
        let mut report = Report::build(
            intake,
            dry_run,
            Ending::Ran {
                outcome: &outcome,
                deliveries: &deliveries,
                deduplication: &deduplication,
                troubles,
                continuation: handover,
            },
        );
        report.services = watched.map(|w| w.seen);
        report
    }
}

/// When the account of a join or a departure joined the organization, naming its membership
/// episode (`notify::outbox_key`): for a join, as Organizations reports it now, remembered in the
/// state table (not in a dry run); for a departure, as remembered then. `None` when unknown: the
/// account was never seen joining, or the table cannot say.
async fn episode(
    state: Option<&dyn StateStore>,
    trigger: &Trigger,
    truth: &Truth,
    dry_run: bool,
    troubles: &mut Vec<Trouble>,
) -> Option<u64> {
    let state = state?;
    match trigger {
        Trigger::AccountDeparted { account_id, .. } => {
            state.joined(account_id).await.unwrap_or_else(|e| {
                tracing::warn!(error = %e, account_id, "when the account joined could not be read");
                troubles.push(Trouble::new(Store::Membership, &e));
                None
            })
        }
        Trigger::AccountJoined { account_id, .. }
        | Trigger::MemberRoleDeployed {
            account_id: Some(account_id),
            ..
        } => {
            let joined = truth.known.iter().find(|a| a.id == *account_id)?.joined?;
            if !dry_run && let Err(e) = state.remember_joined(account_id, joined).await {
                tracing::warn!(error = %e, account_id, "the account's join could not be remembered");
                troubles.push(Trouble::new(Store::Membership, &e));
            }
            Some(joined)
        }
        _ => None,
    }
}
