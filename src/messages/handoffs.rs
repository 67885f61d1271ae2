//! Hand-offs about the ledger's items (docs/design.md, "Hand-offs"): the mark on a message that
//! opens one, the request `mta handoffs request-disable` opens, reminders, how an item ended, and
//! the paragraph that makes a disable an agreed one.

use super::*;
use crate::catalog;
use crate::handoff::{Handoff, Situation, Status, rfc3339};

/// The facts block of these messages.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HandoffFacts<'a> {
    event: Event,
    audience: Audience,
    organization: &'a str,
    service: &'a str,
    handoff: &'a Handoff,
}

/// The service's name and console, from the catalog; its principal when the catalog lacks it.
fn named(principal: &str) -> (String, Option<&'static str>) {
    (
        catalog::name_of(principal).to_string(),
        catalog::find(principal).map(|e| e.console_url),
    )
}

/// What an item of `situation` asks of the administrator of `principal`, in one sentence.
pub fn ask(situation: Situation, principal: &str) -> String {
    let name = catalog::name_of(principal);
    match situation {
        Situation::Setup => {
            format!("Finish the set-up of {name} for the organization in its console.")
        }
        Situation::CleanUp => format!(
            "Confirm that the integration of {name} with the organization is disabled in its \
             console and that its resources are cleaned up."
        ),
        Situation::DisableRequest => format!(
            "Disable the integration of {name} with the organization from its console, clean up \
             its resources, then confirm, so that trusted access can be disabled."
        ),
    }
}

/// The command that says an item is done.
fn done_command(id: &str) -> String {
    format!("mta handoffs done {id} --note \"<what was done>\"")
}

/// Marks a message with the item it opened: its id, and how to say it is done.
pub fn followed(message: &mut Message, item: &Handoff) {
    message.handoff = Some(item.id.clone());
    message.body.paragraph(format!(
        "This hand-off is followed as {id} until you say it is done. When it is, run: {command}. \
         Until then, a sweep reminds you at most once per REMIND_AFTER, and `mta handoffs` lists \
         it.",
        id = item.id,
        command = done_command(&item.id)
    ));
}

/// The paragraph of a disable that was agreed: who confirmed, when, and their note.
pub(super) fn agreement(b: &mut Writer, request: &Handoff) {
    let who = request.done_by.as_deref().unwrap_or("(unknown)");
    let when = request.done_at.map_or_else(|| "(unknown)".into(), rfc3339);
    let mut text = format!(
        "This disable was agreed: {who} confirmed at {when} that the integration was disabled \
         in the service's console and its resources cleaned up (hand-off {}).",
        request.id
    );
    if let Some(note) = &request.note {
        let _ = write!(text, " Their note: {note}");
    }
    b.para(&text);
}

fn handoff_message(
    item: &Handoff,
    (audience, event, severity): (Audience, Event, Severity),
    subject: &str,
    mut body: Writer,
) -> Message {
    body.facts(&HandoffFacts {
        event,
        audience,
        organization: &item.organization,
        service: &item.service,
        handoff: item,
    });
    Message {
        audience,
        event,
        severity,
        organization: item.organization.clone(),
        service: item.service.clone(),
        subject: fit_subject(subject),
        body: body.body,
        handoff: Some(item.id.clone()),
    }
}

fn opened(b: &mut Writer, item: &Handoff) {
    b.para(&format!(
        "Opened: {} by {}.",
        rfc3339(item.opened_at),
        item.opened_by
    ));
}

/// `mta handoffs request-disable`: what AWS asks of the service's administrator before trusted
/// access is disabled.
pub fn requested(item: &Handoff) -> Message {
    let (name, console) = named(&item.service);
    let mut b = Writer::new();
    b.para(&format!(
        "The AWS Organizations administrator of organization {} means to disable trusted access \
         for {name} ({}). AWS asks them to wait until you have disabled the integration from the \
         service's console and cleaned up its resources.",
        item.organization, item.service
    ));
    opened(&mut b, item);
    let mut steps = vec![match console {
        Some(url) => format!(
            "Disable the integration with AWS Organizations in the service's console ({url})."
        ),
        None => "Disable the integration with AWS Organizations in the service's console.".into(),
    }];
    steps.push("Clean up what the service set up for the organization.".into());
    steps.push(format!(
        "Confirm it, so that the disable can go ahead: {}",
        done_command(&item.id)
    ));
    b.todo(&steps);
    handoff_message(
        item,
        (
            item.audience,
            Event::DisableRequested,
            Severity::ActionRequired,
        ),
        &format!(
            "Action required: disable the {name} integration first ({})",
            item.id
        ),
        b,
    )
}

/// A reminder of an item still open.
pub fn reminder(item: &Handoff, now: u64) -> Message {
    let (name, _) = named(&item.service);
    let days = now.saturating_sub(item.opened_at) / 86_400;
    let mut b = Writer::new();
    b.para(&format!(
        "Hand-off {} is still open, {days} day(s) after it was opened: {}",
        item.id, item.ask
    ));
    opened(&mut b, item);
    b.todo(&[
        item.ask.clone(),
        format!("Say that it is done: {}", done_command(&item.id)),
    ]);
    handoff_message(
        item,
        (
            item.audience,
            Event::HandoffReminder,
            Severity::ActionRequired,
        ),
        &format!("Reminder: hand-off {} for {name} is still open", item.id),
        b,
    )
}

/// How an item ended, told to the side that asked: the Organizations administrator.
pub fn ended(item: &Handoff) -> Message {
    let (name, _) = named(&item.service);
    let mut b = Writer::new();
    if item.status == Status::Done {
        let who = item.done_by.as_deref().unwrap_or("(unknown)");
        let when = item.done_at.map_or_else(|| "(unknown)".into(), rfc3339);
        b.para(&format!(
            "Hand-off {} for {name} is done. It asked: {}",
            item.id, item.ask
        ));
        b.para(&format!("Done by: {who}\nWhen: {when}"));
        if let Some(note) = &item.note {
            b.para(&format!("Their note: {note}"));
        }
        if item.situation == Situation::DisableRequest {
            b.todo(&[format!(
                "You may now disable trusted access for {name} ({}): the function will record the \
                 disable as agreed.",
                item.service
            )]);
        }
        opened(&mut b, item);
        let subject = format!("Hand-off {} for {name} is done", item.id);
        return handoff_message(
            item,
            (
                Audience::OrganizationsAdmin,
                Event::HandoffDone,
                Severity::Info,
            ),
            &subject,
            b,
        );
    }
    b.para(&format!(
        "Hand-off {} for {name} is closed without anyone's word: {}. It asked: {}",
        item.id,
        item.closed_reason
            .as_deref()
            .unwrap_or("(no reason recorded)"),
        item.ask
    ));
    opened(&mut b, item);
    let subject = format!(
        "Hand-off {} for {name} is closed: no longer needed",
        item.id
    );
    handoff_message(
        item,
        (
            Audience::OrganizationsAdmin,
            Event::HandoffClosed,
            Severity::Info,
        ),
        &subject,
        b,
    )
}
