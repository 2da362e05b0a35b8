//! IPv4 address management: CIDR parsing and checks, private IP allocation from a subnet with
//! reserved addresses skipped, and unique MAC addresses under the `20:90:6F` prefix.
//!
//! Uniqueness is not kept here but by store claims (`ip:<subnet>` and `mac` spaces), so it holds
//! across concurrent transactions; this module only decides which address to try.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use rand::Rng;

use crate::error::Error;

/// A parsed IPv4 CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// Network address (host bits zero).
    pub network: u32,
    /// Prefix length.
    pub prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n`; host bits must be zero.
    pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
        let bad = || Error::Malformed { field: field.into(), value: text.into() };
        let (addr, len) = text.split_once('/').ok_or_else(bad)?;
        let addr: Ipv4Addr = addr.parse().map_err(|_| bad())?;
        let prefix: u8 = len.parse().map_err(|_| bad())?;
        if prefix > 32 {
            return Err(bad());
        }
        let network = u32::from(addr);
        if network & !mask(prefix) != 0 {
            return Err(bad());
        }
        Ok(Self { network, prefix })
    }

    /// Number of addresses in the block.
    pub fn size(&self) -> u64 {
        1u64 << (32 - self.prefix as u32)
    }

    /// Last address.
    pub fn last(&self) -> u32 {
        self.network | !mask(self.prefix)
    }

    /// Whether `ip` is inside.
    pub fn contains(&self, ip: u32) -> bool {
        ip & mask(self.prefix) == self.network
    }

    /// Whether `other` lies entirely inside this block.
    pub fn covers(&self, other: &Cidr) -> bool {
        other.prefix >= self.prefix && self.contains(other.network)
    }

    /// Whether the two blocks share any address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.contains(other.network) || other.contains(self.network)
    }

    /// Whether this block lies inside one of the private ranges a VPC may use.
    pub fn is_private(&self) -> bool {
        ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
            .iter()
            .filter_map(|c| Cidr::parse("", c).ok())
            .any(|p| p.covers(self))
    }

    /// Addresses a subnet keeps for itself: network, gateway (first host) and broadcast.
    pub fn is_reserved(&self, ip: u32) -> bool {
        ip == self.network || ip == self.network + 1 || ip == self.last()
    }

    /// Addresses usable by resources (the size minus the three reserved).
    pub fn usable(&self) -> u64 {
        self.size().saturating_sub(3)
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.network), self.prefix)
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix as u32)
    }
}

/// Parses an IPv4 address given by a user.
pub fn parse_ip(field: &str, text: &str) -> Result<u32, Error> {
    text.parse::<Ipv4Addr>().map(u32::from).map_err(|_| Error::Malformed { field: field.into(), value: text.into() })
}

/// Formats an address.
pub fn format_ip(ip: u32) -> String {
    Ipv4Addr::from(ip).to_string()
}

/// Checks that a specific address may be requested in `subnet`.
pub fn check_requestable(subnet_id: &str, cidr: &Cidr, ip: u32) -> Result<(), Error> {
    if !cidr.contains(ip) || cidr.is_reserved(ip) {
        return Err(Error::AddressOutOfSubnet { ip: format_ip(ip), subnet: subnet_id.into() });
    }
    Ok(())
}

/// Picks `count` free addresses from `cidr`, lowest first, skipping reserved and `used`.
pub fn pick_free(subnet_id: &str, cidr: &Cidr, used: &HashSet<u32>, count: usize) -> Result<Vec<u32>, Error> {
    let mut out = Vec::with_capacity(count);
    let mut ip = cidr.network + 2;
    while out.len() < count {
        if ip >= cidr.last() {
            return Err(Error::SubnetExhausted { subnet: subnet_id.into() });
        }
        if !used.contains(&ip) {
            out.push(ip);
        }
        ip += 1;
    }
    Ok(out)
}

/// A random MAC under Tencent's ENI prefix `20:90:6F`; callers claim it to make it unique.
pub fn random_mac() -> String {
    let mut rng = rand::thread_rng();
    let b: [u8; 3] = rng.gen();
    format!("20:90:6F:{:02X}:{:02X}:{:02X}", b[0], b[1], b[2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_checks() {
        let c = Cidr::parse("CidrBlock", "10.0.0.0/24").unwrap();
        assert_eq!(c.size(), 256);
        assert_eq!(c.usable(), 253);
        assert!(c.contains(parse_ip("", "10.0.0.200").unwrap()));
        assert!(Cidr::parse("x", "10.0.0.1/24").is_err(), "host bits set");
        assert!(Cidr::parse("x", "10.0.0.0/33").is_err());
        assert!(Cidr::parse("x", "nonsense").is_err());
        let big = Cidr::parse("x", "10.0.0.0/16").unwrap();
        assert!(big.covers(&c));
        assert!(!c.covers(&big));
        assert!(big.overlaps(&c));
        assert!(c.is_private());
        assert!(!Cidr::parse("x", "8.8.8.0/24").unwrap().is_private());
    }

    #[test]
    fn picks_lowest_free_skipping_reserved() {
        let c = Cidr::parse("x", "10.0.0.0/29").unwrap();
        let used: HashSet<u32> = [parse_ip("", "10.0.0.2").unwrap()].into_iter().collect();
        let got = pick_free("s", &c, &used, 2).unwrap();
        assert_eq!(got.iter().map(|i| format_ip(*i)).collect::<Vec<_>>(), ["10.0.0.3", "10.0.0.4"]);
        // 8 addresses: .0 network, .1 gateway, .7 broadcast reserved; .2 used; .3-.6 free = 4
        assert!(pick_free("s", &c, &used, 5).is_err());
        assert_eq!(pick_free("s", &c, &used, 4).unwrap().len(), 4);
    }

    #[test]
    fn reserved_addresses_cannot_be_requested() {
        let c = Cidr::parse("x", "10.0.0.0/24").unwrap();
        for ip in ["10.0.0.0", "10.0.0.1", "10.0.0.255", "10.0.1.5"] {
            assert!(check_requestable("s", &c, parse_ip("", ip).unwrap()).is_err(), "{ip}");
        }
        assert!(check_requestable("s", &c, parse_ip("", "10.0.0.2").unwrap()).is_ok());
    }

    #[test]
    fn mac_shape() {
        let m = random_mac();
        assert!(m.starts_with("20:90:6F:") && m.len() == 17, "{m}");
    }

    proptest! {
        #[test]
        fn cidr_parse_never_panics(s in ".{0,40}") {
            let _ = Cidr::parse("x", &s);
        }
    }
}
