//! How a report is written to the log (docs/design.md, "The report"): one log event, or for a
//! large organization one summary event and numbered chunks, each within what Lambda's log capture
//! keeps whole.
//!
//! Under Lambda's JSON log format (`AWS_LAMBDA_LOG_FORMAT=JSON`, the template's `LogFormat: JSON`)
//! each event is the report itself as a JSON object, written whole to standard output: Lambda
//! passes a line that is already JSON through without encoding it again, so CloudWatch Logs
//! Insights reads `outcome` or `accounts.failed` as fields. Under the text format it is one JSON
//! line through `tracing`, as every other log line.

use crate::report::{AccountAction, Report};
use serde::Serialize;
use std::io::Write;
use std::sync::OnceLock;
use tracing::{Level, error, info};

/// The largest log event a report is written as: under the 256 KiB that Lambda's log capture
/// keeps whole (docs/design.md, "The report"; CloudWatch Logs' 1 MB applies to `PutLogEvents`
/// callers only). Counted on the bytes as written; the text format's prefix (level and span)
/// stays far within the margin.
pub const LOG_LINE_LIMIT: usize = 200_000;

/// How log events are written, as Lambda's advanced logging controls set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Plain text: the runtime's default.
    Text,
    /// One JSON object per event.
    Json,
}

impl LogFormat {
    /// `AWS_LAMBDA_LOG_FORMAT`, which Lambda sets from the function's logging configuration and
    /// which the runtime's subscriber reads too.
    pub fn of(value: Option<&str>) -> LogFormat {
        match value {
            Some(v) if v.eq_ignore_ascii_case("json") => LogFormat::Json,
            _ => LogFormat::Text,
        }
    }

    /// The format of this process, read once.
    fn current() -> LogFormat {
        static FORMAT: OnceLock<LogFormat> = OnceLock::new();
        *FORMAT
            .get_or_init(|| LogFormat::of(std::env::var("AWS_LAMBDA_LOG_FORMAT").ok().as_deref()))
    }
}

/// One log event of a report: its level and kind, then the report's own fields.
#[derive(Serialize)]
struct LogEvent<'a, T: Serialize> {
    level: &'static str,
    /// `report`, `report-summary` or `report-chunk`.
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    body: &'a T,
}

/// The first event of a report logged in chunks: the report without its per-account lists.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    #[serde(flatten)]
    report: Report,
    action_chunks: usize,
    unreached_count: usize,
}

/// One chunk of a report's per-account lists.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Chunk<'a> {
    event_id: &'a Option<String>,
    trigger: &'a str,
    chunk: usize,
    of: usize,
    actions: Vec<&'a AccountAction>,
    unreached: Vec<&'a String>,
}

/// Logs the report as one event or, when that would be too long for CloudWatch Logs, as one
/// summary event and the per-account lists in numbered chunks, each under [`LOG_LINE_LIMIT`].
pub fn log(report: &Report) {
    let level = match report.failure {
        Some(_) => Level::ERROR,
        None => Level::INFO,
    };
    // The level the runtime's filter (`AWS_LAMBDA_LOG_LEVEL`, `RUST_LOG`) lets through.
    let enabled = match level {
        Level::ERROR => tracing::enabled!(target: "report", Level::ERROR),
        _ => tracing::enabled!(target: "report", Level::INFO),
    };
    if !enabled {
        return;
    }
    let format = LogFormat::current();
    each_event(report, format, level, |line| match (format, level) {
        (LogFormat::Json, _) => {
            // Written whole under the lock, so that no other line interleaves.
            let mut out = std::io::stdout().lock();
            let _ = out
                .write_all(line.as_bytes())
                .and_then(|()| out.write_all(b"\n"));
        }
        (LogFormat::Text, Level::ERROR) => error!(target: "report", "{line}"),
        (LogFormat::Text, _) => info!(target: "report", "{line}"),
    });
}

/// The log lines of a report in `format` (see [`log`]), collected.
pub fn report_lines(report: &Report, format: LogFormat) -> Vec<String> {
    let mut lines = Vec::new();
    each_event(report, format, Level::INFO, |line| lines.push(line));
    lines
}

/// Hands the log events of a report to `emit` one at a time, so that a large organization's
/// report is never held as text more than one event at a time: its length is counted first.
fn each_event(report: &Report, format: LogFormat, level: Level, mut emit: impl FnMut(String)) {
    let text = |kind, body: &dyn erased::Body| match format {
        LogFormat::Json => body.json_with(level_name(level), kind),
        LogFormat::Text => body.json(),
    };
    let size = |kind, body: &dyn erased::Body| match format {
        LogFormat::Json => body.json_length_with(level_name(level), kind),
        LogFormat::Text => body.json_length(),
    };
    if size("report", report) <= LOG_LINE_LIMIT {
        return emit(text("report", report));
    }
    let chunks = chunk_actions(report, |c| size("report-chunk", c));
    let summary = Summary {
        report: report.without_accounts(),
        action_chunks: chunks.len(),
        unreached_count: report.unreached.len(),
    };
    emit(text("report-summary", &summary));
    let total = chunks.len();
    for (i, (actions, unreached)) in chunks.into_iter().enumerate() {
        let chunk = Chunk {
            event_id: &report.event_id,
            trigger: &report.trigger,
            chunk: i + 1,
            of: total,
            actions,
            unreached,
        };
        emit(text("report-chunk", &chunk));
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::ERROR => "ERROR",
        _ => "INFO",
    }
}

/// The bodies a report is logged as, serialized alone or inside a [`LogEvent`].
mod erased {
    use super::LogEvent;
    use serde::Serialize;

    pub(super) trait Body {
        fn json(&self) -> String;
        fn json_with(&self, level: &'static str, kind: &'static str) -> String;
        fn json_length(&self) -> usize;
        fn json_length_with(&self, level: &'static str, kind: &'static str) -> usize;
    }

    impl<T: Serialize> Body for T {
        fn json(&self) -> String {
            to_string(self)
        }
        fn json_with(&self, level: &'static str, kind: &'static str) -> String {
            to_string(&LogEvent {
                level,
                kind,
                body: self,
            })
        }
        fn json_length(&self) -> usize {
            length(self)
        }
        fn json_length_with(&self, level: &'static str, kind: &'static str) -> usize {
            length(&LogEvent {
                level,
                kind,
                body: self,
            })
        }
    }

    fn to_string(value: &impl Serialize) -> String {
        serde_json::to_string(value)
            .unwrap_or_else(|e| format!("{{\"error\":\"report not serializable: {e}\"}}"))
    }

    /// The length of a value's JSON, counted without writing it.
    fn length(value: &impl Serialize) -> usize {
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
}

/// The report's actions and unreached accounts, split so that each chunk's event, as `size`
/// measures it written, stays under the limit.
fn chunk_actions(
    report: &Report,
    size: impl Fn(&Chunk<'_>) -> usize,
) -> Vec<(Vec<&AccountAction>, Vec<&String>)> {
    // What a chunk's event holds besides its lists: the event id, the trigger, the numbers.
    let frame = size(&Chunk {
        event_id: &report.event_id,
        trigger: &report.trigger,
        chunk: usize::MAX,
        of: usize::MAX,
        actions: Vec::new(),
        unreached: Vec::new(),
    });
    let budget = LOG_LINE_LIMIT.saturating_sub(frame);
    let mut chunks = Vec::new();
    let mut current: (Vec<_>, Vec<_>) = (Vec::new(), Vec::new());
    let mut used = 0;
    let items = report
        .actions
        .iter()
        .map(|a| (Some(a), None, erased::Body::json_length(a) + 1))
        .chain(
            report
                .unreached
                .iter()
                .map(|id| (None, Some(id), erased::Body::json_length(id) + 1)),
        );
    for (action, id, n) in items {
        if used + n > budget && (!current.0.is_empty() || !current.1.is_empty()) {
            chunks.push(std::mem::take(&mut current));
            used = 0;
        }
        current.0.extend(action);
        current.1.extend(id);
        used += n;
    }
    if !current.0.is_empty() || !current.1.is_empty() {
        chunks.push(current);
    }
    chunks
}
