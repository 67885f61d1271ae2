//! The per-account decision and the choice of accounts: pure functions of plain facts
//! (docs/design.md, "Level-triggered reconciliation", step 3).
//!
//! No client, no runtime: every combination of inputs is tested below, and the safety rules are
//! checked as properties over all of them.

use crate::config::Removal;
use crate::intake::Trigger;
use crate::ports::{AccountState, MemberAccount};
use serde::{Deserialize, Serialize};

/// Where an account stands in the organization, as Organizations reports it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// The management account (the function's own account).
    Management,
    /// A member whose `State` is `ACTIVE`.
    Active,
    /// A member that is `SUSPENDED`, `PENDING_CLOSURE` or `CLOSED`: never touched.
    Inactive,
    /// Not in the organization any more, as an event said and Organizations confirms.
    Departed,
    /// Named by an operator but not in the organization, with no departure known: never touched.
    Outside,
}

/// What is known of the role in the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleState {
    Present,
    Absent,
    /// Not looked at (see [`needs_observation`]).
    Unknown,
}

/// What to do in one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Delete,
    Keep,
    Skip,
}

/// The operator's choices for roles that may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// `ON_DISABLE`: every account's role once trusted access is disabled.
    pub on_disable: Removal,
    /// `ON_DEPARTURE`: the role of an account that left.
    pub on_departure: Removal,
}

impl Policy {
    /// The choice that applies to an account: `ON_DEPARTURE` for a departed account, `ON_DISABLE`
    /// for every other.
    pub fn removal(&self, membership: Membership) -> Removal {
        match membership {
            Membership::Departed => self.on_departure,
            _ => self.on_disable,
        }
    }
}

/// The facts one account's decision is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// Whether Organizations reports trusted access enabled for the Marketplace principal.
    pub trusted_access: bool,
    pub membership: Membership,
    pub role: RoleState,
    /// The operator's choice for this account (see [`Policy::removal`]).
    pub removal: Removal,
}

/// Whether the role must be looked at before deciding. An inactive or outside account is never
/// entered, and a departed account whose role is retained needs no visit (its member role may be
/// gone already).
pub fn needs_observation(membership: Membership, removal: Removal) -> bool {
    match membership {
        Membership::Inactive | Membership::Outside => false,
        Membership::Departed => removal == Removal::Delete,
        Membership::Management | Membership::Active => true,
    }
}

/// Decides what to do in one account.
pub fn decide(f: Facts) -> Action {
    use Membership::*;
    match (f.membership, f.role) {
        (Inactive | Outside, _) => Action::Skip,
        // Never act on what was not observed.
        (_, RoleState::Unknown) => Action::Keep,
        (Management | Active, RoleState::Absent) if f.trusted_access => Action::Create,
        // The role must exist while trusted access is on and the account is in the organization.
        (Management | Active, RoleState::Present) if f.trusted_access => Action::Keep,
        (_, RoleState::Present) if f.removal == Removal::Delete => Action::Delete,
        _ => Action::Keep,
    }
}

/// Which accounts a run looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The management account and every member.
    Organization,
    /// The accounts an operator listed; those outside the organization are skipped.
    Listed(Vec<String>),
    /// One account an event named. Outside the organization it counts as departed when `departed`.
    /// A `joining` account may not have its member role yet.
    Named {
        account_id: String,
        departed: bool,
        joining: bool,
    },
}

/// One account to reconcile and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub account_id: String,
    pub membership: Membership,
    /// The account's state, when Organizations lists it.
    pub state: Option<AccountState>,
    /// Named by a join event: its member role may not be deployed yet.
    pub joining: bool,
}

/// The accounts of `scope`, each with its membership, from the accounts Organizations reported
/// (`known`: every account for [`Scope::Organization`], the named or listed ones otherwise).
pub fn targets(management_account_id: &str, known: &[MemberAccount], scope: &Scope) -> Vec<Target> {
    let classify = |id: &str| -> Option<Target> {
        if id == management_account_id {
            return Some(Target {
                account_id: id.to_string(),
                membership: Membership::Management,
                state: Some(AccountState::Active),
                joining: false,
            });
        }
        let account = known.iter().find(|a| a.id == id)?;
        Some(Target {
            account_id: id.to_string(),
            membership: if account.state == AccountState::Active {
                Membership::Active
            } else {
                Membership::Inactive
            },
            state: Some(account.state.clone()),
            joining: false,
        })
    };
    let outside = |id: &str, departed: bool| Target {
        account_id: id.to_string(),
        membership: if departed {
            Membership::Departed
        } else {
            Membership::Outside
        },
        state: None,
        joining: false,
    };
    match scope {
        Scope::Organization => std::iter::once(management_account_id)
            .chain(
                known
                    .iter()
                    .map(|a| a.id.as_str())
                    .filter(|id| *id != management_account_id),
            )
            .filter_map(classify)
            .collect(),
        Scope::Listed(ids) => ids
            .iter()
            .map(|id| classify(id).unwrap_or_else(|| outside(id, false)))
            .collect(),
        Scope::Named {
            account_id,
            departed,
            joining,
        } => {
            let target = classify(account_id).unwrap_or_else(|| outside(account_id, *departed));
            vec![Target {
                joining: *joining,
                ..target
            }]
        }
    }
}

impl Trigger {
    /// Which accounts the trigger asks to look at.
    pub fn scope(&self) -> Scope {
        match self {
            Trigger::TrustedAccess { .. } if self.observed().is_none() => Scope::Organization,
            Trigger::Sweep | Trigger::Command { accounts: None, .. } => Scope::Organization,
            Trigger::Command {
                accounts: Some(ids),
                ..
            } => Scope::Listed(ids.clone()),
            Trigger::Continuation(request) => Scope::Listed(request.accounts.clone()),
            // Services other than Marketplace are observed: no account to reconcile.
            Trigger::TrustedAccess { .. }
            | Trigger::DelegatedAdmin { .. }
            | Trigger::DelegationPolicy { .. } => Scope::Listed(Vec::new()),
            Trigger::AccountDeparted { account_id, .. } => Scope::Named {
                account_id: account_id.clone(),
                departed: true,
                joining: false,
            },
            Trigger::AccountJoined { account_id, .. } => Scope::Named {
                account_id: account_id.clone(),
                departed: false,
                joining: true,
            },
            Trigger::MemberRoleDeployed {
                account_id: Some(account_id),
                ..
            } => Scope::Named {
                account_id: account_id.clone(),
                departed: false,
                joining: false,
            },
            // A deployment that failed before its stack was named: no account to look at, only the
            // failure to tell.
            Trigger::MemberRoleDeployed {
                account_id: None, ..
            } => Scope::Listed(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMBERSHIPS: [Membership; 5] = [
        Membership::Management,
        Membership::Active,
        Membership::Inactive,
        Membership::Departed,
        Membership::Outside,
    ];
    const ROLES: [RoleState; 3] = [RoleState::Present, RoleState::Absent, RoleState::Unknown];
    const REMOVALS: [Removal; 2] = [Removal::Retain, Removal::Delete];

    fn all_facts() -> impl Iterator<Item = Facts> {
        [true, false].into_iter().flat_map(|trusted_access| {
            MEMBERSHIPS.into_iter().flat_map(move |membership| {
                ROLES.into_iter().flat_map(move |role| {
                    REMOVALS.into_iter().map(move |removal| Facts {
                        trusted_access,
                        membership,
                        role,
                        removal,
                    })
                })
            })
        })
    }

    /// The whole table, written out: 2 × 5 × 3 × 2 = 60 rows.
    #[test]
    fn every_combination_has_the_expected_action() {
        use Action::*;
        use Membership::*;
        use RoleState::*;
        let expected = |f: Facts| -> Action {
            match (f.trusted_access, f.membership, f.role, f.removal) {
                (_, Inactive | Outside, _, _) => Skip,
                (_, _, Unknown, _) => Keep,
                (true, Management | Active, Absent, _) => Create,
                (true, Management | Active, Present, _) => Keep,
                (false, Management | Active, Present, Removal::Delete) => Delete,
                (false, Management | Active, Present, Removal::Retain) => Keep,
                (false, Management | Active, Absent, _) => Keep,
                (_, Departed, Present, Removal::Delete) => Delete,
                (_, Departed, Present, Removal::Retain) => Keep,
                (_, Departed, Absent, _) => Keep,
            }
        };
        let mut rows = 0;
        for f in all_facts() {
            assert_eq!(decide(f), expected(f), "{f:?}");
            rows += 1;
        }
        assert_eq!(rows, 60);
    }

    #[test]
    fn never_deletes_while_trusted_access_is_on_for_an_organization_account() {
        for f in all_facts().filter(|f| {
            f.trusted_access && matches!(f.membership, Membership::Management | Membership::Active)
        }) {
            assert_ne!(decide(f), Action::Delete, "{f:?}");
        }
    }

    #[test]
    fn never_deletes_without_the_operator_opting_in() {
        for f in all_facts().filter(|f| f.removal == Removal::Retain) {
            assert_ne!(decide(f), Action::Delete, "{f:?}");
        }
    }

    #[test]
    fn never_changes_what_it_did_not_observe() {
        for f in all_facts().filter(|f| f.role == RoleState::Unknown) {
            assert!(matches!(decide(f), Action::Keep | Action::Skip), "{f:?}");
        }
    }

    #[test]
    fn creates_only_in_organization_accounts_with_trusted_access_on() {
        for f in all_facts().filter(|f| decide(*f) == Action::Create) {
            assert!(f.trusted_access && f.role == RoleState::Absent, "{f:?}");
            assert!(matches!(
                f.membership,
                Membership::Management | Membership::Active
            ));
        }
    }

    #[test]
    fn observation_is_skipped_only_where_the_decision_cannot_need_it() {
        for f in all_facts().filter(|f| !needs_observation(f.membership, f.removal)) {
            let unobserved = decide(Facts {
                role: RoleState::Unknown,
                ..f
            });
            assert!(matches!(unobserved, Action::Keep | Action::Skip));
            assert_eq!(decide(f), unobserved, "{f:?}");
        }
    }
}

#[cfg(test)]
mod target_tests {
    use super::*;

    fn known() -> Vec<MemberAccount> {
        let account = |id: &str, state: &str| MemberAccount {
            id: id.into(),
            name: id.into(),
            state: AccountState::parse(state),
            joined: None,
        };
        vec![
            account("111111111111", "ACTIVE"),
            account("123456789012", "ACTIVE"),
            account("222222222222", "SUSPENDED"),
            account("333333333333", "PENDING_CLOSURE"),
        ]
    }

    fn memberships(targets: &[Target]) -> Vec<(&str, Membership)> {
        targets
            .iter()
            .map(|t| (t.account_id.as_str(), t.membership))
            .collect()
    }

    const MANAGEMENT: &str = "123456789012";

    #[test]
    fn the_organization_scope_is_the_management_account_then_every_member_by_state() {
        let targets = targets(MANAGEMENT, &known(), &Scope::Organization);
        assert_eq!(
            memberships(&targets),
            [
                ("123456789012", Membership::Management),
                ("111111111111", Membership::Active),
                ("222222222222", Membership::Inactive),
                ("333333333333", Membership::Inactive),
            ]
        );
        assert_eq!(targets[3].state, Some(AccountState::PendingClosure));
    }

    #[test]
    fn a_listed_account_outside_the_organization_is_skipped_never_treated_as_departed() {
        let scope = Scope::Listed(vec!["111111111111".into(), "999999999999".into()]);
        let targets = targets(MANAGEMENT, &known(), &scope);
        assert_eq!(
            memberships(&targets),
            [
                ("111111111111", Membership::Active),
                ("999999999999", Membership::Outside)
            ]
        );
        let f = Facts {
            trusted_access: false,
            membership: targets[1].membership,
            role: RoleState::Present,
            removal: Removal::Delete,
        };
        assert_eq!(decide(f), Action::Skip);
    }

    #[test]
    fn a_named_account_is_departed_only_if_organizations_no_longer_lists_it() {
        let named = |id: &str, departed: bool| Scope::Named {
            account_id: id.into(),
            departed,
            joining: false,
        };
        assert_eq!(
            memberships(&targets(MANAGEMENT, &known(), &named("999999999999", true))),
            [("999999999999", Membership::Departed)]
        );
        assert_eq!(
            memberships(&targets(MANAGEMENT, &known(), &named("111111111111", true))),
            [("111111111111", Membership::Active)]
        );
        assert_eq!(
            memberships(&targets(
                MANAGEMENT,
                &known(),
                &named("999999999999", false)
            )),
            [("999999999999", Membership::Outside)]
        );
    }

    #[test]
    fn the_departure_setting_applies_only_to_departed_accounts() {
        let policy = Policy {
            on_disable: Removal::Retain,
            on_departure: Removal::Delete,
        };
        assert_eq!(policy.removal(Membership::Departed), Removal::Delete);
        for m in [
            Membership::Management,
            Membership::Active,
            Membership::Inactive,
            Membership::Outside,
        ] {
            assert_eq!(policy.removal(m), Removal::Retain, "{m:?}");
        }
    }
}
