//! `mta status`: where the Marketplace role stands in every account, from a dry run of the
//! reconciler under the function's default policy, as a table for a person or JSON for a machine.
//!
//! An account is *in place* when the function would leave it as it is: nothing to create, nothing to
//! delete, no failure. Inactive accounts (SUSPENDED, PENDING_CLOSURE, CLOSED) are never entered, by
//! the function or here, and count as in place.

use super::session::Truth;
use super::table::Table;
use marketplace_trusted_access::decision::{Action, Membership, RoleState, Target};
use marketplace_trusted_access::outcome::{
    AccountResult, ActionResult, Outcome, Step, TrustedAccess,
};
use marketplace_trusted_access::service::MARKETPLACE;
use serde::Serialize;

/// Whether the member role could be assumed in an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemberRole {
    /// The management account is read with the caller's own credentials.
    OwnCredentials,
    Assumed,
    NotAssumable,
    /// Not tried: an inactive account, or one not reached.
    NotTried,
}

/// The Marketplace role in an account, as observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RolePresence {
    Present,
    Absent,
    /// Not looked at, or could not be read.
    Unknown,
}

/// How an account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    InPlace,
    /// The role must exist and does not: `mta apply` creates it.
    Missing,
    /// The function would delete the role (never under the default policy).
    ToDelete,
    /// The account could not be checked (its failure says why).
    Failed,
    /// Inactive or outside the organization: never entered.
    NotEntered,
    /// Not reached: the run was interrupted first.
    Unchecked,
}

impl Verdict {
    pub fn in_place(self) -> bool {
        matches!(self, Verdict::InPlace | Verdict::NotEntered)
    }

    fn text(self) -> &'static str {
        match self {
            Verdict::InPlace => "in place",
            Verdict::Missing => "MISSING",
            Verdict::ToDelete => "to delete",
            Verdict::Failed => "NOT CHECKED",
            Verdict::NotEntered => "not entered",
            Verdict::Unchecked => "not reached",
        }
    }
}

/// One account's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountStatus {
    pub account_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// As Organizations spells it; absent for an account it does not list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    pub management: bool,
    pub member_role: MemberRole,
    pub role: RolePresence,
    pub verdict: Verdict,
    /// `step: code: message` of the AWS answer that failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The whole answer of `mta status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
    pub organization_id: String,
    pub management_account_id: String,
    pub service_principal: &'static str,
    pub trusted_access: TrustedAccess,
    pub member_role_name: String,
    /// Every account in place, none failed, none left unchecked.
    pub in_place: bool,
    pub accounts: Vec<AccountStatus>,
}

impl StatusView {
    /// The view of a dry run over `targets` (every account, in the function's order).
    pub fn new(
        truth: &Truth,
        targets: &[Target],
        outcome: &Outcome,
        member_role_name: &str,
    ) -> StatusView {
        let accounts: Vec<AccountStatus> = targets
            .iter()
            .map(|t| {
                let base = AccountStatus {
                    account_id: t.account_id.clone(),
                    name: truth.name_of(&t.account_id).map(str::to_string),
                    state: t.state.as_ref().map(ToString::to_string),
                    management: t.membership == Membership::Management,
                    member_role: MemberRole::NotTried,
                    role: RolePresence::Unknown,
                    verdict: Verdict::Unchecked,
                    error: None,
                };
                match outcome.account(&t.account_id) {
                    Some(result) => row(base, result),
                    None => base,
                }
            })
            .collect();
        StatusView {
            organization_id: truth.organization.organization_id.clone(),
            management_account_id: truth.organization.management_account_id.clone(),
            service_principal: MARKETPLACE.principal,
            trusted_access: truth.trusted_access.into(),
            member_role_name: member_role_name.to_string(),
            in_place: accounts.iter().all(|a| a.verdict.in_place()),
            accounts,
        }
    }

    /// One row per account, for a spreadsheet: its state, how its member role answered, whether
    /// Marketplace's role is there, and the last result.
    pub fn csv(&self) -> String {
        let mut table = Table::new([
            "account_id",
            "name",
            "state",
            "member_role",
            "marketplace_role",
            "status",
        ]);
        for a in &self.accounts {
            table.row(vec![
                a.account_id.clone(),
                a.name.clone().unwrap_or_default(),
                a.state.clone().unwrap_or_default(),
                match a.member_role {
                    MemberRole::OwnCredentials => "own-credentials",
                    MemberRole::Assumed => "assumed",
                    MemberRole::NotAssumable => "not-assumable",
                    MemberRole::NotTried => "",
                }
                .into(),
                match a.role {
                    RolePresence::Present => "present",
                    RolePresence::Absent => "absent",
                    RolePresence::Unknown => "",
                }
                .into(),
                a.verdict.text().into(),
            ]);
        }
        table.to_csv()
    }

    /// The table and a summary, for a person.
    pub fn render(&self) -> String {
        let mut out = format!(
            "Organization {} (management account {})\n\
             Trusted access for {}: {}\n\
             Member role: {}\n\n",
            self.organization_id,
            self.management_account_id,
            self.service_principal,
            self.trusted_access,
            self.member_role_name,
        );
        let mut table = Table::new([
            "ACCOUNT",
            "NAME",
            "STATE",
            "MEMBER ROLE",
            "MARKETPLACE ROLE",
            "STATUS",
        ]);
        for a in &self.accounts {
            table.row(vec![
                a.account_id.clone(),
                a.name.clone().unwrap_or_else(|| "-".into()),
                a.state.clone().unwrap_or_else(|| "-".into()),
                match a.member_role {
                    MemberRole::OwnCredentials => "own credentials",
                    MemberRole::Assumed => "assumed",
                    MemberRole::NotAssumable => "NOT ASSUMABLE",
                    MemberRole::NotTried => "-",
                }
                .into(),
                match a.role {
                    RolePresence::Present => "present",
                    RolePresence::Absent => "absent",
                    RolePresence::Unknown => "-",
                }
                .into(),
                a.verdict.text().into(),
            ]);
        }
        out.push_str(&table.render());
        let errors: Vec<&AccountStatus> =
            self.accounts.iter().filter(|a| a.error.is_some()).collect();
        if !errors.is_empty() {
            out.push('\n');
            for a in &errors {
                out.push_str(&format!(
                    "{}: {}\n",
                    a.account_id,
                    a.error.as_deref().unwrap_or_default()
                ));
            }
        }
        out.push('\n');
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// One line: how many accounts stand which way, and what to do next.
    pub fn summary(&self) -> String {
        let count = |v: Verdict| self.accounts.iter().filter(|a| a.verdict == v).count();
        let mut parts = vec![format!("{} in place", count(Verdict::InPlace))];
        for (verdict, words) in [
            (Verdict::Missing, "missing the role"),
            (Verdict::ToDelete, "to delete"),
            (Verdict::Failed, "not checked (failed)"),
            (Verdict::NotEntered, "not entered (inactive)"),
            (Verdict::Unchecked, "not reached"),
        ] {
            let n = count(verdict);
            if n > 0 {
                parts.push(format!("{n} {words}"));
            }
        }
        let next = if self.in_place {
            "Everything is in place.".to_string()
        } else if count(Verdict::Missing) + count(Verdict::ToDelete) > 0 {
            "Out of place: `mta plan` shows the fix, `mta apply` makes it.".to_string()
        } else {
            "Out of place: some accounts could not be checked.".to_string()
        };
        let removable = self
            .accounts
            .iter()
            .filter(|a| a.role == RolePresence::Present && a.verdict == Verdict::InPlace)
            .count();
        let note = if self.trusted_access == TrustedAccess::Disabled && removable > 0 {
            format!(
                "\nTrusted access is disabled: the role is retained in {removable} account(s) and \
                 may be deleted (`mta plan --on-disable delete`)."
            )
        } else {
            String::new()
        };
        format!(
            "{} accounts: {}. {next}{note}",
            self.accounts.len(),
            parts.join(", ")
        )
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

fn row(base: AccountStatus, result: &AccountResult) -> AccountStatus {
    let entered = !matches!(
        result.membership,
        Membership::Inactive | Membership::Outside
    );
    let failure = result.failure.as_ref();
    let member_role = match (result.membership, failure.map(|f| f.step)) {
        (Membership::Management, _) => MemberRole::OwnCredentials,
        (_, Some(Step::AssumeRole)) => MemberRole::NotAssumable,
        _ if result.role != RoleState::Unknown || failure.is_some() => MemberRole::Assumed,
        _ => MemberRole::NotTried,
    };
    let role = match result.role {
        RoleState::Present => RolePresence::Present,
        RoleState::Absent => RolePresence::Absent,
        RoleState::Unknown => RolePresence::Unknown,
    };
    let verdict = match (result.result, result.action) {
        (ActionResult::Failed, _) => Verdict::Failed,
        _ if !entered => Verdict::NotEntered,
        (_, Action::Create) => Verdict::Missing,
        (_, Action::Delete) => Verdict::ToDelete,
        _ => Verdict::InPlace,
    };
    AccountStatus {
        member_role,
        role,
        verdict,
        error: failure.map(super::with_permission_hint),
        ..base
    }
}
