//! The GPU adapters wgpu offers, and bringing burn's wgpu runtime up on one.
//!
//! Two hazards measured with burn 0.22.1 shape this file:
//! - Without a Vulkan driver, wgpu fell back to OpenGL, panicked inside wgpu and then hung,
//!   although initialisation had returned Ok. So we probe for an adapter ourselves, on the
//!   native compute APIs only (Vulkan, Metal, DX12), before burn sees the GPU at all.
//! - With kernel fusion on, wgpu gradients came out wrong when one activation fed both a Gram
//!   term and the next layer. `Cargo.toml` builds burn without its `fusion` feature, and a test
//!   (tests/wgpu.rs) compares the objective's gradient on wgpu with the CPU's.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::sync::Mutex;
use std::task::{Context as TaskContext, Poll, Waker};

use anyhow::{Result, bail};
use burn::tensor::wgpu::{WgpuBackend, wgpu};
use burn::tensor::{Device, DeviceKind, Tensor};

use super::{ComputeDevice, gpu_cache_dir};

/// A wgpu adapter found by [`probe_adapters`].
#[derive(Debug, Clone)]
pub struct Adapter {
    info: wgpu::AdapterInfo,
    /// `DeviceKind` selecting this adapter on its graphics API.
    kind: DeviceKind,
    api: WgpuBackend,
}

impl Adapter {
    pub fn is_hardware(&self) -> bool {
        self.info.device_type != wgpu::DeviceType::Cpu
    }

    pub fn describe(&self) -> String {
        let software = if self.is_hardware() { "" } else { ", software rasteriser" };
        format!("GPU {} ({:?}{software})", self.info.name, self.info.backend)
    }

    /// One line for `nst devices`: name, API, kind and driver.
    pub fn listing(&self) -> String {
        let info = &self.info;
        let kind = self.kind_name();
        format!("{} ({:?}, {kind}; driver {} {})", info.name, info.backend, info.driver, info.driver_info)
    }

    /// "discrete GPU", "integrated GPU", "virtual GPU" or "software".
    fn kind_name(&self) -> &'static str {
        match self.info.device_type {
            wgpu::DeviceType::DiscreteGpu => "discrete GPU",
            wgpu::DeviceType::IntegratedGpu => "integrated GPU",
            wgpu::DeviceType::VirtualGpu => "virtual GPU",
            _ => "software",
        }
    }
}

/// Adapters on the native compute APIs, best first (discrete, integrated, virtual, CPU).
/// OpenGL is never asked: burn's wgpu path panics and hangs on it.
pub fn probe_adapters() -> Vec<Adapter> {
    let probe = || {
        let mut found = Vec::new();
        for (backend, api) in [
            (wgpu::Backend::Vulkan, WgpuBackend::Vulkan),
            (wgpu::Backend::Metal, WgpuBackend::Metal),
            (wgpu::Backend::Dx12, WgpuBackend::Dx12),
        ] {
            if !wgpu::Instance::enabled_backend_features().contains(backend.into()) {
                continue;
            }
            let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
                backends: backend.into(),
                ..wgpu::InstanceDescriptor::new_without_display_handle()
            });
            let infos: Vec<_> =
                block_on(instance.enumerate_adapters(backend.into())).iter().map(|a| a.get_info()).collect();
            for (i, info) in infos.iter().enumerate() {
                // burn numbers adapters within their type on one API.
                let n = infos[..i].iter().filter(|o| o.device_type == info.device_type).count();
                let kind = match info.device_type {
                    wgpu::DeviceType::DiscreteGpu => DeviceKind::DiscreteGpu(n),
                    wgpu::DeviceType::IntegratedGpu => DeviceKind::IntegratedGpu(n),
                    wgpu::DeviceType::VirtualGpu => DeviceKind::VirtualGpu(n),
                    wgpu::DeviceType::Cpu if n == 0 => DeviceKind::Cpu,
                    _ => continue,
                };
                found.push(Adapter { info: info.clone(), kind, api });
            }
        }
        found.sort_by_key(|a| match a.info.device_type {
            wgpu::DeviceType::DiscreteGpu => 0,
            wgpu::DeviceType::IntegratedGpu => 1,
            wgpu::DeviceType::VirtualGpu => 2,
            _ => 3,
        });
        found
    };
    catch_unwind(probe).unwrap_or_default()
}

/// Devices already brought up in this process: burn registers a wgpu runtime only once.
static STARTED: Mutex<Vec<(String, Device)>> = Mutex::new(Vec::new());

/// Bring up burn's wgpu runtime on `adapter` (once per process) and check it computes.
pub fn init_adapter(adapter: &Adapter) -> Result<ComputeDevice> {
    let key = format!("{:?}/{:?}", adapter.kind, adapter.api);
    let mut started = STARTED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, device)) = started.iter().find(|(k, _)| *k == key) {
        return Ok(ComputeDevice { device: device.clone(), description: adapter.describe(), is_gpu: true });
    }
    persist_gpu_caches();
    let init = || -> Result<Device> {
        let device = Device::wgpu_options()
            .device_kind(adapter.kind.clone())
            .graphics_api(adapter.api)
            .init()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        // A tiny computation read back: catches adapters that initialise but cannot run.
        let x = Tensor::<1>::from_floats([1.0, 2.0, 3.0], &device);
        let sum = crate::readback::scalar(x.clone().mul(x).sum(), "a test sum")?;
        if sum != 14.0 {
            bail!("test computation returned {sum}, expected 14");
        }
        Ok(device)
    };
    match catch_unwind(AssertUnwindSafe(init)) {
        Ok(Ok(device)) => {
            started.push((key, device.clone()));
            Ok(ComputeDevice { device, description: adapter.describe(), is_gpu: true })
        }
        Ok(Err(e)) => bail!("{}: {e:#}", adapter.describe()),
        Err(_) => bail!("{}: wgpu panicked while starting", adapter.describe()),
    }
}

/// Polls a future that wgpu completes synchronously on native platforms.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = TaskContext::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

/// A first run on a GPU times several versions of the big kernels for its shapes (autotune);
/// the winners are kept on disk so the next run skips that. cubecl's default keeps them in the
/// `target/` of whatever Cargo project the user stands in, so they go to [`gpu_cache_dir`]
/// instead. A `cubecl.toml` and `CUBECL_*` variables are still read. (Compiled kernels are
/// not kept: cubecl caches only its SPIR-V kernels, and those crashed lavapipe.)
fn persist_gpu_caches() {
    use burn::cubecl::config::cache::CacheConfig;
    use burn::cubecl::config::{CubeClRuntimeConfig, RuntimeConfig};
    let mut config = CubeClRuntimeConfig::from_current_dir().override_from_env();
    if let Some(dir) = gpu_cache_dir() {
        config.environment.path = CacheConfig::Directory(dir);
    }
    // Refused when the configuration was already read (a second device): keep that one.
    let _ = CubeClRuntimeConfig::try_set(config);
}
