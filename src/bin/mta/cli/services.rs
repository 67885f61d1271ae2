//! `mta services`: every service principal whose trusted access is enabled in the organization
//! (`ListAWSServiceAccessForOrganization`), with its name from the catalog, when it was enabled and
//! its delegated administrators (`ListDelegatedAdministrators`, then
//! `ListDelegatedServicesForAccount` for each); and, given the principals expected (`--expected`,
//! else `EXPECTED_SERVICES`, read as the function reads it), whether each is expected, with the
//! expected ones that are not enabled listed as missing. Read-only.
//!
//! It also shows the organization's resource-based delegation policy in force
//! (`DescribeResourcePolicy`), statement by statement ([`policy`]).
//!
//! There is *drift* when, with an expectation, an expected principal is not enabled or an enabled
//! one is not expected: `mta services` then exits 1. Without an expectation nothing is compared.

mod policy;

use super::args::{Expected, Format, ServicesArgs};
use super::progress::Progress;
use super::session::{self, Ports};
use super::table::Table;
use super::{CliError, Exit};
use marketplace_trusted_access::catalog;
use marketplace_trusted_access::config::{self, Config, ExpectedAdmins};
use marketplace_trusted_access::delegation;
use marketplace_trusted_access::ports::{
    AwsError, DelegatedAdmin, Directory, Drift, EnabledService, OrgIdentity, PolicyDocument,
};
pub use policy::PolicyView;
use serde::Serialize;
use std::collections::BTreeMap;

/// Where the expected principals come from.
pub const FLAG: &str = "--expected";
pub const VARIABLE: &str = "EXPECTED_SERVICES";

/// The principals expected to have trusted access, and where they were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// Each once, lowercase, no trailing dot (`config::parse_expected_services`).
    pub principals: Vec<String>,
    /// [`FLAG`] or [`VARIABLE`].
    pub from: &'static str,
}

/// The expectation: the flag's, else the variable's (unset or blank: none). A bad value of the
/// variable is an input error (exit 2), as a bad value of the flag is a usage error.
pub fn expectation(
    flag: Option<&Expected>,
    variable: Option<&str>,
) -> Result<Option<Expectation>, CliError> {
    if let Some(Expected(principals)) = flag {
        return Ok(Some(Expectation {
            principals: principals.clone(),
            from: FLAG,
        }));
    }
    match variable.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(value) => config::parse_expected_services(value)
            .map(|principals| {
                Some(Expectation {
                    principals,
                    from: VARIABLE,
                })
            })
            .map_err(|e| CliError::Input(e.to_string())),
    }
}

/// `EXPECTED_DELEGATED_ADMINS`, read as the function reads it (unset or blank: none); a bad value
/// is an input error (exit 2).
pub fn admin_intent() -> Result<Option<ExpectedAdmins>, CliError> {
    let variable = std::env::var_os("EXPECTED_DELEGATED_ADMINS");
    let value = variable.map(|v| v.to_string_lossy().trim().to_string());
    match value.filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(value) => config::parse_expected_admins(&value)
            .map(Some)
            .map_err(|e| CliError::Input(e.to_string())),
    }
}

/// The organization, as `DescribeOrganization` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationRef {
    pub organization_id: String,
    pub management_account_id: String,
}

/// Whether a principal's trusted access is enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceState {
    Enabled,
    /// Expected, and not enabled.
    Missing,
}

/// A delegated administrator of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminRef {
    pub account_id: String,
    pub name: String,
    /// Whether `EXPECTED_DELEGATED_ADMINS` names it for the service; absent when it is not set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<bool>,
}

/// One service principal's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRow {
    pub principal: String,
    /// The service's name in the catalog; `null` for a principal the catalog does not know.
    pub name: Option<&'static str>,
    /// When trusted access was enabled, as RFC 3339, when Organizations says; `null` when missing.
    pub enabled_at: Option<String>,
    /// Sorted by account id.
    pub delegated_administrators: Vec<AdminRef>,
    /// Whether the principal is expected; `null` when no expectation is given.
    pub expected: Option<bool>,
    pub state: ServiceState,
}

/// The whole answer of `mta services`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicesView {
    /// Absent when `DescribeOrganization` could not be read (the services still could).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<OrganizationRef>,
    /// The enabled principals, sorted; then the missing ones, in the order they were expected.
    pub services: Vec<ServiceRow>,
    /// An expected principal not enabled, or an enabled one not expected; or a delegated
    /// administrator that differs from `EXPECTED_DELEGATED_ADMINS`.
    pub drift: bool,
    /// `EXPECTED_DELEGATED_ADMINS`, when set: each principal and the accounts meant to administer it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_delegated_administrators: Option<ExpectedAdmins>,
    /// The administrators that differ from it, by `principal=account`: `unexpected` or `missing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delegated_administrator_drift: Option<BTreeMap<String, Drift>>,
    /// The organization's resource-based delegation policy (`DescribeResourcePolicy`); absent
    /// until read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delegation_policy: Option<PolicyView>,
    #[serde(skip)]
    pub expectation: Option<Expectation>,
}

/// A principal as compared: lowercase, no trailing dot.
fn normal(principal: &str) -> String {
    principal
        .strip_suffix('.')
        .unwrap_or(principal)
        .to_ascii_lowercase()
}

impl ServicesView {
    pub fn new(
        organization: Option<OrgIdentity>,
        enabled: &[EnabledService],
        admins: &[DelegatedAdmin],
        expectation: Option<Expectation>,
    ) -> ServicesView {
        let admins_of = |principal: &str| {
            let principal = normal(principal);
            let mut of: Vec<AdminRef> = admins
                .iter()
                .filter(|a| a.principals.iter().any(|p| normal(p) == principal))
                .map(|a| AdminRef {
                    account_id: a.account_id.clone(),
                    name: a.name.clone(),
                    expected: None,
                })
                .collect();
            of.sort_by(|a, b| a.account_id.cmp(&b.account_id));
            of.dedup();
            of
        };
        let mut enabled: Vec<&EnabledService> = enabled.iter().collect();
        enabled.sort_by_key(|s| normal(&s.principal));
        enabled.dedup_by_key(|s| normal(&s.principal));
        let is_expected = |principal: &str| {
            expectation
                .as_ref()
                .map(|e| e.principals.contains(&normal(principal)))
        };
        let mut services: Vec<ServiceRow> = enabled
            .iter()
            .map(|s| ServiceRow {
                principal: s.principal.clone(),
                name: catalog::find(&s.principal).map(|service| service.name),
                enabled_at: s.enabled_at.clone(),
                delegated_administrators: admins_of(&s.principal),
                expected: is_expected(&s.principal),
                state: ServiceState::Enabled,
            })
            .collect();
        let enabled: Vec<String> = enabled.iter().map(|s| normal(&s.principal)).collect();
        if let Some(e) = &expectation {
            services.extend(
                e.principals
                    .iter()
                    .filter(|p| !enabled.contains(p))
                    .map(|p| ServiceRow {
                        principal: p.clone(),
                        name: catalog::find(p).map(|service| service.name),
                        enabled_at: None,
                        delegated_administrators: admins_of(p),
                        expected: Some(true),
                        state: ServiceState::Missing,
                    }),
            );
        }
        let drift = services
            .iter()
            .any(|s| s.state == ServiceState::Missing || s.expected == Some(false));
        ServicesView {
            organization: organization.map(|o| OrganizationRef {
                organization_id: o.organization_id,
                management_account_id: o.management_account_id,
            }),
            services,
            drift,
            expected_delegated_administrators: None,
            delegated_administrator_drift: None,
            delegation_policy: None,
            expectation,
        }
    }

    /// The view with its delegated administrators held to `intent` (`EXPECTED_DELEGATED_ADMINS`),
    /// as the function's sweep compares them.
    pub fn held_to(mut self, admins: &[DelegatedAdmin], intent: ExpectedAdmins) -> ServicesView {
        for row in &mut self.services {
            for admin in &mut row.delegated_administrators {
                let meant = delegation::intended(&intent, &row.principal, &admin.account_id);
                admin.expected = Some(meant);
            }
        }
        let differing = delegation::compare(&intent, admins);
        self.drift |= !differing.is_empty();
        self.delegated_administrator_drift = Some(differing);
        self.expected_delegated_administrators = Some(intent);
        self
    }

    fn count(&self, which: impl Fn(&ServiceRow) -> bool) -> usize {
        self.services.iter().filter(|s| which(s)).count()
    }

    /// One row per service principal, for a spreadsheet: whether it is enabled and since when,
    /// whether it is expected (empty when nothing was said), and its delegated administrators'
    /// accounts, separated by spaces.
    pub fn csv(&self) -> String {
        let mut table = Table::new([
            "service_principal",
            "name",
            "enabled",
            "enabled_at",
            "expected",
            "delegated_administrators",
        ]);
        for s in &self.services {
            let admins: Vec<&str> = s
                .delegated_administrators
                .iter()
                .map(|a| a.account_id.as_str())
                .collect();
            table.row(vec![
                s.principal.clone(),
                s.name.unwrap_or_default().to_string(),
                (s.state == ServiceState::Enabled).to_string(),
                s.enabled_at.clone().unwrap_or_default(),
                s.expected.map(|e| e.to_string()).unwrap_or_default(),
                admins.join(" "),
            ]);
        }
        table.to_csv()
    }

    /// The table and a summary, for a person.
    pub fn render(&self) -> String {
        let mut out = match &self.organization {
            Some(o) => format!(
                "Organization {} (management account {})\n",
                o.organization_id, o.management_account_id
            ),
            None => {
                "Organization: unknown (organizations:DescribeOrganization could not be read)\n"
                    .to_string()
            }
        };
        out.push_str(&match &self.expectation {
            Some(e) => format!(
                "Expected services: {} (from {})\n\n",
                e.principals.len(),
                e.from
            ),
            None => format!("Expected services: none given ({FLAG} or {VARIABLE})\n\n"),
        });
        let mut table = Table::new([
            "SERVICE PRINCIPAL",
            "NAME",
            "ENABLED AT",
            "DELEGATED ADMINISTRATORS",
            "STATUS",
        ]);
        for s in &self.services {
            let admins: Vec<String> = s
                .delegated_administrators
                .iter()
                .map(|a| {
                    if a.name.is_empty() {
                        a.account_id.clone()
                    } else {
                        format!("{} ({})", a.account_id, a.name)
                    }
                })
                .collect();
            table.row(vec![
                s.principal.clone(),
                s.name.unwrap_or("unknown to the catalog").to_string(),
                s.enabled_at.clone().unwrap_or_else(|| "-".into()),
                if admins.is_empty() {
                    "-".into()
                } else {
                    admins.join(", ")
                },
                match (s.state, s.expected) {
                    (ServiceState::Missing, _) => "MISSING",
                    (ServiceState::Enabled, None) => "enabled",
                    (ServiceState::Enabled, Some(true)) => "expected",
                    (ServiceState::Enabled, Some(false)) => "NOT EXPECTED",
                }
                .into(),
            ]);
        }
        out.push_str(&table.render());
        for (subject, drift) in self.delegated_administrator_drift.iter().flatten() {
            let (principal, account) = delegation::parts(subject);
            out.push_str(&match drift {
                Drift::Unexpected => format!(
                    "Delegated administrator {account} for {principal}: NOT EXPECTED \
                     (EXPECTED_DELEGATED_ADMINS)\n"
                ),
                Drift::Missing => format!(
                    "Delegated administrator {account} for {principal}: MISSING \
                     (EXPECTED_DELEGATED_ADMINS)\n"
                ),
            });
        }
        if let Some(policy) = &self.delegation_policy {
            out.push('\n');
            out.push_str(&policy.render());
        }
        out.push('\n');
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// One line: how many services stand which way, and whether that is what was expected.
    pub fn summary(&self) -> String {
        let enabled = self.count(|s| s.state == ServiceState::Enabled);
        let head = format!("{enabled} service(s) with trusted access enabled");
        if self.expectation.is_none() {
            return format!("{head}. No expectation given: nothing is compared.");
        }
        if !self.drift {
            return format!("{head}, each of them expected. Everything is as expected.");
        }
        let unexpected = self.count(|s| s.expected == Some(false));
        let missing = self.count(|s| s.state == ServiceState::Missing);
        format!(
            "{head}: {} expected, {unexpected} not expected; {missing} expected but not enabled. \
             Drift: the services enabled are not the ones expected.",
            enabled - unexpected
        )
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// The exit of `services`: out of place on drift.
pub fn services_exit(view: &ServicesView) -> Exit {
    if view.drift {
        Exit::OutOfPlace
    } else {
        Exit::InPlace
    }
}

/// What Organizations holds: the identity (`None` when it could not be read, with the reason), the
/// enabled services and the delegated administrators, read at once.
async fn read(
    directory: &dyn Directory,
) -> Result<
    (
        Result<OrgIdentity, AwsError>,
        Vec<EnabledService>,
        Vec<DelegatedAdmin>,
        Result<Option<PolicyDocument>, AwsError>,
    ),
    CliError,
> {
    let (identity, enabled, admins, policy) = tokio::join!(
        directory.identity(),
        directory.enabled_services(),
        directory.delegated_admins(),
        directory.delegation_policy()
    );
    let enabled = enabled.map_err(|source| CliError::Aws {
        action: "organizations:ListAWSServiceAccessForOrganization",
        what: "the organization",
        source,
    })?;
    let admins = admins.map_err(|source| CliError::Aws {
        action: "organizations:ListDelegatedAdministrators",
        what: "the organization",
        source,
    })?;
    Ok((identity, enabled, admins, policy))
}

pub async fn services(args: ServicesArgs) -> Result<Exit, CliError> {
    // Checked before any AWS call, as every other value is.
    let variable = std::env::var_os(VARIABLE).map(|v| v.to_string_lossy().into_owned());
    let expectation = expectation(args.expected.as_ref(), variable.as_deref())?;
    let admin_intent = admin_intent()?;
    let c = &args.output;
    let progress = Progress::new(Progress::visible(c.quiet));
    let reading = async {
        let sdk = session::sdk_config(&args.session).await;
        session::check_credentials(&sdk, &args.session).await?;
        // No member account is entered: the role name is never used.
        let ports = Ports::new(&sdk, &Config::default().member_role_name);
        progress.reading("the organization's services");
        read(&ports.directory).await
    };
    // Nothing is half-done by a read: Ctrl-C stops it, and nothing is printed.
    let ran = tokio::select! {
        ran = reading => ran,
        Ok(()) = tokio::signal::ctrl_c() => {
            progress.clear();
            super::say("mta: interrupted: the organization was not read to the end.\n");
            return Ok(Exit::Interrupted);
        }
    };
    progress.clear();
    let (identity, enabled, admins, policy) = ran?;
    let organization = match identity {
        Ok(identity) => Some(identity),
        Err(e) => {
            super::say(&format!(
                "mta: organizations:DescribeOrganization failed ({e}): the services are listed \
                 without the organization's id\n"
            ));
            None
        }
    };
    let mut view = ServicesView::new(organization, &enabled, &admins, expectation);
    view.delegation_policy = Some(PolicyView::new(policy));
    if let Some(intent) = admin_intent {
        view = view.held_to(&admins, intent);
    }
    super::emit(&match c.format() {
        Format::Json => format!("{}\n", view.to_json()),
        Format::Csv => view.csv(),
        Format::Table => view.render(),
    });
    Ok(services_exit(&view))
}

#[cfg(test)]
mod tests;
