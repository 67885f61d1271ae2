//! The AWS services that work with AWS Organizations through trusted access, one per page of the
//! AWS Organizations User Guide: their principals, where trusted access is turned on, their
//! service-linked roles, what each administrator does after an enable or a disable, and what a
//! disable breaks.
//!
//! The facts are data, in `src/catalog/services.toml`; `build.rs` checks that file and turns every
//! entry into a constant below (`MARKETPLACE`, `SSO`, …) and the whole list into [`SERVICES`].
//! `docs/catalog.md` renders it. No principal or role name is written in this file.

/// Where AWS says to turn trusted access on for a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnableWith {
    /// The service's own console or tools, which also do the service's setup.
    ServiceConsole,
    /// Organizations tools only (console, CLI or API).
    Organizations,
    /// Either the service's tools or Organizations tools.
    Either,
}

impl EnableWith {
    /// The spelling of the data file: `service-console`, `organizations` or `either`.
    pub fn as_str(&self) -> &'static str {
        match self {
            EnableWith::ServiceConsole => "service-console",
            EnableWith::Organizations => "organizations",
            EnableWith::Either => "either",
        }
    }
}

/// A service-linked role that a service's page names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    /// The role's name, as IAM spells it.
    pub name: &'static str,
    /// Which accounts get it, and when, in the page's words.
    pub created_in: &'static str,
    /// Its IAM path, `/aws-service-role/<principal>/`.
    pub path: &'static str,
    /// The AWS managed policy attached to it, where known.
    pub policy: Option<&'static str>,
}

/// What each administrator does next, in one or two sentences each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Steps {
    /// The Organizations administrator, in the management account.
    pub organizations_admin: &'static str,
    /// The service's administrator.
    pub service_admin: &'static str,
}

/// A service that integrates with AWS Organizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// Short and unique, in kebab-case: the entry's anchor in `docs/catalog.md`.
    pub id: &'static str,
    /// The service's name, as AWS writes it.
    pub name: &'static str,
    /// The main service principal: the first of [`Service::principals`].
    pub principal: &'static str,
    /// Every service principal whose trusted access belongs to this service, the main one first.
    pub principals: &'static [&'static str],
    /// The service's page in the AWS Organizations User Guide.
    pub source: &'static str,
    /// Where AWS says to turn trusted access on.
    pub enable_with: EnableWith,
    /// The console where the service's administrator works.
    pub console_url: &'static str,
    /// Whether the service supports a delegated administrator.
    pub delegated_admin: bool,
    /// Whether the service's administrator still finishes the integration in the service's
    /// console once trusted access is on.
    pub console_finishes_setup: bool,
    /// Whether this function keeps the service's first role in every ACTIVE account while trusted
    /// access is on (AWS Marketplace's entry only); every other service is observed and told.
    pub keeps_role: bool,
    /// The service-linked roles the page names, if any.
    pub roles: &'static [Role],
    /// What each administrator does after trusted access is enabled.
    pub after_enable: Steps,
    /// What each administrator does after trusted access is disabled.
    pub after_disable: Steps,
    /// What stops working when trusted access is disabled; empty when AWS's page says nothing
    /// specific (see [`Service::what_a_disable_breaks`]).
    pub disable_breaks: &'static str,
    /// Caveats: what the page leaves unclear, or what changed since earlier versions of it.
    pub note: &'static str,
    /// When the entry was last compared with AWS's page, and with which copy of it.
    pub checked: Checked,
    /// AWS pages other than [`Service::source`] that a sentence of the entry rests on.
    pub other_sources: &'static [&'static str],
    /// The service's own calls that name its delegated administrator, beside Organizations'
    /// `RegisterDelegatedAdministrator`, where AWS pages give them.
    pub own_admin_call: Option<OwnCall>,
}

/// A service's own API calls that name its delegated administrator (GuardDuty's
/// `EnableOrganizationAdminAccount`): a message names them, so that a person knows which calls to
/// look for in CloudTrail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnCall {
    /// The actions as IAM names them, `guardduty:EnableOrganizationAdminAccount`.
    pub actions: &'static [&'static str],
    /// The AWS pages that say so, the main one first.
    pub sources: &'static [&'static str],
    /// The stored copy of the first page it was compared with.
    pub checked: Checked,
}

impl OwnCall {
    /// `a`, or `a or b`.
    pub fn actions_text(&self) -> String {
        self.actions.join(" or ")
    }
}

/// When a catalog entry was compared with AWS's page, and the stored copy of the page it was
/// compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// The day, `YYYY-MM-DD`.
    pub on: &'static str,
    /// The repository of the copy (`c2hans/aws-docs`, a Markdown export of docs.aws.amazon.com).
    pub repo: &'static str,
    /// The commit of the copy.
    pub commit: &'static str,
    /// The page's path in it.
    pub path: &'static str,
}

use crate::principal::same;

include!(concat!(env!("OUT_DIR"), "/catalog.rs"));

pub mod sentences;

/// Said of a service whose page doesn't say what a disable breaks.
const DISABLE_BREAKS_IN_GENERAL: &str = "The service can no longer act across the organization's \
    accounts: it stops seeing the accounts that join, and its organization-wide features may stop. \
    The service's own page says what it keeps.";

/// The service that a principal belongs to, matched against every principal of every service
/// as principals are compared ([`crate::principal::same`]: case and one trailing dot aside).
pub fn find(principal: &str) -> Option<&'static Service> {
    SERVICES
        .iter()
        .find(|service| service.principals.iter().any(|p| same(p, principal)))
}

/// Whether the function keeps the role of the service `principal` belongs to: trusted access for
/// it is reconciled across the accounts, not only observed.
pub fn keeps_role(principal: &str) -> bool {
    find(principal).is_some_and(|e| e.keeps_role)
}

/// The name of the service a principal belongs to, or the principal when the catalog lacks it.
pub fn name_of(principal: &str) -> &str {
    find(principal).map_or(principal, |e| e.name)
}

impl Service {
    /// What a disable breaks: [`Service::disable_breaks`], or a general sentence when the page
    /// says nothing specific.
    pub fn what_a_disable_breaks(&self) -> &'static str {
        match self.disable_breaks {
            "" => DISABLE_BREAKS_IN_GENERAL,
            specific => specific,
        }
    }
}
