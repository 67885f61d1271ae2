//! One invocation's context, and the time it keeps back from its deadline for the hand-offs and
//! the report (docs/design.md, "Level-triggered reconciliation").

use crate::notify::PUBLISH_TIMEOUT;
use std::time::{Duration, Instant};

/// Hand-offs one invocation may send: the trigger's own (at most two), a failure summary and a
/// recovery.
const MAX_MESSAGES: u32 = 4;
/// Time kept back for logging the report and answering.
const REPORT_MARGIN: Duration = Duration::from_secs(2);
/// Time kept back from the deadline for the hand-offs and the report: no account runs later than
/// the deadline less this.
pub const RESERVE: Duration =
    Duration::from_secs(PUBLISH_TIMEOUT.as_secs() * MAX_MESSAGES as u64 + REPORT_MARGIN.as_secs());

/// One invocation's context: the Lambda request id, which names the session in member accounts'
/// CloudTrail, and the time Lambda stops the invocation.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    pub deadline: Instant,
}

impl Invocation {
    /// An invocation outside Lambda (`mta`, tests) that must end by `deadline`. Its id is unique
    /// in this process and across processes, as a Lambda request id is: it names the invocation's
    /// claims on hand-offs.
    pub fn until(deadline: Instant) -> Invocation {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Invocation {
            request_id: format!("local-{}-{n}", std::process::id()),
            deadline,
        }
    }

    /// The session name AssumeRole records in member accounts: at most 64 characters of
    /// `[\w+=,.@-]`.
    pub fn session_name(&self) -> String {
        let id: String = self
            .request_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(*c))
            .take(60)
            .collect();
        format!("mta-{id}")
    }

    /// When the last account must be done: the deadline less the time the hand-offs and the report
    /// need.
    pub fn cutoff(&self) -> Instant {
        self.deadline.checked_sub(RESERVE).unwrap_or(self.deadline)
    }
}
