//! `mta explain EVENT.json`: how the function reads an event, offline, with no AWS call. The reading
//! is `intake::parse`, the function's own; this module only words it and says which accounts the
//! trigger looks at (`decision::Scope`).

use marketplace_trusted_access::catalog;
use marketplace_trusted_access::decision::Scope;
use marketplace_trusted_access::intake::{
    self, DepartureMethod, Intake, Kind, MadeBy, Origin, Trigger,
};
use serde::Serialize;
use serde_json::Value;

/// Which accounts a run would look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Looks {
    /// Every account (`ListAccounts`), the management account first.
    Organization,
    /// The listed accounts (`DescribeAccount` each); those outside the organization are skipped.
    Listed { accounts: Vec<String> },
    /// One account (`DescribeAccount`); when `departed`, it counts as departed if Organizations no
    /// longer lists it.
    Account { account: String, departed: bool },
    /// None: the event is ignored, with no AWS call.
    Nothing,
}

impl From<Scope> for Looks {
    fn from(scope: Scope) -> Looks {
        match scope {
            Scope::Organization => Looks::Organization,
            Scope::Listed(accounts) => Looks::Listed { accounts },
            Scope::Named {
                account_id,
                departed,
                ..
            } => Looks::Account {
                account: account_id,
                departed,
            },
        }
    }
}

/// The explanation of one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// The trigger's name, as the report gives it.
    pub trigger: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The account whose trail recorded the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_in: Option<String>,
    pub handled: bool,
    /// Why it is ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What happened, as far as the event says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub what: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The AWS service that made the call, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_time: Option<String>,
    /// A dry run, as a command may ask.
    pub dry_run: bool,
    pub looks_at: Looks,
    /// What is only known at run time, and so not checked here.
    pub at_run_time: Vec<String>,
}

/// Explains `payload`. With `management_account`, an event recorded in another account is ignored,
/// as the function ignores it once it has read the organization.
pub fn explain(payload: &Value, management_account: Option<&str>) -> Explanation {
    let intake = intake::parse(payload);
    let mut e = Explanation {
        trigger: intake.name.clone(),
        event_id: intake.event_id.clone(),
        recorded_in: intake.recorded_in.clone(),
        handled: false,
        reason: None,
        what: None,
        actor: None,
        service: None,
        event_time: None,
        dry_run: false,
        looks_at: Looks::Nothing,
        at_run_time: Vec::new(),
    };
    let trigger = match &intake.kind {
        Kind::Ignore(reason) => {
            e.reason = Some(reason.clone());
            return e;
        }
        Kind::Handle(trigger) => trigger,
    };
    if let Some(reason) = recorded_elsewhere(&intake, management_account) {
        e.reason = Some(reason);
        return e;
    }
    e.handled = true;
    let origin = |e: &mut Explanation, o: &Origin| {
        e.actor = Some(o.actor.clone());
        e.service = o.service.clone();
        e.event_time = o.event_time.clone();
    };
    match trigger {
        Trigger::TrustedAccess {
            principal,
            enabled,
            origin: o,
        } if trigger.observed().is_none() => {
            origin(&mut e, o);
            e.what = Some(format!(
                "trusted access for {principal} was {} {}",
                if *enabled { "enabled" } else { "disabled" },
                made_by(o, principal)
            ));
            e.at_run_time.push(
                "whether trusted access is enabled now: Organizations, not the event, decides \
                 each account's role; a contradicted event calls for no hand-off"
                    .into(),
            );
        }
        Trigger::TrustedAccess {
            principal,
            enabled,
            origin: o,
        } => {
            origin(&mut e, o);
            e.what = Some(format!(
                "trusted access for {principal} was {} {}: observed and told, never changed",
                if *enabled { "enabled" } else { "disabled" },
                made_by(o, principal)
            ));
            e.at_run_time.push(
                "whether Organizations lists the service as enabled now: a contradicted event \
                 calls for no hand-off"
                    .into(),
            );
        }
        Trigger::DelegatedAdmin {
            principal,
            account_id,
            registered,
            origin: o,
        } => {
            origin(&mut e, o);
            e.what = Some(format!(
                "account {account_id} was {} as delegated administrator for {principal}",
                if *registered {
                    "registered"
                } else {
                    "deregistered"
                }
            ));
            e.at_run_time.push(
                "whether Organizations lists the account as that service's delegated \
                 administrator now"
                    .into(),
            );
        }
        Trigger::DelegationPolicy {
            deleted, origin: o, ..
        } => {
            origin(&mut e, o);
            e.what = Some(format!(
                "the organization's resource-based delegation policy was {}",
                if *deleted { "deleted" } else { "put" }
            ));
            e.at_run_time.push(
                "the policy in force now (DescribeResourcePolicy), statement by statement; the \
                 event's copy of the content is not read"
                    .into(),
            );
        }
        Trigger::AccountDeparted {
            account_id,
            method,
            origin: o,
        } => {
            origin(&mut e, o);
            let how = match method {
                DepartureMethod::Unknown => String::new(),
                m => format!(" ({m})"),
            };
            e.what = Some(format!("account {account_id} left the organization{how}"));
            e.at_run_time.push(format!(
                "whether Organizations still lists {account_id}: if it does, it is a member and \
                 keeps its role; if not, its role is retained unless ON_DEPARTURE=delete"
            ));
        }
        Trigger::AccountJoined {
            account_id,
            method,
            origin: o,
        } => {
            origin(&mut e, o);
            let how = method
                .as_ref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default();
            e.what = Some(format!("account {account_id} joined the organization{how}"));
            e.at_run_time.push(format!(
                "whether {account_id} is an ACTIVE member and trusted access is enabled: then \
                 its role is created"
            ));
        }
        Trigger::MemberRoleDeployed {
            account_id: Some(account_id),
            succeeded,
            reason,
            ..
        } => {
            e.what = Some(if *succeeded {
                format!("the member-role StackSet deployed the member role to account {account_id}")
            } else {
                format!(
                    "the member-role StackSet could not deploy the member role to account \
                     {account_id}: {}",
                    reason.as_deref().unwrap_or("no reason given")
                )
            });
            e.at_run_time.push(format!(
                "whether {account_id} is an ACTIVE member and trusted access is enabled: then its \
                 role is created and the Organizations administrator told once"
            ));
        }
        Trigger::MemberRoleDeployed {
            account_id: None,
            reason,
            stack_set,
            ..
        } => {
            e.what = Some(format!(
                "the member-role StackSet {} could not deploy the member role, to an account its \
                 event does not name: {}",
                stack_set.as_deref().unwrap_or("(unnamed)"),
                reason.as_deref().unwrap_or("no reason given")
            ));
            e.at_run_time.push(
                "nothing to reconcile; the Organizations administrator is warned once".to_string(),
            );
        }
        Trigger::Continuation(request) => {
            e.dry_run = request.dry_run;
            e.what = Some(format!(
                "attempt {} of the run started by {} {}: the accounts it had not finished",
                request.attempt, request.trigger, request.event_id
            ));
        }
        Trigger::Sweep => {
            e.what = Some("the scheduled sweep: drift detection across the organization".into());
        }
        Trigger::Command { dry_run, .. } => {
            e.dry_run = *dry_run;
            e.what = Some(format!(
                "an operator's reconcile command{}",
                if *dry_run {
                    " (dry run: no mutating call)"
                } else {
                    ""
                }
            ));
        }
    }
    // Which accounts a run looks at is the trigger's own scope, as the function derives it.
    e.looks_at = Looks::from(trigger.scope());
    if let (None, Some(recorded)) = (management_account, &intake.recorded_in) {
        e.at_run_time.insert(
            0,
            format!(
                "that {recorded}, where the event was recorded, is the organization's \
                     management account (otherwise it is ignored; --management-account checks it)"
            ),
        );
    }
    e
}

/// The function's reason for ignoring an event recorded outside the management account.
fn recorded_elsewhere(intake: &Intake, management_account: Option<&str>) -> Option<String> {
    let management = management_account?;
    let recorded = intake.recorded_in.as_deref().filter(|r| *r != management)?;
    Some(format!(
        "the event was recorded in account {recorded}, not in the management account {management}"
    ))
}

impl Explanation {
    /// For a person.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut line = |label: &str, value: &str| out.push_str(&format!("{label:<11}{value}\n"));
        line("Trigger:", &self.trigger);
        if let Some(id) = &self.event_id {
            line("Event id:", id);
        }
        if let Some(r) = &self.recorded_in {
            line("Recorded:", &format!("in account {r}"));
        }
        if !self.handled {
            line(
                "Ignored:",
                self.reason.as_deref().unwrap_or("no reason given"),
            );
            line("Looks at:", "no account: no AWS call, no notification");
            return out;
        }
        line("Handled:", self.what.as_deref().unwrap_or(""));
        if let Some(actor) = &self.actor {
            line("By:", actor);
        }
        if let Some(service) = &self.service {
            line("Via:", &format!("the AWS service {service}"));
        }
        if let Some(time) = &self.event_time {
            line("At:", time);
        }
        line(
            "Looks at:",
            &match &self.looks_at {
                Looks::Organization => {
                    "every account of the organization (ListAccounts), the management account \
                     first; only ACTIVE accounts are entered"
                        .to_string()
                }
                Looks::Listed { accounts } => format!(
                    "the listed accounts {} (DescribeAccount); any not in the organization is skipped",
                    accounts.join(", ")
                ),
                Looks::Account { account, departed } => format!(
                    "account {account} only (DescribeAccount){}",
                    if *departed {
                        ", as departed if Organizations no longer lists it"
                    } else {
                        ""
                    }
                ),
                Looks::Nothing => "no account".to_string(),
            },
        );
        if self.dry_run {
            line(
                "Dry run:",
                "yes: no mutating call, no notification published",
            );
        }
        for (i, item) in self.at_run_time.iter().enumerate() {
            line(if i == 0 { "At run:" } else { "" }, item);
        }
        out
    }
}

/// Who made a change about `principal`, as the messages and the ledger judge it (docs/design.md,
/// "Who made a change").
fn made_by(origin: &Origin, principal: &str) -> String {
    let name = catalog::name_of(principal);
    match origin.made_by(principal) {
        MadeBy::TheService => format!("by {name} itself"),
        MadeBy::AnotherService(caller) => format!(
            "by {} ({caller}) for whoever used it, not by {name} itself",
            catalog::name_of(caller)
        ),
        MadeBy::Person => format!("with Organizations tools, not by {name} itself"),
    }
}
