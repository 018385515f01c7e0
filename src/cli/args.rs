//! Command-line syntax: every command and flag, documented. Turning flags into a validated run
//! happens in `paint.rs`, `run.rs` and `batch.rs`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use nst::device::DeviceChoice;
use nst::jobs::Shard;
use nst::recipe::Overrides;

#[derive(Parser, Debug)]
#[command(name = "nst", version, about = "Neural style transfer (Gatys et al.) on VGG19")]
#[command(after_help = "Exit status: 0 success, 1 runtime failure, 2 bad usage, input or recipe, \
                        130 interrupted.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Paint the content photo in the style of the painting.
    #[command(after_long_help = RUN_EXAMPLES)]
    Run(Box<RunArgs>),
    /// Paint every photo of a folder (or list) in each style; resumable and shardable.
    #[command(after_long_help = BATCH_EXAMPLES)]
    Batch(Box<BatchArgs>),
    /// Paint a clip's frames without flicker: each frame starts from the last one's painting
    /// carried along the optical flow and is held to it; resumable.
    #[command(after_long_help = VIDEO_EXAMPLES)]
    Video(Box<VideoArgs>),
    /// Render a grid of VGG19 feature maps of an image: what each layer sees.
    Features(FeaturesArgs),
    /// Score images, made by nst or any other tool, against a photo and a painting.
    ///
    /// The readout: relative content error (how much of the photo is lost) and relative Gram
    /// error per style layer (how far from the painting); then, each on its own line, measures
    /// no recipe minimises: the colour distance to the painting and the photo's structure kept.
    Score(ScoreArgs),
    /// List the VGG19 layer names a recipe may use.
    Layers,
    /// List the devices nst can run on: GPU adapters (gpu:0 is the one `auto` tries first) and
    /// the CPU.
    Devices(DevicesArgs),
    /// Print a shell completion script, e.g. `nst completions bash > ~/.local/share/bash-completion/completions/nst`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `nst man > ~/.local/share/man/man1/nst.1`.
    Man,
}

const RUN_EXAMPLES: &str = "Examples:
  nst run -c photo.jpg -s painting.jpg                  # 512 px, about 1.5 minutes on 2 CPU cores
  nst run -c photo.jpg -s painting.jpg --size 1024 -o print.png --depth 16
  nst run -c photo.jpg -s a.jpg -s b.jpg --style-blend 0.7,0.3
  nst run -c photo.jpg -s painting.jpg --preserve-colors luminance --style-scale 0.5
  nst run -c photo.jpg -s a.jpg -s b.jpg --style-mask sky.png --style-mask rest.png   # a where sky.png is white
  nst run -c photo.jpg -s painting.jpg --content-regions photo_map.png --style-regions painting_map.png
  nst run -c photo.jpg -s painting.jpg --json | jq -c 'select(.event == \"end\")'";

const BATCH_EXAMPLES: &str = "Examples:
  nst batch --content-dir photos/ -s wave.jpg -s starry.jpg --out-dir out/ --manifest out/jobs.jsonl
  nst batch --content-list todo.txt -s wave.jpg --out-dir out/ --shard 2/8   # machine 2 of 8
  nst batch --content-dir photos/ -s a.jpg -s b.jpg --style-mask skies/ --style-mask grounds/   # skies/NAME.png per photo";

const VIDEO_EXAMPLES: &str = "Examples:
  mkdir -p frames && ffmpeg -i clip.mp4 frames/%05d.png
  nst video --frames frames/ -s wave.jpg --out-dir painted/
  ffmpeg -framerate 30 -i painted/%05d.png -i clip.mp4 -map 0:v -map 1:a? -c:v libx264 -pix_fmt yuv420p -c:a copy out.mp4";

#[derive(clap::Args, Debug)]
pub struct VideoArgs {
    /// Folder of the clip's frames, taken in name order (e.g. what `ffmpeg -i clip.mp4
    /// frames/%05d.png` writes).
    #[arg(long, value_name = "DIR")]
    pub frames: PathBuf,
    #[command(flatten)]
    pub paintings: Paintings,
    #[command(flatten)]
    pub placing: Placing,
    /// Folder for the painted frames, under the frames' own names (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    /// Read the optical flow from Middlebury .flo files here instead of computing it:
    /// forward_A_B.flo and backward_B_A.flo for consecutive frames named A and B, at the
    /// frames' size.
    #[arg(long, value_name = "DIR")]
    pub flow_dir: Option<PathBuf>,
    /// How strongly a frame is held to the previous frame's painting where the flow is sure
    /// (Ruder et al.'s γ); 0 only starts from it.
    #[arg(long, value_name = "γ", default_value_t = DEFAULT_TEMPORAL_WEIGHT)]
    pub temporal_weight: f64,
    /// Iterations of each frame after the first, at the full size only (the first frame is
    /// an ordinary run of the recipe).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_FRAME_ITERATIONS, value_parser = clap::value_parser!(u32).range(1..))]
    pub frame_iterations: u32,
    /// Repaint every frame (by default a rerun continues after the last painted frame).
    #[arg(long)]
    pub force: bool,
    /// Print one JSON object per frame on stdout, and one at the end, instead of progress bars.
    #[arg(long)]
    pub json: bool,
    /// Write a JSON log: recipe, device, each frame's outcome and readout, the flicker.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    #[command(flatten)]
    pub paint: PaintArgs,
}

/// `--temporal-weight`'s default (docs/measurements.md, Video).
pub const DEFAULT_TEMPORAL_WEIGHT: f64 = 100.0;
/// `--frame-iterations`' default (docs/measurements.md, Video).
pub const DEFAULT_FRAME_ITERATIONS: u32 = 20;

#[derive(clap::Args, Debug)]
pub struct DevicesArgs {
    /// Also compute the loss and its gradient on each GPU and compare them with the CPU's (32 px,
    /// the default and seed recipes, whole and in tiles); exit 1 if any GPU differs or none is
    /// found. Slow the first time on a GPU (kernels are tuned; minutes on software Vulkan).
    #[arg(long)]
    pub check: bool,
}

#[derive(clap::Args, Debug)]
pub struct ScoreArgs {
    /// The photo the images should keep.
    #[arg(
        long,
        short = 'c',
        value_name = "IMAGE",
        required_unless_present = "frames",
        conflicts_with = "frames"
    )]
    pub content: Option<PathBuf>,
    /// The painting whose style they should have (scaled to each image's longer side); with
    /// --frames, optional: each frame's readout beside the flicker.
    #[arg(long, short = 's', value_name = "IMAGE", required_unless_present = "frames")]
    pub style: Option<PathBuf>,
    /// The images to score.
    #[arg(value_name = "IMAGE", required_unless_present = "frames", conflicts_with = "frames")]
    pub images: Vec<PathBuf>,
    /// Also score only the region this mask marks (white; the --style-mask of a run): its
    /// style error against the painting, from the guided Gram matrices.
    #[arg(long, value_name = "MASK", conflicts_with = "frames")]
    pub mask: Option<PathBuf>,
    /// With --mask: score the region against only the part of the painting this mask marks
    /// (white; a region map's colour in the painting's map), not all of it.
    #[arg(long, value_name = "MASK", requires = "mask")]
    pub painting_mask: Option<PathBuf>,
    /// Score a stylised clip's flicker instead: the folder of its input frames (as for `nst
    /// video`). Prints the warping error of each consecutive pair of --stylised frames
    /// (Lai et al. 2018; flow and occlusions from the input frames) and their mean.
    #[arg(long, value_name = "DIR", requires = "stylised")]
    pub frames: Option<PathBuf>,
    /// The stylised frames, by any tool, under the input frames' names.
    #[arg(long, value_name = "DIR", requires = "frames")]
    pub stylised: Option<PathBuf>,
    /// Read the layers of this built-in recipe [default: default: relu4_2; relu1_1…relu4_1].
    #[arg(long, value_name = "NAME", conflicts_with = "config")]
    pub preset: Option<String>,
    /// Read the layers of this recipe TOML file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print one JSON object per image on stdout instead of a line of text.
    #[arg(long)]
    pub json: bool,
    /// VGG19 weights (safetensors) [default: built in].
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// Where to compute: auto, gpu or cpu.
    #[arg(long, value_name = "auto|gpu|gpu:N|cpu", default_value = "auto")]
    pub device: DeviceChoice,
}

#[derive(clap::Args, Debug)]
pub struct FeaturesArgs {
    /// The image to look at.
    #[arg(long, short = 'i', value_name = "IMAGE")]
    pub image: PathBuf,
    /// Layers, one row each [default: relu1_1,relu2_1,relu3_1,relu4_1,relu4_2,relu5_1].
    #[arg(long, value_name = "NAME,…", value_delimiter = ',')]
    pub layers: Vec<String>,
    /// Feature maps a layer (its most active ones).
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub count: usize,
    /// Longer side the image is scaled to before the network sees it.
    #[arg(long, value_name = "PX", default_value_t = 256)]
    pub size: u32,
    /// Where to write the grid (.png or .jpg).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// VGG19 weights (safetensors) [default: built in].
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// Where to compute: auto, gpu or cpu.
    #[arg(long, value_name = "auto|gpu|gpu:N|cpu", default_value = "auto")]
    pub device: DeviceChoice,
}

/// Where the paintings go: masks or region maps (`nst run`, `nst batch` and `nst video`).
#[derive(clap::Args, Debug)]
pub struct Placing {
    /// Where each --style applies: a greyscale image in the photo's shape, white where the
    /// painting applies, grey for part of it; one per --style, in order. Where the masks leave
    /// room the photo stays unpainted. For `nst batch` and `nst video`, one mask for every photo
    /// or frame, or a folder of them named as the photos or frames (a batch's paintings then
    /// make one output per photo).
    #[arg(long, value_name = "IMAGE|DIR")]
    pub style_mask: Vec<PathBuf>,
    /// A colour-coded map of the photo's regions (say the sky blue, the rest red), with
    /// --style-regions: each region takes its style from the same colour of each painting's map.
    /// For `nst batch` and `nst video`, one map for all, or a folder of them named as the photos
    /// or frames.
    #[arg(long, value_name = "IMAGE|DIR", requires = "style_regions")]
    pub content_regions: Option<PathBuf>,
    /// A map of a painting's regions in the colours of --content-regions; one per --style, in
    /// order. Near-colours (JPEG, antialiasing) are snapped; at most 8 colours.
    #[arg(long, value_name = "IMAGE", requires = "content_regions")]
    pub style_regions: Vec<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The photo whose content to keep.
    #[arg(long, short = 'c', value_name = "IMAGE")]
    pub content: PathBuf,
    #[command(flatten)]
    pub paintings: Paintings,
    #[command(flatten)]
    pub placing: Placing,
    /// Where to write the result (.png, .jpg or lossless .webp) [default: CONTENT_STYLE.png here].
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// On Ctrl-C or SIGTERM, leave no output instead of writing the image so far.
    #[arg(long)]
    pub no_partial: bool,
    /// Print one JSON object per iteration on stdout instead of the progress bar.
    #[arg(long)]
    pub json: bool,
    /// Write a JSON log: resolved recipe, device, sizes, per-iteration losses and timings.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Write a picture of the run: content | style | result, labelled, above the loss curves.
    #[arg(long, value_name = "FILE")]
    pub sheet: Option<PathBuf>,
    /// Check everything and print each level's size, tiles and memory with an estimate of the
    /// time (from one timed evaluation on this machine), then stop without painting.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub paint: PaintArgs,
}

#[derive(clap::Args, Debug)]
pub struct BatchArgs {
    /// Folder of content photos (its images, not subfolders).
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "content_list",
        conflicts_with = "content_list"
    )]
    pub content_dir: Option<PathBuf>,
    /// File listing content photos, one path a line (# comments allowed).
    #[arg(long, value_name = "FILE")]
    pub content_list: Option<PathBuf>,
    /// A painting; repeat for several. Each makes its own output per photo, unless --style-blend.
    #[arg(long, short = 's', value_name = "IMAGE", required = true)]
    pub style: Vec<PathBuf>,
    /// Blend all --style images into one look with these weights, e.g. 0.7,0.3.
    #[arg(long, value_name = "W,W,…", value_delimiter = ',')]
    pub style_blend: Vec<f64>,
    #[command(flatten)]
    pub placing: Placing,
    /// Folder for the results, named CONTENT_STYLE.png (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    /// Output format of the results.
    #[arg(long, value_name = "png|jpg|webp", default_value = "png", value_parser = ["png", "jpg", "webp"])]
    pub format: String,
    /// Redo outputs that already exist (by default they are skipped, so a rerun resumes).
    #[arg(long)]
    pub force: bool,
    /// Append one JSON line per job (input, style, output, status, seconds, final loss).
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Take only this machine's share I of N (1-based), decided by a hash of the output name.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Print the manifest's JSON lines on stdout as each job ends, instead of progress bars.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub paint: PaintArgs,
}

/// The paintings of `run` and `video`, blended by weight.
#[derive(clap::Args, Debug)]
pub struct Paintings {
    /// The painting whose style to apply; repeat to blend several.
    #[arg(long, short = 's', value_name = "IMAGE", required = true)]
    pub style: Vec<PathBuf>,
    /// Blend weights of the --style images, e.g. 0.7,0.3 (normalised) [default: equal].
    #[arg(long, value_name = "W,W,…", value_delimiter = ',')]
    pub style_blend: Vec<f64>,
}

/// How to paint; shared by `run`, `batch` and `video`. Each flag overrides the recipe's key of the same name.
#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Recipe (each flag overrides the recipe's key)")]
pub struct PaintArgs {
    /// Built-in recipe: default, seed (the seed post's Keras table) or smoke (tiny, for CI).
    #[arg(long, value_name = "NAME", conflicts_with = "config")]
    pub preset: Option<String>,
    /// Recipe TOML file (see weights/presets/default.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub recipe: Overrides,
    /// VGG19 weights (safetensors; Keras or torchvision names) [default: built in].
    #[arg(long, value_name = "FILE", help_heading = "Device and network")]
    pub weights: Option<PathBuf>,
    /// No progress bar, notices or summary; errors only.
    #[arg(long, short = 'q', help_heading = "Output and display")]
    pub quiet: bool,
    /// JPEG quality of .jpg outputs, 1–100.
    #[arg(long, value_name = "N", default_value_t = 90, value_parser = clap::value_parser!(u8).range(1..=100), help_heading = "Output and display")]
    pub quality: u8,
    /// Bits per channel of .png outputs: 8, or 16 (the result is computed in float).
    #[arg(long, value_enum, value_name = "BITS", default_value = "8", help_heading = "Output and display")]
    pub depth: Depth,
    /// How to show progress: a bar on a terminal and a line every 5 s elsewhere (auto), or
    /// always a bar, lines, or none (notices and the summary stay).
    #[arg(long, value_enum, default_value = "auto", help_heading = "Output and display")]
    pub progress: ProgressMode,
}

impl PaintArgs {
    /// How results are written (the PNG text is added per picture).
    pub fn encoding(&self) -> nst::encode::Encoding {
        let png_depth = match self.depth {
            Depth::Eight => 8,
            Depth::Sixteen => 16,
        };
        nst::encode::Encoding { jpeg_quality: self.quality, png_depth, text: Vec::new() }
    }
}

/// `--depth`: PNG bits per channel.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Depth {
    #[value(name = "8")]
    Eight,
    #[value(name = "16")]
    Sixteen,
}

/// `--progress`: how a run shows where it stands.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProgressMode {
    Auto,
    Bar,
    Lines,
    None,
}
