//! Colour preservation (Gatys, Bethge, Hertzmann & Shechtman, "Preserving Color in Neural
//! Artistic Style Transfer", 2016): transfer luminance only, or recolour the painting first.

mod distribution;
pub(crate) mod samples;

use crate::image_io::Planar;

/// How to keep the photo's colours (`preserve_colors` in the recipe).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum PreserveColors {
    /// The painting's colours.
    #[default]
    None,
    /// Optimise luminance only, then put back the photo's chroma (YIQ).
    Luminance,
    /// Recolour the painting to the photo's colour mean and covariance first.
    Match,
}

/// RGB (0–255) → YIQ rows, as in the paper.
const YIQ: [[f64; 3]; 3] = [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]];
const RGB: [[f64; 3]; 3] = [[1.0, 0.956, 0.621], [1.0, -0.272, -0.647], [1.0, -1.106, 1.703]];

fn pixel(image: &Planar, i: usize) -> [f64; 3] {
    let n = image.width * image.height;
    [0, 1, 2].map(|c| image.data[c * n + i] as f64)
}

fn mul(m: &[[f64; 3]; 3], v: [f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|r| m[r][0] * v[0] + m[r][1] * v[1] + m[r][2] * v[2])
}

/// The pixels of `painting` where `region` (at its size) is at least half on, as one row:
/// all that colour statistics read. All of it if the region has no such pixel.
pub(crate) fn region_pixels(painting: &Planar, region: &crate::image_io::Mask) -> Planar {
    let region = region.resized(painting.width, painting.height);
    let inside: Vec<usize> = (0..region.data.len()).filter(|&i| region.data[i] >= 0.5).collect();
    if inside.is_empty() {
        return painting.clone();
    }
    from_pixels(inside.len(), 1, inside.iter().map(|&i| pixel(painting, i)))
}

fn from_pixels(width: usize, height: usize, pixels: impl Iterator<Item = [f64; 3]>) -> Planar {
    let n = width * height;
    let mut data = vec![0.0f32; 3 * n];
    for (i, p) in pixels.enumerate() {
        for c in 0..3 {
            data[c * n + i] = p[c] as f32;
        }
    }
    Planar { width, height, data }
}

fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// The image's luminance as a grey RGB image; with `like`, shifted and scaled to `like`'s
/// luminance mean and standard deviation (so the painting's brightness follows the photo's).
pub fn grey(image: &Planar, like: Option<&Planar>) -> Planar {
    let y = image.luma();
    let (mean, std) = mean_std(&y);
    let (to_mean, to_std) = like.map_or((mean, std), |l| mean_std(&l.luma()));
    let gain = if std > 1e-6 { to_std / std } else { 1.0 };
    from_pixels(image.width, image.height, y.into_iter().map(|v| [(v - mean) * gain + to_mean; 3]))
}

/// `result`'s luminance with `photo`'s chroma (I and Q); `photo` is resized to fit if needed.
pub fn with_chroma_of(result: &Planar, photo: &Planar) -> Planar {
    let photo = if (photo.width, photo.height) == (result.width, result.height) {
        photo.clone()
    } else {
        photo.resized(result.width, result.height)
    };
    let y = result.luma();
    from_pixels(
        result.width,
        result.height,
        (0..y.len()).map(|i| {
            let [_, ci, cq] = mul(&YIQ, pixel(&photo, i));
            mul(&RGB, [y[i], ci, cq]).map(|v| v.clamp(0.0, 255.0))
        }),
    )
}

/// `style` recoloured so its colour mean and covariance equal `photo`'s: x′ = A(x − μₛ) + μ𝒸 with
/// A = L𝒸 Lₛ⁻¹ from the Cholesky factors of the two covariances.
pub fn match_colours(style: &Planar, photo: &Planar) -> Planar {
    recoloured(style, stats(photo))
}

/// `photo` recoloured to the colours of the `paintings` taken together, each counted by its
/// blend weight: their mean and covariance first, then their whole distribution
/// ([`distribution`]): the painting's palette on the photo's layout. A Gram matrix does not
/// pin a colour's mean and spread, so a run that starts from the photo keeps its palette; one
/// that starts here has the painting's.
pub fn in_colours_of(photo: &Planar, paintings: &[(Planar, f64)]) -> Planar {
    distribution::with_distribution_of(&in_colours_of_moments(photo, paintings), paintings)
}

/// `photo` with the colour mean and covariance of the `paintings` (weighted) taken together.
pub(crate) fn in_colours_of_moments(photo: &Planar, paintings: &[(Planar, f64)]) -> Planar {
    let total: f64 = paintings.iter().map(|(_, w)| w.max(0.0)).sum();
    if total <= 0.0 {
        return photo.clone();
    }
    // The mixture's mean and covariance from each painting's mean and second moment.
    let (mut mu, mut second) = ([0.0; 3], [[0.0; 3]; 3]);
    for (painting, weight) in paintings {
        let share = weight.max(0.0) / total;
        let (m, cov) = stats(painting);
        for r in 0..3 {
            mu[r] += share * m[r];
            for c in 0..3 {
                second[r][c] += share * (cov[r][c] + m[r] * m[c]);
            }
        }
    }
    let cov = std::array::from_fn(|r| std::array::from_fn(|c| second[r][c] - mu[r] * mu[c]));
    recoloured(photo, (mu, cov))
}

/// `image` with its colour mean and covariance moved to `(mu, cov)`.
fn recoloured(image: &Planar, (mu_t, cov_t): ([f64; 3], [[f64; 3]; 3])) -> Planar {
    let (mu_s, cov_s) = stats(image);
    let a = matmul(&cholesky(&cov_t), &lower_inverse(&cholesky(&cov_s)));
    let n = image.width * image.height;
    from_pixels(
        image.width,
        image.height,
        (0..n).map(|i| {
            let p = pixel(image, i);
            let d = [p[0] - mu_s[0], p[1] - mu_s[1], p[2] - mu_s[2]];
            let m = mul(&a, d);
            [0, 1, 2].map(|c| (m[c] + mu_t[c]).clamp(0.0, 255.0))
        }),
    )
}

fn stats(image: &Planar) -> ([f64; 3], [[f64; 3]; 3]) {
    let n = image.width * image.height;
    let mut mu = [0.0; 3];
    for i in 0..n {
        let p = pixel(image, i);
        (0..3).for_each(|c| mu[c] += p[c] / n as f64);
    }
    let mut cov = [[0.0; 3]; 3];
    for i in 0..n {
        let p = pixel(image, i);
        for r in 0..3 {
            for c in 0..3 {
                cov[r][c] += (p[r] - mu[r]) * (p[c] - mu[c]) / n as f64;
            }
        }
    }
    // A flat image has a singular covariance; a little on the diagonal keeps Cholesky defined.
    (0..3).for_each(|c| cov[c][c] += 1e-3);
    (mu, cov)
}

fn cholesky(m: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut l = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            l[i][j] = if i == j { (m[i][i] - sum).max(1e-9).sqrt() } else { (m[i][j] - sum) / l[j][j] };
        }
    }
    l
}

/// L⁻¹ by forward substitution, one column of the identity at a time.
fn lower_inverse(l: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let columns: [[f64; 3]; 3] = std::array::from_fn(|col| {
        let mut x = [0.0; 3];
        for i in 0..3 {
            let e = if i == col { 1.0 } else { 0.0 };
            let sum: f64 = (0..i).map(|k| l[i][k] * x[k]).sum();
            x[i] = (e - sum) / l[i][i];
        }
        x
    });
    std::array::from_fn(|row| std::array::from_fn(|col| columns[col][row]))
}

fn matmul(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut out = [[0.0; 3]; 3];
    for r in 0..3 {
        for c in 0..3 {
            out[r][c] = (0..3).map(|k| a[r][k] * b[k][c]).sum();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient_image(w: usize, h: usize, tint: [f32; 3]) -> Planar {
        let mut data = vec![0.0; 3 * w * h];
        for c in 0..3 {
            for i in 0..w * h {
                data[c * w * h + i] = (tint[c] + ((i * (c + 3)) % 97) as f32).min(255.0);
            }
        }
        Planar { width: w, height: h, data }
    }

    #[test]
    fn matched_style_has_the_photo_mean_and_covariance() {
        let style = gradient_image(20, 10, [200.0, 30.0, 10.0]);
        let photo = gradient_image(16, 16, [20.0, 90.0, 150.0]);
        let (mu, cov) = stats(&match_colours(&style, &photo));
        let (mu_c, cov_c) = stats(&photo);
        for r in 0..3 {
            assert!((mu[r] - mu_c[r]).abs() < 0.5, "{mu:?} vs {mu_c:?}");
            for c in 0..3 {
                assert!((cov[r][c] - cov_c[r][c]).abs() < 0.02 * cov_c[r][r], "{cov:?} vs {cov_c:?}");
            }
        }
    }

    #[test]
    fn the_photo_takes_the_paintings_colour_statistics_and_a_blends_by_weight() {
        let photo = gradient_image(16, 16, [200.0, 180.0, 170.0]);
        let (dark, blue) =
            (gradient_image(20, 10, [10.0, 20.0, 60.0]), gradient_image(12, 12, [0.0, 90.0, 150.0]));
        let close = |(mu, cov): ([f64; 3], [[f64; 3]; 3]), (mu_t, cov_t): ([f64; 3], [[f64; 3]; 3])| {
            (0..3).all(|r| {
                (mu[r] - mu_t[r]).abs() < 0.5
                    && (0..3).all(|c| (cov[r][c] - cov_t[r][c]).abs() < 0.02 * cov_t[r][r])
            })
        };
        assert!(close(stats(&in_colours_of_moments(&photo, &[(dark.clone(), 1.0)])), stats(&dark)));
        assert!(close(
            stats(&in_colours_of_moments(&photo, &[(dark.clone(), 2.0), (blue.clone(), 0.0)])),
            stats(&dark)
        ));
        // Half and half: the mean halfway between the paintings'.
        let (mu, _) = stats(&in_colours_of_moments(&photo, &[(dark.clone(), 1.0), (blue.clone(), 1.0)]));
        let (a, b) = (stats(&dark).0, stats(&blue).0);
        assert!((0..3).all(|c| (mu[c] - (a[c] + b[c]) / 2.0).abs() < 0.5), "{mu:?} vs {a:?}, {b:?}");
        assert_eq!(in_colours_of_moments(&photo, &[]), photo);
    }

    #[test]
    fn chroma_comes_back_from_the_photo_and_luminance_from_the_result() {
        // Colours well inside the RGB cube, so that no channel clips when recombined.
        let photo = gradient_image(8, 8, [120.0, 80.0, 60.0]);
        let result = grey(&gradient_image(8, 8, [60.0, 60.0, 60.0]), None);
        let out = with_chroma_of(&result, &photo);
        for i in 0..64 {
            let (o, p, r) =
                (mul(&YIQ, pixel(&out, i)), mul(&YIQ, pixel(&photo, i)), mul(&YIQ, pixel(&result, i)));
            assert!((o[0] - r[0]).abs() < 1.5 && (o[1] - p[1]).abs() < 1.5 && (o[2] - p[2]).abs() < 1.5);
        }
    }

    #[test]
    fn grey_takes_the_luminance_statistics_it_is_given() {
        let like = gradient_image(8, 8, [100.0, 100.0, 100.0]);
        let g = grey(&gradient_image(10, 10, [0.0, 0.0, 0.0]), Some(&like));
        let (m, s) = mean_std(&g.luma());
        let (lm, ls) = mean_std(&like.luma());
        assert!((m - lm).abs() < 1e-3 && (s - ls).abs() < 1e-3);
    }
}
