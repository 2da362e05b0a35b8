//! Tests for sealed secrets: a known-answer vector from an independent implementation (pycryptodome's
//! XChaCha20-Poly1305), round trips, binding to the key id, tampering, redaction and the stored forms.

use super::*;

/// Key `00 01 … 1f`, nonce `00 01 … 17`, key id `AKIDkat`, secret `kat-secret`, sealed with pycryptodome
/// `ChaCha20_Poly1305.new(key=…, nonce=<24 bytes>)` (XChaCha20-Poly1305) and the associated data this module uses.
const KAT_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const KAT_BLOB: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYX9aN7UuO37txWMCy1XJlzg14clrPmUXeNIdU=";

fn kat_key() -> SecretKey {
    SecretKey::from_base64(KAT_KEY).unwrap()
}

#[test]
fn known_answer_opens() {
    let key = kat_key();
    let opened = key.open("AKIDkat", &SealedSecret::Sealed(KAT_BLOB.into())).unwrap();
    assert_eq!(opened.expose(), "kat-secret");
    assert_eq!(key.fingerprint(), "630dcd29");
    assert_eq!(key.to_base64().expose(), KAT_KEY);
}

#[test]
fn bound_to_key_id_and_key() {
    let key = kat_key();
    let blob = SealedSecret::Sealed(KAT_BLOB.into());
    assert_eq!(key.open("AKIDother", &blob), Err(SealError::WrongKey), "associated data is the key id");
    assert_eq!(SecretKey::generate().open("AKIDkat", &blob), Err(SealError::WrongKey));
    let mut raw = B64.decode(KAT_BLOB).unwrap();
    for i in [0, NONCE_LEN, raw.len() - 1] {
        raw[i] ^= 1;
        let tampered = SealedSecret::Sealed(B64.encode(&raw));
        assert_eq!(key.open("AKIDkat", &tampered), Err(SealError::WrongKey), "byte {i} flipped");
        raw[i] ^= 1;
    }
}

#[test]
fn round_trip_with_fresh_nonces() {
    let key = SecretKey::generate();
    let secret = Secret::from("s3cr3t/é");
    let a = key.seal("AKID1", &secret);
    let b = key.seal("AKID1", &secret);
    assert_ne!(a, b, "every seal draws a new nonce");
    assert_eq!(key.open("AKID1", &a).unwrap(), secret);
    assert_eq!(key.open("AKID1", &b).unwrap(), secret);
    let SealedSecret::Sealed(blob) = &a else { panic!("sealed") };
    assert!(!blob.contains("s3cr3t"));
    assert_eq!(B64.decode(blob).unwrap().len(), NONCE_LEN + secret.expose().len() + TAG_LEN);
}

#[test]
fn damaged_blobs() {
    let key = kat_key();
    for bad in ["", "!!!", "AAAA", &"A".repeat(MAX_BLOB + 4)] {
        let r = key.open("AKIDkat", &SealedSecret::Sealed(bad.to_string()));
        assert!(matches!(r, Err(SealError::Corrupt(_))), "{bad:.10}: {r:?}");
    }
}

#[test]
fn key_text() {
    let key = SecretKey::generate();
    let text = key.to_base64();
    let again = SecretKey::from_base64(&format!("  {}\n", text.expose())).unwrap();
    assert_eq!(again.fingerprint(), key.fingerprint());
    for bad in ["", "not base64!", "AAAA", &B64.encode([0u8; 31]), &B64.encode([0u8; 33])] {
        assert!(matches!(SecretKey::from_base64(bad), Err(SealError::BadKey(_))), "{bad}");
    }
    assert_ne!(SecretKey::generate().fingerprint(), key.fingerprint());
}

#[test]
fn check_value_tells_keys_apart() {
    let key = SecretKey::generate();
    let check = key.check_value();
    assert!(key.opens_check(&check));
    assert!(!SecretKey::generate().opens_check(&check));
    assert!(!key.opens_check(&SealedSecret::Plain("x".into())));
    // A sealed access-key secret is not a check value, and the other way round.
    assert!(!key.opens_check(&key.seal("", &Secret::from("eniplane secret key check"))));
    assert!(key.open("", &check).is_err());
}

#[test]
fn debug_never_shows_secrets() {
    let secret = Secret::from("hunter2");
    assert_eq!(format!("{secret:?}"), "Secret(redacted)");
    let key = kat_key();
    assert_eq!(format!("{key:?}"), "SecretKey(630dcd29)");
    let sealed = key.seal("AKID", &secret);
    assert_eq!(format!("{sealed:?}"), "SealedSecret(sealed)");
    let plain = SealedSecret::Plain(secret);
    assert_eq!(format!("{plain:?}"), "SealedSecret(plain text, not yet sealed)");
}

#[test]
fn stored_forms() {
    let sealed = SealedSecret::Sealed(KAT_BLOB.into());
    let json = serde_json::to_value(&sealed).unwrap();
    assert_eq!(json, serde_json::json!({"alg": "XChaCha20-Poly1305", "sealed": KAT_BLOB}));
    assert_eq!(serde_json::from_value::<SealedSecret>(json).unwrap(), sealed);
    let plain: SealedSecret = serde_json::from_str(r#""legacy-secret""#).unwrap();
    assert!(!plain.is_sealed());
    assert_eq!(kat_key().open("any", &plain).unwrap().expose(), "legacy-secret");
    assert_eq!(serde_json::to_string(&plain).unwrap(), r#""legacy-secret""#);
    for bad in [
        r#"{"alg": "AES", "sealed": "x"}"#,
        r#"{"sealed": "x"}"#,
        r#"{"alg": "XChaCha20-Poly1305", "sealed": "x", "y": 1}"#,
        "1",
    ] {
        assert!(serde_json::from_str::<SealedSecret>(bad).is_err(), "{bad}");
    }
}

#[test]
fn secret_equality() {
    assert_eq!(Secret::from("a"), Secret::from(String::from("a")));
    assert_ne!(Secret::from("a"), Secret::from("b"));
    assert_eq!(Secret::default().expose(), "");
}
