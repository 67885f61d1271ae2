//! A message as it is composed and kept: its audience, event and severity (the attributes
//! subscriptions filter on), subject, and a body of paragraphs, steps and facts; and its two
//! renderings, the e-mail text ([`email`]) and the chat payload ([`chat`]), with the limits SNS puts
//! on them. A leaf: it imports nothing of the crate, so that the seams and the adapters can speak of
//! messages without the wording. Nothing takes a rendered message apart again: each rendering is
//! made from the structure.

pub mod chat;
pub mod email;

use serde::{Deserialize, Serialize};

/// SNS allows 100 characters in a subject.
pub const SUBJECT_LIMIT: usize = 100;
/// SNS allows 256 KiB in a message, attributes included. A topic's `MaximumMessageSize` may be raised
/// to 1 MiB, but such a topic delivers only to Firehose, SQS and Lambda, not to e-mail ("Publishing
/// large messages with Amazon SNS", https://docs.aws.amazon.com/sns/latest/dg/large-message-payloads.html).
pub const MESSAGE_LIMIT: usize = 256 * 1024;
/// Who a message is for (the `audience` attribute that subscriptions filter on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Audience {
    OrganizationsAdmin,
    MarketplaceAdmin,
    AccountAdmin,
    /// The administrator of a service other than AWS Marketplace, named by the `service` attribute.
    ServiceAdmin,
}

/// What happened (the `event` attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Event {
    TrustedAccessEnabled,
    TrustedAccessDisabled,
    AccountDeparted,
    AccountJoined,
    DriftCorrected,
    ReconcileFailed,
    /// Every account a sweep had found failing is reconciled again.
    ReconcileRecovered,
    DelegatedAdminRegistered,
    DelegatedAdminDeregistered,
    /// Trusted access differs from `EXPECTED_SERVICES`.
    TrustedAccessDrift,
    /// Trusted access matches `EXPECTED_SERVICES` again.
    TrustedAccessRestored,
    /// A delegated administrator differs from `EXPECTED_DELEGATED_ADMINS`.
    DelegatedAdminDrift,
    /// The delegated administrators match `EXPECTED_DELEGATED_ADMINS` again.
    DelegatedAdminRestored,
    /// The organization's resource-based delegation policy was put or deleted.
    DelegationPolicyChanged,
    /// A hand-off still open after `REMIND_AFTER`.
    HandoffReminder,
    /// A person said a hand-off is done.
    HandoffDone,
    /// A hand-off made moot by the truth.
    HandoffClosed,
    /// `mta handoffs request-disable`: the service's administrator is asked to disable the
    /// integration and clean up, before trusted access is disabled.
    DisableRequested,
}

/// How urgent (the `severity` attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    ActionRequired,
    Warning,
}

impl Audience {
    /// The attribute value.
    pub fn as_str(&self) -> &'static str {
        match self {
            Audience::OrganizationsAdmin => "organizations-admin",
            Audience::MarketplaceAdmin => "marketplace-admin",
            Audience::AccountAdmin => "account-admin",
            Audience::ServiceAdmin => "service-admin",
        }
    }
}

impl Event {
    /// The attribute value.
    pub fn as_str(&self) -> &'static str {
        match self {
            Event::TrustedAccessEnabled => "trusted-access-enabled",
            Event::TrustedAccessDisabled => "trusted-access-disabled",
            Event::AccountDeparted => "account-departed",
            Event::AccountJoined => "account-joined",
            Event::DriftCorrected => "drift-corrected",
            Event::ReconcileFailed => "reconcile-failed",
            Event::ReconcileRecovered => "reconcile-recovered",
            Event::DelegatedAdminRegistered => "delegated-admin-registered",
            Event::DelegatedAdminDeregistered => "delegated-admin-deregistered",
            Event::TrustedAccessDrift => "trusted-access-drift",
            Event::TrustedAccessRestored => "trusted-access-restored",
            Event::DelegatedAdminDrift => "delegated-admin-drift",
            Event::DelegatedAdminRestored => "delegated-admin-restored",
            Event::DelegationPolicyChanged => "delegation-policy-changed",
            Event::HandoffReminder => "handoff-reminder",
            Event::HandoffDone => "handoff-done",
            Event::HandoffClosed => "handoff-closed",
            Event::DisableRequested => "disable-requested",
        }
    }
}

impl Severity {
    /// The attribute value.
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::ActionRequired => "action-required",
            Severity::Warning => "warning",
        }
    }
}

/// The forms a message is published in: text for e-mail on the notification topic, and the custom
/// notification JSON of Amazon Q Developer in chat applications on the chat topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Text,
    Chat,
}

impl Format {
    /// The report's word for it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Chat => "chat",
        }
    }
}

/// A message's body as composed: its paragraphs and steps in order, and its facts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Body {
    pub blocks: Vec<Block>,
    /// The facts, as the compact JSON that ends the e-mail text, for machines.
    pub facts: String,
    /// The accounts the facts name (the account of a membership hand-off, those changed, failing
    /// and not reached), each once, in that order.
    #[serde(default)]
    pub accounts: Vec<String>,
}

/// A part of a body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Block {
    /// A paragraph: lines of text, a list's items as lines `  - item`.
    Paragraph(String),
    /// What the reader must do, in order.
    Steps(Vec<String>),
}

impl Body {
    /// Adds a paragraph.
    pub fn paragraph(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Paragraph(text.into()));
    }
}

/// One notification, ready to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub audience: Audience,
    pub event: Event,
    pub severity: Severity,
    pub organization: String,
    /// The service principal the message is about (the `service` attribute): AWS Marketplace's for
    /// its roles, departures, joins and sweeps.
    pub service: String,
    pub subject: String,
    pub body: Body,
    /// The id of the hand-off it belongs to in the ledger, if any (docs/design.md, "Hand-offs").
    pub handoff: Option<String>,
}

impl Message {
    /// The e-mail text: what the notification topic publishes.
    pub fn text(&self) -> String {
        email::text(&self.body)
    }
}
