//! The delegation policy in force, as `mta services` shows it: the organization's resource-based
//! delegation policy (`DescribeResourcePolicy`) read statement by statement, or none, or why it
//! could not be read. A read that fails does not stop the command: the services are still listed.

use marketplace_trusted_access::delegation_policy::{DelegationPolicy, Grant, PolicyDocument};
use marketplace_trusted_access::ports::AwsError;
use serde::Serialize;

/// `delegationPolicy` in `mta services --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum PolicyView {
    /// No policy: `ResourcePolicyNotFoundException`.
    #[serde(rename = "none")]
    None,
    #[serde(rename = "in-force", rename_all = "camelCase")]
    InForce {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        arn: Option<String>,
        /// Every account a statement names, sorted.
        accounts: Vec<String>,
        statements: Vec<Grant>,
        /// Why the content could not be read statement by statement.
        #[serde(skip_serializing_if = "Option::is_none")]
        unreadable: Option<String>,
        /// The policy text as AWS returns it.
        content: String,
    },
    /// `DescribeResourcePolicy` failed (for one, a caller without permission for it).
    #[serde(rename = "unreadable")]
    Unreadable { error: String },
}

impl PolicyView {
    pub fn new(read: Result<Option<PolicyDocument>, AwsError>) -> PolicyView {
        match read {
            Ok(None) => PolicyView::None,
            Ok(Some(document)) => {
                let policy = DelegationPolicy::read(&document);
                PolicyView::InForce {
                    accounts: policy.accounts().iter().map(|a| a.to_string()).collect(),
                    id: policy.id,
                    arn: policy.arn,
                    statements: policy.statements,
                    unreadable: policy.unreadable,
                    content: document.content,
                }
            }
            Err(e) => PolicyView::Unreadable {
                error: format!("organizations:DescribeResourcePolicy failed: {e}"),
            },
        }
    }

    /// The lines under the table.
    pub fn render(&self) -> String {
        match self {
            PolicyView::None => "Delegation policy: none in force.\n".to_string(),
            PolicyView::Unreadable { error } => {
                format!("Delegation policy: could not be read ({error}).\n")
            }
            PolicyView::InForce {
                id,
                statements,
                unreadable,
                ..
            } => {
                let mut out = format!(
                    "Delegation policy{}: in force.\n",
                    id.as_deref().map(|i| format!(" {i}")).unwrap_or_default()
                );
                if let Some(why) = unreadable {
                    out.push_str(&format!(
                        "  Its content could not be read statement by statement ({why}); --json \
                         shows it.\n"
                    ));
                }
                for grant in statements {
                    out.push_str(&format!("  - {}\n", grant.sentence()));
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_a_policy_and_a_refusal_each_read_plainly() {
        assert_eq!(
            PolicyView::new(Ok(None)).render(),
            "Delegation policy: none in force.\n"
        );
        let refused = PolicyView::new(Err(AwsError::new("AccessDeniedException", "no")));
        assert!(
            refused.render().contains("could not be read"),
            "{refused:?}"
        );
        let document = PolicyDocument {
            id: Some("rp-1234abcd".into()),
            arn: None,
            content: r#"{"Statement":{"Sid":"S","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"organizations:List*","Resource":"*"}}"#.into(),
        };
        let view = PolicyView::new(Ok(Some(document)));
        let text = view.render();
        assert!(
            text.starts_with("Delegation policy rp-1234abcd: in force."),
            "{text}"
        );
        assert!(
            text.contains("AWS account 111122223333 may call organizations:List* (a wildcard"),
            "{text}"
        );
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["state"], "in-force");
        assert_eq!(json["accounts"], serde_json::json!(["111122223333"]));
    }
}
