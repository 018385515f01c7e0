//! Pictures of a run: the seed post's figure (content | style | result, labelled) above a plot
//! of each loss term over the iterations.

use std::path::{Path, PathBuf};

use anyhow::Result;
use image::imageops::FilterType;
use image::{Rgb, RgbImage};

use crate::draw;
use crate::image_io;
use crate::report::IterationReport;

const LABEL_BAR: u32 = 26;
const PLOT_HEIGHT: u32 = 220;
const WHITE: Rgb<u8> = Rgb([255, 255, 255]);
const INK: Rgb<u8> = Rgb([30, 30, 30]);
const GRID: Rgb<u8> = Rgb([215, 215, 215]);

/// The sheet for a finished run: its `inputs` ([`crate::transfer::RunOptions::shown`]) and result side by side at one
/// height, then the loss curve.
pub fn contact_sheet(
    inputs: &[(String, PathBuf)],
    result: &Path,
    reports: &[IterationReport],
) -> Result<RgbImage> {
    let result_image = image_io::load(result, "result")?.to_rgb8();
    let height = result_image.height().clamp(128, 512);
    let scaled = |image: RgbImage| {
        let width = ((image.width() as f64 * height as f64 / image.height() as f64).round() as u32).max(1);
        image::imageops::resize(&image, width, height, FilterType::Lanczos3)
    };
    let mut panels = Vec::with_capacity(inputs.len() + 1);
    for (label, path) in inputs {
        panels.push((label.clone(), scaled(image_io::load(path, label)?.to_rgb8())));
    }
    panels.push(("result".into(), scaled(result_image)));

    let gap = 8;
    let width = panels.iter().map(|(_, p)| p.width()).sum::<u32>() + gap * (panels.len() as u32 + 1);
    let mut sheet = RgbImage::from_pixel(width.max(360), LABEL_BAR + height + gap + PLOT_HEIGHT + gap, WHITE);
    let mut x = gap;
    for (label, panel) in &panels {
        let label_x = x + panel.width().saturating_sub(draw::text_width(label, 2)) / 2;
        draw::text(&mut sheet, label_x as i64, 6, label, 2, INK);
        draw::paste(&mut sheet, panel, x, LABEL_BAR);
        x += panel.width() + gap;
    }
    let plot = loss_plot(reports, sheet.width() - 2 * gap, PLOT_HEIGHT);
    draw::paste(&mut sheet, &plot, gap, LABEL_BAR + height + gap);
    Ok(sheet)
}

/// A plotted loss term: its name, its colour and how to read it from a report.
type Series = (&'static str, Rgb<u8>, fn(&IterationReport) -> f64);

/// Each loss term (log scale) against the iteration.
pub fn loss_plot(reports: &[IterationReport], width: u32, height: u32) -> RgbImage {
    let mut plot = RgbImage::from_pixel(width, height, WHITE);
    let series: [Series; 4] = [
        ("total", INK, |r| r.terms.total()),
        ("content", Rgb([40, 90, 200]), |r| r.terms.content),
        ("style", Rgb([200, 50, 40]), |r| r.terms.style),
        ("tv", Rgb([40, 150, 60]), |r| r.terms.variation),
    ];
    let logs = |f: fn(&IterationReport) -> f64| -> Vec<Option<f64>> {
        reports.iter().map(|r| Some(f(r)).filter(|v| *v > 0.0 && v.is_finite()).map(f64::log10)).collect()
    };
    // A term that is zero throughout (the default's variation) has no curve and no legend.
    let curves: Vec<_> = series
        .iter()
        .map(|(name, colour, f)| (*name, *colour, logs(*f)))
        .filter(|(_, _, values)| values.iter().any(Option::is_some))
        .collect();
    let all: Vec<f64> = curves.iter().flat_map(|(_, _, values)| values.iter().flatten().copied()).collect();
    let (lo, hi) = all.iter().fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let (left, right, top, bottom) = (92.0, width as f64 - 10.0, 24.0, height as f64 - 24.0);
    draw::line(&mut plot, (left, top), (left, bottom), 1, INK);
    draw::line(&mut plot, (left, bottom), (right, bottom), 1, INK);
    let mut legend_x = left as i64 + 8;
    for (name, colour, _) in &curves {
        draw::text(&mut plot, legend_x, 6, name, 1, *colour);
        legend_x += draw::text_width(name, 1) as i64 + 14;
    }
    if reports.is_empty() || all.is_empty() {
        draw::text(&mut plot, left as i64 + 8, (height / 2) as i64, "no iterations", 2, INK);
        return plot;
    }
    let (lo, hi) = if hi - lo < 1e-9 { (lo - 0.5, hi + 0.5) } else { (lo.floor(), hi.ceil()) };
    for decade in lo as i64..=hi as i64 {
        let y = bottom - (decade as f64 - lo) / (hi - lo) * (bottom - top);
        draw::line(&mut plot, (left + 1.0, y), (right, y), 1, GRID);
        draw::text(&mut plot, 6, y as i64 - 3, &format!("1e{decade}"), 1, INK);
    }
    let last = reports.len().saturating_sub(1).max(1) as f64;
    let point = |i: usize, v: f64| {
        (left + i as f64 / last * (right - left), bottom - (v - lo) / (hi - lo) * (bottom - top))
    };
    for (_, colour, values) in &curves {
        for (i, pair) in values.windows(2).enumerate() {
            if let [Some(a), Some(b)] = pair {
                draw::line(&mut plot, point(i, *a), point(i + 1, *b), 2, *colour);
            }
        }
    }
    let axis = format!("iterations 1 to {}", reports.len());
    draw::text(
        &mut plot,
        (right as i64) - draw::text_width(&axis, 1) as i64,
        height as i64 - 14,
        &axis,
        1,
        INK,
    );
    plot
}
