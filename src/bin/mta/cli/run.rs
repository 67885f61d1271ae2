//! One reconciliation as `mta` runs it: on the function's engine (intake, truth, reconciler, plan,
//! report), with a progress bar and Ctrl-C, publishing nothing.

use super::args::RunArgs;
use super::progress::{Interrupt, Progress};
use super::session::{Ports, Truth};
use marketplace_trusted_access::decision::{Policy, Scope, Target};
use marketplace_trusted_access::intake::{self, Kind};
use marketplace_trusted_access::notify::{self, Deduplication, Topics};
use marketplace_trusted_access::outcome::{AccountResult, Outcome};
use marketplace_trusted_access::plan::{self, Found, Input, Plan, Settings, Snapshot};
use marketplace_trusted_access::reconcile::{Reconciler, Session};
use marketplace_trusted_access::report::{Effects, Ending, Report};
use std::time::{Duration, Instant};

/// No deadline but the operator's patience: Ctrl-C stops a run.
const NO_DEADLINE: Duration = Duration::from_secs(24 * 3600);

/// What a run of `mta` works with, from the connection on: the adapters, the truth read, the
/// progress bar and the Ctrl-C flag.
#[derive(Clone, Copy)]
pub struct RunContext<'a> {
    pub ports: &'a Ports,
    pub truth: &'a Truth,
    pub progress: &'a Progress,
    pub interrupt: &'a Interrupt,
}

impl<'a> RunContext<'a> {
    pub fn new(
        ports: &'a Ports,
        truth: &'a Truth,
        progress: &'a Progress,
        interrupt: &'a Interrupt,
    ) -> Self {
        RunContext {
            ports,
            truth,
            progress,
            interrupt,
        }
    }
}

/// One pass over the accounts: a plan (`dry_run`) or the changes, named on the progress bar.
#[derive(Debug, Clone, Copy)]
pub struct Pass {
    pub dry_run: bool,
    pub label: &'static str,
}

impl Pass {
    pub const STATUS: Pass = Pass {
        dry_run: true,
        label: "status",
    };
    pub const PLAN: Pass = Pass {
        dry_run: true,
        label: "plan",
    };
    pub const APPLY: Pass = Pass {
        dry_run: false,
        label: "apply",
    };
}

/// The session name the member accounts' CloudTrail shows: `mta-cli-<unix time>`.
fn session_name() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("mta-cli-{now}")
}

/// One reconciliation over `targets`, with the progress bar and Ctrl-C.
pub async fn reconcile(
    cx: &RunContext<'_>,
    targets: Vec<Target>,
    policy: Policy,
    max_concurrency: usize,
    pass: Pass,
) -> Outcome {
    let RunContext {
        ports,
        truth,
        progress,
        interrupt,
    } = *cx;
    progress.start(pass.label, targets.len());
    let tell = |r: &AccountResult| progress.account_done(r);
    let reconciler = Reconciler {
        directory: &ports.directory,
        roles: &ports.roles,
        policy,
        max_concurrency,
        dry_run: pass.dry_run,
        on_account: Some(&tell),
        stop: Some(interrupt.flag()),
    };
    let name = session_name();
    let session = Session {
        caller: &truth.caller,
        name: &name,
    };
    reconciler
        .run(
            truth.trusted_access,
            &session,
            targets,
            Instant::now() + NO_DEADLINE,
        )
        .await
}

/// The scopes of `--account` and `--departed`: every account when neither is given.
pub fn scopes_of(run: &RunArgs) -> Vec<Scope> {
    let mut listed: Vec<String> = Vec::new();
    for id in &run.accounts {
        if !listed.contains(id) {
            listed.push(id.clone());
        }
    }
    let mut scopes = Vec::new();
    if !listed.is_empty() {
        scopes.push(Scope::Listed(listed));
    }
    let mut departed: Vec<&String> = Vec::new();
    for id in &run.departed {
        if !departed.contains(&id) {
            departed.push(id);
            scopes.push(Scope::Named {
                account_id: id.clone(),
                departed: true,
                joining: false,
            });
        }
    }
    if scopes.is_empty() {
        scopes.push(Scope::Organization);
    }
    scopes
}

/// The command the function would be invoked with for this run, read by the function's intake.
pub fn command_payload(run: &RunArgs, dry_run: bool) -> serde_json::Value {
    let ids: Vec<&String> = run.accounts.iter().chain(&run.departed).collect();
    serde_json::json!({
        "command": "reconcile",
        "dryRun": dry_run,
        "accounts": if ids.is_empty() { serde_json::Value::Null } else { serde_json::json!(ids) },
    })
}

/// A reconciliation and its report, planned as the function plans it, with nothing remembered
/// (mta reads no state table) and nothing published.
pub async fn reconcile_and_report(
    run: &RunArgs,
    cx: &RunContext<'_>,
    scopes: &[Scope],
    pass: Pass,
) -> Report {
    let (truth, dry_run) = (cx.truth, pass.dry_run);
    let intake = intake::parse(&command_payload(run, dry_run));
    let policy = Policy {
        on_disable: run.on_disable,
        on_departure: run.on_departure,
    };
    let outcome = reconcile(
        cx,
        truth.targets(scopes),
        policy,
        run.common.members.concurrency,
        pass,
    )
    .await;
    let plan = match &intake.kind {
        Kind::Handle(trigger) => plan::plan(Input {
            intake: &intake,
            trigger,
            dry_run,
            organization: &truth.organization,
            found: Found::Reconciled {
                outcome: &outcome,
                continuing: false,
            },
            snapshot: &Snapshot::default(),
            settings: Settings {
                policy,
                intent: Default::default(),
                remind_after: Duration::ZERO,
                findings: None,
            },
            now: 0,
        }),
        // The payload is made above from checked values: the intake always handles it.
        Kind::Ignore(_) => Plan::default(),
    };
    // mta publishes nothing: the hand-offs are the function's to send, and are listed as logged.
    let deliveries = notify::deliver(&Topics::default(), None, &plan.messages, None).await;
    let effects = Effects {
        deliveries: &deliveries,
        deduplication: &Deduplication::Off,
        troubles: Vec::new(),
        services: None,
        findings: None,
    };
    let ending = Ending::Ran {
        outcome: &outcome,
        continuation: None,
        effects,
    };
    Report::build(&intake, dry_run, ending)
}
