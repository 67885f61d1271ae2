//! `mta`, the operator's command line (README.md, "From your laptop"): the function's intake, decision, reconciler and
//! report, run from a person's own credentials. `src/bin/mta/main.rs` only parses the arguments and exits
//! with the code [`run`] returns.
//!
//! - [`args`]: the command line, checked with the library's own validation;
//! - [`session`]: the SDK's configuration chain, the credentials, the organization read once;
//! - [`status`], [`render`], [`explain`]: what each command prints; [`handoffs`]: the ledger;
//!   [`findings`]: the Security Hub findings a sweep would import; [`guardrail`]: the policy that
//!   prevents;
//! - [`progress`]: the progress bar and Ctrl-C; [`confirm`]: `apply`'s question.

pub mod args;
pub mod confirm;
pub mod explain;
pub mod findings;
pub mod guardrail;
pub mod handoffs;
pub mod progress;
pub mod render;
pub mod run;
pub mod services;
pub mod session;
pub mod status;
pub mod table;

use args::{ApplyArgs, Cli, Command, ExplainArgs, Format, RunArgs, StatusArgs};
use marketplace_trusted_access::config::Removal;
use marketplace_trusted_access::decision::{Policy, Scope};
use marketplace_trusted_access::outcome::{Failure, Outcome, Step};
use marketplace_trusted_access::ports::AwsError;
use marketplace_trusted_access::report::{Report, ReportOutcome};
use progress::{Interrupt, Progress};
use render::Run;
use run::{Pass, RunContext};
use session::{Ports, Truth};
use status::StatusView;
use std::io::{IsTerminal, Read};

/// How `mta` exits. Documented under every `--help` ([`args::EXIT_CODES`]) and in docs/cli.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: everything in place, or every account reconciled; an event the function handles.
    InPlace,
    /// 1: something out of place or failed; an event the function ignores; `apply` declined.
    OutOfPlace,
    /// 2: a usage or input error.
    Usage,
    /// 3: AWS could not be read: credentials, permissions, not the management account.
    Aws,
    /// 130: interrupted by Ctrl-C, after the partial result was printed.
    Interrupted,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::InPlace => 0,
            Exit::OutOfPlace => 1,
            Exit::Usage => 2,
            Exit::Aws => 3,
            Exit::Interrupted => 130,
        }
    }
}

/// Why a command could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file or a combination of flags that cannot be used.
    #[error("{0}")]
    Input(String),
    #[error(
        "no AWS credentials from {origin}: {detail}\n  \
         Sign in first (for example `aws sso login --profile NAME`), then pass --profile NAME or set \
         AWS_PROFILE (a profile is read from ~/.aws/config and ~/.aws/credentials); or set \
         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
    )]
    NoCredentials { origin: String, detail: String },
    #[error(
        "could not read {what}: {action} failed: {source}{}",
        hint(action, source)
    )]
    Aws {
        action: &'static str,
        what: &'static str,
        source: AwsError,
    },
    #[error(
        "these credentials are of account {actual}, not of the organization's management account \
         {management}: mta, like the function, runs in the management account"
    )]
    NotManagement { management: String, actual: String },
}

impl CliError {
    pub fn exit(&self) -> Exit {
        match self {
            CliError::Input(_) => Exit::Usage,
            _ => Exit::Aws,
        }
    }
}

/// Whether AWS refused for want of a permission.
fn is_access_denied(code: &str) -> bool {
    code.contains("AccessDenied")
        || code.contains("Unauthorized")
        || code == "AuthorizationError"
        || code == "Forbidden"
}

/// What to do about an AWS error, as a line after it.
fn hint(action: &str, error: &AwsError) -> String {
    let code = error.code.as_str();
    if is_access_denied(code) {
        format!("\n  The credentials lack permission for {action}.")
    } else if matches!(
        code,
        "ExpiredToken"
            | "ExpiredTokenException"
            | "InvalidClientTokenId"
            | "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "SignatureDoesNotMatch"
    ) {
        "\n  AWS refused the credentials: they may have expired. Sign in again (for example \
         `aws sso login`)."
            .to_string()
    } else if code == "AWSOrganizationsNotInUseException" {
        "\n  The credentials' account is not in an organization.".to_string()
    } else if matches!(code, "DispatchFailure" | "TimeoutError") {
        "\n  AWS could not be reached: check the network, --region and AWS_ENDPOINT_URL."
            .to_string()
    } else {
        String::new()
    }
}

/// The AWS action a reconciliation step calls.
pub fn step_action(step: Step) -> &'static str {
    match step {
        Step::AssumeRole => "sts:AssumeRole",
        Step::GetRole => "iam:GetRole",
        Step::CreateServiceLinkedRole => "iam:CreateServiceLinkedRole",
        Step::Recheck => {
            "organizations:ListAWSServiceAccessForOrganization or organizations:DescribeAccount"
        }
        Step::DeleteServiceLinkedRole => "iam:DeleteServiceLinkedRole",
        Step::GetServiceLinkedRoleDeletionStatus => "iam:GetServiceLinkedRoleDeletionStatus",
    }
}

/// An account's failure, and the permission it lacked when AWS refused one.
pub fn with_permission_hint(failure: &Failure) -> String {
    if is_access_denied(&failure.error.code) {
        let needs = match failure.step {
            Step::AssumeRole => {
                "the caller needs sts:AssumeRole on the member role, and the role must trust it"
                    .to_string()
            }
            step => format!("the member role needs {}", step_action(step)),
        };
        format!("{failure} ({needs})")
    } else {
        failure.to_string()
    }
}

/// Runs one command to its end and says how to exit. Errors are printed on standard error.
pub async fn run(cli: Cli) -> Exit {
    let result = match cli.command {
        Command::Status(a) => status(a).await,
        Command::Services(a) => services::services(a).await,
        Command::Plan(a) => plan(a).await,
        Command::Apply(a) => apply(a).await,
        Command::Explain(a) => explain(a),
        Command::Handoffs(a) => handoffs::handoffs(a).await,
        Command::Findings(a) => findings::findings(a).await,
        Command::Guardrail(a) => guardrail::guardrail(a),
    };
    result.unwrap_or_else(|e| {
        say(&format!("mta: {e}\n"));
        e.exit()
    })
}

/// The exit of `status`.
pub fn status_exit(view: &StatusView, interrupted: bool) -> Exit {
    if interrupted {
        Exit::Interrupted
    } else if view.in_place {
        Exit::InPlace
    } else {
        Exit::OutOfPlace
    }
}

/// The exit of `plan`: out of place when a change is planned or an account failed.
pub fn plan_exit(report: &Report, interrupted: bool) -> Exit {
    if interrupted {
        Exit::Interrupted
    } else if report.outcome == ReportOutcome::Reconciled && report.accounts.planned == 0 {
        Exit::InPlace
    } else {
        Exit::OutOfPlace
    }
}

/// The exit of `apply`: every account reconciled, or not.
pub fn apply_exit(report: &Report, interrupted: bool) -> Exit {
    if interrupted {
        Exit::Interrupted
    } else if report.outcome == ReportOutcome::Reconciled {
        Exit::InPlace
    } else {
        Exit::OutOfPlace
    }
}

/// Reads the configuration, checks the credentials and reads the organization.
async fn connect(
    common: &args::Common,
    scopes: &[Scope],
    progress: &Progress,
) -> Result<(Ports, Truth), CliError> {
    let sdk = session::sdk_config(&common.session).await;
    session::check_credentials(&sdk, &common.session).await?;
    let ports = Ports::new(&sdk, &common.members.member_role_name);
    progress.reading("the organization");
    let truth = session::read_truth(&ports, scopes).await?;
    Ok((ports, truth))
}

async fn status(args: StatusArgs) -> Result<Exit, CliError> {
    let c = &args.common;
    let progress = Progress::new(Progress::visible(c.output.quiet));
    let interrupt = Interrupt::install(progress.clone());
    let scopes = [Scope::Organization];
    let ran = async {
        let (ports, truth) = connect(c, &scopes, &progress).await?;
        let targets = truth.targets(&scopes);
        // The function's defaults: status says what the function, as deployed by default, would do.
        let policy = Policy {
            on_disable: Removal::Retain,
            on_departure: Removal::Retain,
        };
        let cx = RunContext::new(&ports, &truth, &progress, &interrupt);
        let pass = Pass::STATUS;
        let outcome =
            run::reconcile(&cx, targets.clone(), policy, c.members.concurrency, pass).await;
        Ok::<_, CliError>((truth, targets, outcome))
    }
    .await;
    progress.clear();
    let (truth, targets, outcome) = ran?;
    let view = StatusView::new(&truth, &targets, &outcome, &c.members.member_role_name);
    emit(&match c.output.format() {
        Format::Json => format!("{}\n", view.to_json()),
        Format::Csv => view.csv(),
        Format::Table => view.render(),
    });
    note_interruption(&outcome, interrupt.interrupted());
    Ok(status_exit(&view, interrupt.interrupted()))
}

fn print_report(report: &Report, format: Format, run: Run) {
    match format {
        Format::Json => {
            let text =
                serde_json::to_string_pretty(report).unwrap_or_else(|_| report.to_json_line());
            emit(&format!("{text}\n"));
        }
        Format::Csv => emit(&render::actions(report).to_csv()),
        Format::Table => emit(&render::report_text(report, run)),
    }
}

async fn plan(run: RunArgs) -> Result<Exit, CliError> {
    run.check().map_err(CliError::Input)?;
    let progress = Progress::new(Progress::visible(run.common.output.quiet));
    let interrupt = Interrupt::install(progress.clone());
    let scopes = run::scopes_of(&run);
    let ran = async {
        let (ports, truth) = connect(&run.common, &scopes, &progress).await?;
        let cx = RunContext::new(&ports, &truth, &progress, &interrupt);
        let pass = Pass::PLAN;
        Ok::<_, CliError>(run::reconcile_and_report(&run, &cx, &scopes, pass).await)
    }
    .await;
    progress.clear();
    let report = ran?;
    print_report(&report, run.common.output.format(), Run::Plan);
    note_unreached(&report, interrupt.interrupted());
    Ok(plan_exit(&report, interrupt.interrupted()))
}

async fn apply(args: ApplyArgs) -> Result<Exit, CliError> {
    let run = &args.run;
    run.check().map_err(CliError::Input)?;
    if !args.yes && !std::io::stdin().is_terminal() {
        return Err(CliError::Input(
            "standard input is not a terminal, so `mta apply` cannot ask for confirmation: \
             pass --yes to apply without asking (`mta plan` shows what it would do)"
                .into(),
        ));
    }
    let progress = Progress::new(Progress::visible(run.common.output.quiet));
    let interrupt = Interrupt::install(progress.clone());
    let scopes = run::scopes_of(run);
    let ran = async {
        let (ports, mut truth) = connect(&run.common, &scopes, &progress).await?;
        if !args.yes {
            let cx = RunContext::new(&ports, &truth, &progress, &interrupt);
            let pass = Pass::PLAN;
            let plan = run::reconcile_and_report(run, &cx, &scopes, pass).await;
            progress.clear();
            if interrupt.interrupted() {
                return Ok(Some((plan, Run::Plan)));
            }
            say(&render::report_text(&plan, Run::Plan));
            let changes = plan.accounts.planned;
            if changes == 0 {
                return Ok(Some((plan, Run::Plan)));
            }
            let creates = plan
                .actions
                .iter()
                .filter(|a| a.action == marketplace_trusted_access::decision::Action::Create)
                .count();
            let question = format!(
                "\nApply {changes} change(s) to organization {} ({creates} create, {} delete)?",
                truth.organization.organization_id,
                changes - creates
            );
            if !ask(&question, &interrupt).await {
                say("Nothing was changed.\n");
                return Ok(None);
            }
            // Organizations may have changed while the question was asked: read it again.
            progress.reading("the organization");
            truth = session::read_truth(&ports, &scopes).await?;
        }
        let cx = RunContext::new(&ports, &truth, &progress, &interrupt);
        let pass = Pass::APPLY;
        let report = run::reconcile_and_report(run, &cx, &scopes, pass).await;
        Ok(Some((report, Run::Apply)))
    }
    .await;
    progress.clear();
    let Some((report, ran_as)) = ran? else {
        // Declined at the prompt: nothing was done, and nothing is printed on standard output.
        return Ok(if interrupt.interrupted() {
            Exit::Interrupted
        } else {
            Exit::OutOfPlace
        });
    };
    print_report(&report, run.common.output.format(), ran_as);
    note_unreached(&report, interrupt.interrupted());
    Ok(match ran_as {
        Run::Plan => plan_exit(&report, interrupt.interrupted()),
        Run::Apply => apply_exit(&report, interrupt.interrupted()),
    })
}

/// Writes to standard output. A reader that went away (`mta status | head`) is not an error of
/// mta's: what it did not read is dropped, and the exit code still tells the result.
pub(crate) fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Writes to standard error, for the person: the same, but nothing to do if it is gone.
pub(crate) fn say(text: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// Asks on standard error and reads standard input; Ctrl-C while waiting is a no.
async fn ask(question: &str, interrupt: &Interrupt) -> bool {
    let question = question.to_string();
    let answer = tokio::task::spawn_blocking(move || {
        let stdin = std::io::stdin();
        confirm::confirm(&mut stdin.lock(), &mut std::io::stderr(), &question).unwrap_or(false)
    });
    tokio::select! {
        answer = answer => answer.unwrap_or(false),
        () = interrupt.wait() => false,
    }
}

fn note_interruption(outcome: &Outcome, interrupted: bool) {
    if interrupted {
        say(&format!(
            "mta: interrupted: {} account(s) not reached; every account started was finished.\n",
            outcome.unreached.len()
        ));
    }
}

fn note_unreached(report: &Report, interrupted: bool) {
    if interrupted {
        say(&format!(
            "mta: interrupted: {} account(s) not reached (listed in the report); every account \
             started was finished.\n",
            report.unreached.len()
        ));
    }
}

fn explain(args: ExplainArgs) -> Result<Exit, CliError> {
    let shown = args.event.display().to_string();
    let bytes = if shown == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| CliError::Input(format!("cannot read standard input: {e}")))?;
        buf
    } else {
        std::fs::read(&args.event)
            .map_err(|e| CliError::Input(format!("cannot read {shown}: {e}")))?
    };
    let payload: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| CliError::Input(format!("{shown} is not valid JSON: {e}")))?;
    let explanation = explain::explain(&payload, args.management_account.as_deref());
    if args.json {
        let text = serde_json::to_string_pretty(&explanation).unwrap_or_default();
        emit(&format!("{text}\n"));
    } else {
        emit(&explanation.render());
    }
    Ok(if explanation.handled {
        Exit::InPlace
    } else {
        Exit::OutOfPlace
    })
}

#[cfg(test)]
mod tests;
