//! The chat copy of a message: the JSON that Amazon Q Developer in chat applications (formerly AWS
//! Chatbot) renders in a Slack channel or a Microsoft Teams channel subscribed to the chat topic.
//!
//! The shape is AWS's custom-notification event ("Custom notifications using Amazon Q Developer in
//! chat applications", https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html):
//! `version` "1.0" and `source` "custom" are required, so is `content.description`; the rest is
//! optional. `textType` "client-markdown" is the only text type it supports, rendered in the chat
//! platform's own markdown. It renders the same body as the e-mail, not reworded: its paragraphs
//! become the description, its steps `nextSteps`, the accounts its facts name `relatedResources`;
//! the facts themselves are left out (a person reads the chat; machines read the e-mail copy or the
//! report).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Block, MESSAGE_LIMIT, Message};

/// `relatedResources` holds the organization and at most this many entries in all: the chat shows
/// them as a list, which stops being readable long before the facts block's 500 accounts. The full
/// lists are in the e-mail copy and the report.
pub const RELATED_RESOURCES_CAP: usize = 20;

/// Room left in SNS's 256 KiB for the message attributes (`audience`, `event`, `service`,
/// `severity`, `organization`: names, types and values, under 1 KiB together), which SNS counts in
/// the message's size; the JSON text gets the rest.
const ATTRIBUTES_MARGIN: usize = 4 * 1024;

/// Ends a description cut to fit.
const SHORTENED: &str = "\n\n… shortened; the full text is in the e-mail copy.";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Payload<'a> {
    version: &'static str,
    source: &'static str,
    content: Content<'a>,
    metadata: Metadata<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Content<'a> {
    text_type: &'static str,
    title: &'a str,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    next_steps: Vec<String>,
    keywords: Vec<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata<'a> {
    thread_id: &'a str,
    summary: &'a str,
    event_type: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_resources: Vec<String>,
    additional_context: BTreeMap<&'static str, &'static str>,
}

/// The chat copy of `message`, as JSON text, threaded under `thread_id`.
///
/// AWS documents no limit per field, only SNS's on the whole message: a description that would
/// take the payload past it is cut (on a character boundary) and says so; should the steps alone
/// be too long, the last ones go too.
pub fn chat_payload(message: &Message, thread_id: &str) -> String {
    let (mut description, next_steps) = description_and_steps(&message.body.blocks);
    if description.is_empty() {
        // AWS requires a description; a body of steps alone would leave none.
        description = message.subject.clone();
    }
    let mut payload = Payload {
        version: "1.0",
        source: "custom",
        content: Content {
            text_type: "client-markdown",
            title: &message.subject,
            description,
            next_steps,
            keywords: vec![
                message.service.as_str(),
                message.event.as_str(),
                message.severity.as_str(),
            ],
        },
        metadata: Metadata {
            thread_id,
            summary: &message.subject,
            event_type: message.event.as_str(),
            related_resources: related_resources(message),
            additional_context: BTreeMap::from([
                ("audience", message.audience.as_str()),
                ("severity", message.severity.as_str()),
            ]),
        },
    };
    fit(&mut payload)
}

/// The paragraphs in light markdown, separated by blank lines, and the steps.
fn description_and_steps(blocks: &[Block]) -> (String, Vec<String>) {
    let mut steps = Vec::new();
    let mut kept = Vec::new();
    for block in blocks {
        match block {
            Block::Steps(list) => steps.extend(list.iter().map(|s| s.trim().to_string())),
            Block::Paragraph(text) => kept.extend(
                text.split("\n\n")
                    .map(|p| p.trim_matches('\n').trim_end())
                    .filter(|p| !p.trim().is_empty())
                    .map(markdown),
            ),
        }
    }
    (kept.join("\n\n"), steps)
}

/// Bullet lines `  - x` as markdown list items `- x`; other lines as they are.
fn markdown(paragraph: &str) -> String {
    paragraph
        .lines()
        .map(|line| match line.trim_start().strip_prefix("- ") {
            Some(item) => format!("- {item}"),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The organization, then the accounts the facts name, each once, [`RELATED_RESOURCES_CAP`] in
/// all.
fn related_resources(message: &Message) -> Vec<String> {
    let mut out = vec![message.organization.clone()];
    for account in &message.body.accounts {
        if out.len() >= RELATED_RESOURCES_CAP {
            break;
        }
        if !account.is_empty() && !out.contains(account) {
            out.push(account.clone());
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

/// The payload as JSON text within SNS's limit: the description shortened first, then the steps.
fn fit(payload: &mut Payload<'_>) -> String {
    let budget = MESSAGE_LIMIT - ATTRIBUTES_MARGIN;
    // What is left of a description cut to nothing: AWS requires one.
    let note_only = SHORTENED.trim_start();
    loop {
        // Strings, string-keyed maps and lists of strings always serialize.
        let json = serde_json::to_string(payload).unwrap_or_default();
        if json.len() <= budget {
            return json;
        }
        let over = json.len() - budget;
        let description = &mut payload.content.description;
        if description != note_only {
            // JSON escaping can make a character take more bytes in the text than in the string,
            // so a cut may fall short: the loop measures again.
            let text = description.strip_suffix(SHORTENED).unwrap_or(description);
            let mut keep = text.len().saturating_sub(over + SHORTENED.len());
            while !text.is_char_boundary(keep) {
                keep -= 1;
            }
            *description = if keep == 0 {
                note_only.to_string()
            } else {
                format!("{}{SHORTENED}", text[..keep].trim_end())
            };
        } else if payload.content.next_steps.pop().is_none() {
            // Nothing left to cut. The rest is small by construction (a subject of at most 100
            // characters, 20 resources, the caller's thread id): give it as it is.
            return json;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::email::{FACTS_HEADER, TODO_HEADER};
    use crate::message::{Audience, Body, Event, Severity};
    use serde_json::Value;

    /// A body shaped as the real ones are: paragraphs, steps, a list, facts naming accounts.
    fn body(intro: &str, steps: Vec<String>, accounts: Vec<String>) -> Body {
        Body {
            blocks: vec![
                Block::Paragraph(intro.into()),
                Block::Steps(steps),
                Block::Paragraph(
                    "What the function did: 3 account(s) checked.\n  - 111122223333 failed: \
                     AssumeRole: AccessDenied: denied"
                        .into(),
                ),
            ],
            facts: r#"{"event":"reconcile-failed","managementAccount":"123456789012"}"#.into(),
            accounts,
        }
    }

    fn message(intro: &str, changed: Vec<String>) -> Message {
        let mut accounts = vec!["210987654321".to_string()];
        accounts.extend(changed);
        accounts.extend(["111122223333".to_string(), "444455556666".to_string()]);
        let steps = vec![
            "Open the AWS Organizations console.".into(),
            "Retry the failed accounts.".into(),
        ];
        Message {
            audience: Audience::OrganizationsAdmin,
            event: Event::ReconcileFailed,
            severity: Severity::Warning,
            organization: "o-exampleorgid".into(),
            service: "license-management.marketplace.amazonaws.com".into(),
            subject: "Warning: 1 account could not be reconciled".into(),
            body: body(intro, steps, accounts),
            handoff: None,
        }
    }

    fn parsed(m: &Message) -> Value {
        serde_json::from_str(&chat_payload(m, "o-exampleorgid#reconcile-failed")).unwrap()
    }

    #[test]
    fn the_payload_is_a_custom_notification_with_the_subject_as_title() {
        let m = message("Some accounts could not be reconciled.", vec![]);
        let p = parsed(&m);
        assert_eq!(p["version"], "1.0");
        assert_eq!(p["source"], "custom");
        assert_eq!(p["content"]["textType"], "client-markdown");
        assert_eq!(p["content"]["title"], m.subject.as_str());
        assert_eq!(p["metadata"]["summary"], m.subject.as_str());
        assert_eq!(p["metadata"]["threadId"], "o-exampleorgid#reconcile-failed");
        assert_eq!(p["metadata"]["eventType"], "reconcile-failed");
        assert_eq!(
            p["content"]["keywords"],
            serde_json::json!([
                "license-management.marketplace.amazonaws.com",
                "reconcile-failed",
                "warning"
            ])
        );
        assert_eq!(
            p["metadata"]["additionalContext"]["audience"],
            "organizations-admin"
        );
    }

    #[test]
    fn the_steps_move_to_next_steps_and_the_facts_stay_out() {
        let p = parsed(&message("Some accounts could not be reconciled.", vec![]));
        assert_eq!(
            p["content"]["nextSteps"],
            serde_json::json!([
                "Open the AWS Organizations console.",
                "Retry the failed accounts."
            ])
        );
        let description = p["content"]["description"].as_str().unwrap();
        assert!(!description.contains(FACTS_HEADER), "{description}");
        assert!(!description.contains(TODO_HEADER), "{description}");
        assert!(
            !description.contains("\"managementAccount\""),
            "{description}"
        );
        assert!(description.starts_with("Some accounts could not be reconciled."));
        assert!(
            description.contains("\n- 111122223333 failed: AssumeRole"),
            "{description}"
        );
    }

    #[test]
    fn a_body_without_steps_has_no_next_steps() {
        let mut m = message("Nothing to do.", vec![]);
        m.body.blocks = vec![Block::Paragraph("Nothing to do.".into())];
        let p = parsed(&m);
        assert!(p["content"].get("nextSteps").is_none(), "{p}");
        assert_eq!(p["content"]["description"], "Nothing to do.");
    }

    #[test]
    fn related_resources_name_the_organization_and_the_accounts_capped() {
        let p = parsed(&message("Few.", vec!["111122223333".into()]));
        // (the changed account is named once, though it failed too)
        assert_eq!(
            p["metadata"]["relatedResources"],
            serde_json::json!([
                "o-exampleorgid",
                "210987654321",
                "111122223333",
                "444455556666"
            ])
        );
        let many: Vec<String> = (0..100).map(|i| format!("1111222233{i:02}")).collect();
        let p = parsed(&message("Many.", many));
        let related = p["metadata"]["relatedResources"].as_array().unwrap();
        assert_eq!(related.len(), RELATED_RESOURCES_CAP);
        assert_eq!(related[0], "o-exampleorgid");
    }

    #[test]
    fn a_body_at_the_sns_limit_still_fits_shortened() {
        // Quotes and newlines take two bytes each once escaped in JSON; `é` takes two in UTF-8.
        let intro = "\"é\n".repeat(MESSAGE_LIMIT / 4);
        let m = message(&intro, vec![]);
        assert!(m.text().len() >= MESSAGE_LIMIT);
        let json = chat_payload(&m, "thread");
        assert!(
            json.len() <= MESSAGE_LIMIT - ATTRIBUTES_MARGIN,
            "{}",
            json.len()
        );
        let p: Value = serde_json::from_str(&json).unwrap();
        let description = p["content"]["description"].as_str().unwrap();
        assert!(description.ends_with(SHORTENED), "{}", &description[..40]);
        assert_eq!(p["content"]["nextSteps"].as_array().unwrap().len(), 2);

        // A step alone past the limit: the description keeps its note, the steps go.
        let mut huge = message("Short.", vec![]);
        huge.body.blocks = vec![
            Block::Paragraph("Short.".into()),
            Block::Steps(vec!["x".repeat(MESSAGE_LIMIT)]),
        ];
        let json = chat_payload(&huge, "thread");
        assert!(json.len() <= MESSAGE_LIMIT - ATTRIBUTES_MARGIN);
        let p: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(p["content"]["description"], SHORTENED.trim_start());
        assert!(p["content"].get("nextSteps").is_none(), "{}", &json[..200]);
    }
}
