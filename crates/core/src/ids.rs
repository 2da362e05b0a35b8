//! Resource IDs: generation in each cloud's shape and validation of user-supplied IDs.

use rand::Rng;

use crate::Cloud;

const ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

fn tail(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len).map(|_| ALNUM[rng.gen_range(0..ALNUM.len())] as char).collect()
}

/// What kind of ID to make; the prefix depends on the cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// `vpc-` (Tencent) / `n-` (ENS network).
    Vpc,
    /// `subnet-` / `vsw-`.
    Subnet,
    /// `sg-`.
    SecurityGroup,
    /// `ins-` / `i-`.
    Instance,
    /// `eni-`.
    Eni,
}

/// The prefix of an ID kind in a cloud.
pub fn prefix(cloud: Cloud, kind: IdKind) -> &'static str {
    match (cloud, kind) {
        (Cloud::Tencent, IdKind::Vpc) => "vpc-",
        (Cloud::Tencent, IdKind::Subnet) => "subnet-",
        (Cloud::Tencent, IdKind::Instance) => "ins-",
        (Cloud::Ens, IdKind::Vpc) => "n-",
        (Cloud::Ens, IdKind::Subnet) => "vsw-",
        (Cloud::Ens, IdKind::Instance) => "i-",
        (_, IdKind::SecurityGroup) => "sg-",
        (_, IdKind::Eni) => "eni-",
    }
}

/// Tail length: Tencent uses 8 characters, ENS longer ones like `eni-58z57orgmt6d1xyz`.
fn tail_len(cloud: Cloud) -> usize {
    match cloud {
        Cloud::Tencent => 8,
        Cloud::Ens => 20,
    }
}

/// A fresh random ID.
pub fn generate(cloud: Cloud, kind: IdKind) -> String {
    format!("{}{}", prefix(cloud, kind), tail(tail_len(cloud)))
}

/// Whether `id` has the shape of an ID of this kind in this cloud.
pub fn is_valid(cloud: Cloud, kind: IdKind, id: &str) -> bool {
    let Some(rest) = id.strip_prefix(prefix(cloud, kind)) else {
        return false;
    };
    let ok_chars = rest.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
    match cloud {
        Cloud::Tencent => rest.len() == 8 && ok_chars,
        Cloud::Ens => (4..=40).contains(&rest.len()) && ok_chars,
    }
}

/// A fresh 12-digit account id.
pub fn account_id() -> String {
    let mut rng = rand::thread_rng();
    format!("1{:011}", rng.gen_range(0..100_000_000_000u64))
}

/// A fresh access key pair (id, secret).
pub fn access_key() -> (String, String) {
    let upper = |n: usize| -> String {
        let set = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = rand::thread_rng();
        (0..n).map(|_| set[rng.gen_range(0..set.len())] as char).collect()
    };
    (format!("AKID{}", upper(32)), upper(32))
}

/// A request id in the cloud's style: lower-case UUID for Tencent, upper-case for ENS.
pub fn request_id(cloud: Cloud) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    match cloud {
        Cloud::Tencent => id,
        Cloud::Ens => id.to_ascii_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_validate() {
        for cloud in [Cloud::Tencent, Cloud::Ens] {
            for kind in [IdKind::Vpc, IdKind::Subnet, IdKind::SecurityGroup, IdKind::Instance, IdKind::Eni] {
                let id = generate(cloud, kind);
                assert!(is_valid(cloud, kind, &id), "{id}");
            }
        }
        assert_eq!(generate(Cloud::Tencent, IdKind::Eni).len(), 12);
    }

    #[test]
    fn rejects_malformed() {
        assert!(!is_valid(Cloud::Tencent, IdKind::Eni, "eni-1234567"));
        assert!(!is_valid(Cloud::Tencent, IdKind::Eni, "eni-ABCDEFGH"));
        assert!(!is_valid(Cloud::Tencent, IdKind::Eni, "sg-12345678"));
        assert!(is_valid(Cloud::Tencent, IdKind::Eni, "eni-pxir56ns"));
        assert!(is_valid(Cloud::Ens, IdKind::Eni, "eni-58z57orgmt6d1"));
    }
}
