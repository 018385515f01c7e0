//! Middlebury `.flo` files (Baker et al., the flow benchmark's format, which most flow tools
//! write): the float 202021.25 ("PIEH" in ASCII), width and height as 32-bit integers, then
//! u, v interleaved per pixel, row-major, all little-endian. `--flow-dir` reads them so that a
//! better (slower, learned) flow can replace ours. A bad file is the user's input and gets an
//! error naming it, never a panic; its header is checked against the file's length before
//! anything is allocated for the flow.

use std::io::Read;
use std::path::Path;

use anyhow::Result;

use super::Flow;
use crate::image_io::{self, MAX_DECODE_SIDE};
use crate::usage;

/// The first four bytes of every `.flo` file, as a little-endian f32.
pub const MAGIC: f32 = 202021.25;

const HEADER: usize = 12;

/// The flow in the `.flo` file at `path`.
pub fn read(path: &Path) -> Result<Flow> {
    let name = path.display().to_string();
    let cannot = |e: std::io::Error| usage!("{name}: cannot read flow: {e}");
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    let metadata = file.metadata().map_err(cannot)?;
    if metadata.is_dir() {
        return Err(usage!("{name}: is a directory, not a .flo file"));
    }
    let mut bytes = Vec::with_capacity(HEADER);
    file.by_ref().take(HEADER as u64).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() < HEADER {
        return Err(truncated_header(&name, bytes.len()));
    }
    let (w, h) = size(&bytes, &name)?;
    check_length(metadata.len(), w, h, &name)?;
    file.read_to_end(&mut bytes).map_err(cannot)?;
    parse(&bytes, &name)
}

fn truncated_header(name: &str, length: usize) -> anyhow::Error {
    usage!("{name}: truncated .flo file: {length} bytes, less than its 12-byte header")
}

/// The flow's size from a `.flo` header, or why the header is not one.
fn size(header: &[u8], name: &str) -> Result<(usize, usize)> {
    let word = |at: usize| -> [u8; 4] { [header[at], header[at + 1], header[at + 2], header[at + 3]] };
    let magic = f32::from_le_bytes(word(0));
    if magic != MAGIC {
        return Err(usage!("{name}: not a Middlebury .flo file (starts with {magic}, not {MAGIC})"));
    }
    let (width, height) = (i32::from_le_bytes(word(4)), i32::from_le_bytes(word(8)));
    let side = 1..=MAX_DECODE_SIDE as i32;
    if !side.contains(&width) || !side.contains(&height) {
        return Err(usage!(
            "{name}: .flo file says its flow is {width}×{height}: each side must be 1 to {MAX_DECODE_SIDE}"
        ));
    }
    Ok((width as usize, height as usize))
}

/// That a file of `length` bytes holds exactly a `w`×`h` flow.
fn check_length(length: u64, w: usize, h: usize, name: &str) -> Result<()> {
    let expected = (HEADER + 8 * w * h) as u64;
    if length < expected {
        return Err(usage!(
            "{name}: truncated .flo file: a {w}×{h} flow needs {expected} bytes, the file has {length}"
        ));
    }
    if length > expected {
        return Err(usage!(
            "{name}: .flo file has {} bytes after its {w}×{h} flow (a different size, or not a flow?)",
            length - expected
        ));
    }
    Ok(())
}

/// The flow in `.flo` `bytes`; `name` (the file's path) labels the errors.
pub fn parse(bytes: &[u8], name: &str) -> Result<Flow> {
    if bytes.len() < HEADER {
        return Err(truncated_header(name, bytes.len()));
    }
    let (w, h) = size(&bytes[..HEADER], name)?;
    check_length(bytes.len() as u64, w, h, name)?;
    let mut flow = Flow::zero(w, h);
    for (i, pair) in bytes[HEADER..].chunks_exact(8).enumerate() {
        flow.u[i] = f32::from_le_bytes([pair[0], pair[1], pair[2], pair[3]]);
        flow.v[i] = f32::from_le_bytes([pair[4], pair[5], pair[6], pair[7]]);
    }
    Ok(flow)
}

/// `flow` as the bytes of a `.flo` file.
pub fn encode(flow: &Flow) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER + 8 * flow.u.len());
    bytes.extend_from_slice(&MAGIC.to_le_bytes());
    bytes.extend_from_slice(&(flow.width as i32).to_le_bytes());
    bytes.extend_from_slice(&(flow.height as i32).to_le_bytes());
    for (u, v) in flow.u.iter().zip(&flow.v) {
        bytes.extend_from_slice(&u.to_le_bytes());
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes
}

/// Write `flow` to `path` as a `.flo` file, all or nothing.
pub fn write(path: &Path, flow: &Flow) -> Result<()> {
    image_io::write_atomic(path, &encode(flow))
}
