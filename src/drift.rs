//! Desired state (docs/design.md, "The guardian"): with `EXPECTED_SERVICES` set, each sweep compares
//! it with the services Organizations lists as enabled. A difference is warned when it appears or
//! changes, an unchanged one at most once per `REMIND_AFTER`, and its end announced once; one
//! message per principal. Delegated administrators are read and reported, and compared with nothing
//! yet.

use crate::message::Message;
use crate::messages::About;
use crate::messages::guardian::drift_message;
use crate::ports::{
    AwsError, DelegatedAdmin, Directory, Drift, DriftSet, DriftTold, EnabledService, StateStore,
};
use crate::principal::same as same_principal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// What a sweep saw of the organization's services, as its report gives it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicesSeen {
    /// The principals whose trusted access is enabled.
    pub enabled: Vec<String>,
    pub expected: Vec<String>,
    /// The principals that differ, and how.
    pub differing: BTreeMap<String, Drift>,
    pub delegated_administrators: Vec<AdminSeen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A delegated administrator, as the report gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminSeen {
    pub account_id: String,
    pub services: Vec<String>,
}

/// What a sweep's comparison calls for.
#[derive(Debug, Default)]
pub struct Watched {
    pub seen: ServicesSeen,
    pub messages: Vec<Message>,
    /// The differences to remember after delivery, when they changed or were told again.
    pub save: Option<DriftSet>,
}

/// How the services Organizations lists differ from the expected ones.
/// Principals compare without case and without a trailing dot, as `EXPECTED_SERVICES` is read.
pub fn compare(expected: &[String], enabled: &[EnabledService]) -> BTreeMap<String, Drift> {
    let on = |p: &String| enabled.iter().any(|s| same_principal(&s.principal, p));
    let missing = expected
        .iter()
        .filter(|p| !on(p))
        .map(|p| (p.clone(), Drift::Missing));
    let unexpected = enabled
        .iter()
        .filter(|s| !expected.iter().any(|e| same_principal(e, &s.principal)))
        .map(|s| (s.principal.clone(), Drift::Unexpected));
    missing.chain(unexpected).collect()
}

/// Which differences to tell now (`None`: it ended), and what to remember.
pub fn recall(
    before: &DriftSet,
    now: &BTreeMap<String, Drift>,
    at: u64,
    remind_after: Duration,
) -> (Vec<(String, Option<Drift>)>, Option<DriftSet>) {
    let mut tell = Vec::new();
    let mut after = DriftSet {
        version: before.version,
        ..DriftSet::default()
    };
    for (principal, drift) in now {
        let told = before.principals.get(principal);
        let quiet = told.is_some_and(|t| {
            t.drift == *drift && at.saturating_sub(t.warned_at) < remind_after.as_secs()
        });
        let warned_at = match (quiet, told) {
            (true, Some(t)) => t.warned_at,
            _ => {
                tell.push((principal.clone(), Some(*drift)));
                at
            }
        };
        after.principals.insert(
            principal.clone(),
            DriftTold {
                drift: *drift,
                warned_at,
            },
        );
    }
    for principal in before.principals.keys().filter(|p| !now.contains_key(*p)) {
        tell.push((principal.clone(), None));
    }
    let changed = after.principals != before.principals;
    (tell, changed.then_some(after))
}

/// Compares the organization's services with `expected`, for a sweep.
pub async fn watch(
    directory: &dyn Directory,
    state: Option<&dyn StateStore>,
    expected: &[String],
    o: About<'_>,
    remind_after: Duration,
    at: u64,
) -> Watched {
    match read(directory, state).await {
        Ok((enabled, admins, before)) => {
            let now = compare(expected, &enabled);
            let (tell, save) = recall(&before, &now, at, remind_after);
            Watched {
                messages: tell
                    .iter()
                    .map(|(principal, drift)| drift_message(o, principal, *drift))
                    .collect(),
                save,
                seen: ServicesSeen {
                    enabled: enabled.into_iter().map(|s| s.principal).collect(),
                    expected: expected.to_vec(),
                    differing: now,
                    delegated_administrators: admins
                        .into_iter()
                        .map(|a| AdminSeen {
                            account_id: a.account_id,
                            services: a.principals,
                        })
                        .collect(),
                    error: None,
                },
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "the organization's services could not be compared");
            Watched {
                seen: ServicesSeen {
                    expected: expected.to_vec(),
                    error: Some(e.to_string()),
                    ..ServicesSeen::default()
                },
                ..Watched::default()
            }
        }
    }
}

type Read = (Vec<EnabledService>, Vec<DelegatedAdmin>, DriftSet);

async fn read(directory: &dyn Directory, state: Option<&dyn StateStore>) -> Result<Read, AwsError> {
    let enabled = directory.enabled_services().await?;
    let admins = directory.delegated_admins().await?;
    // Without the state table every difference is told at every sweep.
    let before = match state {
        Some(state) => state.drift().await?,
        None => DriftSet::default(),
    };
    Ok((enabled, admins, before))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enabled(principals: &[&str]) -> Vec<EnabledService> {
        principals
            .iter()
            .map(|p| EnabledService {
                principal: p.to_string(),
                enabled_at: None,
            })
            .collect()
    }

    #[test]
    fn a_difference_is_told_when_it_appears_not_again_until_reminded_and_its_end_once() {
        let expected = vec!["sso.amazonaws.com".to_string()];
        let now = compare(
            &expected,
            &enabled(&["sso.amazonaws.com", "config.amazonaws.com"]),
        );
        assert_eq!(
            now,
            BTreeMap::from([("config.amazonaws.com".to_string(), Drift::Unexpected)])
        );
        let day = Duration::from_secs(86_400);
        let (tell, save) = recall(&DriftSet::default(), &now, 1_000, day);
        assert_eq!(
            tell,
            [("config.amazonaws.com".to_string(), Some(Drift::Unexpected))]
        );
        let told = save.expect("remembered");
        let (again, unchanged) = recall(&told, &now, 2_000, day);
        assert!(again.is_empty() && unchanged.is_none());
        let (reminded, _) = recall(&told, &now, 1_000 + 86_400, day);
        assert_eq!(reminded.len(), 1);
        let (ended, cleared) = recall(&told, &BTreeMap::new(), 3_000, day);
        assert_eq!(ended, [("config.amazonaws.com".to_string(), None)]);
        assert!(cleared.is_some_and(|c| c.principals.is_empty()));
    }
}
