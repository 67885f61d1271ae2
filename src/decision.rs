//! The per-account decision: a pure function of plain facts (DESIGN §3, step 3).
//!
//! No client, no runtime: every combination of inputs is tested below, and the safety rules are
//! checked as properties over all of them.

use crate::config::Removal;
use serde::{Deserialize, Serialize};

/// Where an account stands in the organization, as Organizations reports it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// The management account (the function's own account).
    Management,
    /// A member whose `State` is `ACTIVE`.
    ActiveMember,
    /// A member that is `SUSPENDED`, `PENDING_CLOSURE` or `CLOSED`: never touched.
    Inactive,
    /// Not in the organization any more.
    Departed,
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

/// The facts one account's decision is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// Whether Organizations reports trusted access enabled for the Marketplace principal.
    pub trusted_access: bool,
    pub membership: Membership,
    pub role: RoleState,
    /// The operator's choice for this account: `ON_DEPARTURE` for a departed account, `ON_DISABLE`
    /// for every other.
    pub removal: Removal,
}

/// Whether the role must be looked at before deciding. An inactive account is never entered, and a
/// departed account whose role is retained needs no visit (its member role may be gone already).
pub fn needs_observation(membership: Membership, removal: Removal) -> bool {
    match membership {
        Membership::Inactive => false,
        Membership::Departed => removal == Removal::Delete,
        Membership::Management | Membership::ActiveMember => true,
    }
}

/// Decides what to do in one account.
pub fn decide(f: Facts) -> Action {
    use Membership::*;
    match (f.membership, f.role) {
        (Inactive, _) => Action::Skip,
        // Never act on what was not observed.
        (_, RoleState::Unknown) => Action::Keep,
        (Management | ActiveMember, RoleState::Absent) if f.trusted_access => Action::Create,
        // The role must exist while trusted access is on and the account is in the organization.
        (Management | ActiveMember, RoleState::Present) if f.trusted_access => Action::Keep,
        (_, RoleState::Present) if f.removal == Removal::Delete => Action::Delete,
        _ => Action::Keep,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMBERSHIPS: [Membership; 4] = [
        Membership::Management,
        Membership::ActiveMember,
        Membership::Inactive,
        Membership::Departed,
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

    /// The whole table, written out: 2 × 4 × 3 × 2 = 48 rows.
    #[test]
    fn every_combination_has_the_expected_action() {
        use Action::*;
        use Membership::*;
        use RoleState::*;
        let expected = |f: Facts| -> Action {
            match (f.trusted_access, f.membership, f.role, f.removal) {
                (_, Inactive, _, _) => Skip,
                (_, _, Unknown, _) => Keep,
                (true, Management | ActiveMember, Absent, _) => Create,
                (true, Management | ActiveMember, Present, _) => Keep,
                (false, Management | ActiveMember, Present, Removal::Delete) => Delete,
                (false, Management | ActiveMember, Present, Removal::Retain) => Keep,
                (false, Management | ActiveMember, Absent, _) => Keep,
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
        assert_eq!(rows, 48);
    }

    #[test]
    fn never_deletes_while_trusted_access_is_on_for_an_organization_account() {
        for f in all_facts().filter(|f| {
            f.trusted_access
                && matches!(
                    f.membership,
                    Membership::Management | Membership::ActiveMember
                )
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
                Membership::Management | Membership::ActiveMember
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
