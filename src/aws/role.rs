//! The Marketplace service-linked role in one account (DESIGN §3, steps 2 and 4).

use super::AwsError;
use aws_sdk_iam::Client;
use aws_sdk_iam::types::DeletionTaskStatusType;
use std::time::Duration;

/// The role AWS Marketplace needs in every account while trusted access is enabled.
pub const ROLE_NAME: &str = "AWSServiceRoleForMarketplaceLicenseManagement";

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

/// How a deletion ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    Succeeded,
    /// AWS refused: the role is still used. `usage` lists `region: resources` from `RoleUsageList`.
    Failed {
        reason: String,
        usage: Vec<String>,
    },
    /// Still `NOT_STARTED`/`IN_PROGRESS` when the polling bound ran out.
    StillRunning {
        task_id: String,
    },
}

/// The service-linked role of one account, through that account's IAM client.
#[derive(Debug, Clone)]
pub struct ServiceLinkedRole {
    iam: Client,
    service_name: String,
}

impl ServiceLinkedRole {
    pub fn new(iam: Client, service_name: &str) -> Self {
        ServiceLinkedRole {
            iam,
            service_name: service_name.to_string(),
        }
    }

    /// Whether the role exists (`iam:GetRole` on the exact name).
    pub async fn exists(&self) -> Result<bool, AwsError> {
        match self.iam.get_role().role_name(ROLE_NAME).send().await {
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

    /// Creates the role. AWS answers `InvalidInput` "… has been taken …" when it exists already, which
    /// is the state wanted: it counts as success.
    pub async fn create(&self) -> Result<(), AwsError> {
        match self
            .iam
            .create_service_linked_role()
            .aws_service_name(&self.service_name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let err = AwsError::from(e);
                if err.code == "InvalidInput" && err.message.contains("has been taken") {
                    Ok(())
                } else {
                    Err(err)
                }
            }
        }
    }

    /// Starts the deletion and follows it until it ends or `polling` runs out.
    pub async fn delete(&self, polling: DeletionPolling) -> Result<Deletion, AwsError> {
        let task_id = self
            .iam
            .delete_service_linked_role()
            .role_name(ROLE_NAME)
            .send()
            .await?
            .deletion_task_id;
        for attempt in 0..polling.attempts {
            if attempt > 0 {
                tokio::time::sleep(polling.interval).await;
            }
            let status = self
                .iam
                .get_service_linked_role_deletion_status()
                .deletion_task_id(&task_id)
                .send()
                .await?;
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
