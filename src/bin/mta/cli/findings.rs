//! `mta findings`: the findings the function would import into Security Hub CSPM if a sweep ran
//! now (docs/findings.md), made by the same plan from the same reads, and sent nowhere. The state
//! table (`--state-table`, else STATE_TABLE_NAME) gives the findings open and the hand-offs; without
//! it every condition is a new finding and none ends. Read-only: member accounts are entered as
//! `mta status` enters them.

use super::args::{FindingsArgs, Format};
use super::progress::{Interrupt, Progress};
use super::run::{self, Pass, RunContext};
use super::services::expectation;
use super::session::{self, Ports};
use super::table::Table;
use super::{CliError, Exit, emit};
use marketplace_trusted_access::aws::state::StateTable;
use marketplace_trusted_access::config::{self, Removal};
use marketplace_trusted_access::decision::{Policy, Scope};
use marketplace_trusted_access::drift::Intent;
use marketplace_trusted_access::findings::{Planned, State, asff};
use marketplace_trusted_access::intake::{self, Kind};
use marketplace_trusted_access::plan::evidence::Place;
use marketplace_trusted_access::plan::snapshot::Reading;
use marketplace_trusted_access::plan::{self, Found, Input, Settings, Snapshot};
use marketplace_trusted_access::ports::{Clock, FindingsSet, StateStore, SystemClock};

/// A scheduled sweep in the management account, as EventBridge delivers it: the trigger whose
/// findings are shown.
fn sweep_payload(account: &str, region: &str, now: u64) -> serde_json::Value {
    serde_json::json!({
        "version": "0",
        "id": "mta-findings",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": marketplace_trusted_access::handoff::rfc3339(now),
        "region": region,
        "resources": [],
        "detail": {},
    })
}

pub async fn findings(args: FindingsArgs) -> Result<Exit, CliError> {
    let c = &args.common;
    let progress = Progress::new(Progress::visible(c.output.quiet));
    let interrupt = Interrupt::install(progress.clone());
    let scopes = [Scope::Organization];
    let expected = expectation(args.expected.as_ref(), var("EXPECTED_SERVICES").as_deref())?;
    let admins = super::services::admin_intent()?;
    let table = args.state_table.clone().or_else(|| var("STATE_TABLE_NAME"));
    let ran = async {
        let sdk = session::sdk_config(&c.session).await;
        session::check_credentials(&sdk, &c.session).await?;
        let ports = Ports::new(&sdk, &c.members.member_role_name);
        progress.reading("the organization");
        let truth = session::read_truth(&ports, &scopes).await?;
        let state = table
            .as_deref()
            .map(|name| StateTable::new(aws_sdk_dynamodb::Client::new(&sdk), name));
        let cx = RunContext::new(&ports, &truth, &progress, &interrupt);
        let policy = Policy {
            on_disable: Removal::Retain,
            on_departure: Removal::Retain,
        };
        let targets = truth.targets(&scopes);
        let outcome = run::reconcile(&cx, targets, policy, c.members.concurrency, Pass::STATUS);
        let outcome = outcome.await;
        let intent = Intent {
            services: expected.as_ref().map(|e| e.principals.as_slice()),
            admins: admins.as_ref(),
        };
        let state = state.as_ref().map(|s| s as &dyn StateStore);
        let region = sdk.region().map_or("us-east-1", |r| r.as_ref()).to_string();
        let management = &truth.organization.management_account_id;
        let now = SystemClock.now();
        let intake = intake::parse(&sweep_payload(management, &region, now));
        let trigger = match &intake.kind {
            Kind::Handle(trigger) => trigger,
            Kind::Ignore(reason) => {
                return Err(CliError::Input(format!(
                    "the sweep was not planned: {reason}"
                )));
            }
        };
        let reading = Reading {
            trigger,
            intent,
            joined_now: None,
            findings: state,
        };
        let mut snapshot = Snapshot::read(state, &ports.directory, reading).await;
        if let Some(trouble) = snapshot.troubles.first() {
            return Err(CliError::Input(format!(
                "the state table could not be read ({:?}): {}",
                trouble.store, trouble.error
            )));
        }
        snapshot.findings.get_or_insert_with(FindingsSet::default);
        let place = Place {
            region: &region,
            partition: asff::partition_of(&region),
        };
        let planned = plan::plan(Input {
            intake: &intake,
            trigger,
            dry_run: true,
            organization: &truth.organization,
            found: Found::Reconciled {
                outcome: &outcome,
                continuing: false,
            },
            snapshot: &snapshot,
            settings: Settings {
                policy,
                intent,
                remind_after: config::Config::default().remind_after,
                findings: Some(place),
            },
            now,
        });
        Ok::<_, CliError>(planned.findings.unwrap_or_default().planned)
    }
    .await;
    progress.clear();
    let planned = ran?;
    emit(&match c.output.format() {
        Format::Json => {
            let documents: Vec<_> = planned.iter().map(|p| &p.document).collect();
            let text = serde_json::to_string_pretty(&documents).unwrap_or_default();
            format!("{text}\n")
        }
        Format::Csv => rows(&planned).to_csv(),
        Format::Table => rows(&planned).render(),
    });
    let failed = planned.iter().any(|p| p.state == State::Failed);
    Ok(match (interrupt.interrupted(), failed) {
        // Cut short, the accounts not reached have no finding: what is printed is partial.
        (true, _) => Exit::Interrupted,
        (false, true) => Exit::OutOfPlace,
        (false, false) => Exit::InPlace,
    })
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// One row per finding: its check, subject, status, severity and title.
fn rows(planned: &[Planned]) -> Table {
    let mut table = Table::new(["check", "subject", "status", "severity", "title"]);
    for p in planned {
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
        let status = match p.state {
            State::Failed => "FAILED",
            State::Passed => "PASSED",
            State::Archived => "PASSED (archived)",
        };
        table.row(vec![
            p.check.id().to_string(),
            p.subject.clone(),
            status.to_string(),
            text(&p.document["Severity"]["Label"]),
            text(&p.document["Title"]),
        ]);
    }
    table
}
