//! What every message about an observed change shares: its facts block and its attributes.

use super::*;
use crate::catalog;
use crate::delegation_policy::DelegationPolicy;
use crate::ports::Drift;

/// The facts block of these messages.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ServiceFacts<'a> {
    pub(super) event: Event,
    pub(super) audience: Audience,
    pub(super) organization: &'a str,
    pub(super) management_account: &'a str,
    pub(super) trigger: &'a str,
    pub(super) event_id: Option<&'a str>,
    pub(super) service: &'a str,
    pub(super) service_name: Option<&'a str>,
    pub(super) actor: Option<&'a str>,
    pub(super) initiated_by: Option<&'a str>,
    pub(super) event_time: Option<&'a str>,
    pub(super) account_id: Option<&'a str>,
    pub(super) drift: Option<Drift>,
    /// The delegation policy in force, statement by statement (its change only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) delegation_policy: Option<&'a DelegationPolicy>,
}

pub(super) fn facts<'a>(
    o: About<'a>,
    event: Event,
    audience: Audience,
    principal: &'a str,
) -> ServiceFacts<'a> {
    ServiceFacts {
        event,
        audience,
        organization: &o.organization.organization_id,
        management_account: &o.organization.management_account_id,
        trigger: o.trigger_name,
        event_id: o.event_id,
        service: principal,
        service_name: catalog::find(principal).map(|e| e.name),
        actor: None,
        initiated_by: None,
        event_time: None,
        account_id: None,
        drift: None,
        delegation_policy: None,
    }
}

pub(super) fn observed_message(
    o: About<'_>,
    (audience, event, severity): (Audience, Event, Severity),
    subject: &str,
    mut body: Writer,
    facts: &ServiceFacts<'_>,
) -> Message {
    body.facts(facts);
    Message {
        audience,
        event,
        severity,
        organization: o.organization.organization_id.clone(),
        service: facts.service.to_string(),
        subject: fit_subject(subject),
        body: body.body,
        handoff: None,
    }
}
