//! IP sets as sorted, merged range tables: one binary search per lookup, whatever the set's size.

use std::net::IpAddr;

/// Address ranges of one IP set (or the union of several), v4 and v6 kept apart.
#[derive(Debug, Clone, Default)]
pub struct IpTable {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl IpTable {
    /// Builds the table from CIDRs; overlapping and adjacent ranges are merged.
    pub fn new(cidrs: &[(IpAddr, u8)]) -> IpTable {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for &(addr, prefix) in cidrs {
            match addr {
                IpAddr::V4(a) => {
                    let bits = u32::from(a);
                    let mask = if prefix == 0 {
                        0
                    } else {
                        u32::MAX << (32 - u32::from(prefix.min(32)))
                    };
                    v4.push((bits & mask, (bits & mask) | !mask));
                }
                IpAddr::V6(a) => {
                    let bits = u128::from(a);
                    let mask = if prefix == 0 {
                        0
                    } else {
                        u128::MAX << (128 - u32::from(prefix.min(128)))
                    };
                    v6.push((bits & mask, (bits & mask) | !mask));
                }
            }
        }
        IpTable {
            v4: merge(v4),
            v6: merge(v6),
        }
    }

    /// Whether `ip` lies in any range. An IPv4-mapped IPv6 address is looked up as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => lookup(&self.v4, u32::from(a)),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => lookup(&self.v4, u32::from(v4)),
                None => lookup(&self.v6, u128::from(a)),
            },
        }
    }

    pub fn ranges(&self) -> usize {
        self.v4.len() + self.v6.len()
    }
}

fn merge<T: Ord + Copy + num_like::Succ>(mut ranges: Vec<(T, T)>) -> Vec<(T, T)> {
    ranges.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        if let Some(last) = out.last_mut() {
            if lo <= last.1.succ() {
                if hi > last.1 {
                    last.1 = hi;
                }
                continue;
            }
        }
        out.push((lo, hi));
    }
    out
}

fn lookup<T: Ord + Copy>(ranges: &[(T, T)], x: T) -> bool {
    // The last range whose start is <= x is the only candidate.
    let i = ranges.partition_point(|&(lo, _)| lo <= x);
    i > 0 && x <= ranges[i - 1].1
}

mod num_like {
    /// Saturating successor, so adjacent ranges merge without overflow at the top of the space.
    pub trait Succ {
        fn succ(self) -> Self;
    }
    impl Succ for u32 {
        fn succ(self) -> Self {
            self.saturating_add(1)
        }
    }
    impl Succ for u128 {
        fn succ(self) -> Self {
            self.saturating_add(1)
        }
    }
}

/// Parses AWS's CIDR notation (`192.0.2.0/24`, `2001:db8::/32`). AWS requires the prefix; `/0` is
/// not allowed. Host bits may be set (AWS accepts `10.0.0.1/8`); they are masked.
pub fn parse_cidr(s: &str) -> Result<(IpAddr, u8), String> {
    let (addr, prefix) = s
        .split_once('/')
        .ok_or_else(|| format!("\"{s}\" is not in CIDR notation (missing /prefix)"))?;
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| format!("\"{s}\": \"{addr}\" is not an IP address"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix: u8 = prefix
        .parse()
        .ok()
        .filter(|p| (1..=max).contains(p))
        .ok_or_else(|| format!("\"{s}\": prefix must be 1..{max} (AWS does not allow /0)"))?;
    Ok((addr, prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(cidrs: &[&str]) -> IpTable {
        IpTable::new(
            &cidrs
                .iter()
                .map(|c| parse_cidr(c).unwrap())
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn v4_and_v6_membership() {
        let table = t(&[
            "192.0.2.0/24",
            "10.0.0.0/8",
            "10.1.0.0/16",
            "2001:db8::/32",
            "198.51.100.7/32",
        ]);
        assert_eq!(table.ranges(), 4);
        for ip in [
            "192.0.2.0",
            "192.0.2.255",
            "10.255.1.1",
            "2001:db8::1",
            "198.51.100.7",
            "::ffff:10.0.0.1",
        ] {
            assert!(table.contains(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "192.0.3.0",
            "11.0.0.0",
            "2001:db9::",
            "198.51.100.8",
            "0.0.0.0",
        ] {
            assert!(!table.contains(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn matches_a_linear_scan() {
        let mut seed = 0x1234_5678_u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let cidrs: Vec<(IpAddr, u8)> = (0..300)
            .map(|_| (IpAddr::V4(next().into()), (next() % 24 + 8) as u8))
            .collect();
        let table = IpTable::new(&cidrs);
        for _ in 0..20_000 {
            let ip = IpAddr::V4(next().into());
            let naive = cidrs.iter().any(|&(a, p)| {
                let (IpAddr::V4(a), IpAddr::V4(x)) = (a, ip) else {
                    unreachable!()
                };
                let mask = u32::MAX << (32 - u32::from(p));
                u32::from(a) & mask == u32::from(x) & mask
            });
            assert_eq!(table.contains(ip), naive, "{ip}");
        }
    }

    #[test]
    fn rejects_bad_cidrs() {
        for s in ["10.0.0.0", "10.0.0.0/0", "10.0.0.0/33", "x/8", "::/129"] {
            assert!(parse_cidr(s).is_err(), "{s}");
        }
    }
}
