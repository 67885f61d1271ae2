//! Configuration, read and validated once at start-up (docs/design.md, "Configuration").
//!
//! A bad value stops the function at init with an error naming the variable and the accepted values,
//! so a mistyped `ON_DISABLE=delet` can never silently fall back to a default.

use std::collections::HashMap;

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
}

impl Default for Config {
    fn default() -> Self {
        Config {
            topic_arn: None,
            member_role_name: "OrganizationAccountAccessRole".to_string(),
            on_disable: Removal::Retain,
            on_departure: Removal::Retain,
            dry_run: false,
            max_concurrency: 16,
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
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_vars(&std::env::vars().collect())
    }

    /// Reads a map of variables; unset or empty variables take their defaults.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let defaults = Config::default();
        Ok(Config {
            topic_arn: get("NOTIFICATION_TOPIC_ARN")
                .map(|v| check_topic_arn(v).map(str::to_string))
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
        })
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
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ConfigError {
            variable: "DRY_RUN",
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

fn check_topic_arn(value: &str) -> Result<&str, ConfigError> {
    let parts: Vec<&str> = value.split(':').collect();
    if parts.len() == 6 && parts[0] == "arn" && parts[2] == "sns" && !parts[5].is_empty() {
        Ok(value)
    } else {
        Err(ConfigError {
            variable: "NOTIFICATION_TOPIC_ARN",
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
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn unset_variables_take_the_documented_defaults() {
        assert_eq!(Config::from_vars(&vars(&[])).unwrap(), Config::default());
        let c = Config::default();
        assert_eq!(c.member_role_name, "OrganizationAccountAccessRole");
        assert_eq!(
            (c.on_disable, c.on_departure),
            (Removal::Retain, Removal::Retain)
        );
        assert!(!c.dry_run);
        assert_eq!(c.max_concurrency, 16);
        assert_eq!(c.topic_arn, None);
    }

    #[test]
    fn every_variable_is_read() {
        let c = Config::from_vars(&vars(&[
            (
                "NOTIFICATION_TOPIC_ARN",
                "arn:aws:sns:us-east-1:123456789012:handoffs",
            ),
            ("MEMBER_ROLE_NAME", "MarketplaceRoleReconciler"),
            ("ON_DISABLE", "delete"),
            ("ON_DEPARTURE", "delete"),
            ("DRY_RUN", "TRUE"),
            ("MAX_CONCURRENCY", "4"),
        ]))
        .unwrap();
        assert_eq!(
            c,
            Config {
                topic_arn: Some("arn:aws:sns:us-east-1:123456789012:handoffs".into()),
                member_role_name: "MarketplaceRoleReconciler".into(),
                on_disable: Removal::Delete,
                on_departure: Removal::Delete,
                dry_run: true,
                max_concurrency: 4,
            }
        );
    }

    #[test]
    fn a_bad_value_names_the_variable_and_the_accepted_values() {
        for (name, value) in [
            ("ON_DISABLE", "delet"),
            ("ON_DEPARTURE", "remove"),
            ("DRY_RUN", "yes"),
            ("MAX_CONCURRENCY", "0"),
            ("MAX_CONCURRENCY", "many"),
            ("NOTIFICATION_TOPIC_ARN", "handoffs"),
            ("MEMBER_ROLE_NAME", "bad/name"),
        ] {
            let err = Config::from_vars(&vars(&[(name, value)])).unwrap_err();
            assert_eq!(err.variable, name);
            let text = err.to_string();
            assert!(text.contains(name) && text.contains(value), "{text}");
            assert!(text.contains("expected"), "{text}");
        }
    }
}
