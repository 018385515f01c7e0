//! How a result becomes a file: the format from the extension (PNG, JPEG, WebP), JPEG's
//! quality, PNG's bit depth, PNG text chunks that say how the picture was made, and the
//! atomic write (or standard output for `-`).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, ImageEncoder, ImageFormat, RgbImage};

use crate::image_io::{Planar, is_stdio, write_atomic};
use crate::usage;

/// Choices for writing results, beyond the format the extension picks.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoding {
    /// JPEG quality, 1–100.
    pub jpeg_quality: u8,
    /// PNG bits per channel: 8, or 16 (the result is float until it is written).
    pub png_depth: u8,
    /// PNG text chunks (keyword, text): the recipe, nst's version, the inputs.
    pub text: Vec<(String, String)>,
}

impl Default for Encoding {
    fn default() -> Self {
        Encoding { jpeg_quality: 90, png_depth: 8, text: Vec::new() }
    }
}

/// The output format for a path, from its extension; PNG for `-` (standard output).
pub fn output_format(path: &Path) -> Result<ImageFormat> {
    if is_stdio(path) {
        return Ok(ImageFormat::Png);
    }
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("png") => Ok(ImageFormat::Png),
        Some("jpg" | "jpeg") => Ok(ImageFormat::Jpeg),
        Some("webp") => Ok(ImageFormat::WebP),
        _ => Err(usage!("{}: can only write .png, .jpg, .jpeg or .webp (lossless) files", path.display())),
    }
}

/// `image` encoded for `path`'s format.
pub fn encode(image: &Planar, path: &Path, encoding: &Encoding) -> Result<Vec<u8>> {
    let format = output_format(path)?;
    let mut bytes = Vec::new();
    let failed = || format!("{}: cannot encode image", path.display());
    match format {
        ImageFormat::Png => png(image, encoding, &mut bytes).with_context(failed)?,
        ImageFormat::Jpeg => JpegEncoder::new_with_quality(&mut bytes, encoding.jpeg_quality.clamp(1, 100))
            .encode_image(&image.to_rgb8())
            .with_context(failed)?,
        _ => {
            let rgb = image.to_rgb8();
            let (w, h) = rgb.dimensions();
            WebPEncoder::new_lossless(&mut bytes)
                .write_image(rgb.as_raw(), w, h, ExtendedColorType::Rgb8)
                .with_context(failed)?
        }
    }
    Ok(bytes)
}

/// An 8-bit picture (a contact sheet, a feature grid) encoded for `path`'s format.
pub fn encode_rgb(image: &RgbImage, path: &Path) -> Result<Vec<u8>> {
    let format = output_format(path)?;
    let mut bytes = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut bytes), format)
        .with_context(|| format!("{}: cannot encode image", path.display()))?;
    Ok(bytes)
}

/// Write `image` to `path` through a temporary file in the same directory and a rename, so
/// `path` never holds a partial image, whatever happens mid-write.
pub fn save_atomic(image: &Planar, path: &Path, encoding: &Encoding) -> Result<()> {
    let bytes = encode(image, path, encoding)?;
    if is_stdio(path) {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(&bytes)
            .and_then(|()| out.flush())
            .context("-: cannot write to standard output");
    }
    write_atomic(path, &bytes)
}

/// [`save_atomic`] for an 8-bit RGB image.
pub fn save_rgb_atomic(image: &RgbImage, path: &Path) -> Result<()> {
    write_atomic(path, &encode_rgb(image, path)?)
}

fn png(image: &Planar, encoding: &Encoding, out: &mut Vec<u8>) -> Result<()> {
    let mut encoder = png::Encoder::new(out, image.width as u32, image.height as u32);
    encoder.set_color(png::ColorType::Rgb);
    for (keyword, text) in &encoding.text {
        encoder.add_itxt_chunk(keyword.clone(), text.clone())?;
    }
    let data = if encoding.png_depth == 16 {
        encoder.set_depth(png::BitDepth::Sixteen);
        let to16 = |v: f32| if v.is_finite() { (v.clamp(0.0, 255.0) * 257.0).round() as u16 } else { 0 };
        interleaved(image).flat_map(|v| to16(v).to_be_bytes()).collect()
    } else {
        encoder.set_depth(png::BitDepth::Eight);
        image.to_rgb8().into_raw()
    };
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&data)?;
    writer.finish()?;
    Ok(())
}

/// Planar RGB as interleaved samples, row by row.
fn interleaved(image: &Planar) -> impl Iterator<Item = f32> + '_ {
    let plane = image.width * image.height;
    (0..plane).flat_map(move |i| [0, 1, 2].map(|c| image.data[c * plane + i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp() -> Planar {
        let (width, height) = (5, 3);
        let data = (0..3 * width * height).map(|i| i as f32 * 255.0 / 44.0).collect();
        Planar { width, height, data }
    }

    #[test]
    fn sixteen_bit_png_keeps_the_fractions_and_the_text() {
        let text =
            vec![("Software".to_string(), "nst".to_string()), ("nst-recipe".into(), "size = 5 é".into())];
        let encoding = Encoding { png_depth: 16, text, ..Encoding::default() };
        let bytes = encode(&ramp(), Path::new("x.png"), &encoding).expect("encode");
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let mut reader = decoder.read_info().expect("png");
        let texts: Vec<_> = reader
            .info()
            .utf8_text
            .iter()
            .map(|t| (t.keyword.clone(), t.get_text().expect("text")))
            .collect();
        assert_eq!(texts[1], ("nst-recipe".to_string(), "size = 5 é".to_string()));
        let mut buffer = vec![0; reader.output_buffer_size().expect("size")];
        let frame = reader.next_frame(&mut buffer).expect("frame");
        assert_eq!(frame.bit_depth, png::BitDepth::Sixteen);
        // Samples interleave: pixel 0's green is the green plane's first value (index 15 of
        // the planar data), pixel 1's red the red plane's second (5.795 grey levels: 1489, not
        // 6 × 257 as 8 bits would give).
        let sample = |i: usize| u16::from_be_bytes([buffer[2 * i], buffer[2 * i + 1]]);
        assert_eq!(sample(1), (15.0f32 * 255.0 / 44.0 * 257.0).round() as u16);
        assert_eq!(sample(3), 1489);
    }

    #[test]
    fn webp_is_lossless_and_jpeg_quality_changes_the_size() {
        let image = ramp();
        let bytes = encode(&image, Path::new("x.webp"), &Encoding::default()).expect("webp");
        let decoded = image::load_from_memory(&bytes).expect("decode").to_rgb8();
        assert_eq!(decoded.into_raw(), image.to_rgb8().into_raw());
        let jpeg =
            |q| encode(&image, Path::new("x.jpg"), &Encoding { jpeg_quality: q, ..Encoding::default() });
        assert!(jpeg(10).expect("jpeg").len() < jpeg(100).expect("jpeg").len());
        assert!(encode(&image, Path::new("x.gif"), &Encoding::default()).is_err());
    }
}
