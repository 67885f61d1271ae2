//! The seams between the logic and AWS: one narrow trait per capability, each returning domain types
//! (docs/design.md, "Architecture"). `aws/` implements them with the AWS SDK; `fake` implements them in
//! memory for tests and benchmarks.

pub use crate::delegation_policy::PolicyDocument;
pub use crate::error::{AwsError, ErrorKind};
use crate::handoff::Handoff;
use crate::message::{Format, Message};
use async_trait::async_trait;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

/// An organization's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgIdentity {
    pub organization_id: String,
    pub management_account_id: String,
}

/// An account's `State` in Organizations (`Status` is retired).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountState {
    Active,
    Suspended,
    PendingClosure,
    Closed,
    /// A state this code does not know yet, as AWS spelled it.
    Other(String),
}

impl AccountState {
    /// Reads AWS's spelling.
    pub fn parse(state: &str) -> AccountState {
        match state {
            "ACTIVE" => AccountState::Active,
            "SUSPENDED" => AccountState::Suspended,
            "PENDING_CLOSURE" => AccountState::PendingClosure,
            "CLOSED" => AccountState::Closed,
            other => AccountState::Other(other.to_string()),
        }
    }
}

impl fmt::Display for AccountState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccountState::Active => "ACTIVE",
            AccountState::Suspended => "SUSPENDED",
            AccountState::PendingClosure => "PENDING_CLOSURE",
            AccountState::Closed => "CLOSED",
            AccountState::Other(s) => s,
        })
    }
}

/// An account as Organizations reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberAccount {
    pub id: String,
    pub name: String,
    pub state: AccountState,
    /// When it joined the organization (`JoinedTimestamp`), in seconds since the Unix epoch: with
    /// the account, it names one membership episode.
    pub joined: Option<u64>,
}

/// Who the function runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account_id: String,
    /// `aws`, `aws-cn`, `aws-us-gov`: taken from the caller's ARN so that no ARN is hard-coded.
    pub partition: String,
    /// The caller's ARN, as `sts:GetCallerIdentity` says it.
    pub arn: String,
}

/// How a deletion of the service-linked role ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    Succeeded,
    /// The role was already gone (`NoSuchEntity`): the state wanted.
    AlreadyGone,
    /// AWS refused: the role is still used. `usage` lists `region: resources` from `RoleUsageList`.
    Failed {
        reason: String,
        usage: Vec<String>,
    },
    /// Still `NOT_STARTED`/`IN_PROGRESS` when polling had to stop.
    StillRunning {
        task_id: String,
    },
    /// The deletion started, but its status could not be read.
    StatusUnreadable {
        task_id: String,
        error: AwsError,
    },
}

/// A service whose trusted access is enabled (`ListAWSServiceAccessForOrganization`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnabledService {
    pub principal: String,
    /// When it was enabled, as RFC 3339, when Organizations says.
    pub enabled_at: Option<String>,
}

#[cfg(test)]
impl EnabledService {
    /// Each of `principals`, enabled at a time Organizations does not say.
    pub fn each(principals: &[&str]) -> Vec<EnabledService> {
        let one = |p: &&str| EnabledService {
            principal: p.to_string(),
            enabled_at: None,
        };
        principals.iter().map(one).collect()
    }
}

/// A delegated administrator account and the service principals it administers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegatedAdmin {
    pub account_id: String,
    pub name: String,
    pub principals: Vec<String>,
}

/// Organizations: the source of truth.
#[async_trait]
pub trait Directory: Send + Sync {
    /// `DescribeOrganization`.
    async fn identity(&self) -> Result<OrgIdentity, AwsError>;
    /// Whether trusted access is enabled for `principal` now.
    async fn trusted_access(&self, principal: &str) -> Result<bool, AwsError> {
        Ok(self
            .enabled_services()
            .await?
            .iter()
            .any(|s| s.principal == principal))
    }
    /// Every service whose trusted access is enabled, every page.
    async fn enabled_services(&self) -> Result<Vec<EnabledService>, AwsError>;
    /// Every delegated administrator, with its services: `ListDelegatedAdministrators` without a
    /// principal filter (AWS adds principals before any list knows them), then
    /// `ListDelegatedServicesForAccount` for each.
    async fn delegated_admins(&self) -> Result<Vec<DelegatedAdmin>, AwsError>;
    /// Every account, every page.
    async fn accounts(&self) -> Result<Vec<MemberAccount>, AwsError>;
    /// One account, or `None` when it is not in the organization.
    async fn account(&self, account_id: &str) -> Result<Option<MemberAccount>, AwsError>;
    /// The organization's resource-based delegation policy (`DescribeResourcePolicy`), or `None`
    /// when there is none (`ResourcePolicyNotFoundException`).
    async fn delegation_policy(&self) -> Result<Option<PolicyDocument>, AwsError>;
}

/// The service-linked role in each account of the organization.
#[async_trait]
pub trait RoleStore: Send + Sync {
    /// Who the function is.
    async fn caller(&self) -> Result<Caller, AwsError>;
    /// The role of one account: with the function's own credentials in its own account, through the
    /// member role elsewhere. `session` names the session in the member account's CloudTrail.
    async fn open(
        &self,
        account_id: &str,
        caller: &Caller,
        session: &str,
    ) -> Result<Box<dyn AccountRole>, AwsError>;
}

/// The service-linked role of one account.
#[async_trait]
pub trait AccountRole: Send + Sync {
    async fn exists(&self) -> Result<bool, AwsError>;
    /// Creates the role; an existing role counts as success.
    async fn create(&self) -> Result<(), AwsError>;
    /// Starts the deletion and follows it until it ends, its polling bound runs out, or `until`.
    async fn delete(&self, until: Instant) -> Result<Deletion, AwsError>;
}

/// Where hand-offs are published: a topic, in one format.
#[async_trait]
pub trait Publisher: Send + Sync {
    /// The format this topic carries.
    fn format(&self) -> Format {
        Format::Text
    }
    /// Publishes one message and returns its message id. `thread` names the conversation a chat
    /// copy belongs to: the hand-off, or the fact.
    async fn publish(&self, message: &Message, thread: &str) -> Result<String, AwsError>;
}

/// A message kept in the outbox of a trigger, with what became of each of its copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Its place among the trigger's messages.
    pub index: usize,
    pub message: Message,
    /// The SNS message id of each copy published, by format.
    pub published: std::collections::BTreeMap<Format, String>,
}

/// The accounts a sweep last found failing, with their error codes, and when that was last told.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureSet {
    /// Account id to `step: code`.
    pub accounts: std::collections::BTreeMap<String, String>,
    /// When the administrators were last told of this set, in seconds since the Unix epoch.
    pub warned_at: u64,
    /// How many times the set was written: a save succeeds only over the version it was read at,
    /// so that two sweeps at once cannot overwrite each other's memory unseen. 0: never written.
    #[serde(default)]
    pub version: u64,
}

/// How trusted access for a principal differs from `EXPECTED_SERVICES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Drift {
    /// Expected, but not enabled.
    Missing,
    /// Enabled, but not expected.
    Unexpected,
}

/// A difference told, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftTold {
    pub drift: Drift,
    /// When it was last told, in seconds since the Unix epoch.
    pub warned_at: u64,
}

/// The differences from `EXPECTED_SERVICES` the last sweep told, by principal, versioned like the
/// failure set.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftSet {
    pub principals: std::collections::BTreeMap<String, DriftTold>,
    #[serde(default)]
    pub version: u64,
}

/// The findings open in Security Hub, by check and subject, each with its `CreatedAt` (seconds
/// since the Unix epoch); versioned like the failure set.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingsSet {
    pub open: std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>>,
    #[serde(default)]
    pub version: u64,
}

/// A finding Security Hub refused (`FailedFindings`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refusal {
    pub id: String,
    pub code: String,
    pub message: String,
}

/// Security Hub CSPM, where findings are imported (`BatchImportFindings`).
#[async_trait]
pub trait SecurityHub: Send + Sync {
    /// Imports at most 100 findings in one call; returns those refused.
    async fn import(&self, findings: &[serde_json::Value]) -> Result<Vec<Refusal>, AwsError>;
}

/// Which intent a drift set compares with: each is an item of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DriftOf {
    /// `EXPECTED_SERVICES`, by principal.
    Services,
    /// `EXPECTED_DELEGATED_ADMINS`, by `principal=account`.
    DelegatedAdmins,
}

/// Now, in milliseconds since the Unix epoch: the unit of a claim's lease.
pub fn epoch_millis() -> u64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

/// Who claims which copy of a stored message, for how long.
#[derive(Debug, Clone, Copy)]
pub struct Claimant<'a> {
    /// The outbox's key, the message's place in it, and the copy.
    pub key: &'a str,
    pub index: usize,
    pub format: Format,
    /// The invocation's request id.
    pub holder: &'a str,
    pub lease: std::time::Duration,
}

/// What an attempt to claim a stored message for publishing found (docs/design.md, "State").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The caller holds the message until its lease ends, and may publish it.
    Held,
    /// The message was published already, with this SNS message id.
    Published(String),
    /// Another invocation holds a live claim on it.
    Busy {
        holder: String,
        /// When its lease ends, in milliseconds since the Unix epoch.
        until_ms: u64,
    },
}

/// What the function remembers between invocations (docs/design.md, "State").
#[async_trait]
pub trait StateStore: Send + Sync {
    /// The messages stored for a trigger, in order; empty when none were.
    async fn outbox(&self, key: &str) -> Result<Vec<StoredMessage>, AwsError>;
    /// Stores a trigger's messages, all or none, unless some are stored already: then it stores
    /// nothing and returns `false`, and the stored ones are the trigger's.
    async fn store(&self, key: &str, messages: &[StoredMessage]) -> Result<bool, AwsError>;
    /// Claims a copy of a stored message for `holder` (the invocation's request id) until `lease`
    /// from now, with one conditional write: it succeeds when the copy is not published and nobody
    /// else holds a live claim on it; a lapsed claim is taken over.
    async fn claim(&self, claimant: &Claimant<'_>) -> Result<Claim, AwsError>;
    /// Gives up the claimant's claim on a copy it could not publish, so that a retry need not wait
    /// for the lease to end.
    async fn release(&self, claimant: &Claimant<'_>) -> Result<(), AwsError>;
    /// Records that a copy was published, and ends its claim.
    async fn published(&self, claimant: &Claimant<'_>, message_id: &str) -> Result<(), AwsError>;
    /// The failure set last told to the administrators.
    async fn failures(&self) -> Result<FailureSet, AwsError>;
    /// Saves `set` as version `set.version + 1`, provided the stored set is still at `set.version`
    /// (the version it was read at); otherwise it fails with `ConditionalCheckFailedException`.
    async fn save_failures(&self, set: &FailureSet) -> Result<(), AwsError>;
    /// The differences from intent last told: of `EXPECTED_SERVICES`, or of
    /// `EXPECTED_DELEGATED_ADMINS`.
    async fn drift(&self, of: DriftOf) -> Result<DriftSet, AwsError>;
    /// Saves them over the version read, as [`StateStore::save_failures`] does.
    async fn save_drift(&self, of: DriftOf, set: &DriftSet) -> Result<(), AwsError>;
    /// The findings open in Security Hub.
    async fn findings(&self) -> Result<FindingsSet, AwsError>;
    /// Saves them over the version read, as [`StateStore::save_failures`] does.
    async fn save_findings(&self, set: &FindingsSet) -> Result<(), AwsError>;
    /// When the account last joined, as remembered at its join (`None`: never seen joining).
    async fn joined(&self, account_id: &str) -> Result<Option<u64>, AwsError>;
    /// Remembers when the account joined, for its departure to name the episode it ends.
    async fn remember_joined(&self, account_id: &str, joined: u64) -> Result<(), AwsError>;
    /// Every item of the hand-off ledger, read consistently.
    async fn handoffs(&self) -> Result<Vec<Handoff>, AwsError>;
    /// Saves `item` as version `item.version + 1`, provided the stored item is still at
    /// `item.version` (0: it does not exist yet). `false`: someone saved it in between.
    async fn save_handoff(&self, item: &Handoff) -> Result<bool, AwsError>;
}

/// The time, in seconds since the Unix epoch: the system's, or a test's.
pub trait Clock: Send + Sync {
    fn now(&self) -> u64;
}

/// The system's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        epoch_millis() / 1000
    }
}

/// The rest of a run, handed to a later invocation (docs/design.md, "Continuation").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContinuationRequest {
    /// The trigger that started the chain, as the report names it.
    pub trigger: String,
    /// The id of the event that started the chain.
    pub event_id: String,
    /// This continuation's place in the chain: the first run is attempt 1. Read from a queue
    /// message, so leniently: see [`read_attempt`].
    #[serde(deserialize_with = "read_attempt")]
    pub attempt: u32,
    pub accounts: Vec<String>,
    pub dry_run: bool,
}

/// Runs in one chain, the first included; beyond it the next sweep finishes what is left.
pub const MAX_ATTEMPTS: u32 = 5;

/// A continuation's `attempt`, from a message anyone with access to the queue could have written:
/// a whole number (or its digits as a string) is held within `1..=MAX_ATTEMPTS`, a fraction is
/// rounded down first, and anything else (`null`, text, infinity; a missing field is rejected by
/// serde) reads as the last attempt, so that a message whose place in its chain is unknown cannot
/// lengthen it.
fn read_attempt<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    use serde::Deserialize;
    let value = serde_json::Value::deserialize(deserializer)?;
    let number = match &value {
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(|n| n as f64)
            .or_else(|| n.as_u64().map(|n| n as f64))
            .or_else(|| n.as_f64()),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    Ok(match number {
        Some(n) if n.is_finite() => n.floor().clamp(1.0, f64::from(MAX_ATTEMPTS)) as u32,
        _ => MAX_ATTEMPTS,
    })
}

/// Where the rest of a run is handed on.
#[async_trait]
pub trait Continuation: Send + Sync {
    /// Hands `request` on, to start after `delay`.
    async fn hand_on(
        &self,
        request: &ContinuationRequest,
        delay: std::time::Duration,
    ) -> Result<(), AwsError>;
}

/// The adapters an invocation works through: the AWS ones (`aws`), or in-memory fakes.
#[derive(Clone)]
pub struct Ports {
    pub directory: Arc<dyn Directory>,
    pub roles: Arc<dyn RoleStore>,
    /// `None`: notifications are logged, not published.
    pub publisher: Option<Arc<dyn Publisher>>,
    /// The chat topic (`CHAT_TOPIC_ARN`): `None`, no chat copies.
    pub chat: Option<Arc<dyn Publisher>>,
    /// `None`: hand-offs are sent at least once, and sweep failures told every time.
    pub state: Option<Arc<dyn StateStore>>,
    /// `None`: what a run leaves is left to the next sweep.
    pub continuation: Option<Arc<dyn Continuation>>,
    /// When reminders are due.
    pub clock: Arc<dyn Clock>,
    /// `SECURITY_HUB_FINDINGS`: `None`, no findings.
    pub security_hub: Option<Arc<dyn SecurityHub>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_and_service_failures_are_transient_and_the_rest_permanent() {
        for code in [
            "Throttling",
            "TooManyRequestsException",
            "ServiceUnavailable",
        ] {
            assert_eq!(
                AwsError::new(code, "x").kind,
                ErrorKind::Transient,
                "{code}"
            );
        }
        for code in [
            "AccessDenied",
            "NoSuchEntity",
            "ValidationError",
            "InvalidInput",
        ] {
            assert_eq!(
                AwsError::new(code, "x").kind,
                ErrorKind::Permanent,
                "{code}"
            );
        }
    }

    #[test]
    fn account_states_read_and_print_as_aws_spells_them() {
        for s in [
            "ACTIVE",
            "SUSPENDED",
            "PENDING_CLOSURE",
            "CLOSED",
            "NEW_STATE",
        ] {
            assert_eq!(AccountState::parse(s).to_string(), s);
        }
        assert_eq!(AccountState::parse("ACTIVE"), AccountState::Active);
    }
}
