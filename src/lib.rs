//! Keeps the AWS Marketplace service-linked role where AWS Organizations trusted access says it must
//! be, and tells the Organizations and Marketplace administrators what happened and what to do next.
//! `docs/design.md` explains the design; this is where each part lives:
//!
//! - [`intake`]: events and commands parsed into triggers, or ignored with a reason;
//! - [`decision`]: the pure per-account decision, and which accounts a trigger looks at;
//! - [`reconcile`]: observe, decide and act across accounts, bounded and deadline-aware;
//! - [`outcome`]: what a reconciliation found and did, as typed values;
//! - [`messages`]: the wording of every hand-off, from the outcome;
//! - [`notify`]: delivering the hand-offs;
//! - [`report`]: the report every invocation returns, built from the outcome; [`metrics`]: its
//!   figures as CloudWatch metrics;
//! - [`handler`]: one invocation, end to end;
//! - [`ports`]: the seams to AWS; [`aws`]: the adapters, the only code that calls AWS;
//!   [`fake`]: in-memory adapters for tests and benchmarks;
//! - [`config`]: the environment, validated once.

pub mod aws;
pub mod catalog;
pub mod config;
pub mod continuation;
pub mod decision;
pub mod drift;
pub mod error;
#[cfg(feature = "test-util")]
pub mod fake;
pub mod guardian;
pub mod handler;
pub mod intake;
pub mod invocation;
pub mod messages;
pub mod metrics;
pub mod notify;
pub mod outcome;
pub mod ports;
pub mod reconcile;
pub mod report;
pub mod service;
pub mod sweep_memory;
pub mod truth;
