//! Adapters: the only code that calls AWS. Each owns its SDK client and implements a port of
//! [`crate::ports`], returning domain types.

pub mod accounts;
pub mod ledger;
pub mod organization;
mod outbox;
pub mod queue;
pub mod role;
pub mod security_hub;
pub mod state;
pub mod topic;

use crate::config::Config;
use crate::notify::PUBLISH_TIMEOUT;
pub use crate::ports::AwsError;
use crate::ports::{Continuation, Ports, Publisher, StateStore};
use accounts::AccountAccess;
use aws_config::SdkConfig;
use organization::Organization;
use queue::ContinuationQueue;
use state::StateTable;
use std::sync::Arc;
use topic::Topic;

/// The SDK's configuration loader with the settings every client here uses: the standard retry mode,
/// which retries throttling with backoff (never hand-written loops), and a bound on every call,
/// retries included, so that one slow account cannot eat the deadline.
pub fn sdk_loader() -> aws_config::ConfigLoader {
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;
    use std::time::Duration;
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client())
        .retry_config(RetryConfig::standard().with_max_attempts(5))
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_secs(10))
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
}
/// Where Organizations' events and the function are: the region used when neither the caller, the
/// environment nor a profile names one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Loads the configuration, with [`DEFAULT_REGION`] when the chain finds no region. (The chain's own
/// providers share the loader's HTTP client; a separate region chain would have none.)
pub async fn load(loader: aws_config::ConfigLoader) -> aws_config::SdkConfig {
    let sdk = loader.load().await;
    if sdk.region().is_none() {
        sdk.into_builder()
            .region(aws_config::Region::new(DEFAULT_REGION))
            .build()
    } else {
        sdk
    }
}

/// The HTTP client every SDK client here shares: rustls on ring, with hyper's connection pool, so
/// that the clients made from one configuration reuse their connections (docs/design.md,
/// "Level-triggered reconciliation", step 2).
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

use crate::ports::ErrorKind;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

impl<E, R> From<SdkError<E, R>> for AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + HttpStatus,
{
    /// Keeps the error's kind: a call that timed out, could not be sent, got an unreadable answer or
    /// a 5xx is transient even when the service named no code; otherwise the code decides.
    fn from(err: SdkError<E, R>) -> Self {
        let (fallback, transient) = match &err {
            SdkError::ConstructionFailure(_) => ("ConstructionFailure", false),
            SdkError::TimeoutError(_) => ("TimeoutError", true),
            SdkError::DispatchFailure(_) => ("DispatchFailure", true),
            SdkError::ResponseError(_) => ("ResponseError", true),
            SdkError::ServiceError(e) => ("ServiceError", e.raw().status() >= 500),
            _ => ("Unknown", false),
        };
        let message = err
            .message()
            .map(str::to_string)
            .unwrap_or_else(|| aws_sdk_iam::error::DisplayErrorContext(&err).to_string());
        let error = AwsError::new(err.code().unwrap_or(fallback), message);
        if transient {
            error.of_kind(ErrorKind::Transient)
        } else {
            error
        }
    }
}

/// The HTTP status of a raw answer.
pub trait HttpStatus {
    fn status(&self) -> u16;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

/// Whether a DynamoDB write was refused by its condition.
pub(crate) fn refused<E, R>(e: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    e.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

/// The error families the SDK can answer with, once its retries are spent: each keeps its kind.
/// (Service answers, throttling among them, are tested with mocked clients in `role`.)
impl Ports {
    /// The AWS adapters, from one SDK configuration, with `roles` for the accounts' roles.
    pub fn aws(sdk: &SdkConfig, config: &Config, roles: AccountAccess) -> Ports {
        let sns = aws_sdk_sns::Client::from_conf(
            aws_sdk_sns::config::Builder::from(sdk)
                .timeout_config(
                    aws_config::timeout::TimeoutConfig::builder()
                        .operation_timeout(PUBLISH_TIMEOUT)
                        .build(),
                )
                .build(),
        );
        let publisher = config
            .topic_arn
            .as_deref()
            .map(|arn| Arc::new(Topic::new(sns.clone(), arn)) as Arc<dyn Publisher>);
        let chat = config
            .chat_topic_arn
            .as_deref()
            .map(|arn| Arc::new(Topic::chat(sns.clone(), arn)) as Arc<dyn Publisher>);
        let state = config.state_table.as_deref().map(|name| {
            Arc::new(StateTable::new(aws_sdk_dynamodb::Client::new(sdk), name))
                as Arc<dyn StateStore>
        });
        let continuation = config.continuation_queue_url.as_deref().map(|url| {
            Arc::new(ContinuationQueue::new(aws_sdk_sqs::Client::new(sdk), url))
                as Arc<dyn Continuation>
        });
        Ports {
            directory: Arc::new(Organization::new(aws_sdk_organizations::Client::new(sdk))),
            roles: Arc::new(roles),
            publisher,
            chat,
            state,
            continuation,
            clock: Arc::new(crate::ports::SystemClock),
            security_hub: config.security_hub_findings.then(|| {
                Arc::new(security_hub::Hub::new(sdk)) as Arc<dyn crate::ports::SecurityHub>
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_iam::operation::get_role::GetRoleError;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::Response;

    type Failure = SdkError<GetRoleError, Response>;

    #[test]
    fn a_call_that_timed_out_or_could_not_be_sent_is_transient() {
        let timeout: AwsError = Failure::timeout_error("the operation timed out").into();
        assert_eq!(
            (timeout.code.as_str(), timeout.kind),
            ("TimeoutError", ErrorKind::Transient)
        );
        let io = ConnectorError::io("connection reset".into());
        let dispatch: AwsError = Failure::dispatch_failure(io).into();
        assert_eq!(
            (dispatch.code.as_str(), dispatch.kind),
            ("DispatchFailure", ErrorKind::Transient)
        );
    }

    #[test]
    fn a_request_that_could_not_be_built_is_permanent() {
        let construction: AwsError = Failure::construction_failure("missing role name").into();
        assert_eq!(
            (construction.code.as_str(), construction.kind),
            ("ConstructionFailure", ErrorKind::Permanent)
        );
    }
}
