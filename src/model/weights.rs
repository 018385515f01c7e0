//! Reading VGG19 weights from safetensors, in the three namings we accept:
//! - nst's 8-bit form (`weights/vgg19.safetensors`): `{layer}_W_q` u8 indices into a 256-entry
//!   f32 `{layer}_W_table`, and `{layer}_b`; Caffe preprocessing.
//! - plain Keras names: `{layer}_W` / `{layer}_b` or `{layer}.weight` / `{layer}.bias`, f32, f16
//!   or bf16, (out, in, 3, 3) or Keras's (3, 3, in, out); Caffe preprocessing.
//! - torchvision names: `features.{i}.weight` / `.bias`; torchvision preprocessing.
//!
//! Every problem is reported with the file and the tensor it concerns.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Result, bail};
use safetensors::{Dtype, SafeTensors};

use crate::layers::{ConvLayer, VGG19};

/// The shipped weights, built into the binary so they are found from any directory.
pub const DEFAULT_WEIGHTS: &[u8] = include_bytes!("../../weights/vgg19.safetensors");
pub const DEFAULT_WEIGHTS_NAME: &str = "built-in weights/vgg19.safetensors";

/// How images must be prepared for a set of weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preprocessing {
    /// Caffe VGG: BGR, 0–255, minus the mean pixel.
    Caffe,
    /// torchvision: RGB, 0–1, minus the ImageNet mean, divided by its std.
    Torchvision,
}

impl Preprocessing {
    /// Per-channel (scale, shift) taking RGB 0–255 to the network's input, in the network's
    /// channel order, and whether that order is BGR.
    pub fn affine(self) -> ([f32; 3], [f32; 3], bool) {
        match self {
            Preprocessing::Caffe => ([1.0; 3], [-103.939, -116.779, -123.68], true),
            Preprocessing::Torchvision => {
                let mean = [0.485f32, 0.456, 0.406];
                let std = [0.229f32, 0.224, 0.225];
                let scale = std.map(|s| 1.0 / (255.0 * s));
                let shift = [0, 1, 2].map(|c| -mean[c] / std[c]);
                (scale, shift, false)
            }
        }
    }
}

/// One convolution's parameters as flat f32 in (out, in, 3, 3) order.
pub struct ConvWeights {
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

pub struct Vgg19Weights {
    /// Layers 0..=deepest of [`VGG19`].
    pub convs: Vec<ConvWeights>,
    pub preprocessing: Preprocessing,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Naming {
    Quantized,
    KerasUnderscore,
    KerasDot,
    Torchvision,
}

/// Load layers `0..=deepest` from the file at `path` (or the built-in weights when `None`).
pub fn load(path: Option<&Path>, deepest: usize) -> Result<Vgg19Weights> {
    match path {
        None => parse(DEFAULT_WEIGHTS, DEFAULT_WEIGHTS_NAME, deepest),
        Some(path) => {
            let bytes = std::fs::read(path)
                .map_err(|e| crate::usage!("{}: cannot read weights: {e}", path.display()))?;
            parse(&bytes, &path.display().to_string(), deepest)
        }
    }
}

/// Parse weights from bytes; `origin` names the file in errors.
pub fn parse(bytes: &[u8], origin: &str, deepest: usize) -> Result<Vgg19Weights> {
    let file = SafeTensors::deserialize(bytes).map_err(|e| {
        let detail = truncated_tensor(bytes)
            .map(|name| format!("file is truncated: tensor '{name}' runs past its end"))
            .unwrap_or_else(|| format!("not a valid safetensors file ({e:?})"));
        crate::usage!("{origin}: {detail}")
    })?;
    let naming = detect_naming(&file).ok_or_else(|| {
        crate::usage!(
            "{origin}: no VGG19 tensors found (expected block1_conv1_W_q, block1_conv1_W, \
             block1_conv1.weight or features.0.weight)"
        )
    })?;
    let preprocessing = match file_metadata(bytes).get("preprocessing").map(String::as_str) {
        Some(p) if p.starts_with("caffe") => Preprocessing::Caffe,
        Some(p) if p.starts_with("torch") => Preprocessing::Torchvision,
        Some(p) => bail!(crate::usage!("{origin}: unknown preprocessing '{p}' in metadata")),
        None if naming == Naming::Torchvision => Preprocessing::Torchvision,
        None => Preprocessing::Caffe,
    };
    let convs = VGG19[..=deepest]
        .iter()
        .map(|layer| read_layer(&file, naming, layer))
        .collect::<Result<Vec<_>>>()
        .map_err(|e| crate::usage!("{origin}: {e:#}"))?;
    Ok(Vgg19Weights { convs, preprocessing })
}

fn detect_naming(file: &SafeTensors) -> Option<Naming> {
    let has = |name: &str| file.tensor(name).is_ok();
    [
        ("block1_conv1_W_q", Naming::Quantized),
        ("block1_conv1_W", Naming::KerasUnderscore),
        ("block1_conv1.weight", Naming::KerasDot),
        ("features.0.weight", Naming::Torchvision),
    ]
    .into_iter()
    .find(|(name, _)| has(name))
    .map(|(_, naming)| naming)
}

fn read_layer(file: &SafeTensors, naming: Naming, layer: &ConvLayer) -> Result<ConvWeights> {
    let name = layer.name;
    let (o, i) = (layer.out_channels, layer.in_channels);
    let weight = match naming {
        Naming::Quantized => {
            let indices = tensor(file, &format!("{name}_W_q"), &[o, i, 3, 3], &[Dtype::U8])?;
            let table = floats(file, &format!("{name}_W_table"), &[256])?;
            indices.data().iter().map(|&q| table[q as usize]).collect()
        }
        Naming::KerasUnderscore => conv_kernel(file, &format!("{name}_W"), o, i)?,
        Naming::KerasDot => conv_kernel(file, &format!("{name}.weight"), o, i)?,
        Naming::Torchvision => {
            conv_kernel(file, &format!("features.{}.weight", layer.torchvision_index), o, i)?
        }
    };
    let bias_name = match naming {
        Naming::Quantized | Naming::KerasUnderscore => format!("{name}_b"),
        Naming::KerasDot => format!("{name}.bias"),
        Naming::Torchvision => format!("features.{}.bias", layer.torchvision_index),
    };
    let bias = floats(file, &bias_name, &[o])?;
    if let Some(bad) = weight.iter().chain(&bias).find(|v| !v.is_finite()) {
        bail!("layer {name} holds a non-finite value ({bad})");
    }
    Ok(ConvWeights { weight, bias })
}

/// A kernel in PyTorch order (out, in, 3, 3), also accepting Keras's (3, 3, in, out).
fn conv_kernel(file: &SafeTensors, name: &str, o: usize, i: usize) -> Result<Vec<f32>> {
    let view = file.tensor(name).map_err(|_| anyhow::anyhow!("missing tensor '{name}'"))?;
    if view.shape() == [3, 3, i, o] {
        let hwio = floats(file, name, &[3, 3, i, o])?;
        let mut oihw = vec![0.0; hwio.len()];
        for (idx, v) in hwio.into_iter().enumerate() {
            let (oc, rest) = (idx % o, idx / o);
            let (ic, rest) = (rest % i, rest / i);
            let (kw, kh) = (rest % 3, rest / 3);
            oihw[((oc * i + ic) * 3 + kh) * 3 + kw] = v;
        }
        return Ok(oihw);
    }
    floats(file, name, &[o, i, 3, 3])
}

fn tensor<'a>(
    file: &SafeTensors<'a>,
    name: &str,
    shape: &[usize],
    dtypes: &[Dtype],
) -> Result<safetensors::tensor::TensorView<'a>> {
    let view = file.tensor(name).map_err(|_| anyhow::anyhow!("missing tensor '{name}'"))?;
    if view.shape() != shape {
        bail!("tensor '{name}' has shape {:?}, expected {shape:?}", view.shape());
    }
    if !dtypes.contains(&view.dtype()) {
        bail!("tensor '{name}' has dtype {:?}, expected one of {dtypes:?}", view.dtype());
    }
    Ok(view)
}

fn floats(file: &SafeTensors, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
    let view = tensor(file, name, shape, &[Dtype::F32, Dtype::F16, Dtype::BF16])?;
    let bytes = view.data();
    Ok(match view.dtype() {
        Dtype::F32 => bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
        Dtype::F16 => {
            bytes.chunks_exact(2).map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()).collect()
        }
        _ => bytes.chunks_exact(2).map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
    })
}

/// The header as JSON, read without checking the data length, for truncation and metadata.
fn raw_header(bytes: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    let n = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
    let end = 8usize.checked_add(usize::try_from(n).ok()?)?;
    serde_json::from_slice(bytes.get(8..end)?).ok()
}

/// The first tensor (by offset) whose data lies beyond the end of a truncated file.
fn truncated_tensor(bytes: &[u8]) -> Option<String> {
    let header = raw_header(bytes)?;
    let available = bytes
        .len()
        .checked_sub(8 + usize::try_from(u64::from_le_bytes(bytes[..8].try_into().ok()?)).ok()?)?;
    header
        .iter()
        .filter_map(|(name, info)| {
            let offsets = info.get("data_offsets")?.as_array()?;
            let (start, end) = (offsets.first()?.as_u64()?, offsets.get(1)?.as_u64()?);
            (end as usize > available).then_some((start, name.clone()))
        })
        .min()
        .map(|(_, name)| name)
}

fn file_metadata(bytes: &[u8]) -> HashMap<String, String> {
    raw_header(bytes)
        .and_then(|h| h.get("__metadata__").cloned())
        .and_then(|m| serde_json::from_value(m).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_weights_load_with_vgg19_shapes() {
        let w = load(None, VGG19.len() - 1).expect("built-in weights");
        assert_eq!(w.preprocessing, Preprocessing::Caffe);
        for (layer, conv) in VGG19.iter().zip(&w.convs) {
            assert_eq!(conv.weight.len(), layer.out_channels * layer.in_channels * 9, "{}", layer.name);
            assert_eq!(conv.bias.len(), layer.out_channels, "{}", layer.name);
        }
        // Real ImageNet weights, not zeros or noise: first-layer kernels have a known scale.
        let first = &w.convs[0].weight;
        let mean_abs = first.iter().map(|v| v.abs()).sum::<f32>() / first.len() as f32;
        assert!(mean_abs > 0.05 && mean_abs < 1.0, "{mean_abs}");
    }

    /// A small file in torchvision naming with the first `layers` convolutions, in f32.
    fn torchvision_fixture(layers: usize, dtype_of: impl Fn(&str) -> Dtype) -> Vec<u8> {
        let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
        for layer in &VGG19[..layers] {
            let shape = vec![layer.out_channels, layer.in_channels, 3, 3];
            let n: usize = shape.iter().product();
            let weight: Vec<f32> = (0..n).map(|i| ((i % 17) as f32 - 8.0) * 0.01).collect();
            let bias: Vec<f32> = (0..layer.out_channels).map(|i| i as f32 * 0.1).collect();
            let idx = layer.torchvision_index;
            for (name, shape, values) in [
                (format!("features.{idx}.weight"), shape, weight),
                (format!("features.{idx}.bias"), vec![layer.out_channels], bias),
            ] {
                let bytes = match dtype_of(&name) {
                    Dtype::F16 => values.iter().flat_map(|v| half::f16::from_f32(*v).to_le_bytes()).collect(),
                    _ => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
                };
                tensors.push((name, shape, bytes));
            }
        }
        let views: Vec<_> = tensors
            .iter()
            .map(|(name, shape, bytes)| {
                let view =
                    safetensors::tensor::TensorView::new(dtype_of(name), shape.clone(), bytes).unwrap();
                (name.clone(), view)
            })
            .collect();
        safetensors::serialize(views, None).unwrap()
    }

    #[test]
    fn torchvision_fixture_loads() {
        let bytes = torchvision_fixture(2, |_| Dtype::F32);
        let w = parse(&bytes, "fixture.safetensors", 1).expect("fixture loads");
        assert_eq!(w.preprocessing, Preprocessing::Torchvision);
        assert_eq!(w.convs.len(), 2);
        assert_eq!(w.convs[1].weight.len(), 64 * 64 * 9);
        assert_eq!(w.convs[0].weight[1], -0.07);
        assert_eq!(w.convs[1].bias[3], 0.3);
    }

    #[test]
    fn f16_tensors_load() {
        let bytes = torchvision_fixture(1, |_| Dtype::F16);
        let w = parse(&bytes, "half.safetensors", 0).expect("f16 loads");
        assert!((w.convs[0].weight[1] + 0.07).abs() < 1e-3);
    }

    fn error(bytes: &[u8], deepest: usize) -> String {
        format!("{:#}", parse(bytes, "w.safetensors", deepest).err().expect("should fail"))
    }

    #[test]
    fn a_layer_missing_names_the_tensor() {
        let bytes = torchvision_fixture(2, |_| Dtype::F32);
        let err = error(&bytes, 2);
        assert!(err.contains("w.safetensors") && err.contains("features.5.weight"), "{err}");
    }

    #[test]
    fn truncated_file_names_the_tensor() {
        let bytes = torchvision_fixture(2, |_| Dtype::F32);
        let err = error(&bytes[..bytes.len() - 1000], 1);
        assert!(
            err.contains("w.safetensors") && err.contains("truncated") && err.contains("features.2"),
            "{err}"
        );
    }

    #[test]
    fn wrong_dtype_names_the_tensor() {
        let bytes =
            torchvision_fixture(1, |name| if name.ends_with("bias") { Dtype::I32 } else { Dtype::F32 });
        let err = error(&bytes, 0);
        assert!(err.contains("features.0.bias") && err.contains("dtype"), "{err}");
    }

    #[test]
    fn wrong_shape_names_the_tensor() {
        let bias = vec![0u8; 4 * 10];
        let weight = vec![0u8; 4 * 64 * 27];
        let views = vec![
            (
                "features.0.weight".to_string(),
                safetensors::tensor::TensorView::new(Dtype::F32, vec![64, 3, 3, 3], &weight).unwrap(),
            ),
            (
                "features.0.bias".to_string(),
                safetensors::tensor::TensorView::new(Dtype::F32, vec![10], &bias).unwrap(),
            ),
        ];
        let bytes = safetensors::serialize(views, None).unwrap();
        let err = error(&bytes, 0);
        assert!(err.contains("features.0.bias") && err.contains("shape [10]"), "{err}");
    }

    #[test]
    fn not_safetensors_at_all() {
        let err = error(b"\x89PNG not weights at all", 0);
        assert!(err.contains("w.safetensors") && err.contains("not a valid safetensors"), "{err}");
    }
}
