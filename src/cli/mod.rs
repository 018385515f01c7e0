//! The `nst` binary's side: command-line syntax ([`args`]), one file per command, what the
//! painting commands share ([`paint`]), and how a run shows itself to a person or a script
//! ([`progress`], [`events`], [`log`]). Everything else is the library, `nst::`.

pub mod args;
mod batch;
mod devices;
mod events;
mod features;
mod log;
mod paint;
mod placing;
mod progress;
mod run;
mod score;
mod video;

use anyhow::Result;
use clap::CommandFactory;

use args::{Cli, Command};

/// Run the command the user asked for.
pub fn execute(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run::run(*args),
        Command::Batch(args) => batch::batch(*args),
        Command::Video(args) => video::video(*args),
        Command::Features(args) => features::features(args),
        Command::Score(args) => score::score(args),
        Command::Layers => {
            run::print_layers();
            Ok(())
        }
        Command::Devices(args) => devices::devices(args.check),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "nst", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => clap_mangen::Man::new(Cli::command())
            .render(&mut std::io::stdout())
            .map_err(|e| anyhow::anyhow!("writing the manual page: {e}")),
    }
}
