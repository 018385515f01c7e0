//! Command-line syntax. Turning flags into a validated run happens in `main.rs`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use nst::config::Pooling;
use nst::device::DeviceChoice;

#[derive(Parser, Debug)]
#[command(name = "nst", version, about = "Neural style transfer (Gatys et al.) on VGG19")]
#[command(after_help = "Exit status: 0 success, 1 runtime failure, 2 bad usage, input or recipe.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Paint the content photo in the style of the painting.
    Run(Box<RunArgs>),
    /// List the VGG19 layer names a recipe may use.
    Layers,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The photo whose content to keep.
    #[arg(long, short = 'c', value_name = "IMAGE")]
    pub content: PathBuf,
    /// The painting whose style to apply.
    #[arg(long, short = 's', value_name = "IMAGE")]
    pub style: PathBuf,
    /// Where to write the result (.png or .jpg) [default: CONTENT_STYLE.png here].
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Built-in recipe: default or seed (the seed post's Keras table).
    #[arg(long, value_name = "NAME", conflicts_with = "config")]
    pub preset: Option<String>,
    /// Recipe TOML file (see weights/presets/default.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override the recipe's global content weight.
    #[arg(long, value_name = "W")]
    pub content_weight: Option<f64>,
    /// Override the recipe's global style weight.
    #[arg(long, value_name = "W")]
    pub style_weight: Option<f64>,
    /// Override the recipe's variation (smoothness) weight.
    #[arg(long, value_name = "W")]
    pub tv_weight: Option<f64>,
    /// L-BFGS iterations [default: the recipe's, 500].
    #[arg(long, short = 'n', value_name = "N")]
    pub iterations: Option<usize>,
    /// L-BFGS history size [default: the recipe's, 10].
    #[arg(long, value_name = "N")]
    pub history: Option<usize>,
    /// Pooling between VGG19 blocks [default: the recipe's, max].
    #[arg(long, value_enum)]
    pub pooling: Option<Pooling>,
    /// Longer side of the output in pixels.
    #[arg(long, value_name = "PX", default_value_t = 512)]
    pub size: u32,
    /// Longer side the style image is scaled to [default: --size].
    #[arg(long, value_name = "PX")]
    pub style_size: Option<u32>,
    /// Starting image: content, noise, or an image file.
    #[arg(long, value_name = "content|noise|FILE", default_value = "content")]
    pub init: String,
    /// Seed for --init noise; the same seed gives the same run on the same device.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where to compute: auto (a GPU if found, else the CPU), gpu or cpu.
    #[arg(long, value_enum, default_value = "auto")]
    pub device: DeviceChoice,
    /// VGG19 weights (safetensors; Keras or torchvision names) [default: built in].
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// On Ctrl-C or SIGTERM, leave no output instead of writing the image so far.
    #[arg(long)]
    pub no_partial: bool,
    /// No progress bar, notices or summary; errors only.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}
