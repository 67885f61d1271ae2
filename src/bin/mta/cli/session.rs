//! Reaching AWS from an operator's machine: the SDK's standard configuration chain (`--profile`,
//! `--region`, `AWS_PROFILE`, SSO, `AWS_ENDPOINT_URL`…), the credentials checked before the first
//! call, and the organization read as the function reads it (docs/design.md, "Level-triggered
//! reconciliation", step 1), each failure naming the AWS action that failed.

use super::CliError;
use super::args::Common;
use aws_config::{Region, SdkConfig};
use aws_sdk_iam::config::ProvideCredentials;
use marketplace_trusted_access::aws::accounts::AccountAccess;
use marketplace_trusted_access::aws::organization::Organization;
use marketplace_trusted_access::decision::{Scope, Target, targets};
use marketplace_trusted_access::ports::{Caller, Directory, MemberAccount, OrgIdentity, RoleStore};
use marketplace_trusted_access::reconcile::known_accounts;
use marketplace_trusted_access::service::MARKETPLACE;

/// The SDK configuration from the standard chain, with the function's retry and timeout settings.
pub async fn sdk_config(common: &Common) -> SdkConfig {
    let mut loader = marketplace_trusted_access::aws::sdk_loader();
    if let Some(profile) = &common.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &common.region {
        loader = loader.region(Region::new(region.clone()));
    }
    marketplace_trusted_access::aws::load(loader).await
}

/// Fails with a message saying how to sign in when the chain finds no credentials, before any call.
pub async fn check_credentials(sdk: &SdkConfig, common: &Common) -> Result<(), CliError> {
    let origin = match &common.profile {
        Some(p) => format!("profile {p:?}"),
        None => "the standard chain (environment, AWS_PROFILE or the default profile, SSO, \
                 container or instance role)"
            .to_string(),
    };
    let Some(provider) = sdk.credentials_provider() else {
        return Err(CliError::NoCredentials {
            origin,
            detail: "no credentials provider is configured".into(),
        });
    };
    match provider.provide_credentials().await {
        Ok(_) => Ok(()),
        Err(e) => Err(CliError::NoCredentials {
            origin,
            detail: causes(&e),
        }),
    }
}

/// An error and its causes, each once, as one text.
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// The adapters the function uses, on the operator's configuration.
pub struct Ports {
    pub directory: Organization,
    pub roles: AccountAccess,
}

impl Ports {
    pub fn new(sdk: &SdkConfig, member_role_name: &str) -> Ports {
        Ports {
            directory: Organization::new(aws_sdk_organizations::Client::new(sdk)),
            roles: AccountAccess::new(sdk, member_role_name),
        }
    }
}

/// What Organizations says, read once before reconciling.
#[derive(Debug, Clone)]
pub struct Truth {
    pub organization: OrgIdentity,
    pub trusted_access: bool,
    /// The accounts Organizations lists for the scope.
    pub known: Vec<MemberAccount>,
    pub caller: Caller,
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

/// Reads the organization as the function does: its identity, trusted access, the accounts of the
/// scopes (`ListAccounts` for the whole organization, `DescribeAccount` for named ones) and the
/// caller, which must be the management account.
pub async fn read_truth(ports: &Ports, scopes: &[Scope]) -> Result<Truth, CliError> {
    let failed = |action: &'static str| {
        move |source| CliError::Aws {
            action,
            what: "the organization",
            source,
        }
    };
    let organization = ports
        .directory
        .identity()
        .await
        .map_err(failed("organizations:DescribeOrganization"))?;
    let trusted_access = ports
        .directory
        .trusted_access(MARKETPLACE.principal)
        .await
        .map_err(failed("organizations:ListAWSServiceAccessForOrganization"))?;
    let mut known = Vec::new();
    for scope in scopes {
        let action = match scope {
            Scope::Organization => "organizations:ListAccounts",
            _ => "organizations:DescribeAccount",
        };
        known.extend(
            known_accounts(&ports.directory, scope)
                .await
                .map_err(failed(action))?,
        );
    }
    let caller = ports.roles.caller().await.map_err(|source| CliError::Aws {
        action: "sts:GetCallerIdentity",
        what: "who the credentials belong to",
        source,
    })?;
    if caller.account_id != organization.management_account_id {
        return Err(CliError::NotManagement {
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
