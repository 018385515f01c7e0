//! A painting too small for a layer's Gram matrix to be texture weighs that layer down by its
//! positions per channel (`gram_positions`), and only that: the style term is each layer's
//! unweighted term times its share.

use burn::tensor::{Device, Tensor, TensorData};

use super::{Objective, StyleGrams, style_loss};
use crate::Recipe;
use crate::layers::VGG19;
use crate::model::{Vgg19, weights};
use crate::recipe::{Origin, RawRecipe};

fn image(side: usize, seed: f32, device: &Device) -> Tensor<4> {
    let data: Vec<f32> =
        (0..3 * side * side).map(|i| 128.0 + 100.0 * ((i as f32 + seed) * 0.37).sin()).collect();
    Tensor::from_data(TensorData::new(data, [1, 3, side, side]), device)
}

#[test]
fn each_style_layer_counts_by_its_paintings_positions_per_channel() {
    let device = Device::flex();
    // The default's layers and relu5_1, which the default leaves out.
    let text = "gram_positions = 2\n[layers]\nrelu1_1 = { style = 1.0 }\nrelu4_1 = { style = 1.0 }\n\
                relu4_2 = { content = 1.0 }\nrelu5_1 = { style = 1.0 }\n";
    let recipe = RawRecipe::from_toml(text, Origin::Default).and_then(Recipe::resolve).expect("a recipe");
    let model = Vgg19::new(weights::load(None, VGG19.len() - 1).expect("weights"), recipe.pooling, &device);
    // A 64 px painting: relu5_1 sees 4×4 positions for 512 channels, relu1_1 64×64 for 64.
    let (photo, painting, tiny) = (image(48, 0.0, &device), image(64, 5.0, &device), image(32, 7.0, &device));
    let spec = recipe.loss.clone();
    let grams = StyleGrams::new(&model, &spec, &[(painting.clone(), 1.0)], None);
    let relu = |name: &str| crate::layers::layer_index(name).expect("a VGG19 layer");
    assert_eq!(grams.texture_share(relu("relu5_1"), 2.0), 16.0 / 1024.0);
    assert_eq!(grams.texture_share(relu("relu4_1"), 2.0), 64.0 / 1024.0);
    assert_eq!(grams.texture_share(relu("relu1_1"), 2.0), 1.0);
    assert_eq!(grams.texture_share(relu("relu5_1"), 0.0), 1.0);
    // A painting blended in at weight 0 does not count, however small.
    let blended = StyleGrams::new(&model, &spec, &[(painting, 1.0), (tiny, 0.0)], None);
    assert_eq!(blended.texture_share(relu("relu5_1"), 2.0), 16.0 / 1024.0);

    // The objective's style term is Σ share × the layer's own term.
    let acts = model.forward(photo.clone(), &spec.style_indices());
    let expected: f64 = spec
        .style_indices()
        .iter()
        .zip(acts)
        .map(|(&index, act)| {
            let term = style_loss(
                act,
                grams.of_layer(index).expect("a style layer").clone(),
                spec.style_normalization,
            );
            grams.texture_share(index, 2.0) * term.into_scalar::<f32>() as f64
        })
        .sum::<f64>()
        * spec.style_weight;
    let mut objective = Objective::new(model, &spec, photo.clone(), &grams);
    let (terms, _) = objective.evaluate(&photo.reshape([3 * 48 * 48])).expect("evaluation");
    assert!((terms.style - expected).abs() <= 1e-4 * expected, "{} vs {expected}", terms.style);
}
