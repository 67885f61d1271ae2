//! In-memory adapters behind the same ports as AWS, for behaviour tests and benchmarks: an
//! organization with its accounts, their roles, and a topic, in one value that tests can shape and
//! inspect. Every call is recorded as `service:Action`, like the emulator's request log.
//!
//! What only AWS or the emulator can show (the SDK's retries, IAM's answers, SNS's limits) is tested
//! against the emulator and with mocked SDK clients, not here.

use crate::handoff::Handoff;
use crate::message::{Format, Message};
use crate::ports::{
    AccountRole, AccountState, AwsError, Caller, Continuation, ContinuationRequest, DelegatedAdmin,
    Deletion, Directory, DriftSet, EnabledService, FailureSet, FindingsSet, MemberAccount,
    OrgIdentity, PolicyDocument, RoleStore, StoredMessage,
};
use crate::service::MARKETPLACE;
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

mod security_hub;
mod state;
mod topic;

/// The management account of every fake organization.
pub const MANAGEMENT: &str = "123456789012";

/// One account of the fake organization.
#[derive(Debug, Clone)]
pub struct FakeAccount {
    pub state: AccountState,
    /// Listed by Organizations.
    pub in_organization: bool,
    /// When it (last) joined, as Organizations reports it.
    pub joined: u64,
    /// The Marketplace service-linked role exists.
    pub role: bool,
    /// The member role the function assumes exists (always true of the management account).
    pub member_role: bool,
    /// Answers to give instead of the normal ones, by `service:Action`.
    pub errors: HashMap<&'static str, AwsError>,
    /// How a deletion ends, instead of succeeding.
    pub deletion: Option<Deletion>,
    /// Added to every call made in this account (on top of the organization's latency).
    pub delay: Duration,
}

impl FakeAccount {
    fn member() -> FakeAccount {
        FakeAccount {
            state: AccountState::Active,
            in_organization: true,
            joined: 1_700_000_000,
            role: false,
            member_role: true,
            errors: HashMap::new(),
            deletion: None,
            delay: Duration::ZERO,
        }
    }
}

/// Everything the fake cloud holds; tests change it through [`FakeCloud::world`].
#[derive(Debug, Clone)]
pub struct World {
    pub organization_id: String,
    pub trusted_access: bool,
    /// Answers for the next `ListAWSServiceAccessForOrganization` calls, before `trusted_access`.
    pub trusted_access_script: VecDeque<bool>,
    /// Every account, the management account first, in the order Organizations lists them.
    pub accounts: BTreeMap<String, FakeAccount>,
    order: Vec<String>,
    /// Organizations cannot be read: every Organizations call answers this.
    pub organizations_down: Option<AwsError>,
    /// Publish answers, in order, before publishing succeeds again.
    pub publish_failures: VecDeque<AwsError>,
    /// Publish answers for given publish attempts (1 is the first, counted over the world's life).
    pub publish_failures_at: BTreeMap<usize, AwsError>,
    publish_attempts: usize,
    pub published: Vec<Message>,
    /// The chat topic's messages, with the thread each was published under.
    pub chat_published: Vec<(Message, String)>,
    /// Every call, in order, as `service:Action` with the account it was made in.
    pub calls: Vec<(String, &'static str)>,
    /// Latency of every call, as AWS's would be.
    pub latency: Duration,
    /// How long each publish takes besides, on either topic: a slow SNS.
    pub publish_delay: Duration,
    /// The state table: outboxes by key, and the sweep's failure set.
    pub outboxes: BTreeMap<String, Vec<StoredMessage>>,
    /// Claims on stored messages' copies, by outbox key, index and format: the holder and when its
    /// lease ends (milliseconds since the Unix epoch).
    pub claims: BTreeMap<(String, usize, Format), (String, u64)>,
    pub failure_set: FailureSet,
    pub drift_set: DriftSet,
    /// The differences from `EXPECTED_DELEGATED_ADMINS` told.
    pub admin_drift_set: DriftSet,
    /// The joins remembered in the state table, by account.
    pub joined: BTreeMap<String, u64>,
    /// The hand-off ledger, by id.
    pub handoffs: BTreeMap<String, Handoff>,
    /// How far the fake clock runs ahead of the system's.
    pub clock_ahead: Duration,
    /// The state table cannot be reached: every state call answers this.
    pub state_down: Option<AwsError>,
    /// Answers of the state table to one action (`dynamodb:GetItem`…), the others working.
    pub state_errors: HashMap<&'static str, AwsError>,
    /// What was handed on to a later invocation, with its delay.
    pub handed_on: Vec<(ContinuationRequest, Duration)>,
    /// The account the function runs in.
    pub caller_account: String,
    /// Services other than Marketplace whose trusted access is enabled.
    pub services: BTreeSet<String>,
    pub delegated_admins: Vec<DelegatedAdmin>,
    /// The organization's resource-based delegation policy, if one is in force.
    pub delegation_policy: Option<PolicyDocument>,
    /// The findings open in Security Hub, as the state table remembers them.
    pub findings_set: FindingsSet,
    /// Every `BatchImportFindings` call Security Hub accepted, in order.
    pub imported: Vec<Vec<serde_json::Value>>,
    /// Security Hub answers every import with this (not enabled, access denied).
    pub security_hub_down: Option<AwsError>,
}

/// An organization, its accounts and its topic, in memory. Clones share the same world.
#[derive(Debug, Clone)]
pub struct FakeCloud {
    world: Arc<Mutex<World>>,
}

impl FakeCloud {
    /// An organization of `members` ACTIVE members and the management account, trusted access
    /// disabled, no role anywhere. Member ids are `100000000000` + n.
    pub fn organization(members: usize) -> FakeCloud {
        let mut accounts = BTreeMap::new();
        let mut order = Vec::with_capacity(members + 1);
        for id in std::iter::once(MANAGEMENT.to_string()).chain((0..members).map(member_id)) {
            accounts.insert(id.clone(), FakeAccount::member());
            order.push(id);
        }
        FakeCloud {
            world: Arc::new(Mutex::new(World {
                organization_id: "o-exampleorgid".into(),
                trusted_access: false,
                trusted_access_script: VecDeque::new(),
                accounts,
                order,
                organizations_down: None,
                publish_failures: VecDeque::new(),
                publish_failures_at: BTreeMap::new(),
                publish_attempts: 0,
                published: Vec::new(),
                chat_published: Vec::new(),
                calls: Vec::new(),
                latency: Duration::ZERO,
                publish_delay: Duration::ZERO,
                outboxes: BTreeMap::new(),
                claims: BTreeMap::new(),
                failure_set: FailureSet::default(),
                drift_set: DriftSet::default(),
                admin_drift_set: DriftSet::default(),
                joined: BTreeMap::new(),
                handoffs: BTreeMap::new(),
                clock_ahead: Duration::ZERO,
                state_down: None,
                state_errors: HashMap::new(),
                handed_on: Vec::new(),
                caller_account: MANAGEMENT.into(),
                services: BTreeSet::new(),
                findings_set: FindingsSet::default(),
                imported: Vec::new(),
                security_hub_down: None,
                delegated_admins: Vec::new(),
                delegation_policy: None,
            })),
        }
    }

    /// The world, to change or inspect. Not to be held across an `await`.
    pub fn world(&self) -> MutexGuard<'_, World> {
        // A test that panicked while holding the lock has failed already; its state is still useful.
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The ids of the members, in order (the management account excluded).
    pub fn members(&self) -> Vec<String> {
        self.world().order[1..].to_vec()
    }

    /// One account, to change.
    pub fn with_account(&self, id: &str, change: impl FnOnce(&mut FakeAccount)) {
        let mut world = self.world();
        if !world.accounts.contains_key(id) {
            world.order.push(id.to_string());
        }
        change(
            world
                .accounts
                .entry(id.to_string())
                .or_insert_with(FakeAccount::member),
        );
    }

    pub fn set_trusted_access(&self, enabled: bool) {
        self.world().trusted_access = enabled;
    }

    pub fn role_exists(&self, id: &str) -> bool {
        self.world().accounts.get(id).is_some_and(|a| a.role)
    }

    /// The calls made so far that change something: all but reads and STS, as the emulator's
    /// request log is filtered.
    pub fn mutating_calls(&self) -> Vec<(String, &'static str)> {
        self.world()
            .calls
            .iter()
            .filter(|(_, call)| is_mutating(call))
            .cloned()
            .collect()
    }

    /// How many calls of `action` were made.
    pub fn count(&self, action: &str) -> usize {
        self.world()
            .calls
            .iter()
            .filter(|(_, c)| *c == action)
            .count()
    }

    pub fn published(&self) -> Vec<Message> {
        self.world().published.clone()
    }

    /// Records the call, waits the latency of the organization and of `account`, and returns the
    /// error to answer, if any.
    async fn call(&self, account: &str, action: &'static str) -> Result<(), AwsError> {
        let (delay, error) = {
            let mut world = self.world();
            world.calls.push((account.to_string(), action));
            let acct = world.accounts.get(account);
            let delay = world.latency + acct.map_or(Duration::ZERO, |a| a.delay);
            let error = if action.starts_with("organizations:") {
                world.organizations_down.clone()
            } else if action.starts_with("dynamodb:") {
                (world.state_down.clone()).or_else(|| world.state_errors.get(action).cloned())
            } else {
                None
            }
            .or_else(|| acct.and_then(|a| a.errors.get(action).cloned()));
            (delay, error)
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        error.map_or(Ok(()), Err)
    }
}

/// `100000000000` + n.
pub fn member_id(n: usize) -> String {
    format!("{:012}", 100_000_000_000usize + n)
}

/// Whether `service:Action` changes something (reads and STS do not).
pub fn is_mutating(call: &str) -> bool {
    let (service, action) = call.split_once(':').unwrap_or(("", call));
    service != "sts"
        && !["Get", "List", "Describe", "Receive"]
            .iter()
            .any(|p| action.starts_with(p))
}

#[async_trait]
impl Directory for FakeCloud {
    async fn identity(&self) -> Result<OrgIdentity, AwsError> {
        self.call("", "organizations:DescribeOrganization").await?;
        Ok(OrgIdentity {
            organization_id: self.world().organization_id.clone(),
            management_account_id: MANAGEMENT.into(),
        })
    }

    async fn trusted_access(&self, _principal: &str) -> Result<bool, AwsError> {
        self.call("", "organizations:ListAWSServiceAccessForOrganization")
            .await?;
        let mut world = self.world();
        let scripted = world.trusted_access_script.pop_front();
        Ok(scripted.unwrap_or(world.trusted_access))
    }

    async fn enabled_services(&self) -> Result<Vec<EnabledService>, AwsError> {
        self.call("", "organizations:ListAWSServiceAccessForOrganization")
            .await?;
        let world = self.world();
        let marketplace = world.trusted_access.then_some(MARKETPLACE.principal);
        let principals = marketplace
            .into_iter()
            .chain(world.services.iter().map(String::as_str));
        Ok(principals
            .map(|p| EnabledService {
                principal: p.to_string(),
                enabled_at: None,
            })
            .collect())
    }

    async fn delegated_admins(&self) -> Result<Vec<DelegatedAdmin>, AwsError> {
        self.call("", "organizations:ListDelegatedAdministrators")
            .await?;
        Ok(self.world().delegated_admins.clone())
    }

    async fn accounts(&self) -> Result<Vec<MemberAccount>, AwsError> {
        self.call("", "organizations:ListAccounts").await?;
        let world = self.world();
        Ok(world
            .order
            .iter()
            .filter_map(|id| listed(id, &world.accounts[id]))
            .collect())
    }

    async fn delegation_policy(&self) -> Result<Option<PolicyDocument>, AwsError> {
        self.call("", "organizations:DescribeResourcePolicy")
            .await?;
        Ok(self.world().delegation_policy.clone())
    }

    async fn account(&self, account_id: &str) -> Result<Option<MemberAccount>, AwsError> {
        self.call("", "organizations:DescribeAccount").await?;
        let world = self.world();
        Ok(world
            .accounts
            .get(account_id)
            .and_then(|a| listed(account_id, a)))
    }
}

fn listed(id: &str, a: &FakeAccount) -> Option<MemberAccount> {
    a.in_organization.then(|| MemberAccount {
        id: id.to_string(),
        name: format!("account {id}"),
        state: a.state.clone(),
        joined: Some(a.joined),
    })
}

#[async_trait]
impl RoleStore for FakeCloud {
    async fn caller(&self) -> Result<Caller, AwsError> {
        self.call("", "sts:GetCallerIdentity").await?;
        let account_id = self.world().caller_account.clone();
        Ok(Caller {
            arn: format!("arn:aws:sts::{account_id}:assumed-role/ReconcilerFunctionRole/fake"),
            account_id,
            partition: "aws".into(),
        })
    }

    async fn open(
        &self,
        account_id: &str,
        caller: &Caller,
        _session: &str,
    ) -> Result<Box<dyn AccountRole>, AwsError> {
        if account_id != caller.account_id {
            self.call(account_id, "sts:AssumeRole").await?;
            let reachable = self
                .world()
                .accounts
                .get(account_id)
                .is_some_and(|a| a.member_role);
            if !reachable {
                return Err(AwsError::new(
                    "AccessDenied",
                    format!("not authorized to perform sts:AssumeRole in {account_id}"),
                ));
            }
        }
        Ok(Box::new(FakeRole {
            cloud: self.clone(),
            account_id: account_id.to_string(),
        }))
    }
}

/// The role of one fake account.
struct FakeRole {
    cloud: FakeCloud,
    account_id: String,
}

impl FakeRole {
    fn set_role(&self, present: bool) {
        if let Some(a) = self.cloud.world().accounts.get_mut(&self.account_id) {
            a.role = present;
        }
    }
}

#[async_trait]
impl AccountRole for FakeRole {
    async fn exists(&self) -> Result<bool, AwsError> {
        self.cloud.call(&self.account_id, "iam:GetRole").await?;
        Ok(self.cloud.role_exists(&self.account_id))
    }

    async fn create(&self) -> Result<(), AwsError> {
        self.cloud
            .call(&self.account_id, "iam:CreateServiceLinkedRole")
            .await?;
        self.set_role(true);
        Ok(())
    }

    async fn delete(&self, _until: Instant) -> Result<Deletion, AwsError> {
        self.cloud
            .call(&self.account_id, "iam:DeleteServiceLinkedRole")
            .await?;
        let scripted = self
            .cloud
            .world()
            .accounts
            .get(&self.account_id)
            .and_then(|a| a.deletion.clone());
        if let Some(deletion) = scripted {
            return Ok(deletion);
        }
        if !self.cloud.role_exists(&self.account_id) {
            return Ok(Deletion::AlreadyGone);
        }
        self.set_role(false);
        Ok(Deletion::Succeeded)
    }
}

impl FakeCloud {
    /// Moves the clock on: reminders fall due without waiting.
    pub fn advance(&self, by: Duration) {
        self.world().clock_ahead += by;
    }
}

impl crate::ports::Clock for FakeCloud {
    fn now(&self) -> u64 {
        (crate::ports::epoch_millis() / 1000).saturating_add(self.world().clock_ahead.as_secs())
    }
}

#[async_trait]
impl Continuation for FakeCloud {
    async fn hand_on(
        &self,
        request: &ContinuationRequest,
        delay: Duration,
    ) -> Result<(), AwsError> {
        self.call("", "sqs:SendMessage").await?;
        self.world().handed_on.push((request.clone(), delay));
        Ok(())
    }
}

impl FakeCloud {
    /// Every port, on this cloud: organization, roles, topic, state table and continuation queue.
    pub fn ports(&self) -> crate::ports::Ports {
        let c = Arc::new(self.clone());
        crate::ports::Ports {
            directory: c.clone(),
            roles: c.clone(),
            publisher: Some(c.clone()),
            chat: None,
            state: Some(c.clone()),
            continuation: Some(c.clone()),
            clock: c,
            // Findings are opt in, as `SECURITY_HUB_FINDINGS` is: a test sets this port.
            security_hub: None,
        }
    }
}
