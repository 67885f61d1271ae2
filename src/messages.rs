//! What is said, and to whom (DESIGN §4): the wording of every hand-off, from plain data.
//!
//! Each message is plain text a person reads in an e-mail, ending with the same facts as a compact
//! JSON block for machines. Nothing here calls AWS.

use crate::aws::organization::MemberAccount;
use crate::config::Removal;
use crate::decision::Action;
use crate::intake::{MARKETPLACE_PRINCIPAL, Origin, Trigger};
use crate::report::{ActionResult, Counts, Report};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// SNS allows 100 characters in a subject.
pub const SUBJECT_LIMIT: usize = 100;
/// The line that opens the JSON block at the end of every body.
pub const FACTS_HEADER: &str = "Facts (JSON):";

const MARKETPLACE_CONSOLE: &str = "AWS Marketplace console (https://console.aws.amazon.com/marketplace/) > Settings > \
     AWS Organizations integration";
const ORGANIZATIONS_CONSOLE: &str =
    "AWS Organizations console (https://console.aws.amazon.com/organizations/v2/home/services)";

/// Who a message is for (the `audience` attribute that subscriptions filter on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Audience {
    OrganizationsAdmin,
    MarketplaceAdmin,
    AccountAdmin,
}

/// What happened (the `event` attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Event {
    TrustedAccessEnabled,
    TrustedAccessDisabled,
    AccountDeparted,
    AccountJoined,
    DriftCorrected,
    ReconcileFailed,
}

/// How urgent (the `severity` attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    ActionRequired,
    Warning,
}

impl Audience {
    /// The attribute value.
    pub fn as_str(&self) -> &'static str {
        match self {
            Audience::OrganizationsAdmin => "organizations-admin",
            Audience::MarketplaceAdmin => "marketplace-admin",
            Audience::AccountAdmin => "account-admin",
        }
    }
}

impl Event {
    /// The attribute value.
    pub fn as_str(&self) -> &'static str {
        match self {
            Event::TrustedAccessEnabled => "trusted-access-enabled",
            Event::TrustedAccessDisabled => "trusted-access-disabled",
            Event::AccountDeparted => "account-departed",
            Event::AccountJoined => "account-joined",
            Event::DriftCorrected => "drift-corrected",
            Event::ReconcileFailed => "reconcile-failed",
        }
    }
}

impl Severity {
    /// The attribute value.
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::ActionRequired => "action-required",
            Severity::Warning => "warning",
        }
    }
}

/// One notification, ready to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub audience: Audience,
    pub event: Event,
    pub severity: Severity,
    pub organization: String,
    pub subject: String,
    pub body: String,
}

/// The facts block that ends every message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Facts {
    pub event: Event,
    pub audience: Audience,
    pub organization: String,
    pub management_account: String,
    pub trigger: String,
    pub event_id: Option<String>,
    pub actor: Option<String>,
    /// `person` or the AWS service that made the change.
    pub initiated_by: Option<String>,
    pub event_time: Option<String>,
    pub account_id: Option<String>,
    pub departure_method: Option<String>,
    pub trusted_access: Option<String>,
    pub dry_run: bool,
    pub accounts: Counts,
    pub changed: Vec<String>,
    pub failed: Vec<String>,
    pub unreached: Vec<String>,
}

/// The run a message speaks of.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    pub trigger: &'a Trigger,
    pub organization_id: &'a str,
    pub management_account_id: &'a str,
    /// The accounts Organizations lists now.
    pub accounts: &'a [MemberAccount],
    pub on_disable: Removal,
    pub on_departure: Removal,
    pub report: &'a Report,
}

/// Every message the run calls for; empty when there is nothing to tell (a sweep that changed nothing).
pub fn compose(run: Run<'_>) -> Vec<Message> {
    let r = run.report;
    let has_failures = r.failures().next().is_some() || !r.unreached.is_empty();
    let mut out = match run.trigger {
        // The event says one thing, Organizations another (a late, replayed or forged event): the
        // hand-off it would call for is not true, so only drift or failure is worth a message.
        Trigger::TrustedAccess { enabled, .. }
            if r.trusted_access.as_deref()
                != Some(if *enabled { "enabled" } else { "disabled" }) =>
        {
            sweep(run)
        }
        Trigger::TrustedAccess {
            enabled: true,
            origin,
        } if origin.is_marketplace() => {
            vec![enabled_by_marketplace(run, origin)]
        }
        Trigger::TrustedAccess {
            enabled: true,
            origin,
        } => vec![enabled_by_person(run, origin)],
        Trigger::TrustedAccess {
            enabled: false,
            origin,
        } => disabled(run, origin),
        Trigger::AccountDeparted {
            account_id,
            method,
            origin,
        } => departed(run, account_id, method, origin),
        Trigger::AccountJoined { account_id, origin } => joined(run, account_id, origin),
        Trigger::Sweep | Trigger::Command { .. } => sweep(run),
    };
    // Failures are the Organizations administrator's to fix: make sure they hear of them.
    if has_failures
        && !out
            .iter()
            .any(|m| m.audience == Audience::OrganizationsAdmin)
    {
        out.extend(sweep(run));
    }
    out
}

fn enabled_by_person(run: Run<'_>, origin: &Origin) -> Message {
    let mut b = Body::new();
    b.para(&format!(
        "Trusted access for AWS Marketplace ({MARKETPLACE_PRINCIPAL}) was enabled in AWS Organizations \
         {organization} with Organizations tools, not from the AWS Marketplace console.",
        organization = run.organization_id
    ));
    b.who(origin);
    b.todo(&[
        format!("Open the {MARKETPLACE_CONSOLE}."),
        "Enable (create) the integration with AWS Organizations there.".to_string(),
    ]);
    b.para(
        "Why: AWS recommends enabling trusted access from the AWS Marketplace console, because that \
         lets AWS Marketplace perform the set-up it needs in your organization; enabling it with \
         Organizations tools turns on access without that set-up.",
    );
    b.roles(run);
    message(
        run,
        Audience::MarketplaceAdmin,
        Event::TrustedAccessEnabled,
        Severity::ActionRequired,
        "Action required: enable AWS Marketplace integration in the Marketplace console",
        Some(origin),
        None,
        b,
    )
}

fn enabled_by_marketplace(run: Run<'_>, origin: &Origin) -> Message {
    let mut b = Body::new();
    b.para(&format!(
        "AWS Marketplace enabled its integration with AWS Organizations {}. The integration is \
         complete; nothing is required of you.",
        run.organization_id
    ));
    b.who(origin);
    b.roles(run);
    message(
        run,
        Audience::OrganizationsAdmin,
        Event::TrustedAccessEnabled,
        Severity::Info,
        "AWS Marketplace integration with AWS Organizations is complete",
        Some(origin),
        None,
        b,
    )
}

fn disabled(run: Run<'_>, origin: &Origin) -> Vec<Message> {
    if origin.is_marketplace() {
        let mut b = Body::new();
        b.para(&format!(
            "AWS Marketplace disabled its integration with AWS Organizations {}.",
            run.organization_id
        ));
        b.who(origin);
        b.role_policy(run.on_disable, "trusted access is disabled");
        b.roles(run);
        return vec![message(
            run,
            Audience::OrganizationsAdmin,
            Event::TrustedAccessDisabled,
            Severity::Info,
            "AWS Marketplace integration with AWS Organizations was disabled",
            Some(origin),
            None,
            b,
        )];
    }
    let headline = format!(
        "Trusted access for AWS Marketplace ({MARKETPLACE_PRINCIPAL}) was disabled in AWS Organizations {} \
         with Organizations tools, not from the AWS Marketplace console.",
        run.organization_id
    );
    let mut to_marketplace = Body::new();
    to_marketplace.para(&headline);
    to_marketplace.who(origin);
    to_marketplace.todo(&[
        format!("Disable the integration in the {MARKETPLACE_CONSOLE}, if it is still shown as enabled."),
        "Clean up what AWS Marketplace set up for the organization (shared licenses and grants).".into(),
        "Tell the AWS Organizations administrator when that is done: AWS asks them to wait for your \
         confirmation."
            .into(),
    ]);
    to_marketplace.roles(run);
    let mut to_organizations = Body::new();
    to_organizations.para(&headline);
    to_organizations.who(origin);
    to_organizations.todo(&[
        "Wait until the AWS Marketplace administrator tells you that they disabled the integration in \
         the AWS Marketplace console and that its resources have been cleaned up: AWS asks for this \
         before trusted access is disabled."
            .into(),
        format!(
            "If that confirmation had not been given, re-enable trusted access from the {MARKETPLACE_CONSOLE} \
             and disable it from there once they agree."
        ),
    ]);
    to_organizations.role_policy(run.on_disable, "trusted access is disabled");
    to_organizations.roles(run);
    let subject =
        "Warning: AWS Marketplace trusted access disabled; confirm clean-up before going on";
    vec![
        message(
            run,
            Audience::MarketplaceAdmin,
            Event::TrustedAccessDisabled,
            Severity::Warning,
            subject,
            Some(origin),
            None,
            to_marketplace,
        ),
        message(
            run,
            Audience::OrganizationsAdmin,
            Event::TrustedAccessDisabled,
            Severity::Warning,
            subject,
            Some(origin),
            None,
            to_organizations,
        ),
    ]
}

fn departed(run: Run<'_>, account_id: &str, method: &str, origin: &Origin) -> Vec<Message> {
    let action = run
        .report
        .actions
        .iter()
        .find(|a| a.account_id == account_id);
    if run.accounts.iter().any(|a| a.id == account_id) {
        // Organizations still lists the account: the event was stale or forged. The account was
        // reconciled as a member; only drift or failure is worth a message.
        return sweep(run);
    }
    let organization = run.organization_id;
    let how = match method.to_ascii_lowercase().as_str() {
        "removed" => {
            format!("was removed from organization {organization} by its management account")
        }
        "closed" | "closure" => format!("left organization {organization} when it was closed"),
        _ => format!("left organization {organization}"),
    };
    let role_line = match action.map(|a| (a.action, a.result)) {
        Some((Action::Delete, ActionResult::Done)) => format!(
            "The Marketplace service-linked role was deleted from account {account_id} (ON_DEPARTURE=delete)."
        ),
        Some((Action::Delete, ActionResult::Planned)) => {
            format!("Dry run: the role would have been deleted from account {account_id}.")
        }
        Some((_, ActionResult::Failed)) => format!(
            "Deleting the role in account {account_id} failed: {}. {HOW_TO_DELETE}",
            action
                .and_then(|a| a.error.as_deref())
                .unwrap_or("unknown error")
        ),
        _ => format!(
            "The role AWSServiceRoleForMarketplaceLicenseManagement in account {account_id}, if present, was kept \
             (ON_DEPARTURE=retain). Now that the account is outside the organization, {HOW_TO_DELETE}"
        ),
    };
    let subject =
        format!("AWS account {account_id} left the organization; Marketplace role status");
    [Audience::OrganizationsAdmin, Audience::AccountAdmin]
        .into_iter()
        .map(|audience| {
            let mut b = Body::new();
            b.para(&format!(
                "AWS account {account_id} {how} (departure method: {method})."
            ));
            b.who(origin);
            b.para(&role_line);
            let severity = match run.report.failures().next() {
                Some(_) => Severity::Warning,
                None if run.on_departure == Removal::Retain => Severity::ActionRequired,
                None => Severity::Info,
            };
            message(
                run,
                audience,
                Event::AccountDeparted,
                severity,
                &subject,
                Some(origin),
                Some((account_id, Some(method))),
                b,
            )
        })
        .collect()
}

fn joined(run: Run<'_>, account_id: &str, origin: &Origin) -> Vec<Message> {
    if run.report.changes().next().is_none() && run.report.failures().next().is_none() {
        return Vec::new();
    }
    let mut b = Body::new();
    b.para(&format!(
        "AWS account {account_id} joined organization {}; trusted access for AWS Marketplace is enabled, so \
         the account needs the Marketplace service-linked role.",
        run.organization_id
    ));
    b.who(origin);
    b.roles(run);
    let severity = if run.report.failures().next().is_some() {
        Severity::Warning
    } else {
        Severity::Info
    };
    vec![message(
        run,
        Audience::OrganizationsAdmin,
        Event::AccountJoined,
        severity,
        &format!("AWS account {account_id} joined; Marketplace service-linked role status"),
        Some(origin),
        Some((account_id, None)),
        b,
    )]
}

fn sweep(run: Run<'_>) -> Vec<Message> {
    let r = run.report;
    let failed = r.failures().count() + r.unreached.len();
    let changed = r.changes().count();
    if failed == 0 && (changed == 0 || r.dry_run) {
        return Vec::new();
    }
    let mut b = Body::new();
    let (event, severity, subject) = if failed > 0 {
        b.para(&format!(
            "Reconciling the AWS Marketplace service-linked role in organization {} left {failed} account(s) \
             not reconciled. The next sweep tries them again; fix the cause below so that it can succeed.",
            run.organization_id
        ));
        b.todo(&[
            "For each failed account, check that the member role the function assumes exists there and \
             trusts the function's execution role (it is deployed by the StackSet of this stack)."
                .into(),
            format!("Check trusted access for {MARKETPLACE_PRINCIPAL} in the {ORGANIZATIONS_CONSOLE}."),
        ]);
        (
            Event::ReconcileFailed,
            Severity::Warning,
            format!("Warning: Marketplace role not reconciled in {failed} account(s)"),
        )
    } else {
        b.para(&format!(
            "A sweep of organization {} found the AWS Marketplace service-linked role out of place in \
             {changed} account(s) and corrected it. Nothing is required of you.",
            run.organization_id
        ));
        (
            Event::DriftCorrected,
            Severity::Info,
            format!("Marketplace service-linked role corrected in {changed} account(s)"),
        )
    };
    b.roles(run);
    vec![message(
        run,
        Audience::OrganizationsAdmin,
        event,
        severity,
        &subject,
        None,
        None,
        b,
    )]
}

const HOW_TO_DELETE: &str = "that account's administrator may delete it: IAM console > Roles > \
     AWSServiceRoleForMarketplaceLicenseManagement > Delete, or \
     `aws iam delete-service-linked-role --role-name AWSServiceRoleForMarketplaceLicenseManagement`.";

#[allow(clippy::too_many_arguments)]
fn message(
    run: Run<'_>,
    audience: Audience,
    event: Event,
    severity: Severity,
    subject: &str,
    origin: Option<&Origin>,
    account: Option<(&str, Option<&str>)>,
    mut body: Body,
) -> Message {
    let r = run.report;
    let facts = Facts {
        event,
        audience,
        organization: run.organization_id.to_string(),
        management_account: run.management_account_id.to_string(),
        trigger: r.trigger.clone(),
        event_id: r.event_id.clone(),
        actor: origin.map(|o| o.actor.clone()),
        initiated_by: origin.map(|o| o.service.clone().unwrap_or_else(|| "person".into())),
        event_time: origin.and_then(|o| o.event_time.clone()),
        account_id: account.map(|(id, _)| id.to_string()),
        departure_method: account.and_then(|(_, m)| m.map(str::to_string)),
        trusted_access: r.trusted_access.clone(),
        dry_run: r.dry_run,
        accounts: r.accounts.clone(),
        changed: r.changes().map(|a| a.account_id.clone()).collect(),
        failed: r
            .failures()
            .map(|a| {
                format!(
                    "{}: {}",
                    a.account_id,
                    a.error.as_deref().unwrap_or("unknown error")
                )
            })
            .collect(),
        unreached: r.unreached.clone(),
    };
    body.facts(&facts);
    Message {
        audience,
        event,
        severity,
        organization: run.organization_id.to_string(),
        subject: fit_subject(subject),
        body: body.text,
    }
}

/// A subject SNS accepts: printable ASCII on one line, at most [`SUBJECT_LIMIT`] characters.
pub fn fit_subject(subject: &str) -> String {
    let clean: String = subject
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                ' '
            }
        })
        .collect();
    if clean.len() <= SUBJECT_LIMIT {
        clean
    } else {
        format!("{}...", &clean[..SUBJECT_LIMIT - 3])
    }
}

/// Reads the facts block back out of a body.
pub fn facts_of(body: &str) -> Option<Facts> {
    let (_, json) = body.rsplit_once(FACTS_HEADER)?;
    serde_json::from_str(json.trim()).ok()
}

/// A body under construction.
struct Body {
    text: String,
}

impl Body {
    fn new() -> Self {
        Body {
            text: String::new(),
        }
    }

    fn para(&mut self, text: &str) {
        let _ = writeln!(self.text, "{text}\n");
    }

    fn who(&mut self, origin: &Origin) {
        let mut line = format!("Who: {}", origin.actor);
        if let Some(service) = &origin.service {
            let _ = write!(line, " (through {service})");
        }
        if let Some(time) = &origin.event_time {
            let _ = write!(line, "\nWhen: {time}");
        }
        if origin.service.is_none() {
            if let Some(ip) = &origin.source_ip {
                let _ = write!(line, "\nFrom: {ip}");
            }
            if let Some(agent) = &origin.user_agent {
                let _ = write!(line, "\nClient: {agent}");
            }
        }
        self.para(&line);
    }

    fn todo(&mut self, steps: &[String]) {
        let mut text = String::from("What you need to do:");
        for (i, step) in steps.iter().enumerate() {
            let _ = write!(text, "\n  {}. {step}", i + 1);
        }
        self.para(&text);
    }

    fn role_policy(&mut self, removal: Removal, when: &str) {
        self.para(&match removal {
            Removal::Retain => format!(
                "The service-linked role AWSServiceRoleForMarketplaceLicenseManagement was kept in every account \
                 (ON_DISABLE=retain). Now that {when}, each account's administrator may delete it once AWS \
                 Marketplace no longer uses it."
            ),
            Removal::Delete => format!(
                "Since {when} and ON_DISABLE=delete, the function deleted the service-linked role \
                 AWSServiceRoleForMarketplaceLicenseManagement where it was present."
            ),
        });
    }

    fn roles(&mut self, run: Run<'_>) {
        let r = run.report;
        let c = &r.accounts;
        let mut text = format!(
            "What the function did{dry}: trusted access is {state} according to AWS Organizations; \
             {checked} account(s) checked: {created} created, {deleted} deleted, {unchanged} unchanged, \
             {skipped} skipped, {failed} failed{planned}.",
            dry = if r.dry_run {
                " (dry run: nothing was changed)"
            } else {
                ""
            },
            state = r.trusted_access.as_deref().unwrap_or("unknown"),
            checked = c.checked,
            created = c.created,
            deleted = c.deleted,
            unchanged = c.unchanged,
            skipped = c.skipped,
            failed = c.failed,
            planned = if c.planned > 0 {
                format!(", {} planned", c.planned)
            } else {
                String::new()
            },
        );
        for a in r.failures() {
            let _ = write!(
                text,
                "\n  - {} failed: {}",
                a.account_id,
                a.error.as_deref().unwrap_or("unknown error")
            );
        }
        for a in r.actions.iter().filter(|a| a.action == Action::Skip) {
            let _ = write!(
                text,
                "\n  - {} skipped: {}",
                a.account_id,
                a.detail.as_deref().unwrap_or("")
            );
        }
        if !r.unreached.is_empty() {
            let _ = write!(
                text,
                "\n  - not reached before the time limit (the next sweep finishes them): {}",
                r.unreached.join(", ")
            );
        }
        self.para(&text);
    }

    fn facts(&mut self, facts: &Facts) {
        let json = serde_json::to_string(facts).unwrap_or_else(|_| "{}".into());
        let _ = write!(self.text, "{FACTS_HEADER}\n{json}\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::AccountAction;

    fn person() -> Origin {
        Origin {
            actor: "arn:aws:iam::123456789012:user/alice".into(),
            service: None,
            event_time: Some("2026-11-20T10:00:00Z".into()),
            source_ip: Some("203.0.113.10".into()),
            user_agent: Some("aws-cli/2.15.0".into()),
        }
    }

    fn marketplace() -> Origin {
        Origin {
            actor: MARKETPLACE_PRINCIPAL.into(),
            service: Some(MARKETPLACE_PRINCIPAL.into()),
            ..person()
        }
    }

    fn report(actions: &[(&str, Action, ActionResult)]) -> Report {
        let mut r = Report::new(
            "EnableAWSServiceAccess",
            Some("e-1".into()),
            MARKETPLACE_PRINCIPAL,
            false,
        );
        r.trusted_access = Some("enabled".into());
        for (id, action, result) in actions {
            r.record(AccountAction {
                account_id: id.to_string(),
                action: *action,
                result: *result,
                detail: Some(
                    if *action == Action::Skip {
                        "account SUSPENDED"
                    } else {
                        "ACTIVE member"
                    }
                    .into(),
                ),
                error: (*result == ActionResult::Failed)
                    .then(|| "AssumeRole: AccessDenied: denied".into()),
            });
        }
        r
    }

    fn run<'a>(trigger: &'a Trigger, report: &'a Report) -> Run<'a> {
        Run {
            trigger,
            organization_id: "o-exampleorgid",
            management_account_id: "123456789012",
            accounts: &[],
            on_disable: Removal::Retain,
            on_departure: Removal::Retain,
            report,
        }
    }

    fn audiences(messages: &[Message]) -> Vec<(&'static str, &'static str)> {
        messages
            .iter()
            .map(|m| (m.audience.as_str(), m.event.as_str()))
            .collect()
    }

    #[test]
    fn a_person_enabling_reaches_the_marketplace_administrator_with_the_console_step() {
        let r = report(&[("111122223333", Action::Create, ActionResult::Done)]);
        let t = Trigger::TrustedAccess {
            enabled: true,
            origin: person(),
        };
        let m = compose(run(&t, &r));
        assert_eq!(
            audiences(&m),
            [("marketplace-admin", "trusted-access-enabled")]
        );
        assert_eq!(m[0].severity, Severity::ActionRequired);
        assert!(m[0].body.contains("AWS Marketplace console"));
        assert!(m[0].body.contains("arn:aws:iam::123456789012:user/alice"));
        assert!(m[0].body.contains("2026-11-20T10:00:00Z"));
        assert!(m[0].body.contains("AWS recommends"));
    }

    #[test]
    fn marketplace_enabling_tells_the_organizations_administrator_it_is_complete() {
        let r = report(&[]);
        let t = Trigger::TrustedAccess {
            enabled: true,
            origin: marketplace(),
        };
        let m = compose(run(&t, &r));
        assert_eq!(
            audiences(&m),
            [("organizations-admin", "trusted-access-enabled")]
        );
        assert!(m[0].subject.contains("complete"));
    }

    #[test]
    fn a_person_disabling_warns_both_administrators() {
        let mut r = report(&[("111122223333", Action::Keep, ActionResult::Done)]);
        r.trusted_access = Some("disabled".into());
        let t = Trigger::TrustedAccess {
            enabled: false,
            origin: person(),
        };
        let m = compose(run(&t, &r));
        assert_eq!(
            audiences(&m),
            [
                ("marketplace-admin", "trusted-access-disabled"),
                ("organizations-admin", "trusted-access-disabled")
            ]
        );
        assert!(m.iter().all(|m| m.severity == Severity::Warning));
        assert!(
            m[1].body
                .contains("Wait until the AWS Marketplace administrator")
        );
        assert!(m[1].body.contains("kept in every account"));
    }

    #[test]
    fn a_departure_names_the_account_for_both_audiences() {
        let mut r = report(&[]);
        r.record(AccountAction {
            account_id: "210987654321".into(),
            action: Action::Keep,
            result: ActionResult::Done,
            detail: Some(crate::reconcile::DEPARTED_DETAIL.into()),
            error: None,
        });
        let t = Trigger::AccountDeparted {
            account_id: "210987654321".into(),
            method: "Left".into(),
            origin: person(),
        };
        let m = compose(run(&t, &r));
        assert_eq!(
            audiences(&m),
            [
                ("organizations-admin", "account-departed"),
                ("account-admin", "account-departed")
            ]
        );
        assert!(
            m.iter()
                .all(|m| m.subject.contains("210987654321") && m.body.contains("may delete it"))
        );
    }

    #[test]
    fn an_event_that_organizations_contradicts_calls_for_no_hand_off() {
        let mut r = report(&[("111122223333", Action::Keep, ActionResult::Done)]);
        r.trusted_access = Some("enabled".into());
        let stale_disable = Trigger::TrustedAccess {
            enabled: false,
            origin: person(),
        };
        assert!(compose(run(&stale_disable, &r)).is_empty());
        r.trusted_access = Some("disabled".into());
        let stale_enable = Trigger::TrustedAccess {
            enabled: true,
            origin: person(),
        };
        assert!(compose(run(&stale_enable, &r)).is_empty());
    }

    #[test]
    fn a_departure_of_an_account_organizations_still_lists_calls_for_no_hand_off() {
        let r = report(&[("210987654321", Action::Keep, ActionResult::Done)]);
        let listed = [MemberAccount {
            id: "210987654321".into(),
            name: "member".into(),
            state: "ACTIVE".into(),
        }];
        let t = Trigger::AccountDeparted {
            account_id: "210987654321".into(),
            method: "Removed".into(),
            origin: person(),
        };
        let still_member = Run {
            accounts: &listed,
            ..run(&t, &r)
        };
        assert!(compose(still_member).is_empty());
        assert_eq!(
            compose(run(&t, &r)).len(),
            2,
            "once it is gone, both audiences hear"
        );
    }

    #[test]
    fn a_sweep_that_changes_nothing_says_nothing_and_one_that_fails_says_so() {
        let quiet = report(&[("111122223333", Action::Keep, ActionResult::Done)]);
        assert!(compose(run(&Trigger::Sweep, &quiet)).is_empty());
        let fixed = report(&[("111122223333", Action::Create, ActionResult::Done)]);
        assert_eq!(
            audiences(&compose(run(&Trigger::Sweep, &fixed))),
            [("organizations-admin", "drift-corrected")]
        );
        let broken = report(&[("111122223333", Action::Keep, ActionResult::Failed)]);
        let m = compose(run(&Trigger::Sweep, &broken));
        assert_eq!(audiences(&m), [("organizations-admin", "reconcile-failed")]);
        assert!(
            m[0].body
                .contains("111122223333 failed: AssumeRole: AccessDenied")
        );
    }

    #[test]
    fn failures_during_an_enable_also_reach_the_organizations_administrator() {
        let r = report(&[("111122223333", Action::Keep, ActionResult::Failed)]);
        let t = Trigger::TrustedAccess {
            enabled: true,
            origin: person(),
        };
        assert_eq!(
            audiences(&compose(run(&t, &r))),
            [
                ("marketplace-admin", "trusted-access-enabled"),
                ("organizations-admin", "reconcile-failed")
            ]
        );
    }

    #[test]
    fn subjects_fit_sns_and_the_facts_block_round_trips() {
        let many: Vec<_> = (0..40).map(|i| (format!("1111222233{i:02}"), i)).collect();
        let actions: Vec<_> = many
            .iter()
            .map(|(id, _)| (id.as_str(), Action::Keep, ActionResult::Failed))
            .collect();
        let r = report(&actions);
        let departed = Trigger::AccountDeparted {
            account_id: "210987654321".into(),
            method: "x".repeat(300),
            origin: person(),
        };
        for t in [
            Trigger::TrustedAccess {
                enabled: true,
                origin: person(),
            },
            Trigger::TrustedAccess {
                enabled: true,
                origin: marketplace(),
            },
            Trigger::TrustedAccess {
                enabled: false,
                origin: person(),
            },
            Trigger::TrustedAccess {
                enabled: false,
                origin: marketplace(),
            },
            departed,
            Trigger::AccountJoined {
                account_id: "210987654321".into(),
                origin: marketplace(),
            },
            Trigger::Sweep,
        ] {
            for m in compose(run(&t, &r)) {
                assert!(m.subject.len() <= SUBJECT_LIMIT, "{}", m.subject);
                assert!(m.subject.chars().all(|c| c.is_ascii_graphic() || c == ' '));
                let facts = facts_of(&m.body).expect("facts block");
                assert_eq!(facts.event, m.event);
                assert_eq!(facts.audience, m.audience);
                assert_eq!(facts.failed.len(), 40);
                let again: Facts =
                    serde_json::from_str(&serde_json::to_string(&facts).unwrap()).unwrap();
                assert_eq!(again, facts);
            }
        }
        assert_eq!(fit_subject(&"é".repeat(200)).len(), SUBJECT_LIMIT);
    }
}
