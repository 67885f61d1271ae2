//! `make fuzz`: intake over generated payloads (by default 1,000,000; `FUZZ_PAYLOADS` sets the
//! count), with the generators of the property tests. Run without `--bench` (as
//! `cargo test --all-targets` does, in `make test`) it checks 2,000 payloads only. Every payload must be answered with a
//! trigger or a reason; a panic is caught, counted and shown, and fails the run. Prints the count,
//! the payloads per second and the panics, for docs/benchmarks.md.

#[path = "../it/payloads.rs"]
mod payloads;

use marketplace_trusted_access::intake::{self, Kind};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::time::{Duration, Instant};

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let count: u64 = std::env::var("FUZZ_PAYLOADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench { 1_000_000 } else { 2_000 });
    // A fixed seed: a run can be repeated, payload for payload.
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let strategy = payloads::payload();
    // Keep the default hook's message off the terminal; the first panics are shown below.
    std::panic::set_hook(Box::new(|_| {}));
    let (mut handled, mut ignored, mut panics) = (0u64, 0u64, Vec::new());
    let mut parsing = Duration::ZERO;
    let started = Instant::now();
    for _ in 0..count {
        let payload = match strategy.new_tree(&mut runner) {
            Ok(tree) => tree.current(),
            Err(e) => panic!("the generator failed: {e}"),
        };
        let at = Instant::now();
        let answer = std::panic::catch_unwind(|| intake::parse(&payload));
        parsing += at.elapsed();
        match answer {
            Ok(intake) if matches!(intake.kind, Kind::Handle(_)) => handled += 1,
            Ok(_) => ignored += 1,
            Err(_) => panics.push(payload),
        }
    }
    let elapsed = started.elapsed();
    let _ = std::panic::take_hook();
    println!("payloads:            {count}");
    println!("handled / ignored:   {handled} / {ignored}");
    println!("panics:              {}", panics.len());
    println!(
        "wall time:           {:.1} s ({:.0} payloads/s, generation included)",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64()
    );
    println!(
        "intake alone:        {:.1} s ({:.0} payloads/s)",
        parsing.as_secs_f64(),
        count as f64 / parsing.as_secs_f64().max(f64::EPSILON)
    );
    for payload in panics.iter().take(5) {
        println!("panicked on: {payload}");
    }
    if !panics.is_empty() {
        std::process::exit(1);
    }
}
