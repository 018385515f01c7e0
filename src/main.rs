//! The `nst` binary: parse flags, run, map errors to exit codes (2 usage, 1 runtime, 130 interrupted).

mod batch;
mod cli;
mod progress;
mod run;
mod run_log;
mod show;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Run(args) => run::run(*args),
        cli::Command::Batch(args) => batch::batch(*args),
        cli::Command::Features(args) => show::features(args),
        cli::Command::Layers => {
            run::print_layers();
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("nst: {err:#}");
            ExitCode::from(nst::error::exit_code(&err))
        }
    }
}
