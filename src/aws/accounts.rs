//! Reaching each account's IAM: the function's own credentials in the management account, an
//! assumed member role everywhere else (DESIGN §3, step 2).

use super::AwsError;
use aws_config::SdkConfig;
use aws_sdk_iam::config::Credentials;

/// Hands out an IAM client for any account of the organization.
#[derive(Debug, Clone)]
pub struct AccountAccess {
    base: SdkConfig,
    sts: aws_sdk_sts::Client,
    own_iam: aws_sdk_iam::Client,
    member_role_name: String,
    /// Who the function is never changes in an execution environment: asked once, on first use.
    caller: tokio::sync::OnceCell<Caller>,
}

/// The caller the function runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account_id: String,
    /// `aws`, `aws-cn`, `aws-us-gov`: taken from the caller's ARN so no ARN is hard-coded.
    pub partition: String,
}

impl AccountAccess {
    pub fn new(base: &SdkConfig, member_role_name: &str) -> Self {
        AccountAccess::with_clients(
            base,
            aws_sdk_sts::Client::new(base),
            aws_sdk_iam::Client::new(base),
            member_role_name,
        )
    }

    /// With given STS and own-account IAM clients; member accounts' clients are built from `base`.
    pub fn with_clients(
        base: &SdkConfig,
        sts: aws_sdk_sts::Client,
        own_iam: aws_sdk_iam::Client,
        member_role_name: &str,
    ) -> Self {
        AccountAccess {
            base: base.clone(),
            sts,
            own_iam,
            member_role_name: member_role_name.to_string(),
            caller: tokio::sync::OnceCell::new(),
        }
    }

    /// Who the function is (`sts:GetCallerIdentity`, which needs no permission), asked once.
    pub async fn caller(&self) -> Result<Caller, AwsError> {
        self.caller
            .get_or_try_init(|| async {
                let me = self.sts.get_caller_identity().send().await?;
                let arn = me.arn.unwrap_or_default();
                Ok(Caller {
                    account_id: me.account.unwrap_or_default(),
                    partition: arn.split(':').nth(1).unwrap_or("aws").to_string(),
                })
            })
            .await
            .cloned()
    }

    /// The IAM client for `account_id`: the function's own in its own account, else one signed with
    /// credentials of the assumed member role.
    pub async fn iam_for(
        &self,
        account_id: &str,
        caller: &Caller,
    ) -> Result<aws_sdk_iam::Client, AwsError> {
        if account_id == caller.account_id {
            return Ok(self.own_iam.clone());
        }
        let role_arn = format!(
            "arn:{}:iam::{account_id}:role/{}",
            caller.partition, self.member_role_name
        );
        let creds = self
            .sts
            .assume_role()
            .role_arn(&role_arn)
            .role_session_name("marketplace-trusted-access")
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
        let config = aws_sdk_iam::config::Builder::from(&self.base)
            .credentials_provider(Credentials::new(
                creds.access_key_id,
                creds.secret_access_key,
                Some(creds.session_token),
                None,
                "member-role",
            ))
            .build();
        Ok(aws_sdk_iam::Client::from_conf(config))
    }
}
