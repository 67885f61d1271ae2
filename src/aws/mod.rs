//! Adapters: the only code that calls AWS. Each owns its SDK client and returns domain types.

pub mod accounts;
pub mod organization;
pub mod role;
pub mod topic;

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

/// An AWS error answer, reduced to what the report and the notifications show: `code: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AwsError {
    pub code: String,
    pub message: String,
}

impl AwsError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        AwsError {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl<E, R> From<SdkError<E, R>> for AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    fn from(err: SdkError<E, R>) -> Self {
        let fallback = match &err {
            SdkError::ConstructionFailure(_) => "ConstructionFailure",
            SdkError::TimeoutError(_) => "TimeoutError",
            SdkError::DispatchFailure(_) => "DispatchFailure",
            SdkError::ResponseError(_) => "ResponseError",
            _ => "ServiceError",
        };
        let message = err
            .message()
            .map(str::to_string)
            .unwrap_or_else(|| aws_sdk_iam::error::DisplayErrorContext(&err).to_string());
        AwsError::new(err.code().unwrap_or(fallback), message)
    }
}
