//! Reaching AWS from an operator's machine: the SDK's standard configuration chain (`--profile`,
//! `--region`, `AWS_PROFILE`, SSO, `AWS_ENDPOINT_URL`…), the credentials checked before the first
//! call, and the organization read as the function reads it (docs/design.md, "Level-triggered
//! reconciliation", step 1), each failure naming the AWS action that failed.

use super::CliError;
use super::args::Session;
use aws_config::{Region, SdkConfig};
use aws_sdk_iam::config::ProvideCredentials;
use marketplace_trusted_access::aws::accounts::AccountAccess;
use marketplace_trusted_access::aws::organization::Organization;
use marketplace_trusted_access::decision::Scope;
pub use marketplace_trusted_access::truth::Truth;
use marketplace_trusted_access::truth::{self, Unread};

/// The SDK configuration from the standard chain, with the function's retry and timeout settings.
pub async fn sdk_config(common: &Session) -> SdkConfig {
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
pub async fn check_credentials(sdk: &SdkConfig, common: &Session) -> Result<(), CliError> {
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

/// Reads the organization as the function does (the library's `truth`), each failure naming the
/// AWS action that failed.
pub async fn read_truth(ports: &Ports, scopes: &[Scope]) -> Result<Truth, CliError> {
    let unread = |unread: Unread| match unread {
        Unread::Call {
            action,
            what,
            source,
            ..
        } => CliError::Aws {
            action,
            // On a laptop, the caller is the operator's credentials, not the function.
            what: match action {
                "sts:GetCallerIdentity" => "who the credentials belong to",
                _ => what,
            },
            source,
        },
        Unread::NotManagement {
            management, actual, ..
        } => CliError::NotManagement { management, actual },
    };
    let organization = truth::identity(&ports.directory).await.map_err(unread)?;
    truth::read(&ports.directory, &ports.roles, organization, scopes)
        .await
        .map_err(unread)
}
