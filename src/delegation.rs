//! Delegated administrators held to intent (docs/design.md, "The guardian"): with
//! `EXPECTED_DELEGATED_ADMINS` set, each sweep compares the administrators Organizations lists
//! with it, one subject per service principal and account (`principal=account`). A difference is
//! told when it appears or changes, reminded at most once per `REMIND_AFTER`, and its end told once
//! (the generic memory, through `drift::recall`); a registration outside intent is a warning, and
//! counts as its difference's first.

use crate::config::ExpectedAdmins;
use crate::ports::{DelegatedAdmin, Drift, DriftSet, DriftTold};
use crate::principal::normalize;
use std::collections::BTreeMap;

/// The subject of one administrator of one service.
pub fn subject(principal: &str, account_id: &str) -> String {
    format!("{}={account_id}", normalize(principal))
}

/// A subject's service principal and account.
pub fn parts(subject: &str) -> (&str, &str) {
    subject.rsplit_once('=').unwrap_or((subject, ""))
}

/// Whether `account_id` administering `principal` is what `expected` means: a principal it does
/// not list has no administrator expected.
pub fn intended(expected: &ExpectedAdmins, principal: &str, account_id: &str) -> bool {
    expected
        .get(&normalize(principal))
        .is_some_and(|accounts| accounts.contains(account_id))
}

/// How the registered administrators differ from `expected`, by subject: each one not intended is
/// `Unexpected`, each intended one not registered `Missing`.
pub fn compare(expected: &ExpectedAdmins, admins: &[DelegatedAdmin]) -> BTreeMap<String, Drift> {
    let registered = |principal: &str, account: &str| {
        admins.iter().any(|a| {
            a.account_id == account && a.principals.iter().any(|p| normalize(p) == principal)
        })
    };
    let unexpected = admins.iter().flat_map(|a| {
        a.principals
            .iter()
            .filter(|p| !intended(expected, p, &a.account_id))
            .map(|p| (subject(p, &a.account_id), Drift::Unexpected))
    });
    let missing = expected.iter().flat_map(|(principal, accounts)| {
        accounts
            .iter()
            .filter(|account| !registered(principal, account))
            .map(|account| (subject(principal, account), Drift::Missing))
    });
    unexpected.chain(missing).collect()
}

/// The memory after a registration outside intent was told as it happened, at `at`: the sweep
/// after it does not tell it again. `None` when it was told already.
pub fn told_at_registration(before: &DriftSet, subject: &str, at: u64) -> Option<DriftSet> {
    if before.principals.get(subject).map(|t| t.drift) == Some(Drift::Unexpected) {
        return None;
    }
    let mut after = before.clone();
    let told = DriftTold {
        drift: Drift::Unexpected,
        warned_at: at,
    };
    after.principals.insert(subject.to_string(), told);
    Some(after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_expected_admins;

    fn admin(account_id: &str, principals: &[&str]) -> DelegatedAdmin {
        DelegatedAdmin {
            account_id: account_id.into(),
            name: String::new(),
            principals: principals.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn an_administrator_outside_intent_is_unexpected_and_an_intended_one_absent_is_missing() {
        let expected = parse_expected_admins(
            "guardduty.amazonaws.com=111122223333,securityhub.amazonaws.com=111122223333,sso.amazonaws.com=",
        )
        .unwrap();
        let admins = [
            admin("111122223333", &["guardduty.amazonaws.com"]),
            admin(
                "444455556666",
                &["sso.amazonaws.com", "config.amazonaws.com"],
            ),
        ];
        let differing = compare(&expected, &admins);
        let expected_differences = [
            ("config.amazonaws.com=444455556666", Drift::Unexpected),
            ("securityhub.amazonaws.com=111122223333", Drift::Missing),
            ("sso.amazonaws.com=444455556666", Drift::Unexpected),
        ];
        assert_eq!(
            differing,
            expected_differences
                .iter()
                .map(|(s, d)| (s.to_string(), *d))
                .collect()
        );
        assert_eq!(
            parts("sso.amazonaws.com=444455556666"),
            ("sso.amazonaws.com", "444455556666")
        );
        // A registration outside intent is remembered as told, once.
        let told = told_at_registration(&DriftSet::default(), "sso.amazonaws.com=444455556666", 9)
            .expect("new");
        assert!(told_at_registration(&told, "sso.amazonaws.com=444455556666", 10).is_none());
    }
}
