//! Organizations: the source of truth (docs/design.md, "Level-triggered reconciliation").

use super::AwsError;
use crate::ports::{
    AccountState, DelegatedAdmin, Directory, EnabledService, MemberAccount, OrgIdentity,
    PolicyDocument,
};
use async_trait::async_trait;
use aws_sdk_organizations::Client;
use aws_sdk_organizations::primitives::{DateTime, DateTimeFormat};

impl From<aws_sdk_organizations::types::Account> for MemberAccount {
    fn from(a: aws_sdk_organizations::types::Account) -> Self {
        MemberAccount {
            id: a.id.unwrap_or_default(),
            name: a.name.unwrap_or_default(),
            state: AccountState::parse(a.state.as_ref().map_or("", |s| s.as_str())),
            joined: a
                .joined_timestamp
                .and_then(|t| u64::try_from(t.secs()).ok()),
        }
    }
}

/// Reads the organization.
/// A date as RFC 3339, the way the report and the messages give every time.
fn rfc3339(date: &DateTime) -> Option<String> {
    date.fmt(DateTimeFormat::DateTime).ok()
}

#[derive(Debug, Clone)]
pub struct Organization {
    client: Client,
}

impl Organization {
    pub fn new(client: Client) -> Self {
        Organization { client }
    }
}

#[async_trait]
impl Directory for Organization {
    async fn identity(&self) -> Result<OrgIdentity, AwsError> {
        let out = self.client.describe_organization().send().await?;
        let org = out.organization.ok_or_else(|| {
            AwsError::new(
                "EmptyResponse",
                "DescribeOrganization returned no organization",
            )
        })?;
        Ok(OrgIdentity {
            organization_id: org.id.unwrap_or_default(),
            management_account_id: org.master_account_id.unwrap_or_default(),
        })
    }

    async fn enabled_services(&self) -> Result<Vec<EnabledService>, AwsError> {
        let mut services = Vec::new();
        let mut pages = self
            .client
            .list_aws_service_access_for_organization()
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            services.extend(page?.enabled_service_principals().iter().filter_map(|p| {
                Some(EnabledService {
                    principal: p.service_principal()?.to_string(),
                    enabled_at: p.date_enabled().and_then(rfc3339),
                })
            }));
        }
        Ok(services)
    }

    async fn delegated_admins(&self) -> Result<Vec<DelegatedAdmin>, AwsError> {
        let mut admins = Vec::new();
        let mut pages = self
            .client
            .list_delegated_administrators()
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for admin in page?.delegated_administrators() {
                let Some(id) = admin.id() else { continue };
                admins.push(DelegatedAdmin {
                    account_id: id.to_string(),
                    name: admin.name().unwrap_or_default().to_string(),
                    principals: Vec::new(),
                });
            }
        }
        for admin in &mut admins {
            let mut pages = self
                .client
                .list_delegated_services_for_account()
                .account_id(&admin.account_id)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                admin.principals.extend(
                    page?
                        .delegated_services()
                        .iter()
                        .filter_map(|s| s.service_principal().map(str::to_string)),
                );
            }
        }
        Ok(admins)
    }

    async fn accounts(&self) -> Result<Vec<MemberAccount>, AwsError> {
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

    async fn account(&self, account_id: &str) -> Result<Option<MemberAccount>, AwsError> {
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

    async fn delegation_policy(&self) -> Result<Option<PolicyDocument>, AwsError> {
        match self.client.describe_resource_policy().send().await {
            Ok(out) => Ok(out.resource_policy.map(|policy| {
                let summary = policy.resource_policy_summary;
                PolicyDocument {
                    id: summary.as_ref().and_then(|s| s.id.clone()),
                    arn: summary.and_then(|s| s.arn),
                    content: policy.content.unwrap_or_default(),
                }
            })),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_policy_not_found_exception()) =>
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
    use aws_sdk_organizations::types::{Account, AccountState as SdkState};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    fn account(id: &str, state: SdkState) -> Account {
        Account::builder().id(id).name(id).state(state).build()
    }

    #[tokio::test]
    async fn every_page_is_read_even_after_an_empty_one() {
        let pages = mock!(Client::list_accounts)
            .sequence()
            .output(|| {
                ListAccountsOutput::builder()
                    .accounts(account("111111111111", SdkState::Active))
                    .next_token("t1")
                    .build()
            })
            .output(|| ListAccountsOutput::builder().next_token("t2").build())
            .output(|| {
                ListAccountsOutput::builder()
                    .accounts(account("222222222222", SdkState::Suspended))
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
                .map(|a| (a.id.as_str(), a.state == AccountState::Active))
                .collect::<Vec<_>>(),
            [("111111111111", true), ("222222222222", false)]
        );
    }
}
