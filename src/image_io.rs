//! Images in and out: decode anything the `image` crate reads (with limits, so a lying header
//! cannot allocate gigabytes), scale, convert to RGB 0–255 floats, and write results atomically.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, Rgb32FImage, RgbImage};

use crate::usage;

/// Largest side we decode; far beyond what style transfer can optimise.
pub const MAX_DECODE_SIDE: u32 = 20_000;
const MAX_DECODE_BYTES: u64 = 2 << 30;

/// An RGB image as planar floats 0–255, `[3][height][width]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Planar {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

/// `-`: standard input as an input, standard output as the output.
pub fn is_stdio(path: &Path) -> bool {
    path == Path::new("-")
}

/// Decode `path` (any colour mode; `-` reads standard input) to RGB. Transparent pixels are
/// composited over white.
pub fn load(path: &Path, what: &str) -> Result<DynamicImage> {
    if is_stdio(path) {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
            .map_err(|e| usage!("-: cannot read {what} from standard input: {e}"))?;
        if bytes.is_empty() {
            return Err(usage!("-: standard input is empty: no {what}"));
        }
        return decode(&bytes, "standard input", what);
    }
    let name = path.display();
    let meta = std::fs::metadata(path).map_err(|e| usage!("{name}: cannot read {what}: {e}"))?;
    if meta.is_dir() {
        return Err(usage!("{name}: {what} is a directory, not an image"));
    }
    let bytes = std::fs::read(path).map_err(|e| usage!("{name}: cannot read {what}: {e}"))?;
    decode(&bytes, &name.to_string(), what)
}

/// Decode an image file's `bytes`; `name` (its path) and `what` label the errors.
pub fn decode(bytes: &[u8], name: &str, what: &str) -> Result<DynamicImage> {
    let mut reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| usage!("{name}: cannot read {what}: {e}"))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODE_SIDE);
    limits.max_image_height = Some(MAX_DECODE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    if reader.format().is_none() {
        return Err(usage!("{name}: {what} is not an image in a format nst reads"));
    }
    if reader.format() == Some(ImageFormat::Jpeg) && !has_jpeg_end(bytes) {
        return Err(usage!("{name}: {what} is a truncated JPEG (no end-of-image marker)"));
    }
    let cannot_decode =
        |e: image::ImageError| usage!("{name}: cannot decode {what}: {}", e.to_string().trim_end());
    let mut decoder = reader.into_decoder().map_err(cannot_decode)?;
    if decoder.total_bytes() > MAX_DECODE_BYTES {
        let (w, h) = decoder.dimensions();
        return Err(usage!("{name}: {what} is {w}×{h}: too large to decode"));
    }
    // Phones store a picture as the sensor saw it and say in EXIF how to turn it upright.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(cannot_decode)?;
    image.apply_orientation(orientation);
    if image.width() == 0 || image.height() == 0 {
        return Err(usage!("{name}: {what} has no pixels"));
    }
    Ok(image)
}

/// A complete JPEG ends with the EOI marker FF D9 (some writers append a few bytes after it).
/// The decoder happily returns a half-grey picture for a truncated file; we refuse it instead.
fn has_jpeg_end(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}

/// Size with the longer side scaled to `max_side` (aspect kept, each side ≥ 1).
pub fn fit(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let scale = max_side as f64 / width.max(height) as f64;
    let side = |s: u32| ((s as f64 * scale).round() as u32).max(1);
    (side(width), side(height))
}

/// RGB floats 0–255 at exactly `width`×`height`, alpha composited over white.
pub fn to_planar(image: &DynamicImage, width: u32, height: u32) -> Planar {
    let rgba = image.to_rgba32f();
    let resized = if (rgba.width(), rgba.height()) == (width, height) {
        rgba
    } else {
        image::imageops::resize(&rgba, width, height, FilterType::Lanczos3)
    };
    let (w, h) = (width as usize, height as usize);
    let mut data = vec![0.0f32; 3 * w * h];
    for (x, y, p) in resized.enumerate_pixels() {
        let alpha = p[3].clamp(0.0, 1.0);
        for c in 0..3 {
            let v = p[c].clamp(0.0, 1.0) * alpha + (1.0 - alpha);
            data[(c * h + y as usize) * w + x as usize] = v * 255.0;
        }
    }
    Planar { width: w, height: h, data }
}

impl Planar {
    /// Bilinear resize, for reusing a result as the start at another size; a copy when the
    /// size is already right. (`image` clamps float pixels to 0–1 when resizing, hence the
    /// scaling around it.)
    pub fn resized(&self, width: usize, height: usize) -> Planar {
        let (w, h) = (self.width, self.height);
        if (w, h) == (width, height) {
            return self.clone();
        }
        let mut img = Rgb32FImage::new(w as u32, h as u32);
        for (x, y, p) in img.enumerate_pixels_mut() {
            for c in 0..3 {
                p[c] = self.data[(c * h + y as usize) * w + x as usize] / 255.0;
            }
        }
        let out = image::imageops::resize(&img, width as u32, height as u32, FilterType::Triangle);
        let mut data = vec![0.0f32; 3 * width * height];
        for (x, y, p) in out.enumerate_pixels() {
            for c in 0..3 {
                data[(c * height + y as usize) * width + x as usize] = p[c] * 255.0;
            }
        }
        Planar { width, height, data }
    }

    /// Each pixel's luma, Rec. 601 weights (0.299 R + 0.587 G + 0.114 B), row-major: the one
    /// brightness that colour preservation, the structure measure and the optical flow read.
    pub fn luma(&self) -> Vec<f64> {
        let n = self.width * self.height;
        let (r, rest) = self.data.split_at(n);
        let (g, b) = rest.split_at(n);
        r.iter()
            .zip(g)
            .zip(b)
            .map(|((&r, &g), &b)| 0.299 * r as f64 + 0.587 * g as f64 + 0.114 * b as f64)
            .collect()
    }

    pub(crate) fn to_rgb8(&self) -> RgbImage {
        let (w, h) = (self.width, self.height);
        RgbImage::from_fn(w as u32, h as u32, |x, y| {
            let px = |c: usize| self.data[(c * h + y as usize) * w + x as usize];
            image::Rgb([0, 1, 2].map(|c| {
                let v = px(c);
                if v.is_finite() { v.round().clamp(0.0, 255.0) as u8 } else { 0 }
            }))
        })
    }
}

/// Whether two images of `a` and `b` pixels have one shape, their aspect ratios within 2% (a
/// mask drawn for a photo, after either was resized).
pub fn same_shape(a: (u32, u32), b: (u32, u32)) -> bool {
    let ratio = |(w, h): (u32, u32)| w as f64 / h.max(1) as f64;
    (ratio(a) / ratio(b) - 1.0).abs() <= 0.02
}

/// Where one painting applies, 0–1 per pixel, row-major (`--style-mask`): white is all of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Mask {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

impl Mask {
    /// The luma of `image` (alpha composited over white), 0–1, at exactly `width`×`height`.
    pub fn from_image(image: &DynamicImage, width: u32, height: u32) -> Mask {
        let planar = to_planar(image, width, height);
        let data = planar.luma().into_iter().map(|y| (y / 255.0).clamp(0.0, 1.0) as f32).collect();
        Mask { width: width as usize, height: height as usize, data }
    }

    /// The share of the image it covers: its mean.
    pub fn share(&self) -> f64 {
        self.data.iter().map(|&v| v as f64).sum::<f64>() / self.data.len().max(1) as f64
    }

    /// Bilinear resize, as [`Planar::resized`].
    pub fn resized(&self, width: usize, height: usize) -> Mask {
        if (self.width, self.height) == (width, height) {
            return self.clone();
        }
        let grey: Vec<f32> = self.data.iter().map(|v| v * 255.0).collect();
        let planes = Planar { width: self.width, height: self.height, data: [&grey[..]; 3].concat() };
        let data = planes.resized(width, height).data[..width * height].iter().map(|v| v / 255.0).collect();
        Mask { width, height, data }
    }

    /// As a tensor `[1, 1, H, W]` on `device`.
    pub fn to_tensor(&self, device: &burn::tensor::Device) -> burn::tensor::Tensor<4> {
        let data = burn::tensor::TensorData::new(self.data.clone(), [1, 1, self.height, self.width]);
        burn::tensor::Tensor::from_data(data, device)
    }
}

/// The directory an output path writes into (`.` for a bare file name).
pub fn output_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A temporary file beside `path` (`.NAME.XXXXXX.nst-partial`), removed when dropped unless
/// persisted over `path`.
pub fn partial_file_for(path: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = output_dir(path);
    let prefix = partial_prefix(path);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(PARTIAL_SUFFIX);
    // tempfile creates files 0600; a result is an ordinary file, readable as the umask allows.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    builder.tempfile_in(dir).with_context(|| format!("{}: cannot write to {}", path.display(), dir.display()))
}

const PARTIAL_SUFFIX: &str = ".nst-partial";

fn partial_prefix(path: &Path) -> String {
    format!(".{}.", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default())
}

/// Temporary files in `dir`, each with the name of the output it was being written for. A
/// process killed mid-write (SIGKILL, power loss) leaves them behind.
pub fn partials_in(dir: &Path) -> Result<Vec<(std::path::PathBuf, String)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let output = name.strip_prefix('.').and_then(|n| n.strip_suffix(PARTIAL_SUFFIX));
        if let Some((output, _random)) = output.and_then(|o| o.rsplit_once('.')) {
            found.push((entry.path(), output.to_string()));
        }
    }
    Ok(found)
}

/// Remove the temporary files in `dir` that a killed run left for any of `outputs` (a batch's
/// jobs, a clip's frames): theirs, not another shard's or process's.
pub fn remove_stale_partials<'a>(dir: &Path, outputs: impl IntoIterator<Item = &'a Path>) -> Result<()> {
    let owned: std::collections::HashSet<String> =
        outputs.into_iter().filter_map(|o| o.file_name()).map(|n| n.to_string_lossy().into_owned()).collect();
    for (partial, output) in partials_in(dir)? {
        if owned.contains(&output) {
            std::fs::remove_file(&partial)
                .with_context(|| format!("cannot remove the stale {}", partial.display()))?;
        }
    }
    Ok(())
}

/// Write `bytes` to `path` all or nothing: a temporary file beside it, synced, then renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = partial_file_for(path)?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("{}: cannot write", path.display()))?;
    tmp.persist(path).map_err(|e| anyhow::anyhow!("{}: cannot write: {}", path.display(), e.error))?;
    Ok(())
}

/// An image as a tensor `[1, 3, H, W]` (0–255) on `device`.
pub fn to_tensor(image: &Planar, device: &burn::tensor::Device) -> burn::tensor::Tensor<4> {
    let data = burn::tensor::TensorData::new(image.data.clone(), [1, 3, image.height, image.width]);
    burn::tensor::Tensor::from_data(data, device)
}

/// Gaussian noise (σ = 32) around mid-grey, from a seeded SplitMix64 so that a seed gives the
/// same start on every device.
pub fn noise(width: usize, height: usize, seed: u64) -> Planar {
    let mut state = seed;
    let mut uniform = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let data = (0..3 * width * height)
        .map(|_| {
            // Box–Muller
            let (u1, u2) = (uniform().max(1e-12), uniform());
            let g = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            (127.5 + 32.0 * g) as f32
        })
        .collect();
    Planar { width, height, data }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resizing_keeps_the_0_to_255_range() {
        let planar = Planar { width: 4, height: 2, data: (0..24).map(|i| 100.0 + 6.0 * i as f32).collect() };
        let up = planar.resized(8, 4);
        let mean = |p: &Planar| p.data.iter().sum::<f32>() / p.data.len() as f32;
        assert!((mean(&up) - mean(&planar)).abs() < 3.0, "{} vs {}", mean(&up), mean(&planar));
    }
}
