//! The guardian (docs/design.md, "The guardian"): a change of trusted access or of a delegated
//! administrator for a service other than AWS Marketplace, or of the organization's delegation
//! policy, observed and told, never acted on.
//! Level-triggered like every run: Organizations says what is true, and an event it contradicts
//! calls for no hand-off. This reads what Organizations says; the plan ([`crate::plan`]) says what
//! it calls for.

use crate::delegation_policy::DelegationPolicy;
use crate::error::InvocationError;
use crate::intake::Trigger;
use crate::ports::Directory;
use crate::principal::same as same_principal;

/// What Organizations says of the change an event reports: whether it holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub principal: String,
    /// Whether the service's trusted access is enabled now, when it was read.
    pub trusted_access: Option<bool>,
    /// Whether Organizations agrees with the event.
    pub holds: bool,
    /// The delegation policy in force, read statement by statement, for a change of it (`None`
    /// when there is none, or for another trigger).
    pub policy: Option<DelegationPolicy>,
}

impl Observation {
    /// Why nothing is told, when Organizations contradicts the event.
    pub fn contradicted(&self) -> Option<String> {
        (!self.holds).then(|| {
            format!(
                "AWS Organizations no longer says what the event says of {}: the event is out of \
                 date, so it calls for no hand-off",
                self.principal
            )
        })
    }
}

/// Reads what Organizations says of an observed trigger's change; `None` for a trigger of
/// Marketplace's.
pub async fn check(
    directory: &dyn Directory,
    trigger: &Trigger,
) -> Result<Option<Observation>, InvocationError> {
    let unreadable = |source| InvocationError::Unreadable {
        what: "the organization",
        source,
    };
    Ok(match trigger {
        Trigger::TrustedAccess {
            principal, enabled, ..
        } if trigger.observed().is_some() => {
            let services = directory.enabled_services().await.map_err(unreadable)?;
            let now = services
                .iter()
                .any(|s| same_principal(&s.principal, principal));
            Some(Observation {
                principal: principal.to_string(),
                trusted_access: Some(now),
                holds: now == *enabled,
                policy: None,
            })
        }
        Trigger::DelegatedAdmin {
            principal,
            account_id,
            registered,
            ..
        } => {
            let admins = directory.delegated_admins().await.map_err(unreadable)?;
            let now = admins.iter().any(|a| {
                a.account_id == *account_id && a.principals.iter().any(|p| principal.is(p))
            });
            Some(Observation {
                principal: principal.to_string(),
                trusted_access: None,
                holds: now == *registered,
                policy: None,
            })
        }
        Trigger::DelegationPolicy {
            principal, deleted, ..
        } => {
            let document = directory.delegation_policy().await.map_err(unreadable)?;
            Some(Observation {
                principal: principal.to_string(),
                trusted_access: None,
                holds: document.is_none() == *deleted,
                policy: document.as_ref().map(DelegationPolicy::read),
            })
        }
        _ => None,
    })
}
