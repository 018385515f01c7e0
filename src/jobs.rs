//! Planning `nst batch`: which content photos, which output names, which share of the work this
//! machine takes. Pure functions of the inputs, so a batch started again plans the same jobs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::usage;

/// Extensions `nst batch --content-dir` picks up; other files in the folder are left alone.
const IMAGE_EXTENSIONS: [&str; 12] =
    ["png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp", "tga", "pnm", "ppm", "qoi"];

/// One output to make: a content photo in one look (a style, or a blend of all of them).
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub content: PathBuf,
    /// Index into the batch's looks.
    pub look: usize,
    pub output: PathBuf,
}

/// `--shard I/N`: this machine takes the jobs whose output name hashes to I (1-based) of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let parsed =
            s.split_once('/').and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((index, count)) if count >= 1 && (1..=count).contains(&index) => Ok(Shard { index, count }),
            _ => Err(format!("'{s}': expected I/N with 1 ≤ I ≤ N, e.g. 2/4")),
        }
    }
}

impl Shard {
    /// Whether this shard owns the job writing `output_name`. A hash of the name, not a position
    /// in a listing, decides: the answer never changes with listing order, with other files
    /// coming or going, or between machines that mount the folders elsewhere.
    pub fn owns(&self, output_name: &str) -> bool {
        fnv1a(output_name.as_bytes()) % self.count == self.index - 1
    }
}

/// FNV-1a, 64 bit: tiny, and stable across platforms and Rust versions (unlike `DefaultHasher`).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// The images directly in `dir` (by extension; hidden files skipped), sorted by name.
pub fn list_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let cannot = |e: std::io::Error| usage!("{}: --content-dir: cannot list: {e}", dir.display());
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(cannot)? {
        let path = entry.map_err(cannot)?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        if !name.starts_with('.') && IMAGE_EXTENSIONS.contains(&ext.as_str()) && !path.is_dir() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The paths in a `--content-list` file: one a line; blank lines and `#` comments skipped.
pub fn read_list(file: &Path) -> Result<Vec<PathBuf>> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| usage!("{}: --content-list: cannot read: {e}", file.display()))?;
    let lines = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
    Ok(lines.map(PathBuf::from).collect())
}

/// The file for `photo` that `given` names: `given` itself, or if it is a folder, the image in it
/// named as the photo (any image extension); `flag` names it in the message if there is none.
pub fn per_photo(given: &Path, photo: &Path, flag: &str) -> Result<PathBuf> {
    if !given.is_dir() {
        return Ok(given.to_path_buf());
    }
    let name = stem(photo);
    let found = IMAGE_EXTENSIONS.iter().map(|ext| given.join(format!("{name}.{ext}"))).find(|p| p.is_file());
    found
        .ok_or_else(|| usage!("{}: {flag}: no image named {name}.* for {}", given.display(), photo.display()))
}

/// A file's name without directory or extension, for output names.
pub fn stem(path: &Path) -> String {
    path.file_stem().map_or_else(|| "image".into(), |s| s.to_string_lossy().into_owned())
}

/// Every (content, look) job with its output `OUT/{content stem}_{look}.{extension}`, in a
/// stable order, keeping only `shard`'s share. Two photos that would write the same file are an
/// error naming both.
pub fn for_contents(
    contents: &[PathBuf],
    looks: &[String],
    out_dir: &Path,
    extension: &str,
    shard: Option<Shard>,
) -> Result<Vec<Job>> {
    let mut by_output: BTreeMap<String, Job> = BTreeMap::new();
    for content in contents {
        for (look, look_name) in looks.iter().enumerate() {
            let name = format!("{}_{look_name}.{extension}", stem(content));
            let job = Job { content: content.clone(), look, output: out_dir.join(&name) };
            if let Some(other) = by_output.insert(name.clone(), job)
                && other.content != *content
            {
                return Err(usage!(
                    "{} and {} would both write {}; rename one or batch them separately",
                    other.content.display(),
                    content.display(),
                    out_dir.join(&name).display()
                ));
            }
        }
    }
    let owned = by_output.into_iter().filter(|(name, _)| shard.is_none_or(|s| s.owns(name)));
    Ok(owned.map(|(_, job)| job).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photos(n: usize) -> Vec<PathBuf> {
        (0..n).map(|i| PathBuf::from(format!("in/photo{i:03}.jpg"))).collect()
    }

    #[test]
    fn shards_cover_every_job_exactly_once_whatever_the_order() {
        let contents = photos(200);
        let looks = vec!["wave".to_string(), "starry".to_string()];
        let all = for_contents(&contents, &looks, Path::new("out"), "png", None).unwrap();
        assert_eq!(all.len(), 400);
        let mut reversed = contents.clone();
        reversed.reverse();
        let mut seen = Vec::new();
        for index in 1..=3 {
            let shard = Some(Shard { index, count: 3 });
            let part = for_contents(&contents, &looks, Path::new("out"), "png", shard).unwrap();
            assert_eq!(part, for_contents(&reversed, &looks, Path::new("out"), "png", shard).unwrap());
            assert!(part.len() > 100, "shard {index} took {} of 400", part.len());
            seen.extend(part.into_iter().map(|j| j.output));
        }
        seen.sort();
        let mut expected: Vec<_> = all.into_iter().map(|j| j.output).collect();
        expected.sort();
        assert_eq!(seen, expected);
    }

    #[test]
    fn a_shard_keeps_its_jobs_when_other_files_appear() {
        let looks = vec!["wave".to_string()];
        let shard = Some(Shard { index: 2, count: 4 });
        let before = for_contents(&photos(50), &looks, Path::new("o"), "png", shard).unwrap();
        let after = for_contents(&photos(80), &looks, Path::new("o"), "png", shard).unwrap();
        assert!(!before.is_empty() && before.iter().all(|j| after.contains(j)));
    }

    #[test]
    fn colliding_outputs_name_both_inputs() {
        let contents = vec![PathBuf::from("a/cat.jpg"), PathBuf::from("b/cat.png")];
        let err =
            for_contents(&contents, &["wave".into()], Path::new("o"), "png", None).unwrap_err().to_string();
        assert!(err.contains("a/cat.jpg") && err.contains("b/cat.png"), "{err}");
    }

    #[test]
    fn shard_syntax() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { index: 2, count: 3 }));
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
