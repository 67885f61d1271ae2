//! `mta guardrail`: the identity policy that denies turning trusted access on or off and
//! registering or deregistering a delegated administrator for the protected services, except to the
//! break-glass principals (`marketplace_trusted_access::guardrail`). Offline: no AWS call.

use super::args::GuardrailArgs;
use super::services::{VARIABLE, expectation};
use super::{CliError, Exit};
use marketplace_trusted_access::guardrail::{self, GuardrailError};

/// Prints the policy on standard output, and what it protects on standard error.
pub fn guardrail(args: GuardrailArgs) -> Result<Exit, CliError> {
    // Without --protect, EXPECTED_SERVICES, read as `mta services` reads it.
    let words = match args.protect {
        Some(words) => words,
        None => expectation(None, std::env::var(VARIABLE).ok().as_deref())?
            .map(|e| e.principals)
            .unwrap_or_default(),
    };
    let principals = guardrail::protected(&words).map_err(input)?;
    let policy = guardrail::policy(&principals, &args.break_glass);
    super::emit(&format!(
        "{}\n",
        serde_json::to_string_pretty(&policy).expect("a policy is JSON")
    ));
    let exception = match args.break_glass.is_empty() {
        true => "no one is excepted (no --break-glass)".to_string(),
        false => format!("except {}", args.break_glass.join(", ")),
    };
    super::say(&format!(
        "mta: denies {} for {}, {exception}. Attach it to the management account's administrator \
         roles and check it with `aws iam simulate-custom-policy` (docs/deploy.md, \"The guardrail\").\n",
        guardrail::ACTIONS.join(", "),
        guardrail::names(&principals).join(", "),
    ));
    Ok(Exit::InPlace)
}

fn input(e: GuardrailError) -> CliError {
    CliError::Input(e.to_string())
}
