//! Speed and memory of a reconciliation, against the AWS emulator (`make bench`, which runs
//! `cargo bench --bench reconcile`). Prints a Markdown table for docs/benchmarks.md.
//!
//! The emulator (moto, one Python process) answers far slower than AWS, so the absolute times bound
//! what the function costs from above; the ratios between concurrency levels and organization sizes
//! are what the figures are for. Run without `--bench` (as `cargo test --all-targets` does) it only
//! checks, on a tiny organization, that the benchmark still works.

#[path = "../it/common/mod.rs"]
#[allow(dead_code)] // the bench uses a few of the test helpers
mod common;

use common::{Emulator, MARKETPLACE_PRINCIPAL, app, no_deadline, sample};
use marketplace_trusted_access::config::Config;
use marketplace_trusted_access::decision::{Action, Facts, Membership, RoleState, decide};
use marketplace_trusted_access::fake::FakeCloud;
use marketplace_trusted_access::handler::{App, Invocation};
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

async fn sweep(members: usize, concurrency: usize) -> (Duration, Duration, Duration) {
    let emulator = Emulator::start().await;
    emulator.seed_organization(members, 1).await;
    emulator
        .set_trusted_access(MARKETPLACE_PRINCIPAL, true)
        .await;
    let config = Config {
        max_concurrency: concurrency,
        ..Config::default()
    };
    let app = app(&emulator, config);
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
    (dry, create, noop)
}

/// One sweep that creates the role everywhere, on an in-memory organization of `members` whose every
/// call takes `latency`, on Tokio's paused clock: the time is what the run would take against an AWS
/// answering in `latency`, computed without waiting for it. Returns (simulated time, accounts
/// reached, accounts handed on, real time spent).
async fn at_scale(
    members: usize,
    latency: Duration,
    concurrency: usize,
    deadline: Duration,
) -> (Duration, usize, usize, Duration) {
    let cloud = FakeCloud::organization(members);
    cloud.set_trusted_access(true);
    cloud.world().latency = latency;
    let config = Config {
        max_concurrency: concurrency,
        ..Config::default()
    };
    let app = App::with_ports(config, cloud.ports());
    let real = Instant::now();
    let started = tokio::time::Instant::now();
    let report = app
        .handle(
            &sample("enable-by-cli-iamuser.json"),
            &Invocation::until(Instant::now() + deadline),
        )
        .await;
    let simulated = started.elapsed();
    (
        simulated,
        report.actions.len(),
        report.unreached.len(),
        real.elapsed(),
    )
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    // At scale, on in-memory fakes with AWS-like latency (see `at_scale`).
    let paused = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    let lambda = Duration::from_secs(900);
    let cases: &[(usize, u64, usize)] = if full {
        &[
            (200, 40, 16),
            (2_000, 100, 16),
            (10_000, 100, 16),
            (10_000, 100, 64),
        ]
    } else {
        &[(20, 40, 4)]
    };
    println!(
        "| accounts | latency per call | MAX_CONCURRENCY | sweep (simulated) | bound N·k·L/C | ratio | CPU time |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &(members, ms, concurrency) in cases {
        let latency = Duration::from_millis(ms);
        let (took, reached, left, real) =
            paused.block_on(at_scale(members, latency, concurrency, lambda));
        assert_eq!((reached, left), (members + 1, 0));
        // k = 3 calls per member (AssumeRole, GetRole, CreateServiceLinkedRole), 2 in the
        // management account.
        let calls = 3 * members + 2;
        let bound = latency * calls as u32 / concurrency as u32;
        println!(
            "| {} | {ms} ms | {concurrency} | {:.1} s | {:.1} s | {:.2} | {:.2} s |",
            members + 1,
            took.as_secs_f64(),
            bound.as_secs_f64(),
            took.as_secs_f64() / bound.as_secs_f64(),
            real.as_secs_f64()
        );
        if members == 2_000 || !full {
            println!(
                "peak resident memory after {} accounts (function code on fakes): {:.1} MiB",
                members + 1,
                peak_rss_mib()
            );
        }
    }
    if full {
        // Beyond one invocation: calls slowed to 1 s, so that 10,000 accounts need more than the
        // 858 s one invocation gives them; the continuation finishes the rest.
        let (took, reached, left, _) =
            paused.block_on(at_scale(10_000, Duration::from_secs(1), 16, lambda));
        println!(
            "\n10,001 accounts at 1 s per call, MAX_CONCURRENCY 16: the first invocation reached {reached} \
             in {:.0} s and handed {left} on to its continuation",
            took.as_secs_f64()
        );
    }
    drop(paused);
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(against_the_emulator(full));
}

async fn against_the_emulator(full: bool) {
    let cases: &[(usize, usize)] = if full {
        &[(50, 1), (50, 4), (50, 16), (200, 16), (200, 64)]
    } else {
        &[(3, 2)]
    };

    println!("| accounts | MAX_CONCURRENCY | dry run | enable (create all) | replay (no change) |");
    println!("|---:|---:|---:|---:|---:|");
    for &(members, concurrency) in cases {
        let (dry, create, noop) = sweep(members, concurrency).await;
        println!(
            "| {} | {concurrency} | {:.2} s | {:.2} s | {:.2} s |",
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
