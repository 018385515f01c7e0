//! The VGG19 layer table: the one place that knows VGG19's shape and its layer names.

/// One 3×3 convolution of VGG19, followed by a ReLU (and a 2×2 pool when `pool_after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvLayer {
    /// Keras name, e.g. `block4_conv2`.
    pub name: &'static str,
    pub block: usize,
    pub index_in_block: usize,
    pub in_channels: usize,
    pub out_channels: usize,
    /// Position in torchvision's `features` Sequential (conv, relu, [pool], …).
    pub torchvision_index: usize,
    /// A pooling layer follows this convolution (its ReLU) in VGG19.
    pub pool_after: bool,
}

const fn conv(
    name: &'static str,
    block: usize,
    index_in_block: usize,
    in_channels: usize,
    out_channels: usize,
    torchvision_index: usize,
    pool_after: bool,
) -> ConvLayer {
    ConvLayer { name, block, index_in_block, in_channels, out_channels, torchvision_index, pool_after }
}

/// VGG19's sixteen convolutions, in order.
pub const VGG19: [ConvLayer; 16] = [
    conv("block1_conv1", 1, 1, 3, 64, 0, false),
    conv("block1_conv2", 1, 2, 64, 64, 2, true),
    conv("block2_conv1", 2, 1, 64, 128, 5, false),
    conv("block2_conv2", 2, 2, 128, 128, 7, true),
    conv("block3_conv1", 3, 1, 128, 256, 10, false),
    conv("block3_conv2", 3, 2, 256, 256, 12, false),
    conv("block3_conv3", 3, 3, 256, 256, 14, false),
    conv("block3_conv4", 3, 4, 256, 256, 16, true),
    conv("block4_conv1", 4, 1, 256, 512, 19, false),
    conv("block4_conv2", 4, 2, 512, 512, 21, false),
    conv("block4_conv3", 4, 3, 512, 512, 23, false),
    conv("block4_conv4", 4, 4, 512, 512, 25, true),
    conv("block5_conv1", 5, 1, 512, 512, 28, false),
    conv("block5_conv2", 5, 2, 512, 512, 30, false),
    conv("block5_conv3", 5, 3, 512, 512, 32, false),
    conv("block5_conv4", 5, 4, 512, 512, 34, true),
];

/// Index into [`VGG19`] of a layer given by any accepted name: `block4_conv2`, `block4_relu2`,
/// `conv4_2` or `relu4_2`. Activations are always taken after the ReLU.
pub fn layer_index(name: &str) -> Option<usize> {
    let (block, index) = parse_alias(name)?;
    VGG19.iter().position(|l| l.block == block && l.index_in_block == index)
}

fn parse_alias(name: &str) -> Option<(usize, usize)> {
    let digits = |s: &str| -> Option<usize> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
    };
    if let Some(rest) = name.strip_prefix("block") {
        let (block, layer) = rest.split_once('_')?;
        let index = layer.strip_prefix("conv").or_else(|| layer.strip_prefix("relu"))?;
        return Some((digits(block)?, digits(index)?));
    }
    let rest = name.strip_prefix("relu").or_else(|| name.strip_prefix("conv"))?;
    let (block, index) = rest.split_once('_')?;
    Some((digits(block)?, digits(index)?))
}

/// Smallest side an image may have for layer `index` to still see a pixel: VGG19 halves the
/// image at each pool before it.
pub fn min_side(index: usize) -> u32 {
    1 << VGG19[..index].iter().filter(|l| l.pool_after).count()
}

/// Every name `layer_index` accepts for the layer, for `nst layers` and error messages.
pub fn aliases(layer: &ConvLayer) -> [String; 4] {
    let (b, i) = (layer.block, layer.index_in_block);
    [format!("block{b}_conv{i}"), format!("block{b}_relu{i}"), format!("conv{b}_{i}"), format!("relu{b}_{i}")]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alias_finds_its_layer() {
        for (i, layer) in VGG19.iter().enumerate() {
            for alias in aliases(layer) {
                assert_eq!(layer_index(&alias), Some(i), "{alias}");
            }
        }
    }

    #[test]
    fn unknown_names_are_rejected() {
        for bad in ["", "block6_conv1", "block1_conv3", "relu4", "conv_4_2", "block1_pool", "relu4_2x"] {
            assert_eq!(layer_index(bad), None, "{bad}");
        }
    }

    #[test]
    fn channels_chain() {
        for pair in VGG19.windows(2) {
            assert_eq!(pair[0].out_channels, pair[1].in_channels);
        }
    }
}
