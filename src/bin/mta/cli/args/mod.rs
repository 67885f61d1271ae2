//! The command line, as `clap` reads it. Every value is checked here, with the library's own checks
//! (`config::check_role_name`, `config::parse_concurrency`, `config::parse_removal`,
//! `config::parse_expected_services`, `intake::is_account_id`), so that a bad value stops `mta` before any AWS call, with clap's usage
//! error and exit code 2.

use clap::{Args, Parser, Subcommand};
use marketplace_trusted_access::config::{self, Config, Removal};
use marketplace_trusted_access::handoff::is_id;
use marketplace_trusted_access::intake::is_account_id;
use marketplace_trusted_access::principal::{is_principal, normalize};
use std::path::PathBuf;

/// Keeps trusted access in an AWS organization honest, from an operator's own credentials: the
/// services whose trusted access is on and their delegated administrators, the hand-offs AWS leaves
/// to people, and AWS Marketplace's service-linked role in every account, with the same decision,
/// reconciler and report as the Lambda function.
#[derive(Debug, Parser)]
#[command(name = "mta", version, propagate_version = true)]
#[command(after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The exit codes, once, under `mta --help`; each command's `--help` says what they mean for it.
pub const EXIT_CODES: &str = "\
Exit codes (each command's --help says what they mean for it):
  0    nothing out of place
  1    something out of place
  2    usage or input error: unknown flag, malformed value, unreadable file; nothing was called
  3    AWS could not be read: no credentials, permission denied, not the management account
  130  interrupted (Ctrl-C): the partial result is printed";

const STATUS_EXITS: &str = "\
Exit codes: 0 every account in place; 1 a role to create or delete, or an account that failed or
could not be checked; 2 usage error; 3 AWS could not be read; 130 interrupted.";

const SERVICES_EXITS: &str = "\
Exit codes: 0 the services enabled are the ones expected, or no expectation is given; 1 a service
expected but not enabled, or enabled but not expected, or a delegated administrator that differs
from EXPECTED_DELEGATED_ADMINS; 2 usage error; 3 AWS could not be read; 130 interrupted.";

const PLAN_EXITS: &str = "\
Exit codes: 0 nothing to change; 1 a role to create or delete, or an account that could not be
checked; 2 usage error; 3 AWS could not be read; 130 interrupted.";

const APPLY_EXITS: &str = "\
Exit codes: 0 every account reconciled; 1 an account failed, or the plan was declined at the prompt;
2 usage error; 3 AWS could not be read; 130 interrupted (the accounts done so far are reported).";

const FINDINGS_EXITS: &str = "\
Exit codes: 0 no finding FAILED; 1 a finding FAILED (a condition stands); 2 usage error, or the state
table unreadable; 3 AWS could not be read; 130 interrupted.";

const EXPLAIN_EXITS: &str = "\
Exit codes: 0 the function would handle the event; 1 it would ignore it; 2 unreadable or invalid file.";

const GUARDRAIL_EXITS: &str = "\
Exit codes: 0 the policy printed; 2 an unknown service, a malformed ARN, or nothing to protect.";

const HANDOFFS_EXITS: &str = "\
Exit codes: 0 the ledger listed, or the item recorded or already ended; 1 the item changed by someone
else meanwhile; 2 usage error, no state table, or a hand-off id the ledger does not hold; 3 AWS could
not be read.";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read-only: trusted access for AWS Marketplace, and every account with its state, whether the
    /// member role can be assumed and whether the Marketplace role is present.
    #[command(after_help = STATUS_EXITS)]
    Status(StatusArgs),
    /// Read-only: every service whose trusted access is enabled in the organization, with its name
    /// and delegated administrators; with --expected (or EXPECTED_SERVICES), the expected ones not
    /// enabled too.
    #[command(after_help = SERVICES_EXITS)]
    Services(ServicesArgs),
    /// What a reconciliation of AWS Marketplace's role would do: the function's dry run, its
    /// decision and its report. No mutating call.
    #[command(after_help = PLAN_EXITS)]
    Plan(RunArgs),
    /// Reconciles AWS Marketplace's role: creates (and, only if asked, deletes) it. Shows the plan
    /// and asks for confirmation unless --yes is given.
    #[command(after_help = APPLY_EXITS)]
    Apply(ApplyArgs),
    /// Offline, no AWS call: how the function would read an event file (its trigger, who made the
    /// change, or why it is ignored) and which accounts it would look at.
    #[command(after_help = EXPLAIN_EXITS)]
    Explain(ExplainArgs),
    /// The hand-off ledger in the state table (STATE_TABLE_NAME, or --state-table): the open
    /// hand-offs (all with --all); `done ID` says one is done; `request-disable` asks a service's
    /// administrator to disable its integration before trusted access is disabled.
    #[command(after_help = HANDOFFS_EXITS)]
    Handoffs(HandoffsArgs),
    /// Read-only: the Security Hub CSPM findings the function (SECURITY_HUB_FINDINGS=true) would
    /// import if a sweep ran now, from the same plan; --json prints their ASFF documents. Nothing
    /// is imported.
    #[command(after_help = FINDINGS_EXITS)]
    Findings(FindingsArgs),
    /// Offline, no AWS call: prints the identity policy (JSON) that denies enabling or disabling
    /// trusted access and registering or deregistering a delegated administrator for the protected
    /// services, except to the break-glass principals; for the management account's administrator
    /// roles (docs/deploy.md, "The guardrail").
    #[command(after_help = GUARDRAIL_EXITS)]
    Guardrail(GuardrailArgs),
}

#[derive(Debug, Clone, Args)]
pub struct GuardrailArgs {
    /// The services to protect: service principals or catalog ids (sso, cloudtrail; docs/catalog.md),
    /// separated by commas (default: EXPECTED_SERVICES).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub protect: Option<Vec<String>>,
    /// An IAM role or user ARN (aws:PrincipalArn, * allowed) still allowed the calls; repeat the flag
    /// or separate with commas.
    #[arg(long = "break-glass", value_name = "ARN", value_delimiter = ',', value_parser = break_glass)]
    pub break_glass: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct FindingsArgs {
    #[command(flatten)]
    pub common: Common,
    /// The service principals whose trusted access should be enabled (as EXPECTED_SERVICES, read
    /// when this flag is not given; EXPECTED_DELEGATED_ADMINS is read likewise).
    #[arg(long, value_name = "LIST", value_parser = expected_services)]
    pub expected: Option<Expected>,
    /// The stack's state table, for the findings open and the hand-offs (its output
    /// StateTableName; default: STATE_TABLE_NAME; none: every condition is a new finding).
    #[arg(long, value_name = "NAME")]
    pub state_table: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct HandoffsArgs {
    #[command(subcommand)]
    pub action: Option<HandoffAction>,
    #[command(flatten)]
    pub session: Session,
    /// Print JSON on standard output instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// The stack's state table (its output StateTableName; default: STATE_TABLE_NAME).
    #[arg(long, value_name = "NAME", global = true)]
    pub state_table: Option<String>,
    /// Every hand-off, done and closed ones too.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum HandoffAction {
    /// Records that a hand-off is done, with who you are (sts:GetCallerIdentity) and when; the
    /// side that asked is told at the function's next invocation.
    Done {
        /// The hand-off's id, as its message and `mta handoffs` give it (ho-…).
        #[arg(value_parser = handoff_id)]
        id: String,
        /// What was done, for the side that asked.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Opens the hand-off AWS asks for before a disable: the service's administrator disables the
    /// integration from the service's console, cleans up, and confirms with `done`. They are told
    /// (disable-requested) at the function's next invocation.
    RequestDisable {
        /// The service principal (default: AWS Marketplace's).
        #[arg(long, value_name = "PRINCIPAL", value_parser = principal)]
        service: Option<String>,
    },
}

/// How to reach AWS: every command that calls it.
#[derive(Debug, Clone, Args)]
pub struct Session {
    /// The named profile to use, as with the AWS CLI (default: AWS_PROFILE, then `default`).
    #[arg(long, value_name = "NAME", global = true)]
    pub profile: Option<String>,
    /// The region for STS (default: AWS_REGION, the profile's, then us-east-1). Organizations and
    /// IAM are global.
    #[arg(long, value_name = "REGION", global = true)]
    pub region: Option<String>,
}

/// How standard output shows a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table and a summary, for a person.
    Table,
    /// The whole result as JSON.
    Json,
    /// The table's rows as CSV (RFC 4180, a header of named columns), for a spreadsheet.
    Csv,
}

/// How to show a run: `status`, `services`, `plan` and `apply`.
#[derive(Debug, Clone, Args)]
pub struct Output {
    /// Print JSON on standard output instead of a table (as --format json).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// table (the default), json, or csv: one row per account or service, RFC 4180.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

impl Output {
    /// The format asked for: `--json` is `--format json`.
    pub fn format(&self) -> Format {
        match (self.json, self.format) {
            (true, _) => Format::Json,
            (false, format) => format.unwrap_or(Format::Table),
        }
    }
}

/// How member accounts are entered: the commands that look into them (`status`, `plan`, `apply`).
#[derive(Debug, Clone, Args)]
pub struct MemberAccess {
    /// The role assumed in each member account (as MEMBER_ROLE_NAME).
    #[arg(long, value_name = "NAME", default_value_t = Config::default().member_role_name, value_parser = role_name)]
    pub member_role_name: String,
    /// Accounts in flight at once, 1 to 256 (as MAX_CONCURRENCY).
    #[arg(long, value_name = "N", default_value_t = Config::default().max_concurrency, value_parser = concurrency)]
    pub concurrency: usize,
}

/// What `status`, `plan` and `apply` share.
#[derive(Debug, Clone, Args)]
pub struct Common {
    #[command(flatten)]
    pub session: Session,
    #[command(flatten)]
    pub members: MemberAccess,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Clone, Args)]
pub struct ServicesArgs {
    #[command(flatten)]
    pub session: Session,
    #[command(flatten)]
    pub output: Output,
    /// The service principals whose trusted access should be enabled, separated by commas (as
    /// EXPECTED_SERVICES, read when this flag is not given): each enabled one is said to be expected
    /// or not, and each expected one not enabled is listed as missing.
    #[arg(long, value_name = "LIST", value_parser = expected_services)]
    pub expected: Option<Expected>,
}

/// The service principals expected to have trusted access, each once, as
/// `config::parse_expected_services` reads them (lowercase, no trailing dot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected(pub Vec<String>);

/// Which accounts, and what may be deleted: shared by `plan` and `apply`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub common: Common,
    /// Only these accounts (12 digits; repeat the flag or separate with commas). An account not in
    /// the organization is skipped. Default: every account.
    #[arg(long = "account", value_name = "ID", value_delimiter = ',', value_parser = account_id)]
    pub accounts: Vec<String>,
    /// Accounts that left the organization, whose role ON_DEPARTURE governs (confirmed with
    /// Organizations: an account still listed is treated as a member).
    #[arg(long = "departed", value_name = "ID", value_delimiter = ',', value_parser = account_id)]
    pub departed: Vec<String>,
    /// What to do with every role once trusted access is disabled (as ON_DISABLE).
    #[arg(long = "on-disable", value_name = "retain|delete", default_value = "retain", value_parser = on_disable)]
    pub on_disable: Removal,
    /// What to do with the role of an account that left (as ON_DEPARTURE).
    #[arg(long = "on-departure", value_name = "retain|delete", default_value = "retain", value_parser = on_departure)]
    pub on_departure: Removal,
}

#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Do not ask for confirmation (needed when standard input is not a terminal).
    #[arg(long, short)]
    pub yes: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// The event, as the function would receive it (`-` reads standard input).
    #[arg(value_name = "EVENT.json")]
    pub event: PathBuf,
    /// The organization's management account: the function ignores an event recorded in any
    /// other. Without it, that check is only described.
    #[arg(long, value_name = "ID", value_parser = account_id)]
    pub management_account: Option<String>,
    /// Print JSON on standard output.
    #[arg(long)]
    pub json: bool,
}

impl RunArgs {
    /// The listed and departed accounts, each once. An account given both ways is an error.
    pub fn check(&self) -> Result<(), String> {
        if let Some(id) = self.accounts.iter().find(|id| self.departed.contains(id)) {
            return Err(format!(
                "account {id} is given both with --account and with --departed"
            ));
        }
        Ok(())
    }
}

fn role_name(value: &str) -> Result<String, String> {
    config::check_role_name(value)
        .map(str::to_string)
        .map_err(|e| format!("expected {}", e.expected))
}

fn concurrency(value: &str) -> Result<usize, String> {
    config::parse_concurrency(value).map_err(|e| format!("expected {}", e.expected))
}

fn on_disable(value: &str) -> Result<Removal, String> {
    config::parse_removal("ON_DISABLE", value).map_err(|e| format!("expected {}", e.expected))
}

fn on_departure(value: &str) -> Result<Removal, String> {
    config::parse_removal("ON_DEPARTURE", value).map_err(|e| format!("expected {}", e.expected))
}

fn expected_services(value: &str) -> Result<Expected, String> {
    config::parse_expected_services(value)
        .map(Expected)
        .map_err(|e| format!("expected {}", e.expected))
}

fn account_id(value: &str) -> Result<String, String> {
    if is_account_id(value) {
        Ok(value.to_string())
    } else {
        Err("expected a 12-digit AWS account id".into())
    }
}

fn break_glass(value: &str) -> Result<String, String> {
    marketplace_trusted_access::guardrail::check_break_glass(value).map_err(|e| e.to_string())
}

/// A hand-off id, lowercase.
fn handoff_id(value: &str) -> Result<String, String> {
    match is_id(value) {
        true => Ok(value.to_ascii_lowercase()),
        false => Err(format!(
            "{value:?} is not a hand-off id: `ho-` and eight letters or digits"
        )),
    }
}

/// A service principal, lowercase, without a trailing dot.
fn principal(value: &str) -> Result<String, String> {
    let normalized = normalize(value.trim());
    match is_principal(&normalized) {
        true => Ok(normalized),
        false => Err(format!(
            "{value:?} is not a service principal (for example guardduty.amazonaws.com)"
        )),
    }
}

#[cfg(test)]
mod tests;
