//! Fast matchers agree with naive references (STYLE §6: a shortcut may only say "no" or "maybe"):
//! the Aho-Corasick literal bank vs. a loop over every occurrence, the IP range table vs. a linear
//! CIDR scan, the multi-pattern regex bank vs. each regex alone, and one bank scan over several
//! values vs. scanning each alone.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::net::IpAddr;
use webacl::compile::bank::{satisfies, Bits, LiteralBank, RegexBank};
use webacl::compile::ipset::IpTable;
use webacl::model::PositionalConstraint;

const CONSTRAINTS: [PositionalConstraint; 5] = [
    PositionalConstraint::Exactly,
    PositionalConstraint::StartsWith,
    PositionalConstraint::EndsWith,
    PositionalConstraint::Contains,
    PositionalConstraint::ContainsWord,
];

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (head, rest) = data.split_at(data.len() / 3);
    let value = rest;
    // Literal bank: up to 8 patterns cut from `head`.
    let patterns: Vec<(Vec<u8>, PositionalConstraint, u32)> = head
        .chunks(3)
        .take(8)
        .enumerate()
        .filter(|(_, c)| !c.is_empty())
        .map(|(i, c)| (c.to_vec(), CONSTRAINTS[c[0] as usize % 5], i as u32))
        .collect();
    if !patterns.is_empty() {
        let bank = LiteralBank::new(&patterns).unwrap();
        let mut bits = Bits::default();
        bits.reset(patterns.len() as u32);
        bank.scan(value, &mut bits);
        for (p, c, bit) in &patterns {
            let naive = (0..=value.len().saturating_sub(p.len()))
                .filter(|&i| value.len() >= p.len() && &value[i..i + p.len()] == p.as_slice())
                .any(|i| satisfies(*c, value, i, i + p.len()));
            assert_eq!(bits.get(*bit), naive, "pattern {p:?} {c:?} on {value:?}");
        }
    }
    // IP table vs linear scan.
    let cidrs: Vec<(IpAddr, u8)> = head
        .chunks(5)
        .filter(|c| c.len() == 5)
        .map(|c| (IpAddr::from([c[0], c[1], c[2], c[3]]), c[4] % 32 + 1))
        .collect();
    let table = IpTable::new(&cidrs);
    for probe in rest.chunks(4).filter(|c| c.len() == 4).take(16) {
        let ip = u32::from_be_bytes([probe[0], probe[1], probe[2], probe[3]]);
        let naive = cidrs.iter().any(|&(a, p)| {
            let IpAddr::V4(a) = a else { return false };
            let mask = u32::MAX << (32 - u32::from(p));
            u32::from(a) & mask == ip & mask
        });
        assert_eq!(table.contains(IpAddr::from(ip.to_be_bytes())), naive);
    }
    // Regex bank vs each pattern alone, on printable pattern text.
    let texts: Vec<String> = head
        .split(|&b| b == b'\n')
        .take(4)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .filter(|s| !s.is_empty() && webacl::validate::regex_dialect::check(s).is_ok())
        .map(str::to_string)
        .collect();
    if texts.is_empty() {
        return;
    }
    let Ok(bank) = RegexBank::new(&texts.iter().cloned().zip(0u32..).collect::<Vec<_>>()) else { return };
    let mut cache = bank.new_cache();
    let mut bits = Bits::default();
    bits.reset(texts.len() as u32);
    bank.scan(value, &mut cache, &mut bits);
    for (i, t) in texts.iter().enumerate() {
        let Ok(single) = RegexBank::new(&[(t.clone(), 0)]) else { continue };
        let mut c = single.new_cache();
        let mut b = Bits::default();
        b.reset(1);
        single.scan(value, &mut c, &mut b);
        assert_eq!(bits.get(i as u32), b.get(0), "regex {t:?} on {value:?}");
    }
    // One scan over several values (the value cut at each `&`) vs scanning each value alone.
    let mut ranges = Vec::new();
    let mut start = 0u32;
    for piece in value.split(|&b| b == b'&') {
        ranges.push((start, start + piece.len() as u32));
        start += piece.len() as u32 + 1;
    }
    let mut together = Bits::default();
    together.reset(texts.len() as u32);
    bank.scan_values(value, &ranges, &mut cache, &mut together);
    let mut alone = Bits::default();
    alone.reset(texts.len() as u32);
    for &(a, b) in &ranges {
        bank.scan(&value[a as usize..b as usize], &mut cache, &mut alone);
    }
    for (i, t) in texts.iter().enumerate() {
        assert_eq!(together.get(i as u32), alone.get(i as u32), "regex {t:?} on {ranges:?} of {value:?}");
    }
});
