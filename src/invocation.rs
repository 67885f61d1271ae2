//! One invocation's context, and the time it keeps back from its deadline for the plan's effects
//! and the report (docs/design.md, "One plan, then its effects").

use crate::findings::send::IMPORT_TIMEOUT;
use crate::notify::{PUBLISH_CONCURRENCY, PUBLISH_TIMEOUT, WAIT_FOR_CLAIM};
use crate::plan::needs::Needs;
use std::time::{Duration, Instant};

/// Time kept back for logging the report and answering: no publish starts or waits past the
/// deadline less this.
pub const REPORT_MARGIN: Duration = Duration::from_secs(2);
/// Follow-ups told at once, each with at most two copies (text and chat).
pub const FOLLOW_UP_CONCURRENCY: usize = PUBLISH_CONCURRENCY / 2;

/// The time an invocation keeps back from its deadline for its effects and its report: one
/// [`PUBLISH_TIMEOUT`] for each round of copies published at once, the follow-ups' rounds, one wait
/// for another invocation's claim when the outbox is used, one round of imports when findings are
/// on (more findings than a round holds wait for the next run), and [`REPORT_MARGIN`]. `topics`:
/// how many topics each message goes to (0 in a dry run or without a topic).
pub fn reserve(needs: Needs, topics: usize, outbox: bool) -> Duration {
    let copies = needs.messages * topics;
    let rounds = copies.div_ceil(PUBLISH_CONCURRENCY)
        + (needs.follow_ups * usize::from(topics > 0)).div_ceil(FOLLOW_UP_CONCURRENCY);
    let claim = match outbox && copies > 0 {
        true => WAIT_FOR_CLAIM,
        false => Duration::ZERO,
    };
    let imports = match needs.findings {
        true => IMPORT_TIMEOUT,
        false => Duration::ZERO,
    };
    PUBLISH_TIMEOUT * u32::try_from(rounds).unwrap_or(u32::MAX) + claim + imports + REPORT_MARGIN
}

/// The reserve of a run whose messages fit one round, with the outbox: what a trigger with one
/// or two topics and nothing else to tell keeps back.
pub const RESERVE: Duration = Duration::from_secs(
    PUBLISH_TIMEOUT.as_secs() + WAIT_FOR_CLAIM.as_secs() + REPORT_MARGIN.as_secs(),
);

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

    /// When the last account must be done: the deadline less `reserve`, the time the plan's
    /// effects and the report need.
    pub fn cutoff(&self, reserve: Duration) -> Instant {
        self.deadline.checked_sub(reserve).unwrap_or(self.deadline)
    }

    /// When the plan's effects must be done: the deadline less [`REPORT_MARGIN`].
    pub fn effects_by(&self) -> Instant {
        self.deadline
            .checked_sub(REPORT_MARGIN)
            .unwrap_or(self.deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs(messages: usize, follow_ups: usize) -> Needs {
        Needs {
            messages,
            follow_ups,
            findings: false,
        }
    }

    #[test]
    fn the_reserve_is_a_publish_timeout_per_round_a_claim_s_wait_and_the_report_s_margin() {
        let s = Duration::from_secs;
        // No topic (a dry run): only the report's margin.
        assert_eq!(reserve(needs(4, 3), 0, true), s(2));
        // One round of copies, and the outbox: what RESERVE names.
        assert_eq!(reserve(needs(4, 0), 2, true), RESERVE);
        assert_eq!(RESERVE, s(22));
        // Without the outbox no claim is waited for.
        assert_eq!(reserve(needs(4, 0), 1, false), s(12));
        // Nine messages on two topics are eighteen copies, three rounds of eight; five follow-ups
        // are two rounds of four.
        assert_eq!(reserve(needs(9, 5), 2, true), s(30 + 20 + 10 + 2));
        // Findings keep one round of imports.
        let findings = Needs {
            findings: true,
            ..needs(4, 0)
        };
        assert_eq!(reserve(findings, 2, true), RESERVE + IMPORT_TIMEOUT);
    }

    #[test]
    fn the_cutoff_keeps_the_reserve_and_the_effects_end_before_the_report_s_margin() {
        let deadline = Instant::now() + Duration::from_secs(60);
        let invocation = Invocation {
            request_id: "r".into(),
            deadline,
        };
        assert_eq!(
            invocation.cutoff(Duration::from_secs(42)),
            deadline - Duration::from_secs(42)
        );
        assert_eq!(invocation.effects_by(), deadline - REPORT_MARGIN);
    }
}
