//! Evidence in Security Hub CSPM (docs/design.md, "Findings"): each standing condition the plan
//! found is one finding with a stable `Id`, sent `FAILED` while it stands, sent again (with a new
//! `UpdatedAt`) by every sweep, and sent `PASSED` once when it ends; an account that left the
//! organization is archived. Pure: the conditions come from what the plan read and decided, the
//! memory of open findings from the state table, and [`asff`] writes the documents.

pub mod asff;
pub mod send;
#[cfg(test)]
mod tests;

use crate::handoff::Handoff;
use crate::outcome::Outcome;
use crate::ports::{Drift, FindingsSet};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The checks findings come from: each is a `GeneratorId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// A service's trusted access differs from `EXPECTED_SERVICES`.
    TrustedAccessIntent,
    /// An ACTIVE account without AWS Marketplace's role while trusted access is on.
    MarketplaceRole,
    /// A hand-off of the ledger still open.
    OpenHandoff,
    /// A delegated administrator differs from `EXPECTED_DELEGATED_ADMINS`.
    DelegatedAdminIntent,
}

impl Check {
    pub const ALL: [Check; 4] = [
        Check::TrustedAccessIntent,
        Check::MarketplaceRole,
        Check::OpenHandoff,
        Check::DelegatedAdminIntent,
    ];

    /// Its name in a finding's `Id` and `GeneratorId`, and in the state table.
    pub fn id(self) -> &'static str {
        match self {
            Check::TrustedAccessIntent => "trusted-access-intent",
            Check::MarketplaceRole => "marketplace-role",
            Check::OpenHandoff => "open-handoff",
            Check::DelegatedAdminIntent => "delegated-admin-intent",
        }
    }

    fn of(id: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.id() == id)
    }
}

/// What a standing condition is, as its finding tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// A service principal and how it differs from `EXPECTED_SERVICES`.
    Service {
        principal: String,
        drift: Drift,
    },
    /// An ACTIVE account whose role could not be confirmed: the step and the error code.
    Account {
        account_id: String,
        failure: String,
    },
    Handoff(Box<Handoff>),
    /// A service principal, an account, and how it differs from `EXPECTED_DELEGATED_ADMINS`.
    Admin {
        principal: String,
        account_id: String,
        drift: Drift,
    },
}

/// Which subjects of a check an invocation looked at: a subject it did not look at keeps its
/// finding as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Looked {
    /// Every subject of the check.
    All,
    /// These subjects only (the accounts a run reached).
    Only(BTreeSet<String>),
}

impl Looked {
    fn covers(&self, subject: &str) -> bool {
        match self {
            Looked::All => true,
            Looked::Only(subjects) => subjects.contains(subject),
        }
    }
}

/// The standing conditions an invocation found, and what it looked at.
#[derive(Debug, Default)]
pub struct Conditions {
    /// Each condition by check and subject.
    pub standing: BTreeMap<(Check, String), Fact>,
    pub looked: BTreeMap<Check, Looked>,
    /// Accounts no longer in the organization: their findings are archived.
    pub departed: BTreeSet<String>,
}

impl Conditions {
    /// The differences from `EXPECTED_SERVICES` a sweep found (all of them: every principal was
    /// looked at).
    pub fn services(&mut self, differing: &BTreeMap<String, Drift>) {
        self.looked.insert(Check::TrustedAccessIntent, Looked::All);
        for (principal, drift) in differing {
            let fact = Fact::Service {
                principal: principal.clone(),
                drift: *drift,
            };
            let key = (Check::TrustedAccessIntent, principal.clone());
            self.standing.insert(key, fact);
        }
    }

    /// The differences from `EXPECTED_DELEGATED_ADMINS`, by `principal=account`.
    pub fn admins(&mut self, differing: &BTreeMap<String, Drift>) {
        self.looked.insert(Check::DelegatedAdminIntent, Looked::All);
        for (subject, drift) in differing {
            let (principal, account_id) = crate::delegation::parts(subject);
            let fact = Fact::Admin {
                principal: principal.to_string(),
                account_id: account_id.to_string(),
                drift: *drift,
            };
            let key = (Check::DelegatedAdminIntent, subject.clone());
            self.standing.insert(key, fact);
        }
    }

    /// The hand-offs of the ledger, after the invocation's changes: each open one stands.
    pub fn handoffs(&mut self, items: &[Handoff]) {
        self.looked.insert(Check::OpenHandoff, Looked::All);
        for item in items.iter().filter(|i| i.is_open()) {
            let fact = Fact::Handoff(Box::new(item.clone()));
            self.standing
                .insert((Check::OpenHandoff, item.id.clone()), fact);
        }
    }

    /// The accounts a reconciliation of the whole organization reached (a sweep): an ACTIVE one
    /// that failed while trusted access is on stands; an account neither reached nor left for
    /// later is no longer in the organization.
    pub fn accounts(&mut self, outcome: &Outcome, continuing: bool, remembered: &FindingsSet) {
        let reached: BTreeSet<String> = outcome
            .accounts
            .iter()
            .map(|a| a.account_id.clone())
            .collect();
        if outcome.trusted_access {
            for account in outcome.failures_to_tell(continuing) {
                let Some(failure) = &account.failure else {
                    continue;
                };
                let fact = Fact::Account {
                    account_id: account.account_id.clone(),
                    failure: format!("{}: {}", failure.step, failure.error.code),
                };
                let key = (Check::MarketplaceRole, account.account_id.clone());
                self.standing.insert(key, fact);
            }
        }
        let gone = remembered
            .subjects(Check::MarketplaceRole)
            .filter(|a| !reached.contains(*a) && !outcome.unreached.iter().any(|u| u == *a));
        self.departed.extend(gone.map(str::to_string));
        let mut looked = reached;
        looked.extend(self.departed.iter().cloned());
        self.looked
            .insert(Check::MarketplaceRole, Looked::Only(looked));
    }

    /// An account that left, as its departure says.
    pub fn departed(&mut self, account_id: &str) {
        self.departed.insert(account_id.to_string());
        let looked = Looked::Only(self.departed.clone());
        self.looked.insert(Check::MarketplaceRole, looked);
    }
}

/// How a finding is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    /// The condition stands: `Compliance.Status` `FAILED`.
    Failed,
    /// It ended: `PASSED`.
    Passed,
    /// The account left the organization: `PASSED`, and `RecordState` `ARCHIVED`.
    Archived,
}

/// One finding to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub check: Check,
    pub subject: String,
    pub state: State,
    /// When its condition was first found: the finding's `CreatedAt`.
    pub created_at: u64,
    /// The ASFF document.
    pub document: serde_json::Value,
}

impl Planned {
    /// The finding's `Id`.
    pub fn id(&self) -> &str {
        self.document["Id"].as_str().unwrap_or_default()
    }
}

/// The findings of a plan, and the memory they were planned from.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    pub planned: Vec<Planned>,
    pub before: FindingsSet,
}

impl Findings {
    /// The memory after the findings Security Hub accepted (`accepted`, by `Id`): a finding sent
    /// `FAILED` is open from its `CreatedAt`, one sent `PASSED` is forgotten. One refused stays as
    /// it was, so that the next run sends it again. `None`: nothing changed.
    pub fn remembered(&self, accepted: impl Fn(&Planned) -> bool) -> Option<FindingsSet> {
        let mut after = self.before.clone();
        for planned in self.planned.iter().filter(|p| accepted(p)) {
            let check = after
                .open
                .entry(planned.check.id().to_string())
                .or_default();
            match planned.state {
                State::Failed => {
                    check.insert(planned.subject.clone(), planned.created_at);
                }
                State::Passed | State::Archived => {
                    check.remove(&planned.subject);
                }
            }
        }
        after.open.retain(|_, subjects| !subjects.is_empty());
        (after.open != self.before.open).then_some(after)
    }
}

impl FindingsSet {
    /// The subjects of `check` whose findings are open.
    pub fn subjects(&self, check: Check) -> impl Iterator<Item = &str> {
        self.open
            .get(check.id())
            .into_iter()
            .flat_map(|subjects| subjects.keys().map(String::as_str))
    }
}

/// The findings of what an invocation found, given those open before: each standing condition
/// `FAILED` (every one on a sweep, `refresh`; only the new ones otherwise), each open finding of a
/// subject looked at whose condition ended `PASSED` (or archived).
pub fn plan(
    found: &Conditions,
    before: &FindingsSet,
    refresh: bool,
    context: &asff::Context<'_>,
) -> Findings {
    let mut planned = Vec::new();
    for ((check, subject), fact) in &found.standing {
        let open = before.open.get(check.id()).and_then(|s| s.get(subject));
        if open.is_some() && !refresh {
            continue;
        }
        let created_at = open.copied().unwrap_or(context.now);
        let document = asff::failed(context, *check, subject, fact, created_at);
        planned.push(Planned {
            check: *check,
            subject: subject.clone(),
            state: State::Failed,
            created_at,
            document,
        });
    }
    for (check_id, subjects) in &before.open {
        let Some(check) = Check::of(check_id) else {
            continue;
        };
        let Some(looked) = found.looked.get(&check) else {
            continue;
        };
        for (subject, created_at) in subjects {
            let stands = found.standing.contains_key(&(check, subject.clone()));
            if stands || !looked.covers(subject) {
                continue;
            }
            let state = match check == Check::MarketplaceRole && found.departed.contains(subject) {
                true => State::Archived,
                false => State::Passed,
            };
            let document = asff::ended(context, check, subject, state, *created_at);
            planned.push(Planned {
                check,
                subject: subject.clone(),
                state,
                created_at: *created_at,
                document,
            });
        }
    }
    Findings {
        planned,
        before: before.clone(),
    }
}
