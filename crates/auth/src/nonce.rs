//! Shape checks of signature nonces, run by the verifiers before any key lookup or HMAC. Replay tracking (storing a
//! nonce once used) is the caller's; these only bound what a client may send.
//!
//! * Tencent legacy `Nonce`: an unsigned integer of at most [`TENCENT_NONCE_MAX_DIGITS`] ASCII digits that fits in
//!   64 bits. Tencent documents "a random positive integer"; 0 is accepted too because the Node.js SDK draws
//!   `Math.round(Math.random() * 65535)`, which is 0 once in 131,070 calls.
//! * Alibaba `SignatureNonce` / `x-acs-signature-nonce`: 1 to [`ACS_NONCE_MAX_LEN`] bytes, any characters. The SDKs
//!   send 32 hex digits (tea, core) or a 36-character UUID (other SDKs).

use crate::AuthError;

/// Most digits a Tencent legacy `Nonce` may have (`u64::MAX` has 20).
pub const TENCENT_NONCE_MAX_DIGITS: usize = 20;
/// Longest Alibaba signature nonce accepted, in bytes.
pub const ACS_NONCE_MAX_LEN: usize = 64;

/// Checks a Tencent legacy `Nonce` parameter.
pub fn check_tencent(nonce: &str) -> Result<(), AuthError> {
    let digits = !nonce.is_empty() && nonce.bytes().all(|c| c.is_ascii_digit());
    if digits && nonce.len() <= TENCENT_NONCE_MAX_DIGITS && nonce.parse::<u64>().is_ok() {
        return Ok(());
    }
    Err(AuthError::InvalidNonce(format!(
        "Nonce must be an unsigned integer of at most {TENCENT_NONCE_MAX_DIGITS} digits (below 2^64)"
    )))
}

/// Checks an Alibaba nonce; `name` is the parameter or header it came from, for the message.
pub fn check_acs(name: &str, nonce: &str) -> Result<(), AuthError> {
    if nonce.is_empty() || nonce.len() > ACS_NONCE_MAX_LEN {
        return Err(AuthError::InvalidNonce(format!("{name} must be 1 to {ACS_NONCE_MAX_LEN} bytes long")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tencent_nonces() {
        for good in ["0", "1", "11886", "9223372036854775807", "18446744073709551615", "00000000000000000001"] {
            assert_eq!(check_tencent(good), Ok(()), "{good}");
        }
        for bad in
            ["", "-1", "+1", " 1", "1 ", "1.0", "1e3", "abc", "18446744073709551616", "000000000000000000001", "１"]
        {
            assert!(matches!(check_tencent(bad), Err(AuthError::InvalidNonce(_))), "{bad:?}");
        }
    }

    #[test]
    fn acs_nonces() {
        let uuid = "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf";
        for good in ["n", "1e60b73f28678263758e1700a8d72175", uuid, &"x".repeat(ACS_NONCE_MAX_LEN), "a\u{1}\n\u{7f}b"] {
            assert_eq!(check_acs("SignatureNonce", good), Ok(()), "{good:?}");
        }
        let long = "é".repeat(ACS_NONCE_MAX_LEN / 2 + 1);
        for bad in ["", &"x".repeat(ACS_NONCE_MAX_LEN + 1), &long] {
            let err = check_acs("x-acs-signature-nonce", bad).unwrap_err();
            assert_eq!(err, AuthError::InvalidNonce("x-acs-signature-nonce must be 1 to 64 bytes long".into()));
        }
    }
}
