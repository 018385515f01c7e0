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
        return Ok(hwio_to_oihw(&floats(file, name, &[3, 3, i, o])?, i, o));
    }
    floats(file, name, &[o, i, 3, 3])
}

/// A 3×3 kernel of `i` inputs and `o` outputs from Keras's (3, 3, in, out) order to PyTorch's
/// (out, in, 3, 3).
fn hwio_to_oihw(hwio: &[f32], i: usize, o: usize) -> Vec<f32> {
    let mut oihw = vec![0.0; hwio.len()];
    for (idx, &v) in hwio.iter().enumerate() {
        let (oc, rest) = (idx % o, idx / o);
        let (ic, rest) = (rest % i, rest / i);
        let (kw, kh) = (rest % 3, rest / 3);
        oihw[((oc * i + ic) * 3 + kh) * 3 + kw] = v;
    }
    oihw
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

    /// VGG19's convolutions as Keras names them, written out here rather than read from
    /// [`VGG19`]: (name, in channels, out channels, place in torchvision's `features`).
    const KERAS_VGG19: [(&str, usize, usize, usize); 16] = [
        ("block1_conv1", 3, 64, 0),
        ("block1_conv2", 64, 64, 2),
        ("block2_conv1", 64, 128, 5),
        ("block2_conv2", 128, 128, 7),
        ("block3_conv1", 128, 256, 10),
        ("block3_conv2", 256, 256, 12),
        ("block3_conv3", 256, 256, 14),
        ("block3_conv4", 256, 256, 16),
        ("block4_conv1", 256, 512, 19),
        ("block4_conv2", 512, 512, 21),
        ("block4_conv3", 512, 512, 23),
        ("block4_conv4", 512, 512, 25),
        ("block5_conv1", 512, 512, 28),
        ("block5_conv2", 512, 512, 30),
        ("block5_conv3", 512, 512, 32),
        ("block5_conv4", 512, 512, 34),
    ];

    /// A safetensors file of `(name, shape, values)`, every tensor stored as `dtype` (F32 or F16).
    fn file_of(tensors: &[(String, Vec<usize>, Vec<f32>)], dtype: Dtype) -> Vec<u8> {
        let bytes: Vec<Vec<u8>> = tensors
            .iter()
            .map(|(_, _, values)| match dtype {
                Dtype::F16 => values.iter().flat_map(|v| half::f16::from_f32(*v).to_le_bytes()).collect(),
                _ => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            })
            .collect();
        let views = tensors.iter().zip(&bytes).map(|((name, shape, _), bytes)| {
            (name.clone(), safetensors::tensor::TensorView::new(dtype, shape.clone(), bytes).unwrap())
        });
        safetensors::serialize(views, None).unwrap()
    }

    /// Kernel `{weight}` (out, in, 3, 3) and bias `{bias}` of one layer, filled with `value`
    /// and `-value`.
    fn constant_layer(
        (weight, bias): (String, String),
        (i, o): (usize, usize),
        value: f32,
    ) -> [(String, Vec<usize>, Vec<f32>); 2] {
        [(weight, vec![o, i, 3, 3], vec![value; o * i * 9]), (bias, vec![o], vec![-value; o])]
    }

    #[test]
    fn every_keras_name_loads_its_own_layer() {
        type Names = fn(&str, usize) -> (String, String);
        let namings: [(&str, Names, Preprocessing); 3] = [
            ("_W / _b", |name, _| (format!("{name}_W"), format!("{name}_b")), Preprocessing::Caffe),
            (
                ".weight / .bias",
                |name, _| (format!("{name}.weight"), format!("{name}.bias")),
                Preprocessing::Caffe,
            ),
            (
                "torchvision",
                |_, at| (format!("features.{at}.weight"), format!("features.{at}.bias")),
                Preprocessing::Torchvision,
            ),
        ];
        for (naming, names, preprocessing) in namings {
            // Layer k holds k + 1 in its kernel and -(k + 1) in its bias: each convolution
            // loaded shows which tensors it was read from.
            let tensors: Vec<_> = KERAS_VGG19
                .iter()
                .enumerate()
                .flat_map(|(k, &(name, i, o, at))| constant_layer(names(name, at), (i, o), k as f32 + 1.0))
                .collect();
            let w = parse(&file_of(&tensors, Dtype::F16), "named.safetensors", VGG19.len() - 1)
                .unwrap_or_else(|e| panic!("{naming}: {e:#}"));
            assert_eq!(w.preprocessing, preprocessing, "{naming}");
            assert_eq!(w.convs.len(), 16, "{naming}");
            for (k, (conv, &(name, i, o, _))) in w.convs.iter().zip(&KERAS_VGG19).enumerate() {
                let value = k as f32 + 1.0;
                assert_eq!(VGG19[k].name, name, "layer {k}");
                assert_eq!(conv.weight.len(), o * i * 9, "{naming} {name}");
                assert!(conv.weight.iter().all(|&v| v == value), "{naming} {name}: kernel of another layer");
                assert_eq!(conv.bias, vec![-value; o], "{naming} {name}: bias of another layer");
            }
        }
    }

    #[test]
    fn an_unknown_keras_name_is_refused_naming_the_tensor_expected() {
        let layers = |rename: &dyn Fn(String) -> String| -> Vec<u8> {
            let tensors: Vec<_> = KERAS_VGG19[..3]
                .iter()
                .flat_map(|&(name, i, o, _)| {
                    let [w, b] = constant_layer((format!("{name}_W"), format!("{name}_b")), (i, o), 1.0);
                    [(rename(w.0), w.1, w.2), (rename(b.0), b.1, b.2)]
                })
                .collect();
            file_of(&tensors, Dtype::F32)
        };
        parse(&layers(&|n| n), "w.safetensors", 2).expect("the same file, named as expected, loads");
        for (from, to, expected) in [
            ("block2_conv1_W", "block2_conv3_W", "block2_conv1_W"),
            ("block1_conv2_b", "block1_conv2_bias", "block1_conv2_b"),
            ("block2_conv1_W", "block2_conv1.weight", "block2_conv1_W"),
        ] {
            let bytes = layers(&|n| if n == from { to.to_string() } else { n });
            let err = error(&bytes, 2);
            assert!(
                err.contains("w.safetensors") && err.contains(&format!("missing tensor '{expected}'")),
                "{from} stored as {to}: {err}"
            );
        }
        // Keras's own HDF5 paths: no layer named as nst reads them.
        let keras_paths = layers(&|n| format!("vgg19/{n}/kernel:0"));
        let err = error(&keras_paths, 2);
        assert!(
            err.contains("w.safetensors")
                && err.contains("no VGG19 tensors")
                && err.contains("block1_conv1_W"),
            "{err}"
        );
    }

    #[test]
    fn hwio_kernels_come_out_oihw() {
        // in[h][w][i][o] = 1000 h + 100 w + 10 i + o: a kernel of 2 inputs and 4 outputs.
        let (i, o) = (2, 4);
        let hwio: Vec<f32> = (0..3 * 3 * i * o)
            .map(|idx| {
                let (oc, ic, kw, kh) = (idx % o, idx / o % i, idx / (o * i) % 3, idx / (o * i * 3));
                (1000 * kh + 100 * kw + 10 * ic + oc) as f32
            })
            .collect();
        let oihw = hwio_to_oihw(&hwio, i, o);
        let at = |oc: usize, ic: usize, kh: usize, kw: usize| oihw[((oc * i + ic) * 3 + kh) * 3 + kw];
        // Output 0, input 0: its 3×3 taps, row by row.
        assert_eq!(oihw[..9], [0.0, 100.0, 200.0, 1000.0, 1100.0, 1200.0, 2000.0, 2100.0, 2200.0]);
        assert_eq!(oihw[9..12], [10.0, 110.0, 210.0], "output 0, input 1");
        assert_eq!(oihw[18], 1.0, "output 1, input 0, top left");
        assert_eq!(at(3, 1, 2, 0), 2013.0);
        assert_eq!(at(2, 0, 0, 2), 202.0);
        assert_eq!(at(1, 1, 1, 2), 1211.0);
        for (oc, ic, kh, kw) in (0..o * i * 9).map(|n| (n / (i * 9), n / 9 % i, n / 3 % 3, n % 3)) {
            assert_eq!(at(oc, ic, kh, kw), (1000 * kh + 100 * kw + 10 * ic + oc) as f32);
        }
    }

    #[test]
    fn a_keras_file_in_hwio_loads_in_oihw() {
        // block1_conv1 as Keras saves it, (3, 3, 3, 64), each value its index in that order.
        let hwio: Vec<f32> = (0..3 * 3 * 3 * 64).map(|n| n as f32).collect();
        let oihw: Vec<f32> = (0..64 * 3 * 9).map(|n| -(n as f32)).collect();
        for (shape, values) in [(vec![3, 3, 3, 64], hwio), (vec![64, 3, 3, 3], oihw.clone())] {
            let tensors = [
                ("block1_conv1_W".to_string(), shape.clone(), values),
                ("block1_conv1_b".to_string(), vec![64], vec![0.5; 64]),
            ];
            let w = parse(&file_of(&tensors, Dtype::F32), "keras.safetensors", 0).expect("loads");
            let weight = &w.convs[0].weight;
            let at = |oc: usize, ic: usize, kh: usize, kw: usize| weight[((oc * 3 + ic) * 3 + kh) * 3 + kw];
            if shape[0] == 64 {
                assert_eq!(*weight, oihw, "(out, in, 3, 3) is taken as it is");
                continue;
            }
            // in[h][w][i][o] sits at ((h * 3 + w) * 3 + i) * 64 + o.
            assert_eq!(at(0, 0, 0, 0), 0.0);
            assert_eq!(at(1, 0, 0, 0), 1.0, "next output");
            assert_eq!(at(0, 1, 0, 0), 64.0, "next input");
            assert_eq!(at(0, 0, 0, 1), 192.0, "next column");
            assert_eq!(at(0, 0, 1, 0), 576.0, "next row");
            assert_eq!(at(5, 1, 2, 0), 1221.0);
            assert_eq!(at(63, 2, 2, 2), 1727.0);
            assert_eq!(w.convs[0].bias, vec![0.5; 64]);
        }
    }
}
