//! The memory a container may still use: the cgroup limit less its usage, for cgroup v2
//! (`memory.max`, `memory.current`) and v1 (`memory.limit_in_bytes`, `memory.usage_in_bytes`).
//! Docker, Kubernetes and Slurm set these; /proc/meminfo still shows the whole host, so a job
//! trusting it alone would be OOM-killed mid-run instead of refused.

use std::path::{Path, PathBuf};

/// Where the cgroup file systems are mounted; `NST_CGROUP_ROOT` replaces it (tests use a fake
/// one, and the process's own cgroup is then taken to be that root).
const MOUNT: &str = "/sys/fs/cgroup";

/// Bytes the process's cgroups still allow, the tightest over its cgroup and their ancestors;
/// `None` when no limit is set or none can be read.
pub fn room_bytes() -> Option<f64> {
    match std::env::var_os("NST_CGROUP_ROOT") {
        Some(root) => room_in(Path::new(&root), "0::/\n"),
        None => room_in(Path::new(MOUNT), &std::fs::read_to_string("/proc/self/cgroup").ok()?),
    }
}

/// `membership` is /proc/self/cgroup: `0::/path` for v2, `N:memory:/path` (among others) for v1.
fn room_in(mount: &Path, membership: &str) -> Option<f64> {
    let mut rooms = Vec::new();
    for line in membership.lines() {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        if controllers.is_empty() {
            rooms.extend(ancestors(mount, path).filter_map(|dir| room(&dir, "memory.max", "memory.current")));
        } else if controllers.split(',').any(|c| c == "memory") {
            let v1 = mount.join("memory");
            rooms.extend(
                ancestors(&v1, path)
                    .filter_map(|dir| room(&dir, "memory.limit_in_bytes", "memory.usage_in_bytes")),
            );
        }
    }
    rooms.into_iter().reduce(f64::min)
}

/// `mount/a/b`, `mount/a`, `mount` for the cgroup path `/a/b`.
fn ancestors(mount: &Path, path: &str) -> impl Iterator<Item = PathBuf> {
    let parts: Vec<String> = path.split('/').filter(|p| !p.is_empty()).map(String::from).collect();
    let mount = mount.to_path_buf();
    (0..=parts.len()).rev().map(move |n| parts[..n].iter().fold(mount.clone(), |dir, p| dir.join(p)))
}

/// Limit less usage in `dir`, if a limit is set there ("max", or v1's near-2⁶³, is none).
fn room(dir: &Path, limit_file: &str, usage_file: &str) -> Option<f64> {
    let read = |file: &str| std::fs::read_to_string(dir.join(file)).ok()?.trim().parse::<u64>().ok();
    let limit = read(limit_file).filter(|&l| l < 1 << 60)?;
    Some(limit.saturating_sub(read(usage_file).unwrap_or(0)) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, file: &str, text: &str) {
        std::fs::create_dir_all(dir).expect("dir");
        std::fs::write(dir.join(file), text).expect("write");
    }

    #[test]
    fn v2_takes_the_tightest_limit_up_the_tree_less_its_usage() {
        let mount = tempfile::tempdir().expect("temp dir");
        let job = mount.path().join("kubepods/pod1");
        write(mount.path(), "memory.max", "max\n");
        write(&mount.path().join("kubepods"), "memory.max", "8000000000\n");
        write(&mount.path().join("kubepods"), "memory.current", "1000000000\n");
        write(&job, "memory.max", "4000000000\n");
        write(&job, "memory.current", "500000000\n");
        assert_eq!(room_in(mount.path(), "0::/kubepods/pod1\n"), Some(3.5e9));
        assert_eq!(room_in(mount.path(), "0::/\n"), None, "no limit at the root");
    }

    #[test]
    fn v1_reads_the_memory_controller_and_ignores_its_unlimited_value() {
        let mount = tempfile::tempdir().expect("temp dir");
        let memory = mount.path().join("memory/docker/abc");
        write(&memory, "memory.limit_in_bytes", "2147483648\n");
        write(&memory, "memory.usage_in_bytes", "147483648\n");
        let membership = "12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n";
        assert_eq!(room_in(mount.path(), membership), Some(2e9));
        write(&memory, "memory.limit_in_bytes", "9223372036854771712\n");
        assert_eq!(room_in(mount.path(), membership), None);
    }
}
