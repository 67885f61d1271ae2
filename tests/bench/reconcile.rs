//! Speed and memory of a reconciliation, against the AWS emulator (`make bench`, which runs
//! `cargo bench --bench reconcile`). Prints a Markdown table for docs/benchmarks.md.
//!
//! The emulator (moto, one Python process) answers far slower than AWS, so the absolute times bound
//! what the function costs from above; the ratios between concurrency levels and organization sizes
//! are what the figures are for. Run without `--bench` (as `cargo test --all-targets` does) it only
//! checks, on a tiny organization, that the benchmark still works.

#[path = "../it/common/mod.rs"]
#[expect(dead_code, reason = "the bench uses a few of the test helpers")]
mod common;

use common::proxy::CountingProxy;
use common::{Emulator, MARKETPLACE_PRINCIPAL, app_as, no_deadline, sample};
use marketplace_trusted_access::config::Config;
use marketplace_trusted_access::decision::{Action, Facts, Membership, RoleState, decide};
use marketplace_trusted_access::intake::parse;
use marketplace_trusted_access::report::ReportOutcome as Outcome;
use serde_json::json;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Peak resident memory of this process so far (Linux `VmHWM`), in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// Mean time of `f` over `n` runs.
fn per_op(n: u32, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed() / n
}

/// The three runs' times, and the connections and requests the function's clients made, counted by
/// a keep-alive proxy in front of the emulator.
async fn sweep(members: usize, concurrency: usize) -> ([Duration; 3], usize, usize) {
    let emulator = Emulator::start().await;
    emulator.seed_organization(members, 1).await;
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
        .await;
    let config = Config {
        max_concurrency: concurrency,
        ..Config::default()
    };
    let proxy = CountingProxy::start(emulator.endpoint()).await;
    let sdk = proxy.management_config(&emulator);
    let app = app_as(&sdk, config);
    let command = |dry_run: bool| json!({"command": "reconcile", "dryRun": dry_run});

    let t = Instant::now();
    let plan = app.handle(&command(true), &no_deadline()).await;
    let dry = t.elapsed();
    assert_eq!(
        plan.accounts.planned, members,
        "management + active members"
    );

    let t = Instant::now();
    let created = app
        .handle(&sample("enable-by-cli-iamuser.json"), &no_deadline())
        .await;
    let create = t.elapsed();
    assert_eq!(
        (created.outcome, created.accounts.created),
        (Outcome::Reconciled, members)
    );

    let t = Instant::now();
    let replay = app.handle(&command(false), &no_deadline()).await;
    let noop = t.elapsed();
    assert_eq!(replay.accounts.unchanged, members);
    ([dry, create, noop], proxy.connections(), proxy.requests())
}

#[tokio::main]
async fn main() {
    against_the_emulator(std::env::args().any(|a| a == "--bench")).await;
}

async fn against_the_emulator(full: bool) {
    let cases: &[(usize, usize)] = if full {
        &[(50, 1), (50, 4), (50, 16), (200, 16), (200, 64)]
    } else {
        &[(3, 2)]
    };

    println!(
        "| accounts | MAX_CONCURRENCY | dry run | enable (create all) | replay (no change) | connections (requests), three runs |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for &(members, concurrency) in cases {
        let ([dry, create, noop], connections, requests) = sweep(members, concurrency).await;
        println!(
            "| {} | {concurrency} | {:.2} s | {:.2} s | {:.2} s | {connections} ({requests}) |",
            members + 1,
            dry.as_secs_f64(),
            create.as_secs_f64(),
            noop.as_secs_f64()
        );
    }
    println!(
        "\npeak resident memory of the process running the function's code: {:.1} MiB",
        peak_rss_mib()
    );

    // The CPU side, without AWS: parsing an event and deciding one account.
    let n = if full { 100_000 } else { 100 };
    let events: Vec<_> = [
        "enable-by-console-assumedrole.json",
        "account-departed-service-event.json",
        "ignored-failed-call.json",
    ]
    .iter()
    .map(|f| sample(f))
    .collect();
    let parse_time = per_op(n, || {
        for e in &events {
            black_box(parse(black_box(e)));
        }
    }) / events.len() as u32;
    let facts = Facts {
        trusted_access: true,
        membership: Membership::Active,
        role: RoleState::Absent,
        removal: marketplace_trusted_access::config::Removal::Retain,
    };
    let decide_time = per_op(n * 10, || {
        assert_eq!(decide(black_box(facts)), Action::Create);
    });
    println!(
        "parse one CloudTrail event: {:.1} µs; decide one account: {} ns",
        parse_time.as_secs_f64() * 1e6,
        decide_time.as_nanos()
    );
}
