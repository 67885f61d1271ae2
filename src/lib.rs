//! Keeps the AWS Marketplace service-linked role where AWS Organizations trusted access says it must
//! be, and tells the Organizations and Marketplace administrators what happened and what to do next.
//!
//! Where things are:
//! - [`intake`]: events and commands parsed into triggers, or ignored with a reason;
//! - [`decision`]: the pure per-account decision;
//! - [`reconcile`]: observe, decide and act across accounts, bounded and deadline-aware;
//! - [`aws`]: the adapters, the only code that calls AWS;
//! - [`messages`]: the wording of every hand-off;
//! - [`report`]: the report every invocation returns;
//! - [`handler`]: one invocation, end to end;
//! - [`config`]: the environment, validated once.

pub mod aws;
pub mod config;
pub mod decision;
pub mod handler;
pub mod intake;
pub mod messages;
pub mod reconcile;
pub mod report;
