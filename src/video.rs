//! A clip as `nst video` reads it: numbered frames in a folder, taken in name order, all one
//! size; and the optical flow between consecutive frames, computed ([`crate::flow::dis`]) or read
//! from `.flo` files someone else made.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::flow::{self, DisParams, Flow, Grey, middlebury};
use crate::image_io::{self, Planar};
use crate::{jobs, usage};

/// The frames of a clip, checked: each decodes, all share the first one's size.
pub struct Clip {
    pub frames: Vec<PathBuf>,
    /// Width and height of every frame, as decoded.
    pub size: (u32, u32),
    /// Files in the folder that are not images, left out (an audio track beside the frames).
    pub ignored: Vec<PathBuf>,
}

/// The frames in `dir` (`--frames`): its image files in name order (what
/// `ffmpeg -i clip.mp4 dir/%05d.png` writes), each decoded once to refuse a broken or
/// differently sized one before any painting.
pub fn read_clip(dir: &Path) -> Result<Clip> {
    if !dir.is_dir() {
        return Err(usage!("{}: --frames: not a folder", dir.display()));
    }
    let frames = jobs::list_dir(dir).map_err(|e| usage!("--frames: {e:#}"))?;
    let ignored = non_images(dir, &frames)?;
    let Some(first) = frames.first() else {
        return Err(usage!("{}: --frames: no frames found (looked for .png, .jpg, … files)", dir.display()));
    };
    let size = image_io::load(first, "frame")?;
    let size = (size.width(), size.height());
    for frame in &frames[1..] {
        let image = image_io::load(frame, "frame")?;
        if (image.width(), image.height()) != size {
            return Err(usage!(
                "{}: frame is {}×{}, but {} is {}×{}; a clip's frames must share one size",
                frame.display(),
                image.width(),
                image.height(),
                first.display(),
                size.0,
                size.1
            ));
        }
    }
    Ok(Clip { frames, size, ignored })
}

/// Plain files in `dir` that are not among `frames` (sorted; hidden files aside).
fn non_images(dir: &Path, frames: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let cannot = |e: std::io::Error| usage!("{}: --frames: cannot list: {e}", dir.display());
    let mut others = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(cannot)? {
        let path = entry.map_err(cannot)?.path();
        let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if !hidden && path.is_file() && frames.binary_search(&path).is_err() {
            others.push(path);
        }
    }
    others.sort();
    Ok(others)
}

/// Where the flow between two frames comes from.
pub enum FlowSource {
    /// DIS on the frames as painted (resized to the output size).
    Computed(DisParams),
    /// `--flow-dir`: `forward_A_B.flo` (A → B) and `backward_B_A.flo` (B → A) for frames named
    /// A and B (their names without extension), at the frames' size as decoded; the naming of
    /// Ruder et al.'s scripts.
    Files(PathBuf),
}

impl FlowSource {
    /// The `.flo` files for the pair (`a`, `b`): forward, then backward.
    pub fn files_for(dir: &Path, a: &Path, b: &Path) -> (PathBuf, PathBuf) {
        let (a, b) = (jobs::stem(a), jobs::stem(b));
        (dir.join(format!("forward_{a}_{b}.flo")), dir.join(format!("backward_{b}_{a}.flo")))
    }

    /// Refuse a missing, unreadable or wrongly sized `.flo` file for any pair of `clip` before
    /// anything is painted.
    pub fn check(&self, clip: &Clip) -> Result<()> {
        let FlowSource::Files(dir) = self else { return Ok(()) };
        for pair in clip.frames.windows(2) {
            let (forward, backward) = FlowSource::files_for(dir, &pair[0], &pair[1]);
            for path in [forward, backward] {
                let flow = middlebury::read(&path).map_err(|e| usage!("--flow-dir: {e:#}"))?;
                check_flow_size(&flow, &path, clip.size)?;
            }
        }
        Ok(())
    }

    /// The flows `a` → `b` and `b` → `a` between frames `a` and `b` (paths and images as
    /// painted, same size), at that size.
    pub fn between(&self, a: (&Path, &Planar), b: (&Path, &Planar), clip: &Clip) -> Result<(Flow, Flow)> {
        let (width, height) = (a.1.width, a.1.height);
        match self {
            FlowSource::Computed(params) => {
                Ok(flow::dis_both(&Grey::from_planar(a.1), &Grey::from_planar(b.1), params))
            }
            FlowSource::Files(dir) => {
                let (forward, backward) = FlowSource::files_for(dir, a.0, b.0);
                let read = |path: &Path| -> Result<Flow> {
                    let flow = middlebury::read(path).map_err(|e| usage!("--flow-dir: {e:#}"))?;
                    check_flow_size(&flow, path, clip.size)?;
                    Ok(flow.resized(width, height))
                };
                Ok((read(&forward)?, read(&backward)?))
            }
        }
    }
}

fn check_flow_size(flow: &Flow, path: &Path, (width, height): (u32, u32)) -> Result<()> {
    if (flow.width, flow.height) != (width as usize, height as usize) {
        return Err(usage!(
            "{}: --flow-dir: flow is {}×{}, the frames {width}×{height}",
            path.display(),
            flow.width,
            flow.height
        ));
    }
    Ok(())
}
