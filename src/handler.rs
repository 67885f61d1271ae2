//! One invocation, end to end: intake, truth, reconciliation, hand-offs, report
//! (docs/design.md, "Architecture").

use crate::apply::{Applied, Evidence, apply};
use crate::aws::accounts::AccountAccess;
use crate::config::Config;
use crate::continuation::{self, HandoverStatus};
use crate::decision::Policy;
use crate::drift::Intent;
use crate::guardian;
use crate::intake::{self, Intake, Kind, Trigger};
use crate::notify::Channel;
use crate::plan::evidence::Place;
use crate::plan::snapshot::Reading;
use crate::plan::{self, Found, Input, Plan, Settings, Snapshot};
use crate::ports::ContinuationRequest;
use crate::ports::OrgIdentity;
pub use crate::ports::Ports;
use crate::reconcile::{Reconciler, Session};
pub use crate::report::log::report_lines;
use crate::report::{self, Effects, Ending, Report};
use crate::truth::{self, Truth};
use aws_config::SdkConfig;
use serde_json::Value;
use std::time::Instant;

pub use crate::error::InvocationError;
use crate::invocation;
pub use crate::invocation::{Invocation, RESERVE};

/// Everything an invocation needs, built once at start-up: the configuration and the adapters.
pub struct App {
    pub config: Config,
    ports: Ports,
    /// The region the function runs in: where its findings go.
    region: String,
}

impl App {
    /// The AWS adapters, from one SDK configuration.
    pub fn new(sdk: &SdkConfig, config: Config) -> App {
        let ports = Ports::aws(
            sdk,
            &config,
            AccountAccess::new(sdk, &config.member_role_name),
        );
        let region = sdk.region().map(ToString::to_string);
        App {
            region: region.unwrap_or_else(|| crate::aws::DEFAULT_REGION.to_string()),
            ..App::with_ports(config, ports)
        }
    }

    /// Any adapters behind the ports: the AWS ones, or in-memory fakes in tests.
    pub fn with_ports(config: Config, ports: Ports) -> App {
        let region = crate::aws::DEFAULT_REGION.to_string();
        App {
            config,
            ports,
            region,
        }
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
        let effects_by = tokio::time::Instant::from_std(invocation.effects_by());
        let channel = Channel::of(
            &self.ports,
            dry_run,
            &invocation.request_id,
            Some(effects_by),
        );
        let settings = Settings {
            policy: self.policy(),
            intent: Intent {
                services: self.config.expected_services.as_deref(),
                admins: self.config.expected_delegated_admins.as_ref(),
            },
            remind_after: self.config.remind_after,
            findings: self.ports.security_hub.as_ref().map(|_| Place {
                region: &self.region,
                partition: crate::findings::asff::partition_of(&self.region),
            }),
        };
        // Findings, with their memory, unless it is a dry run.
        let evidence = match (&self.ports.security_hub, &self.ports.state, dry_run) {
            (Some(hub), Some(state), false) => Some(Evidence {
                hub: hub.as_ref(),
                state: state.as_ref(),
            }),
            _ => None,
        };
        let made = |found, snapshot: &Snapshot, organization: &OrgIdentity| {
            plan::plan(Input {
                intake,
                trigger,
                dry_run,
                organization,
                found,
                snapshot,
                settings,
                now: self.ports.clock.now(),
            })
        };
        match guardian::check(directory, trigger).await {
            Ok(Some(observation)) => {
                let reading = Reading {
                    trigger,
                    intent: settings.intent,
                    joined_now: None,
                    findings: evidence.map(|e| e.state),
                };
                let snapshot = Snapshot::read(channel.state, directory, reading).await;
                let plan = made(Found::Observed(&observation), &snapshot, &organization);
                let applied = apply(&plan, &channel, evidence).await;
                let effects = effects(snapshot, plan, &applied);
                let ending = Ending::Observed {
                    observation: &observation,
                    effects,
                };
                return Report::build(intake, dry_run, ending);
            }
            Ok(None) => {}
            Err(error) => {
                let mut report = stopped(None, error);
                if let Some(principal) = trigger.observed() {
                    report.service_principal = principal.to_string();
                }
                return report;
            }
        }
        let scope = trigger.scope();
        let roles = self.ports.roles.as_ref();
        let truth =
            match truth::read(directory, roles, organization, std::slice::from_ref(&scope)).await {
                Ok(truth) => truth,
                Err(e) => return stopped(e.trusted_access(), e.into()),
            };
        let reading = Reading {
            trigger,
            intent: settings.intent,
            joined_now: channel.state.and(joined_now(trigger, &truth)),
            findings: evidence.map(|e| e.state),
        };
        let snapshot = Snapshot::read(channel.state, directory, reading).await;
        let needs = plan::needs::needs(trigger, &snapshot, settings, self.ports.clock.now());
        let topics = channel.topics.count();
        let reserve = invocation::reserve(needs, topics, channel.state.is_some());
        let reconciler = Reconciler {
            directory,
            roles,
            policy: settings.policy,
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
            .run(
                truth.trusted_access,
                &session,
                targets,
                invocation.cutoff(reserve),
            )
            .await;
        let run = continuation::Run {
            intake,
            trigger,
            dry_run,
            request_id: &invocation.request_id,
        };
        let continuation =
            continuation::hand_on(self.ports.continuation.as_deref(), &run, &outcome).await;
        let continuing = continuation
            .as_ref()
            .is_some_and(|h| h.status == HandoverStatus::HandedOn);
        let found = Found::Reconciled {
            outcome: &outcome,
            continuing,
        };
        let plan = made(found, &snapshot, &truth.organization);
        let applied = apply(&plan, &channel, evidence).await;
        let effects = effects(snapshot, plan, &applied);
        let ending = Ending::Ran {
            outcome: &outcome,
            continuation,
            effects,
        };
        Report::build(intake, dry_run, ending)
    }

    /// The policy of `ON_DISABLE` and `ON_DEPARTURE`.
    fn policy(&self) -> Policy {
        Policy {
            on_disable: self.config.on_disable,
            on_departure: self.config.on_departure,
        }
    }
}

/// What the report tells of a plan carried out: the troubles read, then those written.
fn effects<'a>(snapshot: Snapshot, plan: Plan, applied: &'a Applied) -> Effects<'a> {
    let troubles = snapshot.troubles.into_iter();
    Effects {
        deliveries: &applied.deliveries,
        deduplication: &applied.deduplication,
        troubles: troubles.chain(applied.troubles.iter().cloned()).collect(),
        services: plan.services,
        findings: applied.findings.clone(),
    }
}

/// When Organizations says the account of a join joined, naming its membership episode
/// (`notify::outbox_key`).
fn joined_now(trigger: &Trigger, truth: &Truth) -> Option<u64> {
    match trigger {
        Trigger::AccountJoined { account_id, .. }
        | Trigger::MemberRoleDeployed {
            account_id: Some(account_id),
            ..
        } => truth.known.iter().find(|a| a.id == *account_id)?.joined,
        _ => None,
    }
}
