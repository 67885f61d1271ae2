//! How a report is written to the log (docs/design.md, "The report"): one JSON line, or for a large
//! organization one summary line and numbered chunks, each within what Lambda's log capture keeps
//! whole.

use crate::report::{AccountAction, Report};
use tracing::{error, info};

/// The largest report logged as one line: under the 256 KiB that Lambda's log capture keeps whole
/// (docs/design.md, "The report"; CloudWatch Logs' 1 MB applies to `PutLogEvents` callers only).
pub const LOG_LINE_LIMIT: usize = 200_000;

/// Logs the report as one JSON line or, when that would be too long for CloudWatch Logs, as one
/// summary line (the report without its actions) and the actions in numbered chunks, each line
/// under [`LOG_LINE_LIMIT`] (docs/design.md, "The report").
pub fn log(report: &Report) {
    each_report_line(report, |line| {
        if report.failure.is_some() {
            error!(target: "report", "{line}");
        } else {
            info!(target: "report", "{line}");
        }
    });
}

/// The log lines of a report (see [`log`]), collected.
pub fn report_lines(report: &Report) -> Vec<String> {
    let mut lines = Vec::new();
    each_report_line(report, |line| lines.push(line));
    lines
}

/// Hands the log lines of a report to `emit` one at a time, so that a large organization's report
/// is never held as text more than one line at a time: its length is counted before it is written.
fn each_report_line(report: &Report, mut emit: impl FnMut(String)) {
    if json_length(report) <= LOG_LINE_LIMIT {
        return emit(report.to_json_line());
    }
    let chunks = chunk_actions(report);
    let mut summary = serde_json::to_value(report.without_accounts()).unwrap_or_default();
    summary["actionChunks"] = chunks.len().into();
    summary["unreachedCount"] = report.unreached.len().into();
    emit(summary.to_string());
    let total = chunks.len();
    for (i, (actions, unreached)) in chunks.into_iter().enumerate() {
        emit(
            serde_json::json!({
                "eventId": report.event_id,
                "trigger": report.trigger,
                "chunk": i + 1,
                "of": total,
                "actions": actions,
                "unreached": unreached,
            })
            .to_string(),
        );
    }
}

/// The length of a value's JSON, counted without writing it.
fn json_length(value: &impl serde::Serialize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).map_or(usize::MAX, |()| count.0)
}

/// The report's actions and unreached accounts, split so that each chunk's line stays well under
/// the limit.
fn chunk_actions(report: &Report) -> Vec<(Vec<&AccountAction>, Vec<&String>)> {
    const BUDGET: usize = LOG_LINE_LIMIT - 1_000;
    let mut chunks = Vec::new();
    let mut current: (Vec<_>, Vec<_>) = (Vec::new(), Vec::new());
    let mut size = 0;
    for action in &report.actions {
        let n = json_length(action) + 1;
        if size + n > BUDGET && !current.0.is_empty() {
            chunks.push(std::mem::take(&mut current));
            size = 0;
        }
        current.0.push(action);
        size += n;
    }
    for id in &report.unreached {
        if size + id.len() + 3 > BUDGET {
            chunks.push(std::mem::take(&mut current));
            size = 0;
        }
        current.1.push(id);
        size += id.len() + 3;
    }
    if !current.0.is_empty() || !current.1.is_empty() {
        chunks.push(current);
    }
    chunks
}
