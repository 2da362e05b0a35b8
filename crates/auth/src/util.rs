//! Small shared helpers: digests, HMACs, timestamp parsing, clock-skew checks and host port stripping.

use chrono::{DateTime, NaiveDate};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// HMAC-SHA256 of `msg` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail; the default is never produced.
    Hmac::<Sha256>::new_from_slice(key).map(|m| m.chain_update(msg).finalize().into_bytes().into()).unwrap_or_default()
}

/// HMAC-SHA1 of `msg` under `key`.
pub(crate) fn hmac_sha1(key: &[u8], msg: &[u8]) -> [u8; 20] {
    // See `hmac_sha256`: cannot fail.
    Hmac::<Sha1>::new_from_slice(key).map(|m| m.chain_update(msg).finalize().into_bytes().into()).unwrap_or_default()
}

/// Splits an `Authorization` value `<ALGORITHM> Credential=…, SignedHeaders=…, Signature=…` (TC3
/// and ACS3 share this grammar; spaces around the commas are optional) into its three elements,
/// refusing other algorithms, unknown, missing or repeated elements.
pub(crate) fn split_authorization<'a>(
    value: &'a str,
    expected: &str,
) -> Result<(&'a str, &'a str, &'a str), crate::AuthError> {
    let malformed = |why: &str| crate::AuthError::Malformed(why.to_string());
    let value = value.trim();
    let (algorithm, rest) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
    if algorithm != expected {
        if algorithm.is_empty() || algorithm.contains('=') {
            return Err(malformed("no algorithm"));
        }
        return Err(crate::AuthError::UnsupportedMethod(algorithm.to_string()));
    }
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (key, val) = part.trim().split_once('=').ok_or_else(|| malformed("authorization element without '='"))?;
        let slot = match key.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            _ => return Err(malformed("unknown authorization element")),
        };
        if slot.replace(val.trim()).is_some() {
            return Err(malformed("duplicate authorization element"));
        }
    }
    Ok((
        credential.ok_or_else(|| malformed("missing Credential"))?,
        signed.ok_or_else(|| malformed("missing SignedHeaders"))?,
        signature.ok_or_else(|| malformed("missing Signature"))?,
    ))
}

/// Lower-case hex SHA-256 of `data` (the payload hash both TC3 and ACS3 sign).
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Parses `yyyy-MM-ddTHH:mm:ssZ` (UTC, exactly 20 characters) into unix seconds.
pub(crate) fn parse_iso8601_utc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &b[r];
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(part.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
    };
    let year = i32::try_from(num(0..4)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?)?;
    let time = date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
    Some(time.and_utc().timestamp())
}

/// Parses a unix timestamp made only of ASCII digits (no sign, no spaces).
pub(crate) fn parse_unix_digits(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// UTC calendar date (`YYYY-MM-DD`) of a unix timestamp, `None` when out of chrono's range.
pub(crate) fn utc_date(timestamp: i64) -> Option<String> {
    DateTime::from_timestamp(timestamp, 0).map(|t| t.format("%Y-%m-%d").to_string())
}

/// `true` when `|now - ts| <= max_skew` (a negative window is treated as zero). Never overflows.
pub(crate) fn within_skew(now: i64, ts: i64, max_skew: i64) -> bool {
    now.abs_diff(ts) <= max_skew.max(0).unsigned_abs()
}

/// The host without a trailing `:port`, or `None` when there is no port to strip.
/// `h:80` → `h`, `[::1]:80` → `[::1]`; bare IPv6 `::1` and `http://h` are left alone.
pub(crate) fn strip_port(host: &str) -> Option<&str> {
    let (name, port) = host.rsplit_once(':')?;
    if port.is_empty() || !port.bytes().all(|c| c.is_ascii_digit()) || name.is_empty() {
        return None;
    }
    if name.contains(':') && !name.ends_with(']') {
        return None;
    }
    Some(name)
}

/// First value of parameter `key` (exact, case-sensitive match).
pub(crate) fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_known_answers() {
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        // RFC 4231 test case 2.
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // RFC 2202 test case 2.
        assert_eq!(
            hex::encode(hmac_sha1(b"Jefe", b"what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }

    #[test]
    fn iso8601() {
        assert_eq!(parse_iso8601_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_iso8601_utc("2024-01-01T00:00:00Z"), Some(1_704_067_200));
        assert_eq!(parse_iso8601_utc("2024-02-29T23:59:59Z"), Some(1_709_251_199));
        for bad in [
            "",
            "2024-01-01T00:00:00",
            "2024-01-01 00:00:00Z",
            "2024-1-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00+08:00",
            "+024-01-01T00:00:00Z",
            "2024-01-01T00:00:0éZ",
        ] {
            assert_eq!(parse_iso8601_utc(bad), None, "{bad}");
        }
    }

    #[test]
    fn unix_digits_and_dates() {
        assert_eq!(parse_unix_digits("1551113065"), Some(1_551_113_065));
        for bad in ["", "+1", "-1", " 1", "1.0", "12345678901234567890"] {
            assert_eq!(parse_unix_digits(bad), None, "{bad}");
        }
        assert_eq!(utc_date(1_551_113_065).as_deref(), Some("2019-02-25"));
        assert_eq!(utc_date(0).as_deref(), Some("1970-01-01"));
        assert_eq!(utc_date(i64::MAX), None);
    }

    #[test]
    fn skew() {
        assert!(within_skew(1000, 1300, 300));
        assert!(within_skew(1300, 1000, 300));
        assert!(!within_skew(1000, 1301, 300));
        assert!(!within_skew(i64::MIN, i64::MAX, i64::MAX));
        assert!(within_skew(5, 5, -10));
        assert!(!within_skew(5, 6, -10));
    }

    #[test]
    fn port_stripping() {
        assert_eq!(strip_port("127.0.0.1:8080"), Some("127.0.0.1"));
        assert_eq!(strip_port("localhost:1"), Some("localhost"));
        assert_eq!(strip_port("[::1]:8080"), Some("[::1]"));
        assert_eq!(strip_port("vpc.tencentcloudapi.com"), None);
        assert_eq!(strip_port("::1"), None);
        assert_eq!(strip_port("h:"), None);
        assert_eq!(strip_port(":80"), None);
        assert_eq!(strip_port("http://127.0.0.1:8080"), None);
    }
}
