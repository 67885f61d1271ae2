//! What a person sees while a run goes: a progress bar on standard error (accounts done / total, rate,
//! failures), drawn only on a terminal and never with `--quiet`; and Ctrl-C, which stops starting
//! accounts, lets those in flight finish, and leaves the partial result to be printed.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use marketplace_trusted_access::outcome::{AccountResult, ActionResult};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// The bar's layout: `⠋ plan [=====>    ] 5/13 accounts · 2.1/s · 1 failed`.
const TEMPLATE: &str =
    "{spinner} {prefix} [{bar:30.cyan/blue}] {pos}/{len} accounts · {rate} · {msg}";

/// A progress bar over accounts, or nothing.
#[derive(Clone)]
pub struct Progress {
    bar: ProgressBar,
    failed: Arc<AtomicUsize>,
}

impl Progress {
    /// Whether a bar is drawn: standard error is a terminal and `--quiet` was not given.
    pub fn visible(quiet: bool) -> bool {
        !quiet && std::io::stderr().is_terminal()
    }

    /// A bar that draws nothing until [`Progress::start`].
    pub fn new(visible: bool) -> Progress {
        let bar = if visible {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .expect("the template is valid")
                .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ "),
        );
        Progress {
            bar,
            failed: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A spinner while the organization is read.
    pub fn reading(&self, what: &str) {
        self.bar.set_message(format!("reading {what}…"));
        self.bar.enable_steady_tick(Duration::from_millis(100));
    }

    /// The bar for `total` accounts.
    pub fn start(&self, prefix: &'static str, total: usize) {
        self.failed.store(0, Ordering::Relaxed);
        self.bar.set_message("0 failed");
        self.bar.set_prefix(prefix);
        self.bar.set_length(total as u64);
        self.bar.set_style(
            ProgressStyle::with_template(TEMPLATE)
                .expect("the template is valid")
                .with_key(
                    "rate",
                    |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.1}/s", state.per_sec());
                    },
                )
                .progress_chars("=> ")
                .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ "),
        );
        self.bar.reset();
        self.bar.enable_steady_tick(Duration::from_millis(100));
        self.bar.tick();
    }

    /// Counts one finished account.
    pub fn account_done(&self, result: &AccountResult) {
        if result.result == ActionResult::Failed {
            let failed = self.failed.fetch_add(1, Ordering::Relaxed) + 1;
            self.bar.set_message(format!("{failed} failed"));
        }
        self.bar.inc(1);
    }

    /// Removes the bar from the terminal.
    pub fn clear(&self) {
        self.bar.finish_and_clear();
    }

    /// Prints a line on standard error without tearing the bar.
    pub fn note(&self, line: &str) {
        self.bar.suspend(|| super::say(&format!("{line}\n")));
    }
}

/// Ctrl-C: the first stops new accounts (the reconciler's stop flag), the second exits at once,
/// saying that accounts in flight may be half-done.
#[derive(Clone)]
pub struct Interrupt {
    stop: Arc<AtomicBool>,
    notify: Arc<Notify>,
}

impl Interrupt {
    /// Starts listening for Ctrl-C (SIGINT); from now on it no longer ends the process at once.
    pub fn install(progress: Progress) -> Interrupt {
        let interrupt = Interrupt {
            stop: Arc::new(AtomicBool::new(false)),
            notify: Arc::new(Notify::new()),
        };
        let this = interrupt.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            this.stop.store(true, Ordering::SeqCst);
            this.notify.notify_waiters();
            progress.note(
                "mta: interrupted: no new account is started; those in flight finish, then the \
                 partial result is printed (Ctrl-C again to quit at once)",
            );
            if tokio::signal::ctrl_c().await.is_ok() {
                progress.clear();
                super::say(
                    "mta: interrupted twice: quitting now; accounts in flight may be half-done. \
                     Run `mta status` to see where each account stands.\n",
                );
                std::process::exit(i32::from(super::Exit::Interrupted.code()));
            }
        });
        interrupt
    }

    /// The reconciler's stop flag.
    pub fn flag(&self) -> &AtomicBool {
        &self.stop
    }

    pub fn interrupted(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Resolves once Ctrl-C is pressed.
    pub async fn wait(&self) {
        let notified = self.notify.notified();
        if self.interrupted() {
            return;
        }
        notified.await;
    }
}
