//! A finding as Security Hub CSPM reads it: the AWS Security Finding Format (ASFF), schema
//! `2018-10-08`, every attribute AWS requires of a provider, within its limits (docs/design.md,
//! "Findings"; `docs/findings.md` shows one per check).

use super::{Check, Fact, State};
use crate::catalog;
use crate::handoff::rfc3339;
use crate::ports::{Drift, OrgIdentity};
use serde_json::{Value, json};

/// The top-level attributes AWS requires of every finding a provider imports (ASFF, "Required
/// attributes").
pub const REQUIRED: [&str; 12] = [
    "AwsAccountId",
    "CreatedAt",
    "Description",
    "GeneratorId",
    "Id",
    "ProductArn",
    "Resources",
    "SchemaVersion",
    "Severity",
    "Title",
    "Types",
    "UpdatedAt",
];
/// `Title`: at most 256 characters (ASFF, "Required attributes").
pub const TITLE_MAX: usize = 256;
/// `Description`: at most 1,024 characters.
pub const DESCRIPTION_MAX: usize = 1024;
/// `Remediation.Recommendation.Text`: at most 512 characters.
pub const RECOMMENDATION_MAX: usize = 512;
/// The one type of every finding here, under the namespace AWS gives configuration checks.
pub const TYPE: &str = "Software and Configuration Checks/AWS Security Best Practices";
/// AWS's list of the services that integrate with Organizations: the source of a principal the
/// catalog does not know.
const SERVICES_PAGE: &str =
    "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_services_list.html";

/// Where and when findings are sent from: the function's own account (the management account),
/// region and partition.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub organization: &'a OrgIdentity,
    pub region: &'a str,
    pub partition: &'a str,
    /// The clock port's time: `UpdatedAt`.
    pub now: u64,
}

impl Context<'_> {
    /// The default product ARN, under which an account imports its own findings.
    pub fn product_arn(&self) -> String {
        let account = &self.organization.management_account_id;
        let (partition, region) = (self.partition, self.region);
        format!("arn:{partition}:securityhub:{region}:{account}:product/{account}/default")
    }

    /// A finding's `Id`: the same subject of the same check in the same organization, the same
    /// finding.
    pub fn id(&self, check: Check, subject: &str) -> String {
        let organization = &self.organization.organization_id;
        format!("mta/{organization}/{}/{subject}", check.id())
    }
}

/// The document of a condition that stands.
pub fn failed(
    context: &Context<'_>,
    check: Check,
    subject: &str,
    fact: &Fact,
    created_at: u64,
) -> Value {
    let words = words(context, fact);
    let severity = match fact {
        Fact::Admin {
            drift: Drift::Unexpected,
            ..
        } => "HIGH",
        Fact::Handoff(_) => "LOW",
        _ => "MEDIUM",
    };
    let mut fields = words.fields;
    fields.push(("mta/Check", check.id().to_string()));
    let parts = Parts {
        check,
        subject,
        state: State::Failed,
        severity,
        title: &words.title,
        description: &words.description,
        recommendation: (&words.recommendation, words.url),
        resource: resource(context, fact_account(fact)),
        fields,
        created_at,
    };
    document(context, parts)
}

/// The document of a condition that ended (or of an account that left), from what its `Id` says.
pub fn ended(
    context: &Context<'_>,
    check: Check,
    subject: &str,
    state: State,
    created_at: u64,
) -> Value {
    let (title, account, url) = match check {
        Check::TrustedAccessIntent => (
            format!("Trusted access for {subject} matches EXPECTED_SERVICES again"),
            None,
            source(subject),
        ),
        Check::MarketplaceRole if state == State::Archived => (
            format!("AWS account {subject} left the organization"),
            Some(subject),
            source(crate::service::MARKETPLACE.principal),
        ),
        Check::MarketplaceRole => (
            format!("AWS account {subject} has AWS Marketplace's service-linked role again"),
            Some(subject),
            source(crate::service::MARKETPLACE.principal),
        ),
        Check::OpenHandoff => (
            format!("Hand-off {subject} is no longer open"),
            None,
            SERVICES_PAGE,
        ),
        Check::DelegatedAdminIntent => {
            let (principal, account_id) = crate::delegation::parts(subject);
            let title = format!(
                "The delegated administrator {account_id} for {principal} matches \
                 EXPECTED_DELEGATED_ADMINS again"
            );
            (title, None, source(principal))
        }
    };
    let description = format!(
        "{title}: the check {} found the condition ended at {}.",
        check.id(),
        rfc3339(context.now)
    );
    let parts = Parts {
        check,
        subject,
        state,
        severity: "INFORMATIONAL",
        title: &title,
        description: &description,
        recommendation: ("Nothing to do: the condition ended.", url),
        resource: resource(context, account),
        fields: vec![("mta/Check", check.id().to_string())],
        created_at,
    };
    document(context, parts)
}

/// What one finding says.
struct Parts<'a> {
    check: Check,
    subject: &'a str,
    state: State,
    severity: &'static str,
    title: &'a str,
    description: &'a str,
    /// The text and the page it rests on.
    recommendation: (&'a str, &'a str),
    resource: Value,
    /// `ProductFields`: names under `mta/`, and text.
    fields: Vec<(&'static str, String)>,
    created_at: u64,
}

fn document(context: &Context<'_>, p: Parts<'_>) -> Value {
    let (compliance, record) = match p.state {
        State::Failed => ("FAILED", "ACTIVE"),
        State::Passed => ("PASSED", "ACTIVE"),
        State::Archived => ("PASSED", "ARCHIVED"),
    };
    let fields: serde_json::Map<String, Value> = p
        .fields
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::String(clip(&v, 2048))))
        .collect();
    json!({
        "SchemaVersion": "2018-10-08",
        "Id": context.id(p.check, p.subject),
        "ProductArn": context.product_arn(),
        "GeneratorId": format!("mta/{}", p.check.id()),
        "AwsAccountId": context.organization.management_account_id,
        "Types": [TYPE],
        "CreatedAt": rfc3339(p.created_at),
        "UpdatedAt": rfc3339(context.now),
        "Severity": {"Label": p.severity},
        "Title": clip(p.title, TITLE_MAX),
        "Description": clip(p.description, DESCRIPTION_MAX),
        "Remediation": {"Recommendation": {
            "Text": clip(p.recommendation.0, RECOMMENDATION_MAX),
            "Url": p.recommendation.1,
        }},
        "ProductFields": fields,
        "Resources": [p.resource],
        "Compliance": {"Status": compliance},
        "RecordState": record,
        "FindingProviderFields": {
            "Severity": {"Label": p.severity},
            "Types": [TYPE],
        },
    })
}

/// The resource a finding is about: a member account, or the organization.
fn resource(context: &Context<'_>, account: Option<&str>) -> Value {
    let (partition, region) = (context.partition, context.region);
    match account {
        Some(account_id) => json!({
            "Type": "AwsAccount",
            "Id": format!("AWS::::Account:{account_id}"),
            "Partition": partition,
            "Region": region,
        }),
        None => {
            let o = context.organization;
            let (management, id) = (&o.management_account_id, &o.organization_id);
            json!({
                "Type": "Other",
                "Id": format!("arn:{partition}:organizations::{management}:organization/{id}"),
                "Partition": partition,
                "Region": region,
            })
        }
    }
}

fn fact_account(fact: &Fact) -> Option<&str> {
    match fact {
        Fact::Account { account_id, .. } => Some(account_id),
        _ => None,
    }
}

/// The page a service's sentences rest on.
fn source(principal: &str) -> &'static str {
    catalog::find(principal).map_or(SERVICES_PAGE, |s| s.source)
}

/// What a standing condition's finding says.
struct Words {
    title: String,
    description: String,
    recommendation: String,
    url: &'static str,
    fields: Vec<(&'static str, String)>,
}

fn words(context: &Context<'_>, fact: &Fact) -> Words {
    let org = &context.organization.organization_id;
    match fact {
        Fact::Service { principal, drift } => {
            let name = catalog::name_of(principal);
            let entry = catalog::find(principal);
            let (title, description, recommendation) = match drift {
                Drift::Missing => (
                    format!("Trusted access for {name} is expected but not enabled"),
                    format!(
                        "EXPECTED_SERVICES names {principal} for organization {org}, but AWS \
                         Organizations does not list its trusted access as enabled. {}",
                        entry.map_or("", |e| e.what_a_disable_breaks())
                    ),
                    format!(
                        "Find out who disabled it (CloudTrail: DisableAWSServiceAccess). Enable \
                         it again, or remove it from EXPECTED_SERVICES. Once it is on: {}",
                        entry.map_or("", |e| e.after_enable.organizations_admin)
                    ),
                ),
                Drift::Unexpected => (
                    format!("Trusted access for {name} is enabled but not expected"),
                    format!(
                        "Trusted access for {principal} is enabled in organization {org}, but \
                         EXPECTED_SERVICES does not name it."
                    ),
                    format!(
                        "Find out who enabled it (CloudTrail: EnableAWSServiceAccess). Add it to \
                         EXPECTED_SERVICES if it was meant; otherwise disable it. {}",
                        entry.map_or(String::new(), |e| format!(
                            "What a disable stops: {}",
                            e.what_a_disable_breaks()
                        ))
                    ),
                ),
            };
            let fields = vec![("mta/ServicePrincipal", principal.clone())];
            let url = source(principal);
            Words {
                title,
                description,
                recommendation,
                url,
                fields,
            }
        }
        Fact::Account {
            account_id,
            failure,
        } => Words {
            title: format!(
                "AWS Marketplace's service-linked role is not confirmed in account {account_id}"
            ),
            description: format!(
                "Trusted access for AWS Marketplace is enabled in organization {org}, and \
                     ACTIVE account {account_id} must have the role {}. The last sweep \
                     could not confirm or create it: {failure}.",
                crate::service::MARKETPLACE_ROLE.name
            ),
            recommendation: "Check that the member role the function assumes (MEMBER_ROLE_NAME) \
                     exists in the account and trusts the management account; the next sweep \
                     then creates the service-linked role."
                .to_string(),
            url: source(crate::service::MARKETPLACE.principal),
            fields: vec![
                ("mta/AccountId", account_id.clone()),
                ("mta/LastError", failure.clone()),
            ],
        },
        Fact::Handoff(item) => {
            let name = catalog::name_of(&item.service);
            Words {
                title: format!("Hand-off {} for {name} is open", item.id),
                description: format!(
                    "Asked of the {} since {}: {} It was opened by: {}",
                    item.audience.as_str(),
                    rfc3339(item.opened_at),
                    item.ask,
                    item.opened_by
                ),
                recommendation: format!(
                    "{} Once done, record it: mta handoffs done {}.",
                    item.ask, item.id
                ),
                url: source(&item.service),
                fields: vec![
                    ("mta/HandoffId", item.id.clone()),
                    ("mta/ServicePrincipal", item.service.clone()),
                    ("mta/Audience", item.audience.as_str().to_string()),
                    ("mta/OpenedBy", item.opened_by.clone()),
                    ("mta/OpenedAt", rfc3339(item.opened_at)),
                ],
            }
        }
        Fact::Admin {
            principal,
            account_id,
            drift,
        } => {
            let name = catalog::name_of(principal);
            let (title, description, recommendation) = match drift {
                Drift::Unexpected => (
                    format!(
                        "AWS account {account_id} is an unexpected delegated administrator for {name}"
                    ),
                    format!(
                        "AWS account {account_id} is the delegated administrator for {principal} \
                         in organization {org}, but EXPECTED_DELEGATED_ADMINS does not name it."
                    ),
                    "Find out who registered it (CloudTrail: RegisterDelegatedAdministrator, or \
                     the service's own call). Deregister it if it was not meant; otherwise add \
                     it to EXPECTED_DELEGATED_ADMINS."
                        .to_string(),
                ),
                Drift::Missing => (
                    format!(
                        "AWS account {account_id} is expected to administer {name} but is not registered"
                    ),
                    format!(
                        "EXPECTED_DELEGATED_ADMINS names AWS account {account_id} for \
                         {principal} in organization {org}, but AWS Organizations does not list \
                         it as a delegated administrator."
                    ),
                    "Find out who deregistered it (CloudTrail: DeregisterDelegatedAdministrator). \
                     Register it again, or change EXPECTED_DELEGATED_ADMINS."
                        .to_string(),
                ),
            };
            Words {
                title,
                description,
                recommendation,
                url: source(principal),
                fields: vec![
                    ("mta/ServicePrincipal", principal.clone()),
                    ("mta/AccountId", account_id.clone()),
                ],
            }
        }
    }
}

/// The partition of a region: `aws-cn` for China's, `aws-us-gov` for GovCloud's, else `aws`.
pub fn partition_of(region: &str) -> &'static str {
    match region {
        r if r.starts_with("cn-") => "aws-cn",
        r if r.starts_with("us-gov-") => "aws-us-gov",
        _ => "aws",
    }
}

/// `text` within `max` characters, cut at a character.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].to_string(),
        None => text.to_string(),
    }
}
