//! The fake Security Hub: it keeps every import it accepts, and refuses as AWS does a call of more
//! than 100 findings or a finding without an `Id`.

use super::FakeCloud;
use crate::ports::{AwsError, Refusal, SecurityHub};
use async_trait::async_trait;
use serde_json::Value;

#[async_trait]
impl SecurityHub for FakeCloud {
    async fn import(&self, findings: &[Value]) -> Result<Vec<Refusal>, AwsError> {
        self.call("", "securityhub:BatchImportFindings").await?;
        let mut world = self.world();
        if let Some(e) = world.security_hub_down.clone() {
            return Err(e);
        }
        if findings.len() > 100 {
            return Err(AwsError::new(
                "InvalidInputException",
                "at most 100 findings a call",
            ));
        }
        let (kept, refused): (Vec<_>, Vec<_>) = findings.iter().partition(|f| f["Id"].is_string());
        world.imported.push(kept.into_iter().cloned().collect());
        Ok(refused
            .into_iter()
            .map(|_| Refusal {
                id: String::new(),
                code: "InvalidInput".into(),
                message: "Id is required".into(),
            })
            .collect())
    }
}
