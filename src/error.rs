//! The errors every layer shares: an AWS answer reduced to what reports and messages show, its
//! kind (worth another try or not), and why an invocation fails.

use crate::message::{Audience, Event};
use lambda_runtime::Diagnostic;

/// Whether retrying later may succeed. The SDK has already retried what it retries when an error
/// reaches the reconciler, so this tells the report and the continuation what is worth another go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// Throttling, timeouts, connection failures and 5xx answers.
    Transient,
    /// Everything else: AccessDenied, a missing member role, validation errors.
    Permanent,
}

/// An AWS error answer, reduced to what the report and the notifications show: `code: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AwsError {
    pub code: String,
    pub message: String,
    pub kind: ErrorKind,
}

/// Codes that a later try may not meet, besides the SDK's own lists of throttling and transient
/// codes (`aws_runtime::retries::classifiers`, which its standard retry uses): the names AWS gives
/// to failures on its side, answered with a 5xx (the SDK classifies those by their status, which a
/// fake or a recorded error has not), a throttling spelling without `Exception`, and
/// Organizations' `ConcurrentModificationException` (another request changed the same thing:
/// retry later).
const ALSO_TRANSIENT: &[&str] = &[
    "TooManyRequests",
    "ConcurrentModificationException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ServiceFailureException",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
];

/// Whether a code names a failure that a later try may not meet.
fn transient(code: &str) -> bool {
    use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
    [THROTTLING_ERRORS, TRANSIENT_ERRORS, ALSO_TRANSIENT]
        .iter()
        .any(|codes| codes.contains(&code))
}

impl AwsError {
    /// An error whose kind follows from its code.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        let code = code.into();
        let kind = if transient(&code) {
            ErrorKind::Transient
        } else {
            ErrorKind::Permanent
        };
        AwsError {
            code,
            message: message.into(),
            kind,
        }
    }

    /// The same error, of the given kind.
    pub fn of_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }
}

/// Why an invocation fails. Lambda retries a failed asynchronous invocation and, at last, leaves it
/// in the dead-letter queue. The report has been logged before; the error carries only its reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvocationError {
    #[error("could not read {what}: {source}")]
    Unreadable {
        what: &'static str,
        source: AwsError,
    },
    #[error(
        "the function must run in the organization's management account {management}, not {actual}"
    )]
    WrongAccount { management: String, actual: String },
    #[error("notification {} for {} could not be published: {source}", .event.as_str(), .audience.as_str())]
    Notification {
        audience: Audience,
        event: Event,
        source: AwsError,
    },
}

impl From<InvocationError> for Diagnostic {
    fn from(err: InvocationError) -> Diagnostic {
        let error_type = match &err {
            InvocationError::Unreadable { .. } => "AwsUnreadable",
            InvocationError::WrongAccount { .. } => "NotManagementAccount",
            InvocationError::Notification { .. } => "NotificationNotPublished",
        };
        Diagnostic {
            error_type: error_type.into(),
            error_message: err.to_string(),
        }
    }
}
