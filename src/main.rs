//! The `nst` binary: parse flags, run, map errors to exit codes (2 usage, 1 runtime, 130 interrupted).

mod batch;
mod cli;
mod devices;
mod events;
mod progress;
mod run;
mod run_log;
mod score_images;
mod show;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

fn main() -> ExitCode {
    quiet_mesa_device_select();
    // RUST_LOG=wgpu_core=info,cubecl=debug … shows the GPU stack's own messages; silent unless set.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("off")).init();
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Run(args) => run::run(*args),
        cli::Command::Batch(args) => batch::batch(*args),
        cli::Command::Features(args) => show::features(args),
        cli::Command::Score(args) => score_images::score(args),
        cli::Command::Layers => {
            run::print_layers();
            Ok(())
        }
        cli::Command::Devices(args) => devices::devices(args.check),
        cli::Command::Completions { shell } => {
            clap_complete::generate(shell, &mut cli::Cli::command(), "nst", &mut std::io::stdout());
            Ok(())
        }
        cli::Command::Man => clap_mangen::Man::new(cli::Cli::command())
            .render(&mut std::io::stdout())
            .map_err(|e| anyhow::anyhow!("writing the manual page: {e}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("nst: {err:#}");
            ExitCode::from(nst::error::exit_code(&err))
        }
    }
}

/// Mesa's implicit Vulkan layer VK_LAYER_MESA_device_select asks the Wayland compositor which GPU
/// drives the desktop; with no session (SSH, CI, containers) libwayland then prints "error:
/// XDG_RUNTIME_DIR is invalid or not set" twice per run. nst picks its adapter itself, so the layer
/// has nothing to add there; the layer's own switch turns it off.
fn quiet_mesa_device_select() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() && std::env::var_os("NODEVICE_SELECT").is_none() {
        // SAFETY: the first thing main does, before any other thread exists.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("NODEVICE_SELECT", "1")
        };
    }
}
