//! Tiles for evaluating VGG19 on an image too large to hold its activations at once. Each tile
//! is a *core* (the tiles' cores partition the image) plus a *halo* of neighbouring pixels wide
//! enough that every activation above the core is exactly the untiled network's: a 3×3
//! convolution lets the zero padding at a tile's edge reach one more position inwards, a pool
//! halves that reach, and cores start on multiples of the deepest layer's stride so the pools'
//! 2×2 windows fall as they do on the whole image. An activation position then belongs to the
//! one tile whose core holds it, so sums over positions (Gram matrices, content errors) and their
//! gradients add up over tiles to the untiled ones.

use std::ops::Range;

use burn::tensor::Tensor;

use super::Vgg19;
use crate::layers::VGG19;

/// One tile, in the image's pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tile {
    /// Rows and columns the network is run on: the core and its halo, clipped to the image.
    pub rows: Range<usize>,
    pub cols: Range<usize>,
    /// Rows and columns whose activations this tile owns.
    pub core_rows: Range<usize>,
    pub core_cols: Range<usize>,
}

impl Tile {
    /// The core's positions in the tile's own activations of a layer with `stride` (2 to the
    /// number of pools before it) whose activations are `[.., h, w]`.
    pub fn core_at(&self, stride: usize, (h, w): (usize, usize), image: (usize, usize)) -> [Range<usize>; 2] {
        let axis = |core: &Range<usize>, tile: &Range<usize>, size: usize, full: usize| {
            let start = (core.start - tile.start) / stride;
            // At the image's edge the core takes what the pools leave, as on the whole image.
            let end = if core.end == full { size } else { (core.end - tile.start) / stride };
            start..end
        };
        [axis(&self.core_rows, &self.rows, h, image.0), axis(&self.core_cols, &self.cols, w, image.1)]
    }

    /// The core's positions in the whole image's map of a layer with `stride` (the pools
    /// floor, so that map is the image's size over `stride`): where [`Tile::core_at`]'s
    /// positions sit in the untiled activations.
    pub fn core_in_map(&self, stride: usize, image: (usize, usize)) -> [Range<usize>; 2] {
        let axis = |core: &Range<usize>, full: usize| {
            let end = if core.end == full { full / stride } else { core.end / stride };
            core.start / stride..end
        };
        [axis(&self.core_rows, image.0), axis(&self.core_cols, image.1)]
    }

    /// The core's activations of a layer with `stride`, cut from the tile's `[1, C, h, w]`.
    pub fn core_of(&self, activation: Tensor<4>, stride: usize, image: (usize, usize)) -> Tensor<4> {
        let [_, c, h, w] = activation.dims();
        let [rows, cols] = self.core_at(stride, (h, w), image);
        activation.slice([0..1, 0..c, rows, cols])
    }
}

/// How the image is cut. Its halos suit the layers it was made for, or any shallower ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileGrid {
    pub height: usize,
    pub width: usize,
    pub tiles: Vec<Tile>,
}

impl TileGrid {
    /// One tile holding the whole image: the untiled evaluation.
    pub fn whole(height: usize, width: usize) -> Self {
        let tile = Tile { rows: 0..height, cols: 0..width, core_rows: 0..height, core_cols: 0..width };
        TileGrid { height, width, tiles: vec![tile] }
    }

    /// [`TileGrid::new`] when `tile` is given and the image is larger than it, else whole.
    pub fn cut(height: usize, width: usize, wanted: &[usize], tile: Option<usize>) -> Self {
        match tile {
            Some(side) if height.max(width) > side => TileGrid::new(height, width, wanted, side),
            _ => TileGrid::whole(height, width),
        }
    }

    /// Cores of at most `core_side` a side (rounded down to the deepest layer's stride, at least
    /// one stride), spread evenly, each with the halo the deepest wanted layer needs.
    pub fn new(height: usize, width: usize, wanted: &[usize], core_side: usize) -> Self {
        let deepest = wanted.iter().copied().max().unwrap_or(0);
        let align = stride(deepest);
        let halo = halo(wanted);
        let cuts = |size: usize| -> Vec<Range<usize>> {
            let count = size.div_ceil(core_side.max(align));
            // Equal cores, on multiples of `align`; the last one ends at the edge.
            let step = size.div_ceil(count).div_ceil(align) * align;
            let mut cuts: Vec<Range<usize>> =
                (0..size).step_by(step.max(align)).map(|start| start..(start + step).min(size)).collect();
            // A last core thinner than a stride would own no position of the deepest layer.
            if cuts.len() > 1 && cuts[cuts.len() - 1].len() < align {
                let end = cuts.pop().map_or(size, |last| last.end);
                if let Some(previous) = cuts.last_mut() {
                    previous.end = end;
                }
            }
            cuts
        };
        let (row_cuts, col_cuts) = (cuts(height), cuts(width));
        let grow =
            |core: &Range<usize>, size: usize| core.start.saturating_sub(halo)..(core.end + halo).min(size);
        let tiles = row_cuts
            .iter()
            .flat_map(|r| col_cuts.iter().map(move |c| (r.clone(), c.clone())))
            .map(|(r, c)| Tile { rows: grow(&r, height), cols: grow(&c, width), core_rows: r, core_cols: c })
            .collect();
        TileGrid { height, width, tiles }
    }

    pub fn is_whole(&self) -> bool {
        self.tiles.len() == 1
    }

    /// The tiles' pixels, halos included: the network's work for one pass over the image.
    pub fn tiled_pixels(&self) -> usize {
        self.tiles.iter().map(|t| t.rows.len() * t.cols.len()).sum()
    }

    /// Run the network over each tile of `image` (`[1, 3, H, W]`), handing over the tile and
    /// the activations of `wanted` (those the grid was made for, or shallower) cut to its core.
    pub fn for_each(
        &self,
        model: &Vgg19,
        image: &Tensor<4>,
        wanted: &[usize],
        mut visit: impl FnMut(&Tile, Vec<Tensor<4>>),
    ) {
        let image_size = (self.height, self.width);
        for tile in &self.tiles {
            let pixels = image.clone().slice([0..1, 0..3, tile.rows.clone(), tile.cols.clone()]);
            let cores = model
                .forward(pixels, wanted)
                .into_iter()
                .zip(wanted)
                .map(|(act, &index)| tile.core_of(act, stride(index), image_size))
                .collect();
            visit(tile, cores);
        }
    }
}

/// 2 to the number of pools before layer `index`.
pub fn stride(index: usize) -> usize {
    crate::layers::min_side(index) as usize
}

/// Pixels of halo that keep the activations of every layer in `wanted` free of a tile edge's
/// zero padding, rounded up to the deepest layer's stride.
pub fn halo(wanted: &[usize]) -> usize {
    let Some(&deepest) = wanted.iter().max() else { return 0 };
    // How many positions in from an edge the padding reaches, in the current layer's positions.
    let mut reach = 0usize;
    let mut needed = 0usize;
    for (i, layer) in VGG19.iter().enumerate().take(deepest + 1) {
        reach += 1;
        if wanted.contains(&i) {
            needed = needed.max(reach * stride(i));
        }
        if layer.pool_after {
            reach = reach.div_ceil(2);
        }
    }
    let align = stride(deepest);
    needed.div_ceil(align) * align
}

#[cfg(test)]
mod tests;
