//! The integration tests, in one binary so that they link the AWS SDK once and share a pool of
//! emulators (see `common`).
//!
//! - `reconcile`, `notifications`: the behaviour, on in-memory fakes behind the same ports as AWS;
//! - `aws_runs`: one run per trigger family through the real SDK clients against the emulator;
//! - `connections`: one connection pool for every account, counted by a keep-alive proxy;
//! - `emulator`: the emulator's corrections, so that the tests above are not fooled by it;
//! - `least_privilege`: the templates' policies, enforced by the emulator's IAM;
//! - `cargo_lambda`: every sample event through the real Lambda runtime;
//! - `deadline`: a sweep with slow SNS, hung accounts and drift answers before Lambda's deadline;
//! - `delegation`: delegated administrators held to `EXPECTED_DELEGATED_ADMINS`, through the function;
//! - `guardrail`: the policy `mta guardrail` prints, evaluated, and the template's copy of it;
//! - `events`, `notifications_doc`, `template_actions`: the samples, the rendered messages and the
//!   template, checked offline;
//! - `sns`: hand-offs through the emulator's SNS to per-audience subscriptions;
//! - `chat`: their chat copies, on the chat topic;
//! - `properties` (with the generators of `payloads`): intake, configuration and composition for
//!   any input.

mod as_aws_sends;
mod aws_runs;
mod cargo_lambda;
mod catalog;
mod chat;
mod cli;
mod cli_emulator;
mod cli_export;
mod cli_terminal;
mod common;
mod connections;
mod deadline;
mod delegation;
mod emulator;
mod events;
mod findings;
mod findings_doc;
mod guardian;
mod guardrail;
mod handoffs;
mod layout;
mod least_privilege;
mod least_privilege_denied;
mod ledger;
mod ledger_e2e;
mod notifications;
mod notifications_doc;
mod payloads;
mod properties;
mod reconcile;
mod responders;
mod scale;
mod sns;
mod state;
mod template_actions;
mod template_function;
mod template_params;
mod template_rules;
