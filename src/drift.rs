//! Desired state (docs/design.md, "The guardian"): with `EXPECTED_SERVICES` set, each sweep compares
//! it with the services Organizations lists as enabled, and with `EXPECTED_DELEGATED_ADMINS` set, the
//! delegated administrators with it (`crate::delegation`). A difference is warned when it appears or
//! changes, an unchanged one at most once per `REMIND_AFTER`, and its end announced once; one
//! message per principal, or per principal and account.

use crate::config::ExpectedAdmins;
use crate::memory::{self, Memory, Tell, Told};
use crate::message::Message;
use crate::messages::About;
use crate::messages::guardian::{admin_drift_message, drift_message};
use crate::ports::{
    AwsError, DelegatedAdmin, Directory, Drift, DriftOf, DriftSet, DriftTold, EnabledService,
    StateStore,
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
    /// `EXPECTED_DELEGATED_ADMINS`, when set: each principal and its accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_delegated_administrators: Option<ExpectedAdmins>,
    /// The administrators that differ from it, by `principal=account`, and how.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub differing_delegated_administrators: BTreeMap<String, Drift>,
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
    /// Likewise, of the delegated administrators.
    pub save_admins: Option<DriftSet>,
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

/// The stored set, as the generic memory holds it.
fn remembered(set: &DriftSet) -> Memory<Drift> {
    let told = set.principals.iter().map(|(p, t)| {
        let told = Told {
            value: t.drift,
            warned_at: t.warned_at,
        };
        (p.clone(), told)
    });
    Memory {
        told: told.collect(),
        version: set.version,
    }
}

/// The generic memory, as the state table stores it.
fn stored(memory: Memory<Drift>) -> DriftSet {
    let principals = memory.told.into_iter().map(|(p, t)| {
        let told = DriftTold {
            drift: t.value,
            warned_at: t.warned_at,
        };
        (p, told)
    });
    DriftSet {
        principals: principals.collect(),
        version: memory.version,
    }
}

/// Which differences to tell now (`None`: it ended), and what to remember.
pub fn recall(
    before: &DriftSet,
    now: &BTreeMap<String, Drift>,
    at: u64,
    remind_after: Duration,
) -> (Vec<(String, Option<Drift>)>, Option<DriftSet>) {
    let (tell, save) = memory::recall(&remembered(before), now, at, remind_after);
    let tell = tell.into_iter().map(|(principal, told)| match told {
        Tell::Stands(drift) => (principal, Some(drift)),
        Tell::Ended(_) => (principal, None),
    });
    (tell.collect(), save.map(stored))
}

/// What a sweep read of the organization's services, for the comparison: the services enabled,
/// the delegated administrators, and the differences told before.
#[derive(Debug, Clone, Default)]
pub struct ServicesRead {
    pub enabled: Vec<EnabledService>,
    pub admins: Vec<DelegatedAdmin>,
    /// The differences from `EXPECTED_SERVICES` told.
    pub told: DriftSet,
    /// The differences from `EXPECTED_DELEGATED_ADMINS` told.
    pub admins_told: DriftSet,
}

/// What the organization means to have: `EXPECTED_SERVICES` and `EXPECTED_DELEGATED_ADMINS`, each
/// when set.
#[derive(Debug, Clone, Copy, Default)]
pub struct Intent<'a> {
    pub services: Option<&'a [String]>,
    pub admins: Option<&'a ExpectedAdmins>,
}

impl Intent<'_> {
    /// Whether anything is compared.
    pub fn is_set(&self) -> bool {
        self.services.is_some() || self.admins.is_some()
    }
}

/// Compares the organization's services and delegated administrators with `intent`, for a sweep:
/// what to tell, what to remember, and what the report gives. `read` is what was read, or why it
/// could not be.
pub fn watch(
    read: &Result<ServicesRead, AwsError>,
    intent: Intent<'_>,
    o: About<'_>,
    remind_after: Duration,
    at: u64,
) -> Watched {
    let expected = intent.services.unwrap_or_default();
    let read = match read {
        Ok(read) => read,
        Err(e) => {
            return Watched {
                seen: ServicesSeen {
                    expected: expected.to_vec(),
                    error: Some(e.to_string()),
                    ..ServicesSeen::default()
                },
                ..Watched::default()
            };
        }
    };
    let mut watched = Watched::default();
    let differing = match intent.services {
        Some(expected) => {
            let now = compare(expected, &read.enabled);
            let (tell, save) = recall(&read.told, &now, at, remind_after);
            let told = tell.iter().map(|(p, drift)| drift_message(o, p, *drift));
            watched.messages.extend(told);
            watched.save = save;
            now
        }
        None => BTreeMap::new(),
    };
    let differing_admins = match intent.admins {
        Some(admins) => {
            let now = crate::delegation::compare(admins, &read.admins);
            let (tell, save) = recall(&read.admins_told, &now, at, remind_after);
            let told = tell
                .iter()
                .map(|(s, drift)| admin_drift_message(o, s, *drift));
            watched.messages.extend(told);
            watched.save_admins = save;
            now
        }
        None => BTreeMap::new(),
    };
    watched.seen = ServicesSeen {
        enabled: read.enabled.iter().map(|s| s.principal.clone()).collect(),
        expected: expected.to_vec(),
        differing,
        delegated_administrators: read
            .admins
            .iter()
            .map(|a| AdminSeen {
                account_id: a.account_id.clone(),
                services: a.principals.clone(),
            })
            .collect(),
        expected_delegated_administrators: intent.admins.cloned(),
        differing_delegated_administrators: differing_admins,
        error: None,
    };
    watched
}

/// Reads what the comparison needs: the services and administrators from Organizations, and what
/// was told before from the state table (nothing without one: every difference is then told at
/// every sweep).
pub async fn read(
    directory: &dyn Directory,
    state: Option<&dyn StateStore>,
    intent: Intent<'_>,
) -> Result<ServicesRead, AwsError> {
    let enabled = directory.enabled_services().await?;
    let admins = directory.delegated_admins().await?;
    let mut read = ServicesRead {
        enabled,
        admins,
        ..ServicesRead::default()
    };
    if let Some(state) = state {
        if intent.services.is_some() {
            read.told = state.drift(DriftOf::Services).await?;
        }
        if intent.admins.is_some() {
            read.admins_told = state.drift(DriftOf::DelegatedAdmins).await?;
        }
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_difference_is_told_when_it_appears_not_again_until_reminded_and_its_end_once() {
        let expected = vec!["sso.amazonaws.com".to_string()];
        let now = compare(
            &expected,
            &EnabledService::each(&["sso.amazonaws.com", "config.amazonaws.com"]),
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
