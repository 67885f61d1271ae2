//! The Marketplace service-linked role in one account (docs/design.md, "Level-triggered
//! reconciliation", steps 2 and 4).

use super::AwsError;
use crate::ports::{AccountRole, Deletion};
use crate::service::MARKETPLACE_ROLE;
use async_trait::async_trait;
use aws_sdk_iam::Client;
use aws_sdk_iam::config::{Credentials, IdentityCache};
use aws_sdk_iam::operation::create_service_linked_role::CreateServiceLinkedRoleError;
use aws_sdk_iam::types::DeletionTaskStatusType;
use std::time::{Duration, Instant};

/// The role AWS Marketplace needs in every account while trusted access is enabled.
const ROLE_NAME: &str = MARKETPLACE_ROLE.name;

/// How long to wait for an asynchronous deletion, and how often to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeletionPolling {
    pub interval: Duration,
    pub attempts: u32,
}

impl Default for DeletionPolling {
    /// About 30 s: deletions usually finish in seconds; a longer one is reported and the next sweep
    /// looks again.
    fn default() -> Self {
        DeletionPolling {
            interval: Duration::from_secs(2),
            attempts: 15,
        }
    }
}

/// The service-linked role of one account. Every account shares the one IAM client, and with it the
/// connection pool; only the credentials differ, set per call.
#[derive(Debug, Clone)]
pub struct ServiceLinkedRole {
    iam: Client,
    /// The assumed member role's credentials; `None` in the function's own account.
    credentials: Option<Credentials>,
    service_name: String,
    polling: DeletionPolling,
}

impl ServiceLinkedRole {
    /// The per-call configuration: the member role's credentials, when the role has its own.
    /// Credentials differ per account and live one run, so they are not cached.
    fn overrides(&self) -> aws_sdk_iam::config::Builder {
        let config = aws_sdk_iam::config::Builder::default();
        match &self.credentials {
            Some(c) => config
                .credentials_provider(c.clone())
                .identity_cache(IdentityCache::no_cache()),
            None => config,
        }
    }

    pub fn new(
        iam: Client,
        credentials: Option<Credentials>,
        service_name: &str,
        polling: DeletionPolling,
    ) -> Self {
        ServiceLinkedRole {
            iam,
            credentials,
            service_name: service_name.to_string(),
            polling,
        }
    }
}

#[async_trait]
impl AccountRole for ServiceLinkedRole {
    /// `iam:GetRole` on the exact name.
    async fn exists(&self) -> Result<bool, AwsError> {
        match self
            .iam
            .get_role()
            .role_name(ROLE_NAME)
            .customize()
            .config_override(self.overrides())
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_no_such_entity_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// AWS answers `InvalidInput` "… has been taken …" when the role exists already, which is the
    /// state wanted: it counts as success.
    async fn create(&self) -> Result<(), AwsError> {
        let created = self
            .iam
            .create_service_linked_role()
            .aws_service_name(&self.service_name)
            .customize()
            .config_override(self.overrides())
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(CreateServiceLinkedRoleError::InvalidInputException(x))
                        if x.message().is_some_and(|m| m.contains("has been taken"))
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(&self, until: Instant) -> Result<Deletion, AwsError> {
        let started = self
            .iam
            .delete_service_linked_role()
            .role_name(ROLE_NAME)
            .customize()
            .config_override(self.overrides())
            .send()
            .await;
        let task_id = match started {
            Ok(out) => out.deletion_task_id,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_no_such_entity_exception()) =>
            {
                return Ok(Deletion::AlreadyGone);
            }
            Err(e) => return Err(e.into()),
        };
        let polling = self.polling;
        for attempt in 0..polling.attempts {
            if attempt > 0 {
                if Instant::now() + polling.interval >= until {
                    break;
                }
                tokio::time::sleep(polling.interval).await;
            }
            let status = match self
                .iam
                .get_service_linked_role_deletion_status()
                .deletion_task_id(&task_id)
                .customize()
                .config_override(self.overrides())
                .send()
                .await
            {
                Ok(status) => status,
                Err(e) => {
                    return Ok(Deletion::StatusUnreadable {
                        task_id,
                        error: e.into(),
                    });
                }
            };
            match status.status {
                DeletionTaskStatusType::Succeeded => return Ok(Deletion::Succeeded),
                DeletionTaskStatusType::Failed => {
                    let reason = status.reason.as_ref();
                    return Ok(Deletion::Failed {
                        reason: reason
                            .and_then(|r| r.reason.clone())
                            .unwrap_or_else(|| "no reason given".into()),
                        usage: reason
                            .map(|r| r.role_usage_list())
                            .unwrap_or_default()
                            .iter()
                            .map(|u| {
                                format!(
                                    "{}: {}",
                                    u.region().unwrap_or("unknown region"),
                                    u.resources().join(", ")
                                )
                            })
                            .collect(),
                    });
                }
                _ => {}
            }
        }
        Ok(Deletion::StillRunning { task_id })
    }
}

/// `GetRole`'s answer when the role exists, for mocked clients in this crate's tests.
#[cfg(test)]
pub(crate) fn role_found() -> aws_sdk_iam::operation::get_role::GetRoleOutput {
    let role = aws_sdk_iam::types::Role::builder()
        .path(MARKETPLACE_ROLE.path)
        .role_name(ROLE_NAME)
        .role_id("AROAEXAMPLE")
        .arn(format!(
            "arn:aws:iam::123456789012:role{}{ROLE_NAME}",
            MARKETPLACE_ROLE.path
        ))
        .create_date(aws_smithy_types::DateTime::from_secs(0))
        .build()
        .expect("every required field is set");
    aws_sdk_iam::operation::get_role::GetRoleOutput::builder()
        .role(role)
        .build()
}

/// Answers the emulator cannot give (docs/design.md, "Testing"): deletions that stay `IN_PROGRESS` or fail with a
/// `RoleUsageList`, throttling, and AWS's own wording of a duplicate create. Mocked with
/// `aws-smithy-mocks`; everything else is tested against the emulator in `tests/`.
#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_iam::operation::delete_service_linked_role::DeleteServiceLinkedRoleOutput;
    use aws_sdk_iam::operation::get_role::GetRoleError;
    use aws_sdk_iam::operation::get_service_linked_role_deletion_status::GetServiceLinkedRoleDeletionStatusOutput as Status;
    use aws_sdk_iam::types::error::{InvalidInputException, NoSuchEntityException};
    use aws_sdk_iam::types::{DeletionTaskFailureReasonType, RoleUsageType};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;

    const PRINCIPAL: &str = "license-management.marketplace.amazonaws.com";
    const FAST: DeletionPolling = DeletionPolling {
        interval: Duration::from_millis(1),
        attempts: 4,
    };

    fn slr(iam: Client, polling: DeletionPolling) -> ServiceLinkedRole {
        ServiceLinkedRole::new(iam, None, PRINCIPAL, polling)
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    fn status(s: DeletionTaskStatusType) -> Status {
        Status::builder().status(s).build().unwrap()
    }

    fn deletion_started() -> DeleteServiceLinkedRoleOutput {
        DeleteServiceLinkedRoleOutput::builder()
            .deletion_task_id(
                "task/aws-service-role/x/AWSServiceRoleForMarketplaceLicenseManagement/1",
            )
            .build()
            .unwrap()
    }

    fn throttled() -> String {
        "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
         <Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>"
            .into()
    }

    #[tokio::test]
    async fn a_missing_role_is_absent_not_an_error() {
        let get = mock!(Client::get_role).then_error(|| {
            GetRoleError::NoSuchEntityException(NoSuchEntityException::builder().build())
        });
        let role = slr(mock_client!(aws_sdk_iam, [&get]), FAST);
        assert_eq!(role.exists().await, Ok(false));
    }

    #[tokio::test]
    async fn has_been_taken_counts_as_created_and_other_invalid_input_does_not() {
        let taken = mock!(Client::create_service_linked_role).then_error(|| {
            CreateServiceLinkedRoleError::InvalidInputException(
                InvalidInputException::builder()
                    .message("Service role name AWSServiceRoleForMarketplaceLicenseManagement has been taken in this account, please try a different suffix.")
                    .build(),
            )
        });
        let role = slr(mock_client!(aws_sdk_iam, [&taken]), FAST);
        assert_eq!(role.create().await, Ok(()));

        let other = mock!(Client::create_service_linked_role).then_error(|| {
            CreateServiceLinkedRoleError::InvalidInputException(
                InvalidInputException::builder()
                    .message("Invalid service name")
                    .meta(
                        ErrorMetadata::builder()
                            .code("InvalidInput")
                            .message("Invalid service name")
                            .build(),
                    )
                    .build(),
            )
        });
        let role = slr(mock_client!(aws_sdk_iam, [&other]), FAST);
        assert_eq!(role.create().await.unwrap_err().code, "InvalidInput");
    }

    #[tokio::test]
    async fn a_deletion_is_followed_through_in_progress_to_success() {
        let delete = mock!(Client::delete_service_linked_role).then_output(deletion_started);
        let poll = mock!(Client::get_service_linked_role_deletion_status)
            .sequence()
            .output(|| status(DeletionTaskStatusType::NotStarted))
            .output(|| status(DeletionTaskStatusType::InProgress))
            .output(|| status(DeletionTaskStatusType::Succeeded))
            .build();
        let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&delete, &poll]);
        assert_eq!(slr(iam, FAST).delete(far()).await, Ok(Deletion::Succeeded));
        assert_eq!(poll.num_calls(), 3);
    }

    #[tokio::test]
    async fn a_failed_deletion_reports_where_the_role_is_still_used() {
        let delete = mock!(Client::delete_service_linked_role).then_output(deletion_started);
        let poll = mock!(Client::get_service_linked_role_deletion_status).then_output(|| {
            Status::builder()
                .status(DeletionTaskStatusType::Failed)
                .reason(
                    DeletionTaskFailureReasonType::builder()
                        .reason("The role is in use by license grants")
                        .role_usage_list(
                            RoleUsageType::builder()
                                .region("us-east-1")
                                .resources("arn:aws:license-manager::123456789012:grant:g-1")
                                .build(),
                        )
                        .build(),
                )
                .build()
                .unwrap()
        });
        let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&delete, &poll]);
        let outcome = slr(iam, FAST).delete(far()).await;
        assert_eq!(
            outcome,
            Ok(Deletion::Failed {
                reason: "The role is in use by license grants".into(),
                usage: vec!["us-east-1: arn:aws:license-manager::123456789012:grant:g-1".into()],
            })
        );
    }

    #[tokio::test]
    async fn polling_a_deletion_is_bounded() {
        let delete = mock!(Client::delete_service_linked_role).then_output(deletion_started);
        let poll = mock!(Client::get_service_linked_role_deletion_status)
            .then_output(|| status(DeletionTaskStatusType::InProgress));
        let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&delete, &poll]);
        let outcome = slr(iam, FAST).delete(far()).await;
        assert!(
            matches!(outcome, Ok(Deletion::StillRunning { .. })),
            "{outcome:?}"
        );
        assert_eq!(poll.num_calls(), FAST.attempts as usize);
    }

    #[tokio::test]
    async fn polling_a_deletion_stops_at_the_deadline() {
        let delete = mock!(Client::delete_service_linked_role).then_output(deletion_started);
        let poll = mock!(Client::get_service_linked_role_deletion_status)
            .then_output(|| status(DeletionTaskStatusType::InProgress));
        let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&delete, &poll]);
        let slow = DeletionPolling {
            interval: Duration::from_secs(3600),
            attempts: 100,
        };
        let outcome = slr(iam, slow).delete(Instant::now()).await;
        assert!(
            matches!(outcome, Ok(Deletion::StillRunning { .. })),
            "{outcome:?}"
        );
        assert_eq!(poll.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_deletion_whose_status_cannot_be_read_says_so_with_its_task() {
        let delete = mock!(Client::delete_service_linked_role).then_output(deletion_started);
        let poll = mock!(Client::get_service_linked_role_deletion_status).then_http_response(|| {
            aws_smithy_runtime_api::http::Response::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(403).unwrap(),
                aws_smithy_types::body::SdkBody::from(
                    "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>\
                     <Message>not authorized</Message></Error><RequestId>r</RequestId></ErrorResponse>",
                ),
            )
        });
        let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&delete, &poll]);
        match slr(iam, FAST).delete(far()).await {
            Ok(Deletion::StatusUnreadable { task_id, error }) => {
                assert!(task_id.starts_with("task/"));
                assert_eq!(error.code, "AccessDenied");
            }
            other => panic!("{other:?}"),
        }
    }

    fn retrying(c: aws_sdk_iam::config::Builder) -> aws_sdk_iam::config::Builder {
        c.retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1)),
        )
    }

    #[tokio::test]
    async fn throttling_is_retried_by_the_sdk() {
        let get = mock!(Client::get_role)
            .sequence()
            .http_status(400, Some(throttled()))
            .times(2)
            .output(role_found)
            .build();
        let iam = mock_client!(aws_sdk_iam, RuleMode::Sequential, [&get], retrying);
        assert_eq!(slr(iam, FAST).exists().await, Ok(true));
        assert_eq!(get.num_calls(), 3);
    }

    #[tokio::test]
    async fn throttling_past_the_retries_is_an_error_with_its_code() {
        let get = mock!(Client::get_role)
            .sequence()
            .http_status(400, Some(throttled()))
            .repeatedly()
            .build();
        let iam = mock_client!(aws_sdk_iam, RuleMode::Sequential, [&get], retrying);
        let err = slr(iam, FAST).exists().await.unwrap_err();
        assert_eq!(err.code, "Throttling");
        assert_eq!(err.kind, crate::ports::ErrorKind::Transient);
        assert_eq!(get.num_calls(), 3);
    }

    #[tokio::test]
    async fn a_delete_answered_no_such_entity_counts_as_done() {
        use aws_sdk_iam::operation::delete_service_linked_role::DeleteServiceLinkedRoleError;
        let delete = mock!(Client::delete_service_linked_role).then_error(|| {
            DeleteServiceLinkedRoleError::NoSuchEntityException(
                NoSuchEntityException::builder().build(),
            )
        });
        let iam = mock_client!(aws_sdk_iam, [&delete]);
        assert_eq!(
            slr(iam, FAST).delete(far()).await,
            Ok(Deletion::AlreadyGone)
        );
    }

    #[tokio::test]
    async fn each_error_family_keeps_its_kind() {
        use crate::ports::ErrorKind::{Permanent, Transient};
        let answer = |status: u16, code: &str| {
            let body = format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>\
                 <Message>m</Message></Error><RequestId>r</RequestId></ErrorResponse>"
            );
            mock!(Client::get_role).then_http_response(move || {
                aws_smithy_runtime_api::http::Response::new(
                    aws_smithy_runtime_api::http::StatusCode::try_from(status).unwrap(),
                    aws_smithy_types::body::SdkBody::from(body.clone()),
                )
            })
        };
        for (status, code, kind) in [
            (403, "AccessDenied", Permanent),
            (400, "ValidationError", Permanent),
            (400, "Throttling", Transient),
            (503, "ServiceUnavailable", Transient),
            (500, "SomethingNew", Transient),
        ] {
            let rule = answer(status, code);
            let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&rule], |c| c
                .retry_config(aws_config::retry::RetryConfig::disabled()));
            let err = slr(iam, FAST).exists().await.unwrap_err();
            assert_eq!((err.code.as_str(), err.kind), (code, kind), "{status}");
        }
    }
}
