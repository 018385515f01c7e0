//! A CPU-only build (without the `gpu` feature): wgpu is not compiled in, so there are no
//! adapters. The types match `wgpu_adapters.rs`, so the rest of nst reads the same either way.

use anyhow::Result;

use super::ComputeDevice;

/// No value of this type exists: there is nothing to list or start.
#[derive(Debug, Clone)]
pub enum Adapter {}

impl Adapter {
    pub fn is_hardware(&self) -> bool {
        match *self {}
    }

    pub fn describe(&self) -> String {
        match *self {}
    }

    pub fn listing(&self) -> String {
        match *self {}
    }
}

pub fn probe_adapters() -> Vec<Adapter> {
    Vec::new()
}

pub fn init_adapter(adapter: &Adapter) -> Result<ComputeDevice> {
    match *adapter {}
}
