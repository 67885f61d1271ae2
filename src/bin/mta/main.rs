//! `mta`, the operator's command line: wiring only (the commands are in `cli`, on the library's public API).

use clap::Parser;
use cli::args::Cli;
use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    // No code path is meant to panic; should one, say so in one line rather than with a trace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("mta: internal error, please report it: {info}");
    }));
    // clap prints usage errors and `--help` itself, and exits 2 (or 0 for help and version).
    let args = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("mta: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    ExitCode::from(runtime.block_on(cli::run(args)).code())
}
