//! Picking where the work runs: the one place a backend is chosen. (The CPU kernels in
//! `model/same_conv.rs` and `model/max_pool.rs` name burn's backends too, but only to tell
//! burn's dispatch which backends their extension covers.) The GPU adapters are in
//! `device/wgpu_adapters.rs`; a build without the `gpu` feature (CPU only, a smaller binary)
//! has none (`device/no_adapters.rs`).

use std::path::PathBuf;

use anyhow::{Result, bail};
use burn::tensor::Device;

#[cfg(not(feature = "gpu"))]
mod no_adapters;
#[cfg(feature = "gpu")]
mod wgpu_adapters;

#[cfg(not(feature = "gpu"))]
pub use no_adapters::{Adapter, init_adapter, probe_adapters};
#[cfg(feature = "gpu")]
pub use wgpu_adapters::{Adapter, init_adapter, probe_adapters};

/// Said wherever a CPU-only build meets a request for a GPU.
pub const CPU_ONLY: &str = "this nst was built for the CPU only (without the `gpu` feature)";

/// What the user asked for with `--device` (or the recipe's `device`): `auto`, `gpu`,
/// `gpu:N` or `cpu`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(try_from = "String", into = "String")]
pub enum DeviceChoice {
    /// A real GPU through wgpu when one is found, else the CPU.
    Auto,
    /// wgpu only; an error when no usable adapter exists. Also accepts software Vulkan
    /// (Mesa's lavapipe), which is slow but useful for testing.
    Gpu,
    /// One adapter, by its number in `nst devices` (best first).
    GpuNumber(usize),
    /// burn's CPU backend (flex).
    Cpu,
}

impl std::str::FromStr for DeviceChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(DeviceChoice::Auto),
            "gpu" => Ok(DeviceChoice::Gpu),
            "cpu" => Ok(DeviceChoice::Cpu),
            _ => s.strip_prefix("gpu:").and_then(|n| n.parse().ok()).map(DeviceChoice::GpuNumber).ok_or_else(
                || format!("'{s}' is not a device: use auto, gpu, gpu:N (see `nst devices`) or cpu"),
            ),
        }
    }
}

impl TryFrom<String> for DeviceChoice {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<DeviceChoice> for String {
    fn from(d: DeviceChoice) -> String {
        match d {
            DeviceChoice::Auto => "auto".into(),
            DeviceChoice::Gpu => "gpu".into(),
            DeviceChoice::GpuNumber(n) => format!("gpu:{n}"),
            DeviceChoice::Cpu => "cpu".into(),
        }
    }
}

/// The device picked, with a line for the user saying which it is.
#[derive(Debug, Clone)]
pub struct ComputeDevice {
    pub device: Device,
    pub description: String,
    pub is_gpu: bool,
}

impl ComputeDevice {
    pub fn cpu() -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        ComputeDevice {
            device: Device::flex(),
            description: format!("CPU (burn flex, {threads} threads, {})", cpu_instructions()),
            is_gpu: false,
        }
    }
}

/// The widest instruction set this processor offers nst's CPU kernels (the Winograd transforms
/// and the `gemm` crate's products both pick it at run time), named beside speed figures.
pub fn cpu_instructions() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    return match pulp::Arch::new() {
        pulp::Arch::V4(_) => "AVX-512",
        pulp::Arch::V3(_) => "AVX2+FMA",
        _ => "SSE2",
    };
    #[cfg(not(target_arch = "x86_64"))]
    "portable SIMD"
}

/// Resolve `--device`. `notice` receives the fallback explanation when `auto` lands on the CPU.
pub fn select(choice: DeviceChoice, notice: &mut dyn FnMut(&str)) -> Result<ComputeDevice> {
    if cfg!(not(feature = "gpu")) {
        return match choice {
            DeviceChoice::Cpu => Ok(ComputeDevice::cpu()),
            DeviceChoice::Auto => {
                notice(CPU_ONLY);
                Ok(ComputeDevice::cpu())
            }
            DeviceChoice::Gpu | DeviceChoice::GpuNumber(_) => Err(crate::usage!(
                "--device {}: {CPU_ONLY}; use --device cpu, or build nst with its default features",
                String::from(choice)
            )),
        };
    }
    match choice {
        DeviceChoice::Cpu => Ok(ComputeDevice::cpu()),
        DeviceChoice::Auto => {
            let adapters = probe_adapters();
            let Some(adapter) = adapters.iter().find(|a| a.is_hardware()) else {
                notice("no GPU found through Vulkan, Metal or DX12; running on the CPU");
                return Ok(ComputeDevice::cpu());
            };
            init_adapter(adapter).or_else(|e| {
                notice(&format!("GPU unusable ({e:#}); running on the CPU"));
                Ok(ComputeDevice::cpu())
            })
        }
        DeviceChoice::GpuNumber(n) => {
            let adapters = probe_adapters();
            let Some(adapter) = adapters.get(n) else {
                return Err(crate::usage!(
                    "--device gpu:{n}: there {}; `nst devices` lists them",
                    match adapters.len() {
                        0 => "are no GPU adapters (is a Vulkan driver installed?)".to_string(),
                        1 => "is one GPU adapter, gpu:0".to_string(),
                        k => format!("are {k} GPU adapters, gpu:0 to gpu:{}", k - 1),
                    }
                ));
            };
            init_adapter(adapter).map_err(|e| anyhow::anyhow!("--device gpu:{n}: {e:#}"))
        }
        DeviceChoice::Gpu => {
            let adapters = probe_adapters();
            if adapters.is_empty() {
                return Err(crate::usage!(
                    "--device gpu: no GPU adapter found through Vulkan, Metal or DX12 \
                     (is a Vulkan driver installed?); use --device cpu or --device auto"
                ));
            }
            let mut errors = Vec::new();
            for adapter in &adapters {
                match init_adapter(adapter) {
                    Ok(device) => return Ok(device),
                    Err(e) => errors.push(format!("{e:#}")),
                }
            }
            bail!("--device gpu: no adapter could be started: {}", errors.join("; "))
        }
    }
}

/// Where autotune results are kept between runs: `$NST_CACHE_DIR`, else the platform's cache
/// folder (`$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS, the local
/// AppData on Windows) + `nst`; `None` when none is known.
pub fn gpu_cache_dir() -> Option<PathBuf> {
    let asked = std::env::var_os("NST_CACHE_DIR").filter(|v| !v.is_empty()).map(PathBuf::from);
    asked.or_else(|| dirs::cache_dir().map(|d| d.join("nst")))
}
