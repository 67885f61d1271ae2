//! Reaching each account's IAM: the function's own credentials in the management account, an
//! assumed member role everywhere else (docs/design.md, "Level-triggered reconciliation", step 2).

use super::AwsError;
use super::role::{DeletionPolling, ServiceLinkedRole};
use crate::ports::{AccountRole, Caller, RoleStore};
use crate::service::MARKETPLACE;
use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_iam::config::Credentials;

/// Hands out the Marketplace role of any account of the organization.
#[derive(Debug, Clone)]
pub struct AccountAccess {
    sts: aws_sdk_sts::Client,
    /// One client for every account: the credentials are set per call, the connections are shared.
    iam: aws_sdk_iam::Client,
    member_role_name: String,
    pub polling: DeletionPolling,
    /// Who the function is never changes in an execution environment: asked once, on first use.
    caller: tokio::sync::OnceCell<Caller>,
}

impl AccountAccess {
    pub fn new(base: &SdkConfig, member_role_name: &str) -> Self {
        AccountAccess::with_clients(
            aws_sdk_sts::Client::new(base),
            aws_sdk_iam::Client::new(base),
            member_role_name,
        )
    }

    /// With given STS and IAM clients.
    pub fn with_clients(
        sts: aws_sdk_sts::Client,
        iam: aws_sdk_iam::Client,
        member_role_name: &str,
    ) -> Self {
        AccountAccess {
            sts,
            iam,
            member_role_name: member_role_name.to_string(),
            polling: DeletionPolling::default(),
            caller: tokio::sync::OnceCell::new(),
        }
    }
}

#[async_trait]
impl RoleStore for AccountAccess {
    /// `sts:GetCallerIdentity`, which needs no permission, asked once.
    async fn caller(&self) -> Result<Caller, AwsError> {
        self.caller
            .get_or_try_init(|| async {
                let me = self.sts.get_caller_identity().send().await?;
                let arn = me.arn.unwrap_or_default();
                Ok(Caller {
                    account_id: me.account.unwrap_or_default(),
                    partition: arn.split(':').nth(1).unwrap_or("aws").to_string(),
                    arn,
                })
            })
            .await
            .cloned()
    }

    async fn open(
        &self,
        account_id: &str,
        caller: &Caller,
        session: &str,
    ) -> Result<Box<dyn AccountRole>, AwsError> {
        let credentials = if account_id == caller.account_id {
            None
        } else {
            let role_arn = format!(
                "arn:{}:iam::{account_id}:role/{}",
                caller.partition, self.member_role_name
            );
            let creds = self
                .sts
                .assume_role()
                .role_arn(&role_arn)
                .role_session_name(session)
                .duration_seconds(900)
                .send()
                .await?
                .credentials
                .ok_or_else(|| {
                    AwsError::new(
                        "EmptyResponse",
                        format!("AssumeRole {role_arn} returned no credentials"),
                    )
                })?;
            Some(Credentials::new(
                creds.access_key_id,
                creds.secret_access_key,
                Some(creds.session_token),
                None,
                "member-role",
            ))
        };
        Ok(Box::new(ServiceLinkedRole::new(
            self.iam.clone(),
            credentials,
            MARKETPLACE.principal,
            self.polling,
        )))
    }
}
