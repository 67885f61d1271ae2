//! The reconciler at the scale of real organizations, on the in-memory organization of `fake` with
//! AWS-like latency on every call and Tokio's paused clock: the times below are what a run would take
//! against AWS answering in that latency, computed without waiting for it (docs/benchmarks.md).

use crate::common::sample;
use marketplace_trusted_access::config::Config;
use marketplace_trusted_access::fake::FakeCloud;
use marketplace_trusted_access::handler::{App, Invocation};
use std::time::{Duration, Instant};

/// One sweep creating the role in every account of `members` + 1, with `latency` per call, under a
/// 15-minute Lambda deadline. Returns the simulated time, the accounts reached and those handed on.
async fn sweep(members: usize, latency: Duration, concurrency: usize) -> (Duration, usize, usize) {
    let cloud = FakeCloud::organization(members);
    cloud.set_trusted_access(true);
    cloud.world().latency = latency;
    let config = Config {
        max_concurrency: concurrency,
        ..Config::default()
    };
    let started = tokio::time::Instant::now();
    let report = App::with_ports(config, cloud.ports())
        .handle(
            &sample("enable-by-cli-iamuser.json"),
            &Invocation::until(Instant::now() + Duration::from_secs(900)),
        )
        .await;
    let took = started.elapsed();
    // The figures of docs/benchmarks.md (`cargo test --test it scale -- --nocapture`).
    println!(
        "\n{} accounts, {latency:?} per call, {concurrency} in flight: {took:?} (bound {:?}); \
         {} reached, {} handed on",
        members + 1,
        bound(members, latency, concurrency),
        report.actions.len(),
        report.unreached.len()
    );
    (took, report.actions.len(), report.unreached.len())
}

/// N·k·L/C: every account's calls (AssumeRole, GetRole, CreateServiceLinkedRole; two in the
/// management account) at `latency`, `concurrency` at a time.
fn bound(members: usize, latency: Duration, concurrency: usize) -> Duration {
    latency * (3 * members + 2) as u32 / concurrency as u32
}

#[tokio::test(start_paused = true)]
async fn two_hundred_accounts_at_forty_milliseconds_sweep_within_two_fifths_of_their_bound() {
    let latency = Duration::from_millis(40);
    let (took, reached, left) = sweep(200, latency, 16).await;
    assert_eq!((reached, left), (201, 0));
    let ratio = took.as_secs_f64() / bound(200, latency, 16).as_secs_f64();
    // Beyond the bound: the calls made once (the organization, the outbox, the hand-off ledger).
    assert!(
        (1.0..=1.4).contains(&ratio),
        "{took:?}: {ratio:.2} of the bound"
    );
}

#[tokio::test(start_paused = true)]
async fn ten_thousand_accounts_at_a_hundred_milliseconds_fit_one_invocation() {
    let latency = Duration::from_millis(100);
    let (took, reached, left) = sweep(10_000, latency, 16).await;
    assert_eq!((reached, left), (10_001, 0));
    assert!(took < Duration::from_secs(900 - 42), "{took:?}");
    let ratio = took.as_secs_f64() / bound(10_000, latency, 16).as_secs_f64();
    assert!(ratio <= 1.3, "{took:?}: {ratio:.2} of the bound");
}

#[tokio::test(start_paused = true)]
async fn beyond_one_invocation_the_rest_is_handed_on() {
    // At 1 s per call, 10,001 accounts need more than the 858 s one invocation gives them.
    let (took, reached, left) = sweep(10_000, Duration::from_secs(1), 16).await;
    assert!(took <= Duration::from_secs(900), "{took:?}");
    assert_eq!(reached + left, 10_001);
    assert!(
        left > 0 && reached > 4_000,
        "{reached} reached, {left} handed on"
    );
}

/// A scheduled sweep of `members` + 1 accounts at `latency`, with `expected` as EXPECTED_SERVICES
/// (and, with it, AWS Config's administrator meant to be another account, as
/// EXPECTED_DELEGATED_ADMINS) and two other services enabled, one with a delegated administrator:
/// its simulated time, and the principals and administrators its report says differ.
async fn timed_sweep(
    members: usize,
    latency: Duration,
    expected: Option<Vec<String>>,
) -> (Duration, usize) {
    let cloud = FakeCloud::organization(members);
    cloud.set_trusted_access(true);
    {
        let mut world = cloud.world();
        world.latency = latency;
        world.services = [
            "sso.amazonaws.com".to_string(),
            "config.amazonaws.com".to_string(),
        ]
        .into();
        world.delegated_admins = vec![marketplace_trusted_access::ports::DelegatedAdmin {
            account_id: marketplace_trusted_access::fake::member_id(0),
            name: "security".into(),
            principals: vec!["config.amazonaws.com".into()],
        }];
    }
    let admins = expected.as_ref().map(|_| {
        let intent = format!(
            "config.amazonaws.com={}",
            marketplace_trusted_access::fake::member_id(1)
        );
        marketplace_trusted_access::config::parse_expected_admins(&intent).expect("valid")
    });
    let config = Config {
        expected_services: expected,
        expected_delegated_admins: admins,
        ..Config::default()
    };
    let started = tokio::time::Instant::now();
    let report = App::with_ports(config, cloud.ports())
        .handle(
            &sample("scheduled.json"),
            &Invocation::until(Instant::now() + Duration::from_secs(900)),
        )
        .await;
    assert_eq!(report.actions.len(), members + 1);
    let differing = report.services.as_ref().map_or(0, |s| {
        s.differing.len() + s.differing_delegated_administrators.len()
    });
    (started.elapsed(), differing)
}

#[tokio::test(start_paused = true)]
async fn expected_services_add_calls_per_sweep_not_per_account() {
    let latency = Duration::from_millis(100);
    let (plain, _) = timed_sweep(10_000, latency, None).await;
    let expected = vec![
        marketplace_trusted_access::service::MARKETPLACE
            .principal
            .to_string(),
        "sso.amazonaws.com".to_string(),
    ];
    let (watched, differing) = timed_sweep(10_000, latency, Some(expected)).await;
    // AWS Config is not expected, and its administrator is the wrong account (one unexpected, one
    // missing).
    assert_eq!(differing, 3);
    println!(
        "\n10001 accounts, {latency:?} per call, a sweep: {plain:?}; with EXPECTED_SERVICES and \
         EXPECTED_DELEGATED_ADMINS: {watched:?} ({:+.2} %)",
        (watched.as_secs_f64() / plain.as_secs_f64() - 1.0) * 100.0
    );
    assert!(
        watched.as_secs_f64() <= plain.as_secs_f64() * 1.05,
        "{watched:?} against {plain:?}"
    );
}

/// A scheduled sweep of 10,000 members and the management account at 100 ms per call, 1,000 of the
/// members refusing `AssumeRole`, with the state table, and with findings on or off: its simulated
/// time, and what became of the findings.
async fn sweep_with_unreachable(findings: bool) -> (Duration, Option<serde_json::Value>, usize) {
    let cloud = FakeCloud::organization(10_000);
    cloud.set_trusted_access(true);
    {
        let mut world = cloud.world();
        world.latency = Duration::from_millis(100);
        for n in 0..1_000 {
            let account = world
                .accounts
                .get_mut(&marketplace_trusted_access::fake::member_id(n))
                .expect("a member");
            let denied = marketplace_trusted_access::ports::AwsError::new("AccessDenied", "denied");
            account.errors.insert("sts:AssumeRole", denied);
        }
    }
    let mut ports = cloud.ports();
    if findings {
        ports.security_hub = Some(std::sync::Arc::new(cloud.clone()));
    }
    let config = Config {
        state_table: Some("state".into()),
        security_hub_findings: findings,
        ..Config::default()
    };
    let started = tokio::time::Instant::now();
    let report = App::with_ports(config, ports)
        .handle(
            &sample("scheduled.json"),
            &Invocation::until(Instant::now() + Duration::from_secs(900)),
        )
        .await;
    assert_eq!(report.accounts.failed, 1_000);
    let sent = report
        .findings
        .as_ref()
        .map(|f| serde_json::to_value(f).unwrap());
    let imported: usize = cloud.world().imported.iter().map(Vec::len).sum();
    (started.elapsed(), sent, imported)
}

#[tokio::test(start_paused = true)]
async fn findings_for_a_thousand_unreachable_accounts_cost_a_sweep_of_ten_thousand_little() {
    let (plain, none, _) = sweep_with_unreachable(false).await;
    assert_eq!(none, None);
    let (with, sent, imported) = sweep_with_unreachable(true).await;
    let sent = sent.expect("findings reported");
    assert_eq!(
        (sent["imported"].as_u64(), imported),
        (Some(1_000), 1_000),
        "{sent}"
    );
    assert!(sent["calls"].as_u64() >= Some(10), "{sent}");
    println!(
        "\n10001 accounts, 1000 unreachable, 100 ms per call, a sweep: {plain:?}; with findings: \
         {with:?} ({:+.2} %, {} import calls)",
        (with.as_secs_f64() / plain.as_secs_f64() - 1.0) * 100.0,
        sent["calls"]
    );
    assert!(
        with.as_secs_f64() <= plain.as_secs_f64() * 1.05,
        "{with:?} against {plain:?}"
    );
}
