//! The function's report (`report::Report`), as text for a person. `--json` prints the report itself,
//! field for field as the function logs it.

use super::table::Table;
use marketplace_trusted_access::decision::Action;
use marketplace_trusted_access::outcome::ActionResult;
use marketplace_trusted_access::report::Report;

/// Which run a report comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    Plan,
    Apply,
}

/// The report as a table of actions, the counts, and what the hand-offs would say.
pub fn report_text(report: &Report, run: Run) -> String {
    let trusted = report
        .trusted_access
        .map_or("unknown".to_string(), |t| t.to_string());
    let title = match run {
        Run::Plan => "Plan (dry run: nothing is changed)",
        Run::Apply => "Applied",
    };
    let mut out = format!(
        "{title}: trusted access for {} is {trusted}; outcome {}\n\n",
        report.service_principal,
        word(report.outcome)
    );
    out.push_str(&actions(report).render());
    let failures: Vec<_> = report.failures().collect();
    if !failures.is_empty() {
        out.push('\n');
        for a in failures {
            out.push_str(&format!(
                "{}: {}{}\n",
                a.account_id,
                a.error.as_deref().unwrap_or("failed"),
                a.error_kind
                    .map(|k| format!(
                        " ({})",
                        serde_json::to_value(k)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    ))
                    .unwrap_or_default()
            ));
        }
    }
    if !report.unreached.is_empty() {
        out.push_str(&format!(
            "\nNot reached ({}): {}\n",
            report.unreached.len(),
            report.unreached.join(", ")
        ));
    }
    let c = &report.accounts;
    out.push_str(&format!(
        "\n{} accounts checked: {} created, {} deleted, {} planned, {} unchanged, {} skipped, {} failed",
        c.checked, c.created, c.deleted, c.planned, c.unchanged, c.skipped, c.failed
    ));
    if c.pending > 0 {
        out.push_str(&format!(", {} pending", c.pending));
    }
    if !report.unreached.is_empty() {
        out.push_str(&format!(", {} not reached", report.unreached.len()));
    }
    out.push('\n');
    if !report.notifications.is_empty() {
        out.push_str(match run {
            Run::Plan => "\nHand-offs the function would send:\n",
            Run::Apply => "\nHand-offs (not sent by mta; the function sends them to its topic):\n",
        });
        for n in &report.notifications {
            out.push_str(&format!("  to {}: {}\n", n.audience.as_str(), n.subject));
        }
    }
    if run == Run::Plan {
        let changes = report.accounts.planned;
        out.push_str(&if changes == 0 {
            "\nNothing to change.\n".to_string()
        } else {
            format!("\n{changes} change(s) planned: `mta apply` with the same flags makes them.\n")
        });
    }
    out
}

/// A value as the report's JSON spells it: the one way an enum becomes text.
fn word(value: impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The report's accounts, one row each: the action, its result and why.
pub fn actions(report: &Report) -> Table {
    let mut table = Table::new(["ACCOUNT", "ACTION", "RESULT", "DETAIL"]);
    for a in &report.actions {
        let result = match (a.action, a.result) {
            (Action::Keep | Action::Skip, ActionResult::Done) => "-",
            (_, ActionResult::Done) => "done",
            (_, ActionResult::Planned) => "planned",
            (_, ActionResult::Failed) => "FAILED",
            (_, ActionResult::Pending) => "pending",
        };
        table.row(vec![
            a.account_id.clone(),
            word(a.action),
            result.into(),
            a.detail.clone().unwrap_or_default(),
        ]);
    }
    table
}
