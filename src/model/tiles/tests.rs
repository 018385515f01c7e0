use burn::tensor::{Device, Tensor, TensorData};

use super::{TileGrid, halo, stride};
use crate::layers::VGG19;
use crate::model::{Vgg19, weights};
use crate::recipe::{Pooling, Recipe};

#[test]
fn the_halo_covers_the_deepest_layers_reach() {
    // relu5_1: five positions of 16 px; relu4_2: five of 8; relu1_1: one pixel.
    assert_eq!(halo(&[0, 2, 4, 8, 9, 12]), 80);
    assert_eq!(halo(&[9]), 40);
    assert_eq!(halo(&[0]), 1);
    assert_eq!(halo(&[]), 0);
}

#[test]
fn cores_partition_every_layer_and_start_on_the_deepest_stride() {
    let wanted = [0, 2, 4, 8, 9, 12];
    for (h, w) in [(100, 70), (64, 64), (33, 200), (47, 16)] {
        for core in [16, 32, 48, 1000] {
            let grid = TileGrid::new(h, w, &wanted, core);
            for s in wanted.map(stride) {
                let (fh, fw) = (h / s, w / s);
                let mut owners = vec![0u8; fh * fw];
                for tile in &grid.tiles {
                    assert_eq!(tile.core_rows.start % 16, 0);
                    assert_eq!(tile.core_cols.start % 16, 0);
                    assert!(tile.rows.start <= tile.core_rows.start && tile.core_rows.end <= tile.rows.end);
                    let dims = (tile.rows.len() / s, tile.cols.len() / s);
                    let [rows, cols] = tile.core_at(s, dims, (h, w));
                    let (r0, c0) = (tile.rows.start / s, tile.cols.start / s);
                    let in_map = [r0 + rows.start..r0 + rows.end, c0 + cols.start..c0 + cols.end];
                    assert_eq!(tile.core_in_map(s, (h, w)), in_map, "{h}×{w}, core {core}, stride {s}");
                    for r in rows {
                        for c in cols.clone() {
                            owners[(r0 + r) * fw + c0 + c] += 1;
                        }
                    }
                }
                assert!(owners.iter().all(|&n| n == 1), "{h}×{w}, core {core}, stride {s}: {owners:?}");
            }
        }
    }
}

#[test]
fn tiled_activations_equal_the_whole_images() {
    let device = Device::flex();
    let wanted: Vec<usize> = Recipe::default().loss.indices();
    let model = Vgg19::new(weights::load(None, VGG19.len() - 1).expect("weights"), Pooling::Max, &device);
    let (h, w) = (72, 90);
    let data: Vec<f32> = (0..3 * h * w).map(|i| 128.0 + 100.0 * (i as f32 * 0.37).sin()).collect();
    let image = Tensor::<4>::from_data(TensorData::new(data, [1, 3, h, w]), &device);
    let whole = model.forward(image.clone(), &wanted);
    let grid = TileGrid::new(h, w, &wanted, 32);
    assert!(grid.tiles.len() >= 6, "{} tiles", grid.tiles.len());
    grid.for_each(&model, &image, &wanted, |tile, cores| {
        for ((core, full), &index) in cores.into_iter().zip(&whole).zip(&wanted) {
            let s = stride(index);
            let [_, c, ch, cw] = core.dims();
            let (r0, c0) = (tile.core_rows.start / s, tile.core_cols.start / s);
            let expected = full.clone().slice([0..1, 0..c, r0..r0 + ch, c0..c0 + cw]);
            let scale: f32 = expected.clone().abs().max().into_scalar();
            let difference: f32 = core.sub(expected).abs().max().into_scalar();
            assert!(
                difference <= 1e-4 * scale.max(1.0),
                "{}: {difference} (scale {scale})",
                VGG19[index].name
            );
        }
    });
}
