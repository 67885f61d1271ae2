//! The findings' import (docs/design.md, "Findings"): at most 100 a call, a few calls at once,
//! none started past the invocation's deadline; then the memory of open findings saved for those
//! Security Hub accepted. A failure is reported, never raised: it costs no hand-off.

use super::{Findings, Planned};
use crate::ports::{Refusal, SecurityHub, StateStore};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use tokio::time::Instant;

/// Findings in one `BatchImportFindings` call: AWS accepts at most 100.
pub const BATCH: usize = 100;
/// Calls in flight at once, well within the call's documented rate (10 a second, bursts of 30).
pub const IMPORT_CONCURRENCY: usize = 4;
/// One attempt of one `BatchImportFindings` call, as the SDK clients bound theirs
/// (`aws::sdk_loader`); the invocation keeps one such round for the imports.
pub const IMPORT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Refusals the report names one by one; the rest are counted.
const REFUSALS_NAMED: usize = 20;

/// What became of a plan's findings, for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Sent {
    /// Findings Security Hub accepted.
    pub imported: usize,
    /// Findings it refused, each (the first few) with its code.
    pub refused: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<Refusal>,
    /// Findings not sent: a call failed, or the invocation's time was up. The next run sends
    /// them again.
    pub unsent: usize,
    /// `BatchImportFindings` calls made.
    pub calls: usize,
    /// Why findings were not sent or not remembered, when they were not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Imports `findings` through `hub` and remembers the open ones in `state`.
pub async fn send(
    findings: &Findings,
    hub: &dyn SecurityHub,
    state: &dyn StateStore,
    deadline: Option<Instant>,
) -> Sent {
    let mut sent = Sent::default();
    if findings.planned.is_empty() {
        return sent;
    }
    let batches: Vec<&[Planned]> = findings.planned.chunks(BATCH).collect();
    let answers: Vec<_> = futures::stream::iter(batches)
        .map(|batch| async move {
            if deadline.is_some_and(|d| Instant::now() + std::time::Duration::from_secs(1) > d) {
                return (batch, None);
            }
            let documents: Vec<_> = batch.iter().map(|p| p.document.clone()).collect();
            let call = hub.import(&documents);
            let answer = match deadline {
                Some(d) => tokio::time::timeout_at(d, call).await.ok(),
                None => Some(call.await),
            };
            (batch, answer)
        })
        .buffered(IMPORT_CONCURRENCY)
        .collect()
        .await;
    let mut accepted = BTreeSet::new();
    for (batch, answer) in answers {
        match answer {
            None => {
                sent.unsent += batch.len();
                sent.error.get_or_insert_with(|| {
                    "the invocation's time was up: the next run sends the rest".into()
                });
            }
            Some(Err(e)) => {
                sent.calls += 1;
                sent.unsent += batch.len();
                sent.error
                    .get_or_insert_with(|| why(&e.code, &e.to_string()));
            }
            Some(Ok(refusals)) => {
                sent.calls += 1;
                let refused: BTreeSet<&str> = refusals.iter().map(|r| r.id.as_str()).collect();
                for planned in batch.iter().filter(|p| !refused.contains(p.id())) {
                    accepted.insert(planned.id().to_string());
                    sent.imported += 1;
                }
                sent.refused += refusals.len();
                if let Some(r) = refusals
                    .iter()
                    .find(|r| r.code.starts_with("InvalidAccess"))
                {
                    sent.error.get_or_insert_with(|| why(&r.code, &r.message));
                }
                let room = REFUSALS_NAMED.saturating_sub(sent.refusals.len());
                sent.refusals.extend(refusals.into_iter().take(room));
            }
        }
    }
    if let Some(after) = findings.remembered(|p| accepted.contains(p.id()))
        && let Err(e) = state.save_findings(&after).await
    {
        tracing::warn!(error = %e, "the open findings could not be remembered");
        sent.error = Some(format!(
            "the open findings could not be remembered in the state table: {e}"
        ));
    }
    sent
}

/// Why Security Hub took no finding, in the operator's words.
fn why(code: &str, error: &str) -> String {
    match code {
        c if c.starts_with("InvalidAccess") => format!(
            "Security Hub CSPM refused the findings ({error}): is it enabled in this account and \
             region?"
        ),
        "AccessDeniedException" | "AccessDenied" => format!(
            "the function may not import findings ({error}): see securityhub:BatchImportFindings \
             in the template"
        ),
        _ => format!("Security Hub CSPM could not be reached: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::FakeCloud;
    use crate::findings::{Check, Conditions, asff};
    use crate::ports::{AwsError, Drift, FindingsSet, OrgIdentity};
    use async_trait::async_trait;
    use std::sync::Mutex;

    /// A Security Hub that refuses the findings whose `Id` ends with one of `refuse`, each with
    /// `code`, or fails every call with `error`, and counts the findings of each call.
    #[derive(Default)]
    struct Hub {
        refuse: Vec<String>,
        code: String,
        error: Option<AwsError>,
        calls: Mutex<Vec<usize>>,
    }

    #[async_trait]
    impl SecurityHub for Hub {
        async fn import(&self, findings: &[serde_json::Value]) -> Result<Vec<Refusal>, AwsError> {
            self.calls.lock().unwrap().push(findings.len());
            if let Some(e) = &self.error {
                return Err(e.clone());
            }
            let id = |f: &serde_json::Value| f["Id"].as_str().unwrap_or_default().to_string();
            let refused = findings
                .iter()
                .map(id)
                .filter(|i| self.refuse.iter().any(|r| i.ends_with(r.as_str())));
            Ok(refused
                .map(|id| Refusal {
                    id,
                    code: self.code.clone(),
                    message: "refused".into(),
                })
                .collect())
        }
    }

    /// `n` services differing from intent, as a sweep finds them.
    fn findings(n: usize) -> Findings {
        let org = OrgIdentity {
            organization_id: "o-exampleorgid".into(),
            management_account_id: "111111111111".into(),
        };
        let mut found = Conditions::default();
        let differing = (0..n).map(|i| (format!("s{i:03}.amazonaws.com"), Drift::Missing));
        found.services(&differing.collect());
        let context = asff::Context {
            organization: &org,
            region: "us-east-1",
            partition: "aws",
            now: 1_800_000_000,
        };
        crate::findings::plan(&found, &FindingsSet::default(), true, &context)
    }

    #[tokio::test]
    async fn findings_go_a_hundred_at_most_a_call_and_only_those_accepted_are_remembered() {
        let cloud = FakeCloud::organization(0);
        let hub = Hub {
            refuse: vec!["s007.amazonaws.com".into()],
            code: "InvalidInput".into(),
            ..Hub::default()
        };
        let sent = send(&findings(250), &hub, &cloud, None).await;
        assert_eq!(*hub.calls.lock().unwrap(), [100, 100, 50]);
        assert_eq!((sent.imported, sent.refused, sent.calls), (249, 1, 3));
        assert_eq!(sent.refusals[0].code, "InvalidInput");
        assert_eq!(sent.error, None);
        let open = cloud.world().findings_set.clone();
        let check = &open.open[Check::TrustedAccessIntent.id()];
        assert_eq!(check.len(), 249);
        assert!(!check.contains_key("s007.amazonaws.com"));
    }

    #[tokio::test]
    async fn security_hub_not_enabled_is_said_either_way_aws_answers_it() {
        let cloud = FakeCloud::organization(0);
        // Every finding refused with InvalidAccess (the User Guide's answer).
        let refusing = Hub {
            refuse: vec![String::new()],
            code: "InvalidAccess".into(),
            ..Hub::default()
        };
        let sent = send(&findings(2), &refusing, &cloud, None).await;
        assert_eq!((sent.imported, sent.refused), (0, 2));
        assert!(
            sent.error.as_deref().unwrap().contains("is it enabled"),
            "{sent:?}"
        );
        // The call refused with InvalidAccessException (the API Reference's).
        let failing = Hub {
            error: Some(AwsError::new("InvalidAccessException", "not subscribed")),
            ..Hub::default()
        };
        let sent = send(&findings(2), &failing, &cloud, None).await;
        assert_eq!((sent.imported, sent.unsent), (0, 2));
        assert!(
            sent.error.as_deref().unwrap().contains("is it enabled"),
            "{sent:?}"
        );
        assert!(
            cloud.world().findings_set.open.is_empty(),
            "nothing remembered"
        );
    }

    #[tokio::test]
    async fn no_call_starts_once_the_time_is_up() {
        let cloud = FakeCloud::organization(0);
        let hub = Hub::default();
        let sent = send(&findings(3), &hub, &cloud, Some(Instant::now())).await;
        assert!(hub.calls.lock().unwrap().is_empty());
        assert_eq!((sent.unsent, sent.calls), (3, 0));
        assert!(sent.error.as_deref().unwrap().contains("time was up"));
    }
}
