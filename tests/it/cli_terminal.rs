//! `mta` on a pseudo-terminal (the harness is `cli.rs`): the progress bar drawn then cleared,
//! absent when piped or `--quiet`; `apply`'s question on a terminal.

use crate::cli::*;
use crate::cli_emulator::*;
use crate::common::*;
use std::collections::BTreeSet;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::process::Command;

// ---------------------------------------------------------------------------------------------
// On a terminal

/// A pseudo-terminal whose output is collected as it comes.
struct Terminal {
    master: std::fs::File,
    output: Arc<Mutex<Vec<u8>>>,
}

impl Terminal {
    const ROWS: u16 = 50;
    const COLUMNS: u16 = 160;

    /// Opens one; returns it and its other end.
    fn open() -> (Terminal, OwnedFd) {
        let size = nix::pty::Winsize {
            ws_row: Self::ROWS,
            ws_col: Self::COLUMNS,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = nix::pty::openpty(Some(&size), None).expect("openpty");
        let master = std::fs::File::from(pty.master);
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().expect("clone");
        let sink = Arc::clone(&output);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Ends with EIO once the program and this test have closed their ends.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        (Terminal { master, output }, pty.slave)
    }

    fn bytes(&self) -> Vec<u8> {
        self.output.lock().unwrap().clone()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }

    async fn wait_for(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.text().contains(what) {
            assert!(
                Instant::now() < deadline,
                "{what:?} never came: {}",
                self.text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn type_line(&mut self, line: &str) {
        use std::io::Write;
        self.master
            .write_all(format!("{line}\n").as_bytes())
            .expect("type");
    }

    fn parser() -> vt100::Parser {
        let size = |n: u16| std::num::NonZero::new(n).expect("a terminal has a size");
        vt100::Parser::new(size(Self::ROWS), size(Self::COLUMNS), 0)
    }

    /// What a person sees once the program is done.
    fn screen(&self) -> String {
        let mut parser = Self::parser();
        parser.process(&self.bytes());
        parser.screen().contents()
    }

    /// Every screen the output went through, one per carriage return.
    fn screens(&self) -> Vec<String> {
        let bytes = self.bytes();
        let mut parser = Self::parser();
        bytes
            .split_inclusive(|b| *b == b'\r')
            .map(|chunk| {
                parser.process(chunk);
                parser.screen().contents()
            })
            .collect()
    }
}

/// `mta` with the given standard streams on the terminal (`true`) or piped.
fn on_terminal(
    mut command: Command,
    slave: &OwnedFd,
    stdin: bool,
    stdout: bool,
    stderr: bool,
) -> tokio::process::Child {
    let end = |on: bool| -> Stdio {
        if on {
            Stdio::from(slave.try_clone().expect("dup"))
        } else {
            Stdio::piped()
        }
    };
    command
        .env("TERM", "xterm-256color")
        .stdin(if stdin { end(true) } else { Stdio::null() })
        .stdout(end(stdout))
        .stderr(end(stderr));
    command.spawn().expect("spawn mta")
}

/// The accounts done, as a bar line shows them: `… 3/9 accounts · …`.
fn position(line: &str, total: usize) -> Option<usize> {
    let before = &line[..line.find(&format!("/{total} accounts"))?];
    let digits: String = before
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

fn bar_line(screen: &str, total: usize) -> Option<&str> {
    screen
        .lines()
        .find(|l| l.contains(&format!("/{total} accounts ·")))
}

#[tokio::test]
async fn the_progress_bar_draws_on_a_terminal_then_clears_and_is_absent_when_piped() {
    let (emulator, org) = organization(8, 0).await;
    let total = all_accounts(&org).len();
    let slow = slow_proxy(emulator.endpoint(), Duration::from_millis(60)).await;

    // ON a terminal: the bar counts the accounts, then leaves only the table
    let (terminal, slave) = Terminal::open();
    let mut c = mta_command(&slow, true);
    c.args(["status", "--concurrency", "2"]);
    let mut child = on_terminal(c, &slave, true, true, true);
    drop(slave);
    let status = child.wait().await.expect("wait");
    assert_eq!(status.code(), Some(1));
    terminal.wait_for("missing the role").await;
    let screens = terminal.screens();
    let drawn: Vec<&str> = screens.iter().filter_map(|s| bar_line(s, total)).collect();
    let positions: BTreeSet<usize> = drawn.iter().filter_map(|l| position(l, total)).collect();
    assert!(
        positions.iter().any(|p| (1..total).contains(p)),
        "never drawn mid-run: {drawn:?}"
    );
    assert!(
        drawn
            .iter()
            .all(|l| l.contains("/s") && l.contains("failed")),
        "{drawn:?}"
    );
    let last = terminal.screen();
    assert_eq!(bar_line(&last, total), None, "the bar stayed:\n{last}");
    assert!(
        !last.contains("accounts ·") && !last.contains("reading the organization"),
        "{last}"
    );
    assert!(
        last.contains("ACCOUNT") && last.contains(&org.active[7]),
        "{last}"
    );

    // PIPED: no bar, no escape sequence, the same table
    let piped = mta(&slow, &["status", "--concurrency", "2"]).await;
    assert_eq!(piped.code, 1);
    assert_eq!(piped.stderr, "", "standard error is not a terminal");
    assert!(!piped.stdout.contains('\x1b'));
    for id in all_accounts(&org) {
        assert!(last.contains(&id) && piped.stdout.contains(&id), "{id}");
    }

    // QUIET on a terminal: no bar either
    let (terminal, slave) = Terminal::open();
    let mut c = mta_command(&slow, true);
    c.args(["status", "--quiet"]);
    let mut child = on_terminal(c, &slave, true, true, true);
    drop(slave);
    assert_eq!(child.wait().await.expect("wait").code(), Some(1));
    terminal.wait_for("missing the role").await;
    assert!(
        !terminal.text().contains("accounts ·"),
        "{}",
        terminal.text()
    );
}

#[tokio::test]
async fn apply_on_a_terminal_shows_the_plan_and_asks_first() {
    let (emulator, org) = organization(2, 0).await;
    let entered = all_accounts(&org);
    emulator.start_recording().await;

    // WHEN the operator answers no
    let (mut terminal, slave) = Terminal::open();
    let mut c = mta_command(emulator.endpoint(), true);
    c.args(["apply"]);
    let child = on_terminal(c, &slave, true, false, true);
    drop(slave);
    terminal.wait_for("[y/N] ").await;
    let asked = terminal.screen();
    assert!(
        asked.contains("Plan (dry run: nothing is changed)"),
        "{asked}"
    );
    for id in &entered {
        assert!(
            asked.lines().any(|l| l.starts_with(id.as_str())
                && l.contains("create")
                && l.contains("planned")),
            "{id} not in the plan shown:\n{asked}"
        );
    }
    assert!(
        asked.contains(&format!(
            "Apply 3 change(s) to organization {} (3 create, 0 delete)? [y/N]",
            org.org_id
        )),
        "{asked}"
    );
    terminal.type_line("n");
    let out = child.wait_with_output().await.expect("wait");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    terminal.wait_for("Nothing was changed.").await;
    assert_eq!(
        mutating(&emulator.recorded_actions().await),
        Vec::<String>::new()
    );

    // WHEN the operator answers yes
    let (mut terminal, slave) = Terminal::open();
    let mut c = mta_command(emulator.endpoint(), true);
    c.args(["apply"]);
    let child = on_terminal(c, &slave, true, false, true);
    drop(slave);
    terminal.wait_for("[y/N] ").await;
    terminal.type_line("y");
    let out = child.wait_with_output().await.expect("wait");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("Applied: "), "{stdout}");
    for id in &entered {
        assert!(emulator.marketplace_role_exists(id).await, "{id}");
    }
}
