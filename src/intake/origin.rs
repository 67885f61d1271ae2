//! Who made a change, and when, from the CloudTrail record; and the one rule for whether the
//! service itself made it (docs/design.md, "Who made a change").

use crate::catalog;
use crate::principal::same;

/// Who made a change and when, from the CloudTrail record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Origin {
    /// A readable name for the caller: an ARN, `root of <account>`, or the invoking service.
    pub actor: String,
    /// The AWS service that made the call, when it was one (`userIdentity.invokedBy`, a service
    /// `sourceIPAddress` or `userAgent`); `None` for a person or the CLI.
    pub service: Option<String>,
    pub event_time: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Origin {
    /// Who made the change about `principal`: the service itself, another AWS service for
    /// someone, or a person: the one rule of docs/design.md, "Who made a change".
    pub fn made_by(&self, principal: &str) -> MadeBy<'_> {
        made_by(self.service.as_deref(), principal)
    }

    /// Whether the service of `principal` made the call itself.
    pub fn is_service(&self, principal: &str) -> bool {
        self.made_by(principal) == MadeBy::TheService
    }
}

/// Who made a change to a service's trusted access or delegated administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MadeBy<'a> {
    /// The service itself: the caller is one its catalog entry names as its own (its principals;
    /// the principal itself for a service the catalog does not know).
    TheService,
    /// Another AWS service, calling for whoever used it (AWS Control Tower, CloudFormation): told
    /// and followed like a person's change, naming that service.
    AnotherService(&'a str),
    /// A person, with Organizations tools (the console, the CLI, an SDK).
    Person,
}

/// Who made a change about `principal`, given the AWS service that called, if one did.
fn made_by<'a>(caller: Option<&'a str>, principal: &str) -> MadeBy<'a> {
    let Some(caller) = caller else {
        return MadeBy::Person;
    };
    let own = match catalog::find(principal) {
        Some(entry) => entry.principals.iter().any(|p| same(p, caller)),
        None => same(principal, caller),
    };
    match own {
        true => MadeBy::TheService,
        false => MadeBy::AnotherService(caller),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{MARKETPLACE, SSO};

    #[test]
    fn the_service_itself_is_one_of_its_own_principals() {
        assert_eq!(
            made_by(Some(SSO.principal), SSO.principal),
            MadeBy::TheService
        );
        assert_eq!(
            made_by(
                Some("LICENSE-MANAGEMENT.marketplace.amazonaws.com."),
                MARKETPLACE.principal
            ),
            MadeBy::TheService
        );
        // A principal the catalog does not know is its own caller, and only that.
        assert_eq!(
            made_by(Some("new.amazonaws.com"), "new.amazonaws.com"),
            MadeBy::TheService
        );
        assert_eq!(made_by(None, SSO.principal), MadeBy::Person);
    }

    #[test]
    fn any_other_service_calls_for_someone() {
        assert_eq!(
            made_by(Some("controltower.amazonaws.com"), SSO.principal),
            MadeBy::AnotherService("controltower.amazonaws.com")
        );
        // A name that merely contains "marketplace" is not AWS Marketplace.
        for caller in [
            "private-marketplace.marketplace.amazonaws.com",
            "procurement-insights.marketplace.amazonaws.com",
        ] {
            assert_eq!(
                made_by(Some(caller), MARKETPLACE.principal),
                MadeBy::AnotherService(caller)
            );
        }
    }
}
