//! The guardian (docs/design.md, "The guardian"): a change of trusted access or of a delegated
//! administrator for a service other than AWS Marketplace, observed and told, never acted on.
//! Level-triggered like every run: Organizations says what is true, and an event it contradicts
//! calls for no hand-off.

use crate::error::InvocationError;
use crate::intake::{Intake, Trigger};
use crate::ledger;
use crate::messages::About;
use crate::messages::guardian::compose_observed;
use crate::notify::{self, Channel};
use crate::ports::{Directory, OrgIdentity};
use crate::principal::same as same_principal;
use crate::report::{Ending, Report, Store, Trouble};

/// What Organizations says of the change an event reports: whether it holds now.
struct Check<'a> {
    principal: &'a str,
    /// Whether the service's trusted access is enabled now, when it was read.
    trusted_access: Option<bool>,
    /// Whether Organizations agrees with the event.
    holds: bool,
}

/// Reads what Organizations says of an observed trigger's change.
async fn check<'a>(
    directory: &dyn Directory,
    trigger: &'a Trigger,
) -> Result<Option<Check<'a>>, InvocationError> {
    let unreadable = |source| InvocationError::Unreadable {
        what: "the organization",
        source,
    };
    Ok(match trigger {
        Trigger::ServiceAccess {
            principal, enabled, ..
        } => {
            let services = directory.enabled_services().await.map_err(unreadable)?;
            let now = services
                .iter()
                .any(|s| same_principal(&s.principal, principal));
            Some(Check {
                principal,
                trusted_access: Some(now),
                holds: now == *enabled,
            })
        }
        Trigger::DelegatedAdmin {
            principal,
            account_id,
            registered,
            ..
        } => {
            let admins = directory.delegated_admins().await.map_err(unreadable)?;
            let now = admins
                .iter()
                .any(|a| a.account_id == *account_id && a.principals.contains(principal));
            Some(Check {
                principal,
                trusted_access: None,
                holds: now == *registered,
            })
        }
        _ => None,
    })
}

/// The event a run observes.
#[derive(Clone, Copy)]
pub struct Seen<'a> {
    pub intake: &'a Intake,
    pub trigger: &'a Trigger,
    pub dry_run: bool,
    /// The clock's time, for the hand-off ledger.
    pub now: u64,
}

/// Observes the change an event reports for a service other than Marketplace, and tells each
/// audience what it means, through the outbox of the event. `None` for a trigger of Marketplace's.
pub async fn observe(
    directory: &dyn Directory,
    channel: &Channel<'_>,
    seen: Seen<'_>,
    organization: &OrgIdentity,
) -> Option<Report> {
    let Seen {
        intake,
        trigger,
        dry_run,
        now,
    } = seen;
    let principal = trigger.observed()?;
    let check = match check(directory, trigger).await {
        Ok(check) => check?,
        Err(error) => {
            let ending = Ending::Stopped {
                trusted_access: None,
                error,
            };
            let mut report = Report::build(intake, dry_run, ending);
            report.service_principal = principal.to_string();
            return Some(report);
        }
    };
    let key = notify::outbox_key(intake, trigger, None);
    let judgement = ledger::judge(channel.state, trigger, key.as_deref(), check.holds, now).await;
    let agreed = judgement.agreed.clone();
    let about = About {
        agreed: agreed.as_ref(),
        ..About::of(intake, trigger, organization)
    };
    let mut messages = match check.holds {
        true => compose_observed(about),
        false => Vec::new(),
    };
    let opened = ledger::open(&mut messages, about, key.as_deref(), check.holds, now);
    let trouble = ledger::record(channel.state, judgement, opened).await;
    let contradicted = (!check.holds).then(|| {
        format!(
            "AWS Organizations no longer says what the event says of {}: the event is out of \
             date, so it calls for no hand-off",
            check.principal
        )
    });
    let (deliveries, deduplication) = notify::send(channel, key.as_deref(), &messages).await;
    let troubles = trouble
        .iter()
        .map(|e| Trouble::new(Store::Ledger, e))
        .collect();
    Some(Report::build(
        intake,
        dry_run,
        Ending::Observed {
            principal: check.principal,
            trusted_access: check.trusted_access,
            contradicted,
            deliveries: &deliveries,
            deduplication: &deduplication,
            troubles,
        },
    ))
}
