//! Hand-offs about services other than AWS Marketplace, which the function observes and tells but
//! never changes (docs/design.md, "The guardian"): trusted access turned on or off, a delegated
//! administrator registered or deregistered, and trusted access that differs from
//! `EXPECTED_SERVICES`. The steps each audience takes and what a disable breaks come from the
//! service's catalog entry.

use super::observed::{ServiceFacts, facts, observed_message};
use super::*;
use crate::catalog::{self, Steps};
use crate::guardian::Observation;
use crate::ports::Drift;

/// A service as the messages name it: its catalog entry's name, or its principal.
struct Named<'a> {
    principal: &'a str,
    entry: Option<&'static catalog::Service>,
}

impl Named<'_> {
    fn of(principal: &str) -> Named<'_> {
        Named {
            principal,
            entry: catalog::find(principal),
        }
    }

    fn name(&self) -> String {
        match self.entry {
            Some(e) => e.name.to_string(),
            None => format!("the service {}", self.principal),
        }
    }

    /// "AWS CloudTrail (cloudtrail.amazonaws.com)".
    fn full(&self) -> String {
        match self.entry {
            Some(e) => format!("{} ({})", e.name, self.principal),
            None => self.name(),
        }
    }

    /// The calls that name its delegated administrator, for a person searching CloudTrail:
    /// Organizations' `RegisterDelegatedAdministrator`, and the service's own where the catalog
    /// names one.
    fn registering_calls(&self) -> String {
        match self.entry.and_then(|e| e.own_admin_call) {
            Some(call) => format!(
                "RegisterDelegatedAdministrator, or {}'s own {}",
                self.name(),
                call.actions_text()
            ),
            None => "RegisterDelegatedAdministrator, or the service's own call".to_string(),
        }
    }

    /// The paragraph that says where the facts come from, or that the catalog does not know it.
    fn source(&self) -> String {
        match self.entry {
            Some(e) => format!(
                "The steps above follow the service's page in the AWS Organizations User Guide: {}",
                e.source
            ),
            None => format!(
                "{} is not in this function's catalog of the services that integrate with AWS \
                 Organizations (docs/catalog.md): AWS may have added it since. Its page in the AWS \
                 Organizations User Guide \
                 (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_services_list.html) \
                 says what each administrator must do.",
                self.principal
            ),
        }
    }
}

fn steps_for(steps: Option<&Steps>, audience: Audience, generic: &str) -> String {
    match (steps, audience) {
        (Some(s), Audience::ServiceAdmin) => s.service_admin.to_string(),
        (Some(s), _) => s.organizations_admin.to_string(),
        (None, _) => generic.to_string(),
    }
}

/// The hand-offs an observed change calls for, routed as docs/design.md, "The guardian", says.
pub fn compose_observed(o: About<'_>, observation: &Observation) -> Vec<Message> {
    match o.trigger {
        Trigger::TrustedAccess {
            principal,
            enabled,
            origin,
        } => service_access(o, &Named::of(principal), *enabled, origin),
        Trigger::DelegatedAdmin {
            principal,
            account_id,
            registered,
            origin,
        } => delegated_admin(o, &Named::of(principal), account_id, *registered, origin),
        Trigger::DelegationPolicy {
            principal, origin, ..
        } => vec![super::delegation_policy::delegation_policy_changed(
            o,
            principal,
            origin,
            observation.policy.as_ref(),
        )],
        _ => Vec::new(),
    }
}

fn service_access(
    o: About<'_>,
    service: &Named<'_>,
    enabled: bool,
    origin: &Origin,
) -> Vec<Message> {
    let by_service = origin.is_service(service.principal);
    let agreed = o.agreed.filter(|_| !enabled && !by_service);
    let routes: Vec<(Audience, Severity)> = match (enabled, by_service) {
        (false, false) if agreed.is_some() => vec![
            (Audience::OrganizationsAdmin, Severity::Info),
            (Audience::ServiceAdmin, Severity::Info),
        ],
        (false, false) => vec![
            (Audience::OrganizationsAdmin, Severity::Warning),
            (Audience::ServiceAdmin, Severity::Warning),
        ],
        (true, false) => {
            let finish = service.entry.is_some_and(|e| e.console_finishes_setup);
            vec![
                (Audience::OrganizationsAdmin, Severity::Info),
                (
                    Audience::ServiceAdmin,
                    if finish {
                        Severity::ActionRequired
                    } else {
                        Severity::Info
                    },
                ),
            ]
        }
        (_, true) => vec![(Audience::OrganizationsAdmin, Severity::Info)],
    };
    let (event, done) = match enabled {
        true => (Event::TrustedAccessEnabled, "enabled"),
        false => (Event::TrustedAccessDisabled, "disabled"),
    };
    let how = match by_service {
        true => "by the service itself".to_string(),
        false => format!(
            "{}, not from the service's own console",
            made_with(
                origin,
                service.principal,
                "AWS Organizations tools (the Organizations console, the CLI or the API)"
            )
        ),
    };
    routes
        .into_iter()
        .map(|(audience, severity)| {
            let mut b = Writer::new();
            b.para(&format!(
                "Trusted access for {} was {done} in organization {} {how}.",
                service.full(),
                o.organization.organization_id
            ));
            b.who(origin);
            if let Some(request) = agreed {
                super::handoffs::agreement(&mut b, request);
            }
            if !enabled {
                let breaks = service.entry.map_or(
                    "The service can no longer work across the organization's accounts.",
                    |e| e.what_a_disable_breaks(),
                );
                b.para(&format!("What stops working: {breaks}"));
            }
            let steps = service.entry.map(|e| match enabled {
                true => &e.after_enable,
                false => &e.after_disable,
            });
            let generic = match enabled {
                true => {
                    "Check with the service's administrator that the service is set up for the \
                         organization, as its page in the AWS Organizations User Guide says."
                }
                false => {
                    "Check with the service's administrator that the disable was intended, and \
                          that the service's resources in the organization were cleaned up."
                }
            };
            let mut todo = vec![steps_for(steps, audience, generic)];
            if let Some(e) = service.entry {
                todo.push(format!("The service's console: {}", e.console_url));
            }
            b.todo(&todo);
            b.para(&service.source());
            let subject = format!(
                "{}Trusted access for {} {done} in organization {}",
                if severity == Severity::Warning {
                    "Warning: "
                } else {
                    ""
                },
                service.name(),
                o.organization.organization_id
            );
            let facts = ServiceFacts {
                actor: Some(origin.actor.as_str()),
                initiated_by: Some(origin.service.as_deref().unwrap_or("person")),
                event_time: origin.event_time.as_deref(),
                ..facts(o, event, audience, service.principal)
            };
            Message {
                handoff: agreed.map(|r| r.id.clone()),
                ..observed_message(o, (audience, event, severity), &subject, b, &facts)
            }
        })
        .collect()
}

fn delegated_admin(
    o: About<'_>,
    service: &Named<'_>,
    account_id: &str,
    registered: bool,
    origin: &Origin,
) -> Vec<Message> {
    let (event, done) = match registered {
        true => (Event::DelegatedAdminRegistered, "registered as"),
        false => (Event::DelegatedAdminDeregistered, "deregistered as"),
    };
    [Audience::OrganizationsAdmin, Audience::ServiceAdmin]
        .into_iter()
        .map(|audience| {
            let mut b = Writer::new();
            b.para(&format!(
                "AWS account {account_id} was {done} the delegated administrator for {} in \
                 organization {}.",
                service.full(),
                o.organization.organization_id
            ));
            b.who(origin);
            if let Some(call) = service.entry.and_then(|e| e.own_admin_call) {
                b.para(&format!(
                    "{} can also name its delegated administrator with a call of its own, {} \
                     ({}): look for it in CloudTrail too. The sweep reads the delegated \
                     administrators AWS Organizations lists, whatever made the change.",
                    service.name(),
                    call.actions_text(),
                    call.sources[0]
                ));
            }
            if registered && o.outside_intent {
                b.para(&format!(
                    "EXPECTED_DELEGATED_ADMINS does not name that account for {}: the \
                     registration is outside what the organization means to have. Deregister it \
                     from the service's console if it was not meant, or add it to \
                     EXPECTED_DELEGATED_ADMINS if it was.",
                    service.name()
                ));
            }
            b.para(&match registered {
                true => format!(
                    "That account now administers {} for the organization, from the service's \
                     console, in the management account's stead.",
                    service.name()
                ),
                false => format!(
                    "That account no longer administers {} for the organization: until another \
                     is registered, the management account does.",
                    service.name()
                ),
            });
            b.para(&service.source());
            let warning = registered && o.outside_intent;
            let subject = format!(
                "{}AWS account {account_id} {done} delegated administrator for {}",
                if warning { "Warning: " } else { "" },
                service.name()
            );
            let severity = match warning {
                true => Severity::Warning,
                false => Severity::Info,
            };
            let facts = ServiceFacts {
                actor: Some(origin.actor.as_str()),
                initiated_by: Some(origin.service.as_deref().unwrap_or("person")),
                event_time: origin.event_time.as_deref(),
                account_id: Some(account_id),
                ..facts(o, event, audience, service.principal)
            };
            observed_message(o, (audience, event, severity), &subject, b, &facts)
        })
        .collect()
}

/// A warning that trusted access for `principal` differs from `EXPECTED_SERVICES` (or, with
/// `drift` `None`, that it matches again), for the Organizations administrator.
pub fn drift_message(o: About<'_>, principal: &str, drift: Option<Drift>) -> Message {
    let service = Named::of(principal);
    let org = &o.organization.organization_id;
    let mut b = Writer::new();
    let (event, severity, subject) = match drift {
        Some(Drift::Missing) => {
            b.para(&format!(
                "Trusted access for {} is expected in organization {org} (EXPECTED_SERVICES), but \
                 AWS Organizations does not list it as enabled.",
                service.full()
            ));
            if let Some(e) = service.entry {
                b.para(&format!(
                    "What does not work: {}",
                    e.what_a_disable_breaks()
                ));
            }
            b.todo(&[
                "Find out who disabled it (CloudTrail: DisableAWSServiceAccess) and whether it was \
                 meant; `mta services` lists what is enabled."
                    .into(),
                "Enable it again from the service's console, or remove it from EXPECTED_SERVICES \
                 if the organization no longer means to have it."
                    .into(),
            ]);
            let subject = format!(
                "Warning: trusted access for {} is not enabled",
                service.name()
            );
            (Event::TrustedAccessDrift, Severity::Warning, subject)
        }
        Some(Drift::Unexpected) => {
            b.para(&format!(
                "Trusted access for {} is enabled in organization {org}, but it is not among the \
                 services expected (EXPECTED_SERVICES).",
                service.full()
            ));
            b.todo(&[
                "Find out who enabled it (CloudTrail: EnableAWSServiceAccess) and whether it was \
                 meant; `mta services` lists what is enabled."
                    .into(),
                "Add it to EXPECTED_SERVICES if it was, or disable it from the service's console \
                 if it was not."
                    .into(),
            ]);
            let subject = format!(
                "Warning: trusted access for {} is enabled unexpectedly",
                service.name()
            );
            (Event::TrustedAccessDrift, Severity::Warning, subject)
        }
        None => {
            b.para(&format!(
                "Trusted access for {} in organization {org} matches EXPECTED_SERVICES again.",
                service.full()
            ));
            let subject = format!("Trusted access for {} is as expected again", service.name());
            (Event::TrustedAccessRestored, Severity::Info, subject)
        }
    };
    if service.entry.is_none() {
        b.para(&service.source());
    }
    let facts = ServiceFacts {
        drift,
        ..facts(o, event, Audience::OrganizationsAdmin, principal)
    };
    observed_message(
        o,
        (Audience::OrganizationsAdmin, event, severity),
        &subject,
        b,
        &facts,
    )
}

/// A warning that the delegated administrator of `subject` (`principal=account`) differs from
/// `EXPECTED_DELEGATED_ADMINS` (or, with `drift` `None`, that the difference ended), for the
/// Organizations administrator.
pub fn admin_drift_message(o: About<'_>, subject: &str, drift: Option<Drift>) -> Message {
    let (principal, account_id) = crate::delegation::parts(subject);
    let service = Named::of(principal);
    let org = &o.organization.organization_id;
    let mut b = Writer::new();
    let (event, severity, title) = match drift {
        Some(Drift::Unexpected) => {
            b.para(&format!(
                "AWS account {account_id} is the delegated administrator for {} in organization \
                 {org}, but EXPECTED_DELEGATED_ADMINS does not name it for that service.",
                service.full()
            ));
            b.todo(&[
                format!(
                    "Find out who registered it (CloudTrail: {}) and whether it was meant; `mta \
                     services` lists every delegated administrator.",
                    service.registering_calls()
                ),
                "Add it to EXPECTED_DELEGATED_ADMINS if it was, or deregister it from the \
                 service's console if it was not."
                    .into(),
            ]);
            let title = format!(
                "Warning: AWS account {account_id} administers {} unexpectedly",
                service.name()
            );
            (Event::DelegatedAdminDrift, Severity::Warning, title)
        }
        Some(Drift::Missing) => {
            b.para(&format!(
                "EXPECTED_DELEGATED_ADMINS names AWS account {account_id} as the delegated \
                 administrator for {} in organization {org}, but AWS Organizations does not list \
                 it.",
                service.full()
            ));
            b.todo(&[
                "Find out who deregistered it (CloudTrail: DeregisterDelegatedAdministrator) and \
                 whether it was meant."
                    .into(),
                "Register it again from the service's console, or change \
                 EXPECTED_DELEGATED_ADMINS if the organization no longer means to have it."
                    .into(),
            ]);
            let title = format!(
                "Warning: AWS account {account_id} is not the delegated administrator for {}",
                service.name()
            );
            (Event::DelegatedAdminDrift, Severity::Warning, title)
        }
        None => {
            b.para(&format!(
                "The delegated administrator AWS account {account_id} for {} in organization \
                 {org} matches EXPECTED_DELEGATED_ADMINS again.",
                service.full()
            ));
            let title = format!(
                "Delegated administrator {account_id} for {} is as expected again",
                service.name()
            );
            (Event::DelegatedAdminRestored, Severity::Info, title)
        }
    };
    let facts = ServiceFacts {
        drift,
        account_id: Some(account_id),
        ..facts(o, event, Audience::OrganizationsAdmin, principal)
    };
    observed_message(
        o,
        (Audience::OrganizationsAdmin, event, severity),
        &title,
        b,
        &facts,
    )
}
