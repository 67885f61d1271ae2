//! Keeps the AWS Marketplace service-linked role where AWS Organizations trusted access says it must
//! be, guards trusted access and delegated administrators for every other service, and tells each
//! administrator what happened and what to do next. `docs/design.md` explains the design
//! ("Architecture" maps every module); in the order of an invocation:
//!
//! - [`intake`]: events and commands parsed into triggers (and who made a change), or ignored with
//!   a reason; [`principal`]: service principals, normalised and compared one way;
//! - [`truth`]: what Organizations says, read once; [`guardian`]: other services, observed;
//!   [`delegation_policy`]: the Organizations delegation policy, read statement by statement;
//!   [`guardrail`]: the identity policy that prevents what the guardian detects;
//! - [`decision`], [`reconcile`], [`outcome`]: the per-account decision, acted on, as typed values;
//! - [`continuation`], [`sweep_memory`], [`drift`], [`memory`]: the rest of a run, and what a sweep
//!   remembers of the conditions it found;
//! - [`plan`], [`apply`]: one plan from what was read, then its effects (docs/design.md, "One plan,
//!   then its effects");
//! - [`handoff`], [`ledger`]: hand-offs followed until a person says they are done;
//! - [`message`], [`messages`], [`notify`]: a message as it is published (a leaf), the wording of
//!   every hand-off, and its delivery through the outbox;
//! - [`report`], [`metrics`]: the report every invocation returns, and its figures; [`findings`]:
//!   the standing conditions as Security Hub findings;
//! - [`handler`]: one invocation, end to end; [`invocation`]: its deadline;
//! - [`catalog`], [`service`]: every service as data, and AWS Marketplace's entry;
//! - [`ports`], [`error`]: the seams to AWS and the shared errors; [`aws`]: the adapters, the only
//!   code that calls AWS; `fake` (feature `test-util`): in-memory adapters for tests and benches;
//! - [`config`]: the environment, validated once.

pub mod apply;
pub mod aws;
pub mod catalog;
pub mod config;
pub mod continuation;
pub mod decision;
pub mod delegation;
pub mod delegation_policy;
pub mod drift;
pub mod error;
#[cfg(feature = "test-util")]
pub mod fake;
pub mod findings;
pub mod guardian;
pub mod guardrail;
pub mod handler;
pub mod handoff;
pub mod intake;
pub mod invocation;
pub mod ledger;
pub mod memory;
pub mod message;
pub mod messages;
pub mod metrics;
pub mod notify;
pub mod outcome;
pub mod plan;
pub mod ports;
pub mod principal;
pub mod reconcile;
pub mod report;
pub mod service;
pub mod sweep_memory;
pub mod truth;
