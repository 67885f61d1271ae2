//! Configuration, read and validated once at start-up (docs/design.md, "Configuration").
//!
//! A bad value stops the function at init with an error naming the variable and the accepted values,
//! so a mistyped `ON_DISABLE=delet` can never silently fall back to a default.

use std::collections::HashMap;
use std::time::Duration;

/// What to do with the service-linked role once it is allowed to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// Keep the role and tell the administrators that it may now be deleted (the default).
    Retain,
    /// Delete the role.
    Delete,
}

/// The function's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// SNS topic for hand-offs; `None`: notifications are logged, not published.
    pub topic_arn: Option<String>,
    /// SNS topic for the chat copy of each hand-off (Amazon Q Developer in chat applications);
    /// `None`: no chat copy.
    pub chat_topic_arn: Option<String>,
    /// Role assumed in each member account.
    pub member_role_name: String,
    /// Policy for every account's role after trusted access is disabled.
    pub on_disable: Removal,
    /// Policy for the role of an account that left the organization.
    pub on_departure: Removal,
    /// Plan only: no mutating call at all.
    pub dry_run: bool,
    /// Accounts in flight at once.
    pub max_concurrency: usize,
    /// DynamoDB table of the outbox and the failure set; `None`: hand-offs are sent at least once.
    pub state_table: Option<String>,
    /// SQS queue that carries the rest of a run cut short; `None`: the next sweep finishes it.
    pub continuation_queue_url: Option<String>,
    /// How often an unchanged sweep failure is told again.
    pub remind_after: Duration,
    /// The service principals whose trusted access the organization means to have; `None`: no
    /// comparison, only changes are told.
    pub expected_services: Option<Vec<String>>,
    /// The delegated administrators the organization means to have: each service principal with
    /// the accounts meant to administer it (none: no administrator expected); `None`: no
    /// comparison, only changes are told.
    pub expected_delegated_admins: Option<ExpectedAdmins>,
    /// `SECURITY_HUB_FINDINGS`: import the standing conditions into Security Hub CSPM as findings
    /// (docs/design.md, "Findings"). Requires the state table, which remembers what is open.
    pub security_hub_findings: bool,
}

/// `EXPECTED_DELEGATED_ADMINS`, read: each principal and the accounts meant to administer it.
pub type ExpectedAdmins = std::collections::BTreeMap<String, std::collections::BTreeSet<String>>;

impl Default for Config {
    fn default() -> Self {
        Config {
            topic_arn: None,
            chat_topic_arn: None,
            member_role_name: "OrganizationAccountAccessRole".to_string(),
            on_disable: Removal::Retain,
            on_departure: Removal::Retain,
            dry_run: false,
            max_concurrency: 16,
            state_table: None,
            continuation_queue_url: None,
            remind_after: Duration::from_secs(24 * 3600),
            expected_services: None,
            expected_delegated_admins: None,
            security_hub_findings: false,
        }
    }
}

/// A configuration variable with a value outside what it accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {variable}={value:?}: expected {expected}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl Config {
    /// Reads the process environment. A variable whose value is not UTF-8 is kept, its bytes
    /// replaced where they are not text, so that the check of the variable names it rather than
    /// the read panicking (as `std::env::vars` does).
    pub fn from_env() -> Result<Config, ConfigError> {
        let vars = std::env::vars_os()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.to_string_lossy().into_owned(),
                )
            })
            .collect();
        Config::from_vars(&vars)
    }

    /// Reads a map of variables; unset or empty variables take their defaults.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let defaults = Config::default();
        let config = Config {
            topic_arn: get("NOTIFICATION_TOPIC_ARN")
                .map(|v| check_topic_arn("NOTIFICATION_TOPIC_ARN", v).map(str::to_string))
                .transpose()?,
            chat_topic_arn: get("CHAT_TOPIC_ARN")
                .map(|v| check_topic_arn("CHAT_TOPIC_ARN", v).map(str::to_string))
                .transpose()?,
            member_role_name: match get("MEMBER_ROLE_NAME") {
                Some(v) => check_role_name(v)?.to_string(),
                None => defaults.member_role_name,
            },
            on_disable: get("ON_DISABLE")
                .map_or(Ok(defaults.on_disable), |v| parse_removal("ON_DISABLE", v))?,
            on_departure: get("ON_DEPARTURE").map_or(Ok(defaults.on_departure), |v| {
                parse_removal("ON_DEPARTURE", v)
            })?,
            dry_run: get("DRY_RUN").map_or(Ok(defaults.dry_run), parse_bool)?,
            max_concurrency: get("MAX_CONCURRENCY")
                .map_or(Ok(defaults.max_concurrency), parse_concurrency)?,
            state_table: get("STATE_TABLE_NAME")
                .map(|v| check_table_name(v).map(str::to_string))
                .transpose()?,
            continuation_queue_url: get("CONTINUATION_QUEUE_URL")
                .map(|v| check_queue_url(v).map(str::to_string))
                .transpose()?,
            remind_after: get("REMIND_AFTER").map_or(Ok(defaults.remind_after), parse_duration)?,
            expected_services: get("EXPECTED_SERVICES")
                .map(parse_expected_services)
                .transpose()?,
            expected_delegated_admins: get("EXPECTED_DELEGATED_ADMINS")
                .map(parse_expected_admins)
                .transpose()?,
            security_hub_findings: get("SECURITY_HUB_FINDINGS")
                .map_or(Ok(false), |v| flag("SECURITY_HUB_FINDINGS", v))?,
        };
        // A finding's lifecycle needs to remember what is open.
        if config.security_hub_findings && config.state_table.is_none() {
            return Err(ConfigError {
                variable: "SECURITY_HUB_FINDINGS",
                value: "true".into(),
                expected: "`false` unless STATE_TABLE_NAME is set: findings need the state table",
            });
        }
        Ok(config)
    }
}

/// `ON_DISABLE`, `ON_DEPARTURE`: `retain` or `delete`.
pub fn parse_removal(variable: &'static str, value: &str) -> Result<Removal, ConfigError> {
    match value {
        "retain" => Ok(Removal::Retain),
        "delete" => Ok(Removal::Delete),
        _ => Err(ConfigError {
            variable,
            value: value.to_string(),
            expected: "`retain` or `delete`",
        }),
    }
}

fn parse_bool(value: &str) -> Result<bool, ConfigError> {
    flag("DRY_RUN", value)
}

/// A `true`/`false` variable, in any case.
fn flag(variable: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ConfigError {
            variable,
            value: value.to_string(),
            expected: "`true` or `false`",
        }),
    }
}

/// `MAX_CONCURRENCY`: a whole number from 1 to 256.
pub fn parse_concurrency(value: &str) -> Result<usize, ConfigError> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=256).contains(n))
        .ok_or(ConfigError {
            variable: "MAX_CONCURRENCY",
            value: value.to_string(),
            expected: "a whole number from 1 to 256",
        })
}

/// `REMIND_AFTER`: `<n>m`, `<n>h` or `<n>d`, at least one minute.
pub fn parse_duration(value: &str) -> Result<Duration, ConfigError> {
    let error = || ConfigError {
        variable: "REMIND_AFTER",
        value: value.to_string(),
        expected: "a duration such as 30m, 24h or 7d (at least 1m)",
    };
    // Split on characters, not bytes: the last character may take more than one byte (`5é`).
    let mut chars = value.chars();
    let seconds = match chars.next_back() {
        Some('m') => 60,
        Some('h') => 3600,
        Some('d') => 86400,
        _ => return Err(error()),
    };
    let number = chars.as_str();
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error());
    }
    let n: u64 = number.parse().map_err(|_| error())?;
    match n.checked_mul(seconds) {
        Some(s) if n > 0 => Ok(Duration::from_secs(s)),
        _ => Err(error()),
    }
}

/// `EXPECTED_SERVICES`: service principals separated by commas (`sso.amazonaws.com,
/// cloudtrail.amazonaws.com`), each once. A principal the catalog does not know is accepted: AWS
/// adds services.
pub fn parse_expected_services(value: &str) -> Result<Vec<String>, ConfigError> {
    let error = || ConfigError {
        variable: "EXPECTED_SERVICES",
        value: value.to_string(),
        expected: "service principals separated by commas (sso.amazonaws.com,cloudtrail.amazonaws.com)",
    };
    let mut principals: Vec<String> = Vec::new();
    for item in value.split(',').map(str::trim) {
        let principal = crate::principal::normalize(item);
        if !crate::principal::is_principal(&principal) {
            return Err(error());
        }
        if !principals.contains(&principal) {
            principals.push(principal);
        }
    }
    Ok(principals)
}

/// `EXPECTED_DELEGATED_ADMINS`: `principal=account` pairs separated by commas
/// (`guardduty.amazonaws.com=111122223333,securityhub.amazonaws.com=111122223333`); a principal may
/// come once per account it expects, and `principal=` says that none is expected. A principal the
/// catalog does not know is accepted: AWS adds services.
pub fn parse_expected_admins(value: &str) -> Result<ExpectedAdmins, ConfigError> {
    let error = || ConfigError {
        variable: "EXPECTED_DELEGATED_ADMINS",
        value: value.to_string(),
        expected: "principal=account pairs separated by commas \
                   (guardduty.amazonaws.com=111122223333), or principal= for none",
    };
    let mut expected = ExpectedAdmins::new();
    for item in value.split(',').map(str::trim) {
        let (principal, account) = item.split_once('=').ok_or_else(error)?;
        let principal = crate::principal::normalize(principal.trim());
        let account = account.trim();
        if !crate::principal::is_principal(&principal)
            || !(account.is_empty() || crate::intake::is_account_id(account))
        {
            return Err(error());
        }
        let accounts = expected.entry(principal).or_default();
        if !account.is_empty() {
            accounts.insert(account.to_string());
        }
    }
    Ok(expected)
}

fn check_table_name(value: &str) -> Result<&str, ConfigError> {
    let valid = (3..=255).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if valid {
        Ok(value)
    } else {
        Err(ConfigError {
            variable: "STATE_TABLE_NAME",
            value: value.to_string(),
            expected: "a DynamoDB table name (3-255 of A-Z a-z 0-9 _ - .) or unset",
        })
    }
}

fn check_queue_url(value: &str) -> Result<&str, ConfigError> {
    if (value.starts_with("https://") || value.starts_with("http://"))
        && value.matches('/').count() >= 4
    {
        Ok(value)
    } else {
        Err(ConfigError {
            variable: "CONTINUATION_QUEUE_URL",
            value: value.to_string(),
            expected: "an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>) or unset",
        })
    }
}

/// `NOTIFICATION_TOPIC_ARN`, `CHAT_TOPIC_ARN`: an SNS topic ARN.
fn check_topic_arn<'a>(variable: &'static str, value: &'a str) -> Result<&'a str, ConfigError> {
    let parts: Vec<&str> = value.split(':').collect();
    if parts.len() == 6 && parts[0] == "arn" && parts[2] == "sns" && !parts[5].is_empty() {
        Ok(value)
    } else {
        Err(ConfigError {
            variable,
            value: value.to_string(),
            expected: "an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>) or unset",
        })
    }
}

/// `MEMBER_ROLE_NAME`: an IAM role name.
pub fn check_role_name(value: &str) -> Result<&str, ConfigError> {
    let valid = (1..=64).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if valid {
        Ok(value)
    } else {
        Err(ConfigError {
            variable: "MEMBER_ROLE_NAME",
            value: value.to_string(),
            expected: "an IAM role name (1-64 of A-Z a-z 0-9 +=,.@_-)",
        })
    }
}

#[cfg(test)]
mod tests;
