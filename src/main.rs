//! The `nst` binary: parse flags, run, map errors to exit codes (2 usage, 1 runtime, 130 interrupted).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    quiet_mesa_device_select();
    // RUST_LOG=wgpu_core=info,cubecl=debug … shows the GPU stack's own messages; silent unless set.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("off")).init();
    let cli = cli::args::Cli::parse();
    let result = cli::execute(cli);
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
