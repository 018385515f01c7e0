//! `nst devices`: each GPU adapter by the number `--device gpu:N` takes, then the CPU; with
//! `--check`, whether each GPU computes the loss and its gradient as the CPU does.

use std::panic::{AssertUnwindSafe, catch_unwind};

use anyhow::{Result, bail};
use nst::Recipe;
use nst::device::{self, Adapter, ComputeDevice};
use nst::loss::cross_device::{Agreement, against_cpu};

/// Side of the images checked: small enough for seconds on a GPU (minutes of kernel tuning on
/// software Vulkan the first time), large enough to reach relu5_1.
const CHECK_SIDE: usize = 32;

/// The recipes checked, the tile core side if in tiles, and whether with masks: the default
/// (relative terms), the seed (Gatys's sums and a variation term), the default in four 16 px
/// tiles, whose halos make each tile the whole image (no new kernel shapes), through the
/// two-pass tiled evaluation, and the default with two paintings masked to halves, whole and
/// in tiles.
const CHECKS: [(&str, Option<usize>, bool); 5] = [
    ("default", None, false),
    ("seed", None, false),
    ("default", Some(16), false),
    ("default", None, true),
    ("default", Some(16), true),
];

pub fn devices(check: bool) -> Result<()> {
    let adapters = device::probe_adapters();
    if cfg!(not(feature = "gpu")) {
        eprintln!("nst: {}", device::CPU_ONLY);
    } else if adapters.is_empty() {
        eprintln!("nst: no GPU adapter found through Vulkan, Metal or DX12 (is a Vulkan driver installed?)");
    }
    let mut differing = Vec::new();
    for (n, adapter) in adapters.iter().enumerate() {
        println!("gpu:{n:<3} {}", adapter.listing());
        if check && !check_adapter(adapter)? {
            differing.push(format!("gpu:{n}"));
        }
    }
    println!("cpu     {}", ComputeDevice::cpu().description);
    if !check {
        return Ok(());
    }
    if adapters.is_empty() {
        bail!("--check: there is no GPU to check");
    }
    if !differing.is_empty() {
        bail!(
            "--check: {} computed a loss or gradient different from the CPU's (tolerances {} and {}), \
             or failed to: use --device cpu, and please report this output",
            differing.join(", "),
            Agreement::LOSS_TOLERANCE,
            Agreement::GRADIENT_TOLERANCE
        );
    }
    Ok(())
}

/// One line per check under the adapter's; false if any differs or fails, or the adapter does
/// not start.
fn check_adapter(adapter: &Adapter) -> Result<bool> {
    let gpu = match device::init_adapter(adapter) {
        Ok(gpu) => gpu,
        Err(e) => {
            println!("        does not start: {e:#}");
            return Ok(false);
        }
    };
    let mut all_agree = true;
    for (name, tile, masked) in CHECKS {
        let recipe = Recipe::preset(name)?;
        let how = tile.map(|core| format!(" in tiles of {core} px")).unwrap_or_default();
        let how = if masked { format!("{how} with masks") } else { how };
        // A broken GPU stack may panic inside burn's wgpu backend: that is a finding, not a crash.
        let compared = catch_unwind(AssertUnwindSafe(|| {
            against_cpu(&gpu.device, &recipe.loss, recipe.pooling, CHECK_SIDE, tile, masked)
        }));
        let verdict = match compared {
            Ok(Ok(agreement)) => {
                all_agree &= agreement.holds();
                let verdict = if agreement.holds() { "agrees" } else { "DIFFERS" };
                format!(
                    "loss {:.1e}, gradient {:.1e} from the CPU's: {verdict}",
                    agreement.loss, agreement.gradient
                )
            }
            Ok(Err(e)) => {
                all_agree = false;
                format!("FAILED: {e:#}")
            }
            Err(_) => {
                all_agree = false;
                "FAILED: the GPU backend panicked".to_string()
            }
        };
        println!("        {name}{how}: {verdict}");
    }
    Ok(all_agree)
}
