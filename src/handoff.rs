//! A hand-off followed until it is done (docs/design.md, "Hand-offs"): one item of the ledger, what
//! it asks of whom, and how it ended. A leaf, like `messages::message`: the ports, the adapters, the
//! wording and `mta` all speak of items without the logic that opens and closes them.

use crate::message::Audience;
use serde::{Deserialize, Serialize};

/// The situations that open an item; nothing else does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Situation {
    /// Trusted access enabled with Organizations tools, where the service's console must finish
    /// the set-up.
    Setup,
    /// `mta handoffs request-disable`: AWS asks the service's administrator to disable the
    /// integration and clean up before trusted access is disabled.
    DisableRequest,
    /// Trusted access disabled by a person with no confirmed request: confirm the clean-up after
    /// the fact.
    CleanUp,
}

/// Where an item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Open,
    /// A person said it is done.
    Done,
    /// The truth made it moot, or a disable fulfilled it.
    Closed,
}

/// One item of the ledger. Times are seconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handoff {
    /// What a person types: `ho-` and eight letters or digits.
    pub id: String,
    pub situation: Situation,
    /// The service principal it is about.
    pub service: String,
    pub organization: String,
    /// Who is asked.
    pub audience: Audience,
    /// What is asked, in one sentence.
    pub ask: String,
    /// The fact that opened it: what happened, who did it, and its event.
    pub opened_by: String,
    pub opened_at: u64,
    /// The outbox key of that fact, from which the id derives: where to look for its hand-off.
    pub opened_key: String,
    /// When its audience was last told of it; 0: not yet (a request opened by `mta`).
    pub last_told_at: u64,
    #[serde(default)]
    pub reminders: u32,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<u64>,
    /// The outbox key of the fact that closed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_key: Option<String>,
    /// Whether the side that asked was told how it ended.
    #[serde(default)]
    pub ending_told: bool,
    /// When the table's TTL removes it: a year after its ending was told; never while it is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// How many times it was written: a save succeeds only over the version it was read at.
    /// 0: never written.
    #[serde(default)]
    pub version: u64,
}

/// How long an item is kept once its ending was told.
pub const KEPT_AFTER_ITS_END: u64 = 365 * 24 * 3600;

impl Handoff {
    /// Marks its ending told, at `now`: the table's TTL removes it a year later.
    pub fn ending_told(&mut self, now: u64) {
        self.ending_told = true;
        self.expires_at = Some(now.saturating_add(KEPT_AFTER_ITS_END));
    }

    /// A new open item of `situation` for `service`, opened at `now` by the fact of outbox key
    /// `key`, its id derived from them; what it asks, of whom and why is the caller's to fill in.
    pub fn opened(situation: Situation, key: &str, service: &str, now: u64) -> Handoff {
        Handoff {
            id: id_for(key, situation, service),
            situation,
            service: service.to_string(),
            organization: String::new(),
            audience: Audience::OrganizationsAdmin,
            ask: String::new(),
            opened_by: String::new(),
            opened_at: now,
            opened_key: key.to_string(),
            last_told_at: now,
            reminders: 0,
            status: Status::Open,
            done_by: None,
            done_at: None,
            note: None,
            closed_reason: None,
            closed_at: None,
            closed_key: None,
            ending_told: false,
            expires_at: None,
            version: 0,
        }
    }

    /// Whether it still waits for someone.
    pub fn is_open(&self) -> bool {
        self.status == Status::Open
    }

    /// Closes it for `reason`, found by the fact of outbox key `key`.
    pub fn close(&mut self, reason: &str, key: &str, now: u64) {
        self.status = Status::Closed;
        self.closed_reason = Some(reason.to_string());
        self.closed_at = Some(now);
        self.closed_key = Some(key.to_string());
    }
}

/// The id of the item that the fact of outbox key `key` opens in `situation` for `service`: the
/// same for every delivery of the fact, so that a retry finds its item instead of opening another.
/// Eight characters of Crockford's base32 (no i, l, o or u) of a SHA-256: 40 bits, so that two
/// items of one ledger share an id with a chance below one in a billion at a thousand items.
pub fn id_for(key: &str, situation: Situation, service: &str) -> String {
    use sha2::{Digest, Sha256};
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let seed = format!("{key}\n{situation:?}\n{service}");
    let digest = Sha256::digest(seed.as_bytes());
    let bits = digest[..5]
        .iter()
        .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte));
    let code: String = (0..8)
        .rev()
        .map(|i| char::from(ALPHABET[((bits >> (i * 5)) & 31) as usize]))
        .collect();
    format!("ho-{code}")
}

/// A time of the ledger as RFC 3339, UTC.
pub fn rfc3339(secs: u64) -> String {
    let time = aws_smithy_types::DateTime::from_secs(i64::try_from(secs).unwrap_or(i64::MAX));
    time.fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| format!("{secs} s after the Unix epoch"))
}

/// Whether `text` reads as an item's id, whatever its case.
pub fn is_id(text: &str) -> bool {
    text.len() == 11
        && text[..3].eq_ignore_ascii_case("ho-")
        && text[3..].chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_typeable_stable_and_distinct_per_fact_situation_and_service() {
        let a = id_for("event-1", Situation::Setup, "s.amazonaws.com");
        assert_eq!(a, id_for("event-1", Situation::Setup, "s.amazonaws.com"));
        assert!(is_id(&a), "{a}");
        assert!(a.chars().skip(3).all(|c| !"ilou".contains(c)), "{a}");
        for other in [
            id_for("event-2", Situation::Setup, "s.amazonaws.com"),
            id_for("event-1", Situation::CleanUp, "s.amazonaws.com"),
            id_for("event-1", Situation::Setup, "t.amazonaws.com"),
        ] {
            assert_ne!(a, other);
        }
        assert!(!is_id("ho-123"));
        assert!(is_id("HO-ABCDEFGH"));
    }
}
