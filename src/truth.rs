//! Step one of every run, for the function and `mta` alike (docs/design.md, "Level-triggered
//! reconciliation"): what Organizations says is true now. An event only says where to look.

use crate::decision::{Scope, Target, targets};
use crate::error::{AwsError, InvocationError};
use crate::ports::{Caller, Directory, MemberAccount, OrgIdentity, RoleStore};
use crate::reconcile::known_accounts;
use crate::service::MARKETPLACE;

/// What Organizations says, read once before reconciling.
#[derive(Debug, Clone)]
pub struct Truth {
    pub organization: OrgIdentity,
    /// Whether trusted access is enabled for AWS Marketplace.
    pub trusted_access: bool,
    /// The accounts Organizations lists for the scopes.
    pub known: Vec<MemberAccount>,
    /// Who the function (or the operator) runs as: the management account.
    pub caller: Caller,
}

/// A read of the truth that failed: which one, and what was known by then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unread {
    /// An AWS call failed.
    Call {
        /// The IAM action of the call (`organizations:ListAccounts`).
        action: &'static str,
        /// What could not be read, as a person says it.
        what: &'static str,
        trusted_access: Option<bool>,
        source: AwsError,
    },
    /// The caller is not the organization's management account.
    NotManagement {
        trusted_access: bool,
        management: String,
        actual: String,
    },
}

impl Unread {
    /// Trusted access, if it was read before the failure.
    pub fn trusted_access(&self) -> Option<bool> {
        match self {
            Unread::Call { trusted_access, .. } => *trusted_access,
            Unread::NotManagement { trusted_access, .. } => Some(*trusted_access),
        }
    }
}

impl From<Unread> for InvocationError {
    fn from(unread: Unread) -> InvocationError {
        match unread {
            Unread::Call { what, source, .. } => InvocationError::Unreadable { what, source },
            Unread::NotManagement {
                management, actual, ..
            } => InvocationError::WrongAccount { management, actual },
        }
    }
}

/// The organization's identity (`DescribeOrganization`): read first, so that an event recorded
/// outside the management account is ignored before anything else is read.
pub async fn identity(directory: &dyn Directory) -> Result<OrgIdentity, Unread> {
    directory.identity().await.map_err(|source| Unread::Call {
        action: "organizations:DescribeOrganization",
        what: "the organization",
        trusted_access: None,
        source,
    })
}

/// The rest of the truth for `scopes`: trusted access, the accounts of the scopes (`ListAccounts`
/// for the whole organization, `DescribeAccount` for named ones) and the caller, which must be the
/// management account.
pub async fn read(
    directory: &dyn Directory,
    roles: &dyn RoleStore,
    organization: OrgIdentity,
    scopes: &[Scope],
) -> Result<Truth, Unread> {
    let organizations = |action, trusted_access| {
        move |source| Unread::Call {
            action,
            what: "the organization",
            trusted_access,
            source,
        }
    };
    let trusted_access = directory
        .trusted_access(MARKETPLACE.principal)
        .await
        .map_err(organizations(
            "organizations:ListAWSServiceAccessForOrganization",
            None,
        ))?;
    let mut known = Vec::new();
    for scope in scopes {
        let action = match scope {
            Scope::Organization => "organizations:ListAccounts",
            _ => "organizations:DescribeAccount",
        };
        known.extend(
            known_accounts(directory, scope)
                .await
                .map_err(organizations(action, Some(trusted_access)))?,
        );
    }
    let caller = roles.caller().await.map_err(|source| Unread::Call {
        action: "sts:GetCallerIdentity",
        what: "the function's own identity",
        trusted_access: Some(trusted_access),
        source,
    })?;
    if caller.account_id != organization.management_account_id {
        return Err(Unread::NotManagement {
            trusted_access,
            management: organization.management_account_id,
            actual: caller.account_id,
        });
    }
    Ok(Truth {
        organization,
        trusted_access,
        known,
        caller,
    })
}

impl Truth {
    /// The accounts to reconcile, each with its membership, in the function's order.
    pub fn targets(&self, scopes: &[Scope]) -> Vec<Target> {
        scopes
            .iter()
            .flat_map(|scope| targets(&self.organization.management_account_id, &self.known, scope))
            .collect()
    }

    /// An account's name, when Organizations listed it.
    pub fn name_of(&self, account_id: &str) -> Option<&str> {
        self.known
            .iter()
            .find(|a| a.id == account_id)
            .map(|a| a.name.as_str())
    }
}
