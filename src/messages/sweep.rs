//! Hand-offs of a sweep: drift corrected, accounts failing, and accounts recovered.

use super::*;

pub(super) fn recovered(cx: Context<'_>) -> Message {
    let mut b = Writer::new();
    let shown: Vec<&str> = cx
        .recovered
        .iter()
        .take(TEXT_LIST_CAP)
        .map(String::as_str)
        .collect();
    b.para(&format!(
        "The {} account(s) that earlier sweeps of organization {} could not reconcile are reconciled \
         now: {}{}. Nothing is required of you.",
        cx.recovered.len(),
        cx.about.organization.organization_id,
        shown.join(", "),
        if cx.recovered.len() > TEXT_LIST_CAP {
            ", …"
        } else {
            ""
        }
    ));
    b.summary(cx);
    message(
        cx,
        Header {
            audience: Audience::OrganizationsAdmin,
            event: Event::ReconcileRecovered,
            severity: Severity::Info,
            subject: &format!(
                "Recovered: Marketplace role reconciled again in {} account(s)",
                cx.recovered.len()
            ),
            origin: None,
            account: None,
        },
        b,
    )
}

pub(super) fn sweep(cx: Context<'_>) -> Vec<Message> {
    let o = cx.outcome;
    let failed = cx.warnings();
    let changed = o.changes().count();
    if failed == 0 && (changed == 0 || cx.dry_run) {
        return Vec::new();
    }
    let organization = &cx.about.organization.organization_id;
    let mut b = Writer::new();
    let (event, severity, subject) = if failed > 0 {
        let transient = cx.failures().all(AccountResult::failed_transiently);
        if transient {
            b.para(&format!(
                "Reconciling the AWS Marketplace service-linked role in organization {organization} left \
                 {failed} account(s) not reconciled, for reasons that usually pass (throttling, time-outs, \
                 time running out). The function tries them again; nothing is required of you unless \
                 this repeats."
            ));
        } else {
            b.para(&format!(
                "Reconciling the AWS Marketplace service-linked role in organization {organization} left \
                 {failed} account(s) not reconciled. The next sweep tries them again; fix the cause \
                 below so that it can succeed."
            ));
            b.todo(&[
                "For each failed account, check that the member role the function assumes exists there and \
                 trusts the function's execution role (it is deployed by the StackSet of this stack)."
                    .into(),
                format!("Check trusted access for {MARKETPLACE_PRINCIPAL} in the {ORGANIZATIONS_CONSOLE}."),
            ]);
        }
        (
            Event::ReconcileFailed,
            Severity::Warning,
            format!("Warning: Marketplace role not reconciled in {failed} account(s)"),
        )
    } else {
        b.para(&format!(
            "A sweep of organization {organization} found the AWS Marketplace service-linked role out of \
             place in {changed} account(s) and corrected it. Nothing is required of you."
        ));
        (
            Event::DriftCorrected,
            Severity::Info,
            format!("Marketplace service-linked role corrected in {changed} account(s)"),
        )
    };
    b.summary(cx);
    vec![message(
        cx,
        Header {
            audience: Audience::OrganizationsAdmin,
            event,
            severity,
            subject: &subject,
            origin: None,
            account: None,
        },
        b,
    )]
}
