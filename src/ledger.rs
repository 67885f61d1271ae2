//! Hand-offs followed until they are done (docs/design.md, "Hand-offs"): which situations open an
//! item, how a disable is judged by the ledger, and what each invocation tells of the items since
//! the last: requests opened with `mta`, items done or made moot, and, in a sweep, reminders.

use crate::catalog;
use crate::handoff::{Handoff, Situation, Status};
use crate::intake::Trigger;
use crate::message::{Audience, Event, Message};
use crate::messages::About;
use crate::messages::handoffs::{ask, ended, followed, reminder, requested};
use crate::ports::EnabledService;
use crate::principal::same as same_principal;

use std::time::Duration;

/// Why a request is closed when the disable it asked for happens as agreed.
pub const AGREED: &str = "trusted access was disabled as agreed";

/// The service a change of trusted access is about, and whether it was disabled, and by the
/// service itself.
fn disable_of(trigger: &Trigger) -> Option<(&str, bool)> {
    match trigger {
        Trigger::TrustedAccess {
            principal,
            enabled: false,
            origin,
        } => Some((principal.as_str(), origin.is_service(principal))),
        _ => None,
    }
}

/// What the ledger says of a trigger before its messages are composed.
#[derive(Debug, Default)]
pub struct Judgement {
    /// The confirmed request that makes this disable an agreed one.
    pub agreed: Option<Handoff>,
    /// The items the trigger closes, changed, to be saved.
    pub changes: Vec<Handoff>,
}

/// Judges a change that holds (Organizations agrees with the event) by the ledger's `items`: a
/// disable closes the service's open set-ups and requests, and is agreed when a person confirmed
/// its request. A retry of the same fact (`key`) finds the request it closed as agreed, and is
/// agreed again.
pub fn judge(
    items: &[Handoff],
    trigger: &Trigger,
    key: Option<&str>,
    holds: bool,
    now: u64,
) -> Judgement {
    let (Some(key), Some((service, by_service)), true) = (key, disable_of(trigger), holds) else {
        return Judgement::default();
    };
    let mut judgement = Judgement::default();
    for mut item in items
        .iter()
        .filter(|i| same_principal(&i.service, service))
        .cloned()
    {
        let retried = item.closed_key.as_deref() == Some(key);
        match (item.situation, item.status) {
            // Confirmed: the disable is the one agreed, whoever made it.
            (Situation::DisableRequest, Status::Done) => {
                item.close(AGREED, key, now);
                // The disable's own hand-off says it was agreed.
                item.ending_told(now);
                judgement.agreed = Some(item.clone());
                judgement.changes.push(item);
            }
            (Situation::DisableRequest, Status::Closed)
                if retried && item.closed_reason.as_deref() == Some(AGREED) =>
            {
                judgement.agreed = Some(item);
            }
            (Situation::DisableRequest, Status::Open) => {
                let reason = match by_service {
                    true => "the service disabled its own trusted access".to_string(),
                    false => "trusted access was disabled before anyone confirmed the request; \
                              a clean-up hand-off asks for the confirmation after the fact"
                        .to_string(),
                };
                item.close(&reason, key, now);
                judgement.changes.push(item);
            }
            (Situation::Setup, Status::Open) => {
                item.close(
                    "trusted access was disabled before the set-up was finished",
                    key,
                    now,
                );
                judgement.changes.push(item);
            }
            _ => {}
        }
    }
    judgement
}

/// The situation a change of trusted access that holds puts an item in, for which service and whose
/// administrator: an enable by a person that leaves the set-up to the service's console, or a disable
/// by a person that nobody agreed to. `None` for every other trigger.
fn situation(about: About<'_>) -> Option<(Situation, &str, Audience)> {
    let (service, enabled) = match about.trigger {
        Trigger::TrustedAccess {
            principal,
            enabled,
            origin,
        } if !origin.is_service(principal) => (principal.as_str(), *enabled),
        _ => return None,
    };
    // The administrator of the service whose role the function keeps has an audience of its own.
    let audience = match catalog::keeps_role(service) {
        true => Audience::MarketplaceAdmin,
        false => Audience::ServiceAdmin,
    };
    match enabled {
        true if catalog::find(service).is_some_and(|e| e.console_finishes_setup) => {
            Some((Situation::Setup, service, audience))
        }
        false if about.agreed.is_none() => Some((Situation::CleanUp, service, audience)),
        _ => None,
    }
}

/// Opens the item the trigger's situation calls for, when its change holds (Organizations agrees
/// with the event), and marks the message that asks it of its audience: its id, and how to say it
/// is done. The id comes from the fact, so that a retry opens and marks the same one.
pub fn open(
    messages: &mut [Message],
    about: About<'_>,
    key: Option<&str>,
    holds: bool,
    now: u64,
) -> Vec<Handoff> {
    let (Some(key), true, Some((situation, service, audience))) = (key, holds, situation(about))
    else {
        return Vec::new();
    };
    let event = match situation {
        Situation::Setup => Event::TrustedAccessEnabled,
        _ => Event::TrustedAccessDisabled,
    };
    let Some(message) = messages
        .iter_mut()
        .find(|m| m.audience == audience && m.event == event)
    else {
        return Vec::new();
    };
    let item = Handoff {
        organization: message.organization.clone(),
        audience,
        ask: ask(situation, service),
        opened_by: opened_by(about),
        ..Handoff::opened(situation, key, service, now)
    };
    followed(message, &item);
    vec![item]
}

/// The fact that opens an item, in words: the trigger, who and when, and its event.
fn opened_by(about: About<'_>) -> String {
    let origin = match about.trigger {
        Trigger::TrustedAccess { origin, .. } => Some(origin),
        _ => None,
    };
    let mut text = about.trigger_name.to_string();
    if let Some(origin) = origin {
        text.push_str(&format!(" by {}", origin.actor));
        if let Some(time) = &origin.event_time {
            text.push_str(&format!(" at {time}"));
        }
    }
    if let Some(id) = about.event_id {
        text.push_str(&format!(" (event {id})"));
    }
    text
}

/// A message the ledger holds to tell, through an outbox of its own (`key`), and the item as it is
/// saved once the message is told.
#[derive(Debug, Clone)]
pub struct FollowUp {
    pub key: String,
    pub message: Message,
    pub item: Handoff,
}

/// What the ledger holds to tell since the last invocation, given its `items` as this invocation
/// leaves them: a request opened with `mta` (`disable-requested`), an item done or closed
/// (`handoff-done`, `handoff-closed`, to the side that asked); and in a sweep (`remind_after`
/// given), set-ups and requests made moot by a disabled service (`enabled`: the services
/// Organizations lists, when read), and a reminder of each item open for `REMIND_AFTER` since its
/// audience was last told. Each goes through an outbox of its own and is recorded on the item once
/// told: a second invocation finds it told, and one that stopped in between publishes nothing
/// twice.
pub fn follow_ups(
    items: Vec<Handoff>,
    organization: &str,
    enabled: Option<&[EnabledService]>,
    remind_after: Option<Duration>,
    now: u64,
) -> Vec<FollowUp> {
    let mut out = Vec::new();
    for mut item in items {
        // A request opened with `mta` names no organization: its responders need not read one.
        if item.organization.is_empty() {
            item.organization = organization.to_string();
        }
        let moot = enabled.is_some_and(|services| {
            item.is_open()
                && item.situation != Situation::CleanUp
                && !services
                    .iter()
                    .any(|s| same_principal(&s.principal, &item.service))
        });
        if moot {
            item.close(
                "the sweep found trusted access for the service disabled",
                "sweep",
                now,
            );
        }
        let (key, message) = match (item.status, item.last_told_at) {
            (Status::Done | Status::Closed, _) if !item.ending_told => {
                (format!("handoff#{}#ended", item.id), ended(&item))
            }
            (Status::Open, 0) => (format!("handoff#{}#requested", item.id), requested(&item)),
            (Status::Open, told) => match remind_after {
                Some(every) if now.saturating_sub(told) >= every.as_secs() => {
                    let n = item.reminders + 1;
                    (
                        format!("handoff#{}#reminder#{n}", item.id),
                        reminder(&item, now),
                    )
                }
                _ => continue,
            },
            _ => continue,
        };
        match item.status {
            Status::Open if item.last_told_at > 0 => item.reminders += 1,
            Status::Open => {}
            _ => item.ending_told(now),
        }
        if item.is_open() {
            item.last_told_at = now;
        }
        out.push(FollowUp { key, message, item });
    }
    out
}

/// Whether a sweep needs the enabled services to find items made moot: an open set-up or request.
pub fn needs_enabled(items: &[Handoff]) -> bool {
    items
        .iter()
        .any(|i| i.is_open() && i.situation != Situation::CleanUp)
}

/// The ledger's items as this invocation leaves them: `items` read, with `changed` (closed or
/// opened by the trigger) in place of the ones they replace.
pub fn after(items: &[Handoff], changed: &[Handoff]) -> Vec<Handoff> {
    let replaced = items
        .iter()
        .map(|i| changed.iter().find(|c| c.id == i.id).unwrap_or(i).clone());
    let opened = changed
        .iter()
        .filter(|c| !items.iter().any(|i| i.id == c.id))
        .cloned();
    replaced.chain(opened).collect()
}
