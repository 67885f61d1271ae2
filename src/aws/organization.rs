//! Organizations: the source of truth (DESIGN §3, step 1).

use super::AwsError;
use aws_sdk_organizations::Client;
use aws_sdk_organizations::types::AccountState;

/// What Organizations says, read at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgTruth {
    pub organization_id: String,
    pub management_account_id: String,
    /// Whether trusted access is enabled for the principal asked about.
    pub trusted_access: bool,
    pub accounts: Vec<MemberAccount>,
}

/// An account as `ListAccounts` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberAccount {
    pub id: String,
    pub name: String,
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`, `CLOSED` (the `State` field; `Status` is retired).
    pub state: String,
}

impl MemberAccount {
    pub fn is_active(&self) -> bool {
        self.state == AccountState::Active.as_str()
    }
}

impl From<aws_sdk_organizations::types::Account> for MemberAccount {
    fn from(a: aws_sdk_organizations::types::Account) -> Self {
        MemberAccount {
            id: a.id.unwrap_or_default(),
            name: a.name.unwrap_or_default(),
            state: a.state.map(|s| s.as_str().to_string()).unwrap_or_default(),
        }
    }
}

/// Reads the organization.
#[derive(Debug, Clone)]
pub struct Organization {
    client: Client,
}

impl Organization {
    pub fn new(client: Client) -> Self {
        Organization { client }
    }

    /// The organization id and its management account id.
    pub async fn describe(&self) -> Result<(String, String), AwsError> {
        let out = self.client.describe_organization().send().await?;
        let org = out.organization.ok_or_else(|| {
            AwsError::new(
                "EmptyResponse",
                "DescribeOrganization returned no organization",
            )
        })?;
        Ok((
            org.id.unwrap_or_default(),
            org.master_account_id.unwrap_or_default(),
        ))
    }

    /// Everything a reconciliation needs, every page of every list, for the organization that
    /// [`Organization::describe`] returned.
    pub async fn read_truth(
        &self,
        (organization_id, management_account_id): (String, String),
        principal: &str,
    ) -> Result<OrgTruth, AwsError> {
        Ok(OrgTruth {
            organization_id,
            management_account_id,
            trusted_access: self.trusted_access(principal).await?,
            accounts: self.accounts().await?,
        })
    }

    /// Whether trusted access is enabled for `principal` now.
    pub async fn trusted_access(&self, principal: &str) -> Result<bool, AwsError> {
        let mut pages = self
            .client
            .list_aws_service_access_for_organization()
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            if page?
                .enabled_service_principals()
                .iter()
                .any(|p| p.service_principal() == Some(principal))
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Every account; the paginator follows `NextToken` through empty pages.
    pub async fn accounts(&self) -> Result<Vec<MemberAccount>, AwsError> {
        let mut accounts = Vec::new();
        let mut pages = self.client.list_accounts().into_paginator().send();
        while let Some(page) = pages.next().await {
            accounts.extend(
                page?
                    .accounts
                    .unwrap_or_default()
                    .into_iter()
                    .map(MemberAccount::from),
            );
        }
        Ok(accounts)
    }

    /// One account, or `None` when it is not in the organization.
    pub async fn account(&self, account_id: &str) -> Result<Option<MemberAccount>, AwsError> {
        match self
            .client
            .describe_account()
            .account_id(account_id)
            .send()
            .await
        {
            Ok(out) => Ok(out.account.map(MemberAccount::from)),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_account_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Paging through empty pages is an answer the emulator never gives; mocked with `aws-smithy-mocks`.
#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_organizations::operation::list_accounts::ListAccountsOutput;
    use aws_sdk_organizations::types::Account;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    fn account(id: &str, state: AccountState) -> Account {
        Account::builder().id(id).name(id).state(state).build()
    }

    #[tokio::test]
    async fn every_page_is_read_even_after_an_empty_one() {
        let pages = mock!(Client::list_accounts)
            .sequence()
            .output(|| {
                ListAccountsOutput::builder()
                    .accounts(account("111111111111", AccountState::Active))
                    .next_token("t1")
                    .build()
            })
            .output(|| ListAccountsOutput::builder().next_token("t2").build())
            .output(|| {
                ListAccountsOutput::builder()
                    .accounts(account("222222222222", AccountState::Suspended))
                    .build()
            })
            .build();
        let org = Organization::new(mock_client!(
            aws_sdk_organizations,
            RuleMode::Sequential,
            [&pages]
        ));
        let accounts = org.accounts().await.unwrap();
        assert_eq!(pages.num_calls(), 3);
        assert_eq!(
            accounts
                .iter()
                .map(|a| (a.id.as_str(), a.is_active()))
                .collect::<Vec<_>>(),
            [("111111111111", true), ("222222222222", false)]
        );
    }
}
