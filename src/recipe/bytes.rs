//! A memory size as people write it: `4G`, `512MiB`, `1.5g`, `8000000000`.

use serde::{Deserialize, Serialize};

/// Bytes. Units are binary (`4G` = 4 GiB), as `docker --memory` and Slurm's `--mem` read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct MemorySize(pub u64);

impl std::str::FromStr for MemorySize {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("'{text}': give a size such as 4G, 512M or 8GiB");
        let trimmed = text.trim();
        let split = trimmed.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(split);
        let number: f64 = number.parse().map_err(|_| bad())?;
        let unit = unit.trim().to_ascii_lowercase();
        let unit = unit.trim_end_matches('b').trim_end_matches('i');
        let power = match unit {
            "" => 0,
            "k" => 1,
            "m" => 2,
            "g" => 3,
            "t" => 4,
            _ => return Err(bad()),
        };
        let bytes = number * 1024f64.powi(power);
        if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
            return Err(bad());
        }
        Ok(MemorySize(bytes as u64))
    }
}

impl std::fmt::Display for MemorySize {
    /// The largest unit that keeps a whole number: `4G`, `1536M`, `1000`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let units = [("T", 4), ("G", 3), ("M", 2), ("K", 1)];
        for (name, power) in units {
            let size = 1u64 << (10 * power);
            if self.0 >= size && self.0.is_multiple_of(size) {
                return write!(f, "{}{name}", self.0 / size);
            }
        }
        write!(f, "{}", self.0)
    }
}

impl TryFrom<String> for MemorySize {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

impl From<MemorySize> for String {
    fn from(size: MemorySize) -> String {
        size.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::MemorySize;

    #[test]
    fn sizes_read_as_people_write_them() {
        let gib = 1u64 << 30;
        for (text, bytes) in [("4G", 4 * gib), ("4g", 4 * gib), ("4GiB", 4 * gib), ("4 GB", 4 * gib)] {
            assert_eq!(text.parse::<MemorySize>(), Ok(MemorySize(bytes)), "{text}");
        }
        assert_eq!("512M".parse::<MemorySize>(), Ok(MemorySize(512 << 20)));
        assert_eq!("1.5g".parse::<MemorySize>(), Ok(MemorySize(3 * gib / 2)));
        assert_eq!("1000".parse::<MemorySize>(), Ok(MemorySize(1000)));
        for bad in ["", "G", "4X", "-1G", "0", "1.2.3G"] {
            assert!(bad.parse::<MemorySize>().is_err(), "{bad}");
        }
        for size in ["4G", "1536M", "1000"] {
            assert_eq!(size.parse::<MemorySize>().map(|s| s.to_string()).as_deref(), Ok(size));
        }
    }
}
