//! A message's body as it is written: paragraphs, who and when, the steps to take, what the
//! function did, and the facts. It builds the structure ([`crate::message::Body`]); the e-mail text
//! and the chat payload are rendered from it.

use super::*;
use crate::message::{Block, Body};

/// How a change about `principal` that the service did not make itself was made, in words: by
/// another AWS service for whoever used it, named, or by a person with `tools`
/// (docs/design.md, "Who made a change").
pub(super) fn made_with(origin: &Origin, principal: &str, tools: &str) -> String {
    match origin.made_by(principal) {
        MadeBy::AnotherService(caller) => format!(
            "by {} ({caller}), another AWS service acting for whoever used it",
            crate::catalog::name_of(caller)
        ),
        MadeBy::TheService | MadeBy::Person => format!("with {tools}"),
    }
}

/// A body under construction.
pub(super) struct Writer {
    pub(super) body: Body,
}

impl Writer {
    pub(super) fn new() -> Self {
        Writer {
            body: Body::default(),
        }
    }

    pub(super) fn para(&mut self, text: &str) {
        self.body.paragraph(text);
    }

    pub(super) fn who(&mut self, origin: &Origin) {
        let mut line = format!("Who: {}", origin.actor);
        if let Some(service) = &origin.service {
            let _ = write!(line, " (through {service})");
        }
        if let Some(time) = &origin.event_time {
            let _ = write!(line, "\nWhen: {time}");
        }
        if origin.service.is_none() {
            if let Some(ip) = &origin.source_ip {
                let _ = write!(line, "\nFrom: {ip}");
            }
            if let Some(agent) = &origin.user_agent {
                let _ = write!(line, "\nClient: {agent}");
            }
        }
        self.para(&line);
    }

    pub(super) fn todo(&mut self, steps: &[String]) {
        self.body.blocks.push(Block::Steps(steps.to_vec()));
    }

    pub(super) fn role_policy(&mut self, removal: Removal, when: &str) {
        self.para(&match removal {
            Removal::Retain => format!(
                "The service-linked role {ROLE} was kept in every account \
                 (ON_DISABLE=retain). Now that {when}, each account's administrator may delete it once AWS \
                 Marketplace no longer uses it."
            ),
            Removal::Delete => format!(
                "Since {when} and ON_DISABLE=delete, the function deleted the service-linked role \
                 {ROLE} where it was present."
            ),
        });
    }

    pub(super) fn summary(&mut self, cx: Context<'_>) {
        let o = cx.outcome;
        let c = o.counts();
        let mut text = format!(
            "What the function did{dry}: trusted access is {state} according to AWS Organizations; \
             {checked} account(s) checked: {created} created, {deleted} deleted, {unchanged} unchanged, \
             {skipped} skipped, {failed} failed{planned}{pending}.",
            dry = if cx.dry_run {
                " (dry run: nothing was changed)"
            } else {
                ""
            },
            state = TrustedAccess::from(o.trusted_access),
            checked = c.checked,
            created = c.created,
            deleted = c.deleted,
            unchanged = c.unchanged,
            skipped = c.skipped,
            failed = c.failed,
            planned = if c.planned > 0 {
                format!(", {} planned", c.planned)
            } else {
                String::new()
            },
            pending = if c.pending > 0 {
                format!(", {} waiting for their member role", c.pending)
            } else {
                String::new()
            },
        );
        let more = |text: &mut String, total: usize| {
            if total > TEXT_LIST_CAP {
                let _ = write!(
                    text,
                    "\n  - … the first {TEXT_LIST_CAP} of {total} are listed; the full list is in the \
                     report of event {} in the function's log group",
                    cx.about.event_id.unwrap_or("(no event id)")
                );
            }
        };
        for a in o.failures().take(TEXT_LIST_CAP) {
            let kind = match a.failure.as_ref().map(|f| f.kind()) {
                Some(ErrorKind::Transient) => " (transient)",
                _ => "",
            };
            let _ = write!(
                text,
                "\n  - {} failed{kind}: {}",
                a.account_id,
                failure_text(a)
            );
        }
        more(&mut text, o.failures().count());
        let skipped = || o.accounts.iter().filter(|a| a.action == Action::Skip);
        for a in skipped().take(TEXT_LIST_CAP) {
            let _ = write!(text, "\n  - {} skipped: {}", a.account_id, a.detail());
        }
        more(&mut text, skipped().count());
        if !o.unreached.is_empty() {
            let shown: Vec<&str> = o
                .unreached
                .iter()
                .take(TEXT_LIST_CAP)
                .map(String::as_str)
                .collect();
            let _ = write!(
                text,
                "\n  - not reached before the time limit ({} account(s); {}): {}",
                o.unreached.len(),
                if cx.continuing {
                    "the function continues with them shortly"
                } else {
                    "the next sweep finishes them"
                },
                shown.join(", ")
            );
            more(&mut text, o.unreached.len());
        }
        self.para(&text);
    }

    /// The facts, and the accounts they name: the account of a membership hand-off, those changed,
    /// failing (`account: step: code: message`) and not reached, each once.
    pub(super) fn facts(&mut self, facts: &impl Serialize) {
        self.body.facts = serde_json::to_string(facts).unwrap_or_else(|_| "{}".into());
        let value = serde_json::to_value(facts).unwrap_or_default();
        let strings = |key: &str| -> Vec<String> {
            match &value[key] {
                serde_json::Value::String(s) => vec![s.clone()],
                serde_json::Value::Array(items) => items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let failed = strings("failed")
            .into_iter()
            .filter_map(|f| f.split(':').next().map(|a| a.trim().to_string()));
        let mut accounts: Vec<String> = Vec::new();
        for account in strings("accountId")
            .into_iter()
            .chain(strings("changed"))
            .chain(failed)
            .chain(strings("unreached"))
        {
            if !account.is_empty() && !accounts.contains(&account) {
                accounts.push(account);
            }
        }
        self.body.accounts = accounts;
    }
}
